"""Leasing for a term, the government's reserve and buy-back, and revenue accounts (docs/assets.md § Leasing,
§ Reserve, § Revenue): a lease reserves, becomes active (leased out) on acceptance or the government's approval,
returns at the term's end (the command and lazily on read, idempotent) or early when both parties ask; a buy-back
moves units into the reserve and is owed until paid from revenue; a reserve sale and a direct allocation at the fee
standard book revenue; a use above the balance is refused; the revenue report derives every figure. Services,
pages, Excel and API."""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from dualcarbon.assets import leasing, ledger, reserve, revenue, services, trading
from dualcarbon.assets.models import Asset, BuyBack, Factor, Holding, Lease, RevenueAccount, RevenueEntry, RevenueUse
from dualcarbon.registry import api_tokens
from dualcarbon.registry.models import Region
from tests.factories import World
from tests.web.helpers import data_for_the_module, fast_world

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("assets_leasing")]

NOW = timezone.now()
TODAY = timezone.localdate(NOW)


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with data_for_the_module(django_db_blocker):
        from django.conf import settings as dj

        w = fast_world(dj)
        cod = Asset.objects.get(code="DR-COD")
        services.issue(w.users["gov"], cod, w.cement, 2024, 20_000, reference="确权/L-c/COD/2024", memo="确权")
        services.issue(w.users["gov"], cod, w.steel, 2024, 5_000, reference="确权/L-s/COD/2024", memo="确权")
        services.publish_fee_standard(
            Region.objects.get(code="339900"),
            Factor.objects.get(code="COD"),
            "1400",
            valid_from=datetime.date(2020, 1, 1),
            derivation="测试：治理成本 1400 元/吨",
            publisher="示范市发展和改革委员会",
            document="示范市排污权有偿使用费标准（测试）",
            clause="第二条",
            published_on=datetime.date(2019, 12, 1),
        )
        yield w


def _cod() -> Asset:
    return Asset.objects.get(code="DR-COD")


def _bal(org: Any, state: str = "available") -> int:
    h = Holding.objects.filter(holder=org, asset__code="DR-COD", vintage=2024, state=state).first()
    return h.balance if h else 0


def _msg(exc: pytest.ExceptionInfo[ValidationError], field: str) -> str:
    return str(exc.value.message_dict[field][0])


def _offer(world: World, kg: int = 4_000, **kw: Any) -> Lease:
    terms = {"starts_on": TODAY, "ends_on": TODAY + datetime.timedelta(days=364), "rent": "5600.00", "now": NOW}
    terms.update(kw)
    return leasing.offer(world.users["cement"], world.cement, world.steel, _cod(), 2024, kg, **terms)


def test_a_lease_reserves_becomes_active_and_returns_at_its_term_end(world: World) -> None:
    lease = _offer(world)
    assert lease.status == Lease.Status.OFFERED and _bal(world.cement, "reserved") == 4_000
    assert _bal(world.cement) == 16_000
    with pytest.raises(PermissionDenied):  # the lessor does not accept its own offer
        leasing.accept(world.users["cement"], lease.pk, now=NOW)
    lease = leasing.accept(world.users["steel"], lease.pk, now=NOW)  # no trading rule: no approval
    assert lease.status == Lease.Status.ACTIVE and lease.lease_txn is not None
    assert (_bal(world.cement, "reserved"), _bal(world.cement, "leased_out")) == (0, 4_000)
    assert _bal(world.steel) == 5_000  # the lessee's own account is untouched: its right of use is the lease
    cod = _cod()
    assert leasing.leased_in(world.steel, TODAY) == {(cod.pk, 2024): 4_000}
    assert leasing.leased_in(world.steel, TODAY - datetime.timedelta(days=1)) == {}
    # the leased units can be neither sold, pledged nor let again by the lessor
    with pytest.raises(ValidationError):
        services.transfer(world.users["cement"], cod, 2024, world.cement, world.steel, 16_001, reference="x")
    # the term ends: the command returns the units, and a second run changes nothing
    later = NOW + datetime.timedelta(days=400)
    assert leasing.expire_due(now=later) == 1
    assert leasing.expire_due(now=later) == 0
    lease.refresh_from_db()
    assert lease.status == Lease.Status.RETURNED and lease.close_txn is not None
    assert (_bal(world.cement, "leased_out"), _bal(world.cement)) == (0, 20_000)
    assert ledger.verify_ledger().ok


def test_expiry_by_the_command_and_lazily_on_read(world: World) -> None:
    lease = _offer(world, 1_000, starts_on=TODAY - datetime.timedelta(days=30), ends_on=timezone.localdate())
    leasing.accept(world.users["steel"], lease.pk)
    Lease.objects.filter(pk=lease.pk).update(ends_on=timezone.localdate() - datetime.timedelta(days=1))
    out = io.StringIO()
    call_command("expire_leases", stdout=out)
    assert "1" in out.getvalue()
    call_command("expire_leases", stdout=out)
    assert out.getvalue().strip().endswith("0")
    lease.refresh_from_db()
    assert lease.status == Lease.Status.RETURNED
    # lazily: the enterprise's page returns a lease past its term before showing it
    other = _offer(world, 1_000, starts_on=TODAY - datetime.timedelta(days=30), ends_on=timezone.localdate())
    leasing.accept(world.users["steel"], other.pk)
    Lease.objects.filter(pk=other.pk).update(ends_on=timezone.localdate() - datetime.timedelta(days=1))
    c = Client()
    c.force_login(world.users["steel"])
    r = c.get(f"/assets/enterprise/{world.steel.pk}/")
    assert r.status_code == 200
    other.refresh_from_db()
    assert other.status == Lease.Status.RETURNED and _bal(world.cement, "leased_out") == 0


def test_early_termination_needs_both_parties(world: World) -> None:
    lease = leasing.accept(world.users["steel"], _offer(world, 2_000).pk, now=NOW)
    lease = leasing.terminate(world.users["steel"], lease.pk)
    assert lease.status == Lease.Status.ACTIVE and lease.termination_requested_by_id == world.steel.pk
    with pytest.raises(ValidationError) as exc:
        leasing.terminate(world.users["steel"], lease.pk)
    assert _msg(exc, "lease") == "已提出提前终止，待对方确认"
    with pytest.raises(PermissionDenied):
        leasing.terminate(world.users["gov"], lease.pk)
    lease = leasing.terminate(world.users["cement"], lease.pk)
    assert lease.status == Lease.Status.TERMINATED and _bal(world.cement, "leased_out") == 0


def test_approval_by_the_trading_rule_and_refusals(world: World) -> None:
    trading.publish_rule(world.city, approval_required=True, valid_from=datetime.date(2020, 1, 1), document="测试规则")
    lease = leasing.accept(world.users["steel"], _offer(world, 3_000).pk, now=NOW)
    assert lease.status == Lease.Status.PENDING and _bal(world.cement, "reserved") == 3_000
    # the reservation cannot be released behind the lease's back
    with pytest.raises(ValidationError) as exc:
        services.unreserve(world.users["cement"], _cod(), 2024, world.cement, 1, memo="x")
    assert "为挂牌或出租数量" in _msg(exc, "quantity")
    with pytest.raises(PermissionDenied):
        leasing.decide(world.users["steel"], lease.pk, approve=True)
    with pytest.raises(ValidationError) as exc:
        leasing.decide(world.users["gov"], lease.pk, approve=False)
    assert _msg(exc, "note") == "不予批准须说明理由"
    lease = leasing.decide(world.users["district"], lease.pk, approve=True)
    assert lease.status == Lease.Status.ACTIVE and _bal(world.cement, "leased_out") == 3_000
    refused = leasing.accept(world.users["steel"], _offer(world, 1_000).pk, now=NOW)
    refused = leasing.decide(world.users["gov"], refused.pk, approve=False, note="不符合总量控制要求")
    assert refused.status == Lease.Status.REJECTED and _bal(world.cement, "reserved") == 0
    cancelled = leasing.cancel(world.users["steel"], _offer(world, 500).pk)  # the lessee declines
    assert cancelled.status == Lease.Status.CANCELLED
    with pytest.raises(ValidationError) as exc:
        _offer(world, 500, rent="12.345")
    assert _msg(exc, "rent") == "金额须大于零、最多两位小数：12.345"
    with pytest.raises(ValidationError) as exc:
        leasing.offer(world.users["cement"], world.cement, world.other_city_firm, _cod(), 2024, 1, starts_on=TODAY,
                      ends_on=TODAY, rent="1", now=NOW)  # fmt: skip
    assert _msg(exc, "lessee").startswith("承租企业须在同一交易市场")
    with pytest.raises(ValidationError) as exc:
        _offer(world, 500, ends_on=TODAY + datetime.timedelta(days=5 * 366))
    assert _msg(exc, "ends_on") == "租期最长 5 年"
    with pytest.raises(ValidationError):  # more than available: the ledger refuses, nothing written
        _offer(world, 10**9)
    assert ledger.verify_ledger().ok


def test_buy_back_reserve_sale_allocation_and_revenue(world: World) -> None:
    gov, cod = world.users["gov"], _cod()
    bill_conf = services.confirm(
        gov, world.cement, Factor.objects.get(code="COD"), "10", basis="permit", basis_reference="P-rev",
        confirmed_on=TODAY,
    )  # fmt: skip
    bill = services.issue_bill(gov, bill_conf.pk, years=1, issued_on=TODAY, due_date=TODAY)
    services.record_payment(gov, bill.pk, "14000.00", paid_on=TODAY, reference="R-rev-1")
    account = RevenueAccount.objects.get(region__code="339900")
    assert account.balance == Decimal("14000.00")
    entry = RevenueEntry.objects.get(payment__reference="R-rev-1")
    assert entry.factor.code == "COD" and entry.district.code == "339901" and "R-rev-1" in entry.derivation
    # a buy-back: offered by the government, accepted by the enterprise; owed until paid from the revenue
    bb = reserve.offer_buy_back(gov, world.steel, cod, 2024, 2_000, "3000", agreement="回购协议-1", now=NOW)
    assert bb.amount == Decimal("6000.00") and _bal(world.government) == 0
    with pytest.raises(BuyBack.DoesNotExist):  # another enterprise does not even see it
        reserve.decide_buy_back(world.users["cement"], bb.pk, accept=True)
    bb = reserve.decide_buy_back(world.users["steel"], bb.pk, accept=True)
    assert bb.status == BuyBack.Status.OWED and _bal(world.government) == 2_000 and _bal(world.steel) == 3_000
    use = reserve.pay_buy_back(gov, bb.pk, paid_on=TODAY, approval_reference="示发改〔2025〕1号", evidence="付款凭证 1")
    assert use.category == RevenueUse.Category.BUY_BACK and use.amount == Decimal("6000.00")
    account.refresh_from_db()
    assert account.balance == Decimal("8000.00")
    # a use above the balance is refused, nothing written
    with pytest.raises(ValidationError) as exc:
        revenue.record_use(gov, world.city, "monitoring", "8000.01", purpose="监测站", approval_reference="A",
                           evidence="E", used_on=TODAY)  # fmt: skip
    assert _msg(exc, "amount") == "示范市 收入账户余额 8000.00 元，不足支出 8000.01 元"
    with pytest.raises(PermissionDenied):  # the district's government keeps no account of the city's
        revenue.record_use(world.users["district"], world.city, "monitoring", "1", purpose="x", approval_reference="A",
                           evidence="E", used_on=TODAY)  # fmt: skip
    # a sale from the reserve through a bidding round of the city: revenue on settlement
    opens = timezone.now() - datetime.timedelta(hours=2)
    closes = timezone.now() + datetime.timedelta(hours=1)
    listing = trading.create_listing(gov, world.government, cod, 2024, 1_000, mode="auction", reserve_price="3200",
                                     opens_at=opens, closes_at=closes)  # fmt: skip
    assert listing.status == "open"  # the government's own sale needs no approval
    trading.bid(world.users["cement"], listing.pk, world.cement, 1_000, "3500")
    trading.settle(gov, listing.pk, now=timezone.now() + datetime.timedelta(hours=2))
    sale = RevenueEntry.objects.get(source="reserve_sale")
    assert sale.amount == Decimal("3500.00") and sale.payer_id == world.cement.pk and sale.factor.code == "COD"
    # a direct allocation at the fee standard: 0.5 t × 1400 × 2 years
    alloc = reserve.allocate(gov, world.cement, cod, 2024, 500, years=2, reference="储备出让-1", allocated_on=TODAY)
    assert alloc.amount == Decimal("1400.00") and "0.500" in alloc.derivation
    account.refresh_from_db()
    assert account.balance == Decimal("8000.00") + Decimal("3500.00") + Decimal("1400.00")
    assert _bal(world.government) == 500
    assert ledger.verify_ledger().ok


def _client(world: World, who: str, lang: str = "zh-hans") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.force_login(world.users[who])
    c.cookies["django_language"] = lang
    return c


def test_pages_in_both_languages_with_located_refusals(world: World) -> None:
    end = (TODAY + datetime.timedelta(days=90)).isoformat()
    form = {"asset": str(_cod().pk), "vintage": "2024", "quantity": "1.5", "lessee_uscc": world.steel.uscc,
            "starts_on": TODAY.isoformat(), "ends_on": end, "rent": "abc"}  # fmt: skip
    bad = _client(world, "cement", "en").post(f"/assets/enterprise/{world.cement.pk}/lease/", form)
    assert bad.status_code == 422 and "abc" in bad.content.decode()
    assert not Lease.objects.filter(quantity=1_500).exists()
    ok = _client(world, "cement").post(f"/assets/enterprise/{world.cement.pk}/lease/", {**form, "rent": "2100.00"})
    assert ok.status_code == 302
    lease = Lease.objects.get(quantity=1_500)
    page = _client(world, "steel", "en").get(f"/assets/enterprise/{world.steel.pk}/")
    assert f'data-lease="{lease.pk}"' in page.content.decode() and "2,100.00" in page.content.decode()
    r = _client(world, "steel").post(
        f"/assets/enterprise/{world.steel.pk}/lease/act/", {"lease": str(lease.pk), "action": "accept"}
    )
    assert r.status_code == 302
    lease.refresh_from_db()
    assert lease.status in (Lease.Status.ACTIVE, Lease.Status.PENDING)
    # a lease of other parties through this enterprise's page: missing
    r = _client(world, "gov").post(
        f"/assets/enterprise/{world.other_city_firm.pk}/lease/act/", {"lease": str(lease.pk), "action": "approve"}
    )
    assert r.status_code == 404
    for lang, words in (("zh-hans", ("排污权储备", "政府回购")), ("en", ("Discharge rights reserve", "buy-back"))):
        body = _client(world, "gov", lang).get("/assets/reserve/").content.decode()
        assert all(w in body for w in words), lang
    for lang, words in (("zh-hans", ("收入账户与使用", "收入明细")), ("en", ("Revenue accounts", "Revenue entries"))):
        body = _client(world, "gov", lang).get("/assets/revenue/").content.decode()
        assert all(w in body for w in words), lang
    assert _client(world, "bank").get("/assets/reserve/").status_code == 404
    assert _client(world, "cement").get("/assets/revenue/").status_code == 404
    refused = _client(world, "gov").post(
        "/assets/reserve/buy-back/",
        {"enterprise_uscc": world.steel.uscc, "asset": str(_cod().pk), "vintage": "2024", "quantity": "1",
         "price": "0", "agreement": "页面回购"},
    )
    assert refused.status_code == 422 and "价格须为大于零" in refused.content.decode()
    assert not BuyBack.objects.filter(agreement="页面回购").exists()


def test_revenue_report_page_excel_and_api_derive_every_figure(world: World) -> None:
    from openpyxl import load_workbook

    gov = world.users["gov"]
    conf = services.confirm(gov, world.steel, Factor.objects.get(code="COD"), "2", basis="permit",
                            basis_reference="P-rpt", confirmed_on=TODAY)  # fmt: skip
    bill = services.issue_bill(gov, conf.pk, years=1, issued_on=TODAY, due_date=TODAY)
    pay = services.record_payment(gov, bill.pk, "2800.00", paid_on=TODAY, reference="R-rpt")
    entry = RevenueEntry.objects.get(payment=pay)
    revenue.record_use(gov, world.city, "pollution_control", "800.00", purpose="污水处理厂提标",
                       approval_reference="示环〔2025〕7号", evidence="合同 HT-7 付款凭证", used_on=TODAY)  # fmt: skip
    page = _client(world, "gov", "en").get(f"/assets/revenue/?year={TODAY.year}").content.decode()
    assert f'id="entry-{entry.pk}"' in page and "R-rpt" in page and "Pollution-control projects" in page
    xlsx = _client(world, "gov").get(f"/assets/revenue.xlsx?year={TODAY.year}")
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.content))
    details = [list(r) for r in wb.worksheets[1].iter_rows(values_only=True)]
    assert any(row[0] == entry.pk and "R-rpt" in row[8] for row in details[1:])
    data = json.loads(_client(world, "gov").get(f"/api/assets/revenue?year={TODAY.year}").content)
    cell = next(c for c in data["cells"] if entry.pk in c["entries"])
    assert cell["district"] == "339902" and cell["factor"] == "COD"
    summed = sum(Decimal(e["amount"]) for e in data["entries"] if e["id"] in cell["entries"])
    assert Decimal(cell["amount"]) == summed
    assert any(u["category"] == "pollution_control" for u in data["uses"])
    # the enterprise's token: its leases, not the government's revenue
    steel = Client(HTTP_AUTHORIZATION=f"Bearer {api_tokens.issue(world.users['steel'], 'erp')[1]}")
    assert steel.get("/api/assets/revenue").status_code == 404
    assert steel.get(f"/api/assets/enterprises/{world.steel.pk}/leases").status_code == 200
    bank = Client(HTTP_AUTHORIZATION=f"Bearer {api_tokens.issue(world.users['bank'], 'core')[1]}")
    assert bank.get("/api/assets/reserve").status_code == 404
    assert bank.get(f"/api/assets/enterprises/{world.cement.pk}/leases").status_code == 404


def test_the_api_offers_accepts_and_terminates_a_lease(world: World) -> None:
    cement = Client(HTTP_AUTHORIZATION=f"Bearer {api_tokens.issue(world.users['cement'], 'erp')[1]}")
    steel = Client(HTTP_AUTHORIZATION=f"Bearer {api_tokens.issue(world.users['steel'], 'erp')[1]}")
    body = {"asset": "DR-COD", "vintage": 2024, "quantity": 700, "lessee_uscc": world.steel.uscc,
            "starts_on": TODAY.isoformat(), "ends_on": (TODAY + datetime.timedelta(days=30)).isoformat(),
            "rent": "350.00"}  # fmt: skip
    bad = cement.post(f"/api/assets/enterprises/{world.cement.pk}/leases", {**body, "rent": "-1"},
                      content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")  # fmt: skip
    assert bad.status_code == 422 and "rent" in bad.content.decode()
    r = cement.post(f"/api/assets/enterprises/{world.cement.pk}/leases", body, content_type="application/json")
    assert r.status_code == 201, r.content
    lease_id = json.loads(r.content)["id"]
    act = f"/api/assets/enterprises/{world.steel.pk}/leases/actions"
    r = steel.post(act, {"lease_id": lease_id, "action": "accept"}, content_type="application/json")
    assert r.status_code == 200 and json.loads(r.content)["status"] in ("active", "pending")
    # the lessor's token cannot act through the lessee's enterprise (not its own: missing)
    r = cement.post(act, {"lease_id": lease_id, "action": "cancel"}, content_type="application/json")
    assert r.status_code == 404

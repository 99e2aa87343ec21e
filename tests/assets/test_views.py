"""The assets pages and API as their users meet them (docs/assets.md § Pages, § API): the government confirms a
right and bills it from the enterprise's page, in Chinese and English; a bad form is answered located and changes
nothing; the enterprise pledges, the bank sees only its pledges and releases them; the API's holdings and bills."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from dualcarbon.assets import services
from dualcarbon.assets.models import Asset, Bill, Confirmation, Factor, Holding, Pledge
from dualcarbon.registry import api_tokens
from dualcarbon.registry.models import Region
from tests.factories import World
from tests.web.helpers import data_for_the_module, fast_world

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("assets_views")]

D = datetime.date


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with data_for_the_module(django_db_blocker):
        from django.conf import settings as dj

        w = fast_world(dj)
        services.publish_fee_standard(
            Region.objects.get(code="339900"),
            Factor.objects.get(code="COD"),
            "4000",
            valid_from=D(2021, 1, 1),
            derivation="单位污染治理成本 × 调节系数（示范数据）",
            publisher="示范市发展和改革委员会",
            document="示范市排污权有偿使用费征收标准（试行）",
            clause="附表 1",
            published_on=D(2020, 12, 1),
        )
        conf = services.confirm(
            w.users["gov"],
            w.cement,
            Factor.objects.get(code="COD"),
            "8",
            basis="permit",
            basis_reference="91339901MA2D8KQX38001P",
            confirmed_on=D(2024, 3, 1),
        )
        services.issue_bill(w.users["gov"], conf.pk, years=1, issued_on=D(2024, 3, 2), due_date=D(2024, 6, 30))
        yield w


def _client(world: World, who: str, lang: str = "zh-hans") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.force_login(world.users[who])
    c.cookies["django_language"] = lang
    return c


def test_the_enterprise_page_shows_holdings_confirmation_and_bill_in_both_languages(world: World) -> None:
    url = f"/assets/enterprise/{world.cement.pk}/"
    zh = _client(world, "cement").get(url).content.decode()
    assert '<td class="num">8.000 t/a</td>' in zh
    assert "化学需氧量排污权" in zh and "排污许可证 91339901MA2D8KQX38001P" in zh
    assert "计算过程：8.000 吨/年 × 4000.00 元/吨·年 × 1 年 = 32000.00 元" in zh
    assert f'action="/assets/enterprise/{world.cement.pk}/confirm/"' not in zh  # the enterprise does not confirm
    en = _client(world, "gov", "en").get(url).content.decode()
    assert "Discharge right: Chemical oxygen demand (COD)" in en
    assert "Derivation: 8.000 t/yr × 4000.00 yuan/t/yr × 1 yr = 32000.00 yuan" in en
    assert f'action="/assets/enterprise/{world.cement.pk}/confirm/"' in en
    assert _client(world, "bank").get(url).status_code == 404  # a bank sees pledges only
    assert _client(world, "steel").get(url).status_code == 404


def test_a_bad_confirmation_form_is_answered_located_and_changes_nothing(world: World) -> None:
    before = (Confirmation.objects.count(), Holding.objects.count())
    r = _client(world, "gov", "en").post(
        f"/assets/enterprise/{world.cement.pk}/confirm/",
        {
            "factor": Factor.objects.get(code="SO2").pk,
            "tonnes": "1.2345",
            "basis": "permit",
            "basis_reference": "P-9",
            "confirmed_on": "2024-05-01",
        },
    )
    assert r.status_code == 422
    assert "<li>tonnes per year take at most three decimals (to the kilogram): 1.2345</li>" in r.content.decode()
    assert (Confirmation.objects.count(), Holding.objects.count()) == before


def test_the_government_confirms_and_bills_from_the_page(world: World) -> None:
    gov = _client(world, "district")
    r = gov.post(
        f"/assets/enterprise/{world.cement.pk}/confirm/",
        {
            "factor": Factor.objects.get(code="COD").pk,
            "tonnes": "1.5",
            "basis": "eia",
            "basis_reference": "示环审〔2025〕3号",
            "confirmed_on": "2025-01-10",
        },
    )
    assert (r.status_code, r["Location"]) == (302, f"/assets/enterprise/{world.cement.pk}/#confirmations")
    conf = Confirmation.objects.get(basis_reference="示环审〔2025〕3号")
    r = gov.post(
        f"/assets/enterprise/{world.cement.pk}/bill/",
        {"confirmation": conf.pk, "years": "2", "issued_on": "2025-01-11", "due_date": "2025-03-31"},
    )
    assert r.status_code == 302
    assert Bill.objects.get(confirmation=conf).amount == 12000  # 1.5 t × 4000 × 2
    # the admin sees the page but is no authority: the write is refused, nothing changes
    r = _client(world, "admin").post(
        f"/assets/enterprise/{world.cement.pk}/bill/",
        {"confirmation": conf.pk, "years": "1", "issued_on": "2025-01-11", "due_date": "2025-03-31"},
    )
    assert (r.status_code, Bill.objects.filter(confirmation=conf).count()) == (403, 1)


def test_a_pledge_is_seen_by_its_bank_only_and_released_by_it(world: World) -> None:
    r = _client(world, "cement").post(
        f"/assets/enterprise/{world.cement.pk}/pledge/",
        {
            "asset": Asset.objects.get(code="DR-COD").pk,
            "vintage": "2024",
            "quantity": "5",
            "bank": world.bank.pk,
            "loan_reference": "示范农商银行〔2024〕质借字第 018 号",
        },
    )
    assert r.status_code == 302
    pledge = Pledge.objects.get(loan_reference="示范农商银行〔2024〕质借字第 018 号")
    assert pledge.quantity == 5000
    page = _client(world, "bank").get("/assets/bank/").content.decode()
    assert "示范水泥有限公司" in page and "5.000 t/a" in page
    other = _client(world, "bank2").get("/assets/bank/").content.decode()
    assert "尚无质押给本行的资产。" in other and "示范水泥有限公司" not in other
    assert _client(world, "bank2").post(f"/assets/bank/pledge/{pledge.pk}/release/").status_code == 404
    assert _client(world, "bank").post(f"/assets/bank/pledge/{pledge.pk}/release/").status_code == 302
    pledge.refresh_from_db()
    assert pledge.status == "released"
    assert _client(world, "cement").get("/assets/bank/").status_code == 404


def test_the_region_page_names_districts_and_factors(world: World) -> None:
    services.record_payment(
        world.users["gov"],
        Bill.objects.get(enterprise=world.cement).pk,
        "32000",
        paid_on=datetime.date.today(),
        reference="缴-view-1",
    )
    page = _client(world, "gov").get("/assets/region/").content.decode()
    assert '<tr data-district="339901"><td>东城区</td><td class="num">32,000.00</td>' in page
    en = _client(world, "gov", "en").get("/assets/region/").content.decode()
    assert "Chemical oxygen demand (COD)</th>" in en
    assert _client(world, "cement").get("/assets/region/").status_code == 404


def test_the_api_gives_holdings_in_integer_units_and_refuses_a_bad_pledge(world: World) -> None:
    key = api_tokens.issue(world.users["cement"], "erp")[1]
    c = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    r = c.get(f"/api/assets/enterprises/{world.cement.pk}/holdings")
    assert r.json() == [
        {
            "asset": "DR-COD",
            "asset_name": "化学需氧量排污权",
            "unit": "kg/a",
            "vintage": 2024,
            "state": "available",
            "quantity": 8000,
        }
    ]
    bills = c.get(f"/api/assets/enterprises/{world.cement.pk}/bills").json()
    assert [(b["amount"], b["status"]) for b in bills] == [("32000.00", "open")]
    before = list(Holding.objects.values_list("pk", "balance"))
    r = c.post(
        f"/api/assets/enterprises/{world.cement.pk}/pledges",
        data=json.dumps(
            {"asset": "DR-COD", "vintage": 2024, "quantity": 8001, "bank_id": world.bank.pk, "loan_reference": "L-api"}
        ),
        content_type="application/json",
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["message_en"] == (
        "insufficient balance: 示范水泥有限公司 · 化学需氧量排污权 · 2024 · 可用 holds 8000 kg/a, 8001 kg/a needed"
    )
    assert list(Holding.objects.values_list("pk", "balance")) == before


def test_the_government_publishes_a_new_fee_standard_version_from_the_region_page(world: World) -> None:
    from dualcarbon.assets.models import FeeStandard

    cod = Factor.objects.get(code="COD")
    terms = {
        "factor": cod.pk,
        "valid_from": "2026-01-01",
        "derivation": "单位治理成本 3 600 元/吨 × 1.25（示范数据）",
        "publisher": "示范市发展和改革委员会",
        "document": "关于调整排污权有偿使用费标准的通知",
        "clause": "第一条",
        "published_on": "2025-11-20",
    }
    before = list(FeeStandard.objects.values_list("pk", "valid_from", "valid_to", "yuan_per_tonne_year"))
    r = _client(world, "gov", "en").post("/assets/region/standard/", {**terms, "yuan_per_tonne_year": "4500.005"})
    assert r.status_code == 422
    assert "<li>a standard must be an amount above zero with at most two decimals: 4500.005</li>" in r.content.decode()
    assert list(FeeStandard.objects.values_list("pk", "valid_from", "valid_to", "yuan_per_tonne_year")) == before
    assert (
        _client(world, "admin").post("/assets/region/standard/", {**terms, "yuan_per_tonne_year": "1"}).status_code
        == 403
    )
    r = _client(world, "gov").post("/assets/region/standard/", {**terms, "yuan_per_tonne_year": "4500"})
    assert (r.status_code, r["Location"]) == (302, "/assets/region/#standards")
    rows = FeeStandard.objects.filter(factor=cod).order_by("valid_from")
    assert [(s.region.code, s.valid_from, s.valid_to, s.yuan_per_tonne_year) for s in rows] == [
        ("339900", D(2021, 1, 1), D(2026, 1, 1), 4000),
        ("339900", D(2026, 1, 1), None, 4500),
    ]


def test_the_admin_reads_the_ledger_but_cannot_change_it(world: World) -> None:
    from dualcarbon.assets.models import LedgerTransaction

    admin = world.users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    c = _client(world, "admin")
    txn = LedgerTransaction.objects.order_by("pk").first()
    assert txn is not None
    page = c.get(f"/admin/assets/ledgertransaction/{txn.pk}/change/")
    assert page.status_code == 200 and txn.row_hash in page.content.decode()
    assert c.get("/admin/assets/ledgertransaction/add/").status_code == 403
    assert c.post(f"/admin/assets/ledgertransaction/{txn.pk}/delete/", {"post": "yes"}).status_code == 403
    assert LedgerTransaction.objects.filter(pk=txn.pk).exists()
    assert c.get("/admin/assets/factor/add/").status_code == 200  # a region adds its own factor

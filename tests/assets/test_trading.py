"""Trading of discharge rights (docs/assets.md § Trading): a listing reserves its quantity through the ledger; a
timed bidding round takes bids not below the reserve price until its close; settlement fills the highest bids first
(ties by the earlier bid, the last one partly) and moves the rights and records the money in one database
transaction; the unsold rest returns; a cancelled or refused listing releases its reservation; a bilateral transfer
settles when the named buyer accepts; the region's rule may ask for the government's approval. Services, pages and
API."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from dualcarbon.assets import ledger, services, trading
from dualcarbon.assets.models import Asset, Bid, Holding, LedgerTransaction, Listing, Trade
from dualcarbon.registry import api_tokens
from dualcarbon.registry import services as registry
from dualcarbon.registry.models import Industry, Membership, Organisation, Region
from tests.factories import PASSWORD, World
from tests.web.helpers import data_for_the_module, fast_world

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("assets_trading")]

H = datetime.timedelta(hours=1)


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with data_for_the_module(django_db_blocker):
        from django.conf import settings as dj

        w = fast_world(dj)
        glass = Organisation(
            kind="enterprise",
            name="示范玻璃有限公司",
            uscc="91339902MA2GLASS1X",
            region=Region.objects.get(code="339902"),
            industry=Industry.objects.get(code="30"),
            size_class="large",
            above_scale=True,
        )
        glass.save()
        w.users["glass"] = registry.create_user("glass", PASSWORD, glass, Membership.Role.ENTERPRISE_STAFF)
        cod = Asset.objects.get(code="DR-COD")
        services.issue(w.users["gov"], cod, w.cement, 2024, 20_000, reference="确权/T-c/COD/2024", memo="确权")
        services.issue(w.users["gov"], cod, w.steel, 2024, 1_000, reference="确权/T-s/COD/2024", memo="确权")
        yield w


def _glass() -> Organisation:
    return Organisation.objects.get(name="示范玻璃有限公司")


def _cod() -> Asset:
    return Asset.objects.get(code="DR-COD")


def _balance(org: Organisation, state: str = "available") -> int:
    h = Holding.objects.filter(holder=org, asset__code="DR-COD", vintage=2024, state=state).first()
    return h.balance if h else 0


def _auction(world: World, kg: int, reserve: str = "3000") -> Listing:
    now = timezone.now()
    return trading.create_listing(
        world.users["cement"],
        world.cement,
        _cod(),
        2024,
        kg,
        mode="auction",
        reserve_price=reserve,
        opens_at=now - 2 * H,
        closes_at=now + H,
    )


def _close(listing: Listing) -> None:
    """The round's close passes (the listing row is not guarded; the journal is)."""
    Listing.objects.filter(pk=listing.pk).update(closes_at=timezone.now() - datetime.timedelta(seconds=1))


def _message(exc: pytest.ExceptionInfo[ValidationError], field: str) -> str:
    return str(exc.value.message_dict[field][0])


def test_listing_reserves_the_quantity_so_it_cannot_be_sold_twice(world: World) -> None:
    listing = _auction(world, 15_000)
    assert (listing.status, listing.market, listing.approval_required) == ("open", "3399", False)
    assert (_balance(world.cement), _balance(world.cement, "reserved")) == (5_000, 15_000)
    assert listing.reserve_txn.kind == "reserve"
    with pytest.raises(ValidationError) as exc:  # only 5 t left available: a second listing of 6 t is refused
        _auction(world, 6_000)
    assert "余额 5000 kg/a，需 6000 kg/a" in _message(exc, "quantity")
    assert Listing.objects.count() == 1


def test_the_highest_bids_win_ties_by_time_the_last_partly_in_one_transaction(world: World) -> None:
    listing = _auction(world, 15_000)
    steel, glass = world.steel, _glass()
    b1 = trading.bid(world.users["steel"], listing.pk, steel, 4_000, "3500")
    b2 = trading.bid(world.users["glass"], listing.pk, glass, 5_000, "3200.5")
    b3 = trading.bid(world.users["steel"], listing.pk, steel, 3_000, "3200.50")  # same price, later: after b2
    b4 = trading.bid(world.users["glass"], listing.pk, glass, 4_000, "3100")  # gets the 3 t left of 4 t
    b5 = trading.bid(world.users["steel"], listing.pk, steel, 1_000, "3000")  # nothing left
    _close(listing)
    txns = LedgerTransaction.objects.count()
    done = trading.settle(world.users["cement"], listing.pk)
    assert (done.status, done.sold_quantity) == ("settled", 15_000)
    assert LedgerTransaction.objects.count() == txns + 1  # one ledger transaction for the whole settlement
    assert done.close_txn.kind == "settle"
    postings = list(done.close_txn.postings.values_list("holding__holder_id", "holding__state", "quantity"))
    assert sum(q for _h, _s, q in postings) == 0
    assert sorted(q for _h, _s, q in postings if q > 0) == [3_000, 3_000, 4_000, 5_000]
    assert [Bid.objects.get(pk=b.pk).filled for b in (b1, b2, b3, b4, b5)] == [4_000, 5_000, 3_000, 3_000, 0]
    trades = {t.bid_id: t for t in Trade.objects.filter(listing=done)}
    assert (trades[b1.pk].amount, trades[b1.pk].derivation) == (
        Decimal("14000.00"),
        "4.000 吨 × 3500.00 元/吨 = 14000.00 元",
    )
    assert trades[b2.pk].amount == Decimal("16002.50")
    assert trades[b4.pk].amount == Decimal("9300.00") and b5.pk not in trades
    assert {t.txn_id for t in trades.values()} == {done.close_txn_id}
    assert (_balance(world.cement), _balance(world.cement, "reserved")) == (5_000, 0)
    assert (_balance(world.steel), _balance(glass)) == (1_000 + 7_000, 8_000)
    assert ledger.verify_ledger().ok
    with pytest.raises(ValidationError) as exc:  # a second settlement finds the listing settled
        trading.settle(world.users["gov"], listing.pk)
    assert _message(exc, "listing") == "该挂牌不在竞价中（已成交），不能结算"


def test_amounts_are_to_the_fen_half_up() -> None:
    cod = Asset.objects.get(code="DR-COD")
    assert trading.amount_of(cod, 1_234, Decimal("3333.33")) == Decimal("4113.33")  # 4113.32922
    assert trading.amount_of(cod, 1, Decimal("5.00")) == Decimal("0.01")  # 0.005 → 0.01
    assert trading.amount_of(Asset.objects.get(code="CEA"), 800, Decimal("61.25")) == Decimal("49000.00")


def test_bids_are_refused_below_the_reserve_after_the_close_and_out_of_the_market(world: World) -> None:
    listing = _auction(world, 10_000, reserve="3000")
    steel = world.steel
    with pytest.raises(ValidationError) as exc:
        trading.bid(world.users["steel"], listing.pk, steel, 1_000, "2999.99")
    assert _message(exc, "price") == "报价 2999.99 元/吨低于起拍价 3000.00 元/吨"
    with pytest.raises(ValidationError) as exc:
        trading.bid(world.users["steel"], listing.pk, steel, 1_000, "3000.001")
    assert "最多两位小数" in _message(exc, "price")
    with pytest.raises(ValidationError) as exc:
        trading.bid(world.users["steel"], listing.pk, steel, 10_001, "3000")
    assert _message(exc, "quantity") == "竞买数量 10.001 t/a 超过挂牌数量 10.000 t/a"
    with pytest.raises(ValidationError) as exc:
        trading.bid(world.users["cement"], listing.pk, world.cement, 1_000, "3000")
    assert _message(exc, "bidder") == "出让企业不能竞买自己的挂牌"
    with pytest.raises(Listing.DoesNotExist):  # 杭州: another market, the listing is not even visible
        trading.bid(world.users["far"], listing.pk, world.other_city_firm, 1_000, "3000")
    with pytest.raises(PermissionDenied):  # steel's staff bid for steel only
        trading.bid(world.users["steel"], listing.pk, _glass(), 1_000, "3000")
    with pytest.raises(ValidationError) as exc:  # the close
        trading.settle(world.users["cement"], listing.pk)
    assert "截止后才能结算" in _message(exc, "listing")
    _close(listing)
    with pytest.raises(ValidationError) as exc:
        trading.bid(world.users["steel"], listing.pk, steel, 1_000, "3600")
    assert "截止，不再接受报价" in _message(exc, "listing")
    assert Bid.objects.count() == 0


def test_unsold_quantity_returns_and_a_round_without_bids_is_unsold(world: World) -> None:
    listing = _auction(world, 10_000)
    trading.bid(world.users["steel"], listing.pk, world.steel, 2_500, "3000")
    _close(listing)
    done = trading.settle(world.users["gov"], listing.pk)  # the seller's government may settle too
    assert (done.status, done.sold_quantity) == ("settled", 2_500)
    assert (_balance(world.cement), _balance(world.cement, "reserved")) == (17_500, 0)
    empty = _auction(world, 1_000)
    _close(empty)
    done = trading.settle(world.users["cement"], empty.pk)
    assert (done.status, done.sold_quantity, done.close_txn.kind) == ("unsold", 0, "unreserve")
    assert _balance(world.cement) == 17_500 and not Trade.objects.filter(listing=empty).exists()


def test_a_cancelled_listing_releases_its_reservation_but_not_once_bid_on(world: World) -> None:
    listing = _auction(world, 4_000)
    with pytest.raises(PermissionDenied):
        trading.cancel(world.users["gov"], listing.pk)
    done = trading.cancel(world.users["cement"], listing.pk)
    assert (done.status, done.close_txn.kind, _balance(world.cement)) == ("cancelled", "unreserve", 20_000)
    with pytest.raises(ValidationError):
        trading.cancel(world.users["cement"], listing.pk)
    other = _auction(world, 4_000)
    trading.bid(world.users["glass"], other.pk, _glass(), 1_000, "3000")
    with pytest.raises(ValidationError) as exc:
        trading.cancel(world.users["cement"], other.pk)
    assert _message(exc, "listing") == "已有竞买报价，不能撤牌；请待截止后结算"
    assert ledger.verify_ledger().ok


def test_the_region_may_require_the_governments_approval(world: World) -> None:
    trading.publish_rule(
        world.city,
        approval_required=True,
        valid_from=datetime.date(2020, 1, 1),
        document="示范市排污权交易管理办法 第十条",
    )
    listing = _auction(world, 3_000)
    assert (listing.status, listing.approval_required) == ("pending", True)
    with pytest.raises(Listing.DoesNotExist):  # not yet offered: other enterprises do not see it
        trading.bid(world.users["steel"], listing.pk, world.steel, 1_000, "3000")
    with pytest.raises(PermissionDenied):  # the admin is no authority
        trading.decide(world.users["admin"], listing.pk, approve=True)
    approved = trading.decide(world.users["district"], listing.pk, approve=True, note="符合总量控制要求")
    assert approved.status == "open" and approved.decided_by == world.users["district"]
    trading.bid(world.users["steel"], listing.pk, world.steel, 1_000, "3000")
    refused = _auction(world, 2_000)
    with pytest.raises(ValidationError) as exc:
        trading.decide(world.users["gov"], refused.pk, approve=False)
    assert _message(exc, "note") == "不予批准须说明理由"
    done = trading.decide(world.users["gov"], refused.pk, approve=False, note="超出区域总量")
    assert (done.status, done.close_txn.kind) == ("rejected", "unreserve")
    assert _balance(world.cement, "reserved") == 3_000


def test_a_bilateral_transfer_settles_when_the_named_buyer_accepts(world: World) -> None:
    listing = trading.create_listing(
        world.users["cement"], world.cement, _cod(), 2024, 2_345, mode="bilateral", buyer=world.steel, price="2800"
    )
    with pytest.raises(Listing.DoesNotExist):  # not offered to glass
        trading.accept(world.users["glass"], listing.pk)
    with pytest.raises(PermissionDenied):
        trading.accept(world.users["cement"], listing.pk)
    done = trading.accept(world.users["steel"], listing.pk)
    trade = Trade.objects.get(listing=done)
    assert (done.status, trade.buyer, trade.amount) == ("settled", world.steel, Decimal("6566.00"))
    assert trade.derivation == "2.345 吨 × 2800.00 元/吨 = 6566.00 元"
    assert _balance(world.steel) == 1_000 + 2_345
    with pytest.raises(ValidationError) as exc:  # the buyer must trade in the seller's market
        trading.create_listing(
            world.users["cement"], world.cement, _cod(), 2024, 1_000, mode="bilateral",
            buyer=world.other_city_firm, price="2800",
        )  # fmt: skip
    assert _message(exc, "buyer") == "受让企业须在同一交易市场（3399）"


# --------------------------------------------------------------------------- pages and API


def _client(world: World, who: str, lang: str = "zh-hans") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.force_login(world.users[who])
    c.cookies["django_language"] = lang
    return c


def _local(at: datetime.datetime) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%dT%H:%M")


def test_the_seller_lists_a_buyer_bids_on_the_page_and_the_round_settles(world: World) -> None:
    now = timezone.now()
    r = _client(world, "cement").post(
        f"/assets/enterprise/{world.cement.pk}/list/",
        {
            "asset": _cod().pk,
            "vintage": "2024",
            "quantity": "6.5",
            "mode": "auction",
            "reserve_price": "3000",
            "opens_at": _local(now - 2 * H),
            "closes_at": _local(now + 2 * H),
        },
    )
    listing = Listing.objects.get()
    assert (r.status_code, r["Location"]) == (302, f"/assets/listing/{listing.pk}/")
    page = _client(world, "steel").get(r["Location"]).content.decode()  # another bidder: no seller's name
    assert "6.500 t/a" in page and world.cement.name not in page and 'action="/assets/listing/' in page
    bad = _client(world, "steel", "en").post(f"/assets/listing/{listing.pk}/bid/", {"quantity": "2", "price": "2500"})
    assert bad.status_code == 422
    assert "<li>the bid of 2500.00 yuan/t is below the reserve price of 3000.00 yuan/t</li>" in bad.content.decode()
    ok = _client(world, "steel").post(f"/assets/listing/{listing.pk}/bid/", {"quantity": "2", "price": "3100"})
    assert ok.status_code == 302 and Bid.objects.get().quantity == 2_000
    seller = _client(world, "cement").get(f"/assets/listing/{listing.pk}/").content.decode()
    assert world.steel.name not in seller and "#1" in seller  # the seller sees the bid, not the bidder
    _close(listing)
    r = _client(world, "cement").post(f"/assets/listing/{listing.pk}/settle/")
    assert r.status_code == 302
    market = _client(world, "steel", "en").get("/assets/market/").content.decode()
    assert "2.000 t × 3100.00 yuan/t = 6200.00 yuan" in market and world.cement.name in market  # parties now known
    assert _client(world, "bank").get("/assets/market/").status_code == 404
    assert _client(world, "far").get(f"/assets/listing/{listing.pk}/").status_code == 404


def test_a_bad_listing_form_is_answered_located_and_changes_nothing(world: World) -> None:
    before = list(Holding.objects.values_list("pk", "balance"))
    r = _client(world, "cement", "en").post(
        f"/assets/enterprise/{world.cement.pk}/list/",
        {
            "asset": _cod().pk,
            "vintage": "2024",
            "quantity": "1",
            "mode": "auction",
            "reserve_price": "3000",
            "opens_at": "2026-01-02T10:00",
            "closes_at": "2026-01-01T10:00",
        },
    )
    assert r.status_code == 422
    assert "<li>the round must close after it opens</li>" in r.content.decode()
    assert list(Holding.objects.values_list("pk", "balance")) == before and not Listing.objects.exists()


def test_the_api_lists_bids_and_settles(world: World) -> None:
    seller = Client(HTTP_AUTHORIZATION=f"Bearer {api_tokens.issue(world.users['cement'], 'erp')[1]}")
    buyer = Client(HTTP_AUTHORIZATION=f"Bearer {api_tokens.issue(world.users['glass'], 'erp')[1]}")
    now = timezone.now()
    r = seller.post(
        f"/api/assets/enterprises/{world.cement.pk}/listings",
        data=json.dumps(
            {
                "asset": "DR-COD",
                "vintage": 2024,
                "quantity": 3000,
                "mode": "auction",
                "reserve_price": "2000",
                "opens_at": (now - H).isoformat(),
                "closes_at": (now + H).isoformat(),
            }
        ),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    listing_id = r.json()["id"]
    open_rounds = buyer.get("/api/assets/market/listings").json()
    assert [(x["id"], x["seller"], x["reserve_price"]) for x in open_rounds] == [(listing_id, None, "2000.00")]
    r = buyer.post(
        f"/api/assets/listings/{listing_id}/bids",
        data=json.dumps({"quantity": 1000, "price": "1999"}),
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["errors"][0]["column"] == "price"
    r = buyer.post(
        f"/api/assets/listings/{listing_id}/bids",
        data=json.dumps({"quantity": 1000, "price": "2150.5"}),
        content_type="application/json",
    )
    assert r.status_code == 201
    Listing.objects.filter(pk=listing_id).update(closes_at=now - datetime.timedelta(seconds=1))
    r = seller.post(f"/api/assets/listings/{listing_id}/settle")
    assert r.status_code == 200
    body = r.json()
    assert (body["status"], body["sold_quantity"]) == ("settled", 1000)
    assert [(t["buyer"], t["amount"]) for t in body["trades"]] == [("示范玻璃有限公司", "2150.50")]
    assert [x["id"] for x in seller.get(f"/api/assets/enterprises/{world.cement.pk}/listings").json()] == [listing_id]
    bank = Client(HTTP_AUTHORIZATION=f"Bearer {api_tokens.issue(world.users['bank'], 'core')[1]}")
    assert bank.get(f"/api/assets/listings/{listing_id}").status_code == 404


def test_a_listings_reservation_cannot_be_released_but_by_the_listing(world: World) -> None:
    listing = _auction(world, 4_000)
    services.reserve(world.users["cement"], _cod(), 2024, world.cement, 1_000, memo="储备")
    with pytest.raises(ValidationError) as exc:
        services.unreserve(world.users["cement"], _cod(), 2024, world.cement, 1_001, memo="解冻")
    assert _message(exc, "quantity") == "冻结的 5000 kg/a 中有 4000 kg/a 为挂牌数量，只能解冻 1000 kg/a"
    services.unreserve(world.users["cement"], _cod(), 2024, world.cement, 1_000, memo="解冻")
    trading.cancel(world.users["cement"], listing.pk)
    assert (_balance(world.cement), _balance(world.cement, "reserved")) == (20_000, 0)

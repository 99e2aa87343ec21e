"""Trading of discharge rights in the browser (docs/assets.md § Trading): the cement works lists 10 t of its COD right
for a bidding round from its assets page; the steel works and a glass works bid on the listing page (a bid below the
reserve price is refused at the price field, nothing written); after the close the seller settles: the higher bid
wins in full, the other in part, each trade shows its derivation, the rights moved in one ledger transaction.

The world is build_world() plus the glass works in 西城区; the round's close is moved to the past in the database
(the listing row is not guarded) instead of waiting for it."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from dualcarbon.assets import ledger, services
from dualcarbon.assets.models import Asset, Holding, Listing, Trade
from dualcarbon.registry import services as registry
from dualcarbon.registry.models import Industry, Membership, Organisation, Region
from tests.assets.helpers import wipe_ledger  # noqa: F401 (the asset ledger: emptied before the flush)
from tests.e2e.helpers import login, shot
from tests.factories import PASSWORD, World


def _as(page: Any, base: str, who: str) -> None:
    page.context.clear_cookies()
    login(page, base, who)


def _balance(org: Organisation) -> int:
    h = Holding.objects.filter(holder=org, asset__code="DR-COD", vintage=2024, state="available").first()
    return h.balance if h else 0


@pytest.mark.usefixtures("wipe_ledger")
def test_a_seller_lists_two_buyers_bid_and_the_round_settles(page: Any, live_server: Any, world: World) -> None:
    glass = Organisation.objects.create(
        kind="enterprise",
        name="示范玻璃有限公司",
        uscc="91339902MA2GLASS1X",
        region=Region.objects.get(code="339902"),
        industry=Industry.objects.get(code="30"),
        size_class="large",
        above_scale=True,
    )
    registry.create_user("glass", PASSWORD, glass, Membership.Role.ENTERPRISE_STAFF)
    services.issue(world.users["gov"], Asset.objects.get(code="DR-COD"), world.cement, 2024, 20_000,
                   reference="确权/E2E/COD/2024", memo="排污权确权")  # fmt: skip
    base = live_server.url
    now = timezone.localtime()

    _as(page, base, "cement")
    page.goto(f"{base}/assets/enterprise/{world.cement.pk}/")
    form = page.locator("#trading form")
    form.locator("select[name=asset]").select_option(label="化学需氧量排污权")
    form.locator("input[name=vintage]").fill("2024")
    form.locator("input[name=quantity]").fill("10")
    form.locator("select[name=mode]").select_option("auction")
    form.locator("input[name=reserve_price]").fill("3000")
    form.locator("input[name=opens_at]").fill((now - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    form.locator("input[name=closes_at]").fill((now + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    with page.expect_navigation():
        form.get_by_role("button", name="挂牌并冻结数量").click()
    listing = Listing.objects.get()
    assert page.locator("#listing-status").inner_text() == "挂牌中"
    assert page.locator("#listing-quantity").inner_text() == "10.000 t/a"
    assert _balance(world.cement) == 10_000  # the listed 10 t reserved
    shot(page, "listed")

    for who, quantity, price in (("steel", "4", "3500"), ("glass", "2", "2500"), ("glass", "8", "3200")):
        _as(page, base, who)
        page.goto(f"{base}/assets/market/")
        page.locator(f"#open tr[data-listing='{listing.pk}'] a").click()
        page.wait_for_url(f"**/assets/listing/{listing.pk}/")
        assert world.cement.name not in page.content()  # bidders do not see the seller
        bid = page.locator("#bid form")
        bid.locator("input[name=quantity]").fill(quantity)
        bid.locator("input[name=price]").fill(price)
        with page.expect_navigation():
            bid.get_by_role("button", name="提交报价").click()
        if price == "2500":
            assert "报价 2500.00 元/吨低于起拍价 3000.00 元/吨" in page.locator("#bid").inner_text()
            shot(page, "refused-below-reserve")
    assert listing.bids.count() == 2

    Listing.objects.filter(pk=listing.pk).update(closes_at=timezone.now() - datetime.timedelta(seconds=1))
    _as(page, base, "cement")
    page.goto(f"{base}/assets/listing/{listing.pk}/")
    assert world.steel.name not in page.locator("#bids").inner_text()  # the seller sees bids, not bidders
    with page.expect_navigation():
        page.locator("#settle").click()
    assert page.locator("#listing-status").inner_text() == "已成交"
    rows = page.locator("#trades tbody tr")
    assert rows.count() == 2
    text = page.locator("#trades").inner_text()
    assert "4.000 吨 × 3500.00 元/吨 = 14000.00 元" in text
    assert "6.000 吨 × 3200.00 元/吨 = 19200.00 元" in text  # glass asked 8 t, 6 t were left
    shot(page, "settled")
    trades = Trade.objects.filter(listing=listing)
    assert len({t.txn_id for t in trades}) == 1
    assert (_balance(world.cement), _balance(world.steel), _balance(glass)) == (10_000, 4_000, 6_000)
    assert ledger.verify_ledger().ok

"""Issue 11: no page overflows sideways. Each role's main pages, and the public statistics, are opened at a laptop's
width (1366 px) and a phone's (390 px): the document is never wider than the window, and no element reaches past
the window's right edge unless it sits inside a deliberate scroll container (a ``.table-wrap`` that scrolls inside
its box). One world, one browser context per width; a screenshot of every page at every width goes to
``test-artifacts/screenshots/test_layout--<width>-<role>-<page>.png``.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.assets.helpers import wipe_ledger  # noqa: F401 (the asset ledger: emptied before the flush)
from tests.factories import World
from tests.registry.test_access_log_chain import wipe_log  # noqa: F401 (the bank's reads: emptied before the flush)
from tests.web.helpers import submit_month

from .conftest import TIMEOUT_MS
from .helpers import SCREENSHOTS, login

WIDTHS = (1366, 390)

#: what the browser reports for one page: the document's width, the window's, and the elements past its right edge
#: that no scroll container holds (tag#id.class, their right edge)
OVERFLOW_JS = """
() => {
  const vw = window.innerWidth;
  const scrolls = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if ((s.overflowX === 'auto' || s.overflowX === 'scroll' || s.overflowX === 'hidden')
          && p.getBoundingClientRect().right <= vw + 0.5) return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right <= vw + 0.5 || scrolls(el)) continue;
    const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
    wide.push(name + ' → ' + Math.round(r.right) + 'px');
    if (wide.length >= 5) break;
  }
  return {document: document.documentElement.scrollWidth, window: vw, wide: wide};
}
"""


def _pages(world: World, entry_pk: int) -> list[tuple[str, str, str]]:
    """(user or "" for the public, a short name for the screenshot, path) for each role's main pages."""
    cement = world.cement.pk
    account = reverse("accounting:enterprise", args=[cement]) + "?year=2024"
    return [
        ("cement", "home", reverse("web:home")),
        ("cement", "report", reverse("reporting:index")),
        ("cement", "period", reverse("reporting:period", args=[2024, 1])),
        ("cement", "account", account),
        ("cement", "lineage", reverse("accounting:entry", args=[entry_pk])),
        ("cement", "rating", reverse("rating:enterprise", args=[cement])),
        ("cement", "assets", reverse("assets:enterprise", args=[cement])),
        ("gov", "home", reverse("web:home")),
        ("gov", "region", reverse("accounting:region") + "?year=2024"),
        ("gov", "monitoring", reverse("monitoring:dashboard")),
        ("gov", "alerts", reverse("monitoring:alerts")),
        ("gov", "completeness", reverse("monitoring:completeness")),
        ("gov", "enterprises", reverse("registry:enterprises")),
        ("gov", "rating-region", reverse("rating:region")),
        ("gov", "assets-enterprise", reverse("assets:enterprise", args=[cement])),
        ("gov", "assets-region", reverse("assets:region")),
        ("gov", "market", reverse("assets:market")),
        ("cement", "market", reverse("assets:market")),
        ("cement", "listing", reverse("assets:listing", args=[_listing_pk()])),
        ("bank", "home", reverse("web:home")),
        ("bank", "account", account),
        ("bank", "pledges", reverse("assets:bank")),
        ("verifier", "home", reverse("web:home")),
        ("verifier", "account", account),
        ("admin", "admin", "/admin/"),
        ("admin", "admin-organisations", "/admin/registry/organisation/"),
        ("", "stats", reverse("public-stats") + "?year=2024"),
        ("", "methods", reverse("public-methods")),
    ]


@pytest.mark.usefixtures("wipe_log", "wipe_ledger")
def test_no_page_is_wider_than_the_window(browser: Any, live_server: Any, world: World) -> None:
    users = world.users
    sub = submit_month(users["cement"], world.cement, 2024, 1)  # an account, its lineage and its rating to show
    admin = users["admin"]
    admin.is_staff = admin.is_superuser = True  # a platform administrator as demo/generator.py sets one up
    admin.save()
    _assets(world)  # rights, a bill with its derivation, a pledge and ledger lines on the assets pages
    pages = _pages(world, _entry_pk(sub))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    overflowing: list[str] = []
    for width in WIDTHS:
        context = browser.new_context(
            locale="zh-CN",
            viewport={"width": width, "height": 900},
            extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"},
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        try:
            who = None
            for user, name, path in pages:
                if user != who:
                    context.clear_cookies()
                    if user:
                        login(page, live_server.url, user, path="/admin/login/" if user == "admin" else "/login/")
                    who = user
                response = page.goto(live_server.url + path)
                assert response is not None and response.status == 200, (user, path)
                page.screenshot(
                    path=str(SCREENSHOTS / f"test_layout--{width}-{user or 'public'}-{name}.png"), full_page=True
                )
                found = page.evaluate(OVERFLOW_JS)
                if found["document"] > found["window"] or found["wide"]:
                    overflowing.append(
                        f"{width}px {user or 'public'} {path}: document {found['document']}px; {found['wide']}"
                    )
        finally:
            context.close()
    assert overflowing == [], "\n".join(overflowing)


def _assets(world: World) -> None:
    import datetime

    from dualcarbon.assets import services as assets
    from dualcarbon.assets.models import Asset, Factor

    if not Factor.objects.filter(code="COD").exists():  # an earlier transactional test flushed the migration's seed
        from importlib import import_module

        from django.apps import apps

        import_module("dualcarbon.assets.migrations.0003_seed_factors_assets").seed(apps, None)
    cod = Factor.objects.get(code="COD")
    assets.publish_fee_standard(
        world.city,
        cod,
        "4000",
        valid_from=datetime.date(2021, 1, 1),
        derivation="单位治理成本 3 200 元/吨 × 1.25（示范数据）",
        publisher="示范市发展和改革委员会",
        document="示范市排污权有偿使用费征收标准（试行）",
        clause="附表 1",
        published_on=datetime.date(2020, 12, 1),
    )
    conf = assets.confirm(
        world.users["gov"],
        world.cement,
        cod,
        "12.345",
        basis="permit",
        basis_reference="91339901MA2D8KQX38001P",
        confirmed_on=datetime.date(2024, 3, 1),
    )
    bill = assets.issue_bill(
        world.users["gov"], conf.pk, years=5, issued_on=datetime.date(2024, 3, 2), due_date=datetime.date(2024, 6, 30)
    )
    assets.record_payment(world.users["gov"], bill.pk, "100000", paid_on=datetime.date(2024, 5, 1), reference="SF-1")
    assets.pledge(
        world.users["cement"],
        Asset.objects.get(code="DR-COD"),
        2024,
        world.cement,
        6000,
        bank=world.bank,
        loan_reference="示范农商银行〔2024〕质借字第 018 号",
    )
    from django.utils import timezone

    from dualcarbon.assets import trading

    now = timezone.now()  # a bidding round of cement's with steel's bid, on the market and listing pages
    listing = trading.create_listing(
        world.users["cement"], world.cement, Asset.objects.get(code="DR-COD"), 2024, 3000, mode="auction",
        reserve_price="5000", opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(days=7),
    )  # fmt: skip
    trading.bid(world.users["steel"], listing.pk, world.steel, 2000, "5200.50")


def _listing_pk() -> int:
    from dualcarbon.assets.models import Listing

    return Listing.objects.values_list("pk", flat=True).first() or 0


#: how many lines the text of the first element matching a selector takes (1: not broken)
LINES_JS = """
(selector) => {
  const el = document.querySelector(selector);
  const range = document.createRange();
  range.selectNodeContents(el);
  return new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top))).size;
}
"""
#: the computed position and white-space of the first element matching a selector
STYLE_JS = """
(selector) => { const s = getComputedStyle(document.querySelector(selector)); return [s.position, s.whiteSpace]; }
"""


def test_alerts_and_the_cross_table_keep_their_words_whole(page: Any, live_server: Any, world: World) -> None:
    from dualcarbon.monitoring import services as monitoring
    from dualcarbon.monitoring.models import AlertRule

    # the rule migration 0002 seeds: a transactional test run before this one flushes seeded rows away
    AlertRule.objects.get_or_create(kind="missing_submission", region=None, defaults={"params": {}, "active": True})
    monitoring.evaluate_alerts("3399", 2024, 1)  # no January for cement and steel: two alerts to list
    login(page, live_server.url, "gov")
    page.goto(live_server.url + reverse("monitoring:alerts") + "?period=2024-01")
    assert page.locator("tbody tr a.small").count() == 2
    # the period ("2024-01") and the link 指派与记录 each stay on one line
    assert page.evaluate(LINES_JS, "tbody tr td:first-child a") == 1
    assert page.evaluate(LINES_JS, "tbody tr a.small") == 1
    assert page.locator("tbody tr a.small").first.inner_text() == "指派与记录"
    page.goto(live_server.url + reverse("public-stats") + "?year=2024")
    # the cross table scrolls inside its box, its district column sticks and its names stay whole
    assert page.evaluate(STYLE_JS, "#cross-table") == ["static", "normal"]
    assert page.evaluate("() => getComputedStyle(document.querySelector('#cross-table')).overflowX") == "auto"
    assert page.evaluate(STYLE_JS, "#cross-table tbody td:first-child") == ["sticky", "nowrap"]
    assert page.evaluate(LINES_JS, "#cross-table tbody td:first-child") == 1


def _entry_pk(sub: Any) -> int:
    from dualcarbon.accounting.models import AccountEntry

    return int(AccountEntry.objects.get(submission=sub).pk)

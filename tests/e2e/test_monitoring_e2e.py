"""Regional monitoring in the browser: the city government reads the submission completeness per district and
drills down to the enterprises that have not submitted.

The world is build_world(): cement (东城区) reports January–March 2024, steel (西城区) January only; the firm
outside the city reports too and must never appear.
"""

from __future__ import annotations

from typing import Any

from dualcarbon.reporting import services
from tests.e2e.helpers import login, shot
from tests.factories import World, cement_month

YEAR = 2024


def _report(world: World, key: str, org: Any, months: range) -> None:
    user = world.users[key]
    for month in months:
        draft = services.draft_for(user, org, YEAR, month)
        services.save_draft(user, draft, services.DraftData(**cement_month(clinker=50000 + 100 * month)))
        services.submit(user, draft)


def test_government_finds_the_enterprises_that_have_not_submitted(page: Any, live_server: Any, world: World) -> None:
    _report(world, "cement", world.cement, range(1, 4))
    _report(world, "steel", world.steel, range(1, 2))
    _report(world, "far", world.other_city_firm, range(1, 2))

    login(page, live_server.url, "gov")
    page.goto(f"{live_server.url}/monitoring/?year={YEAR}")
    table = page.locator("#completeness-districts")
    east = table.locator("tr[data-district='339901']")
    west = table.locator("tr[data-district='339902']")
    # 东城区: cement, 3 of 3 months; 西城区: steel, 1 of 3 months
    assert [c.strip() for c in east.locator("td").all_inner_texts()] == ["东城区", "1", "3", "3", "0", "100.0%"]
    assert [c.strip() for c in west.locator("td").all_inner_texts()] == ["西城区", "1", "3", "1", "2", "33.3%"]
    assert world.other_city_firm.name not in page.locator("body").inner_text()
    shot(page, "completeness-by-district")

    # drill down: 西城区's missing figure → the enterprises behind it
    west.get_by_role("link", name="2").click()
    page.wait_for_url("**/monitoring/completeness/**district=339902**")
    assert page.locator("h1").inner_text().strip() == "未按期报送的企业 · 西城区"
    rows = page.locator("#missing-list tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert world.steel.name in row and world.steel.uscc in row and "2 月" in row and "3 月" in row
    assert page.locator("#missing-count").inner_text().strip() == "2"
    body = page.locator("body").inner_text()
    assert world.cement.name not in body and world.other_city_firm.name not in body
    shot(page, "missing-enterprises")

    # from there to the enterprise's account
    rows.first.get_by_role("link", name=world.steel.name).click()
    page.wait_for_url(f"**/accounts/enterprise/{world.steel.pk}/**")
    assert world.steel.uscc in page.locator("body").inner_text()

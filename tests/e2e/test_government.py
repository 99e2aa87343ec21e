"""A city government officer reads the region page and drills down to an enterprise and one month's
calculation; the enterprise outside the city never appears. A district officer sees its district only."""

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


def test_government_reads_the_region_and_drills_down(page: Any, live_server: Any, world: World) -> None:
    _report(world, "cement", world.cement, range(1, 4))
    _report(world, "steel", world.steel, range(1, 3))
    _report(world, "far", world.other_city_firm, range(1, 3))
    base = live_server.url

    login(page, base, "gov")
    assert "/accounts/region/" in page.url  # the government's start page
    body = page.locator("body").inner_text()
    assert world.cement.name in body and world.steel.name in body
    assert world.other_city_firm.name not in body  # outside the city
    assert page.locator(".kpi.main .value").first.inner_text().strip() not in ("", "—")
    shot(page, "region")

    # drill down: district → enterprise → the month's calculation
    page.get_by_role("link", name=world.district_a.name).first.click()
    page.wait_for_url("**district=339901**")
    body = page.locator("body").inner_text()
    assert world.cement.name in body and world.steel.name not in body
    shot(page, "district")

    page.get_by_role("link", name=world.cement.name).first.click()
    page.wait_for_url(f"**/accounts/enterprise/{world.cement.pk}/**")
    assert world.cement.uscc in page.locator("body").inner_text()
    shot(page, "enterprise")

    page.locator("a[href*='/accounts/entry/']").first.click()
    page.wait_for_url("**/accounts/entry/**")
    assert page.locator("table.lineage tbody tr").count() >= 4


def test_district_sees_only_its_district(page: Any, live_server: Any, world: World) -> None:
    _report(world, "cement", world.cement, range(1, 2))
    _report(world, "steel", world.steel, range(1, 2))
    login(page, live_server.url, "district")
    assert "/accounts/region/" in page.url
    body = page.locator("body").inner_text()
    assert world.cement.name in body
    assert world.steel.name not in body and world.other_city_firm.name not in body
    # another enterprise's page by its address: not found
    response = page.goto(f"{live_server.url}/accounts/enterprise/{world.steel.pk}/")
    assert response is not None and response.status == 404

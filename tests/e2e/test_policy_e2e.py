"""Policy matching in the browser (docs/policy.md): the cement firm sees the policy it qualifies for with the reason
of every condition and a near miss saying which intensity reaches the better grade; the city's officer sees the
overview by policy with the money committed against the budget.

The world is build_world() plus five cement makers in the city, twelve months of 2024, rated as in
test_rating_e2e; two policies published through the services and the city matched once (no demo)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from dualcarbon.policy import services
from dualcarbon.policy.models import Match
from dualcarbon.rating.models import RatingResult
from tests.e2e.helpers import login, shot
from tests.e2e.test_rating_e2e import _rate
from tests.factories import World
from tests.rating.helpers import YEAR


def test_matches_with_reasons_and_the_budget_committed(page: Any, live_server: Any, world: World) -> None:
    _rate(world)
    g = RatingResult.objects.get(enterprise=world.cement, year=YEAR, month=0, is_current=True).grade
    assert g is not None and g >= 2
    gov = world.users["gov"]
    start = datetime.date(2024, 1, 1)
    pkg = services.create_package(
        gov, world.city, name_zh="示范市碳效码配套政策（测试）", publisher="示范市发改委", document="测试",
        published_on=start,
    )  # fmt: skip
    kw: dict[str, Any] = {"valid_from": start, "rematch": False, "kind": "subsidy", "benefit_kind": "fixed"}
    services.create_policy(
        gov, pkg, code="award", name_zh="碳效达标奖励", rule={"all": [{"fact": "grade", "op": "<=", "value": g}]},
        benefit_amount=Decimal("200000"), budget=Decimal("500000"), **kw,
    )  # fmt: skip
    services.create_policy(
        gov, pkg, code="better", name_zh="碳效提升奖励",
        rule={"all": [{"fact": "grade", "op": "<=", "value": g - 1}]}, benefit_amount=Decimal("300000"), **kw,
    )  # fmt: skip
    services.match(world.city.prefix, YEAR)
    n_award = Match.objects.filter(policy__code="award", is_current=True, status="matched").count()
    assert n_award >= 1

    base = live_server.url
    login(page, base, "cement")
    page.goto(f"{base}/policy/enterprise/{world.cement.pk}/")
    matched = page.locator("#matched article[data-policy=award]")
    assert "碳效达标奖励" in matched.inner_text() and "200,000.00" in matched.inner_text()
    assert f"本企业为 {g} 级，满足" in matched.locator("ul.reasons").inner_text()
    near = page.locator("#near article[data-policy=better]")
    to_fix = near.locator("ul.to-fix").inner_text()
    assert "碳排放强度再降低" in to_fix and f"可达 {g - 1} 级，即可享受该政策" in to_fix
    shot(page, "enterprise")

    page.context.clear_cookies()
    login(page, base, "gov")
    page.goto(f"{base}/policy/matches/?year={YEAR}")
    row = page.locator("#by-policy tr[data-policy=award]")
    cells = row.locator("td").all_inner_texts()
    assert cells[2] == str(n_award)
    assert cells[4] == f"{200000 * n_award:,.2f}" and cells[5] == "500,000.00"
    if 200000 * n_award > 500000:
        assert "超出预算" in cells[6]
    assert "碳效提升奖励" in page.locator("#by-policy").inner_text()

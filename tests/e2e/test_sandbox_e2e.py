"""The what-if policy sandbox in the browser: the city's officer drafts a tighter grade threshold, runs it, sees the
grade distribution shift (live beside draft) with the movers listed, and adopts it from 2024-01-01 — the region's
new scheme version, its grades re-rated through the live path, the run kept as the impact note.

The world is build_world() plus five cement makers in the city, twelve months of 2024, rated as in
test_rating_e2e (one rating; no demo)."""

from __future__ import annotations

from typing import Any

from dualcarbon.policy.models import SandboxDraft
from dualcarbon.rating.models import RatingResult, RegionRatingChoice
from tests.e2e.helpers import login, shot
from tests.e2e.test_rating_e2e import _rate
from tests.factories import World
from tests.rating.helpers import YEAR


def test_an_officer_drafts_a_threshold_runs_it_and_adopts_it(page: Any, live_server: Any, world: World) -> None:
    _rate(world)
    live = {r.enterprise_id: r.grade for r in RatingResult.objects.filter(year=YEAR, month=0, is_current=True)}
    base = live_server.url
    login(page, base, "gov")
    page.goto(base + "/policy/sandbox/")
    form = page.locator("#new-draft form")
    form.locator("input[name=title]").fill("收紧 1、2 级门槛")
    form.locator("select[name=kind]").select_option("scheme")
    form.locator("select[name=region]").select_option("339900")
    with page.expect_navigation():
        form.get_by_role("button", name="建立草案").click()
    draft = SandboxDraft.objects.get(title="收紧 1、2 级门槛")
    changes = page.locator("#changes form")
    assert changes.locator("input[name=grade_bounds_1]").input_value() == "0.8"  # the scheme in force
    changes.locator("input[name=grade_bounds_0]").fill("0.3")
    changes.locator("input[name=grade_bounds_1]").fill("0.5")
    with page.expect_navigation():
        changes.get_by_role("button", name="保存草案").click()
    with page.expect_navigation():
        page.locator("#run-sandbox").click()
    assert page.locator("h1").inner_text().startswith("沙盘推演结果")
    shot(page, "comparison")
    run = draft.runs.get()
    shifted = [d for d in run.figures["distribution"] if d["live"] != d["draft"]]
    assert shifted, "tighter thresholds must move some grades"
    for d in run.figures["distribution"]:
        row = page.locator(f"#distribution tr[data-mark='{d['mark']}']")
        assert row.locator("td[data-live]").inner_text() == str(d["live"])
        assert row.locator("td[data-draft]").inner_text() == str(d["draft"])
    movers = page.locator("#movers tr[data-direction=down]")
    assert movers.count() == run.n_down > 0
    # live data untouched by the run
    assert {r.enterprise_id: r.grade for r in RatingResult.objects.filter(year=YEAR, month=0, is_current=True)} == live
    page.get_by_role("link", name="收紧 1、2 级门槛").click()
    page.wait_for_url(f"**/policy/sandbox/{draft.pk}/")
    page.locator("#adopt input[name=valid_from]").fill(f"{YEAR}-01-01")
    with page.expect_navigation():
        page.locator("#adopt-draft").click()
    assert page.locator("#draft-status").inner_text() == "已采纳"
    assert "zj-efficiency-code@339900 v1" in page.locator(".page-head").inner_text()
    assert page.locator("#adopted").is_visible()
    shot(page, "adopted")
    draft.refresh_from_db()
    assert draft.impact_run == run
    assert RegionRatingChoice.objects.get(region_id="339900").scheme == draft.adopted_scheme
    now = {r.enterprise_id: r.grade for r in RatingResult.objects.filter(year=YEAR, month=0, is_current=True)}
    assert {m["enterprise"]: int(m["after"]) for m in run.figures["movers"]} == {
        e: g for e, g in now.items() if g != live[e]
    }

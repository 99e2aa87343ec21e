"""Near misses on grades and levels (docs/policy.md § Near misses on grades): a missed grade or level condition says
which intensity reaches it — the grade's upper K bound × the enterprise's benchmark, the level's upper L bound — and
by how much (% of today's intensity); the grade ruler grades the boundary itself into the better grade (upper ends
included) and anything above it into the worse."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from dualcarbon.engine import eligibility as el
from dualcarbon.policy import services
from dualcarbon.policy.models import Match
from dualcarbon.rating import facts as account_facts
from dualcarbon.rating import rule_wording as wording
from dualcarbon.rating import services as rating
from tests.policy.conftest import YEAR, PolicyWorld
from tests.policy.test_services import DAY, current, package, policy, result

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("policy")]


def test_the_ruler_grades_the_boundary_into_the_better_grade(pw: PolicyWorld) -> None:
    r = result(pw.world.cement)
    ruler = rating.ruler_for(r)
    assert ruler is not None and ruler.benchmark == Decimal(str(r.benchmark.value))
    bounds = [Decimal(str(b)) for b in r.scheme.params["grade_bounds"]]
    assert ruler.grade_bounds == tuple(bounds)
    assert ruler.grade_for(Decimal(str(r.intensity_l))) == r.grade  # the stored grade, recomputed
    for g in (1, 2, 3, 4):
        edge = bounds[g - 1] * ruler.benchmark
        assert ruler.max_intensity(g) == edge
        assert ruler.grade_for(edge) == g  # K = the bound: still this grade (upper end included)
        assert ruler.grade_for(edge * Decimal("1.000001")) == g + 1  # just above: the next grade
    assert ruler.max_intensity(5) is None  # the last grade has no upper bound
    p = rating.preview_intensity(ruler, bounds[0] * ruler.benchmark)
    assert (p["grade"], p["k"]) == (1, bounds[0])


def test_a_grade_near_miss_names_the_intensity_that_reaches_the_grade(pw: PolicyWorld) -> None:
    cement = pw.world.cement
    r = result(cement)
    g = r.grade
    assert g is not None and g >= 2, "the world's cement firm is graded below the best grade"
    pkg = package(pw)
    pol = policy(pw, pkg, {"all": [{"fact": "grade", "op": "<=", "value": g - 1}]}, code="better")
    services.match("3399", YEAR, on=DAY)
    m = current(cement, pol)
    assert m is not None and m.status == Match.Status.NEAR
    route = m.to_fix[0]["via_intensity"]
    bound = Decimal(str(r.scheme.params["grade_bounds"][g - 2]))
    bench = Decimal(str(r.benchmark.value))
    l_now = Decimal(str(r.intensity_l))
    needed = bound * bench
    assert Decimal(route["intensity"]) == needed
    assert Decimal(route["delta"]) == needed - l_now
    assert Decimal(route["relative_pct"]) == (needed - l_now) / l_now * 100
    assert route["target"] == g - 1 and route["result"] == r.pk
    pct = format(abs((needed - l_now) / l_now * 100).quantize(Decimal("0.1")), "f")
    with translation.override("zh-hans"):
        text = wording.gap_text(m.to_fix[0], sole=True)
        assert text.startswith(f"碳排放强度再降低 {pct} %")
        assert text.endswith(f"可达 {g - 1} 级，即可享受该政策")
    with translation.override("en"):
        text = wording.gap_text(m.to_fix[0], sole=True)
        assert f"{pct} % lower" in text and f"would reach grade {g - 1}" in text and "qualify" in text
    # with other conditions still missing, the grade line does not promise the policy
    with translation.override("zh-hans"):
        assert wording.gap_text(m.to_fix[0], sole=False).endswith(f"可达 {g - 1} 级")
    assert services.intensity_route(_missed_worse_grade(g), rating.ruler_for(r)) is None


def _missed_worse_grade(g: int) -> el.Outcome:
    """A condition asking for a worse grade than today's (a surcharge's rule): no intensity advice."""
    cond = el.parse_rule({"all": [{"fact": "grade", "op": ">=", "value": 5}]}, account_facts.CATALOGUE).items[0]
    return el.evaluate_condition(cond, account_facts.CATALOGUE["grade"], g)


def test_a_level_condition_is_near_when_its_intensity_is_within_the_threshold(pw: PolicyWorld) -> None:
    cement = pw.world.cement
    r = result(cement)
    l_now = Decimal(str(r.intensity_l))
    levels = [Decimal(str(b)) for b in r.scheme.params["level_bounds"]]
    assert r.level in ("medium", "high")
    target = "low" if r.level == "medium" else "medium"
    needed = levels[0] if target == "low" else levels[1]
    rel = abs((needed - l_now) / l_now * 100)
    pkg = package(pw)
    # the threshold just covers the distance: near; just short of it: not near (a category is otherwise never near)
    wide = policy(
        pw, pkg, {"all": [{"fact": "level", "op": "=", "value": target}]}, code="wide", near_miss_pct=rel.quantize(
            Decimal("0.01"), rounding="ROUND_UP"
        )
    )
    narrow = policy(
        pw, pkg, {"all": [{"fact": "level", "op": "=", "value": target}]}, code="narrow", near_miss_pct=rel.quantize(
            Decimal("0.01"), rounding="ROUND_DOWN"
        ) - Decimal("0.01")
    )
    services.match("3399", YEAR, on=DAY)
    m = current(cement, wide)
    assert m is not None and m.status == Match.Status.NEAR
    assert Decimal(m.to_fix[0]["via_intensity"]["intensity"]) == needed
    assert current(cement, narrow) is None
    with translation.override("zh-hans"):
        assert wording.gap_text(m.to_fix[0]).endswith(f"可达 {wording.value_text('level', target)}")

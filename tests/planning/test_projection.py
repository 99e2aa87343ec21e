"""What a plan unlocks (planning/projection.py, docs/planning.md § What a plan unlocks, § The grade a plan aims for):
the enterprise's facts projected along the plan's path and graded with the scheme that graded it; the policies and
bank products met after and not before (and those no longer met), each condition before → after; the target grade's
intensity and the shortfall, all against figures worked out here from the stored result, its benchmark and the
scheme's bounds. Nothing is stored."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from dualcarbon.engine import savings
from dualcarbon.finance import lending
from dualcarbon.planning import projection, services
from dualcarbon.planning.models import Measure
from dualcarbon.policy import services as policy
from dualcarbon.policy.models import Match, MatchRun
from dualcarbon.rating.models import RatingResult
from dualcarbon.registry import api_tokens
from tests.policy.conftest import YEAR, PolicyWorld, build
from tests.web.helpers import data_for_the_module

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("planning")]

D = Decimal
START = datetime.date(2025, 1, 1)


@pytest.fixture(scope="module")
def pw(django_db_setup: Any, django_db_blocker: Any) -> Iterator[PolicyWorld]:
    with data_for_the_module(django_db_blocker):
        w = build()
        gov, r = w.users["gov"], _result(w)
        g = r.grade
        assert g is not None and g >= 2, "the world's cement firm is graded 2 or worse"
        pkg = policy.create_package(
            gov, w.world.city, name_zh="测试政策包", publisher="示范市发改委", document="测试", published_on=START
        )
        rule = {"all": [{"fact": "grade", "op": "<=", "value": g - 1}]}
        kw: dict[str, Any] = {"valid_from": START, "rematch": False}
        policy.create_policy(
            gov, pkg, code="award", name_zh="碳效奖励", kind="subsidy", rule=rule, benefit_kind="fixed",
            benefit_amount=D("200000"), **kw,
        )  # fmt: skip
        policy.create_policy(
            gov, pkg, code="price", name_zh="差别电价", kind="electricity", benefit_kind="surcharge",
            benefit_amount=D("0.1"), rule={"all": [{"fact": "grade", "op": ">=", "value": g}]}, **kw,
        )  # fmt: skip
        policy.create_policy(
            gov, pkg, code="steady", name_zh="行业政策", kind="land", benefit_kind="none",
            rule={"all": [{"fact": "industry", "op": "=", "value": "30"}]}, **kw,
        )  # fmt: skip
        lending.create_product(
            w.users["bank"], None, code="TXD", name_zh="碳效贷", purpose_tag="carbon", valid_from=START, rule=rule,
            min_amount="100000", max_amount="20000000", min_term=6, max_term=36, base_rate_bp=385,
            grade_spreads={"1": -40, "2": -20, "3": 0, "4": 20, "5": 40},
        )  # fmt: skip
        Measure.objects.create(
            code="coal-cut", name_zh="节煤措施", name_en="Coal saving", sector="C", energy_type="原煤", unit_zh="tce",
            unit_en="tce", tce_per_unit=D("1"), conversion="fuel:RAW_COAL", capex_per_unit=D("500"),
            lifetime_years=10, source="测试", illustrative=True,
        )  # fmt: skip
        yield w


def _result(w: PolicyWorld) -> RatingResult:
    return RatingResult.objects.select_related("scheme", "benchmark").get(
        enterprise=w.world.cement, year=YEAR, month=0, is_current=True
    )


def _plan(w: PolicyWorld, fraction: Decimal, target_grade: int | None = None) -> Any:
    """A plan of cement from 2024 to 2026 without growth whose one measure, from 2026, cuts ``fraction`` of the base."""
    user = w.users["cement"]
    data = {"name": "测试规划", "base_year": YEAR, "until_year": 2026, "growth": "0", "target_grade": target_grade}
    plan = services.create_plan(user, w.world.cement, data)
    base = services.base_year(w.world.cement, YEAR).tco2
    per_tce = savings.convert(D(1), "tce", "equivalent", "fuel:RAW_COAL", region="339901", year=2026).tco2
    qty = (base * fraction / per_tce).quantize(D("0.01"), rounding=ROUND_UP)
    m = Measure.objects.get(code="coal-cut")
    services.add_item(user, plan, {"measure": m.pk, "quantity": str(qty), "start_year": "2026"})
    return plan


def test_a_plan_that_reaches_the_better_grade_unlocks_the_award_and_the_loan(pw: PolicyWorld) -> None:
    r = _result(pw)
    g, l_now, bench = r.grade, D(str(r.intensity_l)), D(str(r.benchmark.value))
    bounds = [D(str(b)) for b in r.scheme.params["grade_bounds"]]
    needed = bounds[g - 2] * bench  # the highest intensity of grade g − 1
    # cut just enough to be 1 % under the grade's bound (and above the next one)
    plan = _plan(pw, 1 - needed * D("0.99") / l_now, target_grade=g - 1)
    runs, matches = MatchRun.objects.count(), Match.objects.count()
    view = services.evaluate(plan)
    with translation.override("zh-hans"):
        p = projection.project(view)
    assert (MatchRun.objects.count(), Match.objects.count()) == (runs, matches)  # read only
    last = view.until
    ratio = last.planned / last.baseline
    changes = {c.fact: c for c in p.changes}
    assert changes["intensity"].after == (l_now * ratio).quantize(D("0.000001"), rounding=ROUND_HALF_UP)
    assert changes["intensity"].after <= needed
    assert (changes["grade"].before, changes["grade"].after) == (g, g - 1)
    assert changes["k"].after == (changes["intensity"].after / bench).quantize(D("0.000001"), rounding=ROUND_HALF_UP)
    e_now = D(str(r.inputs["emissions_tco2"]))
    assert changes["reduction"].after == (e_now * last.abatement / view.base.tco2).quantize(
        D("0.000001"), rounding=ROUND_HALF_UP
    )  # 2025 had no measure: the year-on-year cut is the measure's
    unlocked = {u.name: u for u in p.unlocked}
    assert set(unlocked) == {"碳效奖励", "碳效贷"}
    award = unlocked["碳效奖励"]
    assert award.committed == D("200000.00")
    row = award.conditions[0]
    assert (row.before, row.after, row.met_before, row.met_after) == (f"{g} 级", f"{g - 1} 级", False, True)
    loan = unlocked["碳效贷"]
    assert loan.owner == pw.world.bank.name and "年利率" in loan.benefit
    assert [u.name for u in p.ceased] == ["差别电价"]  # grade g's surcharge no longer applies
    t = p.target
    assert t is not None and (t.grade, t.needed, t.reached, t.short_pct, t.short_tco2) == (g - 1, needed, True, 0, 0)


def test_a_plan_short_of_its_target_grade_says_by_how_much(pw: PolicyWorld) -> None:
    r = _result(pw)
    g, l_now, bench = r.grade, D(str(r.intensity_l)), D(str(r.benchmark.value))
    bounds = [D(str(b)) for b in r.scheme.params["grade_bounds"]]
    plan = _plan(pw, D("0.02"), target_grade=g - 1)  # 2 %: not enough for the next grade
    view = services.evaluate(plan)
    p = projection.project(view)
    t = p.target
    assert t is not None and t.reached is False and t.projected_grade == g
    needed = bounds[g - 2] * bench
    projected = (l_now * view.until.planned / view.until.baseline).quantize(D("0.000001"), rounding=ROUND_HALF_UP)
    assert t.projected == projected
    assert t.short_pct == ((projected - needed) / projected * 100).quantize(D("0.1"), rounding=ROUND_HALF_UP)
    allowed = (view.until.baseline * needed / l_now).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert t.allowed_tco2 == allowed
    assert t.short_tco2 == (view.until.planned - allowed).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert p.unlocked == [] and p.ceased == []


def test_the_page_the_pdf_and_the_api_show_what_the_plan_unlocks(pw: PolicyWorld) -> None:
    r = _result(pw)
    l_now, bench = D(str(r.intensity_l)), D(str(r.benchmark.value))
    needed = D(str(r.scheme.params["grade_bounds"][r.grade - 2])) * bench
    plan = _plan(pw, 1 - needed * D("0.99") / l_now, target_grade=r.grade - 1)
    c = Client()
    c.force_login(pw.users["cement"])
    page = c.get(f"/planning/plans/{plan.pk}/").content.decode()
    assert "规划将新满足的条件" in page and "碳效奖励" in page and "碳效贷" in page and "200,000.00" in page
    en = c.get(f"/planning/plans/{plan.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "What the plan unlocks" in en and "Target grade" in en
    pdf = c.get(f"/planning/plans/{plan.pk}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    token = api_tokens.issue(pw.users["cement"], "plan system")[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = api.get(f"/api/planning/plans/{plan.pk}/projection").json()
    assert {u["name"] for u in body["unlocked"]} == {"碳效奖励", "碳效贷"}
    assert body["grade_target"]["reached"] is True and D(body["grade_target"]["intensity_needed"]) == needed
    earlier = api.get(f"/api/planning/plans/{plan.pk}/projection?at=2025").json()
    assert earlier["at"] == 2025 and earlier["unlocked"] == []  # the measure starts in 2026
    bad = api.get(f"/api/planning/plans/{plan.pk}/projection?at=2024", HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 422 and "at" in bad.content.decode()
    other = Client(HTTP_AUTHORIZATION=f"Bearer {api_tokens.issue(pw.users['steel'], 'x')[1]}")
    assert other.get(f"/api/planning/plans/{plan.pk}/projection").status_code == 404

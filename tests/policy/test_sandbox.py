"""The what-if sandbox (policy/sandbox.py): a run changes no live grade, benchmark, match or version; movers on a
hand-made region; budgets and benefit changes of a policy draft; adopting makes the version with its impact note;
bad drafts are refused with located errors in both languages and nothing written."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from dualcarbon.policy import sandbox, services
from dualcarbon.policy.models import Match, MatchRun, PolicyVersion, SandboxDraft, SandboxRun
from dualcarbon.rating.models import (
    IndustryBenchmark,
    RatingResult,
    RatingRun,
    RatingScheme,
    RegionRatingChoice,
    VerificationLabel,
)
from tests.policy.conftest import YEAR, PolicyWorld

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("policy")]

DAY = datetime.date(2025, 3, 1)
LIVE_TABLES = (RatingRun, RatingResult, IndustryBenchmark, VerificationLabel, RatingScheme, RegionRatingChoice)
POLICY_TABLES = (MatchRun, Match, PolicyVersion)


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every live rating and matching table, every column."""
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in (*LIVE_TABLES, *POLICY_TABLES)}


def award(pw: PolicyWorld) -> Any:
    pkg = services.create_package(
        pw.users["gov"],
        pw.world.city,
        name_zh="示范市碳效码配套政策（沙盘测试）",
        publisher="示范市发展和改革委员会",
        document="示发改〔2025〕9号",
        published_on=datetime.date(2025, 1, 10),
    )
    pol = services.create_policy(
        pw.users["gov"],
        pkg,
        code="award",
        name_zh="碳效提升奖励",
        kind="subsidy",
        valid_from=datetime.date(2025, 1, 1),
        rule={"all": [{"fact": "grade", "op": "<=", "value": 2}]},
        benefit_kind="fixed",
        benefit_amount=Decimal("100000"),
        budget=Decimal("250000"),
    )
    return pol


def live_k(prefix: str = "3399") -> dict[int, float]:
    return {
        r.enterprise_id: r.k_value
        for r in RatingResult.objects.filter(region_code__startswith=prefix, year=YEAR, month=0, is_current=True)
        if r.k_value is not None
    }


def grade_of(k: float, bounds: list[float]) -> int:
    """碳效码: K ≤ b1 → 1 … K > b4 → 5 (each upper end included), written out by hand."""
    return 1 + sum(1 for b in bounds if k > b)


def test_a_run_leaves_every_live_grade_and_match_unchanged(pw: PolicyWorld) -> None:
    gov = pw.users["gov"]
    pol = award(pw)
    draft = sandbox.create_draft(
        gov, pw.world.city, kind="scheme", title="收紧 2 级门槛", changes={"grade_bounds": [0.3, 0.5, 1.2, 2.0]}
    )
    pdraft = sandbox.create_draft(
        gov,
        pw.world.city,
        kind="policy",
        title="放宽奖励",
        policy=pol,
        changes={"rule": {"all": [{"fact": "grade", "op": "<=", "value": 3}]}},
    )
    before = snapshot()
    assert before["Match"], "the live matching must have rows for the comparison to mean something"
    r1 = sandbox.run(gov, draft, YEAR, on=DAY)
    r2 = sandbox.run(gov, pdraft, YEAR, on=DAY)
    assert snapshot() == before
    assert set(SandboxRun.objects.values_list("pk", flat=True)) == {r1.pk, r2.pk}
    assert r1.n_up + r1.n_down > 0 and r2.n_gain > 0  # the runs did compute changes


def test_movers_on_a_hand_made_region(pw: PolicyWorld) -> None:
    gov = pw.users["gov"]
    ks = live_k()
    live = {
        r.enterprise_id: r.grade
        for r in RatingResult.objects.filter(region_code__startswith="3399", year=YEAR, month=0, is_current=True)
    }
    assert len(ks) >= 6
    # bounds placed between the region's K values so that some grades move both ways
    sk = sorted(ks.values())
    bounds = [sk[1] - 1e-6, sk[2] + 1e-6, sk[4] - 1e-6, sk[-1] + 1]
    draft = sandbox.create_draft(gov, pw.world.city, kind="scheme", title="移动阈值", changes={"grade_bounds": bounds})
    run = sandbox.run(gov, draft, YEAR, on=DAY)
    expected = {e: grade_of(k, bounds) for e, k in ks.items()}
    up = {e for e in ks if expected[e] < live[e]}
    down = {e for e in ks if expected[e] > live[e]}
    movers = {m["enterprise"]: m for m in run.figures["movers"]}
    assert {e for e, m in movers.items() if m["direction"] == "up"} == up
    assert {e for e, m in movers.items() if m["direction"] == "down"} == down
    assert up and down
    for e in up | down:
        assert (movers[e]["before"], movers[e]["after"]) == (str(live[e]), str(expected[e]))
        assert movers[e]["k_after"] == pytest.approx(ks[e])  # the same benchmark: K unchanged, only the bounds moved
    dist = {d["mark"]: (d["live"], d["draft"]) for d in run.figures["distribution"]}
    for g in range(1, 6):
        assert dist.get(str(g), (0, 0))[1] == sum(1 for v in expected.values() if v == g)
        assert dist.get(str(g), (0, 0))[0] == sum(1 for v in live.values() if v == g)
    by_district = {d["code"]: d for d in run.figures["by_district"]}
    cement, steel = pw.world.cement, pw.world.steel
    for org in (cement, steel):
        d = by_district[org.region_id]
        members = {e for e in ks if e in {o.pk for o in type(org).objects.filter(region_id=org.region_id)}}
        assert (d["up"], d["down"]) == (len(members & up), len(members & down))
    assert (run.n_up, run.n_down) == (len(up), len(down))
    assert run.figures["draft"]["params"]["grade_bounds"] == bounds


def test_a_policy_draft_moves_budgets_and_benefits(pw: PolicyWorld) -> None:
    gov = pw.users["gov"]
    pol = award(pw)
    grades = {
        r.enterprise_id: r.grade
        for r in RatingResult.objects.filter(region_code__startswith="3399", year=YEAR, month=0, is_current=True)
    }
    draft = sandbox.create_draft(
        gov,
        pw.world.city,
        kind="policy",
        title="放宽到 3 级并提高预算",
        policy=pol,
        changes={"rule": {"all": [{"fact": "grade", "op": "<=", "value": 3}]}, "budget": "400000"},
    )
    run = sandbox.run(gov, draft, YEAR, on=DAY)
    n_live = sum(1 for g in grades.values() if g and g <= 2)
    n_draft = sum(1 for g in grades.values() if g and g <= 3)
    row = next(b for b in run.figures["budgets"] if b["policy"] == pol.pk)
    assert (row["live_matched"], row["draft_matched"]) == (n_live, n_draft)
    assert Decimal(row["live_committed"]) == Decimal(100000) * n_live
    assert Decimal(row["draft_committed"]) == Decimal(100000) * n_draft
    assert (row["live_cap"], row["draft_cap"]) == ("250000.00", "400000.00")
    assert row["draft_over"] == (Decimal(100000) * n_draft > 400000)
    gains = {c["enterprise"] for c in run.figures["benefits"] if c["change"] == "gain"}
    assert gains == {e for e, g in grades.items() if g == 3}
    assert run.n_loss == 0
    one = next(c for c in run.figures["benefits"] if c["change"] == "gain")
    assert one["outcomes_draft"][0]["status"] == "met" and one["facts"]["grade"]["value"] == 3


def test_adopting_a_scheme_draft_makes_the_regions_version_with_its_run(pw: PolicyWorld) -> None:
    gov = pw.users["gov"]
    award(pw)
    bounds = [0.3, 0.5, 1.2, 2.0]
    draft = sandbox.create_draft(gov, pw.world.city, kind="scheme", title="收紧", changes={"grade_bounds": bounds})
    with pytest.raises(ValidationError):  # no impact note yet
        sandbox.adopt(gov, draft, datetime.date(YEAR, 1, 1))
    run = sandbox.run(gov, draft, YEAR, on=DAY)
    draft = sandbox.adopt(gov, draft, datetime.date(YEAR, 1, 1))
    assert draft.status == "adopted" and draft.impact_run == run
    scheme = draft.adopted_scheme
    assert scheme is not None and scheme.code == "zj-efficiency-code@339900" and scheme.version == 1
    assert scheme.params["grade_bounds"] == bounds
    choice = RegionRatingChoice.objects.get(region=pw.world.city, valid_to__isnull=True)
    assert choice.scheme == scheme and choice.valid_from == datetime.date(YEAR, 1, 1)
    # re-rated through the live path: the year's current grades are the sandbox's draft grades
    now = {
        r.enterprise_id: r.grade
        for r in RatingResult.objects.filter(region_code__startswith="3399", year=YEAR, month=0, is_current=True)
    }
    assert all(
        r.scheme_id == scheme.pk
        for r in RatingResult.objects.filter(region_code__startswith="3399", year=YEAR, month=0, is_current=True)
    )
    for m in run.figures["movers"]:
        assert str(now[m["enterprise"]]) == m["after"]
    assert MatchRun.objects.filter(reason="rating").exists()  # the rating's signal matched again
    with pytest.raises(ValidationError):
        sandbox.run(gov, draft, YEAR)  # adopted: closed


def test_adopting_a_policy_draft_publishes_a_version_linked_to_its_run(pw: PolicyWorld) -> None:
    gov = pw.users["gov"]
    pol = award(pw)
    draft = sandbox.create_draft(
        gov, pw.world.city, kind="policy", title="提高预算", policy=pol, changes={"budget": "900000"}
    )
    run = sandbox.run(gov, draft, YEAR, on=DAY)
    sandbox.update_draft(gov, draft, changes={"budget": "800000"})
    with pytest.raises(ValidationError, match="重新推演"):
        sandbox.adopt(gov, draft, datetime.date(2025, 6, 1))
    run = sandbox.run(gov, draft, YEAR, on=DAY)
    draft = sandbox.adopt(gov, draft, datetime.date(2025, 6, 1))
    v = draft.adopted_version
    assert (
        v is not None
        and v.version == 2
        and v.budget == Decimal("800000.00")
        and v.valid_from == datetime.date(2025, 6, 1)
    )
    assert v.adopted_from_draft.impact_run == run
    assert PolicyVersion.objects.get(policy=pol, version=1).valid_to == datetime.date(2025, 6, 1)


@pytest.mark.parametrize(
    ("kind", "changes", "where", "zh", "en"),
    [
        (
            "scheme",
            {"grade_bounds": [0.6, "abc", 1.2, 2.0]},
            "changes.grade_bounds[1]",
            "“abc”不是数字",
            "is not a number",
        ),
        ("scheme", {"grade_bounds": [0.6, 0.8, 2.0]}, "changes.grade_bounds", "应有 4 个数值", "4 values"),
        ("scheme", {"grade_bounds": [0.8, 0.6, 1.2, 2.0]}, "changes.grade_bounds", "严格递增", "strictly ascending"),
        ("scheme", {"weights": 1}, "changes.weights", "未知参数", "Unknown parameter"),
        (
            "policy",
            {"rule": {"all": [{"fact": "grade", "op": "<=", "value": "x"}]}},
            "changes.rule.all[0].value",
            "",
            "",
        ),
        ("policy", {"budget": "-5"}, "changes.budget", "不能为负数", "negative"),
    ],
)
def test_bad_drafts_are_refused_located_and_nothing_is_written(pw, kind, changes, where, zh, en) -> None:
    gov = pw.users["gov"]
    pol = award(pw) if kind == "policy" else None
    n = SandboxDraft.objects.count()
    with pytest.raises(ValidationError) as exc:
        sandbox.create_draft(gov, pw.world.city, kind=kind, title="坏草案", changes=changes, policy=pol)
    with translation.override("zh-hans"):
        msgs_zh = exc.value.message_dict
    with translation.override("en"):
        msgs_en = exc.value.message_dict
    assert where in msgs_zh, msgs_zh
    assert zh in msgs_zh[where][0] and en in msgs_en[where][0]
    assert msgs_zh[where][0] != msgs_en[where][0]
    assert SandboxDraft.objects.count() == n


def test_only_the_regions_government_drafts(pw: PolicyWorld) -> None:
    for who in ("cement", "bank", "verifier", "district"):
        with pytest.raises(PermissionDenied):
            sandbox.create_draft(
                pw.users[who],
                pw.world.city,
                kind="scheme",
                title="越权",
                changes={"grade_bounds": [0.5, 0.8, 1.2, 2.0]},
            )
    assert not SandboxDraft.objects.exists()

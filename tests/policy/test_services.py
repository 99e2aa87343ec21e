"""Matching (policy/services.py): facts with lineage, boundaries of each condition, near-miss distances, reruns
when policies and grades change, budgets, effective-dated versions and who may publish."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.policy import services
from dualcarbon.policy.models import Match, MatchRun, PolicyPackage, PolicyVersion
from dualcarbon.rating import facts as account_facts
from dualcarbon.rating import services as rating
from dualcarbon.rating.models import RatingResult
from tests.policy.conftest import YEAR, PolicyWorld

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("policy")]

DAY = datetime.date(2025, 3, 1)


def result(org, year=YEAR) -> RatingResult:
    return RatingResult.objects.get(enterprise=org, year=year, month=0, is_current=True)


def package(pw: PolicyWorld) -> PolicyPackage:
    return services.create_package(
        pw.users["gov"],
        pw.world.city,
        name_zh="示范市碳效码配套政策（测试）",
        publisher="示范市发展和改革委员会",
        document="示发改〔2025〕1号",
        published_on=datetime.date(2025, 1, 10),
    )


def policy(pw: PolicyWorld, pkg: PolicyPackage, rule: dict, code: str = "award", **kw):
    fields = {"benefit_kind": "fixed", "benefit_amount": Decimal("200000"), "budget": Decimal("500000"), **kw}
    return services.create_policy(
        pw.users["gov"],
        pkg,
        code=code,
        name_zh="碳效提升奖励",
        kind="subsidy",
        valid_from=datetime.date(2025, 1, 1),
        rule=rule,
        rematch=False,
        **fields,
    )


def current(org, pol) -> Match | None:
    return Match.objects.filter(enterprise=org, policy=pol, is_current=True).first()


def test_facts_carry_the_figures_and_their_lineage(pw: PolicyWorld) -> None:
    cement = pw.world.cement
    now, before = result(cement), result(cement, 2023)
    f = account_facts.facts_for(cement, YEAR)
    assert f is not None
    assert f.facts["grade"].value == now.grade
    assert f.facts["intensity"].value == Decimal(str(now.intensity_l))
    assert f.facts["grade"].source == {
        "kind": "rating_result",
        "result": now.pk,
        "run": now.run_id,
        "scheme": now.scheme.label,
        "year": YEAR,
    }
    l_now, l_before = Decimal(str(now.intensity_l)), Decimal(str(before.intensity_l))
    assert f.facts["intensity_trend"].value == (l_now - l_before) / l_before * 100
    assert f.facts["intensity_trend"].value < 0  # 2024 burned less coal
    e_now = Decimal(str(now.inputs["emissions_tco2"]))
    e_before = Decimal(str(before.inputs["emissions_tco2"]))
    assert f.facts["reduction"].value == e_before - e_now
    assert (f.facts["industry"].value, f.facts["district"].value) == ("30", "339901")
    # no entry in a transition library (finance answers the fact: tests/finance/cert for certified ones)
    assert (f.facts["certification"].value, f.facts["certification"].source["applications"]) == ("none", [])
    # the tier holding the largest share of the year's |tCO2e| (AccountEntry.by_tier, summed over the months)
    shares: dict[str, float] = {}
    for e in AccountEntry.objects.filter(enterprise=cement, year=YEAR, is_current=True):
        for tier, t in e.by_tier.items():
            shares[tier] = shares.get(tier, 0.0) + t
    assert f.facts["data_tier"].value == int(max(shares, key=lambda k: shares[k]))
    assert f.facts["data_tier"].source["entries"] == sorted(now.inputs["entries"])
    assert f.facts["verification"].value == "unverified"  # submitted, nobody verified yet
    assert len(f.facts["verification"].source["submissions"]) == 12


def test_intensity_boundary_match_near_miss_and_miss(pw: PolicyWorld) -> None:
    cement = pw.world.cement
    l_now = Decimal(str(result(cement).intensity_l))
    pkg = package(pw)
    at = policy(pw, pkg, {"all": [{"fact": "intensity", "op": "<=", "value": str(l_now)}]}, code="at")
    strict = policy(pw, pkg, {"all": [{"fact": "intensity", "op": "<", "value": str(l_now)}]}, code="strict")
    # 5 % below the figure: a near miss at the default 10 %, at 0.05 × L lower
    near_bound = l_now * Decimal("0.95")
    near = policy(pw, pkg, {"all": [{"fact": "intensity", "op": "<=", "value": str(near_bound)}]}, code="near")
    far = policy(pw, pkg, {"all": [{"fact": "intensity", "op": "<=", "value": str(l_now / 2)}]}, code="far")
    run = services.match("3399", YEAR, on=DAY)
    assert current(cement, at).status == Match.Status.MATCHED
    m = current(cement, strict)
    assert m.status == Match.Status.NEAR and m.to_fix[0]["delta"] == "0" and m.to_fix[0]["strict"] is True
    m = current(cement, near)
    assert m.status == Match.Status.NEAR
    assert Decimal(m.to_fix[0]["delta"]) == near_bound - l_now
    assert Decimal(m.to_fix[0]["relative_pct"]) == Decimal("-5.00")
    assert current(cement, far) is None  # 50 % lower is not "near": not stored
    assert run.n_enterprises == 7  # 示范市: cement, steel, five peers


def test_grade_steps_and_category_conditions(pw: PolicyWorld) -> None:
    cement, steel = pw.world.cement, pw.world.steel
    g = result(cement).grade
    pkg = package(pw)
    one_better = policy(pw, pkg, {"all": [{"fact": "grade", "op": "<=", "value": g - 1}]}, code="g1")
    two_better = policy(pw, pkg, {"all": [{"fact": "grade", "op": "<=", "value": g - 2}]}, code="g2") if g > 2 else None
    cement_only = policy(
        pw,
        pkg,
        {
            "all": [
                {"fact": "industry", "op": "=", "value": "30"},
                {"fact": "district", "op": "in", "value": ["339901"]},
            ]
        },
        code="cat",
    )
    services.match("3399", YEAR, on=DAY)
    m = current(cement, one_better)
    assert (m.status, m.to_fix[0]["delta"]) == (Match.Status.NEAR, "-1")
    if two_better is not None:
        assert current(cement, two_better) is None  # two grade steps: not near
    assert current(cement, cement_only).status == Match.Status.MATCHED
    assert current(steel, cement_only) is None  # another industry is never a near miss


def test_a_policy_change_reruns_the_matching_and_keeps_the_history(pw: PolicyWorld) -> None:
    cement = pw.world.cement
    l_now = Decimal(str(result(cement).intensity_l))
    pkg = package(pw)
    pol = policy(pw, pkg, {"all": [{"fact": "intensity", "op": "<=", "value": str(l_now)}]})
    services.match("3399", YEAR)
    first = current(cement, pol)
    assert first.status == Match.Status.MATCHED and first.committed == Decimal("200000.00")
    runs = MatchRun.objects.count()
    # the threshold tightens from tomorrow on … the region is matched again at once, for today
    today = datetime.date.today()
    services.publish_version(
        pw.users["gov"],
        pol,
        today,
        rule={"all": [{"fact": "intensity", "op": "<=", "value": str(l_now / 2)}]},
        benefit_kind="fixed",
        benefit_amount=Decimal("200000"),
    )
    assert MatchRun.objects.count() == runs + 1
    assert MatchRun.objects.order_by("-pk").first().reason == MatchRun.Reason.POLICY
    assert current(cement, pol) is None
    first.refresh_from_db()
    assert first.is_current is False  # kept, no longer current
    versions = list(PolicyVersion.objects.filter(policy=pol).order_by("version"))
    assert [(v.version, v.valid_from, v.valid_to) for v in versions] == [
        (1, datetime.date(2025, 1, 1), today),
        (2, today, None),
    ]


def test_a_rating_run_reruns_the_matching(pw: PolicyWorld) -> None:
    pkg = package(pw)
    pol = policy(pw, pkg, {"all": [{"fact": "grade", "op": ">=", "value": 1}]})
    runs = MatchRun.objects.count()
    rating.rate_region("3399", YEAR)
    run = MatchRun.objects.order_by("-pk").first()
    assert MatchRun.objects.count() == runs + 1
    assert (run.reason, run.year, run.n_enterprises, run.n_matched) == (MatchRun.Reason.RATING, YEAR, 7, 7)
    assert Match.objects.filter(policy=pol, is_current=True).count() == 7


def test_budget_committed_per_policy(pw: PolicyWorld) -> None:
    pkg = package(pw)
    fixed = policy(pw, pkg, {"all": [{"fact": "grade", "op": ">=", "value": 1}]}, code="fixed")
    per_t = policy(
        pw,
        pkg,
        {"all": [{"fact": "industry", "op": "=", "value": "30"}]},
        code="pert",
        benefit_kind="per_tco2",
        benefit_amount=Decimal("50"),
        budget=None,
    )
    services.match("3399", YEAR, on=DAY)
    ms = Match.objects.filter(is_current=True)
    b = {x.policy.code: x for x in services.budgets(ms, [fixed, per_t], DAY)}
    # 7 graded enterprises × 200 000 元 = 1 400 000 元 against a budget of 500 000 元: 280 %
    assert (b["fixed"].n_matched, b["fixed"].committed, b["fixed"].over) == (7, Decimal("1400000.00"), True)
    assert b["fixed"].share_pct == Decimal("280.0")
    # 50 元/tCO2 × each cement maker's year-on-year reduction (6 cement makers: cement and five peers)
    expected = Decimal(0)
    for org in [pw.world.cement, *pw.rw.peers]:
        e_now = Decimal(str(result(org).inputs["emissions_tco2"]))
        e_before = Decimal(str(result(org, 2023).inputs["emissions_tco2"]))
        expected += (Decimal(50) * (e_before - e_now)).quantize(Decimal("0.01"))
    assert (b["pert"].n_matched, b["pert"].committed, b["pert"].budget) == (6, expected, None)


def test_versions_never_overlap(pw: PolicyWorld) -> None:
    pkg = package(pw)
    pol = policy(pw, pkg, {"all": [{"fact": "grade", "op": ">=", "value": 1}]})
    later = datetime.date(2025, 6, 1)
    services.publish_version(
        pw.users["gov"],
        pol,
        later,
        rule={"all": [{"fact": "grade", "op": "<=", "value": 3}]},
        benefit_kind="none",
        rematch=False,
    )
    with pytest.raises(ValidationError) as exc:  # a version before the later one would overlap it
        services.publish_version(
            pw.users["gov"],
            pol,
            datetime.date(2025, 3, 1),
            benefit_kind="none",
            rule={"all": [{"fact": "grade", "op": "<=", "value": 2}]},
            rematch=False,
        )
    assert "重叠" in exc.value.message_dict["valid_from"][0]
    assert PolicyVersion.objects.filter(policy=pol).count() == 2


def test_a_bad_rule_is_refused_with_its_place(pw: PolicyWorld) -> None:
    pkg = package(pw)
    pol = policy(pw, pkg, {"all": [{"fact": "grade", "op": ">=", "value": 1}]})
    with pytest.raises(ValidationError) as exc:
        services.publish_version(
            pw.users["gov"],
            pol,
            datetime.date(2025, 6, 1),
            benefit_kind="none",
            rule={"all": [{"fact": "grade", "op": "<=", "value": "x"}]},
        )
    assert "all[0].value" in exc.value.message_dict["rule"][0]
    assert PolicyVersion.objects.filter(policy=pol).count() == 1


def test_only_the_regions_government_publishes(pw: PolicyWorld) -> None:
    pkg = package(pw)
    for role in ("district", "cement", "bank"):  # the district does not govern the city's package
        with pytest.raises(PermissionDenied):
            services.create_policy(
                pw.users[role],
                pkg,
                code="x",
                name_zh="x",
                kind="tax",
                valid_from=datetime.date(2025, 1, 1),
                benefit_kind="none",
                rule={"all": [{"fact": "grade", "op": "<=", "value": 2}]},
            )
    with pytest.raises(PermissionDenied):
        services.create_package(
            pw.users["district"],
            pw.world.city,
            name_zh="x",
            publisher="x",
            document="x",
            published_on=datetime.date(2025, 1, 1),
        )
    assert pkg.policies.count() == 0

"""The alert rules' evaluators: the intensity rule's benchmark is the rating's ratio of sums (Σ tCO2e ÷ Σ value
added of the division, computed by hand here), and each evaluator reads the apps below with a fixed number of
queries whatever the number of enterprises."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.monitoring import evaluators, services
from dualcarbon.monitoring.models import Alert, AlertRule, Target
from tests.web.helpers import add_enterprises, fast_world, submit_many

#: (division, tCO2e, value added 万元) of the month's entries, in the order of the enterprises below
ENTRIES: list[tuple[str, float, float | None]] = [
    ("30", 100.0, 100.0),  # intensity 1.0
    ("30", 300.0, 100.0),  # 3.0
    ("30", 50.0, 50.0),  # 1.0
    ("30", 900.0, 100.0),  # 9.0: above 1.5 × the benchmark
    ("30", 20.0, 0.0),  # value added 0: not in the benchmark
    ("30", 40.0, None),  # no value added: not in the benchmark
    ("31", 10.0, 100.0),  # 0.1
    ("31", 500.0, 100.0),  # 5.0
]
#: division 30 by hand: Σ tCO2e = 100 + 300 + 50 + 900 = 1350 over Σ value added = 100 + 100 + 50 + 100 = 350
#: (4 enterprises); the mean of their intensities would be (1 + 3 + 1 + 9) / 4 = 3.5, counting the entry with value
#: added 0 would make it 1370 / 350
BENCH_30 = 1350.0 / 350.0
#: division 31: (10 + 500) / (100 + 100), 2 enterprises
BENCH_31 = 510.0 / 200.0


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        [(i, d, t, math.nan if va is None else va) for i, (d, t, va) in enumerate(ENTRIES)],
        columns=["enterprise", "division", "total_tco2e", "value_added"],
    )


def test_division_benchmarks_are_the_ratio_of_sums():
    bench = evaluators.division_benchmarks(_frame())
    assert set(bench) == {"30", "31"}
    assert bench["30"]["value"] == pytest.approx(BENCH_30, rel=1e-12) and bench["30"]["n"] == 4
    assert bench["30"]["value_added"] == pytest.approx(350.0)
    assert bench["31"]["value"] == pytest.approx(BENCH_31, rel=1e-12) and bench["31"]["n"] == 2
    assert evaluators.division_benchmarks(_frame().iloc[0:0]) == {}


def _only(kind: str, **params: Any) -> AlertRule:
    AlertRule.objects.update(active=False)
    rule = AlertRule.objects.get(kind=kind, region__isnull=True)
    if params:
        rule.params = params
    rule.active = True
    rule.save()
    return rule


@pytest.mark.django_db
def test_intensity_alert_compares_with_the_divisions_ratio_of_sums(settings):
    world = fast_world(settings)
    u = world.users
    ents = add_enterprises(world, 6)
    orgs = [(u["cement"], world.cement), (u["steel"], world.steel), *ents]
    submit_many([(user, org, 2024, 3) for user, org in orgs])
    for (_user, org), (division, total, va) in zip(orgs, ENTRIES, strict=True):
        AccountEntry.objects.filter(enterprise=org, is_current=True, year=2024, month=3).update(
            industry_code=division + "11",
            total_tco2e=total,
            value_added=va,
            intensity=total / va if va else None,
        )
    _only("intensity_above_benchmark", factor=1.5, min_group=3)
    services.evaluate_alerts("3399", 2024, 3)
    hit = Alert.objects.get(kind="intensity_above_benchmark")  # only the 9.0 (division 31 has 2 enterprises)
    assert hit.enterprise_id == orgs[3][1].pk
    assert hit.evidence["benchmark"] == pytest.approx(BENCH_30, rel=1e-12)
    assert hit.evidence["group_size"] == 4 and hit.evidence["division"] == "30"
    assert hit.evidence["intensity"] == 9.0 and hit.evidence["factor"] == 1.5
    assert f"基准 {BENCH_30:.3f} 的 1.5 倍" in hit.message_zh and f"benchmark {BENCH_30:.3f}" in hit.message_en

    _only("intensity_above_benchmark", factor=1.5, min_group=2)
    Alert.objects.all().delete()
    services.evaluate_alerts("3399", 2024, 3)
    by_enterprise = {a.enterprise_id: a for a in Alert.objects.filter(kind="intensity_above_benchmark")}
    assert set(by_enterprise) == {orgs[3][1].pk, orgs[7][1].pk}  # 5.0 > 1.5 × 2.55
    assert by_enterprise[orgs[7][1].pk].evidence["benchmark"] == pytest.approx(BENCH_31, rel=1e-12)
    assert by_enterprise[orgs[7][1].pk].evidence["group_size"] == 2


#: queries of each evaluator (behind the accounting, reporting and rating services), whatever the data
EVALUATOR_QUERIES = {
    "mom_jump": 1,
    "intensity_above_benchmark": 2,
    "missing_submission": 1,
    "budget_overrun_projected": 2,  # the targets, then the region-month totals
    "downgrade": 1,
}


def _evaluator_queries() -> dict[str, int]:
    out = {}
    for rule in AlertRule.objects.filter(region__isnull=True):
        with CaptureQueriesContext(connection) as ctx:
            evaluators.EVALUATORS[rule.kind](rule, "3399", 2024, 3, "2024-03")
        out[rule.kind] = len(ctx.captured_queries)
    return out


@pytest.mark.django_db
def test_each_evaluator_issues_a_fixed_number_of_queries(settings):
    world = fast_world(settings)
    u = world.users
    Target.objects.create(region=world.city, year=2024, total_tco2e=10.0)
    submit_many([(u["cement"], world.cement, 2024, m) for m in (2, 3)] + [(u["steel"], world.steel, 2024, 2)])
    small = _evaluator_queries()
    assert small == EVALUATOR_QUERIES
    ents = add_enterprises(world, 9)
    submit_many([(us, o, 2024, m) for us, o in ents for m in (2, 3) if (o.pk + m) % 4])
    assert _evaluator_queries() == small

"""Smoke test of the monitoring part of bench/rating.py on the tests' small world: the summary rebuilds, the
incremental refresh and the monitoring pages run, and their statement/query counts do not depend on the number of
enterprises (2 against 14 in the city). No timing is asserted."""

from __future__ import annotations

from typing import Any

import pytest

from dualcarbon.monitoring.models import SummaryCell
from tests.bench.test_rating_smoke import bench
from tests.web.helpers import add_enterprises, fast_world, submit_many

pytestmark = pytest.mark.django_db


def _measure(world: Any) -> dict[str, list[int]]:
    period = SummaryCell.objects.filter(enterprise=world.cement, year=2024).order_by("-month").first().period_id
    out = {}
    for name, op in bench.summary_operations("3399", period):
        r = bench.measure_summary(name, op, warmup=1, runs=2)
        assert len(r.query_counts) == 1, (name, r.query_counts)
        assert r.cells > 0 and r.rollup_rows > 0 and r.max_s >= r.median_s >= r.min_s > 0
        out[name] = r.query_counts
    cells = SummaryCell.objects.count()
    assert bench.summary_operations("3399", period)[0][1]().cells == cells  # the rolled-back runs changed nothing
    results = bench.pages.measure(bench.monitoring_pages_for(world.users["gov"], 2024, "339901"), warmup=1, repeat=2)
    assert [r.name for r in results] == ["dashboard", "dashboard_district", "completeness", "public_stats"]
    for r in results:
        assert len(r.query_counts) == 1 and r.bytes > 0, (r.name, r.query_counts)
        out[r.name] = r.query_counts
    return out


def test_summary_statements_and_page_queries_do_not_grow(settings):
    world = fast_world(settings)
    u = world.users
    # steel misses March: the completeness list has a row at both sizes (an empty list skips its per-row queries)
    submit_many([(u["cement"], world.cement, 2024, m) for m in (1, 2, 3)] + [(u["steel"], world.steel, 2024, 1)])
    small = _measure(world)
    ents = add_enterprises(world, 12)
    submit_many([(us, o, 2024, m) for us, o in ents for m in (1, 2, 3) if (o.pk + m) % 5])
    large = _measure(world)
    assert large == small


def test_compare_covers_the_summary_and_the_monitoring_pages():
    def size(n: int, rebuild_q: int) -> dict[str, Any]:
        return {
            "enterprises": n,
            "rate": {"median_s": 1.0, "queries": 7, "query_counts": [7]},
            "pages": [],
            "summary": [{"name": "rebuild_all", "median_s": 0.1, "queries": rebuild_q, "query_counts": [rebuild_q]}],
            "monitoring_pages": [{"name": "dashboard", "median_ms": 9.0, "queries": 19, "query_counts": [19]}],
        }

    rows = bench.compare(size(320, 8), size(3200, 8))
    assert [(r["what"], r["queries_ok"]) for r in rows] == [
        ("rate_region", True),
        ("rebuild_all", True),
        ("dashboard", True),
    ]
    assert not bench.compare(size(320, 8), size(3200, 9))[1]["queries_ok"]

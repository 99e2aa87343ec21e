"""Smoke test of bench/pages.py on the tests' small world: every page answers and its query count does
not depend on the amount of data (1 month against 6 months). No timing is asserted."""

from __future__ import annotations

from pathlib import Path

import pytest

from dualcarbon.accounting.models import AccountEntry
from tests.bench import scripts
from tests.web.helpers import fast_world, submit_many, submit_month

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


bench = scripts.load("pages")


def _measure(world):
    entry = AccountEntry.objects.get(enterprise=world.cement, year=2024, month=1, is_current=True)
    pages = bench.pages_for(
        world.users["cement"], world.cement.pk, entry.pk, world.users["gov"], 2024, world.district_a.code, "30"
    )
    results = bench.measure(pages, warmup=1, repeat=2)
    assert [r.name for r in results] == [
        "enterprise",
        "lineage",
        "region",
        "region_filtered",
        "region_page10",
        "dashboard",
        "dashboard_district",
        "public_stats",
    ]
    for r in results:
        assert len(r.query_counts) == 1, (r.name, r.query_counts)  # the same count on every request
        assert r.queries > 0 and r.bytes > 0 and r.median_ms > 0
        assert r.p90_ms >= r.median_ms >= r.min_ms
    return {r.name: r.queries for r in results}


def test_page_query_counts_do_not_grow_with_months(settings):
    world = fast_world(settings)
    cement, steel = world.users["cement"], world.users["steel"]
    submit_month(cement, world.cement, 2024, 1)
    one_month = _measure(world)

    # six months of both enterprises (cement's January stays the lineage entry)
    submit_many(
        [(cement, world.cement, 2024, m) for m in range(2, 7)] + [(steel, world.steel, 2024, m) for m in range(1, 7)]
    )
    six_months = _measure(world)
    assert AccountEntry.objects.filter(is_current=True).count() == 12
    assert six_months == one_month


def test_p90_is_nearest_rank():
    assert bench.p90([float(v) for v in range(1, 16)]) == 14.0
    assert bench.p90([3.0]) == 3.0


def test_compare_flags_a_growing_query_count():
    small = {"pages": [{"name": "region", "median_ms": 10.0, "p90_ms": 12.0, "queries": 16, "query_counts": [16]}]}
    same = {"pages": [{"name": "region", "median_ms": 15.0, "p90_ms": 18.0, "queries": 16, "query_counts": [16]}]}
    more = {"pages": [{"name": "region", "median_ms": 15.0, "p90_ms": 18.0, "queries": 17, "query_counts": [17]}]}
    (ok,) = bench.compare(small, same)
    assert ok["queries_ok"] and ok["query_ratio"] == 1.0 and ok["time_ratio"] == pytest.approx(1.5)
    (bad,) = bench.compare(small, more)
    assert not bad["queries_ok"]

"""Smoke test of bench/rating.py on the tests' small world (tests.factories.build_world plus cement makers, a
year of months each): rating the city and the rating pages run, and their query counts do not depend on the
number of enterprises (7 against 13 enterprises in the city). No timing is asserted.

The small world cannot show growth that comes from bulk-insert batching (Django splits a ``bulk_create`` into
statements of at most 999 parameters on SQLite, i.e. ~33 rating results per INSERT): both sizes here fit in
one batch. ``bench/rating.py`` at 320 and 3,200 enterprises is what measures that (see docs/benchmarks.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from stdnum.cn import uscc as stdnum_uscc

from dualcarbon.rating.models import RatingResult
from dualcarbon.registry import services as registry
from dualcarbon.registry.models import Industry, Membership, Organisation
from tests.bench import scripts
from tests.factories import PASSWORD
from tests.rating.helpers import YEAR, month_data, rated_world, submit_batch
from tests.web.helpers import FAST_HASHERS

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


bench = scripts.load("rating")


def _more_cement_makers(world: Any, n: int) -> None:
    """n more cement makers in the city, twelve months of YEAR each."""
    cement = Industry.objects.get(code="30")
    items = []
    for i in range(n):
        base = f"91339901MA{i + 700:07d}"
        org = Organisation.objects.create(
            kind="enterprise",
            name=f"扩容水泥{i}有限公司",
            uscc=base + stdnum_uscc.calc_check_digit(base),
            region=world.district_a if i % 2 else world.district_b,
            industry=cement,
            size_class="medium",
            above_scale=True,
        )
        user = registry.create_user(f"more{i}", PASSWORD, org, Membership.Role.ENTERPRISE_STAFF)
        items += [(user, org, YEAR, m, month_data(4800.0 + 150.0 * i)) for m in range(1, 13)]
    submit_batch(items)


def _measure(rw: Any) -> tuple[dict[str, int], int]:
    rate = bench.measure_rate("3399", YEAR, warmup=1, runs=2)
    assert len(rate.query_counts) == 1, rate.query_counts  # the same count on every timed run
    assert rate.results > 0 and rate.graded > 0 and rate.median_s > 0 and rate.max_s >= rate.median_s >= rate.min_s
    # rate.queries counts reads and updates (the constant-count criterion); INSERT batches are reported apart
    assert rate.by_kind.get("INSERT", 0) > 0 and sum(rate.by_kind.values()) - rate.by_kind["INSERT"] == rate.queries
    # the timed runs were rolled back: only the warm-up's results are current, one per enterprise
    current = RatingResult.objects.filter(year=YEAR, month=0, is_current=True)
    assert current.count() == rate.results == current.values("enterprise").distinct().count()

    pages = bench.rating_pages_for(rw.users["cement"], rw.cement.pk, rw.users["gov"], YEAR)
    results = bench.pages.measure(pages, warmup=1, repeat=2)
    assert [r.name for r in results] == ["grade", "rating_region"]
    for r in results:
        assert len(r.query_counts) == 1, (r.name, r.query_counts)
        assert r.queries > 0 and r.bytes > 0
    return {"rate_region": rate.queries, **{r.name: r.queries for r in results}}, rate.results


def test_rating_query_counts_do_not_grow_with_enterprises(settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    rw = rated_world(typo=False)
    small, n_small = _measure(rw)
    _more_cement_makers(rw.world, 6)
    large, n_large = _measure(rw)
    assert n_large == n_small + 6
    assert large == small


def test_compare_flags_a_growing_query_count():
    def size(n: int, rate_q: int, page_q: int) -> dict[str, Any]:
        return {
            "enterprises": n,
            "rate": {"median_s": 1.0, "queries": rate_q, "query_counts": [rate_q]},
            "pages": [{"name": "grade", "median_ms": 10.0, "queries": page_q, "query_counts": [page_q]}],
        }

    ok = bench.compare(size(320, 22, 11), size(3200, 22, 11))
    assert [r["queries_ok"] for r in ok] == [True, True] and ok[0]["query_ratio"] == 1.0
    bad = bench.compare(size(320, 22, 11), size(3200, 120, 11))
    assert [r["queries_ok"] for r in bad] == [False, True]
    assert "FAIL" in bench.format_ratios(size(320, 22, 11), size(3200, 120, 11), bad)

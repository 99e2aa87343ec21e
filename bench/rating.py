"""Rating the demo region and rebuilding the monitoring summary, with their pages, at demo size and at 10× the data.

The databases are those of ``bench/pages.py`` (``var/bench-pages/<size>/``): with ``--reuse`` a database built
before is used as it is, otherwise it is built the same way (demo generator's Python API, no server). Each size
runs in its own subprocess with its own ``DUALCARBON_VAR`` and ``DJANGO_DEBUG=0``. Inside that process:

* ``rate_region``: ``dualcarbon.rating.services.rate_region(PREFIX, YEAR)`` (the city 示范市 ``3399``, 2025),
  what ``dualcarbon rate --year 2025 --region 3399`` runs. One warm-up run (committed: it leaves current
  results for the pages), then ``--runs`` timed runs, each inside a transaction that is rolled back, so every
  timed run starts from the same state (one current result per enterprise, which it supersedes) and the reused
  database does not grow with the timed runs. Time = ``perf_counter`` around the call (the commit is not
  included); SQL statements are counted with ``CaptureQueriesContext`` and split by kind (SELECT, INSERT, …).
* the rating pages, measured like ``bench/pages.py`` (``django.test.Client``, ``force_login``, 2 warm-up + 15
  timed requests): ``grade`` = ent1's enterprise grade page ``/rating/enterprise/<id>/?year=2025`` as ent1,
  ``rating_region`` = ``/rating/region/?year=2025`` as the city government user ``gov``.

* the monitoring summary (issue "Rating and regional monitoring"), in the same process, after rating:
  ``rebuild_all`` = :func:`dualcarbon.monitoring.aggregates.rebuild` of everything (what
  ``dualcarbon rebuild_aggregates`` runs), ``rebuild_city`` = the same for ``3399`` only, and ``refresh_month`` =
  the incremental refresh one submission triggers (``refresh_periods`` for ent1's last 2025 month: its cell and
  its county's rollup rows for the year). Each: one committed warm-up, then ``--runs`` timed runs rolled back.
* the monitoring pages, read from the summary tables, measured like the rating pages as ``gov``:
  ``dashboard`` (``/monitoring/?year=2025``), ``dashboard_district`` (青山县 339904), ``completeness``
  (``/monitoring/completeness/?year=2025``, page 1 of the enterprises that have not submitted) and
  ``public_stats`` (``/stats/?year=2025``).

The query count of ``rate_region``, of each summary operation and of each page must not grow with the data: the
report prints PASS/FAIL on the 10×/1× query-count ratio being 1.0.

    .venv/bin/python bench/rating.py --reuse             # reuse var/bench-pages/{320,3200} (built by bench/pages.py)
    .venv/bin/python bench/rating.py                     # (re)build both databases first (~5 min)
    .venv/bin/python bench/rating.py --reuse --sizes 320 --json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _load_pages() -> Any:
    # by path: run as a script ``bench`` is not a package on sys.path, and inside the tests ``bench`` is tests/bench
    name = "dualcarbon_bench_pages"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parent / "pages.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


pages = _load_pages()

DEFAULT_VAR = pages.DEFAULT_VAR
DEFAULT_SIZES = pages.DEFAULT_SIZES
YEAR = 2025
#: the demo city 示范市 (339900): its districts 3399xx form one population
PREFIX = "3399"
RATE_WARMUP = 1
RATE_RUNS = 3


@dataclass
class RateResult:
    prefix: str
    year: int
    results: int
    graded: int
    by_status: dict[str, int]
    median_s: float
    min_s: float
    max_s: float
    #: SQL statements of the last timed run (the same on every timed run when ``query_counts`` has one value)
    queries: int
    query_counts: list[int]
    by_kind: dict[str, int]
    sql_s: float
    times_s: list[float] = field(default_factory=list)


def _kind(sql: str) -> str:
    word = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
    return word if word in ("SELECT", "INSERT", "UPDATE", "DELETE") else "other"


def measure_rate(
    prefix: str = PREFIX, year: int = YEAR, warmup: int = RATE_WARMUP, runs: int = RATE_RUNS
) -> RateResult:
    """Rate ``prefix`` for ``year``: ``warmup`` committed runs, then ``runs`` timed ones, each rolled back."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from dualcarbon.rating import services

    for _ in range(warmup):
        services.rate_region(prefix, year, note="bench/rating.py warm-up")
    times: list[float] = []
    counts: list[int] = []
    sql: list[float] = []
    kinds: Counter[str] = Counter()
    summary = None
    for _ in range(runs):
        with transaction.atomic():
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                summary = services.rate_region(prefix, year, note="bench/rating.py")
                took = time.perf_counter() - start
            transaction.set_rollback(True)
        times.append(took)
        # writes are batched by the database driver (SQLite caps a statement at 999 parameters), so their
        # statement count grows with the rows written; the constant-count criterion applies to reads/updates
        counts.append(sum(1 for q in ctx.captured_queries if _kind(q["sql"]) != "INSERT"))
        sql.append(sum(float(q["time"]) for q in ctx.captured_queries))
        kinds = Counter(_kind(q["sql"]) for q in ctx.captured_queries)
    assert summary is not None
    return RateResult(
        prefix=prefix,
        year=year,
        results=summary.results,
        graded=summary.graded,
        by_status=dict(sorted(summary.by_status.items())),
        median_s=statistics.median(times),
        min_s=min(times),
        max_s=max(times),
        queries=counts[-1],
        query_counts=sorted(set(counts)),
        by_kind=dict(sorted(kinds.items())),
        sql_s=statistics.median(sql),
        times_s=[round(t, 4) for t in times],
    )


def rating_pages_for(ent_user: Any, enterprise_id: int, gov_user: Any, year: int) -> list[Any]:
    """The measured rating pages, for any database (the demo region or the tests' small world)."""
    from django.urls import reverse

    return [
        pages.Page("grade", ent_user, reverse("rating:enterprise", args=[enterprise_id]) + f"?year={year}"),
        pages.Page("rating_region", gov_user, reverse("rating:region") + f"?year={year}"),
    ]


def demo_rating_pages(year: int = YEAR) -> list[Any]:
    from django.contrib.auth import get_user_model

    from dualcarbon.registry.models import Membership

    users = get_user_model().objects
    ent_user = users.get(username="ent1")
    enterprise_id = (
        Membership.objects.filter(user=ent_user, role=Membership.Role.ENTERPRISE_STAFF)
        .values_list("organisation_id", flat=True)
        .get()
    )
    return rating_pages_for(ent_user, enterprise_id, users.get(username="gov"), year)


# --------------------------------------------------------------------------- the monitoring summary

#: 青山县, the district of the demo's showcase enterprises (bench/pages.py measures the same district)
DISTRICT = pages.DISTRICT


@dataclass
class SummaryResult:
    name: str
    median_s: float
    min_s: float
    max_s: float
    #: SQL statements of the last timed run; ``query_counts``: every distinct count seen over the timed runs
    queries: int
    query_counts: list[int]
    by_kind: dict[str, int]
    sql_s: float
    cells: int
    rollup_rows: int
    times_s: list[float] = field(default_factory=list)


def measure_summary(name: str, operation: Any, warmup: int = 1, runs: int = RATE_RUNS) -> SummaryResult:
    """``operation()`` (returning an ``aggregates.RebuildResult``): ``warmup`` committed runs, then ``runs`` timed
    runs each rolled back (every run starts from the same summary; the database does not change)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        operation()
    times: list[float] = []
    counts: list[int] = []
    sql: list[float] = []
    kinds: Counter[str] = Counter()
    result = None
    for _ in range(runs):
        with transaction.atomic():
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                result = operation()
                took = time.perf_counter() - start
            transaction.set_rollback(True)
        times.append(took)
        counts.append(len(ctx.captured_queries))
        sql.append(sum(float(q["time"]) for q in ctx.captured_queries))
        kinds = Counter(_kind(q["sql"]) for q in ctx.captured_queries)
    assert result is not None
    return SummaryResult(
        name=name,
        median_s=statistics.median(times),
        min_s=min(times),
        max_s=max(times),
        queries=counts[-1],
        query_counts=sorted(set(counts)),
        by_kind=dict(sorted(kinds.items())),
        sql_s=statistics.median(sql),
        cells=result.cells,
        rollup_rows=result.rollup_rows,
        times_s=[round(t, 4) for t in times],
    )


def summary_operations(prefix: str, period_id: int) -> list[tuple[str, Any]]:
    """What is measured: the full rebuild, the region's rebuild, one submission's incremental refresh."""
    from dualcarbon.monitoring import aggregates

    return [
        ("rebuild_all", lambda: aggregates.rebuild("")),
        ("rebuild_city", lambda: aggregates.rebuild(prefix)),
        ("refresh_month", lambda: aggregates.refresh_periods([period_id])),
    ]


def monitoring_pages_for(gov_user: Any, year: int, district: str) -> list[Any]:
    """The monitoring pages (they read the summary tables), for any database."""
    from django.urls import reverse

    dashboard = reverse("monitoring:dashboard")
    return [
        pages.Page("dashboard", gov_user, f"{dashboard}?year={year}"),
        pages.Page("dashboard_district", gov_user, f"{dashboard}?year={year}&district={district}"),
        pages.Page("completeness", gov_user, reverse("monitoring:completeness") + f"?year={year}"),
        pages.Page("public_stats", gov_user, reverse("public-stats") + f"?year={year}"),
    ]


def demo_period(year: int = YEAR) -> int:
    """ent1's last reporting period of ``year`` (what one more submission would refresh)."""
    from dualcarbon.monitoring.models import SummaryCell
    from dualcarbon.registry.models import Membership

    enterprise_id = (
        Membership.objects.filter(user__username="ent1", role=Membership.Role.ENTERPRISE_STAFF)
        .values_list("organisation_id", flat=True)
        .get()
    )
    cell = SummaryCell.objects.filter(enterprise_id=enterprise_id, year=year).order_by("-month").first()
    if cell is None:
        raise RuntimeError(f"ent1 has no {year} summary cell: run dualcarbon rebuild_aggregates")
    return int(cell.period_id)


# --------------------------------------------------------------------------- one size (subprocess)


def _ensure_database(size: int, var: Path, reuse: bool) -> tuple[dict[str, Any], bool]:
    """The database of bench/pages.py for ``size``: reused as it is, or (re)built the same way."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from dualcarbon.demo import generator

    db_path = Path(str(settings.DATABASES["default"]["NAME"]))
    meta_path = var / "build.json"
    if not reuse:
        connections.close_all()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        import shutil

        shutil.rmtree(var / "media", ignore_errors=True)
    call_command("migrate", interactive=False, verbosity=0)
    if reuse and generator.region_exists():
        build = json.loads(meta_path.read_text()) if meta_path.exists() else {"wall_s": None, "cpu_s": None}
        return build, False
    from dualcarbon.registry.models import Organisation

    if Organisation.objects.exists():
        raise RuntimeError(f"{db_path} holds other or incomplete data; run without --reuse to rebuild it")
    print(f"[{size}] building {size} enterprises in {db_path} …", file=sys.stderr, flush=True)
    wall, cpu = time.perf_counter(), time.process_time()
    result = generator.build(size, generator.DEFAULT_YEARS, generator.SEED)
    build = {
        "enterprises": size,
        "wall_s": round(time.perf_counter() - wall, 1),
        "cpu_s": round(time.process_time() - cpu, 1),
        "steps_s": {k: round(v, 1) for k, v in result.timings.items()},
        "counts": result.counts,
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    meta_path.write_text(json.dumps(build, ensure_ascii=False, indent=1))
    return build, True


def run_size(size: int, var: Path, reuse: bool, runs: int, warmup: int, repeat: int) -> dict[str, Any]:
    pages._setup_django()
    from django.conf import settings
    from django.db import connection

    from dualcarbon.accounting.models import AccountEntry
    from dualcarbon.rating.models import RatingResult

    build, built_now = _ensure_database(size, var, reuse)
    connection.close()
    db_path = Path(str(settings.DATABASES["default"]["NAME"]))
    entries = AccountEntry.objects.filter(is_current=True, year=YEAR, region_code__startswith=PREFIX).count()
    results_before = RatingResult.objects.count()
    load_before = pages.load()
    rate = measure_rate(PREFIX, YEAR, RATE_WARMUP, runs)
    page_results = pages.measure(demo_rating_pages(), warmup, repeat)
    # the monitoring summary, in the same process, after rating
    from django.contrib.auth import get_user_model

    from dualcarbon.monitoring.models import SummaryCell, SummaryRollup

    summary = [measure_summary(name, op, 1, runs) for name, op in summary_operations(PREFIX, demo_period())]
    gov = get_user_model().objects.get(username="gov")
    monitoring = pages.measure(monitoring_pages_for(gov, YEAR, DISTRICT), warmup, repeat)
    return {
        "enterprises": size,
        "database": str(db_path),
        "database_mb": round(db_path.stat().st_size / 2**20, 1),
        "built_now": built_now,
        "build": build,
        "entries_rated": entries,
        "rating_results_before": results_before,
        "load_before_measure": load_before,
        "load_after_measure": pages.load(),
        "rate": asdict(rate),
        "pages": [asdict(r) for r in page_results],
        "summary_tables": {"cells": SummaryCell.objects.count(), "rollup_rows": SummaryRollup.objects.count()},
        "summary": [asdict(r) for r in summary],
        "monitoring_pages": [asdict(r) for r in monitoring],
    }


# --------------------------------------------------------------------------- driver


def _run_worker(size: int, args: argparse.Namespace) -> dict[str, Any]:
    var = Path(args.var_dir).resolve() / str(size)
    var.mkdir(parents=True, exist_ok=True)
    out = var / "rating-result.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(size), "--out", str(out)]
    cmd += ["--runs", str(args.runs), "--warmup", str(args.warmup), "--repeat", str(args.repeat)]
    cmd += ["--reuse"] if args.reuse else []
    subprocess.run(cmd, env=pages._worker_env(var), cwd=ROOT, check=True, stdout=sys.stderr)
    return json.loads(out.read_text())


def _ratio_row(what: str, big: dict[str, Any], small: dict[str, Any], time_key: str) -> dict[str, Any]:
    """big/small ratio of one measurement's median time (``time_key``) and of its query count."""
    return {
        "what": what,
        "time_ratio": big[time_key] / small[time_key] if small[time_key] else None,
        "query_ratio": big["queries"] / small["queries"] if small["queries"] else None,
        "queries_ok": big["query_counts"] == small["query_counts"],
    }


def compare(small: dict[str, Any], big: dict[str, Any]) -> list[dict[str, Any]]:
    """rate_region and each page: big/small ratio of the median time and of the query count (must be 1.0)."""
    rows = [_ratio_row("rate_region", big["rate"], small["rate"], "median_s")]
    # pages, then the monitoring summary operations and pages (absent from results of older runs)
    for key, time_key in (("pages", "median_ms"), ("summary", "median_s"), ("monitoring_pages", "median_ms")):
        by_name = {m["name"]: m for m in small.get(key, [])}
        rows += [_ratio_row(m["name"], m, by_name[m["name"]], time_key) for m in big.get(key, [])]
    return rows


def _counts(values: list[int]) -> str:
    return "/".join(map(str, values))


def format_size(r: dict[str, Any]) -> str:
    rate = r["rate"]
    kinds = ", ".join(f"{k} {v}" for k, v in rate["by_kind"].items())
    statuses = ", ".join(f"{k} {v}" for k, v in rate["by_status"].items())
    lines = [
        f"### {r['enterprises']:,} enterprises — {r['database_mb']} MB SQLite"
        f" ({'built now' if r['built_now'] else 'reused'}); {r['entries_rated']:,} current {YEAR} entries in {PREFIX}",
        "",
        f"load average before/after measuring: {pages._fmt_load(r['load_before_measure'])} / "
        f"{pages._fmt_load(r['load_after_measure'])}",
        "",
        f"rate_region({PREFIX!r}, {rate['year']}): {rate['results']:,} results ({statuses}); "
        f"statements by kind: {kinds}",
        "",
    ]
    rows = [
        [
            "rate_region",
            f"{rate['median_s'] * 1000:.0f}",
            f"{rate['min_s'] * 1000:.0f}",
            f"{rate['max_s'] * 1000:.0f}",
            f"{rate['sql_s'] * 1000:.0f}",
            _counts(rate["query_counts"]),
        ]
    ]
    def page_row(p: dict[str, Any]) -> list[str]:
        return [p["name"], f"{p['median_ms']:.1f}", f"{p['min_ms']:.1f}", f"{p['p90_ms']:.1f} (p90)",
                f"{p['sql_ms']:.0f}", _counts(p["query_counts"])]

    rows.extend(page_row(p) for p in r["pages"])
    for o in r.get("summary", []):
        rows.append(
            [
                o["name"],
                f"{o['median_s'] * 1000:.0f}",
                f"{o['min_s'] * 1000:.0f}",
                f"{o['max_s'] * 1000:.0f}",
                f"{o['sql_s'] * 1000:.0f}",
                _counts(o["query_counts"]),
            ]
        )
    rows.extend(page_row(p) for p in r.get("monitoring_pages", []))
    lines += pages.table(["measured", "median ms", "min ms", "max ms", "SQL ms", "queries"], rows)
    tables = r.get("summary_tables")
    if tables:
        lines += [
            "",
            f"summary tables: {tables['cells']:,} cells (enterprise × month), {tables['rollup_rows']:,} rollup rows"
            " (county × division × month)",
        ]
        for o in r.get("summary", []):
            kinds = ", ".join(f"{k} {v}" for k, v in o["by_kind"].items())
            lines.append(f"  {o['name']}: {o['cells']:,} cells, {o['rollup_rows']:,} rollup rows written; {kinds}")
    return "\n".join(lines)


def format_ratios(small: dict[str, Any], big: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    factor = big["enterprises"] / small["enterprises"]
    lines = [f"### ratios {big['enterprises']:,} / {small['enterprises']:,} enterprises ({factor:g}× the data)", ""]
    lines += pages.table(
        ["measured", "median time", "queries", "query count (ratio 1.0)"],
        [
            [
                r["what"],
                "n/a" if r["time_ratio"] is None else f"{r['time_ratio']:.2f}×",
                "n/a" if r["query_ratio"] is None else f"{r['query_ratio']:.2f}",
                "PASS" if r["queries_ok"] else "FAIL",
            ]
            for r in rows
        ],
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sizes = ",".join(map(str, DEFAULT_SIZES))
    ap.add_argument("--sizes", default=sizes, help=f"enterprises per database (default {sizes})")
    ap.add_argument("--reuse", action="store_true", help="reuse the databases of bench/pages.py in --var-dir")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--var-dir", default=str(DEFAULT_VAR), help=f"where the databases live (default {DEFAULT_VAR})")
    ap.add_argument("--runs", type=int, default=RATE_RUNS, help="timed rate_region and summary runs (after a warm-up)")
    ap.add_argument("--warmup", type=int, default=pages.WARMUP, help="warm-up requests per page")
    ap.add_argument("--repeat", type=int, default=pages.REPEAT, help="timed requests per page")
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker is not None:
        var = Path(os.environ.get("DUALCARBON_VAR", args.var_dir))
        result = run_size(args.worker, var, args.reuse, args.runs, args.warmup, args.repeat)
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1))
        return 0

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    load_start = pages.load()
    results = [_run_worker(size, args) for size in sizes]
    load_end = pages.load()
    ratios = compare(results[0], results[-1]) if len(results) > 1 else []
    queries_ok = all(r["queries_ok"] for r in ratios)
    report = {
        "started": started,
        "machine": pages.machine(),
        "load_start": load_start,
        "load_end": load_end,
        "sizes": results,
        "ratios": ratios,
        "queries_constant": queries_ok,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        m = report["machine"]
        print(f"# bench/rating.py — {started}; {m['nproc']} CPUs, {m['mem_gib']} GiB, Python {m['python']}")
        print(f"load average at start: {pages._fmt_load(load_start)}; at end: {pages._fmt_load(load_end)}")
        print(
            f"rate_region: {RATE_WARMUP} warm-up + {args.runs} timed runs (median); pages: {args.warmup} warm-up + "
            f"{args.repeat} timed requests"
        )
        for r in results:
            print()
            print(format_size(r))
        if ratios:
            print()
            print(format_ratios(results[0], results[-1], ratios))
            print()
            print(f"query counts constant: {'PASS' if queries_ok else 'FAIL'}")
    return 0 if queries_ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Server time and SQL query counts of the account pages at demo size and at 10× the data.

For each size (number of enterprises, 36 months each) a separate SQLite database is built with the demo
generator's Python API (``dualcarbon.demo.generator.build``, no server) under ``--var-dir/<size>/``; each
size runs in its own subprocess with its own ``DUALCARBON_VAR`` and ``DJANGO_DEBUG=0``, so Django is set up
once per database. Inside that process ``django.test.Client`` (logged in with ``force_login``) requests:

* ``enterprise``: the account page of ent1's enterprise (a large cement plant), year 2025, as ent1;
* ``lineage``: the lineage page of one of its 2025 entries, as ent1;
* ``region``: the region page as the city government user ``gov``, year 2025, no filters;
* ``region_filtered``: the same, filtered by a district and an industry (GB/T 4754 division);
* ``region_page10``: the same, page 10 of the enterprise list (the paginator serves the last page when
  there are fewer pages: 320 enterprises make 7 pages of 50).

Each page gets 2 warm-up requests, then 15 timed ones; the time is ``perf_counter`` around ``client.get``
(the whole Django request: middleware, session, queries, template), reported as median and p90
(nearest rank). Queries are counted on every request with ``CaptureQueriesContext(connection)``, which
records them whatever ``DEBUG`` is; the slowest query of the last request is kept (``--explain`` prints its
SQLite ``EXPLAIN QUERY PLAN``).

    .venv/bin/python bench/pages.py                      # builds 320 and 3,200 enterprises (~5 min)
    .venv/bin/python bench/pages.py --reuse --json       # reuse the databases built before
    .venv/bin/python bench/pages.py --sizes 320 --explain
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VAR = ROOT / "var" / "bench-pages"
DEFAULT_SIZES = (320, 3200)
YEAR = 2025
WARMUP = 2
REPEAT = 15
#: the demo's showcase cement plant (ent1) is in 青山县; 30 = 非金属矿物制品业
DISTRICT = "339904"
INDUSTRY = "30"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@dataclass(frozen=True)
class Page:
    name: str
    user: Any
    url: str


@dataclass
class PageResult:
    name: str
    url: str
    user: str
    median_ms: float
    p90_ms: float
    min_ms: float
    queries: int
    #: distinct query counts seen over all requests (one value when the count is stable)
    query_counts: list[int]
    #: median over the timed requests of the summed SQL time (CaptureQueriesContext, 1 ms resolution)
    sql_ms: float
    bytes: int
    slowest_query_ms: float
    slowest_query: str
    times_ms: list[float] = field(default_factory=list)


def p90(values: list[float]) -> float:
    """Nearest-rank 90th percentile (the 14th of 15)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def pages_for(
    ent_user: Any,
    enterprise_id: int,
    entry_id: int,
    gov_user: Any,
    year: int,
    district: str,
    industry: str,
) -> list[Page]:
    """The measured pages, for any database (the demo region or the tests' small world)."""
    from django.urls import reverse

    region = reverse("accounting:region")
    return [
        Page("enterprise", ent_user, reverse("accounting:enterprise", args=[enterprise_id]) + f"?year={year}"),
        Page("lineage", ent_user, reverse("accounting:entry", args=[entry_id])),
        Page("region", gov_user, f"{region}?year={year}"),
        Page("region_filtered", gov_user, f"{region}?year={year}&district={district}&industry={industry}"),
        Page("region_page10", gov_user, f"{region}?year={year}&page=10"),
        # the monitoring dashboard and public statistics (they read the persisted summary tables)
        Page("dashboard", gov_user, reverse("monitoring:dashboard") + f"?year={year}"),
        Page("dashboard_district", gov_user, reverse("monitoring:dashboard") + f"?year={year}&district={district}"),
        Page("public_stats", gov_user, reverse("public-stats") + f"?year={year}"),
    ]


def measure_page(client: Any, page: Page, warmup: int = WARMUP, repeat: int = REPEAT) -> PageResult:
    """Warm-up requests, then ``repeat`` timed ones; server time and query count of each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(page.user, backend=MODEL_BACKEND)
    times: list[float] = []
    counts: list[int] = []
    sql: list[float] = []
    size = 0
    slowest: dict[str, Any] = {"time": "0", "sql": ""}
    for i in range(warmup + repeat):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(page.url)
            took = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(f"{page.name}: {page.url} answered {response.status_code}")
        counts.append(len(ctx.captured_queries))
        if i >= warmup:
            times.append(took * 1000)
            sql.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
        if i == warmup + repeat - 1:
            size = len(response.content)
            if ctx.captured_queries:
                slowest = max(ctx.captured_queries, key=lambda q: float(q["time"]))
    client.logout()
    timed_counts = counts[warmup:]
    return PageResult(
        name=page.name,
        url=page.url,
        user=page.user.get_username(),
        median_ms=statistics.median(times),
        p90_ms=p90(times),
        min_ms=min(times),
        queries=max(timed_counts),
        query_counts=sorted(set(timed_counts)),
        sql_ms=statistics.median(sql),
        bytes=size,
        slowest_query_ms=float(slowest["time"]) * 1000,
        slowest_query=slowest["sql"],
        times_ms=[round(t, 3) for t in times],
    )


def measure(pages: list[Page], warmup: int = WARMUP, repeat: int = REPEAT) -> list[PageResult]:
    """Measure every page with a fresh ``django.test.Client``."""
    from django.test import Client

    client = Client()
    return [measure_page(client, p, warmup, repeat) for p in pages]


def demo_pages(year: int = YEAR) -> list[Page]:
    """The pages of the demo region 示范市 (ent1's enterprise and one of its entries, the city ``gov``)."""
    from django.contrib.auth import get_user_model

    from dualcarbon.accounting.models import AccountEntry
    from dualcarbon.registry.models import Membership

    users = get_user_model().objects
    ent_user = users.get(username="ent1")
    gov = users.get(username="gov")
    enterprise_id = (
        Membership.objects.filter(user=ent_user, role=Membership.Role.ENTERPRISE_STAFF)
        .values_list("organisation_id", flat=True)
        .get()
    )
    entry = (
        AccountEntry.objects.filter(enterprise_id=enterprise_id, year=year, is_current=True).order_by("-month").first()
    )
    if entry is None:
        raise RuntimeError(f"ent1 has no current {year} account entry")
    return pages_for(ent_user, enterprise_id, entry.pk, gov, year, DISTRICT, INDUSTRY)


def load() -> tuple[float, float, float]:
    return os.getloadavg()


# --------------------------------------------------------------------------- one size (subprocess)


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dualcarbon.settings")
    import django

    django.setup()
    from django.conf import settings

    if "testserver" not in settings.ALLOWED_HOSTS:  # django.test.Client's host
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


def _explain(sql: str) -> list[str]:
    from django.db import connection

    if connection.vendor != "sqlite" or not sql.lstrip().upper().startswith("SELECT"):
        return []
    with connection.cursor() as cur:
        cur.execute("EXPLAIN QUERY PLAN " + sql)
        return [str(r[-1]) for r in cur.fetchall()]


def run_size(size: int, var: Path, reuse: bool, warmup: int, repeat: int, explain: bool) -> dict[str, Any]:
    """Build (or reuse) the database of one size in ``var`` and measure its pages (Django set up here)."""
    _setup_django()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections

    from dualcarbon.demo import generator

    db_path = Path(str(settings.DATABASES["default"]["NAME"]))
    meta_path = var / "build.json"
    load_start = load()
    if not reuse:
        connections.close_all()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        shutil.rmtree(var / "media", ignore_errors=True)
    call_command("migrate", interactive=False, verbosity=0)
    built_now = False
    if reuse and generator.region_exists():
        build = json.loads(meta_path.read_text()) if meta_path.exists() else {"wall_s": None, "cpu_s": None}
    else:
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
            "load_before": load_start,
            "load_after": load(),
            "date": time.strftime("%Y-%m-%d %H:%M"),
        }
        meta_path.write_text(json.dumps(build, ensure_ascii=False, indent=1))
        built_now = True
        print(f"[{size}] built in {build['wall_s']} s", file=sys.stderr, flush=True)
    connection.close()
    with connection.cursor() as cur:  # ANALYZE is not run by the generator; the measurement uses what it left
        cur.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        analyzed = bool(cur.fetchone()[0])
    load_measure = load()
    results = measure(demo_pages(), warmup, repeat)
    out: dict[str, Any] = {
        "enterprises": size,
        "database": str(db_path),
        "database_mb": round(db_path.stat().st_size / 2**20, 1),
        "analyzed": analyzed,
        "built_now": built_now,
        "build": build,
        "load_before_measure": load_measure,
        "load_after_measure": load(),
        "pages": [asdict(r) for r in results],
    }
    if explain:
        out["explain"] = {r.name: _explain(r.slowest_query) for r in results}
    return out


# --------------------------------------------------------------------------- driver


def _worker_env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        DUALCARBON_VAR=str(var),
        DJANGO_DEBUG="0",
        DJANGO_SETTINGS_MODULE="dualcarbon.settings",
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p),
    )
    return env


def _run_worker(size: int, args: argparse.Namespace) -> dict[str, Any]:
    var = Path(args.var_dir).resolve() / str(size)
    var.mkdir(parents=True, exist_ok=True)
    out = var / "result.json"
    out.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        str(size),
        "--out",
        str(out),
        "--warmup",
        str(args.warmup),
        "--repeat",
        str(args.repeat),
    ]
    cmd += ["--reuse"] if args.reuse else []
    cmd += ["--explain"] if args.explain else []
    subprocess.run(cmd, env=_worker_env(var), cwd=ROOT, check=True, stdout=sys.stderr)
    return json.loads(out.read_text())


def machine() -> dict[str, Any]:
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) * 1024
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "mem_gib": round(mem / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def compare(small: dict[str, Any], big: dict[str, Any]) -> list[dict[str, Any]]:
    """Per page: big/small ratio of the median time and of the query count (the latter must be 1.0)."""
    rows = []
    by_name = {p["name"]: p for p in small["pages"]}
    for p in big["pages"]:
        s = by_name[p["name"]]
        rows.append(
            {
                "page": p["name"],
                "time_ratio": p["median_ms"] / s["median_ms"] if s["median_ms"] else None,
                "p90_ratio": p["p90_ms"] / s["p90_ms"] if s["p90_ms"] else None,
                "query_ratio": p["queries"] / s["queries"] if s["queries"] else None,
                "queries_ok": p["query_counts"] == s["query_counts"],
            }
        )
    return rows


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table, first column left-aligned, the others right-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        parts = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))]
        return "| " + " | ".join(parts) + " |"

    rule = "|" + "|".join("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths)) + "|"
    return [line(header), rule, *(line(r) for r in rows)]


def _fmt_load(values: Any) -> str:
    return " ".join(f"{v:.2f}" for v in values)


def format_size(r: dict[str, Any]) -> str:
    b = r["build"]
    counts = b.get("counts", {})
    lines = [
        f"### {r['enterprises']:,} enterprises — {r['database_mb']} MB SQLite"
        f" ({'built now' if r['built_now'] else 'reused'}; build {b['wall_s']} s wall, {b['cpu_s']} s cpu;"
        f" {counts.get('account_entries', 0):,} account entries, {counts.get('emission_lines', 0):,} emission lines)",
        "",
        f"load average before/after measuring: {_fmt_load(r['load_before_measure'])} / "
        f"{_fmt_load(r['load_after_measure'])}",
        "",
    ]
    rows = []
    for p in r["pages"]:
        q = str(p["queries"]) if len(p["query_counts"]) == 1 else "/".join(map(str, p["query_counts"]))
        rows.append(
            [
                p["name"],
                f"{p['median_ms']:.1f}",
                f"{p['p90_ms']:.1f}",
                f"{p['min_ms']:.1f}",
                f"{p['sql_ms']:.0f}",
                q,
                f"{p['slowest_query_ms']:.0f}",
            ]
        )
    lines += table(["page", "median ms", "p90 ms", "min ms", "SQL ms", "queries", "slowest query ms"], rows)
    for name, plan in (r.get("explain") or {}).items():
        if plan:
            lines.append(f"  {name}: slowest query plan: " + "; ".join(plan))
    return "\n".join(lines)


def format_ratios(small: dict[str, Any], big: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    factor = big["enterprises"] / small["enterprises"]
    lines = [f"### ratios {big['enterprises']:,} / {small['enterprises']:,} enterprises ({factor:g}× the data)", ""]

    def x(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.2f}×"

    lines += table(
        ["page", "median time", "p90 time", "queries", "query count"],
        [
            [
                r["page"],
                x(r["time_ratio"]),
                x(r["p90_ratio"]),
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
    ap.add_argument("--reuse", action="store_true", help="reuse databases built before in --var-dir")
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    ap.add_argument("--explain", action="store_true", help="EXPLAIN QUERY PLAN of each page's slowest query")
    ap.add_argument("--var-dir", default=str(DEFAULT_VAR), help=f"where the databases live (default {DEFAULT_VAR})")
    ap.add_argument("--warmup", type=int, default=WARMUP)
    ap.add_argument("--repeat", type=int, default=REPEAT)
    ap.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker is not None:
        var = Path(os.environ.get("DUALCARBON_VAR", args.var_dir))
        result = run_size(args.worker, var, args.reuse, args.warmup, args.repeat, args.explain)
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False, indent=1))
        return 0

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    load_start = load()
    results = [_run_worker(size, args) for size in sizes]
    load_end = load()
    ratios = compare(results[0], results[-1]) if len(results) > 1 else []
    queries_ok = all(r["queries_ok"] for r in ratios)
    report = {
        "started": started,
        "machine": machine(),
        "load_start": load_start,
        "load_end": load_end,
        "warmup": args.warmup,
        "repeat": args.repeat,
        "sizes": results,
        "ratios": ratios,
        "queries_constant": queries_ok,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        m = report["machine"]
        print(f"# bench/pages.py — {started}; {m['nproc']} CPUs, {m['mem_gib']} GiB, Python {m['python']}")
        print(f"load average at start: {_fmt_load(load_start)}; at end: {_fmt_load(load_end)}")
        print(f"{args.warmup} warm-up + {args.repeat} timed requests per page; server time = Client.get round trip")
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

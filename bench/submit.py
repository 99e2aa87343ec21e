"""Server time of submitting one month: the engine's work done once vs as before (compiled each time, checked twice).

Submitting a month (the web form, an Excel upload or the API: their views are thin and call the same
services) validates the draft with the account engine (``reporting.services.validate``) and computes the
month's account in the same transaction (``accounting.services.on_submitted``: the engine's check, lines and
totals, the lineage stored). The engine builds the same few Ibis expressions for every month, over that
month's records; compiling them to SQL cost more than running them. ``engine/backends.py``'s
``CompileOnceDuckDB`` compiles each expression shape once per process and binds it to each month's tables;
and the account takes the validation's checked result (``reporting.services.checked_account``) instead of
checking the same records a second time.

This script copies a demo database (``--var``: a ``DUALCARBON_VAR`` directory made by ``dualcarbon demo``;
by default it builds one of ``--enterprises`` enterprises for 2025 in a temporary directory), then, in one
process, for ``--months`` months of ``--enterprises-used`` enterprises (each month a copy of the enterprise's
December 2025 records): writes the draft (not timed) and times ``reporting.services.submit`` — alternately with
both on (``engine.backends.COMPILE_ONCE``, ``reporting.services.REUSE_CHECK``) and both off, so both see the
same machine. It prints the median wall time and CPU time (of the request's thread: DuckDB's worker threads
excluded) of each, the queries per submit and the ratio on/off. The first submit of each mode is a warm-up (a
new process compiles every shape once) and is not counted.

    .venv/bin/python bench/submit.py                       # build a 40-enterprise demo, 4 × 6 months
    .venv/bin/python bench/submit.py --var /tmp/x --enterprises-used 6 --months 10 --json

Results in docs/benchmarks.md § Submitting one month.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def build_demo(var: Path, enterprises: int) -> None:
    env = {**os.environ, "DUALCARBON_VAR": str(var), "DJANGO_DEBUG": "1"}
    cmd = [sys.executable, "-m", "dualcarbon", "demo", "--reset", "--enterprises", str(enterprises)]
    subprocess.run([*cmd, "--years", "2025", "--no-serve"], check=True, env=env, stdout=subprocess.DEVNULL)


def run(args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dualcarbon.engine import backends
    from dualcarbon.registry.access import actor_for
    from dualcarbon.registry.models import Organisation
    from dualcarbon.reporting import services as rs
    from dualcarbon.reporting.models import EconomicRecord, Submission

    users = list(get_user_model().objects.filter(username__startswith="ent").order_by("username"))
    fields = [*rs.TEXT_FIELDS, *rs.DECIMAL_FIELDS]
    cases = []
    for user in users:
        ids = sorted(actor_for(user).enterprise_ids)
        if not ids:
            continue
        ent = Organisation.objects.get(pk=ids[0])
        src = Submission.objects.filter(enterprise=ent, is_current=True, period__year=2025, period__month=12).first()
        if src is None:
            continue
        eco = EconomicRecord.objects.filter(submission=src).first()
        economic = {"value_added": eco.value_added, "output_value": eco.output_value, "revenue": eco.revenue}
        acts = [{f: getattr(a, f) for f in fields} for a in src.activities.all()]
        cases.append((user, ent, acts, economic if eco else None))
        if len(cases) == args.enterprises_used:
            break
    results: dict[bool, list[tuple[float, float, int]]] = {True: [], False: []}
    warm = {True: False, False: False}
    step = 0
    for month in range(1, args.months + 1):
        for user, ent, acts, economic in cases:
            for on in (True, False) if step % 2 == 0 else (False, True):
                year = 2026 if on else 2027
                data = rs.DraftData(activities=[dict(a) for a in acts], economic=economic)
                draft = rs.write_draft(user, ent, year, month, data)
                backends.COMPILE_ONCE = rs.REUSE_CHECK = on
                with CaptureQueriesContext(connection) as queries:
                    wall, cpu = time.perf_counter(), time.thread_time()
                    rs.submit(user, draft)
                    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
                if warm[on]:
                    results[on].append((wall, cpu, len(queries)))
                warm[on] = True
            step += 1
    backends.COMPILE_ONCE = rs.REUSE_CHECK = True

    def summary(rows: list[tuple[float, float, int]]) -> dict[str, Any]:
        return {
            "submits": len(rows),
            "median_wall_ms": round(statistics.median(r[0] for r in rows) * 1000, 1),
            "median_cpu_ms": round(statistics.median(r[1] for r in rows) * 1000, 1),
            "queries": sorted({r[2] for r in rows}),
        }

    on, off = summary(results[True]), summary(results[False])
    lines = sorted({len(c[2]) for c in cases})
    return {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        "enterprises": len(cases),
        "activity_lines_per_month": lines,
        "once": on,
        "as_before": off,
        "ratio_wall_on_off": round(on["median_wall_ms"] / off["median_wall_ms"], 3),
        "ratio_cpu_on_off": round(on["median_cpu_ms"] / off["median_cpu_ms"], 3),
        "compile_stats": dict(backends.COMPILE_STATS),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--var", help="a DUALCARBON_VAR made by `dualcarbon demo` (copied, not changed)")
    parser.add_argument("--enterprises", type=int, default=40, help="size of the demo built without --var")
    parser.add_argument("--enterprises-used", type=int, default=4)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dc-bench-submit-"))
    try:
        if args.var:
            shutil.copytree(args.var, work / "var")
        else:
            build_demo(work / "var", args.enterprises)
        os.environ["DUALCARBON_VAR"] = str(work / "var")
        os.environ.setdefault("DJANGO_DEBUG", "1")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dualcarbon.settings")
        sys.path.insert(0, str(ROOT / "src"))
        out = run(args)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return
    print(f"# bench/submit.py — {out['when']}; {out['machine']}")
    print(f"{out['enterprises']} enterprises, {out['activity_lines_per_month']} activity lines a month")
    for name in ("once", "as_before"):
        r = out[name]
        print(
            f"{name:20s} {r['submits']:3d} submits  median {r['median_wall_ms']:7.1f} ms wall "
            f"{r['median_cpu_ms']:7.1f} ms cpu  queries {r['queries']}"
        )
    print(f"ratio once/as before: wall {out['ratio_wall_on_off']}  cpu {out['ratio_cpu_on_off']}")
    print(f"shapes compiled {out['compile_stats']['compiled']}, reused {out['compile_stats']['reused']}")


if __name__ == "__main__":
    main()

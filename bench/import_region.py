"""Bulk onboarding at scale: ``dualcarbon import-region`` on N synthetic enterprises × M months.

Writes the three tables (enterprises, activities, months; CSV, or Parquet with ``--parquet``) of a fictional
prefecture (示范市, 339900, its six districts; every enterprise a real-looking mix of electricity, coal, natural
gas, diesel, heat and, for cement, clinker — 3 to 5 activity lines a month), migrates a fresh database (SQLite in
a temporary directory, or PostgreSQL through ``DATABASE_URL``), registers the city's government and one officer,
then runs the command in its own process and prints what it printed: the time per phase (read, validate, write,
account, summarise — the monitoring summary's rebuild), rows/s (activity lines per second, whole command) and the
command's peak memory (``ru_maxrss`` of the child).

    .venv/bin/python bench/import_region.py                            # 1,000 × 12 (about two minutes)
    .venv/bin/python bench/import_region.py --enterprises 30000 --months 36 --keep /tmp/region30k   # the goal
    DATABASE_URL=postgres://… .venv/bin/python bench/import_region.py --enterprises 3000 --months 36
    .venv/bin/python bench/import_region.py --json

Results: docs/benchmarks.md § Bulk onboarding.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CITY, DISTRICTS = "339900", ["339901", "339902", "339903", "339904", "339905", "339906"]
INDUSTRIES = ["30", "31", "26", "17", "14", "22", "33", "39"]
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc(i: int) -> str:
    """A USCC with a valid GB 32100 check character (the registry validates it)."""
    body = f"91{DISTRICTS[i % 6]}M{i:08d}"
    total = sum(ALPHABET.index(c) * w for c, w in zip(body, WEIGHTS, strict=True))
    return body + ALPHABET[(31 - total % 31) % 31]


def months_of(n: int, first_year: int = 2023) -> list[str]:
    return [f"{first_year + k // 12}-{k % 12 + 1:02d}" for k in range(n)]


def write_tables(directory: Path, enterprises: int, months: int, parquet: bool, seed: int = 2026) -> dict[str, int]:
    """The three tables, streamed to disk (never all in memory)."""
    rng = random.Random(seed)
    periods = months_of(months)
    ent_path, act_path, mon_path = (directory / f"{n}.csv" for n in ("enterprises", "activities", "months"))
    lines = 0
    with (
        ent_path.open("w", newline="", encoding="utf-8") as ef,
        act_path.open("w", newline="", encoding="utf-8") as af,
        mon_path.open("w", newline="", encoding="utf-8") as mf,
    ):
        ew, aw, mw = csv.writer(ef), csv.writer(af), csv.writer(mf)
        ew.writerow(["name", "uscc", "county", "industry", "size", "above_scale"])
        aw.writerow(["uscc", "period", "source_type", "item", "quantity", "unit"])
        mw.writerow(["uscc", "period", "value_added", "output_value", "revenue"])
        for i in range(enterprises):
            code, industry = uscc(i), INDUSTRIES[i % len(INDUSTRIES)]
            ew.writerow([f"示范企业{i:06d}有限公司", code, DISTRICTS[i % 6], industry, "medium", "是"])
            scale = rng.uniform(0.2, 5.0)
            for k, period in enumerate(periods):
                season = 1 + 0.1 * ((k % 12) - 6) / 6
                rows = [["purchased_electricity", "电力", f"{900 * scale * season:.3f}", "MWh"]]
                rows.append(["fuel_combustion", "天然气", f"{12 * scale:.3f}", "万立方米"])
                if industry in ("30", "31", "26", "22"):
                    rows.append(["fuel_combustion", "原煤", f"{1500 * scale * season:.2f}", "t"])
                    rows.append(["fuel_combustion", "柴油", f"{8 * scale:.2f}", "t"])
                if industry == "30":
                    rows.append(["process", "熟料", f"{9000 * scale:.1f}", "t"])
                elif industry in ("17", "14"):
                    rows.append(["purchased_heat", "热力", f"{2000 * scale:.1f}", "GJ"])
                for r in rows:
                    aw.writerow([code, period, *r])
                lines += len(rows)
                mw.writerow([code, period, f"{800 * scale:.2f}", f"{3000 * scale:.2f}", ""])
    if parquet:
        import duckdb

        con = duckdb.connect()
        for path in (ent_path, act_path, mon_path):
            con.execute(
                f"COPY (SELECT * FROM read_csv('{path}', all_varchar=true)) TO '{path.with_suffix('.parquet')}' "
                "(FORMAT parquet)"
            )
            path.unlink()
    return {"enterprises": enterprises, "months": enterprises * months, "activity_lines": lines}


SETUP = """
import django, datetime
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from dualcarbon.registry import services as registry
from dualcarbon.registry.models import MethodPolicy, Organisation, Membership
registry.load_industries(); registry.load_provinces()
province = registry.add_region("330000", "浙江省")
city = registry.add_region("339900", "示范市", province)
for n, code in enumerate({districts!r}):
    registry.add_region(code, f"示范{{n}}区", city)
MethodPolicy.objects.create(region=city, valid_from=datetime.date(2020, 1, 1), fuel_sets="ndrc-2015,ipcc2006-fuels",
                            grid="mee:provincial", gwp="AR5")
gov = Organisation.objects.create(kind="government", name="示范市发展和改革委员会", region=city)
registry.create_user("bench-gov", "Bench-2026-pass", gov, Membership.Role.GOVERNMENT_STAFF)
"""


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--enterprises", type=int, default=1000)
    p.add_argument("--months", type=int, default=12)
    p.add_argument("--chunk", type=int, default=200, help="enterprises per chunk (import-region --chunk)")
    p.add_argument("--parquet", action="store_true", help="Parquet input instead of CSV")
    p.add_argument("--keep", help="keep the files and the database in this directory")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-import-region-"))
    (work / "var").mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DUALCARBON_VAR": str(work / "var"),
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-import-region"),
        "DJANGO_SETTINGS_MODULE": "dualcarbon.settings",
    }
    try:
        t0 = time.perf_counter()
        counts = write_tables(work, args.enterprises, args.months, args.parquet)
        generate = time.perf_counter() - t0
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", SETUP.format(districts=DISTRICTS)], env=env, check=True, cwd=ROOT)
        setup = time.perf_counter() - t0
        suffix = ".parquet" if args.parquet else ".csv"
        files = [str(work / f"{n}{suffix}") for n in ("enterprises", "activities", "months")]
        cmd = [sys.executable, "-m", "dualcarbon", "import-region", *files, "--user", "bench-gov", "--format", "json"]
        cmd += ["--chunk", str(args.chunk), "--quiet"]
        t0 = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            print(done.stdout[-5000:], done.stderr[-5000:], file=sys.stderr)
            return 1
        out = json.loads(done.stdout)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        db = work / "var" / "dualcarbon.sqlite3"
        result = {
            "command": " ".join(["bench/import_region.py", *sys.argv[1:]]),
            "when": time.strftime("%Y-%m-%d %H:%M:%S"),
            "machine": f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
            "database": "postgresql" if os.environ.get("DATABASE_URL") else "sqlite",
            **counts,
            "generate_s": round(generate, 1),
            "migrate_and_setup_s": round(setup, 1),
            "import_wall_s": round(wall, 1),
            "phases_s": out["seconds"],
            "rows_per_s": round(counts["activity_lines"] / wall),
            "rows_per_s_in_phases": round(counts["activity_lines"] / max(1e-9, sum(out["seconds"].values()))),
            "months_per_s": round(counts["months"] / wall),
            "peak_rss_bytes": peak,
            "db_bytes": db.stat().st_size if db.exists() else None,
            "summary": {k: out[k] for k in ("enterprises_created", "months_imported", "accounts_computed", "warnings")},
        }
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    print(f"# {result['command']} — {result['when']}; {result['machine']}; {result['database']}")
    print(
        f"{counts['enterprises']:,} enterprises × {args.months} months = {counts['months']:,} enterprise-months, "
        f"{counts['activity_lines']:,} activity lines"
    )
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in out["seconds"].items())
    print(f"import-region: {wall:.1f} s wall ({phases})")
    print(
        f"{result['rows_per_s']:,} activity rows/s over the wall time ({result['rows_per_s_in_phases']:,} over the "
        f"phases, without the process start), {result['months_per_s']:,} months/s; peak RSS {peak / 2**20:.0f} MiB"
    )
    print(f"summary: {result['summary']}; database {((result['db_bytes'] or 0) / 2**20):.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

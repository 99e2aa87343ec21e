"""Throughput benchmark of electricity-carbon from meter data: the engine against one hand-written DuckDB query.

One run generates N synthetic 15-minute readings (Parquet, written by DuckDB itself: no Python loop), then
measures on that file, each in its own Python process (so that the peak RSS reported is its own):

(a) ``engine``: ``meters_table`` on a ``backends.connect("duckdb")`` connection — the check of every reading
    (one scan), the two aggregations (per interval slot, then per meter series and month) in DuckDB, the
    series-months fetched as pandas, the totals per entity, region and month with the account engine's grid
    factors and arithmetic, and the findings;
(b) ``sql``: the same aggregation as one hand-written DuckDB query over the same Parquet (plain ``duckdb``
    with the engine's connection settings), joined with a small grid-factor table registered before the clock
    starts; its result is the totals per entity, region and month (the practical limit: no validation, no
    findings per meter).

Both results are compared (kWh, tCO2e and every count, per entity and month); a difference prints
MISMATCH and exits 1. Peak memory: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the child process.

    .venv/bin/python bench/meters.py --rows 10000000
    .venv/bin/python bench/meters.py --rows 100000000 --json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from dualcarbon.engine import backends, factors
from dualcarbon.engine.meters import MeterOptions, meters_table

ROWS = 100_000_000
#: 15-minute intervals in March 2024 (31 days × 96): one meter's month
SLOTS = 31 * 96
METERS_PER_ENTITY = 3
#: the counties the entities are in (as bench/engine.py), and so their grid factors
REGIONS = ("330502", "320106", "110105", "440305", "510104", "650102", "370202", "420106", "210102", "610113")
COMPARED = (
    "import_kwh",
    "export_kwh",
    "tco2e",
    "readings",
    "meters",
    "expected_intervals",
    "received_intervals",
    "missing_intervals",
    "duplicate_readings",
    "conflicting_intervals",
    "negative_readings",
    "implausible_readings",
    "off_grid_readings",
)


def generate(path: str | Path, rows: int, threads: int | None = None) -> int:
    """Write ``rows`` readings of March 2024: meter i // 2,976 at slot i % 2,976, with faults planted by row number.

    Every 1,000th meter is an export (PV) meter; the others import. kWh is a deterministic function of the row
    number (0.25 kWh steps). Faults: row ≡ 0 mod 997 repeats the slot before it (an exact duplicate when
    the previous value is equal, else a conflict; its own slot goes missing), row ≡ 0 mod 1,009 is stamped
    7 minutes late (off the grid), row ≡ 0 mod 100,003 is negative and row ≡ 0 mod 250,007 is 30,000 kWh
    (implausible above 100 MW × 0.25 h).
    """
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads={int(threads)}")
    regions = ", ".join(f"'{r}'" for r in REGIONS)
    con.execute(
        f"""
        COPY (
          WITH r AS (SELECT range AS i, range // {SLOTS} AS meter, range % {SLOTS} AS slot FROM range({int(rows)}))
          SELECT
            'M' || lpad(CAST(meter AS VARCHAR), 7, '0') AS meter_id,
            '91' || ([{regions}])[1 + (meter // {METERS_PER_ENTITY}) % 10]
              || lpad(CAST(meter // {METERS_PER_ENTITY} AS VARCHAR), 10, '0') AS entity,
            TIMESTAMP '2024-03-01 00:00:00'
              + to_minutes(CAST(15 * (CASE WHEN i % 997 = 0 AND slot > 0 THEN slot - 1 ELSE slot END) AS BIGINT))
              + CASE WHEN i % 1009 = 0 THEN INTERVAL 7 MINUTE ELSE INTERVAL 0 MINUTE END AS ts,
            CASE WHEN i % 100003 = 0 THEN -4.0
                 WHEN i % 250007 = 0 THEN 30000.0
                 ELSE CAST((i * 2654435761) % 100003 AS DOUBLE) / 1000.0 END AS kwh,
            CASE WHEN meter % 1000 = 999 THEN 'export' ELSE 'import' END AS direction,
            ([{regions}])[1 + (meter // {METERS_PER_ENTITY}) % 10] AS region
          FROM r
        ) TO '{_sql_path(path)}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 262144)
        """
    )
    n = con.execute(f"SELECT count(*) FROM read_parquet('{_sql_path(path)}')").fetchone()
    con.close()
    return int(n[0]) if n else 0


def _sql_path(p: str | Path) -> str:
    return str(p).replace("'", "''")


def peak_rss_bytes() -> int:
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["entity", "period", "region"]).reset_index(drop=True)


def run_engine(path: str | Path, threads: int | None = None) -> tuple[dict[str, Any], pd.DataFrame]:
    con = backends.connect("duckdb", threads=threads)
    cpu0, t0 = _cpu_s(), time.perf_counter()
    result = meters_table(con, con.read_parquet(str(path)), MeterOptions())
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "cpu_s": _cpu_s() - cpu0, "findings": len(result.findings)}, _keyed(result.totals)


def grid_frame(spec: str = factors.DEFAULT_GRID, year: int = 2024) -> pd.DataFrame:
    """The grid factor of each region for the hand-written query (not timed: a platform has it at hand)."""
    grid = factors.cached_grid(spec)
    return pd.DataFrame({"region": list(REGIONS), "factor": [grid.choose(year, r).value for r in REGIONS]})


HAND_SQL = """
WITH slot AS (
  SELECT meter_id, entity, coalesce(region, '') AS region,
         CASE WHEN direction = 'export' THEN 'export' ELSE 'import' END AS direction, ts,
         count(*) AS copies, min(kwh) AS lo, max(kwh) AS hi
  FROM read_parquet('{path}')
  GROUP BY ALL
), c AS (
  SELECT *, CASE WHEN direction = 'export' THEN lo ELSE hi END AS chosen,
         epoch(ts) % 900 = 0 AND millisecond(ts) % 1000 = 0 AS on_grid
  FROM slot
), s AS (
  SELECT entity, region, meter_id, direction, year(ts) AS y, month(ts) AS m,
         sum(CASE WHEN chosen >= 0 AND chosen <= 25000 THEN chosen ELSE 0 END) AS kwh,
         sum(copies) AS readings, sum(on_grid::INT) AS received,
         sum(CASE WHEN lo = hi THEN copies - 1 ELSE 0 END) AS dups, sum((lo <> hi)::INT) AS conflicts,
         sum((chosen < 0)::INT) AS neg, sum((chosen > 25000)::INT) AS high, sum((NOT on_grid)::INT) AS off_grid,
         day(last_day(min(ts))) * 96 AS expected
  FROM c GROUP BY ALL
)
SELECT entity, printf('%04d-%02d', y, m) AS period, s.region,
       sum(CASE WHEN direction = 'import' THEN kwh ELSE 0 END) AS import_kwh,
       sum(CASE WHEN direction = 'export' THEN kwh ELSE 0 END) AS export_kwh,
       (sum(CASE WHEN direction = 'import' THEN kwh ELSE 0 END)
        - sum(CASE WHEN direction = 'export' THEN kwh ELSE 0 END)) * 0.001 * any_value(g.factor) AS tco2e,
       sum(readings) AS readings, count(DISTINCT meter_id) AS meters, sum(expected) AS expected_intervals,
       sum(received) AS received_intervals, sum(expected - received) AS missing_intervals,
       sum(dups) AS duplicate_readings, sum(conflicts) AS conflicting_intervals, sum(neg) AS negative_readings,
       sum(high) AS implausible_readings, sum(off_grid) AS off_grid_readings
FROM s JOIN grid g ON g.region = s.region
GROUP BY ALL
"""


def run_sql(path: str | Path, threads: int | None = None) -> tuple[dict[str, Any], pd.DataFrame]:
    con = duckdb.connect()
    con.execute(f"SET memory_limit='{os.environ.get('DUALCARBON_DUCKDB_MEMORY', '2GB')}'")
    con.execute(f"SET temp_directory='{tempfile.gettempdir()}/dualcarbon-duckdb-spill'")
    con.execute("SET preserve_insertion_order=false")
    if threads:
        con.execute(f"SET threads={int(threads)}")
    con.register("grid", grid_frame())
    cpu0, t0 = _cpu_s(), time.perf_counter()
    frame = con.execute(HAND_SQL.format(path=_sql_path(path))).fetchdf()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "cpu_s": _cpu_s() - cpu0}, _keyed(frame)


def _child(kind: str, path: str, out: str, threads: int | None) -> None:
    info, frame = (run_engine if kind == "engine" else run_sql)(path, threads)
    frame.to_parquet(out, index=False)
    info["peak_rss_bytes"] = peak_rss_bytes()
    print(json.dumps(info))


def _spawn(kind: str, path: Path, out: Path, threads: int | None) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--input", str(path), "--out", str(out)]
    if threads:
        cmd += ["--threads", str(threads)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"{kind} measurement failed (exit {proc.returncode})")
    info: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return info


def compare(engine: pd.DataFrame, sql: pd.DataFrame) -> list[str]:
    """Differences between the two results (empty when they agree: counts exactly, kWh and tCO2e to 1e-9)."""
    problems = []
    if len(engine) != len(sql):
        return [f"rows: engine {len(engine)} vs sql {len(sql)}"]
    keys = ["entity", "period", "region"]
    if not engine[keys].astype(str).equals(sql[keys].astype(str)):
        return ["entity/period/region keys differ"]
    for c in COMPARED:
        a, b = engine[c].astype("float64"), sql[c].astype("float64")
        if c in ("import_kwh", "export_kwh", "tco2e"):
            bad = ((a - b).abs() > 1e-9 * b.abs().clip(lower=1.0)).sum()
        else:
            bad = (a != b).sum()
        if bad:
            problems.append(f"{c}: {int(bad)} rows differ (engine sum {a.sum()!r}, sql sum {b.sum()!r})")
    return problems


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=ROWS)
    p.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    p.add_argument("--keep", help="keep the data and results in this directory")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--child", choices=("engine", "sql"), help=argparse.SUPPRESS)
    p.add_argument("--input", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        _child(args.child, args.input, args.out, args.threads)
        return 0
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="dualcarbon-bench-meters-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        data = work / "readings.parquet"
        t0 = time.perf_counter()
        rows = generate(data, args.rows, args.threads)
        generate_s = time.perf_counter() - t0
        measured = {}
        for kind in ("sql", "engine"):
            measured[kind] = _spawn(kind, data, work / f"{kind}.parquet", args.threads)
            measured[kind]["rows_per_s"] = rows / measured[kind]["seconds"]
        engine, sql = pd.read_parquet(work / "engine.parquet"), pd.read_parquet(work / "sql.parquet")
        problems = compare(engine, sql)
        report = {
            "rows": rows,
            "meters": -(-rows // SLOTS),
            "data_bytes": data.stat().st_size,
            "generate_s": generate_s,
            "measurements": measured,
            "ratio": measured["engine"]["rows_per_s"] / measured["sql"]["rows_per_s"],
            "totals_rows": len(engine),
            "tco2e": float(engine["tco2e"].sum()),
            "kwh": float((engine["import_kwh"] - engine["export_kwh"]).sum()),
            "checks": problems or "engine = hand-written SQL on every total",
            "machine": {
                "nproc": os.cpu_count(),
                "python": platform.python_version(),
                "duckdb": duckdb.__version__,
                "platform": platform.platform(),
            },
            "command": " ".join(["bench/meters.py", *(argv if argv is not None else sys.argv[1:])]),
        }
        if args.json:
            print(json.dumps(report, indent=1))
        else:
            print(_report(report))
        if problems:
            print("MISMATCH: " + "; ".join(problems), file=sys.stderr)
            return 1
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _report(r: dict[str, Any]) -> str:
    lines = [
        f"bench/meters.py — {r['rows']:,} readings ({r['meters']:,} meters × March 2024 at 15 min), "
        f"{r['machine']['nproc']} CPUs, DuckDB {r['machine']['duckdb']}",
        f"data: {r['data_bytes'] / 2**20:.1f} MiB Parquet, generated by DuckDB in {r['generate_s']:.1f} s",
        "",
        f"{'measurement':<34}{'seconds':>9}{'rows/s':>14}{'CPU s':>8}{'peak RSS':>11}",
    ]
    labels = {"engine": "(a) DualCarbon meters (DuckDB)", "sql": "(b) hand-written DuckDB SQL"}
    for key in ("engine", "sql"):
        m = r["measurements"][key]
        lines.append(
            f"{labels[key]:<34}{m['seconds']:>9.2f}{m['rows_per_s']:>14,.0f}{m['cpu_s']:>8.1f}"
            f"{m['peak_rss_bytes'] / 2**20:>8,.0f} MiB"
        )
    lines += [
        "",
        f"ratio engine / hand-written (rows/s): {r['ratio']:.2f}×",
        f"{r['totals_rows']:,} totals (entity × month); {r['kwh']:,.2f} kWh net, {r['tco2e']:,.6f} tCO2e",
        f"checks: {r['checks']}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())

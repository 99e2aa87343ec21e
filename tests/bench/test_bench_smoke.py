"""Smoke test of bench/engine.py on ~2,000 rows: the four measurements compute the same account.

No timing is asserted; this only guards the benchmark's correctness checks (engine = hand-written SQL
= Decimal loop = Django ORM on every column of the account view).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.bench import scripts

ROOT = Path(__file__).resolve().parents[2]
ROWS = 2_000


bench = scripts.load("engine")


@pytest.fixture(scope="module")
def activity(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "activity.parquet"
    assert bench.generate(path, ROWS) == ROWS
    return path


def test_generated_data_shape(activity: Path) -> None:
    table = pq.read_table(activity)
    assert table.num_rows == ROWS
    assert table.schema.field("quantity").type == "double"
    assert table.column("_row").to_pylist() == list(range(1, ROWS + 1))
    assert table.column("_sheet").null_count == ROWS
    assert set(table.column("source_type").to_pylist()) >= {
        "fuel_combustion",
        "purchased_electricity",
        "purchased_heat",
        "process",
        "exported_electricity",
        "co2_recovery",
    }
    assert table.column("ncv").null_count < ROWS  # some records carry measured parameters
    # deterministic: same seed, same data
    again = activity.with_name("again.parquet")
    bench.generate(again, ROWS)
    assert pq.read_table(again).equals(table)


def test_engine_sql_and_loop_agree(activity: Path, tmp_path: Path) -> None:
    engine = bench.run_engine(activity, tmp_path / "engine_lines.parquet", threads=1)
    sql = bench.run_sql(activity, tmp_path / "sql_lines.parquet", threads=1)
    loop = bench.run_loop(activity, sample=ROWS, out=tmp_path / "loop_lines.parquet")
    assert engine["rows"] == sql["rows"] == loop["rows"] == ROWS
    assert engine["groups"] == sql["groups"] == loop["groups"]
    assert engine["total_tco2e"] > 0
    # the same account view: every column (scopes, by source, tier 3, …), not only the total
    for column in bench.ACCOUNT_COLUMNS:
        assert bench.rel_diff(engine["account"][column], sql["account"][column]) <= bench.REL_TOL, column
    for column in bench.LOOP_FIELDS:
        assert bench.rel_diff(engine["account"][column], loop["account"][column]) <= bench.REL_TOL, column
    assert engine["account"]["tier3_tco2e"] > 0 and engine["account"]["src_biomass"] > 0
    # the engine wrote compact lines + their lineage table; the loop wrote one line per row too
    compact = pq.read_table(tmp_path / "engine_lines.parquet")
    lineage = pq.read_table(str(tmp_path / "engine_lines.parquet") + ".lineage.parquet").to_pandas()
    assert compact.num_rows == ROWS and set(compact.column("lineage").to_pylist()) <= set(lineage["lineage"])
    assert {"formula", "factor_ref", "quality_tier", "ncv_origin"} <= set(lineage.columns)
    assert pq.read_table(tmp_path / "loop_lines.parquet").num_rows == ROWS
    # the loop on a sample agrees with the SQL lines of the same rows
    part = bench.run_loop(activity, sample=500)
    ref = bench.sql_lines_sum(tmp_path / "sql_lines.parquet", 500)
    for column in bench.LOOP_FIELDS:
        assert bench.rel_diff(part["account"][column], ref[column]) <= bench.REL_TOL, column


def test_orm_agrees_with_sql_lines(activity: Path, tmp_path: Path) -> None:
    # (d) configures Django for its own SQLite file, so it runs in a child process as in the benchmark
    # (here Django is already configured for the project's tests)
    sample = 500
    db = tmp_path / "orm.sqlite3"
    cmd = [
        sys.executable,
        str(ROOT / "bench" / "engine.py"),
        "--child",
        "orm",
        "--input",
        str(activity),
        "--out",
        str(db),
        "--sample",
        str(sample),
        "--repeat",
        "1",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    orm = json.loads(proc.stdout.strip().splitlines()[-1])
    assert orm["rows"] == orm["lines_saved"] == sample
    bench.run_sql(activity, tmp_path / "sql_lines.parquet", threads=1)
    ref = bench.sql_lines_sum(tmp_path / "sql_lines.parquet", sample)
    for column in bench.LOOP_FIELDS:
        assert bench.rel_diff(orm["account"][column], ref[column]) <= bench.REL_TOL, column
    # one EmissionLineRow per ActivityRow, in the throwaway database (not the project's)
    with sqlite3.connect(db) as con:
        lines, rows, low, high, tco2e = con.execute(
            "SELECT count(*), count(DISTINCT row), min(row), max(row), sum(tco2e) FROM bench_emission_line"
        ).fetchone()
        assert con.execute("SELECT count(*) FROM bench_activity").fetchone()[0] == sample
    assert lines == rows == sample and (low, high) == (1, sample)
    assert bench.rel_diff(tco2e, ref["total_tco2e"]) <= 1e-9  # stored as SQLite REAL


def test_main_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = bench.main(
        ["--rows", "1500", "--loop-sample", "1500", "--orm-sample", "300", "--threads", "1", "--repeat", "1", "--json"]
    )
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert out["checks"]["engine_sql_ok"] and out["checks"]["loop_ok"] and out["checks"]["orm_ok"]
    assert set(out["measurements"]) == {"engine", "sql", "loop", "orm"}
    assert out["ratios"]["engine_over_orm"] > 0
    assert out["measurements"]["engine"]["peak_rss_bytes"] > 0

"""The DuckDB connection compiles each expression shape once and binds it to new data (engine/backends.py).

Two different months of a works (same columns, other fuels and quantities) are accounted through in-memory tables, as
the platform does on submit: the second reuses the SQL compiled for the first, and every line and total is what Ibis'
own compilation gives for the same data.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import pandas as pd
import pytest

from dualcarbon.engine import Options, account_table, backends
from dualcarbon.engine.inputs import read_activity

SAMPLE = Path(__file__).parents[2] / "src" / "dualcarbon" / "demo" / "sample_enterprise.csv"


def _frame() -> pd.DataFrame:
    with read_activity(SAMPLE) as src:
        return pd.read_parquet(src.path)


def _account(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    con = backends.connect("duckdb")
    result = account_table(con, ibis.memtable(frame), Options())
    lines = result.lines_frame()
    totals = result.totals_frame().sort_values(["entity", "period"]).reset_index(drop=True)
    return lines, totals


@pytest.fixture
def compile_every_time():
    backends.COMPILE_ONCE = False
    yield
    backends.COMPILE_ONCE = True


def test_a_second_month_of_the_same_shape_reuses_the_sql_and_gives_ibis_own_numbers(compile_every_time) -> None:
    first = _frame()
    second = first.copy()
    # other figures, same columns and types (the file's cells are text, as read)
    second["quantity"] = (pd.to_numeric(second["quantity"]) * 1.37).round(3).astype(str).astype(first["quantity"].dtype)
    expected = [_account(first), _account(second)]  # compiled by Ibis every time
    backends.COMPILE_ONCE = True
    _account(first)  # the shapes are compiled (or already were, by an earlier test of this process)
    before = dict(backends.COMPILE_STATS)
    got = [_account(first), _account(second)]
    assert backends.COMPILE_STATS["compiled"] == before["compiled"]  # nothing compiled again
    assert backends.COMPILE_STATS["reused"] > before["reused"]
    for (lines, totals), (want_lines, want_totals) in zip(got, expected, strict=True):
        pd.testing.assert_frame_equal(lines, want_lines)
        pd.testing.assert_frame_equal(totals, want_totals)
    assert not got[0][1]["total_tco2e"].equals(got[1][1]["total_tco2e"])  # the data did change the numbers


def test_the_sql_names_the_tables_of_the_call_not_the_placeholders() -> None:
    con = backends.connect("duckdb")
    a = ibis.memtable(pd.DataFrame({"x": [1.0, 2.0]}))
    b = ibis.memtable(pd.DataFrame({"x": [5.0]}))
    sql_a, sql_b = con.compile(a.x.sum().as_table()), con.compile(b.x.sum().as_table())
    assert "__dualcarbon_table_" not in sql_a + sql_b
    assert a.op().name in sql_a and b.op().name in sql_b
    assert con.execute(a.x.sum()) == 3.0 and con.execute(b.x.sum()) == 5.0

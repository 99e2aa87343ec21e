"""The same engine expressions on DuckDB and on Apache Spark (local mode) give the same numbers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from dualcarbon.engine import Options, account_table, backends
from dualcarbon.engine.inputs import read_activity

FIXTURES = Path(__file__).parents[1] / "fixtures"
SAMPLE = Path(__file__).parents[2] / "src" / "dualcarbon" / "demo" / "sample_enterprise.csv"

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark_con():
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.fail("Java is required for Spark local mode (make setup installs it)")
    con = backends.connect("spark")
    yield con
    con._session.stop()


def _run(con, path: Path, options: Options) -> tuple[pd.DataFrame, pd.DataFrame]:
    with read_activity(path) as src:
        result = account_table(con, con.read_parquet(str(src.path)), options)
        lines = con.execute(result.lines).sort_values("row").reset_index(drop=True)
        totals = con.execute(result.totals).sort_values(["entity", "period"]).reset_index(drop=True)
    return lines, totals


@pytest.mark.parametrize("path", [FIXTURES / "activity_small.csv", SAMPLE], ids=["mixed", "cement-year"])
def test_duckdb_and_spark_agree(spark_con, path):
    options = Options(grid="mee:auto", fuel_sets=("fuels-a", "fuels-b"))
    duck_lines, duck_totals = _run(backends.connect("duckdb"), path, options)
    spark_lines, spark_totals = _run(spark_con, path, options)
    assert len(duck_lines) == len(spark_lines) > 0
    numeric = duck_lines.select_dtypes("number").columns
    text = [c for c in duck_lines.columns if c not in numeric]
    pd.testing.assert_frame_equal(
        duck_lines[numeric].astype("float64"), spark_lines[numeric].astype("float64"), rtol=1e-12, atol=1e-9
    )
    assert duck_lines[text].fillna("").astype(str).equals(spark_lines[text].fillna("").astype(str))
    num_t = duck_totals.select_dtypes("number").columns
    pd.testing.assert_frame_equal(
        duck_totals[num_t].astype("float64"), spark_totals[num_t].astype("float64"), rtol=1e-12, atol=1e-9
    )
    assert duck_totals.entity.tolist() == spark_totals.entity.tolist()

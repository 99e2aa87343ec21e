"""The same engine expressions on DuckDB and on Apache Spark (local mode) give the same numbers.

``tests/fixtures/activity_backends.csv`` is a real-looking monthly file of three works (a 湖州 cement plant, a 唐山
steel works, a 深圳 chemical plant; December 2023 and January 2024): every source type, measured parameters,
clinker oxides, green power, exports of power and heat, CO2 captured (t and Nm3 with purity), biomass CO2 and CH4,
N2O and SF6. It is accounted with one option set per family value — every grid choice (ets, the MEE levels, auto,
pinned years), every GWP table, both tce bases, fuel sets in either order — on both backends, and every line and
total must agree. The Spark session is the one of the test session (``spark_con`` in tests/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dualcarbon.engine import Options, account_table, backends
from dualcarbon.engine.inputs import read_activity
from dualcarbon.engine.methods import SOURCE_TYPES

FIXTURES = Path(__file__).parents[1] / "fixtures"
WORKS = FIXTURES / "activity_backends.csv"
SAMPLE = Path(__file__).parents[2] / "src" / "dualcarbon" / "demo" / "sample_enterprise.csv"
#: the thermal power supply coal rate of the equal-value (等价值) tce basis, kgce/kWh (about 303 gce/kWh, 2023)
EQUAL_VALUE = 0.303

OPTION_SETS = {
    "defaults": Options(),
    "ets-SAR-equal-fuels-a-first": Options(
        grid="ets",
        gwp="SAR",
        tce_basis="equal",
        equal_value_kgce_per_kwh=EQUAL_VALUE,
        fuel_sets=("fuels-a", "fuels-b", "ipcc2006-fuels"),
    ),
    "ets@2021-AR6": Options(grid="ets@2021", gwp="AR6"),
    "national@2021-AR4-equal": Options(
        grid="mee:national@2021", gwp="AR4", tce_basis="equal", equal_value_kgce_per_kwh=EQUAL_VALUE
    ),
    "regional-AR6-fuels-b-first": Options(
        grid="mee:regional", gwp="AR6", fuel_sets=("fuels-b", "fuels-a", "ipcc2006-fuels")
    ),
    "regional@2022-SAR": Options(grid="mee:regional@2022", gwp="SAR"),
    "provincial-AR4": Options(grid="mee:provincial", gwp="AR4"),
    "provincial@2022-AR5-ipcc-first": Options(grid="mee:provincial@2022", fuel_sets=("ipcc2006-fuels", "ndrc-2015")),
    "auto@2022": Options(grid="mee:auto@2022"),
}

pytestmark = [
    pytest.mark.spark,
    # PySpark 4.0's collect (pyspark/util.py _load_from_socket, reached from ibis' execute through toPandas) closes
    # the socket's file but leaves the socket itself to the garbage collector: not ours to close
    pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning"),
]


@pytest.fixture(scope="module")
def duck_con():
    return backends.connect("duckdb")


def _run(con, path: Path, options: Options) -> tuple[pd.DataFrame, pd.DataFrame]:
    with read_activity(path) as src:
        result = account_table(con, con.read_parquet(str(src.path)), options)
        lines = con.execute(result.lines).sort_values("row").reset_index(drop=True)
        totals = con.execute(result.totals).sort_values(["entity", "period"]).reset_index(drop=True)
    return lines, totals


def test_the_fixture_exercises_every_source_type_and_method(duck_con):
    """What the comparison below runs through (on DuckDB alone, so it holds without Spark too)."""
    lines, totals = _run(duck_con, WORKS, OPTION_SETS["defaults"])
    assert len(lines) == 49 and len(totals) == 5  # three works, two months (深圳: January only)
    assert set(lines.source_type) == set(SOURCE_TYPES)
    assert set(lines.gas) == {"CO2", "CH4", "N2O", "SF6"}
    assert set(lines.formula) == {
        "fuel_ncv_cc_of",
        "direct_factor",
        "electricity_grid",
        "heat_default",
        "co2_recovery",
        "carbonate",
        "clinker_oxide",
        "process_factor",
    }
    assert set(lines.factor_set) >= {"ndrc-2015", "ipcc2006-fuels", "grid-mee-nbs", "process-ipcc2006"}
    assert "GREEN_ELECTRICITY" in set(lines["item"]) and (lines.biomass_co2_t > 0).any()


@pytest.mark.parametrize("name", sorted(OPTION_SETS))
def test_duckdb_and_spark_agree_for_every_option_family(spark_con, duck_con, name):
    _assert_same(duck_con, spark_con, WORKS, OPTION_SETS[name])


def test_duckdb_and_spark_agree_on_a_cement_year(spark_con, duck_con):
    _assert_same(duck_con, spark_con, SAMPLE, Options())


def _assert_same(duck_con, spark_con, path: Path, options: Options) -> None:
    duck_lines, duck_totals = _run(duck_con, path, options)
    spark_lines, spark_totals = _run(spark_con, path, options)
    assert len(duck_lines) == len(spark_lines) > 0
    assert list(duck_lines.columns) == list(spark_lines.columns)
    numeric = duck_lines.select_dtypes("number").columns
    text = [c for c in duck_lines.columns if c not in numeric]
    pd.testing.assert_frame_equal(
        duck_lines[numeric].astype("float64"), spark_lines[numeric].astype("float64"), rtol=1e-12, atol=1e-9
    )
    pd.testing.assert_frame_equal(duck_lines[text].fillna("").astype(str), spark_lines[text].fillna("").astype(str))
    assert list(duck_totals.columns) == list(spark_totals.columns)
    num_t = duck_totals.select_dtypes("number").columns
    pd.testing.assert_frame_equal(
        duck_totals[num_t].astype("float64"), spark_totals[num_t].astype("float64"), rtol=1e-12, atol=1e-9
    )
    assert duck_totals.entity.tolist() == spark_totals.entity.tolist()
    assert duck_totals.period.tolist() == spark_totals.period.tolist()

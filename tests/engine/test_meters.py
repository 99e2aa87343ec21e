"""Electricity-carbon from meter data (engine/meters.py): figures worked out by hand, findings, parity with the
account engine, the same results on DuckDB and on Spark, and located errors for a bad file.

``tests/fixtures/meters_march.csv`` is written by ``tests/fixtures/make_meters.py`` (its docstring lists the
planted faults). Every kWh there is a multiple of 0.25, exact in binary floating point: the sums are exact
whatever order a backend adds them in, so the expectations below are exact.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dualcarbon.engine import InputError, Options, account_file, backends
from dualcarbon.engine.meters import (
    FINDING_COLUMNS,
    TOTAL_COLUMNS,
    MeterOptions,
    intervals_in_month,
    meters_file,
    meters_table,
    read_readings,
)

FIXTURES = Path(__file__).parents[1] / "fixtures"
MARCH = FIXTURES / "meters_march.csv"
HZ, SZ = "91330502MA2D8KQX3R", "91440300MA5FTEST9X"
#: the grid factors mee:auto gives 2024 data (the latest provincial year published: 2022), tCO2/MWh
ZHEJIANG_2022, GUANGDONG_2022 = 0.5153, 0.4403
HEADER = "meter_id,entity,ts,kwh,direction,region\n"


@pytest.fixture(scope="module")
def march():
    result = meters_file(MARCH)
    totals = result.totals.set_index(["entity", "period"])
    return result, totals


def _write(tmp_path: Path, body: str, name: str = "m.csv") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def test_intervals_in_month():
    assert intervals_in_month(2024, 3, 15) == 31 * 96 == 2976
    assert intervals_in_month(2024, 2, 15) == 29 * 96  # a leap year
    assert intervals_in_month(2023, 2, 60) == 28 * 24
    assert intervals_in_month(2024, 4, 15) == 2880


def test_monthly_kwh_and_tco2e_by_hand(march):
    result, totals = march
    assert list(result.totals.columns) == list(TOTAL_COLUMNS)
    assert list(result.totals[["entity", "period"]].itertuples(index=False, name=None)) == [
        (HZ, "2024-03"),
        (SZ, "2024-03"),
        (SZ, "2024-04"),
    ]
    hz = totals.loc[(HZ, "2024-03")]
    # import meter: 32 × 8 + 48 × 20 + 16 × 12 = 1,408 kWh a day × 31 = 43,648; the conflicting 09:00 counts 22.5
    # instead of 20 (+2.5); the gap of four night intervals (−32) and the negative 03:00 (−8) are not counted;
    # the reading stamped 12:07 is counted (its 20 kWh replace 12:00's)
    assert hz.import_kwh == 43_648 + 2.5 - 32 - 8 == 43_610.5
    assert hz.export_kwh == 20 * 5 * 31 == 3_100  # PV: 20 quarter hours of 5 kWh a day
    assert hz.kwh == 40_510.5
    assert hz.tco2e == pytest.approx(43.6105 * ZHEJIANG_2022 - 3.1 * ZHEJIANG_2022, rel=1e-12)
    assert hz.tco2e == pytest.approx(20.87506065, rel=1e-12)
    assert hz.grid_factor == ZHEJIANG_2022 and hz.grid_unit == "tCO2/MWh"
    assert hz.grid_ref.startswith("grid-mee-nbs 2022 provincial 33 浙江 0.5153 tCO2/MWh")
    assert "2024 not published, 2022 used" in hz.grid_ref
    assert hz.meters == 2
    # rows: import 2,976 − 4 (gap) + 2 (exact copies) + 1 (the conflicting copy); export 2,976
    assert hz.readings == 2_975 + 2_976
    assert hz.expected_intervals == 2 * 2_976
    assert hz.received_intervals == 2_976 - 4 - 1 + 2_976  # the gap and the 12:00 whose reading came at 12:07
    assert hz.missing_intervals == 5
    assert (hz.duplicate_readings, hz.conflicting_intervals, hz.negative_readings) == (2, 1, 1)
    assert (hz.implausible_readings, hz.off_grid_readings) == (0, 1)

    sz = totals.loc[(SZ, "2024-03")]
    assert sz.import_kwh == sz.kwh == 2_976 * 50 - 50 == 148_750  # the 30,000 kWh reading is not counted
    assert sz.export_kwh == 0
    assert sz.tco2e == pytest.approx(148.75 * GUANGDONG_2022, rel=1e-12)
    assert sz.grid_factor == GUANGDONG_2022
    assert (sz.readings, sz.expected_intervals, sz.missing_intervals, sz.implausible_readings) == (2_976, 2_976, 0, 1)
    april = totals.loc[(SZ, "2024-04")]
    assert april.kwh == 50 and april.tco2e == pytest.approx(0.05 * GUANGDONG_2022, rel=1e-12)
    assert (april.readings, april.expected_intervals, april.missing_intervals) == (1, 2_880, 2_879)


def test_findings_by_hand(march):
    result, _ = march
    assert list(result.findings.columns) == list(FINDING_COLUMNS)
    got = [
        (r.entity, r.period, r.meter_id, r.direction, r.finding, r.count, r.readings, r.kwh)
        for r in result.findings.astype(object).where(result.findings.notna(), None).itertuples()
    ]
    assert got == [
        (HZ, "2024-03", "HZ-IMP-01", "import", "missing_intervals", 5, None, None),
        (HZ, "2024-03", "HZ-IMP-01", "import", "duplicate", 2, 2, 40.0),  # two extra copies of 20 kWh
        (HZ, "2024-03", "HZ-IMP-01", "import", "conflict", 1, 2, 2.5),  # 20 and 22.5: spread 2.5
        (HZ, "2024-03", "HZ-IMP-01", "import", "negative", 1, 1, -8.0),
        (HZ, "2024-03", "HZ-IMP-01", "import", "off_grid", 1, 1, 20.0),
        (SZ, "2024-03", "SZ-IMP-01", "import", "implausible", 1, 1, 30_000.0),
        (SZ, "2024-04", "SZ-IMP-01", "import", "missing_intervals", 2_879, None, None),
    ]


def test_account_parity(march, tmp_path):
    """The same kWh as purchased (and exported) electricity lines through the account engine: the same tCO2e."""
    result, _ = march
    rows = ["entity,period,source_type,item,quantity,unit,region"]
    for r in result.totals.itertuples():
        rows.append(f"{r.entity},{r.period},purchased_electricity,电力,{r.import_kwh!r},kWh,{r.region}")
        if r.export_kwh:
            rows.append(f"{r.entity},{r.period},exported_electricity,电力,{r.export_kwh!r},kWh,{r.region}")
    path = _write(tmp_path, "\n".join(rows) + "\n", "activity.csv")
    with account_file(path, Options()) as acct:
        totals = acct.totals_frame().set_index(["entity", "period"])
        lines = acct.lines_frame()
    for r in result.totals.itertuples():
        assert totals.loc[(r.entity, r.period), "total_tco2e"] == r.tco2e  # exactly
    assert set(lines.emission_factor) == {ZHEJIANG_2022, GUANGDONG_2022}
    assert set(lines.factor_ref) == set(result.totals.grid_ref)


def test_grid_choice_is_the_accounts(tmp_path):
    """--grid as for `account`: mee:national@2022 gives every region the national 2022 factor."""
    result = meters_file(MARCH, MeterOptions(grid="mee:national@2022"))
    assert set(result.totals.grid_factor) == {0.5366}
    hz = result.totals.set_index(["entity", "period"]).loc[(HZ, "2024-03")]
    assert hz.tco2e == pytest.approx(40.5105 * 0.5366, rel=1e-12)
    assert "(pinned 2022)" in hz.grid_ref


def test_parquet_with_native_types_gives_the_same(march, tmp_path):
    frame = pd.read_csv(MARCH, dtype={"region": str, "direction": str}, keep_default_na=False)
    frame["ts"] = pd.to_datetime(frame["ts"])
    frame["kwh"] = frame["kwh"].astype("float64")
    path = tmp_path / "march.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    result = meters_file(path)
    pd.testing.assert_frame_equal(result.totals, march[0].totals)
    pd.testing.assert_frame_equal(result.findings, march[0].findings)


def test_clock_jump_back_and_forward(tmp_path):
    """A meter's clock (China has no daylight saving time) jumps forward one hour at 02:00 on 10 March, then is
    set back at 06:00 and sends 05:00–05:45 again with other values: the skipped hour is four missing
    intervals, the repeated hour four conflicts (the higher value counted), and nothing is double counted."""
    lines = []
    day = pd.date_range("2024-03-10 00:00", "2024-03-10 23:45", freq="15min")
    for t in day:
        if t.hour == 2:
            continue  # the jump forward: 02:xx never stamped
        lines.append(f"M1,E1,{t:%Y-%m-%d %H:%M:%S},4,,33")
        if t.hour == 5:  # the clock set back: the hour stamped again, 6 kWh each
            lines.append(f"M1,E1,{t:%Y-%m-%d %H:%M:%S},6,,33")
    result = meters_file(_write(tmp_path, HEADER + "\n".join(lines) + "\n"))
    row = result.totals.iloc[0]
    assert row.kwh == (96 - 4 - 4) * 4 + 4 * 6 == 376
    assert row.readings == 92 + 4
    assert row.missing_intervals == 2_976 - 92  # one day of March received, less the skipped hour
    assert row.conflicting_intervals == 4 and row.duplicate_readings == 0
    conflict = result.findings[result.findings.finding == "conflict"].iloc[0]
    assert (conflict["count"], conflict["readings"], conflict["kwh"]) == (4, 8, 8.0)


def test_export_conflict_counts_the_lower_and_meter_interval_option(tmp_path):
    body = HEADER + "P,E1,2024-03-01 10:00:00,5,export,\nP,E1,2024-03-01 10:00:00,7,export,\n"
    body += "P,E1,2024-03-01 11:00:00,4,反向,\nM,E1,2024-03-01 10:00:00,100,正向,\n"
    result = meters_file(_write(tmp_path, body), MeterOptions(interval_minutes=60, max_kw=50))
    row = result.totals.iloc[0]
    assert (row.import_kwh, row.export_kwh) == (0.0, 9.0)  # the 100 kWh hour is above 50 kW × 1 h
    assert row.implausible_readings == 1 and row.conflicting_intervals == 1
    assert row.grid_factor == 0.5306  # no region: the national 2023 factor under mee:auto
    assert row.expected_intervals == 2 * 31 * 24


def _problems(path: Path) -> list[tuple[str, int | None, str | None, str | None]]:
    with pytest.raises(InputError) as err:
        meters_file(path)
    return [(p.rule, p.row, p.column, p.value) for p in err.value.problems]


def test_bad_files_are_refused_with_located_problems(tmp_path):
    assert _problems(_write(tmp_path, "meter_id,entity,kwh\nM1,E1,3\n")) == [("missing_column", 1, "ts", None)]
    body = HEADER + "M1,E1,2024-03-01 00:00:00,3,,\nM1,E1,2024-13-01 00:15,3,,\nM1,E1,2024-03-01 00:30:00,三,,\n"
    body += "M1,E1,2024-03-01 00:45:00,3,sideways,\n,E1,2024-03-01 01:00:00,3,,\nM1,E1,,3,,\n"
    assert _problems(_write(tmp_path, body)) == [
        ("bad_timestamp", 3, "ts", "2024-13-01 00:15"),
        ("not_a_number", 4, "kwh", "三"),
        ("bad_direction", 5, "direction", "sideways"),
        ("required", 6, "meter_id", None),
        ("required", 7, "ts", None),
    ]
    assert _problems(_write(tmp_path, HEADER + "M1,E1,2024-03-01 00:00:00,3,,火星\n")) == [
        ("unknown_region", 2, "region", "火星")
    ]
    assert _problems(_write(tmp_path, HEADER + "M1,E1,2020-03-01 00:00:00,3,,33\n"))[0][:3] == (
        "no_grid_factor",
        2,
        "ts",
    )
    with pytest.raises(InputError) as err:
        meters_file(_write(tmp_path, "x", "readings.xlsx"))
    assert err.value.problems[0].rule == "unreadable"


@pytest.mark.spark
@pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")
def test_duckdb_and_spark_agree(spark_con, march):
    """The same expressions on both backends: equal totals and findings, to the last digit."""
    with read_readings(MARCH) as src:
        con = backends.connect("duckdb")
        duck = meters_table(con, con.read_parquet(str(src.path)))
        spark = meters_table(spark_con, spark_con.read_parquet(str(src.path)))
    pd.testing.assert_frame_equal(spark.totals, march[0].totals, check_exact=True)
    pd.testing.assert_frame_equal(spark.findings, march[0].findings, check_exact=True)
    pd.testing.assert_frame_equal(duck.totals, march[0].totals, check_exact=True)


def test_text_with_blanks_and_direction_spellings_are_read_as_their_value(tmp_path):
    """When the check finds padded text or another spelling of a direction, the readings are typed with trimming and
    the direction mapping (else the text is used as given: the fast path of the benchmark)."""
    body = HEADER + 'M1,E1,2024-03-01 00:00:00,4,import,33\n" M1 "," E1",2024-03-01 00:00:00,4, Import ,33 \n'
    body += "M1,E1,2024-03-01 00:15:00,1,正向有功,33\nM1,E1,2024-03-01 00:15:00,1,反向,33\n"
    result = meters_file(_write(tmp_path, body))
    row = result.totals.iloc[0]
    assert (row.entity, row.region, row.meters) == ("E1", "33", 1)
    assert (row.import_kwh, row.export_kwh, row.duplicate_readings, row.readings) == (5.0, 1.0, 1, 4)
    assert row.expected_intervals == 2 * 2_976  # import and export series of M1

"""Smoke test of bench/meters.py on 20,000 readings: the data has the planted faults and the engine's totals equal
the hand-written DuckDB query's on every column. No timing is asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.bench import scripts

ROOT = Path(__file__).resolve().parents[2]
ROWS = 20_000


bench = scripts.load("meters")


@pytest.fixture(scope="module")
def readings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "readings.parquet"
    assert bench.generate(path, ROWS) == ROWS
    return path


def test_generated_data(readings: Path) -> None:
    table = pq.read_table(readings)
    assert table.num_rows == ROWS
    assert table.schema.names == ["meter_id", "entity", "ts", "kwh", "direction", "region"]
    assert str(table.schema.field("ts").type).startswith("timestamp")
    meters = set(table.column("meter_id").to_pylist())
    assert len(meters) == -(-ROWS // bench.SLOTS) == 7
    assert min(table.column("kwh").to_pylist()) == -4.0  # row 0 (≡ 0 mod 100,003) is negative


def test_engine_equals_hand_written_sql(readings: Path) -> None:
    info, engine = bench.run_engine(readings)
    _, sql = bench.run_sql(readings)
    assert bench.compare(engine, sql) == []
    assert info["findings"] > 0
    assert engine.duplicate_readings.sum() + engine.conflicting_intervals.sum() == len(range(997, ROWS, 997))
    assert engine.off_grid_readings.sum() == len(range(0, ROWS, 1009))  # row 0 is both off the grid and negative
    assert engine.negative_readings.sum() == 1


def test_main_prints_the_ratio(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--rows", "5000", "--json", "--keep", str(tmp_path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows"] == 5000 and report["checks"] == "engine = hand-written SQL on every total"
    assert report["ratio"] > 0 and report["measurements"]["engine"]["peak_rss_bytes"] > 0

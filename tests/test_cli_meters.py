"""The `dualcarbon meters` command: json/csv/parquet outputs, --grid as for `account`, exit 2 on bad input with a
located message and nothing written. The figures are those of tests/engine/test_meters.py (worked out there)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dualcarbon.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
MARCH = FIXTURES / "meters_march.csv"
HZ = "91330502MA2D8KQX3R"


def test_json_prints_totals_and_findings(capsys):
    assert main(["meters", str(MARCH)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload) == {"meta", "totals", "findings"}
    assert [(t["entity"], t["period"]) for t in payload["totals"]] == [
        (HZ, "2024-03"),
        ("91440300MA5FTEST9X", "2024-03"),
        ("91440300MA5FTEST9X", "2024-04"),
    ]
    hz = payload["totals"][0]
    assert (hz["kwh"], hz["import_kwh"], hz["export_kwh"]) == (40_510.5, 43_610.5, 3_100.0)
    assert hz["tco2e"] == pytest.approx(20.87506065, rel=1e-12)
    assert (hz["grid_factor"], hz["grid_unit"], hz["readings"], hz["missing_intervals"]) == (
        0.5153,
        "tCO2/MWh",
        5_951,
        5,
    )
    assert hz["grid_ref"].startswith("grid-mee-nbs 2022 provincial 33 浙江")
    assert [f["finding"] for f in payload["findings"]] == [
        "missing_intervals",
        "duplicate",
        "conflict",
        "negative",
        "off_grid",
        "implausible",
        "missing_intervals",
    ]
    assert payload["findings"][0]["readings"] is None and payload["findings"][1]["readings"] == 2
    assert payload["meta"]["options"]["grid"] == "mee:auto" and payload["meta"]["rows"] == 8_928


def test_grid_option_and_csv_output(tmp_path: Path):
    out = tmp_path / "t.csv"
    assert main(["meters", str(MARCH), "--grid", "ets", "-o", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["grid_factor"] for r in rows] == ["0.5703"] * 3  # the ETS factor of 2022, the latest ≤ 2024
    assert float(rows[0]["tco2e"]) == pytest.approx(40.5105 * 0.5703, rel=1e-12)
    found = tmp_path / "f.csv"
    assert main(["meters", str(MARCH), "--format", "csv", "--findings", "-o", str(found)]) == 0
    assert found.read_text(encoding="utf-8").startswith("entity,period,region,meter_id,direction,finding,count")


def test_parquet_output_needs_a_directory(tmp_path: Path, capsys):
    assert main(["meters", str(MARCH), "--format", "parquet"]) == 2
    assert "-o" in capsys.readouterr().err
    out = tmp_path / "out"
    assert main(["meters", str(MARCH), "--format", "parquet", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["findings.parquet", "totals.parquet"]
    totals = pd.read_parquet(out / "totals.parquet")
    assert totals.kwh.tolist() == [40_510.5, 148_750.0, 50.0]
    assert len(pd.read_parquet(out / "findings.parquet")) == 7


def test_parquet_input(tmp_path: Path, capsys):
    frame = pd.read_csv(MARCH, dtype=str, keep_default_na=False)
    path = tmp_path / "march.parquet"
    frame.to_parquet(path, index=False)  # every column as text, as a CSV converted by another tool would be
    assert main(["meters", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["totals"][0]["kwh"] == 40_510.5


@pytest.mark.parametrize(
    ("body", "located"),
    [
        ("meter_id,entity,kwh\nM1,E1,3\n", ["第 1 行", "ts"]),
        ("meter_id,entity,ts,kwh\nM1,E1,2024-03-01 00:00:00,3\nM1,E1,yesterday,3\n", ["第 3 行", "yesterday"]),
        ("meter_id,entity,ts,kwh\nM1,E1,2024-03-01 00:00:00,1.2.3\n", ["第 2 行", "1.2.3"]),
    ],
    ids=["missing-column", "unreadable-ts", "non-numeric-kwh"],
)
def test_bad_file_exits_2_located_and_writes_nothing(tmp_path: Path, capsys, body: str, located: list[str]):
    path = tmp_path / "in" / "readings.csv"
    path.parent.mkdir()
    path.write_text(body, encoding="utf-8")
    out = tmp_path / "out" / "totals.json"
    assert main(["meters", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("文件有误，未写出任何结果：")
    for text in located:
        assert text in err
    assert not out.parent.exists()


def test_english_message_and_bad_options(tmp_path: Path, capsys):
    path = tmp_path / "r.csv"
    path.write_text("meter_id,entity,ts,kwh\nM1,E1,2024-03-01 00:00:00,abc\n", encoding="utf-8")
    assert main(["meters", str(path), "--lang", "en"]) == 2
    assert "row 2, column “energy (kWh)”: “abc” is not a number" in capsys.readouterr().err
    assert main(["meters", str(MARCH), "--grid", "mee:county"]) == 2
    assert "grid spec" in capsys.readouterr().err
    assert main(["meters", str(MARCH), "--interval", "7"]) == 2
    assert "--interval" in capsys.readouterr().err


def test_console_script():
    exe = Path(sys.executable).parent / "dualcarbon"
    done = subprocess.run([str(exe), "meters", str(MARCH), "--format", "csv"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("entity,period,region,kwh,import_kwh,export_kwh,tco2e")

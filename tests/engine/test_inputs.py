"""Reading activity files: encodings, workbooks, Parquet, Chinese headers, unusable files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from dualcarbon.engine import InputError, account_file
from dualcarbon.engine.inputs import detect_encoding, read_activity

HEADER_ZH = "主体,报告期,排放源类别,品种,数量,单位,地区\n"
ROWS_ZH = (
    "91330502MA2D8KQX3R,2024-01,化石燃料燃烧,原煤,1000,吨,330502\n"
    "91330502MA2D8KQX3R,2024-01,购入电力,电力,85,万千瓦时,330502\n"
)


def test_gbk_csv_with_chinese_headers(tmp_path: Path, duck):
    path = tmp_path / "gbk.csv"
    path.write_bytes((HEADER_ZH + ROWS_ZH).encode("gbk"))
    assert detect_encoding(path) == "gb18030"
    with account_file(path, con=duck) as result:
        lines = result.lines_frame()
        assert result.meta["encoding"] == "gb18030"
    assert lines.item.tolist() == ["RAW_COAL", "ELECTRICITY"]
    assert lines.quantity.tolist() == pytest.approx([1000.0, 850.0])


def test_utf8_bom_csv(tmp_path: Path, duck):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER_ZH + ROWS_ZH).encode("utf-8"))
    with account_file(path, con=duck) as result:
        assert len(result.lines_frame()) == 2


def test_xlsx_locates_errors_by_sheet_and_row(tmp_path: Path, duck):
    wb = Workbook()
    ws = wb.active
    ws.title = "活动数据"
    ws.append(["某公司能源消费台账"])  # a title row above the header, as enterprises do
    ws.append(["entity", "period", "source_type", "item", "quantity", "unit"])
    ws.append(["91330502MA2D8KQX3R", "2024-01", "fuel_combustion", "原煤", 1000, "t"])
    ws.append(["91330502MA2D8KQX3R", "2024-01", "fuel_combustion", "原煤", "很多", "t"])
    path = tmp_path / "in.xlsx"
    wb.save(path)
    with pytest.raises(InputError) as info:
        account_file(path, con=duck)
    (problem,) = info.value.problems
    assert (problem.sheet, problem.row, problem.column, problem.rule) == ("活动数据", 4, "quantity", "not_a_number")
    assert info.value.render("zh") == "工作表 活动数据，第 4 行，“数量”列：“很多” 不是数字"
    assert info.value.render("en") == "sheet 活动数据, row 4, column “quantity”: “很多” is not a number"


def test_xlsx_numbers_stay_exact(tmp_path: Path, duck):
    wb = Workbook()
    ws = wb.active
    ws.append(["entity", "period", "source_type", "item", "quantity", "unit", "oxidation_rate"])
    ws.append(["E1", "2024", "fuel_combustion", "原煤", 1234.5678, "t", 0.94])
    path = tmp_path / "n.xlsx"
    wb.save(path)
    with account_file(path, con=duck) as result:
        line = result.lines_frame().iloc[0]
    assert line.quantity == 1234.5678 and line.oxidation_rate == 0.94 and line.row == 2


def test_typed_parquet(tmp_path: Path, duck):
    table = pa.table(
        {
            "entity": ["E1", "E1"],
            "period": ["2024-01", "2024-02"],
            "source_type": ["fuel_combustion"] * 2,
            "item": ["柴油", "柴油"],
            "quantity": [1.0, 2.0],
            "unit": ["t", "t"],
        }
    )
    path = tmp_path / "a.parquet"
    pq.write_table(table, path)
    with account_file(path, con=duck) as result:
        totals = result.totals_frame()
    assert totals.total_tco2e.tolist() == pytest.approx([3.0959, 6.1918], abs=1e-4)


@pytest.mark.parametrize(
    ("content", "rule"),
    [
        ("entity,period,item,quantity,unit\nE,2024,原煤,1,t\n", "missing_column"),
        ("entity,period,source_type,item,quantity,unit\n", "empty_file"),
    ],
)
def test_unusable_files(tmp_path: Path, content, rule):
    path = tmp_path / "x.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_activity(path).close()
    assert info.value.problems[0].rule == rule


def test_missing_file():
    with pytest.raises(InputError) as info:
        read_activity("/nonexistent/file.csv")
    assert info.value.problems[0].rule == "unreadable"


def test_typed_parquet_bad_values_are_located(tmp_path: Path, duck):
    """Native numbers go through the same rules as text: NaN, negatives, fractions over 100 %, blanks."""
    nan = float("nan")
    table = pa.table(
        {
            "entity": ["E1", "E1", "E1", "  ", "E1"],
            "period": ["2024-01", "2024-02", "2024-03", "2024-04", "2024-13"],
            "source_type": ["fuel_combustion"] * 5,
            "item": ["柴油"] * 5,
            "quantity": pa.array([1.0, nan, 2.0, 3.0, 4.0], type=pa.float64()),
            "unit": ["t"] * 5,
            "ncv": pa.array([None, None, -42.0, None, None], type=pa.float64()),
            "ncv_unit": [None, None, "GJ/t", None, None],
            "oxidation_rate": pa.array([150.0, None, None, None, None], type=pa.float64()),
        }
    )
    path = tmp_path / "bad.parquet"
    pq.write_table(table, path)
    with pytest.raises(InputError) as info:
        account_file(path, con=duck)
    found = {(p.row, p.column, p.rule) for p in info.value.problems}
    assert found == {
        (1, "oxidation_rate", "fraction_range"),
        (2, "quantity", "not_a_number"),
        (3, "ncv", "negative"),
        (4, "entity", "required"),
        (5, "period", "period_format"),
    }


def test_typed_parquet_and_csv_give_the_same_lines(tmp_path: Path, duck):
    """Blanks around entity and period are trimmed whether the file is text (CSV) or typed (Parquet)."""
    rows = {
        "entity": [" E1", "E1 ", "E2"],
        "period": ["2024-01 ", "2024-01", " 2024-02"],
        "source_type": ["fuel_combustion", "purchased_electricity", "fuel_combustion"],
        "item": ["原煤", "电力", "天然气"],
        "quantity": [10.0, 2500.0, 3.5],
        "unit": ["t", "MWh", "万Nm3"],
        "ncv": [21.5, None, None],
        "ncv_unit": ["GJ/t", None, None],
        "region": [None, "330502", None],
    }
    parquet = tmp_path / "typed.parquet"
    pq.write_table(pa.table(rows), parquet)
    csv_path = tmp_path / "text.csv"
    pd.DataFrame(rows).to_csv(csv_path, index=False)
    with account_file(parquet, con=duck) as a, account_file(csv_path, con=duck) as b:
        typed, text = a.lines_frame(), b.lines_frame()
        totals = a.totals_frame()
    assert typed.entity.tolist() == ["E1", "E1", "E2"] and typed.period.tolist() == ["2024-01", "2024-01", "2024-02"]
    cols = ["entity", "period", "item", "quantity", "ncv", "ncv_origin", "emission_factor", "tco2e", "energy_tce"]
    pd.testing.assert_frame_equal(typed[cols], text[cols])
    assert totals.entity.tolist() == ["E1", "E2"] and totals.lines.tolist() == [2, 1]

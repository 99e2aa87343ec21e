"""`dualcarbon index`: the method's indicators as JSON, the six-county example as JSON and as a table (from CSV and
XLSX), the ±10 % sensitivity, and exit 2 with located messages — and nothing on standard output — on bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from dualcarbon.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "dcindex_counties.csv"


def test_indicators_as_json(capsys):
    assert main(["index", "indicators", "--method", "equal-weight", "--format", "json", "--lang", "en"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 9
    assert {"code", "name", "dimension", "unit", "higher_is_better"} <= set(rows[0])
    first = rows[0]
    assert (first["code"], first["name"], first["dimension"], first["unit"], first["higher_is_better"]) == (
        "elec_intensity", "Electricity use per unit of GDP", "energy", "kWh/万元", False)  # fmt: skip
    assert {r["dimension"] for r in rows} == {"energy", "socioeconomic", "level", "trend"}
    assert all(isinstance(r["higher_is_better"], bool) for r in rows)


def test_compute_json_reproduces_the_documented_example(capsys):
    assert main(["index", "compute", str(FIXTURE), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    top = payload["areas"][0]
    assert (top["area"], top["score"], top["rank"], top["class"]) == ("西山县", 85.71, 1, "低碳领先区")
    rest = [("东湖区", 78.0, 2), ("南江县", 75.43, 3), ("北塘区", 42.57, 4), ("青溪县", 11.43, 5), ("白石县", 6.86, 6)]
    assert [(a["area"], a["score"], a["rank"]) for a in payload["areas"][1:]] == rest
    trend = top["dimensions"]["trend"]
    assert (trend["name"], trend["score"], trend["weight"]) == ("碳排放趋势", 100.0, 0.428571)
    assert trend["indicators"]["co2_growth"] == {"value": "-3", "normalised": 100.0, "weight": 0.4}
    assert payload["method"]["name"] == "ccni-structure" and "3649-3659" in payload["method"]["source"]


def test_compute_from_a_workbook_as_a_table_with_sensitivity(tmp_path, capsys):
    wb = Workbook()
    ws = wb.active
    with FIXTURE.open(encoding="utf-8") as fh:
        for k, row in enumerate(csv.reader(fh)):
            ws.append(row if k == 0 else [row[0], *(float(v) for v in row[1:])])
    path = tmp_path / "counties.xlsx"
    wb.save(path)
    assert main(["index", "compute", str(path), "--sensitivity", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "1     西山县  85.71  Low-carbon leading area" in out
    assert "largest rank change under ±10 % weights: 西山县 0, 东湖区 0" in out
    assert main(["index", "compute", str(path), "--sensitivity", "--format", "json"]) == 0
    sens = json.loads(capsys.readouterr().out)["sensitivity"]
    assert sens["step"] == "±10%" and len(sens["weights"]) == 26
    assert sens["weights"][0]["change"] == "+10%" and sens["weights"][1]["change"] == "-10%"


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("zh", "第 3 行，列 co2_intensity：“n/a” 不是数字"),
        ("en", "row 4, column “peak_test”: the value is empty"),
    ],
)
def test_bad_values_exit_2_located_and_print_nothing(tmp_path, capsys, lang, text):
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",0.9,", ",n/a,")
    lines[3] = lines[3].rsplit(",", 1)[0] + ","
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["index", "compute", str(path), "--format", "json", "--lang", lang]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert text in captured.err


def test_an_unknown_method_and_a_missing_column_exit_2(tmp_path, capsys):
    assert main(["index", "compute", str(FIXTURE), "--method", "nope", "--lang", "en"]) == 2
    captured = capsys.readouterr()
    assert (
        captured.out == "" and "unknown index method “nope”; use one of: ccni-structure, equal-weight" in captured.err
    )
    path = tmp_path / "short.csv"
    path.write_text("area,elec_intensity\n甲县,500\n", encoding="gbk")
    assert main(["index", "compute", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "缺少指标列 peak_test（碳达峰趋势检验" in captured.err

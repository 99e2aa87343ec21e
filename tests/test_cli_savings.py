"""`dualcarbon savings`: the seed's figures with the factor and source printed (json and table), and exit 2 with a
message in the user's language on wrong input."""

from __future__ import annotations

import json

import pytest

from dualcarbon.cli import main


@pytest.mark.parametrize(("quantity", "wan"), [("1.7", 4.6), ("0.88", 2.4)])
def test_json_prints_tco2_method_factor_and_source(capsys, quantity, wan):
    assert main(["savings", quantity, "--unit", "万tce", "--basis", "equivalent", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert {"tco2", "method", "factor", "source"} <= set(payload)
    assert round(payload["tco2"] / 10000, 1) == wan == payload["wan_tco2"]
    assert payload["method"] == "coal-ranks"
    assert "1722号" in payload["source"]


def test_kgce_and_the_table_form(capsys):
    assert main(["savings", "17000000", "--unit", "kgce", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "CO2 avoided 45,697.5 tCO2 (4.6 万tCO2)" in out
    assert "29.3076 GJ/tce × 0.0274 tC/GJ × 0.94 × 44/12 = 2.7678 tCO2/tce" in out
    assert "source:" in out


def test_zh_is_the_default_language(capsys):
    assert main(["savings", "0.88", "--unit", "万tce"]) == 0
    out = capsys.readouterr().out
    assert "减排量 23,655.2 tCO2（2.4 万tCO2）" in out and "来源" in out


@pytest.mark.parametrize(("lang", "text"), [("zh", "输入有误：单位 'MWh'"), ("en", "Wrong input: unit 'MWh'")])
def test_wrong_input_exits_2_with_a_message(capsys, lang, text):
    assert main(["savings", "5", "--unit", "MWh", "--lang", lang]) == 2
    captured = capsys.readouterr()
    assert text in captured.err and captured.out == ""

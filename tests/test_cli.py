"""The `dualcarbon account` command: formats, exit status, nothing written on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dualcarbon.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = FIXTURES / "activity_small.csv"
BAD = FIXTURES / "activity_bad.csv"


def test_json_contract(capsys):
    assert main(["account", str(SMALL), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert set(payload) >= {"lines", "totals"}
    total = payload["totals"][0]
    for key in ("entity", "period", "total_tco2e", "scope1_tco2e", "scope2_tco2e", "energy_tce", "by_source"):
        assert key in total
    assert set(total["by_source"]) == {
        "fuel_combustion",
        "process",
        "co2_recovery",
        "purchased_electricity",
        "purchased_heat",
        "exported_electricity",
        "exported_heat",
        "biomass",
    }
    assert sum(v for k, v in total["by_source"].items() if k != "biomass") == pytest.approx(total["total_tco2e"])
    line = payload["lines"][0]
    # the default fuel set is the NDRC guideline table (reference/SOURCES.md), not the comparison set fuels-a
    assert line["formula"] == "fuel_ncv_cc_of" and line["factor_set"] == "ndrc-2015" and line["quality_tier"] == 3
    assert payload["meta"]["options"]["fuel_sets"] == ["ndrc-2015", "ipcc2006-fuels"]


def test_bad_file_exits_2_and_writes_nothing(tmp_path: Path, capsys):
    out = tmp_path / "out.json"
    assert main(["account", str(BAD), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "第 3 行" in err
    assert "规则" not in err  # the rule's code is no part of what the user reads
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_english_messages(capsys):
    assert main(["account", str(BAD), "--lang", "en"]) == 2
    assert "row 3, column" in capsys.readouterr().err


def test_csv_and_xlsx_outputs(tmp_path: Path):
    assert main(["account", str(SMALL), "-o", str(tmp_path / "t.csv")]) == 0
    assert (tmp_path / "t.csv").read_text().startswith("entity,period,total_tco2e")
    assert main(["account", str(SMALL), "-o", str(tmp_path / "lines.csv"), "--lines"]) == 0
    assert len((tmp_path / "lines.csv").read_text().splitlines()) == 11
    assert main(["account", str(SMALL), "-o", str(tmp_path / "a.xlsx")]) == 0
    wb = load_workbook(tmp_path / "a.xlsx", read_only=True)
    assert wb.sheetnames == ["汇总 totals", "明细 lines", "说明 method"]


def test_options_are_checked(capsys):
    assert main(["account", str(SMALL), "--grid", "moon"]) == 2
    assert "grid spec" in capsys.readouterr().err
    assert main(["account", str(SMALL), "--factor-set", "fuels-z"]) == 2
    assert main(["account", str(SMALL), "--tce-basis", "equal"]) == 2


def test_equal_value_basis(capsys):
    assert main(["account", str(SMALL), "--tce-basis", "equal", "--power-coal-rate", "0.300"]) == 0
    lines = json.loads(capsys.readouterr().out)["lines"]
    elec = next(x for x in lines if x["source_type"] == "purchased_electricity")
    assert elec["energy_tce"] == pytest.approx(850 * 0.300)


def test_console_script_and_module_entry_point():
    proc = subprocess.run(
        [sys.executable, "-m", "dualcarbon", "account", str(SMALL), "--format", "table"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "碳账户" in proc.stdout and "2024-01" in proc.stdout


def test_parquet_output_is_compact_lines_plus_lineage(tmp_path: Path, capsys):
    """--format parquet: the compact lines joined with their lineage table are the full lines of --format json."""
    import pandas as pd

    out = tmp_path / "account"
    assert main(["account", str(SMALL), "-o", str(out), "--format", "parquet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["lineage.parquet", "lines.parquet", "totals.parquet"]
    compact = pd.read_parquet(out / "lines.parquet")
    lineage = pd.read_parquet(out / "lineage.parquet")
    assert "formula" not in compact.columns and compact["lineage"].isin(lineage["lineage"]).all()
    full = compact.merge(lineage, on="lineage").sort_values("row").reset_index(drop=True)
    capsys.readouterr()
    assert main(["account", str(SMALL), "--format", "json"]) == 0
    reference = pd.DataFrame(json.loads(capsys.readouterr().out)["lines"]).sort_values("row").reset_index(drop=True)
    for col in ("tco2e", "energy_tce", "emission_factor", "quantity"):
        assert full[col].tolist() == pytest.approx(reference[col].tolist(), rel=1e-12)
    for col in ("formula", "factor_ref", "item", "scope", "ncv_origin"):
        assert full[col].fillna("").tolist() == reference[col].fillna("").tolist()
    totals = pd.read_parquet(out / "totals.parquet")
    assert totals["total_tco2e"].sum() == pytest.approx(reference["tco2e"].sum(), rel=1e-12)
    # the target must be new or empty; a bad file writes nothing
    assert main(["account", str(BAD), "-o", str(tmp_path / "bad"), "--format", "parquet"]) == 2
    assert not (tmp_path / "bad").exists()


def test_an_unknown_item_names_the_closest_known_one(tmp_path: Path, capsys):
    typo = tmp_path / "typo.csv"
    typo.write_text("entity,period,source_type,item,quantity,unit\nE1,2024-01,fuel_combustion,原媒,10,t\n")
    assert main(["account", str(typo)]) == 2
    assert "没有 “原媒” 这一项；您是否要填：原煤？" in capsys.readouterr().err
    assert main(["account", str(typo), "--lang", "en"]) == 2
    assert "did you mean: 原煤?" in capsys.readouterr().err


def test_infinity_nan_and_numbers_too_large_exit_2(tmp_path: Path, capsys):
    """The engine applies the platform's number rule: no `inf` totals, nothing written."""
    src = tmp_path / "a.csv"
    src.write_text(
        "entity,period,source_type,item,quantity,unit\n"
        "91330502MA2D8KQX3R,2024-01,fuel_combustion,原煤,Infinity,t\n"
        "91330502MA2D8KQX3R,2024-01,fuel_combustion,原煤,1e308,t\n"
        "91330502MA2D8KQX3R,2024-01,fuel_combustion,原煤,NaN,t\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.json"
    assert main(["account", str(src), "-o", str(out), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "The file has errors; nothing was written:",
        "row 2, column “quantity”: “Infinity” is not a number",
        "row 3, column “quantity”: “1e308” is out of range: at most 15 digits before the decimal point",
        "row 4, column “quantity”: “NaN” is not a number",
    ]
    assert not out.exists()


def test_full_width_digits_read_like_ascii(tmp_path: Path, capsys):
    rows = "entity,period,source_type,item,quantity,unit\n91330502MA2D8KQX3R,2024-01,fuel_combustion,原煤,{},t\n"
    wide, plain = tmp_path / "wide.csv", tmp_path / "plain.csv"
    wide.write_text(rows.format("７，１００"), encoding="utf-8")
    plain.write_text(rows.format("7100"), encoding="utf-8")
    assert main(["account", str(wide), "--format", "json"]) == 0
    first = json.loads(capsys.readouterr().out)["totals"]
    assert main(["account", str(plain), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"] == first


def test_the_power_coal_rate_follows_the_number_rule(capsys):
    for bad in ("inf", "NaN", "1e308"):
        with pytest.raises(SystemExit) as caught:
            main(["account", str(SMALL), "--tce-basis", "equal", "--power-coal-rate", bad])
        assert caught.value.code == 2
        assert "--power-coal-rate" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", bytes(range(256)) * 40, b"PK\x03\x04" + b"\0" * 200],
    ids=["renamed-pdf", "random-bytes", "broken-zip"],
)
def test_a_file_that_is_not_a_workbook_exits_2_with_a_message(tmp_path: Path, capsys, content):
    src = tmp_path / "能源数据.xlsx"
    src.write_bytes(content)
    assert main(["account", str(src), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "“能源数据.xlsx” is not an .xlsx workbook" in err and "Traceback" not in err

"""Claim lines (engine.claims.claim_lines): scheme-independent facts of each declared line, worked out by hand.

Grid factors from ``reference/grid_factors.csv``: 浙江 provincial (grid-mee-nbs) 2022 = 0.5153 tCO2/MWh, the
latest published for 2023 and 2024; the national ETS factor 2022 = 0.5703; the MEE+NBS series starts in 2021.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from dualcarbon.engine import claims as c
from dualcarbon.engine import rating as r
from dualcarbon.engine.factors import SelectionError, cached_grid

ZJ_PROVINCIAL_2022 = 0.5153


def raw(kind: str, quantity: float, unit: str = "MWh", **kw: Any) -> dict[str, Any]:
    """One declared line of entity E1 in 湖州 (330502), 2023."""
    return {
        "entity": kw.pop("entity", "E1"),
        "record": kw.pop("record", 1),
        "year": kw.pop("year", 2023),
        "month": kw.pop("month", 6),
        "region": kw.pop("region", "330502"),
        "kind": kind,
        "use": kw.pop("use", "self_consumed" if kind == "own_generation" else ""),
        "technology": kw.pop("technology", "pv" if kind == "own_generation" else ""),
        "origin": kw.pop("origin", "" if kind == "own_generation" else "purchased"),
        "status": kw.pop("status", "" if kind == "own_generation" else "retired"),
        "quantity": quantity,
        "unit": unit,
        "transferred": kw.pop("transferred", None),
        "reference": kw.pop("reference", f"{kind}-{quantity:g}"),
    }


def lines(*rows: dict[str, Any], grid: str = "mee:provincial") -> pd.DataFrame:
    return c.claim_lines(pd.DataFrame(list(rows)), grid)


def test_own_generation_less_the_transferred_part_times_the_provincial_factor() -> None:
    out = lines(raw("own_generation", 1_000, transferred=200, reference="屋顶光伏"))
    ln = out.iloc[0]
    assert ln["measure"] == "MWh" and ln["amount"] == 1_000.0 and ln["moved"] == 200.0
    assert ln["rule"] == "transferred"
    assert ln["countable"] == 800.0
    assert ln["grid_factor"] == ZJ_PROVINCIAL_2022  # 2023 not published: 2022 used
    assert ln["avoided_tco2"] == pytest.approx(412.24)  # 800 MWh × 0.5153
    assert ln["grid_factor_set"] == "grid-mee-nbs"
    version = cached_grid("mee:provincial").version
    assert ln["grid_factor_set_version"] == version
    assert ln["grid_ref"] == (
        "grid-mee-nbs 2022 provincial 33 浙江 0.5153 tCO2/MWh（生态环境部 国家统计局 公告2024年第33号，2024-12-20）; "
        "2023年因子未发布，采用2022年 / 2023 not published, "
        f"2022 used（grid-mee-nbs v{version}）"
    )
    # the input columns are passed through, the index is kept
    assert (ln["entity"], ln["record"], ln["reference"], ln["use"]) == ("E1", 1, "屋顶光伏", "self_consumed")
    assert list(out.columns[: len(c.INPUT_COLUMNS)]) == list(c.INPUT_COLUMNS)
    assert list(out.columns[len(c.INPUT_COLUMNS) :]) == list(c.OUTPUT_COLUMNS)


def test_units_are_converted_and_transferred_is_in_the_same_unit() -> None:
    out = lines(
        raw("own_generation", 1_200_000, "kWh", transferred=200_000),  # 1,200 MWh less 200 MWh
        raw("green_trade", 20, "万kWh"),  # 200 MWh
    )
    assert out["amount"].tolist() == [1_200.0, 200.0]
    assert out["moved"].tolist() == [200.0, 0.0]
    assert out["countable"].tolist() == [1_000.0, 200.0]
    assert out["avoided_tco2"].tolist() == pytest.approx([1_000 * ZJ_PROVINCIAL_2022, 200 * ZJ_PROVINCIAL_2022])
    assert out["rule"].tolist() == ["transferred", ""]


def test_a_held_gec_is_countable_here_and_the_scheme_decides() -> None:
    out = lines(raw("gec", 300, status="held", reference="GEC-HELD"))
    ln = out.iloc[0]
    assert ln["rule"] == "" and ln["countable"] == 300.0 and ln["grid_factor"] == ZJ_PROVINCIAL_2022
    with_enterprise = out.assign(enterprise=1)
    default = r.neutrality_lines(with_enterprise, r.NeutralityRule()).iloc[0]
    assert default["rule"] == "held" and default["counted"] == 0.0 and default["avoided_tco2"] == 0.0
    assert np.isnan(default["grid_factor"]) and default["grid_ref"] == ""
    counted = r.neutrality_lines(with_enterprise, r.NeutralityRule(count_held=True)).iloc[0]
    assert counted["rule"] == "" and counted["counted"] == 300.0
    assert counted["avoided_tco2"] == pytest.approx(300 * ZJ_PROVINCIAL_2022)


def test_the_line_rules_win_over_held_and_transferred_is_own_generation_only() -> None:
    out = lines(
        raw("gec", 100, status="held", origin="own_project"),
        raw("ccer", 40, "tCO2e", status="held", origin="own_project"),
        raw("gec", 50, transferred=50),
    ).assign(enterprise=1)
    assert out["rule"].tolist() == ["own_project_certificate", "own_project_ccer", ""]
    assert out["moved"].tolist() == [0.0, 0.0, 0.0]
    scheme = r.neutrality_lines(out, r.NeutralityRule())
    assert scheme["rule"].tolist() == ["own_project_certificate", "own_project_ccer", ""]
    assert scheme["counted"].tolist() == [0.0, 0.0, 50.0]


def test_a_bad_unit_counts_nothing_and_needs_no_factor() -> None:
    out = lines(raw("gec", 10, "t"), raw("ccer", 5, "MWh"))
    assert out["rule"].tolist() == ["bad_unit", "bad_unit"]
    assert out["amount"].isna().all()
    assert out["countable"].tolist() == [0.0, 0.0] and out["avoided_tco2"].tolist() == [0.0, 0.0]
    assert out["grid_factor"].isna().all() and out["grid_ref"].tolist() == ["", ""]


def test_certificates_with_a_trade_and_own_ccer_count_nothing_tonnes_need_no_factor() -> None:
    out = lines(
        raw("gec", 1_000, origin="green_trade"),
        raw("ccer", 150, "tCO2e"),
        raw("forestry", 20, "tCO2e", origin="own_project"),  # an own forest counts
    )
    assert out["rule"].tolist() == ["bundled_with_trade", "", ""]
    assert out["countable"].tolist() == [0.0, 150.0, 20.0]
    assert out["avoided_tco2"].tolist() == [0.0, 150.0, 20.0]
    assert out["measure"].tolist() == ["MWh", "tCO2e", "tCO2e"]
    assert out["grid_factor"].isna().all()


def test_the_grid_choice_is_the_runs() -> None:
    ets = lines(raw("own_generation", 1_000, year=2024), grid="ets").iloc[0]
    assert ets["grid_factor"] == 0.5703 and ets["grid_factor_set"] == "grid-ets"
    assert ets["avoided_tco2"] == pytest.approx(570.3)
    assert "grid-ets 2022 national" in ets["grid_ref"]


def test_an_invalid_grid_spec_raises() -> None:
    with pytest.raises(SelectionError):
        lines(raw("own_generation", 1_000), grid="provincial please")
    with pytest.raises(SelectionError):
        lines(raw("ccer", 1, "tCO2e"), grid="ets:provincial")  # even without an MWh line


def test_no_factor_for_the_year_or_region_gives_nan_and_no_reference() -> None:
    out = lines(
        raw("own_generation", 100, year=2019),  # the MEE+NBS series starts in 2021
        raw("own_generation", 100, region="999999"),  # no such province
        raw("own_generation", 100, region=""),  # a provincial factor needs a region
        raw("own_generation", 100),
    )
    assert out["grid_factor"].isna().tolist() == [True, True, True, False]
    assert out["grid_ref"].tolist()[:3] == ["", "", ""] and out["grid_factor_set"].tolist()[:3] == ["", "", ""]
    assert out["countable"].tolist() == [100.0] * 4
    assert out["avoided_tco2"].tolist() == pytest.approx([0.0, 0.0, 0.0, 100 * ZJ_PROVINCIAL_2022])


def test_one_grid_lookup_per_distinct_year_and_region(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, str]] = []
    selector = cached_grid("mee:provincial")

    class Counting:
        version = selector.version

        def choose(self, year: int, region: object) -> Any:
            calls.append((year, str(region)))
            return selector.choose(year, region)

    monkeypatch.setattr(c, "cached_grid", lambda spec: Counting())
    rows = [raw("own_generation", 10, month=m) for m in range(1, 13)]
    rows += [raw("gec", 5, month=m, region="330100") for m in range(1, 13)]
    rows += [raw("gec", 5, "t"), raw("ccer", 3, "tCO2e"), raw("gec", 7, origin="own_project")]  # no lookup needed
    out = lines(*rows)
    assert sorted(calls) == [(2023, "330100"), (2023, "330502")]
    assert (out["grid_factor"].iloc[:24] == ZJ_PROVINCIAL_2022).all()


def test_the_index_and_extra_columns_are_kept() -> None:
    frame = pd.DataFrame([raw("ccer", 1, "tCO2e"), raw("forestry", 2, "tCO2e")], index=[7, 3]).assign(note=["a", "b"])
    out = c.claim_lines(frame, "mee:provincial")
    assert out.index.tolist() == [7, 3] and out["note"].tolist() == ["a", "b"]
    assert c.CLAIM_KINDS == (*c.MWH_CLAIMS, *c.TCO2_CLAIMS)

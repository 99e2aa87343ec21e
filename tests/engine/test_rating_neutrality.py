"""Carbon-neutrality rate (碳中和率): exact terms, grid factors by policy, and the double-counting rules.

Every expected number below is worked out by hand from the declared lines and the grid factors of
``reference/grid_factors.csv`` (浙江 provincial 2022: 0.5153; national ETS 2022: 0.5703 tCO2/MWh).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dualcarbon.engine import rating as r
from dualcarbon.engine.claims import claim_lines
from dualcarbon.rating import wording

ZJ_PROVINCIAL_2022 = 0.5153
ETS_2022 = 0.5703
BASE: dict[str, Any] = {
    "method": "efficiency_code",
    "min_months": 1,
    "emission_basis": {"plus": ["fuel_combustion", "purchased_electricity"], "minus": ["exported_electricity"]},
    "level_bounds": [0.6, 2.0],
    "grade_bounds": [0.6, 0.8, 1.2, 2.0],
    "benchmark": {"min_group_size": 1},
}


def params(**neutrality: Any) -> r.Params:
    raw = copy.deepcopy(BASE)
    if neutrality:
        raw["neutrality"] = neutrality
    return r.Params.from_dict(raw)


def account(
    total: float = 10_000.0, purchased: float = 2_000.0, exported: float = 50.0, months: tuple[int, ...] = (1,)
) -> pd.DataFrame:
    """Monthly account rows of enterprise 1 in 湖州 (330502): the figures are split evenly over the months."""
    n = len(months)
    return pd.DataFrame(
        [
            {
                "population": "330500",
                "enterprise": 1,
                "region_code": "330502",
                "division": "30",
                "section": "C",
                "year": 2024,
                "month": m,
                "value_added": 1000.0 / n,
                "total_tco2e": total / n,
                "src_fuel_combustion": (total - purchased + exported) / n,
                "src_purchased_electricity": purchased / n,
                "src_exported_electricity": -exported / n,
                "tier_1": total / n,
                "tier_2": 0.0,
                "tier_3": 0.0,
            }
            for m in months
        ]
    )


def line(kind: str, quantity: float, unit: str = "MWh", **kw: Any) -> dict[str, Any]:
    """One declared line (raw, as the enterprise reports it) of enterprise 1 in 湖州 (330502)."""
    return {
        "entity": 1,
        "year": 2024,
        "month": kw.pop("month", 1),
        "region": "330502",
        "kind": kind,
        "use": kw.pop("use", "self_consumed" if kind == "own_generation" else ""),
        "technology": kw.pop("technology", "pv" if kind == "own_generation" else ""),
        "origin": kw.pop("origin", "purchased"),
        "status": kw.pop("status", "retired"),
        "quantity": quantity,
        "unit": unit,
        "transferred": kw.pop("transferred", None),
        "reference": kw.pop("reference", f"{kind}-{quantity}"),
    }


def claims(lines: list[dict[str, Any]], grid: str = "mee:provincial") -> pd.DataFrame:
    """The claim lines the accounting step computes from the declared lines with its run's grid choice."""
    return claim_lines(pd.DataFrame(lines, columns=list(line("ccer", 0).keys())), grid)


def rate(
    lines: list[dict[str, Any]] | None,
    p: r.Params | None = None,
    monthly: pd.DataFrame | None = None,
    grid: str = "mee:provincial",
) -> pd.Series:
    """Rate enterprise 1 with the declared lines (None: none given); the result is worded as stored."""
    p = p or params()
    fig = r.period_figures(account() if monthly is None else monthly, p)
    given = None if lines is None else claims(lines, grid)
    return wording.render_results(r.rate(fig, p, claims=given).results).iloc[0]


def terms(row: pd.Series) -> dict[str, dict[str, Any]]:
    return {t["term"]: t for t in row["neutrality_terms"]}


# ------------------------------------------------------------------------------ exact examples


def test_every_term_exactly():
    row = rate(
        [
            line("own_generation", 1_200_000, "kWh", use="self_consumed", reference="屋顶光伏"),
            line("own_generation", 300, use="fed_in", transferred=100, reference="屋顶光伏"),
            line("gec", 500, reference="GEC-A"),
            line("green_trade", 2_000, "万kWh", reference="GT-2024-01"),  # 2,000 万kWh = 20,000 MWh
            line("ccer", 150, "tCO2e", reference="CCER-1"),
            line("forestry", 20, "tCO2e", reference="FOR-1"),
        ],
        monthly=account(purchased=5_000.0),
    )
    t = terms(row)
    assert t["own_self_consumed"]["amount"] == pytest.approx(1_200.0)
    assert t["own_self_consumed"]["counted_tco2"] == pytest.approx(1_200 * ZJ_PROVINCIAL_2022)  # 618.36
    assert t["own_fed_in"]["amount"] == pytest.approx(200.0)  # 300 less the 100 whose certificates were sold
    assert t["own_fed_in"]["declared_tco2"] == pytest.approx(200 * ZJ_PROVINCIAL_2022)  # 103.06
    assert t["own_fed_in"]["counted_tco2"] == pytest.approx(200 * ZJ_PROVINCIAL_2022 - 50.0)  # exported deducted
    assert t["certificates"]["amount"] == pytest.approx(20_500.0)
    assert t["certificates"]["declared_tco2"] == pytest.approx(20_500 * ZJ_PROVINCIAL_2022)  # 10,563.65
    assert t["certificates"]["counted_tco2"] == pytest.approx(5_000.0)  # at most the purchased electricity
    assert t["ccer"]["counted_tco2"] == 150.0 and t["forestry"]["counted_tco2"] == 20.0
    numerator = 618.36 + 53.06 + 5_000.0 + 150.0 + 20.0
    assert row["neutrality_numerator"] == pytest.approx(numerator)
    assert row["neutrality_rate"] == pytest.approx(0.584142)
    assert row["neutrality_reason"] == ""
    factor = t["own_self_consumed"]["factors"]
    assert factor[0]["value"] == ZJ_PROVINCIAL_2022 and "provincial 33" in factor[0]["source"]
    assert "2024 not published, 2022 used" in factor[0]["source"]


def test_a_small_enterprise_with_rooftop_pv_and_a_few_certificates():
    row = rate(
        [line("own_generation", 85_000, "kWh", month=m, reference="PV") for m in range(1, 13)]  # 1,020 MWh a year
        + [line("gec", 300, reference="GEC-2024-0001~0300", month=12)],
        monthly=account(total=4_000.0, purchased=1_500.0, exported=0.0, months=tuple(range(1, 13))),
    )
    # (1,020 + 300) MWh × 0.5153 = 680.196 tCO2 over 4,000 tCO2e
    assert row["neutrality_numerator"] == pytest.approx(1_320 * ZJ_PROVINCIAL_2022)
    assert row["neutrality_rate"] == pytest.approx(680.196 / 4_000.0)
    assert row["months"] == 12


def test_the_grid_factor_is_the_policy_choice_of_each_line():
    ets = rate([line("own_generation", 1_000)], grid="ets")
    provincial = rate([line("own_generation", 1_000)], grid="mee:provincial")
    assert ets["neutrality_numerator"] == pytest.approx(1_000 * ETS_2022)
    assert provincial["neutrality_numerator"] == pytest.approx(1_000 * ZJ_PROVINCIAL_2022)
    assert "grid-ets 2022 national" in terms(ets)["own_self_consumed"]["factors"][0]["source"]


def test_without_a_grid_factor_electricity_cannot_count_but_tonnes_still_do():
    # the MEE+NBS series starts in 2021: 2019 data has no factor under mee:national
    early = account()
    early["year"] = 2019
    lines = [line("own_generation", 100)]
    for rec in lines:
        rec["year"] = 2019
    row = rate(lines, monthly=early, grid="mee:national")
    assert np.isnan(row["neutrality_rate"]) and row["neutrality_reason"] == "no_grid_factor"
    only_tonnes = [line("ccer", 100, "tCO2e")]
    only_tonnes[0]["year"] = 2019
    row = rate(only_tonnes, monthly=early, grid="mee:national")
    assert row["neutrality_rate"] == pytest.approx(100 / 10_000)


# ------------------------------------------------------------------------------ double counting


def test_the_same_mwh_counts_once_as_own_generation_not_again_as_its_certificates():
    alone = rate([line("own_generation", 400)])
    both = rate([line("own_generation", 400), line("gec", 400, origin="own_project", reference="GEC-OWN")])
    assert both["neutrality_numerator"] == pytest.approx(alone["neutrality_numerator"])
    assert both["neutrality_numerator"] == pytest.approx(400 * ZJ_PROVINCIAL_2022)
    cert = terms(both)["certificates"]
    assert cert["counted_tco2"] == 0.0 and cert["lines"][0]["rule"] == "own_project_certificate"
    assert "已按自有零碳发电计入" in cert["zh"] and "GEC-OWN" in cert["zh"]


def test_certificates_sold_from_own_generation_leave_the_enterprise():
    row = rate([line("own_generation", 400, use="fed_in", transferred=400)], monthly=account(exported=0.0))
    assert row["neutrality_numerator"] == 0.0
    assert terms(row)["own_fed_in"]["lines"][0]["rule"] == "transferred"


def test_a_green_power_trade_and_its_certificates_count_once():
    trade = rate([line("green_trade", 1_000, reference="GT-1")])
    with_certs = rate(
        [line("green_trade", 1_000, reference="GT-1"), line("gec", 1_000, origin="green_trade", reference="GEC-T")]
    )
    assert with_certs["neutrality_numerator"] == pytest.approx(trade["neutrality_numerator"])
    assert with_certs["neutrality_numerator"] == pytest.approx(1_000 * ZJ_PROVINCIAL_2022)


def test_fed_in_generation_already_deducted_as_exported_electricity_is_not_counted_again():
    # 500 MWh fed in = 257.65 tCO2; the accounts already deducted 200 tCO2 of exported electricity
    row = rate([line("own_generation", 500, use="fed_in")], monthly=account(exported=200.0))
    assert row["neutrality_numerator"] == pytest.approx(500 * ZJ_PROVINCIAL_2022 - 200.0)
    row = rate([line("own_generation", 500, use="fed_in")], monthly=account(exported=300.0))
    assert row["neutrality_numerator"] == 0.0  # never negative
    off = rate([line("own_generation", 500, use="fed_in")], params(net_of_exported=False), account(exported=300.0))
    assert off["neutrality_numerator"] == pytest.approx(500 * ZJ_PROVINCIAL_2022)


def test_certificates_cover_at_most_the_purchased_electricity():
    row = rate([line("gec", 1_000)], monthly=account(purchased=300.0))
    assert row["neutrality_numerator"] == pytest.approx(300.0)
    assert "超过购入电力排放" in terms(row)["certificates"]["zh"]
    uncapped = rate([line("gec", 1_000)], params(cap_certificates=False), account(purchased=300.0))
    assert uncapped["neutrality_numerator"] == pytest.approx(1_000 * ZJ_PROVINCIAL_2022)


def test_held_certificates_and_own_project_ccer_do_not_count_by_default():
    lines = [
        line("ccer", 100, "tCO2e", reference="CCER-RETIRED"),
        line("ccer", 40, "tCO2e", status="held", reference="CCER-HELD"),
        line("ccer", 30, "tCO2e", origin="own_project", reference="CCER-OWN"),
        line("forestry", 25, "tCO2e", origin="own_project", reference="OWN-FOREST"),  # own forest: counts
    ]
    row = rate(lines)
    assert row["neutrality_numerator"] == pytest.approx(125.0)
    rules = {ln["reference"]: ln["rule"] for t in row["neutrality_terms"] for ln in t["lines"]}
    assert rules == {"CCER-RETIRED": "", "CCER-HELD": "held", "CCER-OWN": "own_project_ccer", "OWN-FOREST": ""}
    assert rate(lines, params(count_held=True))["neutrality_numerator"] == pytest.approx(165.0)


# ------------------------------------------------------------------------------ edges


def test_nothing_declared_is_zero_and_nothing_given_is_not_computed():
    zero = rate([])
    assert zero["neutrality_rate"] == 0.0 and zero["neutrality_reason"] == "no_declarations"
    none = rate(None)
    assert np.isnan(none["neutrality_rate"]) and none["neutrality_reason"] == "not_provided"
    items = {i["code"]: i for i in none["explanation"]}
    assert items["neutrality"]["zh"].startswith("碳中和率暂无法计算")


def test_denominator_can_be_the_rated_emission_basis():
    # basis = fuel + purchased − exported = 10,000 here; with process emissions the total is larger
    monthly = account()
    monthly["total_tco2e"] = 12_500.0
    total = rate([line("ccer", 100, "tCO2e")], monthly=monthly)
    basis = rate([line("ccer", 100, "tCO2e")], params(denominator="basis"), monthly)
    assert total["neutrality_rate"] == pytest.approx(100 / 12_500)
    assert basis["neutrality_rate"] == pytest.approx(100 / 10_000)
    with pytest.raises(r.ParamsError):
        params(denominator="scope1")


def test_a_short_year_gets_no_rate_and_months_are_rated_apart():
    p = params()
    raw = copy.deepcopy(BASE) | {"min_months": 12}
    short = r.Params.from_dict(raw)
    row = rate([line("ccer", 100, "tCO2e")], short)
    assert np.isnan(row["neutrality_rate"]) and row["neutrality_reason"] == "insufficient_months"
    monthly = account(total=2_000.0, months=(1, 2))
    fig = r.period_figures(monthly, p, by_month=True)
    given = claims([line("ccer", 10, "tCO2e", month=1), line("ccer", 30, "tCO2e", month=2, reference="B")])
    res = r.rate(fig, p, claims=given).results.set_index("month")
    assert res.loc[1, "neutrality_rate"] == pytest.approx(10 / 1_000) and res.loc[2, "neutrality_rate"] == 0.03


def test_units_that_are_not_electricity_or_tonnes_count_nothing():
    row = rate([line("gec", 10, "t"), line("ccer", 5, "MWh")])
    assert row["neutrality_numerator"] == 0.0
    assert {ln["rule"] for t in row["neutrality_terms"] for ln in t["lines"]} == {"bad_unit"}


def test_neutrality_never_moves_the_level_or_the_grade():
    without = rate(None)
    with_offsets = rate([line("ccer", 9_000, "tCO2e"), line("own_generation", 5_000)])
    for col in ("l", "k", "level", "grade"):
        assert with_offsets[col] == without[col], col
    assert with_offsets["neutrality_rate"] > 0.9


def test_the_explanation_names_each_term_its_factor_and_source_in_both_languages():
    row = rate([line("own_generation", 1_000), line("ccer", 50, "tCO2e", reference="CCER-XY")])
    items = [i for i in row["explanation"] if i["code"].startswith("neutrality")]
    assert [i["code"] for i in items] == ["neutrality", "neutrality_term", "neutrality_term"]
    head, pv, ccer = items
    assert head["value"] == pytest.approx((515.3 + 50) / 10_000)
    assert "= 5.65%" in head["zh"] and "排放总量 10,000.00 tCO2e" in head["zh"]
    assert "total emissions 10,000.00 tCO2e" in head["en"]
    assert "1,000.000 MWh × 电网排放因子 0.5153 tCO2/MWh = 515.30 tCO2" in pv["zh"]
    assert "grid-mee-nbs 2022 provincial 33 浙江" in pv["zh"] and "grid factor 0.5153" in pv["en"]
    assert "CCER-XY" in ccer["zh"] and ccer["value"] == 50.0

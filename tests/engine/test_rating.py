"""Rating formulas: 碳效码 thresholds (values exactly on each one), benchmarks, 三维四色 colours."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
import pytest

from dualcarbon.engine import rating as r
from dualcarbon.rating import wording

BENCHMARK = {
    "average": "ratio_of_sums",
    "group": "division",
    "fallback": ["section", "region"],
    "min_group_size": 5,
    "outliers": {"method": "iqr", "k": 3.0, "side": "upper"},
    "max_tier3_share": 0.8,
    "exclude_non_positive": True,
}
# The published 碳效码 thresholds (docs/rating.md § the 碳效码; seeded as scheme zj-efficiency-code v1 by
# src/dualcarbon/rating/migrations/0002_seed_schemes.py, ZHEJIANG["level_bounds"] / ["grade_bounds"]):
# level: L ≤ 0.6 低碳, 0.6 < L ≤ 2.0 中碳, L > 2.0 高碳; grade: 1: K ≤ 0.6, 2: 0.6 < K ≤ 0.8, 3: 0.8 < K ≤ 1.2,
# 4: 1.2 < K ≤ 2.0, 5: K > 2.0 (every band includes its upper end). Expected grades below are read off these.
ZJ: dict[str, Any] = {
    "method": "efficiency_code",
    "min_months": 1,
    "emission_basis": {
        "plus": ["fuel_combustion", "purchased_electricity", "purchased_heat"],
        "minus": ["exported_electricity", "exported_heat"],
    },
    "level_bounds": [0.6, 2.0],
    "grade_bounds": [0.6, 0.8, 1.2, 2.0],
    "benchmark": BENCHMARK,
}
QZ: dict[str, Any] = {
    "method": "three_dim_four_colour",
    "min_months": 1,
    "emission_basis": {"plus": ["fuel_combustion"]},
    "benchmark": BENCHMARK,
    "dimensions": {
        "advancement": {"weight": 0.5, "bounds": [0.8, 1.0, 1.2], "scores": [3, 2, 1, 0]},
        "contribution": {
            "weight": 0.25,
            "metric": "intensity_ratio",
            "bounds": [0.8, 1.0, 1.2],
            "scores": [3, 2, 1, 0],
        },
        "decline": {"weight": 0.25, "metric": "previous_year", "bounds": [-0.05, 0.0, 0.05], "scores": [3, 2, 1, 0]},
    },
    "required_dimensions": ["advancement"],
    "colour_bounds": [2.5, 1.75, 1.0],
}


def params(base: dict[str, Any], **changes: Any) -> r.Params:
    raw = copy.deepcopy(base)
    for key, value in changes.items():
        if key in BENCHMARK:
            raw["benchmark"][key] = value
        else:
            raw[key] = value
    return r.Params.from_dict(raw)


def monthly(rows: list[dict[str, Any]], year: int = 2024) -> pd.DataFrame:
    """One row per enterprise (one month unless given): L × value added of fuel combustion, tier 1."""
    out = []
    for i, row in enumerate(rows):
        va = row.get("va", 100.0)
        e = row.get("e", row.get("l", 1.0) * va)
        tier3 = row.get("tier3", 0.0)
        out.append(
            {
                "population": row.get("population", "339900"),
                "enterprise": row.get("enterprise", i + 1),
                "region_code": "339901",
                "division": row.get("division", "30"),
                "section": row.get("section", "C"),
                "year": year,
                "month": row.get("month", 1),
                "value_added": va,
                "total_tco2e": e,
                "src_fuel_combustion": e,
                **{k: v for k, v in row.items() if k.startswith("src_")},
                "tier_1": e * (1 - tier3),
                "tier_2": 0.0,
                "tier_3": e * tier3,
                "entry": 1000 + i,
            }
        )
    return pd.DataFrame(out)


def run(rows: list[dict[str, Any]], p: r.Params, history: pd.DataFrame | None = None) -> r.Rating:
    """Rate the rows; the results are worded (``wording.render_results``) as the rating app stores them."""
    rating = r.rate(r.period_figures(monthly(rows), p), p, history=history)
    return r.Rating(wording.render_results(rating.results), rating.benchmarks)


def by_enterprise(rating: r.Rating) -> pd.DataFrame:
    return rating.results.set_index("enterprise")


# ------------------------------------------------------------------------------ thresholds


@pytest.mark.parametrize(
    ("k", "grade"),
    [
        (0.0, 1),
        (0.6, 1),  # on the threshold: the upper end is inclusive
        (0.6000001, 2),
        (0.8, 2),
        (0.8000001, 3),
        (1.2, 3),
        (1.2000001, 4),
        (2.0, 4),
        (2.0000001, 5),
        (7.5, 5),
    ],
)
def test_grade_boundaries(k: float, grade: int) -> None:
    assert r.grade_for([k], [0.6, 0.8, 1.2, 2.0]).tolist() == [grade]


@pytest.mark.parametrize(
    ("l_value", "level"),
    [(0.3, "low"), (0.6, "low"), (0.6000001, "medium"), (2.0, "medium"), (2.0000001, "high"), (9.0, "high")],
)
def test_level_boundaries(l_value: float, level: str) -> None:
    assert r.level_for([l_value], [0.6, 2.0]).tolist() == [level]


def test_float_noise_on_a_threshold_stays_on_it() -> None:
    """3 × 0.2 is 0.6000000000000001 and 12 × 0.1 is 1.2000000000000002 in binary floating point."""
    noisy = [3 * 0.2, 12 * 0.1]
    assert noisy[0] > 0.6 and noisy[1] > 1.2
    assert r.grade_for(noisy, [0.6, 0.8, 1.2, 2.0]).tolist() == [1, 3]
    assert r.level_for([3 * 0.2], [0.6, 2.0]).tolist() == ["low"]
    assert r.grade_for([np.nan], [0.6, 0.8, 1.2, 2.0]).tolist() == [0]


def test_k_and_level_through_the_whole_rating_exactly_on_each_threshold() -> None:
    # five enterprises, value added 100 each, Σe/Σva = 500/500 = 1.0 exactly, so K = L
    ls = [0.6, 0.8, 1.2, 2.0, 0.4]
    res = by_enterprise(run([{"l": v} for v in ls], params(ZJ)))
    assert res["benchmark_value"].tolist() == [1.0] * 5
    assert res["k"].tolist() == ls
    assert res["grade"].tolist() == [1, 2, 3, 4, 1]
    assert res["level"].tolist() == ["low", "medium", "medium", "medium", "low"]
    # just above each threshold: +0.001 on the first four, -0.004 on the fifth, so Σe = 500 and Σva = 500 still
    # (benchmark 1.0, K = L); by hand from the thresholds above: K = 0.601 → 2, 0.801 → 3, 1.201 → 4, 2.001 → 5,
    # 0.396 → 1; L 0.601, 0.801, 1.201 → 中碳, 2.001 → 高碳, 0.396 → 低碳
    above = by_enterprise(run([{"l": v} for v in (0.601, 0.801, 1.201, 2.001, 0.396)], params(ZJ)))
    assert above["benchmark_value"].tolist() == pytest.approx([1.0] * 5, abs=1e-12)
    assert above["k"].tolist() == pytest.approx([0.601, 0.801, 1.201, 2.001, 0.396], abs=1e-12)
    assert above["grade"].tolist() == [2, 3, 4, 5, 1]
    assert above["level"].tolist() == ["medium", "medium", "medium", "high", "low"]


def test_explanation_lists_the_thresholds_crossed_in_both_languages() -> None:
    res = run([{"l": v} for v in (0.6, 0.8, 1.2, 2.0, 0.4)], params(ZJ)).results
    items = {i["code"]: i for i in res.loc[2, "explanation"]}  # L = K = 1.2
    assert items["grade"]["crossed"] == [0.6, 0.8]
    assert "0.8 < K ≤ 1.2 → 3 级" in items["grade"]["zh"]
    assert "0.8 < K ≤ 1.2 → grade 3" in items["grade"]["en"]
    assert "0.6 < L ≤ 2 → 中碳" in items["level"]["zh"]
    assert items["benchmark"]["group"] == {"level": "division", "code": "30"}
    assert "纳入 5 家" in items["benchmark"]["zh"]
    assert items["neutrality"]["zh"].startswith("碳中和率暂无法计算")
    first = {i["code"]: i for i in res.loc[0, "explanation"]}  # L = K = 0.6: on the thresholds, none crossed
    assert first["grade"]["crossed"] == [] and "K ≤ 0.6 → 1 级" in first["grade"]["zh"]
    assert np.isnan(res["neutrality_rate"]).all()


def test_the_engine_explains_with_codes_and_numbers_and_the_catalogue_words_them() -> None:
    p = params(ZJ)
    raw = r.rate(r.period_figures(monthly([{"l": v} for v in (0.6, 0.8, 1.2, 2.0, 0.4)]), p), p).results
    assert "neutrality_zh" not in raw and "neutrality_en" not in raw
    items = raw.loc[2, "explanation"]  # L = K = 1.2
    assert all("zh" not in i and "en" not in i and "args" in i for i in items)
    grade = next(i for i in items if i["code"] == "grade")
    assert grade["args"] == {"k": 1.2, "band": 2, "bounds": [0.6, 0.8, 1.2, 2.0], "grade": 3}
    assert grade["crossed"] == [0.6, 0.8] and grade["value"] == 1.2
    assert raw.loc[2, "neutrality_args"]["reason"] == "not_provided"
    worded = wording.render_items(items)
    assert [i["code"] for i in worded] == [i["code"] for i in items]
    assert all("args" not in i and i["zh"] and i["en"] for i in worded)
    assert set(wording.CODES) == set(r.EXPLANATION_CODES)


def test_energy_basis_subtracts_exports_whatever_their_sign_and_leaves_process_out() -> None:
    rows = [
        {"e": 100.0, "src_purchased_electricity": 50.0, "src_exported_heat": -20.0, "src_process": 999.0},
        {"e": 100.0, "src_purchased_electricity": 50.0, "src_exported_heat": 20.0, "src_process": 999.0},
    ]
    fig = r.period_figures(monthly(rows), params(ZJ))
    assert fig["emissions"].tolist() == [130.0, 130.0]
    assert fig["l"].tolist() == [1.3, 1.3]


# ------------------------------------------------------------------------------ benchmarks


def test_ratio_of_sums_versus_mean_of_ratios() -> None:
    rows = [{"e": 10.0, "va": 10.0}, {"e": 90.0, "va": 30.0}]  # L = 1 and 3
    sums = run(rows, params(ZJ, min_group_size=2)).benchmarks
    division = sums[sums["level"] == "division"].iloc[0]
    assert division["value"] == pytest.approx(100 / 40)  # Σe / Σva = 2.5
    assert division["average"] == "ratio_of_sums"
    means = run(rows, params(ZJ, min_group_size=2, average="mean_of_ratios")).benchmarks
    assert means[means["level"] == "division"].iloc[0]["value"] == pytest.approx(2.0)


def test_group_intensity_is_the_ratio_of_sums_over_rows_with_value_added() -> None:
    frame = pd.DataFrame(
        {
            "division": ["30", "30", "30", "31", "31", "32"],
            "enterprise": [1, 2, 2, 3, 4, 5],
            "total_tco2e": [10.0, 20.0, 30.0, 5.0, 99.0, 7.0],
            "value_added": [10.0, 5.0, 5.0, 10.0, np.nan, 0.0],
        }
    )
    g = r.group_intensity(frame, ["division"]).set_index("division")
    assert list(g.columns) == ["value", "n", "sum_emissions", "sum_value_added"]
    assert g.loc["30", "value"] == 60 / 20 and g.loc["30", "n"] == 2  # distinct enterprises
    assert g.loc["31", "value"] == 0.5 and g.loc["31", "n"] == 1  # enterprise 4 has no value added
    assert g.loc["31", "sum_emissions"] == 5.0 and g.loc["31", "sum_value_added"] == 10.0
    assert np.isnan(g.loc["32", "value"]) and g.loc["32", "n"] == 0  # nothing counts: no benchmark


def test_the_ratio_of_sums_benchmark_is_the_group_intensity_of_the_included() -> None:
    rows = [{"l": v, "va": 10.0 * (i + 1)} for i, v in enumerate((0.8, 0.9, 1.0, 1.1, 1.2, 50.0))]
    rating = run(rows, params(ZJ))
    division = rating.benchmarks[rating.benchmarks["level"] == "division"].iloc[0]
    included = rating.results[~rating.results["excl_outlier"]]
    plain = r.group_intensity(included, ["division"], emissions="emissions").iloc[0]
    assert division["value"] == plain["value"] and division["n_included"] == plain["n"] == 5
    assert division["sum_emissions"] == plain["sum_emissions"]


def test_small_groups_fall_back_to_the_section_then_the_region() -> None:
    rows = [{"l": 1.0, "division": "30"} for _ in range(3)]
    rows += [{"l": 2.0, "division": "31"} for _ in range(3)]
    rows += [{"l": 0.5, "division": "44", "section": "D"}]
    res = by_enterprise(run(rows, params(ZJ)))
    assert res["benchmark_level"].tolist() == ["section"] * 6 + ["region"]
    assert res["benchmark_code"].tolist() == ["C"] * 6 + ["339900"]
    assert res["benchmark_value"].iloc[0] == pytest.approx(900 / 600)  # section C: Σe/Σva
    assert res["benchmark_value"].iloc[6] == pytest.approx(950 / 700)
    assert res["fallback"].all()
    assert res["benchmark_wanted_n"].tolist() == [3] * 6 + [1]
    text = next(i for i in res["explanation"].iloc[0] if i["code"] == "benchmark")["zh"]
    assert "行业门类 C" in text and "少于 5 家" in text


def test_a_large_enough_division_is_its_own_group() -> None:
    rows = [{"l": 1.0, "division": "30"} for _ in range(5)] + [{"l": 3.0, "division": "31"} for _ in range(2)]
    res = by_enterprise(run(rows, params(ZJ)))
    assert res["benchmark_level"].tolist() == ["division"] * 5 + ["section"] * 2
    assert not res["fallback"].iloc[0] and res["fallback"].iloc[5]


def test_no_group_large_enough_gives_a_level_but_no_grade() -> None:
    res = by_enterprise(run([{"l": 1.0}, {"l": 3.0}], params(ZJ)))
    assert res["grade"].tolist() == [0, 0]
    assert res["level"].tolist() == ["medium", "high"]
    assert res["status"].tolist() == ["partial", "partial"]
    assert res["reason"].tolist() == ["group_too_small"] * 2


def test_outliers_beyond_q3_plus_3_iqr_are_left_out_of_the_benchmark_but_rated() -> None:
    rows = [{"l": v} for v in (0.8, 0.9, 1.0, 1.1, 1.2, 50.0)]
    rating = run(rows, params(ZJ))
    bench = rating.benchmarks[rating.benchmarks["level"] == "division"].iloc[0]
    assert bench["n_candidates"] == 6 and bench["n_included"] == 5 and bench["n_excluded_outlier"] == 1
    assert bench["value"] == pytest.approx(1.0)  # (80+90+100+110+120)/500
    q1, q3 = np.percentile([0.8, 0.9, 1.0, 1.1, 1.2, 50.0], [25, 75])
    assert bench["outlier_limit"] == pytest.approx(q3 + 3 * (q3 - q1))
    res = by_enterprise(rating)
    assert res["excl_outlier"].tolist() == [False] * 5 + [True]
    assert res["grade"].iloc[5] == 5 and res["status"].iloc[5] == "rated"
    # outliers kept when the rule is switched off
    kept = run(rows, params(ZJ, outliers={"method": "none"})).benchmarks
    assert kept[kept["level"] == "division"].iloc[0]["n_included"] == 6


def test_mostly_tier3_data_is_left_out_of_the_benchmark_but_rated_and_flagged() -> None:
    rows = [{"l": v} for v in (0.8, 0.9, 1.0, 1.1, 1.2)] + [{"l": 1.5, "tier3": 0.9}]
    rating = run(rows, params(ZJ))
    bench = rating.benchmarks[rating.benchmarks["level"] == "division"].iloc[0]
    assert bench["n_excluded_tier3"] == 1 and bench["n_included"] == 5 and bench["value"] == pytest.approx(1.0)
    res = by_enterprise(rating)
    assert res["excl_tier3"].iloc[5] and res["grade"].iloc[5] == 4 and res["k"].iloc[5] == pytest.approx(1.5)
    codes = [i["code"] for i in res["explanation"].iloc[5]]
    assert "excluded_tier3" in codes
    lenient = run(rows, params(ZJ, max_tier3_share=None)).benchmarks
    assert lenient[lenient["level"] == "division"].iloc[0]["n_included"] == 6


def test_enterprises_without_a_full_year_or_value_added_are_not_rated() -> None:
    p = params(ZJ, min_months=12)
    full = [{"enterprise": 1, "month": m, "l": 1.0} for m in range(1, 13)]
    short = [{"enterprise": 2, "month": m, "l": 1.0} for m in range(1, 12)]
    gap = [{"enterprise": 3, "month": m, "l": 1.0} for m in range(1, 13)]
    frame = monthly(full + short + gap)
    frame.loc[(frame["enterprise"] == 3) & (frame["month"] == 5), "value_added"] = np.nan
    fig = r.period_figures(frame, p).set_index("enterprise")
    assert fig["months"].tolist() == [12, 11, 12]
    assert fig["status"].tolist() == ["rated", "not_rated", "not_rated"]
    assert fig["reason"].tolist() == ["", "insufficient_months", "value_added_missing"]
    res = r.rate(fig.reset_index(), p).results.set_index("enterprise")
    assert res.loc[2, "grade"] == 0 and res.loc[2, "level"] == ""
    assert [i["code"] for i in res.loc[2, "explanation"]] == ["inputs", "not_rated"]
    assert res.loc[1, "entries"] == list(range(1000, 1012))


def test_populations_and_periods_are_rated_in_one_call_without_mixing() -> None:
    rows = [{"l": 1.0, "population": "339900"} for _ in range(5)]
    rows += [{"l": 4.0, "population": "330100", "enterprise": 100 + i} for i in range(5)]
    res = by_enterprise(run(rows, params(ZJ))).sort_index()
    assert res["benchmark_value"].tolist() == [1.0] * 5 + [4.0] * 5
    assert res["grade"].tolist() == [3] * 10


def test_benchmarks_can_be_given_instead_of_computed() -> None:
    p = params(ZJ)
    published = run([{"l": v} for v in (0.6, 0.8, 1.2, 2.0, 0.4)], p).benchmarks
    one = r.rate(r.period_figures(monthly([{"l": 0.7}]), p), p, benchmarks=published).results.iloc[0]
    assert one["benchmark_value"] == 1.0 and one["k"] == pytest.approx(0.7) and one["grade"] == 2


def test_params_are_checked() -> None:
    with pytest.raises(r.ParamsError, match="grade_bounds"):
        params(ZJ, grade_bounds=[0.6, 0.8, 1.2])
    with pytest.raises(r.ParamsError, match="ascending"):
        params(ZJ, grade_bounds=[0.8, 0.6, 1.2, 2.0])
    with pytest.raises(r.ParamsError, match="average"):
        params(ZJ, average="median")
    with pytest.raises(r.ParamsError, match="colour_bounds"):
        params(QZ, colour_bounds=[1.0, 1.75, 2.5])


# ------------------------------------------------------------------------------ 三维四色


# L of five enterprises (value added 100, Σe/Σva = 5.0/5 = 1.0): advancement score by K = L
QZ_L = [0.5, 0.9, 1.1, 1.5, 1.0]  # scores 3, 2, 1, 0, 2 (R = K: one division = the whole region)


def _history(ratios: list[float]) -> pd.DataFrame:
    """Last year's figures such that D = L / L_prev − 1 = ratio − 1."""
    p = params(QZ)
    return r.period_figures(monthly([{"l": v / q} for v, q in zip(QZ_L, ratios, strict=True)], year=2023), p)


@pytest.mark.parametrize(
    ("ratios", "colours", "scores"),
    [
        # D = +4 % (1 point): S = 0.75 × a + 0.25 × 1 → 2.5 (on the dark-green threshold), 1.75, 1.0, 0.25, 1.75
        ([1.04] * 5, ["dark_green", "light_green", "yellow", "red", "light_green"], [2.5, 1.75, 1.0, 0.25, 1.75]),
        # D = −10 % (3 points): 3.0, 2.25, 1.5, 0.75, 2.25
        ([0.9] * 5, ["dark_green", "light_green", "yellow", "red", "light_green"], [3.0, 2.25, 1.5, 0.75, 2.25]),
        # D = +10 % (0 points): 2.25 (just below dark green), 1.5, 0.75, 0.0, 1.5
        ([1.1] * 5, ["light_green", "yellow", "red", "red", "yellow"], [2.25, 1.5, 0.75, 0.0, 1.5]),
    ],
)
def test_quzhou_colours(ratios: list[float], colours: list[str], scores: list[float]) -> None:
    p = params(QZ)
    res = by_enterprise(run([{"l": v} for v in QZ_L], p, history=_history(ratios)))
    assert res["advancement_score"].tolist() == [3, 2, 1, 0, 2]
    assert res["contribution_score"].tolist() == [3, 2, 1, 0, 2]
    assert res["score"].tolist() == pytest.approx(scores)
    assert res["colour"].tolist() == colours
    assert (res["status"] == "rated").all() and (res["grade"] == 0).all()
    item = next(i for i in res["explanation"].iloc[0] if i["code"] == "colour")
    assert "→ " in item["zh"] and item["en"].startswith("weighted score S =")


def test_quzhou_without_history_scores_the_other_dimensions() -> None:
    res = by_enterprise(run([{"l": v} for v in QZ_L], params(QZ)))
    assert res["decline_score"].isna().all()
    assert res["score"].tolist() == pytest.approx([3, 2, 1, 0, 2])  # weights renormalised over two dimensions
    assert res["colour"].tolist() == ["dark_green", "light_green", "yellow", "red", "light_green"]
    item = next(i for i in res["explanation"].iloc[0] if i["code"] == "decline")
    assert "无可比的历史年度" in item["zh"]


def test_quzhou_three_year_mean_and_share_metric() -> None:
    raw = copy.deepcopy(QZ)
    raw["dimensions"]["decline"]["metric"] = "mean_3y"
    raw["dimensions"]["contribution"] = {
        "weight": 0.25,
        "metric": "share",
        "bounds": [0.1, 0.2, 0.3],
        "scores": [3, 2, 1, 0],
    }
    p = r.Params.from_dict(raw)
    assert p.history_years == 3
    hist = pd.concat(
        [
            r.period_figures(monthly([{"l": v * f} for v in QZ_L], year=y), p)
            for y, f in ((2023, 1.0), (2022, 2.0), (2021, 3.0))
        ]
    )
    res = by_enterprise(run([{"l": v} for v in QZ_L], p, history=hist))
    assert res["decline_value"].tolist() == pytest.approx([-0.5] * 5)  # L / mean(L, 2L, 3L) − 1
    assert res["contribution_value"].tolist() == pytest.approx([v / 5.0 for v in QZ_L])  # e / Σe
    assert res["contribution_score"].tolist() == [3, 2, 1, 1, 2]  # 0.3 is on the last bound: 1 point


def test_quzhou_requires_the_advancement_dimension() -> None:
    res = by_enterprise(run([{"l": 1.0}, {"l": 2.0}], params(QZ)))  # no group of 5: no benchmark
    assert res["colour"].tolist() == ["", ""]
    assert res["status"].tolist() == ["partial", "partial"]

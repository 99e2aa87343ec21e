"""Grades: each enterprise's benchmark, K / level / grade (碳效码) or the three dimensions and colour (三维四色)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .benchmarks import compute_benchmarks, exclusions
from .explain import explain
from .neutrality import neutrality, neutrality_lines, not_provided
from .schemes import LEVEL_COLUMN, LEVEL_KEYS, METHOD_EFFICIENCY_CODE, PERIOD_KEYS, BenchmarkRule, Params


@dataclass
class Rating:
    results: pd.DataFrame
    benchmarks: pd.DataFrame


def band(values: Any, bounds: Sequence[float], decimals: int = 9) -> np.ndarray:
    """Index of the band each value falls in; bands are closed on the upper end exactly as published:
    band 0 is ``v ≤ b0``, band i is ``b(i-1) < v ≤ b(i)``, the last is ``v > b(last)``.

    Values are rounded to ``decimals`` first, so that float noise (0.6000000000000001) does not move a
    value that is on a threshold into the next band. NaN gives -1.
    """
    v = np.round(np.asarray(values, dtype="float64"), decimals)
    idx = np.searchsorted(np.asarray(bounds, dtype="float64"), v, side="left")
    return np.where(np.isnan(v), -1, idx)


def grade_for(k: Any, bounds: Sequence[float], decimals: int = 9) -> np.ndarray:
    """碳效等级 1–5 from K (0 where K is missing)."""
    b = band(k, bounds, decimals)
    return np.where(b < 0, 0, b + 1)


def level_for(l_values: Any, bounds: Sequence[float], decimals: int = 9) -> np.ndarray:
    """低碳 / 中碳 / 高碳 ("low" / "medium" / "high"; "" where L is missing)."""
    b = band(l_values, bounds, decimals)
    return np.where(b < 0, "", np.array(LEVEL_KEYS)[np.clip(b, 0, 2)])


def select_benchmark(fig: pd.DataFrame, bench: pd.DataFrame, rule: BenchmarkRule) -> pd.DataFrame:
    """Attach to each enterprise the first level of the chain whose group is big enough."""
    out = fig.copy()
    conditions = []
    for level in rule.chain:
        b = bench[bench["level"] == level]
        key = LEVEL_COLUMN[level]
        b = b.rename(columns={c: f"{level}__{c}" for c in b.columns if c not in PERIOD_KEYS})
        if level == "region":
            out = out.merge(b.drop(columns=[f"{level}__code"]), on=PERIOD_KEYS, how="left")
        else:
            out = out.merge(
                b.rename(columns={f"{level}__code": key}).astype({key: str}),
                on=[*PERIOD_KEYS, key],
                how="left",
            )
        ok = (out[f"{level}__n_included"].fillna(0) >= rule.min_group_size) & (out[f"{level}__value"] > 0)
        conditions.append(ok.to_numpy())
    chain = list(rule.chain)
    out["benchmark_level"] = np.select(conditions, chain, default="")
    for c in ("value", "n_included", "n_candidates", "outlier_limit", "lower_limit", "average"):
        choices: list[Any] = [out[f"{lvl}__{c}"].to_numpy() for lvl in chain]
        out[f"benchmark_{c}"] = np.select(conditions, choices, default=np.nan)
    out["benchmark_code"] = np.select(
        conditions,
        [(out["population"] if lvl == "region" else out[LEVEL_COLUMN[lvl]]).astype(str).to_numpy() for lvl in chain],
        default="",
    )
    first = chain[0]
    out["benchmark_wanted_n"] = out[f"{first}__n_included"].fillna(0).astype("int64")
    for c in ("value", "n_included", "n_candidates", "outlier_limit", "lower_limit"):
        out[f"benchmark_{c}"] = pd.to_numeric(out[f"benchmark_{c}"], errors="coerce")
    if "region" not in chain:
        rb = bench[bench["level"] == "region"][[*PERIOD_KEYS, "value", "n_included", "total_emissions"]]
        out = out.merge(
            rb.rename(
                columns={
                    "value": "region__value",
                    "n_included": "region__n_included",
                    "total_emissions": "region__total_emissions",
                }
            ),
            on=PERIOD_KEYS,
            how="left",
        )
    return out.drop(columns=[c for c in out.columns if "__" in c and not c.startswith("region__")])


def history_reference(fig: pd.DataFrame, history: pd.DataFrame | None, metric: str) -> pd.Series:
    """The enterprise's earlier intensity: last year's L, or the mean of the last three years' L."""
    if history is None or history.empty:
        return pd.Series(np.nan, index=fig.index)
    h = history[(history["status"] == "rated") & history["l"].notna()][["enterprise", "year", "month", "l"]]
    h = h.drop_duplicates(["enterprise", "year", "month"], keep="last")
    years = 1 if metric == "previous_year" else 3
    refs = []
    for back in range(1, years + 1):  # one merge per year back (1 or 3), not per enterprise
        shifted = h.assign(year=h["year"] + back).rename(columns={"l": f"l_{back}"})
        refs.append(
            fig[["enterprise", "year", "month"]]
            .merge(shifted, on=["enterprise", "year", "month"], how="left")[f"l_{back}"]
            .to_numpy()
        )
    stacked = np.vstack(refs)
    with warnings.catch_warnings():  # an enterprise without any earlier year: NaN, quietly
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = np.nanmean(stacked, axis=0) if years > 1 else stacked[0]
    return pd.Series(ref, index=fig.index)


def rate(
    fig: pd.DataFrame,
    params: Params,
    history: pd.DataFrame | None = None,
    benchmarks: pd.DataFrame | None = None,
    claims: pd.DataFrame | None = None,
) -> Rating:
    """Rate the enterprise-periods of ``fig`` (from :func:`.figures.period_figures`).

    ``benchmarks`` (rows as :func:`.benchmarks.compute_benchmarks` returns them) are used as given
    instead of being computed: an appeal re-rates one enterprise against the published benchmark.
    ``history``: earlier periods' figures of the same enterprises (for the decline dimension).
    ``claims``: the claim lines of the enterprises (:func:`dualcarbon.engine.claims.claim_lines`, with
    an ``enterprise`` column); only the scheme's rule is applied to them (:func:`.neutrality.neutrality_lines`).
    Without them (None) the carbon-neutrality rate is not computed (reason ``not_provided``). The
    neutrality rate never changes the level, grade or colour.

    The results' ``explanation`` holds structured items (codes and numbers, :mod:`.explain`) and
    ``neutrality_args`` the arguments of the neutrality rate's reason; the words are added by
    ``dualcarbon.rating.wording.render_results``.
    """
    bench = compute_benchmarks(fig, params) if benchmarks is None else benchmarks
    rule = params.benchmark
    out = select_benchmark(exclusions(fig, rule), bench, rule)
    rated = out["status"] == "rated"
    has_bench = rated & (out["benchmark_level"] != "")
    k = (out["l"] / out["benchmark_value"]).where(has_bench)
    out["k"] = k
    out["fallback"] = has_bench & (out["benchmark_level"] != rule.chain[0])
    out["excl_outlier"] = rated & (
        (out["l"] > out["benchmark_outlier_limit"]).fillna(False)
        | (out["l"] < out["benchmark_lower_limit"]).fillna(False)
    )
    if claims is not None:
        by_month = bool((fig["month"] != 0).any()) if len(fig) else False
        lines = neutrality_lines(claims, params.neutrality, by_month=by_month)
        n = neutrality(out, lines, params)
    else:
        n = not_provided(out.index, params)
    for col in n.columns:
        out[col] = n[col]
    d = params.compare_decimals
    if params.method == METHOD_EFFICIENCY_CODE:
        out["level"] = np.where(rated, level_for(out["l"], params.level_bounds, d), "")
        out["grade"] = np.where(has_bench, grade_for(k, params.grade_bounds, d), 0).astype("int64")
        out["colour"] = ""
        out["score"] = np.nan
    else:
        out = three_dimensions(out, params, history)
        out["level"] = ""
        out["grade"] = 0
    out["reason"] = np.where(
        (out["status"] == "rated") & (out["benchmark_level"] == "") & (out["reason"] == ""),
        "group_too_small",
        out["reason"],
    )
    out["explanation"] = pd.Series(explain(out, params), index=out.index, dtype=object)
    graded = (out["grade"] > 0) | (out["colour"] != "")
    out["status"] = np.where(rated & ~graded, "partial", out["status"])
    return Rating(out, bench)


def three_dimensions(out: pd.DataFrame, params: Params, history: pd.DataFrame | None) -> pd.DataFrame:
    """三维四色: each dimension's value, band and score, the weighted score S and the colour."""
    d = params.compare_decimals
    rated = out["status"] == "rated"
    values: dict[str, pd.Series] = {}
    adv = params.dimension("advancement")
    if adv:
        values["advancement"] = out["k"]
    con = params.dimension("contribution")
    if con:
        region_ok = out["region__n_included"].fillna(0) >= params.benchmark.min_group_size
        if con.metric == "share":
            total = out["region__total_emissions"].where(out["region__total_emissions"] > 0)
            values["contribution"] = (out["emissions"] / total).where(rated)
        else:
            values["contribution"] = (out["l"] / out["region__value"].where(out["region__value"] > 0)).where(
                rated & region_ok
            )
    dec = params.dimension("decline")
    if dec:
        ref = history_reference(out, history, dec.metric)
        out["history_reference_l"] = ref
        values["decline"] = (out["l"] / ref.where(ref > 0) - 1.0).where(rated)
    weighted = pd.Series(0.0, index=out.index)
    weights = pd.Series(0.0, index=out.index)
    missing_required = pd.Series(False, index=out.index)
    for dim in params.dimensions:
        v = values[dim.key]
        idx = band(v, dim.bounds, d)
        score = np.where(idx < 0, np.nan, np.asarray(dim.scores, dtype="float64")[np.clip(idx, 0, None)])
        out[f"{dim.key}_value"] = v
        out[f"{dim.key}_band"] = idx
        out[f"{dim.key}_score"] = score
        present = ~np.isnan(score)
        weighted += np.where(present, score * dim.weight, 0.0)
        weights += np.where(present, dim.weight, 0.0)
        if dim.key in params.required_dimensions:
            missing_required |= ~present
    final = (weighted / weights.where(weights > 0)).where(rated & ~missing_required)
    out["score"] = final
    s = np.round(final.to_numpy(dtype="float64"), d)
    cb = params.colour_bounds
    out["colour"] = np.select(
        [np.isnan(s), s >= cb[0], s >= cb[1], s >= cb[2]],
        ["", params.colours[0], params.colours[1], params.colours[2]],
        default=params.colours[3],
    )
    out["reason"] = np.where(
        rated & missing_required & (out["benchmark_level"] != ""), "dimension_missing", out["reason"]
    )
    return out

"""Industry benchmarks: the data-quality and outlier exclusions, and the group intensity at each level."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .schemes import LEVEL_COLUMN, PERIOD_KEYS, BenchmarkRule, Params

BENCHMARK_COLUMNS = (
    "population",
    "year",
    "month",
    "level",
    "code",
    "value",
    "average",
    "n_candidates",
    "n_included",
    "n_excluded_tier3",
    "n_excluded_non_positive",
    "n_excluded_outlier",
    "q1",
    "q3",
    "outlier_limit",
    "lower_limit",
    "sum_emissions",
    "sum_value_added",
    "total_emissions",
)


def group_intensity(
    frame: pd.DataFrame,
    keys: Sequence[str],
    emissions: str = "total_tco2e",
    value_added: str = "value_added",
    entity: str = "enterprise",
) -> pd.DataFrame:
    """The plain intensity benchmark of each group: Σ emissions / Σ value added.

    Only rows with value added > 0 count. Returns one row per group of ``keys`` (sorted; a missing key
    is a group of its own), with the columns ``keys`` + ``value`` (tCO2e per unit of value added; NaN
    when no row of the group counts), ``n`` (distinct ``entity`` values that count), ``sum_emissions``
    and ``sum_value_added`` (of the rows that count; 0.0 when none).
    """
    keys = list(keys)
    va = frame[value_added].astype("float64")
    counts = va > 0
    # rows that do not count are masked (NaN is skipped by the group sums), not dropped: every group of
    # ``frame`` stays, in the order a plain group-by of ``frame`` gives
    parts = pd.DataFrame(
        {
            "_e": frame[emissions].astype("float64").where(counts),
            "_va": va.where(counts),
            "_id": frame[entity].where(counts),
        },
        index=frame.index,
    )
    parts[keys] = frame[keys]
    g = parts.groupby(keys, dropna=False, sort=True).agg(
        n=("_id", "nunique"), sum_emissions=("_e", "sum"), sum_value_added=("_va", "sum")
    )
    g = g.reset_index()
    g["value"] = g["sum_emissions"] / g["sum_value_added"].where(g["sum_value_added"] > 0)
    g["n"] = g["n"].astype("int64")
    return g[[*keys, "value", "n", "sum_emissions", "sum_value_added"]]


def exclusions(fig: pd.DataFrame, rule: BenchmarkRule) -> pd.DataFrame:
    """``fig`` with ``rated``, ``excl_tier3``, ``excl_non_positive`` and ``base_ok`` (a benchmark candidate)."""
    f = fig.copy()
    f["rated"] = f["status"] == "rated"
    f["excl_tier3"] = f["rated"] & (
        (f["tier3_share"] > rule.max_tier3_share) if rule.max_tier3_share is not None else False
    )
    f["excl_non_positive"] = f["rated"] & ((f["l"] <= 0) if rule.exclude_non_positive else False)
    f["base_ok"] = f["rated"] & ~f["excl_tier3"] & ~f["excl_non_positive"]
    return f


def compute_benchmarks(fig: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Benchmark rows for every group at every level of the chain (and the region level, always).

    Columns: population, year, month, level, code, value, average, n_candidates, n_included,
    n_excluded_tier3, n_excluded_non_positive, n_excluded_outlier, q1, q3, outlier_limit,
    sum_emissions, sum_value_added (of the included), total_emissions (of every rated enterprise).
    The ratio of sums is :func:`group_intensity` of the included enterprises.
    """
    rule = params.benchmark
    f = exclusions(fig, rule)
    levels = list(dict.fromkeys([*rule.chain, "region"]))
    frames = []
    for level in levels:  # at most three levels: each one is a vectorised group-by
        keys = PERIOD_KEYS + ([] if level == "region" else [LEVEL_COLUMN[level]])
        rated = f[f["rated"]]
        counts = rated.groupby(keys, dropna=False).agg(
            n_candidates=("enterprise", "size"),
            n_excluded_tier3=("excl_tier3", "sum"),
            n_excluded_non_positive=("excl_non_positive", "sum"),
            total_emissions=("emissions", "sum"),
        )
        ok = f[f["base_ok"]]
        if ok.empty:
            stats = counts.assign(q1=np.nan, q3=np.nan, outlier_limit=np.nan, lower_limit=np.nan)
            stats = stats.assign(n_included=0, n_excluded_outlier=0, sum_emissions=0.0, sum_value_added=0.0)
            stats = stats.assign(mean_l=np.nan, ratio=np.nan)
        else:
            q = ok.groupby(keys, dropna=False)["l"].quantile(np.array([0.25, 0.75])).unstack()
            q.columns = pd.Index(["q1", "q3"])
            if rule.outlier_method == "iqr":
                q["outlier_limit"] = q["q3"] + rule.outlier_k * (q["q3"] - q["q1"])
                lower = q["q1"] - rule.outlier_k * (q["q3"] - q["q1"])
                q["lower_limit"] = lower if rule.outlier_side == "both" else np.nan
            else:
                q["outlier_limit"] = np.nan
                q["lower_limit"] = np.nan
            j = ok.join(q, on=keys)
            j["outlier"] = (j["l"] > j["outlier_limit"]).fillna(False) | (j["l"] < j["lower_limit"]).fillna(False)
            inc = j[~j["outlier"]]
            sums = inc.groupby(keys, dropna=False).agg(n_included=("enterprise", "size"), mean_l=("l", "mean"))
            # the same groups in the same order (a rated enterprise always has value added > 0)
            intensity = group_intensity(inc, keys, emissions="emissions")
            for c, src in (("sum_emissions", "sum_emissions"), ("sum_value_added", "sum_value_added")):
                sums[c] = intensity[src].to_numpy()
            sums["ratio"] = intensity["value"].to_numpy()
            n_out = j.groupby(keys, dropna=False)["outlier"].sum().rename("n_excluded_outlier")
            stats = counts.join(q, how="left").join(n_out, how="left").join(sums, how="left")
        stats = stats.reset_index()
        stats["level"] = level
        stats["code"] = stats[LEVEL_COLUMN[level]].astype(str) if level != "region" else stats["population"]
        frames.append(stats)
    out = pd.concat(frames, ignore_index=True)
    for c in ("n_included", "n_excluded_outlier", "n_excluded_tier3", "n_excluded_non_positive", "n_candidates"):
        out[c] = out[c].fillna(0).astype("int64")
    for c in ("sum_emissions", "sum_value_added"):
        out[c] = out[c].fillna(0.0).astype("float64")
    out["value"] = out["ratio"] if rule.average == "ratio_of_sums" else out["mean_l"]
    out.loc[out["n_included"] == 0, "value"] = np.nan
    out["average"] = rule.average
    return out[list(BENCHMARK_COLUMNS)]

"""Rating formulas as pure table functions: 碳效码 (Zhejiang/Huzhou) and 三维四色 (Quzhou).

Tables in, tables out; no Django, no settings, no network (``docs/rating.md`` explains the methods).

1. :func:`period_figures`: monthly account figures (one row per enterprise-month, as stored in the
   accounts) → one row per enterprise and period (year, or month) with the intensity
   ``L = (energy-related emissions − own zero-carbon generation − sinks) / value added``.
2. :func:`compute_benchmarks`: industry benchmarks per (population, period, group) at each group
   level (industry division, its section, the whole population), with the data-quality and outlier
   exclusions counted by reason.
3. :func:`rate`: picks each enterprise's benchmark (the first level of the fallback chain that has
   at least ``min_group_size`` enterprises), computes K / level / grade (碳效码) or the three
   dimensions, the score and the colour (三维四色), and explains each result in Chinese and English.
4. :func:`neutrality_lines` and :func:`neutrality`: the carbon-neutrality rate (碳中和率) from the
   declared own zero-carbon generation and offsets / green attributes, with the double-counting
   rules (``docs/rating.md`` § 碳中和率) and every term's factor and source.

A *population* is the set of enterprises rated together under one scheme (the region that chose the
scheme); it is a column, so several populations (and periods) are rated in one call. Everything is
column arithmetic, group-bys and merges (pandas/numpy); the only per-row Python is assembling the
explanation dictionaries at the end.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

METHOD_EFFICIENCY_CODE = "efficiency_code"
METHOD_THREE_DIM = "three_dim_four_colour"
METHODS = (METHOD_EFFICIENCY_CODE, METHOD_THREE_DIM)

LEVELS = ("division", "section", "region")
#: the column holding each group level's code (the region level is the population itself)
LEVEL_COLUMN = {"division": "division", "section": "section", "region": "population"}
PERIOD_KEYS = ["population", "year", "month"]
AVERAGES = ("ratio_of_sums", "mean_of_ratios")

#: 碳效等级 levels by L (tCO2/万元)
LEVEL_LABELS = {"low": ("低碳", "low carbon"), "medium": ("中碳", "medium carbon"), "high": ("高碳", "high carbon")}
COLOUR_LABELS = {
    "dark_green": ("深绿", "dark green"),
    "light_green": ("浅绿", "light green"),
    "yellow": ("黄", "yellow"),
    "red": ("红", "red"),
}
GROUP_LABELS = {
    "division": ("行业大类", "industry division"),
    "section": ("行业门类", "industry section"),
    "region": ("全区域", "whole region"),
}
DIMENSION_LABELS = {
    "advancement": ("行业先进性", "industry advancement"),
    "contribution": ("区域贡献度", "regional contribution"),
    "decline": ("自身下降率", "own historical decline"),
}
NOT_RATED_REASONS = {
    "insufficient_months": ("报告期内已核算月份不足", "too few accounted months in the period"),
    "value_added_missing": ("增加值缺失或不为正", "value added missing or not positive"),
}
EXCLUSION_REASONS = {
    "tier3": ("三级数据（因子库缺省值）占比过高", "too large a share of tier-3 (default-factor) data"),
    "non_positive": ("强度不为正", "intensity not positive"),
    "outlier": ("强度异常值（四分位距规则）", "intensity outlier (interquartile-range rule)"),
}
NEUTRALITY_UNAVAILABLE = (
    "碳中和率暂无法计算：本次计算未提供自有零碳发电和碳抵消（CCER、绿证、绿电、碳汇）申报数据。",
    "Carbon-neutrality rate not available: no declarations of own zero-carbon generation or offsets (CCER, "
    "green certificates, green power, sinks) were given to this calculation.",
)
#: declared claims: the kinds measured in MWh (turned into tCO2 with the grid factor) and in tCO2e
MWH_CLAIMS = ("own_generation", "gec", "green_trade")
TCO2_CLAIMS = ("ccer", "forestry")
CLAIM_KINDS = (*MWH_CLAIMS, *TCO2_CLAIMS)
CLAIM_LABELS = {
    "own_generation": ("自有零碳发电", "own zero-carbon generation"),
    "gec": ("绿证", "green certificates (GEC)"),
    "green_trade": ("绿电交易", "green-power trade"),
    "ccer": ("CCER", "CCER"),
    "forestry": ("林业碳汇", "forestry sink"),
}
USE_LABELS = {"self_consumed": ("自发自用", "consumed on site"), "fed_in": ("上网", "fed to the grid")}
#: why a declared line counts less than declared (or nothing)
CLAIM_RULES = {
    "bad_unit": ("单位无法换算，不计入", "unit cannot be converted: not counted"),
    "own_project_certificate": (
        "本企业自有发电项目的绿证：这部分电量已按自有零碳发电计入，不重复计算",
        "certificates of the enterprise's own generation: that electricity already counts as own generation",
    ),
    "bundled_with_trade": (
        "随绿电交易划转的绿证：这部分电量已按绿电交易计入，不重复计算",
        "certificates delivered with a green-power trade: that electricity already counts as the trade",
    ),
    "own_project_ccer": (
        "本企业自有项目的 CCER：其减排已体现在本企业的排放或自有发电中，不重复计算",
        "CCER of the enterprise's own project: the reduction is already in its emissions or own generation",
    ),
    "held": ("持有未注销：注销前不计入", "held, not retired: not counted until retired"),
    "transferred": (
        "绿证已转让的电量不计入（环境权益已归他人）",
        "electricity whose certificates were transferred does not count (the attribute belongs to others)",
    ),
}
NEUTRALITY_REASONS = {
    "insufficient_months": ("报告期内已核算月份不足，未计算", "too few accounted months in the period: not computed"),
    "emissions_not_positive": ("排放量不为正，无法计算比率", "emissions not positive: no ratio"),
    "no_grid_factor": (
        "没有适用的电网排放因子，电量类项目无法折算",
        "no applicable grid emission factor: electricity-based items cannot be converted",
    ),
}


# ------------------------------------------------------------------------------------------ params


class ParamsError(ValueError):
    """A scheme's parameters are incomplete or inconsistent (message names the parameter)."""


@dataclass(frozen=True)
class BenchmarkRule:
    average: str = "ratio_of_sums"
    group: str = "division"
    fallback: tuple[str, ...] = ("section", "region")
    min_group_size: int = 5
    outlier_method: str = "iqr"
    outlier_k: float = 3.0
    outlier_side: str = "upper"
    max_tier3_share: float | None = 0.5
    exclude_non_positive: bool = True

    @property
    def chain(self) -> tuple[str, ...]:
        return (self.group, *[lvl for lvl in self.fallback if lvl != self.group])


@dataclass(frozen=True)
class NeutralityRule:
    """How the carbon-neutrality rate is computed (scheme ``params.neutrality``; every key optional).

    ``denominator``: ``total`` (the accounts' total emissions, default) or ``basis`` (the scheme's
    emission basis, as L uses). ``count_held``: certificates held but not retired count too (default
    no). ``cap_certificates``: green certificates and green-power trades count at most the emissions of
    the electricity bought from the grid (default yes). ``net_of_exported``: generation fed to the grid
    counts only beyond the exported electricity already deducted from the emissions (default yes).
    """

    denominator: str = "total"
    count_held: bool = False
    cap_certificates: bool = True
    net_of_exported: bool = True


@dataclass(frozen=True)
class Dimension:
    key: str
    weight: float
    bounds: tuple[float, ...]
    scores: tuple[float, ...]
    #: contribution: intensity_ratio | share; decline: previous_year | mean_3y
    metric: str = ""


@dataclass(frozen=True)
class Params:
    method: str
    plus: tuple[str, ...]
    minus: tuple[str, ...] = ()
    min_months: int = 12
    level_bounds: tuple[float, ...] = ()
    grade_bounds: tuple[float, ...] = ()
    benchmark: BenchmarkRule = field(default_factory=BenchmarkRule)
    dimensions: tuple[Dimension, ...] = ()
    required_dimensions: tuple[str, ...] = ("advancement",)
    colour_bounds: tuple[float, ...] = ()
    colours: tuple[str, ...] = ("dark_green", "light_green", "yellow", "red")
    compare_decimals: int = 9
    validity_years: int = 1
    neutrality: NeutralityRule = field(default_factory=NeutralityRule)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Params:
        """Read (and check) a scheme's ``params`` JSON."""
        method = str(raw.get("method", ""))
        if method not in METHODS:
            raise ParamsError(f"method must be one of {', '.join(METHODS)} (found {method!r})")
        basis = raw.get("emission_basis") or {}
        plus = tuple(str(s) for s in basis.get("plus", ()))
        if not plus:
            raise ParamsError("emission_basis.plus must list at least one source type")
        b = raw.get("benchmark") or {}
        outliers = b.get("outliers") or {}
        tier3 = b.get("max_tier3_share", 0.5)
        rule = BenchmarkRule(
            average=str(b.get("average", "ratio_of_sums")),
            group=str(b.get("group", "division")),
            fallback=tuple(str(x) for x in b.get("fallback", ("section", "region"))),
            min_group_size=int(b.get("min_group_size", 5)),
            outlier_method=str(outliers.get("method", "iqr")),
            outlier_k=float(outliers.get("k", 3.0)),
            outlier_side=str(outliers.get("side", "upper")),
            max_tier3_share=None if tier3 is None else float(tier3),
            exclude_non_positive=bool(b.get("exclude_non_positive", True)),
        )
        if rule.average not in AVERAGES:
            raise ParamsError(f"benchmark.average must be one of {', '.join(AVERAGES)}")
        if any(lvl not in LEVELS for lvl in rule.chain):
            raise ParamsError(f"benchmark.group/fallback must be among {', '.join(LEVELS)}")
        if rule.min_group_size < 1:
            raise ParamsError("benchmark.min_group_size must be at least 1")
        if rule.outlier_method not in ("iqr", "none") or rule.outlier_side not in ("upper", "both"):
            raise ParamsError("benchmark.outliers: method iqr|none, side upper|both")
        dims = tuple(
            Dimension(
                key=str(k),
                weight=float(d.get("weight", 1.0)),
                bounds=_ascending(d.get("bounds", ()), f"dimensions.{k}.bounds"),
                scores=tuple(float(s) for s in d.get("scores", ())),
                metric=str(d.get("metric", "")),
            )
            for k, d in (raw.get("dimensions") or {}).items()
        )
        nr = raw.get("neutrality") or {}
        neutrality = NeutralityRule(
            denominator=str(nr.get("denominator", "total")),
            count_held=bool(nr.get("count_held", False)),
            cap_certificates=bool(nr.get("cap_certificates", True)),
            net_of_exported=bool(nr.get("net_of_exported", True)),
        )
        if neutrality.denominator not in ("total", "basis"):
            raise ParamsError("neutrality.denominator must be total or basis")
        params = cls(
            method=method,
            plus=plus,
            minus=tuple(str(s) for s in basis.get("minus", ())),
            min_months=int(raw.get("min_months", 12)),
            level_bounds=_ascending(raw.get("level_bounds", ()), "level_bounds"),
            grade_bounds=_ascending(raw.get("grade_bounds", ()), "grade_bounds"),
            benchmark=rule,
            dimensions=dims,
            required_dimensions=tuple(str(x) for x in raw.get("required_dimensions", ("advancement",))),
            colour_bounds=tuple(float(x) for x in raw.get("colour_bounds", ())),
            colours=tuple(str(x) for x in raw.get("colours", ("dark_green", "light_green", "yellow", "red"))),
            compare_decimals=int(raw.get("compare_decimals", 9)),
            validity_years=int(raw.get("validity_years", 1)),
            neutrality=neutrality,
        )
        params._check()
        return params

    def _check(self) -> None:
        if self.method == METHOD_EFFICIENCY_CODE:
            if len(self.level_bounds) != 2:
                raise ParamsError("level_bounds must have two values (低碳/中碳, 中碳/高碳)")
            if len(self.grade_bounds) != 4:
                raise ParamsError("grade_bounds must have four values (grades 1–5)")
        else:
            keys = {d.key for d in self.dimensions}
            if keys - set(DIMENSION_LABELS) or not keys:
                raise ParamsError(f"dimensions must be among {', '.join(DIMENSION_LABELS)}")
            for d in self.dimensions:
                if len(d.scores) != len(d.bounds) + 1:
                    raise ParamsError(f"dimensions.{d.key}: scores needs one more value than bounds")
                if d.weight <= 0:
                    raise ParamsError(f"dimensions.{d.key}.weight must be positive")
            contribution = self.dimension("contribution")
            if contribution and contribution.metric not in ("intensity_ratio", "share"):
                raise ParamsError("dimensions.contribution.metric must be intensity_ratio or share")
            decline = self.dimension("decline")
            if decline and decline.metric not in ("previous_year", "mean_3y"):
                raise ParamsError("dimensions.decline.metric must be previous_year or mean_3y")
            if set(self.required_dimensions) - keys:
                raise ParamsError("required_dimensions must name configured dimensions")
            if len(self.colours) != 4 or len(self.colour_bounds) != 3:
                raise ParamsError("colours needs four values and colour_bounds three")
            if list(self.colour_bounds) != sorted(self.colour_bounds, reverse=True):
                raise ParamsError("colour_bounds must be descending (dark green first)")

    def dimension(self, key: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.key == key), None)

    @property
    def history_years(self) -> int:
        """How many earlier years the decline dimension reads (0: none)."""
        d = self.dimension("decline") if self.method == METHOD_THREE_DIM else None
        return 0 if d is None else (3 if d.metric == "mean_3y" else 1)


def _ascending(values: Any, name: str) -> tuple[float, ...]:
    out = tuple(float(v) for v in values or ())
    if list(out) != sorted(out) or len(set(out)) != len(out):
        raise ParamsError(f"{name} must be strictly ascending")
    return out


# ------------------------------------------------------------------------------- period figures


def period_figures(monthly: pd.DataFrame, params: Params, by_month: bool = False) -> pd.DataFrame:
    """Monthly account rows → one row per (population, enterprise, year[, month]) with L.

    Required columns: population, enterprise, region_code, division, section, year, month,
    value_added (万元, NaN when missing), total_tco2e, ``src_<source type>`` (signed tCO2e as the
    accounts store them; missing columns count 0), ``tier_1``–``tier_3`` (absolute tCO2e).
    Optional: ``entry`` (account entry id, kept as the list ``entries``), ``own_generation`` and
    ``sinks`` (tCO2 deducted; absent = nothing reported = 0).
    """
    m = monthly.copy()
    n = len(m)

    def col(name: str) -> pd.Series:
        return m[name].astype("float64").fillna(0.0) if name in m else pd.Series(np.zeros(n), index=m.index)

    emissions = sum((col(f"src_{s}") for s in params.plus), pd.Series(np.zeros(n), index=m.index))
    emissions = emissions - sum((col(f"src_{s}").abs() for s in params.minus), pd.Series(np.zeros(n), index=m.index))
    m["_emissions"] = emissions
    m["_tier3"] = col("tier_3")
    m["_tier_abs"] = col("tier_1") + col("tier_2") + col("tier_3")
    m["_own"] = col("own_generation")
    m["_sinks"] = col("sinks")
    m["_total"] = col("total_tco2e")
    m["_pe"] = col("src_purchased_electricity")
    m["_xe"] = col("src_exported_electricity").abs()
    m["value_added"] = m["value_added"].astype("float64")
    if not by_month:
        m["_m"] = m["month"]
        m["month"] = 0
    else:
        m["_m"] = m["month"]
    keys = [*PERIOD_KEYS, "enterprise"]
    agg: dict[str, Any] = {
        "region_code": ("region_code", "last"),
        "division": ("division", "last"),
        "section": ("section", "last"),
        "months": ("_m", "nunique"),
        "va_months": ("value_added", "count"),
        "emissions": ("_emissions", "sum"),
        "total_tco2e": ("_total", "sum"),
        "purchased_electricity_tco2": ("_pe", "sum"),
        "exported_electricity_tco2": ("_xe", "sum"),
        "value_added": ("value_added", "sum"),
        "own_generation": ("_own", "sum"),
        "sinks": ("_sinks", "sum"),
        "tier3_tco2e": ("_tier3", "sum"),
        "tier_abs_tco2e": ("_tier_abs", "sum"),
    }
    if "entry" in m:
        agg["entries"] = ("entry", list)
    g = m.groupby(keys, sort=True, dropna=False).agg(**agg).reset_index()
    g["own_generation_reported"] = "own_generation" in monthly
    g["sinks_reported"] = "sinks" in monthly
    va = g["value_added"].where((g["va_months"] == g["months"]) & (g["value_added"] > 0))
    g["l"] = (g["emissions"] - g["own_generation"] - g["sinks"]) / va
    g["tier3_share"] = (g["tier3_tco2e"] / g["tier_abs_tco2e"].where(g["tier_abs_tco2e"] > 0)).fillna(0.0)
    min_months = 1 if by_month else params.min_months
    g["reason"] = np.select(
        [g["months"] < min_months, va.isna()], ["insufficient_months", "value_added_missing"], default=""
    )
    g["status"] = np.where(g["reason"] == "", "rated", "not_rated")
    g["period"] = _period_labels(g)
    return g


def _period_labels(frame: pd.DataFrame) -> pd.Series:
    year = frame["year"].astype(int).astype(str)
    month = frame["month"].astype(int)
    return year.where(month == 0, year + "-" + month.map("{:02d}".format))


# ----------------------------------------------------------------------------------- benchmarks


def _exclusions(fig: pd.DataFrame, rule: BenchmarkRule) -> pd.DataFrame:
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
    """
    rule = params.benchmark
    f = _exclusions(fig, rule)
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
            stats = stats.assign(mean_l=np.nan)
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
            sums = inc.groupby(keys, dropna=False).agg(
                n_included=("enterprise", "size"),
                sum_emissions=("emissions", "sum"),
                sum_value_added=("value_added", "sum"),
                mean_l=("l", "mean"),
            )
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
    ratio = out["sum_emissions"] / out["sum_value_added"].where(out["sum_value_added"] > 0)
    out["value"] = ratio if rule.average == "ratio_of_sums" else out["mean_l"]
    out.loc[out["n_included"] == 0, "value"] = np.nan
    out["average"] = rule.average
    cols = [
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
    ]
    return out[cols]


# ---------------------------------------------------------------------------------------- rating


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
    return np.where(b < 0, "", np.array(["low", "medium", "high"])[np.clip(b, 0, 2)])


def _select(fig: pd.DataFrame, bench: pd.DataFrame, rule: BenchmarkRule) -> pd.DataFrame:
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


def _history_reference(fig: pd.DataFrame, history: pd.DataFrame | None, metric: str) -> pd.Series:
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
    """Rate the enterprise-periods of ``fig`` (from :func:`period_figures`).

    ``benchmarks`` (rows as :func:`compute_benchmarks` returns them) are used as given instead of
    being computed: an appeal re-rates one enterprise against the published benchmark.
    ``history``: earlier periods' figures of the same enterprises (for the decline dimension).
    ``claims``: the declared own generation and offsets (see :func:`neutrality_lines`); without them
    (None) the carbon-neutrality rate is not computed and the explanation says so. The
    neutrality rate never changes the level, grade or colour.
    """
    bench = compute_benchmarks(fig, params) if benchmarks is None else benchmarks
    rule = params.benchmark
    out = _select(_exclusions(fig, rule), bench, rule)
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
        for col in n.columns:
            out[col] = n[col]
    else:
        out["neutrality_rate"] = np.nan
        out["neutrality_reason"] = "not_provided"
        out["neutrality_terms"] = pd.Series([[] for _ in range(len(out))], index=out.index, dtype=object)
        out["neutrality_zh"] = NEUTRALITY_UNAVAILABLE[0]
        out["neutrality_en"] = NEUTRALITY_UNAVAILABLE[1]
    d = params.compare_decimals
    if params.method == METHOD_EFFICIENCY_CODE:
        out["level"] = np.where(rated, level_for(out["l"], params.level_bounds, d), "")
        out["grade"] = np.where(has_bench, grade_for(k, params.grade_bounds, d), 0).astype("int64")
        out["colour"] = ""
        out["score"] = np.nan
    else:
        out = _three_dimensions(out, params, history)
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


def _three_dimensions(out: pd.DataFrame, params: Params, history: pd.DataFrame | None) -> pd.DataFrame:
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
        ref = _history_reference(out, history, dec.metric)
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


# ----------------------------------------------------------------------------------- neutrality


def _to_measure(unit: str, measure: str) -> float:
    """The factor from a declared unit to MWh or tCO2e (NaN when it cannot be converted)."""
    from . import units

    try:
        return units.factor(str(unit or ""), measure)
    except Exception:
        return float("nan")


def _grid(spec: str, year: int, region: str) -> Any:
    """The grid factor the region's method policy chooses for the year (None when there is none)."""
    from .factors import cached_grid

    try:
        return cached_grid(spec or "mee:national").choose(int(year), region)
    except (KeyError, LookupError, ValueError):
        return None


LINE_COLUMNS_OUT = (
    "enterprise",
    "year",
    "month",
    "line_month",
    "kind",
    "use",
    "technology",
    "origin",
    "status",
    "reference",
    "quantity",
    "unit",
    "measure",
    "amount",
    "counted",
    "moved",
    "rule",
    "grid_factor",
    "grid_ref",
    "avoided_tco2",
)


def neutrality_lines(claims: pd.DataFrame, rule: NeutralityRule, by_month: bool = False) -> pd.DataFrame:
    """Declared lines → what each one counts for the carbon-neutrality rate, and why.

    ``claims``: one row per declared line with enterprise, year, month, kind (own_generation | gec |
    green_trade | ccer | forestry), use (self_consumed | fed_in, own generation only), origin (purchased |
    own_project | green_trade), status (retired | held), quantity, unit, transferred (own generation:
    the part whose certificates were transferred, same unit), reference, technology, region_code and
    grid_spec (the grid-factor choice of the region's method policy, e.g. ``mee:provincial``).

    Rules on one line (docs/rating.md): a GEC of the enterprise's own generation project or one
    delivered with a green-power trade counts nothing (its MWh count once, as the generation or the
    trade); a CCER of the enterprise's own project counts nothing; a certificate held but not retired
    counts nothing unless ``rule.count_held``; own generation counts its quantity less the part whose
    certificates were transferred. MWh are turned into tCO2 with the grid factor of the line's year and
    region (``engine.factors``), the same choice the accounts use for purchased electricity.
    """
    if claims is None or claims.empty:
        return pd.DataFrame(columns=list(LINE_COLUMNS_OUT))
    c = claims.reset_index(drop=True).copy()
    for name in ("use", "origin", "status", "reference", "technology", "region_code", "grid_spec"):
        c[name] = c[name].fillna("").astype(str) if name in c else ""
    c["line_month"] = c["month"].astype(int)
    c["month"] = c["line_month"] if by_month else 0
    c["quantity"] = pd.to_numeric(c["quantity"], errors="coerce").astype("float64")
    transferred = (
        pd.to_numeric(c["transferred"], errors="coerce") if "transferred" in c else pd.Series(np.nan, index=c.index)
    )
    kind = c["kind"].astype(str)
    mwh = kind.isin(MWH_CLAIMS)
    c["measure"] = np.where(mwh, "MWh", "tCO2e")
    factors = {pair: _to_measure(*pair) for pair in set(zip(c["unit"].astype(str), c["measure"], strict=True))}
    unit_factor = np.array([factors[p] for p in zip(c["unit"].astype(str), c["measure"], strict=True)], dtype=float)
    c["amount"] = c["quantity"] * unit_factor
    own = kind == "own_generation"
    moved = np.where(own, transferred.fillna(0.0).to_numpy() * unit_factor, 0.0)
    held = (c["status"] == "held") & ~kind.isin(["own_generation", "green_trade"]) & (not rule.count_held)
    conditions = [
        np.isnan(unit_factor),
        (kind == "gec") & (c["origin"] == "own_project"),
        (kind == "gec") & (c["origin"] == "green_trade"),
        (kind == "ccer") & (c["origin"] == "own_project"),
        held,
    ]
    codes = ["bad_unit", "own_project_certificate", "bundled_with_trade", "own_project_ccer", "held"]
    zero = np.select(conditions, codes, default="")
    c["rule"] = np.where((zero == "") & own & (moved > 0), "transferred", zero)
    c["moved"] = np.nan_to_num(moved)
    counted = np.where(zero == "", np.clip(c["amount"].to_numpy() - moved, 0.0, None), 0.0)
    c["counted"] = np.nan_to_num(counted)
    # one grid choice per distinct (policy grid spec, year, region): few, whatever the number of lines
    need = mwh & (c["counted"] > 0)
    keys = list(zip(c["grid_spec"], c["year"].astype(int), c["region_code"], strict=True))
    choices = {k: _grid(*k) for k in {k for k, n in zip(keys, need, strict=True) if n}}
    picked = [choices.get(k) if n else None for k, n in zip(keys, need, strict=True)]
    c["grid_factor"] = [p.value if p is not None else np.nan for p in picked]
    c["grid_ref"] = [f"{p.ref}（{p.factor_set} v{p.version}）" if p is not None else "" for p in picked]
    c["avoided_tco2"] = np.where(mwh, c["counted"] * c["grid_factor"].fillna(0.0), c["counted"])
    c.loc[mwh & (c["counted"] == 0), "avoided_tco2"] = 0.0
    return c[list(LINE_COLUMNS_OUT)]


TERMS = ("own_self_consumed", "own_fed_in", "certificates", "ccer", "forestry")
TERM_LABELS = {
    "own_self_consumed": ("自有零碳发电（自发自用）", "own zero-carbon generation consumed on site"),
    "own_fed_in": ("自有零碳发电（上网）", "own zero-carbon generation fed to the grid"),
    "certificates": ("绿证与绿电交易", "green certificates and green-power trades"),
    "ccer": ("CCER", "CCER"),
    "forestry": ("林业碳汇", "forestry sinks"),
}


def _term_masks(lines: pd.DataFrame) -> dict[str, pd.Series]:
    kind, use = lines["kind"], lines["use"]
    return {
        "own_self_consumed": (kind == "own_generation") & (use != "fed_in"),
        "own_fed_in": (kind == "own_generation") & (use == "fed_in"),
        "certificates": kind.isin(["gec", "green_trade"]),
        "ccer": kind == "ccer",
        "forestry": kind == "forestry",
    }


def neutrality(fig: pd.DataFrame, lines: pd.DataFrame | None, params: Params) -> pd.DataFrame:
    """The carbon-neutrality rate of each enterprise-period of ``fig`` (same index), with its explanation.

    N = (A_self + A_fed + A_cert + O) / E where A_self and A_fed are the tCO2 avoided by own zero-carbon
    generation consumed on site and fed to the grid (MWh × grid factor), A_cert the tCO2 of retired green
    certificates and green-power trades (MWh × grid factor), O the retired CCER and forestry sinks
    (tCO2e), and E the accounts' total emissions (or the scheme's emission basis).

    Double counting across terms: A_fed counts only beyond the exported electricity the accounts already
    deduct (``net_of_exported``); A_cert counts at most the emissions of the purchased grid electricity
    (``cap_certificates``). Columns: neutrality_rate (NaN when not computed), neutrality_reason,
    neutrality_numerator, neutrality_denominator, neutrality_terms (list per row), neutrality_zh/_en.
    """
    rule = params.neutrality
    keys = ["enterprise", "year", "month"]
    base = fig[keys].copy()
    sums = ["n_lines", "missing_factor", *[f"{t}_{m}" for t in TERMS for m in ("amount", "tco2")]]
    by_row: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    if lines is None or lines.empty:
        agg = pd.DataFrame(columns=[*keys, *sums])
    else:
        masks = _term_masks(lines)
        parts: dict[str, Any] = {"n_lines": 1.0}
        mwh = lines["kind"].isin(MWH_CLAIMS)
        parts["missing_factor"] = (mwh & (lines["counted"] > 0) & lines["grid_factor"].isna()).astype(float)
        term = np.select(list(masks.values()), list(masks.keys()), default="")
        for t, mask in masks.items():
            parts[f"{t}_amount"] = np.where(mask, lines["counted"], 0.0)
            parts[f"{t}_tco2"] = np.where(mask, lines["avoided_tco2"], 0.0)
        agg = lines[keys].assign(**parts).groupby(keys, as_index=False).sum()
        # the per-line details as plain records, grouped by enterprise-period (no per-row pandas indexing)
        for raw, t in zip(lines.to_dict("records"), term.tolist(), strict=True):
            rec = {str(k): v for k, v in raw.items()}
            rec["term"] = t
            by_row.setdefault((rec["enterprise"], rec["year"], rec["month"]), []).append(rec)
    m = base.merge(agg, on=keys, how="left")
    m.index = fig.index
    for c in sums:
        m[c] = pd.to_numeric(m[c], errors="coerce").astype("float64").fillna(0.0)
    exported = fig["exported_electricity_tco2"] if "exported_electricity_tco2" in fig else 0.0
    purchased = fig["purchased_electricity_tco2"] if "purchased_electricity_tco2" in fig else 0.0
    fed_gross = m["own_fed_in_tco2"]
    fed = (fed_gross - exported).clip(lower=0.0) if rule.net_of_exported else fed_gross
    cert_gross = m["certificates_tco2"]
    cert = np.minimum(cert_gross, np.clip(purchased, 0.0, None)) if rule.cap_certificates else cert_gross
    numerator = m["own_self_consumed_tco2"] + fed + cert + m["ccer_tco2"] + m["forestry_tco2"]
    denominator = fig["total_tco2e"] if rule.denominator == "total" else fig["emissions"]
    reason = np.select(
        [
            fig["reason"].astype(str) == "insufficient_months",
            m["missing_factor"] > 0,
            ~(denominator > 0),
            m["n_lines"] == 0,
        ],
        ["insufficient_months", "no_grid_factor", "emissions_not_positive", "no_declarations"],
        default="",
    )
    ok = np.isin(reason, ["", "no_declarations"])
    rates = np.where(ok, numerator / denominator.where(denominator > 0), np.nan)
    out = pd.DataFrame(index=fig.index)
    out["neutrality_rate"] = rates
    out["neutrality_reason"] = reason
    out["neutrality_numerator"] = np.where(ok, numerator, np.nan)
    out["neutrality_denominator"] = denominator.astype("float64")
    counted = {
        "own_self_consumed": m["own_self_consumed_tco2"].to_numpy(dtype="float64"),
        "own_fed_in": np.asarray(fed, dtype="float64"),
        "certificates": np.asarray(cert, dtype="float64"),
        "ccer": m["ccer_tco2"].to_numpy(dtype="float64"),
        "forestry": m["forestry_tco2"].to_numpy(dtype="float64"),
    }
    declared = {f"{t}_{x}": m[f"{t}_{x}"].to_numpy(dtype="float64") for t in TERMS for x in ("amount", "tco2")}
    dens = denominator.to_numpy(dtype="float64")
    texts_zh: list[str] = []
    texts_en: list[str] = []
    terms_all: list[list[dict[str, Any]]] = []
    den_label = ("排放总量", "total emissions") if rule.denominator == "total" else ("评级口径排放", "rated emissions")
    for pos, row_key in enumerate(fig[keys].itertuples(index=False, name=None)):
        recs = by_row.get(tuple(row_key))
        terms = (
            _terms(
                recs,
                {k: float(v[pos]) for k, v in declared.items()},
                {t: float(v[pos]) for t, v in counted.items()},
            )
            if recs
            else []
        )
        terms_all.append(terms)
        r = str(reason[pos])
        den = float(dens[pos])
        if r in NEUTRALITY_REASONS:
            zh, en = NEUTRALITY_REASONS[r]
            texts_zh.append(f"碳中和率：{zh}")
            texts_en.append(f"carbon-neutrality rate: {en}")
            continue
        rate = float(rates[pos])
        if r == "no_declarations":
            texts_zh.append(
                f"碳中和率 = 0 / {den_label[0]} {den:,.2f} tCO2e = {rate:.2%}（本期未申报自有零碳发电或碳抵消）"
            )
            texts_en.append(
                f"carbon-neutrality rate = 0 / {den_label[1]} {den:,.2f} tCO2e = {rate:.2%} "
                "(no own zero-carbon generation or offsets declared for the period)"
            )
            continue
        shown = [t for t in terms if t["declared_tco2"] or t["counted_tco2"]]
        num_zh = " + ".join(f"{t['zh_name']} {t['counted_tco2']:,.2f}" for t in shown) or "0"
        num_en = " + ".join(f"{t['en_name']} {t['counted_tco2']:,.2f}" for t in shown) or "0"
        texts_zh.append(f"碳中和率 = ({num_zh}) tCO2e / {den_label[0]} {den:,.2f} tCO2e = {rate:.2%}")
        texts_en.append(f"carbon-neutrality rate = ({num_en}) tCO2e / {den_label[1]} {den:,.2f} tCO2e = {rate:.2%}")
    out["neutrality_terms"] = pd.Series(terms_all, index=fig.index, dtype=object)
    out["neutrality_zh"] = texts_zh
    out["neutrality_en"] = texts_en
    return out


def _line_out(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "period": f"{int(r['year'])}-{int(r['line_month']):02d}",
        "kind": r["kind"],
        "use": r["use"],
        "technology": r["technology"],
        "origin": r["origin"],
        "status": r["status"],
        "reference": r["reference"],
        "quantity": _float_or_none(r["quantity"]),
        "unit": r["unit"],
        "counted": _float_or_none(r["counted"]),
        "transferred": _float_or_none(r["moved"]),
        "measure": r["measure"],
        "grid_factor": _float_or_none(r["grid_factor"]),
        "avoided_tco2": _float_or_none(r["avoided_tco2"]),
        "rule": r["rule"],
    }


def _terms(recs: list[dict[str, Any]], sums: dict[str, float], counted: dict[str, float]) -> list[dict[str, Any]]:
    """Each term of one enterprise-period: declared and counted quantity, factor(s) and source(s), rules applied."""
    out = []
    for t in TERMS:
        part = [r for r in recs if r["term"] == t]
        if not part:
            continue
        zh_name, en_name = TERM_LABELS[t]
        amount = sums[f"{t}_amount"]
        declared_tco2 = sums[f"{t}_tco2"]
        counted_tco2 = counted[t]
        refs = sorted({(float(r["grid_factor"]), str(r["grid_ref"])) for r in part if r["grid_ref"]})
        unit = "MWh" if t in ("own_self_consumed", "own_fed_in", "certificates") else "tCO2e"
        counted_refs = "、".join(sorted({str(r["reference"]) for r in part if r["counted"] > 0 and r["reference"]}))
        if unit == "MWh":
            factors = "、".join(f"{f:g}" for f, _r in refs) or "—"
            sources = "；".join(ref for _f, ref in refs) or "—"
            zh = (
                f"{zh_name}：{amount:,.3f} MWh × 电网排放因子 {factors} tCO2/MWh = {declared_tco2:,.2f} tCO2"
                f"（因子来源：{sources}）"
            )
            en = (
                f"{en_name}: {amount:,.3f} MWh × grid factor {factors} tCO2/MWh = {declared_tco2:,.2f} tCO2 "
                f"(factor: {sources})"
            )
        else:
            zh = f"{zh_name}：{amount:,.2f} tCO2e（凭证：{counted_refs or '—'}）"
            en = f"{en_name}: {amount:,.2f} tCO2e (certificates: {counted_refs or '—'})"
        notes_zh: list[str] = []
        notes_en: list[str] = []
        if t == "own_fed_in" and declared_tco2 - counted_tco2 > 1e-9:
            notes_zh.append(f"其中 {declared_tco2 - counted_tco2:,.2f} tCO2 已作为输出电力从排放中扣除，不重复计入")
            notes_en.append(
                f"{declared_tco2 - counted_tco2:,.2f} tCO2 of it is already deducted from the emissions as exported "
                "electricity and is not counted again"
            )
        if t == "certificates" and declared_tco2 - counted_tco2 > 1e-9:
            notes_zh.append(
                f"超过购入电力排放的 {declared_tco2 - counted_tco2:,.2f} tCO2 不计入（绿证/绿电只能抵消所购电量）"
            )
            notes_en.append(
                f"{declared_tco2 - counted_tco2:,.2f} tCO2 beyond the emissions of the purchased electricity is not "
                "counted (certificates and green power only cover electricity bought)"
            )
        for rule_code in sorted({r["rule"] for r in part if r["rule"]}):
            group = [r for r in part if r["rule"] == rule_code]
            rz, re_ = CLAIM_RULES[rule_code]
            column = "moved" if rule_code == "transferred" else "amount"
            left = sum(float(np.nan_to_num(r[column])) for r in group)
            what = "、".join(sorted({str(r["reference"]) for r in group if r["reference"]}))
            qty = f"{left:,.3f} {group[0]['measure']}"
            notes_zh.append(f"{rz}：{qty}{'（' + what + '）' if what else ''}")
            notes_en.append(f"{re_}: {qty}{' (' + what + ')' if what else ''}")
        if notes_zh:
            zh += "；" + "；".join(notes_zh)
            en += "; " + "; ".join(notes_en)
        zh += f" → 计入 {counted_tco2:,.2f} tCO2e"
        en += f" → counted {counted_tco2:,.2f} tCO2e"
        out.append(
            {
                "term": t,
                "zh_name": zh_name,
                "en_name": en_name,
                "zh": zh,
                "en": en,
                "amount": amount,
                "unit": unit,
                "declared_tco2": declared_tco2,
                "counted_tco2": counted_tco2,
                "factors": [{"value": f, "source": ref} for f, ref in refs],
                "lines": [_line_out(r) for r in part],
            }
        )
    return out


def _float_or_none(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else f


# ----------------------------------------------------------------------------------- explanation


def _basis_text(params: Params, lang: int) -> tuple[str, str]:
    """The emission basis as names: ("化石燃料燃烧+购入电力", "−输出电力") ."""
    from .methods import SOURCE_TYPES

    def name(code: str) -> str:
        st = SOURCE_TYPES.get(code)
        return code if st is None else (st.name_zh if lang == 0 else st.name_en)

    plus = " + ".join(name(c) for c in params.plus)
    minus = "".join(f" − {name(c)}" for c in params.minus)
    return plus, minus


def _num(values: Any, places: int = 4) -> np.ndarray:
    v = np.asarray(values, dtype="float64")
    text = np.char.mod(f"%.{places}f", np.nan_to_num(v))
    return np.where(np.isnan(v), "—", text)


def _b(x: float) -> str:
    return f"{x:g}"


def _band_texts(name: str, bounds: Sequence[float]) -> list[str]:
    """The condition of each band, closed on the upper end: ["K ≤ 0.6", "0.6 < K ≤ 0.8", …, "K > 2"]."""
    n = len(bounds)
    out = [f"{name} ≤ {_b(bounds[0])}"]
    out += [f"{_b(bounds[i - 1])} < {name} ≤ {_b(bounds[i])}" for i in range(1, n)]
    out.append(f"{name} > {_b(bounds[-1])}")
    return out


def _pick(texts: Sequence[str], idx: np.ndarray) -> np.ndarray:
    arr = np.asarray([*texts, ""], dtype=object)
    return arr[np.where(idx < 0, len(texts), idx)]


def _crossed(values: Any, bounds: Sequence[float], idx: np.ndarray) -> list[list[float]]:
    """Thresholds the value lies above (for band i: the first i bounds)."""
    prefixes = [list(bounds[:i]) for i in range(len(bounds) + 1)]
    return [prefixes[i] if i >= 0 else [] for i in idx.tolist()]


def explain(out: pd.DataFrame, params: Params) -> list[list[dict[str, Any]]]:
    """Each result's explanation: a list of items {code, zh, en, value, band, thresholds, crossed}.

    The texts are built column-wise (numpy string arrays); only the final dictionaries are
    assembled row by row.
    """
    n = len(out)
    rated = (out["status"] == "rated").to_numpy()
    items: list[list[tuple[str, np.ndarray, np.ndarray, Any, Any, Any]]] = []
    # inputs
    plus_zh, minus_zh = _basis_text(params, 0)
    plus_en, minus_en = _basis_text(params, 1)
    own = out["own_generation_reported"].to_numpy() if "own_generation_reported" in out else np.zeros(n, bool)
    own_zh = np.where(
        own, "自有零碳发电 " + _num(out["own_generation"], 2), "自有零碳发电 0（不在 L 中扣除，计入碳中和率）"
    )
    own_en = np.where(
        own,
        "own zero-carbon generation " + _num(out["own_generation"], 2),
        "own zero-carbon generation 0 (not deducted in L; it counts in the neutrality rate)",
    )
    sinks = out["sinks_reported"].to_numpy() if "sinks_reported" in out else np.zeros(n, bool)
    sinks_zh = np.where(sinks, "碳汇 " + _num(out["sinks"], 2), "碳汇 0（不在 L 中扣除，计入碳中和率）")
    sinks_en = np.where(sinks, "sinks " + _num(out["sinks"], 2), "sinks 0 (not deducted in L)")
    va = _num(out["value_added"], 2)
    em = _num(out["emissions"], 2)
    inputs_zh = (
        "L = (排放 "
        + em
        + f" tCO2 [口径：{plus_zh}{minus_zh}] − "
        + own_zh
        + " − "
        + sinks_zh
        + ") / 增加值 "
        + va
        + " 万元 = "
        + _num(out["l"])
        + " tCO2/万元（"
        + out["months"].astype(str).to_numpy()
        + " 个月）"
    )
    inputs_en = (
        "L = (emissions "
        + em
        + f" tCO2 [basis: {plus_en}{minus_en}] − "
        + own_en
        + " − "
        + sinks_en
        + ") / value added "
        + va
        + " 10k yuan = "
        + _num(out["l"])
        + " tCO2/10k yuan ("
        + out["months"].astype(str).to_numpy()
        + " month(s))"
    )
    none = np.full(n, None, dtype=object)
    items.append([("inputs", inputs_zh, inputs_en, out["l"].to_numpy(), none, none)])
    # not rated
    reason = out["reason"].to_numpy().astype(str)
    reason_texts = {
        **NOT_RATED_REASONS,
        "group_too_small": (
            "各级对标组的纳入企业均少于最小样本数，无法计算对标值",
            "every benchmark group has fewer enterprises than the minimum size: no benchmark",
        ),
        "dimension_missing": ("必需的评价维度缺失，无法定色", "a required dimension is missing: no colour"),
    }
    rz = out["reason"].map({k: v[0] for k, v in reason_texts.items()}).fillna("").to_numpy(dtype=object)
    re_ = out["reason"].map({k: v[1] for k, v in reason_texts.items()}).fillna("").to_numpy(dtype=object)
    has_reason = rz != ""
    items.append(
        [
            (
                "not_rated",
                np.where(has_reason, "未评级：" + rz, ""),
                np.where(has_reason, "not rated: " + re_, ""),
                reason,
                none,
                none,
            )
        ]
    )
    # benchmark
    lvl = out["benchmark_level"].to_numpy().astype(str)
    lz = np.array([GROUP_LABELS.get(x, ("", ""))[0] for x in LEVELS] + [""], dtype=object)
    le = np.array([GROUP_LABELS.get(x, ("", ""))[1] for x in LEVELS] + [""], dtype=object)
    li = np.select([lvl == x for x in LEVELS], list(range(len(LEVELS))), default=len(LEVELS))
    avg_zh = "Σ排放/Σ增加值（比值法）" if params.benchmark.average == "ratio_of_sums" else "各企业强度的算术平均"
    avg_en = "Σ emissions / Σ value added" if params.benchmark.average == "ratio_of_sums" else "mean of intensities"
    code = out["benchmark_code"].to_numpy().astype(str)
    n_inc = _num(out["benchmark_n_included"], 0)
    bz = (
        "对标值 "
        + _num(out["benchmark_value"])
        + " tCO2/万元："
        + lz[li]
        + " "
        + code
        + "，纳入 "
        + n_inc
        + f" 家，{avg_zh}"
    )
    be = (
        "benchmark "
        + _num(out["benchmark_value"])
        + " tCO2/10k yuan: "
        + le[li]
        + " "
        + code
        + ", "
        + n_inc
        + f" enterprises, {avg_en}"
    )
    fb = out["fallback"].to_numpy()
    first = params.benchmark.chain[0]
    fz, fe = GROUP_LABELS[first]
    wanted = _num(out["benchmark_wanted_n"], 0)
    bz = np.where(
        fb, bz + f"（本{fz}纳入企业 " + wanted + f" 家，少于 {params.benchmark.min_group_size} 家，上溯）", bz
    )
    be = np.where(fb, be + f" (own {fe} has " + wanted + f" < {params.benchmark.min_group_size}, fell back)", be)
    items.append([("benchmark", bz, be, out["benchmark_value"].to_numpy(), lvl, code)])
    # exclusions (rated but left out of the benchmark)
    for flag, (zh, en) in EXCLUSION_REASONS.items():
        col = f"excl_{flag}"
        mask = out[col].to_numpy() if col in out else np.zeros(n, bool)
        items.append(
            [
                (
                    f"excluded_{flag}",
                    np.where(mask, f"不计入对标值：{zh}（仍参与评级）", ""),
                    np.where(mask, f"left out of the benchmark: {en} (still rated)", ""),
                    mask,
                    none,
                    none,
                )
            ]
        )
    if params.method == METHOD_EFFICIENCY_CODE:
        lb = params.level_bounds
        idx = band(out["l"], lb, params.compare_decimals)
        lvl_names = ["low", "medium", "high"]
        zh_lbl = [LEVEL_LABELS[x][0] for x in lvl_names]
        en_lbl = [LEVEL_LABELS[x][1] for x in lvl_names]
        cond = _band_texts("L", lb)
        lz_ = "L = " + _num(out["l"]) + "：" + _pick(cond, idx) + " → " + _pick(zh_lbl, idx)
        le_ = "L = " + _num(out["l"]) + ": " + _pick(cond, idx) + " → " + _pick(en_lbl, idx)
        items.append([("level", lz_, le_, out["l"].to_numpy(), idx, _crossed(out["l"], lb, idx))])
        gb = params.grade_bounds
        gidx = band(out["k"], gb, params.compare_decimals)
        gcond = _band_texts("K", gb)
        gz = [f"{i} 级" for i in range(1, 6)]
        ge = [f"grade {i}" for i in range(1, 6)]
        kz = "K = L / 对标值 = " + _num(out["k"]) + "：" + _pick(gcond, gidx) + " → " + _pick(gz, gidx)
        ke = "K = L / benchmark = " + _num(out["k"]) + ": " + _pick(gcond, gidx) + " → " + _pick(ge, gidx)
        items.append([("grade", kz, ke, out["k"].to_numpy(), gidx, _crossed(out["k"], gb, gidx))])
    else:
        for dim in params.dimensions:
            v = out[f"{dim.key}_value"]
            idx = out[f"{dim.key}_band"].to_numpy()
            name = {"advancement": "K", "contribution": "R", "decline": "D"}[dim.key]
            cond = _band_texts(name, dim.bounds)
            scores = [f"{s:g}" for s in dim.scores]
            zh, en = DIMENSION_LABELS[dim.key]
            what_zh, what_en = {
                "advancement": ("K = L / 行业对标值", "K = L / industry benchmark"),
                "contribution": (
                    ("R = 排放量 / 区域排放总量", "R = emissions / region's emissions")
                    if dim.metric == "share"
                    else ("R = L / 区域平均强度", "R = L / region's average intensity")
                ),
                "decline": (
                    ("D = L / 上年 L − 1", "D = L / last year's L − 1")
                    if dim.metric == "previous_year"
                    else ("D = L / 前三年 L 均值 − 1", "D = L / mean L of the three previous years − 1")
                ),
            }[dim.key]
            missing_zh = "数据不足，未计分" if dim.key != "decline" else "无可比的历史年度，未计分"
            missing_en = "not enough data, not scored" if dim.key != "decline" else "no comparable earlier year"
            tz = np.where(
                idx < 0,
                f"{zh}：{missing_zh}",
                f"{zh}（权重 {dim.weight:g}）：{what_zh} = "
                + _num(v)
                + "："
                + _pick(cond, idx)
                + " → "
                + _pick(scores, idx)
                + " 分",
            )
            te = np.where(
                idx < 0,
                f"{en}: {missing_en}",
                f"{en} (weight {dim.weight:g}): {what_en} = "
                + _num(v)
                + ": "
                + _pick(cond, idx)
                + " → "
                + _pick(scores, idx)
                + " points",
            )
            items.append([(dim.key, tz, te, v.to_numpy(), idx, _crossed(v, dim.bounds, idx))])
        cb = params.colour_bounds
        colours = out["colour"].to_numpy().astype(str)
        cz = np.array([COLOUR_LABELS.get(c, ("", ""))[0] for c in params.colours], dtype=object)
        ce = np.array([COLOUR_LABELS.get(c, ("", ""))[1] for c in params.colours], dtype=object)
        ci = np.select([colours == c for c in params.colours], list(range(4)), default=-1)
        conds = [
            f"S ≥ {_b(cb[0])}",
            f"{_b(cb[1])} ≤ S < {_b(cb[0])}",
            f"{_b(cb[2])} ≤ S < {_b(cb[1])}",
            f"S < {_b(cb[2])}",
        ]
        sz = "加权得分 S = " + _num(out["score"], 3) + "：" + _pick(conds, ci) + " → " + _pick(list(cz), ci)
        se = "weighted score S = " + _num(out["score"], 3) + ": " + _pick(conds, ci) + " → " + _pick(list(ce), ci)
        items.append([("colour", sz, se, out["score"].to_numpy(), ci, none)])
    # the carbon-neutrality rate and each of its terms (shown whether or not the enterprise is graded)
    if "neutrality_zh" in out:
        items.append(
            [
                (
                    "neutrality",
                    out["neutrality_zh"].to_numpy(dtype=object),
                    out["neutrality_en"].to_numpy(dtype=object),
                    out["neutrality_rate"].to_numpy(),
                    none,
                    none,
                )
            ]
        )
        terms = out["neutrality_terms"].tolist() if "neutrality_terms" in out else [[] for _ in range(n)]
        width = max((len(t) for t in terms), default=0)
        for k in range(width):
            tz = np.array([t[k]["zh"] if len(t) > k else "" for t in terms], dtype=object)
            te = np.array([t[k]["en"] if len(t) > k else "" for t in terms], dtype=object)
            tv = np.array([t[k]["counted_tco2"] if len(t) > k else None for t in terms], dtype=object)
            items.append([("neutrality_term", tz, te, tv, none, none)])
    # assemble: only items with text, and for unrated rows only the inputs, the reason and a computed neutrality
    neutral_codes = ("neutrality", "neutrality_term")
    has_rate = (
        ~np.isnan(out["neutrality_rate"].to_numpy(dtype="float64")) if "neutrality_rate" in out else np.zeros(n, bool)
    )
    result: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    for group in items:
        for code_, zh_arr, en_arr, values, bands, extra in group:
            zh_list = np.asarray(zh_arr, dtype=object).tolist()
            en_list = np.asarray(en_arr, dtype=object).tolist()
            val_list = _jsonable(values)
            band_list = _jsonable(bands)
            extra_list = extra if isinstance(extra, list) else _jsonable(extra)
            for i in range(n):
                if not zh_list[i]:
                    continue
                if not rated[i] and code_ not in ("inputs", "not_rated", *neutral_codes):
                    continue
                if not rated[i] and code_ in neutral_codes and not has_rate[i]:
                    continue
                item: dict[str, Any] = {"code": code_, "zh": zh_list[i], "en": en_list[i]}
                if val_list[i] is not None and not isinstance(val_list[i], bool):
                    item["value"] = val_list[i]
                if code_ in ("level", "grade", *DIMENSION_LABELS):
                    item["crossed"] = extra_list[i]
                elif code_ == "benchmark":
                    item["group"] = {"level": band_list[i], "code": extra_list[i]}
                result[i].append(item)
    return result


def _jsonable(values: Any) -> list[Any]:
    arr = np.asarray(values, dtype=object)
    out: list[Any] = []
    for v in arr.tolist():
        if isinstance(v, float) and np.isnan(v):
            out.append(None)
        elif isinstance(v, np.generic):
            out.append(v.item())
        else:
            out.append(v)
    return out

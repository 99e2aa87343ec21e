"""Monthly account figures → one row per enterprise and period with the intensity L."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .schemes import PERIOD_KEYS, Params


def period_figures(monthly: pd.DataFrame, params: Params, by_month: bool = False) -> pd.DataFrame:
    """Monthly account rows → one row per (population, enterprise, year[, month]) with L.

    ``L = (energy-related emissions − own zero-carbon generation − sinks) / value added``.

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

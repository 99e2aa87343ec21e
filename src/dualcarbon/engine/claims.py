"""Declared own zero-carbon generation and offsets → per-line facts, whatever the rating scheme.

The accounting step computes these lines with the grid choice of its run (lineage at account time);
the rating reads them and applies only its scheme's rule (:func:`dualcarbon.engine.rating.neutrality_lines`).

Rules that hold whatever the scheme (``docs/rating.md`` § 碳中和率), in this order of precedence:

* ``bad_unit``: the unit cannot be converted to the line's measure (MWh or tCO2e): counts nothing;
* ``own_project_certificate``: a GEC of the enterprise's own generation project counts nothing (its MWh
  count once, as the generation);
* ``bundled_with_trade``: a GEC delivered with a green-power trade counts nothing (its MWh count once, as
  the trade);
* ``own_project_ccer``: a CCER of the enterprise's own project counts nothing;
* ``transferred``: own generation counts its quantity less the part whose certificates were transferred.

MWh are turned into tCO2 with the grid factor of the line's year and region under the run's grid
choice (``engine.factors``), the same choice the accounts use for purchased electricity.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import units
from .factors import cached_grid

#: declared claims: the kinds measured in MWh (turned into tCO2 with the grid factor) and in tCO2e
MWH_CLAIMS = ("own_generation", "gec", "green_trade")
TCO2_CLAIMS = ("ccer", "forestry")
CLAIM_KINDS = (*MWH_CLAIMS, *TCO2_CLAIMS)
#: the scheme-independent rules that make a line count nothing (in order of precedence)
ZEROING_RULES = ("bad_unit", "own_project_certificate", "bundled_with_trade", "own_project_ccer")
#: every rule code :func:`claim_lines` gives ("" when none applies)
RULES = (*ZEROING_RULES, "transferred")
#: input columns (entity and record are passed through; text columns default to "", transferred to NaN)
INPUT_COLUMNS = (
    "entity",
    "record",
    "year",
    "month",
    "region",
    "kind",
    "use",
    "technology",
    "origin",
    "status",
    "quantity",
    "unit",
    "transferred",
    "reference",
)
#: what :func:`claim_lines` adds to the input columns
OUTPUT_COLUMNS = (
    "measure",
    "amount",
    "moved",
    "rule",
    "countable",
    "grid_factor",
    "grid_ref",
    "grid_factor_set",
    "grid_factor_set_version",
    "avoided_tco2",
)
TEXT_COLUMNS = ("use", "technology", "origin", "status", "reference", "region")


def _to_measure(unit: str, measure: str) -> float:
    """The factor from a declared unit to MWh or tCO2e (NaN when it cannot be converted)."""
    try:
        return units.factor(str(unit or ""), measure)
    except Exception:
        return float("nan")


def claim_lines(claims: pd.DataFrame, grid: str) -> pd.DataFrame:
    """Declared lines → what each one can count before any scheme rule, and its grid factor.

    ``claims``: one row per declared line with year, month, region (GB/T 2260 code), kind
    (own_generation | gec | green_trade | ccer | forestry), use (self_consumed | fed_in, own generation
    only), technology, origin (purchased | own_project | green_trade), status (retired | held), quantity,
    unit, transferred (own generation: the part whose certificates were transferred, same unit) and
    reference; ``entity``, ``record`` and any other column are passed through. The index is kept.

    ``grid``: the grid-factor spec as :func:`dualcarbon.engine.factors.cached_grid` accepts it (e.g.
    ``mee:provincial``; "" is the default ``mee:national``). An invalid spec raises
    :class:`~dualcarbon.engine.factors.SelectionError`; a year or region without a factor gives a NaN
    factor and an empty reference.

    Adds: ``measure`` (MWh | tCO2e), ``amount`` (the quantity in the measure; NaN when the unit cannot be
    converted), ``moved`` (the transferred part in the measure, own generation only), ``rule`` (a code of
    :data:`RULES` or ""), ``countable`` (amount − moved, at least 0; 0 when a rule of
    :data:`ZEROING_RULES` applies), ``grid_factor``, ``grid_ref`` ("<reference>（<factor set> v<version>）"),
    ``grid_factor_set``, ``grid_factor_set_version`` (looked up for the MWh lines that can count, once
    per distinct year and region) and ``avoided_tco2`` (countable × grid factor for MWh, countable for
    tCO2e, 0 when nothing counts).
    """
    selector = cached_grid(grid)  # an invalid spec raises here, before anything else
    c = claims.copy()
    for name in TEXT_COLUMNS:
        c[name] = c[name].fillna("").astype(str) if name in c else ""
    c["quantity"] = pd.to_numeric(c["quantity"], errors="coerce").astype("float64")
    c["transferred"] = (
        pd.to_numeric(c["transferred"], errors="coerce").astype("float64")
        if "transferred" in c
        else pd.Series(np.nan, index=c.index, dtype="float64")
    )
    kind = c["kind"].astype(str)
    mwh = kind.isin(MWH_CLAIMS)
    c["measure"] = np.where(mwh, "MWh", "tCO2e")
    unit = c["unit"].astype(str)
    factors = {pair: _to_measure(*pair) for pair in set(zip(unit, c["measure"], strict=True))}
    unit_factor = np.array([factors[p] for p in zip(unit, c["measure"], strict=True)], dtype=float)
    c["amount"] = c["quantity"] * unit_factor
    own = (kind == "own_generation").to_numpy()
    moved = np.where(own, c["transferred"].fillna(0.0).to_numpy() * unit_factor, 0.0)
    origin = c["origin"]
    conditions = [
        np.isnan(unit_factor),
        (kind == "gec") & (origin == "own_project"),
        (kind == "gec") & (origin == "green_trade"),
        (kind == "ccer") & (origin == "own_project"),
    ]
    zero = np.select(conditions, list(ZEROING_RULES), default="")
    c["moved"] = np.nan_to_num(moved)
    c["rule"] = np.where((zero == "") & own & (moved > 0), "transferred", zero)
    countable = np.where(zero == "", np.clip(c["amount"].to_numpy() - moved, 0.0, None), 0.0)
    c["countable"] = np.nan_to_num(countable)
    # one grid choice per distinct (year, region): few, whatever the number of lines
    need = (mwh & (c["countable"] > 0)).to_numpy()
    keys = list(zip(c["year"].astype(int), c["region"], strict=True))
    choices = {k: _choose(selector, *k) for k in {k for k, n in zip(keys, need, strict=True) if n}}
    picked = [choices.get(k) if n else None for k, n in zip(keys, need, strict=True)]
    c["grid_factor"] = np.array([p.value if p is not None else np.nan for p in picked], dtype="float64")
    c["grid_ref"] = [f"{p.ref}（{p.factor_set} v{p.version}）" if p is not None else "" for p in picked]
    c["grid_factor_set"] = [p.factor_set if p is not None else "" for p in picked]
    c["grid_factor_set_version"] = [str(p.version) if p is not None else "" for p in picked]
    avoided = np.where(mwh, c["countable"] * c["grid_factor"].fillna(0.0), c["countable"])
    c["avoided_tco2"] = np.where(mwh & (c["countable"] == 0), 0.0, avoided)
    return c


def _choose(selector: Any, year: int, region: str) -> Any:
    """The grid factor the run's grid choice gives for the year and region (None when there is none)."""
    try:
        return selector.choose(int(year), region)
    except (KeyError, LookupError, ValueError):
        return None

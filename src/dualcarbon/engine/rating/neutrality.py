"""The carbon-neutrality rate (碳中和率): the scheme's rule on the claim lines, the terms and the rate.

The claim lines come from :func:`dualcarbon.engine.claims.claim_lines` (computed when the accounts are
made, with the grid choice of that run). Here only the scheme's own rule applies (``held``
certificates) and the lines are summed per enterprise-period with the double-counting rules across
terms. Nothing here is worded: the reasons are codes and numbers (see :mod:`.explain`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..claims import MWH_CLAIMS, ZEROING_RULES
from .schemes import NeutralityRule, Params

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
#: the scheme's rule on one line, after the claim lines' own rules
HELD = "held"
TERMS = ("own_self_consumed", "own_fed_in", "certificates", "ccer", "forestry")
#: the notes a term carries besides its lines' rules (``args.notes[].note``)
NOTE_EXPORTED_DEDUCTED = "exported_deducted"
NOTE_BEYOND_PURCHASED = "beyond_purchased"


def neutrality_lines(lines: pd.DataFrame | None, rule: NeutralityRule, by_month: bool = False) -> pd.DataFrame:
    """Claim lines → what each one counts for the carbon-neutrality rate under the scheme, and why.

    ``lines``: rows as :func:`dualcarbon.engine.claims.claim_lines` returns them (at least enterprise,
    year, month, kind, use, technology, origin, status, reference, quantity, unit, measure, amount,
    moved, rule, countable, grid_factor, grid_ref, avoided_tco2), with an ``enterprise`` column (when
    it is absent, ``entity`` is the enterprise).

    The scheme's rule: a GEC, CCER or forestry certificate ``held`` but not retired counts nothing
    unless ``rule.count_held`` (rule ``held``; the claim lines' own rules bad_unit,
    own_project_certificate, bundled_with_trade and own_project_ccer take precedence). ``month`` is the
    line's month when ``by_month``, else 0 (the year); ``line_month`` keeps the line's month.
    Returns the columns :data:`LINE_COLUMNS_OUT`; ``counted`` is what counts (MWh or tCO2e) and
    ``grid_factor``/``grid_ref`` are given for the MWh lines that count.
    """
    if lines is None or lines.empty:
        return pd.DataFrame(columns=list(LINE_COLUMNS_OUT))
    c = lines.reset_index(drop=True).copy()
    if "enterprise" not in c:
        c["enterprise"] = c["entity"]
    for name in ("use", "origin", "status", "reference", "technology", "rule", "grid_ref"):
        c[name] = c[name].fillna("").astype(str) if name in c else ""
    c["line_month"] = c["month"].astype(int)
    c["month"] = c["line_month"] if by_month else 0
    kind = c["kind"].astype(str)
    mwh = kind.isin(MWH_CLAIMS)
    countable = np.nan_to_num(pd.to_numeric(c["countable"], errors="coerce").astype("float64").to_numpy())
    line_rule = c["rule"]
    held = (
        (c["status"] == HELD)
        & ~kind.isin(["own_generation", "green_trade"])
        & (not rule.count_held)
        & ~line_rule.isin(ZEROING_RULES)
    ).to_numpy()
    c["rule"] = np.where(held, HELD, line_rule)
    c["counted"] = np.where(held, 0.0, countable)
    factor = pd.to_numeric(c["grid_factor"], errors="coerce").astype("float64")
    has = (mwh & (c["counted"] > 0)).to_numpy()
    c["grid_factor"] = factor.where(has)
    c["grid_ref"] = np.where(has, c["grid_ref"], "")
    avoided = np.where(mwh, c["counted"] * c["grid_factor"].fillna(0.0), c["counted"])
    c["avoided_tco2"] = np.where(mwh & (c["counted"] == 0), 0.0, avoided)
    return c[list(LINE_COLUMNS_OUT)]


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
    """The carbon-neutrality rate of each enterprise-period of ``fig`` (same index), with its reasons.

    N = (A_self + A_fed + A_cert + O) / E where A_self and A_fed are the tCO2 avoided by own zero-carbon
    generation consumed on site and fed to the grid (MWh × grid factor), A_cert the tCO2 of retired green
    certificates and green-power trades (MWh × grid factor), O the retired CCER and forestry sinks
    (tCO2e), and E the accounts' total emissions (or the scheme's emission basis).

    Double counting across terms: A_fed counts only beyond the exported electricity the accounts already
    deduct (``net_of_exported``); A_cert counts at most the emissions of the purchased grid electricity
    (``cap_certificates``). Columns: neutrality_rate (NaN when not computed), neutrality_reason,
    neutrality_numerator, neutrality_denominator, neutrality_terms (list per row: see
    :mod:`.explain` for the format) and neutrality_args (the arguments of the rate's reason).
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
    terms_all: list[list[dict[str, Any]]] = []
    args_all: list[dict[str, Any]] = []
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
        args_all.append(
            {
                "reason": str(reason[pos]),
                "rate": _float_or_none(rates[pos]),
                "denominator": rule.denominator,
                "denominator_tco2e": _float_or_none(dens[pos]),
                "terms": [
                    {"term": t["term"], "declared_tco2": t["declared_tco2"], "counted_tco2": t["counted_tco2"]}
                    for t in terms
                ],
            }
        )
    out["neutrality_terms"] = pd.Series(terms_all, index=fig.index, dtype=object)
    out["neutrality_args"] = pd.Series(args_all, index=fig.index, dtype=object)
    return out


def not_provided(index: pd.Index, params: Params) -> pd.DataFrame:
    """The neutrality columns when no claim lines were given: not computed (reason ``not_provided``)."""
    n = len(index)
    out = pd.DataFrame(index=index)
    out["neutrality_rate"] = np.nan
    out["neutrality_reason"] = "not_provided"
    out["neutrality_terms"] = pd.Series([[] for _ in range(n)], index=index, dtype=object)
    out["neutrality_args"] = pd.Series(
        [
            {
                "reason": "not_provided",
                "rate": None,
                "denominator": params.neutrality.denominator,
                "denominator_tco2e": None,
                "terms": [],
            }
            for _ in range(n)
        ],
        index=index,
        dtype=object,
    )
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
        amount = sums[f"{t}_amount"]
        declared_tco2 = sums[f"{t}_tco2"]
        counted_tco2 = counted[t]
        refs = sorted({(float(r["grid_factor"]), str(r["grid_ref"])) for r in part if r["grid_ref"]})
        unit = "MWh" if t in ("own_self_consumed", "own_fed_in", "certificates") else "tCO2e"
        references = sorted({str(r["reference"]) for r in part if r["counted"] > 0 and r["reference"]})
        notes: list[dict[str, Any]] = []
        if t == "own_fed_in" and declared_tco2 - counted_tco2 > 1e-9:
            notes.append({"note": NOTE_EXPORTED_DEDUCTED, "tco2": declared_tco2 - counted_tco2})
        if t == "certificates" and declared_tco2 - counted_tco2 > 1e-9:
            notes.append({"note": NOTE_BEYOND_PURCHASED, "tco2": declared_tco2 - counted_tco2})
        for rule_code in sorted({r["rule"] for r in part if r["rule"]}):
            group = [r for r in part if r["rule"] == rule_code]
            column = "moved" if rule_code == "transferred" else "amount"
            notes.append(
                {
                    "note": "rule",
                    "rule": rule_code,
                    "quantity": sum(float(np.nan_to_num(r[column])) for r in group),
                    "measure": group[0]["measure"],
                    "references": sorted({str(r["reference"]) for r in group if r["reference"]}),
                }
            )
        out.append(
            {
                "term": t,
                "amount": amount,
                "unit": unit,
                "declared_tco2": declared_tco2,
                "counted_tco2": counted_tco2,
                "factors": [{"value": f, "source": ref} for f, ref in refs],
                "lines": [_line_out(r) for r in part],
                "args": {"references": references, "notes": notes},
            }
        )
    return out


def _float_or_none(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else f

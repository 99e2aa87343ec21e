"""Each result's explanation as structured reasons: codes and numbers, no sentences.

:func:`explain` gives, per result row, a list of items in this order (an item is left out when it
does not apply; a row that is not rated keeps only ``inputs``, ``not_rated`` and, when its rate was
computed, the neutrality items)::

    {"code": str, "value": ..., "crossed": [...] | "group": {...}, "args": {...}}

``code``
    ``inputs``, ``not_rated``, ``benchmark``, ``excluded_<exclusion>`` (tier3, non_positive, outlier),
    ``level`` and ``grade`` (碳效码) or one item per dimension (advancement, contribution, decline) and
    ``colour`` (三维四色), ``neutrality``, then one ``neutrality_term`` per term. :data:`CODES` lists them.
``value``
    the item's number (or the reason code for ``not_rated``); absent when missing (NaN) or a flag.
``crossed``
    (``level``, ``grade`` and the dimensions) the thresholds the value lies above.
``group``
    (``benchmark``) ``{"level": division|section|region|"", "code": str}``.
``args``
    everything needed to word the item (numbers are floats/ints, None when missing; codes are the
    engine's codes, never words). The catalogue ``dualcarbon.rating.wording`` turns an item into text
    (``render_items`` adds ``zh`` and ``en`` and drops ``args``). By code:

    * ``inputs``: emissions, value_added, l (4 places), months, plus / minus (source-type codes of the
      emission basis), own_generation_reported, own_generation, sinks_reported, sinks;
    * ``not_rated``: reason (a code of ``schemes.NOT_RATED``);
    * ``benchmark``: value, level, code, n_included, average (ratio_of_sums | mean_of_ratios),
      fallback (bool), first_level (the chain's first level), wanted_n (its group's size),
      min_group_size;
    * ``excluded_*``: reason (tier3 | non_positive | outlier);
    * ``level``: l, band (index, -1 when L is missing), bounds (level_bounds), level (low | medium |
      high | "");
    * ``grade``: k, band, bounds (grade_bounds), grade (1–5, 0 when missing);
    * dimensions: dimension, metric, weight, value, band, bounds, score (the band's score, None);
    * ``colour``: score, band (index in the scheme's colours, -1), bounds (colour_bounds), colour;
    * ``neutrality``: the row's ``neutrality_args``: reason (a code of ``schemes.NEUTRALITY_REASONS``
      or ""), rate, denominator (total | basis), denominator_tco2e, terms ([{term, declared_tco2,
      counted_tco2}]);
    * ``neutrality_term``: term (own_self_consumed | own_fed_in | certificates | ccer | forestry),
      amount (MWh or tCO2e counted before the caps), unit, declared_tco2, counted_tco2, factors
      ([{value, source}]), references (of the lines that count), notes: ``{"note":
      "exported_deducted" | "beyond_purchased", "tco2"}`` and ``{"note": "rule", "rule": <line rule>,
      "quantity", "measure", "references"}`` per rule applied to its lines.

The terms in ``neutrality_terms`` have the same facts: ``{term, amount, unit, declared_tco2,
counted_tco2, factors, lines, args: {references, notes}}``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .schemes import DIMENSIONS, EXCLUSIONS, METHOD_EFFICIENCY_CODE, NOT_RATED, Params

CODES = (
    "inputs",
    "not_rated",
    "benchmark",
    *(f"excluded_{flag}" for flag in EXCLUSIONS),
    "level",
    "grade",
    *DIMENSIONS,
    "colour",
    "neutrality",
    "neutrality_term",
)
#: the codes whose item lists the thresholds crossed
CROSSED_CODES = ("level", "grade", *DIMENSIONS)


def _values(values: Any) -> list[Any]:
    """Plain Python values (NaN → None)."""
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


def _column(out: pd.DataFrame, name: str, default: Any) -> list[Any]:
    return _values(out[name].to_numpy()) if name in out else [default] * len(out)


def _crossed(bounds: tuple[float, ...], idx: list[int]) -> list[list[float]]:
    """Thresholds the value lies above (for band i: the first i bounds)."""
    prefixes = [list(bounds[:i]) for i in range(len(bounds) + 1)]
    return [prefixes[i] if i >= 0 else [] for i in idx]


def _item(code: str, value: Any, args: dict[str, Any], **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"code": code}
    if value is not None and not isinstance(value, bool):
        item["value"] = value
    item.update(extra)
    item["args"] = args
    return item


def explain(out: pd.DataFrame, params: Params) -> list[list[dict[str, Any]]]:
    """Each result's explanation: a list of structured items (see the module's docstring).

    ``out`` holds the rating's columns before the final status (``rated`` rows may still lack a grade).
    """
    from .grades import band

    n = len(out)
    rated = (out["status"] == "rated").to_numpy().tolist()
    result: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    # inputs
    l_ = _column(out, "l", None)
    emissions = _column(out, "emissions", None)
    value_added = _column(out, "value_added", None)
    months = out["months"].to_numpy().tolist()
    own_rep = _column(out, "own_generation_reported", False)
    own = _column(out, "own_generation", None)
    sinks_rep = _column(out, "sinks_reported", False)
    sinks = _column(out, "sinks", None)
    plus, minus = list(params.plus), list(params.minus)
    for i in range(n):
        args = {
            "emissions": emissions[i],
            "plus": plus,
            "minus": minus,
            "own_generation_reported": bool(own_rep[i]),
            "own_generation": own[i],
            "sinks_reported": bool(sinks_rep[i]),
            "sinks": sinks[i],
            "value_added": value_added[i],
            "l": l_[i],
            "months": months[i],
        }
        result[i].append(_item("inputs", l_[i], args))
    # not rated
    reason = out["reason"].to_numpy().astype(str).tolist()
    for i in range(n):
        if reason[i] in NOT_RATED:
            result[i].append(_item("not_rated", reason[i], {"reason": reason[i]}))
    # benchmark (rated rows only, from here to the grade or colour)
    rule = params.benchmark
    bv = _column(out, "benchmark_value", None)
    lvl = out["benchmark_level"].to_numpy().astype(str).tolist()
    code = out["benchmark_code"].to_numpy().astype(str).tolist()
    n_inc = _column(out, "benchmark_n_included", None)
    wanted = _column(out, "benchmark_wanted_n", None)
    fb = out["fallback"].to_numpy().tolist()
    for i in range(n):
        if not rated[i]:
            continue
        args = {
            "value": bv[i],
            "level": lvl[i],
            "code": code[i],
            "n_included": n_inc[i],
            "average": rule.average,
            "fallback": bool(fb[i]),
            "first_level": rule.chain[0],
            "wanted_n": wanted[i],
            "min_group_size": rule.min_group_size,
        }
        result[i].append(_item("benchmark", bv[i], args, group={"level": lvl[i], "code": code[i]}))
    # exclusions (rated but left out of the benchmark)
    for flag in EXCLUSIONS:
        col = f"excl_{flag}"
        mask = out[col].to_numpy().tolist() if col in out else [False] * n
        for i in range(n):
            if rated[i] and mask[i]:
                result[i].append(_item(f"excluded_{flag}", None, {"reason": flag}))
    d = params.compare_decimals
    if params.method == METHOD_EFFICIENCY_CODE:
        lb, gb = params.level_bounds, params.grade_bounds
        idx = band(out["l"], lb, d).tolist()
        crossed = _crossed(lb, idx)
        lb_list = list(lb)
        keys = ["low", "medium", "high"]
        for i in range(n):
            if rated[i]:
                level = keys[idx[i]] if 0 <= idx[i] < len(keys) else ""
                args = {"l": l_[i], "band": idx[i], "bounds": lb_list, "level": level}
                result[i].append(_item("level", l_[i], args, crossed=crossed[i]))
        k = _column(out, "k", None)
        gidx = band(out["k"], gb, d).tolist()
        crossed = _crossed(gb, gidx)
        gb_list = list(gb)
        for i in range(n):
            if rated[i]:
                args = {"k": k[i], "band": gidx[i], "bounds": gb_list, "grade": gidx[i] + 1 if gidx[i] >= 0 else 0}
                result[i].append(_item("grade", k[i], args, crossed=crossed[i]))
    else:
        for dim in params.dimensions:
            v = _column(out, f"{dim.key}_value", None)
            didx = [int(x) for x in out[f"{dim.key}_band"].to_numpy().tolist()]
            crossed = _crossed(dim.bounds, didx)
            bounds = list(dim.bounds)
            for i in range(n):
                if rated[i]:
                    args = {
                        "dimension": dim.key,
                        "metric": dim.metric,
                        "weight": dim.weight,
                        "value": v[i],
                        "band": didx[i],
                        "bounds": bounds,
                        "score": dim.scores[didx[i]] if didx[i] >= 0 else None,
                    }
                    result[i].append(_item(dim.key, v[i], args, crossed=crossed[i]))
        score = _column(out, "score", None)
        colours = out["colour"].to_numpy().astype(str)
        ci = np.select([colours == c for c in params.colours], list(range(4)), default=-1).tolist()
        cb_list = list(params.colour_bounds)
        colour_list = colours.tolist()
        for i in range(n):
            if rated[i]:
                args = {"score": score[i], "band": ci[i], "bounds": cb_list, "colour": colour_list[i]}
                result[i].append(_item("colour", score[i], args))
    # the carbon-neutrality rate and each of its terms (shown whether or not the enterprise is graded)
    if "neutrality_args" in out:
        rates = _column(out, "neutrality_rate", None)
        neutral_args = out["neutrality_args"].tolist()
        terms = out["neutrality_terms"].tolist() if "neutrality_terms" in out else [[] for _ in range(n)]
        for i in range(n):
            if not rated[i] and rates[i] is None:
                continue
            result[i].append(_item("neutrality", rates[i], neutral_args[i]))
            for t in terms[i]:
                extra = t.get("args") or {}
                args = {
                    "term": t["term"],
                    "amount": t["amount"],
                    "unit": t["unit"],
                    "declared_tco2": t["declared_tco2"],
                    "counted_tco2": t["counted_tco2"],
                    "factors": t["factors"],
                    "references": extra.get("references", []),
                    "notes": extra.get("notes", []),
                }
                counted = t["counted_tco2"]
                value = None if isinstance(counted, float) and np.isnan(counted) else counted
                result[i].append(_item("neutrality_term", value, args))
    return result

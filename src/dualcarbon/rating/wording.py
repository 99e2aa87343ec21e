"""The rating's message catalogue: the Chinese and English words of the engine's structured reasons.

The engine (``dualcarbon.engine.rating``) explains each result with codes and numbers only (see
``dualcarbon.engine.rating.explain`` for the item format); this module holds the labels and templates,
keyed by code, and turns the items into text:

* :func:`render_results` fills a rating's results the way they are stored: ``explanation`` becomes
  items ``{code, zh, en, value, crossed | group}``, ``neutrality_terms`` get ``zh_name``, ``en_name``,
  ``zh`` and ``en``, and ``neutrality_zh`` / ``neutrality_en`` hold the rate's sentence;
* :func:`render_items`, :func:`render_terms` and :func:`render_neutrality` do the same for one row.

Pure Python (no Django import): the engine's tests use it, and the rating app calls it before storing.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

Words = tuple[str, str]

# ------------------------------------------------------------------------------------------ labels

#: 碳效等级 levels by L (tCO2/万元)
LEVEL_LABELS: dict[str, Words] = {
    "low": ("低碳", "low carbon"),
    "medium": ("中碳", "medium carbon"),
    "high": ("高碳", "high carbon"),
}
COLOUR_LABELS: dict[str, Words] = {
    "dark_green": ("深绿", "dark green"),
    "light_green": ("浅绿", "light green"),
    "yellow": ("黄", "yellow"),
    "red": ("红", "red"),
}
GROUP_LABELS: dict[str, Words] = {
    "division": ("行业大类", "industry division"),
    "section": ("行业门类", "industry section"),
    "region": ("全区域", "whole region"),
}
DIMENSION_LABELS: dict[str, Words] = {
    "advancement": ("行业先进性", "industry advancement"),
    "contribution": ("区域贡献度", "regional contribution"),
    "decline": ("自身下降率", "own historical decline"),
}
#: the symbol of each dimension's value in the band conditions
DIMENSION_SYMBOLS = {"advancement": "K", "contribution": "R", "decline": "D"}
NOT_RATED_REASONS: dict[str, Words] = {
    "insufficient_months": ("报告期内已核算月份不足", "too few accounted months in the period"),
    "value_added_missing": ("增加值缺失或不为正", "value added missing or not positive"),
    "group_too_small": (
        "各级对标组的纳入企业均少于最小样本数，无法计算对标值",
        "every benchmark group has fewer enterprises than the minimum size: no benchmark",
    ),
    "dimension_missing": ("必需的评价维度缺失，无法定色", "a required dimension is missing: no colour"),
}
EXCLUSION_REASONS: dict[str, Words] = {
    "tier3": ("三级数据（因子库缺省值）占比过高", "too large a share of tier-3 (default-factor) data"),
    "non_positive": ("强度不为正", "intensity not positive"),
    "outlier": ("强度异常值（四分位距规则）", "intensity outlier (interquartile-range rule)"),
}
AVERAGE_LABELS: dict[str, Words] = {
    "ratio_of_sums": ("Σ排放/Σ增加值（比值法）", "Σ emissions / Σ value added"),
    "mean_of_ratios": ("各企业强度的算术平均", "mean of intensities"),
}
NEUTRALITY_UNAVAILABLE: Words = (
    "碳中和率暂无法计算：本次计算未提供自有零碳发电和碳抵消（CCER、绿证、绿电、碳汇）申报数据。",
    "Carbon-neutrality rate not available: no declarations of own zero-carbon generation or offsets (CCER, "
    "green certificates, green power, sinks) were given to this calculation.",
)
#: declared claims by kind, and own generation's use
CLAIM_LABELS: dict[str, Words] = {
    "own_generation": ("自有零碳发电", "own zero-carbon generation"),
    "gec": ("绿证", "green certificates (GEC)"),
    "green_trade": ("绿电交易", "green-power trade"),
    "ccer": ("CCER", "CCER"),
    "forestry": ("林业碳汇", "forestry sink"),
}
USE_LABELS: dict[str, Words] = {
    "self_consumed": ("自发自用", "consumed on site"),
    "fed_in": ("上网", "fed to the grid"),
}
#: why a declared line counts less than declared (or nothing)
CLAIM_RULES: dict[str, Words] = {
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
#: why the carbon-neutrality rate is not computed
NEUTRALITY_REASONS: dict[str, Words] = {
    "insufficient_months": ("报告期内已核算月份不足，未计算", "too few accounted months in the period: not computed"),
    "emissions_not_positive": ("排放量不为正，无法计算比率", "emissions not positive: no ratio"),
    "no_grid_factor": (
        "没有适用的电网排放因子，电量类项目无法折算",
        "no applicable grid emission factor: electricity-based items cannot be converted",
    ),
}
TERM_LABELS: dict[str, Words] = {
    "own_self_consumed": ("自有零碳发电（自发自用）", "own zero-carbon generation consumed on site"),
    "own_fed_in": ("自有零碳发电（上网）", "own zero-carbon generation fed to the grid"),
    "certificates": ("绿证与绿电交易", "green certificates and green-power trades"),
    "ccer": ("CCER", "CCER"),
    "forestry": ("林业碳汇", "forestry sinks"),
}
DENOMINATOR_LABELS: dict[str, Words] = {
    "total": ("排放总量", "total emissions"),
    "basis": ("评级口径排放", "rated emissions"),
}

# --------------------------------------------------------------------------------------- templates

#: (zh, en) templates by reason code (``str.format`` fields: the item's arguments, worded)
TEMPLATES: dict[str, Words] = {
    "inputs": (
        "L = (排放 {emissions} tCO2 [口径：{plus}{minus}] − {own} − {sinks}) / 增加值 {value_added} 万元 = {l} "
        "tCO2/万元（{months} 个月）",
        "L = (emissions {emissions} tCO2 [basis: {plus}{minus}] − {own} − {sinks}) / value added {value_added} "
        "10k yuan = {l} tCO2/10k yuan ({months} month(s))",
    ),
    "inputs.minus": (" − {name}", " − {name}"),
    "inputs.own": ("自有零碳发电 {value}", "own zero-carbon generation {value}"),
    "inputs.own_not_reported": (
        "自有零碳发电 0（不在 L 中扣除，计入碳中和率）",
        "own zero-carbon generation 0 (not deducted in L; it counts in the neutrality rate)",
    ),
    "inputs.sinks": ("碳汇 {value}", "sinks {value}"),
    "inputs.sinks_not_reported": ("碳汇 0（不在 L 中扣除，计入碳中和率）", "sinks 0 (not deducted in L)"),
    "not_rated": ("未评级：{reason}", "not rated: {reason}"),
    "benchmark": (
        "对标值 {value} tCO2/万元：{group} {code}，纳入 {n} 家，{average}",
        "benchmark {value} tCO2/10k yuan: {group} {code}, {n} enterprises, {average}",
    ),
    "benchmark.fallback": (
        "（本{first}纳入企业 {wanted} 家，少于 {min_group_size} 家，上溯）",
        " (own {first} has {wanted} < {min_group_size}, fell back)",
    ),
    "excluded": ("不计入对标值：{reason}（仍参与评级）", "left out of the benchmark: {reason} (still rated)"),
    "level": ("L = {value}：{condition} → {label}", "L = {value}: {condition} → {label}"),
    "grade": ("K = L / 对标值 = {value}：{condition} → {label}", "K = L / benchmark = {value}: {condition} → {label}"),
    "grade.label": ("{grade} 级", "grade {grade}"),
    "dimension": (
        "{name}（权重 {weight:g}）：{formula} = {value}：{condition} → {score} 分",
        "{name} (weight {weight:g}): {formula} = {value}: {condition} → {score} points",
    ),
    "dimension.missing": ("{name}：{missing}", "{name}: {missing}"),
    "colour": ("加权得分 S = {value}：{condition} → {label}", "weighted score S = {value}: {condition} → {label}"),
    "neutrality": (
        "碳中和率 = ({numerator}) tCO2e / {denominator} {den:,.2f} tCO2e = {rate:.2%}",
        "carbon-neutrality rate = ({numerator}) tCO2e / {denominator} {den:,.2f} tCO2e = {rate:.2%}",
    ),
    "neutrality.numerator_term": ("{name} {tco2:,.2f}", "{name} {tco2:,.2f}"),
    "neutrality.no_declarations": (
        "碳中和率 = 0 / {denominator} {den:,.2f} tCO2e = {rate:.2%}（本期未申报自有零碳发电或碳抵消）",
        "carbon-neutrality rate = 0 / {denominator} {den:,.2f} tCO2e = {rate:.2%} "
        "(no own zero-carbon generation or offsets declared for the period)",
    ),
    "neutrality.not_computed": ("碳中和率：{reason}", "carbon-neutrality rate: {reason}"),
    "neutrality_term.mwh": (
        "{name}：{amount:,.3f} MWh × 电网排放因子 {factors} tCO2/MWh = {declared:,.2f} tCO2（因子来源：{sources}）",
        "{name}: {amount:,.3f} MWh × grid factor {factors} tCO2/MWh = {declared:,.2f} tCO2 (factor: {sources})",
    ),
    "neutrality_term.tco2": (
        "{name}：{amount:,.2f} tCO2e（凭证：{references}）",
        "{name}: {amount:,.2f} tCO2e (certificates: {references})",
    ),
    "neutrality_term.counted": (" → 计入 {counted:,.2f} tCO2e", " → counted {counted:,.2f} tCO2e"),
    "note.exported_deducted": (
        "其中 {tco2:,.2f} tCO2 已作为输出电力从排放中扣除，不重复计入",
        "{tco2:,.2f} tCO2 of it is already deducted from the emissions as exported electricity and is not counted "
        "again",
    ),
    "note.beyond_purchased": (
        "超过购入电力排放的 {tco2:,.2f} tCO2 不计入（绿证/绿电只能抵消所购电量）",
        "{tco2:,.2f} tCO2 beyond the emissions of the purchased electricity is not counted (certificates and green "
        "power only cover electricity bought)",
    ),
    "note.rule": ("{rule}：{quantity:,.3f} {measure}", "{rule}: {quantity:,.3f} {measure}"),
    "note.references": ("（{references}）", " ({references})"),
}
#: how lists are joined in each language
NOTE_SEPARATOR: Words = ("；", "; ")
LIST_SEPARATOR = "、"
SOURCE_SEPARATOR = "；"
#: the formula of each dimension (by metric where it has several)
DIMENSION_FORMULAS: dict[tuple[str, str], Words] = {
    ("advancement", ""): ("K = L / 行业对标值", "K = L / industry benchmark"),
    ("contribution", "share"): ("R = 排放量 / 区域排放总量", "R = emissions / region's emissions"),
    ("contribution", ""): ("R = L / 区域平均强度", "R = L / region's average intensity"),
    ("decline", "previous_year"): ("D = L / 上年 L − 1", "D = L / last year's L − 1"),
    ("decline", ""): ("D = L / 前三年 L 均值 − 1", "D = L / mean L of the three previous years − 1"),
}
DIMENSION_MISSING: dict[str, Words] = {
    "advancement": ("数据不足，未计分", "not enough data, not scored"),
    "contribution": ("数据不足，未计分", "not enough data, not scored"),
    "decline": ("无可比的历史年度，未计分", "no comparable earlier year"),
}
MISSING = "—"


# --------------------------------------------------------------------------------------- numbers


_INFINITE = (math.inf, -math.inf)


def _num(value: Any, places: int = 4) -> str:
    """A number with fixed decimals; "—" when missing."""
    if value is None or value != value:
        return MISSING
    if value in _INFINITE:  # as numpy.nan_to_num writes it
        value = math.copysign(sys.float_info.max, value)
    return f"{value:.{places}f}"


def _g(x: float) -> str:
    return f"{x:g}"


@functools.lru_cache(maxsize=256)
def band_conditions(symbol: str, bounds: tuple[float, ...]) -> tuple[str, ...]:
    """The condition of each band, closed on the upper end: ("K ≤ 0.6", "0.6 < K ≤ 0.8", …, "K > 2")."""
    n = len(bounds)
    out = [f"{symbol} ≤ {_g(bounds[0])}"]
    out += [f"{_g(bounds[i - 1])} < {symbol} ≤ {_g(bounds[i])}" for i in range(1, n)]
    out.append(f"{symbol} > {_g(bounds[-1])}")
    return tuple(out)


@functools.lru_cache(maxsize=64)
def colour_conditions(bounds: tuple[float, ...]) -> tuple[str, ...]:
    """The weighted score's condition for each colour (bounds descending)."""
    b = [_g(x) for x in bounds]
    return (f"S ≥ {b[0]}", f"{b[1]} ≤ S < {b[0]}", f"{b[2]} ≤ S < {b[1]}", f"S < {b[2]}")


def _pick(texts: Sequence[str], idx: int) -> str:
    return texts[idx] if 0 <= idx < len(texts) else ""


@functools.lru_cache(maxsize=64)
def _basis(plus: tuple[str, ...], minus: tuple[str, ...]) -> tuple[Words, Words]:
    """The emission basis as names: (("化石燃料燃烧 + 购入电力", " − 输出电力"), (English))."""
    from dualcarbon.engine.methods import SOURCE_TYPES

    def name(code: str, lang: int) -> str:
        st = SOURCE_TYPES.get(code)
        return code if st is None else (st.name_zh if lang == 0 else st.name_en)

    zh_minus, en_minus = TEMPLATES["inputs.minus"]
    return (
        (" + ".join(name(c, 0) for c in plus), "".join(zh_minus.format(name=name(c, 0)) for c in minus)),
        (" + ".join(name(c, 1) for c in plus), "".join(en_minus.format(name=name(c, 1)) for c in minus)),
    )


def _both(key: str, **fields: Any) -> Words:
    zh, en = TEMPLATES[key]
    return zh.format(**fields), en.format(**fields)


def _label(table: Mapping[str, Words], key: Any) -> Words:
    return table.get(str(key), ("", ""))


# ------------------------------------------------------------------------------------ item texts


def _inputs(a: Mapping[str, Any]) -> Words:
    (plus_zh, minus_zh), (plus_en, minus_en) = _basis(tuple(a["plus"]), tuple(a["minus"]))
    if a["own_generation_reported"]:
        own = _both("inputs.own", value=_num(a["own_generation"], 2))
    else:
        own = TEMPLATES["inputs.own_not_reported"]
    if a["sinks_reported"]:
        sinks = _both("inputs.sinks", value=_num(a["sinks"], 2))
    else:
        sinks = TEMPLATES["inputs.sinks_not_reported"]
    common = {
        "emissions": _num(a["emissions"], 2),
        "value_added": _num(a["value_added"], 2),
        "l": _num(a["l"]),
        "months": str(a["months"]),
    }
    zh, en = TEMPLATES["inputs"]
    return (
        zh.format(plus=plus_zh, minus=minus_zh, own=own[0], sinks=sinks[0], **common),
        en.format(plus=plus_en, minus=minus_en, own=own[1], sinks=sinks[1], **common),
    )


def _not_rated(a: Mapping[str, Any]) -> Words:
    zh, en = NOT_RATED_REASONS[a["reason"]]
    t_zh, t_en = TEMPLATES["not_rated"]
    return t_zh.format(reason=zh), t_en.format(reason=en)


def _benchmark(a: Mapping[str, Any]) -> Words:
    group = _label(GROUP_LABELS, a["level"])
    average = _label(AVERAGE_LABELS, a["average"])
    common = {"value": _num(a["value"]), "code": a["code"], "n": _num(a["n_included"], 0)}
    t_zh, t_en = TEMPLATES["benchmark"]
    zh = t_zh.format(group=group[0], average=average[0], **common)
    en = t_en.format(group=group[1], average=average[1], **common)
    if a["fallback"]:
        first = _label(GROUP_LABELS, a["first_level"])
        wanted = _num(a["wanted_n"], 0)
        f_zh, f_en = TEMPLATES["benchmark.fallback"]
        zh += f_zh.format(first=first[0], wanted=wanted, min_group_size=a["min_group_size"])
        en += f_en.format(first=first[1], wanted=wanted, min_group_size=a["min_group_size"])
    return zh, en


def _excluded(a: Mapping[str, Any]) -> Words:
    zh, en = EXCLUSION_REASONS[a["reason"]]
    t_zh, t_en = TEMPLATES["excluded"]
    return t_zh.format(reason=zh), t_en.format(reason=en)


def _level(a: Mapping[str, Any]) -> Words:
    condition = _pick(band_conditions("L", tuple(a["bounds"])), a["band"])
    label = _label(LEVEL_LABELS, a["level"])
    t_zh, t_en = TEMPLATES["level"]
    value = _num(a["l"])
    return (
        t_zh.format(value=value, condition=condition, label=label[0]),
        t_en.format(value=value, condition=condition, label=label[1]),
    )


def _grade(a: Mapping[str, Any]) -> Words:
    condition = _pick(band_conditions("K", tuple(a["bounds"])), a["band"])
    label = _both("grade.label", grade=a["grade"]) if a["grade"] else ("", "")
    t_zh, t_en = TEMPLATES["grade"]
    value = _num(a["k"])
    return (
        t_zh.format(value=value, condition=condition, label=label[0]),
        t_en.format(value=value, condition=condition, label=label[1]),
    )


def _dimension(a: Mapping[str, Any]) -> Words:
    key = a["dimension"]
    name = DIMENSION_LABELS[key]
    if a["band"] < 0:
        missing = DIMENSION_MISSING[key]
        t_zh, t_en = TEMPLATES["dimension.missing"]
        return t_zh.format(name=name[0], missing=missing[0]), t_en.format(name=name[1], missing=missing[1])
    formula = DIMENSION_FORMULAS.get((key, a["metric"])) or DIMENSION_FORMULAS[(key, "")]
    condition = _pick(band_conditions(DIMENSION_SYMBOLS[key], tuple(a["bounds"])), a["band"])
    common = {"weight": a["weight"], "value": _num(a["value"]), "condition": condition, "score": _g(a["score"])}
    t_zh, t_en = TEMPLATES["dimension"]
    zh = t_zh.format(name=name[0], formula=formula[0], **common)
    return zh, t_en.format(name=name[1], formula=formula[1], **common)


def _colour(a: Mapping[str, Any]) -> Words:
    condition = _pick(colour_conditions(tuple(a["bounds"])), a["band"])
    label = _label(COLOUR_LABELS, a["colour"]) if a["band"] >= 0 else ("", "")
    t_zh, t_en = TEMPLATES["colour"]
    value = _num(a["score"], 3)
    return (
        t_zh.format(value=value, condition=condition, label=label[0]),
        t_en.format(value=value, condition=condition, label=label[1]),
    )


def render_neutrality(args: Mapping[str, Any]) -> Words:
    """The carbon-neutrality rate's sentence (zh, en) from its arguments (``neutrality_args``)."""
    reason = str(args.get("reason") or "")
    if reason == "not_provided":
        return NEUTRALITY_UNAVAILABLE
    if reason in NEUTRALITY_REASONS:
        zh, en = NEUTRALITY_REASONS[reason]
        t_zh, t_en = TEMPLATES["neutrality.not_computed"]
        return t_zh.format(reason=zh), t_en.format(reason=en)
    den_label = _label(DENOMINATOR_LABELS, args.get("denominator"))
    den = args["denominator_tco2e"]
    rate = args["rate"]
    if reason == "no_declarations":
        t_zh, t_en = TEMPLATES["neutrality.no_declarations"]
        return (
            t_zh.format(denominator=den_label[0], den=den, rate=rate),
            t_en.format(denominator=den_label[1], den=den, rate=rate),
        )
    shown = [t for t in args.get("terms") or [] if t["declared_tco2"] or t["counted_tco2"]]
    n_zh, n_en = TEMPLATES["neutrality.numerator_term"]
    num_zh = " + ".join(n_zh.format(name=TERM_LABELS[t["term"]][0], tco2=t["counted_tco2"]) for t in shown) or "0"
    num_en = " + ".join(n_en.format(name=TERM_LABELS[t["term"]][1], tco2=t["counted_tco2"]) for t in shown) or "0"
    t_zh, t_en = TEMPLATES["neutrality"]
    return (
        t_zh.format(numerator=num_zh, denominator=den_label[0], den=den, rate=rate),
        t_en.format(numerator=num_en, denominator=den_label[1], den=den, rate=rate),
    )


def _term(a: Mapping[str, Any]) -> Words:
    """One neutrality term's sentence: quantity × factor (source), the notes, what counts."""
    name = TERM_LABELS[a["term"]]
    if a["unit"] == "MWh":
        factors = a.get("factors") or []
        common = {
            "amount": a["amount"],
            "declared": a["declared_tco2"],
            "factors": LIST_SEPARATOR.join(_g(f["value"]) for f in factors) or MISSING,
            "sources": SOURCE_SEPARATOR.join(f["source"] for f in factors) or MISSING,
        }
        t_zh, t_en = TEMPLATES["neutrality_term.mwh"]
    else:
        common = {"amount": a["amount"], "references": LIST_SEPARATOR.join(a.get("references") or []) or MISSING}
        t_zh, t_en = TEMPLATES["neutrality_term.tco2"]
    zh = t_zh.format(name=name[0], **common)
    en = t_en.format(name=name[1], **common)
    notes_zh: list[str] = []
    notes_en: list[str] = []
    for note in a.get("notes") or []:
        kind = note["note"]
        if kind == "rule":
            rule = CLAIM_RULES[note["rule"]]
            r_zh, r_en = TEMPLATES["note.rule"]
            what = LIST_SEPARATOR.join(note.get("references") or [])
            w_zh, w_en = _both("note.references", references=what) if what else ("", "")
            notes_zh.append(r_zh.format(rule=rule[0], quantity=note["quantity"], measure=note["measure"]) + w_zh)
            notes_en.append(r_en.format(rule=rule[1], quantity=note["quantity"], measure=note["measure"]) + w_en)
        else:
            n_zh, n_en = _both(f"note.{kind}", tco2=note["tco2"])
            notes_zh.append(n_zh)
            notes_en.append(n_en)
    if notes_zh:
        zh += NOTE_SEPARATOR[0] + NOTE_SEPARATOR[0].join(notes_zh)
        en += NOTE_SEPARATOR[1] + NOTE_SEPARATOR[1].join(notes_en)
    c_zh, c_en = _both("neutrality_term.counted", counted=a["counted_tco2"])
    return zh + c_zh, en + c_en


_RENDERERS: dict[str, Any] = {
    "inputs": _inputs,
    "not_rated": _not_rated,
    "benchmark": _benchmark,
    "level": _level,
    "grade": _grade,
    "colour": _colour,
    "neutrality": render_neutrality,
    "neutrality_term": _term,
    **{key: _dimension for key in DIMENSION_LABELS},
    **{f"excluded_{flag}": _excluded for flag in EXCLUSION_REASONS},
}
#: every explanation code the catalogue words
CODES = tuple(_RENDERERS)


# ------------------------------------------------------------------------------------- rendering


def render_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """One explanation item with its words: ``{code, zh, en, value, crossed | group}`` (``args`` dropped).

    An item without ``args`` (already worded, e.g. read back from storage) is returned as it is.
    """
    if "args" not in item:
        return dict(item)
    code = item["code"]
    zh, en = _RENDERERS[code](item["args"])
    out: dict[str, Any] = {"code": code, "zh": zh, "en": en}
    for key, value in item.items():
        if key not in ("code", "args"):
            out[key] = value
    return out


def render_items(items: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """A result's explanation items with ``zh`` and ``en`` (see :func:`render_item`)."""
    return [render_item(i) for i in items or []]


def render_term(term: Mapping[str, Any]) -> dict[str, Any]:
    """One neutrality term with its names and sentence: ``{term, zh_name, en_name, zh, en, amount, unit,
    declared_tco2, counted_tco2, factors, lines}`` (``args`` dropped)."""
    if "args" not in term:
        return dict(term)
    args = {**term, **term["args"]}
    zh, en = _term(args)
    zh_name, en_name = TERM_LABELS[term["term"]]
    out: dict[str, Any] = {"term": term["term"], "zh_name": zh_name, "en_name": en_name, "zh": zh, "en": en}
    for key, value in term.items():
        if key not in ("term", "args"):
            out[key] = value
    return out


def render_terms(terms: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    return [render_term(t) for t in terms or []]


def render_results(results: pd.DataFrame) -> pd.DataFrame:
    """A rating's results (``engine.rating.rate(...).results``) worded as they are stored.

    ``explanation``: the items with ``zh``/``en``; ``neutrality_terms``: the terms with ``zh_name``,
    ``en_name``, ``zh``, ``en``; ``neutrality_zh`` / ``neutrality_en``: the rate's sentence (from
    ``neutrality_args``). The other columns are unchanged; ``results`` itself is not modified.
    """
    out = results.copy()
    if "explanation" in out:
        out["explanation"] = pd.Series([render_items(x) for x in out["explanation"]], index=out.index, dtype=object)
    if "neutrality_terms" in out:
        out["neutrality_terms"] = pd.Series(
            [render_terms(x) for x in out["neutrality_terms"]], index=out.index, dtype=object
        )
    if "neutrality_args" in out:
        texts = [render_neutrality(a) for a in out["neutrality_args"]]
        out["neutrality_zh"] = [t[0] for t in texts]
        out["neutrality_en"] = [t[1] for t in texts]
    return out

"""Codes turned into what a user reads: a run's options (factor sets by title, the tce basis, the grid choice, the
GWP table), a factor set's confidence, an activity line's parameters with their units and their basis. Chinese is
the default; English when the page is in English. A code the library does not know is shown as it is."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from dualcarbon.engine import reference
from dualcarbon.engine.factors import GridSpec, SelectionError
from dualcarbon.engine.messages import column_label

from .names import is_en


def confidence_label(code: Any) -> str:
    """A factor set's confidence as a user reads it: ``HIGH``/``MEDIUM``/``LOW`` → 高/中/低 (High/Medium/Low),
    also inside the library's compound notes ("HIGH (national, regional); MEDIUM (provincial)" →
    "高（全国、区域）；中（省级）")."""
    text = str(code or "").strip()
    words = {
        "HIGH": pgettext("confidence", "高"),
        "MEDIUM": pgettext("confidence", "中"),
        "LOW": pgettext("confidence", "低"),
        "national": pgettext("grid level", "全国"),
        "regional": pgettext("grid level", "区域"),
        "provincial": pgettext("grid level", "省级"),
    }
    level = re.match(r"(HIGH|MEDIUM|LOW)(?:\s*-\s*(HIGH|MEDIUM|LOW))?", text)
    shown = re.sub(r"\b(HIGH|MEDIUM|LOW|national|regional|provincial)\b", lambda m: str(words[m.group(1)]), text)
    if not is_en():
        if level and re.search(r"[A-Za-z]{3,}", shown):
            # a line's note is an English sentence of the library: the level alone, in words
            return "–".join(str(words[g]) for g in level.groups() if g)
        shown = shown.replace(" (", "（").replace(")", "）").replace("; ", "；").replace(", ", "、")
    return shown


def factor_set_title(name: str) -> str:
    """A factor set's title from ``reference/factor_sets.csv`` in the page's language (its name if unknown)."""
    try:
        info = reference.factor_set_info(str(name))
    except reference.UnknownFactorSet:
        return str(name)
    return info.get("title_en" if is_en() else "title_zh") or str(name)


def _grid_label(text: str) -> str:
    try:
        spec = GridSpec.parse(text)
    except SelectionError:
        return text
    if spec.family == "ets":
        label = _("全国碳市场电网平均排放因子")
    else:
        levels = {
            "national": pgettext("grid level", "全国"),
            "regional": pgettext("grid level", "区域电网"),
            "provincial": pgettext("grid level", "省级"),
            "auto": pgettext("grid level", "按地区自动选择"),
        }
        label = _("生态环境部电力二氧化碳排放因子（%(level)s）") % {"level": levels.get(spec.level, spec.level)}
    if spec.pinned_year:
        label += _("，固定为 %(year)s 年") % {"year": spec.pinned_year}
    return str(label)


def run_options(options: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """A run's recorded options as (label, value) pairs a user reads; empty options are left out."""
    rows: list[tuple[str, str]] = []
    sep = "; " if is_en() else "；"
    for key, value in (options or {}).items():
        if value in (None, "", []):
            continue
        if key == "fuel_sets":
            names = value if isinstance(value, list | tuple) else str(value).split(",")
            rows.append((_("燃料因子集"), sep.join(factor_set_title(n) for n in names)))
        elif key == "process_set":
            rows.append((_("工业过程因子集"), factor_set_title(value)))
        elif key == "heat_set":
            rows.append((_("热力因子集"), factor_set_title(value)))
        elif key == "coef_set":
            rows.append((_("折标准煤参考系数"), factor_set_title(value)))
        elif key == "grid":
            rows.append((_("电网排放因子"), _grid_label(str(value))))
        elif key == "gwp":
            rows.append((_("全球增温潜势"), factor_set_title(f"gwp-{str(value).lower()}")))
        elif key == "tce_basis":
            bases = {"equivalent": _("当量值"), "equal": _("等价值")}
            rows.append((_("折标系数"), str(bases.get(str(value), value))))
        elif key == "equal_value_kgce_per_kwh":
            rows.append((_("发电标准煤耗"), f"{value} kgce/kWh"))
        else:
            rows.append((str(key), str(value)))
    return [(str(label), text) for label, text in rows]


def _number(value: Any) -> str:
    """A parameter as typed: no exponent, no trailing zeros, thousands separated."""
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    text = format(number.normalize(), "f") if number == number.to_integral_value() else format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    whole, _sep, frac = text.partition(".")
    whole = f"{int(whole):,}" if whole.lstrip("-").isdigit() else whole
    return whole + ("." + frac if frac else "")


#: a numeric parameter's unit: from another field of the line, or fixed
_UNIT_FIELD = {"ncv": "ncv_unit", "factor": "factor_unit"}
_FIXED_UNIT = {"carbon_content": "tC/GJ"}
_SHOWN_WITH = {"ncv_unit", "factor_unit", "param_basis"}
_FRACTIONS = {"oxidation_rate", "fraction", "cao", "mgo", "cao_nc", "mgo_nc", "purity"}


def parameter_text(record: Any, fields: tuple[str, ...]) -> str:
    """An activity line's parameters as one sentence: "低位发热量 20.81 GJ/t（企业申报）"; empty when none is given.

    Numbers are formatted (a fraction as a percentage), units stay beside their numbers, and the basis (measured /
    declared) is said once for the line."""
    get = record.get if isinstance(record, Mapping) else lambda f: getattr(record, f, None)
    lang = "en" if is_en() else "zh"
    parts: list[str] = []
    for field in fields:
        value = get(field)
        if value in (None, "") or field in _SHOWN_WITH:
            continue
        label = column_label(field, lang)
        if field in _FRACTIONS:
            shown = f"{_number(Decimal(str(value)) * 100)}%"
        elif field in _UNIT_FIELD or field in _FIXED_UNIT:
            unit = get(_UNIT_FIELD[field]) if field in _UNIT_FIELD else _FIXED_UNIT[field]
            shown = f"{_number(value)} {unit}".strip() if unit else _number(value)
        else:
            shown = str(value)
        parts.append(f"{label} {shown}")
    if not parts:
        return ""
    text = ("; " if lang == "en" else "；").join(parts)
    basis = str(get("param_basis") or "")
    bases = {"measured": pgettext("parameter basis", "实测"), "declared": pgettext("parameter basis", "企业申报")}
    if basis in bases:
        text += f" ({bases[basis]})" if lang == "en" else f"（{bases[basis]}）"
    return text

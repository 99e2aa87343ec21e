"""What an alert rests on, said as a sentence in the page's language with its numbers formatted (the stored
``Alert.evidence`` keeps the raw figures for the record and the API)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _

from dualcarbon.ui import names

from .projection import PROJECTION_LINEAR, PROJECTION_SEASONAL


def _t(value: Any, places: int = 2) -> str:
    """A figure with thousands separators ("—" when missing or not a number)."""
    try:
        return f"{float(value):,.{places}f}"
    except (TypeError, ValueError):
        return "—"


def _pct(value: Any) -> str:
    try:
        return f"{float(value):.0%}"
    except (TypeError, ValueError):
        return "—"


def method_name(method: str) -> str:
    """A projection method (:mod:`.projection`) in words."""
    return str({PROJECTION_LINEAR: _("线性外推"), PROJECTION_SEASONAL: _("按去年各月比例外推")}.get(method, method))


def basis(kind: str, evidence: Mapping[str, Any] | None) -> str:
    """The basis of an alert of ``kind`` as one sentence; "" when it has none."""
    e = dict(evidence or {})
    if not e:
        return ""
    if kind == "budget_overrun_projected":
        return _(
            "年初至今 %(ytd)s tCO2e（截至 %(through)s 月），"
            "%(method)s全年 %(projected)s tCO2e，年度预算 %(budget)s tCO2e"
        ) % {
            "ytd": _t(e.get("ytd")),
            "through": e.get("through", "—"),
            "method": method_name(str(e.get("method", ""))),
            "projected": _t(e.get("projected")),
            "budget": _t(e.get("budget")),
        }
    if kind == "mom_jump":
        return _(
            "本月 %(total)s tCO2e，上月（%(previous_period)s）%(previous)s tCO2e，"
            "环比上升 %(change)s（阈值 %(threshold)s）"
        ) % {
            "total": _t(e.get("total")),
            "previous_period": e.get("previous_period", "—"),
            "previous": _t(e.get("previous")),
            "change": _pct(e.get("change")),
            "threshold": _pct(e.get("threshold")),
        }
    if kind == "intensity_above_benchmark":
        return _(
            "强度 %(intensity)s tCO2e/万元；%(division)s行业基准 %(benchmark)s tCO2e/万元（%(n)s 家企业），"
            "预警线为基准的 %(factor)s 倍"
        ) % {
            "intensity": _t(e.get("intensity"), 3),
            "division": names.industry_label(str(e.get("division", ""))),
            "benchmark": _t(e.get("benchmark"), 3),
            "n": e.get("group_size", "—"),
            "factor": f"{float(e.get('factor') or 0):g}",
        }
    if kind == "missing_submission":
        return _("%(period)s 没有已提交、已核查或已锁定的版本") % {"period": e.get("period", "—")}
    if kind == "downgrade":
        return _("%(year)s 年碳效等级由 %(previous)s 级降至 %(grade)s 级") % {
            "year": e.get("year", "—"),
            "previous": e.get("previous", "—"),
            "grade": e.get("grade", "—"),
        }
    return "；".join(f"{k}：{v}" for k, v in e.items())

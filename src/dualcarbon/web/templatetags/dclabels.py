"""Codes as users read them (``{% load dclabels %}``): a factor set's confidence, a run's options, an activity
line's parameters (:mod:`dualcarbon.ui.labels`)."""

from __future__ import annotations

from typing import Any

from django import template

from dualcarbon.engine.inputs import PARAMETER_COLUMNS
from dualcarbon.monitoring import wording as alert_wording
from dualcarbon.ui import labels

register = template.Library()


@register.filter
def confidence(code: Any) -> str:
    """``{{ s.confidence|confidence }}``: 高 / 中 / 低 (High / Medium / Low)."""
    return labels.confidence_label(code)


@register.filter
def run_options(options: Any) -> list[tuple[str, str]]:
    """``{% for label, value in run.options|run_options %}``: the run's choices by name."""
    return labels.run_options(options if isinstance(options, dict) else {})


@register.filter
def parameters(record: Any) -> str:
    """``{{ a|parameters }}``: "低位发热量 20.81 GJ/t（企业申报）" ("" when the line gives none)."""
    return labels.parameter_text(record, PARAMETER_COLUMNS)


@register.filter
def alert_basis(alert: Any) -> str:
    """``{{ a|alert_basis }}``: what the alert rests on, as a sentence with formatted numbers."""
    return alert_wording.basis(str(getattr(alert, "kind", "")), getattr(alert, "evidence", None))

"""Template filters of the assets pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def yuan(value: Any) -> str:
    """An amount of money as a bill shows it, in every language: two decimals, thousands grouped (32,000.00)."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):,.2f}"

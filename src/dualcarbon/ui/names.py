"""Names from the reference library in the page's language: fuels/materials (by item code) and GB/T 4754
industries (by code). Chinese stays the default; English comes from ``dualcarbon.engine.reference``
(no database query), and a name the library does not know is shown as stored."""

from __future__ import annotations

from django.utils.translation import get_language

from dualcarbon.engine import reference


def is_en() -> bool:
    return (get_language() or "").startswith("en")


def item_name(code: str, name_zh: str = "") -> str:
    """An emission line's item (``RAW_COAL`` / 原煤) in the page's language."""
    if is_en():
        en = reference.item_name_en(str(code or ""), str(name_zh or ""))
        if en:
            return en
    return str(name_zh or code or "")


def industry_name(code: str, name_zh: str = "") -> str:
    """A GB/T 4754-2017 section, division or ETS class in the page's language (``name_zh`` as stored)."""
    zh, en = reference.industry_names().get(str(code or ""), ("", ""))
    if is_en() and en:
        return en
    return str(name_zh or zh or "")

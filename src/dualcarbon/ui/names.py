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


def industry_label(code: str, name_zh: str = "") -> str:
    """An industry for a list cell: its GB/T 4754 name in the page's language, the code when the library and
    the stored name are both silent (never an empty cell)."""
    return industry_name(code, name_zh) or str(code or "")


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def person_name(user: object, default: str = "—") -> str:
    """A person as people call them: the full name (a Chinese name family name first, without a space), the
    username only when no name is set; ``default`` when there is no user."""
    if user is None:
        return default
    first = str(getattr(user, "first_name", "") or "").strip()
    last = str(getattr(user, "last_name", "") or "").strip()
    if first and last:
        name = f"{last}{first}" if _has_cjk(first + last) else f"{first} {last}"
    else:
        name = first or last
    if name:
        return name
    get_username = getattr(user, "get_username", None)
    return str(get_username() if callable(get_username) else getattr(user, "username", "") or default)

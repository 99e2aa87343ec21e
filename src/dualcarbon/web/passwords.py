"""Password validation beyond Django's validators (settings.AUTH_PASSWORD_VALIDATORS)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def shortest_period(text: str) -> int:
    """Length of the shortest block that repeated makes ``text`` ("ent1ent1" → 4, "aaaa" → 1, "abc" → 3)."""
    if not text:
        return 0
    found = (text + text).find(text, 1)
    return found if found < len(text) else len(text)


class RepeatedPatternValidator:
    """Refuses a password that is one block repeated, letter case ignored: "ent1ent1", "20262026",
    "abcABCabc", "aaaaaaaaaa" (they pass a length rule while being as easy to guess as their block)."""

    def validate(self, password: str, user: Any = None) -> None:
        if password and shortest_period(password.lower()) < len(password):
            raise ValidationError(
                _("密码不能是同一段字符的重复（如 “ent1ent1”）。"),
                code="password_repeated_pattern",
            )

    def get_help_text(self) -> str:
        return _("密码不能是同一段字符的重复（如 “ent1ent1”）。")

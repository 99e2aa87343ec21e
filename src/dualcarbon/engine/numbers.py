"""The one rule for a reported number, whatever carried it: a CLI file, an Excel cell, the web form, the API.

A value is read like this (``docs/security.md`` § Input limits):

1. Empty (None, "", blanks) is *no value*.
2. Booleans, dates and times are refused (an Excel date in a number column is a typing slip, not a number).
3. Text is cleaned: the full-width forms a Chinese input method types (``１００``, ``．``, ``－``, ``＋``, ``％``,
   ``ｅ``, the ideographic space) are read as their ASCII forms — exactly what Unicode NFKC does to those
   characters; blanks and thousands separators (``,`` ``，``) are dropped. Every other non-ASCII character is
   refused rather than normalised: NFKC would read ``10²`` as ``102`` and ``①`` as ``1``, and Python would read
   Arabic-Indic digits, so a zero-width space, a direction mark, a superscript or a foreign digit is "not a
   number" everywhere.
4. What is left must be ``[+-]digits[.digits][e[+-]digits]`` with an optional trailing ``%`` (the value divided
   by 100). ``NaN``, ``Infinity``, hexadecimal, ``#VALUE!`` and the like are "not a number"; so are floats that
   are NaN or infinite.
5. In range: at most :data:`INTEGER_DIGITS` (15) digits before the decimal point once rounded (half-even) to
   :data:`DECIMAL_PLACES` (8) places; economic data in 万元 has its own :data:`MONEY` limits (13 and 4). Anything
   larger is "too large"; more decimal places are rounded. The platform stores activity data as DECIMAL(24, 8)
   and economic data as DECIMAL(18, 4); one digit fewer than those columns hold, because SQLite keeps a decimal
   as a double and Django reads it back rounded to 15 significant digits: 9 999 999 999 999 996 comes back as
   10^16, which a DECIMAL(24, 8) cannot hold (the month would answer 500 for good). Below 10^15 (10^13 for 万元)
   every value reads back, on SQLite and PostgreSQL alike.

:func:`parse_number` is the rule for one value (the platform: form, workbook, API, stored records);
:data:`NUMBER_PATTERN`, :data:`FULL_WIDTH_FROM`/:data:`FULL_WIDTH_TO` and :data:`LIMIT` are the same rule as
column expressions for the engine's vectorised reading (:func:`dualcarbon.engine.accounting.prepare`).
"""

from __future__ import annotations

import datetime
import decimal
import math
import re
from dataclasses import dataclass
from decimal import Decimal

from .messages import Problem

#: digits before and after the decimal point of an activity number (stored as DECIMAL(24, 8): see step 5)
INTEGER_DIGITS = 15
DECIMAL_PLACES = 8


@dataclass(frozen=True)
class NumberSpec:
    """How large and how fine a number a field holds."""

    integer_digits: int = INTEGER_DIGITS
    decimal_places: int = DECIMAL_PLACES

    @property
    def limit(self) -> Decimal:
        """The smallest magnitude that is too large."""
        return Decimal(10) ** self.integer_digits


#: activity, production, generation and offset quantities and parameters
ACTIVITY = NumberSpec()
#: economic data in 万元 (value added, output value, revenue), stored as DECIMAL(18, 4): 13 digits, 4 places
MONEY = NumberSpec(integer_digits=13, decimal_places=4)
#: the engine's bound (floats): a value whose magnitude reaches it is too large
LIMIT = float(ACTIVITY.limit)

#: what is left of a text once cleaned must match this (ASCII digits only; the % is taken off before)
NUMBER_PATTERN = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_NUMBER = re.compile(NUMBER_PATTERN)
#: full-width forms read as ASCII (their NFKC forms); the ideographic space is a blank
FULL_WIDTH_FROM = "０１２３４５６７８９．，－＋％ｅＥ\u3000"
FULL_WIDTH_TO = "0123456789.,-+%eE "
_FULL_WIDTH = str.maketrans(FULL_WIDTH_FROM, FULL_WIDTH_TO)
#: dropped from a number's text: blanks (space, tab, line breaks, no-break, thin and narrow no-break spaces) and
#: thousands separators (after the full-width forms are read: ``，`` and the ideographic space are among them)
DROP_CHARS = " \t\r\n\u00a0\u2009\u202f,"
_DROP = re.compile("[" + re.escape(DROP_CHARS) + "]")
#: every character a number's text may hold (a superset of what the rule reads: the API document declares it)
NUMBER_CHARS = "0123456789.+-eE%" + FULL_WIDTH_FROM + DROP_CHARS


class NumberError(ValueError):
    """A value that breaks the rule: ``rule`` is ``not_a_number`` or ``too_large`` (messages in
    :data:`dualcarbon.engine.messages.RULES`), ``value`` the value as given, ``hint`` the digits allowed."""

    def __init__(self, rule: str, value: object, hint: str | None = None):
        self.rule = rule
        self.value = _shown(value)
        self.hint = hint
        super().__init__(self.problem().message("en"))

    def problem(self, row: int | None = None, column: str | None = None, sheet: str | None = None) -> Problem:
        """The finding, located where the caller found the value."""
        return Problem(self.rule, row, column, self.value, self.hint, sheet)


def _shown(value: object) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def clean_text(text: str) -> str:
    """A number's text with full-width forms read as ASCII and blanks and thousands separators dropped."""
    return _DROP.sub("", text.translate(_FULL_WIDTH))


def parse_number(value: object, spec: NumberSpec = ACTIVITY) -> Decimal | None:
    """The number a reported value stands for, rounded to ``spec``'s decimal places; None when empty.

    Raises :class:`NumberError` when the value is not a number or is too large for ``spec``."""
    number = read_number(value)
    return None if number is None else _in_range(number, value, spec)


def read_number(value: object) -> Decimal | None:
    """Steps 1–4 of the rule (is it a number at all?) without the range: the exact value, or None when empty.
    Raises :class:`NumberError` (``not_a_number``). A reader that locates its values (the Excel import) reads
    with this; the range is checked where the field is known (:func:`parse_number`)."""
    if value is None:
        return None
    if isinstance(value, bool) or isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        raise NumberError("not_a_number", value)
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise NumberError("not_a_number", value)
        number = Decimal(repr(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise NumberError("not_a_number", value)
        number = value
    elif isinstance(value, str):
        text = clean_text(value)
        if not text:
            return None
        percent = text.endswith("%")
        if percent:
            text = text[:-1]
        if not _NUMBER.match(text):
            raise NumberError("not_a_number", value.strip())
        try:
            number = Decimal(text)
            if percent:
                number = number.scaleb(-2, context=decimal.Context(prec=60))
        except decimal.DecimalException:  # an exponent beyond what a decimal holds
            raise NumberError("too_large", value.strip(), str(INTEGER_DIGITS)) from None
    else:
        raise NumberError("not_a_number", value)
    return number


def _in_range(number: Decimal, value: object, spec: NumberSpec) -> Decimal:
    hint = str(spec.integer_digits)
    shown = value.strip() if isinstance(value, str) else value
    if number and number.adjusted() >= spec.integer_digits:
        raise NumberError("too_large", shown, hint)
    context = decimal.Context(prec=spec.integer_digits + spec.decimal_places + 2, rounding=decimal.ROUND_HALF_EVEN)
    rounded = number.quantize(Decimal(1).scaleb(-spec.decimal_places), context=context)
    if abs(rounded) >= spec.limit:
        raise NumberError("too_large", shown, hint)
    return rounded if rounded else abs(rounded)  # no negative zero


def fits(value: Decimal, spec: NumberSpec = ACTIVITY) -> bool:
    """Can a stored decimal be read back under ``spec`` (finite, in range, no more places than it holds)?"""
    if not value.is_finite():
        return False
    if value and value.adjusted() >= spec.integer_digits:
        return False
    return value == value.quantize(Decimal(1).scaleb(-spec.decimal_places), context=decimal.Context(prec=60))

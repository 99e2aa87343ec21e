"""The one number rule (engine/numbers.py): what reads as a number, what is too large, full-width digits."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from dualcarbon.engine import numbers
from dualcarbon.engine.numbers import ACTIVITY, MONEY, NumberError, parse_number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7100", Decimal("7100")),
        (" 7,100.5 ", Decimal("7100.5")),
        ("７１００", Decimal("7100")),
        ("２，９００．５", Decimal("2900.5")),
        ("1.5e3", Decimal("1500")),
        (".5", Decimal("0.5")),
        ("95%", Decimal("0.95")),
        ("９５％", Decimal("0.95")),
        (21.37, Decimal("21.37")),
        (7100, Decimal("7100")),
        ("0.123456789", Decimal("0.12345679")),  # rounded half-even to 8 places
        ("-0", Decimal("0")),
        ("999999999999999.99999999", Decimal("999999999999999.99999999")),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_numbers_that_read(value, expected):
    assert parse_number(value) == expected


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("NaN", "not_a_number"),
        ("Infinity", "not_a_number"),
        ("-inf", "not_a_number"),
        (float("nan"), "not_a_number"),
        (float("inf"), "not_a_number"),
        (Decimal("Infinity"), "not_a_number"),
        ("#VALUE!", "not_a_number"),
        ("0x10", "not_a_number"),
        ("1_000", "not_a_number"),
        ("10²", "not_a_number"),  # NFKC would say 102
        ("①", "not_a_number"),
        ("١٠٠", "not_a_number"),  # Arabic-Indic digits: Python's Decimal would read them
        ("1\u200b00", "not_a_number"),
        ("\u202e100", "not_a_number"),
        (datetime.date(2024, 1, 31), "not_a_number"),
        (True, "not_a_number"),
        ("1E+20", "too_large"),
        (1e308, "too_large"),
        ("1e999999999999999999999", "too_large"),
        ("1000000000000000", "too_large"),  # 16 digits
        ("999999999999999.999999999", "too_large"),  # rounds to 10^15
    ],
)
def test_numbers_that_do_not(value, rule):
    with pytest.raises(NumberError) as caught:
        parse_number(value)
    assert caught.value.rule == rule
    problem = caught.value.problem(3, "quantity", "活动数据")
    assert problem.message("zh").startswith("工作表 活动数据，第 3 行，“数量”列：")
    assert problem.message("en").startswith("sheet 活动数据, row 3, column “quantity”: ")
    # the rule's code travels as Problem.rule, never in the sentence the user reads
    assert rule not in problem.message("zh")
    assert rule not in problem.message("en")


def test_money_has_its_own_bound():
    assert parse_number("9999999999999.9999", MONEY) == Decimal("9999999999999.9999")
    with pytest.raises(NumberError, match="13 digits"):
        parse_number(1e15, MONEY)
    assert parse_number(1e14) == Decimal("100000000000000")  # an activity number may be that large


def test_every_value_in_range_reads_back_as_sqlite_stores_it():
    """SQLite keeps a decimal as a double and Django reads it back rounded to 15 significant digits, then into the
    column's DECIMAL(24, 8) / DECIMAL(18, 4): the bound leaves room for that rounding."""
    import decimal

    for spec, max_digits in ((ACTIVITY, 24), (MONEY, 18)):
        largest = parse_number("9" * spec.integer_digits + "." + "9" * spec.decimal_places, spec)
        assert largest is not None
        stored = float(largest)
        read = decimal.Context(prec=15).create_decimal_from_float(stored)
        read.quantize(Decimal(1).scaleb(-spec.decimal_places), context=decimal.Context(prec=max_digits))


def test_the_declared_characters_cover_what_the_rule_reads():
    for text in ("７１００", " 7,100.5 ", "95%", "-1.5e3", "２，９００"):
        assert set(text) <= set(numbers.NUMBER_CHARS), text

"""Eligibility rules (engine/eligibility.py): every operator at its boundary, near-miss distances, parsing errors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dualcarbon.engine import eligibility as el

CAT = {
    "grade": el.FactSpec("grade", el.ORDINAL),
    "intensity": el.FactSpec("intensity", el.NUMBER, "tCO2/万元"),
    "trend": el.FactSpec("trend", el.NUMBER, "%"),
    "industry": el.FactSpec("industry", el.CATEGORY),
    "above_scale": el.FactSpec("above_scale", el.FLAG),
}

decimals = st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=3, allow_nan=False)


def one(fact: str, op: str, value: object, actual: object) -> el.Outcome:
    rule = el.parse_rule({"fact": fact, "op": op, "value": value}, CAT)
    return el.evaluate(rule, {fact: actual}, CAT).outcomes[0]


@given(decimals, decimals)
def test_numeric_operators_agree_with_decimal_comparison(bound: Decimal, actual: Decimal) -> None:
    expected = {
        "=": actual == bound,
        "!=": actual != bound,
        "<": actual < bound,
        "<=": actual <= bound,
        ">": actual > bound,
        ">=": actual >= bound,
    }
    for op, ok in expected.items():
        assert one("intensity", op, str(bound), actual).met is ok, (op, bound, actual)


@given(decimals, decimals, decimals)
def test_between_includes_both_ends(a: Decimal, b: Decimal, actual: Decimal) -> None:
    lo, hi = min(a, b), max(a, b)
    o = one("intensity", "between", [str(lo), str(hi)], actual)
    assert o.met is (lo <= actual <= hi)
    if not o.met:  # the distance lands on the nearer end
        assert actual + o.delta == (lo if actual < lo else hi)


@pytest.mark.parametrize(
    ("op", "actual", "met"),
    [
        ("<=", "0.80", True),  # the boundary itself qualifies
        ("<=", "0.801", False),
        ("<", "0.80", False),  # … but not under a strict operator
        ("<", "0.799", True),
        (">=", "0.80", True),
        (">=", "0.799", False),
        (">", "0.80", False),
        (">", "0.801", True),
        ("=", "0.800", True),  # Decimal equality: 0.80 = 0.800
        ("!=", "0.8", False),
    ],
)
def test_boundary_of_each_numeric_operator(op: str, actual: str, met: bool) -> None:
    assert one("intensity", op, "0.80", Decimal(actual)).met is met


def test_a_float_fact_is_read_through_str_so_the_boundary_holds() -> None:
    # 0.1 + 0.2 as a float is 0.30000000000000004: read through str it is that exact decimal, > 0.3
    assert one("intensity", "<=", "0.3", 0.1 + 0.2).met is False
    assert one("intensity", "<=", "0.3", 0.3).met is True


def test_near_miss_distance_for_an_upper_limit() -> None:
    # intensity 0.82 against ≤ 0.80: 0.02 lower, i.e. 0.02 / 0.82 = 2.439… % lower
    o = one("intensity", "<=", "0.80", Decimal("0.82"))
    assert o.status == el.MISSED
    assert o.delta == Decimal("-0.02")
    assert o.relative_pct.quantize(Decimal("0.001")) == Decimal("-2.439")
    assert o.strict is False


def test_near_miss_distance_for_a_strict_lower_limit_and_a_trend() -> None:
    # trend -3.0 % against < -5 %: the figure must fall by more than 2 points (strict)
    o = one("trend", "<", "-5", Decimal("-3.0"))
    assert (o.delta, o.strict) == (Decimal("-2.0"), True)
    # relative to |-3.0|: 2.0 / 3.0 = 66.67 %
    assert o.relative_pct.quantize(Decimal("0.01")) == Decimal("-66.67")


def test_ordinal_distance_is_in_whole_steps() -> None:
    # grade 4 against < 3 → grade 2 at most: two steps, not strict
    o = one("grade", "<", 3, 4)
    assert (o.delta, o.strict, o.actual) == (Decimal(-2), False, 4)
    assert one("grade", ">", 3, 2).delta == Decimal(2)
    # grade ∈ {1, 2} at 4: the nearest member is 2
    assert one("grade", "in", [1, 2], 4).delta == Decimal(-2)
    assert one("grade", "in", [1, 2], 2).met is True
    assert one("grade", "not_in", [4, 5], 4).met is False
    assert one("grade", "not_in", [4, 5], 3).met is True


def test_category_and_flag_operators() -> None:
    assert one("industry", "=", "30", "30").met is True
    assert one("industry", "=", "30", "31").met is False
    assert one("industry", "!=", "30", "31").met is True
    assert one("industry", "in", "30, 31", "31").met is True
    assert one("industry", "in", ["30", "31"], "32").met is False
    assert one("industry", "not_in", ["30", "31"], "32").met is True
    assert one("above_scale", "=", True, True).met is True
    assert one("above_scale", "=", "否", True).met is False
    assert one("above_scale", "!=", True, False).met is True
    missed = one("industry", "=", "30", "31")
    assert (missed.delta, missed.relative_pct) == (None, None)


def test_unknown_fact_value_is_neither_met_nor_near() -> None:
    rule = el.parse_rule({"fact": "grade", "op": "<=", "value": 2}, CAT)
    ev = el.evaluate(rule, {}, CAT)
    assert (ev.met, ev.outcomes[0].status) == (False, el.UNKNOWN)
    assert ev.is_near_miss(100, 5) is False


RULE = {
    "all": [
        {"fact": "grade", "op": "<=", "value": 2},
        {"fact": "intensity", "op": "<=", "value": "0.80", "unit": "tCO2/万元"},
        {"any": [{"fact": "industry", "op": "in", "value": ["30"]}, {"fact": "above_scale", "op": "=", "value": True}]},
    ]
}


def test_all_any_combination_and_what_would_qualify() -> None:
    rule = el.parse_rule(RULE, CAT)
    facts = {"grade": 3, "intensity": Decimal("0.84"), "industry": "26", "above_scale": True}
    ev = el.evaluate(rule, facts, CAT)
    assert ev.met is False
    assert [o.status for o in ev.outcomes] == ["missed", "missed", "missed", "met"]
    assert [o.condition.fact for o in ev.to_fix] == ["grade", "intensity"]
    # grade one step, intensity 0.04 / 0.84 = 4.76 % lower: near at 5 %, not at 4 %
    assert ev.is_near_miss(5, 1) is True
    assert ev.is_near_miss(4, 1) is False
    met = el.evaluate(rule, {**facts, "grade": 2, "intensity": Decimal("0.80")}, CAT)
    assert (met.met, met.to_fix) == (True, ())


def test_any_picks_the_cheapest_branch() -> None:
    rule = el.parse_rule(
        {"any": [{"fact": "industry", "op": "=", "value": "30"}, {"fact": "intensity", "op": "<", "value": "1"}]}, CAT
    )
    ev = el.evaluate(rule, {"industry": "26", "intensity": Decimal("1.05")}, CAT)
    # the industry cannot be changed; intensity can: 0.05 / 1.05 = 4.76 % lower (strict: a little more)
    assert [o.condition.fact for o in ev.to_fix] == ["intensity"]
    assert ev.to_fix[0].strict is True
    assert ev.is_near_miss(5) is True


def test_round_trip_to_json() -> None:
    rule = el.parse_rule(RULE, CAT)
    assert el.parse_rule(rule.to_dict(), CAT) == rule
    # canonical form: plain digits, trailing zeros dropped (0.80 = 0.8 in Decimal)
    assert rule.to_dict()["all"][1] == {"fact": "intensity", "op": "<=", "value": "0.8", "unit": "tCO2/万元"}


def test_aliases_are_accepted() -> None:
    assert el.parse_rule({"fact": "grade", "op": "≤", "value": 2}, CAT).items[0].op == "<="
    assert el.parse_rule({"fact": "industry", "op": "not in", "value": ["1"]}, CAT).items[0].op == "not_in"


def test_every_problem_is_located() -> None:
    bad = {
        "all": [
            {"fact": "colour", "op": "=", "value": "red"},
            {"fact": "grade", "op": "<=", "value": "2.5"},
            {"fact": "industry", "op": "<", "value": "30"},
            {"fact": "intensity", "op": "between", "value": ["0.9", "0.5"]},
            {"fact": "intensity", "op": "<=", "value": "0.8", "unit": "tCO2e/t"},
            {"any": [{"fact": "trend", "op": "<=", "value": "abc"}]},
        ]
    }
    with pytest.raises(el.RuleError) as exc:
        el.parse_rule(bad, CAT)
    assert [(p.path, p.code) for p in exc.value.problems] == [
        ("all[0].fact", "unknown_fact"),
        ("all[1].value", "integer"),
        ("all[2].op", "operator"),
        ("all[3].value", "between_order"),
        ("all[4].unit", "unit"),
        ("all[5].any[0].value", "number"),
    ]


def test_an_empty_group_is_refused() -> None:
    with pytest.raises(el.RuleError) as exc:
        el.parse_rule({"all": []}, CAT)
    assert [(p.path, p.code) for p in exc.value.problems] == [("all", "empty")]

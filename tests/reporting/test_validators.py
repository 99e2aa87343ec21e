"""Validators that look at electricity count green power (绿电) as the purchased electricity it is."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from dualcarbon.reporting import validators


def _elec(item: str, quantity: float, unit: str = "MWh") -> dict[str, Any]:
    return {"source_type": "purchased_electricity", "item": item, "quantity": Decimal(str(quantity)), "unit": unit}


def _context(activities: list[dict[str, Any]], value_added: float = 10.0, **kw: Any) -> validators.Context:
    return validators.Context(2024, 3, activities, [], {"value_added": Decimal(str(value_added))}, **kw)


def test_green_power_is_purchased_electricity_in_the_month_totals():
    ctx = _context([_elec("电力", 300), _elec("绿电", 200_000, "kWh"), _elec("绿电", 10, "万kWh")])
    assert validators._month_totals(ctx)["electricity_mwh"] == 300 + 200 + 100


def test_electricity_per_value_added_counts_green_power():
    rule = validators.electricity_vs_value_added
    # 10 万元 of value added: at most 500 MWh before the warning (ELECTRICITY_PER_VA_MAX = 50 MWh/万元)
    assert validators.ELECTRICITY_PER_VA_MAX == 50.0
    assert not list(rule(_context([_elec("电力", 300)])))
    found = list(rule(_context([_elec("电力", 300), _elec("绿电", 300)])))
    assert [f.rule for f in found] == ["electricity_vs_value_added"] and "60.0 MWh" in found[0].message_zh


def test_moving_purchases_to_green_power_is_not_a_jump():
    history = {"2024-02": {"electricity_mwh": 1000.0, "fuel_t": 0.0}}
    same = _context([_elec("电力", 600), _elec("绿电", 400)], history=history)
    assert not list(validators.month_on_month_jump(same))
    tripled = _context([_elec("电力", 2600), _elec("绿电", 400)], history=history)
    assert [f.rule for f in validators.month_on_month_jump(tripled)] == ["month_on_month_jump"]

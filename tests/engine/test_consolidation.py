"""Group consolidation (engine/consolidation.py, docs/methods.md § 18), worked by hand on a three-level group:
集团 G holds 60 % of A (with operational control) and 30 % of B (without); A holds 50 % of C (with control).
Monthly totals (tCO2e, the same every month): G 100 / 50, A 200 / 100, B 300 / 60, C 120 / 30 (scope 1 / scope 2)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from dualcarbon.engine.consolidation import ConsolidationError, Link, consolidate, monthly

D = datetime.date
START = D(2020, 1, 1)
LINKS = [
    Link("G", "A", Decimal(60), True, START, ref="1"),
    Link("G", "B", Decimal(30), False, START, ref="2"),
    Link("A", "C", Decimal(50), True, START, ref="3"),
]
MONTHLY = {"G": (100, 50), "A": (200, 100), "B": (300, 60), "C": (120, 30)}
TOTALS = monthly((e, m, s1, s2) for e, (s1, s2) in MONTHLY.items() for m in range(1, 13))


def test_operational_control_includes_controlled_entities_in_full():
    inv = consolidate("G", 2024, "operational_control", LINKS, TOTALS)
    # G 1200 + A 2400 + C 1440 (A controls C, G controls A); B (30 %, no control) is outside
    assert (inv.scope1, inv.scope2, inv.total) == (5040, 2160, 7200)
    assert inv.boundary == ["G", "A", "C"]
    assert inv.entity("B").share == 0 and inv.entity("B").total == 0
    assert inv.entity("C").share == 1
    assert inv.entity("C").months[0].paths[0].describe() == "G→A 60% (control) × A→C 50% (control) = 30%"


def test_equity_share_takes_the_product_of_shares_along_the_chain():
    inv = consolidate("G", 2024, "equity_share", LINKS, TOTALS)
    # scope 1: 1200 + 0.6 × 2400 + 0.3 × 3600 + 0.6 × 0.5 × 1440 = 1200 + 1440 + 1080 + 432 = 4152
    # scope 2:  600 + 0.6 × 1200 + 0.3 ×  720 + 0.3 × 360          =  600 +  720 +  216 + 108 = 1644
    assert (inv.scope1, inv.scope2, inv.total) == (4152, 1644, 5796)
    assert {e.entity: e.share for e in inv.entities} == {
        "G": 1, "A": Decimal("0.6"), "B": Decimal("0.3"), "C": Decimal("0.3")}  # fmt: skip
    assert inv.entity("C").scope1 == 432
    payload = inv.as_dict()
    assert payload["boundary"] == ["G", "A", "B", "C"]
    assert payload["entities"][3]["share"] == "30"
    assert payload["entities"][3]["months"][0]["lineage"] == ["G→A 60% (control) × A→C 50% (control) = 30%"]


def test_two_chains_to_one_entity_add_up():
    links = [*LINKS, Link("G", "C", Decimal(10), False, START)]
    inv = consolidate("G", 2024, "equity_share", links, TOTALS)
    assert inv.entity("C").share == Decimal("0.4")  # 0.6 × 0.5 + 0.1
    assert len(inv.entity("C").months[0].paths) == 2


@pytest.mark.parametrize("change", [D(2024, 7, 1), D(2024, 6, 15)])
def test_an_ownership_change_mid_year_is_prorated_by_month(change):
    """G buys another 30 % of B, with control: the structure on the first of each month governs that month, so a
    purchase dated 1 July or 15 June counts from July (six months at 30 %, six at 60 %)."""
    links = [
        LINKS[0],
        Link("G", "B", Decimal(30), False, START, change, ref="2"),
        Link("G", "B", Decimal(60), True, change, ref="4"),
        LINKS[2],
    ]
    equity = consolidate("G", 2024, "equity_share", links, TOTALS)
    b = equity.entity("B")
    assert b.shares() == [Decimal("0.3")] * 6 + [Decimal("0.6")] * 6
    assert b.share is None  # it changed within the year
    assert (b.scope1, b.scope2) == (6 * 300 * Decimal("0.3") + 6 * 300 * Decimal("0.6"), 6 * 60 * Decimal("0.9"))
    assert equity.scope1 == 4152 - 1080 + 1620
    control = consolidate("G", 2024, "operational_control", links, TOTALS)
    assert control.entity("B").shares() == [0] * 6 + [1] * 6
    assert (control.entity("B").scope1, control.entity("B").scope2) == (1800, 360)
    assert control.boundary == ["G", "A", "B", "C"]


def test_a_sale_mid_year_leaves_the_entity_out_from_then_on_and_asks_no_data_after():
    links = [LINKS[0], LINKS[1], Link("A", "C", Decimal(50), True, START, D(2024, 4, 1))]
    totals = {k: v for k, v in TOTALS.items() if k != "C"} | monthly(("C", m, 120, 30) for m in (1, 2, 3))
    inv = consolidate("G", 2024, "operational_control", links, totals)
    assert inv.entity("C").scope1 == 360 and inv.entity("C").shares() == [1, 1, 1] + [0] * 9


def _refused(links, totals=TOTALS, approach="equity_share"):
    with pytest.raises(ConsolidationError) as exc:
        consolidate("G", 2024, approach, links, totals)
    return exc.value


def test_a_cycle_is_refused_with_its_chain():
    err = _refused([*LINKS, Link("C", "G", Decimal(5), False, D(2024, 3, 1))])
    assert err.problems[0].rule == "cycle"
    assert err.render("en") == "from 2024-03-01, ownership runs in a cycle: A → C → G → A"
    assert "2024-03-01 起存在循环持股：A → C → G → A" in err.render("zh")


def test_shares_over_100_are_refused_and_located():
    err = _refused([*LINKS, Link("X", "A", Decimal(50), False, D(2024, 5, 1))])
    assert err.render("en") == "from 2024-05-01, the owners of A hold 110 % together, more than 100 %"
    err = _refused([Link("G", "A", Decimal("120"), True, START, ref="7")])
    assert err.render("zh") == "持股关系 #7 G→A 120% [2020-01-01, …)：持股比例应在 0–100 之间，实际为 120"


def test_overlapping_links_of_one_pair_and_missing_totals_are_refused():
    err = _refused([*LINKS, Link("G", "A", Decimal(70), True, D(2023, 1, 1), ref="9")])
    assert err.problems[0].rule == "overlap" and "#9 G→A 70%" in err.render("en")
    totals = {k: v for k, v in TOTALS.items() if k != "C"} | monthly([("C", 1, 1, 1)])
    err = _refused(LINKS, totals)
    assert err.render("en").startswith("C is inside the boundary but has no totals for: 2024-02, 2024-03")
    assert _refused(LINKS, approach="financial").problems[0].rule == "approach"

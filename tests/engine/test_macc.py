"""The marginal abatement cost curve and the plan path (engine/macc.py), worked by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dualcarbon.engine.macc import MeasureInput, PlanError, crf, macc, path

D = Decimal


def m(key: str, tco2: str, capex: str, tce: str = "0", opex: str = "0", life: int = 10, start: int = 2025):
    return MeasureInput(key, key, D(tce), D(tco2), D(capex), D(opex), life, start)


def test_capital_recovery_factor():
    # 8 % over 10 years: 0.08 × 1.08^10 / (1.08^10 − 1) = 0.149029…
    assert crf(D("0.08"), 10).quantize(D("0.000001")) == D("0.149029")
    assert crf(D(0), 4) == D("0.25")
    with pytest.raises(PlanError):
        crf(D("0.08"), 0)


def test_a_measure_that_pays_for_itself_has_a_negative_cost_and_comes_first():
    # LED: capex 15 000 at 0 % over 10 years = 1 500/yr; opex −500; saves 2.458 tce × 1 000 = 2 458 → −1 458/yr
    led = m("led", "11.63", "15000", tce="2.458", opex="-500")
    # PV: 350 000 / 25 = 14 000/yr + 3 000 − 12 290 = 4 710/yr over 58.0 tCO2 → 81.21 yuan/tCO2
    pv = m("pv", "58.0", "350000", tce="12.29", opex="3000", life=25)
    curve = macc([pv, led], D(0), D(1000))
    assert [r.key for r in curve.rows] == ["led", "pv"]
    led_row, pv_row = curve.rows
    assert led_row.net_annual_cost == D("-1458.00")
    assert led_row.marginal_cost == (D("-1458") / D("11.63")).quantize(D("0.01"))
    assert pv_row.marginal_cost == D("81.21")
    assert (led_row.x_start, led_row.x_end, pv_row.x_start, pv_row.x_end) == (D(0), D("11.63"), D("11.63"), D("69.63"))
    assert curve.total_tco2 == D("69.63") and curve.negative_cost_tco2 == D("11.63")
    assert "CRF(0, 25)" in pv_row.derivation and "81.21 yuan/tCO2" in pv_row.derivation


def test_a_measure_that_avoids_nothing_is_listed_apart():
    curve = macc([m("none", "0", "1000"), m("some", "10", "1000")], D("0.08"), D(0))
    assert [r.key for r in curve.rows] == ["some"]
    assert [r.key for r in curve.unplotted] == ["none"] and curve.unplotted[0].marginal_cost is None


@pytest.mark.parametrize(
    ("rate", "price", "measure", "en"),
    [
        (D("1.2"), D(0), m("a", "1", "1"), "discount rate"),
        (D("0.08"), D(-1), m("a", "1", "1"), "energy price"),
        (D("0.08"), D(0), m("a", "-1", "1"), "cannot be negative"),
        (D("0.08"), D(0), m("a", "1", "-1"), "capex cannot be negative"),
    ],
)
def test_wrong_figures_are_refused(rate, price, measure, en):
    with pytest.raises(PlanError) as caught:
        macc([measure], rate, price)
    assert en in caught.value.en and caught.value.zh


def test_the_path_subtracts_running_measures_from_the_grown_baseline():
    rows = path(2024, D("1000"), D("0.10"), [m("a", "50", "0", life=2, start=2025)], 2027, {2027: D("1200")})
    assert [(r.year, r.baseline, r.abatement, r.planned) for r in rows] == [
        (2024, D("1000.00"), D(0), D("1000.00")),
        (2025, D("1100.00"), D("50"), D("1050.00")),
        (2026, D("1210.00"), D("50"), D("1160.00")),
        (2027, D("1331.00"), D(0), D("1331.00")),  # the measure's 2 years are over
    ]
    assert rows[-1].target == D("1200") and rows[0].target is None


def test_the_path_never_goes_below_zero():
    assert path(2024, D("10"), D(0), [m("a", "50", "0")], 2025)[-1].planned == D(0)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.decimals(min_value=0, max_value=10**6, places=2),
            st.decimals(min_value=0, max_value=10**7, places=2),
            st.integers(1, 30),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_the_curve_is_sorted_and_stacks_every_plotted_tonne(specs):
    measures = [m(f"m{i}", str(t), str(c), life=n) for i, (t, c, n) in enumerate(specs)]
    curve = macc(measures, D("0.05"), D(800))
    costs = [r.marginal_cost for r in curve.rows]
    assert costs == sorted(costs)
    assert curve.total_tco2 == sum((r.tco2_per_year for r in curve.rows), D(0))
    assert len(curve.rows) + len(curve.unplotted) == len(measures)
    for before, after in zip(curve.rows, curve.rows[1:], strict=False):
        assert before.x_end == after.x_start

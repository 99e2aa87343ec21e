"""The region's pathway to peak (engine/pathway.py), worked by hand: growth, efficiency, grid decline, a slowing
growth that makes an interior peak, the assumption a sector takes, and the sectors that close the gap."""

from __future__ import annotations

from decimal import Decimal

import pytest

from dualcarbon.engine.pathway import Assumption, BaseRow, PathwayError, assumption_for, closing, project

D = Decimal
ROWS = [BaseRow("30", "339901", D("1000"), D("200")), BaseRow("44", "339902", D("500"), D("0"))]


def test_constant_rates_by_hand():
    a = {"*": Assumption(growth=D("0.10"), efficiency=D("0.05"), grid_decline=D("0.5"))}
    p = project(ROWS, a, 2025, 2027)
    # t = 1: common = 1.10 × 0.95 = 1.045; cement 1000 × 1.045 + 200 × 1.045 × 0.5 = 1149.50; power 522.50
    assert p.by_sector[("30", 2026)] == D("1149.50") and p.by_sector[("44", 2026)] == D("522.50")
    # t = 2: 1.045² = 1.092025; cement 1092.03 + 200 × 1.092025 × 0.25 = 54.60; power 546.01
    assert p.by_sector[("30", 2027)] == D("1146.63") and p.totals[2027] == D("1692.64")
    assert p.by_district[("339902", 2027)] == D("546.01")
    # scope 2 falls faster than scope 1 grows at first: the highest year is the base year
    assert (p.peak_year, p.peak_value, p.peaked) == (2025, D("1700.00"), True)


def test_a_slowing_growth_peaks_inside_the_horizon():
    # growth 6 % falling 2 points a year, efficiency 3 %: the activity index is 1.06, 1.06·1.04, 1.06·1.04·1.02 …
    a = {"*": Assumption(growth=D("0.06"), efficiency=D("0.03"), growth_step=D("-0.02"))}
    assert a["*"].activity(3) == D("1.06") * D("1.04") * D("1.02")
    p = project([BaseRow("30", "339901", D("1000"), D(0))], a, 2025, 2032)
    values = [p.totals[y] for y in p.years]
    assert p.peak_year == 2027 and p.peaked
    assert values[2] == max(values) and values[3] < values[2]


def test_a_sector_takes_its_own_then_its_sections_then_the_default_assumption():
    table = {"*": Assumption(D("0.01")), "C": Assumption(D("0.02")), "30": Assumption(D("0.03"))}
    assert assumption_for(table, "30").growth == D("0.03")
    assert assumption_for(table, "C").growth == D("0.02")
    assert assumption_for(table, "44").growth == D("0.01")


def test_closing_lists_each_sectors_cut_against_the_baseline():
    baseline = project(ROWS, {"*": Assumption(D("0.05"))}, 2025, 2030)
    policy = project(ROWS, {"*": Assumption(D("0.05")), "30": Assumption(D("0.0"), D("0.05"))}, 2025, 2030)
    cuts = closing(baseline, policy, 2030)
    assert cuts[0][0] == "30" and cuts[0][1] > 0 and cuts[1] == ("44", D(0))


@pytest.mark.parametrize(
    ("assumption", "until", "en"),
    [
        (Assumption(D("0.9")), 2030, "outside"),
        (Assumption(D("0.01"), growth_step=D("0.2")), 2030, "yearly change of growth"),
        (Assumption(D("0.01")), 2020, "horizon"),
    ],
)
def test_wrong_assumptions_are_refused(assumption, until, en):
    with pytest.raises(PathwayError) as caught:
        project(ROWS, {"*": assumption}, 2025, until)
    assert en in caught.value.en and caught.value.zh

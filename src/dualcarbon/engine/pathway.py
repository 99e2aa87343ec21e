"""The region's pathway to peak (碳达峰路径): emissions by sector and district, year by year, under a scenario.

Pure and Decimal (docs/planning.md § Pathway). For each (sector, district) of the base year, with the scenario's
assumptions for that sector (or its default):

    activity     A(t) = Π_{k=1..t} (1 + g + (k − 1)·Δ)  g: the sector's activity growth in the first year,
                                                        Δ: its yearly change (−0.005: half a point less a year)
    intensity    I(t) = (1 − e)^t                      e: yearly efficiency gain (less energy per activity)
    grid         G(t) = (1 − d)^t                      d: yearly decline of the grid factor (cleaner electricity)
    scope 1      S1(t) = S1(0) × A(t) × I(t)             (with Δ = 0, A(t) = (1 + g)^t)
    scope 2      S2(t) = S2(0) × A(t) × I(t) × G(t)
    emissions    E(t) = S1(t) + S2(t),  t = year − base year

The peak is the year of the highest regional total (the first such year on a tie); "peaked" means the total
falls after it within the horizon. Each projected figure can be rebuilt from the row's base values, the
assumptions and t, which the result carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
DEFAULT_KEY = "*"


class PathwayError(ValueError):
    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class Assumption:
    growth: Decimal = Decimal(0)
    efficiency: Decimal = Decimal(0)
    grid_decline: Decimal = Decimal(0)
    growth_step: Decimal = Decimal(0)

    def activity(self, t: int) -> Decimal:
        """A(t): the activity index t years after the base year (1 at t = 0)."""
        out = Decimal(1)
        for k in range(1, t + 1):
            out *= Decimal(1) + self.growth + (k - 1) * self.growth_step
        return max(out, Decimal(0))

    def check(self, sector: str) -> None:
        if not Decimal("-0.05") <= self.growth_step <= Decimal("0.05"):
            raise PathwayError(
                f"行业 {sector} 的增长率年变化 {self.growth_step} 超出 −5%～5%",
                f"the yearly change of growth {self.growth_step} of sector {sector} is outside −5 %…5 %",
            )
        for name, value in (("growth", self.growth), ("efficiency", self.efficiency), ("grid", self.grid_decline)):
            if not Decimal("-0.5") <= value <= Decimal("0.5"):
                raise PathwayError(
                    f"行业 {sector} 的假设 {name} = {value} 超出 −50%～50%",
                    f"assumption {name} = {value} of sector {sector} is outside −50 %…50 %",
                )


@dataclass(frozen=True)
class BaseRow:
    sector: str
    district: str
    scope1: Decimal
    scope2: Decimal


@dataclass
class Pathway:
    base_year: int
    years: list[int]
    #: year → regional total
    totals: dict[int, Decimal]
    #: (sector, year) → total of the sector
    by_sector: dict[tuple[str, int], Decimal]
    #: (district, year) → total of the district
    by_district: dict[tuple[str, int], Decimal]
    assumptions: dict[str, Assumption] = field(default_factory=dict)

    @property
    def peak_year(self) -> int:
        best = max(self.totals.values())
        return next(y for y in self.years if self.totals[y] == best)

    @property
    def peak_value(self) -> Decimal:
        return self.totals[self.peak_year]

    @property
    def peaked(self) -> bool:
        """The total falls after the peak within the horizon (a peak in the last year is not yet a peak)."""
        return self.peak_year < self.years[-1]

    def sectors(self) -> list[str]:
        return sorted({s for s, _y in self.by_sector})

    def districts(self) -> list[str]:
        return sorted({d for d, _y in self.by_district})

    def as_dict(self) -> dict[str, Any]:
        return {
            "base_year": self.base_year,
            "peak_year": self.peak_year,
            "peak_value": str(self.peak_value),
            "peaked": self.peaked,
            "totals": [{"year": y, "tco2e": str(self.totals[y])} for y in self.years],
            "by_sector": [{"sector": s, "year": y, "tco2e": str(v)} for (s, y), v in sorted(self.by_sector.items())],
        }


def assumption_for(assumptions: Mapping[str, Assumption], sector: str) -> Assumption:
    """The sector's own assumption, else its section's (a letter key such as "C"), else the default ("*")."""
    if sector in assumptions:
        return assumptions[sector]
    for key, value in assumptions.items():
        if key != DEFAULT_KEY and sector.startswith(key):
            return value
    return assumptions.get(DEFAULT_KEY, Assumption())


def project(rows: Iterable[BaseRow], assumptions: Mapping[str, Assumption], base_year: int, until: int) -> Pathway:
    if until < base_year or until - base_year > 50:
        raise PathwayError("预测年份须在基准年之后 50 年内", "the horizon must end within 50 years after the base year")
    for key, a in assumptions.items():
        a.check(key)
    years = list(range(base_year, until + 1))
    totals = dict.fromkeys(years, Decimal(0))
    by_sector: dict[tuple[str, int], Decimal] = {}
    by_district: dict[tuple[str, int], Decimal] = {}
    one = Decimal(1)
    for row in rows:
        a = assumption_for(assumptions, row.sector)
        for y in years:
            t = y - base_year
            common = a.activity(t) * (one - a.efficiency) ** t
            value = (row.scope1 * common + row.scope2 * common * (one - a.grid_decline) ** t).quantize(
                CENT, ROUND_HALF_UP
            )
            totals[y] += value
            by_sector[(row.sector, y)] = by_sector.get((row.sector, y), Decimal(0)) + value
            by_district[(row.district, y)] = by_district.get((row.district, y), Decimal(0)) + value
    return Pathway(base_year, years, totals, by_sector, by_district, dict(assumptions))


def closing(baseline: Pathway, scenario: Pathway, year: int) -> list[tuple[str, Decimal]]:
    """Which sectors close the gap: each sector's cut against the baseline in ``year``, largest first."""
    cuts = [
        (s, baseline.by_sector.get((s, year), Decimal(0)) - scenario.by_sector.get((s, year), Decimal(0)))
        for s in baseline.sectors()
    ]
    return sorted(cuts, key=lambda c: c[1], reverse=True)

"""Marginal abatement cost curve (MACC, 边际减排成本曲线) and an emissions path under a plan (pure, Decimal).

For each measure of a plan (docs/planning.md § MACC):

    annualised capex   A = capex × CRF(r, n),  CRF = r(1+r)^n / ((1+r)^n − 1)   (capex / n when r = 0)
    annual energy value V = tce saved per year × energy price (yuan/tce)
    net annual cost     C = A + opex change − V               (yuan/yr; negative = the measure pays for itself)
    abatement           a = tCO2 avoided per year             (engine/savings.py: tce → tCO2 through the method)
    marginal cost       m = C / a                             (yuan/tCO2)

The curve sorts the measures by m (cheapest first) and stacks their abatement: each bar spans
[cumulative before, cumulative after] on the x axis at height m. A measure that avoids nothing has no marginal
cost and is listed apart, never plotted at infinity.

The path: emissions of year y = base × (1 + g)^(y − base year) − Σ abatement of the measures running in y
(from their start year for their lifetime), never below zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


class PlanError(ValueError):
    """A wrong figure in a measure or plan, in Chinese and English, naming the measure."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


@dataclass(frozen=True)
class MeasureInput:
    key: str
    name: str
    tce_per_year: Decimal  # energy saved per year by the whole quantity
    tco2_per_year: Decimal  # CO2 avoided per year by the whole quantity
    capex: Decimal  # yuan, whole quantity
    opex_change: Decimal  # yuan per year (+ costs more, − saves)
    lifetime: int  # years
    start_year: int


@dataclass
class MaccRow:
    key: str
    name: str
    tco2_per_year: Decimal
    annualised_capex: Decimal
    energy_value: Decimal
    net_annual_cost: Decimal
    marginal_cost: Decimal | None  # yuan/tCO2
    x_start: Decimal = Decimal(0)
    x_end: Decimal = Decimal(0)
    derivation: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "tco2_per_year": str(self.tco2_per_year),
            "annualised_capex": str(self.annualised_capex),
            "energy_value": str(self.energy_value),
            "net_annual_cost": str(self.net_annual_cost),
            "marginal_cost": None if self.marginal_cost is None else str(self.marginal_cost),
            "x_start": str(self.x_start),
            "x_end": str(self.x_end),
            "derivation": self.derivation,
        }


@dataclass
class Macc:
    rows: list[MaccRow]
    unplotted: list[MaccRow] = field(default_factory=list)
    discount_rate: Decimal = Decimal("0.08")
    energy_price: Decimal = Decimal(0)

    @property
    def total_tco2(self) -> Decimal:
        return self.rows[-1].x_end if self.rows else Decimal(0)

    @property
    def negative_cost_tco2(self) -> Decimal:
        """Abatement that pays for itself (marginal cost below zero)."""
        return sum(
            (r.tco2_per_year for r in self.rows if r.marginal_cost is not None and r.marginal_cost < 0), Decimal(0)
        )


def crf(rate: Decimal, years: int) -> Decimal:
    """Capital recovery factor: the share of a capex repaid each year over ``years`` at ``rate``."""
    if years <= 0:
        raise PlanError("寿命须为正整数年", "the lifetime must be a positive number of years")
    if rate == 0:
        return Decimal(1) / Decimal(years)
    grown = (Decimal(1) + rate) ** years
    return rate * grown / (grown - Decimal(1))


def _check(m: MeasureInput) -> None:
    if m.tco2_per_year < 0 or m.tce_per_year < 0:
        raise PlanError(f"措施「{m.name}」的节能量和减排量不能为负", f"measure {m.name!r}: savings cannot be negative")
    if m.capex < 0:
        raise PlanError(f"措施「{m.name}」的投资不能为负", f"measure {m.name!r}: capex cannot be negative")
    if m.lifetime <= 0:
        raise PlanError(f"措施「{m.name}」的寿命须为正整数年", f"measure {m.name!r}: lifetime must be positive")


def macc(measures: Iterable[MeasureInput], discount_rate: Decimal, energy_price: Decimal) -> Macc:
    """The curve of a set of measures (see the module's formulas); ties keep the input order."""
    if not Decimal(0) <= discount_rate < Decimal(1):
        raise PlanError("折现率须在 0 与 1 之间（如 0.08）", "the discount rate must be between 0 and 1 (e.g. 0.08)")
    if energy_price < 0:
        raise PlanError("能源价格不能为负", "the energy price cannot be negative")
    plotted: list[MaccRow] = []
    unplotted: list[MaccRow] = []
    for m in measures:
        _check(m)
        factor = crf(discount_rate, m.lifetime)
        annualised = (m.capex * factor).quantize(CENT, ROUND_HALF_UP)
        value = (m.tce_per_year * energy_price).quantize(CENT, ROUND_HALF_UP)
        net = annualised + m.opex_change - value
        cost = (net / m.tco2_per_year).quantize(CENT, ROUND_HALF_UP) if m.tco2_per_year > 0 else None
        derivation = (
            f"({m.capex} × CRF({discount_rate}, {m.lifetime}) = {annualised}) + {m.opex_change} − "
            f"({m.tce_per_year} tce × {energy_price} = {value}) = {net} yuan/yr"
            + (f"; ÷ {m.tco2_per_year} tCO2/yr = {cost} yuan/tCO2" if cost is not None else "; avoids no CO2")
        )
        row = MaccRow(m.key, m.name, m.tco2_per_year, annualised, value, net, cost, derivation=derivation)
        (plotted if cost is not None else unplotted).append(row)
    plotted.sort(key=lambda r: r.marginal_cost if r.marginal_cost is not None else Decimal(0))
    x = Decimal(0)
    for row in plotted:
        row.x_start, x = x, x + row.tco2_per_year
        row.x_end = x
    return Macc(plotted, unplotted, discount_rate, energy_price)


@dataclass(frozen=True)
class PathYear:
    year: int
    baseline: Decimal
    abatement: Decimal
    planned: Decimal
    target: Decimal | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "baseline": str(self.baseline),
            "abatement": str(self.abatement),
            "planned": str(self.planned),
            "target": None if self.target is None else str(self.target),
        }


def path(
    base_year: int,
    base_tco2: Decimal,
    growth: Decimal,
    measures: Sequence[MeasureInput],
    until: int,
    targets: dict[int, Decimal] | None = None,
) -> list[PathYear]:
    """Year by year from the base year to ``until``: the baseline, the plan's abatement and what is left."""
    if until < base_year:
        raise PlanError("终止年份不能早于基准年", "the last year cannot be before the base year")
    if growth <= Decimal(-1):
        raise PlanError("年增长率须大于 -100%", "the yearly growth must be above −100 %")
    targets = targets or {}
    out: list[PathYear] = []
    for year in range(base_year, until + 1):
        baseline = (base_tco2 * (Decimal(1) + growth) ** (year - base_year)).quantize(CENT, ROUND_HALF_UP)
        abatement = sum(
            (m.tco2_per_year for m in measures if m.start_year <= year < m.start_year + m.lifetime), Decimal(0)
        )
        planned = max(baseline - abatement, Decimal(0))
        out.append(PathYear(year, baseline, abatement, planned, targets.get(year)))
    return out

"""The region's pathway to peak (碳达峰路径, docs/planning.md § Pathway): scenarios as data, projected from the
region's accounts of the base year by engine/pathway.py. Nothing projected is stored: a scenario's figures are
computed when shown, from its current version and the current accounts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy

from dualcarbon.accounting import services as accounting
from dualcarbon.engine import pathway as engine
from dualcarbon.registry.models import Region

from . import scoping
from .models import Scenario, ScenarioAssumption

SCENARIO_FIELDS = ("name", "kind", "base_year", "until_year", "target_year", "target_tco2", "description")
ASSUMPTION_FIELDS = ("growth", "growth_step", "efficiency", "grid_decline", "source")


@dataclass
class Projection:
    scenario: Scenario
    pathway: engine.Pathway
    base_enterprises: int
    base_months: int

    @property
    def target_value(self) -> Decimal | None:
        s = self.scenario
        if s.target_year is None or s.target_year not in self.pathway.totals:
            return None
        return self.pathway.totals[s.target_year]

    @property
    def target_gap(self) -> Decimal | None:
        """tCO2e above the target in the target year (positive: the gap to close)."""
        value = self.target_value
        if value is None or self.scenario.target_tco2 is None:
            return None
        return value - self.scenario.target_tco2


def base_rows(region: Region, year: int) -> tuple[list[engine.BaseRow], int, int]:
    """The base year's current account entries of the region by GB/T 4754 division and district: scope 2, and
    the rest of the total (scope 1 less exported energy) as scope 1. Also: enterprises and entries counted."""
    sums: dict[tuple[str, str], list[Decimal]] = {}
    enterprises: set[int] = set()
    entries = 0
    for e in accounting.current_entries(region.prefix, [year]):
        key = (str(e["industry_code"])[:2], str(e["region_code"]))
        total, scope2 = Decimal(str(e["total_tco2e"])), Decimal(str(e["scope2_tco2e"] or 0))
        acc = sums.setdefault(key, [Decimal(0), Decimal(0)])
        acc[0] += total - scope2
        acc[1] += scope2
        enterprises.add(int(e["enterprise_id"]))
        entries += 1
    rows = [engine.BaseRow(s, d, v[0], v[1]) for (s, d), v in sorted(sums.items())]
    return rows, len(enterprises), entries


def assumptions_of(scenario: Scenario) -> dict[str, engine.Assumption]:
    return {
        a.sector: engine.Assumption(a.growth, a.efficiency, a.grid_decline, a.growth_step)
        for a in scenario.assumptions.all()
    }


def project(scenario: Scenario) -> Projection:
    rows, enterprises, entries = base_rows(scenario.region, scenario.base_year)
    pathway = engine.project(rows, assumptions_of(scenario), scenario.base_year, scenario.until_year)
    return Projection(scenario, pathway, enterprises, entries)


KIND_ORDER: dict[str, int] = {"baseline": 0, "policy": 1, "enhanced": 2}


def region_projections(user: Any, region: Region) -> list[Projection]:
    """The region's scenarios (baseline, policy, enhanced, then by name), each projected."""
    found = scoping.scenarios(user).filter(region=region).prefetch_related("assumptions")
    ordered = sorted(found, key=lambda s: (KIND_ORDER.get(s.kind, 9), s.name))
    return [project(s) for s in ordered]


def baseline_of(scenario: Scenario) -> Scenario | None:
    return (
        Scenario.objects.filter(region_id=scenario.region_id, kind=Scenario.Kind.BASELINE)
        .exclude(pk=scenario.pk)
        .order_by("pk")
        .first()
    )


def closing(scenario: Scenario, projection: Projection) -> list[tuple[str, Decimal]]:
    """Each sector's cut against the region's baseline scenario in the target (else last) year."""
    base = baseline_of(scenario)
    if base is None:
        return []
    year = scenario.target_year or scenario.until_year
    baseline = project(base).pathway
    if year not in baseline.totals or year not in projection.pathway.totals:
        return []
    return engine.closing(baseline, projection.pathway, year)


def _apply(obj: Any, data: Mapping[str, Any], fields: tuple[str, ...]) -> None:
    for name in fields:
        if name in data:
            value = data[name]
            setattr(obj, name, None if value in ("", None) and name not in ("description", "source") else value)


def _check(scenario: Scenario) -> None:
    scenario.full_clean(exclude=["region", "updated_by"], validate_constraints=False)
    if scenario.until_year < scenario.base_year:
        raise ValidationError({"until_year": gettext_lazy("预测至的年份不能早于基准年。")})
    if scenario.until_year - scenario.base_year > 50:
        raise ValidationError({"until_year": gettext_lazy("预测期最长 50 年。")})
    if scenario.target_year is not None and not scenario.base_year <= scenario.target_year <= scenario.until_year:
        raise ValidationError({"target_year": gettext_lazy("目标年份须在基准年与预测至之间。")})
    if (scenario.target_year is None) != (scenario.target_tco2 is None):
        raise ValidationError({"target_tco2": gettext_lazy("目标年份与目标排放须同时填写或同时留空。")})
    clash = Scenario.objects.filter(region_id=scenario.region_id, name=scenario.name).exclude(pk=scenario.pk)
    if clash.exists():
        raise ValidationError({"name": gettext_lazy("本地区已有同名情景。")})


@transaction.atomic
def create_scenario(user: Any, region: Region, data: Mapping[str, Any]) -> Scenario:
    if not scoping.can_edit_scenarios(user, region.code):
        raise PermissionDenied
    scenario = Scenario(region=region, updated_by=user)
    _apply(scenario, data, SCENARIO_FIELDS)
    _check(scenario)
    scenario._change_reason = "create"  # type: ignore[attr-defined]  # read by simple-history
    scenario.save()
    ScenarioAssumption.objects.create(scenario=scenario, sector=engine.DEFAULT_KEY, growth=Decimal(0))
    return scenario


@transaction.atomic
def update_scenario(user: Any, scenario: Scenario, data: Mapping[str, Any]) -> Scenario:
    if not scoping.can_edit_scenarios(user, scenario.region_id):
        raise PermissionDenied
    scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
    _apply(scenario, data, SCENARIO_FIELDS)
    _check(scenario)
    scenario.version = scenario.version + 1  # the row is locked (select_for_update): no lost update
    scenario.updated_by = user
    scenario._change_reason = "edit"  # type: ignore[attr-defined]
    scenario.save()
    return scenario


@transaction.atomic
def set_assumption(user: Any, scenario: Scenario, sector: str, data: Mapping[str, Any]) -> ScenarioAssumption:
    """Add or change the sector's yearly rates (a new version of the scenario); ValidationError by field."""
    if not scoping.can_edit_scenarios(user, scenario.region_id):
        raise PermissionDenied
    sector = str(sector or "").strip().upper()
    if not (
        sector == engine.DEFAULT_KEY
        or (len(sector) == 1 and sector.isalpha())
        or (len(sector) == 2 and sector.isdigit())
    ):
        raise ValidationError(
            {"sector": gettext_lazy("行业须为 *（其余全部）、门类字母（如 C）或两位大类代码（如 30）。")}
        )
    row = ScenarioAssumption.objects.filter(scenario=scenario, sector=sector).first() or ScenarioAssumption(
        scenario=scenario, sector=sector
    )
    _apply(row, data, ASSUMPTION_FIELDS)
    row.full_clean(exclude=["scenario"], validate_unique=False, validate_constraints=False)
    row.save()
    Scenario.objects.filter(pk=scenario.pk).update(version=F("version") + 1, updated_by=user)
    return row


@transaction.atomic
def remove_assumption(user: Any, scenario: Scenario, sector: str) -> None:
    if not scoping.can_edit_scenarios(user, scenario.region_id):
        raise PermissionDenied
    if sector == engine.DEFAULT_KEY:
        raise ValidationError({"sector": gettext_lazy("默认假设（*）不能删除，可修改其数值。")})
    deleted, _n = ScenarioAssumption.objects.filter(scenario=scenario, sector=sector).delete()
    if deleted:
        Scenario.objects.filter(pk=scenario.pk).update(version=F("version") + 1, updated_by=user)


def visible_scenario(user: Any, scenario_id: int) -> Scenario:
    return scoping.scenarios(user).select_related("region").prefetch_related("assumptions").get(pk=scenario_id)


def history(scenario: Scenario) -> list[Any]:
    """The scenario's and its assumptions' changes, newest first (who, when, what)."""
    rows = list(scenario.history.select_related("history_user").all()[:50])
    rows += list(ScenarioAssumption.history.filter(scenario_id=scenario.pk).select_related("history_user")[:100])
    return sorted(rows, key=lambda h: h.history_date, reverse=True)

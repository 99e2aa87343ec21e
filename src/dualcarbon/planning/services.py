"""Reduction planning services (docs/planning.md): plans and their measures, and what a plan adds up to.

A plan's figures are computed when asked, from its measures and the enterprise's current account:
tce saved → tCO2 avoided by engine/savings.py (the measure's conversion method, with the enterprise's region and
the measure's first year for a grid method), the cost curve and the emissions path by engine/macc.py. Nothing
derived is stored, so every figure shows how it was made from what is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from dualcarbon.accounting import services as accounting
from dualcarbon.engine import macc as engine_macc
from dualcarbon.engine import savings as engine_savings
from dualcarbon.registry.models import Organisation

from . import scoping
from .models import Measure, PlanMeasure, ReductionPlan

PLAN_FIELDS = (
    "name",
    "base_year",
    "until_year",
    "growth",
    "discount_rate",
    "energy_price",
    "target_tco2",
    "target_grade",
)


def _lang() -> str:
    return "en" if (get_language() or "zh").startswith("en") else "zh"


@dataclass
class BaseYear:
    """The enterprise's reported base year, from its current account entries."""

    year: int
    tco2: Decimal
    energy_tce: Decimal
    months: int

    @property
    def complete(self) -> bool:
        return self.months == 12


@dataclass
class ItemFigures:
    item: PlanMeasure
    measure: Measure
    tce_per_year: Decimal
    capex: Decimal
    opex_change: Decimal
    savings: engine_savings.Savings | None
    error: str = ""
    row: engine_macc.MaccRow | None = None

    @property
    def tco2_per_year(self) -> Decimal:
        return self.savings.tco2 if self.savings is not None else Decimal(0)

    @property
    def end_year(self) -> int:
        return self.item.start_year + self.measure.lifetime_years - 1


@dataclass
class PlanView:
    plan: ReductionPlan
    base: BaseYear
    items: list[ItemFigures]
    curve: engine_macc.Macc
    path: list[engine_macc.PathYear]
    notes: list[str] = field(default_factory=list)

    @property
    def until(self) -> engine_macc.PathYear | None:
        return self.path[-1] if self.path else None

    @property
    def target_gap(self) -> Decimal | None:
        """tCO2e still to cut in the last year (positive) or the margin below the target (negative)."""
        last = self.until
        if last is None or self.plan.target_tco2 is None:
            return None
        return last.planned - self.plan.target_tco2

    @property
    def total_capex(self) -> Decimal:
        return sum((i.capex for i in self.items), Decimal(0))


def base_year(enterprise: Organisation, year: int) -> BaseYear:
    """Sum of the enterprise's current monthly account entries of ``year`` (tCO2e and tce)."""
    tco2 = energy = Decimal(0)
    months = 0
    for e in accounting.current_entries("", [year], enterprise_ids=[enterprise.pk]):
        tco2 += Decimal(str(e["total_tco2e"]))
        energy += Decimal(str(e["energy_tce"]))
        months += 1
    return BaseYear(year, tco2.quantize(engine_macc.CENT), energy.quantize(Decimal("0.0001")), months)


def _figures(item: PlanMeasure, region: str) -> ItemFigures:
    m = item.measure
    tce = (item.quantity * m.tce_per_unit).quantize(Decimal("0.0001"))
    capex = (item.quantity * m.capex_per_unit).quantize(engine_macc.CENT)
    opex = (item.quantity * m.opex_change_per_unit).quantize(engine_macc.CENT)
    try:
        saved = engine_savings.convert(tce, "tce", "equivalent", m.conversion, region=region, year=item.start_year)
    except engine_savings.SavingsError as exc:
        return ItemFigures(item, m, tce, capex, opex, None, exc.render(_lang()))
    return ItemFigures(item, m, tce, capex, opex, saved)


def _inputs(items: list[ItemFigures]) -> list[engine_macc.MeasureInput]:
    return [
        engine_macc.MeasureInput(
            key=str(f.item.pk),
            name=measure_name(f.measure),
            tce_per_year=f.tce_per_year,
            tco2_per_year=f.tco2_per_year,
            capex=f.capex,
            opex_change=f.opex_change,
            lifetime=f.measure.lifetime_years,
            start_year=f.item.start_year,
        )
        for f in items
    ]


def measure_name(m: Measure) -> str:
    return m.name_en if _lang() == "en" else m.name_zh


def evaluate(plan: ReductionPlan) -> PlanView:
    """Everything a plan adds up to: base year, each measure's figures, the cost curve and the path."""
    enterprise = plan.enterprise
    region = str(enterprise.region_id or "")  # the GB/T 2260 code is the key
    items = [_figures(i, region) for i in plan.items.select_related("measure")]
    base = base_year(enterprise, plan.base_year)
    notes: list[str] = []
    if base.months == 0:
        notes.append(_("基准年没有已核算的月份：基准排放按 0 计，请先报送基准年数据或改选基准年。"))
    elif not base.complete:
        notes.append(_("基准年仅有 %(n)d 个月已核算，基准排放为这些月份之和。") % {"n": base.months})
    inputs = _inputs([f for f in items if f.savings is not None])
    curve = engine_macc.macc(inputs, plan.discount_rate, plan.energy_price)
    rows = {r.key: r for r in [*curve.rows, *curve.unplotted]}
    for f in items:
        f.row = rows.get(str(f.item.pk))
    targets = {plan.until_year: plan.target_tco2} if plan.target_tco2 is not None else {}
    path = engine_macc.path(plan.base_year, base.tco2, plan.growth, inputs, plan.until_year, targets)
    return PlanView(plan, base, items, curve, path, notes)


def _clean_plan(plan: ReductionPlan) -> None:
    plan.full_clean(exclude=["enterprise", "created_by"], validate_constraints=False)
    if plan.until_year < plan.base_year:
        raise ValidationError({"until_year": gettext_lazy("规划至的年份不能早于基准年。")})
    if plan.until_year - plan.base_year > 40:
        raise ValidationError({"until_year": gettext_lazy("规划期最长 40 年。")})


@transaction.atomic
def create_plan(user: Any, enterprise: Organisation, data: Mapping[str, Any]) -> ReductionPlan:
    """A new plan for ``enterprise``; ValidationError by field (nothing saved) on a wrong value."""
    if not scoping.can_edit_plans(user, enterprise):
        raise PermissionDenied
    plan = ReductionPlan(enterprise=enterprise, created_by=user)
    for name in PLAN_FIELDS:
        if name in data:
            setattr(plan, name, data[name] if data[name] not in ("", None) else None)
    _clean_plan(plan)
    plan.save()
    return plan


@transaction.atomic
def update_plan(user: Any, plan: ReductionPlan, data: Mapping[str, Any]) -> ReductionPlan:
    if not scoping.can_edit_plans(user, plan.enterprise_id):
        raise PermissionDenied
    plan = ReductionPlan.objects.select_for_update().get(pk=plan.pk)
    for name in PLAN_FIELDS:
        if name in data:
            setattr(plan, name, data[name] if data[name] not in ("", None) else None)
    _clean_plan(plan)
    items_before = plan.items.filter(start_year__lt=plan.base_year).exists()
    if items_before:
        raise ValidationError({"base_year": gettext_lazy("已有措施的投运年份早于该基准年。")})
    plan.save()
    return plan


@transaction.atomic
def add_item(user: Any, plan: ReductionPlan, data: Mapping[str, Any]) -> PlanMeasure:
    """Add a measure of the library to the plan; ValidationError by field on a wrong value."""
    if not scoping.can_edit_plans(user, plan.enterprise_id):
        raise PermissionDenied
    errors: dict[str, list[Any]] = {}
    measure_id = _int(data.get("measure"))
    measure = scoping.measures(user).filter(pk=measure_id).first() if measure_id else None
    if measure is None:
        errors["measure"] = [ValidationError(gettext_lazy("请从措施库中选择一项措施。"))]
    item = PlanMeasure(plan=plan, measure=measure)
    item.quantity = data.get("quantity")  # type: ignore[assignment]  # cleaned (and refused) by full_clean below
    item.start_year = data.get("start_year")  # type: ignore[assignment]
    try:
        item.full_clean(exclude=["plan", "measure"])
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if "start_year" not in errors and item.start_year is not None:
        year = int(item.start_year)
        if not plan.base_year <= year <= plan.until_year:
            errors["start_year"] = [
                ValidationError(
                    gettext_lazy("投运年份须在规划期 %(a)d–%(b)d 之内。"),
                    params={"a": plan.base_year, "b": plan.until_year},
                )
            ]
    if errors:
        raise ValidationError(errors)
    item.save()
    ReductionPlan.objects.filter(pk=plan.pk).update(updated_at=timezone.now())
    return item


@transaction.atomic
def remove_item(user: Any, plan: ReductionPlan, item_id: int) -> None:
    if not scoping.can_edit_plans(user, plan.enterprise_id):
        raise PermissionDenied
    deleted, _n = PlanMeasure.objects.filter(plan=plan, pk=item_id).delete()
    if not deleted:
        raise PlanMeasure.DoesNotExist
    ReductionPlan.objects.filter(pk=plan.pk).update(updated_at=timezone.now())


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def visible_enterprise(user: Any, org_id: int) -> Organisation:
    """The enterprise if the user may read its plans, else Organisation.DoesNotExist (a 404, like a missing one)."""
    return scoping.plan_enterprises(user).select_related("region", "industry").get(pk=org_id)


def visible_plan(user: Any, plan_id: int) -> ReductionPlan:
    return scoping.plans(user).select_related("enterprise__region").get(pk=plan_id)


def enterprise_plans(user: Any, enterprise: Organisation) -> list[ReductionPlan]:
    return list(scoping.plans(user).filter(enterprise=enterprise).order_by("-updated_at"))


def library(user: Any) -> list[Measure]:
    return list(scoping.measures(user))


def _industry_chain(industry_code: str) -> set[str]:
    """The codes of an industry and of every level above it (GB/T 4754: class → group → division → section)."""
    from dualcarbon.registry.models import Industry

    chain: set[str] = set()
    code: str | None = industry_code or None
    parents = dict(Industry.objects.values_list("code", "parent_id"))
    while code and code not in chain:
        chain.add(code)
        code = parents.get(code)
    return chain


def _applies(sector: str, chain: set[str]) -> bool:
    """Whether a library measure's sector (“全部行业”, “*”, “C 制造业”, “C30 非金属矿物制品业”) covers an industry."""
    token = (sector or "").split(" ")[0].strip()
    if not token or token.startswith("全部") or token == "*":
        return True
    letter, digits = token[:1], token[1:] if token[:1].isalpha() else ""
    if token[:1].isalpha():
        return letter in chain and (not digits or digits in chain)
    return token in chain


def applicable_measures(industry_code: str, region: str, year: int) -> list[dict[str, Any]]:
    """The active library measures whose sector covers ``industry_code`` (the measures applicable to an enterprise
    of that industry), each with its tce and tCO2 saved a year per unit — tCO2 converted by engine/savings.py with
    the measure's method, ``region`` and ``year`` as a plan item would — and the sources of both. For readers above
    (the programme's group inventory lists the reduction potential of each subsidiary); no user scope: the library
    is read by every signed-in user."""
    chain = _industry_chain(industry_code)
    out: list[dict[str, Any]] = []
    for m in Measure.objects.filter(is_active=True).order_by("code"):
        if not _applies(m.sector, chain):
            continue
        row: dict[str, Any] = {
            "code": m.code,
            "name_zh": m.name_zh,
            "name_en": m.name_en,
            "sector": m.sector,
            "unit_zh": m.unit_zh,
            "unit_en": m.unit_en,
            "tce_per_unit": m.tce_per_unit,
            "capex_per_unit": m.capex_per_unit,
            "source": m.source,
            "illustrative": m.illustrative,
            "conversion": m.conversion,
            "tco2_per_unit": None,
            "factor": None,
            "factor_source": "",
            "error": "",
        }
        try:
            saved = engine_savings.convert(m.tce_per_unit, "tce", "equivalent", m.conversion, region=region, year=year)
        except engine_savings.SavingsError as exc:
            row["error"] = exc.render(_lang())
        else:
            row.update(tco2_per_unit=saved.tco2, factor=saved.factor, factor_source=saved.source)
        out.append(row)
    return out

"""Planning API (mounted at /api/planning; token auth; thin over services): the measures library, an enterprise's
reduction plans, and what a plan adds up to (each measure's tCO2 with its factor and source, the cost curve, the
path) — docs/planning.md.

Refusals answer the API's one error shape (``ErrorOut``): 404 for what the token may not see (exactly like
missing), 403 for a write the token's user may not make, 422 for a wrong value, located by field, in both
languages; nothing is changed on a refusal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Path, Query, Router, Schema, Status

from dualcarbon.registry.api_tokens import ApiTokenAuth
from dualcarbon.registry.models import Organisation
from dualcarbon.reporting.schemas import ERRORS, refused

from . import projection, services
from .models import PlanMeasure, ReductionPlan

router = Router(tags=["planning"], auth=ApiTokenAuth())
MAX_ID = 2**63 - 1


class MeasureOut(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str
    sector: str
    energy_type: str
    unit_zh: str
    unit_en: str
    tce_per_unit: Decimal = Field(..., description="tce saved per year per unit")
    conversion: str = Field(..., description="tce → tCO2 method of `dualcarbon savings` (docs/methods.md § 16)")
    capex_per_unit: Decimal
    opex_change_per_unit: Decimal
    lifetime_years: int
    source: str
    illustrative: bool = Field(..., description="true: the figures are illustrative, not from an official catalogue")


class PlanIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    base_year: int = Field(..., ge=2000, le=2100)
    until_year: int = Field(..., ge=2000, le=2100)
    growth: Decimal = Field(Decimal("0.02"), description="yearly growth without measures, e.g. 0.02", ge=-0.5, le=0.5)
    discount_rate: Decimal = Field(Decimal("0.08"), ge=0, le=0.5)
    energy_price: Decimal = Field(Decimal("1000"), description="yuan per tce", ge=0, le=10**7)
    target_tco2: Decimal | None = Field(None, ge=0, le=10**13, description="target emissions of the last year")
    target_grade: int | None = Field(None, description="the 碳效码 grade aimed for in the last year (1–4)")


class ItemIn(Schema):
    measure_id: int = Field(..., ge=1, le=MAX_ID)
    quantity: Decimal = Field(..., gt=0, le=10**11)
    start_year: int = Field(..., ge=2000, le=2100)


class SavingsOut(Schema):
    method: str
    factor: float = Field(..., description="tCO2 per tce")
    source: str
    derivation: list[dict[str, str]]


class ItemOut(Schema):
    id: int
    measure_id: int
    measure: str
    quantity: Decimal
    start_year: int
    end_year: int
    tce_per_year: Decimal
    tco2_per_year: Decimal
    capex: Decimal
    opex_change: Decimal
    marginal_cost: Decimal | None = Field(None, description="yuan per tCO2; null when the measure avoids nothing")
    cost_derivation: str
    savings: SavingsOut | None
    error: str = Field("", description="why the measure's CO2 could not be computed")


class PathOut(Schema):
    year: int
    baseline: Decimal
    abatement: Decimal
    planned: Decimal
    target: Decimal | None


class PlanOut(Schema):
    id: int
    enterprise_id: int
    enterprise: str
    name: str
    base_year: int
    until_year: int
    growth: Decimal
    discount_rate: Decimal
    energy_price: Decimal
    target_tco2: Decimal | None
    target_grade: int | None
    base_tco2: Decimal = Field(..., description="sum of the base year's current monthly account entries")
    base_months: int
    items: list[ItemOut]
    macc: list[dict[str, Any]] = Field(..., description="cheapest first: x_start/x_end cumulative tCO2, cost")
    path: list[PathOut]
    target_gap: Decimal | None
    notes: list[str]


def _user(request: HttpRequest) -> Any:
    return request.auth.user  # type: ignore[attr-defined]


def _plan_out(view: services.PlanView) -> dict[str, Any]:
    p = view.plan
    items = []
    for f in view.items:
        s = f.savings
        items.append(
            {
                "id": f.item.pk,
                "measure_id": f.measure.pk,
                "measure": services.measure_name(f.measure),
                "quantity": f.item.quantity,
                "start_year": f.item.start_year,
                "end_year": f.end_year,
                "tce_per_year": f.tce_per_year,
                "tco2_per_year": f.tco2_per_year,
                "capex": f.capex,
                "opex_change": f.opex_change,
                "marginal_cost": f.row.marginal_cost if f.row else None,
                "cost_derivation": f.row.derivation if f.row else "",
                "savings": None
                if s is None
                else {
                    "method": s.method,
                    "factor": float(s.factor),
                    "source": s.source,
                    "derivation": s.as_dict()["derivation"],
                },
                "error": f.error,
            }
        )
    return {
        "id": p.pk,
        "enterprise_id": p.enterprise_id,
        "enterprise": p.enterprise.name,
        "name": p.name,
        "base_year": p.base_year,
        "until_year": p.until_year,
        "growth": p.growth,
        "discount_rate": p.discount_rate,
        "energy_price": p.energy_price,
        "target_tco2": p.target_tco2,
        "target_grade": p.target_grade,
        "base_tco2": view.base.tco2,
        "base_months": view.base.months,
        "items": items,
        "macc": [r.as_dict() for r in view.curve.rows],
        "path": [y.as_dict() for y in view.path],
        "target_gap": view.target_gap,
        "notes": [str(n) for n in view.notes],
    }


def _enterprise(request: HttpRequest, org_id: int) -> Organisation:
    try:
        return services.visible_enterprise(_user(request), org_id)
    except Organisation.DoesNotExist:
        raise Http404 from None


def _plan(request: HttpRequest, plan_id: int) -> ReductionPlan:
    try:
        return services.visible_plan(_user(request), plan_id)
    except ReductionPlan.DoesNotExist:
        raise Http404 from None


@router.get(
    "/measures",
    operation_id="planning_measures",
    url_name="planning_measures",
    response={200: list[MeasureOut], **ERRORS},
    summary="减排措施库 / the measures library",
)
def measures(request: HttpRequest) -> Any:
    return Status(200, services.library(_user(request)))


@router.get(
    "/enterprises/{org_id}/plans",
    operation_id="planning_plans",
    url_name="planning_plans",
    response={200: list[PlanOut], **ERRORS},
    summary="企业的减排规划 / an enterprise's reduction plans, with what each adds up to",
    description="404: no such enterprise, or one the token may not see.",
)
def plans(request: HttpRequest, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    enterprise = _enterprise(request, org_id)
    return Status(200, [_plan_out(services.evaluate(p)) for p in services.enterprise_plans(_user(request), enterprise)])


@router.post(
    "/enterprises/{org_id}/plans",
    operation_id="planning_plan_create",
    url_name="planning_plan_create",
    response={201: PlanOut, **ERRORS},
    summary="新建减排规划 / create a reduction plan",
    description="Only the enterprise's own staff (403 otherwise). 422: a wrong value (located), nothing written.",
)
def create(request: HttpRequest, payload: PlanIn, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    enterprise = _enterprise(request, org_id)
    try:
        plan = services.create_plan(_user(request), enterprise, payload.dict())
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, _plan_out(services.evaluate(plan)))


@router.get(
    "/plans/{plan_id}",
    operation_id="planning_plan",
    url_name="planning_plan",
    response={200: PlanOut, **ERRORS},
    summary="一项减排规划：措施、边际减排成本曲线、排放路径 / one plan: measures, cost curve, path",
)
def plan(request: HttpRequest, plan_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return Status(200, _plan_out(services.evaluate(_plan(request, plan_id))))


@router.post(
    "/plans/{plan_id}/items",
    operation_id="planning_item_add",
    url_name="planning_item_add",
    response={201: PlanOut, **ERRORS},
    summary="向规划添加措施 / add a measure to a plan",
    description="Only the enterprise's own staff (403). 422: unknown measure, wrong quantity or a start year "
    "outside the plan, nothing written.",
)
def item_add(request: HttpRequest, payload: ItemIn, plan_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    current = _plan(request, plan_id)
    data = {"measure": payload.measure_id, "quantity": payload.quantity, "start_year": payload.start_year}
    try:
        services.add_item(_user(request), current, data)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, _plan_out(services.evaluate(current)))


@router.delete(
    "/plans/{plan_id}/items/{item_id}",
    operation_id="planning_item_remove",
    url_name="planning_item_remove",
    response={200: PlanOut, **ERRORS},
    summary="从规划移除措施 / remove a measure from a plan",
)
def item_remove(
    request: HttpRequest, plan_id: int = Path(..., ge=1, le=MAX_ID), item_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    current = _plan(request, plan_id)
    try:
        services.remove_item(_user(request), current, item_id)
    except PlanMeasure.DoesNotExist:
        raise Http404 from None
    return Status(200, _plan_out(services.evaluate(current)))


class PlanChangeOut(Schema):
    fact: str
    label: str
    before: Any
    after: Any
    before_text: str
    after_text: str
    derivation: str


class PlanConditionOut(Schema):
    text: str
    before: str
    after: str
    met_before: bool
    met_after: bool


class PlanUnlockOut(Schema):
    kind: str = Field(..., description="policy | product")
    id: int = Field(..., description="the policy version's or the bank product version's id")
    name: str
    owner: str = Field(..., description="the policy package or the bank")
    benefit: str
    committed: str | None = Field(None, description="policies: the money the match would commit (元)")
    conditions: list[PlanConditionOut]


class PlanGradeTargetOut(Schema):
    grade: int
    year: int
    intensity_needed: str | None = Field(None, description="tCO2/万元: the grade's K bound × the benchmark")
    grade_bound_k: str | None
    benchmark: str | None
    intensity_projected: str | None
    grade_projected: int | None
    reached: bool | None
    short_pct: str | None = Field(None, description="how much lower the projected intensity must be, %")
    short_tco2: str | None = Field(None, description="tCO2e still to cut in the last year to reach the grade")
    allowed_tco2: str | None
    planned_tco2: str | None


class PlanProjectionOut(Schema):
    plan_id: int
    facts_year: int | None = Field(None, description="the graded year today's facts are read from")
    at: int = Field(..., description="the projected year")
    ruler: dict[str, Any] | None = Field(None, description="the scheme's bounds and the enterprise's benchmark")
    changes: list[PlanChangeOut]
    unlocked: list[PlanUnlockOut] = Field(..., description="policies and bank products met after and not before")
    ceased: list[PlanUnlockOut] = Field(..., description="met today and no longer after the plan")
    grade_target: PlanGradeTargetOut | None
    notes: list[str]


@router.get(
    "/plans/{plan_id}/projection",
    operation_id="planning_plan_projection",
    url_name="planning_plan_projection",
    response={200: PlanProjectionOut, **ERRORS},
    summary="规划实施后的等级与可享受的政策、金融产品 / what a plan would unlock",
    description="The enterprise's account facts today and as the plan would leave them in year `at` (default the "
    "plan's last year), graded with the scheme that graded it; the policies in force and the bank products whose "
    "conditions the plan newly meets (or no longer meets), each condition before → after; the target grade's "
    "intensity. Nothing is stored. 422: `at` outside (base year, last year].",
)
def plan_projection(
    request: HttpRequest,
    plan_id: int = Path(..., ge=1, le=MAX_ID),
    at: int | None = Query(None, ge=2000, le=2100),
) -> Any:
    current = _plan(request, plan_id)
    if at is not None and not current.base_year < at <= current.until_year:
        exc = ValidationError(
            {
                "at": ValidationError(
                    _("推算年份须在基准年之后、规划末年之前（%(a)d–%(b)d）。"),
                    params={"a": current.base_year + 1, "b": current.until_year},
                )
            }
        )
        return refused(request, exc)
    out = projection.project(services.evaluate(current), at)
    return Status(200, {"plan_id": current.pk, **out.as_dict()})

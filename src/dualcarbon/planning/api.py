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

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Path, Query, Router, Schema, Status

from dualcarbon.registry.api_tokens import ApiTokenAuth, request_user, token_or_session
from dualcarbon.registry.models import Organisation
from dualcarbon.reporting import services as reporting_services
from dualcarbon.reporting.schemas import ERRORS, refused

from . import pathways, projection, scoping, services
from .models import PlanMeasure, ReductionPlan, Scenario

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
    publisher: str = Field(..., description="who published the figures (sourced measures)")
    document: str
    document_year: int | None
    entry: str = Field(..., description="the entry or clause of the document")
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


# ------------------------------------------------------------------------------------------ the region's pathway
#: government staff hold no API tokens: scenarios are read and written through their signed-in session (Django's
#: CSRF check on every write), as the policy API does (docs/policy.md § Pages and API); a token's user (an
#: enterprise's or a bank's system) sees no region's scenarios
GOVERNMENT_AUTH = token_or_session()


class ScenarioAssumptionIO(Schema):
    sector: str = Field(..., min_length=1, max_length=4, description="*, a section letter or a two-digit division")
    growth: Decimal = Field(..., description="activity growth in the first year, e.g. 0.03", ge=-0.5, le=0.5)
    growth_step: Decimal = Field(Decimal(0), description="yearly change of the growth, e.g. -0.004", ge=-0.05, le=0.05)
    efficiency: Decimal = Field(Decimal(0), description="yearly efficiency gain", ge=-0.5, le=0.5)
    grid_decline: Decimal = Field(Decimal(0), description="yearly decline of the grid factor", ge=-0.5, le=0.5)
    source: str = Field("", max_length=300, description="the basis of the rates")


class ScenarioIn(Schema):
    region: str = Field(..., min_length=2, max_length=12, description="GB/T 2260 code of a region you govern")
    name: str = Field(..., min_length=1, max_length=80)
    kind: str = Field(..., max_length=10, description="baseline | policy | enhanced")
    base_year: int = Field(..., ge=2000, le=2100)
    until_year: int = Field(2035, ge=2000, le=2100)
    target_year: int | None = Field(None, ge=2000, le=2100)
    target_tco2: Decimal | None = Field(None, ge=0, le=10**13)
    description: str = Field("", max_length=4000)
    assumptions: list[ScenarioAssumptionIO] = Field(
        default_factory=list, description="sector rates; the default sector * is created at 0 % unless given"
    )


class ScenarioPatchIn(Schema):
    version: int | None = Field(
        None, ge=1, description="the version the change was made on: one saved since answers 409, nothing written"
    )
    name: str | None = Field(None, min_length=1, max_length=80)
    kind: str | None = Field(None, max_length=10)
    base_year: int | None = Field(None, ge=2000, le=2100)
    until_year: int | None = Field(None, ge=2000, le=2100)
    target_year: int | None = Field(None, ge=2000, le=2100)
    target_tco2: Decimal | None = Field(None, ge=0, le=10**13)
    description: str | None = Field(None, max_length=4000)
    assumptions: list[ScenarioAssumptionIO] = Field(default_factory=list, description="sectors to add or change")
    remove_sectors: list[str] = Field(default_factory=list, description="sectors whose row to remove (not *)")


class ScenarioYearOut(Schema):
    year: int
    tco2: Decimal


class ScenarioOut(Schema):
    id: int
    region: str
    region_name: str
    name: str
    kind: str
    base_year: int
    until_year: int
    target_year: int | None
    target_tco2: Decimal | None
    description: str
    version: int = Field(..., description="counts the saves (each change of the scenario or of one sector's rates)")
    updated_at: Any
    updated_by: str
    assumptions: list[ScenarioAssumptionIO]
    base_enterprises: int
    base_months: int = Field(..., description="monthly account entries the base year sums")
    peak_year: int
    peak_value: Decimal
    peaked: bool = Field(..., description="false: the highest year is the last (no peak within the horizon)")
    target_value: Decimal | None
    target_gap: Decimal | None = Field(None, description="tCO2e above the target in the target year")
    totals: list[ScenarioYearOut]


def _scenario_out(scenario: Any) -> dict[str, Any]:
    p = pathways.project(scenario)
    w = p.pathway
    user = scenario.updated_by
    return {
        "id": scenario.pk,
        "region": scenario.region_id,
        "region_name": scenario.region.name,
        "name": scenario.name,
        "kind": scenario.kind,
        "base_year": scenario.base_year,
        "until_year": scenario.until_year,
        "target_year": scenario.target_year,
        "target_tco2": scenario.target_tco2,
        "description": scenario.description,
        "version": scenario.version,
        "updated_at": scenario.updated_at,
        "updated_by": (user.get_full_name() or user.username) if user else "",
        "assumptions": [
            {
                "sector": a.sector,
                "growth": a.growth,
                "growth_step": a.growth_step,
                "efficiency": a.efficiency,
                "grid_decline": a.grid_decline,
                "source": a.source,
            }
            for a in scenario.assumptions.all()
        ],
        "base_enterprises": p.base_enterprises,
        "base_months": p.base_months,
        "peak_year": w.peak_year,
        "peak_value": w.peak_value,
        "peaked": w.peaked,
        "target_value": p.target_value,
        "target_gap": p.target_gap,
        "totals": [{"year": y, "tco2": w.totals[y]} for y in w.years],
    }


def _scenario(request: HttpRequest, scenario_id: int) -> Any:
    try:
        return pathways.visible_scenario(request_user(request), scenario_id)
    except Scenario.DoesNotExist:
        raise Http404 from None


def _assumption_errors(exc: ValidationError, i: int) -> ValidationError:
    """A sector row's refusal located on the payload (``assumptions[1].growth``)."""
    return ValidationError({f"assumptions[{i}].{k}": v for k, v in exc.error_dict.items()})


def _set_assumptions(user: Any, scenario: Any, rows: list[ScenarioAssumptionIO]) -> None:
    for i, row in enumerate(rows):
        data = row.dict()
        try:
            pathways.set_assumption(user, scenario, data.pop("sector"), data)
        except ValidationError as exc:
            raise _assumption_errors(exc, i) from None


@router.get(
    "/scenarios",
    operation_id="planning_scenarios",
    url_name="planning_scenarios",
    auth=GOVERNMENT_AUTH,
    response={200: list[ScenarioOut], **ERRORS},
    summary="达峰路径情景 / the pathway scenarios of the regions you govern",
    description="Government staff (signed-in session) and the admin; `region` narrows to one region. Each scenario "
    "with its current version, its sector rates and its projection (peak, target gap, totals by year).",
)
def scenarios(request: HttpRequest, region: str = Query("", max_length=12)) -> Any:
    qs = scoping.scenarios(request_user(request)).select_related("region", "updated_by").prefetch_related("assumptions")
    if region:
        qs = qs.filter(region_id=region)
    rows = sorted(qs, key=lambda s: (s.region_id, pathways.KIND_ORDER.get(s.kind, 9), s.name))
    return Status(200, [_scenario_out(s) for s in rows])


@router.post(
    "/scenarios",
    operation_id="planning_scenario_create",
    url_name="planning_scenario_create",
    auth=GOVERNMENT_AUTH,
    response={201: ScenarioOut, **ERRORS},
    summary="新建达峰路径情景 / create a scenario",
    description="The government staff governing the region and the admin (a region out of your jurisdiction: 404; "
    "one you read but do not govern: 403). 422: a wrong value, located (`assumptions[1].growth`); nothing written.",
)
def scenario_create(request: HttpRequest, payload: ScenarioIn) -> Any:
    user = request_user(request)
    region = scoping.pathway_regions(user).filter(code=payload.region).first()
    if region is None:
        raise Http404
    data = payload.dict(exclude={"region", "assumptions"})
    try:
        with transaction.atomic():
            scenario = pathways.create_scenario(user, region, data)
            _set_assumptions(user, scenario, payload.assumptions)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, _scenario_out(_scenario(request, scenario.pk)))


@router.get(
    "/scenarios/{scenario_id}",
    operation_id="planning_scenario",
    url_name="planning_scenario",
    auth=GOVERNMENT_AUTH,
    response={200: ScenarioOut, **ERRORS},
    summary="一个达峰路径情景 / one scenario with its projection",
)
def scenario(request: HttpRequest, scenario_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return Status(200, _scenario_out(_scenario(request, scenario_id)))


@router.patch(
    "/scenarios/{scenario_id}",
    operation_id="planning_scenario_update",
    url_name="planning_scenario_update",
    auth=GOVERNMENT_AUTH,
    response={200: ScenarioOut, **ERRORS},
    summary="修改达峰路径情景 / change a scenario (each save a new version)",
    description="Fields given change; `assumptions` add or change sectors' rates, `remove_sectors` remove rows; as "
    "on the page every save counts one version (the scenario's fields, then each sector). All or nothing: 422 "
    "located, 409 when `version` is not the current one, 403 for a reader who does not govern the region.",
)
def scenario_update(
    request: HttpRequest, payload: ScenarioPatchIn, scenario_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    user = request_user(request)
    current = _scenario(request, scenario_id)
    fields = payload.dict(exclude_unset=True, exclude={"version", "assumptions", "remove_sectors"})
    try:
        with transaction.atomic():
            locked = Scenario.objects.select_for_update().get(pk=current.pk)
            if not scoping.can_edit_scenarios(user, locked.region_id):
                raise PermissionDenied
            if payload.version is not None and payload.version != locked.version:
                raise reporting_services.Conflict(
                    _("情景已被修改（当前为第 %(v)d 版），请重新读取后再改。") % {"v": locked.version}
                )
            if fields:
                pathways.update_scenario(user, locked, fields)
            _set_assumptions(user, locked, payload.assumptions)
            for i, sector in enumerate(payload.remove_sectors):
                try:
                    pathways.remove_assumption(user, locked, sector)
                except ValidationError as exc:
                    raise ValidationError({f"remove_sectors[{i}]": exc.error_dict["sector"]}) from None
    except ValidationError as exc:
        return refused(request, exc)
    return Status(200, _scenario_out(_scenario(request, current.pk)))

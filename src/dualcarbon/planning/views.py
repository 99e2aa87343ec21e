"""Reduction planning pages (thin, docs/planning.md): an enterprise's plans, one plan (measures, cost curve,
path, PDF), and the measures library."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dualcarbon.registry.models import Organisation, Region
from dualcarbon.ui import names

from . import charts, pathways, projection, reports, scoping, services
from .models import PlanMeasure, ReductionPlan, Scenario


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return {("general" if k == NON_FIELD_ERRORS else k): [str(m) for m in v] for k, v in exc.message_dict.items()}


def _plan_data(post: Any) -> dict[str, Any]:
    return {name: post.get(name, "").strip() for name in services.PLAN_FIELDS if name in post}


def _enterprise(request: HttpRequest, org_id: int) -> Organisation:
    try:
        return services.visible_enterprise(request.user, org_id)
    except Organisation.DoesNotExist:
        raise Http404 from None


def _plan(request: HttpRequest, plan_id: int) -> ReductionPlan:
    try:
        return services.visible_plan(request.user, plan_id)
    except ReductionPlan.DoesNotExist:
        raise Http404 from None


@login_required
@require_http_methods(["GET", "POST"])
def plans(request: HttpRequest, org_id: int) -> HttpResponse:
    enterprise = _enterprise(request, org_id)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        try:
            plan = services.create_plan(request.user, enterprise, _plan_data(request.POST))
        except ValidationError as exc:
            errors, status = _errors(exc), 400
        else:
            messages.success(request, _("减排规划已创建，请从措施库中添加措施。"))
            return HttpResponseRedirect(reverse("planning:plan", args=[plan.pk]))
    year = timezone.localdate().year
    return render(
        request,
        "planning/plans.html",
        {
            "enterprise": enterprise,
            "plans": services.enterprise_plans(request.user, enterprise),
            "can_edit": scoping.can_edit_plans(request.user, enterprise),
            "errors": errors,
            "posted": request.POST if request.method == "POST" else None,
            "default_base": year - 1,
            "default_until": max(year + 5, 2030),
        },
        status=status,
    )


def _plan_page(
    request: HttpRequest,
    plan: ReductionPlan,
    errors: dict[str, list[str]] | None = None,
    form: str = "",
    status: int = 200,
) -> HttpResponse:
    view = services.evaluate(plan)
    target = float(plan.target_tco2) if plan.target_tco2 is not None else None
    at = _at(request, plan)
    return render(
        request,
        "planning/plan.html",
        {
            "view": view,
            "projection": projection.project(view, at),
            "years_after": list(range(plan.base_year + 1, plan.until_year + 1)),
            "plan": plan,
            "enterprise": plan.enterprise,
            "can_edit": scoping.can_edit_plans(request.user, plan.enterprise_id),
            "library": services.library(request.user),
            "macc_svg": charts.macc(view.curve),
            "path_svg": charts.path(view.path, target),
            "errors": errors or {},
            "form": form,
            "posted": request.POST if request.method == "POST" else None,
        },
        status=status,
    )


def _at(request: HttpRequest, plan: ReductionPlan) -> int:
    """The projected year (``?at=``): a year after the base year within the plan, else the plan's last year."""
    try:
        at = int(request.GET.get("at", ""))
    except ValueError:
        return plan.until_year
    return at if plan.base_year < at <= plan.until_year else plan.until_year


@login_required
@require_GET
def plan(request: HttpRequest, plan_id: int) -> HttpResponse:
    return _plan_page(request, _plan(request, plan_id))


@login_required
@require_POST
def plan_edit(request: HttpRequest, plan_id: int) -> HttpResponse:
    current = _plan(request, plan_id)
    try:
        services.update_plan(request.user, current, _plan_data(request.POST))
    except ValidationError as exc:
        return _plan_page(request, current, _errors(exc), "plan", 400)
    messages.success(request, _("规划参数已保存。"))
    return HttpResponseRedirect(reverse("planning:plan", args=[plan_id]))


@login_required
@require_POST
def item_add(request: HttpRequest, plan_id: int) -> HttpResponse:
    current = _plan(request, plan_id)
    try:
        services.add_item(request.user, current, request.POST)
    except ValidationError as exc:
        return _plan_page(request, current, _errors(exc), "item", 400)
    messages.success(request, _("措施已加入规划。"))
    return HttpResponseRedirect(reverse("planning:plan", args=[plan_id]) + "#measures")


@login_required
@require_POST
def item_remove(request: HttpRequest, plan_id: int, item_id: int) -> HttpResponse:
    current = _plan(request, plan_id)
    try:
        services.remove_item(request.user, current, item_id)
    except PlanMeasure.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("措施已从规划中移除。"))
    return HttpResponseRedirect(reverse("planning:plan", args=[plan_id]) + "#measures")


@login_required
@require_GET
def plan_pdf(request: HttpRequest, plan_id: int) -> HttpResponse:
    current = _plan(request, plan_id)
    view = services.evaluate(current)
    data = reports.pdf(view, request.build_absolute_uri("/"), timezone.now(), projection.project(view))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="reduction-plan-{current.pk}.pdf"'
    return response


@login_required
@require_GET
def measures(request: HttpRequest) -> HttpResponse:
    return render(request, "planning/measures.html", {"measures": services.library(request.user)})


# ------------------------------------------------------------------------------------------ the region's pathway


def _region(request: HttpRequest) -> Region:
    regions = scoping.pathway_regions(request.user)
    code = request.GET.get("region") or request.POST.get("region") or ""
    region = regions.filter(code=code).first() if code else regions.first()
    if region is None:
        raise Http404
    return region


def _sector_label(code: str) -> str:
    if code == "*":
        return _("其余全部行业")
    return f"{code} {names.industry_label(code)}".strip()


def _pathway_context(request: HttpRequest, region: Region) -> dict[str, Any]:
    projections = pathways.region_projections(request.user, region)
    targets = [p.scenario.target_tco2 for p in projections if p.scenario.target_tco2 is not None]
    series = [(p.scenario.name, [(y, float(p.pathway.totals[y])) for y in p.pathway.years]) for p in projections]
    return {
        "region": region,
        "regions": scoping.pathway_regions(request.user),
        "projections": projections,
        "chart_svg": charts.scenarios(series, float(targets[0]) if targets else None),
        "can_edit": scoping.can_edit_scenarios(request.user, region.code),
        "kinds": Scenario.Kind.choices,
        "default_base": timezone.localdate().year - 1,
    }


@login_required
@require_http_methods(["GET", "POST"])
def pathways_page(request: HttpRequest) -> HttpResponse:
    region = _region(request)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        data = {k: request.POST.get(k, "").strip() for k in pathways.SCENARIO_FIELDS if k in request.POST}
        try:
            scenario = pathways.create_scenario(request.user, region, data)
        except ValidationError as exc:
            errors, status = _errors(exc), 400
        else:
            messages.success(request, _("情景已创建，请设置各行业的假设。"))
            return HttpResponseRedirect(reverse("planning:scenario", args=[scenario.pk]))
    context = _pathway_context(request, region)
    context.update(errors=errors, posted=request.POST if request.method == "POST" else None)
    return render(request, "planning/pathways.html", context, status=status)


def _scenario(request: HttpRequest, scenario_id: int) -> Scenario:
    try:
        return pathways.visible_scenario(request.user, scenario_id)
    except Scenario.DoesNotExist:
        raise Http404 from None


def _scenario_context(request: HttpRequest, scenario: Scenario) -> dict[str, Any]:
    projection = pathways.project(scenario)
    p = projection.pathway
    marks = sorted({p.years[0], *[y for y in (2025, 2030, 2035) if y in p.totals], p.years[-1], p.peak_year})
    sector_rows = [
        {"code": s, "label": _sector_label(s), "values": [p.by_sector.get((s, y), 0) for y in marks]}
        for s in p.sectors()
    ]
    district_names = dict(Region.objects.filter(code__in=p.districts()).values_list("code", "name"))
    district_rows = [
        {"code": d, "label": district_names.get(d, d), "values": [p.by_district.get((d, y), 0) for y in marks]}
        for d in p.districts()
    ]
    stacked = [(_sector_label(s), y, float(v)) for (s, y), v in sorted(p.by_sector.items())]
    closing = [(_sector_label(s), cut) for s, cut in pathways.closing(scenario, projection)]
    assumptions = [{"row": a, "label": _sector_label(a.sector)} for a in scenario.assumptions.all()]
    return {
        "scenario": scenario,
        "projection": projection,
        "pathway": p,
        "marks": marks,
        "sector_rows": sector_rows,
        "district_rows": district_rows,
        "totals": [p.totals[y] for y in marks],
        "assumptions": assumptions,
        "closing": closing,
        "sectors_svg": charts.sectors(stacked),
        "path_svg": charts.scenarios(
            [(scenario.name, [(y, float(p.totals[y])) for y in p.years])],
            float(scenario.target_tco2) if scenario.target_tco2 is not None else None,
        ),
        "history": pathways.history(scenario),
        "can_edit": scoping.can_edit_scenarios(request.user, scenario.region_id),
        "kinds": Scenario.Kind.choices,
    }


def _scenario_page(
    request: HttpRequest,
    scenario: Scenario,
    errors: dict[str, list[str]] | None = None,
    form: str = "",
    status: int = 200,
) -> HttpResponse:
    context = _scenario_context(request, scenario)
    context.update(errors=errors or {}, form=form, posted=request.POST if request.method == "POST" else None)
    return render(request, "planning/scenario.html", context, status=status)


@login_required
@require_GET
def scenario(request: HttpRequest, scenario_id: int) -> HttpResponse:
    return _scenario_page(request, _scenario(request, scenario_id))


@login_required
@require_POST
def scenario_edit(request: HttpRequest, scenario_id: int) -> HttpResponse:
    current = _scenario(request, scenario_id)
    data = {k: request.POST.get(k, "").strip() for k in pathways.SCENARIO_FIELDS if k in request.POST}
    try:
        pathways.update_scenario(request.user, current, data)
    except ValidationError as exc:
        return _scenario_page(request, current, _errors(exc), "scenario", 400)
    messages.success(request, _("情景已保存为新版本。"))
    return HttpResponseRedirect(reverse("planning:scenario", args=[scenario_id]))


@login_required
@require_POST
def scenario_assumption(request: HttpRequest, scenario_id: int) -> HttpResponse:
    current = _scenario(request, scenario_id)
    sector = request.POST.get("sector", "")
    try:
        if request.POST.get("action") == "remove":
            pathways.remove_assumption(request.user, current, sector)
        else:
            data = {k: request.POST.get(k, "").strip() for k in pathways.ASSUMPTION_FIELDS if k in request.POST}
            pathways.set_assumption(request.user, current, sector, data)
    except ValidationError as exc:
        return _scenario_page(request, current, _errors(exc), "assumption", 400)
    messages.success(request, _("假设已保存，情景版本已更新。"))
    return HttpResponseRedirect(reverse("planning:scenario", args=[scenario_id]) + "#assumptions")


@login_required
@require_GET
def scenario_pdf(request: HttpRequest, scenario_id: int) -> HttpResponse:
    current = _scenario(request, scenario_id)
    context = _scenario_context(request, current)
    data = reports.scenario_pdf(context, request.build_absolute_uri("/"), timezone.now())
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="pathway-{current.region_id}-{current.pk}.pdf"'
    return response

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

from dualcarbon.registry.models import Organisation

from . import charts, reports, scoping, services
from .models import PlanMeasure, ReductionPlan


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
    return render(
        request,
        "planning/plan.html",
        {
            "view": view,
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
    data = reports.pdf(services.evaluate(current), request.build_absolute_uri("/"), timezone.now())
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="reduction-plan-{current.pk}.pdf"'
    return response


@login_required
@require_GET
def measures(request: HttpRequest) -> HttpResponse:
    return render(request, "planning/measures.html", {"measures": services.library(request.user)})

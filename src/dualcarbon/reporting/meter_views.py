"""Meter data pages for the region's government (thin over :mod:`.meter_data`): the loads of the jurisdiction with
the upload form (``/report/meters/``), and a region's month — its current load's provenance, totals and findings,
and the loads it replaced (``/report/meters/<region>/<year>/<month>/``). Anyone else gets 404, like a missing page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dualcarbon.registry import access
from dualcarbon.registry.models import Region

from . import meter_data, scoping
from .models import MeteredMonth

LOADS_SHOWN = 50


class MeterUploadForm(forms.Form):
    region = forms.CharField(label=gettext_lazy("地区代码"), max_length=12)
    period = forms.CharField(label=gettext_lazy("月份（YYYY-MM，可不填）"), max_length=7, required=False)
    file = forms.FileField(label=gettext_lazy("读数文件（CSV 或 Parquet）"))


def _lang() -> str:
    return "en" if (get_language() or "zh").startswith("en") else "zh"


def _gate(request: HttpRequest) -> None:
    if not access.can_see_region(request.user):
        raise Http404


def _regions(user: Any) -> list[Region]:
    return list(Region.objects.filter(access.jurisdiction_q(user, "code")).order_by("code")[:200])


@login_required
@require_http_methods(["GET", "POST"])
def meters(request: HttpRequest) -> HttpResponse:
    _gate(request)
    errors: list[str] = []
    total = 0
    status = 200
    if request.method == "POST":
        form = MeterUploadForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                load = meter_data.load_upload(
                    request.user, data["file"], region_code=data["region"], period=data["period"], channel="web"
                )
            except meter_data.MeterLoadInvalid as exc:
                errors, total, status = exc.messages(_lang()), exc.total, 400
            except PermissionDenied:
                form.add_error("region", _("只有该地区的政府部门可以导入电表数据"))
                status = 400
            else:
                messages.success(
                    request,
                    _("已导入 %(file)s：%(n)d 家企业的 %(period)s 计量电量")
                    % {"file": load.file_name, "n": load.enterprises, "period": load.label},
                )
                return HttpResponseRedirect(
                    reverse("reporting:meter_month", args=[load.region_id, load.year, load.month])
                )
        else:
            status = 400
    else:
        regions = _regions(request.user)
        form = MeterUploadForm(initial={"region": regions[0].code if regions else ""})
    loads = scoping.meter_loads(request.user).select_related("region", "loaded_by")[:LOADS_SHOWN]
    context = {"form": form, "loads": loads, "errors": errors, "error_total": total, "regions": _regions(request.user)}
    return render(request, "reporting/meters.html", context, status=status)


@login_required
@require_GET
def meter_month(request: HttpRequest, region: str, year: int, month: int) -> HttpResponse:
    _gate(request)
    if not scoping.can_load_meters(request.user, region):
        raise Http404
    reg = get_object_or_404(Region, code=region)
    loads = list(
        scoping.meter_loads(request.user)
        .filter(region=reg, year=year, month=month)
        .select_related("loaded_by", "replaced_by")
        .order_by("-loaded_at", "-pk")
    )
    current = next((x for x in loads if x.is_current), None)
    totals = (
        MeteredMonth.objects.filter(load=current).select_related("enterprise").order_by("region_code", "entity")
        if current
        else MeteredMonth.objects.none()
    )
    context = {
        "region": reg,
        "label": f"{year}-{month:02d}",
        "current": current,
        "history": [x for x in loads if not x.is_current],
        "totals": totals,
        "factors": list(
            totals.values("grid_factor", "grid_ref", "grid_set", "grid_version", "grid_choice")
            .annotate(n=Count("pk"))
            .order_by("grid_factor")
        ),
        "findings": (current.findings or {}) if current else {},
    }
    return render(request, "reporting/meter_month.html", context)

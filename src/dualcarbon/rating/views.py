"""Rating pages (thin): the enterprise's grade, appeals, the region's grades, QR labels, public verification."""

from __future__ import annotations

import io
from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dualcarbon.registry.audit import Resource, record_read
from dualcarbon.reporting.models import Submission

from . import charts, queries, scoping, services
from .forms import AppealForm


def _year(request: HttpRequest) -> int | None:
    try:
        year = int(request.GET.get("year") or request.POST.get("year") or "")
    except ValueError:
        return None
    return year if 2000 <= year <= 2100 else None


def _page_url(org_id: int, year: int | None = None) -> str:
    url = reverse("rating:enterprise", args=[org_id])
    return f"{url}?year={year}" if year else url


@require_GET
@login_required
def enterprise(request: HttpRequest, org_id: int) -> HttpResponse:
    ent = queries.visible_enterprise(request.user, org_id)
    data = queries.enterprise_rating(request.user, ent, _year(request))
    record_read(request, ent, Resource.RATING, str(data.year or ""), year=data.year)
    return render(
        request,
        "rating/enterprise.html",
        {
            "enterprise": ent,
            "data": data,
            "result": data.result,
            "lines": queries.explanation_lines(data.result) if data.result else [],
            "neutrality": queries.neutrality_view(data.result),
            "can_appeal": scoping.can_appeal(request.user, ent),
            "lang": queries.lang(),
        },
    )


def _appeal_months(enterprise_id: int, year: int, month: int) -> list[int]:
    qs = Submission.objects.filter(enterprise_id=enterprise_id, period__year=year, is_current=True)
    if month:
        qs = qs.filter(period__month=month)
    return sorted(set(qs.values_list("period__month", flat=True)))


@login_required
@require_http_methods(["GET", "POST"])
def appeal(request: HttpRequest, org_id: int) -> HttpResponse:
    ent = queries.visible_enterprise(request.user, org_id)
    if not scoping.can_appeal(request.user, ent):
        if request.method == "POST":
            raise PermissionDenied(_("只有企业本身可以对评级提出申诉"))
        messages.info(request, _("只有企业本身可以对评级提出申诉"))
        return HttpResponseRedirect(_page_url(ent.pk))
    data = queries.enterprise_rating(request.user, ent, _year(request))
    result = data.result
    if result is None:
        messages.error(request, _("暂无可申诉的评级结果"))
        return HttpResponseRedirect(_page_url(ent.pk))
    months = _appeal_months(ent.pk, result.year, result.month)
    form = AppealForm(request.POST or None, months=months)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            corrections = [services.Correction(m) for m in form.cleaned_data["months"]]
            try:
                obj = services.appeal(request.user, result, form.cleaned_data["reason"], corrections)
            except services.RatingError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                first = obj.months[0]
                messages.success(
                    request,
                    _("已提出申诉并创建更正草稿。请修改数据并提交，然后回到评级页面点击“更正已提交，重新评级”。"),
                )
                edit = reverse("reporting:edit", args=[result.year, first])
                return HttpResponseRedirect(f"{edit}?org={ent.pk}")
        else:
            status = 400
    return render(
        request,
        "rating/appeal.html",
        {"enterprise": ent, "data": data, "result": result, "form": form, "lang": queries.lang()},
        status=status,
    )


@login_required
@require_POST
def appeal_finish(request: HttpRequest, org_id: int) -> HttpResponse:
    ent = queries.visible_enterprise(request.user, org_id)
    if not scoping.can_appeal(request.user, ent):
        raise PermissionDenied(_("只有企业本身可以对评级提出申诉"))
    try:
        done = services.finish_ready_appeals(request.user, ent)
    except services.RatingError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(_page_url(ent.pk))
    if not done:
        messages.warning(request, _("没有可重新评级的申诉：更正尚未提交"))
    for a in done:
        messages.success(
            request,
            _("已重新评级：%(before)s → %(after)s（原结果保留在历史中）")
            % {"before": a.result.mark_label, "after": a.new_result.mark_label if a.new_result else "—"},
        )
    year = done[0].result.year if done else None
    return HttpResponseRedirect(_page_url(ent.pk, year))


@require_GET
@login_required
def region(request: HttpRequest) -> HttpResponse:
    if not scoping.can_see_region(request.user):
        raise Http404  # out of scope looks exactly like missing
    view = queries.region_ratings(request.user, queries.RegionFilter.from_query(request.GET), request.GET.get("page"))
    return render(
        request,
        "rating/region.html",
        {"view": view, "f": view.filters, "chart_svg": charts.distribution(view.distribution), "lang": queries.lang()},
    )


@require_GET
@login_required
def bank(request: HttpRequest) -> HttpResponse:
    """A bank's consenting enterprises with the grade each consent lets it read; every grade shown is a read
    under that consent (registry.audit.record_read), as on the enterprise's rating page."""
    if not scoping.is_bank(request.user):
        raise Http404  # out of scope looks exactly like missing
    view = queries.bank_grades(request.user, request.GET.get("page"))
    for row in view.rows:
        if row.result is not None:
            record_read(request, row.enterprise, Resource.RATING, row.result.period, year=row.result.year)
    return render(request, "rating/bank.html", {"view": view, "page": view.page, "lang": queries.lang()})


# ------------------------------------------------------------------------------- QR label


def verify_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("rating-verify", args=[token]))


@require_GET
@login_required
def label(request: HttpRequest, org_id: int) -> HttpResponse:
    ent = queries.visible_enterprise(request.user, org_id)
    data = queries.enterprise_rating(request.user, ent, None)
    record_read(request, ent, Resource.RATING_LABEL, str(data.year or ""), year=data.year)
    url = verify_url(request, data.label.token) if data.label else ""
    qr_svg = segno.make(url, error="m").svg_inline(scale=5, border=2) if url else ""
    return render(
        request,
        "rating/label.html",
        {"enterprise": ent, "data": data, "verify_url": url, "qr_svg": qr_svg, "lang": queries.lang()},
    )


def _qr(request: HttpRequest, org_id: int, kind: str) -> HttpResponse:
    ent = queries.visible_enterprise(request.user, org_id)
    lbl = services.label_for(ent)
    if lbl is None:
        messages.info(request, _("该企业尚无评级，暂无二维码标签"))
        return HttpResponseRedirect(reverse("rating:label", args=[ent.pk]))
    record_read(request, ent, Resource.RATING_LABEL, kind)
    buf = io.BytesIO()
    segno.make(verify_url(request, lbl.token), error="m").save(buf, kind=kind, scale=10, border=4)
    content_type = "image/svg+xml" if kind == "svg" else "image/png"
    response = HttpResponse(buf.getvalue(), content_type=content_type)
    ident = ent.uscc or str(ent.pk)
    response["Content-Disposition"] = f'inline; filename="carbon-label-{ident}.{kind}"'
    return response


@require_GET
@login_required
def label_svg(request: HttpRequest, org_id: int) -> HttpResponse:
    return _qr(request, org_id, "svg")


@require_GET
@login_required
def label_png(request: HttpRequest, org_id: int) -> HttpResponse:
    return _qr(request, org_id, "png")


# ------------------------------------------------------------------------- public verification


@require_GET
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """Public (no login): name, grade/colour, scheme, period, validity. No figures."""
    found = services.public_result(token) if 10 <= len(token) <= 40 else None
    if found is None:
        raise Http404
    lbl, result = found
    today = timezone.localdate()
    context: dict[str, Any] = {
        "enterprise_name": lbl.enterprise.name,
        "uscc": lbl.enterprise.uscc,
        "result": result,
        "valid": result.is_valid_on(today) if result else False,
        "expired": bool(result and result.valid_until and result.valid_until < today),
        "scheme_name": result.scheme.name_for(queries.lang()) if result else "",
        "today": today,
        "lang": queries.lang(),
    }
    response = render(request, "rating/verify.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response

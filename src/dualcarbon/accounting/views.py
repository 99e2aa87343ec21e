"""Account pages (thin): queries in ``queries``, charts in ``charts``, files in ``reports``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from dualcarbon.registry.audit import Resource, record_read

from . import charts, queries, reports, scoping


def _year(request: HttpRequest) -> int | None:
    try:
        year = int(request.GET.get("year") or "")
    except ValueError:
        return None
    return year if 2000 <= year <= 2100 else None


@require_GET
@login_required
def enterprise_account(request: HttpRequest, org_id: int) -> HttpResponse:
    enterprise = queries.visible_enterprise(request.user, org_id)
    account = queries.account_year(request.user, enterprise, _year(request))
    record_read(request, enterprise, Resource.ACCOUNT, year=account.year)
    return render(
        request,
        "accounting/enterprise.html",
        {
            "account": account,
            "enterprise": enterprise,
            "trend_svg": charts.account_trend(account.months, width=1000),
            "can_report": scoping.can_report_for(request.user, enterprise),
            "can_see_access_log": scoping.can_see_access_log(request.user, enterprise),
        },
    )


@require_GET
@login_required
def entry_lineage(request: HttpRequest, entry_id: int) -> HttpResponse:
    lin = queries.lineage(request.user, entry_id)
    entry = lin.entry
    what = f"#{entry.pk} {entry.year}-{entry.month:02d}"
    record_read(request, entry.enterprise, Resource.LINEAGE, what, year=entry.year)
    return render(
        request, "accounting/entry.html", {"lin": lin, "entry": lin.entry, "enterprise": lin.entry.enterprise}
    )


def _filename(prefix: str, account: queries.AccountYear, ext: str) -> str:
    ident = account.enterprise.uscc or str(account.enterprise.pk)
    return f"{prefix}-{ident}-{account.year}.{ext}"


@require_GET
@login_required
def enterprise_export(request: HttpRequest, org_id: int) -> HttpResponse:
    enterprise = queries.visible_enterprise(request.user, org_id)
    account = queries.account_year(request.user, enterprise, _year(request))
    lines = queries.year_lines(request.user, account.entries)
    record_read(request, enterprise, Resource.EXPORT_XLSX, year=account.year)
    data = reports.workbook(account, lines, timezone.now(), request.build_absolute_uri("/"))
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{_filename("carbon-account", account, "xlsx")}"'
    return response


@require_GET
@login_required
def enterprise_report(request: HttpRequest, org_id: int) -> HttpResponse:
    enterprise = queries.visible_enterprise(request.user, org_id)
    account = queries.account_year(request.user, enterprise, _year(request))
    record_read(request, enterprise, Resource.REPORT_PDF, year=account.year)
    data = reports.pdf(account, request.build_absolute_uri("/"), timezone.now())
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{_filename("carbon-report", account, "pdf")}"'
    return response


@require_GET
@login_required
def region(request: HttpRequest) -> HttpResponse:
    if not scoping.can_see_region(request.user):
        raise Http404  # out of scope looks exactly like missing
    view = queries.region_view(request.user, queries.RegionFilter.from_query(request.GET))
    context = {
        "view": view,
        "f": view.filters,
        "trend_svg": charts.region_trend(view.months, width=520),
        "district_svg": charts.region_districts(view.districts, width=420),
        "month_choices": range(1, 13),
    }
    template = "accounting/_region_body.html" if getattr(request, "htmx", False) else "accounting/region.html"
    return render(request, template, context)

"""Monitoring pages (thin): queries in ``queries``, state changes in ``services``, files in ``reports``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dualcarbon.registry import access
from dualcarbon.ui import names

from . import charts, methods, queries, reports, scoping, services
from .models import Alert, AlertRule, Severity


def _gate(request: HttpRequest) -> None:
    """Monitoring is for governments and the admin: a read by anyone else looks exactly like a missing page
    (404); a write is refused (403)."""
    if not scoping.can_see_monitoring(request.user):
        if request.method in ("GET", "HEAD"):
            raise Http404
        raise PermissionDenied


def context_for(view: queries.Dashboard, width: int = 520) -> dict[str, Any]:
    return {
        "d": view,
        "f": view.filters,
        "trend_svg": charts.trend(view.months, view.year, width=width),
        "grades_svg": charts.grades(view.grades),
        "district_svg": charts.bars(
            [{"k": r["name"], "v": r["cur_total"]} for r in view.districts], "k", "v", width=width // 2
        ),
    }


@require_GET
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    _gate(request)
    view = queries.dashboard(request.user, queries.DashboardFilter.from_query(request.GET))
    return render(request, "monitoring/dashboard.html", context_for(view))


def _month(request: HttpRequest, name: str) -> int | None:
    try:
        value = int(request.GET.get(name) or "")
    except ValueError:
        return None
    return value if 1 <= value <= 12 else None


@require_GET
@login_required
def completeness(request: HttpRequest) -> HttpResponse:
    """The enterprises behind the dashboard's "missing" figure, for the selection (year, district, month)."""
    _gate(request)
    f = queries.DashboardFilter.from_query(request.GET)
    month, through = _month(request, "month"), _month(request, "through")
    view = queries.missing_submissions(request.user, f.year, f.district, month, request.GET.get("page"), through)
    return render(request, "monitoring/completeness.html", {"m": view, "month_choices": range(1, 13)})


ALERT_PAGE = 50


@require_http_methods(["GET", "POST"])
@login_required
def alerts(request: HttpRequest) -> HttpResponse:
    _gate(request)
    if request.method == "POST":
        return _transition(request)
    qs = scoping.alerts(request.user).select_related("enterprise", "region", "owner")
    status = request.GET.get("status") or ""
    kind = request.GET.get("kind") or ""
    period = (request.GET.get("period") or "").strip()
    district = (request.GET.get("district") or "").strip()
    if status in Alert.Status.values:
        qs = qs.filter(status=status)
    if kind in AlertRule.Kind.values:
        qs = qs.filter(kind=kind)
    severity = request.GET.get("severity") or ""
    if severity in Severity.values:
        qs = qs.filter(severity=severity)
    if period and len(period) <= 7:
        qs = qs.filter(period__startswith=period)
    districts = queries.district_options(request.user)
    if any(r.code == district for r in districts):  # a county of the jurisdiction, chosen by name
        qs = qs.filter(access.prefix_q("region_id", district))
    else:
        district = ""
    page = Paginator(qs.order_by("-period", "-pk"), ALERT_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "monitoring/alerts.html",
        {
            "page": page,
            "statuses": Alert.Status.choices,
            "kinds": AlertRule.Kind.choices,
            "severities": Severity.choices,
            "districts": districts,
            "sel": {"status": status, "kind": kind, "period": period, "district": district, "severity": severity},
        },
    )


def _transition(request: HttpRequest) -> HttpResponse:
    try:
        alert_id = int(request.POST.get("alert") or "")
    except ValueError:
        return redirect("monitoring:alerts")
    alert = get_object_or_404(scoping.alerts(request.user), pk=alert_id)
    action = request.POST.get("action")
    comment = str(request.POST.get("note") or request.POST.get("comment") or "")
    try:
        if action == "acknowledge":
            services.acknowledge(request.user, alert, comment)
        elif action == "resolve":
            services.resolve(request.user, alert, comment)
        else:
            return HttpResponse(status=400)
    except PermissionError as exc:
        raise PermissionDenied from exc
    except services.TransitionError as exc:
        messages.error(request, str(exc))
        return redirect("monitoring:alerts")
    messages.success(request, _("预警状态已更新"))
    target = str(request.POST.get("next") or "")
    return redirect(target if target.startswith("/monitoring/") else "monitoring:alerts")


@require_http_methods(["GET", "POST"])
@login_required
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    """One alert: its evidence and history; assign it, acknowledge or resolve it with a comment."""
    _gate(request)
    alert = get_object_or_404(
        scoping.alerts(request.user).select_related("enterprise", "region", "owner", "rule"), pk=alert_id
    )
    if request.method == "POST":
        action = request.POST.get("action")
        comment = str(request.POST.get("comment") or "")
        try:
            if action == "assign":
                try:
                    uid = int(request.POST.get("assignee") or "")
                except ValueError:
                    uid = 0
                assignee = scoping.alert_assignees(alert).filter(pk=uid).first() if uid else None
                services.assign(request.user, alert, assignee, comment)
                name = names.person_name(assignee, "")
                messages.success(request, _("已指派给 %(name)s") % {"name": name})
            elif action == "acknowledge":
                services.acknowledge(request.user, alert, comment)
                messages.success(request, _("预警状态已更新"))
            elif action == "resolve":
                services.resolve(request.user, alert, comment)
                messages.success(request, _("预警状态已更新"))
            else:
                return HttpResponse(status=400)
        except PermissionError as exc:
            raise PermissionDenied from exc
        except (services.TransitionError, services.AssignmentError) as exc:
            messages.error(request, str(exc))
        return redirect("monitoring:alert", alert_id=alert.pk)
    can_handle = scoping.can_handle_alert(request.user, alert)
    open_ = alert.status != Alert.Status.RESOLVED
    return render(
        request,
        "monitoring/alert.html",
        {
            "a": alert,
            "events": alert.events.select_related("actor", "from_owner", "to_owner").order_by("at", "pk"),
            "can_handle": can_handle and open_,
            "assignees": list(scoping.alert_assignees(alert)) if can_handle and open_ else [],
            "moves": sorted(services.TRANSITIONS[alert.status]) if can_handle else [],
        },
    )


NOTIFICATION_PAGE = 50


@require_http_methods(["GET", "POST"])
@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's notifications (assignments, high-severity alerts, status changes); POST marks them read."""
    _gate(request)
    if request.method == "POST":
        if request.POST.get("all"):
            services.mark_read(request.user)
        else:
            ids = [int(x) for x in request.POST.getlist("notification") if str(x).isdigit()]
            services.mark_read(request.user, ids)
        return redirect(reverse("monitoring:notifications") + ("?show=unread" if request.GET.get("show") else ""))
    qs = scoping.notifications(request.user).select_related("alert")
    unread_only = request.GET.get("show") == "unread"
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    page = Paginator(qs.order_by("-created_at", "-pk"), NOTIFICATION_PAGE).get_page(request.GET.get("page"))
    return render(request, "monitoring/notifications.html", {"page": page, "unread_only": unread_only})


def _report_view(request: HttpRequest, year: int, month: int) -> queries.Dashboard:
    _gate(request)
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise Http404
    f = queries.DashboardFilter.from_query(request.GET)
    f.year, f.month = year, month
    return queries.dashboard(request.user, f)


@require_GET
@login_required
def report_pdf(request: HttpRequest, year: int, month: int) -> HttpResponse:
    view = _report_view(request, year, month)
    data = reports.pdf(view, month, request.build_absolute_uri("/"), timezone.now())
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="region-report-{year}-{month:02d}.pdf"'
    return response


@require_GET
@login_required
def report_xlsx(request: HttpRequest, year: int, month: int) -> HttpResponse:
    view = _report_view(request, year, month)
    data = reports.workbook(view, month, timezone.now())
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="region-report-{year}-{month:02d}.xlsx"'
    return response


# --------------------------------------------------------------------------- public (no login)


@require_GET
def public_stats(request: HttpRequest) -> HttpResponse:
    try:
        year: int | None = int(request.GET.get("year") or "")
    except ValueError:
        year = None
    if year is not None and not 2000 <= year <= 2100:
        year = None
    stats = queries.public_stats(year)
    return render(request, "monitoring/stats.html", {"s": stats, "methods": _outline(methods.document())})


@require_GET
def public_methods(request: HttpRequest) -> HttpResponse:
    """The published accounting methods (docs/methods.md), public: every figure of the platform is computed by
    them; the statistics page links to each section."""
    doc = methods.document()
    if not doc.html:
        raise Http404
    return render(request, "monitoring/methods.html", {"doc": doc, "outline": _outline(doc)})


def _outline(doc: methods.Document) -> list[tuple[str, str]]:
    """(anchor, heading in the reader's language) of each numbered section."""
    chinese = not names.is_en()
    return [(h.anchor, h.label(chinese)) for h in doc.outline()]


@require_GET
@login_required
def nowcast(request: HttpRequest) -> HttpResponse:
    """The electricity-carbon nowcast of a month from the metered totals (docs/monitoring.md § Nowcast)."""
    _gate(request)
    from . import nowcast as nowcasts

    view = nowcasts.nowcast(request.user, request.GET.get("region") or "", request.GET.get("period") or "")
    if view is None:
        raise Http404
    return render(request, "monitoring/nowcast.html", {"n": view})

"""Consent pages (thin, docs/finance.md): the enterprise's 数据授权 page (grant, narrow/extend, revoke, answer
requests, history) and the bank's page (request a consent, the status of its requests, the consents received)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dualcarbon.registry.audit import record_read
from dualcarbon.registry.models import AccessLog, Consent

from . import credit_reports, queries, services
from .posting import errors_of

Resource = AccessLog.Resource


_errors = errors_of


def _terms(post: Any) -> dict[str, Any]:
    return {
        "purpose_code": post.get("purpose_code", ""),
        "scopes": post.getlist("scope"),
        "data_from": post.get("data_from", ""),
        "data_until": post.get("data_until", ""),
        "valid_until": post.get("valid_until", ""),
    }


def _choices() -> dict[str, Any]:
    return {"purposes": Consent.Purpose.choices, "scopes": Consent.Scope.choices}


def _consents_page(
    request: HttpRequest, org_id: int, errors: dict[str, list[str]] | None = None, form: str = "", status: int = 200
) -> HttpResponse:
    view = queries.enterprise_consents(request.user, org_id)
    posted = request.POST if request.method == "POST" else None
    return render(
        request,
        "finance/consents.html",
        {
            "view": view,
            "enterprise": view.enterprise,
            "errors": errors or {},
            "form": form,
            "posted": posted,
            "posted_scopes": posted.getlist("scope") if posted is not None else [],
            **_choices(),
        },
        status=status,
    )


def _back(org_id: int) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("finance:consents", args=[org_id]))


@login_required
@require_http_methods(["GET", "POST"])
def consents(request: HttpRequest, org_id: int) -> HttpResponse:
    """GET: the enterprise's consents, their history and the requests it received. POST: grant a consent."""
    if request.method == "GET":
        return _consents_page(request, org_id)
    view = queries.enterprise_consents(request.user, org_id)  # 404 first for whoever may not see it
    try:
        services.grant_consent(
            request.user,
            view.enterprise,
            request.POST.get("bank") or None,
            note=request.POST.get("purpose", ""),
            **_terms(request.POST),
        )
    except ValidationError as exc:
        return _consents_page(request, org_id, _errors(exc), "grant")
    messages.success(request, _("已授予授权"))
    return _back(org_id)


@login_required
@require_POST
def consent_change(request: HttpRequest, org_id: int, consent_id: int) -> HttpResponse:
    """Narrow or extend one consent."""
    consent = queries.visible_consent(request.user, org_id, consent_id)
    try:
        services.change_consent(request.user, consent, note=request.POST.get("purpose", ""), **_terms(request.POST))
    except ValidationError as exc:
        return _consents_page(request, org_id, _errors(exc), f"change-{consent.pk}")
    messages.success(request, _("授权已修改"))
    return _back(org_id)


@login_required
@require_POST
def consent_revoke(request: HttpRequest, org_id: int, consent_id: int) -> HttpResponse:
    """Revoke one consent, at once."""
    consent = queries.visible_consent(request.user, org_id, consent_id)
    try:
        services.revoke_consent(request.user, consent)
    except ValidationError as exc:
        return _consents_page(request, org_id, _errors(exc), f"change-{consent.pk}")
    messages.success(request, _("授权已撤销：该银行即刻起不能再查阅本企业数据"))
    return _back(org_id)


@login_required
@require_POST
def request_accept(request: HttpRequest, org_id: int, request_id: int) -> HttpResponse:
    req = queries.visible_request(request.user, org_id, request_id)
    try:
        services.accept_request(request.user, req)
    except ValidationError as exc:
        return _consents_page(request, org_id, _errors(exc), "request")
    messages.success(request, _("已接受授权申请"))
    return _back(org_id)


@login_required
@require_POST
def request_decline(request: HttpRequest, org_id: int, request_id: int) -> HttpResponse:
    req = queries.visible_request(request.user, org_id, request_id)
    try:
        services.decline_request(request.user, req, request.POST.get("reason", ""))
    except ValidationError as exc:
        return _consents_page(request, org_id, _errors(exc), "request")
    messages.success(request, _("已拒绝授权申请"))
    return _back(org_id)


def _bank_page(request: HttpRequest, errors: dict[str, list[str]] | None = None) -> HttpResponse:
    view = queries.bank_consents(request.user)
    if view is None:
        raise Http404(_("未找到"))
    posted = request.POST if request.method == "POST" else None
    return render(
        request,
        "finance/bank.html",
        {
            "view": view,
            "errors": errors or {},
            "posted": posted,
            "posted_scopes": posted.getlist("scope") if posted is not None else [],
            **_choices(),
        },
    )


@login_required
@require_GET
def bank(request: HttpRequest) -> HttpResponse:
    """A bank's consents received and requests sent, and the form to request a consent."""
    return _bank_page(request)


@login_required
@require_POST
def request_new(request: HttpRequest) -> HttpResponse:
    """A bank's staff ask an enterprise (by its USCC) for a consent."""
    if queries.bank_consents(request.user) is None:
        raise Http404(_("未找到"))
    try:
        services.request_consent(
            request.user,
            request.POST.get("uscc", ""),
            message=request.POST.get("message", ""),
            bank=int(request.POST["bank"]) if request.POST.get("bank", "").isdigit() else None,
            **_terms(request.POST),
        )
    except ValidationError as exc:
        return _bank_page(request, _errors(exc))
    messages.success(request, _("授权申请已发出，等待企业答复"))
    return HttpResponseRedirect(reverse("finance:bank"))


@login_required
@require_POST
def request_withdraw(request: HttpRequest, request_id: int) -> HttpResponse:
    """The bank withdraws its pending request."""
    req = queries.bank_request(request.user, request_id)
    try:
        services.withdraw_request(request.user, req)
    except ValidationError as exc:
        return _bank_page(request, _errors(exc))
    messages.success(request, _("授权申请已撤回"))
    return HttpResponseRedirect(reverse("finance:bank"))


# --------------------------------------------------------------------------------------------- credit reports


@login_required
@require_POST
def credit_report_new(request: HttpRequest, org_id: int) -> HttpResponse:
    """A bank's staff generate the enterprise's credit report (consent naming the credit report; 404 otherwise)."""
    enterprise = queries.report_enterprise(request.user, org_id)
    report = credit_reports.generate(request.user, enterprise)
    record_read(request, enterprise, Resource.CREDIT_REPORT, report.number)
    messages.success(request, _("碳账户信用报告已生成"))
    return HttpResponseRedirect(reverse("finance:credit_report", args=[report.number]))


@login_required
@require_GET
def credit_report(request: HttpRequest, number: str) -> HttpResponse:
    """A report the user's bank generated, while the consent naming the credit report is active."""
    report = queries.bank_report(request.user, number)
    record_read(request, report.enterprise, Resource.CREDIT_REPORT, report.number)
    return render(
        request,
        "finance/credit_report.html",
        {"report": report, "c": report.content, **credit_reports.labels(report)},
    )


@login_required
@require_GET
def credit_report_pdf(request: HttpRequest, number: str) -> HttpResponse:
    report = queries.bank_report(request.user, number)
    data = credit_reports.pdf(report, credit_reports.verify_url(request, report))
    record_read(request, report.enterprise, Resource.CREDIT_REPORT, f"{report.number} PDF")
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report.number}.pdf"'
    return response


@require_GET
def report_verify(request: HttpRequest, number: str) -> HttpResponse:
    """Public (no login): whether the presented hash (``?h=``) is the one stored for the report. The enterprise's
    name and the date are shown only when it matches; nothing else."""
    v = credit_reports.verify(number[:32], request.GET.get("h", "")[:64])
    return render(request, "finance/verify.html", {"v": v})

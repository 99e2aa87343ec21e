"""Finance API (mounted at /api/finance; token auth, a bank's token too; thin over services and queries): the
enterprise's system keeps its consents and answers banks' requests; a bank's system requests consents and follows
them (docs/finance.md).

Refusals answer the one error shape of the API (``ErrorOut``): 404 for what the token may not see (exactly like
missing), 403 for a write the token's user may not make, 422 for bad terms, each located by field and worded in the
request's language (``message_zh`` and ``message_en`` both given); nothing is changed on a refusal.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Router, Schema, Status

from dualcarbon.registry.api_tokens import ApiTokenAuth
from dualcarbon.registry.audit import Resource, record_read
from dualcarbon.reporting.schemas import ERRORS, refused

from . import credit_reports, queries, services
from .models import ConsentRequest, CreditReport

router = Router(tags=["finance"], auth=ApiTokenAuth(banks=True))

#: ids are 64-bit: a larger one is a 422, not a database overflow
MAX_ID = 2**63 - 1


class TermsIn(Schema):
    purpose_code: str = Field(..., description="credit_assessment | loan_monitoring | disclosure", max_length=40)
    scope: list[str] = Field(
        ..., description="one or more of accounts, credit_report, summary, grade, certification", max_length=10
    )
    data_from: str = Field(..., description="first month of data covered, YYYY-MM", max_length=20)
    data_until: str = Field(..., description="last month of data covered, YYYY-MM (inclusive)", max_length=20)
    valid_until: str = Field(..., description="expiry, YYYY-MM-DD (inclusive); not before today", max_length=20)


class GrantIn(TermsIn):
    bank_id: int = Field(..., ge=1, le=MAX_ID)
    note: str = Field("", max_length=200, description="the purpose in the enterprise's words (optional)")


class ChangeIn(Schema):
    """Only the fields given change (narrow or extend)."""

    purpose_code: str | None = Field(None, max_length=40)
    scope: list[str] | None = Field(None, max_length=10)
    data_from: str | None = Field(None, max_length=20)
    data_until: str | None = Field(None, max_length=20)
    valid_until: str | None = Field(None, max_length=20)
    note: str | None = Field(None, max_length=200)


class RequestIn(TermsIn):
    uscc: str = Field(..., max_length=30, description="the enterprise's unified social credit code")
    message: str = Field("", max_length=1000)
    bank_id: int | None = Field(None, ge=1, le=MAX_ID, description="needed only by staff of several banks")


class DeclineIn(Schema):
    reason: str = Field("", max_length=500)


class ChangeOut(Schema):
    at: datetime.datetime
    by: str
    reason: str = Field(..., description="grant | accept | narrow | extend | change | revoke ('' before history)")
    changes: list[list[str]] = Field(..., description="[field label, old value, new value] in the request's language")


class ConsentOut(Schema):
    id: int
    enterprise_id: int
    enterprise: str
    bank_id: int
    bank: str
    purpose_code: str
    note: str
    scope: list[str]
    data_from: str
    data_until: str
    valid_from: datetime.date
    valid_until: datetime.date
    revoked_at: datetime.datetime | None
    state: str = Field(..., description="active | pending | expired | revoked")
    history: list[ChangeOut] = Field(default_factory=list)


class RequestOut(Schema):
    id: int
    bank_id: int
    bank: str
    enterprise_id: int
    enterprise: str
    purpose_code: str
    scope: list[str]
    data_from: str
    data_until: str
    valid_until: datetime.date
    message: str
    status: str = Field(..., description="pending | accepted | declined")
    requested_at: datetime.datetime
    decided_at: datetime.datetime | None
    decline_reason: str
    consent_id: int | None


def _consent(c: Any, history: list[Any] | None = None) -> dict[str, Any]:
    return {
        "id": c.pk,
        "enterprise_id": c.enterprise_id,
        "enterprise": c.enterprise.name,
        "bank_id": c.bank_id,
        "bank": c.bank.name,
        "purpose_code": c.purpose_code,
        "note": c.purpose,
        "scope": c.scopes,
        "data_from": c.data_from,
        "data_until": c.data_until,
        "valid_from": c.valid_from,
        "valid_until": c.valid_until,
        "revoked_at": c.revoked_at,
        "state": queries.consent_state(c),
        "history": [
            {"at": h.at, "by": h.who, "reason": h.reason, "changes": [[str(a), b, d] for a, b, d in h.changes]}
            for h in history or []
        ],
    }


def _request(r: ConsentRequest) -> dict[str, Any]:
    return {
        "id": r.pk,
        "bank_id": r.bank_id,
        "bank": r.bank.name,
        "enterprise_id": r.enterprise_id,
        "enterprise": r.enterprise.name,
        "purpose_code": r.purpose_code,
        "scope": r.scopes,
        "data_from": r.data_from,
        "data_until": r.data_until,
        "valid_until": r.valid_until,
        "message": r.message,
        "status": r.status,
        "requested_at": r.requested_at,
        "decided_at": r.decided_at,
        "decline_reason": r.decline_reason,
        "consent_id": r.consent_id,
    }


def _user(request: HttpRequest) -> Any:
    return request.auth.user  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------- the enterprise


@router.get(
    "/enterprises/{org_id}/consents",
    operation_id="finance_consents",
    url_name="finance_consents",
    response={200: list[ConsentOut], **ERRORS},
    summary="企业的数据授权及其修改记录 / an enterprise's consents and their history",
    description="The enterprise's own system. 404: no such enterprise, or one the token may not see.",
)
def consents(request: HttpRequest, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    view = queries.enterprise_consents(_user(request), org_id)
    return Status(200, [_consent(row.consent, row.history) for row in view.consents])


@router.post(
    "/enterprises/{org_id}/consents",
    operation_id="finance_grant",
    url_name="finance_grant",
    response={201: ConsentOut, **ERRORS},
    summary="授予授权 / grant a consent",
    description="Only the enterprise's own staff. 422: bad terms (located), nothing written.",
)
def grant(request: HttpRequest, payload: GrantIn, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    view = queries.enterprise_consents(_user(request), org_id)
    try:
        c = services.grant_consent(
            _user(request),
            view.enterprise,
            payload.bank_id,
            purpose_code=payload.purpose_code,
            scopes=payload.scope,
            data_from=payload.data_from,
            data_until=payload.data_until,
            valid_until=payload.valid_until,
            note=payload.note,
        )
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, _consent(c, queries.history(c)))


@router.patch(
    "/enterprises/{org_id}/consents/{consent_id}",
    operation_id="finance_change",
    url_name="finance_change",
    response={200: ConsentOut, **ERRORS},
    summary="收窄或延长授权 / narrow or extend a consent",
    description="Only the fields given change. 422: bad terms or a revoked consent, nothing written.",
)
def change(
    request: HttpRequest,
    payload: ChangeIn,
    org_id: int = Path(..., ge=1, le=MAX_ID),
    consent_id: int = Path(..., ge=1, le=MAX_ID),
) -> Any:
    consent = queries.visible_consent(_user(request), org_id, consent_id)
    try:
        c = services.change_consent(
            _user(request),
            consent,
            purpose_code=payload.purpose_code,
            scopes=payload.scope,
            data_from=payload.data_from,
            data_until=payload.data_until,
            valid_until=payload.valid_until,
            note=payload.note,
        )
    except ValidationError as exc:
        return refused(request, exc)
    return Status(200, _consent(c, queries.history(c)))


@router.post(
    "/enterprises/{org_id}/consents/{consent_id}/revoke",
    operation_id="finance_revoke",
    url_name="finance_revoke",
    response={200: ConsentOut, **ERRORS},
    summary="撤销授权（即刻生效） / revoke a consent, at once",
)
def revoke(
    request: HttpRequest, org_id: int = Path(..., ge=1, le=MAX_ID), consent_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    consent = queries.visible_consent(_user(request), org_id, consent_id)
    try:
        c = services.revoke_consent(_user(request), consent)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(200, _consent(c, queries.history(c)))


@router.get(
    "/enterprises/{org_id}/consent-requests",
    operation_id="finance_requests",
    url_name="finance_requests",
    response={200: list[RequestOut], **ERRORS},
    summary="银行发来的授权申请 / banks' consent requests to the enterprise",
)
def requests(request: HttpRequest, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    view = queries.enterprise_consents(_user(request), org_id)
    return Status(200, [_request(r) for r in view.requests])


@router.post(
    "/enterprises/{org_id}/consent-requests/{request_id}/accept",
    operation_id="finance_accept",
    url_name="finance_accept",
    response={201: ConsentOut, **ERRORS},
    summary="接受授权申请 / accept a bank's request (the consent is granted)",
)
def accept(
    request: HttpRequest, org_id: int = Path(..., ge=1, le=MAX_ID), request_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    req = queries.visible_request(_user(request), org_id, request_id)
    try:
        c = services.accept_request(_user(request), req)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, _consent(c, queries.history(c)))


@router.post(
    "/enterprises/{org_id}/consent-requests/{request_id}/decline",
    operation_id="finance_decline",
    url_name="finance_decline",
    response={200: RequestOut, **ERRORS},
    summary="拒绝授权申请 / decline a bank's request",
)
def decline(
    request: HttpRequest,
    payload: DeclineIn,
    org_id: int = Path(..., ge=1, le=MAX_ID),
    request_id: int = Path(..., ge=1, le=MAX_ID),
) -> Any:
    req = queries.visible_request(_user(request), org_id, request_id)
    try:
        r = services.decline_request(_user(request), req, payload.reason)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(200, _request(r))


# --------------------------------------------------------------------------------------------- the bank


def _bank_view(request: HttpRequest) -> queries.BankConsents:
    view = queries.bank_consents(_user(request))
    if view is None:
        raise Http404(_("未找到"))
    return view


@router.get(
    "/bank/consents",
    operation_id="finance_bank_consents",
    url_name="finance_bank_consents",
    response={200: list[ConsentOut], **ERRORS},
    summary="银行收到的授权 / the consents the token's bank received",
    description="A bank's token. 404 for any other token.",
)
def bank_consents(request: HttpRequest) -> Any:
    return Status(200, [_consent(c) for c, _state, _label in _bank_view(request).consents])


@router.get(
    "/bank/consent-requests",
    operation_id="finance_bank_requests",
    url_name="finance_bank_requests",
    response={200: list[RequestOut], **ERRORS},
    summary="银行已发出的授权申请及其状态 / the bank's requests and their status",
)
def bank_requests(request: HttpRequest) -> Any:
    return Status(200, [_request(r) for r in _bank_view(request).requests])


@router.post(
    "/bank/consent-requests",
    operation_id="finance_request",
    url_name="finance_request",
    response={201: RequestOut, **ERRORS},
    summary="向企业申请授权 / request a consent from an enterprise (by its USCC)",
    description="A bank's token. 403 for any other token; 422: unknown USCC, a request already pending, bad terms.",
)
def request_consent(request: HttpRequest, payload: RequestIn) -> Any:
    try:
        r = services.request_consent(
            _user(request),
            payload.uscc,
            purpose_code=payload.purpose_code,
            scopes=payload.scope,
            data_from=payload.data_from,
            data_until=payload.data_until,
            valid_until=payload.valid_until,
            message=payload.message,
            bank=payload.bank_id,
        )
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, _request(r))


@router.post(
    "/bank/consent-requests/{request_id}/withdraw",
    operation_id="finance_withdraw",
    url_name="finance_withdraw",
    response={200: RequestOut, **ERRORS},
    summary="撤回待答复的授权申请 / withdraw the bank's pending request",
    description="A token of the bank that sent it; 404 for any other; 422 once the request is answered or withdrawn.",
)
def withdraw(request: HttpRequest, request_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    req = queries.bank_request(_user(request), request_id)
    try:
        r = services.withdraw_request(_user(request), req)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(200, _request(r))


# --------------------------------------------------------------------------------------------- credit reports


class CreditReportOut(Schema):
    number: str
    enterprise_id: int
    bank_id: int
    consent_id: int
    generated_at: datetime.datetime
    content_hash: str = Field(..., description="SHA-256 of the content's canonical JSON (sorted keys, no spaces)")
    verify_url: str = Field(..., description="the public verification page; ?h= the content hash")
    pdf_url: str
    content: dict[str, Any] = Field(
        ...,
        description="the report as generated: enterprise, bank, consent terms, sections (summary, grade, certification"
        " as the consent names them), account (per year: totals, scope 1/2 both methods, energy, intensity and its "
        "change, tier mix, each month's verification status), grades (with explanation), certification, methods; "
        "figures as printed strings",
    )


def _report(request: HttpRequest, r: CreditReport) -> dict[str, Any]:
    from django.urls import reverse

    return {
        "number": r.number,
        "enterprise_id": r.enterprise_id,
        "bank_id": r.bank_id,
        "consent_id": r.consent_id,
        "generated_at": r.generated_at,
        "content_hash": r.content_hash,
        "verify_url": credit_reports.verify_url(request, r),
        "pdf_url": request.build_absolute_uri(reverse("finance:credit_report_pdf", args=[r.number])),
        "content": r.content,
    }


@router.post(
    "/bank/enterprises/{org_id}/credit-reports",
    operation_id="finance_credit_report_new",
    url_name="finance_credit_report_new",
    response={201: CreditReportOut, **ERRORS},
    summary="生成碳账户信用报告 / generate the enterprise's carbon account credit report",
    description="A bank's token, with an active consent of the enterprise naming credit_report; 404 otherwise (like "
    "missing). Only the consent's scope items and data period are reported. The generation is logged in the "
    "enterprise's bank read log.",
)
def credit_report_new(request: HttpRequest, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    enterprise = queries.report_enterprise(_user(request), org_id)
    report = credit_reports.generate(_user(request), enterprise)
    record_read(request, enterprise, Resource.CREDIT_REPORT, report.number)
    return Status(201, _report(request, report))


@router.get(
    "/bank/credit-reports/{number}",
    operation_id="finance_credit_report",
    url_name="finance_credit_report",
    response={200: CreditReportOut, **ERRORS},
    summary="读取已生成的碳账户信用报告 / a credit report the bank generated",
    description="404 once the enterprise's consent naming credit_report is revoked, expired or narrowed to drop it.",
)
def credit_report(request: HttpRequest, number: str = Path(..., max_length=32)) -> Any:
    report = queries.bank_report(_user(request), number)
    record_read(request, report.enterprise, Resource.CREDIT_REPORT, report.number)
    return Status(200, _report(request, report))


# products, applications, decisions, loans, drawdowns, repayments, needs, pushes and statistics (docs/finance.md)
from .lending_api import router as _lending_router  # noqa: E402

router.add_router("", _lending_router)

# transition certification: rulers, applications, reviews, decisions, libraries and pushes (docs/finance.md)
from .cert_api import router as _cert_router  # noqa: E402

router.add_router("", _cert_router)

# KPI-linked loans, the bank's alerts, CERF and PCAF (docs/finance.md § KPI-linked loans, § CERF, § PCAF)
from .kpi_api import router as _kpi_router  # noqa: E402

router.add_router("", _kpi_router)

"""Transition certification under ``/api/finance/`` (mounted by :mod:`dualcarbon.finance.api`; docs/finance.md §
Transition certification): rulers, applications, amendments, reviews, decisions, libraries and their pushes to banks.
Thin over :mod:`.certification` and :mod:`.cert_queries`: 404 for what the caller may not see (like missing), 403 for
a move the user may not make, 422 located in both languages for bad input or a move the state does not allow;
nothing changes on a refusal."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status

from dualcarbon.registry.api_tokens import request_user, token_or_session
from dualcarbon.reporting.schemas import ERRORS, refused

from . import cert_queries as q
from . import certification, scoping

router = Router(tags=["finance"], auth=token_or_session(banks=True))
MAX_ID = 2**63 - 1
ID = Path(..., ge=0, le=MAX_ID)


# ------------------------------------------------------------------------------------------------ schemas


class CertRulerIn(Schema):
    region: str = Field(..., max_length=6, description="the region's code (the government's jurisdiction)")
    industry_code: str = Field(..., max_length=5, description="GB/T 4754-2017 division, group or class")
    kind: str = Field(..., max_length=10, description="project | enterprise")
    valid_from: datetime.date
    sector_name: str = Field(..., max_length=100)
    metric: str = Field(
        ...,
        max_length=32,
        description="energy_per_product | emissions_per_product | energy_per_value_added | emissions_per_value_added",
    )
    unit: str = Field(..., max_length=40)
    entry_value: str = Field(..., max_length=24, description="at or below this value to enter")
    advanced_value: str = Field(..., max_length=24, description="at or below: advanced (≤ entry_value)")
    min_reduction_pct: str = Field(
        ..., max_length=8, description="expected reduction of at least this % of the baseline"
    )
    principles: list[str] = Field(..., description="no_lock_in | dnsh | just_transition")
    source: str = Field(..., max_length=500)
    note: str = Field("", max_length=300)


class CertRulerOut(Schema):
    id: int
    region: str
    industry_code: str
    kind: str
    version: int
    valid_from: datetime.date
    valid_to: datetime.date | None
    sector_name: str
    metric: str
    unit: str
    entry_value: str
    advanced_value: str
    min_reduction_pct: str
    principles: list[str]
    source: str
    note: str


class CertApplyIn(Schema):
    kind: str = Field(..., max_length=10, description="project | enterprise")
    industry_code: str = Field(..., max_length=5, description="the sector of a ruler in force for the enterprise")
    name: str = Field(..., max_length=200)
    verifier_id: int = Field(..., ge=1, le=MAX_ID, description="the independent verification body")
    baseline_year: int = Field(..., description="a year of the enterprise's account")
    declared_value: str = Field(..., max_length=24, description="on the ruler's metric, in its unit")
    expected_savings_tce: str = Field(..., max_length=24)
    expected_reduction_tco2: str = Field(..., max_length=24)
    investment: str = Field(..., max_length=24, description="yuan, to the fen")
    evidence: str = Field(..., max_length=4000)
    evidence_ref: str = Field("", max_length=300)


class CertAmendIn(Schema):
    name: str | None = Field(None, max_length=200)
    declared_value: str | None = Field(None, max_length=24)
    expected_savings_tce: str | None = Field(None, max_length=24)
    expected_reduction_tco2: str | None = Field(None, max_length=24)
    investment: str | None = Field(None, max_length=24)
    evidence: str | None = Field(None, max_length=4000)
    evidence_ref: str | None = Field(None, max_length=300)
    comment: str = Field("", max_length=2000, description="what was changed")


class CertCheckIn(Schema):
    ok: bool
    note: str = Field("", max_length=500)


class CertReviewIn(Schema):
    approve: bool = Field(..., description="true: pass to the government; false: return with comments")
    checks: dict[str, CertCheckIn] = Field(..., description="one per principle of the ruler")
    comment: str = Field("", max_length=2000)


class CertDecisionIn(Schema):
    action: str = Field(..., max_length=10, description="certify | reject | flag | revoke")
    valid_from: datetime.date | None = None
    valid_until: datetime.date | None = None
    reason: str = Field("", max_length=500, description="reject, revoke: the reason; flag: the major event")


class CertEventOut(Schema):
    action: str
    status_from: str
    status_to: str
    comment: str
    at: datetime.datetime


class CertFollowupOut(Schema):
    year: int
    months: int
    total_tco2e: str
    expected_tco2: str
    achieved_tco2: str
    share_pct: str | None


class CertApplicationOut(Schema):
    id: int
    enterprise_id: int
    enterprise: str
    kind: str
    industry_code: str
    name: str
    ruler: CertRulerOut
    declared_value: str
    advanced: bool
    expected_savings_tce: str
    expected_reduction_tco2: str
    investment: str
    status: str = Field(..., description="submitted | returned | reviewed | certified | rejected | revoked | expired")
    in_library: bool
    valid_from: datetime.date | None
    valid_until: datetime.date | None
    major_event: bool
    major_event_note: str
    reason: str
    applied_at: datetime.datetime
    # null for a bank reading a pushed entry (the library discloses the entry, not the account or the review)
    baseline_year: int | None
    baseline: dict[str, Any] | None
    expected_reduction_pct: str | None
    verifier_id: int | None
    verifier: str | None
    evidence: str | None
    evidence_ref: str | None
    returns: int | None
    principle_checks: dict[str, Any] | None
    review_comment: str | None
    events: list[CertEventOut]
    followup: list[CertFollowupOut]


class CertPushIn(Schema):
    region: str = Field(..., max_length=6)
    title: str = Field(..., max_length=200)
    kind: str = Field(..., max_length=10, description="project | enterprise: the library")
    entry_ids: list[int]
    bank_ids: list[int]


class CertPushOut(Schema):
    id: int
    region: str
    title: str
    kind: str
    entry_ids: list[int]
    bank_ids: list[int]
    pushed_at: datetime.datetime


def _push(p: Any) -> dict[str, Any]:
    return {
        "id": p.pk,
        "region": p.region_id,
        "title": p.title,
        "kind": p.kind,
        "entry_ids": sorted(e.pk for e in p.entries.all()),
        "bank_ids": sorted(b.pk for b in p.banks.all()),
        "pushed_at": p.pushed_at,
    }


def _out(user: Any, app: Any) -> dict[str, Any]:
    return q.cert_dict(app, full=q.sees_full(user, app))


# ------------------------------------------------------------------------------------------------ rulers


@router.get(
    "/cert/rulers",
    operation_id="finance_cert_rulers",
    url_name="finance_cert_rulers",
    response={200: list[CertRulerOut], **ERRORS},
    summary="转型认定标准（各版本） / the certification rulers, every version",
    description="Government staff and the admin (others: an empty list).",
)
def rulers(request: HttpRequest) -> Any:
    return Status(200, [q.ruler_dict(r) for r in scoping.cert_rulers(request_user(request))])


@router.post(
    "/cert/rulers",
    operation_id="finance_cert_ruler_new",
    url_name="finance_cert_ruler_new",
    response={201: CertRulerOut, **ERRORS},
    summary="发布认定标准新版本 / publish a ruler version",
    description="Government staff of the region (403 otherwise). 422: bad values, located; nothing written.",
)
def ruler_new(request: HttpRequest, payload: CertRulerIn) -> Any:
    data = payload.dict()
    try:
        r = certification.publish_ruler(request_user(request), data.pop("region"), **data)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, q.ruler_dict(r))


# ------------------------------------------------------------------------------------------------ the enterprise


@router.get(
    "/enterprises/{org_id}/certifications",
    operation_id="finance_cert_applications",
    url_name="finance_cert_applications",
    response={200: list[CertApplicationOut], **ERRORS},
    summary="本企业的转型认定申请 / the enterprise's certification applications",
)
def applications(request: HttpRequest, org_id: int = ID) -> Any:
    user = request_user(request)
    ent = q.own_enterprise(user, org_id)
    rows = scoping.enterprise_certs(user).filter(enterprise=ent).select_related(*q.RELATED)
    return Status(200, [q.cert_dict(a) for a in rows])


@router.post(
    "/enterprises/{org_id}/certifications",
    operation_id="finance_cert_apply",
    url_name="finance_cert_apply",
    response={201: CertApplicationOut, **ERRORS},
    summary="申请降碳转型升级项目/企业认定 / apply for transition certification",
    description="422 (nothing written): no ruler for the sector, a declared value above the entry value, an expected "
    "reduction under the minimum, a baseline year without account data, bad numbers.",
)
def apply(request: HttpRequest, payload: CertApplyIn, org_id: int = ID) -> Any:
    user = request_user(request)
    ent = q.own_enterprise(user, org_id)
    data = payload.dict()
    data["verifier"] = data.pop("verifier_id")
    try:
        app = certification.apply(user, ent, **data)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, q.cert_dict(q.enterprise_cert(user, org_id, app.pk)))


@router.post(
    "/enterprises/{org_id}/certifications/{cert_id}/resubmit",
    operation_id="finance_cert_resubmit",
    url_name="finance_cert_resubmit",
    response={200: CertApplicationOut, **ERRORS},
    summary="修改退回的申请并重新提交 / amend a returned application and submit it again",
)
def resubmit(request: HttpRequest, payload: CertAmendIn, org_id: int = ID, cert_id: int = ID) -> Any:
    user = request_user(request)
    app = q.enterprise_cert(user, org_id, cert_id)
    data = payload.dict()
    comment = data.pop("comment")
    try:
        certification.resubmit(user, app, comment=comment, **data)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(200, q.cert_dict(q.enterprise_cert(user, org_id, cert_id)))


# ------------------------------------------------------------------------------------------------ the verifier


@router.get(
    "/cert/reviews",
    operation_id="finance_cert_reviews",
    url_name="finance_cert_reviews",
    response={200: list[CertApplicationOut], **ERRORS},
    summary="指定本机构核查的认定申请 / applications the verifier's body reviews",
)
def reviews(request: HttpRequest) -> Any:
    rows = scoping.verifier_certs(request_user(request)).select_related(*q.RELATED)
    return Status(200, [q.cert_dict(a) for a in rows])


@router.post(
    "/cert/applications/{cert_id}/review",
    operation_id="finance_cert_review",
    url_name="finance_cert_review",
    response={200: CertApplicationOut, **ERRORS},
    summary="核查：逐项核查原则，通过或退回 / review: check each principle, pass or return",
)
def review(request: HttpRequest, payload: CertReviewIn, cert_id: int = ID) -> Any:
    user = request_user(request)
    app = q.review_cert(user, cert_id)
    checks = {k: v.dict() for k, v in payload.checks.items()}
    try:
        certification.review(user, app, approve=payload.approve, checks=checks, comment=payload.comment)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(200, q.cert_dict(q.review_cert(user, cert_id)))


# ------------------------------------------------------------------------------------------------ government


@router.get(
    "/cert/applications",
    operation_id="finance_cert_region",
    url_name="finance_cert_region",
    response={200: list[CertApplicationOut], **ERRORS},
    summary="辖区的转型认定申请 / the jurisdiction's applications",
    description="Government staff (their jurisdiction) and the admin; others: an empty list.",
)
def region(request: HttpRequest, status: str = Query("", max_length=10)) -> Any:
    rows = scoping.region_certs(request_user(request)).select_related(*q.RELATED)
    if status:
        rows = rows.filter(status=status)
    return Status(200, [q.cert_dict(a) for a in rows[:1000]])


@router.get(
    "/cert/applications/{cert_id}",
    operation_id="finance_cert_application",
    url_name="finance_cert_application",
    response={200: CertApplicationOut, **ERRORS},
    summary="一份认定申请或入库条目 / one application or library entry",
    description="Its enterprise, its verifier, its government and the admin read it whole; a bank it was pushed to "
    "reads the library entry (no baseline, review or follow-up); 404 for anyone else.",
)
def application(request: HttpRequest, cert_id: int = ID) -> Any:
    user = request_user(request)
    return Status(200, _out(user, q.cert(user, cert_id)))


@router.post(
    "/cert/applications/{cert_id}/decision",
    operation_id="finance_cert_decision",
    url_name="finance_cert_decision",
    response={200: CertApplicationOut, **ERRORS},
    summary="认定入库、不予认定、标记重大事项或撤销 / certify, reject, flag a major event or revoke",
    description="Government staff of the enterprise's region (403 otherwise, the admin included). 422: a move the "
    "application's status does not allow, or bad dates or reason; nothing changed.",
)
def decision(request: HttpRequest, payload: CertDecisionIn, cert_id: int = ID) -> Any:
    user = request_user(request)
    app = q.region_cert(user, cert_id)
    try:
        if payload.action == "certify":
            certification.certify(user, app, valid_from=payload.valid_from, valid_until=payload.valid_until)
        elif payload.action == "reject":
            certification.reject(user, app, payload.reason)
        elif payload.action == "flag":
            certification.flag_major_event(user, app, payload.reason)
        elif payload.action == "revoke":
            certification.revoke(user, app, payload.reason)
        else:
            raise ValidationError({"action": "certify | reject | flag | revoke"})
    except ValidationError as exc:
        return refused(request, exc)
    return Status(200, q.cert_dict(q.region_cert(user, cert_id)))


@router.get(
    "/cert/library",
    operation_id="finance_cert_library",
    url_name="finance_cert_library",
    response={200: list[CertApplicationOut], **ERRORS},
    summary="辖区项目库、企业库（有效期内的已认定条目） / the jurisdiction's libraries today",
)
def library(request: HttpRequest, kind: str = Query("", max_length=10)) -> Any:
    user = request_user(request)
    return Status(200, [q.cert_dict(a) for a in q.region_library(user, kind or None)])


@router.get(
    "/cert/pushes",
    operation_id="finance_cert_pushes",
    url_name="finance_cert_pushes",
    response={200: list[CertPushOut], **ERRORS},
    summary="认定库推送记录 / pushes of the libraries to banks",
)
def pushes(request: HttpRequest) -> Any:
    rows = scoping.cert_pushes(request_user(request)).prefetch_related("entries", "banks")
    return Status(200, [_push(p) for p in rows])


@router.post(
    "/cert/pushes",
    operation_id="finance_cert_push_new",
    url_name="finance_cert_push_new",
    response={201: CertPushOut, **ERRORS},
    summary="向银行推送认定库条目 / push library entries to chosen banks",
    description="Government staff of the region (403 otherwise); entries must be in its library today.",
)
def push_new(request: HttpRequest, payload: CertPushIn) -> Any:
    try:
        p = certification.push_library(
            request_user(request),
            payload.region,
            title=payload.title,
            kind=payload.kind,
            entries=payload.entry_ids,
            banks=payload.bank_ids,
        )
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, _push(p))


# ------------------------------------------------------------------------------------------------ banks


@router.get(
    "/bank/cert-library",
    operation_id="finance_cert_bank_library",
    url_name="finance_cert_bank_library",
    response={200: list[CertApplicationOut], **ERRORS},
    summary="推送给本行的认定库条目 / library entries pushed to the bank",
    description="Only what was pushed to the caller's banks, with its current status (revoked, expired, flagged).",
)
def bank_library(request: HttpRequest) -> Any:
    return Status(200, [q.cert_dict(a, full=False) for a in q.bank_library(request_user(request))])


class CertDisclosureOut(Schema):
    template: str
    disclosed: bool
    content: dict[str, Any] | None


@router.get(
    "/enterprises/{org_id}/certifications/{cert_id}/disclosure",
    operation_id="finance_cert_disclosure",
    url_name="finance_cert_disclosure",
    response={200: CertDisclosureOut, **ERRORS},
    summary="认定条目的信息披露（模板 v1） / the disclosure of a library entry (template v1)",
    description="The entry, the ruler and the declared value, the expected figures, the progress each year (expected "
    "against achieved) and the major events; `disclosed` false while the entry was never certified.",
)
def cert_disclosure(request: HttpRequest, org_id: int = ID, cert_id: int = ID) -> Any:
    app = q.enterprise_cert(request_user(request), org_id, cert_id)
    content = certification.disclosure(app)
    return Status(
        200, {"template": certification.DISCLOSURE_TEMPLATE, "disclosed": content is not None, "content": content}
    )

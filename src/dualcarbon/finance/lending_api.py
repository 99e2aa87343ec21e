"""Products, applications, decisions, loans, drawdowns, repayments, needs, pushes and statistics under
``/api/finance/`` (mounted by :mod:`dualcarbon.finance.api`; docs/finance.md). Thin over :mod:`.lending` and
:mod:`.loan_queries`: 404 for what the token may not see (like missing), 403 for a write the user may not make, 422
located in both languages for bad input; nothing changes on a refusal."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status

from dualcarbon.registry.api_tokens import request_user, token_or_session
from dualcarbon.registry.audit import Resource, record_read
from dualcarbon.reporting.schemas import ERRORS, refused

from . import lending, scoping
from . import loan_queries as q

#: an enterprise's or a bank's token, or a logged-in session (government staff hold no tokens: needs, pushes and
#: statistics are theirs)
router = Router(tags=["finance"], auth=token_or_session(banks=True))
MAX_ID = 2**63 - 1
ID = Path(..., ge=0, le=MAX_ID)  # 0: no such object (404, like any missing id)


# ------------------------------------------------------------------------------------------------ schemas


class ProductTermsIn(Schema):
    rule: dict[str, Any] = Field(
        ...,
        description="eligibility over account facts, e.g. {'all': [{'fact': 'grade', "
        "'op': '<=', 'value': 3}]} (docs/policy.md § Facts)",
    )
    min_amount: str = Field(..., max_length=20, description="yuan, to the fen")
    max_amount: str = Field(..., max_length=20)
    min_term: int = Field(..., description="months")
    max_term: int
    base_rate_bp: int = Field(..., description="basis points a year, 1–2400")
    grade_spreads: dict[str, int] = Field(..., description="bp added per grade, {'1': -40, '2': -20, '3': 0}")
    note: str = Field("", max_length=300)


class ProductVersionIn(ProductTermsIn):
    valid_from: datetime.date


class ProductIn(ProductVersionIn):
    code: str = Field(..., max_length=32)
    name_zh: str = Field(..., max_length=100)
    name_en: str = Field("", max_length=160)
    purpose_tag: str = Field(..., description="green | transition | carbon", max_length=12)
    description: str = Field("", max_length=2000)
    bank_id: int | None = Field(None, ge=1, le=MAX_ID, description="needed only by staff of several banks")


class ProductVersionOut(Schema):
    version: int
    valid_from: datetime.date
    valid_to: datetime.date | None
    rule: dict[str, Any]
    min_amount: str
    max_amount: str
    min_term: int
    max_term: int
    base_rate_bp: int
    grade_spreads: dict[str, int]
    note: str


class ProductOut(Schema):
    id: int
    bank_id: int
    bank: str
    code: str
    name_zh: str
    name_en: str
    purpose_tag: str
    description: str
    versions: list[ProductVersionOut]


class OfferOut(Schema):
    product_id: int
    bank: str
    code: str
    name: str
    purpose_tag: str
    version: int
    eligible: bool
    near_miss: bool
    grade: int | None
    rate_bp: int | None
    rate_how: str = Field(..., description="how the quote is made: base + the grade's spread")
    min_amount: str
    max_amount: str
    min_term: int
    max_term: int
    reasons: list[str] = Field(..., description="each condition: met with the figure, or missed and by how much")
    to_fix: list[str] = Field(..., description="the cheapest set of missed conditions, with their distance")
    outcomes: list[dict[str, Any]]


class ApplyIn(Schema):
    product_id: int = Field(..., ge=1, le=MAX_ID)
    amount: str = Field(..., max_length=20, description="yuan, to the fen")
    term_months: int
    purpose: str = Field(..., max_length=300)
    need_id: int | None = Field(None, ge=1, le=MAX_ID)
    grant_consent: bool = Field(False, description="grant the bank a consent for credit assessment if none")


class ApplicationOut(Schema):
    id: int
    product_id: int
    product: str
    version: int
    bank_id: int
    bank: str
    enterprise_id: int
    enterprise: str
    need_id: int | None
    consent_id: int
    amount: str
    term_months: int
    purpose: str
    grade: int | None
    quoted_rate_bp: int | None
    status: str = Field(..., description="submitted | approved | declined | withdrawn")
    applied_at: datetime.datetime
    decided_at: datetime.datetime | None
    approved_amount: str | None
    approved_rate_bp: int | None
    approved_term_months: int | None
    decline_reason: str
    loan_id: int | None


class DecisionIn(Schema):
    approve: bool
    amount: str | None = Field(None, max_length=20)
    rate_bp: int | None = None
    term_months: int | None = None
    reason: str = Field("", max_length=500)


class MovementIn(Schema):
    amount: str = Field(..., max_length=20, description="yuan, to the fen")
    on: datetime.date | None = Field(None, description="default today")
    note: str = Field("", max_length=300)


class MovementOut(Schema):
    id: int
    kind: str
    amount: str
    on: datetime.date
    drawn_after: str
    outstanding_after: str
    note: str


class LoanOut(Schema):
    id: int
    number: str
    bank_id: int
    bank: str
    enterprise_id: int
    enterprise: str
    product_id: int
    product: str
    need_id: int | None
    purpose_tag: str
    amount: str
    rate_bp: int
    term_months: int
    booked_at: datetime.datetime
    maturity_date: datetime.date
    drawn: str
    undrawn: str
    outstanding: str
    movements: list[MovementOut]


class NeedIn(Schema):
    amount: str = Field(..., max_length=20)
    purpose_tag: str = Field(..., max_length=12)
    purpose: str = Field(..., max_length=300)
    term_months: int


class NeedOut(Schema):
    id: int
    enterprise_id: int
    enterprise: str
    amount: str
    purpose_tag: str
    purpose: str
    term_months: int
    status: str
    by_government: bool
    posted_at: datetime.datetime
    granted: str | None = Field(..., description="loans booked against the need (yuan); null for banks")


class FollowupOut(Schema):
    needs: int
    firms: int
    needed: str
    granted: str
    granted_needs: int
    granted_pct: str | None


class RegionNeedsOut(Schema):
    followup: FollowupOut
    needs: list[NeedOut]


class BankNeedOut(Schema):
    id: int
    enterprise_id: int
    enterprise: str
    amount: str
    purpose_tag: str
    purpose: str
    term_months: int
    consented: bool = Field(..., description="an active consent naming the grade: the grade and register are shown")
    grade: int | None
    industry: str | None
    district: str | None


class PushIn(Schema):
    region: str = Field(..., max_length=6)
    title: str = Field(..., max_length=200)
    need_ids: list[int] = Field(..., max_length=1000)
    bank_ids: list[int] = Field(..., max_length=100)


class PushOut(Schema):
    id: int
    region: str
    title: str
    pushed_at: datetime.datetime
    need_ids: list[int]
    bank_ids: list[int]
    followup: FollowupOut


class CellOut(Schema):
    key: str
    label: str
    suppressed: bool
    why: str = ""
    count: int | None = None
    amount: str | None = None
    outstanding: str | None = None
    weighted_rate_bp: str | None = None


class StatisticsOut(Schema):
    dimension: str
    min_loans: int = Field(..., description="cells of fewer loans are suppressed")
    formula: str
    cells: list[CellOut]
    total: CellOut


# ------------------------------------------------------------------------------------------------ bank: products


@router.get(
    "/bank/products",
    operation_id="finance_bank_products",
    url_name="finance_bank_products",
    response={200: list[ProductOut], **ERRORS},
    summary="本行的贷款产品及其各版本 / the bank's products and every version",
)
def bank_products(request: HttpRequest) -> Any:
    return Status(200, [q.product_dict(p) for p in scoping.bank_products(request_user(request)).select_related("bank")])


@router.post(
    "/bank/products",
    operation_id="finance_product_new",
    url_name="finance_product_new",
    response={201: ProductOut, **ERRORS},
    summary="发布贷款产品 / publish a product",
    description="Bank staff only (403 otherwise). 422: bad terms, located; nothing written.",
)
def product_new(request: HttpRequest, payload: ProductIn) -> Any:
    data = payload.dict()
    try:
        p = lending.create_product(request_user(request), data.pop("bank_id"), **data)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, q.product_dict(p))


@router.post(
    "/bank/products/{product_id}/versions",
    operation_id="finance_product_version",
    url_name="finance_product_version",
    response={201: ProductOut, **ERRORS},
    summary="发布产品新版本（生效日起原版本终止） / publish a new version of a product's terms",
)
def product_version(request: HttpRequest, payload: ProductVersionIn, product_id: int = ID) -> Any:
    product = q.bank_product(request_user(request), product_id)
    data = payload.dict()
    try:
        lending.publish_version(request_user(request), product, data.pop("valid_from"), **data)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, q.product_dict(product))


# ------------------------------------------------------------------------------------------------ bank: applications


@router.get(
    "/bank/applications",
    operation_id="finance_bank_applications",
    url_name="finance_bank_applications",
    response={200: list[ApplicationOut], **ERRORS},
    summary="本行收到的贷款申请 / applications to the bank's products",
)
def bank_applications(request: HttpRequest, status: str = Query("", max_length=12)) -> Any:
    qs = scoping.bank_applications(request_user(request)).select_related("product", "version", "bank", "enterprise")
    if status:
        qs = qs.filter(status=status)
    return Status(200, [q.application_dict(a) for a in qs[:500]])


@router.get(
    "/bank/applications/{application_id}",
    operation_id="finance_bank_application",
    url_name="finance_bank_application",
    response={200: ApplicationOut, **ERRORS},
    summary="一笔贷款申请（含申请时的账户指标） / one application",
    description="Logged in the enterprise's bank read log (resource rating) while its consent naming the grade is "
    "active.",
)
def bank_application(request: HttpRequest, application_id: int = ID) -> Any:
    app = q.bank_application(request_user(request), application_id)
    record_read(request, app.enterprise, Resource.RATING, f"贷款申请 #{app.pk}")
    return Status(200, q.application_dict(app))


@router.post(
    "/bank/applications/{application_id}/decision",
    operation_id="finance_decision",
    url_name="finance_decision",
    response={200: ApplicationOut, **ERRORS},
    summary="审批：批准（金额、利率、期限，放款入账）或拒绝（理由） / approve (books the loan) or decline",
)
def decision(request: HttpRequest, payload: DecisionIn, application_id: int = ID) -> Any:
    app = q.bank_application(request_user(request), application_id)
    try:
        app = lending.decide(
            request_user(request),
            app,
            approve=payload.approve,
            amount=payload.amount,
            rate_bp=payload.rate_bp,
            term_months=payload.term_months,
            reason=payload.reason,
        )
    except ValidationError as exc:
        return refused(request, exc)
    return Status(200, q.application_dict(q.bank_application(request_user(request), app.pk)))


# ------------------------------------------------------------------------------------------------ bank: loans


@router.get(
    "/bank/loans",
    operation_id="finance_bank_loans",
    url_name="finance_bank_loans",
    response={200: list[LoanOut], **ERRORS},
    summary="本行的贷款 / the bank's loans",
)
def bank_loans(request: HttpRequest) -> Any:
    qs = scoping.bank_loans(request_user(request)).select_related("enterprise", "product", "bank")
    return Status(200, [q.loan_dict(x) for x in qs[:500]])


@router.get(
    "/bank/loans/{loan_id}",
    operation_id="finance_bank_loan",
    url_name="finance_bank_loan",
    response={200: LoanOut, **ERRORS},
    summary="一笔贷款及其提款、还款 / a loan with its drawdowns and repayments",
)
def bank_loan(request: HttpRequest, loan_id: int = ID) -> Any:
    return Status(200, q.loan_dict(q.bank_loan(request_user(request), loan_id), movements=True))


def _movement(request: HttpRequest, loan_id: int, kind: str, payload: MovementIn) -> Any:
    loan = q.bank_loan(request_user(request), loan_id)
    try:
        lending.record_movement(request_user(request), loan, kind, payload.amount, payload.on, payload.note)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, q.loan_dict(q.bank_loan(request_user(request), loan_id), movements=True))


@router.post(
    "/bank/loans/{loan_id}/drawdowns",
    operation_id="finance_drawdown",
    url_name="finance_drawdown",
    response={201: LoanOut, **ERRORS},
    summary="提款 / record a drawdown",
    description="422 when the drawn sum would exceed the approved amount; nothing written.",
)
def drawdown(request: HttpRequest, payload: MovementIn, loan_id: int = ID) -> Any:
    return _movement(request, loan_id, "drawdown", payload)


@router.post(
    "/bank/loans/{loan_id}/repayments",
    operation_id="finance_repayment",
    url_name="finance_repayment",
    response={201: LoanOut, **ERRORS},
    summary="还款 / record a repayment",
    description="422 when it exceeds the outstanding; nothing written.",
)
def repayment(request: HttpRequest, payload: MovementIn, loan_id: int = ID) -> Any:
    return _movement(request, loan_id, "repayment", payload)


@router.get(
    "/bank/needs",
    operation_id="finance_bank_needs",
    url_name="finance_bank_needs",
    response={200: list[BankNeedOut], **ERRORS},
    summary="推送给本行的融资需求 / financing needs pushed to the bank",
    description="Without an active consent naming the grade only the enterprise's name, the amount and the purpose; "
    "with one, its grade, industry and district too (each such read is logged).",
)
def bank_needs(request: HttpRequest) -> Any:
    return Status(200, q.bank_need_rows(request, request_user(request)))


# ------------------------------------------------------------------------------------------------ the enterprise


@router.get(
    "/enterprises/{org_id}/products",
    operation_id="finance_offers",
    url_name="finance_offers",
    response={200: list[OfferOut], **ERRORS},
    summary="可申请的贷款产品及理由 / products in force with the reasons the enterprise qualifies or not",
)
def offers(request: HttpRequest, org_id: int = ID) -> Any:
    ent = q.own_enterprise(request_user(request), org_id)
    _facts, rows = lending.offers(ent)
    return Status(200, [q.offer_dict(o) for o in rows])


@router.get(
    "/enterprises/{org_id}/applications",
    operation_id="finance_applications",
    url_name="finance_applications",
    response={200: list[ApplicationOut], **ERRORS},
    summary="本企业的贷款申请 / the enterprise's applications",
)
def applications(request: HttpRequest, org_id: int = ID) -> Any:
    ent = q.own_enterprise(request_user(request), org_id)
    qs = scoping.enterprise_applications(request_user(request)).filter(enterprise=ent)
    return Status(200, [q.application_dict(a) for a in qs.select_related("product", "version", "bank", "enterprise")])


@router.post(
    "/enterprises/{org_id}/applications",
    operation_id="finance_apply",
    url_name="finance_apply",
    response={201: ApplicationOut, **ERRORS},
    summary="申请贷款产品 / apply for a product",
    description="The enterprise's own staff. 422 (located, nothing written): amount or term outside the product's "
    "ranges, not eligible (the conditions missed and by how much), no consent for credit assessment to the bank "
    "(grant_consent=true grants it in the same step).",
)
def apply(request: HttpRequest, payload: ApplyIn, org_id: int = ID) -> Any:
    ent = q.own_enterprise(request_user(request), org_id)
    product = q.market_product(payload.product_id)
    try:
        app = lending.apply(
            request_user(request),
            ent,
            product,
            amount=payload.amount,
            term_months=payload.term_months,
            purpose=payload.purpose,
            need=payload.need_id,
            grant_consent=payload.grant_consent,
        )
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, q.application_dict(app))


@router.post(
    "/enterprises/{org_id}/applications/{application_id}/withdraw",
    operation_id="finance_application_withdraw",
    url_name="finance_application_withdraw",
    response={200: ApplicationOut, **ERRORS},
    summary="撤回待审批的申请 / withdraw a submitted application",
)
def application_withdraw(request: HttpRequest, org_id: int = ID, application_id: int = ID) -> Any:
    app = q.enterprise_application(request_user(request), org_id, application_id)
    try:
        app = lending.withdraw_application(request_user(request), app)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(200, q.application_dict(q.enterprise_application(request_user(request), org_id, app.pk)))


@router.get(
    "/enterprises/{org_id}/loans",
    operation_id="finance_loans",
    url_name="finance_loans",
    response={200: list[LoanOut], **ERRORS},
    summary="本企业的贷款及提款、还款 / the enterprise's loans",
)
def loans(request: HttpRequest, org_id: int = ID) -> Any:
    return Status(200, [q.loan_dict(x, movements=True) for x in q.enterprise_loans(request_user(request), org_id)])


@router.get(
    "/enterprises/{org_id}/needs",
    operation_id="finance_needs",
    url_name="finance_needs",
    response={200: list[NeedOut], **ERRORS},
    summary="企业的融资需求及已获贷款 / the enterprise's financing needs and what was granted",
)
def needs(request: HttpRequest, org_id: int = ID) -> Any:
    ent = q.need_enterprise(request_user(request), org_id)
    rows = list(scoping.needs(request_user(request)).filter(enterprise=ent).select_related("enterprise"))
    granted = lending.granted_by_need([n.pk for n in rows])
    return Status(200, [q.need_dict(n, granted) for n in rows])


@router.post(
    "/enterprises/{org_id}/needs",
    operation_id="finance_need_new",
    url_name="finance_need_new",
    response={201: NeedOut, **ERRORS},
    summary="发布融资需求（企业或政府代为） / post a financing need",
)
def need_new(request: HttpRequest, payload: NeedIn, org_id: int = ID) -> Any:
    ent = q.need_enterprise(request_user(request), org_id)
    try:
        n = lending.post_need(request_user(request), ent, **payload.dict())
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, q.need_dict(n, {}))


# ------------------------------------------------------------------------------------------------ government


@router.get(
    "/needs",
    operation_id="finance_region_needs",
    url_name="finance_region_needs",
    response={200: RegionNeedsOut, **ERRORS},
    summary="辖区融资需求及对接跟踪 / the jurisdiction's financing needs and their follow-up",
)
def region_needs(request: HttpRequest) -> Any:
    rows = q.region_needs(request_user(request))
    granted = lending.granted_by_need([n.pk for n in rows])
    return Status(
        200,
        {
            "followup": q.followup_dict(lending.need_followup(rows)),
            "needs": [q.need_dict(n, granted) for n in rows],
        },
    )


@router.get(
    "/pushes",
    operation_id="finance_pushes",
    url_name="finance_pushes",
    response={200: list[PushOut], **ERRORS},
    summary="融资需求推送记录 / pushes of needs to banks",
)
def pushes(request: HttpRequest) -> Any:
    return Status(200, [q.push_dict(p) for p in q.pushes(request_user(request))])


@router.post(
    "/pushes",
    operation_id="finance_push_new",
    url_name="finance_push_new",
    response={201: PushOut, **ERRORS},
    summary="向银行推送融资需求 / push needs to chosen banks",
    description="Government staff of the region (403 otherwise); needs must be open needs of its enterprises.",
)
def push_new(request: HttpRequest, payload: PushIn) -> Any:
    try:
        p = lending.push_needs(
            request_user(request), payload.region, title=payload.title, needs=payload.need_ids, banks=payload.bank_ids
        )
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, q.push_dict(p))


@router.get(
    "/statistics",
    operation_id="finance_statistics",
    url_name="finance_statistics",
    response={200: StatisticsOut, **ERRORS},
    summary="辖区碳账户贷款统计（按用途、县区、行业、等级） / loan statistics of the jurisdiction",
    description="Government staff (their jurisdiction) and the admin; 404 for others. Cells of fewer than 3 loans "
    "are suppressed, and a further cell when the total would give them away.",
)
def statistics(request: HttpRequest, dimension: str = Query("purpose", max_length=12)) -> Any:
    loans_qs = q.statistics_loans(request_user(request))
    try:
        cells, total = lending.loan_statistics(loans_qs, dimension)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(
        200,
        {
            "dimension": dimension,
            "min_loans": lending.MIN_LOANS,
            "formula": "weighted_rate_bp = Σ(amount × rate_bp) / Σ amount",
            "cells": [c.shown() for c in cells],
            "total": total.shown(),
        },
    )

"""KPI-linked loans, the bank's alerts, CERF and PCAF under ``/api/finance/`` (mounted by
:mod:`dualcarbon.finance.api`; docs/finance.md § KPI-linked loans, § CERF, § PCAF). Thin over :mod:`.kpi` and
:mod:`.disclosure`: 404 for what the token may not see (like missing), 403 for a write the user may not make, 422
located in both languages (``reporting.schemas.refused``); nothing changes on a refusal."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Field, File, Form, Path, Query, Router, Schema, Status, UploadedFile

from dualcarbon.registry.api_tokens import request_user, token_or_session
from dualcarbon.reporting.schemas import ERRORS, refused

from . import disclosure, kpi, scoping
from . import loan_queries as q
from .models import BankAlert, Loan, LoanKpi

router = Router(tags=["finance"], auth=token_or_session(banks=True))
MAX_ID = 2**63 - 1
ID = Path(..., ge=0, le=MAX_ID)


# ------------------------------------------------------------------------------------------------ schemas


class KpiTargetIn(Schema):
    year: int = Field(..., ge=2000, le=2100)
    value: str = Field(..., max_length=24)
    unit: str = Field(..., max_length=20, description="the metric's unit (intensity tCO2/万元, emissions tCO2e, …)")


class KpiIn(Schema):
    metric: str = Field(
        ..., max_length=16, description="intensity | emissions | grade | tier_share | cert_reduction | external"
    )
    name: str = Field("", max_length=120)
    targets: list[KpiTargetIn]
    step_met_bp: int = Field(..., description="bp added when the year's target is met (−300…300; a discount < 0)")
    step_missed_bp: int = Field(..., description="bp added when it is missed (−300…300)")
    unit: str = Field("", max_length=20, description="external scores only")
    higher_is_better: bool = True
    project_id: int | None = Field(None, ge=1, le=MAX_ID, description="cert_reduction: the certified project")
    source: str = Field("", max_length=200, description="external scores only: the score and who issues it")


class KpiEvaluationOut(Schema):
    year: int
    figure: str
    target: str
    outcome: str
    step_bp: int
    trigger: str
    lineage: dict[str, Any]
    evaluated_at: datetime.datetime


class KpiOut(Schema):
    id: int
    metric: str
    name: str
    unit: str
    higher_is_better: bool
    targets: dict[str, str]
    step_met_bp: int
    step_missed_bp: int
    project_id: int | None
    source: str
    evaluations: list[KpiEvaluationOut]


class KpiRateChangeOut(Schema):
    at: datetime.datetime
    rate_from: int
    rate_to: int
    why: str
    kpi_id: int
    year: int


class KpiLoanOut(Schema):
    loan_id: int
    number: str
    base_rate_bp: int
    rate_bp: int
    kpis: list[KpiOut]
    rate_history: list[KpiRateChangeOut]


class BankAlertOut(Schema):
    id: int
    kind: str
    loan_id: int
    loan_number: str
    message: str
    message_zh: str
    message_en: str
    evidence: dict[str, Any]
    created_at: datetime.datetime
    read_at: datetime.datetime | None


class BankAlertReadIn(Schema):
    alert_id: int = Field(..., ge=1, le=MAX_ID)


class LoanProjectIn(Schema):
    project_id: int = Field(..., ge=1, le=MAX_ID)
    project_financing: str = Field(..., max_length=24, description="yuan, to the fen")
    source: str = Field(..., max_length=300)


class LoanProjectOut(Schema):
    loan_id: int
    project_id: int
    project_financing: str
    source: str


class CerfLoanOut(Schema):
    loan_number: str
    enterprise: str
    booked_on: datetime.date
    amount: str
    rate_bp: int
    project_id: int
    project: str
    project_financing: str
    financing_source: str
    share: str
    project_reduction_tco2: str
    basis: str
    basis_year: int | None
    induced_tco2: str


class CerfOut(Schema):
    bank_id: int
    year: int
    quarter: int
    projects: int
    amount: str
    weighted_rate_bp: str | None
    induced_tco2: str
    loans: list[CerfLoanOut]


class FinancialsIn(Schema):
    enterprise_id: int = Field(..., ge=1, le=MAX_ID)
    as_of: str = Field(..., max_length=10, description="YYYY-MM-DD")
    equity: str = Field(..., max_length=24, description="yuan, to the fen, > 0")
    debt: str = Field(..., max_length=24, description="yuan, to the fen, ≥ 0")
    source: str = Field(..., max_length=300)
    bank_id: int | None = Field(None, ge=1, le=MAX_ID, description="needed only by staff of several banks")


class FinancialsOut(Schema):
    id: int
    enterprise_id: int
    as_of: datetime.date
    equity: str
    debt: str
    source: str


class PcafLoanOut(Schema):
    loan_number: str
    enterprise: str
    sector: str
    outstanding: str
    equity: str | None
    debt: str | None
    financials_as_of: datetime.date | None
    financials_source: str | None
    attribution_factor: str | None
    scope1_tco2e: str | None
    scope2_tco2e: str | None
    financed_scope1_tco2e: str | None
    financed_scope2_tco2e: str | None
    data_quality_score: int
    lineage: dict[str, Any]


class PcafSectorOut(Schema):
    sector: str
    loans: int
    outstanding: str
    financed_scope1_tco2e: str
    financed_scope2_tco2e: str
    missing: int


class PcafOut(Schema):
    bank_id: int
    year: int
    on: datetime.date
    outstanding: str
    financed_scope1_tco2e: str
    financed_scope2_tco2e: str
    intensity_tco2e_per_million_yuan: str | None
    weighted_data_quality_score: str | None
    by_sector: list[PcafSectorOut]
    loans: list[PcafLoanOut]


# ------------------------------------------------------------------------------------------------ helpers


def _s(v: Any) -> str | None:
    return None if v is None else str(v)


def _kpi(k: LoanKpi) -> dict[str, Any]:
    return {
        "id": k.pk,
        "metric": k.metric,
        "name": k.name,
        "unit": k.unit,
        "higher_is_better": k.higher_is_better,
        "targets": k.targets,
        "step_met_bp": k.step_met_bp,
        "step_missed_bp": k.step_missed_bp,
        "project_id": k.project_id,
        "source": k.source,
        "evaluations": [
            {
                "year": e.year,
                "figure": str(e.figure),
                "target": str(e.target),
                "outcome": e.outcome,
                "step_bp": e.step_bp,
                "trigger": e.trigger,
                "lineage": e.lineage,
                "evaluated_at": e.evaluated_at,
            }
            for e in k.evaluations.all()
        ],
    }


def _loan_kpis(loan: Loan) -> dict[str, Any]:
    return {
        "loan_id": loan.pk,
        "number": loan.number,
        "base_rate_bp": kpi.base_rate(loan),
        "rate_bp": loan.rate_bp,
        "kpis": [_kpi(k) for k in loan.kpis.prefetch_related("evaluations")],
        "rate_history": [
            {
                "at": c.at,
                "rate_from": c.rate_from,
                "rate_to": c.rate_to,
                "why": kpi.step_reason(c),
                "kpi_id": c.evaluation.kpi_id,
                "year": c.evaluation.year,
            }
            for c in loan.rate_changes.select_related("evaluation__kpi")
        ],
    }


def _alert(request: HttpRequest, a: BankAlert) -> dict[str, Any]:
    lang = getattr(request, "LANGUAGE_CODE", "zh-hans") or "zh-hans"
    return {
        "id": a.pk,
        "kind": a.kind,
        "loan_id": a.loan_id,
        "loan_number": a.loan.number,
        "message": a.message_for(lang),
        "message_zh": a.message_zh,
        "message_en": a.message_en,
        "evidence": a.evidence,
        "created_at": a.created_at,
        "read_at": a.read_at,
    }


def _bank(user: Any, bank_id: int | None) -> Any:
    banks = list(scoping.user_banks(user))
    chosen = next((b for b in banks if bank_id in (None, b.pk)), None)
    if chosen is None:
        raise Http404
    return chosen


# ------------------------------------------------------------------------------------------------ KPIs


@router.get(
    "/bank/loans/{loan_id}/kpis",
    operation_id="finance_loan_kpis",
    url_name="finance_loan_kpis",
    response={200: KpiLoanOut, **ERRORS},
    summary="本行贷款的挂钩指标、评估与利率调整记录 / a loan's KPIs, evaluations and rate history",
)
def loan_kpis(request: HttpRequest, loan_id: int = ID) -> Any:
    return Status(200, _loan_kpis(q.bank_loan(request_user(request), loan_id)))


@router.post(
    "/bank/loans/{loan_id}/kpis",
    operation_id="finance_kpi_new",
    url_name="finance_kpi_new",
    response={201: KpiLoanOut, **ERRORS},
    summary="为贷款添加挂钩指标 / attach a KPI to a loan",
    description="The lending bank's staff. 422: a target in another unit than the metric's, a step outside ±300 bp, "
    "a rate the steps could take outside 1–2400 bp …, located; nothing written.",
)
def kpi_new(request: HttpRequest, payload: KpiIn, loan_id: int = ID) -> Any:
    user = request_user(request)
    loan = q.bank_loan(user, loan_id)
    try:
        kpi.add_kpi(
            user,
            loan,
            metric=payload.metric,
            name=payload.name,
            targets=[t.dict() for t in payload.targets],
            step_met_bp=payload.step_met_bp,
            step_missed_bp=payload.step_missed_bp,
            unit=payload.unit,
            higher_is_better=payload.higher_is_better,
            project=payload.project_id,
            source=payload.source,
        )
    except ValidationError as exc:
        return refused(request, exc)
    loan.refresh_from_db()
    return Status(201, _loan_kpis(loan))


@router.post(
    "/bank/loans/{loan_id}/scores",
    operation_id="finance_kpi_score",
    url_name="finance_kpi_score",
    response={201: KpiLoanOut, **ERRORS},
    summary="录入外部评分（附佐证文件）并评估 / enter an external score with its evidence",
    description="multipart/form-data: `kpi_id`, `year`, `value`, `evidence_note` and the `evidence` file.",
)
def kpi_score(
    request: HttpRequest,
    loan_id: int = ID,
    kpi_id: int = Form(..., ge=0, le=MAX_ID),
    year: int = Form(..., ge=2000, le=2100),
    value: str = Form(..., max_length=24),
    evidence_note: str = Form(..., max_length=500),
    evidence: UploadedFile = File(...),  # noqa: B008
) -> Any:
    user = request_user(request)
    loan = q.bank_loan(user, loan_id)
    k = get_object_or_404(loan.kpis.all(), pk=kpi_id)
    try:
        kpi.enter_score(user, k, year=year, value=value, evidence=evidence, evidence_note=evidence_note)
    except ValidationError as exc:
        return refused(request, exc)
    loan.refresh_from_db()
    return Status(201, _loan_kpis(loan))


@router.get(
    "/enterprises/{org_id}/loans/{loan_id}/kpis",
    operation_id="finance_enterprise_loan_kpis",
    url_name="finance_enterprise_loan_kpis",
    response={200: KpiLoanOut, **ERRORS},
    summary="本企业贷款的挂钩指标（只读） / the enterprise's loan's KPIs (read only)",
)
def enterprise_loan_kpis(request: HttpRequest, org_id: int = ID, loan_id: int = ID) -> Any:
    loan = get_object_or_404(q.enterprise_loans(request_user(request), org_id), pk=loan_id)
    return Status(200, _loan_kpis(loan))


# ------------------------------------------------------------------------------------------------ alerts


@router.get(
    "/bank/alerts",
    operation_id="finance_bank_alerts",
    url_name="finance_bank_alerts",
    response={200: list[BankAlertOut], **ERRORS},
    summary="本行贷后预警（挂钩指标未达标、借款企业降级） / the bank's alerts on its loans",
)
def bank_alerts(request: HttpRequest, unread: bool = Query(False)) -> Any:
    qs = scoping.bank_alerts(request_user(request)).select_related("loan")
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return Status(200, [_alert(request, a) for a in qs[:500]])


@router.post(
    "/bank/alerts/read",
    operation_id="finance_bank_alert_read",
    url_name="finance_bank_alert_read",
    response={200: BankAlertOut, **ERRORS},
    summary="标记预警已读 / mark an alert read",
)
def bank_alert_read(request: HttpRequest, payload: BankAlertReadIn) -> Any:
    user = request_user(request)
    alert = get_object_or_404(scoping.bank_alerts(user).select_related("loan"), pk=payload.alert_id)
    return Status(200, _alert(request, kpi.mark_read(user, alert)))


# ------------------------------------------------------------------------------------------------ CERF


@router.post(
    "/bank/loans/{loan_id}/project",
    operation_id="finance_loan_project",
    url_name="finance_loan_project",
    response={201: LoanProjectOut, **ERRORS},
    summary="关联贷款支持的认定项目及项目融资总额 / name the certified project a loan finances",
)
def loan_project(request: HttpRequest, payload: LoanProjectIn, loan_id: int = ID) -> Any:
    user = request_user(request)
    loan = q.bank_loan(user, loan_id)
    try:
        link = disclosure.link_project(
            user, loan, project=payload.project_id, project_financing=payload.project_financing, source=payload.source
        )
    except ValidationError as exc:
        return refused(request, exc)
    return Status(
        201,
        {
            "loan_id": loan.pk,
            "project_id": link.project_id,
            "project_financing": str(link.project_financing),
            "source": link.source,
        },
    )


@router.get(
    "/bank/cerf",
    operation_id="finance_cerf",
    url_name="finance_cerf",
    response={200: CerfOut, **ERRORS},
    summary="碳减排支持工具季度数据 / the bank's CERF figures of a quarter",
    description="Loans booked in the quarter that finance a certified project; per loan the induced annual "
    "reduction = the project's reduction × min(1, loan ÷ project financing) (docs/finance.md § CERF).",
)
def cerf(
    request: HttpRequest,
    year: int | None = Query(None, ge=2000, le=2100, description="default: this year"),
    quarter: int | None = Query(None, ge=1, le=4, description="default: this quarter"),
    bank_id: int | None = Query(None, ge=1, le=MAX_ID),
) -> Any:
    today = timezone.localdate()
    c = disclosure.cerf(
        _bank(request_user(request), bank_id), year or today.year, quarter or (today.month - 1) // 3 + 1
    )
    return Status(
        200,
        {
            "bank_id": c.bank.pk,
            "year": c.year,
            "quarter": c.quarter,
            "projects": c.projects,
            "amount": str(c.amount),
            "weighted_rate_bp": _s(c.rate_bp),
            "induced_tco2": str(c.induced),
            "loans": [
                {
                    "loan_number": r.loan.number,
                    "enterprise": r.loan.enterprise.name,
                    "booked_on": timezone.localtime(r.loan.booked_at).date(),
                    "amount": str(r.loan.amount),
                    "rate_bp": r.rate_bp,
                    "project_id": r.link.project_id,
                    "project": r.link.project.name,
                    "project_financing": str(r.link.project_financing),
                    "financing_source": r.link.source,
                    "share": str(r.share),
                    "project_reduction_tco2": str(r.project_reduction),
                    "basis": r.basis,
                    "basis_year": r.basis_year,
                    "induced_tco2": str(r.induced),
                }
                for r in c.rows
            ],
        },
    )


# ------------------------------------------------------------------------------------------------ PCAF


@router.post(
    "/bank/pcaf/financials",
    operation_id="finance_pcaf_financials",
    url_name="finance_pcaf_financials",
    response={201: FinancialsOut, **ERRORS},
    summary="录入借款企业所有者权益与负债 / enter a borrower's equity and debt",
    description="422: equity not above zero, a negative debt, a future date, not a borrower of the bank; nothing "
    "written.",
)
def pcaf_financials(request: HttpRequest, payload: FinancialsIn) -> Any:
    user = request_user(request)
    bank = _bank(user, payload.bank_id)
    try:
        f = disclosure.enter_financials(
            user,
            bank,
            payload.enterprise_id,
            as_of=payload.as_of,
            equity=payload.equity,
            debt=payload.debt,
            source=payload.source,
        )
    except ValidationError as exc:
        return refused(request, exc)
    return Status(
        201,
        {
            "id": f.pk,
            "enterprise_id": f.enterprise_id,
            "as_of": f.as_of,
            "equity": str(f.equity),
            "debt": str(f.debt),
            "source": f.source,
        },
    )


@router.get(
    "/bank/pcaf",
    operation_id="finance_pcaf",
    url_name="finance_pcaf",
    response={200: PcafOut, **ERRORS},
    summary="本行贷款的融资排放（PCAF） / the financed emissions of the bank's book",
    description="Attribution factor = outstanding ÷ (equity + debt); financed scope 1/2 = factor × the borrower's "
    "year; the PCAF data-quality score 1–5 from the verification status and tier (docs/finance.md § PCAF).",
)
def pcaf(
    request: HttpRequest,
    year: int | None = Query(None, ge=2000, le=2100, description="the borrowers' emissions year (default: last year)"),
    bank_id: int | None = Query(None, ge=1, le=MAX_ID),
) -> Any:
    p = disclosure.pcaf(_bank(request_user(request), bank_id), year or timezone.localdate().year - 1)
    return Status(
        200,
        {
            "bank_id": p.bank.pk,
            "year": p.year,
            "on": p.on,
            "outstanding": str(p.outstanding),
            "financed_scope1_tco2e": str(p.financed1),
            "financed_scope2_tco2e": str(p.financed2),
            "intensity_tco2e_per_million_yuan": _s(p.intensity),
            "weighted_data_quality_score": _s(p.score),
            "by_sector": [
                {
                    "sector": s["sector"],
                    "loans": s["loans"],
                    "outstanding": str(s["outstanding"]),
                    "financed_scope1_tco2e": str(s["financed1"]),
                    "financed_scope2_tco2e": str(s["financed2"]),
                    "missing": s["missing"],
                }
                for s in p.by_sector
            ],
            "loans": [
                {
                    "loan_number": r.loan.number,
                    "enterprise": r.loan.enterprise.name,
                    "sector": r.sector,
                    "outstanding": str(r.loan.outstanding),
                    "equity": _s(r.financials.equity if r.financials else None),
                    "debt": _s(r.financials.debt if r.financials else None),
                    "financials_as_of": r.financials.as_of if r.financials else None,
                    "financials_source": r.financials.source if r.financials else None,
                    "attribution_factor": _s(r.factor),
                    "scope1_tco2e": _s(r.scope1),
                    "scope2_tco2e": _s(r.scope2),
                    "financed_scope1_tco2e": _s(r.financed1),
                    "financed_scope2_tco2e": _s(r.financed2),
                    "data_quality_score": r.score,
                    "lineage": r.lineage,
                }
                for r in p.rows
            ],
        },
    )

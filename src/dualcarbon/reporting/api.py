"""Reporting API for enterprise systems (mounted at /api/reporting; token auth; thin over services).

A token acts as the enterprise staff member it was issued to, for the token's enterprise; scoping
applies unchanged. Records in a draft carry ``source_sheet`` = the JSON array name and
``source_row`` = the 1-based index, so every issue points at the element that caused it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status

from dualcarbon.registry.api_tokens import ApiTokenAuth

from . import hooks, scoping, services
from .excel import basis_code, source_type_code
from .models import EconomicRecord, Submission, ValidationIssue
from .schemas import (
    ERRORS,
    CorrectionIn,
    DraftIn,
    DraftOut,
    PeriodOut,
    SubmissionOut,
    SubmitOut,
    claims_in,
)

router = Router(tags=["reporting"], auth=ApiTokenAuth())

#: ids are 64-bit: a larger one is a 422, not a database overflow
MAX_ID = 2**63 - 1
#: a reporting month (services.check_period): outside these, or not a number, answers 400 「报告期无效」
YEAR = Path(..., ge=2000, le=2100, description="2000–2100")
MONTH = Path(..., ge=1, le=12, description="1–12")
ACTIVITIES_SHEET = "activities"
PRODUCTION_SHEET = "production"
ECONOMIC_SHEET = "economic"


def _actor(request: HttpRequest) -> tuple[Any, Any]:
    token = request.auth  # type: ignore[attr-defined]
    return token.user, token.organisation


def _issue(i: ValidationIssue | Any) -> dict[str, Any]:
    en = (get_language() or "zh").startswith("en")
    return {
        "severity": i.severity,
        "rule": i.rule,
        "sheet": i.sheet or "",
        "row": i.row,
        "column": i.column or "",
        "message": i.message_en if en else i.message_zh,
        "message_zh": i.message_zh,
        "message_en": i.message_en,
    }


def error(request: HttpRequest, status: int, detail: str, findings: Any = ()) -> Status[dict[str, Any]]:
    """An ErrorOut answer (the API's one error shape; dualcarbon/api.py answers the same for ninja's errors)."""
    return Status(
        status,
        {
            "detail": detail,
            "errors": [_issue(f) for f in findings],
            "request_id": getattr(request, "request_id", None),
        },
    )


def _refusal(request: HttpRequest, exc: Exception) -> Status[dict[str, Any]]:
    """A service's refusal as its status: 403 permission, 409 the month's state, 422 bad values, 400 the rest."""
    if isinstance(exc, PermissionDenied):
        return error(request, 403, str(exc))
    if isinstance(exc, services.DraftInvalid):
        return error(request, 422, str(exc), exc.findings)
    if isinstance(exc, services.Conflict):
        return error(request, 409, str(exc))
    return error(request, 400, str(exc))


def _account(user: Any, submission: Submission) -> dict[str, Any] | None:
    entry = hooks.account_of(user, submission)
    if entry is None:
        return None
    # total = scope 1 + scope 2 + exported (≤ 0): the accounting app's identity, read through the entry it returned
    identity = entry.identity()
    return {
        "total_tco2e": entry.total_tco2e,
        "scope1": entry.scope1_tco2e,
        "scope2": entry.scope2_tco2e,
        "exported": entry.exported_tco2e,
        "co2_recovery": identity.recovery or 0.0,
        "biomass_co2_t": entry.biomass_co2_t,
        # market-based (绿电 at zero, other purchases at the national residual factor); None if computed before it
        "scope2_market": entry.scope2_market_tco2e,
        "total_market_tco2e": entry.total_market_tco2e,
        "terms": identity.as_dict()["terms"],
        "energy_tce": entry.energy_tce,
    }


def _draft_out(sub: Submission, issues: list[ValidationIssue]) -> dict[str, Any]:
    return {
        "submission_id": sub.pk,
        "version": sub.version,
        "status": sub.status,
        "errors": sum(1 for i in issues if i.severity == ValidationIssue.Severity.ERROR),
        "warnings": sum(1 for i in issues if i.severity == ValidationIssue.Severity.WARNING),
        "issues": [_issue(i) for i in issues],
    }


def _check_reporter(user: Any, org: Any) -> None:
    if not scoping.can_report_for(user, org):
        raise PermissionDenied(_("您无权为该企业填报"))


@router.get(
    "/periods",
    operation_id="periods",
    response={200: list[PeriodOut], **ERRORS},
    summary="报告期列表 / periods of a year",
    description="The twelve months of a year (default: this year) with the version shown for each. "
    "A year outside 2000–2100 (or not a number) answers 400 「报告期无效」.",
)
def periods(
    request: HttpRequest, year: int | None = Query(None, ge=2000, le=2100, description="2000–2100; default this year")
) -> Any:
    user, org = _actor(request)
    _check_reporter(user, org)
    year = timezone.localdate().year if year is None else year
    services.check_period(year)
    subs = scoping.submissions(user).filter(enterprise=org, period__year=year).select_related("period")
    by_month: dict[int, list[Submission]] = {}
    for s in subs.order_by("version"):
        by_month.setdefault(s.period.month, []).append(s)
    out = []
    for month in range(1, 13):
        versions = by_month.get(month, [])
        shown = next((s for s in versions if s.is_current), versions[-1] if versions else None)
        out.append(
            {
                "year": year,
                "month": month,
                "submission_id": shown.pk if shown else None,
                "version": shown.version if shown else None,
                "status": shown.status if shown else None,
                "is_current": bool(shown and shown.is_current),
                "has_draft": any(s.status == Submission.Status.DRAFT for s in versions),
            }
        )
    return Status(200, out)


def _draft_data(payload: DraftIn) -> services.DraftData:
    activities = []
    for i, a in enumerate(payload.activities, start=1):
        rec = a.model_dump()
        rec["source_type"] = source_type_code(rec["source_type"]) or rec["source_type"]
        rec["param_basis"] = basis_code(rec["param_basis"])
        rec.update(source_sheet=ACTIVITIES_SHEET, source_row=i)
        activities.append(rec)
    production = [
        {**p.model_dump(), "source_sheet": PRODUCTION_SHEET, "source_row": i}
        for i, p in enumerate(payload.production, start=1)
    ]
    economic = {**payload.economic.model_dump(), "source_sheet": ECONOMIC_SHEET} if payload.economic else None
    return services.DraftData(activities=activities, production=production, economic=economic, **claims_in(payload))


@router.put(
    "/periods/{year}/{month}/draft",
    operation_id="put_draft",
    response={200: DraftOut, **ERRORS},
    summary="保存草稿 / replace the draft's records and validate them",
    description="Opens the month's draft (or reuses it) and replaces its records, in one transaction. "
    "422: values that break the number rule, each located (array, 1-based row, field); nothing is saved. "
    "409: the month is submitted (open a correction) or another request is writing it.",
)
def put_draft(request: HttpRequest, payload: DraftIn, year: int = YEAR, month: int = MONTH) -> Any:
    user, org = _actor(request)
    services.check_period(year, month)
    try:
        draft = services.write_draft(user, org, year, month, _draft_data(payload), channel=Submission.Channel.API)
    except (PermissionDenied, services.WorkflowError) as exc:
        return _refusal(request, exc)
    issues = services.validate_or_show(draft)  # the draft is saved: its answer is 200 whatever else is writing
    return Status(200, _draft_out(draft, issues))


@router.post(
    "/periods/{year}/{month}/submit",
    operation_id="submit",
    response={200: SubmitOut, **ERRORS},
    summary="提交 / submit the draft (errors block) and compute the account",
    description="422: the draft has validation errors (listed). 409: no draft to submit — nothing reported, "
    "already submitted, or another request submitted it first.",
)
def submit(request: HttpRequest, year: int = YEAR, month: int = MONTH) -> Any:
    user, org = _actor(request)
    services.check_period(year, month)
    try:
        sub = services.submit_month(user, org, year, month)
    except services.BlockedByErrors as exc:
        draft = _period_submissions(user, org, year, month).filter(status=Submission.Status.DRAFT).first()
        issues = services.validate(draft) if draft else exc.issues  # the refused submit rolled its findings back
        errors = [i for i in issues if i.severity == ValidationIssue.Severity.ERROR]
        return error(request, 422, str(exc), errors)
    except (PermissionDenied, services.WorkflowError) as exc:
        return _refusal(request, exc)
    return Status(
        200,
        {
            "submission_id": sub.pk,
            "version": sub.version,
            "status": sub.status,
            "account": _account(user, sub),
            "issues": [_issue(i) for i in sub.issues.all()],
        },
    )


@router.post(
    "/periods/{year}/{month}/corrections",
    operation_id="open_correction",
    response={201: DraftOut, **ERRORS},
    summary="发起更正 / open a correction (new draft version with a reason)",
    description="422: the reason is empty or too long. 409: the month is not submitted, is locked, or already has "
    "a correction draft (also when another request opened it first).",
)
def corrections(request: HttpRequest, payload: CorrectionIn, year: int = YEAR, month: int = MONTH) -> Any:
    user, org = _actor(request)
    services.check_period(year, month)
    _check_reporter(user, org)
    current = _period_submissions(user, org, year, month).filter(is_current=True).first()
    if current is None:
        return error(request, 409, _("该月尚未提交，无需更正"))
    try:
        draft = services.correct(user, current, payload.reason)
    except (PermissionDenied, services.WorkflowError) as exc:
        return _refusal(request, exc)
    return Status(201, _draft_out(draft, list(draft.issues.all())))


@router.get(
    "/submissions/{submission_id}",
    operation_id="submission",
    response={200: SubmissionOut, **ERRORS},
    summary="报送版本 / one version with its records and issues",
)
def submission(request: HttpRequest, submission_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user, _org = _actor(request)
    sub = scoping.submissions(user).select_related("period").filter(pk=submission_id).first()
    if sub is None:  # out of scope answers exactly like a missing id: no probing of other firms' ids
        raise Http404(_("报送不存在"))
    economic = EconomicRecord.objects.filter(submission=sub).first()
    return Status(
        200,
        {
            "id": sub.pk,
            "enterprise_id": sub.enterprise_id,
            "year": sub.period.year,
            "month": sub.period.month,
            "version": sub.version,
            "status": sub.status,
            "is_current": sub.is_current,
            "channel": sub.channel,
            "reason": sub.reason,
            "created_at": sub.created_at,
            "submitted_at": sub.submitted_at,
            "activities": list(sub.activities.all()),
            "production": list(sub.production.all()),
            "economic": economic,
            "generation": list(sub.generation.all()),
            "offsets": list(sub.offsets.all()),
            "discharge": list(sub.discharge.all()),
            "issues": [_issue(i) for i in sub.issues.all()],
            "account": _account(user, sub),
        },
    )


def _period_submissions(user: Any, org: Any, year: int, month: int) -> Any:
    return scoping.submissions(user).filter(enterprise=org, period__year=year, period__month=month)

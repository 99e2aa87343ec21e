"""Reporting API for enterprise systems (mounted at /api/reporting; token auth; thin over services).

A token acts as the enterprise staff member it was issued to, for the token's enterprise; scoping
applies unchanged. Records in a draft carry ``source_sheet`` = the JSON array name and
``source_row`` = the 1-based index, so every issue points at the element that caused it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from dualcarbon.registry.api_tokens import ApiTokenAuth

from . import hooks, scoping, services
from .excel import basis_code, source_type_code
from .models import EconomicRecord, Submission, ValidationIssue
from .schemas import (
    CorrectionIn,
    DraftIn,
    DraftOut,
    ErrorOut,
    PeriodOut,
    SubmissionOut,
    SubmitOut,
    claims_in,
)

router = Router(tags=["reporting 报送"], auth=ApiTokenAuth())

ACTIVITIES_SHEET = "activities"
PRODUCTION_SHEET = "production"


def _actor(request: HttpRequest) -> tuple[Any, Any]:
    token = request.auth  # type: ignore[attr-defined]
    return token.user, token.organisation


def _issue(i: ValidationIssue | Any) -> dict[str, Any]:
    return {
        "severity": i.severity,
        "rule": i.rule,
        "sheet": i.sheet or "",
        "row": i.row,
        "column": i.column or "",
        "message_zh": i.message_zh,
        "message_en": i.message_en,
    }


def _error(detail: str, findings: Any = ()) -> dict[str, Any]:
    return {"detail": detail, "errors": [_issue(f) for f in findings]}


def _account(user: Any, submission: Submission) -> dict[str, float | None] | None:
    entry = hooks.account_of(user, submission)
    if entry is None:
        return None
    return {
        "total_tco2e": entry.total_tco2e,
        "scope1": entry.scope1_tco2e,
        "scope2": entry.scope2_tco2e,
        # market-based (绿电 at zero, other purchases at the national residual factor); None if computed before it
        "scope2_market": entry.scope2_market_tco2e,
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


def _period_submissions(user: Any, org: Any, year: int, month: int) -> Any:
    return scoping.submissions(user).filter(enterprise=org, period__year=year, period__month=month)


def _check_reporter(user: Any, org: Any) -> None:
    if not scoping.can_report_for(user, org):
        raise PermissionDenied(_("您无权为该企业填报"))


@router.get("/periods", response={200: list[PeriodOut], 403: ErrorOut}, summary="报告期列表 / periods of a year")
def periods(request: HttpRequest, year: int | None = None) -> Any:
    user, org = _actor(request)
    try:
        _check_reporter(user, org)
    except PermissionDenied as exc:
        return 403, _error(str(exc))
    year = year or timezone.localdate().year
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
    return out


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
    economic = payload.economic.model_dump() if payload.economic else None
    return services.DraftData(activities=activities, production=production, economic=economic, **claims_in(payload))


@router.put(
    "/periods/{year}/{month}/draft",
    response={200: DraftOut, 400: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="保存草稿 / replace the draft's records and validate them",
)
def put_draft(request: HttpRequest, year: int, month: int, payload: DraftIn) -> Any:
    user, org = _actor(request)
    try:
        draft = services.draft_for(user, org, year, month, channel=Submission.Channel.API)
        draft = services.save_draft(user, draft, _draft_data(payload), channel=Submission.Channel.API)
    except PermissionDenied as exc:
        return 403, _error(str(exc))
    except services.DraftInvalid as exc:
        return 422, _error(str(exc), exc.findings)
    except services.WorkflowError as exc:
        return 400, _error(str(exc))
    issues = services.validate(draft)
    return 200, _draft_out(draft, issues)


@router.post(
    "/periods/{year}/{month}/submit",
    response={200: SubmitOut, 400: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="提交 / submit the draft (errors block) and compute the account",
)
def submit(request: HttpRequest, year: int, month: int) -> Any:
    user, org = _actor(request)
    try:
        _check_reporter(user, org)
    except PermissionDenied as exc:
        return 403, _error(str(exc))
    draft = _period_submissions(user, org, year, month).filter(status=Submission.Status.DRAFT).first()
    if draft is None:
        return 400, _error(_("该月没有待提交的草稿"))
    try:
        sub = services.submit(user, draft)
    except PermissionDenied as exc:
        return 403, _error(str(exc))
    except services.BlockedByErrors as exc:
        issues = services.validate(draft)  # the failed submit rolled its findings back: keep them
        errors = [i for i in issues if i.severity == ValidationIssue.Severity.ERROR]
        return 422, _error(str(exc), errors)
    except services.WorkflowError as exc:
        return 400, _error(str(exc))
    return 200, {
        "submission_id": sub.pk,
        "version": sub.version,
        "status": sub.status,
        "account": _account(user, sub),
        "issues": [_issue(i) for i in sub.issues.all()],
    }


@router.post(
    "/periods/{year}/{month}/corrections",
    response={201: DraftOut, 400: ErrorOut, 403: ErrorOut},
    summary="发起更正 / open a correction (new draft version with a reason)",
)
def corrections(request: HttpRequest, year: int, month: int, payload: CorrectionIn) -> Any:
    user, org = _actor(request)
    try:
        _check_reporter(user, org)
    except PermissionDenied as exc:
        return 403, _error(str(exc))
    current = _period_submissions(user, org, year, month).filter(is_current=True).first()
    if current is None:
        return 400, _error(_("该月尚未提交，无需更正"))
    try:
        draft = services.correct(user, current, payload.reason)
    except PermissionDenied as exc:
        return 403, _error(str(exc))
    except services.WorkflowError as exc:
        return 400, _error(str(exc))
    return 201, _draft_out(draft, list(draft.issues.all()))


@router.get(
    "/submissions/{submission_id}",
    response={200: SubmissionOut, 404: ErrorOut},
    summary="报送版本 / one version with its records and issues",
)
def submission(request: HttpRequest, submission_id: int) -> Any:
    user, _org = _actor(request)
    sub = scoping.submissions(user).select_related("period").filter(pk=submission_id).first()
    if sub is None:  # out of scope answers exactly like a missing id: no probing of other firms' ids
        return 404, _error(_("报送不存在"))
    economic = EconomicRecord.objects.filter(submission=sub).first()
    return 200, {
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
        "issues": [_issue(i) for i in sub.issues.all()],
        "account": _account(user, sub),
    }

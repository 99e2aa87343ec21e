"""Reporting workflow: drafts, records, validation, submit/verify/lock, corrections as new versions.

The only place that writes reporting data. Web form, Excel upload and the API all call
:func:`save_draft` (through :func:`write_draft`, or :func:`draft_for` + :func:`save_draft` in one transaction)
then :func:`submit`; they share one validation path: numbers by the engine's rule
(:mod:`dualcarbon.engine.numbers`, checked by :func:`_unparseable` before anything is written), then
:func:`validate`.

Writers of one month are serialised: every write locks the month's :class:`ReportingPeriod` row first
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite runs ``BEGIN IMMEDIATE`` transactions, settings.py). A writer that
finds the month changed under it, or cannot get the lock in time, gets :class:`Conflict` (HTTP 409).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd
from django.core.exceptions import PermissionDenied
from django.db import OperationalError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dualcarbon.engine import InputError, Options, account_table, backends, records_table
from dualcarbon.engine import numbers as number_rule
from dualcarbon.engine.inputs import ACTIVITY_COLUMNS, NUMERIC_COLUMNS
from dualcarbon.engine.messages import Problem
from dualcarbon.registry import services as registry_services
from dualcarbon.registry.models import Organisation

from . import hooks, scoping, validators
from .models import (
    ActivityRecord,
    DischargeRecord,
    EconomicRecord,
    Evidence,
    GenerationRecord,
    OffsetRecord,
    ProductionRecord,
    ReportingPeriod,
    Submission,
    ValidationIssue,
)

DECIMAL_FIELDS = NUMERIC_COLUMNS
TEXT_FIELDS = tuple(c for c in ACTIVITY_COLUMNS if c not in NUMERIC_COLUMNS)


class WorkflowError(Exception):
    """An action refused (message is user-facing, translated): HTTP 400 unless a subclass says otherwise."""


class InvalidPeriod(WorkflowError):
    """Not a reporting month: year 2000–2100, month 1–12 (HTTP 400, the same message everywhere)."""

    def __init__(self) -> None:
        super().__init__(_("报告期无效"))


class Conflict(WorkflowError):
    """The month's state does not allow the action, or it changed under the request: another writer submitted,
    corrected or holds the month (HTTP 409; the web shows the message on the page)."""


def is_busy(exc: OperationalError) -> bool:
    """The database refused a write because another writer held the lock too long (SQLite's busy timeout,
    settings.DATABASES; PostgreSQL's lock_timeout when one is set)."""
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text or "lock timeout" in text


@contextmanager
def writing() -> Iterator[None]:
    """One transaction for a write; a writer that cannot get the database's write lock in time gets
    :class:`Conflict`, never a server error."""
    try:
        with transaction.atomic():
            yield
    except OperationalError as exc:
        if not is_busy(exc):
            raise
        raise Conflict(_("该月正由另一请求写入，请稍后重试")) from exc


class DraftInvalid(WorkflowError):
    """Values that break the number rule (or a blank upload): nothing was saved; each finding names sheet, row and
    column."""

    def __init__(self, findings: Sequence[validators.Finding]):
        self.findings = list(findings)
        super().__init__(_("有 %(n)d 处数据有误，未保存任何数据") % {"n": len(self.findings)})


class BlockedByErrors(WorkflowError):
    def __init__(self, issues: Sequence[ValidationIssue]):
        self.issues = list(issues)
        super().__init__(_("有 %(n)d 处错误，不能提交") % {"n": len(self.issues)})


@dataclass
class DraftData:
    """Records as they arrive from a form, a workbook or the API (values may still be text)."""

    activities: list[dict[str, Any]] = field(default_factory=list)
    production: list[dict[str, Any]] = field(default_factory=list)
    economic: dict[str, Any] | None = None
    #: own zero-carbon generation lines: technology, use, quantity, unit, certificates_transferred, reference
    generation: list[dict[str, Any]] = field(default_factory=list)
    #: offsets / green attributes: kind, quantity, unit, origin, status, reference
    offsets: list[dict[str, Any]] = field(default_factory=list)
    #: pollutant discharge of the month: factor (COD, NH3N, SO2, NOX, PM, VOCS), quantity in tonnes
    discharge: list[dict[str, Any]] = field(default_factory=list)


GENERATION_FIELDS = ("technology", "use", "quantity", "unit", "certificates_transferred", "reference")
OFFSET_FIELDS = ("kind", "quantity", "unit", "origin", "status", "reference")
DISCHARGE_FIELDS = ("factor", "quantity")


#: the finding ``dualcarbon repair_numbers`` leaves on a value it had to blank (kept until the draft is saved again)
REPAIRED_RULE = "repaired_number"
#: the numeric fields of each kind of line and the rule's limits for them (engine/numbers.py)
ECONOMIC_FIELDS = ("value_added", "output_value", "revenue")
GENERATION_NUMBERS = ("quantity", "certificates_transferred")
OFFSET_NUMBERS = ("quantity",)


def _dec(value: Any, spec: number_rule.NumberSpec = number_rule.ACTIVITY) -> Decimal | None:
    """A value by the engine's number rule (None when empty or when it breaks the rule: :func:`_unparseable`
    has refused the draft before anything is stored)."""
    try:
        return number_rule.parse_number(value, spec)
    except number_rule.NumberError:
        return None


def _require_reporter(user: Any, enterprise: Organisation) -> None:
    if not scoping.can_report_for(user, enterprise):
        raise PermissionDenied(_("您无权为该企业填报"))


def visible_submissions(user: Any) -> Any:
    """The submissions ``user`` may read (for the apps above: they read reporting through its services)."""
    return scoping.submissions(user)


def valid_period(year: int, month: int) -> bool:
    return 1 <= month <= 12 and 2000 <= year <= 2100


def check_period(year: Any, month: Any = 1) -> None:
    """The one rule for a reporting month (web, API, services): year 2000–2100, month 1–12."""
    if not (isinstance(year, int) and isinstance(month, int) and valid_period(year, month)):
        raise InvalidPeriod()


def period_for(enterprise: Organisation, year: int, month: int) -> ReportingPeriod:
    check_period(year, month)
    period, _created = ReportingPeriod.objects.get_or_create(enterprise=enterprise, year=year, month=month)
    return period


def _locked_period(enterprise: Organisation, year: int, month: int, create: bool = True) -> ReportingPeriod | None:
    """The month's period row, locked for this transaction (writers of one month queue here)."""
    check_period(year, month)
    if create:
        period_for(enterprise, year, month)
    return ReportingPeriod.objects.select_for_update().filter(enterprise=enterprise, year=year, month=month).first()


@transaction.atomic
def draft_for(
    user: Any, enterprise: Organisation, year: int, month: int, channel: str = Submission.Channel.WEB
) -> Submission:
    """The open draft of a period, or a new one (version 1, or a correction needs :func:`correct`).

    Locks the period: call it in the transaction that writes the draft (:func:`write_draft` does)."""
    _require_reporter(user, enterprise)
    period = _locked_period(enterprise, year, month)
    assert period is not None
    draft = period.submissions.filter(status=Submission.Status.DRAFT).order_by("-version").first()
    if draft:
        return draft
    if period.submissions.exists():
        raise Conflict(_("该月已提交；如需修改请发起更正（需填写原因）"))
    return Submission.objects.create(period=period, enterprise=enterprise, version=1, channel=channel, created_by=user)


def write_draft(
    user: Any,
    enterprise: Organisation,
    year: int,
    month: int,
    data: DraftData,
    channel: str = Submission.Channel.WEB,
    source_file: Any = None,
) -> Submission:
    """Open (or reuse) the month's draft and replace its records, all in one transaction: a bad value, a refusal
    or a request killed half-way leaves the database as it was (no empty draft). Raises PermissionDenied,
    InvalidPeriod, DraftInvalid (nothing written), Conflict."""
    _require_reporter(user, enterprise)
    check_period(year, month)
    bad = list(_unparseable(data))
    if bad:
        raise DraftInvalid(bad)
    with writing():
        draft = draft_for(user, enterprise, year, month, channel=channel)
        return save_draft(user, draft, data, channel=channel, source_file=source_file)


@transaction.atomic
def save_draft(
    user: Any, submission: Submission, data: DraftData, channel: str | None = None, source_file: Any = None
) -> Submission:
    """Replace a draft's records (atomic; a submitted version can never be changed)."""
    _require_reporter(user, submission.enterprise)
    ReportingPeriod.objects.select_for_update().filter(pk=submission.period_id).first()
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if not submission.editable:
        raise Conflict(_("已提交的版本不能修改；请发起更正"))
    bad = list(_unparseable(data))
    if channel == Submission.Channel.EXCEL and not _has_data(data):  # a blank template uploaded by mistake
        bad.append(_located("empty_file", None, "活动数据", None, ""))
    if bad:
        raise DraftInvalid(bad)
    submission.activities.all().delete()
    submission.issues.filter(rule=REPAIRED_RULE).delete()  # the repaired values are entered again
    submission.production.all().delete()
    submission.generation.all().delete()
    submission.offsets.all().delete()
    submission.discharge.all().delete()
    EconomicRecord.objects.filter(submission=submission).delete()
    acts = [
        ActivityRecord(
            submission=submission,
            line_no=i,
            source_sheet=rec.get("source_sheet") or "",
            source_row=rec.get("source_row"),
            **activity_values(rec),
        )
        for i, rec in enumerate(data.activities, start=1)
    ]
    ActivityRecord.objects.bulk_create(acts)
    ProductionRecord.objects.bulk_create(
        [
            ProductionRecord(
                submission=submission,
                product=str(r.get("product") or "").strip(),
                quantity=_dec(r.get("quantity")) or Decimal(0),
                unit=str(r.get("unit") or "t"),
                source_sheet=r.get("source_sheet") or "",
                source_row=r.get("source_row"),
            )
            for r in data.production
            if r.get("product")
        ]
    )
    _save_claims(submission, data)
    economic = economic_values(data.economic)
    if economic is not None:
        EconomicRecord.objects.create(submission=submission, **economic)
    if channel:
        submission.channel = channel
    if source_file is not None:
        submission.source_file = source_file
    submission.save()
    return submission


def activity_values(rec: dict[str, Any]) -> dict[str, Any]:
    """An activity line's stored fields (text trimmed, numbers by the engine's rule), as :func:`save_draft` and the
    region's bulk import (:mod:`.region_import`) store them."""
    values: dict[str, Any] = {f: str(rec.get(f) or "").strip() for f in TEXT_FIELDS}
    values.update({f: _dec(rec.get(f)) for f in DECIMAL_FIELDS})
    return values


def economic_values(economic: dict[str, Any] | None) -> dict[str, Any] | None:
    """A month's economic record fields (None without a value added), as :func:`save_draft` stores them."""
    money = number_rule.MONEY
    value_added = _dec(economic.get("value_added"), money) if economic else None
    if not economic or value_added is None:
        return None
    return {
        "value_added": value_added,
        "output_value": _dec(economic.get("output_value"), money),
        "revenue": _dec(economic.get("revenue"), money),
    }


def _text(value: Any, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _save_claims(submission: Submission, data: DraftData) -> None:
    """Store the generation and offset lines (codes as given: the validators judge them)."""
    GenerationRecord.objects.bulk_create(
        [
            GenerationRecord(
                submission=submission,
                line_no=i,
                technology=_text(r.get("technology"), 12),
                use=_text(r.get("use"), 16),
                quantity=_dec(r.get("quantity")) or Decimal(0),
                unit=_text(r.get("unit"), 32) or "MWh",
                certificates_transferred=_dec(r.get("certificates_transferred")),
                reference=_text(r.get("reference"), 120),
                source_sheet=r.get("source_sheet") or "",
                source_row=r.get("source_row"),
            )
            for i, r in enumerate(data.generation, start=1)
        ]
    )
    OffsetRecord.objects.bulk_create(
        [
            OffsetRecord(
                submission=submission,
                line_no=i,
                kind=_text(r.get("kind"), 12),
                quantity=_dec(r.get("quantity")) or Decimal(0),
                unit=_text(r.get("unit"), 32) or ("MWh" if r.get("kind") in OffsetRecord.MWH_KINDS else "tCO2e"),
                origin=_text(r.get("origin"), 12) or OffsetRecord.Origin.PURCHASED,
                status=_text(r.get("status"), 8) or OffsetRecord.Status.RETIRED,
                reference=_text(r.get("reference"), 120),
                source_sheet=r.get("source_sheet") or "",
                source_row=r.get("source_row"),
            )
            for i, r in enumerate(data.offsets, start=1)
        ]
    )
    DischargeRecord.objects.bulk_create(
        [
            DischargeRecord(
                submission=submission,
                factor=validators.pollutant_code(r.get("factor")) or _text(r.get("factor"), 16),
                quantity=_dec(r.get("quantity")) or Decimal(0),
                source_sheet=r.get("source_sheet") or "",
                source_row=r.get("source_row") or i,
            )
            for i, r in enumerate(data.discharge, start=1)
            if r.get("quantity") not in (None, "")
        ]
    )


def claims_of(submission: Submission) -> dict[str, list[dict[str, Any]]]:
    """A version's generation and offset lines as DraftData keyword arguments (for corrections, templates)."""
    keep = ("source_sheet", "source_row")
    return {
        "generation": [dict(r) for r in submission.generation.values(*GENERATION_FIELDS, *keep)],
        "offsets": [dict(r) for r in submission.offsets.values(*OFFSET_FIELDS, *keep)],
        "discharge": [dict(r) for r in submission.discharge.values(*DISCHARGE_FIELDS, *keep)],
    }


def _economic_dict(submission: Submission) -> dict[str, Any] | None:
    row = EconomicRecord.objects.filter(submission=submission).values().first()
    return dict(row) if row else None


def _located(rule: str, value: Any, sheet: str, row: int | None, column: str, hint: str | None = None) -> Any:
    """A save-blocking finding with the engine's wording (both languages), located by sheet, row and column."""
    from .excel import column_name  # the column's name as the user sees it (excel imports these services lazily)

    problem = Problem(rule, row, column, None if value is None else str(value), hint, sheet or None)
    zh, en = problem.message("zh", column_name(column, "zh")), problem.message("en", column_name(column, "en"))
    return validators.Finding(rule, "error", zh, en, sheet, row, column)


def _number_findings(
    value: Any, sheet: str, row: int | None, column: str, spec: number_rule.NumberSpec, negative: bool = False
) -> Iterator[validators.Finding]:
    try:
        number = number_rule.parse_number(value, spec)
    except number_rule.NumberError as exc:
        yield _located(exc.rule, exc.value, sheet, row, column, exc.hint)
        return
    if negative and number is not None and number < 0:
        yield _located("negative", value, sheet, row, column)


def _has_data(data: DraftData) -> bool:
    economic = any(data.economic.get(f) not in (None, "") for f in ECONOMIC_FIELDS) if data.economic else False
    return bool(data.activities or data.production or economic or data.generation or data.offsets or data.discharge)


def _unparseable(data: DraftData) -> Iterator[validators.Finding]:
    """What blocks saving, whatever the channel: a value that breaks the number rule (not a number, NaN,
    Infinity, too large for the field …), a missing quantity, a negative claim quantity. Each finding names
    sheet (or the API's array), row and column."""
    activity, money = number_rule.ACTIVITY, number_rule.MONEY
    for i, rec in enumerate(data.activities, start=1):
        sheet, row = rec.get("source_sheet") or "", rec.get("source_row") or i
        if rec.get("quantity") in (None, ""):
            yield validators.Finding(
                "required",
                "error",
                f"第 {row} 行：数量为必填项",
                f"row {row}: quantity is required",
                sheet,
                row,
                "quantity",
            )
        for f in DECIMAL_FIELDS:
            yield from _number_findings(rec.get(f), sheet, row, f, activity)
    for i, rec in enumerate(data.production, start=1):
        row = rec.get("source_row") or i
        yield from _number_findings(rec.get("quantity"), rec.get("source_sheet") or "", row, "quantity", activity)
    for name, rows, fields in (
        ("generation", data.generation, GENERATION_NUMBERS),
        ("offsets", data.offsets, OFFSET_NUMBERS),
    ):
        for i, rec in enumerate(rows, start=1):
            sheet = rec.get("source_sheet") or name
            row = rec.get("source_row") or i
            if rec.get("quantity") in (None, ""):
                yield validators.Finding(
                    "required",
                    "error",
                    f"{sheet} 第 {row} 行：数量为必填项",
                    f"{sheet} row {row}: quantity is required",
                    sheet,
                    row,
                    "quantity",
                )
            for f in fields:
                yield from _number_findings(rec.get(f), sheet, row, f, activity, negative=True)
    for i, rec in enumerate(data.discharge, start=1):
        sheet, row = rec.get("source_sheet") or "discharge", rec.get("source_row") or i
        yield from _number_findings(rec.get("quantity"), sheet, row, "quantity", activity, negative=True)
    if data.economic:
        sheet = str(data.economic.get("source_sheet") or "经济数据")
        for f in ECONOMIC_FIELDS:
            yield from _number_findings(data.economic.get(f), sheet, data.economic.get("source_row"), f, money)


def unparseable(data: DraftData) -> list[validators.Finding]:
    """What blocks saving ``data`` whatever the channel (:func:`write_draft`'s first check), for a writer that
    checks many months before it writes any (the region's bulk import)."""
    return list(_unparseable(data))


def activity_frame(submission_ids: Sequence[int]) -> pd.DataFrame:
    """The activity records of submissions as the engine's input table: ``entity`` is the submission id,
    ``_row`` the record id (so the engine's problems and lines point back at the record), ``period`` the
    submission's month and ``region`` its enterprise's region code."""
    rows = ActivityRecord.objects.filter(submission_id__in=submission_ids).values(
        "id",
        "submission_id",
        "submission__period__year",
        "submission__period__month",
        "submission__enterprise__region_id",
        "source_sheet",
        *ACTIVITY_COLUMNS,
    )
    records = []
    for r in rows.iterator(chunk_size=5000):
        rec: dict[str, Any] = {
            "_row": r["id"],
            "_sheet": r["source_sheet"] or None,
            "entity": str(r["submission_id"]),
            "period": f"{r['submission__period__year']}-{r['submission__period__month']:02d}",
            "region": r["submission__enterprise__region_id"] or "",
        }
        for f in ACTIVITY_COLUMNS:
            v = r[f]
            rec[f] = float(v) if isinstance(v, Decimal) else (v or None)
        records.append(rec)
    frame = pd.DataFrame.from_records(records)
    for f in NUMERIC_COLUMNS:
        if f in frame:
            frame[f] = pd.to_numeric(frame[f], errors="coerce").astype("float64")
    return frame


#: the columns of :func:`claims_frame` (the input of :func:`dualcarbon.engine.claims.claim_lines`)
CLAIM_COLUMNS = (
    "entity", "record", "year", "month", "region", "kind", "use", "technology", "origin", "status",
    "quantity", "unit", "transferred", "reference",
)  # fmt: skip


def claims_frame(submission_ids: Sequence[int]) -> pd.DataFrame:
    """The own zero-carbon generation and offset lines of submissions as the engine's claim input: ``entity`` is
    the submission id, ``record`` names the input row ("generation:<id>" or "offset:<id>"), ``region`` the
    enterprise's region code. Two queries."""
    common = (
        "id",
        "submission_id",
        "submission__period__year",
        "submission__period__month",
        "submission__enterprise__region_id",
        "quantity",
        "unit",
        "reference",
    )
    rows: list[dict[str, Any]] = []

    def base(prefix: str, r: dict[str, Any]) -> dict[str, Any]:
        return {
            "entity": str(r["submission_id"]),
            "record": f"{prefix}:{r['id']}",
            "year": int(r["submission__period__year"]),
            "month": int(r["submission__period__month"]),
            "region": r["submission__enterprise__region_id"] or "",
            "quantity": float(r["quantity"]),
            "unit": r["unit"],
            "reference": r["reference"] or "",
        }

    generation = GenerationRecord.objects.filter(submission_id__in=submission_ids).order_by("submission_id", "line_no")
    for r in generation.values(*common, "technology", "use", "certificates_transferred").iterator(chunk_size=5000):
        moved = r["certificates_transferred"]
        rows.append(
            {
                **base("generation", r),
                "kind": "own_generation",
                "use": r["use"] or "",
                "technology": r["technology"] or "",
                "origin": "",
                "status": "",
                "transferred": float(moved) if moved is not None else None,
            }
        )
    offsets = OffsetRecord.objects.filter(submission_id__in=submission_ids).order_by("submission_id", "line_no")
    for r in offsets.values(*common, "kind", "origin", "status").iterator(chunk_size=5000):
        rows.append(
            {
                **base("offset", r),
                "kind": r["kind"],
                "use": "",
                "technology": "",
                "origin": r["origin"] or "",
                "status": r["status"] or "",
                "transferred": None,
            }
        )
    return pd.DataFrame.from_records(rows, columns=list(CLAIM_COLUMNS))


def engine_connection() -> Any:
    """A small in-process DuckDB connection for the engine (validation and accounting share the setting)."""
    return backends.connect("duckdb", memory_limit="1GB", threads=2)


def check_submission(submission: Submission, options: Options | None = None) -> InputError | None:
    """Run the engine's validation on one submission's records (no writes). None when clean.

    ``options``: the region's method policy on the day (:func:`dualcarbon.registry.services.method_options`)."""
    frame = activity_frame([submission.pk])
    if frame.empty:
        return None
    if options is None:
        options = registry_services.method_options(submission.enterprise.region_id or "")
    con = engine_connection()
    try:
        result = account_table(con, records_table(frame), options)
    except InputError as exc:
        return exc
    if REUSE_CHECK:
        _last_check.value = ((submission.pk,), frame, options, result)
    return None


#: the last clean engine check of one submission in this thread (see :func:`checked_account`)
_last_check = threading.local()
#: off: accounting checks the records again (bench/submit.py's baseline)
REUSE_CHECK = True


def checked_account(submission_ids: Sequence[int], frame: pd.DataFrame, options: Options) -> Any:
    """The engine's result of this thread's last clean :func:`check_submission`, if it was made on exactly these
    records (``frame``, compared cell by cell) with these options; else None. Taken once.

    Submitting a month validates it (the engine's check) and then computes its account on the same records in the
    same transaction (the month is locked meanwhile): accounting takes the checked result instead of checking the
    records a second time. The result keeps its own DuckDB connection (``result.con``)."""
    last = getattr(_last_check, "value", None)
    _last_check.value = None
    if last is None:
        return None
    ids, checked_frame, checked_options, result = last
    if tuple(submission_ids) != ids or checked_options != options or not checked_frame.equals(frame):
        return None
    return result


def _context(submission: Submission) -> validators.Context:
    period = submission.period
    acts: list[dict[str, Any]] = [dict(a) for a in submission.activities.values()]
    prod: list[dict[str, Any]] = [dict(p) for p in submission.production.values()]
    econ_row = EconomicRecord.objects.filter(submission=submission).values().first()
    econ: dict[str, Any] | None = dict(econ_row) if econ_row else None
    options = registry_services.method_options(submission.enterprise.region_id or "")
    engine_error = check_submission(submission, options) if acts else None
    problems = engine_error.problems if engine_error else []
    # map engine rows (ActivityRecord ids) back to what the user saw (sheet row or form line)
    by_id = {a["id"]: a for a in acts}
    located = []
    for p in problems:
        rec = by_id.get(p.row or -1)
        if rec is not None:
            located.append(
                type(p)(
                    p.rule,
                    rec["source_row"] or rec["line_no"],
                    p.column,
                    p.value,
                    p.hint,
                    rec["source_sheet"] or ("表单" if not rec["source_row"] else None),
                )
            )
        else:
            located.append(p)
    history: dict[str, dict[str, float]] = {}
    prev_year, prev_month = (period.year - 1, 12) if period.month == 1 else (period.year, period.month - 1)
    prev = Submission.objects.filter(
        enterprise=submission.enterprise, is_current=True, period__year=prev_year, period__month=prev_month
    ).first()
    if prev is not None:
        ctx_prev = validators.Context(
            year=prev_year,
            month=prev_month,
            activities=[dict(a) for a in prev.activities.values()],
            production=[],
            economic=None,
        )
        history[ctx_prev.label] = validators._month_totals(ctx_prev)
    reported = set(
        Submission.objects.filter(enterprise=submission.enterprise, period__year=period.year)
        .exclude(pk=submission.pk)
        .values_list("period__month", flat=True)
    )
    missing = [f"{period.year}-{m:02d}" for m in range(1, period.month) if m not in reported]
    evidence = set(submission.evidence.values_list("kind", flat=True))
    generation = [dict(g) for g in submission.generation.values()]
    offsets = [dict(o) for o in submission.offsets.values()]
    return validators.Context(
        year=period.year,
        month=period.month,
        activities=acts,
        production=prod,
        economic=econ,
        history=history,
        missing_months=missing,
        options=options,
        engine_problems=located,
        evidence_kinds=evidence,
        generation=generation,
        offsets=offsets,
        claimed_elsewhere=_claimed_elsewhere(submission, offsets),
        metered=_metered(submission),
        discharge=[dict(d) for d in submission.discharge.values()],
        enterprise_id=submission.enterprise_id,
    )


def _metered(submission: Submission) -> dict[str, Any] | None:
    """The month's current metered total for the ``meter_mismatch`` validator (meter_data.context_for)."""
    from . import meter_data

    return meter_data.context_for(submission.enterprise, submission.period.year, submission.period.month)


def _claimed_elsewhere(submission: Submission, offsets: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """Where this version's offset references are already declared: in the current version of another
    period of the same enterprise ("YYYY-MM"), or by another enterprise ("other_enterprise")."""
    refs = {str(o["reference"]).strip() for o in offsets if str(o.get("reference") or "").strip()}
    if not refs:
        return {}
    q = Q(pk__in=[])
    for ref in refs:
        q |= Q(reference__iexact=ref)
    found: dict[tuple[str, str], str] = {}
    rows = (
        OffsetRecord.objects.filter(q, submission__is_current=True)
        .exclude(submission__period=submission.period)
        .values_list(
            "kind", "reference", "submission__enterprise_id", "submission__period__year", "submission__period__month"
        )
        .order_by("submission__period__year", "submission__period__month")
    )
    for kind, ref, enterprise_id, year, month in rows:
        key = (kind, validators.normalise_reference(ref))
        where = f"{year}-{month:02d}" if enterprise_id == submission.enterprise_id else "other_enterprise"
        found.setdefault(key, where)
    return found


def check(submission: Submission) -> list[validators.Finding]:
    """Run every validator on a version's stored records (reads only: no write lock is held meanwhile)."""
    return validators.run_all(_context(submission))


def _issues(submission: Submission, findings: Sequence[validators.Finding]) -> list[ValidationIssue]:
    return [
        ValidationIssue(
            submission=submission,
            severity=f.severity,
            rule=f.rule,
            sheet=f.sheet or "",
            row=f.row,
            column=f.column or "",
            message_zh=f.message_zh,
            message_en=f.message_en,
        )
        for f in findings
    ]


def store_findings(submission: Submission, findings: Sequence[validators.Finding]) -> list[ValidationIssue]:
    """Replace the version's stored findings (a short write: Conflict when another writer holds the month).

    A ``repaired_number`` finding (``dualcarbon repair_numbers``) stays until the draft is saved again."""
    with writing():
        submission.issues.exclude(rule=REPAIRED_RULE).delete()
        kept = list(submission.issues.filter(rule=REPAIRED_RULE))
        return kept + ValidationIssue.objects.bulk_create(_issues(submission, findings))


def validate(submission: Submission) -> list[ValidationIssue]:
    """Run every validator; store and return the findings (replacing earlier ones of this draft).

    The validators (the engine included) run before the write transaction, so concurrent writers of the month
    do not wait for them; inside :func:`submit` all of it runs under the month's lock."""
    return store_findings(submission, check(submission))


def validate_or_show(submission: Submission) -> list[ValidationIssue]:
    """:func:`validate`, or — when another writer holds the month too long to store them — the same findings
    unsaved (the draft itself is saved; the next validation or the submit stores them)."""
    findings = check(submission)
    try:
        return store_findings(submission, findings)
    except Conflict:
        return _issues(submission, findings)


def submit(user: Any, submission: Submission) -> Submission:
    """draft → submitted: validate (errors block), make it the current version, and announce it
    (:data:`.hooks.submission_submitted`: the accounting app computes the month's account in this transaction).

    The month is locked first; a draft another request submitted meanwhile answers :class:`Conflict`."""
    _require_reporter(user, submission.enterprise)
    seen_draft = submission.status == Submission.Status.DRAFT
    with writing():
        return _submit_locked(user, submission, seen_draft)


def submit_month(user: Any, enterprise: Organisation, year: int, month: int) -> Submission:
    """Submit the month's open draft (the API's submit): InvalidPeriod, Conflict when there is no draft."""
    _require_reporter(user, enterprise)
    check_period(year, month)
    with writing():
        period = _locked_period(enterprise, year, month, create=False)
        draft = (
            period.submissions.filter(status=Submission.Status.DRAFT).order_by("-version").first() if period else None
        )
        if draft is None:
            raise Conflict(_("该月没有待提交的草稿"))
        return _submit_locked(user, draft, True)


def _submit_locked(user: Any, submission: Submission, seen_draft: bool) -> Submission:
    ReportingPeriod.objects.select_for_update().filter(pk=submission.period_id).first()
    submission = (
        Submission.objects.select_for_update(of=("self",)).select_related("enterprise", "period").get(pk=submission.pk)
    )
    if submission.status != Submission.Status.DRAFT:
        if seen_draft:
            raise Conflict(_("该草稿已由另一请求提交；请刷新后查看"))
        raise Conflict(_("只有草稿可以提交"))
    if submission.version > 1 and not submission.reason.strip():
        raise WorkflowError(_("更正版本必须填写更正原因"))
    issues = validate(submission)
    errors = [i for i in issues if i.severity == ValidationIssue.Severity.ERROR]
    if errors:
        raise BlockedByErrors(errors)
    Submission.objects.filter(period=submission.period, is_current=True).update(is_current=False)
    submission.status = Submission.Status.SUBMITTED
    submission.is_current = True
    submission.submitted_by = user
    submission.submitted_at = timezone.now()
    submission.save()
    hooks.submission_submitted.send(sender=Submission, submissions=[submission], user=user)
    from . import meter_data  # (it reads region_import, which reads this module)

    meter_data.alert_on_submit(submission, issues)
    return submission


def correct(user: Any, submission: Submission, reason: str) -> Submission:
    """Open a correction: a new draft version N+1 with a copy of N's records; N is never touched.

    The month is locked first: of concurrent corrections one opens the draft, the others get :class:`Conflict`."""
    _require_reporter(user, submission.enterprise)
    if not reason.strip():
        raise WorkflowError(_("请填写更正原因"))
    with writing():
        return _correct_locked(user, submission, reason)


def _correct_locked(user: Any, submission: Submission, reason: str) -> Submission:
    period = ReportingPeriod.objects.select_for_update().get(pk=submission.period_id)
    submission = Submission.objects.get(pk=submission.pk)
    if submission.status == Submission.Status.DRAFT:
        raise Conflict(_("草稿可直接修改，无需更正"))
    if submission.status == Submission.Status.LOCKED:
        raise Conflict(_("该月数据已锁定，不能更正"))
    if period.submissions.filter(status=Submission.Status.DRAFT).exists():
        raise Conflict(_("该月已有一个未提交的更正草稿"))
    version = (period.submissions.aggregate(v=Max("version"))["v"] or 0) + 1
    new = Submission.objects.create(
        period=period,
        enterprise=submission.enterprise,
        version=version,
        channel=submission.channel,
        reason=reason.strip(),
        created_by=user,
    )
    data = DraftData(
        activities=[
            {**a, "source_sheet": a["source_sheet"], "source_row": a["source_row"]}
            for a in submission.activities.values()
        ],
        production=[dict(p) for p in submission.production.values()],
        economic=_economic_dict(submission),
        **claims_of(submission),
    )
    return save_draft(user, new, data)


@transaction.atomic
def verify(user: Any, submission: Submission) -> Submission:
    if not scoping.can_verify(user, submission.enterprise_id):
        raise PermissionDenied(_("您未被指派核查该企业"))
    if submission.status != Submission.Status.SUBMITTED or not submission.is_current:
        raise WorkflowError(_("只有当前已提交的版本可以核查"))
    submission.status = Submission.Status.VERIFIED
    submission.verified_by = user
    submission.verified_at = timezone.now()
    submission.save(update_fields=["status", "verified_by", "verified_at"])
    return submission


class CommentRequired(WorkflowError):
    """A return or a rejection without a comment (nothing changed): the enterprise must be told why."""

    def __init__(self) -> None:
        super().__init__(_("请填写核查意见，说明退回或驳回的原因"))


def return_to_enterprise(user: Any, submission: Submission, comment: str) -> Submission:
    """submitted → returned (退回): the verifier sends the current version back with a comment.

    The version itself is not changed (its records and its account stay as submitted); the enterprise reads the
    comment on its period page and corrects the month through :func:`correct` (a new version N+1)."""
    return _review(user, submission, comment, Submission.Status.RETURNED)


def reject(user: Any, submission: Submission, comment: str) -> Submission:
    """submitted → rejected (驳回): final for this version; the enterprise must file a correction (:func:`correct`)."""
    return _review(user, submission, comment, Submission.Status.REJECTED)


def _review(user: Any, submission: Submission, comment: str, status: str) -> Submission:
    if not scoping.can_verify(user, submission.enterprise_id):
        raise PermissionDenied(_("您未被指派核查该企业"))
    comment = (comment or "").strip()
    if not comment:
        raise CommentRequired()
    with writing():
        ReportingPeriod.objects.select_for_update().filter(pk=submission.period_id).first()
        locked = Submission.objects.select_for_update(of=("self",)).get(pk=submission.pk)
        if locked.status != Submission.Status.SUBMITTED or not locked.is_current:
            if status == Submission.Status.RETURNED:
                raise WorkflowError(_("只有当前已提交（待核查）的版本可以退回"))
            raise WorkflowError(_("只有当前已提交（待核查）的版本可以驳回"))
        locked.status = status
        locked.reviewed_by = user
        locked.reviewed_at = timezone.now()
        locked.review_comment = comment
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_comment"])
    submission.refresh_from_db()
    return submission


@transaction.atomic
def lock(user: Any, submission: Submission) -> Submission:
    if not scoping.can_lock(user, submission):
        raise PermissionDenied(_("只有辖区政府或平台管理员可以锁定"))
    if submission.status != Submission.Status.VERIFIED:
        raise WorkflowError(_("只有已核查的版本可以锁定"))
    submission.status = Submission.Status.LOCKED
    submission.locked_by = user
    submission.locked_at = timezone.now()
    submission.save(update_fields=["status", "locked_by", "locked_at"])
    return submission


@dataclass
class BulkLockResult:
    """What :func:`lock_many` did: the versions locked, and each refused one with the reason (user-facing)."""

    locked: list[Submission] = field(default_factory=list)
    refused: list[tuple[Submission, str]] = field(default_factory=list)


def lock_many(user: Any, submissions: Sequence[Submission]) -> BulkLockResult:
    """Lock several verified versions (the government's 数据报送 list): each through :func:`lock`, each checked on
    its own; a refusal (permission, status) is reported and does not stop the others."""
    result = BulkLockResult()
    for sub in submissions:
        try:
            result.locked.append(lock(user, sub))
        except (PermissionDenied, WorkflowError) as exc:
            result.refused.append((sub, str(exc)))
    return result


def attach_evidence(user: Any, submission: Submission, upload: Any, kind: str) -> Evidence:
    """Attach a file (type and size limited) to a draft or a submitted version of one's own enterprise."""
    _require_reporter(user, submission.enterprise)
    content_type = getattr(upload, "content_type", "") or ""
    if content_type not in Evidence.ALLOWED_TYPES:
        raise WorkflowError(_("不支持的文件类型：%(t)s（允许 PDF、JPG、PNG、XLSX）") % {"t": content_type or "?"})
    if upload.size > Evidence.MAX_BYTES:
        raise WorkflowError(_("文件过大：%(mb).1f MB（上限 10 MB）") % {"mb": upload.size / 1048576})
    if kind not in Evidence.Kind.values:
        raise WorkflowError(_("证明材料类型无效"))
    return Evidence.objects.create(
        submission=submission,
        kind=kind,
        file=upload,
        original_name=upload.name[:255],
        content_type=content_type,
        size=upload.size,
        uploaded_by=user,
    )


def enterprises_not_submitted(region_prefix: str, year: int, month: int) -> list[dict[str, Any]]:
    """The active enterprises in a region prefix (:func:`dualcarbon.registry.access.prefix_q`) whose month has no
    current submitted, verified or locked version (what the missing-submission alert rule reports): dicts of pk,
    name and region_id. One query."""
    from dualcarbon.registry import access

    done = Submission.objects.filter(
        is_current=True, period__year=year, period__month=month, status__in=["submitted", "verified", "locked"]
    ).values("enterprise_id")
    rows = (
        Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE, is_active=True)
        .filter(access.prefix_q("region__code", region_prefix))
        .exclude(pk__in=done)
        .values("pk", "name", "region_id")
    )
    return [dict(r) for r in rows]


#: the statuses of a version whose records count (submitted and after; not a draft, returned or rejected one)
COUNTED_STATUSES = (Submission.Status.SUBMITTED, Submission.Status.VERIFIED, Submission.Status.LOCKED)


def discharge_to_date(enterprise_ids: Sequence[int], year: int, through_month: int = 12) -> dict[int, dict[str, Any]]:
    """The pollutant discharge the enterprises reported for ``year`` up to ``through_month``, from the current
    submitted (or verified, locked) version of each month: ``{enterprise_id: {"factors": {code: Decimal tonnes},
    "months": ["YYYY-MM", …]}}`` (the months with a counted version, whether or not they declared discharge). For
    the assets app's compliance check (docs/assets.md § Compliance)."""
    out: dict[int, dict[str, Any]] = {}
    subs = Submission.objects.filter(
        enterprise_id__in=list(enterprise_ids),
        is_current=True,
        status__in=COUNTED_STATUSES,
        period__year=year,
        period__month__lte=through_month,
    ).values_list("pk", "enterprise_id", "period__month")
    by_sub: dict[int, int] = {}
    for pk, enterprise_id, month in subs:
        by_sub[pk] = enterprise_id
        entry = out.setdefault(enterprise_id, {"factors": {}, "months": []})
        entry["months"].append(f"{year}-{month:02d}")
    rows = DischargeRecord.objects.filter(submission_id__in=list(by_sub)).values_list(
        "submission_id", "factor", "quantity"
    )
    for sub_id, factor, quantity in rows:
        factors = out[by_sub[sub_id]]["factors"]
        factors[factor] = factors.get(factor, Decimal(0)) + quantity
    for entry in out.values():
        entry["months"].sort()
    return out

"""Programme API (mounted at /api/programme; thin over services and queries, docs/programme.md): the five lists
(current, or as they stood on a date), an entry with its versions, creating and changing entries (every change
versioned with who, when and why), the tasks and their progress reports, the dispatch board's figures, the
dispatch check (overdue and at-risk alerts), the measure tree's indicators and a project's achieved vs expected.

Government staff and group members through their signed-in session (CSRF-checked); refusals answer the API's
one error shape: 404 for what the caller may not see (exactly like missing; enterprises see nothing), 403 for a
write its user may not make, 422 for bad input, located by field, in both languages; nothing changed.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, File, Form, Path, Query, Router, Schema, Status, UploadedFile

from dualcarbon.registry.api_tokens import request_user, token_or_session
from dualcarbon.reporting.schemas import ERRORS, refused

from . import carbon_index, esg, inventory, queries, scoping, services
from .models import LIST_MODELS, EntryVersion, ListEntry

router = Router(tags=["programme"], auth=token_or_session())
MAX_ID = 2**63 - 1
KINDS = " | ".join(LIST_MODELS)


class GroupOut(Schema):
    id: int
    code: str
    kind: str
    name: str
    lead_department: str
    member_departments: list[str]
    localities: list[str]


class ProgrammeOut(Schema):
    id: int
    name: str
    region: str
    start_year: int
    end_year: int
    groups: list[GroupOut]


class EntryVersionOut(Schema):
    version: int
    action: str = Field(..., description="created | updated | retired")
    reason: str
    changed_by: str | None
    changed_at: datetime.datetime
    changes: dict[str, Any] = Field(..., description="field → [before, after]")
    data: dict[str, Any] = Field(..., description="the entry's fields as this version made them")


class EntryOut(Schema):
    kind: str
    id: int
    version: int
    data: dict[str, Any]


class EntryDetailOut(EntryOut):
    versions: list[EntryVersionOut]


class EntryIn(Schema):
    fields: dict[str, Any] = Field(..., description="field → value (money and quantities as decimal strings)")
    reason: str = Field(..., max_length=300, description="why (kept in the version)")


class RetireIn(Schema):
    reason: str = Field(..., max_length=300)


class TaskOut(Schema):
    id: int
    code: str
    kind: str
    title: str
    group: str
    locality: str
    measure: str | None
    project_id: int | None
    year: int
    start_date: datetime.date
    due_date: datetime.date
    progress: int
    expected_progress: int
    status: str = Field(..., description="done | overdue | at_risk | on_track")


class ReportOut(Schema):
    id: int
    progress: int
    text: str
    evidence: str
    evidence_sha256: str
    reported_by: str | None
    reported_at: datetime.datetime


class TaskDetailOut(TaskOut):
    reports: list[ReportOut]


class ProgressIn(Schema):
    progress: Any = Field(..., description="0–100 (integer)")
    text: str = Field(..., max_length=4000)


class TallyOut(Schema):
    key: str
    name: str
    tasks: int
    done: int
    overdue: int
    at_risk: int
    mean_progress: Decimal | None
    projects: int
    investment: Decimal = Field(..., description="元")
    expected_tco2: Decimal = Field(..., description="tCO2 a year")


class BoardOut(Schema):
    on: datetime.date
    total: TallyOut
    by_group: list[TallyOut]
    by_measure: list[TallyOut]
    by_locality: list[TallyOut]
    overdue: list[TaskOut]
    at_risk: list[TaskOut]


class CheckOut(Schema):
    on: datetime.date
    overdue: int
    at_risk: int
    created: int = Field(..., description="alerts raised by this run (0 on a rerun)")
    alerts: list[int]


class IndicatorOut(Schema):
    measure: str
    code: str
    name: str
    unit: str
    source: str = Field(..., description="accounts | statistics")
    higher_is_better: bool
    year: int
    target: Decimal | None
    actual: Decimal | None
    met: bool | None
    lineage: str


class ProjectCheckOut(Schema):
    status: str = Field(..., description="checked | not_completed | no_owner | no_accounts")
    year_before: int | None
    year_after: int | None
    before_tco2: Decimal | None
    after_tco2: Decimal | None
    achieved_tco2: Decimal | None
    declared_tco2: Decimal | None
    converted_tco2: Decimal | None = Field(None, description="expected tce × the savings conversion")
    conversion: dict[str, Any] | None
    expected_tco2: Decimal | None
    ratio_pct: Decimal | None
    note: str


def _version(v: EntryVersion) -> dict[str, Any]:
    return {
        "version": v.version,
        "action": v.action,
        "reason": v.reason,
        "changed_by": v.changed_by.username if v.changed_by else None,
        "changed_at": v.changed_at,
        "changes": v.changes,
        "data": v.data,
    }


def _task(t: Any, on: datetime.date) -> dict[str, Any]:
    lang = queries.lang()
    return {
        "id": t.pk,
        "code": t.code,
        "kind": t.kind,
        "title": t.title_for(lang),
        "group": t.group.name_for(lang),
        "locality": t.locality_id,
        "measure": t.measure.code if t.measure_id else None,
        "project_id": t.project_id,
        "year": t.year,
        "start_date": t.start_date,
        "due_date": t.due_date,
        "progress": t.progress,
        "expected_progress": services.expected_progress(t, on),
        "status": services.task_status(t, on),
    }


def _tally(t: services.Tally) -> dict[str, Any]:
    return {
        "key": t.key,
        "name": t.name(queries.lang()),
        "tasks": t.tasks,
        "done": t.done,
        "overdue": t.overdue,
        "at_risk": t.at_risk,
        "mean_progress": t.mean_progress,
        "projects": t.projects,
        "investment": t.investment,
        "expected_tco2": t.expected_tco2,
    }


def _kind(kind: str) -> str:
    if kind not in LIST_MODELS:
        raise ValidationError({"kind": [ValidationError("未知清单“%(kind)s”", params={"kind": kind})]})
    return kind


@router.get(
    "/programmes",
    operation_id="programme_programmes",
    url_name="programme_programmes",
    response={200: list[ProgrammeOut], **ERRORS},
    summary="双碳示范城建设方案及其专班小组 / programmes and their groups",
)
def programmes(request: HttpRequest) -> Any:
    user = request_user(request)
    if not scoping.sees_programme(user):
        return Status(200, [])
    lang = queries.lang()
    out = []
    for p in scoping.programmes(user).prefetch_related("groups__localities"):
        out.append(
            {
                "id": p.pk,
                "name": p.name_for(lang),
                "region": p.region_id,
                "start_year": p.start_year,
                "end_year": p.end_year,
                "groups": [
                    {
                        "id": g.pk,
                        "code": g.code,
                        "kind": g.kind,
                        "name": g.name_for(lang),
                        "lead_department": g.lead_department,
                        "member_departments": g.departments(),
                        "localities": [r.code for r in g.localities.all()],
                    }
                    for g in p.groups.all()
                ],
            }
        )
    return Status(200, out)


@router.get(
    "/programmes/{programme_id}/lists/{kind}",
    operation_id="programme_list",
    url_name="programme_list",
    response={200: list[EntryOut], **ERRORS},
    summary="五张清单之一（现状，或某日的快照）/ one of the five lists, now or as it stood on a date",
    description=f"kind: {KINDS}. With `on` (YYYY-MM-DD): the list as recorded at the end of that day.",
)
def entries(
    request: HttpRequest,
    programme_id: int = Path(..., ge=1, le=MAX_ID),
    kind: str = Path(..., max_length=10),
    on: datetime.date | None = Query(None, description="YYYY-MM-DD"),  # noqa: B008
) -> Any:
    user = request_user(request)
    programme = services.visible_programme(user, programme_id)
    page = queries.list_page(user, programme, kind, on)
    if on is not None:
        return Status(
            200, [{"kind": kind, "id": v.entry_id, "version": v.version, "data": v.data} for v in page.versions]
        )
    return Status(
        200, [{"kind": kind, "id": e.pk, "version": e.version, "data": services.snapshot(e)} for e in page.entries]
    )


@router.post(
    "/programmes/{programme_id}/lists/{kind}",
    operation_id="programme_entry_create",
    url_name="programme_entry_create",
    response={201: EntryDetailOut, **ERRORS},
    summary="新增清单条目 / add an entry to a list",
    description="The owning group's members, the leading and working groups. 422: located, nothing written.",
)
def create(
    request: HttpRequest,
    payload: EntryIn,
    programme_id: int = Path(..., ge=1, le=MAX_ID),
    kind: str = Path(..., max_length=10),
) -> Any:
    user = request_user(request)
    programme = services.visible_programme(user, programme_id)
    try:
        e = services.create_entry(user, _kind(kind), programme, payload.fields, payload.reason)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, _detail(e))


def _detail(e: ListEntry) -> dict[str, Any]:
    return {
        "kind": e.KIND,
        "id": e.pk,
        "version": e.version,
        "data": services.snapshot(e),
        "versions": [_version(v) for v in queries.history(e)],
    }


@router.get(
    "/entries/{kind}/{record_id}",
    operation_id="programme_entry",
    url_name="programme_entry",
    response={200: EntryDetailOut, **ERRORS},
    summary="清单条目及其全部版本 / an entry and all its versions",
)
def entry(
    request: HttpRequest, kind: str = Path(..., max_length=10), record_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    return Status(200, _detail(queries.entry(request_user(request), kind, record_id)))


@router.patch(
    "/entries/{kind}/{record_id}",
    operation_id="programme_entry_update",
    url_name="programme_entry_update",
    response={200: EntryDetailOut, **ERRORS},
    summary="修改清单条目（生成新版本）/ change an entry (a new version)",
    description="`reason` is required and kept with who and when. 422 when nothing changes or a field is wrong.",
)
def update(
    request: HttpRequest,
    payload: EntryIn,
    kind: str = Path(..., max_length=10),
    record_id: int = Path(..., ge=1, le=MAX_ID),
) -> Any:
    user = request_user(request)
    e = queries.entry(user, kind, record_id)
    try:
        e = services.update_entry(user, e, payload.fields, payload.reason)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(200, _detail(e))


@router.post(
    "/entries/{kind}/{record_id}/retire",
    operation_id="programme_entry_retire",
    url_name="programme_entry_retire",
    response={200: EntryDetailOut, **ERRORS},
    summary="移出清单（保留记录）/ take an entry off its list (kept)",
)
def retire(
    request: HttpRequest,
    payload: RetireIn,
    kind: str = Path(..., max_length=10),
    record_id: int = Path(..., ge=1, le=MAX_ID),
) -> Any:
    user = request_user(request)
    e = queries.entry(user, kind, record_id)
    try:
        e = services.retire_entry(user, e, payload.reason)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(200, _detail(e))


@router.get(
    "/entries/project/{record_id}/check",
    operation_id="programme_project_check",
    url_name="programme_project_check",
    response={200: ProjectCheckOut, **ERRORS},
    summary="项目减排实绩与预期 / a completed project's achieved vs expected reduction",
)
def project_check(request: HttpRequest, record_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    p = queries.entry(request_user(request), "project", record_id)
    c = services.check_project(p)  # type: ignore[arg-type]
    return Status(
        200,
        {
            "status": c.status,
            "year_before": c.year_before,
            "year_after": c.year_after,
            "before_tco2": c.before_tco2,
            "after_tco2": c.after_tco2,
            "achieved_tco2": c.achieved_tco2,
            "declared_tco2": c.declared_tco2,
            "converted_tco2": c.converted.tco2.quantize(services.CENT) if c.converted else None,
            "conversion": c.converted.as_dict() if c.converted else None,
            "expected_tco2": c.expected_tco2,
            "ratio_pct": c.ratio_pct,
            "note": c.note,
        },
    )


@router.get(
    "/programmes/{programme_id}/tasks",
    operation_id="programme_tasks",
    url_name="programme_tasks",
    response={200: list[TaskOut], **ERRORS},
    summary="调度任务（按小组、属地、状态筛选）/ tasks, by group, locality and status",
)
def tasks(
    request: HttpRequest,
    programme_id: int = Path(..., ge=1, le=MAX_ID),
    group: str = Query("", max_length=20),
    locality: str = Query("", max_length=6),
    status: str = Query("", max_length=10),
) -> Any:
    user = request_user(request)
    programme = services.visible_programme(user, programme_id)
    on = datetime.date.today()
    rows = queries.tasks(user, programme, group=group, locality=locality, status=status)
    return Status(200, [_task(t, on) for t, _s, _e in rows])


@router.get(
    "/tasks/{task_id}",
    operation_id="programme_task",
    url_name="programme_task",
    response={200: TaskDetailOut, **ERRORS},
    summary="调度任务及其进展报告 / a task and its progress reports",
)
def task(request: HttpRequest, task_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return Status(200, _task_detail(queries.task(request_user(request), task_id)))


def _task_detail(t: Any) -> dict[str, Any]:
    out = _task(t, datetime.date.today())
    out["reports"] = [
        {
            "id": r.pk,
            "progress": r.progress,
            "text": r.text,
            "evidence": r.evidence_name,
            "evidence_sha256": r.evidence_sha256,
            "reported_by": r.reported_by.username if r.reported_by else None,
            "reported_at": r.reported_at,
        }
        for r in t.reports.select_related("reported_by")
    ]
    return out


@router.post(
    "/tasks/{task_id}/progress",
    operation_id="programme_progress",
    url_name="programme_progress",
    response={201: TaskDetailOut, **ERRORS},
    summary="报告进展 / report progress",
    description="The task's group, its locality's staff, the leading and working groups. Evidence files: the page.",
)
def progress(request: HttpRequest, payload: ProgressIn, task_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = request_user(request)
    t = queries.task(user, task_id)
    try:
        services.report_progress(user, t, payload.progress, payload.text)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, _task_detail(queries.task(user, task_id)))


@router.get(
    "/programmes/{programme_id}/board",
    operation_id="programme_board",
    url_name="programme_board",
    response={200: BoardOut, **ERRORS},
    summary="调度看板：按小组、举措、属地 / the dispatch board by group, measure and locality",
)
def board(request: HttpRequest, programme_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = request_user(request)
    programme = services.visible_programme(user, programme_id)
    s = services.dispatch_summary(user, programme)
    return Status(
        200,
        {
            "on": s.on,
            "total": _tally(s.total),
            "by_group": [_tally(t) for t in s.by_group],
            "by_measure": [_tally(t) for t in s.by_measure],
            "by_locality": [_tally(t) for t in s.by_locality],
            "overdue": [_task(t, s.on) for t, _ in s.overdue],
            "at_risk": [_task(t, s.on) for t, _ in s.at_risk],
        },
    )


@router.post(
    "/programmes/{programme_id}/dispatch-check",
    operation_id="programme_dispatch_check",
    url_name="programme_dispatch_check",
    response={200: CheckOut, **ERRORS},
    summary="调度检查：逾期与滞后任务生成预警 / raise alerts for overdue and at-risk tasks",
    description="The leading and working groups. Idempotent: one alert per task and due date.",
)
def dispatch_check(request: HttpRequest, programme_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = request_user(request)
    programme = services.visible_programme(user, programme_id)
    if not scoping.can_coordinate(user, programme):
        raise PermissionDenied
    r = services.check_dispatch(programme, user=user)
    return Status(
        200, {"on": r.on, "overdue": r.overdue, "at_risk": r.at_risk, "created": r.created, "alerts": r.alerts}
    )


@router.get(
    "/programmes/{programme_id}/indicators",
    operation_id="programme_indicators",
    url_name="programme_indicators",
    response={200: list[IndicatorOut], **ERRORS},
    summary="举措指标：年度目标与实绩（附来源）/ the measures' indicators: targets, actuals and their lineage",
)
def indicators(
    request: HttpRequest,
    programme_id: int = Path(..., ge=1, le=MAX_ID),
    year: int | None = Query(None, ge=2000, le=2100, description="default: this year"),
) -> Any:
    user = request_user(request)
    programme = services.visible_programme(user, programme_id)
    lang = queries.lang()
    year = year or datetime.date.today().year
    return Status(
        200,
        [
            {
                "measure": v.indicator.measure.code,
                "code": v.indicator.code,
                "name": v.indicator.name_for(lang),
                "unit": v.indicator.unit,
                "source": v.indicator.source,
                "higher_is_better": v.indicator.higher_is_better,
                "year": v.year,
                "target": v.target,
                "actual": v.actual,
                "met": v.met,
                "lineage": v.lineage_en if lang.startswith("en") else v.lineage,
            }
            for v in services.indicator_values(user, programme, year)
        ],
    )


# --------------------------------------------------------------------------------------------- dual-carbon index


class IndexRunSummaryOut(Schema):
    id: int
    year: int
    method: str
    method_version: str
    file_name: str
    sha256: str
    created_by: str | None
    created_at: datetime.datetime


class IndexIndicatorOut(Schema):
    code: str
    name: str
    unit: str
    higher_is_better: bool
    value: Decimal = Field(..., description="the raw value computed")
    source: str = Field(..., description="upload (the file's row) | accounts (the platform's accounts)")
    row: int | None = Field(..., description="the uploaded file's row (header = row 1); null: from the accounts")
    lineage: str
    normalisation: str
    basis: dict[str, Decimal] = Field(..., description="min/max, mean/sd or floor/target of the normalisation")
    normalised: Decimal = Field(..., description="0–100, higher is better")
    weight: Decimal = Field(..., description="the indicator's share of its dimension")
    contribution: Decimal = Field(..., description="index points: dimension weight × weight × normalised")


class IndexDimensionOut(Schema):
    code: str
    name: str
    score: Decimal
    weight: Decimal = Field(..., description="the dimension's share of the index")
    indicators: list[IndexIndicatorOut]


class IndexAreaOut(Schema):
    area: str = Field(..., description="the county's administrative code")
    name: str
    score: Decimal = Field(..., description="exact; shown rounded to 2 decimals")
    rank: int = Field(..., description="1 = best; equal scores share a rank")
    index_class: str
    class_name: str
    dimensions: list[IndexDimensionOut]


class IndexMoveOut(Schema):
    level: str = Field(..., description="dimension | indicator")
    weight: str
    change: str = Field(..., description="+10% | -10%")
    max_rank_change: int
    moves: dict[str, int] = Field(..., description="county code → new rank − old rank (counties that moved)")


class IndexRunOut(IndexRunSummaryOut):
    method_spec: dict[str, Any]
    areas: list[IndexAreaOut]
    sensitivity: list[IndexMoveOut]
    max_rank_change_by_area: dict[str, int]


def _run_summary(r: Any) -> dict[str, Any]:
    return {
        "id": r.pk,
        "year": r.year,
        "method": r.method,
        "method_version": r.method_version,
        "file_name": r.file_name,
        "sha256": r.sha256,
        "created_by": r.created_by.username if r.created_by else None,
        "created_at": r.created_at,
    }


def _run(r: Any) -> dict[str, Any]:
    v = carbon_index.view(r, queries.lang())
    areas = []
    for a in v.areas:
        dims = []
        for d, raw in zip(a["detail"], a["dimensions"], strict=True):
            dims.append(
                {
                    "code": d["code"],
                    "name": d["name"],
                    "score": Decimal(raw["score"]),
                    "weight": Decimal(raw["weight"]),
                    "indicators": [
                        {
                            "code": i["code"],
                            "name": i["indicator"]["name"],
                            "unit": i["indicator"]["unit"],
                            "higher_is_better": i["indicator"]["higher_is_better"],
                            "value": Decimal(i["value"]),
                            "source": i["source"],
                            "row": r.inputs[a["area"]]["values"][i["code"]]["row"],
                            "lineage": i["lineage"],
                            "normalisation": i["indicator"]["normalisation"],
                            "basis": {k: Decimal(x) for k, x in r.results["basis"].get(i["code"], {}).items()},
                            "normalised": Decimal(i["normalised"]),
                            "weight": Decimal(i["weight"]),
                            "contribution": Decimal(i["contribution"]),
                        }
                        for i in d["rows"]
                    ],
                }
            )
        areas.append(
            {
                "area": a["area"],
                "name": a["name"],
                "score": Decimal(a["score"]),
                "rank": a["rank"],
                "index_class": a["class"],
                "class_name": a["class_name"],
                "dimensions": dims,
            }
        )
    sens = r.sensitivity
    return {
        **_run_summary(r),
        "method_spec": r.method_spec,
        "areas": areas,
        "sensitivity": sens.get("weights", []),
        "max_rank_change_by_area": sens.get("max_rank_change_by_area", {}),
    }


@router.get(
    "/programmes/{programme_id}/index-runs",
    operation_id="programme_index_runs",
    url_name="programme_index_runs",
    response={200: list[IndexRunSummaryOut], **ERRORS},
    summary="双碳指数计算记录 / the dual-carbon index runs",
)
def index_runs(request: HttpRequest, programme_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = request_user(request)
    programme = services.visible_programme(user, programme_id)
    runs = scoping.index_runs(user).filter(programme=programme).select_related("created_by")[:200]
    return Status(200, [_run_summary(r) for r in runs])


@router.post(
    "/programmes/{programme_id}/index-runs",
    operation_id="programme_index_compute",
    url_name="programme_index_compute",
    response={201: IndexRunOut, **ERRORS},
    summary="上传统计表并计算双碳指数 / upload a table and compute the dual-carbon index",
    description="multipart/form-data: `file` (CSV or XLSX: `area` and one column per indicator code; co2_intensity "
    "and co2_growth may be left out: then from the accounts), `year`, `method` (default ccni-structure), `note`. "
    "The leading and working groups. 422: every problem with its row and column; nothing stored.",
)
def index_compute(
    request: HttpRequest,
    programme_id: int = Path(..., ge=1, le=MAX_ID),
    file: UploadedFile = File(...),  # noqa: B008
    year: int = Form(..., ge=1990, le=2100),
    method: str = Form("ccni-structure", max_length=40),
    note: str = Form("", max_length=300),
) -> Any:
    user = request_user(request)
    programme = services.visible_programme(user, programme_id)
    if not scoping.can_coordinate(user, programme):
        raise PermissionDenied
    try:
        run = carbon_index.compute_index(user, programme, year, method, file.name or "", file.read(), note)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, _run(run))


@router.get(
    "/index-runs/{index_run_id}",
    operation_id="programme_index_run",
    url_name="programme_index_run",
    response={200: IndexRunOut, **ERRORS},
    summary="一次双碳指数计算：排名、各指标明细与敏感性 / a run: ranking, every indicator, sensitivity",
)
def index_run(request: HttpRequest, index_run_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = request_user(request)
    r = scoping.index_runs(user).select_related("created_by").filter(pk=index_run_id).first()
    if r is None:
        raise Http404
    return Status(200, _run(r))


# --------------------------------------------------------------------------------------------- group inventory


class InventoryIn(Schema):
    year: int = Field(..., ge=2000, le=2100)
    approach: str = Field(..., description="operational_control | equity_share")
    base_year: int | None = Field(None, ge=2000, le=2100)


class InventoryMemberOut(Schema):
    organisation_id: int
    name: str
    share_pct: Decimal | None = Field(..., description="% included; null when it changed within the year (months)")
    months: list[dict[str, Any]] = Field(..., description="per month: share_pct, own scope1/scope2, contributions")
    own_scope1: Decimal = Field(..., description="tCO2e, the months inside the boundary")
    own_scope2: Decimal
    scope1: Decimal = Field(..., description="tCO2e consolidated")
    scope2: Decimal
    chains: list[str]


class InventoryOut(Schema):
    id: int
    group_id: int
    group: str
    year: int
    approach: str
    base_year: int | None
    complete: bool
    problems: list[str] = Field(..., description="why nothing could be consolidated (then no figures)")
    scope1: Decimal | None = Field(..., description="tCO2e")
    scope2: Decimal | None = Field(..., description="tCO2e, location-based")
    total: Decimal | None
    members: list[InventoryMemberOut]
    outside: list[str] = Field(..., description="held but outside the boundary all year")
    factors: list[dict[str, Any]] = Field(..., description="the factors behind the accounts, with their sources")
    scope2_market: Decimal | None = Field(None, description="tCO2e, market-based (location-based where missing)")
    potential: list[dict[str, Any]] = Field(
        default_factory=list,
        description="per entity: the library measures applicable to its industry (tce and tCO2 a year per unit, "
        "sources)",
    )
    assets: dict[str, Any] = Field(
        default_factory=dict, description="certified (finance), holdings (assets ledger), claimed (accounts)"
    )


def _inventory(inv: Any, full: bool = False) -> dict[str, Any]:
    f = inventory.figures(inv)
    extra: dict[str, Any] = {}
    if full and f.complete:
        extra = {
            "scope2_market": f.scope2_market,
            "potential": inventory._plain(inventory.potential(f)),
            "assets": inventory._plain(inventory.carbon_assets(f)),
        }
    en = queries.lang().startswith("en")
    return {
        "id": inv.pk,
        "group_id": inv.group_id,
        "group": inv.group.name,
        "year": inv.year,
        "approach": inv.approach,
        "base_year": inv.base_year,
        "complete": f.complete,
        "problems": [e if en else z for z, e in f.problems],
        "scope1": f.scope1 if f.complete else None,
        "scope2": f.scope2 if f.complete else None,
        "total": f.total if f.complete else None,
        "members": [
            {
                "organisation_id": m.organisation_id,
                "name": m.name,
                "share_pct": m.share_pct,
                "months": m.months,
                "own_scope1": m.own_scope1,
                "own_scope2": m.own_scope2,
                "scope1": m.scope1,
                "scope2": m.scope2,
                "chains": m.chains,
            }
            for m in f.members
        ],
        "outside": f.outside,
        "factors": f.factors,
        **extra,
    }


@router.get(
    "/groups/{org_id}/inventories",
    operation_id="programme_group_inventories",
    url_name="programme_group_inventories",
    response={200: list[InventoryOut], **ERRORS},
    summary="集团碳盘查 / a group's carbon inventories",
    description="The group's own staff, the government of its region, the admin.",
)
def group_inventories(request: HttpRequest, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = request_user(request)
    group = inventory.visible_group(user, org_id)
    return Status(200, [_inventory(i) for i in scoping.inventories(user).filter(group=group).select_related("group")])


@router.post(
    "/groups/{org_id}/inventories",
    operation_id="programme_inventory_create",
    url_name="programme_inventory_create",
    response={201: InventoryOut, **ERRORS},
    summary="编制碳盘查（年度与合并方法）/ keep an inventory: its year and approach",
    description="The group's own staff and the admin; one per group and year (again: the approach changes).",
)
def inventory_create(request: HttpRequest, payload: InventoryIn, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = request_user(request)
    group = inventory.visible_group(user, org_id)
    if not scoping.can_keep_inventory(user, group):
        raise PermissionDenied
    try:
        inv = inventory.create_inventory(user, group, payload.year, payload.approach, payload.base_year)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, _inventory(inv))


@router.get(
    "/inventories/{inventory_id}",
    operation_id="programme_inventory",
    url_name="programme_inventory",
    response={200: InventoryOut, **ERRORS},
    summary="一次碳盘查：边界、各实体份额、范围一与范围二 / an inventory: boundary, shares, scope 1 and 2",
)
def inventory_detail(request: HttpRequest, inventory_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = request_user(request)
    return Status(200, _inventory(inventory.visible_inventory(user, inventory_id), full=True))


class InventorySnapshotIn(Schema):
    note: str = Field("", max_length=1000)


class InventorySnapshotOut(Schema):
    id: int
    as_of: datetime.date
    note: str
    taken_by: str | None
    taken_at: datetime.datetime
    sha256: str
    verified: bool = Field(..., description="the data still hashes to sha256")
    data: dict[str, Any] = Field(..., description="the figures as frozen (decimals as exact strings)")


def _snapshot(s: Any) -> dict[str, Any]:
    return {
        "id": s.pk,
        "as_of": s.as_of,
        "note": s.note,
        "taken_by": s.taken_by.username if s.taken_by else None,
        "taken_at": s.taken_at,
        "sha256": s.sha256,
        "verified": inventory.verify(s),
        "data": s.data,
    }


@router.get(
    "/inventories/{inventory_id}/snapshots",
    operation_id="programme_inventory_snapshots",
    url_name="programme_inventory_snapshots",
    response={200: list[InventorySnapshotOut], **ERRORS},
    summary="碳盘查快照 / an inventory's frozen snapshots",
)
def inventory_snapshots(request: HttpRequest, inventory_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    inv = inventory.visible_inventory(request_user(request), inventory_id)
    return Status(200, [_snapshot(s) for s in inv.snapshots.select_related("taken_by")])


@router.post(
    "/inventories/{inventory_id}/snapshots",
    operation_id="programme_inventory_snapshot_take",
    url_name="programme_inventory_snapshot_take",
    response={201: InventorySnapshotOut, **ERRORS},
    summary="冻结碳盘查快照 / freeze the inventory as it stands today",
    description="The group's own staff and the admin; never changed afterwards.",
)
def inventory_snapshot_take(
    request: HttpRequest, payload: InventorySnapshotIn, inventory_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    user = request_user(request)
    inv = inventory.visible_inventory(user, inventory_id)
    if not scoping.can_keep_inventory(user, inv.group):
        raise PermissionDenied
    try:
        snap = inventory.take_snapshot(user, inv, payload.note)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, _snapshot(snap))


class EsgIndicatorOut(Schema):
    code: str
    pillar: str = Field(..., description="E | S | G")
    name_zh: str
    name_en: str
    unit: str
    value: str | None
    source: str = Field(..., description="accounts | entered | accounts+entered")
    lineage_zh: str
    lineage_en: str


class EsgOut(Schema):
    template: str
    version: str
    columns: list[str]
    group: dict[str, Any]
    year: int
    approach: str
    base_year: int | None
    indicators: list[EsgIndicatorOut]


class EsgIn(Schema):
    values: dict[str, str | None] = Field(..., description="indicator code → value (empty or null clears it)")


@router.get(
    "/inventories/{inventory_id}/esg",
    operation_id="programme_inventory_esg",
    url_name="programme_inventory_esg",
    response={200: EsgOut, **ERRORS},
    summary="ESG 指标（模板）/ the group's ESG disclosure in the documented template",
)
def inventory_esg(request: HttpRequest, inventory_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return Status(200, esg.as_json(inventory.visible_inventory(request_user(request), inventory_id)))


@router.post(
    "/inventories/{inventory_id}/esg",
    operation_id="programme_inventory_esg_enter",
    url_name="programme_inventory_esg_enter",
    response={200: EsgOut, **ERRORS},
    summary="填报治理、社会指标与减排目标 / enter governance, social indicators and the target",
    description="The group's own staff and the admin; every bad value located on its code, nothing stored then.",
)
def inventory_esg_enter(request: HttpRequest, payload: EsgIn, inventory_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = request_user(request)
    inv = inventory.visible_inventory(user, inventory_id)
    if not scoping.can_keep_inventory(user, inv.group):
        raise PermissionDenied
    try:
        esg.save_entries(user, inv, payload.values)
    except ValidationError as exc:
        return refused(request, exc)
    return Status(200, esg.as_json(inv))

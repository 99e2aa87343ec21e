"""The programme app's logic (docs/programme.md): the five lists and their versions, list snapshots by date, the
measure tree's indicators (from the accounts or from uploaded statistics), dispatch (tasks, progress reports,
overdue and at-risk alerts through monitoring's services), the dispatch summary, and a completed project's
achieved reduction against its expected one.

Every refusal of bad input is a ``ValidationError`` whose messages are ``gettext_lazy`` with ``params`` (the API's
``validation_refusal`` renders them in both languages) and changes nothing.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dualcarbon.accounting import services as accounting
from dualcarbon.engine import savings as engine_savings
from dualcarbon.monitoring import services as monitoring
from dualcarbon.registry.models import Organisation, Region

from . import scoping
from .models import (
    LIST_MODELS,
    EntryVersion,
    Group,
    GroupMembership,
    Indicator,
    IndicatorTarget,
    ListEntry,
    Measure,
    Programme,
    ProgressReport,
    Project,
    StatisticUpload,
    StatisticValue,
    Task,
)

CENT = Decimal("0.01")
#: platform convention (docs/programme.md § Dispatch): a task is at risk when its due date is this near and its
#: progress lags the time elapsed by at least AT_RISK_GAP percentage points
AT_RISK_DAYS = 30
AT_RISK_GAP = 20
#: evidence files of a progress report
EVIDENCE_TYPES = (".pdf", ".jpg", ".jpeg", ".png", ".docx", ".xlsx", ".zip")
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
STAT_COLUMNS = ("indicator", "region", "year", "value")
#: the kinds of monitoring's alerts the dispatch raises (monitoring.models.AlertRule.Kind)
OVERDUE_KIND = "programme_overdue"
AT_RISK_KIND = "programme_at_risk"


def _refuse(field_name: str, message: Any, **params: Any) -> ValidationError:
    return ValidationError({field_name: [ValidationError(message, params=params)]})


def _user_or_none(user: Any) -> Any:
    return user if getattr(user, "is_authenticated", False) else None


# --------------------------------------------------------------------------------------------- entry fields


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(entry: ListEntry) -> dict[str, Any]:
    """The entry's fields as a version records them (money and quantities as decimal strings, references by id,
    the measures a project serves by code)."""
    out: dict[str, Any] = {"id": entry.pk}
    for name in (*ListEntry.COMMON, *entry.FIELDS):
        if name == "measures":
            out[name] = sorted(entry.measures.values_list("code", flat=True))  # type: ignore[attr-defined]
            continue
        f: Any = entry._meta.get_field(name)
        out[name] = _field_json(f, getattr(entry, f.attname if f.is_relation else name))
    return out


def _field_json(f: Any, value: Any) -> Any:
    """A field's value as a version records it (decimals at the field's places: 86000000 → "86000000.00")."""
    if isinstance(f, models.DecimalField) and value is not None:
        return str(Decimal(value).quantize(Decimal(1).scaleb(-f.decimal_places)))
    return _json(value)


def parse_fields(kind: str, programme: Programme, raw: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``raw`` (strings from a form, JSON values from the API) as the model takes them; every
    problem located by field name, all reported at once."""
    model = LIST_MODELS[kind]
    allowed = set(ListEntry.COMMON) | set(model.FIELDS)
    out: dict[str, Any] = {}
    errors: dict[str, list[ValidationError]] = {}

    def bad(name: str, message: Any, **params: Any) -> None:
        errors.setdefault(name, []).append(ValidationError(message, params=params))

    for name, value in raw.items():
        if name not in allowed:
            bad(name, _("未知字段“%(field)s”"), field=name)
            continue
        if name == "measures":
            codes = [c.strip() for c in (value.split(",") if isinstance(value, str) else value or []) if str(c).strip()]
            found = {m.code: m for m in Measure.objects.filter(programme=programme, code__in=codes)}
            missing = [c for c in codes if c not in found]
            if missing:
                bad(name, _("举措“%(codes)s”不在本方案的举措树中"), codes="、".join(missing))
            out[name] = [found[c] for c in codes if c in found]
            continue
        f = model._meta.get_field(name)
        text = "" if value is None else str(value).strip()
        if isinstance(f, models.DecimalField):
            if text == "":
                bad(name, _("请填写金额或数量"))
                continue
            try:
                d = Decimal(text.replace(",", ""))
            except InvalidOperation:
                bad(name, _("“%(value)s”不是数字"), value=text)
                continue
            if not d.is_finite() or d < 0:
                bad(name, _("“%(value)s”不能为负数"), value=text)
                continue
            out[name] = d
        elif isinstance(f, models.DateField):
            if text == "":
                out[name] = None
                continue
            try:
                out[name] = datetime.date.fromisoformat(text)
            except ValueError:
                bad(name, _("“%(value)s”不是日期（YYYY-MM-DD）"), value=text)
        elif isinstance(f, models.PositiveIntegerField):
            try:
                out[name] = int(text)
                if out[name] < 0:
                    raise ValueError
            except ValueError:
                bad(name, _("“%(value)s”不是非负整数"), value=text)
        elif f.is_relation:
            if text == "":
                if not f.null:
                    bad(name, _("请选择"))
                else:
                    out[name] = None
                continue
            target: Any = None
            if f.related_model is Group:
                target = (
                    Group.objects.filter(programme=programme)
                    .filter(models.Q(code=text) | models.Q(pk=int(text) if text.isdigit() else -1))
                    .first()
                )
            elif f.related_model is Region:
                target = Region.objects.filter(code=text).first()
                if target is not None and not text.startswith(programme.region.prefix):
                    bad(name, _("属地“%(value)s”不在本方案的城市范围内"), value=text)
                    continue
            elif f.related_model is Organisation:
                target = (
                    Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE, pk=int(text)).first()
                    if text.isdigit()
                    else Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE, uscc=text).first()
                )
            else:
                rel: Any = f.related_model
                target = (
                    rel.objects.filter(programme=programme)
                    .filter(models.Q(code=text) | models.Q(pk=int(text) if text.isdigit() else -1))
                    .first()
                )
            if target is None:
                bad(name, _("“%(value)s”不存在"), value=text)
            else:
                out[name] = target
        else:
            out[name] = text
    if errors:
        raise ValidationError(errors)
    return out


def _reason(reason: Any) -> str:
    text = str(reason or "").strip()
    if not text:
        raise _refuse("reason", _("请说明变更原因（将记入版本记录）"))
    if len(text) > 300:
        raise _refuse("reason", _("变更原因不能超过 %(n)d 字"), n=300)
    return text


def _record(entry: ListEntry, action: str, user: Any, reason: str, before: dict[str, Any] | None) -> EntryVersion:
    data = snapshot(entry)
    changes = {k: [before.get(k) if before else None, v] for k, v in data.items() if not before or before.get(k) != v}
    changes.pop("id", None)
    return EntryVersion.objects.create(
        programme_id=entry.programme_id,
        kind=entry.KIND,
        entry_id=entry.pk,
        version=entry.version,
        action=action,
        data=data,
        changes=changes,
        reason=reason,
        changed_by=_user_or_none(user),
        changed_at=entry.updated_at,
        group_id_at=entry.group_id,
        locality_at=entry.locality_id,
    )


def _full_clean(entry: ListEntry) -> None:
    entry.full_clean(exclude=["programme", "measures"], validate_unique=True)


@transaction.atomic
def create_entry(
    user: Any, kind: str, programme: Programme, raw: dict[str, Any], reason: Any, at: datetime.datetime | None = None
) -> ListEntry:
    """A new entry of list ``kind`` (its first version records who, when and why). ``at``: when the change was
    made, for records carried over from before the platform (the demo's history); pages and the API record now."""
    if kind not in LIST_MODELS:
        raise _refuse("kind", _("未知清单“%(kind)s”"), kind=kind)
    why = _reason(reason)
    fields = parse_fields(kind, programme, raw)
    group = fields.get("group")
    if group is None or not scoping.can_create_in(user, programme.pk, group.pk):
        raise PermissionDenied(_("只有责任小组成员或领导小组、工作专班可以新增清单条目"))
    measures = fields.pop("measures", None)
    entry = LIST_MODELS[kind](programme=programme, updated_at=at or timezone.now(), version=1, **fields)
    _full_clean(entry)
    entry.save()
    if measures is not None:
        entry.measures.set(measures)  # type: ignore[attr-defined]
    _record(entry, EntryVersion.Action.CREATED, user, why, None)
    return entry


@transaction.atomic
def update_entry(
    user: Any, entry: ListEntry, raw: dict[str, Any], reason: Any, at: datetime.datetime | None = None
) -> ListEntry:
    """Change an entry: a new version with who, when, why and the fields changed (before → after). Refused when
    nothing changes."""
    if not scoping.can_edit_entry(user, entry):
        raise PermissionDenied(_("只有责任小组成员或领导小组、工作专班可以修改清单条目"))
    why = _reason(reason)
    programme = entry.programme
    fields = parse_fields(entry.KIND, programme, raw)
    if "group" in fields and not scoping.can_create_in(user, programme.pk, fields["group"].pk):
        raise PermissionDenied(_("只能把条目移交给本人所在的小组（领导小组、工作专班除外）"))
    locked: Any = type(entry)._default_manager.select_for_update().get(pk=entry.pk)
    before = snapshot(locked)
    measures = fields.pop("measures", None)
    for k, v in fields.items():
        setattr(locked, k, v)
    _full_clean(locked)
    after_codes = sorted(m.code for m in measures) if measures is not None else before.get("measures")
    probe = dict(before)
    for k in list(fields):
        f = locked._meta.get_field(k)
        probe[k] = _field_json(f, getattr(locked, f.attname if f.is_relation else k))
    if "measures" in before:
        probe["measures"] = after_codes
    if probe == before:
        raise _refuse("__all__", _("没有任何变更，未生成新版本"))
    locked.version = (locked.version or 1) + 1
    locked.updated_at = at or timezone.now()
    if locked.updated_at < entry.updated_at:
        raise _refuse("__all__", _("变更时间不能早于上一版本"))
    locked.save()
    if measures is not None:
        locked.measures.set(measures)
    _record(locked, EntryVersion.Action.UPDATED, user, why, before)
    return locked


@transaction.atomic
def retire_entry(user: Any, entry: ListEntry, reason: Any) -> ListEntry:
    """Take an entry off its list (kept, with a version saying who, when and why)."""
    if not scoping.can_edit_entry(user, entry):
        raise PermissionDenied(_("只有责任小组成员或领导小组、工作专班可以修改清单条目"))
    why = _reason(reason)
    locked: Any = type(entry)._default_manager.select_for_update().get(pk=entry.pk)
    if locked.status == ListEntry.Status.RETIRED:
        raise _refuse("status", _("该条目已移出清单"))
    before = snapshot(locked)
    locked.status = ListEntry.Status.RETIRED
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save()
    _record(locked, EntryVersion.Action.RETIRED, user, why, before)
    return locked


def list_on(user: Any, kind: str, programme: Programme, day: datetime.date) -> list[EntryVersion]:
    """The list ``kind`` as it stood at the end of ``day`` (local time): each entry's last version recorded by
    then, entries retired by then left out. Read through the versions only (what was recorded, not what the
    entries are now)."""
    end = timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time()))
    qs = scoping.snapshot_versions(user, kind).filter(programme=programme, changed_at__lt=end)
    # each entry's last version by then, whoever owned it; shown when that version is in the user's scope (an
    # entry handed to another group leaves the first group's list from the day it was handed over)
    recorded = EntryVersion.objects.filter(kind=kind, programme=programme, changed_at__lt=end)
    last = {
        r["entry_id"]: r["v"] for r in recorded.values("entry_id").annotate(v=Max("version")).values("entry_id", "v")
    }
    rows = [
        v
        for v in EntryVersion.objects.filter(kind=kind, entry_id__in=list(last)).select_related("changed_by")
        if last.get(v.entry_id) == v.version
    ]
    # a version in scope by its group/locality then: keep only those the user's scope admitted
    admitted = set(qs.filter(entry_id__in=list(last)).values_list("entry_id", "version"))
    rows = [v for v in rows if (v.entry_id, v.version) in admitted and v.action != EntryVersion.Action.RETIRED]
    return sorted(rows, key=lambda v: str(v.data.get("code", "")))


# --------------------------------------------------------------------------------------------- memberships


@transaction.atomic
def add_member(
    user: Any, group: Group, member: Any, role: str = GroupMembership.Role.MEMBER, department: str = ""
) -> Any:
    """Name a user a member (or the lead) of a group: the coordinating groups and the admin. Enterprise staff are
    refused: the programme is the government's work."""
    if not scoping.can_coordinate(user, group.programme_id):
        raise PermissionDenied(_("只有领导小组、工作专班可以调整小组成员"))
    from dualcarbon.registry import access

    actor = access.actor_for(member)
    if actor.enterprise_ids and not (actor.region_prefixes or actor.is_admin):
        raise _refuse("user", _("企业用户不能加入专班小组"))
    row, _created = GroupMembership.objects.update_or_create(
        group=group, user=member, defaults={"role": role, "department": department, "active": True}
    )
    if hasattr(member, "_dualcarbon_programme_groups"):
        del member._dualcarbon_programme_groups
    return row


# --------------------------------------------------------------------------------------------- dispatch


def task_status(task: Task, on: datetime.date) -> str:
    """done | overdue | at_risk | on_track (docs/programme.md § Dispatch)."""
    if task.progress >= 100:
        return "done"
    if task.due_date < on:
        return "overdue"
    days_left = (task.due_date - on).days
    span = max((task.due_date - task.start_date).days, 1)
    elapsed = min(max((on - task.start_date).days, 0), span)
    expected = Decimal(elapsed * 100) / Decimal(span)
    if days_left <= AT_RISK_DAYS and Decimal(task.progress) < expected - AT_RISK_GAP:
        return "at_risk"
    return "on_track"


def expected_progress(task: Task, on: datetime.date) -> int:
    span = max((task.due_date - task.start_date).days, 1)
    elapsed = min(max((on - task.start_date).days, 0), span)
    return int((Decimal(elapsed * 100) / Decimal(span)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@transaction.atomic
def create_task(user: Any, programme: Programme, **fields: Any) -> Task:
    if not scoping.can_coordinate(user, programme.pk):
        raise PermissionDenied(_("只有领导小组、工作专班可以下达调度任务"))
    task = Task(programme=programme, **fields)
    task.full_clean(exclude=["programme"])
    if not str(task.locality_id).startswith(programme.region.prefix):
        raise _refuse("locality", _("属地“%(value)s”不在本方案的城市范围内"), value=task.locality_id)
    task.save()
    return task


def _parse_progress(value: Any) -> int:
    text = "" if value is None else str(value).strip().rstrip("%")
    try:
        pct = int(Decimal(text))
        if Decimal(text) != pct:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise _refuse("progress", _("进度“%(value)s”须为 0–100 的整数"), value=value) from None
    if not 0 <= pct <= 100:
        raise _refuse("progress", _("进度“%(value)s”须为 0–100 的整数"), value=value)
    return pct


@transaction.atomic
def report_progress(user: Any, task: Task, progress: Any, text: Any, evidence: Any = None) -> ProgressReport:
    """An owner's progress report: %, what was done, optionally an evidence file (pdf, image, docx, xlsx, zip ≤
    10 MB). The task takes the reported progress; at 100 % it is done (its completion date: today)."""
    if not scoping.can_report(user, task):
        raise PermissionDenied(_("只有责任小组成员、属地或领导小组、工作专班可以报告进展"))
    pct = _parse_progress(progress)
    words = str(text or "").strip()
    if not words:
        raise _refuse("text", _("请填写进展情况"))
    report = ProgressReport(task=task, progress=pct, text=words, reported_by=_user_or_none(user))
    if evidence is not None:
        name = str(getattr(evidence, "name", "") or "")
        if not name.lower().endswith(EVIDENCE_TYPES):
            raise _refuse(
                "evidence",
                _("佐证材料“%(name)s”的类型不受支持（可用：%(types)s）"),
                name=name,
                types=" ".join(EVIDENCE_TYPES),
            )
        if (getattr(evidence, "size", 0) or 0) > EVIDENCE_MAX_BYTES:
            raise _refuse("evidence", _("佐证材料“%(name)s”超过 10 MB"), name=name)
        digest = hashlib.sha256()
        for chunk in evidence.chunks():
            digest.update(chunk)
        evidence.seek(0)
        report.evidence_name, report.evidence_sha256 = name[:200], digest.hexdigest()
        report.evidence.save(name, evidence, save=False)
    report.save()
    locked = Task.objects.select_for_update().get(pk=task.pk)
    locked.progress = pct
    locked.completed_on = timezone.localdate() if pct == 100 else None
    locked.save(update_fields=["progress", "completed_on"])
    return report


def _group_people(group_ids: Iterable[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    for m in GroupMembership.objects.filter(group_id__in=list(group_ids), active=True).select_related("user"):
        out[m.group_id].append(m.user)
    return out


@dataclass
class DispatchCheck:
    on: datetime.date
    overdue: int = 0
    at_risk: int = 0
    created: int = 0
    alerts: list[int] = field(default_factory=list)


def check_dispatch(programme: Programme, on: datetime.date | None = None, user: Any = None) -> DispatchCheck:
    """Raise an alert (monitoring's, through its services) for every overdue and every at-risk task of the
    programme: one per task and due date whatever how often this runs (``dualcarbon programme_dispatch``, the
    board's button). The task's group members are notified; a high-severity (overdue) alert also reaches the
    locality's government, as monitoring's own alerts do."""
    if user is not None and not scoping.can_coordinate(user, programme.pk):
        raise PermissionDenied(_("只有领导小组、工作专班可以运行调度检查"))
    on = on or timezone.localdate()
    result = DispatchCheck(on)
    tasks = list(
        Task.objects.filter(programme=programme, progress__lt=100).select_related("group", "locality", "measure")
    )
    people = _group_people({t.group_id for t in tasks})
    with transaction.atomic():
        for t in tasks:
            status = task_status(t, on)
            if status not in ("overdue", "at_risk"):
                continue
            days = (on - t.due_date).days
            evidence = {
                "task": t.pk,
                "code": t.code,
                "group": t.group.name_zh,
                "locality": t.locality_id,
                "due_date": t.due_date.isoformat(),
                "progress": t.progress,
                "expected": expected_progress(t, on),
                "checked_on": on.isoformat(),
            }
            if status == "overdue":
                result.overdue += 1
                kind = OVERDUE_KIND
                zh = f"调度任务 {t.code}「{t.title_zh}」已逾期 {days} 天（时限 {t.due_date}，进度 {t.progress}%，{t.group.name_zh}，{t.locality.name}）"  # noqa: E501
                en = f"Programme task {t.code} '{t.title_for('en')}' is {days} days overdue (due {t.due_date}, {t.progress}% done, {t.group.name_for('en')}, {t.locality.name})"  # noqa: E501
            else:
                result.at_risk += 1
                kind = AT_RISK_KIND
                zh = f"调度任务 {t.code}「{t.title_zh}」进度滞后：{t.progress}%，按时间应达 {evidence['expected']}%（时限 {t.due_date}，{t.group.name_zh}）"  # noqa: E501
                en = f"Programme task {t.code} '{t.title_for('en')}' is behind: {t.progress}% done, {evidence['expected']}% expected by now (due {t.due_date}, {t.group.name_for('en')})"  # noqa: E501
            alert, created = monitoring.raise_alert(
                kind,
                subject=f"task:{t.pk}:{t.due_date.isoformat()}",
                region_code=t.locality_id,
                period=t.due_date.strftime("%Y-%m"),
                message_zh=zh,
                message_en=en,
                evidence=evidence,
                recipients=people.get(t.group_id, []),
            )
            if created:
                result.created += 1
                result.alerts.append(alert.pk)
    return result


# --------------------------------------------------------------------------------------------- summary


@dataclass
class Tally:
    key: str
    label: str
    label_en: str = ""
    tasks: int = 0
    done: int = 0
    overdue: int = 0
    at_risk: int = 0
    progress_sum: int = 0
    projects: int = 0
    investment: Decimal = Decimal("0.00")
    expected_tco2: Decimal = Decimal("0.00")

    @property
    def mean_progress(self) -> Decimal | None:
        if not self.tasks:
            return None
        return (Decimal(self.progress_sum) / Decimal(self.tasks)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    def name(self, lang: str) -> str:
        return self.label_en if lang.startswith("en") and self.label_en else self.label

    def add_task(self, status: str, progress: int) -> None:
        self.tasks += 1
        self.progress_sum += progress
        if status == "done":
            self.done += 1
        elif status == "overdue":
            self.overdue += 1
        elif status == "at_risk":
            self.at_risk += 1


@dataclass
class Summary:
    programme: Programme
    on: datetime.date
    by_group: list[Tally]
    by_measure: list[Tally]
    by_locality: list[Tally]
    total: Tally
    overdue: list[tuple[Task, str]]
    at_risk: list[tuple[Task, str]]


def _root(measure: Measure | None, parents: dict[int, Measure]) -> Measure | None:
    seen = 0
    while measure is not None and measure.parent_id is not None and seen < 20:
        measure = parents.get(measure.parent_id)
        seen += 1
    return measure


def dispatch_summary(user: Any, programme: Programme, on: datetime.date | None = None) -> Summary:
    """The dispatch figures the user may see, by group, by top-level measure and by locality (a fixed number of
    queries): tasks, done, overdue, at risk, mean progress; projects, investment and expected tCO2 a year."""
    on = on or timezone.localdate()
    measures = {m.pk: m for m in Measure.objects.filter(programme=programme)}
    groups: dict[str, Tally] = {
        str(g.pk): Tally(str(g.pk), g.name_zh, g.name_en) for g in Group.objects.filter(programme=programme)
    }
    by_measure: dict[str, Tally] = {
        str(m.pk): Tally(m.code, f"{m.code} {m.name_zh}", f"{m.code} {m.name_en}")
        for m in measures.values()
        if m.parent_id is None
    }
    by_measure["-"] = Tally("-", "（未归入举措）", "(no measure)")
    localities: dict[str, Tally] = {}
    total = Tally("all", "合计", "Total")
    overdue, at_risk = [], []
    tasks = scoping.tasks(user).filter(programme=programme).select_related("group", "locality", "measure")
    for t in tasks:
        status = task_status(t, on)
        root = _root(measures.get(t.measure_id) if t.measure_id else None, measures)
        loc = localities.setdefault(t.locality_id, Tally(t.locality_id, t.locality.name, t.locality.name))
        for tally in (groups[str(t.group_id)], by_measure[str(root.pk) if root else "-"], loc, total):
            tally.add_task(status, t.progress)
        if status == "overdue":
            overdue.append((t, status))
        elif status == "at_risk":
            at_risk.append((t, status))
    projects = (
        scoping.entries(user, "project")
        .filter(programme=programme, status=ListEntry.Status.ACTIVE)
        .select_related("locality")
        .prefetch_related("measures")
    )
    for p in projects:
        loc = localities.setdefault(p.locality_id, Tally(p.locality_id, p.locality.name, p.locality.name))
        roots: set[Any] = {r.pk for r in (_root(m, measures) for m in p.measures.all()) if r is not None} or {"-"}
        targets = [groups[str(p.group_id)], loc, total] + [by_measure[str(r)] for r in roots]
        for tally in targets:
            tally.projects += 1
            tally.investment += p.investment
            tally.expected_tco2 += p.expected_tco2
    used_groups = [g for g in groups.values() if g.tasks or g.projects]
    return Summary(
        programme,
        on,
        used_groups,
        [m for m in by_measure.values() if m.tasks or m.projects],
        sorted(localities.values(), key=lambda x: x.key),
        total,
        sorted(overdue, key=lambda x: x[0].due_date),
        sorted(at_risk, key=lambda x: x[0].due_date),
    )


# --------------------------------------------------------------------------------------------- indicators


@dataclass
class IndicatorValue:
    indicator: Indicator
    year: int
    target: Decimal | None
    actual: Decimal | None
    #: how the actual was made, in words (the accounts' sum, or the upload's file, row, who and when)
    lineage: str
    lineage_en: str
    statistic: StatisticValue | None = None

    @property
    def met(self) -> bool | None:
        if self.target is None or self.actual is None:
            return None
        ok = self.actual >= self.target if self.indicator.higher_is_better else self.actual <= self.target
        return bool(ok)


def _account_figures(prefix: str, year: int) -> dict[str, Any]:
    total = energy = va = va_total = Decimal(0)
    months: set[tuple[int, int]] = set()
    n = 0
    for row in accounting.current_entries(prefix, [year]):
        if row["month"] == 0:
            continue
        n += 1
        months.add((row["enterprise_id"], row["month"]))
        t = Decimal(str(row["total_tco2e"] or 0))
        total += t
        energy += Decimal(str(row["energy_tce"] or 0))
        v = Decimal(str(row["value_added"] or 0))
        if v > 0:
            va += v
            va_total += t
    return {"total": total, "energy": energy, "va": va, "va_total": va_total, "n": n}


def indicator_values(user: Any, programme: Programme, year: int) -> list[IndicatorValue]:
    """Each indicator of the programme with its target for ``year`` and its actual: from the city's current
    accounts (Σ of the monthly entries) where the indicator has an account metric, from the last uploaded
    statistic for the city otherwise — each with its lineage."""
    indicators = list(
        scoping.indicators(user)
        .filter(measure__programme=programme)
        .select_related("measure")
        .order_by("measure__order", "code")
    )
    targets = {t.indicator_id: t.value for t in IndicatorTarget.objects.filter(indicator__in=indicators, year=year)}
    stats: dict[int, StatisticValue] = {}
    for s in (
        scoping.statistic_values(user)
        .filter(indicator__in=indicators, year=year, region_id=programme.region_id)
        .select_related("upload__uploaded_by")
        .order_by("pk")
    ):
        stats[s.indicator_id] = s  # the last upload wins
    accounts: dict[str, Any] | None = None
    out = []
    for ind in indicators:
        actual: Decimal | None = None
        lineage = lineage_en = ""
        stat = None
        if ind.source == Indicator.Source.ACCOUNTS:
            if accounts is None:
                accounts = _account_figures(programme.region.prefix, year)
            if accounts["n"]:
                if ind.metric == Indicator.Metric.TOTAL:
                    actual = accounts["total"].quantize(CENT)
                elif ind.metric == Indicator.Metric.ENERGY:
                    actual = accounts["energy"].quantize(CENT)
                elif ind.metric == Indicator.Metric.INTENSITY and accounts["va"] > 0:
                    actual = (accounts["va_total"] / accounts["va"]).quantize(Decimal("0.0001"), ROUND_HALF_UP)
                lineage = (
                    f"平台碳账户：{programme.region.name} {year} 年 {accounts['n']} 个企业月度账户的合计（当前版本）"
                )
                lineage_en = f"platform accounts: Σ of {accounts['n']} current enterprise-month accounts, {year}"
            else:
                lineage, lineage_en = "平台尚无该年度账户", "no accounts for the year yet"
        else:
            stat = stats.get(ind.pk)
            if stat is not None:
                actual = stat.value
                who = getattr(stat.upload.uploaded_by, "username", "") if stat.upload.uploaded_by else ""
                when = timezone.localtime(stat.upload.uploaded_at).strftime("%Y-%m-%d %H:%M")
                lineage = f"上传统计：{stat.upload.file_name} 第 {stat.row} 行（{who}，{when}）{stat.source}"
                lineage_en = (
                    f"uploaded statistics: {stat.upload.file_name} row {stat.row} ({who}, {when}) {stat.source}"
                )
            else:
                lineage, lineage_en = "尚未上传", "not uploaded yet"
        out.append(IndicatorValue(ind, year, targets.get(ind.pk), actual, lineage, lineage_en, stat))
    return out


def _read_table(name: str, content: bytes) -> list[list[str]]:
    if name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken file
            raise _refuse(
                "file", _("无法读取 Excel 文件“%(name)s”：%(error)s"), name=name, error=str(exc)[:200]
            ) from exc
        ws = wb.worksheets[0]
        return [["" if c is None else str(c).strip() for c in row] for row in ws.iter_rows(values_only=True)]
    if name.lower().endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = content.decode("gb18030")
            except UnicodeDecodeError:
                raise _refuse("file", _("文件“%(name)s”不是 UTF-8 或 GB18030 编码的 CSV"), name=name) from None
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    raise _refuse("file", _("文件“%(name)s”须为 .csv 或 .xlsx"), name=name)


@transaction.atomic
def upload_statistics(user: Any, programme: Programme, name: str, content: bytes, note: str = "") -> StatisticUpload:
    """Statistics for the indicators the accounts do not give (e.g. 一协: good-air days share, PM2.5, water
    sections at class I–II): a CSV or XLSX with columns indicator, region, year, value (source optional), one
    figure a row. All or nothing: every problem is reported with its row and column and nothing is stored."""
    if not scoping.can_coordinate(user, programme.pk):
        raise PermissionDenied(_("只有领导小组、工作专班可以上传统计数据"))
    rows = [r for r in _read_table(name, content) if any(c for c in r)]
    if not rows:
        raise _refuse("file", _("文件“%(name)s”是空的"), name=name)
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in STAT_COLUMNS if c not in header]
    if missing:
        raise _refuse("file", _("第 1 行（表头）缺少列：%(cols)s"), cols=", ".join(missing))
    col = {c: header.index(c) for c in (*STAT_COLUMNS, "source") if c in header}
    indicators = {
        i.code: i for i in Indicator.objects.filter(measure__programme=programme, source=Indicator.Source.STATISTICS)
    }
    regions = set(Region.objects.filter(code__startswith=programme.region.prefix).values_list("code", flat=True))
    errors: list[ValidationError] = []
    parsed: list[tuple[Any, ...]] = []
    seen: dict[tuple[str, str, int], int] = {}

    def err(row: int, column: str, message: Any, **params: Any) -> None:
        errors.append(ValidationError(message, params={"row": row, "column": column, **params}))

    for n, r in enumerate(rows[1:], start=2):
        cell = {c: (r[i] if i < len(r) else "") for c, i in col.items()}
        ind = indicators.get(cell["indicator"])
        if ind is None:
            err(
                n,
                "indicator",
                _("第 %(row)d 行 %(column)s 列：“%(value)s”不是本方案中需上传的指标"),
                value=cell["indicator"],
            )
        if cell["region"] not in regions:
            err(n, "region", _("第 %(row)d 行 %(column)s 列：“%(value)s”不是本市的行政区划代码"), value=cell["region"])
        year = None
        try:
            year = int(cell["year"])
            if not programme.start_year - 10 <= year <= programme.end_year:
                raise ValueError
        except ValueError:
            err(n, "year", _("第 %(row)d 行 %(column)s 列：“%(value)s”不是方案期内的年份"), value=cell["year"])
        value = None
        try:
            value = Decimal(cell["value"].replace(",", ""))
            if not value.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            err(n, "value", _("第 %(row)d 行 %(column)s 列：“%(value)s”不是数字"), value=cell["value"])
        if ind is not None and value is not None and ind.unit.strip() == "%" and not Decimal(0) <= value <= 100:
            err(n, "value", _("第 %(row)d 行 %(column)s 列：比例“%(value)s”须在 0–100 之间"), value=cell["value"])
        if ind is not None and year is not None:
            key = (ind.code, cell["region"], year)
            if key in seen:
                err(n, "indicator", _("第 %(row)d 行 %(column)s 列：与第 %(first)d 行重复"), first=seen[key])
            seen[key] = n
        parsed.append((n, ind, cell["region"], year, value, cell.get("source", "")))
    if errors:
        raise ValidationError({"file": errors})
    upload = StatisticUpload.objects.create(
        programme=programme,
        file_name=name[:200],
        sha256=hashlib.sha256(content).hexdigest(),
        rows=len(parsed),
        uploaded_by=_user_or_none(user),
        note=note[:300],
    )
    StatisticValue.objects.bulk_create(
        [
            StatisticValue(indicator=i, region_id=reg, year=y, value=v, upload=upload, row=n, source=src[:300])
            for n, i, reg, y, v, src in parsed
        ]
    )
    return upload


# --------------------------------------------------------------------------------------------- project check


@dataclass
class ProjectCheck:
    project: Project
    status: str  # checked | not_completed | no_owner | no_accounts
    year_before: int | None = None
    year_after: int | None = None
    before_tco2: Decimal | None = None
    after_tco2: Decimal | None = None
    months_before: int = 0
    months_after: int = 0
    achieved_tco2: Decimal | None = None
    declared_tco2: Decimal | None = None
    converted: engine_savings.Savings | None = None
    note: str = ""

    @property
    def expected_tco2(self) -> Decimal | None:
        if self.declared_tco2:
            return self.declared_tco2
        return self.converted.tco2.quantize(CENT) if self.converted is not None else None

    @property
    def ratio_pct(self) -> Decimal | None:
        exp = self.expected_tco2
        if self.achieved_tco2 is None or not exp:
            return None
        return (self.achieved_tco2 / exp * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def check_project(project: Project) -> ProjectCheck:
    """A completed project's expected reduction against its owner's account: the owner's emissions in the full
    year before completion minus those in the full year after (both through accounting's services), beside the
    expected tCO2 a year — the declared figure, and the expected tce saved converted by
    :func:`dualcarbon.engine.savings.convert` (the platform's default conversion, its derivation kept). The
    difference is gross: it also moves with output (docs/programme.md § Achieved vs expected)."""
    out = ProjectCheck(project, "checked", declared_tco2=project.expected_tco2 or None)
    if project.expected_tce:
        region = project.owner.region_id if project.owner_id and project.owner else project.locality_id
        year = project.completion_date.year if project.completion_date else None
        out.converted = engine_savings.convert(project.expected_tce, "tce", region=region, year=year)
    if project.stage not in (Project.Stage.COMPLETED, Project.Stage.OPERATING) or not project.completion_date:
        out.status = "not_completed"
        return out
    if project.owner_id is None:
        out.status = "no_owner"
        return out
    y0, y1 = project.completion_date.year - 1, project.completion_date.year + 1
    out.year_before, out.year_after = y0, y1
    sums = {y0: Decimal(0), y1: Decimal(0)}
    months = {y0: 0, y1: 0}
    for row in accounting.current_entries("", [y0, y1], enterprise_ids=[project.owner_id]):
        if row["month"] == 0:
            continue
        sums[row["year"]] += Decimal(str(row["total_tco2e"] or 0))
        months[row["year"]] += 1
    out.months_before, out.months_after = months[y0], months[y1]
    if months[y0] < 12 or months[y1] < 12:
        out.status = "no_accounts"
        out.note = f"{y0}: {months[y0]}/12, {y1}: {months[y1]}/12"
        return out
    out.before_tco2, out.after_tco2 = sums[y0].quantize(CENT), sums[y1].quantize(CENT)
    out.achieved_tco2 = out.before_tco2 - out.after_tco2
    return out


def visible_programme(user: Any, programme_id: int) -> Programme:
    from django.http import Http404

    p = scoping.programmes(user).select_related("region").filter(pk=programme_id).first()
    if p is None or not scoping.sees_programme(user):
        raise Http404
    return p


def default_programme(user: Any) -> Programme | None:
    return (
        scoping.programmes(user).select_related("region").order_by("pk").first()
        if scoping.sees_programme(user)
        else None
    )

"""The programme's structure kept from its pages (docs/programme.md § Forms): the groups, the measure tree's nodes and
the dispatch tasks, created and changed by the coordinating groups (the leading and working groups) and the admin.

Each writer takes what a form posts (strings; other programme records referred to by their code, localities by
their region code) and either saves the record or raises one ``ValidationError`` whose messages are located on the
fields, in the user's language — then nothing is written.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from dualcarbon.registry.models import Region

from . import scoping
from .models import Group, Measure, Programme, Project, Task

GROUP_FIELDS = ("code", "kind", "name_zh", "name_en", "lead_department", "member_departments", "localities", "order")
MEASURE_FIELDS = ("code", "name_zh", "name_en", "parent", "group", "order")
TASK_FIELDS = (
    "code",
    "kind",
    "title_zh",
    "title_en",
    "group",
    "locality",
    "measure",
    "project",
    "year",
    "start_date",
    "due_date",
)


def _require(user: Any, programme: Programme) -> None:
    if not scoping.can_coordinate(user, programme):
        raise PermissionDenied(_("只有领导小组、工作专班可以调整方案结构"))


def _text(raw: dict[str, Any], name: str) -> str:
    return str(raw.get(name) or "").strip()


def _add(errors: dict[str, list[Any]], name: str, message: Any, **params: Any) -> None:
    errors.setdefault(name, []).append(ValidationError(message, params=params))


def _int(raw: dict[str, Any], name: str, errors: dict[str, list[Any]], default: int | None = None) -> int | None:
    text = _text(raw, name)
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        _add(errors, name, _("“%(value)s”不是整数"), value=text)
        return default


def _date(raw: dict[str, Any], name: str, errors: dict[str, list[Any]]) -> datetime.date | None:
    text = _text(raw, name)
    if not text:
        _add(errors, name, _("请填写日期（YYYY-MM-DD）"))
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        _add(errors, name, _("日期“%(value)s”不是 YYYY-MM-DD"), value=text)
        return None


def _by_code(model: Any, programme: Programme, raw: dict[str, Any], name: str, errors: dict[str, list[Any]]) -> Any:
    code = _text(raw, name)
    if not code:
        return None
    row = model.objects.filter(programme=programme, code=code).first()
    if row is None:
        _add(errors, name, _("本方案没有编号为“%(value)s”的记录"), value=code)
    return row


def _locality(programme: Programme, code: str, name: str, errors: dict[str, list[Any]]) -> Region | None:
    region = Region.objects.filter(code=code).first()
    if region is None or not code.startswith(programme.region.prefix):
        _add(errors, name, _("属地“%(value)s”不在本方案的城市范围内"), value=code)
        return None
    return region


def _finish(obj: Any, errors: dict[str, list[Any]], exclude: list[str] | None = None) -> None:
    """Model validation (fields, clean(), the unique constraints) merged with the errors found so far."""
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        for k, msgs in exc.error_dict.items():
            for m in msgs:
                # a repeated code breaks the (programme, code) unique constraint: said on the code
                name = "code" if k == NON_FIELD_ERRORS and m.code == "unique_together" else k
                if name == "code" and m.code == "unique_together":
                    m = ValidationError(_("编号“%(value)s”在本方案中已被使用"), params={"value": obj.code})
                errors.setdefault(name, []).append(m)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_group(user: Any, programme: Programme, raw: dict[str, Any], group: Group | None = None) -> Group:
    """Create a group or change ``group``: code, kind, names, lead department, member departments (one per line),
    localities (region codes of the city, separated by commas or spaces), order."""
    _require(user, programme)
    errors: dict[str, list[Any]] = {}
    g = group or Group(programme=programme)
    g.code = _text(raw, "code")
    g.kind = _text(raw, "kind")
    g.name_zh = _text(raw, "name_zh")
    g.name_en = _text(raw, "name_en")
    g.lead_department = _text(raw, "lead_department")
    g.member_departments = "\n".join(d.strip() for d in str(raw.get("member_departments") or "").splitlines())
    g.order = _int(raw, "order", errors, 0) or 0
    localities = []
    for code in _text(raw, "localities").replace(",", " ").replace("，", " ").split():
        region = _locality(programme, code, "localities", errors)
        if region is not None:
            localities.append(region)
    _finish(g, errors)
    g.save()
    g.localities.set(localities)
    return g


@transaction.atomic
def save_measure(user: Any, programme: Programme, raw: dict[str, Any], measure: Measure | None = None) -> Measure:
    """Create a node of the measure tree or change ``measure``: code, names, parent (a measure's code), owning group
    (a group's code), order. A node cannot be its own ancestor."""
    _require(user, programme)
    errors: dict[str, list[Any]] = {}
    m = measure or Measure(programme=programme)
    m.code = _text(raw, "code")
    m.name_zh = _text(raw, "name_zh")
    m.name_en = _text(raw, "name_en")
    m.order = _int(raw, "order", errors, 0) or 0
    m.parent = _by_code(Measure, programme, raw, "parent", errors)
    m.group = _by_code(Group, programme, raw, "group", errors)
    node = m.parent
    seen = 0
    while node is not None and seen < 50:
        if m.pk is not None and node.pk == m.pk:
            _add(errors, "parent", _("上级举措不能是本举措或其下级"))
            break
        node, seen = node.parent, seen + 1
    _finish(m, errors)
    m.save()
    return m


@transaction.atomic
def save_task(user: Any, programme: Programme, raw: dict[str, Any], task: Task | None = None) -> Task:
    """Create a task or change ``task`` (not its progress, which its owners report): code, kind, titles, group and
    measure and project (codes), locality (region code), year, start and due dates."""
    _require(user, programme)
    errors: dict[str, list[Any]] = {}
    t = task or Task(programme=programme)
    t.code = _text(raw, "code")
    t.kind = _text(raw, "kind") or Task.Kind.TASK
    t.title_zh = _text(raw, "title_zh")
    t.title_en = _text(raw, "title_en")
    group = _by_code(Group, programme, raw, "group", errors)
    if group is None and not _text(raw, "group"):
        _add(errors, "group", _("请选择责任小组"))
    if group is not None:
        t.group = group
    code = _text(raw, "locality")
    if not code:
        _add(errors, "locality", _("请填写属地（行政区划代码）"))
    else:
        region = _locality(programme, code, "locality", errors)
        if region is not None:
            t.locality = region
    t.measure = _by_code(Measure, programme, raw, "measure", errors)
    t.project = _by_code(Project, programme, raw, "project", errors)
    year = _int(raw, "year", errors)
    if year is None and "year" not in errors:
        _add(errors, "year", _("请填写年度"))
    elif year is not None and not programme.start_year <= year <= programme.end_year:
        _add(
            errors,
            "year",
            _("年度 %(value)s 不在方案的 %(a)s–%(b)s 年内"),
            value=year,
            a=programme.start_year,
            b=programme.end_year,
        )
    if year is not None:
        t.year = year
    start, due = _date(raw, "start_date", errors), _date(raw, "due_date", errors)
    if start is not None:
        t.start_date = start
    if due is not None:
        t.due_date = due
    exclude: list[str] = [n for n in ("group", "locality", "year", "start_date", "due_date") if n in errors]
    _finish(t, errors, exclude=exclude)
    t.save()
    return t


def form_values(obj: Any, fields: tuple[str, ...]) -> dict[str, str]:
    """A record's fields as its form shows them (other records by their code)."""
    out: dict[str, str] = {}
    for name in fields:
        if name == "localities":
            out[name] = " ".join(obj.localities.order_by("code").values_list("code", flat=True)) if obj.pk else ""
            continue
        value = getattr(obj, name, None)
        if name in ("parent", "group", "measure", "project"):
            out[name] = value.code if value is not None else ""
        elif name == "locality":
            out[name] = obj.locality_id or ""
        elif isinstance(value, datetime.date):
            out[name] = value.isoformat()
        else:
            out[name] = "" if value is None else str(value)
    return out

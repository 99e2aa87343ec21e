"""Read models behind the programme's pages and API (every queryset starts from :mod:`.scoping`)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.http import Http404
from django.utils.translation import get_language

from . import scoping, services
from .models import LIST_MODELS, EntryVersion, ListEntry, Programme, Task


def lang() -> str:
    return get_language() or "zh-hans"


def entry(user: Any, kind: str, record_id: int) -> ListEntry:
    if kind not in LIST_MODELS or not scoping.sees_programme(user):
        raise Http404
    row = scoping.entries(user, kind).select_related("programme__region", "group", "locality").filter(pk=record_id)
    found = row.first()
    if found is None:
        raise Http404
    return found


def task(user: Any, task_id: int) -> Task:
    if not scoping.sees_programme(user):
        raise Http404
    found = (
        scoping.tasks(user)
        .select_related("programme__region", "group", "locality", "measure", "project")
        .filter(pk=task_id)
        .first()
    )
    if found is None:
        raise Http404
    return found


def history(entry: ListEntry) -> list[EntryVersion]:
    return list(
        EntryVersion.objects.filter(kind=entry.KIND, entry_id=entry.pk)
        .select_related("changed_by")
        .order_by("-version")
    )


@dataclass
class ListPage:
    programme: Programme
    kind: str
    on: datetime.date | None
    #: current entries (no date) or the versions as they stood on the date
    entries: list[Any]
    versions: list[EntryVersion]


def list_page(user: Any, programme: Programme, kind: str, on: datetime.date | None) -> ListPage:
    if kind not in LIST_MODELS:
        raise Http404
    if on is not None:
        return ListPage(programme, kind, on, [], services.list_on(user, kind, programme, on))
    qs = scoping.entries(user, kind).filter(programme=programme).select_related("group", "locality")
    if kind == "project":
        qs = qs.select_related("owner", "fund_pool", "policy_entry").prefetch_related("measures")
    return ListPage(programme, kind, None, list(qs.order_by("status", "code")), [])


def tasks(user: Any, programme: Programme, *, group: str = "", locality: str = "", status: str = "") -> list[Any]:
    on = datetime.date.today()
    qs = scoping.tasks(user).filter(programme=programme).select_related("group", "locality", "measure", "project")
    if group.isdigit():
        qs = qs.filter(group_id=int(group))
    if locality:
        qs = qs.filter(locality_id=locality)
    rows = [(t, services.task_status(t, on), services.expected_progress(t, on)) for t in qs]
    if status:
        rows = [r for r in rows if r[1] == status]
    return rows

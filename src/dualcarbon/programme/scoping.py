"""Scoping of the programme app, built from the access predicates (:mod:`dualcarbon.registry.access`) and the
programme's own group memberships (:class:`~.models.GroupMembership`) — docs/programme.md § Who sees what.

* **the leading group and the working group** (领导小组, 工作专班) see and coordinate their whole programme;
* **a special group's members** see the entries and tasks their group owns;
* **a locality's staff** (county-level government staff: their jurisdiction is one county, the locality) see the
  entries and tasks of their locality; city departments see what their groups own (the city's development and
  reform commission, which usually leads the working group, through that membership);
* the platform admin sees everything; **enterprises, banks and verifiers** see nothing unless named a member of a
  group (enterprise staff never: the programme is the government's work) — out of scope looks like missing (404).

The dual-carbon index runs are read like their programme and computed by the coordinating groups and the admin.
A group's carbon inventories (碳盘查) are read by the group's own staff, the government of the group's region and
the admin, and kept (created, their approach chosen) by the group's staff and the admin — not by the
subsidiaries' staff (the inventory shows every member's figures), banks or verifiers.

Writes: list entries are changed by their group's members, the coordinating groups and the admin; a task's
progress is reported by its group's members, its locality's staff, the coordinating groups and the admin;
structure (groups, measures, new entries and tasks, statistics, the dispatch check) by the coordinating groups
and the admin.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q, QuerySet

from dualcarbon.registry import access
from dualcarbon.registry.models import Organisation

from .models import (
    LIST_MODELS,
    EntryVersion,
    Group,
    GroupInventory,
    GroupMembership,
    IndexRun,
    Indicator,
    ListEntry,
    Measure,
    Programme,
    ProgressReport,
    StatisticUpload,
    StatisticValue,
    Task,
)


def _memberships(user: Any) -> list[GroupMembership]:
    actor = access.actor_for(user)
    if actor.user_id is None:
        return []
    cached = getattr(user, "_dualcarbon_programme_groups", None)
    if cached is None:
        if actor.enterprise_ids and not (actor.is_admin or actor.region_prefixes):
            cached = []  # enterprise staff see nothing of the programme, whatever they were named
        else:
            cached = list(GroupMembership.objects.filter(user_id=actor.user_id, active=True).select_related("group"))
        user._dualcarbon_programme_groups = cached
    return cached


def coordinated_programmes(user: Any) -> set[int]:
    """Programmes whose leading or working group the user belongs to."""
    return {m.group.programme_id for m in _memberships(user) if m.group.sees_all}


def member_groups(user: Any) -> set[int]:
    return {m.group_id for m in _memberships(user)}


def lead_groups(user: Any) -> set[int]:
    return {m.group_id for m in _memberships(user) if m.role == GroupMembership.Role.LEAD}


def is_admin(user: Any) -> bool:
    return access.actor_for(user).is_admin


def _owned_q(user: Any, prefix: str = "") -> Q:
    """Rows (entries, tasks; ``prefix`` the path to them) the user may read."""
    actor = access.actor_for(user)
    if actor.user_id is None:
        return Q(pk__in=[])
    if actor.is_admin:
        return Q()
    q = Q(pk__in=[])
    coordinated = coordinated_programmes(user)
    if coordinated:
        q |= Q(**{f"{prefix}programme_id__in": sorted(coordinated)})
    groups = member_groups(user)
    if groups:
        q |= Q(**{f"{prefix}group_id__in": sorted(groups)})
    counties = _counties(actor)
    if counties:
        q |= access.region_q(counties, f"{prefix}locality_id")
    return q


def _counties(actor: Any) -> tuple[str, ...]:
    """The jurisdictions that are one county (a locality of a city's programme)."""
    return tuple(p for p in actor.region_prefixes if len(p) == 6)


def sees_programme(user: Any) -> bool:
    """Whether the user has any way into a programme (else every page answers 404)."""
    actor = access.actor_for(user)
    return actor.is_admin or bool(actor.region_prefixes) or bool(_memberships(user))


def programmes(user: Any) -> QuerySet[Programme]:
    actor = access.actor_for(user)
    qs = Programme.objects.all()
    if actor.user_id is None:
        return qs.none()
    if actor.is_admin:
        return qs
    q = Q(pk__in={m.group.programme_id for m in _memberships(user)})
    for p in actor.region_prefixes:
        # the programme's city lies in the jurisdiction, or the jurisdiction (a district) in the city
        q |= access.prefix_q("region_id", p) | Q(region_id__in=[p.ljust(6, "0"), p[:4] + "00", p[:2] + "0000"])
    return qs.filter(q)


def groups(user: Any) -> QuerySet[Group]:
    return Group.objects.filter(programme__in=programmes(user).values("pk"))


def measures(user: Any) -> QuerySet[Measure]:
    return Measure.objects.filter(programme__in=programmes(user).values("pk"))


def indicators(user: Any) -> QuerySet[Indicator]:
    return Indicator.objects.filter(measure__programme__in=programmes(user).values("pk"))


def statistic_values(user: Any) -> QuerySet[StatisticValue]:
    """Uploaded figures: the coordinating groups (and admin) see all; others those of their jurisdiction."""
    actor = access.actor_for(user)
    qs = StatisticValue.objects.filter(indicator__in=indicators(user).values("pk"))
    if actor.is_admin:
        return qs
    coordinated = coordinated_programmes(user)
    q = Q(indicator__measure__programme_id__in=sorted(coordinated))
    if _counties(actor):
        q |= access.region_q(_counties(actor), "region_id")
    return qs.filter(q)


def uploads(user: Any) -> QuerySet[StatisticUpload]:
    return StatisticUpload.objects.filter(programme__in=programmes(user).values("pk"))


def entries(user: Any, kind: str) -> QuerySet[Any]:
    model = LIST_MODELS[kind]
    return model._default_manager.filter(_owned_q(user))


def versions(user: Any, kind: str) -> QuerySet[EntryVersion]:
    """The versions of the entries the user may read now (their history comes with them)."""
    return EntryVersion.objects.filter(kind=kind, entry_id__in=entries(user, kind).values("pk"))


def snapshot_versions(user: Any, kind: str) -> QuerySet[EntryVersion]:
    """Versions for a list as it stood on a date: by the group and locality each version had then."""
    actor = access.actor_for(user)
    qs = EntryVersion.objects.filter(kind=kind)
    if actor.user_id is None:
        return qs.none()
    if actor.is_admin:
        return qs
    q = Q(pk__in=[])
    coordinated = coordinated_programmes(user)
    if coordinated:
        q |= Q(programme_id__in=sorted(coordinated))
    groups = member_groups(user)
    if groups:
        q |= Q(group_id_at__in=sorted(groups))
    if _counties(actor):
        q |= access.region_q(_counties(actor), "locality_at")
    return qs.filter(q)


def tasks(user: Any) -> QuerySet[Task]:
    return Task.objects.filter(_owned_q(user))


def reports(user: Any) -> QuerySet[ProgressReport]:
    return ProgressReport.objects.filter(task__in=tasks(user).values("pk"))


def can_coordinate(user: Any, programme: Programme | int) -> bool:
    """The leading and working groups of the programme, and the admin."""
    pid = programme.pk if isinstance(programme, Model) else int(programme)
    return is_admin(user) or pid in coordinated_programmes(user)


def can_edit_entry(user: Any, entry: ListEntry) -> bool:
    return can_coordinate(user, entry.programme_id) or entry.group_id in member_groups(user)


def can_create_in(user: Any, programme_id: int, group_id: int) -> bool:
    return can_coordinate(user, programme_id) or group_id in member_groups(user)


def can_report(user: Any, task: Task) -> bool:
    if can_coordinate(user, task.programme_id) or task.group_id in member_groups(user):
        return True
    actor = access.actor_for(user)
    return any(str(task.locality_id).startswith(p) for p in _counties(actor))


def index_runs(user: Any) -> QuerySet[IndexRun]:
    """Dual-carbon index runs: read like their programme (enterprises, banks, verifiers: nothing)."""
    if not sees_programme(user):
        return IndexRun.objects.none()
    return IndexRun.objects.filter(programme__in=programmes(user).values("pk"))


def _group_q(user: Any, path: str) -> Q:
    """Organisations (``path`` to them) whose group inventory the user may read: its own staff, the government of
    its region, the admin."""
    actor = access.actor_for(user)
    if actor.user_id is None:
        return Q(pk__in=[])
    if actor.is_admin:
        return Q()
    q = Q(**{f"{path}pk__in": sorted(actor.enterprise_ids)}) if actor.enterprise_ids else Q(pk__in=[])
    if actor.region_prefixes:
        q |= access.region_q(actor.region_prefixes, f"{path}region_id")
    return q


def inventories(user: Any) -> QuerySet[GroupInventory]:
    return GroupInventory.objects.filter(_group_q(user, "group__"))


def inventory_groups(user: Any) -> QuerySet[Organisation]:
    """The groups (organisations holding others, or with an inventory) whose inventory the user may read."""
    holding = Q(holdings__isnull=False) | Q(group_inventories__isnull=False)
    return group_organisations(user).filter(holding).distinct()


def group_organisations(user: Any) -> QuerySet[Organisation]:
    """Enterprises whose (possible) group inventory the user may read, holding others or not."""
    return Organisation.objects.filter(_group_q(user, ""), kind=Organisation.Kind.ENTERPRISE)


def can_keep_inventory(user: Any, group: Organisation) -> bool:
    """Create an inventory or choose its approach: the group's own staff and the admin."""
    actor = access.actor_for(user)
    return actor.is_admin or group.pk in actor.enterprise_ids

"""Scoping of the planning app, built from the access predicates (:mod:`dualcarbon.registry.access`).

* An enterprise's reduction plans: read by its own staff and its region's government (and the platform admin);
  written only by its own staff.
* The measures library: read by every signed-in user; written in the admin by the platform.
* The region's pathway scenarios: read and written by the government staff governing the region and the admin.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from dualcarbon.registry import access
from dualcarbon.registry.models import Organisation, Region

from .models import Measure, ReductionPlan, Scenario


def plan_enterprises(user: Any) -> QuerySet[Organisation]:
    """Enterprises whose plans the user may read."""
    actor = access.actor_for(user)
    qs = Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE)
    return qs if actor.is_admin else qs.filter(access.owner_or_government_q(actor, ""))


def plans(user: Any) -> QuerySet[ReductionPlan]:
    """Plans of the enterprises of :func:`plan_enterprises`."""
    return ReductionPlan.objects.filter(enterprise__in=plan_enterprises(user).values("pk"))


def can_edit_plans(user: Any, enterprise: Organisation | int) -> bool:
    """Only the enterprise's own staff make and change its plans."""
    return access.can_report_for(user, enterprise)


def measures(user: Any) -> QuerySet[Measure]:
    """The active measures of the library (every signed-in user)."""
    if not getattr(user, "is_authenticated", False):
        return Measure.objects.none()
    return Measure.objects.filter(is_active=True)


def scenarios(user: Any) -> QuerySet[Scenario]:
    """Scenarios of the regions in the user's jurisdiction (government staff, the platform admin)."""
    return Scenario.objects.filter(access.jurisdiction_q(user, "region_id"))


def can_edit_scenarios(user: Any, region_code: str) -> bool:
    """The government staff governing the region, and the platform admin, write its scenarios."""
    actor = access.actor_for(user)
    return (actor.is_admin or bool(actor.region_prefixes)) and access.governs(user, region_code)


def pathway_regions(user: Any) -> QuerySet[Region]:
    """Regions whose pathway the user may open."""
    return Region.objects.filter(access.jurisdiction_q(user, "code")).order_by("code")

"""Scoping of the planning app, built from the access predicates (:mod:`dualcarbon.registry.access`).

* An enterprise's reduction plans: read by its own staff and its region's government (and the platform admin);
  written only by its own staff.
* The measures library: read by every signed-in user; written in the admin by the platform.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from dualcarbon.registry import access
from dualcarbon.registry.models import Organisation

from .models import Measure, ReductionPlan


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

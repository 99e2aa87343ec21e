"""Scoping of the rating app's models, built from the access predicates (:mod:`dualcarbon.registry.access`)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from dualcarbon.registry import access
from dualcarbon.registry.models import Organisation

from .models import Appeal, RatingResult


def enterprises(user: Any) -> QuerySet[Organisation]:
    """Enterprises whose grades the user may read."""
    return access.readable_enterprises(user, scope=access.GRADE)


def rating_results(user: Any) -> QuerySet[RatingResult]:
    """Rating results of the enterprises the user may read (banks: the consented years only)."""
    actor = access.actor_for(user)
    qs = RatingResult.objects.filter(enterprise__in=enterprises(user).values("pk"))
    year_q = access.bank_year_q(actor, "year", "enterprise_id", scope=access.GRADE)
    return qs.filter(year_q) if year_q is not None else qs


def rating_appeals(user: Any) -> QuerySet[Appeal]:
    """Appeals: the enterprise's own staff, its region's government, the platform admin."""
    actor = access.actor_for(user)
    if actor.user_id is None:
        return Appeal.objects.none()
    if actor.is_admin:
        return Appeal.objects.all()
    return Appeal.objects.filter(access.owner_or_government_q(actor, "enterprise"))


def can_appeal(user: Any, enterprise: Organisation | int) -> bool:
    """Only the enterprise itself contests its grade."""
    return access.can_report_for(user, enterprise)


def can_see_region(user: Any) -> bool:
    return access.can_see_region(user)


def is_bank(user: Any) -> bool:
    """A bank's staff: the page of its consenting enterprises' grades is theirs."""
    return bool(access.actor_for(user).bank_ids)


def region_prefixes(user: Any) -> tuple[str, ...]:
    return access.region_prefixes(user)

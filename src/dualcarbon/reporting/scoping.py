"""Scoping of the reporting app's models, built from the access predicates (:mod:`dualcarbon.registry.access`).

Banks read accounts, never raw submissions; verifiers read the enterprises assigned to them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from dualcarbon.registry import access
from dualcarbon.registry.models import Organisation

from .models import ImportJob, MeteredMonth, MeterLoad, Submission


def submissions(user: Any) -> QuerySet[Submission]:
    """Submissions the user may read: own staff, the region's government, assigned verifiers, the admin."""
    actor = access.actor_for(user)
    if actor.user_id is None:
        return Submission.objects.none()
    if actor.is_admin:
        return Submission.objects.all()
    return Submission.objects.filter(access.records_q(actor, "enterprise"))


def import_jobs(user: Any) -> QuerySet[ImportJob]:
    """Background Excel imports the user may follow: those of enterprises whose raw submissions the user reads
    (own staff, the region's government, assigned verifiers, the admin; never banks)."""
    actor = access.actor_for(user)
    if actor.user_id is None:
        return ImportJob.objects.none()
    if actor.is_admin:
        return ImportJob.objects.all()
    return ImportJob.objects.filter(access.records_q(actor, "enterprise"))


def enterprises(user: Any) -> QuerySet[Organisation]:
    """Enterprises the user may open in the reporting pages (as the account pages: the read predicate)."""
    return access.readable_enterprises(user, scope=access.ACCOUNTS)


def can_report_for(user: Any, enterprise: Organisation | int) -> bool:
    """Only the enterprise's own staff write its reports (the platform admin does not report for it)."""
    return access.can_report_for(user, enterprise)


def can_verify(user: Any, enterprise: Organisation | int) -> bool:
    """A verifier assigned to the enterprise."""
    return access.is_assigned_verifier(user, enterprise)


def can_lock(user: Any, submission: Submission) -> bool:
    """The government of the submission's region, or the platform admin."""
    actor = access.actor_for(user)
    if actor.is_admin:
        return True
    return bool(actor.region_prefixes) and submissions(user).filter(pk=submission.pk).exists()


def can_see_region(user: Any) -> bool:
    return access.can_see_region(user)


def meter_loads(user: Any) -> QuerySet[MeterLoad]:
    """Meter data loads: the government whose jurisdiction covers the load's region, and the admin (a load holds
    several enterprises' data: not for enterprises, banks or verifiers)."""
    return MeterLoad.objects.filter(access.jurisdiction_q(user, "region__code"))


def metered_months(user: Any) -> QuerySet[MeteredMonth]:
    """Metered monthly totals: like raw records (own staff, the region's government, assigned verifiers, the admin;
    never banks)."""
    actor = access.actor_for(user)
    if actor.user_id is None:
        return MeteredMonth.objects.none()
    if actor.is_admin:
        return MeteredMonth.objects.all()
    return MeteredMonth.objects.filter(access.records_q(actor, "enterprise"))


def can_load_meters(user: Any, region_code: str) -> bool:
    """Loading a region's meter data: its government (a jurisdiction covering the region) or the admin."""
    return access.can_see_region(user) and access.governs(user, region_code)

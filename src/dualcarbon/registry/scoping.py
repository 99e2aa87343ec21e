"""Scoping of the registry's own models, built from the access predicates (:mod:`.access`).

Views and services of the registry call these; other apps build their own scoping from :mod:`.access`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from . import access
from .models import AccessLog, Consent, Membership, Organisation, Region, Site, VerifierAssignment


def enterprises(user: Any) -> QuerySet[Organisation]:
    """Enterprises the user may read."""
    return access.readable_enterprises(user, scope=access.ACCOUNTS)


def access_log_enterprises(user: Any) -> QuerySet[Organisation]:
    """Enterprises whose read log and consents the user may see: the enterprise's own staff, its region's
    government, the platform admin. Not banks (the log shows other banks' reads) and not verifiers."""
    actor = access.actor_for(user)
    return Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE).filter(
        access.owner_or_government_q(actor, "")
    )


def can_see_access_log(user: Any, enterprise: Organisation) -> bool:
    """Whether :func:`access_log_enterprises` holds ``enterprise`` (no query: its region is read from the row)."""
    return access.is_owner_or_government(user, enterprise)


def access_log(user: Any) -> QuerySet[AccessLog]:
    """Rows of the bank read log the user may see (see :func:`access_log_enterprises`)."""
    return AccessLog.objects.filter(enterprise__in=access_log_enterprises(user).values("pk"))


def consents(user: Any) -> QuerySet[Consent]:
    """Consents the user may see: those given by the enterprises of :func:`access_log_enterprises`."""
    return Consent.objects.filter(enterprise__in=access_log_enterprises(user).values("pk"))


# --------------------------------------------------------------------------- the registry's own pages


def managed_enterprises(user: Any) -> QuerySet[Organisation]:
    """Enterprises the user registers and maintains (registered data, sites, users): the government of the
    enterprise's region (its jurisdiction's prefix) and the platform admin. Deactivated ones included: they are
    kept, never deleted, and can be reactivated."""
    actor = access.actor_for(user)
    qs = Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE)
    if actor.user_id is None:
        return qs.none()
    if actor.is_admin:
        return qs
    if not actor.region_prefixes:
        return qs.none()
    return qs.filter(access.region_q(actor.region_prefixes, "region__code"))


def registry_enterprises(user: Any) -> QuerySet[Organisation]:
    """Enterprises whose registry page the user may open: those they manage (:func:`managed_enterprises`) and,
    read-only, their own enterprise. Not banks and not verifiers (they read accounts, not the register)."""
    return access_log_enterprises(user)


def can_manage_registry(user: Any) -> bool:
    """Whether the user maintains a register at all (government staff, platform admin): the list, the
    registration form and the spreadsheet import."""
    return access.can_see_region(user)


def can_manage(user: Any, enterprise: Organisation) -> bool:
    """:func:`managed_enterprises` for one enterprise, without a query (its region is read from the row)."""
    if enterprise.kind != Organisation.Kind.ENTERPRISE or not can_manage_registry(user):
        return False
    return access.governs(user, enterprise.region_id or "")


def counties(user: Any) -> QuerySet[Region]:
    """The counties an enterprise (or a site) of the user's may be registered in: those of the jurisdiction."""
    return Region.objects.filter(level=Region.Level.COUNTY).filter(access.jurisdiction_q(user, "code"))


def sites(user: Any) -> QuerySet[Site]:
    """Sites of the enterprises the user manages."""
    return Site.objects.filter(organisation__in=managed_enterprises(user).values("pk"))


def memberships(user: Any) -> QuerySet[Membership]:
    """Enterprise staff memberships of the enterprises the user manages."""
    return Membership.objects.filter(
        organisation__in=managed_enterprises(user).values("pk"), role=Membership.Role.ENTERPRISE_STAFF
    )


def verifier_assignments(user: Any) -> QuerySet[VerifierAssignment]:
    """Verifier assignments of the enterprises whose registry page the user may open."""
    return VerifierAssignment.objects.filter(enterprise__in=registry_enterprises(user).values("pk"))

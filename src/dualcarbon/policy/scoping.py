"""Scoping of the policy app, built from the access predicates (:mod:`dualcarbon.registry.access`).

* Packages and policies are published documents: every signed-in user reads those whose region contains theirs
  (an enterprise: its county's, city's and province's packages; a government: those of its jurisdiction and above;
  banks, verifiers and the admin: all). Only the government governing the package's region (and the admin)
  publishes and changes them.
* Matches name an enterprise: its own staff, its region's government and the admin read them (not banks, not
  verifiers: a bank sees an enterprise's grade under its consent, not the subsidies it qualifies for).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from dualcarbon.registry import access
from dualcarbon.registry.models import Organisation, Region

from .models import Match, MatchRun, Policy, PolicyPackage, PolicyVersion


def _containing_q(codes: list[str], field_name: str) -> Q:
    """Rows whose region (``field_name``: a 6-digit code) contains one of ``codes`` or lies inside one of them."""
    q = Q(pk__in=[])
    for code in codes:
        # the province, the city and the county of the code
        q |= Q(**{f"{field_name}__in": [code[:2] + "0000", code[:4] + "00", code]})
    return q


def packages(user: Any) -> QuerySet[PolicyPackage]:
    actor = access.actor_for(user)
    qs = PolicyPackage.objects.all()
    if actor.user_id is None:
        return qs.none()
    if actor.is_admin or actor.bank_ids or actor.verifier_ids:
        return qs
    q = Q(pk__in=[])
    for prefix in actor.region_prefixes:  # a government: its jurisdiction, and the regions above it
        q |= access.prefix_q("region_id", prefix) | _containing_q([prefix.ljust(6, "0")], "region_id")
    codes = list(
        Organisation.objects.filter(pk__in=actor.enterprise_ids, region__isnull=False).values_list(
            "region_id", flat=True
        )
    )
    q |= _containing_q([str(c) for c in codes], "region_id")
    return qs.filter(q)


def policies(user: Any) -> QuerySet[Policy]:
    return Policy.objects.filter(package__in=packages(user).values("pk"))


def versions(user: Any) -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.filter(policy__in=policies(user).values("pk"))


def can_publish(user: Any, region: Region | str) -> bool:
    """The government governing the region (its own or a containing jurisdiction) and the admin."""
    actor = access.actor_for(user)
    if actor.is_admin:
        return True
    code = region.code if isinstance(region, Region) else str(region)
    return access.governs(user, code)


def matches(user: Any) -> QuerySet[Match]:
    actor = access.actor_for(user)
    if actor.user_id is None:
        return Match.objects.none()
    if actor.is_admin:
        return Match.objects.all()
    return Match.objects.filter(access.owner_or_government_q(actor, "enterprise"))


def runs(user: Any) -> QuerySet[MatchRun]:
    """Match runs of the user's jurisdiction (governments, the admin)."""
    actor = access.actor_for(user)
    if actor.is_admin:
        return MatchRun.objects.all()
    if not actor.region_prefixes:
        return MatchRun.objects.none()
    q = Q(pk__in=[])
    for prefix in actor.region_prefixes:
        q |= Q(region_prefix__startswith=prefix)
    return MatchRun.objects.filter(q)


def enterprises(user: Any) -> QuerySet[Organisation]:
    """Enterprises whose policy page the user may open: own staff, their government, the admin."""
    actor = access.actor_for(user)
    qs = Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE)
    if actor.user_id is None:
        return qs.none()
    return qs if actor.is_admin else qs.filter(access.owner_or_government_q(actor, ""))


def can_see_region(user: Any) -> bool:
    return access.can_see_region(user)


def region_prefixes(user: Any) -> tuple[str, ...]:
    return access.region_prefixes(user)


def is_admin(user: Any) -> bool:
    return access.actor_for(user).is_admin


def drafts(user: Any) -> QuerySet[Any]:
    """What-if sandbox drafts (docs/policy.md § Sandbox): those of the regions the user governs (its own region and the
    regions inside it) and the admin's; nobody else's (enterprises, banks, verifiers: none)."""
    from .models import SandboxDraft

    actor = access.actor_for(user)
    if actor.user_id is None:
        return SandboxDraft.objects.none()
    if actor.is_admin:
        return SandboxDraft.objects.all()
    if not actor.region_prefixes:
        return SandboxDraft.objects.none()
    return SandboxDraft.objects.filter(access.region_q(actor.region_prefixes, "region_id"))


def sandbox_runs(user: Any) -> QuerySet[Any]:
    from .models import SandboxRun

    return SandboxRun.objects.filter(draft__in=drafts(user).values("pk"))

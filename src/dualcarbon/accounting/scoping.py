"""Scoping of the accounting app's models, built from the access predicates (:mod:`dualcarbon.registry.access`).

Banks read the accounts of consenting enterprises for the consented months only; emission lines (the
"how was this calculated" detail of raw records) are read like submissions (no banks).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from dualcarbon.registry import access
from dualcarbon.registry.models import Organisation

from .models import AccountEntry, EmissionLine


def enterprises(user: Any) -> QuerySet[Organisation]:
    """Enterprises whose accounts the user may read."""
    return access.readable_enterprises(user, scope=access.ACCOUNTS)


def account_entries(user: Any) -> QuerySet[AccountEntry]:
    actor = access.actor_for(user)
    if actor.government_only:
        # the region code is denormalised on every entry, so no join with enterprises is needed
        return AccountEntry.objects.filter(access.region_q(actor.region_prefixes, "region_code"))
    qs = AccountEntry.objects.filter(enterprise__in=enterprises(user).values("pk"))
    period_q = access.bank_period_q(actor, "year", "month", "enterprise_id", scope=access.ACCOUNTS)
    return qs.filter(period_q) if period_q is not None else qs


def summary_entries(user: Any) -> QuerySet[AccountEntry]:
    """Account entries for annual totals (a credit report's account section): banks need a consent naming the
    account summary or the monthly lines, for its months; every other reader as :func:`account_entries`."""
    actor = access.actor_for(user)
    if not actor.bank_only:
        return account_entries(user)
    qs = AccountEntry.objects.filter(
        enterprise__in=access.readable_enterprises(user, scope=access.SUMMARY).values("pk")
    )
    period_q = access.bank_period_q(actor, "year", "month", "enterprise_id", scope=access.SUMMARY)
    return qs.filter(period_q) if period_q is not None else qs


def consented_months(user: Any, enterprise: Organisation, year: int) -> set[int] | None:
    """The months of ``year`` a bank-only reader's consents naming the monthly accounts cover (None: no limit)."""
    return access.consented_months(user, enterprise, year, scope=access.ACCOUNTS)


def emission_lines(user: Any) -> QuerySet[EmissionLine]:
    actor = access.actor_for(user)
    if actor.user_id is None:
        return EmissionLine.objects.none()
    if actor.is_admin:
        return EmissionLine.objects.all()
    return EmissionLine.objects.filter(access.records_q(actor, "run__submission__enterprise"))


def can_see_region(user: Any) -> bool:
    return access.can_see_region(user)


def region_prefixes(user: Any) -> tuple[str, ...]:
    return access.region_prefixes(user)


def can_see_access_log(user: Any, enterprise: Organisation) -> bool:
    """Whether the account page links to the enterprise's bank read log (the owner, its government, admin)."""
    return access.is_owner_or_government(user, enterprise)


def can_report_for(user: Any, enterprise: Organisation | int) -> bool:
    """Whether the account page offers the reporting pages (the enterprise's own staff)."""
    return access.can_report_for(user, enterprise)

"""Scoping of the finance app, built from the access predicates (:mod:`dualcarbon.registry.access`).

* An enterprise's consents and the requests it received: its own staff, its region's government (read only) and
  the platform admin (read only) — the readers of its bank read log.
* A bank's consents received and requests sent: that bank's staff.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from dualcarbon.registry import access
from dualcarbon.registry.models import Consent, Organisation

from .models import ConsentRequest, CreditReport


def consent_enterprises(user: Any) -> QuerySet[Organisation]:
    """Enterprises whose consent page the user may open."""
    actor = access.actor_for(user)
    qs = Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE)
    return qs if actor.is_admin else qs.filter(access.owner_or_government_q(actor, ""))


def enterprise_consents(user: Any) -> QuerySet[Consent]:
    """Consents given by the enterprises of :func:`consent_enterprises`."""
    return Consent.objects.filter(enterprise__in=consent_enterprises(user).values("pk"))


def enterprise_requests(user: Any) -> QuerySet[ConsentRequest]:
    """Consent requests received by the enterprises of :func:`consent_enterprises`."""
    return ConsentRequest.objects.filter(enterprise__in=consent_enterprises(user).values("pk"))


def can_change_consents(user: Any, enterprise: Organisation | int) -> bool:
    """Only the enterprise's own staff grant, change, revoke and answer requests."""
    return access.can_report_for(user, enterprise)


def user_banks(user: Any) -> QuerySet[Organisation]:
    """The banks the user works for (none: not a bank's staff)."""
    return Organisation.objects.filter(pk__in=access.actor_for(user).bank_ids, kind=Organisation.Kind.BANK)


def bank_consents(user: Any) -> QuerySet[Consent]:
    """Consents received by the user's banks."""
    ids = access.actor_for(user).bank_ids
    return Consent.objects.filter(bank_id__in=ids) if ids else Consent.objects.none()


def bank_requests(user: Any) -> QuerySet[ConsentRequest]:
    """Consent requests sent by the user's banks."""
    ids = access.actor_for(user).bank_ids
    return ConsentRequest.objects.filter(Q(bank_id__in=ids)) if ids else ConsentRequest.objects.none()


# --------------------------------------------------------------------------------------------- credit reports


def report_consent(user: Any, enterprise: Organisation | int) -> Consent | None:
    """The active consent naming the credit report through which the user's bank reads this enterprise (the
    latest when several), or None (not a bank's staff, or no such consent: the report is refused)."""
    return access.reading_consent(user, enterprise, scope=access.CREDIT_REPORT)


def report_enterprises(user: Any) -> QuerySet[Organisation]:
    """Enterprises whose credit report the user's banks may generate: an active consent names the credit report.
    Only banks generate reports (the enterprise, its government and the admin read its accounts directly)."""
    actor = access.actor_for(user)
    if not actor.bank_ids:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        kind=Organisation.Kind.ENTERPRISE, pk__in=access.consenting_enterprises(actor, access.CREDIT_REPORT)
    )


def bank_reports(user: Any) -> QuerySet[CreditReport]:
    """Credit reports the user's banks generated, while the enterprise's consent naming the credit report is still
    active (a revocation or a narrowing that drops the item hides them at once)."""
    actor = access.actor_for(user)
    if not actor.bank_ids:
        return CreditReport.objects.none()
    live = access.bank_consents(actor, access.CREDIT_REPORT)
    # the report's own bank must hold the live consent (not another bank of the same user)
    pairs = Q(pk__in=[])
    for bank_id, enterprise_id in live.values_list("bank_id", "enterprise_id"):
        pairs |= Q(bank_id=bank_id, enterprise_id=enterprise_id)
    return CreditReport.objects.filter(pairs)


def consent_allows(consent: Consent, item: str) -> bool:
    """Whether the consent names the item (``summary``: the account summary or the monthly lines)."""
    items = {
        "summary": access.SUMMARY,
        "grade": access.GRADE,
        "certification": access.CERTIFICATION,
        "accounts": access.ACCOUNTS,
    }[item]
    return access.consent_allows(consent, items)

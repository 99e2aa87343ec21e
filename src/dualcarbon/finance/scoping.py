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

from .models import ConsentRequest


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

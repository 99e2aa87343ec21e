"""Scoping of the registry's own models, built from the access predicates (:mod:`.access`).

Views and services of the registry call these; other apps build their own scoping from :mod:`.access`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from . import access
from .models import AccessLog, Consent, Organisation


def enterprises(user: Any) -> QuerySet[Organisation]:
    """Enterprises the user may read."""
    return access.readable_enterprises(user)


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

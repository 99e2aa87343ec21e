"""Scoping of the monitoring app's models, built from the access predicates (:mod:`dualcarbon.registry.access`).

The regional dashboard, targets, alerts, the summary and the monthly report are for government staff (their
jurisdiction) and the platform admin.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from dualcarbon.registry import access

from .models import Alert, Notification, SummaryAnnual, SummaryCell, SummaryRollup


def can_see_monitoring(user: Any) -> bool:
    """The regional dashboard, targets, alerts and monthly report: government staff and the platform admin."""
    return access.can_see_region(user)


def region_prefixes(user: Any) -> tuple[str, ...]:
    return access.region_prefixes(user)


def monitoring_q(user: Any, field_name: str) -> Q:
    """A Q restricting ``field_name`` (a region code) to the user's jurisdiction (nothing for others)."""
    return access.jurisdiction_q(user, field_name)


def alerts(user: Any) -> QuerySet[Alert]:
    """Early-warning alerts in the user's jurisdiction (by the alert's region code)."""
    return Alert.objects.filter(monitoring_q(user, "region_id"))


def can_handle_alert(user: Any, alert: Alert) -> bool:
    """Acknowledge/resolve: government staff whose jurisdiction covers the alert's region, or the platform admin."""
    actor = access.actor_for(user)
    if actor.is_admin:
        return True
    return any(str(alert.region_id).startswith(p) for p in actor.region_prefixes)


def summary(user: Any) -> QuerySet[SummaryRollup]:
    """Rows of the regional summary rollup (county × division × month) in the user's jurisdiction."""
    return SummaryRollup.objects.filter(monitoring_q(user, "region_code"))


def summary_cells(user: Any) -> QuerySet[SummaryCell]:
    """Enterprise-month cells of the regional summary in the user's jurisdiction (government, admin)."""
    return SummaryCell.objects.filter(monitoring_q(user, "region_code"))


def registered_cells(user: Any) -> QuerySet[SummaryCell]:
    """Enterprise-month cells of the enterprises *registered* in the user's jurisdiction (the submission
    completeness counts an enterprise in the county it is registered in, whatever its accounts carry).

    Filtered by enterprise, not by the cells' county columns: correlated to one enterprise, the database then
    reads that enterprise's cells by its index instead of a county's."""
    registered = access.readable_enterprises(user, scope=access.ACCOUNTS).filter(monitoring_q(user, "region__code"))
    return SummaryCell.objects.filter(enterprise__in=registered.values("pk"))


def summary_annual(user: Any) -> QuerySet[SummaryAnnual]:
    """Enterprise-year rows of the regional summary in the user's jurisdiction (government, admin)."""
    return SummaryAnnual.objects.filter(monitoring_q(user, "region_code"))


def alert_audience(region_codes: Any) -> dict[str, list[Any]]:
    """For each region code: the government staff whose jurisdiction covers it (who is told of an alert)."""
    return access.government_audience(region_codes)


def alert_assignees(alert: Alert) -> QuerySet[Any]:
    """Who an alert may be assigned to: the government staff whose jurisdiction covers the alert's region."""
    return access.government_staff_for(str(alert.region_id or ""))


def notifications(user: Any) -> QuerySet[Notification]:
    """The user's own notifications, about alerts still in their jurisdiction (or about no alert)."""
    actor = access.actor_for(user)
    if actor.user_id is None:
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=actor.user_id).filter(
        Q(alert__isnull=True) | Q(alert__in=alerts(user).values("pk"))
    )

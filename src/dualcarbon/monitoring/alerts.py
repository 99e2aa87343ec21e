"""The alert state machine: new → acknowledged → resolved (new → resolved allowed: a false alarm closed at
once), and assignment to a named officer. Alerts change state here only.

A refused move raises :class:`TransitionError` (an assignment refused: :class:`AssignmentError`) with a message
in the user's language naming what is allowed (:func:`refusal`). Every change is recorded as an
:class:`~.models.AlertEvent` in the change's transaction, and the person it concerns (the owner when someone
else moves the alert, the assignee) gets a notification (:mod:`dualcarbon.monitoring.notifications`).
Alerts are raised by the rules in :mod:`dualcarbon.monitoring.evaluators`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from dualcarbon.ui import names

from . import scoping
from .models import Alert, AlertEvent, Notification
from .notifications import alert_notification, notify


class TransitionError(Exception):
    """A move the alert state machine refuses; the message says why, in the active language."""


class AssignmentError(Exception):
    """An assignment refused (the person may not handle the alert, or already does)."""


TRANSITIONS: dict[str, set[str]] = {
    Alert.Status.NEW: {Alert.Status.ACKNOWLEDGED, Alert.Status.RESOLVED},
    Alert.Status.ACKNOWLEDGED: {Alert.Status.RESOLVED},
    Alert.Status.RESOLVED: set(),
}
#: what each target status is called as an action (the buttons' words)
ACTION_LABELS: dict[str, Any] = {
    Alert.Status.ACKNOWLEDGED: gettext_lazy("确认"),
    Alert.Status.RESOLVED: gettext_lazy("处理完毕"),
}


def refusal(status: str, to: str) -> str:
    """Why ``status → to`` is refused, naming what is allowed (in the active language)."""
    allowed = [str(ACTION_LABELS[t]) for t in sorted(TRANSITIONS.get(status, set())) if t in ACTION_LABELS]
    params = {
        "status": str(Alert.Status(status).label) if status in Alert.Status.values else status,
        "action": str(ACTION_LABELS.get(to, to)),
    }
    if not allowed:
        return gettext("预警当前为“%(status)s”，不能再“%(action)s”：已处理的预警不再变更。") % params
    return gettext("预警当前为“%(status)s”，不能“%(action)s”；当前可执行：%(allowed)s。") % {
        **params,
        "allowed": gettext("、").join(allowed),
    }


def _move(user: Any, alert: Alert, to: str, comment: str = "") -> Alert:
    if not scoping.can_handle_alert(user, alert):
        raise PermissionError("not the government of the alert's region")
    comment = (comment or "").strip()[:400]
    with transaction.atomic():
        locked = Alert.objects.select_for_update(of=("self",)).select_related("owner").get(pk=alert.pk)
        if to not in TRANSITIONS[locked.status]:
            raise TransitionError(refusal(locked.status, to))
        now = timezone.now()
        before, owner_before = locked.status, locked.owner
        locked.status = to
        if locked.owner_id is None:
            locked.owner = user
        if to == Alert.Status.ACKNOWLEDGED:
            locked.acknowledged_at, locked.acknowledged_by = now, user
        else:
            locked.resolved_at, locked.resolved_by = now, user
            if comment:
                locked.resolution = comment
        locked.save()
        AlertEvent.objects.create(
            alert=locked,
            action=to,
            actor=user,
            at=now,
            from_status=before,
            to_status=to,
            from_owner=owner_before,
            to_owner=locked.owner,
            comment=comment,
        )
        if owner_before is not None and owner_before.pk != user.pk:
            notify([alert_notification(owner_before, Notification.Kind.STATUS, locked, user)])
    return locked


def acknowledge(user: Any, alert: Alert, comment: str = "") -> Alert:
    return _move(user, alert, Alert.Status.ACKNOWLEDGED, comment)


def resolve(user: Any, alert: Alert, note: str = "") -> Alert:
    return _move(user, alert, Alert.Status.RESOLVED, note)


def assign(user: Any, alert: Alert, assignee: Any, comment: str = "") -> Alert:
    """Make ``assignee`` responsible for the alert (its status does not change); recorded and notified.

    The assignee must be government staff whose jurisdiction covers the alert's region
    (:func:`dualcarbon.scoping.alert_assignees`); a resolved alert is not assigned any more.
    """
    if not scoping.can_handle_alert(user, alert):
        raise PermissionError("not the government of the alert's region")
    if assignee is None or not scoping.alert_assignees(alert).filter(pk=assignee.pk).exists():
        raise AssignmentError(gettext("只能指派给辖区覆盖该预警地区的政府工作人员。"))
    comment = (comment or "").strip()[:400]
    with transaction.atomic():
        locked = Alert.objects.select_for_update(of=("self",)).select_related("owner").get(pk=alert.pk)
        if locked.status == Alert.Status.RESOLVED:
            raise TransitionError(gettext("预警已处理完毕，不能再指派。"))
        if locked.owner_id == assignee.pk:
            raise AssignmentError(gettext("该预警已由 %(name)s 负责。") % {"name": names.person_name(assignee)})
        owner_before = locked.owner
        locked.owner = assignee
        locked.save(update_fields=["owner"])
        AlertEvent.objects.create(
            alert=locked,
            action=AlertEvent.Action.ASSIGNED,
            actor=user,
            from_status=locked.status,
            to_status=locked.status,
            from_owner=owner_before,
            to_owner=assignee,
            comment=comment,
        )
        if assignee.pk != user.pk:
            notify([alert_notification(assignee, Notification.Kind.ASSIGNED, locked, user, comment)])
    return locked

"""Monitoring services: the app's service API that views, management commands, the demo and the web layer call.

The logic lives in one module per concern; this module re-exports their public names (``__all__``):

* :mod:`.projection` — the year-end projection (pure: the standard library only);
* :mod:`.alerts` — the alert state machine (new → acknowledged → resolved, assignment), its history and the
  notifications it makes; refusals raise :class:`TransitionError` / :class:`AssignmentError`;
* :mod:`.notifications` — in-app notifications and their e-mail outbox (queued with the change, sent by
  :func:`send_queued_emails`, ``dualcarbon send_notifications``);
* :mod:`.evaluators` — the alert rules and :func:`evaluate_alerts`; :func:`raise_alert`, the entry point for the
  apps above that decide themselves when to raise an alert of a kind of theirs (the programme's dispatch);

and keeps the entry points of the persisted regional summary (maintained in :mod:`.aggregates`).
"""

from __future__ import annotations

from typing import Any

from . import aggregates
from .alerts import (
    ACTION_LABELS,
    TRANSITIONS,
    AssignmentError,
    TransitionError,
    acknowledge,
    assign,
    refusal,
    resolve,
)
from .evaluators import EVALUATORS, Evaluation, division_benchmarks, evaluate_alerts, raise_alert
from .notifications import (
    COMMENT,
    EMAIL_BACKOFF_CAP,
    EMAIL_BACKOFF_FACTOR,
    EMAIL_BACKOFF_FIRST,
    EMAIL_BATCH,
    EMAIL_LEASE,
    EMAIL_MAX_ATTEMPTS,
    MESSAGES,
    SendResult,
    alert_notification,
    drain_email_queue,
    email_backoff,
    email_queue_counts,
    mark_read,
    notify,
    retry_emails,
    send_queued_emails,
    unread_count,
)

# the outbox's claim, re-exported for the tests that drive it directly (a concurrent sender's view)
from .notifications import _claim as _claim
from .projection import PROJECTION_LINEAR, PROJECTION_SEASONAL, project

__all__ = [
    "ACTION_LABELS",
    "COMMENT",
    "EMAIL_BACKOFF_CAP",
    "EMAIL_BACKOFF_FACTOR",
    "EMAIL_BACKOFF_FIRST",
    "EMAIL_BATCH",
    "EMAIL_LEASE",
    "EMAIL_MAX_ATTEMPTS",
    "EVALUATORS",
    "MESSAGES",
    "PROJECTION_LINEAR",
    "PROJECTION_SEASONAL",
    "TRANSITIONS",
    "AssignmentError",
    "Evaluation",
    "SendResult",
    "TransitionError",
    "acknowledge",
    "alert_notification",
    "assign",
    "division_benchmarks",
    "drain_email_queue",
    "email_backoff",
    "email_queue_counts",
    "evaluate_alerts",
    "mark_read",
    "notify",
    "project",
    "raise_alert",
    "rebuild_aggregates",
    "refresh_aggregates",
    "refusal",
    "resolve",
    "retry_emails",
    "send_queued_emails",
    "unread_count",
]

#: the former names of making and storing notifications (tests queue rows with them)
_notification = alert_notification
_notify = notify


# --------------------------------------------------------------------------- the regional summary


def rebuild_aggregates(region_prefix: str = "") -> aggregates.RebuildResult:
    """Rebuild the dashboard's summary tables from the current accounts and submissions (set-based)."""
    return aggregates.rebuild(region_prefix)


def refresh_aggregates(period_ids: Any) -> aggregates.RebuildResult:
    """Bring the summary of some reporting periods up to date (what the accounting signal triggers)."""
    return aggregates.refresh_periods(period_ids)

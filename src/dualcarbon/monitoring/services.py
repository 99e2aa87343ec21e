"""Monitoring services: the year-end projection, alert evaluation, the alert state machine, assignment,
notifications (in-app, and e-mail through an outbox: queued here, sent by :func:`send_queued_emails`), and the
entry points of the persisted regional summary (maintained in :mod:`dualcarbon.monitoring.aggregates`).

Alerts change state here only: new → acknowledged → resolved (new → resolved allowed: a false alarm
closed at once). Anything else raises :class:`TransitionError` with a message in the user's language.
Every change (creation, assignment, status) is recorded as an :class:`~.models.AlertEvent`.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.registry import access
from dualcarbon.registry.models import Organisation, Region
from dualcarbon.reporting.models import Submission

from . import aggregates, scoping
from .models import Alert, AlertEvent, AlertRule, Notification, Severity, Target

logger = logging.getLogger(__name__)

PROJECTION_SEASONAL = "seasonal"
PROJECTION_LINEAR = "linear"


def project(ytd: float, through: int, last_year: Mapping[int, float]) -> tuple[float | None, str]:
    """Year-end total from the year to date (months 1..``through``).

    * ``seasonal`` when last year has all twelve months with a positive share for months 1..through:
      projection = YTD ÷ (Σ last year months 1..through ÷ Σ last year months 1..12);
    * ``linear`` otherwise: projection = YTD × 12 ÷ through.
    """
    if through <= 0:
        return None, ""
    if through >= 12:
        return ytd, PROJECTION_LINEAR
    if all(last_year.get(m, 0.0) > 0 for m in range(1, 13)):
        share = sum(last_year[m] for m in range(1, through + 1)) / sum(last_year[m] for m in range(1, 13))
        if share > 0:
            return ytd / share, PROJECTION_SEASONAL
    return ytd * 12.0 / through, PROJECTION_LINEAR


# --------------------------------------------------------------------------- the regional summary


def rebuild_aggregates(region_prefix: str = "") -> aggregates.RebuildResult:
    """Rebuild the dashboard's summary tables from the current accounts and submissions (set-based)."""
    return aggregates.rebuild(region_prefix)


def refresh_aggregates(period_ids: Any) -> aggregates.RebuildResult:
    """Bring the summary of some reporting periods up to date (what the accounting signal triggers)."""
    return aggregates.refresh_periods(period_ids)


# --------------------------------------------------------------------------- state machine


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
            _notify([_notification(owner_before, Notification.Kind.STATUS, locked, user)])
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
            raise AssignmentError(gettext("该预警已由 %(name)s 负责。") % {"name": assignee.get_username()})
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
            _notify([_notification(assignee, Notification.Kind.ASSIGNED, locked, user, comment)])
    return locked


# --------------------------------------------------------------------------- notifications

#: the notification texts (translated into both languages when a notification is made)
MESSAGES: dict[str, str] = {
    Notification.Kind.ASSIGNED: gettext_noop("%(actor)s 将一条预警指派给您：%(alert)s"),
    Notification.Kind.STATUS: gettext_noop("%(actor)s 将您负责的预警改为“%(status)s”：%(alert)s"),
    Notification.Kind.HIGH_ALERT: gettext_noop("新的高严重程度预警：%(alert)s"),
}
COMMENT = gettext_noop("说明：%(comment)s")


def _both(kind: str, alert: Alert, actor: Any, comment: str = "") -> tuple[str, str]:
    """The notification text in Chinese and in English."""
    out = []
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            text = gettext(MESSAGES[kind]) % {
                "actor": actor.get_username() if actor is not None else "",
                "status": str(Alert.Status(alert.status).label),
                "alert": alert.message_for(lang),
            }
            if comment:
                text += " " + gettext(COMMENT) % {"comment": comment}
        out.append(text[:500])
    return out[0], out[1]


def _notification(recipient: Any, kind: str, alert: Alert, actor: Any = None, comment: str = "") -> Notification:
    zh, en = _both(kind, alert, actor, comment)
    return Notification(recipient=recipient, kind=kind, alert=alert, message_zh=zh, message_en=en)


def _notify(rows: list[Notification], now: datetime | None = None) -> list[Notification]:
    """Store the notifications; those whose recipient has an address are queued for e-mail (the outbox) in the
    same transaction. Nothing is sent here: :func:`send_queued_emails` does it (``dualcarbon
    send_notifications``), so neither the request nor the rule evaluation waits for a mail server."""
    if not rows:
        return []
    now = now or timezone.now()
    for n in rows:
        if getattr(n.recipient, "email", ""):
            n.email_status, n.email_next_attempt_at = Notification.EmailStatus.QUEUED, now
        else:
            n.email_status, n.email_next_attempt_at = Notification.EmailStatus.NONE, None
    return Notification.objects.bulk_create(rows, batch_size=500)


def _email(n: Notification) -> EmailMessage:
    subject = []
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            subject.append(str(Notification.Kind(n.kind).label))
    link = ""
    if n.alert_id:
        link = settings.DUALCARBON_SITE_URL.rstrip("/") + reverse("monitoring:alert", args=[n.alert_id])
    body = "\n\n".join(x for x in (n.message_zh, n.message_en, link) if x)
    return EmailMessage(
        f"[{settings.DUALCARBON_EMAIL_SUBJECT_PREFIX}] " + " / ".join(subject),
        body,
        settings.DEFAULT_FROM_EMAIL,
        [n.recipient.email],
    )


# --------------------------------------------------------------------------- the e-mail outbox

#: attempts before a notification's e-mail is given up (status failed; the admin's "retry now" queues it again)
EMAIL_MAX_ATTEMPTS = 8
#: the wait after the n-th failed attempt: EMAIL_BACKOFF_FIRST × EMAIL_BACKOFF_FACTOR^(n-1), at most
#: EMAIL_BACKOFF_CAP — 1, 5, 25, 125 min, then 6 h: the eighth attempt comes about 21 h after the first
EMAIL_BACKOFF_FIRST = timedelta(minutes=1)
EMAIL_BACKOFF_FACTOR = 5
EMAIL_BACKOFF_CAP = timedelta(hours=6)
#: rows a sender claims at a time (one mail-server connection per batch)
EMAIL_BATCH = 100
#: a claimed row is due again after this lease (at least; longer for big batches: 2 × EMAIL_TIMEOUT per
#: message) if its sender dies before marking it; a sender that finishes marks its rows long before
EMAIL_LEASE = timedelta(minutes=10)


def email_backoff(attempts: int) -> timedelta:
    """The wait before the next attempt after ``attempts`` failed ones (1 → 1 min, 2 → 5 min, 3 → 25 min …)."""
    delay = EMAIL_BACKOFF_FIRST * (EMAIL_BACKOFF_FACTOR ** max(attempts - 1, 0))
    return min(delay, EMAIL_BACKOFF_CAP)


@dataclass
class SendResult:
    """One run of :func:`send_queued_emails`."""

    sent: int = 0
    #: failed attempts with another one scheduled (back-off)
    retried: int = 0
    #: failed attempts that were the last (status failed)
    failed: int = 0
    #: queued rows whose recipient has no address any more (status none)
    dropped: int = 0
    #: due rows seen when claiming (more than claimed when a concurrent sender took some first)
    due: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.retried + self.failed + self.dropped

    def add(self, other: SendResult) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.dropped += other.dropped
        self.due += other.due


def _claim(limit: int, now: datetime, lease_until: datetime, token: str) -> tuple[list[int], int]:
    """Claim up to ``limit`` due queued rows for this run; returns the ids claimed (only those) and the
    number of due rows seen.

    The claim is one conditional UPDATE (still queued, still due → this run's token, due again only after the
    lease), so two senders never both get a row: the second's UPDATE finds it no longer due (PostgreSQL
    re-checks the condition on the row the first committed; SQLite runs one writer at a time). On PostgreSQL
    the candidates are read ``FOR UPDATE SKIP LOCKED`` in the same short transaction, so concurrent senders
    take different rows instead of waiting for each other. No lock is held while mail is sent.
    """
    due = Notification.objects.filter(email_status=Notification.EmailStatus.QUEUED, email_next_attempt_at__lte=now)
    candidates = due.order_by("email_next_attempt_at", "pk").values_list("pk", flat=True)
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            ids = list(candidates.select_for_update(skip_locked=True)[:limit])
            if ids:
                due.filter(pk__in=ids).update(email_claim=token, email_next_attempt_at=lease_until)
    else:  # SQLite: no row locks; the UPDATE alone (autocommit, one writer at a time) decides
        ids = list(candidates[:limit])
        if ids:
            due.filter(pk__in=ids).update(email_claim=token, email_next_attempt_at=lease_until)
    if not ids:
        return [], 0
    return list(Notification.objects.filter(pk__in=ids, email_claim=token).values_list("pk", flat=True)), len(ids)


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _failed(pk: int, token: str, attempts: int, error: str, now: datetime) -> str:
    """Record a failed attempt of a claimed row: retry after the back-off, or give up after the last attempt."""
    attempts += 1
    if attempts >= EMAIL_MAX_ATTEMPTS:
        status, next_at = Notification.EmailStatus.FAILED, None
    else:
        status, next_at = Notification.EmailStatus.QUEUED, now + email_backoff(attempts)
    Notification.objects.filter(pk=pk, email_claim=token).update(
        email_status=status, email_attempts=attempts, email_next_attempt_at=next_at, email_last_error=error,
        email_claim="",
    )  # fmt: skip
    return status


def send_queued_emails(limit: int = EMAIL_BATCH, now: datetime | None = None) -> SendResult:
    """Send up to ``limit`` due queued notification e-mails through Django's e-mail framework
    (``EMAIL_BACKEND``), over one connection.

    Each message succeeds or fails on its own: a refused address is recorded on its row (attempts + 1, the
    error, the next attempt after :func:`email_backoff`, or status failed after :data:`EMAIL_MAX_ATTEMPTS`)
    and the others are still sent. A connection that cannot be opened fails the whole batch the same way.
    Safe to run from several processes at once (:func:`_claim`); each row is marked as soon as its message
    is handed over. ``now`` (default: the clock) decides what is due and when a retry is; ``emailed_at`` is the
    clock's time of each hand-over unless ``now`` is given. Returns the counts.
    """
    clock = now is None
    now = now or timezone.now()
    result = SendResult()
    token = uuid.uuid4().hex
    lease_until = now + max(EMAIL_LEASE, timedelta(seconds=2 * limit * (settings.EMAIL_TIMEOUT or 10)))
    ids, result.due = _claim(limit, now, lease_until, token)
    if not ids:
        return result
    rows = list(
        Notification.objects.filter(pk__in=ids, email_claim=token)
        .select_related("recipient")
        .order_by("email_next_attempt_at", "pk")
    )
    outgoing: list[tuple[Notification, EmailMessage]] = []
    for n in rows:
        if n.recipient.email:
            outgoing.append((n, _email(n)))
        else:  # the address was removed after the notification was queued
            Notification.objects.filter(pk=n.pk, email_claim=token).update(
                email_status=Notification.EmailStatus.NONE, email_next_attempt_at=None, email_claim=""
            )
            result.dropped += 1
    conn: Any = None
    for i, (n, message) in enumerate(outgoing):
        try:
            if conn is None:
                conn = get_connection(fail_silently=False)
                conn.open()
        except Exception as exc:  # no connection: every message left fails this attempt
            error = _error_text(exc)
            logger.warning("notification e-mail: cannot connect to the mail server: %s", error)
            for m, _msg in outgoing[i:]:
                _count(result, _failed(m.pk, token, m.email_attempts, error, now))
            return result
        try:
            if not conn.send_messages([message]):
                raise RuntimeError("the e-mail backend accepted no message")
        except Exception as exc:  # this message only: the others are still sent
            error = _error_text(exc)
            logger.warning("notification %s e-mail to %s failed: %s", n.pk, n.recipient.email, error)
            _count(result, _failed(n.pk, token, n.email_attempts, error, now))
            _close(conn)  # the session may be unusable after an error: the next message opens a new one
            conn = None
            continue
        Notification.objects.filter(pk=n.pk, email_claim=token).update(
            email_status=Notification.EmailStatus.SENT, emailed_at=timezone.now() if clock else now,
            email_attempts=n.email_attempts + 1,
            email_next_attempt_at=None, email_claim="",
        )  # fmt: skip
        result.sent += 1
    if conn is not None:
        _close(conn)
    return result


def _count(result: SendResult, status: str) -> None:
    if status == Notification.EmailStatus.FAILED:
        result.failed += 1
    else:
        result.retried += 1


def _close(conn: Any) -> None:
    try:
        conn.close()
    except Exception:  # closing a broken session: nothing more to do
        logger.debug("closing the mail connection failed", exc_info=True)


def drain_email_queue(limit: int = EMAIL_BATCH, now: datetime | None = None) -> SendResult:
    """:func:`send_queued_emails` in batches until nothing due is left (rows that failed are due later; rows a
    concurrent sender claimed first are its own)."""
    total = SendResult()
    while True:
        r = send_queued_emails(limit=limit, now=now)
        total.add(r)
        if not r.due:
            return total


def retry_emails(ids: Any, now: datetime | None = None) -> int:
    """Queue failed (or waiting) notification e-mails for an attempt at once, with a fresh series of attempts
    (the admin's "retry now"). Rows a sender is sending right now, sent rows and rows without an address are
    left alone. Returns the number queued."""
    now = now or timezone.now()
    qs = Notification.objects.filter(pk__in=list(ids), recipient__email__gt="").filter(
        Q(email_status=Notification.EmailStatus.FAILED)
        | Q(email_status=Notification.EmailStatus.QUEUED, email_claim="")
        | Q(email_status=Notification.EmailStatus.QUEUED, email_next_attempt_at__lte=now)  # a dead sender's lease
    )
    return qs.update(
        email_status=Notification.EmailStatus.QUEUED, email_attempts=0, email_next_attempt_at=now, email_claim=""
    )


def email_queue_counts() -> dict[str, int]:
    """Notifications by e-mail status (the command's summary)."""
    rows = Notification.objects.values("email_status").annotate(n=Count("pk")).order_by()
    return {r["email_status"]: r["n"] for r in rows}


def unread_count(user: Any) -> int:
    """How many of the user's notifications are unread (the top bar's badge)."""
    return scoping.notifications(user).filter(read_at__isnull=True).count()


def mark_read(user: Any, ids: Any = None) -> int:
    """Mark the user's notifications read (``ids``: some of them; None: all)."""
    qs = scoping.notifications(user).filter(read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


# --------------------------------------------------------------------------- evaluation


@dataclass
class Evaluation:
    created: int = 0
    candidates: int = 0
    #: notifications made about new high-severity alerts (their e-mails queued)
    notified: int = 0
    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _scope(rule: AlertRule, region_prefix: str) -> str | None:
    """The narrower of the run's prefix and the rule's region (None when they do not overlap)."""
    rule_prefix = rule.region.prefix if rule.region_id and rule.region else ""
    if rule_prefix.startswith(region_prefix):
        return rule_prefix
    if region_prefix.startswith(rule_prefix):
        return region_prefix
    return None


def _alert(
    rule: AlertRule, period: str, region: str, enterprise: int | None, zh: str, en: str, evidence: dict[str, Any]
) -> Alert:
    who = f"e{enterprise}" if enterprise else f"r{region}"
    return Alert(
        rule=rule,
        kind=rule.kind,
        severity=rule.effective_severity,
        enterprise_id=enterprise,
        region_id=region,
        period=period,
        key=f"{rule.pk}:{who}:{period}",
        message_zh=zh[:400],
        message_en=en[:400],
        evidence=evidence,
    )


def _prev(year: int, month: int) -> tuple[int, int]:
    return (year, month - 1) if month > 1 else (year - 1, 12)


def _mom_jump(rule: AlertRule, prefix: str, year: int, month: int, period: str) -> list[Alert]:
    threshold = float(rule.param("threshold", 0.5))
    minimum = float(rule.param("min_tco2e", 10.0))
    py, pm = _prev(year, month)
    prev = AccountEntry.objects.filter(enterprise=OuterRef("enterprise"), is_current=True, year=py, month=pm).values(
        "total_tco2e"
    )[:1]
    rows = (
        AccountEntry.objects.filter(access.prefix_q("region_code", prefix), is_current=True, year=year, month=month)
        .annotate(prev=Subquery(prev))
        .filter(prev__gte=minimum, total_tco2e__gt=F("prev") * (1 + threshold))
        .values("enterprise_id", "enterprise__name", "region_code", "total_tco2e", "prev")
    )
    out = []
    for r in rows:
        change = (r["total_tco2e"] - r["prev"]) / r["prev"]
        out.append(
            _alert(
                rule,
                period,
                r["region_code"],
                r["enterprise_id"],
                f"{r['enterprise__name']} {period} 排放 {r['total_tco2e']:.2f} tCO2e，环比上升 {change:.0%}（阈值 {threshold:.0%}）",  # noqa: E501
                f"{r['enterprise__name']}: {period} emissions {r['total_tco2e']:.2f} tCO2e, up {change:.0%} on the month before (threshold {threshold:.0%})",  # noqa: E501
                {
                    "total": r["total_tco2e"],
                    "previous": r["prev"],
                    "previous_period": f"{py}-{pm:02d}",
                    "change": change,
                    "threshold": threshold,
                },
            )
        )
    return out


def _intensity(rule: AlertRule, prefix: str, year: int, month: int, period: str) -> list[Alert]:
    factor = float(rule.param("factor", 1.5))
    min_group = int(rule.param("min_group", 3))
    qs = AccountEntry.objects.filter(
        access.prefix_q("region_code", prefix), is_current=True, year=year, month=month
    ).annotate(division=Substr("industry_code", 1, 2))
    bench = {
        r["division"]: r
        for r in qs.filter(value_added__gt=0)
        .values("division")
        .annotate(t=Sum("total_tco2e"), va=Sum("value_added"), n=Count("enterprise", distinct=True))
        .order_by()
    }
    out = []
    for r in qs.filter(intensity__isnull=False).values(
        "enterprise_id", "enterprise__name", "region_code", "division", "intensity"
    ):
        b = bench.get(r["division"])
        if not b or b["n"] < min_group or not b["va"]:
            continue
        value = float(b["t"] or 0.0) / float(b["va"])
        if value > 0 and float(r["intensity"] or 0.0) > factor * value:
            out.append(
                _alert(
                    rule,
                    period,
                    r["region_code"],
                    r["enterprise_id"],
                    f"{r['enterprise__name']} {period} 强度 {r['intensity']:.3f} tCO2e/万元，超过行业 {r['division']} 基准 {value:.3f} 的 {factor:g} 倍",  # noqa: E501
                    f"{r['enterprise__name']}: {period} intensity {r['intensity']:.3f} tCO2e/10k CNY, above {factor:g} × the division {r['division']} benchmark {value:.3f}",  # noqa: E501
                    {
                        "intensity": r["intensity"],
                        "benchmark": value,
                        "division": r["division"],
                        "group_size": b["n"],
                        "factor": factor,
                    },
                )
            )
    return out


def _missing(rule: AlertRule, prefix: str, year: int, month: int, period: str) -> list[Alert]:
    done = Submission.objects.filter(
        is_current=True, period__year=year, period__month=month, status__in=["submitted", "verified", "locked"]
    ).values("enterprise_id")
    rows = (
        Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE, is_active=True)
        .filter(access.prefix_q("region__code", prefix))
        .exclude(pk__in=done)
        .values("pk", "name", "region_id")
    )
    return [
        _alert(
            rule,
            period,
            r["region_id"],
            r["pk"],
            f"{r['name']} 未报送 {period} 数据（无已提交/已核查/已锁定的版本）",
            f"{r['name']} has not submitted {period} (no submitted, verified or locked version)",
            {"period": period},
        )
        for r in rows
        if r["region_id"]
    ]


def _budget(rule: AlertRule, prefix: str, year: int, month: int, period: str) -> list[Alert]:
    tolerance = float(rule.param("tolerance", 0.0))
    targets = list(
        Target.objects.filter(access.prefix_q("region_id", prefix), year=year, total_tco2e__gt=0).select_related(
            "region"
        )
    )
    if not targets:
        return []
    grid_qs = (
        AccountEntry.objects.filter(access.prefix_q("region_code", prefix), is_current=True, year__in=[year, year - 1])
        .filter(Q(year=year, month__lte=month) | Q(year=year - 1))
        .values("region_code", "year", "month")
        .annotate(total=Sum("total_tco2e"))
        .order_by()
    )
    grid = list(grid_qs)
    out = []
    for t in targets:
        p = t.region.prefix
        ytd = sum(float(g["total"] or 0) for g in grid if g["year"] == year and str(g["region_code"]).startswith(p))
        last: dict[int, float] = defaultdict(float)
        for g in grid:
            if g["year"] == year - 1 and str(g["region_code"]).startswith(p):
                last[g["month"]] += float(g["total"] or 0)
        projected, method = project(ytd, month, last)
        budget = float(t.total_tco2e or 0)
        if projected is not None and projected > budget * (1 + tolerance):
            out.append(
                _alert(
                    rule,
                    period,
                    t.region_id,
                    None,
                    f"{t.region.name} {year} 年预计排放 {projected:.0f} tCO2e，超出预算 {budget:.0f} tCO2e（截至 {month} 月，{method}）",  # noqa: E501
                    f"{t.region.name}: {year} projected {projected:.0f} tCO2e exceeds the budget {budget:.0f} tCO2e (through month {month}, {method})",  # noqa: E501
                    {"ytd": ytd, "projected": projected, "budget": budget, "method": method, "through": month},
                )
            )
    return out


def _downgrade(rule: AlertRule, prefix: str, year: int, month: int, period: str) -> list[Alert]:
    from dualcarbon.rating.models import RatingResult

    steps = int(rule.param("steps", 1))
    prev = RatingResult.objects.filter(
        enterprise=OuterRef("enterprise"), is_current=True, year=year - 1, month=0, grade__isnull=False
    ).values("grade")[:1]
    rows = (
        RatingResult.objects.filter(
            access.prefix_q("region_code", prefix), is_current=True, year=year, month=0, grade__isnull=False
        )
        .annotate(prev=Subquery(prev))
        .filter(prev__isnull=False, grade__gte=F("prev") + steps)
        .values("enterprise_id", "enterprise__name", "region_code", "grade", "prev")
    )
    return [
        _alert(
            rule,
            str(year),
            r["region_code"],
            r["enterprise_id"],
            f"{r['enterprise__name']} {year} 年碳效等级由 {r['prev']} 级降至 {r['grade']} 级",
            f"{r['enterprise__name']}: {year} carbon-efficiency grade fell from {r['prev']} to {r['grade']}",
            {"grade": r["grade"], "previous": r["prev"], "year": year},
        )
        for r in rows
    ]


EVALUATORS: dict[str, Callable[[AlertRule, str, int, int, str], list[Alert]]] = {
    AlertRule.Kind.MOM_JUMP: _mom_jump,
    AlertRule.Kind.INTENSITY: _intensity,
    AlertRule.Kind.MISSING: _missing,
    AlertRule.Kind.BUDGET: _budget,
    AlertRule.Kind.DOWNGRADE: _downgrade,
}


def evaluate_alerts(region_prefix: str, year: int, month: int) -> Evaluation:
    """Run every active rule over ``region_prefix`` for a month; idempotent (one alert per rule/subject/period).

    Each rule issues a fixed number of queries (no per-enterprise query); alerts are inserted in bulk and
    an existing alert (whatever its status) is never duplicated or reopened.
    """
    result = Evaluation()
    period = f"{year}-{month:02d}"
    valid = set(Region.objects.values_list("code", flat=True).filter(access.prefix_q("code", region_prefix)))
    for rule in AlertRule.objects.filter(active=True).select_related("region"):
        prefix = _scope(rule, region_prefix)
        if prefix is None:
            continue
        alerts = [a for a in EVALUATORS[rule.kind](rule, prefix, year, month, period) if a.region_id in valid]
        result.candidates += len(alerts)
        if not alerts:
            continue
        existing = set(Alert.objects.filter(key__in=[a.key for a in alerts]).values_list("key", flat=True))
        new = [a for a in alerts if a.key not in existing]
        Alert.objects.bulk_create(new, ignore_conflicts=True)
        result.created += len(new)
        result.by_kind[rule.kind] += len(new)
        if new:
            _announce([a.key for a in new], result)
    return result


def _announce(keys: list[str], result: Evaluation) -> None:
    """The history's first line for new alerts, and the notification of the region's government for the
    high-severity ones (a fixed number of queries)."""
    created = list(Alert.objects.filter(key__in=keys).select_related("region"))
    AlertEvent.objects.bulk_create(
        [AlertEvent(alert=a, action=AlertEvent.Action.CREATED, at=a.created_at, to_status=a.status) for a in created],
        batch_size=1000,
    )
    high = [a for a in created if a.severity == Severity.HIGH]
    if not high:
        return
    audience = scoping.alert_audience({a.region_id for a in high})
    rows = [_notification(u, Notification.Kind.HIGH_ALERT, a) for a in high for u in audience.get(a.region_id, [])]
    result.notified += len(_notify(rows))

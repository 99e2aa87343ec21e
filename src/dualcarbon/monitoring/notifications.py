"""Notifications: the in-app notices about alerts (assigned to you, your alert's status changed, a new
high-severity alert in your jurisdiction), in Chinese and English, and their e-mail through an outbox.

Making a notification (:func:`alert_notification`) and storing it (:func:`notify`) happen in the transaction of
the change it reports; a recipient with an address gets the row *queued* for e-mail there. Nothing is sent in
that transaction: :func:`send_queued_emails` (``dualcarbon send_notifications``) claims due rows with a lease,
sends them over one connection per batch, and records each success or failure (back-off
:func:`email_backoff`, given up after :data:`EMAIL_MAX_ATTEMPTS`); :func:`retry_emails` is the admin's "retry
now". ``docs/monitoring.md`` § E-mail outbox has the state diagram.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from dualcarbon.ui import names

from . import scoping
from .models import Alert, Notification

logger = logging.getLogger(__name__)

# --------------------------------------------------------------------------- notifications

#: the notification texts (translated into both languages when a notification is made)
MESSAGES: dict[str, str] = {
    Notification.Kind.ASSIGNED: gettext_noop("%(actor)s 将一条预警指派给您：%(alert)s"),
    Notification.Kind.STATUS: gettext_noop("%(actor)s 将您负责的预警改为“%(status)s”：%(alert)s"),
    Notification.Kind.HIGH_ALERT: gettext_noop("新的高严重程度预警：%(alert)s"),
    Notification.Kind.RAISED: gettext_noop("新的预警交由您处理：%(alert)s"),
}
COMMENT = gettext_noop("说明：%(comment)s")


def _both(kind: str, alert: Alert, actor: Any, comment: str = "") -> tuple[str, str]:
    """The notification text in Chinese and in English."""
    out = []
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            text = gettext(MESSAGES[kind]) % {
                "actor": names.person_name(actor, ""),
                "status": str(Alert.Status(alert.status).label),
                "alert": alert.message_for(lang),
            }
            if comment:
                text += " " + gettext(COMMENT) % {"comment": comment}
        out.append(text[:500])
    return out[0], out[1]


def alert_notification(recipient: Any, kind: str, alert: Alert, actor: Any = None, comment: str = "") -> Notification:
    """A notification about ``alert`` for ``recipient`` (not stored yet: :func:`notify` stores a batch)."""
    zh, en = _both(kind, alert, actor, comment)
    return Notification(recipient=recipient, kind=kind, alert=alert, message_zh=zh, message_en=en)


def notify(rows: list[Notification], now: datetime | None = None) -> list[Notification]:
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


def unread_count(user: Any) -> int:
    """How many of the user's notifications are unread (the top bar's badge)."""
    return scoping.notifications(user).filter(read_at__isnull=True).count()


def mark_read(user: Any, ids: Any = None) -> int:
    """Mark the user's notifications read (``ids``: some of them; None: all)."""
    qs = scoping.notifications(user).filter(read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


# --------------------------------------------------------------------------- the e-mail outbox


def _email(n: Notification) -> EmailMessage:
    """The e-mail of a notification: both languages' texts and the link to its alert."""
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

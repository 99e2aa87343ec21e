"""The notification e-mail outbox: queued with the change (no mail in the request or the evaluation run), sent
by ``services.send_queued_emails`` / ``dualcarbon send_notifications``, a failure retried with back-off and
given up after ``EMAIL_MAX_ATTEMPTS``, other messages unaffected, no row sent twice; the admin's "retry now"."""

from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from dualcarbon.monitoring import services
from dualcarbon.monitoring.models import Alert, AlertRule, Notification
from dualcarbon.registry import services as registry
from dualcarbon.registry.models import Membership
from tests.factories import PASSWORD
from tests.web.helpers import fast_world, login

from . import mail_backends

BACKENDS = "tests.monitoring.mail_backends."
QUEUED, SENT, FAILED, NONE = "queued", "sent", "failed", "none"


def _world(settings: Any) -> Any:
    world = fast_world(settings)
    u = world.users
    u["gov"].email = "gov@gov.example.cn"
    u["gov"].save()
    for name in ("a", "bad", "c", "d"):
        u[name] = registry.create_user(name, PASSWORD, world.government, Membership.Role.GOVERNMENT_STAFF)
        u[name].email = f"{name}@gov.example.cn"
        u[name].save()
    # the rule migration 0002 seeds: a transactional test run before this one flushes seeded rows away
    AlertRule.objects.get_or_create(kind="missing_submission", region=None, defaults={"params": {}, "active": True})
    services.evaluate_alerts("3399", 2024, 1)  # two missing-submission alerts (cement, steel)
    world.alert = Alert.objects.get(enterprise=world.cement)
    return world


@pytest.fixture
def world(settings: Any, db: Any) -> Any:
    mail_backends.RefusingBackend.opened = 0
    mail_backends.SecondSenderBackend.inner = []
    return _world(settings)


def queue(world: Any, *names: str, now: Any = None) -> list[Notification]:
    """One 'assigned' notification per user, through the services' own writer (as assign() does)."""
    rows = [services._notification(world.users[n], Notification.Kind.ASSIGNED, world.alert) for n in names]
    return services._notify(rows, now=now)


def state(n: Notification) -> tuple[str, int, Any]:
    n.refresh_from_db()
    return n.email_status, n.email_attempts, n.email_next_attempt_at


@pytest.mark.django_db
def test_the_request_only_queues_and_the_sender_sends(client: Any, world: Any, django_capture_on_commit_callbacks: Any):
    url = reverse("monitoring:alert", args=[world.alert.pk])
    login(client, world.users["gov"])
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        r = client.post(url, {"action": "assign", "assignee": world.users["a"].pk, "comment": "请跟进"})
    assert r.status_code == 302
    assert mail.outbox == [] and callbacks == []  # nothing sent in the request, nothing left for after the commit
    n = Notification.objects.get(recipient=world.users["a"])
    assert n.email_status == QUEUED and n.email_attempts == 0 and n.emailed_at is None
    assert before <= n.email_next_attempt_at <= timezone.now()  # due at once
    result = services.send_queued_emails()
    assert (result.sent, result.retried, result.failed) == (1, 0, 0)
    assert [m.to for m in mail.outbox] == [["a@gov.example.cn"]] and "请跟进" in mail.outbox[0].body
    status, attempts, next_at = state(n)
    assert (status, attempts, next_at) == (SENT, 1, None) and n.emailed_at is not None and n.email_claim == ""
    # called again: nothing is sent twice
    assert services.send_queued_emails().claimed == 0 and len(mail.outbox) == 1


@pytest.mark.django_db
def test_no_address_means_no_email(world: Any):
    cement = world.users["cement"]  # enterprise staff have no address in the world
    n = services._notify([services._notification(cement, Notification.Kind.STATUS, world.alert)])[0]
    assert state(n) == (NONE, 0, None)
    assert services.send_queued_emails().claimed == 0 and mail.outbox == []
    # an address removed after the notification was queued: the sender drops it (none), sends the others
    queued = queue(world, "a", "c")
    world.users["a"].email = ""
    world.users["a"].save()
    result = services.send_queued_emails()
    assert (result.sent, result.dropped) == (1, 1) and [m.to for m in mail.outbox] == [["c@gov.example.cn"]]
    assert state(queued[0]) == (NONE, 0, None)


def test_backoff_grows_five_times_and_is_capped():
    minutes = [services.email_backoff(n) / timedelta(minutes=1) for n in range(1, 9)]
    assert minutes == [1, 5, 25, 125, 360, 360, 360, 360]
    assert services.EMAIL_MAX_ATTEMPTS == 8


@pytest.mark.django_db
def test_a_refused_address_is_retried_with_backoff_then_failed_and_never_blocks_the_others(world: Any, settings: Any):
    settings.EMAIL_BACKEND = BACKENDS + "RefusingBackend"
    t0 = timezone.now()
    good1, bad, good2 = queue(world, "a", "bad", "c", now=t0)  # the bad address between two good ones
    r = services.send_queued_emails(now=t0)
    assert (r.sent, r.retried, r.failed) == (2, 1, 0)
    assert sorted(m.to[0] for m in mail.outbox) == ["a@gov.example.cn", "c@gov.example.cn"]
    assert mail_backends.RefusingBackend.opened == 2  # one connection; a new one after the refusal
    assert state(good1)[0] == state(good2)[0] == SENT
    assert state(bad) == (QUEUED, 1, t0 + timedelta(minutes=1))
    assert "SMTPRecipientsRefused" in bad.email_last_error and "550" in bad.email_last_error
    assert bad.emailed_at is None and bad.email_claim == ""

    # not due yet: untouched; then each due attempt fails and waits 5, 25, 125 min, 6 h, 6 h, 6 h
    assert services.send_queued_emails(now=t0 + timedelta(seconds=59)).claimed == 0
    at = t0 + timedelta(minutes=1)
    for attempt, wait in zip(range(2, 8), (5, 25, 125, 360, 360, 360), strict=True):
        r = services.send_queued_emails(now=at)
        assert (r.sent, r.retried, r.failed) == (0, 1, 0)
        assert state(bad) == (QUEUED, attempt, at + timedelta(minutes=wait))
        at += timedelta(minutes=wait)
    # the eighth attempt is the last: failed, nothing due any more
    r = services.send_queued_emails(now=at)
    assert (r.sent, r.retried, r.failed) == (0, 0, 1)
    assert state(bad) == (FAILED, 8, None) and "550" in bad.email_last_error
    assert services.send_queued_emails(now=at + timedelta(days=30)).claimed == 0
    assert len(mail.outbox) == 2  # the good ones once each, whatever happened to the bad one

    # "retry now" (the admin action's service) after the address is corrected: a fresh series, sent
    world.users["bad"].email = "bad-fixed@gov.example.cn"
    world.users["bad"].save()
    assert services.retry_emails([bad.pk, good1.pk], now=at) == 1  # a sent row is not sent again
    assert state(bad) == (QUEUED, 0, at)
    assert services.send_queued_emails(now=at).sent == 1
    assert state(bad)[:2] == (SENT, 1) and mail.outbox[-1].to == ["bad-fixed@gov.example.cn"]
    assert bad.email_last_error.startswith("SMTPRecipientsRefused")  # the last failure stays on record


@pytest.mark.django_db
def test_an_unreachable_server_fails_the_batch_for_now_and_it_goes_out_later(world: Any, settings: Any):
    settings.EMAIL_BACKEND = BACKENDS + "DownBackend"
    t0 = timezone.now()
    rows = queue(world, "a", "c", "d", now=t0)
    r = services.send_queued_emails(now=t0)
    assert (r.sent, r.retried, r.failed) == (0, 3, 0) and mail.outbox == []
    for n in rows:
        assert state(n) == (QUEUED, 1, t0 + timedelta(minutes=1))
        assert n.email_last_error.startswith("ConnectionRefusedError")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the server is back
    assert services.send_queued_emails(now=t0 + timedelta(minutes=1)).sent == 3
    assert sorted(m.to[0] for m in mail.outbox) == ["a@gov.example.cn", "c@gov.example.cn", "d@gov.example.cn"]
    assert all(state(n)[:2] == (SENT, 2) for n in rows)


@pytest.mark.django_db
def test_a_second_sender_running_meanwhile_does_not_take_the_first_ones_rows(world: Any, settings: Any):
    settings.EMAIL_BACKEND = BACKENDS + "SecondSenderBackend"
    rows = queue(world, "a", "c", "d")
    first = services.send_queued_emails(limit=2)  # claims a and c; while sending a, a second sender runs
    (second,) = mail_backends.SecondSenderBackend.inner
    assert (first.sent, second.sent) == (2, 1)
    assert sorted(m.to[0] for m in mail.outbox) == ["a@gov.example.cn", "c@gov.example.cn", "d@gov.example.cn"]
    assert all(state(n)[:2] == (SENT, 1) for n in rows)


@pytest.mark.django_db
def test_a_dead_senders_rows_are_sent_after_its_lease(world: Any):
    t0 = timezone.now()
    rows = queue(world, "a", "c", now=t0)
    lease_until = t0 + services.EMAIL_LEASE
    claimed, due = services._claim(10, t0, lease_until, "deadbeef")  # …and dies
    assert sorted(claimed) == sorted(n.pk for n in rows) and due == 2
    assert services._claim(10, t0, lease_until, "other") == ([], 0)
    assert services.send_queued_emails(now=lease_until - timedelta(seconds=1)).claimed == 0
    assert services.send_queued_emails(now=lease_until).sent == 2 and len(mail.outbox) == 2


@pytest.mark.django_db
def test_batches_respect_the_limit_and_drain_takes_them_all(world: Any):
    queue(world, "a", "bad", "c", "d", "gov")
    assert services.send_queued_emails(limit=2).sent == 2
    assert Notification.objects.filter(email_status=QUEUED).count() == 3
    total = services.drain_email_queue(limit=2)
    assert total.sent == 3 and len(mail.outbox) == 5
    assert len({m.to[0] for m in mail.outbox}) == 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_send_every_message_exactly_once(settings: Any):
    if connection.vendor == "sqlite":  # shared-cache table locks fail at once instead of waiting as a file would
        pytest.skip("threads on SQLite's in-memory test database; the one-sender-inside-another test covers SQLite")
    settings.EMAIL_BACKEND = BACKENDS + "SlowBackend"
    world = _world(settings)
    User = get_user_model()
    names = []
    for i in range(40):
        user = User.objects.create_user(f"officer{i}", email=f"officer{i}@gov.example.cn")
        world.users[user.username] = user
        names.append(user.username)
    queue(world, *names)
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            services.drain_email_queue(limit=3)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    sent = sorted(m.to[0] for m in mail.outbox)
    assert sent == sorted(f"{n}@gov.example.cn" for n in names)  # each once: no double send, none left
    assert Notification.objects.filter(email_status=SENT, email_attempts=1).count() == 40


@pytest.mark.django_db
def test_the_command_sends_and_prints_the_counts(world: Any, settings: Any):
    settings.EMAIL_BACKEND = BACKENDS + "RefusingBackend"
    queue(world, "a", "bad", "c")
    out = StringIO()
    call_command("send_notifications", stdout=out)
    assert out.getvalue().strip() == (
        "notification e-mail: 2 sent, 1 to retry, 0 failed (queue: 1 queued, 0 failed in all)"
    )
    out = StringIO()
    call_command("send_notifications", stdout=out)  # the refused one is not due yet
    assert out.getvalue().strip().startswith("notification e-mail: 0 sent, 0 to retry, 0 failed")
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_the_command_loops_until_stopped(world: Any, monkeypatch: Any):
    from dualcarbon.monitoring.management.commands import send_notifications

    passes: list[float] = []

    def sleep(seconds: float) -> None:
        passes.append(seconds)
        if len(passes) == 1:
            queue(world, "c")  # something new arrives between passes
        else:
            raise KeyboardInterrupt

    monkeypatch.setattr(send_notifications, "time", SimpleNamespace(sleep=sleep))
    queue(world, "a")
    out = StringIO()
    call_command("send_notifications", "--loop", "30", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert passes == [30.0, 30.0]
    assert lines[0] == "notification e-mail: draining the queue every 30 s (Ctrl-C stops)"
    assert lines[1].startswith("notification e-mail: 1 sent") and lines[2].startswith("notification e-mail: 1 sent")
    assert lines[-1] == "notification e-mail: stopped"
    assert [m.to[0] for m in mail.outbox] == ["a@gov.example.cn", "c@gov.example.cn"]


@pytest.mark.django_db
def test_the_command_refuses_bad_options(world: Any):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("send_notifications", "--loop", "0")
    with pytest.raises(CommandError):
        call_command("send_notifications", "--limit", "0")


@pytest.mark.django_db
def test_the_admin_lists_the_outbox_and_retries_failed_emails(client: Any, world: Any, settings: Any):
    settings.EMAIL_BACKEND = BACKENDS + "DownBackend"
    ok, bad = queue(world, "a", "bad")
    services.send_queued_emails()
    Notification.objects.filter(pk=bad.pk).update(email_status=FAILED, email_attempts=8, email_next_attempt_at=None)
    admin = get_user_model().objects.create_superuser("root", "root@example.cn", PASSWORD)
    client.force_login(admin)
    url = reverse("admin:monitoring_notification_changelist")
    html = client.get(url + "?email_status__exact=failed").content.decode()
    assert "ConnectionRefusedError" in html and "发送失败" in html and "立即重新发送邮件" in html
    r = client.post(url, {"action": "retry_email", "_selected_action": [bad.pk]}, follow=True)
    assert "1 条通知邮件已重新排队" in r.content.decode()
    status, attempts, next_at = state(bad)
    assert (status, attempts) == (QUEUED, 0) and next_at is not None and next_at <= timezone.now()
    # English
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Retry the e-mail now" in html and "Queued" in html
    # staff who may only view notifications do not get the action
    viewer = get_user_model().objects.create_user("viewer", "viewer@example.cn", PASSWORD, is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_notification"))
    client.force_login(viewer)
    r = client.get(url)
    assert r.status_code == 200 and "立即重新发送邮件" not in r.content.decode()
    r = client.post(url, {"action": "retry_email", "_selected_action": [ok.pk]})
    assert state(ok)[0] == QUEUED and Notification.objects.get(pk=ok.pk).email_attempts == 1  # unchanged

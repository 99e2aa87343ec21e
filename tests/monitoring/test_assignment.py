"""Alerts assigned to a named person, their history, in-app notifications (nav count, list, mark read) and
e-mail (queued, then sent by the outbox: tests/monitoring/test_email_outbox.py); the state machine's refusals in
the user's language."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from dualcarbon.monitoring import services
from dualcarbon.monitoring.models import Alert, AlertEvent, AlertRule, Notification, Severity, Target
from dualcarbon.registry import services as registry
from dualcarbon.registry.models import Membership, Organisation
from tests.factories import PASSWORD
from tests.web.helpers import count_queries, fast_world, login, submit_month

pytestmark = pytest.mark.django_db
ALERTS = reverse("monitoring:alerts")
NOTIFICATIONS = reverse("monitoring:notifications")


@pytest.fixture
def world(settings):
    world = fast_world(settings)
    u = world.users
    # a second officer of the city, one of 东城区, with e-mail addresses; an officer of another city
    u["gov2"] = registry.create_user("gov2", PASSWORD, world.government, Membership.Role.GOVERNMENT_STAFF)
    u["district2"] = registry.create_user("district2", PASSWORD, world.district_gov, Membership.Role.GOVERNMENT_STAFF)
    hz = Organisation.objects.create(kind="government", name="杭州市发改委", region_id="330100")
    u["hz"] = registry.create_user("hz", PASSWORD, hz, Membership.Role.GOVERNMENT_STAFF)
    for key in ("gov", "gov2", "district", "district2", "hz"):
        u[key].email = f"{key}@gov.example.cn"
        u[key].save()
    services.evaluate_alerts("3399", 2024, 1)  # cement and steel have no January: two missing-submission alerts
    world.cement_alert = Alert.objects.get(enterprise=world.cement)
    world.steel_alert = Alert.objects.get(enterprise=world.steel)
    return world


def test_assignees_are_the_government_staff_covering_the_alerts_region(world):
    from dualcarbon.monitoring import scoping

    u = world.users
    names = lambda a: [x.get_username() for x in scoping.alert_assignees(a)]  # noqa: E731
    assert names(world.cement_alert) == ["district", "district2", "gov", "gov2"]  # 东城区 and the city
    assert names(world.steel_alert) == ["gov", "gov2"]  # 西城区: the city only
    # an inactive membership does not count
    Membership.objects.filter(user=u["district2"]).update(is_active=False)
    assert names(world.cement_alert) == ["district", "gov", "gov2"]


def test_assign_records_the_history_and_notifies_the_assignee(world, django_capture_on_commit_callbacks):
    u = world.users
    alert = world.cement_alert
    with django_capture_on_commit_callbacks(execute=True):
        alert = services.assign(u["gov"], alert, u["district"], "请核实该企业一月数据")
    assert alert.owner == u["district"] and alert.status == Alert.Status.NEW
    event = alert.events.get(action=AlertEvent.Action.ASSIGNED)
    assert (event.actor, event.from_owner, event.to_owner) == (u["gov"], None, u["district"])
    assert (event.from_status, event.to_status, event.comment) == ("new", "new", "请核实该企业一月数据")
    n = Notification.objects.get(recipient=u["district"])
    assert n.kind == "assigned" and n.alert == alert and n.read_at is None
    assert "gov" in n.message_zh and "请核实" in n.message_zh and "assigned an alert to you" in n.message_en
    # the e-mail is queued with the assignment (outbox), not sent in the request, even after the commit
    assert mail.outbox == []
    assert (n.email_status, n.email_attempts, n.emailed_at) == ("queued", 0, None)
    assert services.send_queued_emails().sent == 1
    assert len(mail.outbox) == 1
    m = mail.outbox[0]
    assert m.to == ["district@gov.example.cn"] and "预警指派给您" in m.subject and "Alert assigned to you" in m.subject
    assert n.message_zh in m.body and reverse("monitoring:alert", args=[alert.pk]) in m.body
    n.refresh_from_db()
    assert (n.email_status, n.email_attempts, n.email_last_error) == ("sent", 1, "") and n.emailed_at is not None
    # reassigning: from → to in the history; the new assignee is told
    with django_capture_on_commit_callbacks(execute=True):
        services.assign(u["district"], alert, u["gov2"])
    last = alert.events.filter(action="assigned").last()
    assert (last.from_owner, last.to_owner, last.actor) == (u["district"], u["gov2"], u["district"])
    assert Notification.objects.filter(recipient=u["gov2"], kind="assigned").count() == 1
    assert len(mail.outbox) == 1 and services.send_queued_emails().sent == 1
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["gov2@gov.example.cn"]


def test_assignment_is_validated_through_scoping(world):
    u = world.users
    steel = world.steel_alert
    # the district officer cannot take (or be given) an alert of the other district
    with pytest.raises(services.AssignmentError):
        services.assign(u["gov"], steel, u["district"])
    for outsider in ("hz", "cement", "bank", "verifier", "admin"):  # another city, non-government, the admin
        with pytest.raises(services.AssignmentError):
            services.assign(u["gov"], steel, u[outsider])
    with pytest.raises(services.AssignmentError):
        services.assign(u["gov"], steel, None)
    # nor can someone outside the region assign it
    with pytest.raises(PermissionError):
        services.assign(u["district"], steel, u["gov"])
    with pytest.raises(PermissionError):
        services.assign(u["hz"], steel, u["gov"])
    assert Alert.objects.get(pk=steel.pk).owner is None
    assert not AlertEvent.objects.filter(alert=steel, action="assigned").exists()
    assert not Notification.objects.exists()
    # the same person twice, and a resolved alert: refused
    services.assign(u["gov"], steel, u["gov2"])
    with pytest.raises(services.AssignmentError):
        services.assign(u["gov"], steel, u["gov2"])
    services.resolve(u["gov2"], steel, "已补报")
    with pytest.raises(services.TransitionError):
        services.assign(u["gov"], steel, u["gov"])


def test_every_status_change_is_recorded_and_the_owner_told(world, django_capture_on_commit_callbacks):
    u = world.users
    alert = services.assign(u["gov"], world.cement_alert, u["district"])
    with django_capture_on_commit_callbacks(execute=True):
        services.acknowledge(u["gov"], alert, "已电话联系企业")
        services.resolve(u["district"], alert, "企业已补报")
    rows = list(alert.events.order_by("at", "pk").values_list("action", "actor__username", "from_status", "to_status"))
    assert rows == [
        ("created", None, "", "new"),
        ("assigned", "gov", "new", "new"),
        ("acknowledged", "gov", "new", "acknowledged"),
        ("resolved", "district", "acknowledged", "resolved"),
    ]
    assert [e.comment for e in alert.events.order_by("at", "pk")][2:] == ["已电话联系企业", "企业已补报"]
    # the owner (district) heard of the gov's acknowledgement, not of its own resolution
    told = Notification.objects.filter(recipient=u["district"], kind="status")
    assert told.count() == 1 and "已确认" in told.get().message_zh
    alert.refresh_from_db()
    assert alert.resolution == "企业已补报" and alert.owner == u["district"]


def test_invalid_moves_are_refused_with_a_clear_message_in_both_languages(world):
    u = world.users
    alert = services.resolve(u["gov"], world.cement_alert)
    for lang, words in (("zh-hans", ("已处理", "不能再", "确认")), ("en", ("Resolved", "no longer", "Acknowledge"))):
        with translation.override(lang), pytest.raises(services.TransitionError) as exc:
            services.acknowledge(u["gov"], alert)
        assert all(w in str(exc.value) for w in words), str(exc.value)
    acked = services.acknowledge(u["gov"], world.steel_alert)
    with translation.override("en"), pytest.raises(services.TransitionError) as exc:
        services.acknowledge(u["gov"], acked)
    assert "Acknowledged" in str(exc.value) and "allowed: Resolve" in str(exc.value)
    assert AlertEvent.objects.filter(alert=acked).count() == 2  # created, acknowledged: the refusal left nothing


def test_high_severity_alerts_notify_the_regions_government(world, django_capture_on_commit_callbacks):
    assert AlertRule.objects.get(kind="budget_overrun_projected", region=None).effective_severity == "high"
    submit_month(world.users["cement"], world.cement, 2024, 2)
    Target.objects.create(region=world.city, year=2024, total_tco2e=10.0)  # surely overrun
    with django_capture_on_commit_callbacks(execute=True):
        result = services.evaluate_alerts("3399", 2024, 2)
    budget = Alert.objects.get(kind="budget_overrun_projected")
    assert budget.severity == Severity.HIGH and budget.region_id == "339900"
    told = set(
        Notification.objects.filter(kind="high_alert", alert=budget).values_list("recipient__username", flat=True)
    )
    assert told == {"gov", "gov2"}  # the city's officers; not 东城区's, not Hangzhou's
    assert result.notified == 2
    assert mail.outbox == []  # the evaluation run only queues
    assert services.send_queued_emails().sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["gov2@gov.example.cn", "gov@gov.example.cn"]
    # low-severity alerts (missing submissions) notify nobody; every new alert has its first history line
    assert not Notification.objects.filter(alert__kind="missing_submission").exists()
    assert all(a.events.filter(action="created").exists() for a in Alert.objects.all())
    # evaluating again adds nothing and tells nobody again
    services.evaluate_alerts("3399", 2024, 2)
    assert Notification.objects.filter(kind="high_alert").count() == 2


def test_alert_page_assigns_and_moves_with_comments(client, world):
    u = world.users
    url = reverse("monitoring:alert", args=[world.cement_alert.pk])
    login(client, u["gov"])
    r = client.get(url)
    assert r.status_code == 200
    assert [x.get_username() for x in r.context["assignees"]] == ["district", "district2", "gov", "gov2"]
    r = client.post(url, {"action": "assign", "assignee": u["district"].pk, "comment": "请跟进"})
    assert r.status_code == 302 and Alert.objects.get(pk=world.cement_alert.pk).owner == u["district"]
    # someone out of the region is refused with a message, nothing changes
    r = client.post(url, {"action": "assign", "assignee": u["hz"].pk}, follow=True)
    assert "只能指派给辖区覆盖该预警地区的政府工作人员" in r.content.decode()
    assert Alert.objects.get(pk=world.cement_alert.pk).owner == u["district"]
    client.post(url, {"action": "acknowledge", "comment": "已联系"})
    client.post(url, {"action": "resolve", "comment": "已补报"})
    html = client.get(url).content.decode()
    assert all(w in html for w in ("请跟进", "已联系", "已补报", "district", "新预警 → 已确认", "已确认 → 已处理"))
    # a second resolve: refused, explained
    r = client.post(url, {"action": "resolve"}, follow=True)
    assert "不能再" in r.content.decode()
    r = client.post(url, {"action": "resolve"}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "a resolved alert no longer changes" in r.content.decode()
    assert client.post(url, {"action": "reopen"}).status_code == 400
    # the district officer cannot open the other district's alert; enterprise staff get 404 (read), 403 (write)
    login(client, u["district"])
    assert client.get(reverse("monitoring:alert", args=[world.steel_alert.pk])).status_code == 404
    assert client.get(reverse("monitoring:alert", args=[987654])).status_code == 404
    login(client, u["cement"])
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "assign", "assignee": u["gov"].pk}).status_code == 403


def test_notifications_count_in_the_nav_list_and_mark_read(client, world):
    u = world.users
    services.assign(u["gov"], world.cement_alert, u["district"], "一")
    services.assign(u["gov"], world.steel_alert, u["gov2"])
    services.assign(u["gov2"], world.steel_alert, u["gov"])  # gov2 hands it back: gov is told
    login(client, u["district"])
    html = client.get(reverse("monitoring:dashboard")).content.decode()
    assert 'id="nav-notifications"' in html and '<span class="count">1</span>' in html
    r = client.get(NOTIFICATIONS)
    rows = list(r.context["page"])
    assert [n.alert for n in rows] == [world.cement_alert]  # its own only
    assert world.steel.name not in r.content.decode()
    client.post(NOTIFICATIONS, {"notification": rows[0].pk})
    assert Notification.objects.get(pk=rows[0].pk).read_at is not None
    assert '<span class="count">' not in client.get(reverse("monitoring:dashboard")).content.decode()
    # another user's notification cannot be marked read
    theirs = Notification.objects.get(recipient=u["gov"])
    client.post(NOTIFICATIONS, {"notification": theirs.pk})
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    # "mark all read", the unread filter
    login(client, u["gov"])
    assert len(client.get(NOTIFICATIONS + "?show=unread").context["page"]) == 1
    client.post(NOTIFICATIONS, {"all": "1"})
    assert not Notification.objects.filter(recipient=u["gov"], read_at__isnull=True).exists()
    assert len(client.get(NOTIFICATIONS + "?show=unread").context["page"]) == 0
    # English
    html = client.get(NOTIFICATIONS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Notifications" in html and "assigned an alert to you" in html
    # not for enterprise staff (a read: exactly like a missing page)
    login(client, u["cement"])
    assert client.get(NOTIFICATIONS).status_code == 404


def test_notification_page_query_count_does_not_grow(client, world):
    u = world.users
    login(client, u["gov"])
    services.assign(u["gov2"], world.cement_alert, u["gov"])
    client.get(NOTIFICATIONS)
    small, _ = count_queries(client, NOTIFICATIONS)
    for i in range(6):
        a = Alert.objects.create(
            rule=world.cement_alert.rule, kind="missing_submission", region_id="339901", period=f"2023-{i + 1:02d}",
            key=f"t/{i}", message_zh=f"测试 {i}", enterprise=world.cement,
        )  # fmt: skip
        services.assign(u["gov2"], a, u["gov"])
    big, response = count_queries(client, NOTIFICATIONS)
    assert len(response.context["page"]) == 7 and big == small

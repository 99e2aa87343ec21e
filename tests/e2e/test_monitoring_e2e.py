"""Regional monitoring in the browser: the city government reads the submission completeness per district and
drills down to the enterprises that have not submitted.

The world is build_world(): cement (东城区) reports January–March 2024, steel (西城区) January only; the firm
outside the city reports too and must never appear.
"""

from __future__ import annotations

from typing import Any

from dualcarbon.reporting import services
from tests.e2e.helpers import login, shot
from tests.factories import World, cement_month

YEAR = 2024


def _report(world: World, key: str, org: Any, months: range) -> None:
    user = world.users[key]
    for month in months:
        draft = services.draft_for(user, org, YEAR, month)
        services.save_draft(user, draft, services.DraftData(**cement_month(clinker=50000 + 100 * month)))
        services.submit(user, draft)


def test_government_finds_the_enterprises_that_have_not_submitted(page: Any, live_server: Any, world: World) -> None:
    _report(world, "cement", world.cement, range(1, 4))
    _report(world, "steel", world.steel, range(1, 2))
    _report(world, "far", world.other_city_firm, range(1, 2))

    login(page, live_server.url, "gov")
    page.goto(f"{live_server.url}/monitoring/?year={YEAR}")
    table = page.locator("#completeness-districts")
    east = table.locator("tr[data-district='339901']")
    west = table.locator("tr[data-district='339902']")
    # 东城区: cement, 3 of 3 months; 西城区: steel, 1 of 3 months
    assert [c.strip() for c in east.locator("td").all_inner_texts()] == ["东城区", "1", "3", "3", "0", "100.0%"]
    assert [c.strip() for c in west.locator("td").all_inner_texts()] == ["西城区", "1", "3", "1", "2", "33.3%"]
    assert world.other_city_firm.name not in page.locator("body").inner_text()
    shot(page, "completeness-by-district")

    # drill down: 西城区's missing figure → the enterprises behind it
    west.get_by_role("link", name="2").click()
    page.wait_for_url("**/monitoring/completeness/**district=339902**")
    assert page.locator("h1").inner_text().strip() == "未按期报送的企业 · 西城区"
    rows = page.locator("#missing-list tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert world.steel.name in row and world.steel.uscc in row and "2 月" in row and "3 月" in row
    assert page.locator("#missing-count").inner_text().strip() == "2"
    body = page.locator("body").inner_text()
    assert world.cement.name not in body and world.other_city_firm.name not in body
    shot(page, "missing-enterprises")

    # from there to the enterprise's account
    rows.first.get_by_role("link", name=world.steel.name).click()
    page.wait_for_url(f"**/accounts/enterprise/{world.steel.pk}/**")
    assert world.steel.uscc in page.locator("body").inner_text()


def test_an_alert_is_assigned_notified_handled_and_its_history_kept(page: Any, live_server: Any, world: World) -> None:
    from django.core import mail

    from dualcarbon.monitoring import services as monitoring
    from dualcarbon.monitoring.models import Alert, AlertRule, Notification

    AlertRule.objects.get_or_create(kind=AlertRule.Kind.MISSING, region=None)  # transactional_db flushed the seeds
    monitoring.evaluate_alerts("3399", YEAR, 1)  # nobody reported January: cement (东城区) and steel (西城区)
    alert = Alert.objects.get(enterprise=world.cement)
    district = world.users["district"]
    district.email = "district@gov.example.cn"
    district.save()
    base = live_server.url

    # the city officer assigns cement's alert to the 东城区 officer (the form offers only who may handle it)
    login(page, base, "gov")
    page.goto(f"{base}/monitoring/alerts/")
    page.locator("tr.alert-new", has_text=world.cement.name).get_by_role("link", name="指派与记录").click()
    page.wait_for_url(f"**/monitoring/alerts/{alert.pk}/")
    options = page.locator("#assign-form select[name=assignee] option").all_inner_texts()
    assert options == ["district", "gov"]
    page.select_option("#assign-form select[name=assignee]", label="district")
    page.fill("#assign-form input[name=comment]", "请联系企业补报一月数据")
    with page.expect_navigation():
        page.locator("#assign-form button[type=submit]").click()
    assert page.locator("#alert-owner").inner_text().strip() == "district"
    assert "请联系企业补报一月数据" in page.locator("#alert-history").inner_text()
    shot(page, "assigned")
    assert mail.outbox == []  # queued with the assignment (the outbox), sent by the sender, not the request
    assert monitoring.send_queued_emails().sent == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["district@gov.example.cn"]

    # the 东城区 officer sees the count in the top bar, reads the notification, handles the alert
    page.context.clear_cookies()
    login(page, base, "district")
    badge = page.locator("#nav-notifications .count")
    assert badge.inner_text().strip() == "1"
    page.locator("#nav-notifications").click()
    page.wait_for_url("**/monitoring/notifications/")
    row = page.locator("#notification-list tr.unread")
    assert row.count() == 1 and world.cement.name in row.inner_text() and "gov" in row.inner_text()
    shot(page, "notifications")
    with page.expect_navigation():
        row.get_by_role("button", name="标为已读").click()
    assert page.locator("#nav-notifications .count").count() == 0
    assert Notification.objects.get(recipient=district).read_at is not None
    page.locator("#notification-list").get_by_role("link").first.click()
    page.wait_for_url(f"**/monitoring/alerts/{alert.pk}/")
    page.fill("#move-form input[name=comment]", "已电话联系，企业本周补报")
    with page.expect_navigation():
        page.locator("#move-form").get_by_role("button", name="确认").click()
    with page.expect_navigation():
        page.locator("#move-form").get_by_role("button", name="处理完毕").click()
    assert page.locator("#alert-status").inner_text().strip() == "已处理"
    history = page.locator("#alert-history tbody tr")
    assert [history.nth(i).get_attribute("data-action") for i in range(history.count())] == [
        "created",
        "assigned",
        "acknowledged",
        "resolved",
    ]
    assert "新预警 → 已确认" in history.nth(2).inner_text() and "已电话联系" in history.nth(2).inner_text()
    assert page.locator("#move-form").count() == 0  # nothing more to do on a resolved alert
    shot(page, "resolved")
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.RESOLVED

    # a refused move is explained (the list page still offers nothing for a resolved alert: post it directly)
    page.goto(f"{base}/monitoring/alerts/?status=resolved")
    assert page.locator("tr.alert-resolved", has_text=world.cement.name).get_by_role("button").count() == 0
    # steel's alert (西城区) is not this officer's
    steel = Alert.objects.get(enterprise=world.steel)
    response = page.goto(f"{base}/monitoring/alerts/{steel.pk}/")
    assert response is not None and response.status == 404

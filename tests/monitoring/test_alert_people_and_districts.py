"""The alerts page filters by a county of the jurisdiction chosen by name, and every person on the alert pages
(assignee, history, assignment choices, messages, notifications) is shown by full name, the username only when
no name is set."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from dualcarbon.monitoring import services
from dualcarbon.monitoring.models import Alert, Notification
from dualcarbon.registry import services as registry
from dualcarbon.registry.models import Membership
from tests.factories import PASSWORD
from tests.web.helpers import fast_world, login

pytestmark = pytest.mark.django_db
ALERTS = reverse("monitoring:alerts")


@pytest.fixture
def world(settings):
    world = fast_world(settings)
    u = world.users
    u["gov2"] = registry.create_user("gov2", PASSWORD, world.government, Membership.Role.GOVERNMENT_STAFF)
    u["gov"].first_name = "张卫国"  # the names an officer is known by (registry.services.invite stores them so)
    u["gov"].save()
    u["district"].first_name, u["district"].last_name = "立新", "王"
    u["district"].save()
    services.evaluate_alerts("3399", 2024, 1)  # cement (东城区) and steel (西城区) have no January: two alerts
    world.cement_alert = Alert.objects.get(enterprise=world.cement)
    world.steel_alert = Alert.objects.get(enterprise=world.steel)
    return world


def _options(html: str) -> list[tuple[str, str]]:
    select = re.search(r'<select name="district">(.*?)</select>', html, re.S)
    assert select is not None
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))


def _alert_rows(html: str) -> list[str]:
    return re.findall(r'<tr class="alert-[a-z]+">(.*?)</tr>', html, re.S)


def test_the_district_filter_offers_the_jurisdictions_counties_by_name(client, world):
    u = world.users
    html = login(client, u["gov"]).get(ALERTS).content.decode()
    assert _options(html) == [("", "全部"), ("339901", "东城区"), ("339902", "西城区")]
    assert 'name="district" value=' not in html  # no free-text code any more
    assert len(_alert_rows(html)) == 2
    east = client.get(ALERTS + "?district=339901").content.decode()
    rows = _alert_rows(east)
    assert len(rows) == 1 and world.cement.name in rows[0]
    assert '<option value="339901" selected>东城区</option>' in east
    # a code outside the jurisdiction (杭州市上城区) or a city prefix typed by hand is no filter: every alert
    for code in ("330102", "3399"):
        assert len(_alert_rows(client.get(ALERTS + f"?district={code}").content.decode())) == 2, code
    # the district officer's choice is its own county only
    html = login(client, u["district"]).get(ALERTS).content.decode()
    assert _options(html) == [("", "全部"), ("339901", "东城区")]


def test_people_are_shown_by_name_on_the_alert_pages(client, world):
    u = world.users
    url = reverse("monitoring:alert", args=[world.cement_alert.pk])
    login(client, u["gov"])
    html = client.get(url).content.decode()
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', html)
    by_pk = {str(u[k].pk): k for k in ("district", "gov", "gov2")}
    assert [(by_pk[pk], label) for pk, label in options] == [
        ("district", "王立新"),
        ("gov", "张卫国"),
        ("gov2", "gov2"),  # no name set: the username
    ]
    r = client.post(url, {"action": "assign", "assignee": u["district"].pk, "comment": "请跟进"}, follow=True)
    html = r.content.decode()
    assert "已指派给 王立新" in html
    assert '<strong id="alert-owner">王立新</strong>' in html
    history = r'<tr data-action="assigned"><td>[^<]*</td><td>张卫国</td><td>[^<]*</td>\s*<td>[^<]*</td>\s*'
    assert re.search(history + r"<td>— → 王立新</td><td>请跟进</td></tr>", html)
    n = Notification.objects.get(recipient=u["district"], kind="assigned")
    assert n.message_zh.startswith("张卫国 将一条预警指派给您")
    row = next(r for r in _alert_rows(client.get(ALERTS).content.decode()) if world.cement.name in r)
    assert "<td>王立新</td>" in row and ">district<" not in row
    # assigning again to the same person: refused, by name
    r = client.post(url, {"action": "assign", "assignee": u["district"].pk}, follow=True)
    assert "该预警已由 王立新 负责。" in r.content.decode()

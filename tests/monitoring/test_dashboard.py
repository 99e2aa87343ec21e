"""The government dashboard: figures equal the database sums, scoping, drill-down, constant query count."""

from __future__ import annotations

import pytest
from django.db.models import Sum
from django.urls import reverse

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.monitoring.models import Target
from tests.web.helpers import add_enterprises, count_queries, fast_world, login, submit_many, submit_month

pytestmark = pytest.mark.django_db
URL = reverse("monitoring:dashboard")


@pytest.fixture
def world(settings):
    return fast_world(settings)


def _sum(field, **kw):
    return AccountEntry.objects.filter(is_current=True, **kw).aggregate(s=Sum(field))["s"]


def test_dashboard_figures_equal_database_sums(client, world):
    u = world.users
    submit_many(
        [(u["cement"], world.cement, y, m) for y in (2023, 2024) for m in (1, 2, 3)]
        + [(u["steel"], world.steel, 2024, m) for m in (1, 2)]
    )
    login(client, u["gov"])
    r = client.get(URL + "?year=2024")
    assert r.status_code == 200
    d = r.context["d"]
    assert d.through_month == 3
    assert d.totals["cur_total"] == pytest.approx(_sum("total_tco2e", year=2024))
    assert d.totals["prev_total"] == pytest.approx(_sum("total_tco2e", year=2023, month__lte=3))
    assert d.totals["cur_energy"] == pytest.approx(_sum("energy_tce", year=2024))
    va = float(_sum("value_added", year=2024))
    assert d.totals["intensity"] == pytest.approx(_sum("total_tco2e", year=2024) / va)
    assert d.totals["yoy"] == pytest.approx(
        (_sum("total_tco2e", year=2024) - _sum("total_tco2e", year=2023, month__lte=3))
        / _sum("total_tco2e", year=2023, month__lte=3)
    )
    by_district = {x["region_code"]: x["cur_total"] for x in d.districts}
    assert by_district["339901"] == pytest.approx(_sum("total_tco2e", year=2024, region_code="339901"))
    assert by_district["339902"] == pytest.approx(_sum("total_tco2e", year=2024, region_code="339902"))
    assert {x["division"] for x in d.industries} == {"30", "31"}
    assert d.months[0]["total"] == pytest.approx(_sum("total_tco2e", year=2024, month=1))
    assert [t["enterprise_id"] for t in d.top] == sorted(
        [world.cement.pk, world.steel.pk], key=lambda pk: -_sum("total_tco2e", year=2024, enterprise_id=pk)
    )
    c = d.completeness
    assert (c["enterprises"], c["months"], c["expected"], c["submitted"]) == (2, 3, 6, 5)
    html = r.content.decode()
    # drill-down: district, industry and month rows lead to the region page, emitters to their account
    assert reverse("accounting:region") + "?year=2024&district=339901" in html
    assert "industry=30" in html and "month=1" in html
    assert reverse("accounting:enterprise", args=[world.steel.pk]) in html


def test_district_user_sees_only_its_district(client, world):
    u = world.users
    submit_month(u["cement"], world.cement, 2024, 1)
    submit_month(u["steel"], world.steel, 2024, 1)
    login(client, u["district"])
    r = client.get(URL + "?year=2024")
    d = r.context["d"]
    assert [x["region_code"] for x in d.districts] == ["339901"]
    assert d.totals["cur_total"] == pytest.approx(_sum("total_tco2e", year=2024, region_code="339901"))
    assert world.steel.name not in r.content.decode()
    # asking for the other district shows nothing of it
    r = client.get(URL + "?year=2024&district=339902")
    assert r.context["d"].totals["cur_total"] is None
    assert world.steel.name not in r.content.decode()


def test_enterprise_staff_and_banks_are_refused(client, world):
    for role in ("cement", "bank", "verifier"):
        login(client, world.users[role])
        assert client.get(URL).status_code == 404, role  # out of scope looks exactly like missing
        assert client.get(reverse("monitoring:alerts")).status_code == 404, role
        assert client.get(reverse("monitoring:report_xlsx", args=[2024, 1])).status_code == 404, role
    client.logout()
    r = client.get(URL)
    assert r.status_code == 302 and r["Location"].startswith(reverse("web:login"))


def test_nav_shows_monitoring_to_government(client, world):
    login(client, world.users["gov"])
    assert f'href="{URL}"' in client.get(reverse("accounting:region")).content.decode()


def _measure(client, world):
    out = {}
    for role, url in (
        ("gov", URL + "?year=2024"),
        ("district", URL + "?year=2024"),
        ("admin", URL + "?year=2024&district=339901"),
        ("gov-alerts", reverse("monitoring:alerts")),
    ):
        user = world.users[role.split("-")[0]]
        client.logout()
        login(client, user)
        client.get(url)
        out[role], _ = count_queries(client, url)
    return out


def test_query_count_does_not_grow_with_data(client, world):
    submit_month(world.users["cement"], world.cement, 2024, 1)
    Target.objects.create(region=world.city, year=2024, total_tco2e=1e6)
    from dualcarbon.monitoring import services

    services.evaluate_alerts("3399", 2024, 1)  # steel's missing January: the alert list is not empty
    small = _measure(client, world)
    ents = add_enterprises(world, 8)
    submit_many([(us, o, y, m) for us, o in ents for y in (2023, 2024) for m in range(1, 7)])
    Target.objects.create(region=world.district_a, year=2024, total_tco2e=5e5, intensity=1.0)
    services.evaluate_alerts("3399", 2024, 6)
    assert AccountEntry.objects.count() > 90
    big = _measure(client, world)
    assert big == small, (small, big)


def test_dashboard_in_english(client, world):
    submit_month(world.users["cement"], world.cement, 2024, 1)
    login(client, world.users["gov"])
    html = client.get(URL + "?year=2024", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Regional monitoring" in html and "Top 10 emitters" in html
    html = client.get(reverse("public-stats"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Public carbon statistics" in html

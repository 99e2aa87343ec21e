"""Submission completeness by district on the dashboard, and the drill-down to the enterprises that have not
submitted (what a government officer chases up)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dualcarbon.monitoring import queries
from dualcarbon.registry.models import Organisation
from dualcarbon.reporting import services as reporting
from dualcarbon.reporting.models import Submission
from tests.factories import build_world, cement_month
from tests.web.helpers import add_enterprises, data_for_the_module, login, submit_many

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("monitoring-completeness")]
DASHBOARD = reverse("monitoring:dashboard")
URL = reverse("monitoring:completeness")
DONE = ("submitted", "verified", "locked")


@pytest.fixture(scope="module")
def region(django_db_setup, django_db_blocker):
    """Ten enterprises in two districts; 2024-01..03 submitted by most, with gaps and an open draft. Built once for
    the module (each test runs in a savepoint inside it and is rolled back)."""
    with data_for_the_module(django_db_blocker):
        yield _build_region()


def _build_region():
    world = build_world()
    u = world.users
    ents = add_enterprises(world, 8)  # ent000, 002, 004, 006 in 东城区 339901; 001, 003, 005, 007 in 西城区 339902
    firms = [(u["cement"], world.cement), (u["steel"], world.steel), *ents]
    gaps = {(ents[0][1].pk, 2), (ents[0][1].pk, 3), (ents[3][1].pk, 1), (world.steel.pk, 3), (ents[6][1].pk, 3)}
    gaps.add((ents[7][1].pk, 1))  # ent007 has a gap too, but it is no longer active (below)
    submit_many([(us, o, 2024, m) for us, o in firms for m in (1, 2, 3) if (o.pk, m) not in gaps])
    # ent006's March is a draft (saved, never submitted); ent007 is no longer active (not expected)
    draft = reporting.draft_for(ents[6][0], ents[6][1], 2024, 3)
    reporting.save_draft(ents[6][0], draft, reporting.DraftData(**cement_month()))
    retired = ents[7][1]
    retired.is_active = False
    retired.save()
    world.ents = ents
    world.gaps = gaps
    return world


def _expected(district: str, months=(1, 2, 3)) -> dict[int, list[int]]:
    """Active enterprises of the district → months without a submitted/verified/locked current version."""
    out = {}
    for org in Organisation.objects.filter(kind="enterprise", is_active=True, region__code__startswith=district):
        done = set(
            Submission.objects.filter(
                enterprise=org, is_current=True, status__in=DONE, period__year=2024, period__month__in=months
            ).values_list("period__month", flat=True)
        )
        missing = [m for m in months if m not in done]
        if missing:
            out[org.pk] = missing
    return out


def test_dashboard_shows_completeness_by_district(client, region):
    login(client, region.users["gov"])
    r = client.get(DASHBOARD + "?year=2024")
    c = r.context["d"].completeness
    rows = {d["region_code"]: d for d in c["districts"]}
    assert set(rows) == {"339901", "339902"}
    for code in rows:
        active = Organisation.objects.filter(kind="enterprise", is_active=True, region_id=code).count()
        done = Submission.objects.filter(
            enterprise__region_id=code,
            enterprise__is_active=True,
            is_current=True,
            status__in=DONE,
            period__year=2024,
            period__month__lte=3,
        ).count()
        row = rows[code]
        assert (row["enterprises"], row["months"], row["expected"], row["done"]) == (active, 3, active * 3, done)
        assert row["missing"] == sum(len(m) for m in _expected(code).values())
        assert row["rate"] == pytest.approx(done / (active * 3))
    assert rows["339901"]["name"] == "东城区"
    # the districts add up to the region's figure
    assert sum(d["done"] for d in c["districts"]) == c["done"]
    assert sum(d["expected"] for d in c["districts"]) == c["expected"]
    html = r.content.decode()
    assert f'{URL}?year=2024&through=3&district=339901"' in html.replace("&amp;", "&")
    # the district user: its own district only
    login(client, region.users["district"])
    c = client.get(DASHBOARD + "?year=2024").context["d"].completeness
    assert [d["region_code"] for d in c["districts"]] == ["339901"]


def test_drill_down_lists_exactly_the_enterprises_that_have_not_submitted(client, region):
    login(client, region.users["gov"])
    for district in ("339901", "339902"):
        r = client.get(URL + f"?year=2024&district={district}")
        assert r.status_code == 200
        m = r.context["m"]
        expected = _expected(district)
        assert {row["enterprise"].pk: [mo for mo, _s in row["missing"]] for row in m.rows} == expected
        assert m.page.paginator.count == len(expected)
        assert m.completeness["missing"] == sum(len(v) for v in expected.values())
        html = r.content.decode()
        for org in Organisation.objects.filter(kind="enterprise", region_id=district):
            assert (org.name in html) == (org.pk in expected), org.name
    # the open draft is named as such; the inactive enterprise is not chased
    r = client.get(URL + "?year=2024&district=339901")
    draft_row = next(row for row in r.context["m"].rows if row["enterprise"] == region.ents[6][1])
    assert draft_row["missing"] == [(3, "draft")] and "草稿未提交" in r.content.decode()
    assert region.ents[7][1].name not in client.get(URL + "?year=2024&district=339902").content.decode()
    # one month only
    march = client.get(URL + "?year=2024&month=3").context["m"]
    assert {row["enterprise"].pk for row in march.rows} == set(_expected("3399", (3,)))
    assert march.months == [3]


def test_drill_down_is_scoped_and_paginated(client, region, monkeypatch):
    login(client, region.users["district"])
    html = client.get(URL + "?year=2024").content.decode()
    assert region.ents[0][1].name in html and region.steel.name not in html and region.ents[3][1].name not in html
    html = client.get(URL + "?year=2024&district=339902").content.decode()  # not its district: nothing
    assert region.steel.name not in html and region.ents[3][1].name not in html
    for role in ("cement", "bank", "verifier"):
        login(client, region.users[role])
        assert client.get(URL).status_code == 404  # out of scope looks exactly like missing
    client.logout()
    assert client.get(URL).status_code == 302
    # pagination: two per page, every missing enterprise on exactly one page
    monkeypatch.setattr(queries, "MISSING_PAGE", 2)
    login(client, region.users["gov"])
    seen = []
    page = 1
    while True:
        m = client.get(URL + f"?year=2024&page={page}").context["m"]
        seen += [row["enterprise"].pk for row in m.rows]
        if not m.page.has_next():
            break
        page += 1
    assert sorted(seen) == sorted(_expected("3399")) and len(seen) == len(set(seen)) > 2


def test_monthly_workbook_has_completeness_by_district(client, region):
    login(client, region.users["gov"])
    wb = load_workbook(io.BytesIO(client.get(reverse("monitoring:report_xlsx", args=[2024, 3])).content))
    ws = wb["报送完整性"]
    rows = {r[1]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    c = queries.dashboard(region.users["gov"], queries.DashboardFilter(year=2024, month=3)).completeness
    for d in c["districts"]:
        assert rows[d["region_code"]][3:6] == (d["expected"], d["done"], d["missing"])


def test_completeness_in_english(client, region):
    login(client, region.users["gov"])
    html = client.get(URL + "?year=2024&district=339901", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Enterprises that have not submitted" in html and "draft not submitted" in html
    html = client.get(DASHBOARD + "?year=2024", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Completeness" in html and "Expected" in html

"""The government's 数据报送 list: filters (year, month, status, district, name or USCC), pages, bulk lock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from dualcarbon.reporting import queries, services
from dualcarbon.reporting.models import Submission
from tests.factories import build_world
from tests.web.helpers import add_enterprises, count_queries, data_for_the_module, login, submit_many

# one world for the module (five submitted months, each accounted: built once, not once per test); each test runs
# in a savepoint rolled back after it, so a bulk lock or an added enterprise is gone before the next test
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("reporting-government-list")]

INDEX = reverse("reporting:index")


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Any]:
    with data_for_the_module(django_db_blocker):
        w = build_world()
        cement, steel = (w.users["cement"], w.cement), (w.users["steel"], w.steel)
        submit_many(
            [
                (*cement, 2023, 12),
                (*cement, 2024, 1),
                (*cement, 2024, 2),
                (*steel, 2024, 1),
                (*steel, 2024, 2),
            ]
        )
        yield w


def client_for(world: Any, who: str) -> Client:
    return login(Client(), world.users[who])


def listed(html: str) -> list[tuple[str, str]]:
    """(enterprise, period) of each row of the list, in order."""
    table = re.search(r'<table class="table" id="submission-list">(.*?)</table>', html, re.S)
    if table is None:
        return []
    return [
        (cells[1], cells[4])
        for cells in (
            re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
            for row in re.findall(r"<tr data-submission=[^>]*>(.*?)</tr>", table.group(1), re.S)
        )
    ]


def page_info(html: str) -> str:
    found = re.search(r'<span id="page-info">(.*?)</span>', html)
    assert found is not None
    return found.group(1)


def sub(world: Any, org: Any, year: int, month: int) -> Submission:
    return Submission.objects.get(enterprise=org, period__year=year, period__month=month, is_current=True)


def test_without_filters_every_current_version_newest_month_first(world):
    html = client_for(world, "gov").get(INDEX).content.decode()
    assert listed(html) == [
        ("示范水泥有限公司", "2024-02"),
        ("示范钢铁股份有限公司", "2024-02"),
        ("示范水泥有限公司", "2024-01"),
        ("示范钢铁股份有限公司", "2024-01"),
        ("示范水泥有限公司", "2023-12"),
    ]


def test_the_year_filter_selects_the_year(world):
    html = client_for(world, "gov").get(INDEX + "?year=2023").content.decode()
    assert listed(html) == [("示范水泥有限公司", "2023-12")]


def test_the_month_filter(world):
    html = client_for(world, "gov").get(INDEX + "?year=2024&month=1").content.decode()
    assert listed(html) == [("示范水泥有限公司", "2024-01"), ("示范钢铁股份有限公司", "2024-01")]


def test_the_status_filter(world):
    services.verify(world.users["verifier"], sub(world, world.cement, 2024, 2))
    html = client_for(world, "gov").get(INDEX + "?status=verified").content.decode()
    assert listed(html) == [("示范水泥有限公司", "2024-02")]


def test_the_district_filter(world):
    html = client_for(world, "gov").get(INDEX + "?district=339902").content.decode()
    assert listed(html) == [("示范钢铁股份有限公司", "2024-02"), ("示范钢铁股份有限公司", "2024-01")]


def test_search_by_name(world):
    html = client_for(world, "gov").get(INDEX + "?q=钢铁&month=2").content.decode()
    assert listed(html) == [("示范钢铁股份有限公司", "2024-02")]


def test_search_by_uscc(world):
    html = client_for(world, "gov").get(INDEX + "?q=91339901MA2D8KQX38&year=2024").content.decode()
    assert listed(html) == [("示范水泥有限公司", "2024-02"), ("示范水泥有限公司", "2024-01")]


def test_a_district_government_lists_only_its_district(world):
    html = client_for(world, "district").get(INDEX + "?district=339902").content.decode()
    assert listed(html) == [
        ("示范水泥有限公司", "2024-02"),
        ("示范水泥有限公司", "2024-01"),
        ("示范水泥有限公司", "2023-12"),
    ]


def test_the_page_size_is_fifty():
    assert queries.PAGE_SIZE == 50


def test_pages_say_where_they_are_and_keep_the_filters(world, monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    html = client_for(world, "gov").get(INDEX + "?year=2024&page=2").content.decode()
    assert (listed(html), page_info(html)) == (
        [("示范水泥有限公司", "2024-01"), ("示范钢铁股份有限公司", "2024-01")],
        "第 2/2 页, 共 4 条",
    )
    assert re.findall(r'<a class="btn small" href="\?([^"]*)" rel="prev">', html) == ["year=2024&amp;page=1"]


def test_the_last_row_is_not_lost_past_a_full_page(world, monkeypatch):
    monkeypatch.setattr(queries, "PAGE_SIZE", 2)
    html = client_for(world, "gov").get(INDEX + "?page=3").content.decode()
    assert (listed(html), page_info(html)) == ([("示范水泥有限公司", "2023-12")], "第 3/3 页, 共 5 条")


def test_the_number_of_queries_does_not_grow_with_the_rows(world):
    client = client_for(world, "gov")
    client.get(INDEX)  # the first request of a process fills caches (translations, content types)
    few, _ = count_queries(client, INDEX)
    submit_many([(user, org, 2024, 3) for user, org in add_enterprises(world, 8)])
    many, response = count_queries(client, INDEX)
    assert page_info(response.content.decode()) == "第 1/1 页, 共 13 条"
    assert many == few


def test_bulk_lock_locks_the_verified_and_says_which_were_refused_and_why(world):
    verifier = world.users["verifier"]
    c1, c2 = sub(world, world.cement, 2024, 1), sub(world, world.cement, 2024, 2)
    services.verify(verifier, c1)
    services.verify(verifier, c2)
    s1 = sub(world, world.steel, 2024, 1)
    response = client_for(world, "gov").post(
        reverse("reporting:bulk_lock"),
        {"submission": [c1.pk, c2.pk, s1.pk, 999999], "year": "2024", "status": "verified", "page": "1"},
    )
    assert response["Location"] == INDEX + "?year=2024&status=verified&page=1"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "已锁定 2 个报送",
        "未锁定 示范钢铁股份有限公司 2024-01 第 1 版：只有已核查的版本可以锁定",
        "未锁定 #999999：报送不存在",
    ]
    # in the order the fixture submitted them: cement 2023-12, 2024-01, 2024-02; steel 2024-01, 2024-02
    assert list(Submission.objects.order_by("pk").values_list("status", flat=True)) == [
        "submitted",
        "locked",
        "locked",
        "submitted",
        "submitted",
    ]


def test_bulk_lock_outside_the_district_is_refused_as_missing(world):
    s1 = sub(world, world.steel, 2024, 1)
    response = client_for(world, "district").post(reverse("reporting:bulk_lock"), {"submission": [s1.pk]})
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "已锁定 0 个报送",
        f"未锁定 #{s1.pk}：报送不存在",
    ]


@pytest.mark.parametrize("who", ["cement", "verifier", "bank"])
def test_bulk_lock_is_for_governments_and_the_admin(world, who):
    verifier = world.users["verifier"]
    c1 = services.verify(verifier, sub(world, world.cement, 2024, 1))
    response = client_for(world, who).post(reverse("reporting:bulk_lock"), {"submission": [c1.pk]})
    c1.refresh_from_db()
    assert (response.status_code, c1.status) == (403, "verified")

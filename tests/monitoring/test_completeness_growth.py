"""Submission completeness with data that grows or differs per test: each test builds its own small world (the
module-built region of test_completeness.py would be in the way)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.web.helpers import add_enterprises, count_queries, fast_world, login, submit_many

pytestmark = pytest.mark.django_db
DASHBOARD = reverse("monitoring:dashboard")
URL = reverse("monitoring:completeness")


def test_drill_down_query_count_does_not_grow(client, settings):
    world = fast_world(settings)
    submit_many([(world.users["cement"], world.cement, 2024, m) for m in (1, 2)])
    login(client, world.users["gov"])
    url = URL + "?year=2024"
    client.get(url)
    small, _ = count_queries(client, url)
    ents = add_enterprises(world, 12)
    submit_many([(us, o, 2024, m) for us, o in ents[::2] for m in (1, 2)])
    big, response = count_queries(client, url)
    assert len(response.context["m"].rows) > 5
    assert big == small


def test_a_district_row_and_its_list_agree_when_the_district_is_behind(client, settings):
    """The city is through March, 西城区's only firm through January: its row counts 2 months missing, and the
    list the row links to shows the firm with February and March (the city's months, not the district's)."""
    import re

    world = fast_world(settings)
    submit_many([(world.users["cement"], world.cement, 2024, m) for m in (1, 2, 3)])
    submit_many([(world.users["steel"], world.steel, 2024, 1)])
    login(client, world.users["gov"])
    html = client.get(DASHBOARD + "?year=2024").content.decode()
    row = re.search(r'data-district="339902">(.*?)</tr>', html, re.S)
    assert row is not None
    link = re.search(r'href="([^"]*completeness[^"]*)">2</a>', row.group(1))
    assert link is not None
    m = client.get(link.group(1).replace("&amp;", "&")).context["m"]
    assert [(r["enterprise"], [mo for mo, _s in r["missing"]]) for r in m.rows] == [(world.steel, [2, 3])]
    assert m.completeness["missing"] == 2
    # without the dashboard's month: the district's own year to date (through January: nothing missing)
    assert client.get(URL + "?year=2024&district=339902").context["m"].rows == []

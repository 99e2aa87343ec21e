"""Targets: the year-end projection (seasonal / linear) and progress on the dashboard."""

from __future__ import annotations

import pytest
from django.db.models import Sum
from django.urls import reverse

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.monitoring.models import Target
from dualcarbon.monitoring.services import project
from tests.web.helpers import fast_world, login, submit_many


def test_linear_projection_without_a_full_last_year():
    assert project(300.0, 3, {}) == (1200.0, "linear")
    assert project(300.0, 3, {1: 10.0, 2: 10.0}) == (1200.0, "linear")
    assert project(0.0, 0, {}) == (None, "")
    assert project(500.0, 12, {}) == (500.0, "linear")


def test_seasonal_projection_uses_last_years_share():
    last = {m: (30.0 if m <= 3 else 10.0) for m in range(1, 13)}  # Q1 = 90 of 180 → half the year
    value, method = project(120.0, 3, last)
    assert method == "seasonal"
    assert value == pytest.approx(240.0)


@pytest.mark.django_db
def test_dashboard_shows_progress_and_projection(client, settings):
    world = fast_world(settings)
    u = world.users
    submit_many([(u["cement"], world.cement, 2024, m) for m in (1, 2)])
    ytd = AccountEntry.objects.filter(year=2024, is_current=True).aggregate(s=Sum("total_tco2e"))["s"]
    Target.objects.create(region=world.city, year=2024, total_tco2e=ytd * 3, intensity=0.001, note="示范")
    Target.objects.create(region=world.district_b, year=2024, total_tco2e=100.0)
    login(client, u["gov"])
    d = client.get(reverse("monitoring:dashboard") + "?year=2024").context["d"]
    city = next(t for t in d.targets if t["region"].code == "339900")
    assert city["ytd"] == pytest.approx(ytd)
    assert city["projected"] == pytest.approx(ytd * 6)  # linear: 2 months → × 12/2
    assert city["method"] == "linear"
    assert city["over_budget"] is True and city["intensity_over"] is True
    west = next(t for t in d.targets if t["region"].code == "339902")
    assert west["ytd"] == 0 and west["over_budget"] is False
    # the district user sees its own district's targets only
    login(client, u["district"])
    d = client.get(reverse("monitoring:dashboard") + "?year=2024").context["d"]
    assert d.targets == []


@pytest.mark.django_db
def test_target_history_is_kept(settings):
    world = fast_world(settings)
    t = Target.objects.create(region=world.city, year=2024, total_tco2e=100.0)
    t.total_tco2e = 120.0
    t.save()
    assert t.history.count() == 2

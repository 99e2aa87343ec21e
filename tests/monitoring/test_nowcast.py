"""The electricity-carbon nowcast (monitoring/nowcast.py): a month by district and industry from the metered totals,
coverage against the reporting units, reported against metered where reports exist, the derivation (loads, grid
factors), the page in both languages and the API, for the region's government only."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dualcarbon.monitoring import nowcast
from dualcarbon.reporting import meter_data, services
from tests.factories import build_world
from tests.reporting.test_meter_data import METERED, month_with_kwh, readings, write
from tests.web.helpers import data_for_the_module, login

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("monitoring-nowcast")]


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with data_for_the_module(django_db_blocker):
        w = build_world()
        path: Path = tmp_path_factory.mktemp("nowcast") / "2024-01.csv"
        write(path, readings(w.cement.uscc), readings(w.steel.uscc, 200.0), readings(w.other_city_firm.uscc, 1.0))
        w.load = meter_data.load(w.users["gov"], path, region_code="339900")
        user = w.users["cement"]
        draft = services.draft_for(user, w.cement, 2024, 1)
        services.save_draft(user, draft, month_with_kwh("1562400"))  # 5 % above the metered 1,488,000 kWh
        services.submit(user, draft)
        yield w


def test_the_nowcast_by_district_and_industry_with_coverage_and_reported_against_metered(world: Any) -> None:
    n = nowcast.nowcast(world.users["gov"], "", "2024-01")
    assert n is not None and n.region is not None and (n.region.code, n.period) == ("339900", "2024-01")
    steel = Decimal("595200.000")
    assert (n.total.kwh, n.total.metered, n.total.units, n.total.reported) == (METERED + steel, 2, 2, 1)
    assert n.total.reported_kwh == Decimal("1562400") and n.total.metered_reported_kwh == METERED
    assert n.total.difference == Decimal("0.05")
    districts = {g.key: g for g in n.districts}
    assert set(districts) == {"339901", "339902"} and districts["339901"].name == "东城区"
    assert (districts["339902"].kwh, districts["339902"].reported, districts["339902"].difference) == (steel, 0, None)
    assert {g.key: g.metered for g in n.industries} == {"30": 1, "31": 1}
    assert n.total.tco2e == sum((g.tco2e for g in n.districts), Decimal(0)) > 0
    assert [x.pk for x in n.loads] == [world.load.pk]
    (factor,) = n.factors
    assert factor["enterprises"] == 2 and factor["grid_ref"] and factor["grid_choice"] == "mee:provincial"
    # the district's government: its district only, whatever it asks for
    d = nowcast.nowcast(world.users["district"], "339900", "2024-01")
    assert d is not None and d.region is not None and d.region.code == "339901" and d.total.metered == 1
    assert nowcast.nowcast(world.users["cement"]) is None and nowcast.nowcast(world.users["bank"]) is None


def test_the_page_and_the_api(world: Any) -> None:
    gov = login(Client(), world.users["gov"])
    page = gov.get(reverse("monitoring:nowcast"), {"period": "2024-01"})
    html = page.content.decode()
    assert page.status_code == 200 and "电碳快报" in html and world.load.file_sha256 in html and "东城区" in html
    en = gov.get(reverse("monitoring:nowcast"), {"period": "2024-01"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Electricity-carbon nowcast" in en.content.decode()
    api = gov.get("/api/monitoring/nowcast", {"period": "2024-01"}).json()
    assert api["total"]["metered"] == 2 and api["total"]["difference"] == "0.0500"
    assert api["loads"][0]["file_sha256"] == world.load.file_sha256 and api["factors"][0]["enterprises"] == 2
    for who in ("cement", "bank", "verifier"):
        client = login(Client(), world.users[who])
        assert client.get(reverse("monitoring:nowcast")).status_code == 404
        assert client.get("/api/monitoring/nowcast").status_code == 404

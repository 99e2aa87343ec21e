"""/api/planning/ (docs/planning.md): an enterprise's system reads the library, makes a plan, adds and removes
measures and reads what the plan adds up to, each tCO2 with its factor and source; a wrong value is a located 422
in both languages that changes nothing; another enterprise's plan answers 404 like a missing one; a write to it
answers 404 too and changes nothing (API tokens belong to enterprises and banks only)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from dualcarbon.planning.models import Measure, PlanMeasure, ReductionPlan
from dualcarbon.registry import api_tokens
from tests.factories import World, build_world
from tests.web.helpers import data_for_the_module, submit_month

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("planning")]


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with data_for_the_module(django_db_blocker):
        w = build_world()
        submit_month(w.users["cement"], w.cement, 2024, 1)
        Measure.objects.create(
            code="boiler",
            name_zh="燃煤锅炉燃烧优化",
            name_en="Coal boiler combustion optimisation",
            sector="C",
            energy_type="原煤",
            unit_zh="台",
            unit_en="boiler",
            tce_per_unit=Decimal("150"),
            conversion="fuel:RAW_COAL",
            capex_per_unit=Decimal("300000"),
            opex_change_per_unit=Decimal("10000"),
            lifetime_years=10,
            source="示意数值",
            illustrative=True,
        )
        yield w


def api(world: World, who: str, lang: str = "zh-hans") -> Client:
    token = api_tokens.issue(world.users[who], "plan system")[1]
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE=lang)


def test_the_enterprises_system_makes_a_plan_and_reads_its_figures(world):
    c = api(world, "cement")
    library = c.get("/api/planning/measures").json()
    boiler = next(m for m in library if m["code"] == "boiler")
    assert boiler["illustrative"] is True and boiler["conversion"] == "fuel:RAW_COAL"
    r = c.post(
        f"/api/planning/enterprises/{world.cement.pk}/plans",
        {"name": "API 规划", "base_year": 2024, "until_year": 2028, "discount_rate": "0", "energy_price": "1000"},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    plan = r.json()
    assert plan["base_months"] == 1 and plan["items"] == []
    r = c.post(
        f"/api/planning/plans/{plan['id']}/items",
        {"measure_id": boiler["id"], "quantity": "2", "start_year": 2025},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    item = r.json()["items"][0]
    assert Decimal(item["tce_per_year"]) == Decimal("300")
    assert item["savings"]["method"] == "fuel:RAW_COAL" and "1722号" in item["savings"]["source"]
    # 600 000 / 10 + 20 000 − 300 000 = −220 000 yuan/yr
    assert r.json()["macc"][0]["net_annual_cost"] == "-220000.00"
    assert [y["year"] for y in r.json()["path"]] == [2024, 2025, 2026, 2027, 2028]
    r = c.delete(f"/api/planning/plans/{plan['id']}/items/{item['id']}")
    assert r.status_code == 200 and r.json()["items"] == []


@pytest.mark.parametrize(("lang", "text"), [("zh-hans", "不能早于基准年"), ("en", "cannot be before the base year")])
def test_a_wrong_value_is_a_located_422_and_changes_nothing(world, lang, text):
    before = ReductionPlan.objects.count()
    r = api(world, "cement", lang).post(
        f"/api/planning/enterprises/{world.cement.pk}/plans",
        {"name": "错", "base_year": 2024, "until_year": 2020},
        content_type="application/json",
    )
    assert r.status_code == 422
    (finding,) = r.json()["errors"]
    assert finding["column"] == "until_year" and text in finding["message"]
    assert finding["message_zh"] and finding["message_en"]
    assert ReductionPlan.objects.count() == before


def test_other_enterprises_plans_are_404_for_reads_and_writes(world):
    r = api(world, "cement").post(
        f"/api/planning/enterprises/{world.cement.pk}/plans",
        {"name": "仅本企业", "base_year": 2024, "until_year": 2026},
        content_type="application/json",
    )
    plan_id = r.json()["id"]
    assert api(world, "steel").get(f"/api/planning/plans/{plan_id}").status_code == 404
    assert api(world, "steel").get("/api/planning/plans/999999").status_code == 404
    before = PlanMeasure.objects.count()
    r = api(world, "steel").post(
        f"/api/planning/plans/{plan_id}/items",
        {"measure_id": Measure.objects.get().pk, "quantity": "1", "start_year": 2025},
        content_type="application/json",
    )
    assert r.status_code == 404 and PlanMeasure.objects.count() == before

"""/api/planning/scenarios (docs/planning.md § Pathway, API): government staff, through their signed-in session
(CSRF-checked, as the policy API), list, read, create and change the region's pathway scenarios — every save a new
version as on the page, a stale `version` refused 409, a wrong rate located (`assumptions[0].sector`) in both
languages with nothing written; a district does not see its city's scenarios; an enterprise's token sees none."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from dualcarbon.planning import pathways
from dualcarbon.planning.models import Scenario, ScenarioAssumption
from dualcarbon.registry import api_tokens
from tests.factories import World, build_world
from tests.web.helpers import MODEL_BACKEND, data_for_the_module, submit_month

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("planning")]
D = Decimal


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with data_for_the_module(django_db_blocker):
        w = build_world()
        submit_month(w.users["cement"], w.cement, 2024, 1)
        yield w


def session(world: World, who: str, lang: str = "zh-hans", csrf: bool = False) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang, enforce_csrf_checks=csrf)
    c.force_login(world.users[who], backend=MODEL_BACKEND)
    return c


def test_government_creates_reads_and_changes_a_scenario(world: World) -> None:
    gov = session(world, "gov")
    body = {
        "region": world.city.code,
        "name": "政策情景（接口）",
        "kind": "policy",
        "base_year": 2024,
        "until_year": 2030,
        "target_year": 2030,
        "target_tco2": "100",
        "assumptions": [{"sector": "*", "growth": "0.04", "growth_step": "-0.01", "source": "测试"}],
    }
    r = gov.post("/api/planning/scenarios", body, content_type="application/json")
    assert r.status_code == 201, r.content
    s = r.json()
    # created (v1), then the default sector's rates set (v2) — as on the page
    assert s["version"] == 2 and s["assumptions"][0]["growth"] == "0.0400"
    projected = pathways.project(Scenario.objects.get(pk=s["id"])).pathway
    assert [D(t["tco2"]) for t in s["totals"]] == [projected.totals[y] for y in projected.years]
    assert s["peak_year"] == projected.peak_year and s["peaked"] is projected.peaked
    assert s["target_gap"] is not None and D(s["target_gap"]) == projected.totals[2030] - D(100)
    listed = gov.get(f"/api/planning/scenarios?region={world.city.code}").json()
    assert [x["id"] for x in listed] == [s["id"]]
    assert gov.get(f"/api/planning/scenarios/{s['id']}").json()["name"] == "政策情景（接口）"

    url = f"/api/planning/scenarios/{s['id']}"
    patch = {"version": 2, "name": "政策情景 v3", "assumptions": [{"sector": "30", "growth": "0.01"}]}
    r = gov.patch(url, patch, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["version"] == 4 and {a["sector"] for a in r.json()["assumptions"]} == {"*", "30"}
    stale = gov.patch(url, {"version": 2, "name": "旧版本上的修改"}, content_type="application/json")
    assert stale.status_code == 409
    r = gov.patch(url, {"remove_sectors": ["30"]}, content_type="application/json")
    assert r.json()["version"] == 5 and [a["sector"] for a in r.json()["assumptions"]] == ["*"]
    assert Scenario.objects.get(pk=s["id"]).name == "政策情景 v3"


def test_a_wrong_value_is_located_and_writes_nothing(world: World) -> None:
    before = (Scenario.objects.count(), ScenarioAssumption.objects.count())
    bad = {
        "region": world.city.code,
        "name": "错误情景",
        "kind": "policy",
        "base_year": 2024,
        "assumptions": [{"sector": "ABC", "growth": "0.01"}],
    }
    r = session(world, "gov", "en").post("/api/planning/scenarios", bad, content_type="application/json")
    assert r.status_code == 422
    finding = r.json()["errors"][0]
    assert finding["column"] == "assumptions[0].sector" and "section letter" in finding["message_en"]
    assert "门类字母" in finding["message_zh"]
    assert (Scenario.objects.count(), ScenarioAssumption.objects.count()) == before
    s = pathways.create_scenario(world.users["gov"], world.city, dict(name="基准", kind="baseline", base_year=2024))
    r = session(world, "gov").patch(
        f"/api/planning/scenarios/{s.pk}", {"remove_sectors": ["*"]}, content_type="application/json"
    )
    assert r.status_code == 422 and r.json()["errors"][0]["column"] == "remove_sectors[0]"
    assert Scenario.objects.get(pk=s.pk).version == 1


def test_who_sees_and_writes_scenarios(world: World) -> None:
    s = pathways.create_scenario(world.users["gov"], world.city, dict(name="城市", kind="baseline", base_year=2024))
    district = session(world, "district")
    assert district.get(f"/api/planning/scenarios/{s.pk}").status_code == 404  # the city's: not the district's
    assert all(x["region"] != world.city.code for x in district.get("/api/planning/scenarios").json())
    r = district.post(
        "/api/planning/scenarios",
        {"region": world.city.code, "name": "越权", "kind": "policy", "base_year": 2024},
        content_type="application/json",
    )
    assert r.status_code == 404 and not Scenario.objects.filter(name="越权").exists()
    token = api_tokens.issue(world.users["cement"], "system")[1]
    ent = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert ent.get("/api/planning/scenarios").json() == []
    assert ent.get(f"/api/planning/scenarios/{s.pk}").status_code == 404
    # a session write without the CSRF token is refused and writes nothing
    guarded = session(world, "gov", csrf=True)
    r = guarded.patch(f"/api/planning/scenarios/{s.pk}", {"name": "无 CSRF"}, content_type="application/json")
    assert r.status_code == 403 and Scenario.objects.get(pk=s.pk).name == "城市"

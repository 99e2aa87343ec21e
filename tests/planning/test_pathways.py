"""The region's pathway to peak (planning.pathways, docs/planning.md § Pathway): the city's government drafts a
scenario from the region's accounts, sets sector assumptions (each save a new version, every change kept), and sees
its peak, the gap to the target and the sectors that close it against the baseline — in zh-Hans and en and as a
PDF; a wrong rate is located and changes nothing; a district sees only its own scenarios, enterprises none."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.planning import pathways
from dualcarbon.planning.models import Scenario, ScenarioAssumption
from tests.factories import World, build_world
from tests.web.helpers import MODEL_BACKEND, data_for_the_module, submit_month

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("planning")]
D = Decimal


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with data_for_the_module(django_db_blocker):
        w = build_world()
        for month in (1, 2):
            submit_month(w.users["cement"], w.cement, 2024, month)
            submit_month(w.users["steel"], w.steel, 2024, month)
        base = pathways.create_scenario(
            w.users["gov"], w.city, {"name": "基准情景", "kind": "baseline", "base_year": 2024, "until_year": 2035}
        )
        pathways.set_assumption(w.users["gov"], base, "*", {"growth": "0.04", "efficiency": "0.01"})
        yield w


def client(world: World, who: str, lang: str = "zh-hans") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.force_login(world.users[who], backend=MODEL_BACKEND)
    return c


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def make_policy(world: World) -> Scenario:
    c = client(world, "gov")
    r = c.post(
        reverse("planning:pathways") + f"?region={world.city.code}",
        {
            "region": world.city.code,
            "name": "政策情景",
            "kind": "policy",
            "base_year": "2024",
            "until_year": "2035",
            "target_year": "2030",
            "target_tco2": "1000",
            "description": "测试",
        },
    )
    assert r.status_code == 302, text(r)
    scenario = Scenario.objects.get(region=world.city, name="政策情景")
    r = c.post(
        reverse("planning:scenario_assumption", args=[scenario.pk]),
        {
            "sector": "*",
            "growth": "0.05",
            "growth_step": "-0.01",
            "efficiency": "0.02",
            "grid_decline": "0.03",
            "source": "测试依据",
        },
    )
    assert r.status_code == 302
    return scenario


def test_the_projection_starts_from_the_regions_accounts_and_peaks(world):
    scenario = make_policy(world)
    projection = pathways.project(scenario)
    entries = AccountEntry.objects.filter(year=2024, is_current=True, region_code__startswith="3399")
    assert projection.pathway.totals[2024] == sum(D(str(e.total_tco2e)) for e in entries).quantize(D("0.01"))
    assert projection.base_enterprises == 2 and projection.base_months == 4
    # growth 5 % falling 1 point a year against 2 % efficiency: the total rises for three years, then falls
    assert projection.pathway.peaked and 2025 <= projection.pathway.peak_year <= 2028
    assert projection.target_gap == projection.pathway.totals[2030] - D("1000")
    scenario.refresh_from_db()
    assert scenario.version == 2  # created, then one assumption saved
    assert ScenarioAssumption.history.filter(scenario_id=scenario.pk).count() == 2  # created at 0, then changed


def test_the_scenario_page_shows_peak_gap_sectors_and_the_cut_against_the_baseline(world):
    scenario = make_policy(world)
    shown = text(client(world, "gov").get(reverse("planning:scenario", args=[scenario.pk])))
    projection = pathways.project(scenario)
    assert str(projection.pathway.peak_year) in shown
    assert "与基准情景相比，2030 年各行业的减排" in shown
    assert "测试依据" in shown and "修改记录" in shown
    overview = text(client(world, "gov").get(reverse("planning:pathways") + f"?region={world.city.code}"))
    assert "基准情景" in overview and "政策情景" in overview and "预测期内未达峰" in overview


def test_the_pathway_reads_in_english(world):
    scenario = make_policy(world)
    shown = text(client(world, "gov", "en").get(reverse("planning:scenario", args=[scenario.pk])))
    shown = shown.replace(scenario.name, "").replace("测试依据", "").replace("测试", "").replace(world.city.name, "")
    for phrase in ("Pathway to peak", "Peak year", "Sector assumptions", "Emissions by district"):
        assert phrase in shown, phrase
    for ui in ("行业假设", "峰值年份", "分区县排放", "分行业排放", "小数", "情景类型", "修改记录", "其余全部行业"):
        assert ui not in shown, ui  # what remains in Chinese are names: the region's, its districts', the user's


@pytest.mark.parametrize(
    ("post", "field_text"),
    [
        ({"sector": "XYZ", "growth": "0.01"}, "两位大类代码"),
        ({"sector": "30", "growth": "0.9"}, "0.5"),
        ({"sector": "30", "growth": "abc"}, "数"),
    ],
)
def test_a_wrong_assumption_is_located_and_changes_nothing(world, post, field_text):
    scenario = make_policy(world)
    before = (ScenarioAssumption.objects.count(), Scenario.objects.get(pk=scenario.pk).version)
    r = client(world, "gov").post(reverse("planning:scenario_assumption", args=[scenario.pk]), post)
    assert r.status_code == 400 and field_text in text(r)
    assert (ScenarioAssumption.objects.count(), Scenario.objects.get(pk=scenario.pk).version) == before


@pytest.mark.parametrize(("who", "status"), [("gov", 200), ("admin", 200), ("district", 404), ("cement", 404)])
def test_who_reads_the_citys_scenario(world, who, status):
    scenario = Scenario.objects.get(region=world.city, name="基准情景")
    assert client(world, who).get(reverse("planning:scenario", args=[scenario.pk])).status_code == status


def test_the_pdf_carries_peak_and_sectors(world, tmp_path):
    scenario = make_policy(world)
    r = client(world, "gov").get(reverse("planning:scenario_pdf", args=[scenario.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    (tmp_path / "s.pdf").write_bytes(r.content)
    out = subprocess.run(["/usr/bin/pdftotext", str(tmp_path / "s.pdf"), "-"], capture_output=True, text=True)
    flat = re.sub(r"\s+", " ", out.stdout)
    assert "碳达峰路径" in flat and "峰值年份" in flat and "分行业排放" in flat
    assert str(pathways.project(scenario).pathway.peak_year) in flat

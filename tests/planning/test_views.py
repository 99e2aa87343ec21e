"""The planning pages (docs/planning.md): an enterprise makes a plan, adds measures and sees each figure's
derivation, the cost curve and the path — in zh-Hans and en; the PDF carries the same figures; a wrong value is
located in the user's language and changes nothing; the government reads, banks and other enterprises get 404."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dualcarbon.planning.models import Measure, PlanMeasure, ReductionPlan
from tests.factories import World, build_world
from tests.web.helpers import MODEL_BACKEND, data_for_the_module, submit_month

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("planning")]


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with data_for_the_module(django_db_blocker):
        w = build_world()
        for month in (1, 2):
            submit_month(w.users["cement"], w.cement, 2024, month)
        Measure.objects.create(
            code="pv",
            name_zh="屋顶分布式光伏",
            name_en="Rooftop solar PV",
            sector="全部行业",
            energy_type="电力",
            unit_zh="百千瓦",
            unit_en="100 kW",
            tce_per_unit=Decimal("12.29"),
            conversion="grid",
            capex_per_unit=Decimal("350000"),
            opex_change_per_unit=Decimal("3000"),
            lifetime_years=25,
            source="示意数值",
            illustrative=True,
        )
        yield w


def client(world: World, who: str, lang: str = "zh-hans") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.force_login(world.users[who], backend=MODEL_BACKEND)
    return c


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def make_plan(world: World) -> ReductionPlan:
    c = client(world, "cement")
    r = c.post(
        reverse("planning:plans", args=[world.cement.pk]),
        {
            "name": "2030 年减排规划",
            "base_year": "2024",
            "until_year": "2030",
            "growth": "0.02",
            "discount_rate": "0.08",
            "energy_price": "1000",
            "target_tco2": "50000",
        },
    )
    assert r.status_code == 302
    plan = ReductionPlan.objects.get(enterprise=world.cement, name="2030 年减排规划")
    pv = Measure.objects.get(code="pv")
    r = c.post(reverse("planning:item_add", args=[plan.pk]), {"measure": pv.pk, "quantity": "3", "start_year": "2025"})
    assert r.status_code == 302
    return plan


def test_the_enterprise_builds_a_plan_and_sees_curve_path_and_derivations(world):
    plan = make_plan(world)
    page = client(world, "cement").get(reverse("planning:plan", args=[plan.pk]))
    assert page.status_code == 200
    body, shown = page.content.decode(), text(page)
    assert "屋顶分布式光伏" in shown and "示意数值" in shown
    assert "36.8700 tce × " in shown  # 3 × 12.29 tce, then its factor and method (the derivation of the tCO2)
    assert "tCO2/MWh" in shown and "公告" in shown  # the grid factor's document
    assert "CRF(0.0800, 25)" in shown  # the cost's derivation
    assert body.count("<svg") >= 2  # the cost curve and the path
    assert "2 个月已核算账户之和" in shown


def test_the_pages_read_in_english(world):
    plan = ReductionPlan.objects.filter(enterprise=world.cement).first() or make_plan(world)
    shown = text(client(world, "cement", "en").get(reverse("planning:plan", args=[plan.pk])))
    shown = shown.replace(plan.name, "").replace(world.cement.name, "")  # the user's own words stay as typed
    for phrase in ("Reduction plan", "Rooftop solar PV", "Marginal abatement cost curve", "Emissions path"):
        assert phrase in shown, phrase
    assert "减排" not in shown and "屋顶" not in shown
    listing = text(client(world, "cement", "en").get(reverse("planning:plans", args=[world.cement.pk])))
    assert "New plan" in listing


@pytest.mark.parametrize(
    ("lang", "message"),
    [("zh-hans", "投运年份须在规划期 2024–2030 之内"), ("en", "must be within the plan, 2024–2030")],
)
def test_a_wrong_value_is_located_in_the_users_language_and_changes_nothing(world, lang, message):
    plan = make_plan(world)
    before = PlanMeasure.objects.count()
    pv = Measure.objects.get(code="pv")
    r = client(world, "cement", lang).post(
        reverse("planning:item_add", args=[plan.pk]), {"measure": pv.pk, "quantity": "-1", "start_year": "2040"}
    )
    assert r.status_code == 400
    shown = text(r)
    assert message in shown
    assert PlanMeasure.objects.count() == before


def test_the_pdf_carries_the_figures(world, tmp_path):
    plan = make_plan(world)
    r = client(world, "cement").get(reverse("planning:plan_pdf", args=[plan.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(r.content)
    out = subprocess.run(["/usr/bin/pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    flat = re.sub(r"\s+", " ", out.stdout)
    assert "减排规划" in flat and world.cement.name in flat
    assert "边际减排成本曲线" in flat and "排放路径" in flat
    assert "36.8700" in flat  # the measure's tce a year


@pytest.mark.parametrize(("who", "status"), [("gov", 200), ("district", 200), ("bank", 404), ("steel", 404)])
def test_who_reads_a_plan(world, who, status):
    plan = make_plan(world)
    c = client(world, who)
    assert c.get(reverse("planning:plan", args=[plan.pk])).status_code == status
    if status == 200:  # the government reads, without the forms
        assert "加入规划" not in text(c.get(reverse("planning:plan", args=[plan.pk])))

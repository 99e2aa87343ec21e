"""Reduction plans (planning.services): a plan adds up from its measures and the enterprise's current account —
each measure's tCO2 from `dualcarbon savings` (grid measures at the enterprise's own grid factor), the cost curve
and the path; wrong values are refused by field in both languages and change nothing; only the enterprise's own
staff write; a corrected account moves the base year at once (nothing derived is stored)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.engine import savings
from dualcarbon.planning import services
from dualcarbon.planning.models import Measure, PlanMeasure, ReductionPlan
from tests.factories import World, build_world
from tests.web.helpers import data_for_the_module, submit_month

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("planning")]

D = Decimal


def measure(code: str, tce: str, conversion: str, capex: str, opex: str = "0", life: int = 10) -> Measure:
    return Measure.objects.create(
        code=code,
        name_zh=f"{code} 措施",
        name_en=f"{code} measure",
        sector="全部行业",
        energy_type="电力",
        unit_zh="套",
        unit_en="set",
        tce_per_unit=D(tce),
        conversion=conversion,
        capex_per_unit=D(capex),
        opex_change_per_unit=D(opex),
        lifetime_years=life,
        source="测试",
        illustrative=True,
    )


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with data_for_the_module(django_db_blocker):
        w = build_world()
        for month in (1, 2, 3):
            submit_month(w.users["cement"], w.cement, 2024, month)
        measure("pv", "12.29", "grid", "350000", "3000", 25)
        measure("boiler", "150", "fuel:RAW_COAL", "300000", "10000", 10)
        yield w


def test_a_plan_adds_up_from_its_measures_and_the_account(world):
    user, cement = world.users["cement"], world.cement
    plan = services.create_plan(
        user,
        cement,
        {
            "name": "2030 规划",
            "base_year": 2024,
            "until_year": 2030,
            "growth": "0.01",
            "discount_rate": "0",
            "energy_price": "1000",
            "target_tco2": "100000",
        },
    )
    pv, boiler = Measure.objects.get(code="pv"), Measure.objects.get(code="boiler")
    services.add_item(user, plan, {"measure": pv.pk, "quantity": "2", "start_year": "2025"})
    services.add_item(user, plan, {"measure": boiler.pk, "quantity": "1", "start_year": "2026"})
    view = services.evaluate(plan)

    entries = AccountEntry.objects.filter(enterprise=cement, year=2024, is_current=True)
    assert view.base.months == 3 and not view.base.complete
    assert view.base.tco2 == sum(D(str(e.total_tco2e)) for e in entries).quantize(D("0.01"))
    assert view.notes and "3" in str(view.notes[0])

    by_code = {f.measure.code: f for f in view.items}
    # PV: 24.58 tce at the equivalent value = 200 000 kWh × the grid factor cement's own electricity takes
    expected = savings.convert(D("24.5800"), "tce", method="grid", region=cement.region_id, year=2025)
    assert by_code["pv"].tco2_per_year == expected.tco2
    assert by_code["pv"].capex == D("700000.00")
    boiler_co2 = savings.convert(D("150.0000"), "tce", method="fuel:RAW_COAL").tco2
    assert by_code["boiler"].tco2_per_year == boiler_co2

    # the cost curve: boiler 300 000/10 + 10 000 − 150 000 = −110 000/yr; PV 700 000/25 + 6 000 − 24 580
    rows = {r.key: r for r in view.curve.rows}
    boiler_row = rows[str(by_code["boiler"].item.pk)]
    assert boiler_row.net_annual_cost == D("-110000.00")
    assert view.curve.rows[0] is boiler_row  # the measure that pays for itself comes first
    # the path: 2030 = base × 1.01^6 − both measures (running since 2025 and 2026)
    last = view.path[-1]
    assert last.year == 2030
    assert last.baseline == (view.base.tco2 * D("1.01") ** 6).quantize(D("0.01"))
    assert last.abatement == expected.tco2 + boiler_co2
    assert view.target_gap == last.planned - D("100000")


@pytest.mark.parametrize(
    ("data", "field", "zh", "en"),
    [
        ({"until_year": "2020"}, "until_year", "不能早于基准年", "cannot be before the base year"),
        ({"growth": "abc"}, "growth", "", "decimal"),
        ({"discount_rate": "0.9"}, "discount_rate", "0.5", "0.5"),
        ({"base_year": "1990"}, "base_year", "2000", "2000"),
        ({"until_year": "2090"}, "until_year", "40", "40"),
    ],
)
def test_wrong_plan_values_are_refused_by_field_and_nothing_is_saved(world, data, field, zh, en):
    before = ReductionPlan.objects.count()
    base = {"name": "错误规划", "base_year": "2024", "until_year": "2030"}
    with pytest.raises(ValidationError) as caught:
        services.create_plan(world.users["cement"], world.cement, {**base, **data})
    errors = caught.value.message_dict
    assert field in errors, errors
    with translation.override("zh-hans"):
        assert zh in " ".join(ValidationError(caught.value.error_dict).messages)
    with translation.override("en"):
        assert en in " ".join(ValidationError(caught.value.error_dict).messages)
    assert ReductionPlan.objects.count() == before


def test_a_measure_outside_the_plan_years_or_unknown_is_refused(world):
    user = world.users["cement"]
    plan = services.create_plan(user, world.cement, {"name": "短期", "base_year": 2024, "until_year": 2026})
    pv = Measure.objects.get(code="pv")
    with pytest.raises(ValidationError) as caught:
        services.add_item(user, plan, {"measure": pv.pk, "quantity": "0", "start_year": "2027"})
    assert set(caught.value.message_dict) == {"quantity", "start_year"}
    with pytest.raises(ValidationError) as caught:
        services.add_item(user, plan, {"measure": "999999", "quantity": "1", "start_year": "2025"})
    assert set(caught.value.message_dict) == {"measure"}
    assert not PlanMeasure.objects.filter(plan=plan).exists()


@pytest.mark.parametrize("who", ["gov", "district", "bank", "verifier", "steel"])
def test_only_the_enterprises_own_staff_write(world, who):
    with pytest.raises(PermissionDenied):
        services.create_plan(world.users[who], world.cement, {"name": "越权", "base_year": 2024, "until_year": 2030})


def test_a_corrected_month_moves_the_base_year_at_once(world):
    user = world.users["cement"]
    plan = services.create_plan(user, world.cement, {"name": "更正", "base_year": 2024, "until_year": 2026})
    before = services.evaluate(plan).base.tco2
    submit_month(user, world.cement, 2024, 4)
    after = services.evaluate(plan).base
    assert after.months == 4 and after.tco2 > before


def test_a_measure_not_marked_illustrative_must_cite_its_source(world):
    m = Measure(
        code="motor-ie3",
        name_zh="高效电机",
        name_en="Efficient motors",
        sector="C",
        energy_type="电力",
        unit_zh="台",
        unit_en="motor",
        tce_per_unit=D("1.2"),
        conversion="grid",
        capex_per_unit=D("20000"),
        lifetime_years=15,
        source="测试",
        illustrative=False,
    )
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        m.full_clean()
    assert {"publisher", "document", "document_year", "entry"} <= set(caught.value.message_dict)
    assert "发布机关" in caught.value.message_dict["entry"][0]
    m.publisher, m.document, m.document_year, m.entry = "国家发展改革委", "测试目录", 2018, "第 1 项"
    m.full_clean()
    assert m.citation == "国家发展改革委《测试目录》（2018）第 1 项"
    m.illustrative, m.publisher, m.document, m.document_year, m.entry = True, "", "", None, ""
    m.full_clean()  # an illustrative measure needs no citation
    assert m.citation == ""

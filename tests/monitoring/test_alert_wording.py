"""Issue 11: an alert's basis is a sentence with formatted numbers (monitoring/wording.py), never the evidence's
keys and raw floats ("ytd: 35204076.45727324 projected: … method: linear")."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from dualcarbon.monitoring import services, wording
from dualcarbon.monitoring.models import Alert, Target
from tests.web.helpers import fast_world, login, submit_month

#: a region's budget evidence as evaluators._budget stores it: ytd through October, projected linearly
#: (ytd × 12 ÷ 10 = 42,244,891.748…)
BUDGET = {
    "ytd": 35204076.45727324,
    "projected": 42244891.74872789,
    "budget": 40000000.0,
    "method": "linear",
    "through": 10,
}


def test_budget_basis_in_chinese():
    with translation.override("zh-hans"):
        text = wording.basis("budget_overrun_projected", BUDGET)
    assert text == (
        "年初至今 35,204,076.46 tCO2e（截至 10 月），线性外推全年 42,244,891.75 tCO2e，年度预算 40,000,000.00 tCO2e"
    )


def test_budget_basis_in_english():
    with translation.override("en"):
        text = wording.basis("budget_overrun_projected", BUDGET)
    assert text == (
        "Year to date 35,204,076.46 tCO2e (through month 10); projected for the year by linear extrapolation: "
        "42,244,891.75 tCO2e; annual budget 40,000,000.00 tCO2e"
    )


def test_month_on_month_basis():
    evidence = {"total": 21300.5, "previous": 7100.0, "previous_period": "2024-01", "change": 2.0, "threshold": 0.5}
    with translation.override("zh-hans"):
        text = wording.basis("mom_jump", evidence)
    assert text == "本月 21,300.50 tCO2e，上月（2024-01）7,100.00 tCO2e，环比上升 200%（阈值 50%）"


@pytest.mark.django_db
def test_the_alert_page_says_the_basis_in_words(client, settings):
    world = fast_world(settings)
    services.evaluate_alerts("3399", 2024, 1)  # cement has no January: a missing-submission alert
    alert = Alert.objects.get(enterprise=world.cement)
    login(client, world.users["gov"])
    html = client.get(reverse("monitoring:alert", args=[alert.pk])).content.decode()
    assert '<td id="alert-basis">2024-01 没有已提交、已核查或已锁定的版本</td>' in html
    assert "period:" not in html


@pytest.mark.django_db
def test_the_budget_alert_message_formats_its_numbers_and_names_the_method(settings):
    world = fast_world(settings)
    u = world.users
    submit_month(u["cement"], world.cement, 2024, 1)
    Target.objects.create(region=world.city, year=2024, total_tco2e=10.0)  # surely overrun
    services.evaluate_alerts("3399", 2024, 1)
    budget = Alert.objects.get(kind="budget_overrun_projected")
    # no 2023 months: linear, the year-end = January × 12
    projected = budget.evidence["ytd"] * 12
    assert budget.message_zh == (
        f"示范市 2024 年预计排放 {projected:,.0f} tCO2e，超出预算 10 tCO2e（截至 1 月，线性外推）"
    )

"""Issue 11: the lineage page and the records table say in words what the codes mean — the run's choices by
name, a factor set's confidence as 高/中/低, an activity line's parameters with their units and basis."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.reporting import services
from tests.factories import cement_month
from tests.web.helpers import fast_world, login

pytestmark = pytest.mark.django_db

#: factor_sets.csv's titles of the platform's default fuel sets (engine.factors.DEFAULT_FUEL_SETS)
FUEL_SETS_ZH = (
    "常用化石燃料相关参数的缺省值（国家发展改革委行业企业温室气体核算指南）；"
    "IPCC 2006 化石燃料缺省值（国内指南未列的燃料）"
)


@pytest.fixture
def world(settings):
    return fast_world(settings)


def _declared_month(world):
    """January with the coal line's NCV declared by the enterprise (20.81 GJ/t)."""
    user = world.users["cement"]
    month = cement_month()
    month["activities"][0].update(ncv="20.81", ncv_unit="GJ/t", param_basis="declared")
    draft = services.draft_for(user, world.cement, 2024, 1)
    services.save_draft(user, draft, services.DraftData(**month))
    return services.submit(user, draft)


@pytest.fixture
def entry_page(client, world):
    sub = _declared_month(world)
    entry = AccountEntry.objects.get(submission=sub)
    login(client, world.users["cement"])
    return sub, reverse("accounting:entry", args=[entry.pk])


def test_the_run_panel_names_the_choices(client, entry_page):
    html = client.get(entry_page[1]).content.decode()
    assert f"<dt>燃料因子集</dt><dd>{FUEL_SETS_ZH}</dd>" in html
    assert "<dt>折标系数</dt><dd>当量值</dd>" in html
    # the world's region policy chooses the provincial MEE factor (tests.factories.build_world: mee:provincial)
    assert "<dt>电网排放因子</dt><dd>生态环境部电力二氧化碳排放因子（省级）</dd>" in html
    assert "<dt>全球增温潜势</dt><dd>IPCC 第五次评估报告 100年GWP</dd>" in html
    assert "fuel_sets" not in html
    assert "tce_basis" not in html


def test_the_run_panel_in_english(client, entry_page):
    html = client.get(entry_page[1], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<dt>Coal-equivalent basis</dt><dd>Calorific equivalent</dd>" in html
    assert "<dt>Grid emission factor</dt><dd>MEE electricity CO2 emission factor (provincial)</dd>" in html


def test_confidence_is_a_word(client, entry_page):
    html = client.get(entry_page[1]).content.decode()
    # ndrc-2015 is MEDIUM in reference/factor_sets.csv: its coal line says 中, never the code
    assert "· 置信度 中</div>" in html
    assert "MEDIUM" not in html
    english = client.get(entry_page[1], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<td class="small">Medium</td>' in english


def test_parameters_are_labelled_and_formatted(client, entry_page):
    sub, _url = entry_page
    html = client.get(reverse("reporting:version", args=[sub.pk])).content.decode()
    assert '<td class="small">低位发热量 20.81 GJ/t（企业申报）</td>' in html
    assert "param_basis" not in html
    english = client.get(reverse("reporting:version", args=[sub.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<td class="small">net calorific value 20.81 GJ/t (declared)</td>' in english

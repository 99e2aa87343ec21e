"""Fuel, material and industry names follow the interface language (English from the reference library)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.registry.models import Industry
from dualcarbon.ui import names
from dualcarbon.web.templatetags.dcweb import industry_name, item_name
from tests.web.helpers import fast_world, login, submit_month

pytestmark = pytest.mark.django_db

CEMENT_EN = "Manufacture of Non-metallic Mineral Products"
CEMENT_ZH = "非金属矿物制品业"


@pytest.fixture
def world(settings):
    return fast_world(settings)


def _get(client, url, lang):
    with translation.override(lang):
        return client.get(url, HTTP_ACCEPT_LANGUAGE=lang)


def test_helpers_follow_the_language():
    with translation.override("en"):
        assert names.item_name("RAW_COAL", "原煤") == item_name("RAW_COAL", "原煤") == "raw coal"
        assert names.industry_name("31", "黑色金属冶炼和压延加工业") == "Smelting and Pressing of Ferrous Metals"
        assert industry_name("3011", "水泥制造") == "Manufacture of Cement"
        assert names.item_name("自备窑渣", "自备窑渣") == "自备窑渣"  # unknown to the library: as stored
    with translation.override("zh-hans"):
        assert names.item_name("RAW_COAL", "原煤") == "原煤"
        assert names.industry_name("30", CEMENT_ZH) == CEMENT_ZH


def test_industries_in_the_database_have_english_names(world):
    assert Industry.objects.filter(name_en="").count() == 0
    assert Industry.objects.get(code="30").name_en == CEMENT_EN
    pulp = Industry.objects.get(code="2212")  # one of the "2211;2212" ETS classes: its own name
    assert (pulp.level, pulp.name_zh, pulp.name_en) == ("class", "非木竹浆制造", "Manufacture of Non-wood Pulp")


def test_the_data_migration_fills_english_names_of_existing_rows(world):
    import importlib

    from django.apps import apps

    Industry.objects.filter(code__in=["30", "2211"]).update(name_en="")
    Industry.objects.filter(code="31").update(name_en="kept as edited")
    migration = importlib.import_module("dualcarbon.registry.migrations.0003_industry_names_en")
    migration.fill(apps, None)
    got = dict(Industry.objects.filter(code__in=["30", "2211", "31"]).values_list("code", "name_en"))
    assert got == {"30": CEMENT_EN, "2211": "Manufacture of Wood and Bamboo Pulp", "31": "kept as edited"}


def test_pages_show_fuels_and_industries_in_english(client, world):
    sub = submit_month(world.users["cement"], world.cement, 2024, 3)
    entry = AccountEntry.objects.get(submission=sub)
    lineage = reverse("accounting:entry", args=[entry.pk])
    account = reverse("accounting:enterprise", args=[world.cement.pk]) + "?year=2024"

    login(client, world.users["cement"])
    en = _get(client, lineage, "en").content.decode()
    assert "→ raw coal <code>RAW_COAL</code>" in en and "→ electricity <code>ELECTRICITY</code>" in en
    assert "→ diesel <code>DIESEL</code>" in en
    zh = _get(client, lineage, "zh-hans").content.decode()
    assert "→ 原煤 <code>RAW_COAL</code>" in zh and "raw coal" not in zh
    page = _get(client, account, "en")
    labels = {s.label for s in page.context["account"].by_item}
    assert {"raw coal", "electricity", "diesel"} <= labels and "原煤" not in labels
    assert CEMENT_EN in page.content.decode()
    assert "原煤" in {s.label for s in _get(client, account, "zh-hans").context["account"].by_item}

    # the bank's list of enterprises
    login(client, world.users["bank"])
    home = reverse("web:home")
    assert CEMENT_EN in _get(client, home, "en").content.decode()
    assert CEMENT_ZH in _get(client, home, "zh-hans").content.decode()


def test_excel_export_names_follow_the_language(client, world):
    submit_month(world.users["cement"], world.cement, 2024, 3)
    login(client, world.users["cement"])
    url = reverse("accounting:export", args=[world.cement.pk]) + "?year=2024"

    def cells(lang):
        wb = load_workbook(io.BytesIO(_get(client, url, lang).content))
        return {str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None}

    en, zh = cells("en"), cells("zh-hans")
    assert f"30 {CEMENT_EN}" in en and "raw coal" in en and "electricity" in en
    assert f"30 {CEMENT_ZH}" in zh and "原煤" in zh and "raw coal" not in zh


def test_monitoring_dashboard_names_industries_in_english(client, world):
    submit_month(world.users["cement"], world.cement, 2024, 3)
    login(client, world.users["gov"])
    url = reverse("monitoring:dashboard") + "?year=2024"
    assert f"30 {CEMENT_EN}" in _get(client, url, "en").content.decode()
    assert f"30 {CEMENT_ZH}" in _get(client, url, "zh-hans").content.decode()

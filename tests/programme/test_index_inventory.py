"""The dual-carbon index and the group inventory in the platform: an area better on every indicator ranks above
(each method), indicators left out of the table come from the accounts and say so, a malformed upload is refused
with row and column and stores nothing, an inventory's figures equal the engine's consolidation of the accounts,
and who sees what (docs/programme.md § Dual-carbon index, § Group inventory)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils.translation import override

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.engine import consolidation
from dualcarbon.programme import carbon_index, inventory
from dualcarbon.programme.models import GroupInventory, IndexRun
from dualcarbon.registry import services as registry
from tests.web.helpers import data_for_the_module, login, submit_many

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("programme-index")]

HEADER = "area,elec_intensity,nonfossil_share,secondary_share,buses_per_10k,co2_per_capita"
# 东城区 better than 西城区 on every indicator of every method (lower is better where the method says so)
BETTER = "东城区,400,30,30,15,4"
WORSE = "西城区,900,10,55,5,14"
FULL = ",co2_intensity,co2_growth,decoupling,peak_test"


@pytest.fixture(scope="module")
def iw(pw: Any, django_db_blocker: Any) -> Iterator[Any]:
    """Accounts for cement (东城区: every month of 2024, January 2023) and steel (西城区: December 2024 and 2023);
    cement holds 60 % of steel with operational control from 1 December 2024 (so steel counts for December only)."""
    with data_for_the_module(django_db_blocker):
        w = pw.world
        cement, steel = (w.users["cement"], w.cement), (w.users["steel"], w.steel)
        items = [(*cement, 2024, m) for m in range(1, 13)] + [(*cement, 2023, 1)]
        items += [(*steel, 2024, 12), (*steel, 2023, 12)]
        submit_many(items)
        registry.set_ownership(w.cement, w.steel, "60", datetime.date(2024, 12, 1), has_control=True)
        yield pw


def _csv(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_an_area_better_on_every_indicator_ranks_above_for_every_method(iw):
    gov = iw.users["gov"]
    for method in carbon_index.methods():
        run = carbon_index.compute_index(
            gov,
            iw.programme,
            2024,
            method,
            "counties.csv",
            _csv(BETTER + ",0.5,-3,-0.5,1", WORSE + ",2.5,7,1.5,0", header=HEADER + FULL),
        )
        ranks = {a["name"]: a["rank"] for a in run.results["areas"]}
        assert ranks == {"东城区": 1, "西城区": 2}, method
        # reopened from what was stored: the uploaded row named, the contributions add up to the score
        east = carbon_index.view(IndexRun.objects.get(pk=run.pk), "zh-hans").area("339901")
        assert east is not None
        rows = [i for d in east["detail"] for i in d["rows"]]
        assert {i["source"] for i in rows} == {"upload"}
        assert "counties.csv 第 2 行" in rows[0]["lineage"]
        total = sum(Decimal(i["contribution"]) for i in rows)
        assert abs(total - Decimal(east["score"])) < Decimal("1e-20")


def test_indicators_left_out_of_the_table_come_from_the_accounts_and_say_so(iw):
    run = carbon_index.compute_index(
        iw.users["gov"],
        iw.programme,
        2024,
        "ccni-structure",
        "counties.csv",
        _csv(BETTER + ",0.3,1", WORSE + ",1.1,0", header=HEADER + ",decoupling,peak_test"),
    )
    # by hand from the current accounts: Σ tCO2e ÷ Σ value added; growth of the months reported in both years
    for org, code in ((iw.world.cement, "339901"), (iw.world.steel, "339902")):
        entries = AccountEntry.objects.filter(enterprise=org, is_current=True, month__gte=1)
        now = [e for e in entries if e.year == 2024]
        t = sum(Decimal(str(e.total_tco2e)) for e in now)
        va = sum(e.value_added for e in now)
        months_before = {e.month for e in entries if e.year == 2023}
        pair_now = sum(Decimal(str(e.total_tco2e)) for e in now if e.month in months_before)
        before = sum(Decimal(str(e.total_tco2e)) for e in entries if e.year == 2023)
        values = run.inputs[code]["values"]
        assert values["co2_intensity"]["source"] == "accounts"
        assert Decimal(values["co2_intensity"]["value"]) == (t / va).quantize(Decimal("0.0001"))
        growth = ((pair_now - before) / before * 100).quantize(Decimal("0.0001"))
        assert Decimal(values["co2_growth"]["value"]) == growth
        assert "平台碳账户" in values["co2_growth"]["lineage"] and "1 个企业月度" in values["co2_growth"]["lineage"]
        assert values["elec_intensity"]["source"] == "upload"


def test_a_malformed_upload_is_refused_with_row_and_column_and_stores_nothing(iw):
    before = IndexRun.objects.count()
    bad = _csv(BETTER + ",0.5,-3,-0.5,1", "西城区,九百,10,,5,14,2.5,7,1.5,0", header=HEADER + FULL)
    with pytest.raises(ValidationError) as caught:
        carbon_index.compute_index(iw.users["gov"], iw.programme, 2024, "ccni-structure", "bad.csv", bad)
    with override("zh-hans"):
        zh = caught.value.message_dict["file"]
    with override("en"):
        en = caught.value.message_dict["file"]
    assert any("第 3 行" in m and "elec_intensity" in m and "九百" in m for m in zh), zh
    assert any("第 3 行" in m and "secondary_share" in m for m in zh), zh
    assert any("row 3" in m and "elec_intensity" in m for m in en), en
    # an area outside the city, through the page: 422, located, nothing stored
    c = login(Client(), iw.users["gov"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = c.post(
        f"/programme/{iw.programme.pk}/index/",
        {
            "year": "2024",
            "method": "ccni-structure",
            "file": SimpleUploadedFile(
                "x.csv", _csv(BETTER + ",0.5,-3,-0.5,1", "南城区,1,1,1,1,1,1,1,1,0", header=HEADER + FULL)
            ),
        },
    )
    assert r.status_code == 422 and "第 3 行，列 area" in r.content.decode()
    assert IndexRun.objects.count() == before


def test_the_inventory_equals_the_engines_consolidation_of_the_accounts(iw):
    w = iw.world
    with pytest.raises(Exception):  # noqa: B017 - the government reads, it does not keep a group's inventory
        inventory.create_inventory(iw.users["gov"], w.cement, 2024, "equity_share")
    rows = AccountEntry.objects.filter(is_current=True, year=2024, month__gte=1, enterprise__in=[w.cement, w.steel])
    totals = consolidation.monthly(
        (str(e.enterprise_id), e.month, str(e.scope1_tco2e), str(e.scope2_tco2e)) for e in rows
    )
    own = {  # steel: December only (held from 1 December)
        org.pk: (
            sum(Decimal(str(e.scope1_tco2e)) for e in rows if e.enterprise_id == org.pk),
            sum(Decimal(str(e.scope2_tco2e)) for e in rows if e.enterprise_id == org.pk),
        )
        for org in (w.cement, w.steel)
    }
    assert rows.filter(enterprise=w.steel).count() == 1
    for approach, steel_share in (("equity_share", Decimal("0.6")), ("operational_control", Decimal(1))):
        inv = inventory.create_inventory(iw.users["cement"], w.cement, 2024, approach)
        f = inventory.figures(inv)
        link = consolidation.Link(str(w.cement.pk), str(w.steel.pk), Decimal(60), True, datetime.date(2024, 12, 1))
        engine = consolidation.consolidate(str(w.cement.pk), 2024, approach, [link], totals)
        assert f.complete and (f.scope1, f.scope2) == (engine.scope1, engine.scope2)
        # and by hand: the group in full, the subsidiary at its share
        assert f.scope1 == own[w.cement.pk][0] + steel_share * own[w.steel.pk][0]
        assert f.scope2 == own[w.cement.pk][1] + steel_share * own[w.steel.pk][1]
        steel = next(m for m in f.members if m.organisation_id == w.steel.pk)
        assert steel.share_pct is None and steel.months[11]["share_pct"] == steel_share * 100  # December only
        assert steel.months[0]["share_pct"] == 0 and "60%" in steel.chains[0]
    assert GroupInventory.objects.filter(group=w.cement, year=2024).count() == 1  # the approach chosen again
    # the Excel report: the ISO 14064-1 sections
    from io import BytesIO

    from openpyxl import load_workbook

    wb = load_workbook(BytesIO(inventory.xlsx(inv)))
    assert [ws.title.split(" ")[0] for ws in wb.worksheets] == ["封面", *"123456789"]


def test_who_sees_the_index_and_the_inventories(iw):
    w = iw.world
    inv = inventory.create_inventory(w.users["cement"], w.cement, 2024, "equity_share")
    run = carbon_index.compute_index(
        w.users["gov"],
        iw.programme,
        2024,
        "ccni-structure",
        "c.csv",
        _csv(BETTER + ",0.5,-3,-0.5,1", WORSE + ",2.5,7,1.5,0", header=HEADER + FULL),
    )
    for who, index_ok, inv_ok in (
        ("gov", True, True),
        ("district", True, True),  # 东城区: the group's region
        ("cement", False, True),
        ("steel", False, False),  # a subsidiary's staff: not the group's inventory
        ("bank", False, False),
        ("verifier", False, False),
    ):
        c = login(Client(), w.users[who])
        assert (c.get(f"/programme/index/{run.pk}/").status_code == 200) == index_ok, who
        assert (c.get(f"/api/programme/index-runs/{run.pk}").status_code == 200) == index_ok, who
        code = c.get(f"/programme/inventory/{inv.pk}/").status_code
        assert code == (200 if inv_ok else 404), who
        assert c.get(f"/api/programme/inventories/{inv.pk}").status_code == (200 if inv_ok else 404), who
    c = login(Client(), w.users["cement"])
    r = c.post(
        f"/api/programme/groups/{w.cement.pk}/inventories",
        data={"year": 2023, "approach": "nonsense"},
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["errors"][0]["column"] == "approach"
    gov = login(Client(), w.users["gov"])
    r = gov.post(
        f"/api/programme/groups/{w.cement.pk}/inventories",
        data={"year": 2023, "approach": "equity_share"},
        content_type="application/json",
    )
    assert r.status_code == 403 and not GroupInventory.objects.filter(year=2023).exists()

"""The group inventory completed (docs/programme.md § Group inventory, § Snapshots, § ESG): scope 2 market-based
beside location-based, the reduction potential from planning's library by each entity's industry, the carbon assets
(certified in finance, held in the assets ledger, claimed in the accounts), the report in the ISO 14064-1 order as
PDF and Excel, snapshots frozen with their hash and a later restatement shown beside them, the ESG indicators with
their lineage and the entered ones refused with the indicator named; who reads and who keeps them."""

from __future__ import annotations

import datetime
import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from openpyxl import load_workbook

from dualcarbon.accounting.models import AccountEntry, EmissionLine
from dualcarbon.assets import services as assets
from dualcarbon.assets.models import Asset
from dualcarbon.finance import certification
from dualcarbon.planning.models import Measure as LibraryMeasure
from dualcarbon.programme import esg, inventory
from dualcarbon.programme.models import EsgEntry, InventorySnapshot
from dualcarbon.registry import services as registry
from dualcarbon.reporting import services as reporting
from tests.factories import cement_month
from tests.web.helpers import data_for_the_module, login, submit_many

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("programme-inventory-esg")]

ALL_OK = {p: {"ok": True, "note": "符合"} for p in ("no_lock_in", "dnsh", "just_transition")}


@pytest.fixture(scope="module")
def gw(pw: Any, django_db_blocker: Any) -> Iterator[Any]:
    """cement (东城区, industry 30) every month of 2023 and 2024, steel (西城区, industry 31) December 2024; cement
    holds 60 % of steel with control from 1 December 2024. The library: one measure for every industry, one for
    C30, one for C, one for B. cement holds 100 CCER, steel 50 green certificates; cement's project is certified."""
    with data_for_the_module(django_db_blocker):
        w = pw.world
        u = w.users
        items = [(u["cement"], w.cement, y, m) for y in (2023, 2024) for m in range(1, 13)]
        items.append((u["steel"], w.steel, 2024, 12))
        submit_many(items)
        registry.set_ownership(w.cement, w.steel, "60", datetime.date(2024, 12, 1), has_control=True)
        for code, sector, conversion in (
            ("led", "全部行业", "grid"),
            ("kiln-heat", "C30 非金属矿物制品业", "coal-ranks"),
            ("vfd", "C 制造业", "grid"),
            ("mine-fans", "B 采矿业", "grid"),
        ):
            LibraryMeasure.objects.create(
                code=code,
                name_zh=f"措施 {code}",
                name_en=f"measure {code}",
                sector=sector,
                energy_type="电力",
                unit_zh="套",
                unit_en="set",
                tce_per_unit=Decimal("10"),
                conversion=conversion,
                capex_per_unit=Decimal("1000"),
                lifetime_years=10,
                source=f"来源 {code}",
            )
        gov = u["gov"]
        assets.issue(gov, Asset.objects.get(code="CCER"), w.cement, 2024, 100, reference="CCER-T1", memo="测试")
        assets.issue(gov, Asset.objects.get(code="GEC"), w.steel, 2024, 50, reference="GEC-T1", memo="测试")
        certification.publish_ruler(
            gov, "339900", industry_code="3011", kind="project", valid_from=datetime.date(2025, 1, 1),
            sector_name="水泥制造", metric="energy_per_product", unit="kgce/t", entry_value="117",
            advanced_value="100", min_reduction_pct="3", principles=["no_lock_in", "dnsh", "just_transition"],
            source="测试标尺",
        )  # fmt: skip
        base = certification.account_year(w.cement, 2024)
        assert base is not None
        app = certification.apply(
            u["cement"], w.cement, kind="project", industry_code="3011", name="余热发电改造",
            verifier=w.verifier.pk, baseline_year=2024, declared_value="105.5", expected_savings_tce="8000",
            expected_reduction_tco2=str((Decimal(base["annual_tco2e"]) * Decimal("0.05")).quantize(Decimal("0.01"))),
            investment="1000000", evidence="可研报告", evidence_ref="KY-1",
        )  # fmt: skip
        certification.review(u["verifier"], app, approve=True, checks=ALL_OK)
        today = datetime.date.today()
        certification.certify(gov, app, valid_from=today.replace(day=1), valid_until=today.replace(year=today.year + 2))
        inv = inventory.create_inventory(u["cement"], w.cement, 2024, "operational_control", base_year=2023)
        yield pw, inv


def test_scope2_market_based_stands_beside_location_based_and_equals_the_accounts(gw):
    pw, inv = gw
    w = pw.world
    f = inventory.figures(inv)
    rows = AccountEntry.objects.filter(is_current=True, year=2024, enterprise__in=[w.cement, w.steel])
    market = sum(Decimal(str(e.scope2_market_tco2e)) for e in rows if e.enterprise_id == w.cement.pk)
    market += sum(Decimal(str(e.scope2_market_tco2e)) for e in rows.filter(enterprise=w.steel, month=12))
    assert f.complete and f.scope2_market == market and f.market_fallback == 0
    # purchased electricity through the same shares: cement's twelve months and steel's December, none green
    mwh = sum(Decimal(str(2500.0 + 7 * i)) for i in range(12, 24)) + Decimal(str(2500.0 + 7 * 24))
    assert f.extras.elec_mwh == mwh and f.extras.green_mwh == 0
    # and it is the activity behind scope 2: MWh × the grid factor the accounts used (electricity is all of scope 2)
    grid = {ln.factor for ln in EmissionLine.objects.filter(run__entry__in=rows, market_factor__isnull=False)}
    assert len(grid) == 1 and abs(f.scope2 - mwh * Decimal(str(grid.pop()))) < Decimal("0.001")


def test_the_potential_lists_the_library_measures_of_each_entitys_industry(gw):
    pw, inv = gw
    f = inventory.figures(inv)
    by_name = {p["name"]: [m["code"] for m in p["measures"]] for p in inventory.potential(f)}
    assert by_name[pw.world.cement.name] == ["kiln-heat", "led", "vfd"]  # 30 ⊂ C30 ⊂ C; not B
    assert by_name[pw.world.steel.name] == ["led", "vfd"]
    kiln = next(m for p in inventory.potential(f) for m in p["measures"] if m["code"] == "kiln-heat")
    assert kiln["tco2_per_unit"] == kiln["factor"] * 10 and kiln["source"] == "来源 kiln-heat" and kiln["factor_source"]


def test_the_carbon_assets_come_from_finance_assets_and_the_accounts(gw):
    pw, inv = gw
    a = inventory.carbon_assets(inventory.figures(inv))
    assert [(r["holder"], r["name"]) for r in a["certified"]] == [(pw.world.cement.name, "余热发电改造")]
    held = {(r["holder"], r["asset"], r["units"]) for r in a["holdings"]}
    assert held == {(pw.world.cement.name, "CCER", 100), (pw.world.steel.name, "GEC", 50)}


def test_the_report_in_the_iso_order_as_pdf_and_excel(gw):
    pw, inv = gw
    c = login(Client(), pw.users["cement"])
    wb = load_workbook(io.BytesIO(c.get(f"/programme/inventory/{inv.pk}/inventory.xlsx").content))
    assert [ws.title.split(" ")[0] for ws in wb.worksheets] == ["封面", *"123456789"]
    cover = {r[0]: r[1] for r in wb["封面 Cover"].iter_rows(values_only=True)}
    assert cover["报告期 / Reporting period"] == "2024-01-01 – 2024-12-31"
    assert Decimal(str(cover["范围二（基于市场）/ Scope 2 market-based (tCO2e)"])) == inventory.shown(
        inventory.figures(inv).scope2_market
    )
    pdf = c.get(f"/programme/inventory/{inv.pk}/inventory.pdf")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed to read the report")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf.content, capture_output=True).stdout.decode()
    for heading in (
        "组织边界与合并方法",
        "报告期",
        "范围二（基于市场）",
        "基准年",
        "数据质量与排除",
        "减排潜力",
        "碳资产",
    ):
        assert heading in text, heading
    assert "余热发电改造" in text and "运营控制权法" in text


def test_a_snapshot_is_frozen_with_its_hash_and_a_restatement_shows_beside_it(gw):
    pw, inv = gw
    w = pw.world
    with pytest.raises(PermissionDenied):
        inventory.take_snapshot(pw.users["gov"], inv)
    snap = inventory.take_snapshot(pw.users["cement"], inv, "年报披露口径")
    assert snap.sha256 == inventory.fingerprint(snap.data) and inventory.verify(snap)
    with pytest.raises(ValidationError):
        snap.save()
    with pytest.raises(ValidationError):
        snap.delete()
    before = Decimal(snap.data["total"])
    # cement corrects March 2024 (more coal): the accounts are restated, the snapshot keeps what it froze
    current = reporting.visible_submissions(pw.users["cement"]).get(
        enterprise=w.cement, period__year=2024, period__month=3, is_current=True
    )
    draft = reporting.correct(pw.users["cement"], current, "煤耗更正")
    reporting.save_draft(pw.users["cement"], draft, reporting.DraftData(**cement_month(coal=9000.0)))
    reporting.submit(pw.users["cement"], draft)
    snap = InventorySnapshot.objects.get(pk=snap.pk)
    cmp = inventory.compare(snap, inventory.figures(inv))
    totals = {k: (then, now, diff) for k, then, now, diff in cmp["totals"]}
    assert cmp["verified"] and cmp["restated"] and totals["total"][0] == before
    assert totals["total"][1] > before and totals["total"][2] == totals["total"][1] - before
    page = login(Client(), pw.users["district"]).get(f"/programme/inventory/{inv.pk}/").content.decode()
    assert "账户已重述" in page and snap.sha256[:12] in page
    r = login(Client(), pw.users["cement"]).get(f"/api/programme/inventories/{inv.pk}/snapshots")
    assert r.status_code == 200 and r.json()[0]["sha256"] == snap.sha256 and r.json()[0]["verified"]


def test_esg_environmental_indicators_carry_their_lineage(gw):
    _pw, inv = gw
    f = inventory.figures(inv)
    rows = {r["code"]: r for r in esg.rows(inv)}
    assert rows["e_scope1"]["value"] == f.scope1.quantize(Decimal("0.01"))
    assert rows["e_scope2_market"]["value"] == f.scope2_market.quantize(Decimal("0.01"))
    assert rows["e_renewable_pct"]["value"] == 0  # no green power, no own generation
    base = inventory.figures(inv, 2023)
    change = ((f.total - base.total) / base.total * 100).quantize(Decimal("0.1"))
    assert (
        rows["e_change_pct"]["value"] == change
        and str(base.total.quantize(Decimal("0.01"))) in (rows["e_change_pct"]["lineage_zh"])
    )
    va = f.extras.value_added
    assert va == 12 * 4200 + Decimal(1) * 4200  # cement's twelve months, steel's December in full (control)
    assert rows["e_intensity"]["value"] == (f.total / va).quantize(Decimal("0.0001"))
    assert "Σ share × value added" in rows["e_intensity"]["lineage_en"]


def test_esg_entries_are_refused_with_the_indicator_named_and_nothing_stored(gw):
    pw, inv = gw
    cement = pw.users["cement"]
    with pytest.raises(ValidationError) as caught:
        esg.save_entries(cement, inv, {"s_female_pct": "130", "s_employees": "12.5", "g_board_size": "9", "x": "1"})
    errs = caught.value.message_dict
    assert set(errs) == {"s_female_pct", "s_employees", "x"} and "0 到 100" in errs["s_female_pct"][0]
    assert not EsgEntry.objects.filter(inventory=inv).exists()
    with pytest.raises(PermissionDenied):
        esg.save_entries(pw.users["gov"], inv, {"g_board_size": "9"})
    # through the page, in English: located on the field, 422, nothing stored
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.cookies["django_language"] = "en"
    r = login(c, cement).post(f"/programme/inventory/{inv.pk}/esg/", {"s_fatalities": "-1", "g_board_size": "9"})
    assert r.status_code == 422 and "cannot be negative" in r.content.decode()
    assert not EsgEntry.objects.filter(inventory=inv).exists()
    r = login(Client(), cement).post(
        f"/programme/inventory/{inv.pk}/esg/",
        {"g_board_size": "9", "e_target_year": "2030", "e_target_reduction_pct": "20", "g_climate_oversight": "是"},
    )
    assert r.status_code == 302
    data = json.loads(login(Client(), pw.users["gov"]).get(f"/programme/inventory/{inv.pk}/esg.json").content)
    assert data["template"] == "dualcarbon-esg" and data["columns"] == list(esg.COLUMNS)
    by_code = {i["code"]: i for i in data["indicators"]}
    assert by_code["g_board_size"]["value"] == "9" and by_code["g_climate_oversight"]["value"] == "yes"
    assert "cement" in by_code["g_board_size"]["lineage_zh"] and by_code["e_target_progress_pct"]["value"]
    wb = load_workbook(io.BytesIO(login(Client(), cement).get(f"/programme/inventory/{inv.pk}/esg.xlsx").content))
    assert [c.value for c in wb["ESG"][1]] == list(esg.COLUMNS)
    for who, code in (("steel", 404), ("bank", 404), ("verifier", 404), ("district", 200)):
        assert login(Client(), pw.users[who]).get(f"/programme/inventory/{inv.pk}/esg/").status_code == code, who
        assert login(Client(), pw.users[who]).get(f"/api/programme/inventories/{inv.pk}/esg").status_code == code

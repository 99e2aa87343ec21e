"""The Excel template: generated per industry, filled like a user, uploaded, submitted; bad files change nothing."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.engine import units
from dualcarbon.engine.factors import Catalog, Options
from dualcarbon.reporting import excel
from dualcarbon.reporting.models import ActivityRecord, Submission
from tests.factories import build_world
from tests.fixtures import make_workbooks as wbk
from tests.snapshots import REPORTING_TABLES, rows

XLSX = excel.XLSX_CONTENT_TYPE
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _upload(content: bytes, name: str = "2024年1月能源数据.xlsx", content_type: str = XLSX) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def _findings(content: bytes, name: str = "t.xlsx") -> list[tuple[str, int | None, str, str]]:
    with pytest.raises(excel.WorkbookInvalid) as info:
        excel.parse_workbook(_upload(content, name))
    return [(f.sheet, f.row, f.column, f.rule) for f in info.value.findings]


@pytest.fixture
def template() -> bytes:
    return excel.build_template(wbk.CEMENT, 2024, 1)


# ------------------------------------------------------------------------------------------------
# generation (no database)


def test_cement_template_has_the_sheets_codes_and_industry_rows(template):
    wb = load_workbook(io.BytesIO(template))
    assert wb.sheetnames == [
        "填报说明",
        "活动数据",
        "产品产量",
        "经济数据",
        "自有零碳发电",
        "碳抵消与绿证",
        excel.SHEET_DISCHARGE,
    ]
    ws = wb["活动数据"]
    assert [c.value for c in ws[1]][:4] == ["排放源类别", "品种", "数量", "单位"]
    assert tuple(c.value for c in ws[2] if c.value) == excel.ACTIVITY_CODES
    rows = [tuple(c.value for c in ws[r][:4]) for r in range(3, 10)]
    assert rows == [
        ("化石燃料燃烧", "原煤", None, "t"),
        ("化石燃料燃烧", "柴油", None, "t"),
        ("化石燃料燃烧", "天然气", None, "万Nm3"),
        ("购入电力", "电力", None, "MWh"),
        ("工业生产过程", "熟料", None, "t"),
        ("工业生产过程", "石灰石", None, "t"),
        ("购入电力", "绿电", None, "MWh"),  # green power: last, so the rows above keep their places
    ]
    assert ws["A10"].value is None
    kinds = {(dv.type, str(dv.sqref).split(":")[0]) for dv in ws.data_validations.dataValidation}
    assert ("list", "A3") in kinds and ("list", "D3") in kinds
    decimal = next(dv for dv in ws.data_validations.dataValidation if dv.type == "decimal")
    assert decimal.operator == "greaterThanOrEqual" and decimal.formula1 == "0" and "C3:C" in str(decimal.sqref)
    assert ws.protection.sheet and ws["C3"].protection.locked is False and ws["A1"].protection.locked is True
    assert [c.value for c in wb["产品产量"]["A"][2:4]] == ["水泥熟料", "水泥"]
    assert [wb["经济数据"].cell(row=r, column=2).value for r in (2, 3, 4)] == ["value_added", "output_value", "revenue"]
    guide = " ".join(str(c.value) for row in wb["填报说明"].iter_rows() for c in row if c.value)
    for text in ("示范水泥有限公司", "2024-01", "化验报告", "万Nm3", "MWh", "工作表、行号、列", "“绿电”行", "市场法"):
        assert text in guide


def test_industry_rows_use_names_and_units_the_factor_library_knows():
    catalog = Catalog(Options(fuel_sets=("fuels-a", "fuels-b")))
    for lines in (*excel.INDUSTRY_LINES.values(), excel.COMMON_LINES):
        for line in lines:
            item = catalog.lookup(line.source_type, line.item)
            assert item is not None, line
            assert units.factor(line.unit, item.activity_unit) > 0, line


def test_every_profile_offers_green_power_with_purchased_electricity():
    catalog = Catalog(Options(fuel_sets=("fuels-a", "fuels-b")))
    for lines in (*excel.INDUSTRY_LINES.values(), excel.COMMON_LINES):
        assert excel.ELECTRICITY_IN in lines and lines[-1] == excel.GREEN_ELECTRICITY_IN
    green = catalog.lookup("purchased_electricity", excel.GREEN_ELECTRICITY_IN.item)
    assert green is not None and green.code == "GREEN_ELECTRICITY"


def test_steel_and_power_templates_differ_from_the_default():
    from types import SimpleNamespace

    def items(code: str) -> list[str]:
        org = SimpleNamespace(pk=2, name="x", uscc="", industry=SimpleNamespace(code=code, name_zh=""))
        ws = load_workbook(io.BytesIO(excel.build_template(org)))["活动数据"]
        return [f"{ws.cell(row=r, column=1).value}:{ws.cell(row=r, column=2).value}" for r in range(3, 15)]

    assert "化石燃料燃烧:高炉煤气" in items("31") and "工业生产过程:白云石" in items("31")
    assert "输出电力:电力" in items("44")
    assert "购入热力:热力" in items("13")  # default profile: common fuels + electricity + heat


# ------------------------------------------------------------------------------------------------
# import rules (no database)


def test_filled_fixture_parses_with_locations():
    data = excel.parse_workbook(_upload((FIXTURES / "template_cement_filled.xlsx").read_bytes()))
    assert [(a["item"], a["quantity"]) for a in data.activities] == [
        ("原煤", Decimal(7100)),
        ("柴油", Decimal("21.5")),
        ("电力", Decimal(2900)),
        ("熟料", Decimal(50000)),
    ]
    assert all(a["source_sheet"] == "活动数据" for a in data.activities)
    assert [a["source_row"] for a in data.activities] == [3, 4, 6, 7]  # 天然气 (row 5) was left empty
    assert data.activities[0]["source_type"] == "fuel_combustion" and data.activities[0]["ncv"] == Decimal("21.37")
    assert data.activities[2]["source_type"] == "purchased_electricity"
    assert [(p["product"], p["quantity"]) for p in data.production] == [("水泥熟料", 50000), ("水泥", 61200)]
    assert data.economic == {"value_added": 4200, "output_value": 15800, "revenue": 16100}


def test_bad_fixture_names_sheet_row_column_and_rule():
    bad = (FIXTURES / "template_cement_bad.xlsx").read_bytes()
    found = _findings(bad)
    assert ("活动数据", wbk.row_of(bad, "原煤"), "quantity", "not_a_number") in found
    assert ("活动数据", wbk.row_of(bad, "柴油"), "unit", "unknown_unit") in found
    with pytest.raises(excel.WorkbookInvalid) as info:
        excel.parse_workbook(_upload(bad))
    messages = {f.rule: (f.message_zh, f.message_en) for f in info.value.findings}
    zh, en = messages["not_a_number"]
    assert zh == "工作表 活动数据，第 3 行，C 列（数量）：“七千” 不是数字"
    assert en == "sheet 活动数据, row 3, column C (quantity): “七千” is not a number"


def test_structural_problems_are_refused(template):
    assert [f[3] for f in _findings(b"entity,period\n", "data.csv")] == ["file_type"]
    assert [f[3] for f in _findings(b"not a zip at all", "fake.xlsx")] == ["file_type"]
    big = SimpleUploadedFile("big.xlsx", b"PK\x03\x04" + b"0" * (excel.MAX_BYTES + 1), content_type=XLSX)
    with pytest.raises(excel.WorkbookInvalid) as info:
        excel.parse_workbook(big)
    assert info.value.findings[0].rule == "file_too_large"

    wb = load_workbook(io.BytesIO(template))
    del wb["经济数据"]
    wb.create_sheet("Sheet1")
    out = io.BytesIO()
    wb.save(out)
    found = _findings(out.getvalue())
    assert ("经济数据", None, "", "missing_sheet") in found and ("Sheet1", None, "", "unknown_sheet") in found

    wb = load_workbook(io.BytesIO(template))
    wb["活动数据"]["E2"] = "热值x"
    out = io.BytesIO()
    wb.save(out)
    (finding,) = _findings(out.getvalue())
    assert finding[:2] == ("活动数据", 2) and finding[3] == "unknown_header"


def test_blank_rows_are_skipped_and_parameters_without_quantity_are_refused(template):
    data = excel.parse_workbook(_upload(template))
    assert data.activities == [] and data.production == []
    wb = load_workbook(io.BytesIO(template))
    wb["活动数据"]["E5"] = 380  # an NCV on the natural-gas row, whose quantity is empty
    out = io.BytesIO()
    wb.save(out)
    assert _findings(out.getvalue()) == [("活动数据", 5, "quantity", "quantity_required")]


def test_a_plain_label_header_without_the_code_row_still_imports():
    wb = Workbook()
    ws = wb.active
    ws.title = "活动数据"
    ws.append(["排放源类别", "品种", "数量", "单位"])
    ws.append(["化石燃料燃烧", "原煤", "7,100", "吨"])
    wb.create_sheet("产品产量").append(["产品名称", "产量", "单位"])
    econ = wb.create_sheet("经济数据")
    econ.append(["项目", "代码", "数值"])
    econ.append(["工业增加值（收入法）", "value_added", 4200])
    out = io.BytesIO()
    wb.save(out)
    data = excel.parse_workbook(_upload(out.getvalue()))
    assert data.activities[0]["quantity"] == Decimal(7100) and data.activities[0]["source_row"] == 2
    assert data.economic == {"value_added": 4200}


# ------------------------------------------------------------------------------------------------
# through the web, as the cement user

pytestmark_db = pytest.mark.django_db


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


@pytest.fixture
def cement(world) -> Client:
    client = Client()
    client.force_login(world.users["cement"])
    return client


@pytestmark_db
def test_download_fill_upload_submit(world, cement):
    response = cement.get(reverse("reporting:template", args=[2024, 1]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"] and ".xlsx" in response["Content-Disposition"]
    filled = wbk.fill(response.content)

    response = cement.post(reverse("reporting:upload", args=[2024, 1]), {"file": _upload(filled)})
    assert response.status_code == 302
    sub = Submission.objects.get(enterprise=world.cement, period__year=2024, period__month=1)
    assert (sub.status, sub.channel, sub.version) == ("draft", "excel", 1) and sub.source_file.name
    acts = list(sub.activities.order_by("line_no"))
    assert [(a.item, a.quantity) for a in acts] == [
        ("原煤", 7100),
        ("柴油", Decimal("21.5")),
        ("电力", 2900),
        ("熟料", 50000),
    ]
    assert all(a.source_sheet == "活动数据" for a in acts)
    assert acts[0].source_row == wbk.row_of(filled, "原煤") and acts[0].param_basis == "measured"
    assert sub.production.count() == 2 and sub.economic.value_added == 4200
    assert not sub.issues.filter(severity="error").exists()

    page = cement.get(reverse("reporting:period", args=[2024, 1]))
    assert page.status_code == 200 and "原煤" in page.content.decode()

    response = cement.post(reverse("reporting:submit", args=[2024, 1]))
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.status == "submitted" and sub.is_current
    entry = AccountEntry.objects.get(submission=sub, is_current=True)
    # the measured NCV was used, with the default CC 26.1e-3 tC/GJ and OF 93 %
    # (原煤: 烟煤 of 发改办气候〔2015〕1722号 表2.1)
    coal = 7100 * 21.37 * 0.0261 * 0.93 * 44 / 12
    assert entry.by_source["fuel_combustion"] == pytest.approx(coal + 21.5 * 3.0959, rel=1e-4)
    assert entry.value_added == 4200 and entry.scope2_tco2e > 0


@pytestmark_db
def test_bad_workbook_shows_located_errors_and_changes_nothing(world, cement):
    filled = wbk.fill(excel.build_template(world.cement, 2024, 1))
    assert cement.post(reverse("reporting:upload", args=[2024, 1]), {"file": _upload(filled)}).status_code == 302
    sub = Submission.objects.get(enterprise=world.cement)
    before = rows(*REPORTING_TABLES)
    # the draft the bad file must leave alone: wbk.QUANTITIES's four rows, wbk.PRODUCTION's two, one version
    assert [a["item"] for a in before["reporting.ActivityRecord"]] == ["原煤", "柴油", "电力", "熟料"]
    assert len(before["reporting.ProductionRecord"]) == 2 and len(before["reporting.Submission"]) == 1

    bad = wbk.spoil(filled)
    response = cement.post(reverse("reporting:upload", args=[2024, 1]), {"file": _upload(bad)})
    assert response.status_code == 400
    text = response.content.decode()
    coal, diesel = wbk.row_of(bad, "原煤"), wbk.row_of(bad, "柴油")
    assert f"工作表 活动数据，第 {coal} 行，C 列（数量）：“七千” 不是数字</td>" in text
    assert f"工作表 活动数据，第 {diesel} 行，D 列（单位）：无法识别的单位 “桶”</td>" in text
    assert '<tr data-rule="not_a_number">' in text
    assert rows(*REPORTING_TABLES) == before  # every table the upload can write, ids included
    sub.refresh_from_db()
    assert sub.channel == "excel"

    english = cement.post(
        reverse("reporting:upload", args=[2024, 1]), {"file": _upload(bad)}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert f"sheet 活动数据, row {coal}, column C (quantity): “七千” is not a number</td>" in english.content.decode()


@pytestmark_db
def test_a_bad_first_upload_creates_no_draft(world, cement):
    bad = (FIXTURES / "template_cement_bad.xlsx").read_bytes()
    response = cement.post(reverse("reporting:upload", args=[2024, 2]), {"file": _upload(bad)})
    assert response.status_code == 400
    assert not Submission.objects.exists() and not ActivityRecord.objects.exists()
    response = cement.post(
        reverse("reporting:upload", args=[2024, 2]), {"file": _upload(b"a,b\n", "data.csv", "text/csv")}
    )
    assert response.status_code == 400 and "xlsx" in response.content.decode()
    assert not Submission.objects.exists()


@pytestmark_db
def test_the_template_of_a_reported_month_carries_its_records(world, cement):
    filled = (FIXTURES / "template_cement_filled.xlsx").read_bytes()
    cement.post(reverse("reporting:upload", args=[2024, 1]), {"file": _upload(filled)})
    again = cement.get(reverse("reporting:template", args=[2024, 1])).content
    data = excel.parse_workbook(_upload(again))
    assert [(a["item"], a["quantity"]) for a in data.activities][:2] == [("原煤", 7100), ("柴油", Decimal("21.5"))]
    assert data.economic is not None and data.economic["value_added"] == 4200
    ws = load_workbook(io.BytesIO(again))["活动数据"]
    assert ws["K3"].value == "实测" and data.activities[0]["param_basis"] == "measured"
    # the web editor shows the imported draft, measured basis included
    form = cement.get(reverse("reporting:edit", args=[2024, 1])).content.decode()
    assert '<option value="measured" selected>' in form and 'value="21.37"' in form


@pytestmark_db
def test_green_power_row_filled_uploaded_and_computed(world, cement):
    """The 绿电 row of the template: filled, it is a purchased-electricity line the market-based view counts
    at zero; left blank (every other test here), it is skipped like any blank template row."""
    template = cement.get(reverse("reporting:template", args=[2024, 1])).content
    filled = wbk.fill(template, {**wbk.QUANTITIES, "电力": 2300, "绿电": 600})
    assert cement.post(reverse("reporting:upload", args=[2024, 1]), {"file": _upload(filled)}).status_code == 302
    sub = Submission.objects.get(enterprise=world.cement, period__year=2024, period__month=1)
    green = sub.activities.get(item="绿电")
    assert (green.source_type, green.quantity, green.unit) == ("purchased_electricity", 600, "MWh")
    assert green.source_row == wbk.row_of(filled, "绿电")
    assert not sub.issues.filter(severity="error").exists()
    assert cement.post(reverse("reporting:submit", args=[2024, 1])).status_code == 302
    entry = AccountEntry.objects.get(submission=sub, is_current=True)
    line = entry.run.lines.get(item="GREEN_ELECTRICITY")
    assert line.tco2e > 0 and line.market_tco2e == 0
    assert entry.scope2_market_tco2e == pytest.approx(2300 * 0.6096)
    page = cement.get(reverse("reporting:period", args=[2024, 1])).content.decode()
    assert "范围二（市场法）" in page and f"{entry.scope2_market_tco2e:,.2f}" in page

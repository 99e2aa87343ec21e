"""Account exports: the Excel workbook (汇总 / 明细 / 说明) and the Chinese PDF report."""

from __future__ import annotations

import io
import re
import subprocess

import openpyxl
import pytest
from django.urls import reverse

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.engine.methods import FORMULAS
from tests.web.helpers import fast_world, login, submit_many, submit_month

pytestmark = pytest.mark.django_db

PDFTOTEXT = "/usr/bin/pdftotext"


@pytest.fixture
def world(settings):
    w = fast_world(settings)
    submit_month(w.users["cement"], w.cement, 2024, 1)
    submit_many([(w.users["cement"], w.cement, 2024, m) for m in (2, 3, 7)])
    return w


def test_excel_export_has_the_three_sheets_with_lineage(client, world):
    login(client, world.users["cement"])
    response = client.get(reverse("accounting:export", args=[world.cement.pk]) + "?year=2024")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"] and world.cement.uscc in response["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["汇总", "明细", "说明"]
    entries = list(AccountEntry.objects.filter(enterprise=world.cement, is_current=True).order_by("month"))
    summary = wb["汇总"]
    rows = {r[0]: r for r in summary.iter_rows(min_row=8, values_only=True) if r[0]}
    assert rows["2024-01"][1] == pytest.approx(entries[0].total_tco2e)  # full precision, formatted by Excel
    assert summary.cell(8, 2).number_format == "#,##0.00"
    assert rows["合计"][1] == pytest.approx(sum(e.total_tco2e for e in entries))
    details = list(wb["明细"].iter_rows(values_only=True))
    header = details[0]
    assert len(details) - 1 == sum(e.run.lines.count() for e in entries)
    coal = [dict(zip(header, r, strict=True)) for r in details[1:] if r[header.index("品种代码")] == "RAW_COAL"]
    assert len(coal) == 4 and coal[0]["因子集"] == "ndrc-2015" and coal[0]["报送品种"] == "原煤"
    assert coal[0]["公式表达式"] == FORMULAS["fuel_ncv_cc_of"].expression
    assert coal[0]["NCV 来源"] == "因子库缺省值"
    notes = [c for row in wb["说明"].iter_rows(values_only=True) for c in row if c]
    assert "ndrc-2015" in notes and FORMULAS["fuel_ncv_cc_of"].expression in notes


def test_bank_export_holds_only_consented_months(client, world):
    login(client, world.users["bank"])
    response = client.get(reverse("accounting:export", args=[world.cement.pk]) + "?year=2024")
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    months = {r[0] for r in wb["明细"].iter_rows(min_row=2, values_only=True)}
    assert months == {"2024-01", "2024-02", "2024-03"}  # July is outside the consent


def test_pdf_report_is_chinese_with_chart_and_methods(client, world):
    login(client, world.users["cement"])
    response = client.get(reverse("accounting:report", args=[world.cement.pk]) + "?year=2024")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = subprocess.run(
        [PDFTOTEXT, "-layout", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert "碳排放" in text
    assert world.cement.name in text and world.cement.uscc in text
    assert "ndrc-2015" in text and "GB/T 32150-2015" in text  # methods and factor sets used
    flat = re.sub(r"\s+", "", text)
    # each set's source as a sentence (the table's columns interleave in the text, so check whole phrases)
    assert "国家发展和改革委员会办公厅发布的" in flat and "发改办气候〔2015〕1722" in flat
    assert "生态环境部、国家统计局发布的" in flat
    assert "max.book118" not in text and "code corpus" not in text
    assert "可在平台上追溯" in text  # the traceability note
    total = sum(e.total_tco2e for e in AccountEntry.objects.filter(enterprise=world.cement, is_current=True))
    assert f"{total:,.2f}" in text
    assert "月份" in text  # the SVG chart's axis title is text in the PDF


def test_exports_are_scoped(client, world):
    login(client, world.users["steel"])
    assert client.get(reverse("accounting:export", args=[world.cement.pk])).status_code == 404
    assert client.get(reverse("accounting:report", args=[world.cement.pk])).status_code == 404


def _green_month(world, month):
    """A month whose purchased electricity is 2 300 MWh from the grid and 600 MWh of green power (绿电)."""
    from dualcarbon.reporting import services
    from tests.factories import cement_month

    user = world.users["cement"]
    draft = services.draft_for(user, world.cement, 2024, month)
    data = cement_month(mwh=2300.0)
    data["activities"].append({"source_type": "purchased_electricity", "item": "绿电", "quantity": 600, "unit": "MWh"})
    services.save_draft(user, draft, services.DraftData(**data))
    return services.submit(user, draft)


def test_exports_carry_the_market_based_scope2(client, world):
    green = AccountEntry.objects.get(submission=_green_month(world, 8), is_current=True)
    entries = list(AccountEntry.objects.filter(enterprise=world.cement, is_current=True).order_by("month"))
    login(client, world.users["cement"])
    response = client.get(reverse("accounting:export", args=[world.cement.pk]) + "?year=2024")
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    summary = wb["汇总"]
    header = [c.value for c in summary[7]]
    assert header[3:5] == ["范围二（位置法）tCO2e", "范围二（市场法）tCO2e"]
    col = header.index("范围二（市场法）tCO2e")
    rows = {r[0]: r for r in summary.iter_rows(min_row=8, values_only=True) if r[0]}
    assert rows["2024-08"][col] == pytest.approx(2300 * 0.6096) == pytest.approx(green.scope2_market_tco2e)
    assert rows["2024-01"][col] == pytest.approx(entries[0].scope2_market_tco2e)
    assert rows["合计"][col] == pytest.approx(sum(e.scope2_market_tco2e for e in entries))
    assert rows["2024-08"][header.index("报送版本")] == "v1"  # the columns after it moved along
    details = list(wb["明细"].iter_rows(values_only=True))
    head = details[0]
    by_item = {r[head.index("品种代码")]: dict(zip(head, r, strict=True)) for r in details[1:] if r[0] == "2024-08"}
    assert by_item["GREEN_ELECTRICITY"]["市场法因子"] == 0 and by_item["GREEN_ELECTRICITY"]["市场法 tCO2e"] == 0
    assert by_item["ELECTRICITY"]["市场法因子"] == pytest.approx(0.6096)
    assert "residual 0.6096" in by_item["ELECTRICITY"]["市场法因子来源"]
    assert by_item["RAW_COAL"]["市场法因子"] is None

    # a month computed before the market-based view: an empty cell, and no partial total
    AccountEntry.objects.filter(pk=entries[0].pk).update(scope2_market_tco2e=None, total_market_tco2e=None)
    response = client.get(reverse("accounting:export", args=[world.cement.pk]) + "?year=2024")
    summary = openpyxl.load_workbook(io.BytesIO(response.content))["汇总"]
    rows = {r[0]: r for r in summary.iter_rows(min_row=8, values_only=True) if r[0]}
    assert rows["2024-01"][col] is None and rows["合计"][col] is None and rows["2024-08"][col] is not None


def test_pdf_report_shows_the_market_based_scope2(client, world):
    _green_month(world, 8)
    total = sum(e.scope2_market_tco2e for e in AccountEntry.objects.filter(enterprise=world.cement, is_current=True))
    login(client, world.users["cement"])
    response = client.get(reverse("accounting:report", args=[world.cement.pk]) + "?year=2024")
    text = subprocess.run(
        [PDFTOTEXT, "-layout", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()
    assert "范围二（市场法）" in text and f"{total:,.2f}" in text
    assert "全国剩余电力排放因子" in text  # the note on what the market-based view is

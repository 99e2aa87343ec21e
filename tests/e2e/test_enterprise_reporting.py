"""An enterprise's energy manager reports a month through the browser, the way it is done in practice:
download the Excel template, upload a workbook with mistakes (errors, nothing saved), upload the
corrected one, submit, read the month's account and how it was calculated."""

from __future__ import annotations

from typing import Any

from openpyxl import load_workbook

from dualcarbon.accounting.models import AccountEntry, EmissionLine
from dualcarbon.reporting.models import Submission
from tests.e2e.helpers import FIXTURES, login, shot
from tests.factories import World
from tests.snapshots import REPORTING_TABLES, rows

#: what the page lists for tests/fixtures/template_cement_bad.xlsx (sheet, row, column, message), and each row's
#: rule (data-rule: kept for support, never in the text)
BAD_WORKBOOK_ERRORS = [
    ["活动数据", "3", "数量", "工作表 活动数据，第 3 行，C 列（数量）：“七千” 不是数字"],
    ["活动数据", "4", "单位", "工作表 活动数据，第 4 行，D 列（单位）：无法识别的单位 “桶”"],
]
BAD_WORKBOOK_RULES = ["not_a_number", "unknown_unit"]

YEAR, MONTH = 2024, 1


def test_enterprise_reports_a_month_and_reads_its_account(page: Any, live_server: Any, world: World, tmp_path) -> None:
    base = live_server.url
    login(page, base, "cement")
    assert f"/accounts/enterprise/{world.cement.pk}/" in page.url

    # the month's reporting page, reached from the reporting index
    page.goto(f"{base}/report/?year={YEAR}")
    page.locator(f"a[href*='/report/{YEAR}/{MONTH}/']").first.click()
    page.wait_for_url(f"**/report/{YEAR}/{MONTH}/**")
    assert page.locator("#status").is_visible()
    shot(page, "period-empty")

    # 1. the Excel template of this enterprise and month
    with page.expect_download() as info:
        page.click("#template-link")
    template = tmp_path / info.value.suggested_filename
    info.value.save_as(template)
    assert template.suffix == ".xlsx"
    wb = load_workbook(template)
    cells = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows(max_row=12) for c in row if c.value)
    assert world.cement.uscc in cells and f"{YEAR}-{MONTH:02d}" in cells

    # 2. a workbook with mistakes: located errors, nothing saved
    before = rows(*REPORTING_TABLES)
    page.set_input_files("#upload input[type=file]", str(FIXTURES / "template_cement_bad.xlsx"))
    page.click("#upload-button")
    errors = page.locator("#upload-errors")
    errors.wait_for()
    assert errors.locator("p strong").inner_text() == "有 2 处问题，文件未导入，未保存任何数据："
    listed = [[td.inner_text().strip() for td in tr.locator("td").all()] for tr in errors.locator("tbody tr").all()]
    assert listed == BAD_WORKBOOK_ERRORS
    assert [tr.get_attribute("data-rule") for tr in errors.locator("tbody tr").all()] == BAD_WORKBOOK_RULES
    shot(page, "bad-workbook-errors")
    assert rows(*REPORTING_TABLES) == before  # no draft, no record, no period: every reporting table unchanged
    assert not Submission.objects.filter(enterprise=world.cement).exists()

    # 3. the filled workbook: imported into the draft
    page.set_input_files("#upload input[type=file]", str(FIXTURES / "template_cement_filled.xlsx"))
    page.click("#upload-button")
    page.wait_for_selector("#submit-button")
    assert page.locator("#upload-errors").count() == 0
    assert page.locator("#records").is_visible()
    shot(page, "imported-draft")

    # 4. submit: the month's account is computed
    page.click("#submit-button")
    page.wait_for_selector("#status.submitted")
    sub = Submission.objects.get(enterprise=world.cement, is_current=True)
    assert sub.status == Submission.Status.SUBMITTED and sub.channel == Submission.Channel.EXCEL
    entry = AccountEntry.objects.get(submission=sub, is_current=True)
    assert entry.total_tco2e > 0
    shot(page, "submitted")

    # 5. the enterprise's carbon account shows the month; "how was this calculated"
    page.goto(f"{base}/accounts/enterprise/{world.cement.pk}/?year={YEAR}")
    lineage_link = page.locator(f"a[href$='/accounts/entry/{entry.pk}/']").first
    assert lineage_link.is_visible()
    shot(page, "account")
    lineage_link.click()
    page.wait_for_url(f"**/accounts/entry/{entry.pk}/")
    # the reported coal line, traced to its factor set and formula (the region's policy: ndrc-2015 first)
    lines = EmissionLine.objects.filter(run=entry.run)
    coal = page.locator("table.lineage tbody tr", has_text="原煤")
    assert coal.count() == 1
    assert coal.locator("td:nth-child(2) code").inner_text() == "RAW_COAL"
    assert coal.locator("td:nth-child(4) code").inner_text() == "ndrc-2015"
    assert coal.locator("span.formula").inner_text() == "E = AD × NCV × CC × OF × 44/12"
    assert page.locator("table.lineage tbody tr").count() == lines.count()


def test_enterprise_declares_rooftop_pv_and_certificates_on_the_web_form(
    page: Any, live_server: Any, world: World
) -> None:
    """The month's web form also takes own zero-carbon generation and retired certificates (for the
    carbon-neutrality rate); they are shown with the version's records, and the missing documents are
    a warning that does not block submitting."""
    base = live_server.url
    login(page, base, "cement")
    page.goto(f"{base}/report/{YEAR}/2/edit/")
    page.wait_for_selector("#generation-rows")
    # the pre-filled industry rows: 原煤, 柴油, 天然气, 电力, 熟料, 石灰石 — quantities for what was used
    for row, quantity in ((0, "7100"), (3, "2900"), (4, "50000")):
        page.fill(f"input[name=act-{row}-quantity]", quantity)
    page.fill("input[name=econ-value_added]", "4200")
    page.select_option("select[name=gen-0-technology]", "pv")
    page.select_option("select[name=gen-0-use]", "self_consumed")
    page.fill("input[name=gen-0-quantity]", "85000")
    page.select_option("select[name=gen-0-unit]", "kWh")
    page.fill("input[name=gen-0-reference]", "屋顶光伏一期")
    page.select_option("select[name=off-0-kind]", "gec")
    page.fill("input[name=off-0-quantity]", "300")
    page.fill("input[name=off-0-reference]", "GEC-2024-0001~0300")
    shot(page, "declarations-form")
    page.click("#save-button")
    page.wait_for_selector("#records #generation")
    records = page.locator("#records").inner_text()
    assert "屋顶光伏一期" in records and "85,000" in records and "GEC-2024-0001~0300" in records
    issues = page.locator("#issues").inner_text()
    assert "注销证明" in issues and "计量记录" in issues  # warnings: attach the documents
    page.click("#submit-button")
    page.wait_for_selector("#status.submitted")
    sub = Submission.objects.get(enterprise=world.cement, period__month=2, is_current=True)
    assert [(g.technology, g.quantity, g.unit) for g in sub.generation.all()] == [("pv", 85000, "kWh")]
    assert [(o.kind, o.quantity, o.reference) for o in sub.offsets.all()] == [("gec", 300, "GEC-2024-0001~0300")]
    shot(page, "declarations-submitted")

"""A city government officer keeps the register in the browser: registers an enterprise through the form (the
county and the industry chosen by name), then imports a spreadsheet made from the downloaded template — one row has
a wrong check digit, the page names its row and column and imports nothing; the officer fixes the file, uploads it
again, checks the preview and confirms."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from dualcarbon.registry.models import Organisation, Site
from tests.e2e.helpers import login, shot
from tests.factories import World

#: GB 32100-2015 codes with their check digits, computed outside the project (python-stdnum cn.uscc)
FORM_USCC = "91339901MA2AAAAA1M"
GOOD_USCC = "91339902MA2DDDDD46"
TYPO_USCC = "91339902MA2BBBBB2G"  # the check digit of 91339902MA2BBBBB2 is F
FIXED_USCC = "91339902MA2BBBBB2F"


def _fill(template: Path, rows: list[list[Any]], out: Path) -> Path:
    wb = load_workbook(template)
    ws = wb["企业登记"]
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=1):
            ws.cell(row=i, column=j, value=value)
    buffer = io.BytesIO()
    wb.save(buffer)
    out.write_bytes(buffer.getvalue())
    return out


def test_government_registers_an_enterprise_and_imports_a_spreadsheet(
    page: Any, live_server: Any, world: World, tmp_path: Path
) -> None:
    base = live_server.url
    login(page, base, "gov")
    page.locator("nav.mainnav").get_by_role("link", name="企业登记").click()
    page.wait_for_url("**/registry/enterprises/")
    rows = page.locator("#enterprises tbody tr")
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())] == [
        world.cement.name,
        world.steel.name,
    ]
    shot(page, "list")

    # register one enterprise through the form
    page.get_by_role("link", name="登记企业").click()
    page.fill("#id_name", "示范建材有限公司")
    page.fill("#id_uscc", FORM_USCC)
    page.select_option("#id_region", label="示范市 东城区")
    page.select_option("#id_industry", label="非金属矿物制品业 › 水泥制造")
    page.select_option("#id_size_class", label="中型")
    page.check("#id_above_scale")
    page.fill("#id_contact_name", "王工")
    shot(page, "form")
    with page.expect_navigation():
        page.locator("#enterprise-form button[type=submit]").click()
    assert page.locator(".messages li").inner_text() == "已登记：示范建材有限公司"
    registered = page.locator("#registered dl").inner_text()
    assert FORM_USCC in registered and "水泥制造" in registered and "东城区" in registered
    shot(page, "registered")
    org = Organisation.objects.get(uscc=FORM_USCC)
    assert (org.region_id, org.industry_id, org.size_class, org.above_scale) == ("339901", "3011", "medium", True)

    # the import: the template, a file with one bad row, nothing imported
    page.goto(base + "/registry/import/")
    with page.expect_download() as download:
        page.click("#template-link")
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    good = ["示范化纤有限公司", GOOD_USCC, "西城区", "化学纤维制造业", "小型", "否", "", "", "", "", ""]
    typo = [
        "示范玻璃有限公司",
        TYPO_USCC,
        "339902",
        "平板玻璃制造",
        "中型",
        "是",
        "赵工",
        "13900000001",
        "",
        "浮法线",
        "",
    ]
    page.set_input_files("#id_file", str(_fill(template, [good, typo], tmp_path / "enterprises.xlsx")))
    with page.expect_navigation():
        page.locator("#import-form button[type=submit]").click()
    problems = page.locator("#problems li")
    assert [problems.nth(i).inner_text() for i in range(problems.count())] == [
        f"第 3 行，B 列（统一社会信用代码）：“{TYPO_USCC}”不是有效的统一社会信用代码（校验位或格式错误）"
    ]
    assert (
        "enterprises.xlsx：发现 1 处问题，未导入任何企业。请修改后重新上传。" in page.locator("#problems").inner_text()
    )
    assert not Organisation.objects.filter(uscc=GOOD_USCC).exists()
    shot(page, "import-problem")

    # fixed, uploaded again, previewed, confirmed
    typo[1] = FIXED_USCC
    page.set_input_files("#id_file", str(_fill(template, [good, typo], tmp_path / "enterprises.xlsx")))
    with page.expect_navigation():
        page.locator("#import-form button[type=submit]").click()
    preview = page.locator("#preview tbody tr")
    assert preview.count() == 2
    assert preview.nth(1).locator("td").nth(1).inner_text() == "示范玻璃有限公司"
    assert preview.nth(1).locator("td").nth(4).inner_text() == "平板玻璃制造"
    shot(page, "import-preview")
    with page.expect_navigation():
        page.locator("#confirm-form button[type=submit]").click()
    assert page.locator("#imported .alert").inner_text() == "已导入 2 家企业。"
    shot(page, "imported")
    glass = Organisation.objects.get(uscc=FIXED_USCC)
    assert (glass.name, glass.region_id, glass.industry_id, glass.above_scale) == (
        "示范玻璃有限公司",
        "339902",
        "3041",
        True,
    )
    assert list(Site.objects.filter(organisation=glass).values_list("name", flat=True)) == ["浮法线"]
    assert Organisation.objects.get(uscc=GOOD_USCC).industry_id == "28"
    page.locator("#imported").get_by_role("link", name="示范玻璃有限公司").click()
    page.wait_for_url(f"**/registry/enterprise/{glass.pk}/")
    assert "浮法线" in page.locator("#sites").inner_text()

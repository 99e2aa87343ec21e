"""Enterprises from a spreadsheet: the template (headers, the user's counties and the industries in drop-down lists,
no formula), an upload checked row by row before anything is written (the USCC's check digit, duplicates in the
file and in the register, the county in the jurisdiction, a known industry …), each problem located by row and
column in the user's language, a preview, and the import — all or nothing, checked again when confirmed."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from dualcarbon.registry import imports, services
from dualcarbon.registry.models import Industry, Organisation, Site

from .conftest import registry_rows

pytestmark = pytest.mark.django_db

HEADERS = [
    "企业名称",
    "统一社会信用代码",
    "所属县区",
    "行业",
    "规模",
    "规上",
    "联系人",
    "手机",
    "邮箱",
    "厂区名称",
    "厂区地址",
]
#: GB 32100-2015 codes whose last character is the check digit of the first 17, computed outside the project
#: (python-stdnum: cn.uscc.calc_check_digit)
USCC_A = "91339902MA2BBBBB2F"
USCC_B = "91339901MA2CCCCC3C"
USCC_C = "91339902MA2DDDDD46"
USCC_FAR = "91330102MA2EEEEE5Q"
GOOD = [
    [
        "示范玻璃有限公司",
        USCC_A,
        "西城区",
        "平板玻璃制造",
        "中型",
        "是",
        "赵玻璃",
        "13900000001",
        "zhao@example.cn",
        "浮法线",
        "港口路 2 号",
    ],
    ["示范化纤有限公司", USCC_B, "339901", "28", "小型", "否", "", "", "", "", ""],
]


def _template(client: Any) -> bytes:
    r = client.get(reverse("registry:import_template"))
    assert r.status_code == 200 and r["Content-Type"] == imports.XLSX_CONTENT_TYPE
    return r.content


def _upload(rows: list[list[Any]], template: bytes | None = None, name: str = "enterprises.xlsx") -> SimpleUploadedFile:
    """The template filled from row 2 (or a bare workbook with the headers when no template is given)."""
    if template is not None:
        wb = load_workbook(io.BytesIO(template))
        ws = wb[imports.SHEET]
    else:
        wb = Workbook()
        ws = wb.active
        ws.title = imports.SHEET
        ws.append(HEADERS)
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=1):
            ws.cell(row=i, column=j, value=value)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile(name, out.getvalue(), content_type=imports.XLSX_CONTENT_TYPE)


def _problems(response: Any) -> list[str]:
    return [p.message for p in response.context["problems"]]


def test_the_template_has_the_headers_and_the_users_choices(world, as_user):
    wb = load_workbook(io.BytesIO(_template(as_user("gov"))))
    assert wb.sheetnames == [imports.SHEET, imports.LISTS_SHEET, imports.GUIDE_SHEET]
    sheet = wb[imports.SHEET]
    assert [c.value for c in sheet[1]] == HEADERS
    lists = wb[imports.LISTS_SHEET]
    assert [(r[0].value, r[1].value) for r in lists.iter_rows(min_row=2, max_col=2) if r[0].value] == [
        ("339901", "东城区"),
        ("339902", "西城区"),
    ]
    industries = {r[0].value: r[1].value for r in lists.iter_rows(min_row=2, min_col=4, max_col=5) if r[0].value}
    assert industries["30"] == "非金属矿物制品业" and industries["3011"] == "水泥制造" and "C" not in industries
    lists_of = {str(dv.sqref): dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert lists_of["C2:C501"] == "'可选值'!$B$2:$B$3"
    assert lists_of["F2:F501"] == "'可选值'!$I$2:$I$3"
    # the district government's template holds its own county only
    district = load_workbook(io.BytesIO(_template(as_user("district"))))[imports.LISTS_SHEET]
    assert [r[1].value for r in district.iter_rows(min_row=2, max_col=2) if r[0].value] == ["东城区"]
    for ws in wb.worksheets:  # nothing a spreadsheet would run (engine.safe_cells)
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_a_good_file_is_previewed_then_imported_with_its_sites(world, as_user):
    gov = as_user("gov")
    before = registry_rows()
    r = gov.post(reverse("registry:import"), {"file": _upload(GOOD, _template(gov))})
    assert r.status_code == 200 and "problems" not in r.context
    assert [
        (p.row, p.name, p.region.code, p.industry.code, p.size_class, p.above_scale) for p in r.context["preview"]
    ] == [
        (2, "示范玻璃有限公司", "339902", "3041", "medium", True),
        (3, "示范化纤有限公司", "339901", "28", "small", False),
    ]
    html = r.content.decode()
    assert "enterprises.xlsx：2 家企业全部检查无误" in html and "确认导入 2 家企业" in html
    assert registry_rows() == before  # nothing written before the confirmation
    done = gov.post(reverse("registry:import_confirm"))
    assert done.status_code == 200 and "已导入 2 家企业。" in done.content.decode()
    glass = Organisation.objects.get(uscc=USCC_A)
    got = (glass.name, glass.region_id, glass.industry_id, glass.size_class, glass.above_scale, glass.contact_email)
    assert got == ("示范玻璃有限公司", "339902", "3041", "medium", True, "zhao@example.cn")
    assert [(s.name, s.region_id, s.address) for s in Site.objects.filter(organisation=glass)] == [
        ("浮法线", "339902", "港口路 2 号")
    ]
    assert Site.objects.filter(organisation__uscc=USCC_B).count() == 0
    assert [(v.history_type, v.history_change_reason, v.history_user_id) for v in glass.history.all()] == [
        ("+", "表格导入", world.users["gov"].pk)
    ]
    assert gov.post(reverse("registry:import_confirm")).status_code == 302  # confirmed once: nothing pending


def test_every_bad_row_is_located_and_nothing_is_imported(world, as_user):
    gov = as_user("gov")
    bad = [
        GOOD[0],
        ["", "91339901MA2CCCCC3D", "西城区", "水泥制造", "特大型", "也许", "", "12ab", "not-an-email", "", "无名厂区"],
        ["杭州来的企业", USCC_FAR, "上城区", "99", "", "", "", "", "", "", ""],
        ["重复的企业", USCC_A, "东城区", "不存在的行业", "", "", "", "", "", "", ""],
        ["已登记的企业", world.steel.uscc, "330102", "Manufacture of Cement", "", "", "", "", "", "", ""],
        ["县区不明", USCC_C, "北城区", "3011", "", "", "", "", "", "", ""],
    ]
    before = registry_rows()
    r = gov.post(reverse("registry:import"), {"file": _upload(bad, _template(gov))})
    assert _problems(r) == [
        "第 3 行，A 列（企业名称）：必填项为空",
        "第 3 行，B 列（统一社会信用代码）：“91339901MA2CCCCC3D”不是有效的统一社会信用代码（校验位或格式错误）",
        "第 3 行，E 列（规模）：无法识别的规模“特大型”（大型、中型、小型、微型）",
        "第 3 行，F 列（规上）：“也许”应为 是 或 否",
        "第 3 行，H 列（手机）：“12ab”不是有效的电话号码",
        "第 3 行，I 列（邮箱）：“not-an-email”不是有效的邮箱地址",
        "第 3 行，K 列（厂区地址）：填写了厂区地址但厂区名称为空",
        "第 4 行，C 列（所属县区）：县区“上城区”不在您的辖区内",
        "第 4 行，D 列（行业）：未知的行业“99”（请填写 GB/T 4754-2017 大类或小类的名称或代码）",
        "第 5 行，B 列（统一社会信用代码）：统一社会信用代码“91339902MA2BBBBB2F”在第 2 行已出现",
        "第 5 行，D 列（行业）：未知的行业“不存在的行业”（请填写 GB/T 4754-2017 大类或小类的名称或代码）",
        "第 6 行，B 列（统一社会信用代码）：统一社会信用代码“91339902MA27U0LN1W”已登记",
        "第 6 行，C 列（所属县区）：县区“330102”不在您的辖区内",
        "第 7 行，C 列（所属县区）：未知的县区“北城区”",
    ]
    html = r.content.decode()
    assert "enterprises.xlsx：发现 14 处问题，未导入任何企业。请修改后重新上传。" in html and "确认导入" not in html
    assert registry_rows() == before
    assert gov.post(reverse("registry:import_confirm")).status_code == 302  # nothing was kept to confirm
    assert registry_rows() == before
    english = as_user("gov", lang="en").post(
        reverse("registry:import"), {"file": _upload(bad, _template(gov))}, HTTP_ACCEPT_LANGUAGE="en"
    )
    messages = _problems(english)
    assert messages[0] == "row 3, column A (Enterprise name): a required value is empty"
    assert messages[-1] == "row 7, column C (County): unknown county “北城区”"
    assert messages[9] == "row 5, column B (USCC): USCC “91339902MA2BBBBB2F” already appears in row 2"


def test_the_rows_are_checked_again_when_confirmed(world, as_user):
    gov = as_user("gov")
    assert "preview" in gov.post(reverse("registry:import"), {"file": _upload(GOOD, _template(gov))}).context
    # meanwhile a colleague registers the first enterprise by hand
    services.register_enterprise(
        world.users["admin"],
        name="示范玻璃有限公司",
        uscc=USCC_A,
        region=world.district_b,
        industry=Industry.objects.get(code="3041"),
    )
    before = registry_rows()
    r = gov.post(reverse("registry:import_confirm"))
    assert _problems(r) == ["第 2 行，B 列（统一社会信用代码）：统一社会信用代码“91339902MA2BBBBB2F”已登记"]
    assert "确认时重新检查发现以下问题（登记信息在预览后有变化）；未导入任何企业。" in r.content.decode()
    assert registry_rows() == before and not Organisation.objects.filter(uscc=USCC_B).exists()


def test_a_file_that_is_not_the_template_is_refused_with_the_reason(world, as_user, monkeypatch):
    gov = as_user("gov")

    def first(upload: Any) -> list[str]:
        return _problems(gov.post(reverse("registry:import"), {"file": upload}))

    assert first(SimpleUploadedFile("list.csv", b"a,b\n")) == ["只接受 .xlsx 文件（list.csv）"]
    assert first(SimpleUploadedFile("fake.xlsx", b"%PDF-1.4 not a workbook")) == ["只接受 .xlsx 文件（fake.xlsx）"]
    wb = Workbook()
    wb.active.append(["企业名称", "统一社会信用代码", "行业", "备注"])
    out = io.BytesIO()
    wb.save(out)
    assert first(SimpleUploadedFile("mine.xlsx", out.getvalue())) == [
        "第 1 行，D 列：无法识别的表头“备注”",
        "第 1 行：缺少必填列“所属县区”",
    ]
    assert first(_upload([])) == ["表中没有企业数据"]
    monkeypatch.setattr(imports, "MAX_ROWS", 1)
    assert first(_upload(GOOD)) == ["第 3 行：企业超过 1 家，请分文件导入"]


@pytest.mark.parametrize("role", ["cement", "bank", "verifier"])
def test_only_registrars_import(world, as_user, role):
    client = as_user(role)
    before = registry_rows()
    assert client.get(reverse("registry:import_template")).status_code == 404
    assert client.post(reverse("registry:import"), {"file": _upload(GOOD)}).status_code == 404
    assert client.post(reverse("registry:import_confirm")).status_code == 404
    assert registry_rows() == before

"""The bad-input corpus (tests/fixtures/bad_inputs/, README.md there) through every channel that takes it — the web
form, the Excel upload, the API and the CLI: the status, the message (located, in the user's language) and, for the
platform, the row count of every table unchanged. One number rule (engine/numbers.py) answers alike everywhere;
full-width digits are read as ASCII everywhere."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from html import unescape as html_unescape
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dualcarbon.cli import main as cli
from dualcarbon.engine import InputError, account_file
from dualcarbon.registry import api_tokens
from dualcarbon.reporting import excel
from dualcarbon.reporting.models import ActivityRecord, Submission
from tests.api.helpers import table_counts
from tests.factories import build_world, cement_month

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "bad_inputs"
XLSX = excel.XLSX_CONTENT_TYPE
db = pytest.mark.django_db


@pytest.fixture
def world() -> Any:
    return build_world()


@pytest.fixture
def browser(world: Any) -> Client:
    client = Client()
    client.force_login(world.users["cement"])
    return client


# ------------------------------------------------------------------------------------------ Excel upload

UNREADABLE = "无法读取文件：它不是完整的 .xlsx 工作簿（文件已损坏，或是改了扩展名的其他文件）"
FORMULA = (
    "单元格是公式 “=7100*1”，但文件中没有它的计算结果（由程序生成、未在 Excel 中打开保存过）："
    "请在 Excel 中打开并保存，或粘贴为数值"
)
NOT_XLSX = "只接受 Excel 2007 及以上的 .xlsx 文件"
UPLOADS = [
    # file, the rows the page lists: (rule — in data-rule, for support — and the exact sentence the user reads)
    (
        "nan_infinity.xlsx",
        [
            ("not_a_number", "工作表 活动数据，第 3 行，C 列（数量）：“NaN” 不是数字"),
            ("not_a_number", "工作表 活动数据，第 4 行，C 列（数量）：“Infinity” 不是数字"),
        ],
    ),
    ("negative.xlsx", [("negative", "工作表 活动数据，第 6 行，C 列（数量）：数值不能为负（-2900）")]),
    (
        "date_in_number.xlsx",
        [("not_a_number", "工作表 活动数据，第 7 行，C 列（数量）：“2024-01-31 00:00:00” 不是数字")],
    ),
    ("value_error.xlsx", [("not_a_number", "工作表 活动数据，第 3 行，C 列（数量）：“#VALUE!” 不是数字")]),
    (
        "too_large.xlsx",
        [
            ("too_large", "工作表 活动数据，第 3 行，“数量”列：“1E+20” 超出可接受的范围：整数部分最多 15 位"),
            ("too_large", "工作表 活动数据，第 7 行，“数量”列：“1E+308” 超出可接受的范围：整数部分最多 15 位"),
            (
                "too_large",
                "工作表 经济数据，“工业增加值（收入法）”列：“1000000000000000” 超出可接受的范围：整数部分最多 13 位",
            ),
        ],
    ),
    (
        "rtl_zero_width.xlsx",
        [
            ("not_a_number", "工作表 活动数据，第 3 行，C 列（数量）：“7\u200b100” 不是数字"),
            ("not_a_number", "工作表 活动数据，第 4 行，C 列（数量）：“\u202e21.5” 不是数字"),
        ],
    ),
    ("blank_rows.xlsx", [("empty_file", "工作表 活动数据：文件中没有数据行")]),
    ("zip_bomb.xlsx", [("unpacked_too_large", "文件解压后过大（130 MB，解压后上限 120 MB）")]),
    ("renamed_pdf.xlsx", [("file_type", f"{NOT_XLSX}（renamed_pdf.xlsx）")]),
    ("random_bytes.xlsx", [("file_type", f"{NOT_XLSX}（random_bytes.xlsx）")]),
    ("not_a_workbook.xlsx", [("unreadable", UNREADABLE)]),
    ("truncated.xlsx", [("unreadable", UNREADABLE)]),
    # a formula a program wrote and Excel never computed: refused with its cell, like the CLI (not read as blank)
    ("formula_without_value.xlsx", [("formula_without_value", f"工作表 活动数据，第 3 行，C 列：{FORMULA}")]),
]


def _upload(browser: Client, name: str, content: bytes, lang: str | None = None) -> Any:
    extra = {"HTTP_ACCEPT_LANGUAGE": lang} if lang else {}
    upload = SimpleUploadedFile(name, content, content_type=XLSX)
    return browser.post(reverse("reporting:upload", args=[2024, 1]), {"file": upload}, **extra)


def _listed(html: str) -> list[tuple[str, str]]:
    """The upload page's problem rows: (data-rule, the message cell's text)."""
    return [
        (rule, html_unescape(re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[-1]))
        for rule, row in re.findall(r'<tr data-rule="([^"]+)">(.*?)</tr>', html, re.S)
    ]


@db
@pytest.mark.parametrize(("name", "listed"), UPLOADS)
def test_upload_refuses_it_with_a_located_message_and_changes_nothing(browser, name, listed):
    before = table_counts()
    response = _upload(browser, name, (CORPUS / name).read_bytes())
    html = response.content.decode()
    assert response.status_code == 400, html[:2000]
    assert _listed(html) == listed
    assert table_counts() == before


@db
def test_upload_messages_are_in_the_users_language(browser):
    html = _upload(browser, "too_large.xlsx", (CORPUS / "too_large.xlsx").read_bytes(), "en").content.decode()
    assert "at most 15 digits before the decimal point" in html and "sheet 活动数据" in html
    html = _upload(browser, "zip_bomb.xlsx", (CORPUS / "zip_bomb.xlsx").read_bytes(), "en").content.decode()
    assert "the limit is 120 MB unpacked" in html and "130 MB" in html


@db
def test_an_oversize_upload_is_refused_naming_the_limit(browser):
    before = table_counts()
    response = _upload(browser, "2024年1月.xlsx", b"PK\x03\x04" + b"\0" * (11 * 1024 * 1024))
    assert response.status_code == 400
    assert "上限 10 MB" in response.content.decode() and "11.0 MB" in response.content.decode()
    assert table_counts() == before


@db
def test_upload_reads_full_width_digits_as_ascii(world, browser):
    response = _upload(browser, "full_width.xlsx", (CORPUS / "full_width.xlsx").read_bytes())
    assert response.status_code == 302
    stored = dict(ActivityRecord.objects.values_list("item", "quantity"))
    assert stored["原煤"] == 7100 and stored["电力"] == 2900


# ------------------------------------------------------------------------------------------ web form

FORM = [
    # quantity typed, rule, a piece of the message shown next to the field
    ("NaN", "not_a_number", "“NaN” 不是数字"),
    ("Infinity", "not_a_number", "“Infinity” 不是数字"),
    ("1E+20", "too_large", "整数部分最多 15 位"),
    ("1e308", "too_large", "整数部分最多 15 位"),
    ("-5", "negative", "数值不能为负"),
    ("2024-01-31", "not_a_number", "“2024-01-31” 不是数字"),
    ("#VALUE!", "not_a_number", "“#VALUE!” 不是数字"),
    ("7\u200b100", "not_a_number", "不是数字"),
    ("\u202e7100", "not_a_number", "不是数字"),
    ("10²", "not_a_number", "“10²” 不是数字"),
]


def _form(quantity: str, value_added: str = "4200") -> dict[str, str]:
    data = {
        f"{p}-{k}": v for p in ("act", "prod", "gen", "off") for k, v in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
    }
    data.update(
        {
            "act-TOTAL_FORMS": "1",
            "act-0-source_type": "fuel_combustion",
            "act-0-item": "原煤",
            "act-0-quantity": quantity,
            "act-0-unit": "t",
            "econ-value_added": value_added,
        }
    )
    return data


@db
@pytest.mark.parametrize(("quantity", "rule", "zh"), FORM)
def test_web_form_refuses_it_next_to_the_field_and_changes_nothing(browser, quantity, rule, zh):
    before = table_counts()
    response = browser.post(reverse("reporting:edit", args=[2024, 1]), _form(quantity))
    assert response.status_code == 400
    assert zh in response.content.decode()
    assert table_counts() == before


@db
def test_web_form_value_added_over_its_field_and_full_width_digits(world, browser):
    before = table_counts()
    response = browser.post(reverse("reporting:edit", args=[2024, 1]), _form("7100", value_added="1e15"))
    assert response.status_code == 400 and "整数部分最多 13 位" in response.content.decode()
    assert table_counts() == before
    assert browser.post(reverse("reporting:edit", args=[2024, 1]), _form("７，１００")).status_code == 302
    assert ActivityRecord.objects.get().quantity == 7100


# ------------------------------------------------------------------------------------------ API

API = [
    # raw JSON for the first line's quantity, rule
    ("NaN", "not_a_number"),
    ('"Infinity"', "not_a_number"),
    ('"1E+20"', "too_large"),
    ("1e308", "too_large"),
    ("-5", "negative"),
    ('"2024-01-31"', "not_a_number"),
    ('"#VALUE!"', "not_a_number"),
    ('"7\\u200b100"', "not_a_number"),
    ('"\\u202e7100"', "not_a_number"),
]


@pytest.fixture
def api(world: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_tokens.issue(world.users['cement'], 'corpus')[1]}")


def _put(api: Client, body: str) -> Any:
    return api.put("/api/reporting/periods/2024/1/draft", body, content_type="application/json")


@db
@pytest.mark.parametrize(("raw", "rule"), API)
def test_api_refuses_it_with_a_located_error_out_and_changes_nothing(api, raw, rule):
    body = json.dumps(cement_month()).replace('"quantity": 7100.0', f'"quantity": {raw}', 1)
    assert raw in body
    before = table_counts()
    response = _put(api, body)
    assert response.status_code == 422, response.content
    (finding,) = response.json()["errors"]
    assert (finding["sheet"], finding["row"], finding["column"], finding["rule"]) == ("activities", 1, "quantity", rule)
    assert table_counts() == before


@db
def test_api_refuses_an_oversize_body_with_413(api, settings):
    before = table_counts()
    response = _put(api, json.dumps({"activities": [], "padding": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}))
    assert response.status_code == 413 and "上限 20 MB" in response.json()["detail"]
    assert table_counts() == before


@db
def test_api_reads_full_width_digits_as_ascii(api):
    body = json.dumps(cement_month(), ensure_ascii=False).replace('"quantity": 7100.0', '"quantity": "７１００"', 1)
    assert _put(api, body).status_code == 200
    assert Submission.objects.get().activities.get(item="原煤").quantity == Decimal(7100)


# ------------------------------------------------------------------------------------------ CLI

NOT_A_WORKBOOK = "不是 Excel 2007 及以上的 .xlsx 工作簿（文件已损坏，或是改了扩展名的其他文件）"
CLI = [
    # file, the rules (InputError.problems), the exact lines printed after the heading
    (
        "nan_infinity.csv",
        ["not_a_number", "not_a_number"],
        ["第 2 行，“数量”列：“NaN” 不是数字", "第 3 行，“数量”列：“Infinity” 不是数字"],
    ),
    (
        "too_large.csv",
        ["too_large", "too_large"],
        [
            "第 2 行，“数量”列：“1E+20” 超出可接受的范围：整数部分最多 15 位",
            "第 3 行，“数量”列：“1e308” 超出可接受的范围：整数部分最多 15 位",
        ],
    ),
    ("negative.csv", ["negative"], ["第 2 行，“数量”列：数值不能为负（-2900）"]),
    (
        "date_value_error.csv",
        ["not_a_number", "not_a_number"],
        ["第 2 行，“数量”列：“#VALUE!” 不是数字", "第 3 行，“数量”列：“2024-01-31” 不是数字"],
    ),
    (
        "rtl_zero_width.csv",
        ["not_a_number", "not_a_number"],
        ["第 2 行，“数量”列：“7\u200b100” 不是数字", "第 3 行，“数量”列：“\u202e21.5” 不是数字"],
    ),
    ("blank_rows.csv", ["empty_file"], ["文件中没有数据行"]),
    (
        "formula_without_value_activity.xlsx",
        ["formula_without_value"],
        [
            "工作表 能源消耗，第 2 行，“数量”列：单元格是公式 “=7000+100”，但文件中没有它的计算结果"
            "（由程序生成、未在 Excel 中打开保存过）：请在 Excel 中打开并保存，或粘贴为数值"
        ],
    ),
    ("renamed_pdf.xlsx", ["not_a_workbook"], [f"“renamed_pdf.xlsx” {NOT_A_WORKBOOK}"]),
    ("random_bytes.xlsx", ["not_a_workbook"], [f"“random_bytes.xlsx” {NOT_A_WORKBOOK}"]),
    ("not_a_workbook.xlsx", ["not_a_workbook"], [f"“not_a_workbook.xlsx” {NOT_A_WORKBOOK}"]),
    ("truncated.xlsx", ["not_a_workbook"], [f"“truncated.xlsx” {NOT_A_WORKBOOK}"]),
]


@pytest.mark.parametrize(("name", "rules", "lines"), CLI)
def test_cli_refuses_it_with_exit_2_and_a_located_message(tmp_path, capsys, name, rules, lines):
    out = tmp_path / "account.json"
    assert cli(["account", str(CORPUS / name), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == ["文件有误，未写出任何结果：", *lines]
    assert not out.exists()
    # the rules travel with the problems, not in the sentences
    with pytest.raises(InputError) as info:
        account_file(CORPUS / name)
    assert [p.rule for p in info.value.problems] == rules


def test_cli_reads_full_width_digits_as_ascii(tmp_path, capsys):
    ascii_file = tmp_path / "ascii.csv"
    text = (CORPUS / "full_width.csv").read_text(encoding="utf-8")
    ascii_file.write_text(
        text.replace("７１００", "7100").replace("２１．３７", "21.37").replace("２，９００", "2,900")
    )
    assert cli(["account", str(CORPUS / "full_width.csv"), "--format", "json"]) == 0
    wide = json.loads(capsys.readouterr().out)["totals"]
    assert cli(["account", str(ascii_file), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"] == wide and wide[0]["total_tco2e"] > 10000

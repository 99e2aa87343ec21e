"""Enterprises from a spreadsheet: the template a government downloads, reading an upload, and checking every row
before anything is written (docs/registry.md § Import).

* :func:`build_template` — an xlsx with the sheet 企业登记 (Chinese headers in row 1, data from row 2; drop-down
  lists of the user's counties, the industries, the sizes and 是/否), 填写说明 (what each column takes) and 可选值
  (the counties of the user's jurisdiction and the GB/T 4754 industries, by code and name). Every cell goes
  through :func:`dualcarbon.engine.safe_cells.neutralise_workbook` before it is saved.
* :func:`read_workbook` — the upload's rows as text, read like the reporting app's Excel import: openpyxl in
  read-only mode with cached values, a size limit, a limit on what the zip unpacks to, a row limit reached
  without reading further. A quoted ``'=x`` reads back as ``=x`` (:func:`~dualcarbon.engine.safe_cells.restore`).
* :func:`check_rows` — every row against the rules (required values, the USCC and its check digit, duplicates in
  the file and in the register, the county inside the user's jurisdiction, a known industry, size, 规上, e-mail,
  phone, lengths), each problem located by row and column in Chinese and English. The rows are written only
  when none has a problem (``services.import_enterprises``: all or nothing, checked again in its transaction).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import get_language
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from dualcarbon.engine.safe_cells import neutralise_workbook, restore

from . import scoping
from .models import Industry, Organisation, Region, validate_uscc

SHEET = "企业登记"
GUIDE_SHEET = "填写说明"
LISTS_SHEET = "可选值"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_NAME = "enterprise-register-template.xlsx"
#: an upload larger than this is refused before it is opened
MAX_BYTES = 5 * 1024 * 1024
#: an xlsx is a zip: refuse one that inflates beyond this (a zip bomb)
MAX_UNCOMPRESSED = 50 * 1024 * 1024
#: enterprises one upload may register
MAX_ROWS = 2000
#: rows of any kind the sheet is read to (blank rows included); a data row past it is refused as too many
MAX_SHEET_ROWS = 4 * MAX_ROWS
#: problems listed (the first ones, by row); the count says how many there were
MAX_PROBLEMS = 200
#: template rows with input styling and drop-down lists
TEMPLATE_ROWS = 500


@dataclass(frozen=True)
class Column:
    code: str
    zh: str
    en: str
    required: bool
    width: int
    note_zh: str
    note_en: str
    max_length: int = 0


COLUMNS: tuple[Column, ...] = (
    Column("name", "企业名称", "Enterprise name", True, 30, "与营业执照一致", "as on the business licence", 200),
    Column(
        "uscc",
        "统一社会信用代码",
        "USCC",
        True,
        22,
        "18 位，末位为校验位（GB 32100-2015）",
        "18 characters, the last one a check digit (GB 32100-2015)",
        18,
    ),
    Column(
        "county",
        "所属县区",
        "County",
        True,
        14,
        "县区名称或 6 位行政区划代码，须在您的辖区内（见“可选值”）",
        "county name or 6-digit code, inside your jurisdiction (see 可选值)",
    ),
    Column(
        "industry",
        "行业",
        "Industry",
        True,
        30,
        "GB/T 4754-2017 行业大类或小类的名称或代码（见“可选值”）",
        "a GB/T 4754-2017 division or class, by name or code (see 可选值)",
    ),
    Column(
        "size",
        "规模",
        "Size",
        False,
        8,
        "大型、中型、小型、微型（可空）",
        "大型/large, 中型/medium, 小型/small, 微型/micro",
    ),
    Column(
        "above_scale", "规上", "Above designated size", False, 8, "是 或 否（空为否）", "是/yes or 否/no (empty: no)"
    ),
    Column("contact_name", "联系人", "Contact", False, 12, "可空", "optional", 64),
    Column(
        "contact_phone", "手机", "Mobile", False, 16, "可空；数字、+、-、空格", "optional; digits, +, -, spaces", 32
    ),
    Column("contact_email", "邮箱", "E-mail", False, 26, "可空", "optional", 254),
    Column(
        "site_name",
        "厂区名称",
        "Site",
        False,
        20,
        "可空；填写时同时登记一个厂区（位于所属县区），更多厂区在企业页面添加",
        "optional: registers one site (in the county); add more on the enterprise's page",
        200,
    ),
    Column(
        "site_address", "厂区地址", "Site address", False, 30, "可空；填写时须有厂区名称", "optional; needs a site", 300
    ),
)
CODES = tuple(c.code for c in COLUMNS)
BY_CODE = {c.code: c for c in COLUMNS}

SIZES: dict[str, str] = {
    "大型": Organisation.Size.LARGE,
    "中型": Organisation.Size.MEDIUM,
    "小型": Organisation.Size.SMALL,
    "微型": Organisation.Size.MICRO,
    **{s.value: s.value for s in Organisation.Size},
}
YES = {"是", "y", "yes", "1", "true", "√", "✓"}
NO = {"否", "n", "no", "0", "false", "×"}
PHONE = re.compile(r"^[0-9+\-() ]{5,32}$")


# ------------------------------------------------------------------------------------------------ problems

#: rule → (zh, en) message templates; {value} is the cell's text (shortened)
RULES: dict[str, tuple[str, str]] = {
    "file_type": ("只接受 .xlsx 文件（{value}）", "only .xlsx workbooks are accepted ({value})"),
    "file_too_large": (
        f"文件过大（{{value}}，上限 {MAX_BYTES // 1048576} MB）",
        f"the file is too large ({{value}}; the limit is {MAX_BYTES // 1048576} MB)",
    ),
    "unpacked_too_large": (
        f"文件解压后过大（{{value}}，解压后上限 {MAX_UNCOMPRESSED // 1048576} MB）",
        f"the workbook unpacks to too much data ({{value}}; the limit is {MAX_UNCOMPRESSED // 1048576} MB)",
    ),
    "unreadable": ("无法读取文件：{value}", "cannot read the file: {value}"),
    "missing_sheet": ("缺少工作表“{value}”，请使用平台下载的模板", "sheet “{value}” is missing: use the template"),
    "missing_column": ("缺少必填列“{value}”", "required column “{value}” is missing"),
    "unknown_header": ("无法识别的表头“{value}”", "unknown header “{value}”"),
    "duplicate_header": ("表头“{value}”重复", "header “{value}” appears twice"),
    "no_rows": ("表中没有企业数据", "the sheet holds no enterprise"),
    "too_many_rows": ("企业超过 {limit} 家，请分文件导入", "more than {limit} enterprises: split the file"),
    "required": ("必填项为空", "a required value is empty"),
    "too_long": ("“{value}”过长（最多 {limit} 个字符）", "“{value}” is too long (at most {limit} characters)"),
    "invalid_uscc": (
        "“{value}”不是有效的统一社会信用代码（校验位或格式错误）",
        "“{value}” is not a valid USCC (check digit or format)",
    ),
    "duplicate_in_file": (
        "统一社会信用代码“{value}”在第 {other} 行已出现",
        "USCC “{value}” already appears in row {other}",
    ),
    "already_registered": ("统一社会信用代码“{value}”已登记", "USCC “{value}” is already registered"),
    "unknown_county": ("未知的县区“{value}”", "unknown county “{value}”"),
    "outside_jurisdiction": ("县区“{value}”不在您的辖区内", "county “{value}” is outside your jurisdiction"),
    "ambiguous_county": (
        "县区名称“{value}”不唯一，请填写 6 位行政区划代码",
        "county name “{value}” is ambiguous: give its 6-digit code",
    ),
    "unknown_industry": (
        "未知的行业“{value}”（请填写 GB/T 4754-2017 大类或小类的名称或代码）",
        "unknown industry “{value}” (a GB/T 4754-2017 division or class, by name or code)",
    ),
    "unknown_size": (
        "无法识别的规模“{value}”（大型、中型、小型、微型）",
        "unknown size “{value}” (大型, 中型, 小型, 微型)",
    ),
    "unknown_yes_no": ("“{value}”应为 是 或 否", "“{value}” must be 是 (yes) or 否 (no)"),
    "invalid_email": ("“{value}”不是有效的邮箱地址", "“{value}” is not a valid e-mail address"),
    "invalid_phone": ("“{value}”不是有效的电话号码", "“{value}” is not a valid phone number"),
    "address_without_site": ("填写了厂区地址但厂区名称为空", "a site address is given without the site's name"),
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the upload, located: the sheet's row (1-based, as Excel shows it) and column."""

    rule: str
    row: int | None
    column: str  # a column code ("" for the whole file or row)
    letter: str  # the column's letter in the uploaded sheet ("" when unknown)
    value: str
    zh: str
    en: str

    @property
    def message(self) -> str:
        return self.en if (get_language() or "").startswith("en") else self.zh


def _short(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def problem(
    rule: str, row: int | None = None, column: str = "", letter: str = "", value: object = "", **extra: Any
) -> Problem:
    zh_t, en_t = RULES[rule]
    shown = _short(value)
    zh_body, en_body = zh_t.format(value=shown, **extra), en_t.format(value=shown, **extra)
    col = BY_CODE.get(column)
    zh_where = "，".join(p for p in (f"第 {row} 行" if row is not None else "", f"{letter} 列" if letter else "") if p)
    en_where = ", ".join(
        p for p in (f"row {row}" if row is not None else "", f"column {letter}" if letter else "") if p
    )
    if col is not None:
        zh_where += f"（{col.zh}）"
        en_where += f" ({col.en})"
    zh = (f"{zh_where}：" if zh_where else "") + zh_body
    en = (f"{en_where}: " if en_where else "") + en_body
    return Problem(rule, row, column, letter, shown, zh, en)


class ImportInvalid(Exception):
    """The upload cannot be imported; nothing was written. ``count`` is the number of problems found."""

    def __init__(self, problems: Sequence[Problem]):
        self.count = len(problems)
        self.problems = sorted(
            problems, key=lambda p: (p.row or 0, CODES.index(p.column) if p.column in CODES else -1)
        )[:MAX_PROBLEMS]
        super().__init__(f"{self.count} problem(s); nothing was imported")


# ------------------------------------------------------------------------------------------------ template


def _industries() -> list[Industry]:
    """Divisions and classes (sections are groups, not a choice), by code."""
    return list(Industry.objects.exclude(level="section").order_by("code"))


def build_template(user: Any) -> bytes:
    """The upload template for ``user``: their counties and the industries in the drop-down lists."""
    counties = list(scoping.counties(user).order_by("code"))
    industries = _industries()
    wb = Workbook()
    ws: Any = wb.active
    ws.title = SHEET
    head_fill = PatternFill("solid", fgColor="1F6F54")
    optional_fill = PatternFill("solid", fgColor="5F8F7E")
    for i, col in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=i, value=col.zh)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = head_fill if col.required else optional_fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = "A2"
    for row in range(2, TEMPLATE_ROWS + 2):  # USCC and codes as text (a leading zero or a long number kept)
        ws.cell(row=row, column=CODES.index("uscc") + 1).number_format = "@"
        ws.cell(row=row, column=CODES.index("contact_phone") + 1).number_format = "@"

    lists = wb.create_sheet(LISTS_SHEET)
    lists.append(["县区代码", "县区名称", "", "行业代码", "行业名称", "", "规模", "", "规上"])
    for c in (1, 2, 4, 5, 7, 9):
        lists.cell(row=1, column=c).font = Font(bold=True)
    for i, r in enumerate(counties, start=2):
        lists.cell(row=i, column=1, value=r.code)
        lists.cell(row=i, column=2, value=r.name)
    for i, ind in enumerate(industries, start=2):
        lists.cell(row=i, column=4, value=ind.code)
        lists.cell(row=i, column=5, value=ind.name_zh)
    for i, label in enumerate(("大型", "中型", "小型", "微型"), start=2):
        lists.cell(row=i, column=7, value=label)
    for i, label in enumerate(("是", "否"), start=2):
        lists.cell(row=i, column=9, value=label)
    for letter, width in (("A", 10), ("B", 14), ("D", 10), ("E", 40), ("G", 8), ("I", 6)):
        lists.column_dimensions[letter].width = width
    ref = quote_sheetname(LISTS_SHEET)

    def choose(code: str, source: str, count: int, strict: bool) -> None:
        if not count:
            return
        letter = get_column_letter(CODES.index(code) + 1)
        dv = DataValidation(type="list", formula1=f"{ref}!${source}$2:${source}${count + 1}", allow_blank=True)
        dv.showErrorMessage = strict
        dv.error = "请从列表中选择"
        dv.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
        ws.add_data_validation(dv)

    # county and industry: the list helps, but a code typed in is accepted too (no strict error)
    choose("county", "B", len(counties), strict=False)
    choose("industry", "E", len(industries), strict=False)
    choose("size", "G", 4, strict=True)
    choose("above_scale", "I", 2, strict=True)

    guide = wb.create_sheet(GUIDE_SHEET)
    guide.append(["列", "表头", "必填", "填写要求", "Column", "Notes"])
    for c in range(1, 7):
        guide.cell(row=1, column=c).font = Font(bold=True)
    for i, col in enumerate(COLUMNS, start=1):
        guide.append([get_column_letter(i), col.zh, "是" if col.required else "", col.note_zh, col.en, col.note_en])
    guide.append([])
    guide.append(
        [
            "",
            "说明",
            "",
            f"从第 2 行起每行一家企业，最多 {MAX_ROWS} 家；空行忽略。上传后先逐行检查，"
            "全部无误并确认后才一次性导入；任何一行有误则不导入任何企业。",
        ]
    )
    guide.append(
        [
            "",
            "Notes",
            "",
            f"One enterprise per row from row 2, at most {MAX_ROWS}; blank rows are skipped. "
            "Every row is checked first; nothing is imported unless every row is right and you confirm.",
        ]
    )
    for letter, width in (("A", 6), ("B", 16), ("C", 6), ("D", 60), ("E", 22), ("F", 60)):
        guide.column_dimensions[letter].width = width
    neutralise_workbook(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ------------------------------------------------------------------------------------------------ reading


@dataclass
class RawRow:
    """One data row as text (the sheet's row number, column code → text, column code → letter)."""

    row: int
    values: dict[str, str]
    letters: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "values": self.values, "letters": self.letters}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RawRow:
        return cls(int(data["row"]), {str(k): str(v) for k, v in data["values"].items()}, dict(data["letters"]))


def _header_key(text: str) -> str:
    return re.sub(r"[\s*＊]|（必填）|\(required\)", "", str(text)).lower()


HEADER_KEYS: dict[str, str] = {
    **{_header_key(c.zh): c.code for c in COLUMNS},
    **{_header_key(c.en): c.code for c in COLUMNS},
    **{_header_key(c.code): c.code for c in COLUMNS},
    "名称": "name",
    "县区": "county",
    "所在县区": "county",
    "行业代码": "industry",
    "企业规模": "size",
    "规上工业企业": "above_scale",
    "电话": "contact_phone",
    "联系电话": "contact_phone",
    "电子邮箱": "contact_email",
    "厂区": "site_name",
}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(restore(str(value).strip()))


def _content(upload: Any) -> bytes:
    if hasattr(upload, "seek"):
        upload.seek(0)
    if hasattr(upload, "chunks"):
        return b"".join(upload.chunks())
    return bytes(upload.read())


def read_workbook(upload: Any) -> list[RawRow]:
    """The data rows of an upload (blank rows skipped), or :class:`ImportInvalid` for a file that cannot be read
    as the template: not an xlsx, too large, no 企业登记 sheet (a workbook with one sheet is read whatever its
    name), unknown or missing headers, no rows, too many rows."""
    name = str(getattr(upload, "name", "") or "")
    size = getattr(upload, "size", None)
    if not name.lower().endswith(".xlsx"):
        raise ImportInvalid([problem("file_type", value=name or "?")])
    if size is not None and size > MAX_BYTES:
        raise ImportInvalid([problem("file_too_large", value=f"{size / 1048576:.1f} MB")])
    content = _content(upload)
    if len(content) > MAX_BYTES:
        raise ImportInvalid([problem("file_too_large", value=f"{len(content) / 1048576:.1f} MB")])
    if not content.startswith(b"PK\x03\x04"):
        raise ImportInvalid([problem("file_type", value=name)])
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            inflated = sum(i.file_size for i in zf.infolist())
    except zipfile.BadZipFile as exc:
        raise ImportInvalid([problem("unreadable", value=str(exc))]) from exc
    if inflated > MAX_UNCOMPRESSED:
        raise ImportInvalid([problem("unpacked_too_large", value=f"{inflated / 1048576:.0f} MB")])
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken package
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ImportInvalid([problem("unreadable", value=first)]) from exc
    try:
        if SHEET in wb.sheetnames:
            ws = wb[SHEET]
        elif len(wb.sheetnames) == 1:
            ws = wb[wb.sheetnames[0]]
        else:
            raise ImportInvalid([problem("missing_sheet", value=SHEET)])
        return _rows(ws)
    finally:
        wb.close()


def _rows(ws: Any) -> list[RawRow]:
    width = len(COLUMNS) + 20
    rows = ws.iter_rows(min_row=1, max_row=MAX_SHEET_ROWS + 1, max_col=width, values_only=True)
    header = next(rows, None) or ()
    problems: list[Problem] = []
    mapping: dict[str, int] = {}
    for idx, raw in enumerate(header):
        text = _text(raw)
        if not text:
            continue
        letter = get_column_letter(idx + 1)
        code = HEADER_KEYS.get(_header_key(text))
        if code is None:
            problems.append(problem("unknown_header", 1, "", letter, text))
        elif code in mapping:
            problems.append(problem("duplicate_header", 1, "", letter, text))
        else:
            mapping[code] = idx
    for col in COLUMNS:
        if col.required and col.code not in mapping:
            problems.append(problem("missing_column", 1, "", "", col.zh))
    if problems:
        raise ImportInvalid(problems)
    letters = {code: get_column_letter(idx + 1) for code, idx in mapping.items()}
    out: list[RawRow] = []
    for number, values in enumerate(rows, start=2):
        texts = {code: _text(values[idx]) if idx < len(values) else "" for code, idx in mapping.items()}
        if not any(texts.values()):
            continue
        if number > MAX_SHEET_ROWS or len(out) >= MAX_ROWS:
            raise ImportInvalid([problem("too_many_rows", number, limit=MAX_ROWS)])
        out.append(RawRow(number, texts, letters))
    if not out:
        raise ImportInvalid([problem("no_rows")])
    return out


# ------------------------------------------------------------------------------------------------ checking


@dataclass
class Prepared:
    """A row that passed every check, with what it names resolved."""

    row: int
    name: str
    uscc: str
    region: Region
    industry: Industry
    size_class: str
    above_scale: bool
    contact_name: str
    contact_phone: str
    contact_email: str
    site_name: str
    site_address: str

    def enterprise_fields(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "uscc": self.uscc,
            "region": self.region,
            "industry": self.industry,
            "size_class": self.size_class,
            "above_scale": self.above_scale,
            "contact_name": self.contact_name,
            "contact_phone": self.contact_phone,
            "contact_email": self.contact_email,
        }

    @property
    def size_label(self) -> str:
        return str(Organisation.Size(self.size_class).label) if self.size_class else ""


class _Lookups:
    """What the rows are checked against, read once (a fixed number of queries whatever the rows)."""

    def __init__(self, user: Any, rows: Sequence[RawRow]):
        mine = list(scoping.counties(user))
        self.mine = {r.code: r for r in mine}
        self.mine_by_name: dict[str, list[Region]] = {}
        for r in mine:
            self.mine_by_name.setdefault(r.name, []).append(r)
        asked = {row.values.get("county", "") for row in rows}
        # counties named or numbered that are not the user's: to say "outside your jurisdiction", not "unknown"
        self.other_codes = set(
            Region.objects.filter(level=Region.Level.COUNTY, code__in=[a for a in asked if a.isdigit()])
            .exclude(code__in=self.mine)
            .values_list("code", flat=True)
        )
        self.other_names = set(
            Region.objects.filter(level=Region.Level.COUNTY, name__in=[a for a in asked if a and not a.isdigit()])
            .exclude(code__in=self.mine)
            .values_list("name", flat=True)
        )
        industries = _industries()
        self.industry_by_code = {i.code.upper(): i for i in industries}
        self.industry_by_name: dict[str, Industry] = {}
        for i in industries:
            self.industry_by_name.setdefault(i.name_zh, i)
            if i.name_en:
                self.industry_by_name.setdefault(i.name_en.lower(), i)
        usccs = [row.values.get("uscc", "").strip().upper() for row in rows]
        self.registered = set(
            Organisation.objects.filter(uscc__in=[u for u in usccs if u]).values_list("uscc", flat=True)
        )


def check_rows(user: Any, rows: Sequence[RawRow]) -> tuple[list[Prepared], list[Problem]]:
    """Every row checked (all problems, not the first): the rows resolved, or the problems."""
    look = _Lookups(user, rows)
    problems: list[Problem] = []
    prepared: list[Prepared] = []
    seen: dict[str, int] = {}
    for raw in rows:
        found: list[Problem] = []
        v = raw.values

        def bad(rule: str, code: str, value: object = "", **extra: Any) -> None:
            found.append(problem(rule, raw.row, code, raw.letters.get(code, ""), value, **extra))  # noqa: B023

        for col in COLUMNS:
            text = v.get(col.code, "")
            if col.required and not text:
                bad("required", col.code)
            elif col.max_length and len(text) > col.max_length:
                bad("too_long", col.code, text, limit=col.max_length)
        uscc = v.get("uscc", "").strip().upper()
        if uscc and len(uscc) <= 18:
            try:
                validate_uscc(uscc)
            except ValidationError:
                bad("invalid_uscc", "uscc", uscc)
            else:
                if uscc in seen:
                    bad("duplicate_in_file", "uscc", uscc, other=seen[uscc])
                elif uscc in look.registered:
                    bad("already_registered", "uscc", uscc)
                seen.setdefault(uscc, raw.row)
        region = _county(v.get("county", ""), look, bad)
        industry = _industry(v.get("industry", ""), look, bad)
        size = v.get("size", "")
        size_class = (SIZES.get(size) or SIZES.get(size.lower(), "")) if size else ""
        if size and not size_class:
            bad("unknown_size", "size", size)
        flag = v.get("above_scale", "").lower()
        if flag and flag not in YES | NO:
            bad("unknown_yes_no", "above_scale", v.get("above_scale", ""))
        email = v.get("contact_email", "")
        if email and len(email) <= 254:
            try:
                validate_email(email)
            except ValidationError:
                bad("invalid_email", "contact_email", email)
        phone = v.get("contact_phone", "")
        if phone and len(phone) <= 32 and not PHONE.match(phone):
            bad("invalid_phone", "contact_phone", phone)
        if v.get("site_address") and not v.get("site_name"):
            bad("address_without_site", "site_address")
        if found:
            problems.extend(found)
            continue
        assert region is not None and industry is not None
        prepared.append(
            Prepared(
                raw.row,
                v["name"],
                uscc,
                region,
                industry,
                str(size_class),
                flag in YES,
                v.get("contact_name", ""),
                phone,
                email,
                v.get("site_name", ""),
                v.get("site_address", ""),
            )
        )
    return prepared, problems


def _county(text: str, look: _Lookups, bad: Any) -> Region | None:
    if not text:
        return None
    if text.isdigit():
        if text in look.mine:
            return look.mine[text]
        bad("outside_jurisdiction" if text in look.other_codes else "unknown_county", "county", text)
        return None
    matches = look.mine_by_name.get(text, [])
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        bad("ambiguous_county", "county", text)
    else:
        bad("outside_jurisdiction" if text in look.other_names else "unknown_county", "county", text)
    return None


def _industry(text: str, look: _Lookups, bad: Any) -> Industry | None:
    if not text:
        return None
    found = (
        look.industry_by_code.get(text.upper())
        or look.industry_by_name.get(text)
        or look.industry_by_name.get(text.lower())
    )
    if found is None:
        bad("unknown_industry", "industry", text)
    return found


def rows_to_session(rows: Iterable[RawRow]) -> list[dict[str, Any]]:
    return [r.as_dict() for r in rows]


def rows_from_session(data: Any) -> list[RawRow]:
    if not isinstance(data, list):
        return []
    try:
        return [RawRow.from_dict(d) for d in data]
    except (KeyError, TypeError, ValueError, AttributeError):
        return []

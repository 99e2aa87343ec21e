"""The monthly Excel template: generate it for an enterprise's industry, and import a filled one.

Generation (:func:`build_template`) writes seven sheets: 填报说明 (instructions), 活动数据 (activity
lines: Chinese labels in row 1, the engine's column codes in row 2, data from row 3, pre-filled
with the items the industry usually reports), 产品产量 (production), 经济数据 (economic data),
自有零碳发电 (own zero-carbon generation), 碳抵消与绿证 (offsets and green-electricity attributes) and
污染物排放 (the month's pollutant discharge per factor, tonnes). Input cells are unlocked, styled and carry data
validation (drop-down lists, decimals ≥ 0). The last three sheets are optional on import (a workbook from an older
template without them still imports).

Import (:func:`parse_workbook`) turns an uploaded workbook into :class:`~.services.DraftData`
with ``source_sheet``/``source_row`` on every record, or raises :class:`WorkbookInvalid` with
located findings (sheet, row, column, rule; Chinese and English) for structural problems: not an
xlsx file, too large, missing or unknown sheets, unknown headers, text in number cells, unknown
units. :func:`import_workbook` then saves the draft through the services (atomic) and validates
it. Rows with no quantity are blank template rows and are skipped.

Reading streams: the workbook is opened read-only and each sheet's rows are read one by one (never all at
once); a sheet with more than :data:`MAX_DATA_ROWS` data rows (or :data:`MAX_SHEET_ROWS` rows of any kind) is
refused with ``too_many_rows`` as soon as the limit + 1 is reached, so an oversized file costs about what a
normal one does (``bench/upload.py``). :func:`upload_plan` decides, from the file's size and the row counts its
sheets declare (read from the zip without parsing), whether an upload is imported in the request or by a
background job (:mod:`dualcarbon.reporting.imports`); ``progress`` reports the rows read so far.

The enterprise and the period come from the upload form, never from the file.
"""

from __future__ import annotations

import datetime
import functools
import io
import itertools
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from openpyxl import Workbook
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from openpyxl.worksheet._reader import DATA_TAG, DIMENSION_TAG
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.dimensions import SheetDimension
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse as xml_iterparse

from dualcarbon.engine import numbers as number_rule
from dualcarbon.engine import units
from dualcarbon.engine.factors import Catalog, Options
from dualcarbon.engine.inputs import canonical_header
from dualcarbon.engine.messages import COLUMN_LABELS_EN, COLUMN_LABELS_ZH
from dualcarbon.engine.messages import RULES as MESSAGES
from dualcarbon.engine.methods import SOURCE_TYPES, source_type_lookup
from dualcarbon.engine.safe_cells import neutralise_workbook, restore

from .validators import (
    DISCHARGE_SHEET,
    ERROR,
    GENERATION_SHEET,
    GENERATION_USES,
    OFFSET_KINDS,
    OFFSET_ORIGINS,
    OFFSET_SHEET,
    OFFSET_STATUSES,
    POLLUTANTS,
    TECHNOLOGIES,
    Finding,
    pollutant_code,
)

TEMPLATE_VERSION = "2025.3"  # 2025.3: a 绿电 row (market-traded non-fossil electricity)
SHEET_GUIDE = "填报说明"
SHEET_ACTIVITY = "活动数据"
SHEET_PRODUCTION = "产品产量"
SHEET_ECONOMIC = "经济数据"
SHEET_GENERATION = GENERATION_SHEET
SHEET_OFFSETS = OFFSET_SHEET
SHEET_DISCHARGE = DISCHARGE_SHEET
REQUIRED_SHEETS = (SHEET_ACTIVITY, SHEET_PRODUCTION, SHEET_ECONOMIC)
#: optional on import: older templates do not have them
OPTIONAL_SHEETS = (SHEET_GENERATION, SHEET_OFFSETS, SHEET_DISCHARGE)
KNOWN_SHEETS = (SHEET_GUIDE, *REQUIRED_SHEETS, *OPTIONAL_SHEETS)
MAX_BYTES = 10 * 1024 * 1024
#: an xlsx is a zip: refuse archives that inflate beyond this (zip bombs)
MAX_UNCOMPRESSED = 120 * 1024 * 1024
MAX_DATA_ROWS = 5000
#: rows of any kind (blank, pre-filled, data) one sheet may have: a sheet beyond it is refused as too_many_rows
MAX_SHEET_ROWS = 4 * MAX_DATA_ROWS
#: a progress callback is called every this many rows read
PROGRESS_EVERY = 500
MAX_FINDINGS = 200
FIRST_DATA_ROW = 3  # row 1: Chinese labels, row 2: column codes
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    code: str
    zh: str
    en: str
    kind: str  # text | number | source_type | unit | ncv_unit | factor_unit | basis | gas
    width: int
    note: str


ACTIVITY_COLUMNS: tuple[Column, ...] = (
    Column(
        "source_type",
        "排放源类别",
        "source type",
        "source_type",
        14,
        "下拉选择：化石燃料燃烧、工业生产过程、购入电力等",
    ),
    Column("item", "品种", "item", "text", 14, "能源或物料名称，与因子库一致，如 原煤、柴油、天然气、电力、熟料"),
    Column("quantity", "数量", "quantity", "number", 14, "本月消耗量、外购量或产量（≥0）；为空的行不导入"),
    Column("unit", "单位", "unit", "unit", 10, "t、万Nm3、MWh、GJ 等"),
    Column("ncv", "低位发热量", "net calorific value", "number", 12, "实测或企业声明时填写，否则留空用缺省值"),
    Column("ncv_unit", "低位发热量单位", "NCV unit", "ncv_unit", 14, "GJ/t、GJ/万Nm3 等；填写低位发热量时必填"),
    Column("carbon_content", "单位热值含碳量", "carbon content", "number", 14, "tC/GJ；实测时填写"),
    Column("oxidation_rate", "碳氧化率", "oxidation rate", "number", 10, "0–1（或 0–100%）"),
    Column("factor", "排放因子", "emission factor", "number", 12, "企业自有排放因子（没有缺省因子的品种必填）"),
    Column("factor_unit", "排放因子单位", "factor unit", "factor_unit", 14, "tCO2/t、tCO2/万Nm3 等"),
    Column("param_basis", "参数来源", "parameter basis", "basis", 10, "实测 或 企业声明；实测参数须上传化验报告"),
    Column("gas", "气体", "gas", "gas", 8, "默认 CO2；CH4、N2O 须在本行给出该气体的排放因子"),
    Column("fraction", "煅烧比例", "calcination fraction", "number", 10, "碳酸盐煅烧比例 0–1，缺省为 1"),
    Column("cao", "CaO含量", "CaO content", "number", 10, "熟料中 CaO 质量分数（氧化物法）"),
    Column("mgo", "MgO含量", "MgO content", "number", 10, "熟料中 MgO 质量分数"),
    Column("cao_nc", "非碳酸盐CaO", "non-carbonate CaO", "number", 12, "非碳酸盐来源的 CaO 质量分数"),
    Column("mgo_nc", "非碳酸盐MgO", "non-carbonate MgO", "number", 12, "非碳酸盐来源的 MgO 质量分数"),
    Column("purity", "纯度", "purity", "number", 8, "CO2 回收利用的纯度 0–1"),
)
ACTIVITY_CODES = tuple(c.code for c in ACTIVITY_COLUMNS)
NUMBER_CODES = tuple(c.code for c in ACTIVITY_COLUMNS if c.kind == "number")
UNIT_CODES = ("unit", "ncv_unit", "factor_unit")
#: columns the template pre-fills: a row with only these is a blank template row
PREFILLED_CODES = ("source_type", "item", "unit", "ncv_unit", "factor_unit", "param_basis", "gas")

PRODUCTION_COLUMNS: tuple[Column, ...] = (
    Column("product", "产品名称", "product", "text", 24, "主要产品名称"),
    Column("quantity", "产量", "quantity", "number", 16, "本月产量（≥0）；为空的行不导入"),
    Column("unit", "单位", "unit", "unit", 10, "t、万t、MWh、GJ 等"),
)
ECONOMIC_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("value_added", "工业增加值（收入法）", "value added (income approach)", "必填；本月数，收入法口径"),
    ("output_value", "工业总产值（当年价格）", "gross industrial output value", "选填"),
    ("revenue", "营业收入", "operating revenue", "选填"),
)
ECONOMIC_CODES = tuple(r[0] for r in ECONOMIC_ROWS)

#: choice columns of the two declaration sheets: code → Chinese label (either is accepted on import)
CLAIM_CHOICES: dict[str, dict[str, str]] = {
    "technology": TECHNOLOGIES,
    "use": GENERATION_USES,
    "kind": OFFSET_KINDS,
    "origin": OFFSET_ORIGINS,
    "status": OFFSET_STATUSES,
}
GENERATION_COLUMNS: tuple[Column, ...] = (
    Column("technology", "发电类型", "technology", "technology", 14, "光伏、风电、水电、生物质发电、其他零碳电力"),
    Column("use", "去向", "use", "use", 10, "自发自用（本企业消纳）或 上网（送入电网）；两者分行填写"),
    Column("quantity", "发电量", "generation", "number", 14, "本月发电量（≥0）；为空的行不导入"),
    Column("unit", "单位", "unit", "claim_mwh_unit", 10, "kWh、MWh 或 万kWh"),
    Column(
        "certificates_transferred",
        "绿证已转让电量",
        "electricity with certificates transferred",
        "number",
        16,
        "本行电量中绿证已出售/转让给他人的部分（同一单位），不计入本企业碳中和率",
    ),
    Column("reference", "项目/电表编号", "project / meter", "text", 22, "发电项目名称或计量表号"),
)
OFFSET_COLUMNS: tuple[Column, ...] = (
    Column("kind", "类型", "kind", "kind", 12, "CCER、绿证、绿电交易、林业碳汇"),
    Column(
        "quantity",
        "数量",
        "quantity",
        "number",
        14,
        "CCER 和林业碳汇填 tCO2e；绿证、绿电交易填 MWh（1 张绿证 = 1 MWh）",
    ),
    Column("unit", "单位", "unit", "claim_unit", 10, "tCO2e 或 MWh（kWh、万kWh）"),
    Column("origin", "来源", "origin", "origin", 14, "外购/受让、本企业自有项目、随绿电交易划转（仅绿证）"),
    Column("status", "状态", "status", "status", 12, "已注销/核销 或 持有未注销（未注销的不计入碳中和率）"),
    Column(
        "reference",
        "项目/序列号/合同编号",
        "reference",
        "text",
        28,
        "必填：CCER 项目及序列号、绿证编号、绿电交易合同号、碳汇项目",
    ),
)
GENERATION_CODES = tuple(c.code for c in GENERATION_COLUMNS)
OFFSET_CODES = tuple(c.code for c in OFFSET_COLUMNS)

UNIT_CHOICES = ("t", "kg", "万t", "万Nm3", "Nm3", "MWh", "kWh", "万kWh", "GJ", "MJ", "tce")
NCV_UNIT_CHOICES = ("GJ/t", "GJ/万Nm3", "MJ/kg", "MJ/Nm3", "kcal/kg")
FACTOR_UNIT_CHOICES = ("tCO2/t", "tCO2/万Nm3", "tCO2/MWh", "tCO2/GJ", "kgCO2/kWh", "tCH4/t", "tN2O/t")
BASIS_CHOICES = ("实测", "企业声明")
GAS_CHOICES = ("CO2", "CH4", "N2O")


# ------------------------------------------------------------------------------------------------
# what each industry usually reports (GB/T 4754-2017 division → pre-filled rows)


@dataclass(frozen=True)
class Line:
    source_type: str
    item: str
    unit: str


def _fuel(item: str, unit: str = "t") -> Line:
    return Line("fuel_combustion", item, unit)


ELECTRICITY_IN = Line("purchased_electricity", "电力", "MWh")
#: market-traded non-fossil electricity (绿电交易电量), a part of purchased electricity reported on its own
#: row (the 电力 row holds the rest): the grid factor in the location-based scope 2 like any purchase, zero
#: in the market-based view. Last in every profile, so the pre-filled rows above keep their places.
GREEN_ELECTRICITY_IN = Line("purchased_electricity", "绿电", "MWh")
HEAT_IN = Line("purchased_heat", "热力", "GJ")
COMMON_LINES: tuple[Line, ...] = (
    _fuel("原煤"),
    _fuel("柴油"),
    _fuel("汽油"),
    _fuel("天然气", "万Nm3"),
    _fuel("液化石油气"),
    ELECTRICITY_IN,
    HEAT_IN,
    GREEN_ELECTRICITY_IN,
)
INDUSTRY_LINES: dict[str, tuple[Line, ...]] = {
    # 非金属矿物制品业 (cement, lime, glass)
    "30": (
        _fuel("原煤"),
        _fuel("柴油"),
        _fuel("天然气", "万Nm3"),
        ELECTRICITY_IN,
        Line("process", "熟料", "t"),
        Line("process", "石灰石", "t"),
        GREEN_ELECTRICITY_IN,
    ),
    # 黑色金属冶炼和压延加工业 (iron and steel)
    "31": (
        _fuel("焦炭"),
        _fuel("原煤"),
        _fuel("天然气", "万Nm3"),
        _fuel("高炉煤气", "万Nm3"),
        _fuel("转炉煤气", "万Nm3"),
        _fuel("焦炉煤气", "万Nm3"),
        _fuel("柴油"),
        ELECTRICITY_IN,
        Line("exported_electricity", "电力", "MWh"),
        Line("process", "石灰石", "t"),
        Line("process", "白云石", "t"),
        GREEN_ELECTRICITY_IN,
    ),
    # 电力、热力生产和供应业
    "44": (
        _fuel("原煤"),
        _fuel("天然气", "万Nm3"),
        _fuel("柴油"),
        ELECTRICITY_IN,
        Line("exported_electricity", "电力", "MWh"),
        Line("exported_heat", "热力", "GJ"),
        GREEN_ELECTRICITY_IN,
    ),
    # 化学原料和化学制品制造业
    "26": (
        _fuel("原煤"),
        _fuel("天然气", "万Nm3"),
        _fuel("燃料油"),
        _fuel("液化石油气"),
        _fuel("柴油"),
        ELECTRICITY_IN,
        HEAT_IN,
        Line("process", "石灰石", "t"),
        Line("process", "纯碱", "t"),
        Line("co2_recovery", "二氧化碳", "t"),
        GREEN_ELECTRICITY_IN,
    ),
    # 有色金属冶炼和压延加工业 (aluminium)
    "32": (
        _fuel("原煤"),
        _fuel("天然气", "万Nm3"),
        _fuel("石油焦"),
        _fuel("柴油"),
        ELECTRICITY_IN,
        Line("process", "预焙阳极", "t"),
        GREEN_ELECTRICITY_IN,
    ),
    # 造纸和纸制品业
    "22": (
        _fuel("原煤"),
        _fuel("天然气", "万Nm3"),
        _fuel("柴油"),
        ELECTRICITY_IN,
        HEAT_IN,
        Line("process", "石灰石", "t"),
        GREEN_ELECTRICITY_IN,
    ),
}
INDUSTRY_PRODUCTS: dict[str, tuple[tuple[str, str], ...]] = {
    "30": (("水泥熟料", "t"), ("水泥", "t")),
    "31": (("生铁", "t"), ("粗钢", "t"), ("钢材", "t")),
    "44": (("发电量", "MWh"), ("供热量", "GJ")),
    "26": (),
    "32": (("电解铝", "t"),),
    "22": (("机制纸及纸板", "t"),),
}


def _division(enterprise: Any) -> str:
    industry = getattr(enterprise, "industry", None)
    code = str(getattr(industry, "code", "") or "")
    return code[:2] if code[:1].isdigit() else code


def industry_lines(enterprise: Any) -> tuple[Line, ...]:
    return INDUSTRY_LINES.get(_division(enterprise), COMMON_LINES)


def industry_products(enterprise: Any) -> tuple[tuple[str, str], ...]:
    return INDUSTRY_PRODUCTS.get(_division(enterprise), ())


def source_type_label(code: str, lang: str = "zh") -> str:
    st = SOURCE_TYPES.get(code)
    if st is None:
        return code
    return st.name_en if lang.startswith("en") else st.name_zh


_BASIS = {
    "measured": "measured",
    "实测": "measured",
    "检测": "measured",
    "declared": "declared",
    "企业声明": "declared",
    "声明": "declared",
    "申报": "declared",
}
BASIS_LABELS = {"measured": "实测", "declared": "企业声明"}


def basis_code(value: object) -> str:
    """实测/企业声明 (or the codes) → measured/declared; anything else is kept for the engine to judge."""
    text = str(value or "").strip()
    return _BASIS.get(text.lower(), text)


@functools.cache
def _source_types() -> dict[str, str]:
    return source_type_lookup()  # built once: the import calls this for every row


def source_type_code(value: object) -> str | None:
    """The code for a label or code (化石燃料燃烧 → fuel_combustion), or None when unknown."""
    text = str(value or "").strip().lower()
    return _source_types().get(text) if text else None


# ------------------------------------------------------------------------------------------------
# generation

_HEADER_FILL = PatternFill("solid", fgColor="1F6F50")
_CODE_FILL = PatternFill("solid", fgColor="E8F1EC")
_INPUT_FILL = PatternFill("solid", fgColor="FFF8DC")
_THIN = Side(style="thin", color="C8C8C8")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_CODE_FONT = Font(italic=True, size=9, color="5A5A5A")
_UNLOCKED = Protection(locked=False)


def _list_validation(values: Sequence[str], strict: bool, title: str, prompt: str) -> DataValidation:
    dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
    dv.showErrorMessage = True
    dv.errorStyle = "stop" if strict else "warning"
    dv.errorTitle = title
    dv.error = "请从下拉列表中选择" if strict else "不在常用列表中，请确认单位书写正确（如 t、万Nm3、MWh、GJ）"
    dv.promptTitle = title
    dv.prompt = prompt
    dv.showInputMessage = True
    return dv


def _decimal_validation(title: str, prompt: str) -> DataValidation:
    dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    dv.showErrorMessage = True
    dv.errorStyle = "stop"
    dv.errorTitle = title
    dv.error = "请填写不小于 0 的数字（不要填写文字或单位）"
    dv.promptTitle = title
    dv.prompt = prompt
    dv.showInputMessage = True
    return dv


#: where the 品种 drop-down's names are kept: a hidden column of the guide sheet. A list written into the
#: validation itself is capped at 255 characters by Excel (the names take about 235 and grow with the library),
#: and a hidden sheet of its own would be refused on import as a sheet that is not the template's.
ITEM_LIST_COLUMN = "Z"
ITEM_LIST_TITLE = "品种列表"


@functools.cache
def item_choices() -> tuple[str, ...]:
    """The item names the engine recognises, by source type in the engine's order: the names the industry rows
    pre-fill (short forms such as 熟料, 石灰石, 绿电), then each item of the default factor sets by its Chinese
    name, each one the catalogue looks up (other spellings and items stay allowed)."""
    catalog = Catalog(Options())
    names: dict[str, list[str]] = {}
    for lines in (COMMON_LINES, *INDUSTRY_LINES.values()):
        for line in lines:
            names.setdefault(line.source_type, []).append(line.item)
    for (source_type, _key), item in catalog.items.items():
        names.setdefault(source_type, []).append(item.name_zh)
    out: dict[str, None] = {}
    for source_type in SOURCE_TYPES:
        out.update(dict.fromkeys(n for n in names.get(source_type, ()) if catalog.lookup(source_type, n)))
    return tuple(out)


def _item_list(guide: Worksheet) -> str:
    """Write the item names into the guide's hidden column; the range a list validation refers to."""
    choices = item_choices()
    guide[f"{ITEM_LIST_COLUMN}1"] = ITEM_LIST_TITLE
    for r, name in enumerate(choices, start=2):
        guide[f"{ITEM_LIST_COLUMN}{r}"] = name
    guide.column_dimensions[ITEM_LIST_COLUMN].hidden = True
    col = f"${ITEM_LIST_COLUMN}$"
    return f"'{SHEET_GUIDE}'!{col}2:{col}{1 + len(choices)}"


def _item_validation(source: str) -> DataValidation:
    """A drop-down of the known items that still accepts any other name (a warning, not a refusal)."""
    dv = DataValidation(type="list", formula1=source, allow_blank=True)
    dv.showErrorMessage = True
    dv.errorStyle = "warning"
    dv.errorTitle = "品种"
    dv.error = "不在常用品种列表中。可以继续填写：核算时按名称在因子库中查找，没有缺省因子的品种须填写排放因子。"
    dv.promptTitle = "品种"
    dv.prompt = "从下拉列表选择能源或物料，或填写其他名称"
    dv.showInputMessage = True
    return dv


def _protect(ws: Worksheet) -> None:
    """Lock the headers (sheet protection without a password); input cells are unlocked."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.insertRows = False
    ws.protection.deleteRows = False
    ws.protection.sort = False
    ws.protection.autoFilter = False


def _header(ws: Worksheet, columns: Sequence[Column]) -> None:
    for i, col in enumerate(columns, start=1):
        top = ws.cell(row=1, column=i, value=col.zh)
        top.font, top.fill, top.border = _HEADER_FONT, _HEADER_FILL, _BORDER
        top.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        code = ws.cell(row=2, column=i, value=col.code)
        code.font, code.fill, code.border = _CODE_FONT, _CODE_FILL, _BORDER
        code.alignment = Alignment(horizontal="center")
        ws.column_dimensions[get_column_letter(i)].width = col.width + 2
    ws.row_dimensions[1].height = 30
    ws.freeze_panes = f"A{FIRST_DATA_ROW}"


def _input_cells(ws: Worksheet, columns: Sequence[Column], first: int, last: int) -> None:
    for r in range(first, last + 1):
        for i, col in enumerate(columns, start=1):
            cell = ws.cell(row=r, column=i)
            cell.protection = _UNLOCKED
            cell.fill = _INPUT_FILL
            cell.border = _BORDER
            if col.kind == "number":
                cell.number_format = "#,##0.########"


def _validations(ws: Worksheet, columns: Sequence[Column], first: int, last: int) -> None:
    src_labels = [st.name_zh for st in SOURCE_TYPES.values()]
    by_kind: dict[str, DataValidation] = {
        "source_type": _list_validation(src_labels, True, "排放源类别", "从下拉列表选择排放源类别"),
        "unit": _list_validation(UNIT_CHOICES, False, "单位", "数量的计量单位"),
        "ncv_unit": _list_validation(NCV_UNIT_CHOICES, False, "低位发热量单位", "如 GJ/t、GJ/万Nm3"),
        "factor_unit": _list_validation(FACTOR_UNIT_CHOICES, False, "排放因子单位", "如 tCO2/t"),
        "basis": _list_validation(BASIS_CHOICES, True, "参数来源", "实测（附化验报告）或 企业声明"),
        "gas": _list_validation(GAS_CHOICES, False, "气体", "缺省 CO2"),
        "claim_mwh_unit": _list_validation(("kWh", "MWh", "万kWh"), True, "单位", "电量单位"),
        "claim_unit": _list_validation(("tCO2e", "MWh", "kWh", "万kWh"), True, "单位", "tCO2e 或 MWh"),
        **{
            code: _list_validation(list(labels.values()), True, title, title)
            for code, labels, title in (
                ("technology", TECHNOLOGIES, "发电类型"),
                ("use", GENERATION_USES, "去向"),
                ("kind", OFFSET_KINDS, "类型"),
                ("origin", OFFSET_ORIGINS, "来源"),
                ("status", OFFSET_STATUSES, "状态"),
            )
        },
    }
    numbers = _decimal_validation("数值", "请填写不小于 0 的数字")
    used: list[DataValidation] = []
    for i, col in enumerate(columns, start=1):
        dv = numbers if col.kind == "number" else by_kind.get(col.kind)
        if dv is None:
            continue
        letter = get_column_letter(i)
        dv.add(f"{letter}{first}:{letter}{last}")
        if dv not in used:
            used.append(dv)
    for dv in used:
        ws.add_data_validation(dv)


def _guide(ws: Worksheet, enterprise: Any, year: int | None, month: int | None) -> None:
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 26
    ws.column_dimensions["C"].width = 70
    industry = getattr(enterprise, "industry", None)
    period = f"{year}-{month:02d}" if year and month else "上传时在页面上选择"
    rows: list[tuple[str, ...]] = [
        ("碳账户月度数据填报模板",),
        (),
        ("企业名称", str(getattr(enterprise, "name", "") or "")),
        ("统一社会信用代码", str(getattr(enterprise, "uscc", "") or "")),
        ("行业（GB/T 4754-2017）", f"{getattr(industry, 'code', '')} {getattr(industry, 'name_zh', '')}".strip()),
        ("报告期", period),
        ("模板版本", TEMPLATE_VERSION),
        ("生成时间", datetime.datetime.now().strftime("%Y-%m-%d %H:%M")),
        (),
        ("填报须知",),
        ("1. 报告期", "每个文件只填报一个月（自然月）的数据。企业和报告期在上传页面确定，文件中不需要填写。"),
        (
            "2. 活动数据",
            "工作表“活动数据”已按本企业行业预填常见的排放源和品种；只需在实际发生的行填写“数量”。"
            "数量为空的行视为未发生，不会导入。其他品种可在下方空白行补充，品种名称应与因子库一致"
            "（如 原煤、柴油、天然气、焦炭、高炉煤气、电力、热力、熟料、石灰石）。"
            "购入电力分两行填报：“绿电”行填本月绿电交易（市场化交易的非化石能源电力）的结算电量，"
            "“电力”行填其余购入电量，两行之和为全部购入电量。绿电在范围二（位置法）中与其他购入电力一样按电网排放因子计算，"
            "在范围二（市场法）中按零计；没有绿电交易时该行留空。",
        ),
        (
            "3. 排放源类别",
            "化石燃料燃烧（燃料消耗量）、工业生产过程（熟料产量、碳酸盐消耗量等）、购入电力、购入热力、"
            "输出电力、输出热力（外供量，从总量中扣除）、CO2回收利用、生物质燃烧。",
        ),
        (
            "4. 计量单位",
            "固体和液体燃料：t（吨）或 kg；气体燃料：万Nm3 或 Nm3（标准立方米）；电力：MWh、kWh 或 万kWh；"
            "热力：GJ；也可用 tce。单位写错或无法识别时整个文件不导入，并提示所在行列。",
        ),
        (
            "5. 实测参数",
            "低位发热量、单位热值含碳量、碳氧化率等留空时使用因子库缺省值（数据质量等级 3）。"
            "填写实测值时“参数来源”选“实测”，并须在报告期页面上传化验报告（数据质量等级 1）；"
            "企业声明值选“企业声明”（等级 2）。填写低位发热量时必须同时填写其单位。",
        ),
        (
            "6. 水泥熟料",
            "“熟料”按产量填报，缺省因子 0.52 tCO2/t；有化验数据时填写 CaO含量、MgO含量及非碳酸盐部分（氧化物法）。"
            "熟料已包含生料中碳酸盐的分解，“石灰石”行仅填报其他用途（如脱硫）的碳酸盐消耗。",
        ),
        ("7. 产品产量", "工作表“产品产量”填写本月主要产品的产量及单位。"),
        (
            "8. 经济数据",
            "工作表“经济数据”填写本月工业增加值（收入法，万元，必填）、工业总产值和营业收入（万元，选填）。",
        ),
        (
            "9. 自有零碳发电",
            "工作表“自有零碳发电”填写本月自有光伏、风电等零碳电力的发电量，自发自用与上网分行填写；"
            "绿证已出售或转让的电量填入“绿证已转让电量”。这些数据不改变排放核算，只用于计算年度碳中和率。",
        ),
        (
            "10. 碳抵消与绿证",
            "工作表“碳抵消与绿证”填写本月注销（或持有）的 CCER、绿证、绿电交易电量和林业碳汇，"
            "每行须填写项目/序列号/合同编号；同一凭证只能申报一次。随绿电交易划转的绿证、本企业自有发电项目核发的绿证"
            "不重复计入（电量已在绿电交易或自有发电中计算）。请在报告期页面上传注销证明或交易凭证。"
            "绿电交易的电量本身另在“活动数据”的“绿电”行填报（用于范围二市场法），此处的申报用于碳中和率。",
        ),
        (
            "10a. 污染物排放",
            "工作表“污染物排放”按污染因子填写本月实际排放量（吨，不小于 0；不涉及的留空）：化学需氧量、氨氮、二氧化硫、"
            "氮氧化物、颗粒物、挥发性有机物。年内累计排放量将与本企业持有的排污权比对，超出时向所在地政府预警。",
        ),
        (
            "11. 错误提示",
            "上传时先检查文件结构：工作表名称、表头、数值格式和单位；有任何此类错误时整个文件不导入，"
            "不保存任何数据，错误列表给出工作表、行号、列和规则。导入后再进行核算校验（如未知品种、缺少参数），"
            "结果显示在报告期页面：“错误”必须改正后才能提交，“警告”请核实。",
        ),
        (
            "12. 注意",
            "请勿修改工作表名称和前两行表头（第 2 行为系统识别用的列代码），请勿插入列；可在数据区插入或删除行。",
        ),
        (),
        ("列说明（活动数据）",),
        ("列代码", "列名", "说明"),
    ]
    rows += [(c.code, c.zh, c.note) for c in ACTIVITY_COLUMNS]
    rows += [(), ("列说明（自有零碳发电）",), ("列代码", "列名", "说明")]
    rows += [(c.code, c.zh, c.note) for c in GENERATION_COLUMNS]
    rows += [(), ("列说明（碳抵消与绿证）",), ("列代码", "列名", "说明")]
    rows += [(c.code, c.zh, c.note) for c in OFFSET_COLUMNS]
    for r, values in enumerate(rows, start=1):
        for c, v in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=v)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws["A1"].font = Font(bold=True, size=14)
    for cell in ws["A"]:
        if cell.value in ("填报须知", "列说明（活动数据）", "列说明（自有零碳发电）", "列说明（碳抵消与绿证）"):
            cell.font = Font(bold=True, size=12)
    ws.sheet_view.showGridLines = False
    _protect(ws)


def _fmt(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def build_template(
    enterprise: Any, year: int | None = None, month: int | None = None, data: Any | None = None
) -> bytes:
    """The template for an enterprise (pre-filled for its industry, or with ``data`` — a DraftData)."""
    wb = Workbook()
    guide = wb.active
    assert guide is not None
    guide.title = SHEET_GUIDE
    _guide(guide, enterprise, year, month)

    ws = wb.create_sheet(SHEET_ACTIVITY)
    _header(ws, ACTIVITY_COLUMNS)
    records: list[dict[str, Any]]
    if data is not None and data.activities:
        records = [dict(r) for r in data.activities]
    else:
        records = [
            {"source_type": ln.source_type, "item": ln.item, "unit": ln.unit} for ln in industry_lines(enterprise)
        ]
    last = FIRST_DATA_ROW + max(len(records) + 20, 40) - 1
    _input_cells(ws, ACTIVITY_COLUMNS, FIRST_DATA_ROW, last)
    for r, rec in enumerate(records, start=FIRST_DATA_ROW):
        for i, col in enumerate(ACTIVITY_COLUMNS, start=1):
            value = rec.get(col.code)
            if col.code == "source_type" and value:
                value = source_type_label(str(value))
            elif col.code == "param_basis" and value:
                value = BASIS_LABELS.get(basis_code(value), value)
            if value not in (None, ""):
                ws.cell(row=r, column=i, value=_fmt(value))
    _validations(ws, ACTIVITY_COLUMNS, FIRST_DATA_ROW, last)
    items = _item_validation(_item_list(guide))
    item_col = get_column_letter(ACTIVITY_CODES.index("item") + 1)
    items.add(f"{item_col}{FIRST_DATA_ROW}:{item_col}{last}")
    ws.add_data_validation(items)
    _protect(ws)

    wp = wb.create_sheet(SHEET_PRODUCTION)
    _header(wp, PRODUCTION_COLUMNS)
    products: list[dict[str, Any]]
    if data is not None and data.production:
        products = [dict(p) for p in data.production]
    else:
        products = [{"product": p, "unit": u} for p, u in industry_products(enterprise)]
    last_p = FIRST_DATA_ROW + max(len(products) + 8, 10) - 1
    _input_cells(wp, PRODUCTION_COLUMNS, FIRST_DATA_ROW, last_p)
    for r, rec in enumerate(products, start=FIRST_DATA_ROW):
        for i, col in enumerate(PRODUCTION_COLUMNS, start=1):
            if rec.get(col.code) not in (None, ""):
                wp.cell(row=r, column=i, value=_fmt(rec[col.code]))
    _validations(wp, PRODUCTION_COLUMNS, FIRST_DATA_ROW, last_p)
    _protect(wp)

    we = wb.create_sheet(SHEET_ECONOMIC)
    heads = ("项目", "代码", "数值", "单位", "说明")
    for i, (h, w) in enumerate(zip(heads, (26, 14, 16, 8, 30), strict=True), start=1):
        cell = we.cell(row=1, column=i, value=h)
        cell.font, cell.fill, cell.border = _HEADER_FONT, _HEADER_FILL, _BORDER
        we.column_dimensions[get_column_letter(i)].width = w
    economic = (data.economic if data is not None else None) or {}
    for r, (code, zh, _en, note) in enumerate(ECONOMIC_ROWS, start=2):
        we.cell(row=r, column=1, value=zh).border = _BORDER
        code_cell = we.cell(row=r, column=2, value=code)
        code_cell.font, code_cell.fill, code_cell.border = _CODE_FONT, _CODE_FILL, _BORDER
        value_cell = we.cell(
            row=r, column=3, value=_fmt(economic.get(code)) if economic.get(code) is not None else None
        )
        value_cell.protection, value_cell.fill, value_cell.border = _UNLOCKED, _INPUT_FILL, _BORDER
        value_cell.number_format = "#,##0.####"
        we.cell(row=r, column=4, value="万元").border = _BORDER
        we.cell(row=r, column=5, value=note).border = _BORDER
    dv = _decimal_validation("经济数据", "单位：万元；不小于 0")
    dv.add(f"C2:C{1 + len(ECONOMIC_ROWS)}")
    we.add_data_validation(dv)
    _protect(we)

    for title, columns, rows_ in (
        (SHEET_GENERATION, GENERATION_COLUMNS, list((data.generation if data is not None else None) or [])),
        (SHEET_OFFSETS, OFFSET_COLUMNS, list((data.offsets if data is not None else None) or [])),
    ):
        wc = wb.create_sheet(title)
        _header(wc, columns)
        last_c = FIRST_DATA_ROW + max(len(rows_) + 8, 10) - 1
        _input_cells(wc, columns, FIRST_DATA_ROW, last_c)
        for r, rec in enumerate(rows_, start=FIRST_DATA_ROW):
            for i, col in enumerate(columns, start=1):
                value = rec.get(col.code)
                if col.code in CLAIM_CHOICES and value:
                    value = CLAIM_CHOICES[col.code].get(str(value), value)
                if value not in (None, ""):
                    wc.cell(row=r, column=i, value=_fmt(value))
        _validations(wc, columns, FIRST_DATA_ROW, last_c)
        _protect(wc)

    wd = wb.create_sheet(SHEET_DISCHARGE)
    heads = ("污染因子", "代码", "排放量", "单位", "说明")
    for i, (h, w) in enumerate(zip(heads, (20, 10, 16, 8, 40), strict=True), start=1):
        cell = wd.cell(row=1, column=i, value=h)
        cell.font, cell.fill, cell.border = _HEADER_FONT, _HEADER_FILL, _BORDER
        wd.column_dimensions[get_column_letter(i)].width = w
    reported = {
        pollutant_code(r.get("factor")): r.get("quantity")
        for r in ((data.discharge if data is not None else None) or [])
    }
    for r, (code, (zh, _en)) in enumerate(POLLUTANTS.items(), start=2):
        wd.cell(row=r, column=1, value=zh).border = _BORDER
        code_cell = wd.cell(row=r, column=2, value=code)
        code_cell.font, code_cell.fill, code_cell.border = _CODE_FONT, _CODE_FILL, _BORDER
        value = reported.get(code)
        value_cell = wd.cell(row=r, column=3, value=_fmt(value) if value is not None else None)
        value_cell.protection, value_cell.fill, value_cell.border = _UNLOCKED, _INPUT_FILL, _BORDER
        value_cell.number_format = "#,##0.########"
        wd.cell(row=r, column=4, value="吨").border = _BORDER
        wd.cell(row=r, column=5, value="本月排放量（≥0）；不涉及的留空").border = _BORDER
    dv_d = _decimal_validation(SHEET_DISCHARGE, "单位：吨；不小于 0")
    dv_d.add(f"C2:C{1 + len(POLLUTANTS)}")
    wd.add_data_validation(dv_d)
    _protect(wd)

    wb.active = 1  # open on 活动数据
    # the enterprise's own text (items, products, references, its name) is written as text, never as a formula;
    # on import :func:`_text` takes the quote off again, so the template round trip keeps the text as it was
    neutralise_workbook(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_filename(enterprise: Any, year: int | None = None, month: int | None = None) -> str:
    period = f"_{year}-{month:02d}" if year and month else ""
    return f"碳账户填报模板_{getattr(enterprise, 'uscc', '') or enterprise.pk}{period}.xlsx"


# ------------------------------------------------------------------------------------------------
# import


class WorkbookInvalid(Exception):
    """The upload cannot be imported: nothing was saved; each finding names sheet, row, column, rule."""

    def __init__(self, findings: Sequence[Finding]):
        self.findings = list(findings)
        super().__init__(f"{len(self.findings)} problem(s) in the workbook; nothing was saved")


_RULE_TEXT: dict[str, tuple[str, str]] = {
    "file_type": ("只接受 Excel 2007 及以上的 .xlsx 文件（{value}）", "only .xlsx workbooks are accepted ({value})"),
    "file_too_large": (
        f"文件过大（{{value}}，上限 {MAX_BYTES // 1048576} MB）",
        f"the file is too large ({{value}}; the limit is {MAX_BYTES // 1048576} MB)",
    ),
    # a zip bomb: small on the wire, huge once unpacked (the limit of what the workbook unpacks to)
    "unpacked_too_large": (
        f"文件解压后过大（{{value}}，解压后上限 {MAX_UNCOMPRESSED // 1048576} MB）",
        f"the workbook unpacks to too much data ({{value}}; the limit is {MAX_UNCOMPRESSED // 1048576} MB unpacked)",
    ),
    # the reader's own exception text is for the log, not for the user
    "unreadable": (
        "无法读取文件：它不是完整的 .xlsx 工作簿（文件已损坏，或是改了扩展名的其他文件）",
        "cannot read the file: it is not a complete .xlsx workbook (it is damaged or another kind of file renamed)",
    ),
    "missing_sheet": (
        "缺少工作表“{value}”，请使用平台下载的模板",
        "sheet “{value}” is missing: use the platform's template",
    ),
    "unknown_sheet": (
        "工作表“{value}”不属于模板；请删除它，或把数据移到“活动数据”“产品产量”“经济数据”",
        "sheet “{value}” is not part of the template: delete it or move its data to the template sheets",
    ),
    "missing_column": ("缺少必填列 {value}", "required column {value} is missing"),
    "unknown_header": (
        "无法识别的表头“{value}”（企业和报告期在上传页面选择，不需要在文件中填写）",
        "unknown header “{value}” (enterprise and period are chosen on the upload page, not in the file)",
    ),
    "duplicate_header": ("表头“{value}”重复", "header “{value}” appears twice"),
    "not_a_number": ("“{value}” 不是数字", "“{value}” is not a number"),
    "negative": ("数值不能为负（{value}）", "value must not be negative ({value})"),
    "required": (
        "必填项为空（已填写数量的行须填写{value}）",
        "a required value is empty (a row with a quantity needs its {value})",
    ),
    "quantity_required": (
        "填写了参数但数量为空；请填写数量，或清空该行",
        "parameters are given but the quantity is empty: fill it in or clear the row",
    ),
    "unknown_unit": ("无法识别的单位 “{value}”", "unknown unit “{value}”"),
    "unknown_source_type": (
        "未知的排放源类别 “{value}”；请从下拉列表选择",
        "unknown source type “{value}”: choose one from the drop-down list",
    ),
    "unknown_choice": ("无法识别的选项 “{value}”；请从下拉列表选择", "unknown option “{value}”: choose from the list"),
    "too_many_rows": ("数据行超过 {value} 行，请分文件或通过接口报送", "more than {value} data rows: use the API"),
    # the engine's rule and wording (engine/messages.py): the CLI refuses the same file the same way
    "formula_without_value": (MESSAGES["formula_without_value"]["zh"], MESSAGES["formula_without_value"]["en"]),
}


#: rules whose value is a column's key (shown by its name)
_NAMES_A_COLUMN = frozenset({"missing_column", "required"})


def _finding(
    rule: str, value: object = "", sheet: str = "", row: int | None = None, col: int | None = None, code: str = ""
) -> Finding:
    zh_t, en_t = _RULE_TEXT[rule]
    text = "" if value is None else str(value)
    if len(text) > 60:
        text = text[:57] + "…"
    zh_value = en_value = text
    if rule in _NAMES_A_COLUMN:
        # the value is a column's key: name it; a missing column's key is what the header row needs, so beside it
        zh_value = COLUMN_LABELS_ZH.get(text) or _LABELS.get(text, text)
        en_value = COLUMN_LABELS_EN.get(text) or _LABELS_EN.get(text, text)
        if rule == "missing_column":
            zh_value, en_value = f"“{zh_value}”（{text}）", f"“{en_value}” ({text})"
    zh_body, en_body = zh_t.format(value=zh_value), en_t.format(value=en_value)
    zh_loc: list[str] = []
    en_loc: list[str] = []
    if sheet:
        zh_loc.append(f"工作表 {sheet}")
        en_loc.append(f"sheet {sheet}")
    if row is not None:
        zh_loc.append(f"第 {row} 行")
        en_loc.append(f"row {row}")
    if col is not None or code:
        # the column as the user sees it: its letter and its name, never the internal key
        letter = get_column_letter(col) if col else ""
        label_zh = COLUMN_LABELS_ZH.get(code) or _LABELS.get(code, "")
        label_en = COLUMN_LABELS_EN.get(code) or _LABELS_EN.get(code, "")
        if letter:
            zh_loc.append(f"{letter} 列" + (f"（{label_zh}）" if label_zh else ""))
            en_loc.append(f"column {letter}" + (f" ({label_en})" if label_en else ""))
        elif label_zh:
            zh_loc.append(f"“{label_zh}”列")
            en_loc.append(f"column “{label_en or label_zh}”")
    # the rule's code is no part of the sentence: it travels as Finding.rule (pages put it in data-rule)
    zh = ("，".join(zh_loc) + "：" if zh_loc else "") + zh_body
    en = (", ".join(en_loc) + ": " if en_loc else "") + en_body
    return Finding(rule, ERROR, zh, en, sheet, row, code)


_LABELS = {
    "product": "产品名称",
    **{c.code: c.zh for c in GENERATION_COLUMNS},
    **{c.code: c.zh for c in OFFSET_COLUMNS},
    **{c.code: c.zh for c in ACTIVITY_COLUMNS},
    **{code: zh for code, zh, _en, _n in ECONOMIC_ROWS},
}
_LABELS_EN = {
    "product": "product",
    **{c.code: c.en for c in GENERATION_COLUMNS},
    **{c.code: c.en for c in OFFSET_COLUMNS},
    **{c.code: c.en for c in ACTIVITY_COLUMNS},
    **{code: en for code, _zh, en, _n in ECONOMIC_ROWS},
}


def parse_number(value: object) -> Decimal | None:
    """A cell's number (None when empty) by the engine's rule (:func:`dualcarbon.engine.numbers.read_number`:
    full-width digits read as ASCII, separators dropped, a trailing % divides by 100; dates, booleans, NaN,
    Infinity and ``#VALUE!`` refused); raises ValueError. Whether it fits its field is checked by the services
    (``_unparseable``: too large, located by sheet, row and column) before anything is saved."""
    return number_rule.read_number(value)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    # "'=x" is how our templates write the text "=x" (formula injection, engine.safe_cells): keep the text
    return str(restore(str(value).strip()))


def _read_bytes(upload: Any) -> bytes:
    if hasattr(upload, "seek"):
        upload.seek(0)
    if hasattr(upload, "chunks"):
        return b"".join(upload.chunks())
    return bytes(upload.read())


class _StreamingSheet(ReadOnlyWorksheet):
    """openpyxl's read-only sheet, without its size probe: ``ReadOnlyWorksheet`` looks for ``<dimension>`` by
    parsing the sheet with end events, so a sheet that does not declare one (openpyxl's own write-only files,
    many generators) is parsed to its last row before the first row is read — 12 s of a 50,000-row file. Here
    only the elements before ``<sheetData>`` are looked at (start events): the rows are read once, streamed."""

    def _get_size(self) -> None:
        this: Any = self  # openpyxl's private attributes, untyped in its stubs
        src = this._get_source()
        try:
            for _event, element in xml_iterparse(src, events=("start",)):
                if element.tag == DIMENSION_TAG:
                    dimension: Any = SheetDimension.from_tree(element)
                    this._min_column, this._min_row, this._max_column, this._max_row = dimension.boundaries
                    return
                if element.tag == DATA_TAG:
                    return
        finally:
            src.close()


class _StreamingReader(ExcelReader):
    """openpyxl's reader in read-only mode, with :class:`_StreamingSheet` for the worksheets."""

    def read_worksheets(self) -> None:
        wb: Any = self.wb
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files:
                continue
            if "chartsheet" in rel.Type:
                self.read_chartsheet(cast(Any, sheet), rel)
                continue
            ws: Any = _StreamingSheet(self.wb, sheet.name, rel.target, self.shared_strings)
            ws.sheet_state = sheet.state
            wb._sheets.append(ws)


def _load_streaming(content: bytes) -> Any:
    """The workbook, read-only with cached values (``data_only``): sheets are read row by row when iterated."""
    reader = _StreamingReader(io.BytesIO(content), read_only=True, data_only=True)
    reader.read()
    return reader.wb


def _open(upload: Any) -> tuple[Any, list[Finding]]:
    name = str(getattr(upload, "name", "") or "")
    size = getattr(upload, "size", None)
    if not name.lower().endswith(".xlsx"):
        return None, [_finding("file_type", name or "?")]
    if size is not None and size > MAX_BYTES:
        return None, [_finding("file_too_large", f"{size / 1048576:.1f} MB")]
    content = _read_bytes(upload)
    if len(content) > MAX_BYTES:
        return None, [_finding("file_too_large", f"{len(content) / 1048576:.1f} MB")]
    if not content.startswith(b"PK\x03\x04"):
        return None, [_finding("file_type", name)]
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            inflated = sum(i.file_size for i in zf.infolist())
    except zipfile.BadZipFile as exc:
        return None, [_finding("unreadable", str(exc))]
    if inflated > MAX_UNCOMPRESSED:
        return None, [_finding("unpacked_too_large", f"{inflated / 1048576:.0f} MB")]
    try:
        wb = _load_streaming(content)
    except Exception as exc:  # openpyxl raises many kinds on a broken package
        return None, [_finding("unreadable", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)]
    try:
        uncomputed = _uncomputed_formulas(content, wb)
    except Exception as exc:  # a sheet's XML that does not parse
        wb.close()
        return None, [_finding("unreadable", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)]
    if uncomputed:
        wb.close()
        return None, uncomputed
    return wb, []


_CELL_TAG = f"{{{SHEET_MAIN_NS}}}c"
_FORMULA_TAG = f"{{{SHEET_MAIN_NS}}}f"
_VALUE_TAG = f"{{{SHEET_MAIN_NS}}}v"
#: how a formula element starts in a sheet's XML (with or without a namespace prefix)
_FORMULA_MARKS = (b"<f>", b"<f ", b"<f/", b":f>", b":f ", b":f/")


def _uncomputed_formulas(content: bytes, wb: Any) -> list[Finding]:
    """Cells holding a formula without its computed value (written by a program, never saved by Excel), located by
    sheet, row and column. Read with cached values, such a cell is empty and its row would silently lose its
    number; the CLI refuses the same (engine/inputs.py). A sheet is parsed only when a streamed scan of its XML
    finds a formula element (most files have none)."""
    found: list[Finding] = []
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        names = set(zf.namelist())
        for ws in wb.worksheets:
            part = str(getattr(ws, "_worksheet_path", "") or "").lstrip("/")
            if part not in names:
                continue
            with zf.open(part) as fh:
                tail, has_formula = b"", False
                while chunk := fh.read(1 << 20):
                    window = tail + chunk
                    if any(m in window for m in _FORMULA_MARKS):
                        has_formula = True
                        break
                    tail = window[-4:]
            if not has_formula:
                continue
            with zf.open(part) as fh:
                for _event, el in xml_iterparse(fh, events=("end",)):
                    if el.tag != _CELL_TAG:
                        continue
                    formula, value = el.find(_FORMULA_TAG), el.find(_VALUE_TAG)
                    # no value, or an empty one (openpyxl writes <v/>); Excel's own empty text result is t="str"
                    uncomputed = value is None or (not (value.text or "").strip() and el.get("t") != "str")
                    if formula is not None and uncomputed:
                        column, row = coordinate_from_string(el.get("r") or "A1")
                        text = "=" + (formula.text or "")
                        found.append(
                            _finding("formula_without_value", text, ws.title, row, column_index_from_string(column))
                        )
                        if len(found) >= MAX_FINDINGS:
                            return found
                    el.clear()
    return found


Progress = Callable[[int], None]


class _TooManyRows(Exception):
    def __init__(self, sheet: str):
        self.sheet = sheet


class _Rows:
    """A sheet's rows, streamed: ``head`` holds the first three (the header rows), iterating yields every row
    as ``(row number, values)`` once. Past :data:`MAX_SHEET_ROWS` it raises at once; every
    :data:`PROGRESS_EVERY` rows it calls ``progress`` with the number of rows read in this sheet."""

    def __init__(self, ws: Any, sheet: str, progress: Progress | None = None):
        self.sheet = sheet
        self._progress = progress
        self._it = enumerate(ws.iter_rows(values_only=True), start=1)
        self.head: list[tuple[int, tuple[Any, ...]]] = [(r, tuple(row)) for r, row in itertools.islice(self._it, 3)]

    def __iter__(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        yield from self.head
        for r, row in self._it:
            if r > MAX_SHEET_ROWS:
                raise _TooManyRows(self.sheet)
            if self._progress is not None and r % PROGRESS_EVERY == 0:
                self._progress(PROGRESS_EVERY)
            yield r, tuple(row)


def _rows(ws: Any, sheet: str = "", progress: Progress | None = None) -> _Rows:
    return _Rows(ws, sheet, progress)


def _too_many(sheet: str, findings: list[Finding]) -> WorkbookInvalid:
    """Stop reading: the limit's finding first, then what was found before it."""
    return WorkbookInvalid([_finding("too_many_rows", MAX_DATA_ROWS, sheet), *findings][:MAX_FINDINGS])


_PRODUCTION_LABELS = {"产品名称": "product", "产品": "product", "产量": "quantity"}


def _canon(raw: object) -> str:
    text = str(raw).strip()
    return _PRODUCTION_LABELS.get(text) or canonical_header(text)


def _header_map(
    sheet: str, rows: list[tuple[int, tuple[Any, ...]]], allowed: Sequence[str], required: Sequence[str]
) -> tuple[dict[str, int], int, list[Finding]]:
    """Find the code row (row 2) or, failing that, a label row; map column code → 0-based index."""
    findings: list[Finding] = []
    candidates = [(r, vals) for r, vals in rows[:3]]
    chosen: tuple[int, tuple[Any, ...]] | None = None
    for r, vals in sorted(candidates, key=lambda rv: (rv[0] != 2, rv[0])):
        names = {_canon(v) for v in vals if v not in (None, "")}
        if "quantity" in names and ("item" in names or "product" in names):
            chosen = (r, vals)
            break
    if chosen is None:
        return {}, 0, [_finding("missing_column", c, sheet, 2) for c in required]
    header_row, vals = chosen
    mapping: dict[str, int] = {}
    for idx, raw in enumerate(vals):
        if raw in (None, ""):
            continue
        code = _canon(raw)
        if code not in allowed:
            findings.append(_finding("unknown_header", raw, sheet, header_row, idx + 1))
        elif code in mapping:
            findings.append(_finding("duplicate_header", raw, sheet, header_row, idx + 1))
        else:
            mapping[code] = idx
    for c in required:
        if c not in mapping:
            findings.append(_finding("missing_column", c, sheet, header_row, None, c))
    # the label row above the code row is part of the header, not data
    return mapping, header_row, findings


def _cell(vals: tuple[Any, ...], idx: int | None) -> Any:
    if idx is None or idx >= len(vals):
        return None
    v = vals[idx]
    if isinstance(v, str) and not v.strip():
        return None
    return v


def _parse_activities(ws: Any, findings: list[Finding], progress: Progress | None = None) -> list[dict[str, Any]]:
    sheet = SHEET_ACTIVITY
    rows = _rows(ws, sheet, progress)
    mapping, header_row, problems = _header_map(
        sheet, rows.head, ACTIVITY_CODES, ("source_type", "item", "quantity", "unit")
    )
    findings.extend(problems)
    if problems:
        return []
    out: list[dict[str, Any]] = []
    for r, vals in rows:
        if r <= header_row:
            continue
        cells = {code: _cell(vals, idx) for code, idx in mapping.items()}
        if all(v is None for v in cells.values()):
            continue
        row_findings: list[Finding] = []
        rec: dict[str, Any] = {"source_sheet": sheet, "source_row": r}
        for code in NUMBER_CODES:
            if code not in mapping:
                rec[code] = None
                continue
            try:
                number = parse_number(cells[code])
            except ValueError:
                row_findings.append(_finding("not_a_number", cells[code], sheet, r, mapping[code] + 1, code))
                continue
            if number is not None and number < 0:
                row_findings.append(_finding("negative", cells[code], sheet, r, mapping[code] + 1, code))
            rec[code] = number
        for code in ACTIVITY_CODES:
            if code not in NUMBER_CODES:
                rec[code] = _text(cells.get(code))
        quantity_cell = cells.get("quantity")
        if quantity_cell is None:
            extra = [c for c in NUMBER_CODES if c != "quantity" and cells.get(c) is not None]
            if extra:
                row_findings.append(_finding("quantity_required", "", sheet, r, mapping["quantity"] + 1, "quantity"))
                findings.extend(row_findings)
            elif row_findings:
                findings.extend(row_findings)
            continue  # a blank template row (pre-filled item, no quantity)
        for code in ("source_type", "item", "unit"):
            if not rec[code]:
                row_findings.append(_finding("required", code, sheet, r, mapping[code] + 1, code))
        if rec["source_type"]:
            st = source_type_code(rec["source_type"])
            if st is None:
                row_findings.append(
                    _finding(
                        "unknown_source_type", rec["source_type"], sheet, r, mapping["source_type"] + 1, "source_type"
                    )
                )
            else:
                rec["source_type"] = st
        rec["param_basis"] = basis_code(rec["param_basis"])
        for code in UNIT_CODES:
            if rec.get(code) and not units.is_known(rec[code]):
                row_findings.append(_finding("unknown_unit", rec[code], sheet, r, mapping[code] + 1, code))
        findings.extend(row_findings)
        out.append(rec)
        if len(out) > MAX_DATA_ROWS:
            raise _too_many(sheet, findings)
    return out


def _parse_production(ws: Any, findings: list[Finding], progress: Progress | None = None) -> list[dict[str, Any]]:
    sheet = SHEET_PRODUCTION
    rows = _rows(ws, sheet, progress)
    mapping, header_row, problems = _header_map(
        sheet, rows.head, ("product", "quantity", "unit"), ("product", "quantity")
    )
    findings.extend(problems)
    if problems:
        return []
    out: list[dict[str, Any]] = []
    for r, vals in rows:
        if r <= header_row:
            continue
        product = _text(_cell(vals, mapping.get("product")))
        raw_q = _cell(vals, mapping.get("quantity"))
        unit = _text(_cell(vals, mapping.get("unit")))
        if raw_q is None:
            continue  # blank or pre-filled product without quantity
        try:
            quantity = parse_number(raw_q)
        except ValueError:
            findings.append(_finding("not_a_number", raw_q, sheet, r, mapping["quantity"] + 1, "quantity"))
            continue
        if quantity is not None and quantity < 0:
            findings.append(_finding("negative", raw_q, sheet, r, mapping["quantity"] + 1, "quantity"))
        if not product:
            findings.append(_finding("required", "product", sheet, r, mapping["product"] + 1, "product"))
        if unit and not units.is_known(unit):
            findings.append(_finding("unknown_unit", unit, sheet, r, mapping["unit"] + 1, "unit"))
        out.append(
            {"product": product, "quantity": quantity, "unit": unit or "t", "source_sheet": sheet, "source_row": r}
        )
        if len(out) > MAX_DATA_ROWS:
            raise _too_many(sheet, findings)
    return out


def _claim_choice(code: str, value: str) -> str | None:
    """A drop-down cell → its code (the label or the code itself is accepted); None when unknown."""
    labels = CLAIM_CHOICES[code]
    if value in labels:
        return value
    by_label = {v: k for k, v in labels.items()}
    by_label.update({"CCER": "ccer", "GEC": "gec", "绿色电力证书": "gec", "绿电": "green_trade"})
    found = by_label.get(value) or by_label.get(value.upper())
    return found if found in labels else None


def _parse_claims(
    ws: Any, sheet: str, columns: Sequence[Column], findings: list[Finding], progress: Progress | None = None
) -> list[dict[str, Any]]:
    """The generation or offset sheet: labels in row 1, codes in row 2 (either row is recognised)."""
    codes = tuple(c.code for c in columns)
    by_label = {c.zh: c.code for c in columns}
    rows = _rows(ws, sheet, progress)
    header_row, mapping = 0, {}
    for r, vals in rows.head:
        names = [by_label.get(str(v).strip(), str(v).strip()) if v not in (None, "") else "" for v in vals]
        if "quantity" in names:
            header_row = r
            mapping = {n: i for i, n in enumerate(names) if n in codes}
            for i, n in enumerate(names):
                if n and n not in codes:
                    findings.append(_finding("unknown_header", vals[i], sheet, r, i + 1))
            if r == 1 and len(rows.head) > 1 and "quantity" in [str(v or "").strip() for v in rows.head[1][1]]:
                header_row = 2  # row 2 holds the codes under the labels
            break
    if not header_row:
        findings.append(_finding("missing_column", "quantity", sheet, 2, None, "quantity"))
        return []
    numbers = tuple(c.code for c in columns if c.kind == "number")
    out: list[dict[str, Any]] = []
    for r, vals in rows:
        if r <= header_row:
            continue
        cells = {code: _cell(vals, idx) for code, idx in mapping.items()}
        if all(v is None for v in cells.values()):
            continue
        rec: dict[str, Any] = {"source_sheet": sheet, "source_row": r}
        row_findings: list[Finding] = []
        for code in numbers:
            try:
                number = parse_number(cells.get(code))
            except ValueError:
                row_findings.append(_finding("not_a_number", cells.get(code), sheet, r, mapping[code] + 1, code))
                continue
            if number is not None and number < 0:
                row_findings.append(_finding("negative", cells.get(code), sheet, r, mapping[code] + 1, code))
            rec[code] = number
        for code in codes:
            if code in numbers:
                continue
            text = _text(cells.get(code))
            if code in CLAIM_CHOICES and text:
                choice = _claim_choice(code, text)
                if choice is None:
                    row_findings.append(_finding("unknown_choice", text, sheet, r, mapping[code] + 1, code))
                text = choice or text
            rec[code] = text
        if cells.get("quantity") is None:
            extra = [c for c in (*numbers, "reference") if c != "quantity" and cells.get(c) is not None]
            if extra:
                row_findings.append(_finding("quantity_required", "", sheet, r, mapping["quantity"] + 1, "quantity"))
            findings.extend(row_findings)
            continue
        if rec.get("unit") and not units.is_known(rec["unit"]):
            row_findings.append(_finding("unknown_unit", rec["unit"], sheet, r, mapping["unit"] + 1, "unit"))
        findings.extend(row_findings)
        out.append(rec)
        if len(out) > MAX_DATA_ROWS:
            raise _too_many(sheet, findings)
    return out


_ECONOMIC_BY_LABEL = {zh: code for code, zh, _en, _n in ECONOMIC_ROWS} | {
    "工业增加值": "value_added",
    "增加值": "value_added",
    "工业总产值": "output_value",
    "总产值": "output_value",
}


def _parse_economic(ws: Any, findings: list[Finding], progress: Progress | None = None) -> dict[str, Any]:
    sheet = SHEET_ECONOMIC
    out: dict[str, Any] = {}
    for r, vals in _rows(ws, sheet, progress):
        if r == 1:
            continue
        label, code_cell, value = _cell(vals, 0), _cell(vals, 1), _cell(vals, 2)
        if label is None and code_cell is None and value is None:
            continue
        code = _text(code_cell) or _ECONOMIC_BY_LABEL.get(_text(label), "")
        if code not in ECONOMIC_CODES:
            findings.append(_finding("unknown_header", code_cell or label, sheet, r, 2 if code_cell else 1))
            continue
        try:
            number = parse_number(value)
        except ValueError:
            findings.append(_finding("not_a_number", value, sheet, r, 3, code))
            continue
        if number is not None and number < 0:
            findings.append(_finding("negative", value, sheet, r, 3, code))
        out[code] = number
    return out


def _parse_discharge(ws: Any, findings: list[Finding], progress: Progress | None = None) -> list[dict[str, Any]]:
    """The 污染物排放 sheet: one row per factor (its Chinese name in column A or its code in B, tonnes in C)."""
    sheet = SHEET_DISCHARGE
    out: list[dict[str, Any]] = []
    for r, vals in _rows(ws, sheet, progress):
        if r == 1:
            continue
        label, code_cell, value = _cell(vals, 0), _cell(vals, 1), _cell(vals, 2)
        if value is None:
            continue
        code = pollutant_code(_text(code_cell)) or pollutant_code(_text(label))
        if code is None:
            findings.append(_finding("unknown_header", code_cell or label, sheet, r, 2 if code_cell else 1))
            continue
        try:
            number = parse_number(value)
        except ValueError:
            findings.append(_finding("not_a_number", value, sheet, r, 3, "quantity"))
            continue
        if number is not None and number < 0:
            findings.append(_finding("negative", value, sheet, r, 3, "quantity"))
        out.append({"factor": code, "quantity": number, "source_sheet": sheet, "source_row": r})
    return out


def parse_workbook(upload: Any, progress: Progress | None = None) -> Any:
    """An uploaded workbook → DraftData (raises :class:`WorkbookInvalid`; never writes anything).

    Streams each sheet's rows and stops at a sheet's row limit + 1 (``too_many_rows`` at once); ``progress``
    (optional) is called with the number of rows read since its last call (every :data:`PROGRESS_EVERY`)."""
    from .services import DraftData

    wb, findings = _open(upload)
    if wb is None:
        raise WorkbookInvalid(findings)
    try:
        names = list(wb.sheetnames)
        for missing in (s for s in REQUIRED_SHEETS if s not in names):
            findings.append(_finding("missing_sheet", missing, missing))
        for extra in (s for s in names if s not in KNOWN_SHEETS):
            findings.append(_finding("unknown_sheet", extra, extra))
        if findings:
            raise WorkbookInvalid(findings)
        activities = _parse_activities(wb[SHEET_ACTIVITY], findings, progress)
        production = _parse_production(wb[SHEET_PRODUCTION], findings, progress)
        economic = _parse_economic(wb[SHEET_ECONOMIC], findings, progress)
        generation = (
            _parse_claims(wb[SHEET_GENERATION], SHEET_GENERATION, GENERATION_COLUMNS, findings, progress)
            if SHEET_GENERATION in names
            else []
        )
        offsets = (
            _parse_claims(wb[SHEET_OFFSETS], SHEET_OFFSETS, OFFSET_COLUMNS, findings, progress)
            if SHEET_OFFSETS in names
            else []
        )
        discharge = _parse_discharge(wb[SHEET_DISCHARGE], findings, progress) if SHEET_DISCHARGE in names else []
    except _TooManyRows as exc:
        raise _too_many(exc.sheet, findings) from None
    finally:
        wb.close()
    if findings:
        raise WorkbookInvalid(findings[:MAX_FINDINGS])
    return DraftData(
        activities=activities,
        production=production,
        economic=economic or None,
        generation=generation,
        offsets=offsets,
        discharge=discharge,
    )


def import_workbook(
    user: Any, enterprise: Any, year: int, month: int, upload: Any, progress: Progress | None = None
) -> Any:
    """Parse first (nothing is created for a bad file), then open/replace the period's draft atomically
    through the services and validate it. Raises WorkbookInvalid, services.DraftInvalid/WorkflowError
    (services.Conflict when the month is submitted or another request holds it: never a database error)."""
    from . import services
    from .models import Submission

    data = parse_workbook(upload, progress)
    if hasattr(upload, "seek"):
        upload.seek(0)
    excel = Submission.Channel.EXCEL
    saved = services.write_draft(user, enterprise, year, month, data, channel=excel, source_file=upload)
    services.validate_or_show(saved)
    return saved


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]{1,3}\d+(?::[A-Z]{1,3}(\d+))?\"")


@dataclass(frozen=True)
class UploadPlan:
    """How an upload is imported: in the request (``background`` False) or by a job; ``rows``: the most rows a
    sheet declares (None when no sheet declares its size)."""

    background: bool
    size: int
    rows: int | None


def declared_rows(content: bytes) -> int | None:
    """The most rows any worksheet of an xlsx declares in its ``<dimension>`` (read from the first bytes of each
    sheet in the zip: no XML parsing, no openpyxl); None when not an xlsx or no sheet declares it."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as zf:
            found: list[int] = []
            for info in zf.infolist():
                if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                    continue
                with zf.open(info) as fh:
                    head = fh.read(4096)
                m = _DIMENSION.search(head)
                if m is not None:
                    found.append(int(m.group(1)) if m.group(1) else 1)
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError):
        return None
    return max(found) if found else None


def upload_plan(upload: Any, *, max_bytes: int | None = None, max_rows: int | None = None) -> UploadPlan:
    """Import in the background when the file is larger than ``max_bytes`` or declares more than ``max_rows``
    rows (settings ``DUALCARBON_IMPORT_ASYNC_BYTES`` / ``_ROWS``: 1 MB, 2,000), unless it cannot be imported at
    all — too large, or more rows than a sheet may hold: then the request refuses it at once, as before."""
    from django.conf import settings

    max_bytes = max_bytes if max_bytes is not None else getattr(settings, "DUALCARBON_IMPORT_ASYNC_BYTES", 1 << 20)
    max_rows = max_rows if max_rows is not None else getattr(settings, "DUALCARBON_IMPORT_ASYNC_ROWS", 2000)
    size = getattr(upload, "size", None)
    if size is None or size > MAX_BYTES or not str(getattr(upload, "name", "")).lower().endswith(".xlsx"):
        return UploadPlan(False, size or 0, None)  # refused (or measured) by the synchronous path
    rows = declared_rows(_read_bytes(upload))
    if hasattr(upload, "seek"):
        upload.seek(0)
    if rows is not None and rows > MAX_SHEET_ROWS:
        return UploadPlan(False, size, rows)  # refused at once by the streaming reader
    return UploadPlan(size > max_bytes or (rows or 0) > max_rows, size, rows)


def column_name(code: str, lang: str) -> str:
    """A column key as the user sees it: its name in the user's language (the key only when it has none)."""
    if not code:
        return ""
    if lang.startswith("en"):
        return COLUMN_LABELS_EN.get(code) or _LABELS_EN.get(code, code)
    return COLUMN_LABELS_ZH.get(code) or _LABELS.get(code, code)


def findings_for(findings: Iterable[Finding], lang: str) -> list[dict[str, Any]]:
    """Findings as rows for a page or an API answer, with the message in the user's language."""
    en = lang.startswith("en")
    return [
        {
            "rule": f.rule,
            "severity": f.severity,
            "sheet": f.sheet,
            "row": f.row,
            "column": f.column,
            "column_label": column_name(f.column, lang),
            "message": f.message_en if en else f.message_zh,
            "message_zh": f.message_zh,
            "message_en": f.message_en,
        }
        for f in findings
    ]

"""The template's 品种 (item) column offers the names the engine recognises as a drop-down (kept in a hidden
column of the guide sheet: the list is too long to be written inline) and still accepts any other name."""

from __future__ import annotations

import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from dualcarbon.engine.factors import Catalog, Options
from dualcarbon.engine.methods import SOURCE_TYPES
from dualcarbon.reporting import excel
from tests.fixtures import make_workbooks as wbk

#: the pre-filled short forms first (COMMON_LINES and INDUSTRY_LINES, in source-type order), then the default
#: factor sets' Chinese names the catalogue looks up (ndrc-2015 表2.1, the IPCC 2006 additions, process-ipcc2006
#: Vol.3, heat-default; 绿电's long name in the library is not one of them)
NAMES = (
    # fuel combustion
    "原煤", "柴油", "汽油", "天然气", "液化石油气", "焦炭", "高炉煤气", "转炉煤气", "焦炉煤气", "燃料油", "石油焦",
    "无烟煤", "烟煤", "褐煤", "洗精煤", "其他洗煤", "型煤", "其他煤制品", "原油", "一般煤油", "液化天然气", "石脑油",
    "焦油", "粗苯", "其他石油制品", "炼厂干气", "其他煤气", "兰炭", "航空煤油", "航空汽油", "沥青", "润滑油", "石蜡",
    # industrial processes
    "熟料", "石灰石", "白云石", "纯碱", "预焙阳极", "碳酸钙(石灰石)", "碳酸镁(菱镁石)", "菱铁矿", "菱锰矿",
    "熟料(默认)", "高钙石灰", "白云石灰", "玻璃(默认)", "电解铝预焙阳极", "电解铝自焙阳极",
    # CO2 recovered, purchased electricity and heat (exported ones share the names)
    "二氧化碳", "电力", "绿电", "热力",
)  # fmt: skip


def test_the_item_column_has_a_drop_down_of_the_known_names():
    wb = load_workbook(io.BytesIO(excel.build_template(wbk.CEMENT, 2024, 1)))
    assert wb.sheetnames == [
        "填报说明",
        "活动数据",
        "产品产量",
        "经济数据",
        "自有零碳发电",
        "碳抵消与绿证",
        excel.SHEET_DISCHARGE,
    ]
    guide = wb["填报说明"]
    assert guide.column_dimensions["Z"].hidden is True
    assert guide["Z1"].value == "品种列表"
    assert tuple(guide.cell(row=r, column=26).value for r in range(2, 2 + len(NAMES) + 1)) == (*NAMES, None)
    ws = wb["活动数据"]
    (dv,) = [dv for dv in ws.data_validations.dataValidation if "B3" in str(dv.sqref)]
    # 7 cement rows + 20 blank ones, at least 40 rows: rows 3..42 (excel.build_template)
    assert (dv.type, dv.formula1, str(dv.sqref)) == ("list", "'填报说明'!$Z$2:$Z$53", "B3:B42")
    # other items stay legal: Excel warns and lets the user keep the name
    assert (dv.showErrorMessage, dv.errorStyle, dv.allow_blank) == (True, "warning", True)
    assert (
        dv.error == "不在常用品种列表中。可以继续填写：核算时按名称在因子库中查找，没有缺省因子的品种须填写排放因子。"
    )


def test_every_name_offered_is_one_the_engine_recognises():
    catalog = Catalog(Options())
    for name in NAMES:
        known = [st for st in SOURCE_TYPES if catalog.lookup(st, name) is not None]
        assert known, name


def test_a_name_not_on_the_list_still_imports():
    wb = load_workbook(io.BytesIO(excel.build_template(wbk.CEMENT, 2024, 1)))
    ws = wb["活动数据"]
    ws["C3"] = 7100  # 原煤, pre-filled
    ws["A10"], ws["B10"], ws["C10"], ws["D10"] = "化石燃料燃烧", "自备窑渣油", 12, "t"
    ws["I10"], ws["J10"] = 3.1, "tCO2/t"  # an item without a default factor carries its own
    out = io.BytesIO()
    wb.save(out)
    upload = SimpleUploadedFile("t.xlsx", out.getvalue(), content_type=excel.XLSX_CONTENT_TYPE)
    data = excel.parse_workbook(upload)
    assert [(a["item"], a["quantity"], a["source_row"]) for a in data.activities] == [
        ("原煤", Decimal(7100), 3),
        ("自备窑渣油", Decimal(12), 10),
    ]

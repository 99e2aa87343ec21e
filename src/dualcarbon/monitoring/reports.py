"""The regional monthly report: a Chinese PDF (WeasyPrint, Noto Sans CJK SC, the page's SVG charts) and Excel.

Both are built from :func:`dualcarbon.monitoring.queries.dashboard` with the year to date through the
report's month — the same database sums the dashboard shows. The workbook keeps full precision; its text
cells (enterprise and region names …) are neutralised against formula injection
(:mod:`dualcarbon.engine.safe_cells`).
"""

from __future__ import annotations

import datetime
import io
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from dualcarbon.engine.safe_cells import neutralise_workbook
from dualcarbon.ui import names

from . import charts
from .queries import Dashboard

T2 = "#,##0.00"
T3 = "#,##0.000"
PCT = "0.0%"
HEAD_FILL = PatternFill("solid", fgColor="1F6F54")
HEAD_FONT = Font(bold=True, color="FFFFFF")


def _table(ws: Worksheet, titles: list[str], rows: list[list[Any]], formats: list[str | None]) -> None:
    ws.append(titles)
    for cell in ws[ws.max_row]:
        cell.fill, cell.font = HEAD_FILL, HEAD_FONT
    for row in rows:
        ws.append(row)
        for cell, fmt in zip(ws[ws.max_row], formats, strict=False):
            if fmt:
                cell.number_format = fmt
    for col, width in zip("ABCDEFGHIJ", (28, 16, 16, 16, 14, 14, 12, 12, 12, 12), strict=False):
        ws.column_dimensions[col].width = width


def workbook(d: Dashboard, month: int, generated: datetime.datetime | None = None) -> bytes:
    generated = timezone.localtime(generated or timezone.now())
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("概况")
    ws.append([_("区域碳排放月报"), f"{d.year}-{month:02d}"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([_("辖区"), "、".join(r.name for r in d.jurisdiction)])
    ws.append([_("生成时间"), generated.strftime("%Y-%m-%d %H:%M")])
    ws.append([])
    t = d.totals
    _table(
        ws,
        [_("指标"), _("本年累计"), _("上年同期"), _("同比")],
        [
            [_("排放总量 tCO2e"), t["cur_total"], t["prev_total"], t["yoy"]],
            [_("综合能耗 tce"), t["cur_energy"], t["prev_energy"], None],
            [_("碳排放强度 tCO2e/万元"), t["intensity"], t["prev_intensity"], t["intensity_yoy"]],
            [_("已核算企业"), t["cur_enterprises"], t["prev_enterprises"], None],
        ],
        [None, T2, T2, PCT],
    )
    c = d.completeness
    ws.append([])
    ws.append([_("报送完整性"), c["done"], c["expected"], c["rate"]])
    ws.cell(ws.max_row, 4).number_format = PCT

    ws = wb.create_sheet(_("按月"))
    _table(
        ws,
        [_("月份"), _("排放总量 tCO2e"), _("上年同月 tCO2e"), _("同比"), _("综合能耗 tce"), _("强度")],
        [[m["month"], m["total"], m["prev_total"], m["yoy"], m["energy"], m["intensity"]] for m in d.months],
        [None, T2, T2, PCT, T3, T3],
    )
    ws = wb.create_sheet(_("按县区"))
    _table(
        ws,
        [_("县区"), _("代码"), _("排放总量 tCO2e"), _("上年同期"), _("同比"), _("综合能耗 tce"), _("强度"), _("企业")],
        [
            [
                r["name"],
                r["region_code"],
                r["cur_total"],
                r["prev_total"],
                r["yoy"],
                r["cur_energy"],
                r["intensity"],
                r["cur_enterprises"],
            ]
            for r in d.districts
        ],
        [None, None, T2, T2, PCT, T3, T3, None],
    )
    ws = wb.create_sheet(_("按行业"))
    _table(
        ws,
        [
            _("行业大类"),
            _("代码"),
            _("排放总量 tCO2e"),
            _("上年同期"),
            _("同比"),
            _("综合能耗 tce"),
            _("强度"),
            _("企业"),
        ],
        [
            [
                names.industry_name(r["division"], r["name"]),
                r["division"],
                r["cur_total"],
                r["prev_total"],
                r["yoy"],
                r["cur_energy"],
                r["intensity"],
                r["cur_enterprises"],
            ]
            for r in d.industries
        ],
        [None, None, T2, T2, PCT, T3, T3, None],
    )
    ws = wb.create_sheet(_("报送完整性"))
    _table(
        ws,
        [_("县区"), _("代码"), _("企业"), _("应报企业月数"), _("已报"), _("缺报"), _("完整率")],
        [
            [r["name"], r["region_code"], r["enterprises"], r["expected"], r["done"], r["missing"], r["rate"]]
            for r in c["districts"]
        ],
        [None, None, None, None, None, None, PCT],
    )
    ws = wb.create_sheet(_("排放前十"))
    _table(
        ws,
        [_("企业"), _("县区"), _("行业"), _("排放总量 tCO2e"), _("综合能耗 tce"), _("月数")],
        [
            [r["enterprise__name"], r["region_name"], r["industry_code"], r["total"], r["energy"], r["months"]]
            for r in d.top
        ],
        [None, None, None, T2, T3, None],
    )
    ws = wb.create_sheet(_("目标"))
    _table(
        ws,
        [
            _("地区"),
            _("预算 tCO2e"),
            _("累计 tCO2e"),
            _("预计全年"),
            _("预计/预算"),
            _("方法"),
            _("强度目标"),
            _("累计强度"),
        ],
        [
            [
                p["region"].name,
                p["target"].total_tco2e,
                p["ytd"],
                p["projected"],
                p["projected_share"],
                p["method"],
                p["intensity_target"],
                p["intensity"],
            ]
            for p in d.targets
        ],
        [None, T2, T2, T2, PCT, None, T3, T3],
    )
    neutralise_workbook(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def pdf_html(d: Dashboard, month: int, url: str = "", generated: datetime.datetime | None = None) -> str:
    return render_to_string(
        "monitoring/report_pdf.html",
        {
            "d": d,
            "month": month,
            "month_row": d.months[month - 1],
            "trend_svg": charts.trend(d.months, d.year, width=520),
            "grades_svg": charts.grades(d.grades, width=300),
            "generated": timezone.localtime(generated or timezone.now()),
            "platform_url": url,
        },
    )


def pdf(d: Dashboard, month: int, url: str = "", generated: datetime.datetime | None = None) -> bytes:
    from weasyprint import HTML

    data = HTML(string=pdf_html(d, month, url, generated)).write_pdf()  # no base URL: nothing is fetched
    assert data is not None
    return bytes(data)

"""Account exports: an Excel workbook (汇总 / 明细 / 说明) and a Chinese PDF report (WeasyPrint).

Both are built from :func:`dualcarbon.accounting.queries.account_year` — the same stored figures the
page shows. Numbers keep full precision in the workbook (Excel number formats do the rounding); the
PDF rounds only when printing (tCO2e 2 dp, tce 3 dp). Every text cell of the workbook is neutralised against
formula injection (an item named ``=HYPERLINK(…)`` is written as the text ``'=HYPERLINK(…)``,
:mod:`dualcarbon.engine.safe_cells`).
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from dualcarbon.engine.methods import FORMULAS, TIER_MEANING
from dualcarbon.engine.safe_cells import neutralise_workbook
from dualcarbon.ui import names

from . import charts
from .models import EmissionLine
from .queries import ORIGIN_LABELS, AccountYear, formula_rows, source_label, status_label

T2 = "#,##0.00"
T3 = "#,##0.000"
PARAM = "0.######"
HEAD_FILL = PatternFill("solid", fgColor="1F6F54")
HEAD_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
THIN = Border(bottom=Side(style="thin", color="DFE5E2"))


def _header(ws: Worksheet, row: int, titles: list[str]) -> None:
    for col, title in enumerate(titles, start=1):
        cell = ws.cell(row=row, column=col, value=title)
        cell.fill = HEAD_FILL
        cell.font = HEAD_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[row].height = 32


def _widths(ws: Worksheet, widths: list[int]) -> None:
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


def _local(dt: datetime.datetime | None) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else ""


def _summary(ws: Worksheet, account: AccountYear, generated: datetime.datetime) -> None:
    e = account.enterprise
    ws["A1"] = _("%(name)s %(year)d 年度碳账户") % {"name": e.name, "year": account.year}
    ws["A1"].font = TITLE_FONT
    ws["A2"] = _("统一社会信用代码")
    ws["B2"] = e.uscc or ""
    ws["A3"] = _("行业")
    ws["B3"] = f"{e.industry.code} {names.industry_name(e.industry.code, e.industry.name_zh)}" if e.industry else ""
    ws["A4"] = _("所在地区")
    ws["B4"] = e.region.name if e.region else ""
    ws["A5"] = _("生成时间")
    ws["B5"] = _local(generated)
    titles = [
        _("月份"),
        _("排放总量 tCO2e"),
        _("范围一 tCO2e"),
        _("范围二（位置法）tCO2e"),
        _("范围二（市场法）tCO2e"),
        _("输出扣减 tCO2e"),
        _("生物质 CO2（备忘）t"),
        _("综合能耗 tce"),
        _("工业增加值 万元"),
        _("碳排放强度 tCO2e/万元"),
        _("报送版本"),
        _("状态"),
        _("提交时间"),
    ]
    top = 7
    _header(ws, top, titles)
    r = top
    for row in account.months:
        if row.entry is None and row.status == "none":
            continue
        r += 1
        ws.cell(r, 1, f"{account.year}-{row.label}")
        if row.entry is not None:
            en = row.entry
            values: list[Any] = [
                en.total_tco2e,
                en.scope1_tco2e,
                en.scope2_tco2e,
                en.scope2_market_tco2e,  # None on entries computed before the market-based view
                en.exported_tco2e,
                en.biomass_co2_t,
                en.energy_tce,
                float(en.value_added) if en.value_added is not None else None,
                en.intensity,
            ]
            for c, (v, fmt) in enumerate(zip(values, [T2, T2, T2, T2, T2, T2, T3, T2, T2], strict=True), start=2):
                cell = ws.cell(r, c, v)
                cell.number_format = fmt
        ws.cell(r, 11, f"v{row.version}" if row.version else "")
        ws.cell(r, 12, row.status_label)
        ws.cell(r, 13, _local(row.submitted_at))
    r += 1
    t = account.totals
    ws.cell(r, 1, _("合计")).font = Font(bold=True)
    totals = [
        t["total"],
        t["scope1"],
        t["scope2"],
        t["scope2_market"],
        t["exported"],
        t["biomass"],
        t["energy"],
        float(t["va_sum"]) if t["va_sum"] is not None else None,
        t["intensity"],
    ]
    for c, (v, fmt) in enumerate(zip(totals, [T2, T2, T2, T2, T2, T2, T3, T2, T2], strict=True), start=2):
        total_cell = ws.cell(r, c, v)
        total_cell.number_format = fmt
        total_cell.font = Font(bold=True)
    r += 2
    ws.cell(r, 1, _("按排放源类别")).font = Font(bold=True)
    _header(ws, r + 1, [_("排放源类别"), "tCO2e", _("占比")])
    r += 1
    for s in account.by_source:
        r += 1
        ws.cell(r, 1, s.label)
        ws.cell(r, 2, s.tco2e).number_format = T2
        ws.cell(r, 3, s.share).number_format = "0.0%"
    r += 2
    ws.cell(r, 1, _("数据质量等级")).font = Font(bold=True)
    _header(ws, r + 1, [_("等级"), "tCO2e", _("占比"), _("含义")])
    r += 1
    for tier in account.tiers:
        r += 1
        ws.cell(r, 1, tier.key)
        ws.cell(r, 2, tier.tco2e).number_format = T2
        ws.cell(r, 3, tier.share).number_format = "0.0%"
        ws.cell(r, 4, tier.label)
    ws.freeze_panes = f"B{top + 1}"
    _widths(ws, [22, 16, 14, 16, 16, 14, 16, 14, 14, 16, 10, 10, 18])


def _details(ws: Worksheet, lines: Iterable[EmissionLine]) -> None:
    titles = [
        _("月份"),
        _("报送版本"),
        _("行号"),
        _("工作表"),
        _("工作表行"),
        _("排放源类别"),
        _("报送品种"),
        _("报送数量"),
        _("报送单位"),
        _("品种代码"),
        _("品种名称"),
        _("换算后数量"),
        _("换算后单位"),
        _("单位换算系数"),
        _("低位发热量 NCV"),
        _("NCV 来源"),
        _("单位热值含碳量 CC"),
        _("CC 来源"),
        _("碳氧化率 OF"),
        _("OF 来源"),
        _("排放因子 EF"),
        _("EF 来源"),
        _("综合排放因子"),
        _("因子引用"),
        _("因子集"),
        _("因子集版本"),
        _("公式"),
        _("公式表达式"),
        _("依据标准"),
        _("气体"),
        _("排放量 t"),
        "GWP",
        _("GWP 表"),
        "tCO2e",
        _("生物质 CO2 t"),
        _("综合能耗 tce"),
        _("折标方法"),
        _("数据质量等级"),
        _("市场法因子"),
        _("市场法因子来源"),
        _("市场法 tCO2e"),
    ]
    _header(ws, 1, titles)

    def origin(code: str) -> str:
        return str(ORIGIN_LABELS.get(code, code)) if code else ""

    r = 1
    for ln in lines:
        r += 1
        a = ln.activity
        entry = ln.run.entry
        f = FORMULAS.get(ln.formula)
        row: list[Any] = [
            entry.period,
            ln.run.submission.version,
            a.line_no,
            a.source_sheet,
            a.source_row,
            source_label(ln.source_type),
            a.item,
            float(a.quantity),
            a.unit,
            ln.item,
            names.item_name(ln.item, ln.item_name),
            ln.quantity,
            ln.activity_unit,
            ln.unit_factor,
            ln.ncv,
            origin(ln.ncv_origin),
            ln.carbon_content,
            origin(ln.carbon_content_origin),
            ln.oxidation_rate,
            origin(ln.oxidation_rate_origin),
            ln.factor,
            origin(ln.factor_origin),
            ln.emission_factor,
            ln.factor_ref,
            ln.factor_set,
            ln.factor_set_version,
            ln.formula,
            f.expression if f else "",
            f.standard if f else "",
            ln.gas,
            ln.emission_t,
            ln.gwp,
            ln.gwp_table,
            ln.tco2e,
            ln.biomass_co2_t,
            ln.energy_tce,
            ln.energy_method,
            ln.quality_tier,
            ln.market_factor,
            ln.market_ref,
            ln.market_tco2e,
        ]
        for c, v in enumerate(row, start=1):
            ws.cell(r, c, v)
        for c in (31, 34, 35):
            ws.cell(r, c).number_format = T2
        ws.cell(r, 36).number_format = T3
        ws.cell(r, 41).number_format = T2
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(titles))}{max(r, 1)}"
    _widths(
        ws,
        [10, 8, 6, 12, 8, 14, 12, 12, 8, 14, 12, 14, 8, 10]
        + [12] * 9
        + [40, 14, 10, 16, 28, 30, 8]
        + [12] * 8
        + [12, 48, 12],
    )


def _notes(ws: Worksheet, account: AccountYear, generated: datetime.datetime, url: str = "") -> None:
    ws["A1"] = _("核算方法与因子集说明")
    ws["A1"].font = TITLE_FONT
    r = 3
    lines = [
        _("本表由双碳平台 DualCarbon 生成，时间：%(t)s。") % {"t": _local(generated)},
        _("每个数字均可在平台上追溯至活动数据、参数（含来源）、因子集版本与公式。"),
        _("工作簿中的数值为全精度存储值，显示时 tCO2e 保留 2 位小数、tce 保留 3 位小数。"),
    ]
    if url:
        lines.append(_("平台地址：%(u)s") % {"u": url})
    for text in lines:
        ws.cell(r, 1, text)
        r += 1
    r += 1
    ws.cell(r, 1, _("公式")).font = Font(bold=True)
    r += 1
    _header(ws, r, [_("公式"), _("表达式"), _("依据标准"), _("说明")])
    for fr in account.formulas or formula_rows(list(FORMULAS)):
        r += 1
        ws.cell(r, 1, fr["code"])
        ws.cell(r, 2, fr["expression"])
        ws.cell(r, 3, fr["standard"])
        ws.cell(r, 4, fr["name_zh"])
    r += 2
    ws.cell(r, 1, _("因子集")).font = Font(bold=True)
    r += 1
    _header(ws, r, [_("因子集"), _("版本"), _("名称"), _("发布者/来源"), _("文件"), _("发布日期"), _("置信度"), "URL"])
    for s in account.factor_sets:
        r += 1
        for c, v in enumerate(
            [s.name, s.version, s.title, s.publisher, s.document, s.published, s.confidence, s.url], start=1
        ):
            ws.cell(r, c, v)
    r += 2
    ws.cell(r, 1, _("核算选项")).font = Font(bold=True)
    for opt in account.options:
        r += 1
        ws.cell(r, 1, str(opt["key"]))
        v = opt["value"]
        ws.cell(r, 2, ", ".join(map(str, v)) if isinstance(v, list) else ("" if v is None else str(v)))
    r += 2
    ws.cell(r, 1, _("数据质量等级")).font = Font(bold=True)
    for tier, meaning in TIER_MEANING.items():
        r += 1
        ws.cell(r, 1, tier)
        ws.cell(r, 2, meaning)
    _widths(ws, [24, 34, 40, 40, 40, 12, 20, 40])


def workbook(
    account: AccountYear, lines: Iterable[EmissionLine], generated: datetime.datetime | None = None, url: str = ""
) -> bytes:
    """The account as an .xlsx: 汇总 (monthly totals), 明细 (lines with lineage), 说明 (methods, factor sets)."""
    generated = generated or timezone.now()
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = "汇总"
    _summary(summary, account, generated)
    _details(wb.create_sheet("明细"), lines)
    _notes(wb.create_sheet("说明"), account, generated, url)
    neutralise_workbook(wb)  # enterprises name their items, products and references: text, never formulas
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def pdf_html(account: AccountYear, url: str = "", generated: datetime.datetime | None = None) -> str:
    generated = generated or timezone.now()
    return render_to_string(
        "accounting/report_pdf.html",
        {
            "account": account,
            "enterprise": account.enterprise,
            # the year's total = scope 1 + scope 2 − exported as printed, and whether the year is complete
            "identity": account.identity,
            "period": account.period,
            "trend_svg": charts.account_trend(account.months, width=560),
            "generated": timezone.localtime(generated),
            "platform_url": url,
            "tier_meaning": TIER_MEANING,
        },
    )


def pdf(account: AccountYear, url: str = "", generated: datetime.datetime | None = None) -> bytes:
    """The Chinese PDF report (A4), with the same SVG trend chart as the page."""
    from weasyprint import HTML

    data = HTML(string=pdf_html(account, url, generated)).write_pdf()  # no base URL: nothing is fetched
    assert data is not None
    return bytes(data)


__all__ = ["pdf", "pdf_html", "status_label", "workbook"]

"""The dispatch report (调度报告): the board's figures by group, measure and locality, the overdue and at-risk
tasks and the indicators, as a Chinese A4 PDF (WeasyPrint) and an Excel workbook (openpyxl)."""

from __future__ import annotations

import datetime
import io
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from . import services

HEAD = ["名称", "任务数", "已完成", "逾期", "滞后", "平均进度 %", "项目数", "总投资（元）", "预计减排 tCO2/年"]


def context(user: Any, programme: Any, on: datetime.date | None = None) -> dict[str, Any]:
    summary = services.dispatch_summary(user, programme, on)
    year = summary.on.year
    return {
        "programme": programme,
        "summary": summary,
        "indicators": services.indicator_values(user, programme, year),
        "year": year,
        "sections": [
            ("按专班小组", summary.by_group),
            ("按举措", summary.by_measure),
            ("按属地", summary.by_locality),
        ],
    }


def pdf(user: Any, programme: Any, on: datetime.date | None = None) -> bytes:
    from weasyprint import HTML

    with override("zh-hans"):  # the report is Chinese, whatever the page's language
        html = render_to_string(
            "programme/report_pdf.html",
            {**context(user, programme, on), "generated": timezone.localtime(timezone.now())},
        )
    data = HTML(string=html).write_pdf()
    assert data is not None
    return bytes(data)


def _row(t: services.Tally) -> list[Any]:
    return [
        t.label,
        t.tasks,
        t.done,
        t.overdue,
        t.at_risk,
        float(t.mean_progress) if t.mean_progress is not None else None,
        t.projects,
        t.investment,
        t.expected_tco2,
    ]


def xlsx(user: Any, programme: Any, on: datetime.date | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    ctx = context(user, programme, on)
    s: services.Summary = ctx["summary"]
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "调度汇总"
    ws.append([f"{programme.name_zh} 调度报告", f"截至 {s.on.isoformat()}"])
    ws["A1"].font = Font(bold=True, size=13)
    for title, rows in ctx["sections"]:
        ws.append([])
        ws.append([title])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
        ws.append(HEAD)
        for t in rows:
            ws.append(_row(t))
        ws.append(_row(s.total))
    for col, width in zip("ABCDEFGHI", (28, 9, 9, 9, 9, 12, 9, 18, 18), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_col=8, max_col=9):
        for c in row:
            if not isinstance(c.value, str):
                c.number_format = "#,##0.00"
    late = wb.create_sheet("逾期与滞后任务")
    late.append(["状态", "编号", "任务", "责任小组", "属地", "完成时限", "进度 %", "应达进度 %"])
    for label, rows in (("逾期", s.overdue), ("滞后", s.at_risk)):
        for t, _status in rows:
            late.append(
                [
                    label,
                    t.code,
                    t.title_zh,
                    t.group.name_zh,
                    t.locality.name,
                    t.due_date,
                    t.progress,
                    services.expected_progress(t, s.on),
                ]
            )
    ind = wb.create_sheet("举措指标")
    ind.append(["举措", "指标", "单位", f"{ctx['year']} 年目标", "实绩", "是否达标", "数据来源"])
    for v in ctx["indicators"]:
        ind.append(
            [
                v.indicator.measure.code,
                v.indicator.name_zh,
                v.indicator.unit,
                v.target,
                v.actual,
                {True: "达标", False: "未达标", None: "—"}[v.met],
                v.lineage,
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

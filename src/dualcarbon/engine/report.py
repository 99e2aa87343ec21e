"""Excel output of an engine run: totals, lines, and the options and sources used (openpyxl).

Every text cell is neutralised against formula injection (:mod:`.safe_cells`) before the file is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from .methods import FORMULAS, TIER_MEANING
from .safe_cells import neutralise_workbook


def _sheet(wb: Workbook, title: str, frame: Any) -> None:
    ws = wb.create_sheet(title)
    ws.append(list(frame.columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        ws.append([None if (isinstance(v, float) and v != v) else v for v in row])
    ws.freeze_panes = "A2"


def write_xlsx(result: Any, path: Path) -> None:
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    _sheet(wb, "汇总 totals", result.totals_frame())
    _sheet(wb, "明细 lines", result.lines_frame())
    ws = wb.create_sheet("说明 method")
    ws.append(["项 item", "值 value"])
    for k, v in result.meta.get("options", {}).items():
        ws.append([k, str(v)])
    ws.append([])
    ws.append(["公式 formula", "表达式 expression", "标准 standard"])
    for f in FORMULAS.values():
        ws.append([f.code, f.expression, f.standard])
    ws.append([])
    for tier, meaning in TIER_MEANING.items():
        ws.append([f"数据质量等级 tier {tier}", meaning])
    neutralise_workbook(wb)  # an entity or item from the input file may start with "=" …
    wb.save(path)

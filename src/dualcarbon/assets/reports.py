"""The revenue report as Excel (docs/assets.md § Revenue): the same figures as the page, from
:func:`dualcarbon.assets.queries.revenue_view` — totals by district × factor, each cell's entries named, every entry
with its source and derivation, the uses and the balances. Amounts are numbers with two decimals; text cells are
neutralised against formula injection (:mod:`dualcarbon.engine.safe_cells`)."""

from __future__ import annotations

import io
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from dualcarbon.engine.safe_cells import neutralise_workbook

from .queries import RevenueView

YUAN = "#,##0.00"


def _name(obj: Any, fallback: str) -> str:
    if obj is None:
        return fallback
    if hasattr(obj, "name_zh"):
        return obj.name_en if (get_language() or "").startswith("en") else obj.name_zh
    return obj.name


def _ids(cell: Any) -> str:
    return ", ".join(f"#{pk}" for pk in cell.entries) if cell else ""


def revenue_workbook(view: RevenueView) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = _("按区县与因子")
    ws.append([_("排污权有偿使用和交易收入"), view.year])
    ws["A1"].font = Font(bold=True, size=14)
    other = _("其他资产")
    ws.append([_("区县"), *[_name(f, other) for f in view.factors], _("合计"), _("所计收入（编号）")])
    for d in view.districts:
        code = d.code if d else ""
        cells = [view.cells.get((code, f.pk if f else None)) for f in view.factors]
        total = view.by_district.get(code)
        amounts = [c.total if c else None for c in cells]
        ws.append([_name(d, "—"), *amounts, total.total if total else None, _ids(total)])
        for cell in ws[ws.max_row][1 : len(cells) + 2]:
            cell.number_format = YUAN
    totals = [view.by_factor.get(f.pk if f else None) for f in view.factors]
    ws.append([_("合计"), *[c.total if c else None for c in totals], view.total])
    for cell in ws[ws.max_row][1:]:
        cell.number_format = YUAN
    ws.column_dimensions["A"].width = 20

    es = wb.create_sheet(_("收入明细"))
    es.append([
        _("编号"), _("入账日期"), _("收入账户"), _("来源"), _("缴款或受让企业"), _("区县"), _("因子"), _("金额（元）"),
        _("来源与计算"),
    ])  # fmt: skip
    for e, text in view.entries:
        es.append([
            e.pk, e.booked_on, e.account.region.name, str(e.get_source_display()), e.payer.name,
            _name(e.district, "—"), _name(e.factor, other), e.amount, text,
        ])  # fmt: skip
        es.cell(es.max_row, 8).number_format = YUAN
    es.column_dimensions["I"].width = 90

    us = wb.create_sheet(_("收入使用"))
    us.append([
        _("收入账户"), _("支出日期"), _("使用类别"), _("用途"), _("金额（元）"), _("批准文号"), _("凭证"), _("登记人"),
    ])  # fmt: skip
    for u in view.uses:
        us.append([
            u.account.region.name, u.used_on, str(u.get_category_display()), u.purpose, u.amount,
            u.approval_reference, u.evidence, u.approved_by.get_username(),
        ])  # fmt: skip
        us.cell(us.max_row, 5).number_format = YUAN
    us.append([])
    us.append([_("收入账户"), _("余额（元）")])
    for a in view.accounts:
        us.append([a.region.name, a.balance])
        us.cell(us.max_row, 2).number_format = YUAN
    neutralise_workbook(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

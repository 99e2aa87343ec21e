"""Months broken by numbers the database stored but cannot read back (``dualcarbon repair_numbers``).

Before the number rule (:mod:`dualcarbon.engine.numbers`) every channel could store a value too large for its
column — ``1E+20``, ``1e308`` or ``Infinity`` through the API or a workbook, 10^15 万元 of value added. SQLite keeps
such a value as it came; Django then fails reading it back into a DECIMAL(24, 8) / DECIMAL(18, 4)
(``decimal.InvalidOperation``), so every page, upload, submit and template of that month answered 500 for the
firm and for government. PostgreSQL refused those writes (numeric overflow), so it has none.

:func:`find` reads every decimal of the reporting records raw and passes it through the database's own converter:
what fails is listed. :func:`repair` then puts each broken value of a **draft** into a state its enterprise can fix:
the value is blanked (NULL where the field may be empty, 0 where it may not) and an error finding
``repaired_number`` is added at its sheet, row and column, quoting the value that was there. The finding blocks
submitting until the enterprise saves the draft again (saving replaces the records, and the rule now refuses the
value with a located message). A **submitted, verified or locked** version is never changed: it is listed and the
command exits with status 1 (such a version cannot be reached through the workflow — submitting reads the values —
so one found was written around it and needs a person).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models.expressions import Col

from dualcarbon.engine.messages import Problem

from .models import (
    ActivityRecord,
    EconomicRecord,
    GenerationRecord,
    OffsetRecord,
    ProductionRecord,
    Submission,
    ValidationIssue,
)
from .services import REPAIRED_RULE

#: the rule of the finding a repair leaves (services keep it until the draft is saved again)
RULE = REPAIRED_RULE
RECORD_MODELS: tuple[type[models.Model], ...] = (
    ActivityRecord,
    ProductionRecord,
    EconomicRecord,
    GenerationRecord,
    OffsetRecord,
)
SHEETS: dict[type[models.Model], str] = {EconomicRecord: "经济数据"}
BATCH = 5000


@dataclass(frozen=True)
class Broken:
    """One stored value the database cannot read back."""

    model: type[models.Model]
    pk: int
    field: str
    raw: Any
    submission_id: int
    status: str
    sheet: str
    row: int | None

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def is_draft(self) -> bool:
        return self.status == Submission.Status.DRAFT

    def describe(self) -> str:
        where = f"{self.sheet or '-'} row {self.row if self.row is not None else '-'}"
        version = f"submission {self.submission_id}, {self.status}"
        return f"{self.table} id={self.pk} {self.field}={self.raw!r} ({version}, {where})"


def _readable(raw: Any, converters: list[Any], col: Col) -> bool:
    value = raw
    try:
        for converter in converters:
            value = converter(value, col, connection)
    except (ArithmeticError, TypeError, ValueError):
        return False
    return value is None or (isinstance(value, Decimal) and value.is_finite())


def find() -> Iterator[Broken]:
    """Every reporting decimal that cannot be read back, read raw (one pass per table, in batches)."""
    qn = connection.ops.quote_name
    for model in RECORD_MODELS:
        fields = [f for f in model._meta.concrete_fields if isinstance(f, models.DecimalField)]
        table = model._meta.db_table
        checks = []
        for f in fields:
            col = Col(table, f)
            checks.append((f, col, connection.ops.get_db_converters(col) + f.get_db_converters(connection)))
        located = [n for n in ("source_sheet", "source_row", "line_no") if n in {f.name for f in model._meta.fields}]
        columns = ["id", "submission_id", *(str(f.column) for f in fields), *located]
        sql = f"SELECT {', '.join(qn(c) for c in columns)} FROM {qn(table)} WHERE {qn('id')} > %s ORDER BY {qn('id')}"
        last = 0
        while True:
            with connection.cursor() as cursor:
                cursor.execute(sql + f" LIMIT {BATCH}", [last])
                rows = cursor.fetchall()
            if not rows:
                break
            last = rows[-1][0]
            bad = []
            for row in rows:
                values = dict(zip(columns, row, strict=True))
                for f, col, converters in checks:
                    if not _readable(values[str(f.column)], converters, col):
                        bad.append((values, f))
            if not bad:
                continue
            statuses = dict(
                Submission.objects.filter(pk__in={v["submission_id"] for v, _f in bad}).values_list("pk", "status")
            )
            for values, f in bad:
                yield Broken(
                    model,
                    values["id"],
                    f.name,
                    values[str(f.column)],
                    values["submission_id"],
                    statuses.get(values["submission_id"], "?"),
                    values.get("source_sheet") or SHEETS.get(model, ""),
                    values.get("source_row") or values.get("line_no"),
                )


def _finding(b: Broken, blank: Any) -> ValidationIssue:
    shown = str(b.raw)
    shown = shown if len(shown) <= 60 else shown[:57] + "…"
    where = Problem("not_a_number", b.row, b.field, None, None, b.sheet or None)
    loc_zh = where.message("zh").split("：")[0]
    loc_en = where.message("en").split(": ")[0]
    now = "空" if blank is None else "0"
    now_en = "empty" if blank is None else "0"
    return ValidationIssue(
        submission_id=b.submission_id,
        severity=ValidationIssue.Severity.ERROR,
        rule=RULE,
        sheet=b.sheet,
        row=b.row,
        column=b.field,
        message_zh=f"{loc_zh}：原值 “{shown}” 超出可存储的范围，已由系统维护清为{now}；请填写正确数值后重新保存草稿"
        f"（规则 {RULE}）",
        message_en=f"{loc_en}: the value “{shown}” was out of range and has been reset to {now_en} by maintenance; "
        f"enter the right value and save the draft again (rule {RULE})",
    )


def repair(broken: list[Broken]) -> tuple[list[Broken], list[Broken]]:
    """Blank the broken values of drafts and add a finding for each (one transaction). Returns (repaired,
    left alone: values of submitted, verified or locked versions, never changed here)."""
    drafts = [b for b in broken if b.is_draft]
    others = [b for b in broken if not b.is_draft]
    with transaction.atomic():
        for b in drafts:
            field = b.model._meta.get_field(b.field)
            blank = None if field.null else Decimal(0)
            b.model._default_manager.filter(pk=b.pk).update(**{b.field: blank})
            ValidationIssue.objects.bulk_create([_finding(b, blank)])
    return drafts, others

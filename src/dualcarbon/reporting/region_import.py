"""Bulk onboarding of a region (``dualcarbon import-region FILE…``, docs/operations.md § Bulk onboarding).

One set of files (CSV, Parquet or XLSX) holds three tables, each recognised by its columns:

* **enterprises** — the registry's spreadsheet columns (:data:`dualcarbon.registry.imports.COLUMNS`: name, uscc,
  county (GB/T 2260 code or name), industry (GB/T 4754), size, above_scale, contacts, a site), checked by
  :func:`dualcarbon.registry.imports.check_rows`, the rules of the register's own import;
* **activities** — one activity line per row, the reporting form's and Excel's fields
  (:data:`dualcarbon.engine.inputs.ACTIVITY_COLUMNS`: source_type, item, quantity, unit, ncv …) with ``uscc`` and
  ``period`` (``YYYY-MM``);
* **months** — one row per enterprise-month: ``uscc``, ``period``, ``value_added`` (required by the validators),
  ``output_value``, ``revenue`` (万元).

Two passes over the input, enterprise by enterprise in chunks (the tables sit in a DuckDB database on disk,
sorted, so Python holds one chunk at a time):

1. :func:`validate` — every month through the same checks a submitted month meets: the number rule
   (:func:`.services.unparseable`), the engine's checks (one engine run per chunk and method policy) and every
   validator (:func:`.validators.run_all`, the month's context built from the files). Any error stops the import:
   nothing is written.
2. :func:`write` — in one transaction: the new enterprises (with their first history version), then per chunk the
   periods, version 1 of each month (status submitted, current, channel ``import``), its records, its warnings as
   validation issues, and the announcement :data:`.hooks.submission_submitted` with the chunk's months, on which
   the accounting app computes all their accounts in one engine run.

A month that already has a version (a re-import) is skipped, never replaced: corrections go through the
reporting workflow. An enterprise already registered (same USCC) is reused when the importing user maintains it.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dualcarbon.engine import InputError, account_table, records_table
from dualcarbon.engine.inputs import ACTIVITY_COLUMNS, NUMERIC_COLUMNS
from dualcarbon.engine.messages import COLUMN_LABELS_ZH
from dualcarbon.registry import imports as registry_imports
from dualcarbon.registry import services as registry_services
from dualcarbon.registry.models import Organisation

from . import hooks, services, validators
from .models import ActivityRecord, EconomicRecord, ReportingPeriod, Submission, ValidationIssue

ENTERPRISES, ACTIVITIES, MONTHS = "enterprises", "activities", "months"
MONTH_FIELDS = ("value_added", "output_value", "revenue")
KEY_ALIASES = {
    "uscc": "uscc",
    "entity": "uscc",
    "统一社会信用代码": "uscc",
    "企业": "uscc",
    "period": "period",
    "报告期": "period",
    "期间": "period",
}
ACTIVITY_HEADERS = {
    **{c: c for c in ACTIVITY_COLUMNS},
    **{COLUMN_LABELS_ZH[c]: c for c in ACTIVITY_COLUMNS if c in COLUMN_LABELS_ZH},
    **KEY_ALIASES,
}
MONTH_HEADERS = {
    **{c: c for c in MONTH_FIELDS},
    "工业增加值": "value_added",
    "工业总产值": "output_value",
    "营业收入": "revenue",
    **KEY_ALIASES,
}
PERIOD = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
#: enterprises per chunk (a chunk's months are checked in one engine run, written and accounted together)
CHUNK_ENTERPRISES = 200
#: errors kept for the list (the count says how many there were)
MAX_ERRORS = 1000
XLSX_BATCH = 20_000


@dataclass(frozen=True)
class ImportError_:
    """One thing wrong with the input, located: file, row (as the user counts it), column code."""

    file: str
    row: int | None
    column: str
    rule: str
    message_zh: str
    message_en: str

    def message(self, lang: str) -> str:
        return self.message_en if lang.startswith("en") else self.message_zh

    def as_dict(self, lang: str) -> dict[str, Any]:
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "rule": self.rule,
            "message": self.message(lang),
        }


class RegionImportInvalid(Exception):
    """The input cannot be imported; nothing was written."""

    def __init__(self, errors: Sequence[ImportError_], total: int | None = None):
        self.errors = list(errors)
        self.total = total if total is not None else len(self.errors)
        super().__init__(f"{self.total} error(s); nothing was imported")


@dataclass
class Summary:
    enterprises_created: int = 0
    enterprises_existing: int = 0
    months_imported: int = 0
    months_skipped: int = 0
    activity_lines: int = 0
    accounts_computed: int = 0
    warnings: int = 0
    engine_runs: int = 0
    skipped: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["skipped"] = self.skipped[:100]
        out["seconds"] = {k: round(v, 3) for k, v in self.seconds.items()}
        out["seconds_total"] = round(sum(self.seconds.values()), 3)
        return out


def _err(file: str, row: int | None, column: str, rule: str, zh: str, en: str) -> ImportError_:
    where_zh = "，".join(p for p in (file, f"第 {row} 行" if row else "", f"“{column}”列" if column else "") if p)
    where_en = ", ".join(p for p in (file, f"row {row}" if row else "", f"column {column}" if column else "") if p)
    return ImportError_(file, row, column, rule, f"{where_zh}：{zh}", f"{where_en}: {en}")


# ------------------------------------------------------------------------------------------------ loading


class Tables:
    """The input tables in a DuckDB database on disk (all values as text), sorted by enterprise and month."""

    def __init__(self, workdir: str | None = None):
        self._dir = tempfile.TemporaryDirectory(prefix="import-region-", dir=workdir)
        self.con = duckdb.connect(os.path.join(self._dir.name, "input.duckdb"))
        self.con.execute("SET preserve_insertion_order = true")
        self.con.execute("SET memory_limit = '1GB'")
        self.con.execute("SET threads = 2")
        self.columns: dict[str, list[str]] = {}
        self.files: dict[str, list[str]] = defaultdict(list)

    def close(self) -> None:
        self.con.close()
        self._dir.cleanup()

    def __enter__(self) -> Tables:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _kind_of(headers: Sequence[str]) -> str | None:
    keys = {h.strip().lower() for h in headers}
    if keys & {"name", "企业名称", "enterprise name"}:
        return ENTERPRISES
    if keys & {"source_type", "排放源类别", "item", "品种"}:
        return ACTIVITIES
    if keys & {"value_added", "工业增加值"}:
        return MONTHS
    return None


def _stripped(text: str) -> str:
    return text.strip()


def _mapping(kind: str, headers: Sequence[str], file: str, errors: list[ImportError_]) -> dict[str, str]:
    """Header → column code, and the errors of unknown, duplicate and missing headers."""
    if kind == ENTERPRISES:
        table = dict(registry_imports.HEADER_KEYS)
        key: Callable[[str], str] = registry_imports._header_key
        required = [c.code for c in registry_imports.COLUMNS if c.required]
    else:
        table = ACTIVITY_HEADERS if kind == ACTIVITIES else MONTH_HEADERS
        key = _stripped
        required = [
            "uscc",
            "period",
            *(("source_type", "item", "quantity", "unit") if kind == ACTIVITIES else ("value_added",)),
        ]
    out: dict[str, str] = {}
    for h in headers:
        code = table.get(key(h)) or table.get(key(h).lower())
        if code is None:
            errors.append(_err(file, 1, h, "unknown_header", f"无法识别的表头“{h}”", f"unknown header “{h}”"))
        elif code in out.values():
            errors.append(_err(file, 1, h, "duplicate_header", f"表头“{h}”重复", f"header “{h}” appears twice"))
        else:
            out[h] = code
    for code in required:
        if code not in out.values():
            errors.append(
                _err(file, 1, code, "missing_column", f"缺少必填列“{code}”", f"required column “{code}” is missing")
            )
    return out


def _add(tables: Tables, kind: str, file: str, mapping: dict[str, str], source: str, row_offset: int) -> None:
    """Append ``source`` (a DuckDB relation name or SQL) to the kind's raw table, columns as codes (text)."""
    cols = ", ".join(f'CAST("{h}" AS VARCHAR) AS "{c}"' for h, c in mapping.items())
    quoted = file.replace("'", "''")
    number = f"CAST(row_number() OVER () + {row_offset} AS BIGINT)"
    select = f"SELECT '{quoted}' AS _file, {number} AS _row, {cols} FROM {source}"
    name = f"raw_{kind}_{len(tables.files[kind])}"
    tables.con.execute(f"CREATE TABLE {name} AS {select}")
    tables.files[kind].append(name)


def load(paths: Sequence[str | Path], tables: Tables) -> list[ImportError_]:
    """Read every file into ``tables``; the errors of files that cannot be read as one of the three tables."""
    errors: list[ImportError_] = []
    for path in map(Path, paths):
        file = path.name
        suffix = path.suffix.lower()
        if not path.exists():
            errors.append(_err(file, None, "", "missing_file", "文件不存在", "the file does not exist"))
            continue
        try:
            if suffix in (".csv", ".parquet"):
                reader = (
                    f"read_csv('{path}', all_varchar=true, header=true)"
                    if suffix == ".csv"
                    else f"read_parquet('{path}')"
                )
                headers = [d[0] for d in tables.con.execute(f"SELECT * FROM {reader} LIMIT 0").description]
                kind = _kind_of(headers)
                if kind is None:
                    errors.append(_unknown_table(file))
                    continue
                mapping = _mapping(kind, headers, file, errors)
                _add(tables, kind, file, mapping, reader, 1 if suffix == ".csv" else 0)
            elif suffix == ".xlsx":
                _load_xlsx(path, tables, errors)
            else:
                errors.append(
                    _err(
                        file,
                        None,
                        "",
                        "file_type",
                        "只接受 CSV、Parquet 或 XLSX 文件",
                        "only CSV, Parquet or XLSX files",
                    )
                )
        except (duckdb.Error, OSError, ValueError, KeyError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            errors.append(
                _err(file, None, "", "unreadable", f"无法读取文件：{first}", f"cannot read the file: {first}")
            )
    return errors


def _unknown_table(file: str) -> ImportError_:
    return _err(
        file,
        1,
        "",
        "unknown_table",
        "无法判断是哪张表：企业表须有 name/企业名称 列，活动数据表须有 source_type 列，月度表须有 value_added 列",
        "cannot tell which table this is: enterprises need a name column, activities a source_type column, "
        "months a value_added column",
    )


def _load_xlsx(path: Path, tables: Tables, errors: list[ImportError_]) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        for ws in wb.worksheets:
            file = f"{path.name}[{ws.title}]"
            rows = ws.iter_rows(values_only=True)
            header = [registry_imports._text(h) for h in (next(rows, None) or ())]
            width = len(header)
            while width and not header[width - 1]:
                width -= 1
            header = header[:width]
            kind = _kind_of(header)
            if kind is None:
                if any(header):
                    errors.append(_unknown_table(file))
                continue
            mapping = _mapping(kind, [h for h in header if h], file, errors)
            index = {h: i for i, h in enumerate(header) if h in mapping}
            batch: list[dict[str, Any]] = []
            first = 2

            def flush(batch: list[dict[str, Any]], first: int) -> None:
                frame = pd.DataFrame.from_records(batch, columns=list(mapping))  # noqa: B023
                tables.con.register("xlsx_batch", frame)
                _add(tables, kind, file, mapping, "xlsx_batch", first - 1)  # noqa: B023
                tables.con.unregister("xlsx_batch")

            number = 1
            for number, values in enumerate(rows, start=2):
                texts = {h: registry_imports._text(values[i]) if i < len(values) else "" for h, i in index.items()}
                # a blank row is kept (the row numbers stay) and dropped with the blank rows of every table
                batch.append({h: (t if t != "" else None) for h, t in texts.items()})
                if len(batch) >= XLSX_BATCH:
                    flush(batch, first)
                    batch, first = [], number + 1
            if batch:
                flush(batch, first)
    finally:
        wb.close()


def _union(tables: Tables, kind: str, codes: Sequence[str]) -> str:
    parts = []
    for name in tables.files.get(kind, []):
        have = {d[0] for d in tables.con.execute(f"SELECT * FROM {name} LIMIT 0").description}
        cols = ", ".join(f'"{c}"' if c in have else f'CAST(NULL AS VARCHAR) AS "{c}"' for c in codes)
        parts.append(f"SELECT _file, _row, {cols} FROM {name}")
    if not parts:
        nulls = ", ".join(f'CAST(NULL AS VARCHAR) AS "{c}"' for c in codes)
        return f"SELECT CAST(NULL AS VARCHAR) AS _file, CAST(NULL AS BIGINT) AS _row, {nulls} WHERE false"
    return " UNION ALL ".join(parts)


def prepare(tables: Tables) -> None:
    """The three tables, blank rows dropped, keys trimmed, sorted by USCC, month and input row."""
    con = tables.con
    ent_codes = list(registry_imports.CODES)
    act_codes = ["uscc", "period", *ACTIVITY_COLUMNS]
    month_codes = ["uscc", "period", *MONTH_FIELDS]
    for kind, codes in ((ENTERPRISES, ent_codes), (ACTIVITIES, act_codes), (MONTHS, month_codes)):
        not_blank = " OR ".join(f"nullif(trim(\"{c}\"), '') IS NOT NULL" for c in codes)
        key = "upper(trim(uscc))" if kind == ENTERPRISES else "upper(trim(uscc)), trim(period)"
        extra = "" if kind == ENTERPRISES else ", upper(trim(uscc)) AS _uscc, trim(period) AS _period"
        con.execute(
            f"CREATE TABLE {kind} AS SELECT *{extra} FROM ({_union(tables, kind, codes)}) "
            f"WHERE {not_blank} ORDER BY {key}, _file, _row"
        )


# ------------------------------------------------------------------------------------------------ checking


@dataclass
class Month:
    """One enterprise-month of the input: its lines (text as read, the file's row) and economic values."""

    uscc: str
    period: str
    year: int
    month: int
    lines: list[dict[str, Any]] = field(default_factory=list)
    economic: dict[str, Any] | None = None
    file: str = ""
    row: int | None = None
    findings: list[validators.Finding] = field(default_factory=list)
    #: the lines as stored (numbers parsed by the rule), once the number rule passed
    parsed: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Enterprise:
    uscc: str
    region_code: str
    org: Organisation | None = None
    #: months already holding a version (skipped) and months reported in the database: (year, month)
    existing_months: set[tuple[int, int]] = field(default_factory=set)


class Plan:
    """What the input holds once the enterprises are checked: the enterprises by USCC, the new ones' rows."""

    def __init__(self) -> None:
        self.enterprises: dict[str, Enterprise] = {}
        self.new: list[registry_imports.Prepared] = []
        self.existing = 0


def check_enterprises(user: Any, tables: Tables, errors: list[ImportError_]) -> Plan:
    """The enterprises table through the register's own checks; a USCC already registered is reused when the user
    maintains it."""
    plan = Plan()
    rows = tables.con.execute(
        f"SELECT _file, _row, {', '.join(f'coalesce(trim({c}), {chr(39)}{chr(39)})' for c in registry_imports.CODES)} "
        "FROM enterprises"
    ).fetchall()
    by_file: dict[str, list[registry_imports.RawRow]] = defaultdict(list)
    usccs = {str(r[2 + registry_imports.CODES.index("uscc")]).strip().upper() for r in rows}
    registered: dict[str, Organisation] = {}
    listed = sorted(u for u in usccs if u)
    for i in range(0, len(listed), 5000):
        for org in Organisation.objects.filter(uscc__in=listed[i : i + 5000]):
            registered[str(org.uscc)] = org
    for r in rows:
        values = dict(zip(registry_imports.CODES, (str(v) for v in r[2:]), strict=True))
        uscc = values["uscc"].upper()
        if uscc in registered:
            org = registered[uscc]
            if uscc in plan.enterprises:
                errors.append(_dup(r[0], r[1], uscc))
            elif not registry_services.can_manage_enterprise(user, org):
                errors.append(_not_managed(r[0], r[1], uscc))
            else:
                plan.enterprises[uscc] = Enterprise(uscc, org.region_id or "", org)
                plan.existing += 1
            continue
        by_file[r[0]].append(registry_imports.RawRow(int(r[1]), values, {c: c for c in registry_imports.CODES}))
    _registered_elsewhere(user, tables, plan, errors, set(usccs))
    seen: dict[str, tuple[str, int | None]] = {}
    for file, raws in by_file.items():
        for i in range(0, len(raws), 5000):
            chunk = raws[i : i + 5000]
            prepared, problems = registry_imports.check_rows(user, chunk)
            for bad in problems:
                errors.append(
                    ImportError_(file, bad.row, bad.column, bad.rule, f"{file}，{bad.zh}", f"{file}, {bad.en}")
                )
            for p in prepared:
                if p.uscc in seen or p.uscc in plan.enterprises:
                    errors.append(_dup(file, p.row, p.uscc))
                    continue
                seen[p.uscc] = (file, p.row)
                plan.enterprises[p.uscc] = Enterprise(p.uscc, p.region.code)
                plan.new.append(p)
    return plan


def _registered_elsewhere(user: Any, tables: Tables, plan: Plan, errors: list[ImportError_], listed: set[str]) -> None:
    """Enterprises the months name that are registered already but not in the enterprises table: reused when the
    user maintains them."""
    rows = tables.con.execute(
        "SELECT _uscc, min(_file), min(_row) FROM (SELECT _uscc, _file, _row FROM activities UNION ALL "
        "SELECT _uscc, _file, _row FROM months) WHERE _uscc IS NOT NULL GROUP BY _uscc ORDER BY _uscc"
    ).fetchall()
    first = {u: (f, r) for u, f, r in rows if u not in listed}
    names = sorted(first)
    for i in range(0, len(names), 5000):
        for org in Organisation.objects.filter(uscc__in=names[i : i + 5000], kind=Organisation.Kind.ENTERPRISE):
            uscc = str(org.uscc)
            if registry_services.can_manage_enterprise(user, org):
                plan.enterprises[uscc] = Enterprise(uscc, org.region_id or "", org)
                plan.existing += 1
            else:
                file, row = first[uscc]
                errors.append(_not_managed(file, row, uscc))


def _not_managed(file: str, row: int, uscc: str) -> ImportError_:
    return _err(
        file,
        row,
        "uscc",
        "not_managed",
        f"统一社会信用代码“{uscc}”已由其他辖区登记，您无权为其导入数据",
        f"USCC “{uscc}” is registered outside your jurisdiction: you may not import its data",
    )


def _dup(file: str, row: int | None, uscc: str) -> ImportError_:
    return _err(file, row, "uscc", "duplicate_in_file", f"统一社会信用代码“{uscc}”重复", f"USCC “{uscc}” appears twice")


def _keys(tables: Tables, errors: list[ImportError_], plan: Plan) -> list[str]:
    """The USCCs of the months, checked: a known enterprise, a month YYYY-MM in range, one economic row a month."""
    con = tables.con
    con.register("known_frame", pd.DataFrame({"uscc": pd.Series(list(plan.enterprises), dtype="object")}))
    con.execute("CREATE OR REPLACE TABLE known AS SELECT CAST(uscc AS VARCHAR) AS uscc FROM known_frame")
    con.unregister("known_frame")
    for kind in (ACTIVITIES, MONTHS):
        rows = con.execute(
            f"SELECT _file, _row, _uscc, _period FROM {kind} WHERE _uscc IS NULL OR _period IS NULL "
            "OR NOT regexp_full_match(_period, '\\d{4}-\\d{1,2}') "
            "OR TRY_CAST(split_part(_period, '-', 1) AS INTEGER) NOT BETWEEN 2000 AND 2100 "
            "OR TRY_CAST(split_part(_period, '-', 2) AS INTEGER) NOT BETWEEN 1 AND 12 "
            "OR _uscc NOT IN (SELECT uscc FROM known) ORDER BY _file, _row"
        ).fetchall()
        for file, row, uscc, period in rows:
            if not uscc:
                errors.append(_err(file, row, "uscc", "required", "统一社会信用代码为必填项", "the USCC is required"))
            elif uscc not in plan.enterprises:
                errors.append(
                    _err(
                        file,
                        row,
                        "uscc",
                        "unknown_enterprise",
                        f"统一社会信用代码“{uscc}”既不在企业表中，也未登记（或企业表中该行有误）",
                        f"USCC “{uscc}” is neither in the enterprises table nor registered (or its row there is wrong)",
                    )
                )
            if not _valid(period):
                errors.append(
                    _err(
                        file,
                        row,
                        "period",
                        "invalid_period",
                        f"报告期“{period or ''}”无效（应为 YYYY-MM，年 2000–2100，月 1–12）",
                        f"invalid period “{period or ''}” (YYYY-MM, year 2000–2100, month 1–12)",
                    )
                )
    dups = con.execute(
        "SELECT _file, _row, _uscc, _period FROM (SELECT *, row_number() OVER "
        "(PARTITION BY _uscc, _period ORDER BY _file, _row) AS n FROM months) WHERE n > 1 ORDER BY _file, _row"
    ).fetchall()
    for file, row, uscc, period in dups:
        errors.append(
            _err(
                file,
                row,
                "period",
                "duplicate_month",
                f"{uscc} {period} 的月度数据重复",
                f"the month {period} of {uscc} appears twice",
            )
        )
    return [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT _uscc FROM (SELECT _uscc FROM activities UNION ALL SELECT _uscc FROM months) "
            "WHERE _uscc IN (SELECT uscc FROM known) ORDER BY 1"
        ).fetchall()
    ]


def _valid(period: str) -> bool:
    m = PERIOD.match(period or "")
    return bool(m) and services.valid_period(int(m.group(1)), int(m.group(2)))  # type: ignore[union-attr]


def _months(tables: Tables, usccs: Sequence[str]) -> list[Month]:
    """The months of some enterprises with their lines and economic values (sorted by USCC, month)."""
    con = tables.con
    known = set(usccs)
    lo, hi = usccs[0], usccs[-1]
    out: dict[tuple[str, str], Month] = {}

    def month(uscc: str, period: str) -> Month | None:
        m = PERIOD.match(period or "")
        if not m or not _valid(period) or uscc not in known:
            return None
        year, mo = int(m.group(1)), int(m.group(2))
        key = (uscc, f"{year}-{mo:02d}")
        if key not in out:
            out[key] = Month(uscc, key[1], year, mo)
        return out[key]

    cols = ", ".join(f'"{c}"' for c in ACTIVITY_COLUMNS)
    cur = con.execute(
        f"SELECT _file, _row, _uscc, _period, {cols} FROM activities WHERE _uscc BETWEEN ? AND ? "
        "ORDER BY _uscc, _period, _file, _row",
        [lo, hi],
    )
    while batch := cur.fetchmany(20_000):
        for r in batch:
            mo = month(r[2], r[3])
            if mo is None:
                continue
            rec: dict[str, Any] = dict(zip(ACTIVITY_COLUMNS, r[4:], strict=True))
            rec["source_sheet"], rec["source_row"] = r[0][:64], int(r[1])
            mo.lines.append(rec)
            if mo.row is None:
                mo.file, mo.row = r[0], int(r[1])
    cur = con.execute(
        "SELECT _file, _row, _uscc, _period, value_added, output_value, revenue FROM months "
        "WHERE _uscc BETWEEN ? AND ? ORDER BY _uscc, _period, _file, _row",
        [lo, hi],
    )
    for r in cur.fetchall():
        mo = month(r[2], r[3])
        if mo is None or mo.economic is not None:
            continue
        mo.economic = {
            "value_added": r[4],
            "output_value": r[5],
            "revenue": r[6],
            "source_sheet": r[0][:64],
            "source_row": int(r[1]),
        }
        mo.file, mo.row = r[0], int(r[1])
    return [out[k] for k in sorted(out)]


def _existing_months(plan: Plan, usccs: Sequence[str]) -> None:
    """The months of already registered enterprises that hold a version (one query per chunk)."""
    orgs = {plan.enterprises[u].org.pk: plan.enterprises[u] for u in usccs if plan.enterprises[u].org is not None}  # type: ignore[union-attr]
    if not orgs:
        return
    for org_id, year, month in (
        ReportingPeriod.objects.filter(enterprise_id__in=list(orgs), submissions__isnull=False)
        .values_list("enterprise_id", "year", "month")
        .distinct()
    ):
        orgs[org_id].existing_months.add((year, month))


def _engine_frame(
    months: Sequence[Month], regions: dict[str, str]
) -> tuple[pd.DataFrame, list[tuple[Month, dict[str, Any]]]]:
    """The months' lines as the engine's input (``activity_frame``'s shape): ``_row`` numbers the lines."""
    where: list[tuple[Month, dict[str, Any]]] = []
    records = []
    for i, mo in enumerate(months):
        for rec in mo.parsed:
            where.append((mo, rec))
            row: dict[str, Any] = {
                "_row": len(where) - 1,
                "_sheet": rec["source_sheet"] or None,
                "entity": str(i),
                "period": mo.period,
                "region": regions[mo.uscc],
            }
            for f in ACTIVITY_COLUMNS:
                v = rec[f]
                row[f] = float(v) if f in NUMERIC_COLUMNS and v is not None else (v or None)
            records.append(row)
    frame = pd.DataFrame.from_records(records)
    for f in NUMERIC_COLUMNS:
        if f in frame:
            frame[f] = pd.to_numeric(frame[f], errors="coerce").astype("float64")
    return frame, where


def check_chunk(plan: Plan, months: list[Month], summary: Summary, check: bool = True) -> list[Month]:
    """Every check a submitted month meets, on the chunk's months (the skipped ones left out): the findings are put
    on each month; the months to write are returned. ``check=False``: the months already passed (the write pass),
    only their lines parsed as they are stored."""
    todo: list[Month] = []
    for mo in months:
        ent = plan.enterprises[mo.uscc]
        if (mo.year, mo.month) in ent.existing_months:
            summary.months_skipped += 1
            summary.skipped.append(f"{mo.uscc} {mo.period}")
            continue
        data = services.DraftData(activities=mo.lines, economic=mo.economic)
        mo.findings = services.unparseable(data) if check else []
        mo.parsed = (
            []
            if mo.findings
            else [
                {**services.activity_values(r), "source_sheet": r["source_sheet"], "source_row": r["source_row"]}
                for r in mo.lines
            ]
        )
        todo.append(mo)
    if not check:
        return todo
    regions = {u: e.region_code for u, e in plan.enterprises.items()}
    engine_problems: dict[int, list[Any]] = defaultdict(list)
    policies = registry_services.method_policies()
    groups: dict[int | None, list[Month]] = defaultdict(list)
    for mo in todo:
        if mo.parsed:
            p = registry_services.policy_for(regions[mo.uscc], None, policies)
            groups[p.pk if p else None].append(mo)
    by_pk = {p.pk: p for p in policies}
    con = services.engine_connection()
    for pk, group in groups.items():
        options = registry_services.options_for(by_pk.get(pk) if pk is not None else None)
        frame, where = _engine_frame(group, regions)
        summary.engine_runs += 1
        try:
            account_table(con, records_table(frame), options)
        except InputError as exc:
            for found in exc.problems:
                if found.row is None or not (0 <= found.row < len(where)):
                    continue
                mo, rec = where[found.row]
                engine_problems[id(mo)].append(
                    type(found)(
                        found.rule,
                        rec["source_row"],
                        found.column,
                        found.value,
                        found.hint,
                        rec["source_sheet"] or None,
                    )
                )
    options_of: dict[str, Any] = {}
    for code in {regions[mo.uscc] for mo in todo}:
        options_of[code] = registry_services.options_for(registry_services.policy_for(code, None, policies))
    history: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    reported: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for mo in todo:
        reported[mo.uscc].add((mo.year, mo.month))
    for mo in todo:
        ent = plan.enterprises[mo.uscc]
        months_known = reported[mo.uscc] | ent.existing_months
        ctx = validators.Context(
            year=mo.year,
            month=mo.month,
            activities=mo.parsed,
            production=[],
            economic=services.economic_values(mo.economic) if not mo.findings else None,
            history=history[mo.uscc],
            missing_months=[f"{mo.year}-{m:02d}" for m in range(1, mo.month) if (mo.year, m) not in months_known],
            options=options_of[regions[mo.uscc]],
            engine_problems=engine_problems.get(id(mo), []),
        )
        if not mo.findings:
            mo.findings = [_locate(f, mo) for f in validators.run_all(ctx)]
        history[mo.uscc][ctx.label] = validators._month_totals(ctx)
    return todo


def _locate(f: validators.Finding, mo: Month) -> validators.Finding:
    """A finding about the month as a whole (or its economic data) located on the month's row in the input."""
    if f.row is None or f.sheet in ("", "经济数据"):
        econ = mo.economic or {}
        return dataclasses.replace(
            f,
            sheet=str(econ.get("source_sheet") or mo.file)[:64],
            row=econ.get("source_row") or mo.row,
        )
    return f


def _finding_error(f: validators.Finding, mo: Month) -> ImportError_:
    return ImportError_(
        f.sheet or mo.file,
        f.row,
        f.column,
        f.rule,
        f"{mo.uscc} {mo.period}：{f.message_zh}",
        f"{mo.uscc} {mo.period}: {f.message_en}",
    )


def _chunks(usccs: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(usccs), size):
        yield usccs[i : i + size]


# ------------------------------------------------------------------------------------------------ the command


def _check_user(user: Any) -> None:
    if not registry_services._can_register(user):
        raise PermissionDenied(_("只有政府工作人员和平台管理员可以登记企业"))


def run(
    user: Any,
    paths: Sequence[str | Path],
    chunk_enterprises: int = CHUNK_ENTERPRISES,
    progress: Callable[[str], None] | None = None,
    workdir: str | None = None,
) -> Summary:
    """Validate everything, then write and account (see the module's docstring). Raises
    :class:`RegionImportInvalid` (nothing written) or PermissionDenied."""
    _check_user(user)
    summary = Summary()
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        summary.seconds[name] = summary.seconds.get(name, 0.0) + now - clock
        clock = now

    say = progress or (lambda _text: None)
    with Tables(workdir) as tables:
        errors = load(paths, tables)
        if errors:
            raise RegionImportInvalid(errors)
        prepare(tables)
        lap("read")
        plan = check_enterprises(user, tables, errors)
        usccs = _keys(tables, errors, plan)
        total = len(errors)
        tables.con.execute(
            "CREATE TABLE warnings (uscc VARCHAR, period VARCHAR, rule VARCHAR, severity VARCHAR, sheet VARCHAR, "
            '"row" BIGINT, "column" VARCHAR, zh VARCHAR, en VARCHAR)'
        )
        for n, chunk in enumerate(_chunks(usccs, chunk_enterprises)):
            _existing_months(plan, chunk)
            warnings = []
            for mo in check_chunk(plan, _months(tables, chunk), summary):
                for f in mo.findings:
                    if f.severity == validators.ERROR:
                        total += 1
                        if len(errors) < MAX_ERRORS:
                            errors.append(_finding_error(f, mo))
                    elif not errors:
                        where = (f.sheet, f.row, f.column)
                        warnings.append((mo.uscc, mo.period, f.rule, f.severity, *where, f.message_zh, f.message_en))
            if warnings and not errors:  # kept on disk for the write pass (bounded memory)
                tables.con.executemany("INSERT INTO warnings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", warnings)
            say(f"validate {min((n + 1) * chunk_enterprises, len(usccs))}/{len(usccs)}")
        lap("validate")
        if errors:
            raise RegionImportInvalid(errors, total)
        summary.months_skipped, summary.skipped = 0, []
        with transaction.atomic():
            created = registry_services.register_enterprises_bulk(user, plan.new)
            for p, org in zip(plan.new, created, strict=True):
                plan.enterprises[p.uscc].org = org
            summary.enterprises_created, summary.enterprises_existing = len(created), plan.existing
            lap("write")
            for n, chunk in enumerate(_chunks(usccs, chunk_enterprises)):
                _existing_months(plan, chunk)
                months = check_chunk(plan, _months(tables, chunk), summary, check=False)
                _warnings_of(tables, chunk, months)
                submitted = _write_chunk(user, plan, months, summary)
                lap("write")
                if submitted:
                    hooks.submission_submitted.send(sender=Submission, submissions=submitted, user=user)
                    summary.accounts_computed += len(submitted)
                lap("account")
                say(f"write {min((n + 1) * chunk_enterprises, len(usccs))}/{len(usccs)}")
    return summary


def _warnings_of(tables: Tables, usccs: Sequence[str], months: Sequence[Month]) -> None:
    """The warnings the validate pass found on the chunk's months, put back on them (stored as the month's issues)."""
    found: dict[tuple[str, str], list[validators.Finding]] = defaultdict(list)
    rows = tables.con.execute(
        'SELECT uscc, period, rule, severity, sheet, "row", "column", zh, en FROM warnings WHERE uscc BETWEEN ? AND ?',
        [usccs[0], usccs[-1]],
    ).fetchall()
    for uscc, period, rule, severity, sheet, row, column, zh, en in rows:
        found[(uscc, period)].append(validators.Finding(rule, severity, zh, en, sheet, row, column))
    for mo in months:
        mo.findings = found.get((mo.uscc, mo.period), [])


def _write_chunk(user: Any, plan: Plan, months: Sequence[Month], summary: Summary) -> list[Submission]:
    """The chunk's months as submitted version 1 with their records and warnings (bulk), as the reporting services
    store a submitted month."""
    now = timezone.now()
    periods, subs = [], []
    for mo in months:
        org = plan.enterprises[mo.uscc].org
        period = ReportingPeriod(enterprise=org, year=mo.year, month=mo.month)
        periods.append(period)
        subs.append(
            Submission(
                period=period,
                enterprise=org,
                version=1,
                status=Submission.Status.SUBMITTED,
                is_current=True,
                channel=Submission.Channel.IMPORT,
                created_by=user,
                submitted_by=user,
                submitted_at=now,
            )
        )
    ReportingPeriod.objects.bulk_create(periods, batch_size=2000)
    for s in subs:
        s.period_id = s.period.pk
    Submission.objects.bulk_create(subs, batch_size=2000)
    acts: list[ActivityRecord] = []
    econs: list[EconomicRecord] = []
    issues: list[ValidationIssue] = []
    for s, mo in zip(subs, months, strict=True):
        for i, rec in enumerate(mo.parsed, start=1):
            acts.append(
                ActivityRecord(
                    submission=s,
                    line_no=i,
                    source_sheet=rec["source_sheet"],
                    source_row=rec["source_row"],
                    **{k: v for k, v in rec.items() if k not in ("source_sheet", "source_row")},
                )
            )
        economic = services.economic_values(mo.economic)
        if economic is not None:
            econs.append(EconomicRecord(submission=s, **economic))
        issues.extend(
            ValidationIssue(
                submission=s,
                severity=f.severity,
                rule=f.rule,
                sheet=f.sheet or "",
                row=f.row,
                column=f.column or "",
                message_zh=f.message_zh,
                message_en=f.message_en,
            )
            for f in mo.findings
        )
    ActivityRecord.objects.bulk_create(acts, batch_size=5000)
    EconomicRecord.objects.bulk_create(econs, batch_size=5000)
    ValidationIssue.objects.bulk_create(issues, batch_size=5000)
    summary.months_imported += len(subs)
    summary.activity_lines += len(acts)
    summary.warnings += len(issues)
    return subs

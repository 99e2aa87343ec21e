"""Electricity-carbon from meter data (电碳监测): interval readings → monthly kWh and tCO2e per entity.

Input: one row per meter reading, columns ``meter_id, entity, ts, kwh`` and optionally ``direction``
(``import``/``export``, also 正向/反向; empty = import) and ``region`` (GB/T 2260 code, province or grid
name, as on an activity line). ``ts`` is the start of the interval, in the meter's local clock (China has
no daylight saving time, so a day always has 96 quarter hours); ``kwh`` is the energy of that interval.

The work is done in the backend by Ibis expressions (the same on DuckDB and Spark), in two aggregations:

1. per interval slot — (meter, entity, region, direction, ts) — the number of copies and the lowest and
   highest kWh received;
2. per meter, direction and month — the kWh counted, the slots on the interval grid and the findings.

Only the second result (one row per meter series and month) comes back to Python; the totals per entity,
region and month and the tCO2e are computed from it. The grid factor of a (region, year) is the one the
account engine gives a purchased-electricity line in kWh of that region and year
(:func:`.factors.resolve_dimensions`), and the tCO2e is computed with the account engine's arithmetic
(quantity × unit factor × grid factor × GWP × sign), so the same kWh give the same tCO2e through
``dualcarbon account`` and ``dualcarbon meters``.

Rules (docs/methods.md § 3, Meter data):

* exact duplicates — several copies of a slot with the same kWh — count once; the extra copies are
  reported (``duplicate``);
* conflicting duplicates — copies of a slot with different kWh — count the highest value of an import
  slot and the lowest of an export slot (the choice that never understates the net consumption) and are
  reported (``conflict``: slots, their copies and the spread high − low);
* negative readings and implausible ones (above ``max_kw`` × the interval, default 100 MW × 0.25 h =
  25,000 kWh per quarter hour) are not counted and are reported with their kWh;
* a reading whose ts is not on the interval grid (seconds since 1970-01-01 not a multiple of the
  interval) is counted and reported (``off_grid``); it does not fill a grid interval;
* missing intervals: per meter series present in a month, the intervals of the whole calendar month
  minus the grid intervals received.
"""

from __future__ import annotations

import calendar
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from . import backends, factors
from .accounting import _number
from .inputs import InputFile, read_activity
from .messages import InputError, Problem
from .methods import SOURCE_TYPES as SOURCES

REQUIRED_COLUMNS = ("meter_id", "entity", "ts", "kwh")
OPTIONAL_COLUMNS = ("direction", "region")
DEFAULT_INTERVAL_MINUTES = 15
#: the highest plausible power of one meter, kW (a 220 kV industrial connection is well below 100 MW)
DEFAULT_MAX_KW = 100_000.0
#: the text accepted for a direction, lower-cased (empty or absent = import)
DIRECTIONS = {
    "import": "import",
    "in": "import",
    "正向": "import",
    "正向有功": "import",
    "购入": "import",
    "export": "export",
    "out": "export",
    "反向": "export",
    "反向有功": "export",
    "上网": "export",
    "输出": "export",
}
GRID_UNIT = "tCO2/MWh"
#: the account engine's line for a meter's kWh: its source types by direction, item and unit
ITEM, UNIT = "电力", "kWh"
SOURCE_TYPES = {"import": "purchased_electricity", "export": "exported_electricity"}

TOTAL_COLUMNS = (
    "entity",
    "period",
    "region",
    "kwh",
    "import_kwh",
    "export_kwh",
    "tco2e",
    "grid_factor",
    "grid_unit",
    "grid_ref",
    "grid_set",
    "grid_version",
    "meters",
    "readings",
    "expected_intervals",
    "received_intervals",
    "missing_intervals",
    "duplicate_readings",
    "conflicting_intervals",
    "negative_readings",
    "implausible_readings",
    "off_grid_readings",
)
FINDING_COLUMNS = ("entity", "period", "region", "meter_id", "direction", "finding", "count", "readings", "kwh")
#: the findings, in the order they are listed, and what their ``count``, ``readings`` and ``kwh`` are
FINDINGS = {
    "missing_intervals": "count: grid intervals of the month without a reading",
    "duplicate": "count: extra copies of a reading (counted once); kwh: their kWh, not counted",
    "conflict": "count: intervals with copies that disagree; readings: their copies; kwh: the spread high − low",
    "negative": "count: negative readings, not counted; kwh: their sum",
    "implausible": "count: readings above max_kw × interval, not counted; kwh: their sum",
    "off_grid": "count: readings whose ts is not on the interval grid, counted; kwh: their sum",
}


@dataclass(frozen=True)
class MeterOptions:
    grid: str = factors.DEFAULT_GRID
    interval_minutes: int = DEFAULT_INTERVAL_MINUTES
    max_kw: float = DEFAULT_MAX_KW
    gwp: str = factors.DEFAULT_GWP

    @property
    def max_kwh(self) -> float:
        """The largest plausible kWh of one interval."""
        return self.max_kw * self.interval_minutes / 60.0

    def describe(self) -> dict[str, Any]:
        return {
            "grid": self.grid,
            "interval_minutes": self.interval_minutes,
            "max_kw": self.max_kw,
            "max_kwh_per_interval": self.max_kwh,
            "gwp": self.gwp,
        }


@dataclass
class MeterResult:
    """Monthly totals per entity, region and period; findings per meter series and period."""

    totals: pd.DataFrame
    findings: pd.DataFrame
    series: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)


def _text(col: ir.Value) -> ir.StringValue:
    return (col if col.type().is_string() else col.cast("string")).strip()


def typed(raw: ir.Table, lean: bool = False) -> ir.Table:
    """The readings with typed columns (``m_ts`` timestamp, ``m_kwh`` float, ``m_dir`` import/export or null for
    an unknown direction, ``m_region`` text, '' when absent) next to the columns as given.

    ``lean``: the :func:`check` found no text with blanks around it and no direction other than import, export
    or empty, so the text is used as given and the direction by a single comparison (no string function per
    reading: the aggregation's cost on 100 million readings).
    """
    cols = set(raw.columns)
    t = raw
    ts = t.ts
    if ts.type().is_timestamp():
        m_ts = ts
    elif ts.type().is_string():
        m_ts = ts.strip().try_cast("timestamp")
    else:
        m_ts = ts.try_cast("timestamp")
    text = _as_given if lean else _text
    if "direction" not in cols:
        m_dir = ibis.literal("import")
    elif lean:
        m_dir = ibis.ifelse(t.direction == "export", "export", "import")
    else:
        d = _text(t.direction).lower().fill_null("")
        m_dir = d.cases(*DIRECTIONS.items(), ("", "import"), else_=ibis.null().cast("string"))
    m_region = text(t.region).fill_null("") if "region" in cols else ibis.literal("")
    return t.mutate(
        m_meter=text(t.meter_id),
        m_entity=text(t.entity),
        m_ts=m_ts,
        m_kwh=_number(t.kwh),
        m_dir=m_dir,
        m_region=m_region,
    )


def _as_given(col: ir.Value) -> ir.StringValue:
    return col if col.type().is_string() else col.cast("string")


def _padded(col: ir.Value) -> ir.BooleanValue:
    """The text has blanks around it (so :func:`typed` must strip it)."""
    text = _as_given(col)
    return text.fill_null("") != text.strip().fill_null("")


def _first_row(t: ir.Table) -> dict[str, ir.Value]:
    """The first row of a slot, to locate a problem found later (none when the table has no row numbers)."""
    if "_row" not in t.columns:
        return {}
    return {"first_row": t._row.min()}


def _given(col: ir.Value) -> ir.BooleanValue:
    if col.type().is_string():
        return col.notnull() & (col.strip() != "")
    return col.notnull()


def _bad_rules(t: ir.Table) -> list[tuple[str, str, ir.BooleanValue]]:
    """(rule, column, condition) of a reading that cannot be used: the file's fault, reported with its row."""
    kwh_nan = t.m_kwh.isnan() | t.m_kwh.isinf() if t.kwh.type().is_floating() else ibis.literal(False)
    rules = [
        ("required", "meter_id", t.m_meter.isnull() | (t.m_meter == "")),
        ("required", "entity", t.m_entity.isnull() | (t.m_entity == "")),
        ("required", "ts", ~_given(t.ts)),
        ("bad_timestamp", "ts", _given(t.ts) & t.m_ts.isnull()),
        ("required", "kwh", ~_given(t.kwh)),
        ("not_a_number", "kwh", _given(t.kwh) & (t.m_kwh.isnull() | kwh_nan)),
    ]
    if "direction" in t.columns:
        rules.append(("bad_direction", "direction", t.m_dir.isnull()))
    return rules


def check(con: Any, t: ir.Table, limit: int = 50) -> bool:
    """Raise InputError with the first ``limit`` unusable readings (located by row) and their number.

    One scan; it also returns whether the lean form of :func:`typed` gives the same readings (no text with
    blanks around it, every direction import, export or empty).
    """
    rules = _bad_rules(t)
    bad = rules[0][2]
    for _, _, cond in rules[1:]:
        bad = bad | cond
    padded = ibis.literal(False)
    for c in ("meter_id", "entity", "region"):
        if c in t.columns:
            padded = padded | _padded(t[c])
    if "direction" in t.columns:
        d = t.direction if t.direction.type().is_string() else t.direction.cast("string")
        padded = padded | ~(d.isnull() | d.isin(("import", "export")))
    profile = con.execute(
        t.aggregate(bad=bad.fill_null(True).cast("int64").sum(), padded=padded.cast("int64").max())
    ).iloc[0]
    total = 0 if pd.isna(profile["bad"]) else int(profile["bad"])
    if not total:
        return not pd.isna(profile["padded"]) and int(profile["padded"]) == 0
    flags = {f"b{i}": cond.fill_null(True) for i, (_, _, cond) in enumerate(rules)}
    shown = {c: _text(t[c]) for c in ("meter_id", "ts", "kwh", *(["direction"] if "direction" in t.columns else []))}
    rows = con.execute(
        t.filter(bad.fill_null(True))
        .select(_row=t._row if "_row" in t.columns else ibis.null().cast("int64"), **shown, **flags)
        .order_by("_row")
        .limit(limit)
    ).to_dict("records")
    problems = []
    for r in rows:
        for i, (rule, column, _) in enumerate(rules):
            if r[f"b{i}"]:
                row = None if pd.isna(r["_row"]) else int(r["_row"])
                value = r.get(column)
                problems.append(Problem(rule, row, column, None if pd.isna(value) else str(value)))
                break
    raise InputError(problems, total)


def series_months(t: ir.Table, options: MeterOptions) -> ir.Table:
    """One row per meter series (meter, entity, region, direction) and month: the kWh counted and the findings.

    ``t`` is :func:`typed` readings without unusable ones (see :func:`check`).
    """
    slot = t.group_by(meter_id=t.m_meter, entity=t.m_entity, region=t.m_region, direction=t.m_dir, ts=t.m_ts).agg(
        copies=t.count(), lo=t.m_kwh.min(), hi=t.m_kwh.max(), **_first_row(t)
    )
    if "first_row" not in slot.columns:
        slot = slot.mutate(first_row=ibis.null().cast("int64"))
    chosen = ibis.ifelse(slot.direction == "export", slot.lo, slot.hi)
    negative = chosen < 0
    implausible = chosen > options.max_kwh
    counted = ~negative & ~implausible
    step = options.interval_minutes * 60
    off_grid = ((slot.ts.epoch_seconds() % step) != 0) | (slot.ts.millisecond() != 0)
    conflict = slot.lo != slot.hi
    zero = ibis.literal(0.0)
    s = slot.mutate(
        year=slot.ts.year(),
        month=slot.ts.month(),
        kwh=ibis.ifelse(counted, chosen, zero),
        dup=ibis.ifelse(conflict, 0, slot.copies - 1),
        dup_kwh=ibis.ifelse(conflict, zero, (slot.copies - 1).cast("float64") * slot.lo),
        conflict=conflict.cast("int64"),
        conflict_copies=ibis.ifelse(conflict, slot.copies, 0),
        spread=slot.hi - slot.lo,
        negative=negative.cast("int64"),
        negative_kwh=ibis.ifelse(negative, chosen, zero),
        implausible=implausible.cast("int64"),
        implausible_kwh=ibis.ifelse(implausible, chosen, zero),
        on_grid=(~off_grid).cast("int64"),
        off_grid=off_grid.cast("int64"),
        off_grid_kwh=ibis.ifelse(off_grid & counted, chosen, zero),
    )
    return s.group_by("entity", "region", "meter_id", "direction", "year", "month").agg(
        kwh=s.kwh.sum(),
        readings=s.copies.sum(),
        received=s.on_grid.sum(),
        duplicate=s.dup.sum(),
        duplicate_kwh=s.dup_kwh.sum(),
        conflict=s.conflict.sum(),
        conflict_readings=s.conflict_copies.sum(),
        conflict_kwh=s.spread.sum(),
        negative=s.negative.sum(),
        negative_kwh=s.negative_kwh.sum(),
        implausible=s.implausible.sum(),
        implausible_kwh=s.implausible_kwh.sum(),
        off_grid=s.off_grid.sum(),
        off_grid_kwh=s.off_grid_kwh.sum(),
        first_row=s.first_row.min(),
    )


def intervals_in_month(year: int, month: int, interval_minutes: int) -> int:
    """Grid intervals of a calendar month (no daylight saving time in China: every day has 24 hours)."""
    return calendar.monthrange(year, month)[1] * 24 * 60 // interval_minutes


def _factors(series: pd.DataFrame, options: MeterOptions) -> pd.DataFrame:
    """The account engine's resolution of a kWh line per (direction, region, year): factor, unit multiplier, sign."""
    keys = series[["direction", "region", "year"]].drop_duplicates()
    first = series.groupby(["direction", "region", "year"], dropna=False)["first_row"].min()
    dims = pd.DataFrame(
        {
            "source_type": keys["direction"].map(SOURCE_TYPES),
            "item": ITEM,
            "unit": UNIT,
            "ncv_unit": "",
            "factor_unit": "",
            "gas": "",
            "region": keys["region"].astype(str),
            "year": keys["year"].astype(int).astype(str),
        }
    )
    acct = factors.Options(grid=options.grid, gwp=options.gwp)
    resolved = factors.resolve_dimensions(dims, acct).table
    resolved = resolved.reset_index(drop=True)
    resolved["direction"] = keys["direction"].to_numpy()
    resolved["year"] = keys["year"].astype(int).to_numpy()
    problems = []
    for r in resolved.to_dict("records"):
        if isinstance(r.get("problem"), str) and r["problem"]:
            row = first.get((r["direction"], r["region"], r["year"]))
            column = {"period": "ts"}.get(r["problem_column"], r["problem_column"])
            located = None if row is None or pd.isna(row) else int(row)
            problems.append(Problem(r["problem"], located, column, r["problem_value"], r["problem_hint"]))
    if problems:
        raise InputError(problems)
    # the weight of a line in the total: GWP × the source type's sign (+1 purchased, −1 exported), as accounting.py
    resolved["w_total"] = [
        float(g) * SOURCES[SOURCE_TYPES[d]].sign for g, d in zip(resolved["gwp"], resolved["direction"], strict=True)
    ]
    return resolved[
        ["direction", "region", "year", "grid_factor", "grid_ref", "grid_set", "grid_version", "qty_mult", "w_total"]
    ]


def summarise(series: pd.DataFrame, options: MeterOptions, meta: dict[str, Any] | None = None) -> MeterResult:
    """Totals per entity, region and month, and the findings, from :func:`series_months` (materialised)."""
    # sorted, so that the sums over meters do not depend on the order the backend returned them in
    series = series.sort_values(["entity", "region", "year", "month", "meter_id", "direction"]).reset_index(drop=True)
    for c in (
        "year",
        "month",
        "readings",
        "received",
        "duplicate",
        "conflict",
        "conflict_readings",
        "negative",
        "implausible",
        "off_grid",
    ):
        series[c] = series[c].astype("int64")
    series["period"] = [f"{y:04d}-{m:02d}" for y, m in zip(series["year"], series["month"], strict=True)]
    series["expected"] = [
        intervals_in_month(int(y), int(m), options.interval_minutes)
        for y, m in zip(series["year"], series["month"], strict=True)
    ]
    series["missing"] = (series["expected"] - series["received"]).clip(lower=0)
    if series.empty:
        return MeterResult(
            pd.DataFrame(columns=list(TOTAL_COLUMNS)), pd.DataFrame(columns=list(FINDING_COLUMNS)), series, meta or {}
        )
    resolved = _factors(series, options)
    series = series.merge(resolved, on=["direction", "region", "year"], how="left")
    # the account engine's arithmetic on one line of this kWh: quantity × unit factor × grid factor × GWP × sign
    series["import_kwh"] = series["kwh"].where(series["direction"] == "import", 0.0)
    series["export_kwh"] = series["kwh"].where(series["direction"] == "export", 0.0)
    keys = ["entity", "period", "region"]
    g = series.groupby(keys, sort=True)
    out = g.agg(
        meters=("meter_id", "nunique"),
        readings=("readings", "sum"),
        expected_intervals=("expected", "sum"),
        received_intervals=("received", "sum"),
        missing_intervals=("missing", "sum"),
        duplicate_readings=("duplicate", "sum"),
        conflicting_intervals=("conflict", "sum"),
        negative_readings=("negative", "sum"),
        implausible_readings=("implausible", "sum"),
        off_grid_readings=("off_grid", "sum"),
        import_kwh=("import_kwh", "sum"),
        export_kwh=("export_kwh", "sum"),
        year=("year", "first"),
    ).reset_index()
    out["kwh"] = out["import_kwh"] - out["export_kwh"]
    grid = resolved.drop_duplicates(["region", "year"]).set_index(["region", "year"])
    idx = pd.MultiIndex.from_arrays([out["region"], out["year"]])
    for c in ("grid_factor", "grid_ref", "grid_set", "grid_version"):
        out[c] = grid[c].reindex(idx).to_numpy()
    out["grid_unit"] = GRID_UNIT
    # the account engine's arithmetic on the entity's month as lines (one purchased, one exported when there is
    # export): quantity × unit factor × grid factor × (GWP × sign), the lines summed
    lines = resolved.set_index(["direction", "region", "year"])
    out["tco2e"] = 0.0
    for d, col in (("import", "import_kwh"), ("export", "export_kwh")):
        at = pd.MultiIndex.from_arrays([pd.Series(d, index=out.index), out["region"], out["year"]])
        line = lines.reindex(at)
        part = out[col].to_numpy() * line["qty_mult"].to_numpy() * line["grid_factor"].to_numpy()
        part = part * line["w_total"].to_numpy()
        out["tco2e"] = out["tco2e"] + pd.Series(part, index=out.index).where(out[col] != 0, 0.0)
    totals = out[list(TOTAL_COLUMNS)].reset_index(drop=True)
    return MeterResult(totals, _findings(series), series, meta or {})


def _findings(series: pd.DataFrame) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    spec = (
        ("missing_intervals", "missing", None, None),
        ("duplicate", "duplicate", "duplicate", "duplicate_kwh"),
        ("conflict", "conflict", "conflict_readings", "conflict_kwh"),
        ("negative", "negative", "negative", "negative_kwh"),
        ("implausible", "implausible", "implausible", "implausible_kwh"),
        ("off_grid", "off_grid", "off_grid", "off_grid_kwh"),
    )
    ordered = series.sort_values(["entity", "period", "region", "meter_id", "direction"])
    for r in ordered.to_dict("records"):
        for name, count, readings, kwh in spec:
            if r[count]:
                rows.append(
                    {
                        "entity": r["entity"],
                        "period": r["period"],
                        "region": r["region"],
                        "meter_id": r["meter_id"],
                        "direction": r["direction"],
                        "finding": name,
                        "count": int(r[count]),
                        "readings": int(r[readings]) if readings else None,
                        "kwh": float(r[kwh]) if kwh else None,
                    }
                )
    frame = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    return frame.astype({"count": "int64", "readings": "Int64", "kwh": "float64"})


def meters_table(con: Any, raw: ir.Table, options: MeterOptions | None = None) -> MeterResult:
    """Check the readings on ``con`` (InputError on an unusable one), aggregate them there, summarise here."""
    options = options or MeterOptions()
    factors.parse_grid(options.grid)
    lean = check(con, typed(raw))
    series = con.execute(series_months(typed(raw, lean=lean), options))
    return summarise(series, options, {"options": options.describe()})


def read_readings(path: str | os.PathLike[str]) -> InputFile:
    """Read a CSV (UTF-8 or GBK) or Parquet file of readings into a normalised Parquet file (with ``_row``)."""
    return read_activity(path, required=REQUIRED_COLUMNS, suffixes=(".parquet", ".csv"))


def meters_file(
    path: str | Path, options: MeterOptions | None = None, engine: str = "duckdb", con: Any = None
) -> MeterResult:
    """Read a readings file, check it and compute its monthly electricity-carbon."""
    with read_readings(path) as src:
        con = con or backends.connect(engine)
        result = meters_table(con, con.read_parquet(str(src.path)), options)
        result.meta.update(source=str(src.source), rows=src.rows, encoding=src.encoding, engine=engine)
        return result

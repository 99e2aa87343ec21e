"""DualCarbon's pure calculation core: tables in, tables out. No Django, no settings, no network.

from dualcarbon.engine import Options, account_file
with account_file("activity.csv", Options(grid="mee:provincial")) as result:
    print(result.totals_frame())
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd

from . import backends
from .accounting import (
    LINE_COLUMNS,
    VALUE_COLUMNS,
    Prepared,
    _memtable,
    by_source,
    check,
    line_values,
    lines,
    lines_frame,
    totals,
)
from .factors import Options, SelectionError
from .inputs import InputFile, read_activity
from .messages import InputError, Problem

__all__ = [
    "LINE_COLUMNS",
    "VALUE_COLUMNS",
    "AccountResult",
    "InputError",
    "Options",
    "Problem",
    "SelectionError",
    "account_file",
    "account_table",
    "by_source",
    "records_table",
]


@dataclass
class AccountResult:
    """Lazy lines and totals on a backend connection; materialise with the *_frame methods.

    ``lines`` are the full, self-describing lines (LINE_COLUMNS). ``values`` are the same lines in
    compact form — each record's numbers and a ``lineage`` id — and :meth:`lineage_frame` is the small
    table that id points into (formula, parameter origins, factor set, references, tier). Writing
    ``values`` + the lineage table keeps all of a line's information at a fraction of the cost.

    ``lines`` and ``totals`` are built on first use: building an expression costs tens of milliseconds,
    which a caller that only writes ``values`` should not pay.
    """

    con: Any
    prepared: Prepared
    values: ir.Table
    input: InputFile | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def lines(self) -> ir.Table:
        return lines(self.prepared)

    @cached_property
    def totals(self) -> ir.Table:
        return totals(self.values, self.prepared.lineage_frame())

    def lineage_frame(self) -> pd.DataFrame:
        return self.prepared.lineage_frame()

    def write_parquet(self, lines_path: str | Path, lineage_path: str | Path) -> None:
        """Write the compact lines and their lineage table (join them on ``lineage``)."""
        self.con.to_parquet(self.values, str(lines_path))
        self.lineage_frame().to_parquet(str(lineage_path), index=False)

    def lines_frame(self) -> pd.DataFrame:
        """The full lines, ordered by row (the same frame as executing ``lines``, built faster)."""
        return lines_frame(self.con, self.prepared)

    def totals_frame(self) -> pd.DataFrame:
        return self.con.execute(self.totals)

    def close(self) -> None:
        if self.input is not None:
            self.input.close()

    def __enter__(self) -> AccountResult:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def account_table(con: Any, table: ir.Table, options: Options | None = None) -> AccountResult:
    """Validate and compute an activity table already on ``con`` (raises InputError on bad data).

    A table read straight from a Parquet file should come from :func:`read_activity` (as
    :func:`account_file` does): DuckDB trusts Parquet min/max statistics, which leave NaN out, so a
    foreign file with float statistics could hide a NaN from the not-a-number rule.
    """
    prepared = check(con, table, options or Options())
    return AccountResult(con, prepared, line_values(prepared), meta={"options": prepared.options.describe()})


def records_table(frame: pd.DataFrame) -> ir.Table:
    """Activity records held in pandas (the platform's submitted months) as the engine's input table, with the
    same nulls on every backend: a missing text cell is null on DuckDB and on Spark alike (pandas' missing text
    would reach Spark as the string 'NaN'), and so is a missing number (pandas' NaN would reach Spark as NaN,
    which Spark does not take for null: a missing NCV would not fall back to its default). ``region`` keeps ''
    (no region) as a value, as a file's cell does."""
    floats = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c].dtype)]
    if not floats:
        return _memtable(frame, keys=("region",))
    data = frame.astype({c: object for c in floats})
    for c in floats:
        data[c] = data[c].where(frame[c].notna(), None)
    schema = {c: "float64" for c in floats}
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c].dtype)]
    data = data.astype({c: object for c in text})
    for c in text:
        data[c] = data[c].where(data[c].notna(), "").astype(str)
        schema[c] = "string"
    schema.update({c: str(ibis.dtype(frame[c].dtype)) for c in frame.columns if c not in schema})
    t = ibis.memtable(data, schema=ibis.schema({c: schema[c] for c in frame.columns}))
    return t.mutate(**{c: t[c].nullif("") for c in text if c != "region"})


def account_file(
    path: str | Path, options: Options | None = None, engine: str = "duckdb", con: Any = None
) -> AccountResult:
    """Read an activity file (CSV UTF-8/GBK, XLSX, Parquet), validate it and compute its account."""
    src = read_activity(path)
    try:
        con = con or backends.connect(engine)
        result = account_table(con, con.read_parquet(str(src.path)), options)
    except BaseException:
        src.close()
        raise
    result.input = src
    result.meta.update(source=str(src.source), rows=src.rows, encoding=src.encoding, sheet=src.sheet, engine=engine)
    return result

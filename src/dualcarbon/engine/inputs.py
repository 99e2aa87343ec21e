"""Read activity files (CSV in UTF-8 or GBK, XLSX, Parquet) into one normalised Parquet file.

The normalised file has the activity columns (as given: strings for text formats, native types for
Parquet) plus ``_row`` (the row number the user sees: 2 for the first data row under a header) and
``_sheet`` (workbook sheet name, or null). Reading streams in batches so memory stays bounded
whatever the file size; a progress bar is shown on large files when stderr is a terminal.
"""

from __future__ import annotations

import codecs
import os
import shutil
import tempfile
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .messages import COLUMN_LABELS_ZH, InputError, Problem

REQUIRED_COLUMNS = ("entity", "period", "source_type", "item", "quantity", "unit")
OPTIONAL_COLUMNS = (
    "ncv",
    "ncv_unit",
    "carbon_content",
    "oxidation_rate",
    "factor",
    "factor_unit",
    "region",
    "gas",
    "param_basis",
    "fraction",
    "cao",
    "mgo",
    "cao_nc",
    "mgo_nc",
    "purity",
)
ALL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
#: columns that hold numbers (text is parsed; fractions may be given in %)
NUMERIC_COLUMNS = (
    "quantity",
    "ncv",
    "carbon_content",
    "oxidation_rate",
    "factor",
    "fraction",
    "cao",
    "mgo",
    "cao_nc",
    "mgo_nc",
    "purity",
)
#: the columns of one activity record as an enterprise reports it (entity, period and region come from its account)
ACTIVITY_COLUMNS = tuple(c for c in ALL_COLUMNS if c not in ("entity", "period", "region"))
#: the optional parameters of an activity record (everything but source type, item, quantity and unit)
PARAMETER_COLUMNS = tuple(c for c in ACTIVITY_COLUMNS if c not in REQUIRED_COLUMNS)

_HEADER_ALIASES: dict[str, str] = {v: k for k, v in COLUMN_LABELS_ZH.items()}
_HEADER_ALIASES.update(
    {
        "企业": "entity",
        "统一社会信用代码": "entity",
        "期间": "period",
        "类别": "source_type",
        "排放源": "source_type",
        "能源品种": "item",
        "物料": "item",
        "用量": "quantity",
        "消耗量": "quantity",
        "计量单位": "unit",
        "氧化率": "oxidation_rate",
        "含碳量": "carbon_content",
    }
)

BATCH_ROWS = 262_144
PROGRESS_MIN_BYTES = 50 * 1024 * 1024

ProgressFactory = Callable[[int, str], "Progress"]


class Progress:
    """A tiny progress protocol so the engine does not depend on a terminal library."""

    def update(self, n: int) -> None:  # pragma: no cover - trivial
        pass

    def close(self) -> None:  # pragma: no cover - trivial
        pass


def _tqdm_progress(total: int, desc: str) -> Progress:
    import sys

    from tqdm import tqdm

    if total < PROGRESS_MIN_BYTES or not sys.stderr.isatty():
        return Progress()
    bar = tqdm(total=total, desc=desc, unit="B", unit_scale=True, file=sys.stderr, leave=False)

    class _P(Progress):
        def update(self, n: int) -> None:
            bar.update(n)

        def close(self) -> None:
            bar.close()

    return _P()


@dataclass
class InputFile:
    """A normalised activity file living in a temporary folder (delete with :meth:`close`)."""

    path: Path
    rows: int
    source: Path
    encoding: str | None = None
    sheet: str | None = None
    columns: list[str] = field(default_factory=list)
    _tmpdir: str | None = None

    def close(self) -> None:
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self) -> InputFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def canonical_header(name: object) -> str:
    text = str(name).strip().lstrip("\ufeff")
    key = text.lower().replace(" ", "_")
    if key in ALL_COLUMNS:
        return key
    return _HEADER_ALIASES.get(text, key)


def _check_header(columns: list[str], sheet: str | None = None, required: Sequence[str] = REQUIRED_COLUMNS) -> None:
    missing = [c for c in required if c not in columns]
    if missing:
        raise InputError([Problem("missing_column", row=1, column=c, sheet=sheet) for c in missing])


def detect_encoding(path: Path, sample_bytes: int = 1 << 20) -> str:
    """UTF-8 when the sample decodes as UTF-8; otherwise GB18030 (a superset of GBK/GB2312)."""
    with open(path, "rb") as fh:
        sample = fh.read(sample_bytes)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(sample[:65536]).best()
    enc = (best.encoding if best else "gb18030").lower()
    if enc in {"big5", "big5hkscs", "cp950"}:
        return enc
    return "gb18030"


def read_activity(
    path: str | os.PathLike[str],
    progress: ProgressFactory | None = None,
    required: Sequence[str] = REQUIRED_COLUMNS,
    suffixes: Sequence[str] = (".xlsx", ".xlsm", ".parquet", ".csv"),
) -> InputFile:
    """Read an activity file into a normalised Parquet file; raise InputError on an unusable file.

    ``required``: the columns the file must have (the meter readings of :mod:`.meters` have their own);
    ``suffixes``: the kinds of file accepted (anything else is read as CSV when ``.csv`` is among them).
    """
    src = Path(path)
    if not src.exists():
        raise InputError([Problem("unreadable", value=f"{src}: not found")])
    progress = progress or _tqdm_progress
    suffix = src.suffix.lower()
    if suffix in {".xlsx", ".xlsm", ".parquet"} and suffix not in suffixes:
        raise InputError([Problem("unreadable", value=f"{src.name}: use one of {', '.join(suffixes)}")])
    tmpdir = tempfile.mkdtemp(prefix="dualcarbon-")
    out = Path(tmpdir) / "activity.parquet"
    try:
        if suffix in {".xlsx", ".xlsm"}:
            rows, sheet, cols = _xlsx_to_parquet(src, out)
            return InputFile(out, rows, src, None, sheet, cols, tmpdir)
        if suffix == ".parquet":
            rows, cols = _parquet_to_parquet(src, out, progress, required)
            return InputFile(out, rows, src, None, None, cols, tmpdir)
        encoding = detect_encoding(src)
        rows, cols = _csv_to_parquet(src, out, encoding, progress, required)
        return InputFile(out, rows, src, encoding, None, cols, tmpdir)
    except InputError:
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise
    except (pa.ArrowInvalid, OSError, ValueError, KeyError) as exc:
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise InputError([Problem("unreadable", value=str(exc).splitlines()[0][:300])]) from exc


def _write_batches(out: Path, batches: Iterator[pa.RecordBatch]) -> int:
    writer: pq.ParquetWriter | None = None
    rows = 0
    try:
        for batch in batches:
            if writer is None:
                # No min/max statistics for floating-point columns: Parquet statistics leave NaN out, and
                # a reader that trusts them (DuckDB does) would then decide "no NaN here" and skip the
                # not-a-number rule.
                exact = [f.name for f in batch.schema if not pa.types.is_floating(f.type)]
                writer = pq.ParquetWriter(out, batch.schema, compression="zstd", write_statistics=exact)
            writer.write_batch(batch)
            rows += batch.num_rows
    finally:
        if writer is not None:
            writer.close()
    if rows == 0:
        raise InputError([Problem("empty_file")])
    return rows


def _with_locator(batch: pa.RecordBatch, names: list[str], start_row: int, sheet: str | None) -> pa.RecordBatch:
    n = batch.num_rows
    arrays = [
        *list(batch.columns),
        pa.array(range(start_row, start_row + n), type=pa.int64()),
        pa.array([sheet] * n, type=pa.string()),
    ]
    return pa.RecordBatch.from_arrays(arrays, names=[*names, "_row", "_sheet"])


def _without_blank_rows(batch: pa.RecordBatch, names: list[str]) -> pa.RecordBatch:
    """Rows with every column empty (``,,,,`` lines a spreadsheet leaves at the end) are not data rows, as in a
    workbook; the others keep their row numbers."""
    import pyarrow.compute as pc

    if not batch.num_rows or not names:
        return batch
    filled = pc.is_valid(batch.column(0))
    for i in range(1, len(names)):
        filled = pc.or_(filled, pc.is_valid(batch.column(i)))
    if pc.all(filled).as_py():
        return batch
    return batch.filter(filled)


def _csv_to_parquet(
    src: Path, out: Path, encoding: str, progress: ProgressFactory, required: Sequence[str] = REQUIRED_COLUMNS
) -> tuple[int, list[str]]:
    with open(src, encoding=encoding, errors="strict", newline="") as fh:
        header_line = fh.readline()
    import csv

    raw_header = next(csv.reader([header_line]))
    names = [canonical_header(h) for h in raw_header]
    _check_header(names, required=required)
    read_opts = pacsv.ReadOptions(encoding=encoding, block_size=8 << 20, column_names=names, skip_rows=1)
    convert = pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names},
        strings_can_be_null=True,
        null_values=["", "NA", "N/A", "null", "NULL", "-"],
        quoted_strings_can_be_null=True,
    )
    parse = pacsv.ParseOptions(newlines_in_values=False)
    bar = progress(src.stat().st_size, src.name)
    reader = pacsv.open_csv(src, read_options=read_opts, convert_options=convert, parse_options=parse)

    def batches() -> Iterator[pa.RecordBatch]:
        row = 2
        last = 0
        for batch in reader:
            yield _without_blank_rows(_with_locator(batch, names, row, None), names)
            row += batch.num_rows
            pos = reader.stats.num_bytes if hasattr(reader, "stats") else 0
            bar.update(max(0, pos - last))
            last = pos

    try:
        return _write_batches(out, batches()), names
    finally:
        bar.close()


def _parquet_to_parquet(
    src: Path, out: Path, progress: ProgressFactory, required: Sequence[str] = REQUIRED_COLUMNS
) -> tuple[int, list[str]]:
    pf = pq.ParquetFile(src)
    names = [canonical_header(n) for n in pf.schema_arrow.names]
    _check_header(names, required=required)
    bar = progress(src.stat().st_size, src.name)

    def batches() -> Iterator[pa.RecordBatch]:
        row = 1
        for batch in pf.iter_batches(batch_size=BATCH_ROWS):
            yield _with_locator(batch, names, row, None)
            row += batch.num_rows
            bar.update(batch.nbytes)

    try:
        return _write_batches(out, batches()), names
    finally:
        bar.close()


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    text = str(value).strip()
    return text or None


#: the first bytes of every .xlsx (a zip package)
XLSX_MAGIC = b"PK\x03\x04"


def _open_workbook(src: Path) -> Any:
    """The workbook, or InputError ``not_a_workbook`` for anything that is not one (a renamed PDF, random bytes,
    a zip without a workbook inside, a damaged package) — openpyxl raises many kinds of exception for those."""
    from openpyxl import load_workbook

    with open(src, "rb") as fh:
        head = fh.read(len(XLSX_MAGIC))
    if head != XLSX_MAGIC:
        raise InputError([Problem("not_a_workbook", value=src.name)])
    try:
        return load_workbook(src, read_only=True, data_only=True)
    except Exception as exc:  # BadZipFile, KeyError, InvalidFileException, XML errors …
        raise InputError([Problem("not_a_workbook", value=src.name)]) from exc


def _xlsx_to_parquet(src: Path, out: Path) -> tuple[int, str, list[str]]:
    wb = _open_workbook(src)
    try:
        chosen = None
        for ws in wb.worksheets:
            for r_idx, row in enumerate(ws.iter_rows(min_row=1, max_row=20, values_only=True), start=1):
                names = [canonical_header(c) if c is not None else "" for c in row]
                if all(c in names for c in ("entity", "source_type", "item")):
                    chosen = (ws, r_idx, names)
                    break
            if chosen:
                break
        if chosen is None:
            first = wb.worksheets[0].title if wb.worksheets else None
            raise InputError([Problem("missing_column", row=1, column=c, sheet=first) for c in REQUIRED_COLUMNS])
        ws, header_row, names = chosen
        _check_header(names, ws.title)
        keep = [(i, n) for i, n in enumerate(names) if n]
        col_names = [n for _, n in keep]

        # a formula saved without its computed value (written by a program, never opened in Excel) reads as an
        # empty cell: a row would silently lose its quantity. Only sheets that hold formulas are read twice.
        formulas = _formula_rows(src, ws, header_row)
        lost: list[Problem] = []

        def batches() -> Iterator[pa.RecordBatch]:
            buf: dict[str, list[str | None]] = {n: [] for n in col_names}
            rows: list[int] = []
            for r_idx, row in enumerate(ws.iter_rows(min_row=header_row + 1, values_only=True), start=header_row + 1):
                cells = [_cell_text(row[i]) if i < len(row) else None for i, _ in keep]
                written = next(formulas, None) if formulas is not None else None
                if written is not None:
                    for (i, name), cell in zip(keep, cells, strict=True):
                        text = written[i] if i < len(written) else None
                        if cell is None and isinstance(text, str) and text.startswith("="):
                            lost.append(Problem("formula_without_value", r_idx, name, text[:60], None, ws.title))
                if all(c is None for c in cells):
                    continue
                for n, c in zip(col_names, cells, strict=True):
                    buf[n].append(c)
                rows.append(r_idx)
                if len(rows) >= BATCH_ROWS:
                    yield _xlsx_batch(buf, rows, ws.title)
                    buf = {n: [] for n in col_names}
                    rows = []
            if rows:
                yield _xlsx_batch(buf, rows, ws.title)

        try:
            written = _write_batches(out, batches()), ws.title, col_names
        finally:
            if formulas is not None:
                formulas.close()
        if lost:
            raise InputError(lost[:200], total=len(lost))
        return written
    finally:
        wb.close()


def _formula_rows(src: Path, ws: Any, header_row: int) -> Generator[tuple[Any, ...], None, None] | None:
    """The sheet's rows as written (formulas as text) below the header, or None when the sheet holds no formula
    (a streamed scan of the sheet's XML for ``<f>`` elements decides; most files have none)."""
    import zipfile

    from openpyxl import load_workbook

    part = getattr(ws, "_worksheet_path", None)
    if not part:
        return None
    marks = (b"<f>", b"<f ", b":f>", b":f ")
    found, tail = False, b""
    with zipfile.ZipFile(src) as zf, zf.open(part) as fh:
        while chunk := fh.read(1 << 20):
            window = tail + chunk
            if any(m in window for m in marks):
                found = True
                break
            tail = window[-4:]
    if not found:
        return None

    def rows() -> Generator[tuple[Any, ...], None, None]:
        book = load_workbook(src, read_only=True, data_only=False)
        try:
            yield from book[ws.title].iter_rows(min_row=header_row + 1, values_only=True)
        finally:
            book.close()

    return rows()


def _xlsx_batch(buf: dict[str, list[str | None]], rows: list[int], sheet: str) -> pa.RecordBatch:
    arrays = [pa.array(v, type=pa.string()) for v in buf.values()]
    arrays += [pa.array(rows, type=pa.int64()), pa.array([sheet] * len(rows), type=pa.string())]
    return pa.RecordBatch.from_arrays(arrays, names=[*buf.keys(), "_row", "_sheet"])

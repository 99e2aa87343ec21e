"""How long an oversized Excel upload holds the server before it is refused, against a normal one.

Builds two workbooks in the monthly template's shape (活动数据 with the label and code rows, 产品产量,
经济数据) in memory with openpyxl's write-only mode: a *small* one of ``--small`` activity rows (200) and an
*oversized* one of ``--large`` rows (200,000; about 2.8 MB, like the file of issue 12). Then, in this one
process, it times ``dualcarbon.reporting.excel.parse_workbook`` — what the upload page and the import job
run — on each, ``--repeat`` times (median):

* ``small``: a 200-row workbook parsed into a draft (no database writes: parsing only);
* ``refusal``: the 200,000-row workbook refused with ``too_many_rows``;
* ``ratio`` = refusal / small: the refusal should cost about as much as reading a normal file — the reader
  streams the rows and stops at the row limit + 1 instead of reading all of them;
* ``decision``: the time ``excel.upload_plan`` takes to decide sync or background for the oversized file
  (the upload request's fixed cost before a background job is enqueued).

    .venv/bin/python bench/upload.py                 # 200 vs 200,000 rows, median of 5
    .venv/bin/python bench/upload.py --json
    .venv/bin/python bench/upload.py --large 20000 --repeat 3
    # the reader of another commit, for a before/after comparison in the same conditions:
    git show dc039c2:src/dualcarbon/reporting/excel.py > /tmp/excel_before.py
    .venv/bin/python bench/upload.py --reader /tmp/excel_before.py --repeat 1

Needs no database (``DJANGO_DEBUG=1``, the default settings); the results are in docs/benchmarks.md § Upload.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def build_workbook(rows: int) -> bytes:
    """A template-shaped workbook with ``rows`` filled activity rows (write-only: fast, constant memory)."""
    from openpyxl import Workbook

    from dualcarbon.reporting import excel

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(excel.SHEET_ACTIVITY)
    ws.append([c.zh for c in excel.ACTIVITY_COLUMNS])
    ws.append([c.code for c in excel.ACTIVITY_COLUMNS])
    kinds = (("化石燃料燃烧", "原煤", "t"), ("化石燃料燃烧", "柴油", "t"), ("购入电力", "电力", "MWh"))
    width = len(excel.ACTIVITY_COLUMNS)
    for i in range(rows):
        source, item, unit = kinds[i % len(kinds)]
        ws.append([source, item, 100 + i % 997, unit] + [None] * (width - 4))
    wp = wb.create_sheet(excel.SHEET_PRODUCTION)
    wp.append([c.zh for c in excel.PRODUCTION_COLUMNS])
    wp.append([c.code for c in excel.PRODUCTION_COLUMNS])
    wp.append(["水泥熟料", 50000, "t"])
    we = wb.create_sheet(excel.SHEET_ECONOMIC)
    we.append(["项目", "代码", "数值", "单位", "说明"])
    we.append(["工业增加值（收入法）", "value_added", 4200, "万元", ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(name: str, content: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/vnd.ms-excel")


def _time(fn: Any, repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def load_reader(path: str) -> Any:
    """Another version of reporting/excel.py, loaded as a module of the reporting package (its relative
    imports resolve there)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("dualcarbon.reporting._bench_reader", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def measure(small_rows: int = 200, large_rows: int = 200_000, repeat: int = 5, reader: Any = None) -> dict[str, Any]:
    from dualcarbon.reporting import excel as current

    excel = reader or current

    started = time.perf_counter()
    small, large = build_workbook(small_rows), build_workbook(large_rows)
    built = time.perf_counter() - started

    def parse_small() -> int:
        return len(excel.parse_workbook(upload("small.xlsx", small)).activities)

    def refuse_large() -> list[str]:
        try:
            excel.parse_workbook(upload("large.xlsx", large))
        except excel.WorkbookInvalid as exc:
            return [f.rule for f in exc.findings]
        raise AssertionError("the oversized workbook was accepted")

    t_small, n = _time(parse_small, repeat)
    assert n == small_rows, n
    t_refusal, rules = _time(refuse_large, repeat)
    assert "too_many_rows" in rules, rules
    plan = getattr(excel, "upload_plan", None)
    t_plan = _time(lambda: plan(upload("large.xlsx", large)), repeat)[0] if plan else None
    return {
        "small_rows": small_rows,
        "large_rows": large_rows,
        "small_bytes": len(small),
        "large_bytes": len(large),
        "build_s": round(built, 2),
        "repeat": repeat,
        "small_s": round(t_small, 4),
        "refusal_s": round(t_refusal, 4),
        "ratio": round(t_refusal / t_small, 2),
        "decision_s": round(t_plan, 4) if t_plan is not None else None,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--small", type=int, default=200)
    p.add_argument("--large", type=int, default=200_000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.add_argument("--reader", help="path of another reporting/excel.py to measure (e.g. an earlier commit's)")
    args = p.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dualcarbon.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    result = measure(args.small, args.large, args.repeat, load_reader(args.reader) if args.reader else None)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(
            f"small:   {result['small_rows']:>7,} rows, {result['small_bytes'] / 1e6:5.2f} MB parsed in "
            f"{result['small_s'] * 1000:8.1f} ms\n"
            f"refusal: {result['large_rows']:>7,} rows, {result['large_bytes'] / 1e6:5.2f} MB refused in "
            f"{result['refusal_s'] * 1000:8.1f} ms (too_many_rows)\n"
            f"ratio refusal / small: {result['ratio']}  (median of {result['repeat']}; {result['machine']})"
        )
        if result["decision_s"] is not None:
            print(f"sync-or-background decision for the oversized file: {result['decision_s'] * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

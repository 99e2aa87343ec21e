"""Smoke test of bench/upload.py on small files: the oversized workbook is refused with too_many_rows and the
figures come out (no timing is asserted)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from dualcarbon.reporting import excel

ROOT = Path(__file__).resolve().parents[2]


def _load_bench():
    # loaded by path: inside the test tree the name ``bench`` is this test package, not ROOT/bench
    name = "dualcarbon_bench_upload"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "upload.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_measure_refuses_the_large_workbook_and_reports_a_ratio() -> None:
    result = _load_bench().measure(small_rows=20, large_rows=excel.MAX_DATA_ROWS + 10, repeat=1)
    assert result["small_rows"] == 20 and result["large_bytes"] > result["small_bytes"]
    assert result["refusal_s"] > 0 and result["ratio"] > 0 and result["decision_s"] is not None

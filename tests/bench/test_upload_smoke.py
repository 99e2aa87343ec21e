"""Smoke test of bench/upload.py on small files: the oversized workbook is refused with too_many_rows and the
figures come out (no timing is asserted)."""

from __future__ import annotations

from pathlib import Path

from dualcarbon.reporting import excel
from tests.bench import scripts

ROOT = Path(__file__).resolve().parents[2]


def test_measure_refuses_the_large_workbook_and_reports_a_ratio() -> None:
    result = scripts.load("upload").measure(small_rows=20, large_rows=excel.MAX_DATA_ROWS + 10, repeat=1)
    assert result["small_rows"] == 20 and result["large_bytes"] > result["small_bytes"]
    assert result["refusal_s"] > 0 and result["ratio"] > 0 and result["decision_s"] is not None

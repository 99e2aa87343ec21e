"""The year-end projection: known answers computed by hand, and the module is pure (no database needed)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from dualcarbon.monitoring import projection
from dualcarbon.monitoring.projection import PROJECTION_LINEAR, PROJECTION_SEASONAL, project

#: last year: 50 t a month in January–June, 100 t a month in July–December (Σ 300 + 600 = 900)
HALF_AND_DOUBLE = {m: 50.0 if m <= 6 else 100.0 for m in range(1, 13)}


def test_seasonal_keeps_last_years_pattern():
    # share of January–June last year = 300 / 900 = 1/3 → 600 ÷ 1/3 = 1800
    assert project(600.0, 6, HALF_AND_DOUBLE) == (pytest.approx(1800.0, rel=1e-12), PROJECTION_SEASONAL)


def test_seasonal_with_uneven_months():
    # last year month m = 10·m t: Σ 1..12 = 780, Σ 1..6 = 210 → 600 × 780 / 210 = 15600 / 7 = 2228.571…
    last = {m: 10.0 * m for m in range(1, 13)}
    value, method = project(600.0, 6, last)
    assert method == PROJECTION_SEASONAL and value == pytest.approx(15600.0 / 7.0, rel=1e-12)
    # through March: Σ 1..3 = 60 → 150 × 780 / 60 = 1950
    assert project(150.0, 3, last) == (pytest.approx(1950.0, rel=1e-12), PROJECTION_SEASONAL)


def test_linear_when_last_year_is_missing():
    # 600 × 12 / 6 = 1200
    assert project(600.0, 6, {}) == (1200.0, PROJECTION_LINEAR)
    # through April: 400 × 12 / 4 = 1200
    assert project(400.0, 4, {}) == (1200.0, PROJECTION_LINEAR)


def test_linear_when_a_month_of_last_year_is_missing_or_not_positive():
    incomplete = {m: 75.0 for m in range(1, 12)}  # no December
    assert project(600.0, 6, incomplete) == (1200.0, PROJECTION_LINEAR)
    with_zero = {**HALF_AND_DOUBLE, 8: 0.0}
    assert project(600.0, 6, with_zero) == (1200.0, PROJECTION_LINEAR)


def test_complete_year_and_no_month_yet():
    assert project(900.0, 12, HALF_AND_DOUBLE) == (900.0, PROJECTION_LINEAR)  # the year is known: no projection
    assert project(0.0, 0, HALF_AND_DOUBLE) == (None, "")


def test_the_module_imports_the_standard_library_only():
    tree = ast.parse(Path(projection.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative import"
            imported.add((node.module or "").split(".")[0])
    assert imported and imported <= set(sys.stdlib_module_names) | {"__future__"}, imported

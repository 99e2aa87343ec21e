"""Rating formulas as pure table functions: 碳效码 (Zhejiang/Huzhou) and 三维四色 (Quzhou).

Tables in, tables out; no Django, no settings, no network (``docs/rating.md`` explains the methods).

1. :func:`period_figures` (``figures``): monthly account figures (one row per enterprise-month, as
   stored in the accounts) → one row per enterprise and period (year, or month) with the intensity
   ``L = (energy-related emissions − own zero-carbon generation − sinks) / value added``.
2. :func:`compute_benchmarks` (``benchmarks``): industry benchmarks per (population, period, group) at
   each group level (industry division, its section, the whole population), with the data-quality and
   outlier exclusions counted by reason; :func:`group_intensity` is the plain Σ emissions / Σ value
   added of groups.
3. :func:`rate` (``grades``): picks each enterprise's benchmark (the first level of the fallback chain
   that has at least ``min_group_size`` enterprises), computes K / level / grade (碳效码) or the three
   dimensions, the score and the colour (三维四色), and explains each result as structured reasons
   (``explain``: codes and numbers; the words are in ``dualcarbon.rating.wording``).
4. :func:`neutrality_lines` and :func:`neutrality` (``neutrality``): the carbon-neutrality rate
   (碳中和率) from the claim lines the accounting step computed (``dualcarbon.engine.claims``), with
   the scheme's rule and the double-counting rules across terms (``docs/rating.md`` § 碳中和率).

The scheme's parameters and codes are in ``schemes``. A *population* is the set of enterprises rated
together under one scheme (the region that chose the scheme); it is a column, so several populations
(and periods) are rated in one call. Everything is column arithmetic, group-bys and merges
(pandas/numpy); the only per-row Python is assembling the explanation items at the end.
"""

from __future__ import annotations

from ..claims import CLAIM_KINDS, MWH_CLAIMS, TCO2_CLAIMS
from .benchmarks import BENCHMARK_COLUMNS, compute_benchmarks, exclusions, group_intensity
from .explain import CODES as EXPLANATION_CODES
from .explain import explain
from .figures import period_figures
from .grades import Rating, band, grade_for, history_reference, level_for, rate, select_benchmark, three_dimensions
from .neutrality import LINE_COLUMNS_OUT, TERMS, neutrality, neutrality_lines
from .schemes import (
    AVERAGES,
    DIMENSIONS,
    EXCLUSIONS,
    LEVEL_COLUMN,
    LEVEL_KEYS,
    LEVELS,
    METHOD_EFFICIENCY_CODE,
    METHOD_THREE_DIM,
    METHODS,
    NEUTRALITY_REASONS,
    NOT_RATED,
    PERIOD_KEYS,
    BenchmarkRule,
    Dimension,
    NeutralityRule,
    Params,
    ParamsError,
)

__all__ = [
    "AVERAGES",
    "BENCHMARK_COLUMNS",
    "CLAIM_KINDS",
    "DIMENSIONS",
    "EXCLUSIONS",
    "EXPLANATION_CODES",
    "LEVELS",
    "LEVEL_COLUMN",
    "LEVEL_KEYS",
    "LINE_COLUMNS_OUT",
    "METHODS",
    "METHOD_EFFICIENCY_CODE",
    "METHOD_THREE_DIM",
    "MWH_CLAIMS",
    "NEUTRALITY_REASONS",
    "NOT_RATED",
    "PERIOD_KEYS",
    "TCO2_CLAIMS",
    "TERMS",
    "BenchmarkRule",
    "Dimension",
    "NeutralityRule",
    "Params",
    "ParamsError",
    "Rating",
    "band",
    "compute_benchmarks",
    "exclusions",
    "explain",
    "grade_for",
    "group_intensity",
    "history_reference",
    "level_for",
    "neutrality",
    "neutrality_lines",
    "period_figures",
    "rate",
    "select_benchmark",
    "three_dimensions",
]

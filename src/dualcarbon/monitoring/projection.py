"""The year-end projection of a region's emissions: a pure function (the standard library only, no Django).

Used by the dashboard's progress against a target (:mod:`dualcarbon.monitoring.queries`) and by the
budget-overrun alert rule (:mod:`dualcarbon.monitoring.evaluators`); ``docs/monitoring.md`` § Targets and
projection explains it to users.
"""

from __future__ import annotations

from collections.abc import Mapping

PROJECTION_SEASONAL = "seasonal"
PROJECTION_LINEAR = "linear"


def project(ytd: float, through: int, last_year: Mapping[int, float]) -> tuple[float | None, str]:
    """Year-end total from the year to date ``ytd`` (the sum of months 1..``through``, M below), with the
    method used; ``last_year`` maps month (1..12) → last year's total of that month (missing = 0).

    * ``seasonal`` when last year has all twelve months with a positive total (this year keeps last year's
      seasonal pattern): projection = YTD ÷ (Σ last year months 1..M ÷ Σ last year months 1..12),
      i.e. YTD × Σ L₁..L₁₂ ÷ Σ L₁..L_M;
    * ``linear`` otherwise (a month of last year missing or not positive): projection = YTD × 12 ÷ M;
    * M ≥ 12: the year is complete, projection = YTD (``linear``);
    * M ≤ 0: no projection, ``(None, "")``.

    E.g. YTD 600 through June, last year 50 t a month in January–June and 100 t a month in July–December:
    share = 300 ÷ 900 = ⅓, projection 1800 (seasonal); without last year: 600 × 12 ÷ 6 = 1200 (linear).
    """
    if through <= 0:
        return None, ""
    if through >= 12:
        return ytd, PROJECTION_LINEAR
    if all(last_year.get(m, 0.0) > 0 for m in range(1, 13)):
        share = sum(last_year[m] for m in range(1, through + 1)) / sum(last_year[m] for m in range(1, 13))
        if share > 0:
            return ytd / share, PROJECTION_SEASONAL
    return ytd * 12.0 / through, PROJECTION_LINEAR

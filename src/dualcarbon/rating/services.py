"""Rating services: the only place that writes rating data.

* :func:`rate_region` rates every benchmark population touching a region prefix for a year (or a
  month) in one vectorised engine call per scheme version, and stores runs, benchmarks and results.
* :func:`appeal` contests a grade by correcting data points through the reporting workflow
  (:func:`dualcarbon.reporting.services.correct`); once the corrections are submitted
  :func:`finish_appeal` re-rates the enterprise against the published benchmark. Every result is
  kept; the new one supersedes the old.

Populations: every enterprise is rated under the scheme chosen by the most specific region
containing it (:class:`RegionRatingChoice` in force at the period's end); enterprises governed by
the same choice form one benchmark population. Enterprises in no chosen region are rated with the
default scheme (:data:`DEFAULT_SCHEME_CODE`), their prefecture (地级市) being the population.
"""

from __future__ import annotations

import calendar
import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dualcarbon.accounting import services as accounting
from dualcarbon.engine import rating as engine
from dualcarbon.registry import effective
from dualcarbon.registry.models import Industry, Organisation
from dualcarbon.reporting import services as reporting
from dualcarbon.reporting.models import Submission

from . import scoping, signals, wording
from .models import (
    Appeal,
    IndustryBenchmark,
    RatingResult,
    RatingRun,
    RatingScheme,
    RegionRatingChoice,
    VerificationLabel,
)

DEFAULT_SCHEME_CODE = "zj-efficiency-code"
STATUS_BY_ENGINE = {
    "rated": RatingResult.Status.GRADED,
    "partial": RatingResult.Status.PARTIAL,
    "not_rated": RatingResult.Status.NOT_RATED,
}


class RatingError(Exception):
    """A rating action that cannot be done (message is user-facing, translated)."""


# ------------------------------------------------------------------------------------ schemes


def period_end(year: int, month: int = 0) -> datetime.date:
    if not month:
        return datetime.date(year, 12, 31)
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def scheme_version(code: str, on: datetime.date, schemes: Sequence[RatingScheme] | None = None) -> RatingScheme | None:
    """The version of scheme ``code`` in force on ``on`` (:func:`dualcarbon.registry.effective.resolve`)."""
    rows = schemes if schemes is not None else list(RatingScheme.objects.filter(code=code))
    return effective.resolve((s for s in rows if s.code == code), on, tie=lambda s: (s.valid_from, s.version))


def choices_on(on: datetime.date) -> list[RegionRatingChoice]:
    """Per region, the choice in force on ``on`` (most specific region first)."""
    rows = RegionRatingChoice.objects.select_related("region", "scheme").filter(effective.in_force_q(on))
    return sorted(effective.in_force_by_series(rows, on), key=lambda c: -len(c.region.prefix))


def publish_scheme_version(valid_from: datetime.date, **fields: Any) -> RatingScheme:
    """A new version of a scheme from ``valid_from`` on (the version in force then ends the day before)."""
    return effective.supersede(RatingScheme, valid_from, **fields)


def choose_scheme(region: Any, scheme: RatingScheme, valid_from: datetime.date, note: str = "") -> RegionRatingChoice:
    """A region's scheme choice from ``valid_from`` on (its choice in force then ends the day before)."""
    return effective.supersede(RegionRatingChoice, valid_from, region=region, scheme=scheme, note=note)


def scheme_for_region(region_code: str, on: datetime.date) -> RatingScheme | None:
    """The scheme version that rates an enterprise in ``region_code`` for a period ending ``on``."""
    code = DEFAULT_SCHEME_CODE
    for c in choices_on(on):
        if region_code.startswith(c.region.prefix):
            code = c.scheme.code
            break
    return scheme_version(code, on)


@dataclass
class Population:
    code: str  # region code of the population (a chosen region, or the fallback prefecture)
    prefix: str
    scheme_code: str


def _assign_populations(frame: pd.DataFrame, choices: Sequence[RegionRatingChoice]) -> dict[str, Population]:
    """Add ``population`` and ``scheme_code`` columns (one vectorised mask per choice)."""
    frame["population"] = ""
    frame["scheme_code"] = ""
    pops: dict[str, Population] = {}
    for c in choices:  # most specific first
        prefix = c.region.prefix
        mask = (frame["population"] == "") & frame["region_code"].str.startswith(prefix)
        if mask.any():
            frame.loc[mask, "population"] = c.region_id
            frame.loc[mask, "scheme_code"] = c.scheme.code
            pops[c.region_id] = Population(c.region_id, prefix, c.scheme.code)
    rest = frame["population"] == ""
    if rest.any():
        prefecture = frame.loc[rest, "region_code"].str[:4]
        frame.loc[rest, "population"] = prefecture + "00"
        frame.loc[rest, "scheme_code"] = DEFAULT_SCHEME_CODE
        for p in prefecture.unique():
            pops[f"{p}00"] = Population(f"{p}00", str(p), DEFAULT_SCHEME_CODE)
    return pops


# ------------------------------------------------------------------------------ figures


def _sections() -> dict[str, str]:
    return {
        code: parent or ""
        for code, parent in Industry.objects.filter(level="division").values_list("code", "parent_id")
    }


def _division(code: pd.Series) -> pd.Series:
    two = code.fillna("").astype(str).str[:2]
    return two.where(two.str.isdigit(), code.fillna("").astype(str))


def monthly_frame(entries: Iterable[dict[str, Any]], sections: dict[str, str]) -> pd.DataFrame:
    """Account entries (``values()`` dicts) → the engine's monthly table (JSON breakdowns flattened)."""
    rows = list(entries)
    cols = ["entry", "enterprise", "region_code", "industry_code", "year", "month", "value_added", "total_tco2e"]
    if not rows:
        return pd.DataFrame(columns=[*cols, "division", "section"])
    base = pd.DataFrame.from_records(
        [
            (
                r["id"],
                r["enterprise_id"],
                r["region_code"],
                r["industry_code"],
                r["year"],
                r["month"],
                r["value_added"],
                r["total_tco2e"],
            )
            for r in rows
        ],
        columns=cols,
    )
    base["value_added"] = pd.to_numeric(base["value_added"], errors="coerce").astype("float64")
    src = pd.DataFrame.from_records([r["by_source"] or {} for r in rows]).add_prefix("src_")
    tiers = pd.DataFrame.from_records([r["by_tier"] or {} for r in rows])
    tiers.columns = [f"tier_{c}" for c in tiers.columns]
    frame = pd.concat([base, src.astype("float64"), tiers.astype("float64")], axis=1)
    frame["region_code"] = frame["region_code"].astype(str)
    frame["division"] = _division(frame["industry_code"])
    frame["section"] = frame["division"].map(sections).fillna("").astype(str)
    return frame


def _claims(prefix: str, years: Sequence[int], month: int, enterprise_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """The neutrality claim lines the accounts computed behind the current account entries the rating uses (same
    filter as :func:`_entries`), with the grid factor each run chose and its source (one query)."""
    return accounting.current_claim_lines(prefix, years, month, enterprise_ids)


def _entries(prefix: str, years: Sequence[int], month: int, enterprise_ids: Sequence[int] | None = None) -> Any:
    return accounting.current_entries(prefix, years, month, enterprise_ids)


# ----------------------------------------------------------------------------------- rating


@dataclass
class RatingSummary:
    year: int
    month: int
    runs: list[RatingRun] = field(default_factory=list)
    results: int = 0
    graded: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def rate_region(region_prefix: str, year: int, month: int = 0, *, user: Any = None, note: str = "") -> RatingSummary:
    """Rate every population that touches ``region_prefix`` for ``year`` (or one ``month``).

    A population is rated whole (its benchmarks need all its enterprises): rating a district whose
    scheme was chosen by the city re-rates the city.
    """
    on = period_end(year, month)
    choices = choices_on(on)
    relevant = [region_prefix]
    relevant += [c.region.prefix for c in choices if region_prefix.startswith(c.region.prefix)]
    if len(region_prefix) > 4:
        relevant.append(region_prefix[:4])
    load_prefix = min(relevant, key=len)
    sections = _sections()
    frame = monthly_frame(_entries(load_prefix, [year], month), sections)
    summary = RatingSummary(year, month)
    if frame.empty:
        return summary
    pops = _assign_populations(frame, choices)
    touching = {
        code for code, p in pops.items() if p.prefix.startswith(region_prefix) or region_prefix.startswith(p.prefix)
    }
    frame = frame[frame["population"].isin(touching)]
    claims = _claims(load_prefix, [year], month)
    schemes = list(RatingScheme.objects.all())
    with transaction.atomic():
        for scheme_code, part in frame.groupby("scheme_code"):
            scheme = scheme_version(str(scheme_code), on, schemes)
            if scheme is None:
                summary.skipped.append(str(scheme_code))
                continue
            params = scheme.engine_params()
            figures = engine.period_figures(part, params, by_month=bool(month))
            history = _history(part, params, year, month, sections)
            ids = set(part["enterprise"].tolist())
            mine = claims[claims["enterprise"].isin(ids)] if not claims.empty else claims
            rating = _worded(engine.rate(figures, params, history=history, claims=mine))
            _store(summary, scheme, rating, user=user, note=note)
    return summary


def preview_region(region: Any, year: int, params: dict[str, Any], *, scheme_code: str) -> list[dict[str, Any]]:
    """Grade ``region``'s enterprises for ``year`` as if the region chose a scheme ``scheme_code`` with ``params``
    for that year — **nothing is stored** (no run, benchmark, result or label; no signal): the what-if sandbox of
    the policy app (docs/policy.md § Sandbox). Sub-regions with a choice of their own keep it, as they would after
    the adoption. One row per enterprise: grade, level, colour, K, L, emissions, benchmark (level, code, value)."""
    on = period_end(year)
    draft = RatingScheme(code=scheme_code, version=0, method=str(params.get("method", "")), params=params)
    draft.valid_from = on
    choice = RegionRatingChoice(region=region, scheme=draft, valid_from=on)
    choices = sorted(
        [c for c in choices_on(on) if c.region_id != region.code] + [choice], key=lambda c: -len(c.region.prefix)
    )
    sections = _sections()
    frame = monthly_frame(_entries(region.prefix, [year], 0), sections)
    if frame.empty:
        return []
    _assign_populations(frame, choices)
    schemes = list(RatingScheme.objects.all())
    out: list[dict[str, Any]] = []
    for code, part in frame.groupby("scheme_code"):
        scheme = draft if code == scheme_code else scheme_version(str(code), on, schemes)
        if scheme is None:
            continue
        p = engine.Params.from_dict({**scheme.params, "method": scheme.method})
        figures = engine.period_figures(part, p, by_month=False)
        rating = engine.rate(figures, p, history=_history(part, p, year, 0, sections))
        for r in rating.results.to_dict("records"):
            out.append(
                {
                    "enterprise": int(r["enterprise"]),
                    "scheme": "draft" if scheme is draft else scheme.label,
                    "population": r["population"],
                    "status": str(STATUS_BY_ENGINE[r["status"]]),
                    "grade": int(r["grade"]) or None,
                    "level": r["level"] or "",
                    "colour": r["colour"] or "",
                    "score": _float(r.get("score")),
                    "k": _float(r.get("k")),
                    "l": _float(r.get("l")),
                    "emissions_tco2": _float(r.get("emissions")),
                    "benchmark_level": r.get("benchmark_level") or "",
                    "benchmark_code": str(r.get("benchmark_code") or ""),
                    "benchmark_value": _float(r.get("benchmark_value")),
                }
            )
    return out


@dataclass(frozen=True)
class GradeRuler:
    """How an enterprise's 碳效码 grade and level follow from its intensity L under the scheme version that rated it
    and the benchmark it was compared with: K = L ÷ benchmark, grade = 1 + the number of ``grade_bounds`` K exceeds
    (each upper end included), level from L against ``level_bounds`` — the engine's own functions
    (:func:`engine.rating.grade_for`, :func:`engine.rating.level_for`, the scheme's ``compare_decimals``). What-if
    readers (a reduction plan's projected intensity, the intensity a policy's grade condition needs) grade a figure
    with it; nothing is stored."""

    result_id: int | None
    enterprise_id: int
    year: int
    scheme: str
    intensity: Decimal | None  #: today's L (tCO2/万元)
    benchmark: Decimal  #: the benchmark's L (tCO2/万元)
    benchmark_level: str
    benchmark_code: str
    grade_bounds: tuple[Decimal, ...]
    level_bounds: tuple[Decimal, ...]
    decimals: int = 9

    def k_for(self, intensity: Decimal) -> Decimal:
        return intensity / self.benchmark

    def grade_for(self, intensity: Decimal) -> int:
        k = float(intensity) / float(self.benchmark)  # as the engine computes K
        return int(engine.grade_for([k], [float(b) for b in self.grade_bounds], self.decimals)[0])

    def level_for(self, intensity: Decimal) -> str:
        return str(engine.level_for([float(intensity)], [float(b) for b in self.level_bounds], self.decimals)[0])

    def max_intensity(self, grade: int) -> Decimal | None:
        """The highest L that still earns ``grade`` (K ≤ its upper bound × the benchmark); None for the last grade
        (no upper bound) or a grade outside the scheme."""
        if not 1 <= grade <= len(self.grade_bounds):
            return None
        return self.grade_bounds[grade - 1] * self.benchmark

    def max_intensity_for_level(self, level: str) -> Decimal | None:
        """The highest L of a level (low: ≤ the first bound, medium: ≤ the second); None for high."""
        i = engine.LEVEL_KEYS.index(level) if level in engine.LEVEL_KEYS else len(self.level_bounds)
        return self.level_bounds[i] if i < len(self.level_bounds) else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "result": self.result_id,
            "scheme": self.scheme,
            "intensity": None if self.intensity is None else str(self.intensity),
            "benchmark": str(self.benchmark),
            "benchmark_level": self.benchmark_level,
            "benchmark_code": self.benchmark_code,
            "grade_bounds": [str(b) for b in self.grade_bounds],
            "level_bounds": [str(b) for b in self.level_bounds],
        }


def _dec(v: Any) -> Decimal | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if f != f else Decimal(str(v))  # NaN → None; the shortest repr of a float


def ruler_for(result: RatingResult) -> GradeRuler | None:
    """The grade ruler of one (stored or unsaved) annual result of a 碳效码 scheme; None when the scheme grades
    otherwise (三维四色) or the result is not graded or has no benchmark. The benchmark is the result's benchmark
    row, or — for an unsaved what-if result (the policy sandbox) — L ÷ K."""
    params = result.scheme.params or {}
    if result.scheme.method != engine.METHOD_EFFICIENCY_CODE or not params.get("grade_bounds") or not result.grade:
        return None  # another method, or not graded (too few months, excluded, no benchmark): nothing to project
    bench_row = result.benchmark if result.benchmark_id else None
    bench = _dec(bench_row.value) if bench_row is not None else None
    if bench is None:
        l_now, k_now = _dec(result.intensity_l), _dec(result.k_value)
        bench = l_now / k_now if l_now is not None and k_now else None
    if bench is None or bench <= 0:
        return None
    return GradeRuler(
        result_id=result.pk,
        enterprise_id=result.enterprise_id,
        year=result.year,
        scheme=result.scheme.label,
        intensity=_dec(result.intensity_l),
        benchmark=bench,
        benchmark_level=bench_row.level if bench_row is not None else "",
        benchmark_code=bench_row.code if bench_row is not None else "",
        grade_bounds=tuple(Decimal(str(b)) for b in params.get("grade_bounds", ())),
        level_bounds=tuple(Decimal(str(b)) for b in params.get("level_bounds", ())),
        decimals=int(params.get("compare_decimals", 9)),
    )


def grade_rulers(enterprise_ids: Sequence[int], year: int) -> dict[int, GradeRuler]:
    """The rulers of the enterprises' current annual results of ``year`` (one query)."""
    out: dict[int, GradeRuler] = {}
    for r in RatingResult.objects.filter(
        enterprise_id__in=list(enterprise_ids), year=year, month=0, is_current=True
    ).select_related("scheme", "benchmark"):
        ruler = ruler_for(r)
        if ruler is not None:
            out[r.enterprise_id] = ruler
    return out


def preview_intensity(ruler: GradeRuler, intensity: Decimal) -> dict[str, Any]:
    """What the enterprise's grade would be at another intensity, everything else (scheme, benchmark) held: K, grade
    and level — nothing stored (the planning app's projection of a reduction plan)."""
    return {
        "intensity": intensity,
        "k": ruler.k_for(intensity),
        "grade": ruler.grade_for(intensity),
        "level": ruler.level_for(intensity) if ruler.level_bounds else "",
    }


def _worded(rating: engine.Rating) -> engine.Rating:
    """The engine explains with structured reasons; the words (zh, en) come from the catalogue."""
    return engine.Rating(wording.render_results(rating.results), rating.benchmarks)


def _history(part: pd.DataFrame, params: engine.Params, year: int, month: int, sections: dict[str, str]) -> Any:
    """Earlier years' figures of the same enterprises (for the decline dimension), same populations."""
    if not params.history_years:
        return None
    years = [year - k for k in range(1, params.history_years + 1)]
    ids = part["enterprise"].unique().tolist()
    hist = monthly_frame(_entries("", years, month, ids), sections)
    if hist.empty:
        return None
    pop = part.drop_duplicates("enterprise").set_index("enterprise")["population"]
    hist["population"] = hist["enterprise"].map(pop)
    return engine.period_figures(hist, params, by_month=bool(month))


def _float(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(f) else f


def _inputs(r: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "entries": [int(x) for x in (r.get("entries") or [])],
        "months": int(r["months"]),
        "emissions_tco2": _float(r["emissions"]),
        "total_tco2e": _float(r["total_tco2e"]),
        "value_added_10k_yuan": _float(r["value_added"]),
        "own_zero_carbon_generation": _float(r["own_generation"]) if r.get("own_generation_reported") else None,
        "sinks": _float(r["sinks"]) if r.get("sinks_reported") else None,
        "tier3_share": _float(r["tier3_share"]),
        "region_code": r["region_code"],
        "division": r["division"],
        "section": r["section"],
    }
    out["neutrality"] = {
        "rate": _float(r.get("neutrality_rate")),
        "reason": str(r.get("neutrality_reason") or ""),
        "numerator_tco2e": _float(r.get("neutrality_numerator")),
        "denominator_tco2e": _float(r.get("neutrality_denominator")),
        "purchased_electricity_tco2": _float(r.get("purchased_electricity_tco2")),
        "exported_electricity_tco2": _float(r.get("exported_electricity_tco2")),
        "terms": _jsonable(r.get("neutrality_terms") or []),
    }
    if "history_reference_l" in r:
        out["history_reference_l"] = _float(r["history_reference_l"])
    for dim in ("advancement", "contribution", "decline"):
        if f"{dim}_value" in r:
            out[dim] = {"value": _float(r[f"{dim}_value"]), "score": _float(r[f"{dim}_score"])}
    return out


def _jsonable(value: Any) -> Any:
    """Numbers from numpy/pandas as plain JSON (NaN → None), recursively."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _flags(r: dict[Any, Any]) -> list[str]:
    flags = [f for f in ("tier3", "non_positive", "outlier") if r.get(f"excl_{f}")]
    if r.get("fallback"):
        flags.append("benchmark_fallback")
    return flags


def _store(
    summary: RatingSummary,
    scheme: RatingScheme,
    rating: engine.Rating,
    *,
    user: Any,
    note: str,
    reason: str = RatingRun.Reason.BATCH,
    benchmark_ids: dict[tuple[str, str, str], int] | None = None,
) -> list[RatingResult]:
    """Write runs, benchmarks (unless given) and results; earlier current ones stop being current."""
    params = scheme.engine_params()
    now = timezone.now()
    results = rating.results
    year, month = summary.year, summary.month
    runs: dict[str, RatingRun] = {}
    for pop in sorted(results["population"].unique()):
        part = results[results["population"] == pop]
        runs[pop] = RatingRun.objects.create(
            scheme=scheme,
            population=pop,
            year=year,
            month=month,
            reason=reason,
            note=note[:300],
            params=scheme.params,
            n_results=len(part),
            n_graded=int((part["status"] == "rated").sum()),
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
    summary.runs.extend(runs.values())
    if benchmark_ids is None:
        bench = rating.benchmarks
        bench = bench[bench["population"].isin(list(runs))]
        IndustryBenchmark.objects.filter(population__in=list(runs), year=year, month=month, is_current=True).update(
            is_current=False
        )
        objs = IndustryBenchmark.objects.bulk_create(
            [
                IndustryBenchmark(
                    run=runs[b["population"]],
                    scheme=scheme,
                    population=b["population"],
                    year=year,
                    month=month,
                    level=b["level"],
                    code=str(b["code"]),
                    value=_float(b["value"]),
                    average=b["average"],
                    n_candidates=int(b["n_candidates"]),
                    n_included=int(b["n_included"]),
                    n_excluded={
                        "tier3": int(b["n_excluded_tier3"]),
                        "non_positive": int(b["n_excluded_non_positive"]),
                        "outlier": int(b["n_excluded_outlier"]),
                    },
                    q1=_float(b["q1"]),
                    q3=_float(b["q3"]),
                    outlier_limit=_float(b["outlier_limit"]),
                    lower_limit=_float(b["lower_limit"]),
                    sum_emissions=float(b["sum_emissions"]),
                    sum_value_added=float(b["sum_value_added"]),
                    total_emissions=float(b["total_emissions"] or 0.0),
                    computed_at=now,
                )
                for b in bench.to_dict("records")
            ],
            batch_size=2000,
        )
        benchmark_ids = {(o.population, o.level, o.code): o.pk for o in objs}
    ent_ids = [int(x) for x in results["enterprise"].unique()]
    previous = dict(
        RatingResult.objects.filter(enterprise_id__in=ent_ids, year=year, month=month, is_current=True).values_list(
            "enterprise_id", "pk"
        )
    )
    RatingResult.objects.filter(pk__in=list(previous.values())).update(is_current=False)
    # a grade of period P is valid from the day after P for validity_years (e.g. 2024 → 2025-01-01…2025-12-31)
    valid_from = period_end(year, month) + datetime.timedelta(days=1)
    valid_until = period_end(year + params.validity_years, month)
    new = []
    for r in results.to_dict("records"):
        status = STATUS_BY_ENGINE[r["status"]]
        level = r["benchmark_level"]
        bench_id = benchmark_ids.get((r["population"], level, str(r["benchmark_code"]))) if level else None
        graded = status == RatingResult.Status.GRADED
        new.append(
            RatingResult(
                run=runs[r["population"]],
                enterprise_id=int(r["enterprise"]),
                scheme=scheme,
                population=r["population"],
                region_code=r["region_code"],
                industry_code=r["division"],
                year=year,
                month=month,
                status=status,
                reason=r["reason"] or "",
                intensity_l=_float(r["l"]),
                k_value=_float(r["k"]),
                level=r["level"] or "",
                grade=int(r["grade"]) or None,
                colour=r["colour"] or "",
                score=_float(r["score"]),
                neutrality_rate=_float(r.get("neutrality_rate")),
                inputs=_inputs(r),
                benchmark_id=bench_id,
                explanation=r["explanation"],
                flags=_flags(r),
                valid_from=valid_from if graded else None,
                valid_until=valid_until if graded else None,
                computed_at=now,
                is_current=True,
                supersedes_id=previous.get(int(r["enterprise"])),
            )
        )
    stored = RatingResult.objects.bulk_create(new, batch_size=2000)
    graded_ids = [o.enterprise_id for o in stored if o.status == RatingResult.Status.GRADED]
    VerificationLabel.objects.bulk_create(
        [VerificationLabel(enterprise_id=i) for i in graded_ids], ignore_conflicts=True, batch_size=2000
    )
    summary.results += len(stored)
    summary.graded += len(graded_ids)
    for o in stored:
        summary.by_status[o.status] = summary.by_status.get(o.status, 0) + 1
    signals.ratings_stored.send(sender=RatingResult, results=stored, year=year, month=month)
    return stored


def _bench_frame(rows: Iterable[IndustryBenchmark]) -> pd.DataFrame:
    return pd.DataFrame.from_records(
        [
            {
                "population": b.population,
                "year": b.year,
                "month": b.month,
                "level": b.level,
                "code": b.code,
                "value": b.value if b.value is not None else np.nan,
                "average": b.average,
                "n_candidates": b.n_candidates,
                "n_included": b.n_included,
                "n_excluded_tier3": b.n_excluded.get("tier3", 0),
                "n_excluded_non_positive": b.n_excluded.get("non_positive", 0),
                "n_excluded_outlier": b.n_excluded.get("outlier", 0),
                "q1": b.q1 if b.q1 is not None else np.nan,
                "q3": b.q3 if b.q3 is not None else np.nan,
                "outlier_limit": b.outlier_limit if b.outlier_limit is not None else np.nan,
                "lower_limit": b.lower_limit if b.lower_limit is not None else np.nan,
                "sum_emissions": b.sum_emissions,
                "sum_value_added": b.sum_value_added,
                "total_emissions": b.total_emissions,
            }
            for b in rows
        ]
    )


@transaction.atomic
def rerate_enterprise(result: RatingResult, *, user: Any = None, note: str = "") -> RatingResult:
    """Re-rate one enterprise-period from its current accounts against the benchmarks ``result`` used.

    The benchmark is the published one (the run that computed ``result``'s benchmark, or the
    population's current benchmarks): one enterprise's correction does not move every other grade
    until the next batch (:func:`rate_region`) recomputes the benchmarks with the corrected data.
    """
    scheme = result.scheme
    params = scheme.engine_params()
    sections = _sections()
    frame = monthly_frame(_entries("", [result.year], result.month, [result.enterprise_id]), sections)
    if frame.empty:
        raise RatingError(_("该期间没有当前的碳账户，无法重新评级"))
    frame["population"] = result.population
    figures = engine.period_figures(frame, params, by_month=bool(result.month))
    history = _history(frame, params, result.year, result.month, sections)
    if result.benchmark_id is not None:
        source = IndustryBenchmark.objects.filter(run_id=result.benchmark.run_id)  # type: ignore[union-attr]
    else:
        source = IndustryBenchmark.objects.filter(
            population=result.population, year=result.year, month=result.month, is_current=True
        )
    division = str(figures["division"].iloc[0])
    section = str(figures["section"].iloc[0])
    rows = list(
        source.filter(population=result.population).filter(
            Q(level="division", code=division) | Q(level="section", code=section) | Q(level="region")
        )
    )
    bench = _bench_frame(rows)
    if bench.empty:
        bench = engine.compute_benchmarks(figures.iloc[0:0], params)
    claims = _claims("", [result.year], result.month, [result.enterprise_id])
    rating = _worded(engine.rate(figures, params, history=history, benchmarks=bench, claims=claims))
    summary = RatingSummary(result.year, result.month)
    ids = {(b.population, b.level, b.code): b.pk for b in rows}
    stored = _store(summary, scheme, rating, user=user, note=note, reason=RatingRun.Reason.APPEAL, benchmark_ids=ids)
    return stored[0]


# ------------------------------------------------------------------------------------ appeals


@dataclass
class Correction:
    """One month's data to correct: ``data`` given → saved and submitted at once; None → only the
    correction draft is opened (the enterprise edits and submits it on the reporting pages)."""

    month: int
    data: reporting.DraftData | None = None


def _require_owner(user: Any, enterprise: Organisation | int) -> None:
    if not scoping.can_appeal(user, enterprise):
        raise PermissionDenied(_("只有企业本身可以对评级提出申诉"))


@transaction.atomic
def appeal(user: Any, result: RatingResult, reason: str, submission_corrections: Sequence[Correction]) -> Appeal:
    """Contest ``result`` by correcting data points: each month gets a correction (version N+1, with the
    appeal's reason) through the reporting workflow. When every correction is submitted (here, if data
    were given, or later by the enterprise) :func:`finish_appeal` re-rates."""
    _require_owner(user, result.enterprise_id)
    reason = (reason or "").strip()
    if not reason:
        raise RatingError(_("请填写申诉理由"))
    if not result.is_current:
        raise RatingError(_("只能对当前有效的评级结果提出申诉"))
    if Appeal.objects.filter(result=result, status=Appeal.Status.AWAITING).exists():
        raise RatingError(_("该评级已有一项进行中的申诉"))
    months = sorted({c.month for c in submission_corrections})
    if not months:
        raise RatingError(_("请选择要更正的月份"))
    if result.month and months != [result.month]:
        raise RatingError(_("只能更正评级期间内的月份"))
    drafts: list[Submission] = []
    for c in sorted(submission_corrections, key=lambda c: c.month):
        current = Submission.objects.filter(
            enterprise_id=result.enterprise_id, period__year=result.year, period__month=c.month, is_current=True
        ).first()
        if current is None:
            raise RatingError(_("%(y)d-%(m)02d 没有已提交的数据可更正") % {"y": result.year, "m": c.month})
        try:
            draft = reporting.correct(user, current, _("评级申诉：%(r)s") % {"r": reason})
            if c.data is not None:
                reporting.save_draft(user, draft, c.data)
                draft = reporting.submit(user, draft)
        except reporting.WorkflowError as exc:
            raise RatingError(str(exc)) from exc
        drafts.append(draft)
    obj = Appeal.objects.create(
        enterprise_id=result.enterprise_id,
        result=result,
        reason=reason,
        months=months,
        grade_before=result.mark,
        created_by=user,
    )
    obj.corrections.set(drafts)
    if all(d.status != Submission.Status.DRAFT for d in drafts):
        finish_appeal(user, obj)
    return obj


def pending_corrections(appeal_obj: Appeal) -> list[Submission]:
    return [s for s in appeal_obj.corrections.all() if s.status == Submission.Status.DRAFT]


@transaction.atomic
def finish_appeal(user: Any, appeal_obj: Appeal) -> Appeal:
    """After the corrections are submitted: re-rate, record the new grade; both results are kept."""
    _require_owner(user, appeal_obj.enterprise_id)
    obj = Appeal.objects.select_for_update().select_related("result__scheme").get(pk=appeal_obj.pk)
    if obj.status != Appeal.Status.AWAITING:
        raise RatingError(_("该申诉已处理"))
    if pending_corrections(obj):
        raise RatingError(_("更正尚未提交：请先在数据报送页面提交更正版本"))
    current = RatingResult.objects.filter(
        enterprise_id=obj.enterprise_id, year=obj.result.year, month=obj.result.month, is_current=True
    ).first()
    base = current or obj.result
    new = rerate_enterprise(base, user=user, note=f"appeal {obj.pk}")
    obj.new_result = new
    obj.grade_after = new.mark
    obj.status = Appeal.Status.RERATED
    obj.closed_at = timezone.now()
    obj.save(update_fields=["new_result", "grade_after", "status", "closed_at"])
    return obj


def finish_ready_appeals(user: Any, enterprise: Organisation | int) -> list[Appeal]:
    """Re-rate every open appeal of the enterprise whose corrections have all been submitted."""
    _require_owner(user, enterprise)
    pk = enterprise if isinstance(enterprise, int) else enterprise.pk
    done = []
    for a in Appeal.objects.filter(enterprise_id=pk, status=Appeal.Status.AWAITING).prefetch_related("corrections"):
        if not pending_corrections(a):
            done.append(finish_appeal(user, a))
    return done


# ------------------------------------------------------------------------------- verification


def label_for(enterprise: Organisation | int) -> VerificationLabel | None:
    pk = enterprise if isinstance(enterprise, int) else enterprise.pk
    return VerificationLabel.objects.filter(enterprise_id=pk, revoked_at__isnull=True).first()


def public_result(token: str) -> tuple[VerificationLabel, RatingResult | None] | None:
    """The label behind a token and the enterprise's latest current graded result (None: unknown token)."""
    label = VerificationLabel.objects.select_related("enterprise").filter(token=token, revoked_at__isnull=True).first()
    if label is None:
        return None
    result = (
        RatingResult.objects.filter(enterprise_id=label.enterprise_id, is_current=True, status="graded")
        .select_related("scheme")
        .order_by("-year", "-month")
        .first()
    )
    return label, result


def distribution(results: Iterable[RatingResult]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for r in results:
        counts[r.mark or ""] += 1
    return dict(counts)


# ------------------------------------------------------------------------------- reads for the alert rules


def downgrades(region_prefix: str, year: int, steps: int) -> list[dict[str, Any]]:
    """The current annual results of ``year`` in a region prefix (:func:`dualcarbon.registry.access.prefix_q`)
    whose grade is at least ``steps`` worse (higher) than the enterprise's current annual grade of the year
    before (what the downgrade alert rule reports): dicts of enterprise_id, enterprise__name, region_code, grade
    and prev (last year's grade). One query."""
    from django.db.models import F, OuterRef, Subquery

    from dualcarbon.registry import access

    prev = RatingResult.objects.filter(
        enterprise=OuterRef("enterprise"), is_current=True, year=year - 1, month=0, grade__isnull=False
    ).values("grade")[:1]
    rows = (
        RatingResult.objects.filter(
            access.prefix_q("region_code", region_prefix), is_current=True, year=year, month=0, grade__isnull=False
        )
        .annotate(prev=Subquery(prev))
        .filter(prev__isnull=False, grade__gte=F("prev") + steps)
        .values("enterprise_id", "enterprise__name", "region_code", "grade", "prev")
    )
    return [dict(r) for r in rows]

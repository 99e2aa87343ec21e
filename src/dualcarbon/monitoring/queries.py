"""Read-only queries behind the government dashboard, the monthly report and the public statistics.

They read the persisted regional summary (:mod:`dualcarbon.monitoring.aggregates`): the totals, districts,
industries, the monthly trend, the targets' progress, the submission completeness and the public statistics
are sums over :class:`~.models.SummaryRollup` rows (county × division × month: a few hundred rows for a
region of any size); the top emitters come from :class:`~.models.SummaryAnnual` (enterprise × year; the monthly
report's months from :class:`~.models.SummaryCell`). The
figures are those of the current ``AccountEntry`` rows (``tests/monitoring/test_summary.py`` compares them).
Every queryset starts from :mod:`dualcarbon.scoping`; each function issues a fixed number of queries
whatever the data size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from dualcarbon.accounting import services as accounting
from dualcarbon.rating import queries as rating
from dualcarbon.registry import access
from dualcarbon.registry.models import Industry, Organisation, Region
from dualcarbon.reporting import services as reporting

from . import scoping, services
from .models import SummaryCell, SummaryRollup, Target

TOP_N = 10
#: public statistics: groups of fewer enterprises than this are suppressed
MIN_GROUP = 3


def _ratio(num: Any, den: Any) -> float | None:
    return (float(num or 0.0) / float(den)) if den else None


def _change(cur: Any, prev: Any) -> float | None:
    return (float(cur or 0.0) - float(prev)) / float(prev) if prev else None


@dataclass
class DashboardFilter:
    year: int | None = None
    district: str = ""
    #: the monthly report: the year to date through this month only
    month: int | None = None

    @classmethod
    def from_query(cls, params: Any) -> DashboardFilter:
        try:
            year: int | None = int(params.get("year") or "")
        except ValueError:
            year = None
        district = str(params.get("district") or "").strip()
        return cls(
            year if year and 2000 <= year <= 2100 else None,
            district if district.isdigit() and len(district) <= 6 else "",
        )


@dataclass
class Dashboard:
    filters: DashboardFilter
    year: int
    years: list[int]
    jurisdiction: list[Region]
    #: last month of the year with any account (the year-to-date basis); 0 when none
    through_month: int
    totals: dict[str, Any]
    districts: list[dict[str, Any]]
    industries: list[dict[str, Any]]
    months: list[dict[str, Any]]
    grades: list[dict[str, Any]]
    top: list[dict[str, Any]]
    completeness: dict[str, Any]
    targets: list[dict[str, Any]]
    open_alerts: int
    district_options: list[Region] = field(default_factory=list)
    #: the year shown and whether it is complete for the selection (the default: its latest complete year;
    #: accounting.services.region_year)
    period: accounting.YearChoice | None = None
    #: the year to date's total = scope 1 + scope 2 − exported, as printed (None: no account)
    identity: accounting.Identity | None = None

    @property
    def months_text(self) -> str:
        """The months to date: "1" / "1–3" (followed by 月), "January" / "January–March"."""
        return accounting.months_text(self.through_month or 12)

    @property
    def basis(self) -> str:
        """What the year-on-year figures compare with: months 1..M of the year before."""
        return accounting.yoy_basis(self.year, self.through_month)


def _identity(total: Any, scope1: Any, scope2: Any) -> accounting.Identity | None:
    """total = scope 1 + scope 2 − exported for summary sums. The summary keeps the total and the two scopes; the
    exported electricity and heat are their difference (the engine's identity: every line is scope 1, scope 2 or
    exported, biomass CO2 counting 0), equal to Σ ``exported_tco2e`` of the same accounts
    (tests/monitoring/test_period_and_identity.py)."""
    if total is None:
        return None
    total, scope1, scope2 = float(total), float(scope1 or 0.0), float(scope2 or 0.0)
    return accounting.identity(total, scope1, scope2, total - scope1 - scope2)


def summary(user: Any) -> QuerySet[SummaryRollup]:
    """Summary rollup rows in the user's jurisdiction (nothing for users without one)."""
    return scoping.summary(user)


def selection(user: Any, district: str = "") -> list[str]:
    """The region prefixes the figures cover: the user's jurisdiction, narrowed to ``district`` (nested
    prefixes merged; empty when the district is outside the jurisdiction)."""
    prefixes = scoping.region_prefixes(user)
    if district:
        inside = [p for p in prefixes if district.startswith(p) or p.startswith(district)]
        prefixes = tuple(district if district.startswith(p) else p for p in inside)
    unique = sorted(set(prefixes))
    return [p for p in unique if not any(q != p and p.startswith(q) for q in unique)]


def entrant_level(prefixes: list[str]) -> int | None:
    """The prefix length whose entrant counts give exact distinct-enterprise counts for the selection (one
    prefix of a length the rollup keeps), or None (then they are counted over the cells)."""
    if len(prefixes) == 1 and len(prefixes[0]) in SummaryRollup.LEVELS:
        return len(prefixes[0])
    return None


def _two_years(year: int, through: int, entrants: str | None) -> dict[str, Any]:
    """Σ of the year (``cur_*``) and of the same months of the year before (``prev_*``)."""
    cur, prev = Q(year=year), Q(year=year - 1, month__lte=through or 12)
    out: dict[str, Any] = {}
    for tag, q in (("cur", cur), ("prev", prev)):
        out[f"{tag}_total"] = Sum("total_tco2e", filter=q)
        out[f"{tag}_energy"] = Sum("energy_tce", filter=q)
        out[f"{tag}_va"] = Sum("value_added", filter=q)
        out[f"{tag}_total_va"] = Sum("total_va_tco2e", filter=q)
        if entrants:
            out[f"{tag}_enterprises"] = Coalesce(Sum(entrants, filter=q), 0)
    out["cur_scope1"] = Sum("scope1_tco2e", filter=cur)
    out["cur_scope2"] = Sum("scope2_tco2e", filter=cur)
    out["cur_months"] = Coalesce(Sum("accounts", filter=cur), 0)
    return out


def _distinct_enterprises(year: int, through: int) -> dict[str, Any]:
    """Distinct enterprises with an account in the year and in the same months of the year before."""
    return {
        "cur_enterprises": Count("enterprise", filter=Q(year=year), distinct=True),
        "prev_enterprises": Count("enterprise", filter=Q(year=year - 1, month__lte=through or 12), distinct=True),
    }


def _derive(row: dict[str, Any]) -> dict[str, Any]:
    row["intensity"] = _ratio(row.get("cur_total_va"), row.get("cur_va"))
    row["prev_intensity"] = _ratio(row.get("prev_total_va"), row.get("prev_va"))
    row["yoy"] = _change(row.get("cur_total"), row.get("prev_total"))
    row["intensity_yoy"] = _change(row["intensity"], row["prev_intensity"])
    return row


STATUSES = ("draft", "submitted", "verified", "locked")
DONE = ("submitted", "verified", "locked")


def _completeness(enterprises: int, months: int, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Expected = active enterprises × months to date; done = submitted + verified + locked."""
    counts = {s: sum(int(r.get(s) or 0) for r in rows) for s in STATUSES}
    expected = enterprises * months
    done = sum(counts[s] for s in DONE)
    return {
        "enterprises": enterprises,
        "months": months,
        "expected": expected,
        **counts,
        "done": done,
        "missing": max(expected - done, 0),
        "rate": (done / expected) if expected else None,
    }


def _period_q(year: int, through: int) -> Q:
    return Q(year=year) | Q(year=year - 1, month__lte=through or 12)


def region_period(user: Any, asked: int | None = None, district: str = "") -> accounting.YearChoice:
    """The year a monitoring page shows (accounting's complete-year rule, docs/monitoring.md § Complete years), from
    the summary cells, not the accounts: the months with a current account in the jurisdiction (or ``district``),
    counted for the enterprises registered in it and active. Two queries (the enterprises counted, the cells
    grouped by month)."""
    _entries, ents = accounting.region_scope(user, district)
    cells = scoping.summary_cells(user).filter(has_account=True)
    registered = Q(active=True) & access.jurisdiction_q(user, "home_region")
    if district:
        cells = cells.filter(access.prefix_q("region_code", district))
        registered &= access.prefix_q("home_region", district)
    rows = cells.values("year", "month").annotate(accounts=Count("pk"), of_scope=Count("pk", filter=registered))
    n = ents.count()
    return accounting.choose(accounting.statuses_from(n, rows.order_by()), asked, n)


def public_period(asked: int | None = None) -> accounting.YearChoice:
    """The year the public statistics show: complete for the whole platform (every registered active enterprise),
    from the summary cells like :func:`region_period`. Two queries."""
    rows = (
        SummaryCell.objects.filter(has_account=True)
        .values("year", "month")
        .annotate(accounts=Count("pk"), of_scope=Count("pk", filter=Q(active=True)))
        .order_by()
    )
    n = Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE, is_active=True).count()
    return accounting.choose(accounting.statuses_from(n, rows), asked, n)


def dashboard(user: Any, f: DashboardFilter) -> Dashboard:
    """The government dashboard (a fixed number of queries: see tests/monitoring/test_dashboard.py)."""
    base = summary(user)
    cells = scoping.summary_cells(user).filter(has_account=True)
    if f.district:
        base = base.filter(access.prefix_q("region_code", f.district))
        cells = cells.filter(access.prefix_q("region_code", f.district))
    accounted = base.filter(accounts__gt=0)
    # the year: as asked, else the latest complete one for the selection (docs/monitoring.md § Complete years)
    period = region_period(user, f.year, f.district)
    year = period.year
    years = sorted(set(accounted.values_list("year", flat=True).distinct()) | {*period.years}, reverse=True)
    if f.month:
        limit = Q(year__lt=year) | Q(year=year, month__lte=f.month)
        accounted, cells = accounted.filter(limit), cells.filter(limit)
    through = accounted.filter(year=year).aggregate(m=Max("month"))["m"] or 0
    window = accounted.filter(_period_q(year, through))
    level = entrant_level(selection(user, f.district))
    entrants = None if level is None else f"entrants_{level}"
    totals = window.aggregate(**_two_years(year, through, entrants))
    districts: list[dict[str, Any]] = [
        dict(r)
        for r in window.values("region_code")
        .annotate(**_two_years(year, through, "entrants_6"))
        .order_by(F("cur_total").desc(nulls_last=True), "region_code")
    ]
    industries: list[dict[str, Any]] = [
        dict(r)
        for r in window.values("division")
        .annotate(**_two_years(year, through, None if level is None else f"entrants_{level}d"))
        .order_by(F("cur_total").desc(nulls_last=True), "division")
    ]
    if level is None:  # several prefixes: distinct enterprises counted over the cells (3 more queries)
        cell_window = cells.filter(_period_q(year, through))
        counts = _distinct_enterprises(year, through)
        totals.update(cell_window.aggregate(**counts))
        by_division = {r["division"]: r for r in cell_window.values("division").annotate(**counts).order_by()}
        for i in industries:
            row: dict[str, Any] = dict(by_division.get(i["division"], {}))
            i["cur_enterprises"] = row.get("cur_enterprises", 0)
            i["prev_enterprises"] = row.get("prev_enterprises", 0)
    totals = _derive(totals)
    districts = [_derive(d) for d in districts]
    industries = [_derive(i) for i in industries]
    # month × district (both years, all months): the trend, year-on-year by month, and the targets' progress
    grid: list[dict[str, Any]] = [
        dict(g)
        for g in accounted.filter(year__in=[year, year - 1])
        .values("region_code", "year", "month")
        .annotate(
            total=Sum("total_tco2e"),
            scope1=Sum("scope1_tco2e"),
            scope2=Sum("scope2_tco2e"),
            energy=Sum("energy_tce"),
            va=Sum("value_added"),
            total_va=Sum("total_va_tco2e"),
        )
        .order_by()
    ]
    by_month: dict[tuple[int, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for g in grid:
        acc = by_month[(g["year"], g["month"])]
        for k in ("total", "scope1", "scope2", "energy", "va", "total_va"):
            acc[k] += float(g[k] or 0.0)
    months = []
    for m in range(1, 13):
        cur, prev = by_month.get((year, m)), by_month.get((year - 1, m))
        months.append(
            {
                "month": m,
                "total": cur["total"] if cur else None,
                "energy": cur["energy"] if cur else None,
                "intensity": _ratio(cur["total_va"], cur["va"]) if cur else None,
                "prev_total": prev["total"] if prev else None,
                "yoy": _change(cur["total"], prev["total"]) if cur and prev else None,
                "identity": _identity(cur["total"], cur["scope1"], cur["scope2"]) if cur else None,
            }
        )
    # grades: current annual results of the year
    grades = list(
        rating.visible_results(user)
        .filter(scoping.monitoring_q(user, "region_code"), is_current=True, year=year, month=0)
        .filter(access.prefix_q("region_code", f.district))
        .values("grade", "colour", "status")
        .annotate(n=Count("pk"))
        .order_by("grade", "colour", "status")
    )
    for g in grades:
        g["mark"] = str(g["grade"]) if g["grade"] else (g["colour"] or "")
    top_rows: Any
    if f.month:  # the monthly report: the months through the report's month, from the monthly cells
        top_rows = (
            cells.filter(year=year)
            .values("enterprise_id", "enterprise__name", "region_code", "industry_code")
            .annotate(total=Sum("total_tco2e"), energy=Sum("energy_tce"), months=Count("pk"))
        )
    else:  # the year so far: one precomputed row per enterprise-year
        annual = scoping.summary_annual(user).filter(year=year)
        if f.district:
            annual = annual.filter(access.prefix_q("region_code", f.district))
        top_rows = annual.annotate(total=F("total_tco2e"), energy=F("energy_tce")).values(
            "enterprise_id", "enterprise__name", "region_code", "industry_code", "total", "energy", "months"
        )
    top: list[dict[str, Any]] = [dict(t) for t in top_rows.order_by(F("total").desc(), "enterprise_id")[:TOP_N]]
    # submission completeness: current versions by status against enterprises × months to date, by district
    # (an enterprise counts in the county it is registered in; two grouped queries)
    ents = access.readable_enterprises(user, scope=access.ACCOUNTS).filter(
        scoping.monitoring_q(user, "region__code"), is_active=True
    )
    if f.district:
        ents = ents.filter(access.prefix_q("region__code", f.district))
    registered = dict(ents.values_list("region_id").annotate(n=Count("pk")).order_by())
    by_status: dict[str, dict[str, Any]] = {
        r["region_code"]: dict(r)
        for r in base.filter(year=year, month__lte=through)
        .values("region_code")
        .annotate(**{s: Coalesce(Sum(s), 0) for s in STATUSES})
        .order_by()
    }
    completeness = _completeness(sum(registered.values()), through, list(by_status.values()))
    completeness["districts"] = [
        {"region_code": code, **_completeness(registered.get(code, 0), through, [by_status.get(code, {})])}
        for code in sorted(set(registered) | set(by_status))
        if code
    ]
    # names: jurisdiction, districts and industries in three queries
    prefixes = scoping.region_prefixes(user)
    region_rows = list(
        Region.objects.filter(scoping.monitoring_q(user, "code")).only("code", "name", "level").order_by("code")
    )
    names = {r.code: r.name for r in region_rows}
    jurisdiction = [r for r in region_rows if r.prefix in prefixes or (r.code == f.district)]
    for d in [*districts, *completeness["districts"]]:
        d["name"] = names.get(d["region_code"], d["region_code"])
    for t in top:
        t["region_name"] = names.get(t["region_code"], t["region_code"])
    ind_names = dict(
        Industry.objects.filter(code__in=[i["division"] for i in industries]).values_list("code", "name_zh")
    )
    for i in industries:
        i["name"] = ind_names.get(i["division"], "")
    # targets of the regions in the jurisdiction
    target_qs = Target.objects.filter(scoping.monitoring_q(user, "region_id"), year=year).select_related("region")
    if f.district:
        target_qs = target_qs.filter(access.prefix_q("region_id", f.district))
    targets = [target_progress(t, grid, year, through) for t in target_qs.order_by("region_id")]
    open_alerts = scoping.alerts(user).exclude(status="resolved").count()
    return Dashboard(
        filters=f,
        year=year,
        years=years,
        jurisdiction=jurisdiction,
        through_month=through,
        totals=totals,
        districts=districts,
        industries=industries,
        months=months,
        grades=grades,
        top=top,
        completeness=completeness,
        targets=targets,
        open_alerts=open_alerts,
        district_options=[r for r in region_rows if r.level == Region.Level.COUNTY],
        period=period,
        identity=_identity(totals.get("cur_total"), totals.get("cur_scope1"), totals.get("cur_scope2")),
    )


def district_options(user: Any) -> list[Region]:
    """The counties of the user's jurisdiction by code (one query): the choices of a district filter."""
    return list(
        Region.objects.filter(scoping.monitoring_q(user, "code"), level=Region.Level.COUNTY)
        .only("code", "name", "level")
        .order_by("code")
    )


# --------------------------------------------------------------------------- completeness drill-down

MISSING_PAGE = 50


@dataclass
class MissingSubmissions:
    """Active enterprises of the selection without a submitted (submitted/verified/locked) current version for
    some of the months considered: months 1..M of the year (M as on the dashboard), or one month."""

    year: int
    years: list[int]
    district: str
    month: int | None
    months: list[int]
    #: the year-to-date month asked for (None: the selection's last month with an account)
    through: int | None
    #: the selection's completeness (expected, done, missing …) for the months considered
    completeness: dict[str, Any]
    #: this page's enterprises: {"enterprise", "region_name", "done", "missing": [(month, status)]}; status ""
    #: (nothing submitted) or "draft" (an open draft)
    rows: list[dict[str, Any]]
    page: Page[Any]
    district_name: str = ""
    district_options: list[Region] = field(default_factory=list)


def missing_submissions(
    user: Any,
    year: int | None,
    district: str = "",
    month: int | None = None,
    page_number: Any = 1,
    through: int | None = None,
) -> MissingSubmissions:
    """The enterprises behind the dashboard's "missing" figure (a fixed number of queries).

    Months considered: ``month`` alone, else 1..``through`` (the dashboard passes its year-to-date month, so a
    district row of the city's dashboard and its list agree), else 1..the last month with an account in the
    selection (what the dashboard filtered to ``district`` shows).
    """
    base = summary(user)
    ents = access.readable_enterprises(user, scope=access.ACCOUNTS).filter(
        scoping.monitoring_q(user, "region__code"), is_active=True
    )
    # the cells are read per enterprise (correlated to ``ents``, or for this page's enterprises)
    cells = scoping.registered_cells(user)
    if district:
        base = base.filter(access.prefix_q("region_code", district))
        ents = ents.filter(access.prefix_q("region__code", district))
    accounted = base.filter(accounts__gt=0)
    years = list(accounted.order_by("-year").values_list("year", flat=True).distinct())
    # the year: as asked, else the latest complete one for the selection (as on the dashboard)
    year = year or region_period(user, None, district).year
    if month:
        months = [month]
    else:
        if through is None:
            through = accounted.filter(year=year).aggregate(m=Max("month"))["m"] or 0
        months = list(range(1, through + 1))
    lo, hi = (months[0], months[-1]) if months else (1, 0)
    cells = cells.filter(year=year, month__gte=lo, month__lte=hi)
    counts = base.filter(year=year, month__gte=lo, month__lte=hi).aggregate(
        **{s: Coalesce(Sum(s), 0) for s in STATUSES}
    )
    done = (
        cells.filter(enterprise=OuterRef("pk"), status__in=DONE)
        .order_by()
        .values("enterprise")
        .annotate(n=Count("pk"))
        .values("n")
    )
    missing = (
        ents.annotate(done=Coalesce(Subquery(done), 0))
        .filter(done__lt=len(months))
        .select_related("region", "industry")
        .order_by("region_id", "name", "pk")
    )
    page = Paginator(missing, MISSING_PAGE).get_page(page_number)
    listed = list(page.object_list)
    seen: dict[int, dict[int, str]] = defaultdict(dict)
    ids = [o.pk for o in listed]
    for ent, m, status in cells.filter(enterprise_id__in=ids).values_list("enterprise_id", "month", "status"):
        seen[ent][m] = status
    # months started but never submitted: an open draft (drafts are never the current version)
    for ent, m in (
        reporting.visible_submissions(user)
        .filter(enterprise_id__in=ids, status="draft", period__year=year, period__month__gte=lo, period__month__lte=hi)
        .values_list("enterprise_id", "period__month")
    ):
        seen[ent].setdefault(m, "draft")
    rows = []
    for o in listed:
        statuses = seen.get(o.pk, {})
        rows.append(
            {
                "enterprise": o,
                "region_name": o.region.name if o.region else "",
                "done": getattr(o, "done", 0),
                "missing": [(m, statuses.get(m, "")) for m in months if statuses.get(m, "") not in DONE],
            }
        )
    completeness = _completeness(ents.count(), len(months), [counts])
    region_rows = list(
        Region.objects.filter(scoping.monitoring_q(user, "code"), level=Region.Level.COUNTY).order_by("code")
    )
    return MissingSubmissions(
        year=year,
        years=years or [year],
        district=district,
        month=month,
        months=months,
        through=through,
        completeness=completeness,
        rows=rows,
        page=page,
        district_name=next((r.name for r in region_rows if r.code == district), ""),
        district_options=region_rows,
    )


def target_progress(target: Target, grid: list[dict[str, Any]], year: int, through: int) -> dict[str, Any]:
    """A target against the month × district sums already loaded (no query)."""
    prefix = target.region.prefix
    ytd = ytd_va = ytd_total_va = 0.0
    last_year: dict[int, float] = defaultdict(float)
    for g in grid:
        if not str(g["region_code"]).startswith(prefix):
            continue
        if g["year"] == year:
            ytd += float(g["total"] or 0.0)
            ytd_va += float(g["va"] or 0.0)
            ytd_total_va += float(g["total_va"] or 0.0)
        elif g["year"] == year - 1:
            last_year[g["month"]] += float(g["total"] or 0.0)
    projected, method = services.project(ytd, through, last_year)
    intensity = _ratio(ytd_total_va, ytd_va)
    budget = target.total_tco2e
    return {
        "target": target,
        "region": target.region,
        "ytd": ytd,
        "through": through,
        "used": _ratio(ytd, budget),
        "projected": projected,
        "method": method,
        "projected_share": _ratio(projected, budget) if projected is not None else None,
        "over_budget": bool(budget and projected is not None and projected > budget),
        "intensity": intensity,
        "intensity_target": target.intensity,
        "intensity_over": bool(target.intensity and intensity is not None and intensity > target.intensity),
    }


# --------------------------------------------------------------------------- public statistics


@dataclass
class Cell:
    n: int = 0
    total: float = 0.0
    energy: float = 0.0
    va: float = 0.0
    total_va: float = 0.0
    suppressed: bool = False
    #: "primary" (fewer than MIN_GROUP enterprises) or "secondary" (would let a suppressed cell be derived)
    why: str = ""

    @property
    def intensity(self) -> float | None:
        return _ratio(self.total_va, self.va)


@dataclass
class PublicStats:
    year: int
    years: list[int]
    districts: list[tuple[str, str]]
    divisions: list[tuple[str, str]]
    #: (district, division) → cell; margins under "" (row total: (district, ""), column total: ("", division))
    cells: dict[tuple[str, str], Cell]
    min_group: int = MIN_GROUP
    #: the year shown and whether it is complete for the whole platform (the default: the latest complete year)
    period: accounting.YearChoice | None = None

    def cell(self, d: str, i: str) -> Cell:
        return self.cells.get((d, i), Cell())

    @property
    def rows(self) -> list[dict[str, Any]]:
        return [
            {"code": d, "name": name, "cells": [self.cell(d, i) for i, _ in self.divisions], "total": self.cell(d, "")}
            for d, name in self.districts
        ]

    @property
    def columns(self) -> list[dict[str, Any]]:
        return [{"code": i, "name": name, "total": self.cell("", i)} for i, name in self.divisions]

    @property
    def column_totals(self) -> list[Cell]:
        return [self.cell("", i) for i, _ in self.divisions]

    @property
    def grand(self) -> Cell:
        return self.cell("", "")

    @property
    def any_suppressed(self) -> bool:
        return any(c.suppressed for c in self.cells.values())


def suppress(cells: dict[tuple[str, str], Cell], rows: list[str], cols: list[str], min_group: int = MIN_GROUP) -> None:
    """Primary suppression (1 … min_group-1 enterprises), then complementary suppression.

    A row (or column) with its margin is an equation: cells sum to the margin. When exactly one of its
    non-empty entries is suppressed it could be derived, so the next smallest shown entry is suppressed
    too; this repeats until no row or column has exactly one suppressed entry.
    """
    for c in cells.values():
        if 0 < c.n < min_group:
            c.suppressed, c.why = True, "primary"
    lines = [[(r, k) for k in [*cols, ""]] for r in [*rows, ""]] + [[(r, k) for r in [*rows, ""]] for k in [*cols, ""]]
    changed = True
    while changed:
        changed = False
        for line in lines:
            present = [cells[k] for k in line if k in cells and cells[k].n > 0]
            hidden = [c for c in present if c.suppressed]
            if len(hidden) == 1:
                shown = sorted((c for c in present if not c.suppressed), key=lambda c: (c.total, c.n))
                if shown:
                    shown[0].suppressed, shown[0].why = True, "secondary"
                    changed = True


def public_stats(year: int | None) -> PublicStats:
    """District × industry division aggregates of all current accounts of a year, from the summary rollup
    (4 grouped queries over its rows; the enterprise counts are the exact distinct counts it keeps). Without
    ``year``: the latest year complete for the whole platform (docs/monitoring.md § Complete years)."""
    base = SummaryRollup.objects.filter(accounts__gt=0)
    period = public_period(year)
    year = period.year
    years = sorted(set(base.values_list("year", flat=True).distinct()) | {*period.years}, reverse=True)
    qs = base.filter(year=year)

    def sums(entrants: str) -> dict[str, Any]:
        return {
            "n": Coalesce(Sum(entrants), 0),
            "total": Sum("total_tco2e"),
            "energy": Sum("energy_tce"),
            "va": Sum("value_added"),
            "total_va": Sum("total_va_tco2e"),
        }

    cells: dict[tuple[str, str], Cell] = {}

    def put(key: tuple[str, str], r: dict[str, Any]) -> None:
        cells[key] = Cell(
            r["n"], float(r["total"] or 0), float(r["energy"] or 0), float(r["va"] or 0), float(r["total_va"] or 0)
        )

    # the table and its margins; each level has its own distinct-enterprise count (they do not add up)
    for r1 in qs.values("region_code", "division").annotate(**sums("entrants_6d")).order_by():
        put((r1["region_code"], r1["division"]), dict(r1))
    for r2 in qs.values("region_code").annotate(**sums("entrants_6")).order_by():
        put((r2["region_code"], ""), dict(r2))
    for r3 in qs.values("division").annotate(**sums("entrants_0d")).order_by():
        put(("", r3["division"]), dict(r3))
    put(("", ""), qs.aggregate(**sums("entrants_0")))
    row_codes = sorted({k[0] for k in cells if k[0]})
    col_codes = sorted({k[1] for k in cells if k[1]})
    suppress(cells, row_codes, col_codes)
    region_names = dict(Region.objects.filter(code__in=row_codes).values_list("code", "name"))
    ind_names = dict(Industry.objects.filter(code__in=col_codes).values_list("code", "name_zh"))
    return PublicStats(
        year=year,
        years=years,
        districts=[(c, region_names.get(c, c)) for c in row_codes],
        divisions=[(c, ind_names.get(c, c)) for c in col_codes],
        cells=cells,
        period=period,
    )

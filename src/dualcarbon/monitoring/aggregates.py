"""The persisted regional summary: :class:`~.models.SummaryCell` (enterprise × month),
:class:`~.models.SummaryAnnual` (enterprise × year) and :class:`~.models.SummaryRollup` (county × industry
division × month). The only code that writes them.

Set-based throughout: cells are written with ``INSERT … SELECT`` from the current ``AccountEntry`` and
``Submission`` rows (the SELECT is built by the ORM, so scoping-style range filters and joins stay in one
place), and rollup rows with one ``INSERT … SELECT … GROUP BY`` over the cells (window functions count
the enterprises entering each group). No per-row ORM loop; the number of statements depends on the number
of chunks (5,000 periods or enterprises each: within SQLite's 32,766 parameters) and of years touched, not on
the rows.

Kept in step by:

* :func:`refresh_periods` — after :func:`dualcarbon.accounting.services.compute` (signal
  ``accounts_computed``) and after a current submission is saved (its status changes: submit, verify, lock);
* :func:`refresh_enterprises` — after an enterprise's record is saved (active flag, registered region);
* :func:`rebuild` — everything, or one region prefix, from scratch (``dualcarbon rebuild_aggregates``);
* :func:`suspended` / :func:`deferred` — bulk loads (the demo generator) switch the incremental maintenance
  off and rebuild once.

Changes made behind the ORM's back (``QuerySet.update`` of a submission's status or an enterprise's
``is_active``) are not seen until the next rebuild.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    DecimalField,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from dualcarbon.registry import access

CHUNK = 5000
#: submission statuses that count as submitted in the completeness figures
DONE = ("submitted", "verified", "locked")
STATUSES = ("draft", "submitted", "verified", "locked")

#: SummaryCell columns in the order the SELECTs below produce them
CELL_COLUMNS = (
    "period_id",
    "enterprise_id",
    "year",
    "month",
    "region_code",
    "home_region",
    "industry_code",
    "division",
    "has_account",
    "total_tco2e",
    "scope1_tco2e",
    "scope2_tco2e",
    "energy_tce",
    "value_added",
    "output_value",
    "status",
    "active",
    "refreshed_at",
)
MEASURES = ("total_tco2e", "scope1_tco2e", "scope2_tco2e", "energy_tce")

_deferred: contextvars.ContextVar[bool] = contextvars.ContextVar("dualcarbon_aggregates_deferred", default=False)


@dataclass(frozen=True)
class Models:
    """The models the summary is made from and written to (the migration passes its historical ones)."""

    cell: Any
    rollup: Any
    entry: Any
    submission: Any
    organisation: Any
    #: None in migrations before the table exists (0003)
    annual: Any = None


def current_models() -> Models:
    from dualcarbon.accounting.models import AccountEntry
    from dualcarbon.registry.models import Organisation
    from dualcarbon.reporting.models import Submission

    from .models import SummaryAnnual, SummaryCell, SummaryRollup

    return Models(SummaryCell, SummaryRollup, AccountEntry, Submission, Organisation, SummaryAnnual)


def historical_models(apps: Any) -> Models:
    try:
        annual = apps.get_model("monitoring", "SummaryAnnual")
    except LookupError:  # migration 0003: the annual table comes in 0005
        annual = None
    return Models(
        apps.get_model("monitoring", "SummaryCell"),
        apps.get_model("monitoring", "SummaryRollup"),
        apps.get_model("accounting", "AccountEntry"),
        apps.get_model("reporting", "Submission"),
        apps.get_model("registry", "Organisation"),
        annual,
    )


@dataclass
class RebuildResult:
    region_prefix: str
    cells: int = 0
    annual_rows: int = 0
    rollup_rows: int = 0
    statements: int = 0
    seconds: float = 0.0
    years: list[int] = field(default_factory=list)


# --------------------------------------------------------------------------- SQL helpers


def _qn(name: str) -> str:
    return str(connection.ops.quote_name(name))


def _chunks(values: Sequence[int], size: int = CHUNK) -> Iterator[list[int]]:
    for i in range(0, len(values), size):
        yield list(values[i : i + size])


def _insert_select(table: str, columns: Sequence[str], qs: QuerySet[Any]) -> int:
    """``INSERT INTO table (columns) <the queryset's SELECT>``; the queryset selects exactly ``columns``."""
    query = qs.query
    if query.values_select or list(query.annotation_select) != [f"c_{c}" for c in columns]:
        raise AssertionError(f"the SELECT does not produce {columns}")  # guards the column order
    sql, params = query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {_qn(table)} ({', '.join(_qn(c) for c in columns)}) {sql}", params)
        return max(cur.rowcount, 0)


def _entry_cells(m: Models, where: Q, now: Any) -> QuerySet[Any]:
    """A cell per current account entry (its period's current submission gives the status)."""
    status = m.submission.objects.filter(period_id=OuterRef("submission__period_id"), is_current=True).values("status")[
        :1
    ]
    return (
        m.entry.objects.filter(is_current=True)
        .filter(where)
        .order_by()
        .values(
            c_period_id=F("submission__period_id"),
            c_enterprise_id=F("enterprise_id"),
            c_year=F("year"),
            c_month=F("month"),
            c_region_code=F("region_code"),
            c_home_region=Coalesce(F("enterprise__region_id"), Value("")),
            c_industry_code=F("industry_code"),
            c_division=Substr("industry_code", 1, 2),
            c_has_account=Value(True, output_field=BooleanField()),
            c_total_tco2e=F("total_tco2e"),
            c_scope1_tco2e=F("scope1_tco2e"),
            c_scope2_tco2e=F("scope2_tco2e"),
            c_energy_tce=F("energy_tce"),
            c_value_added=F("value_added"),
            c_output_value=F("submission__economic__output_value"),
            c_status=Coalesce(Subquery(status), Value("")),
            c_active=F("enterprise__is_active"),
            c_refreshed_at=Value(now, output_field=DateTimeField()),
        )
    )


def _submission_cells(m: Models, where: Q, now: Any) -> QuerySet[Any]:
    """A cell per current submission whose period has no current account (not computed, or not computable)."""
    accounted = m.entry.objects.filter(submission__period_id=OuterRef("period_id"), is_current=True)
    industry = Coalesce(F("enterprise__industry_id"), Value(""))
    none_float = Value(None, output_field=FloatField())
    none_dec = Value(None, output_field=DecimalField(max_digits=18, decimal_places=4))
    return (
        m.submission.objects.filter(is_current=True)
        .filter(where)
        .filter(~Exists(accounted))
        .order_by()
        .values(
            c_period_id=F("period_id"),
            c_enterprise_id=F("enterprise_id"),
            c_year=F("period__year"),
            c_month=F("period__month"),
            c_region_code=Coalesce(F("enterprise__region_id"), Value("")),
            c_home_region=Coalesce(F("enterprise__region_id"), Value("")),
            c_industry_code=industry,
            c_division=Substr(industry, 1, 2),
            c_has_account=Value(False, output_field=BooleanField()),
            c_total_tco2e=none_float,
            c_scope1_tco2e=none_float,
            c_scope2_tco2e=none_float,
            c_energy_tce=none_float,
            c_value_added=none_dec,
            c_output_value=none_dec,
            c_status=F("status"),
            c_active=F("enterprise__is_active"),
            c_refreshed_at=Value(now, output_field=DateTimeField()),
        )
    )


ANNUAL_COLUMNS = ("enterprise_id", "year", "region_code", "industry_code", "months", "total_tco2e", "energy_tce")


def _annual(m: Models, where: Q, stats: RebuildResult) -> None:
    """Replace the annual rows selected by ``where`` (on the enterprise, or nothing) with the sums of their cells."""
    if m.annual is None:
        return
    m.annual.objects.filter(where).delete()
    rows = (
        m.cell.objects.filter(where, has_account=True)
        .order_by()
        .values(
            c_enterprise_id=F("enterprise_id"),
            c_year=F("year"),
            c_region_code=F("region_code"),
            c_industry_code=F("industry_code"),
        )
        .annotate(c_months=Count("pk"), c_total_tco2e=Sum("total_tco2e"), c_energy_tce=Sum("energy_tce"))
    )
    stats.annual_rows += _insert_select(m.annual._meta.db_table, ANNUAL_COLUMNS, rows)
    stats.statements += 2


def _enterprise_years(m: Models, where: Q) -> set[tuple[int, int]]:
    return set(m.cell.objects.filter(where).order_by().values_list("enterprise_id", "year").distinct())


def _pairs(m: Models, where: Q) -> set[tuple[int, str]]:
    """(year, county) of the cells: their accounts' counties and their enterprises' registered ones."""
    qs = m.cell.objects.filter(where).order_by()
    return set(qs.values_list("year", "region_code").distinct()) | set(qs.values_list("year", "home_region").distinct())


def _refresh_cells(
    m: Models, cell_q: Q, entry_q: Q, submission_q: Q, touched: dict[int, set[str]], stats: RebuildResult
) -> None:
    """Replace the cells selected by ``cell_q`` with fresh ones from the accounts and submissions, and the
    annual rows of their enterprise-years."""
    now = timezone.now()
    for year, region in _pairs(m, cell_q):
        touched[year].add(region)
    ent_years = _enterprise_years(m, cell_q)
    m.cell.objects.filter(cell_q).delete()
    table = m.cell._meta.db_table
    stats.cells += _insert_select(table, CELL_COLUMNS, _entry_cells(m, entry_q, now))
    stats.cells += _insert_select(table, CELL_COLUMNS, _submission_cells(m, submission_q, now))
    for year, region in _pairs(m, cell_q):
        touched[year].add(region)
    ent_years |= _enterprise_years(m, cell_q)
    stats.statements += 9
    if ent_years:
        # every year of these enterprises (a filter on the enterprise alone lets SQLite use the enterprise index)
        _annual(m, Q(enterprise_id__in=sorted({e for e, _y in ent_years})), stats)


def _rollup_sql(m: Models, scope: dict[str, str]) -> str:
    """``INSERT … SELECT`` of rollup rows from the cells: three branches summed per group.

    * figures: each cell with an account, by the account's county and division (``scope["cells"]``);
    * statuses: each cell's current submission status, by the enterprise's registered county (``scope["home"]``);
    * entrants: per enterprise, year, county and division the first accounted month (a GROUP BY: one row per
      enterprise-year-county-division, ``scope["first"]``), then, with window functions over those few rows,
      whether that month is also the first within each coarser partition (prefix of length 0/2/4/6, with and
      without the division); kept for the groups in ``scope["entrants"]``.
    """
    cell, rollup = _qn(m.cell._meta.db_table), _qn(m.rollup._meta.db_table)
    c = {n: "c." + _qn(n) for n in ("region_code", "home_region", "division", "year", "month", "has_account")}
    c.update({n: "c." + _qn(n) for n in ("value_added", "output_value", "status", "active", "enterprise_id")})
    keys = ["region_code", "division", "year", "month"]
    entrants = [f"e{level}{d}" for level in (0, 2, 4, 6) for d in ("", "d")]
    names = ["n_accounts", *MEASURES, "value_added", "total_va_tco2e", "output_value", *STATUSES, *entrants]

    def select(key_exprs: list[str], values: list[str], rest: str) -> str:
        cols = [f"{e} AS {_qn(k)}" for e, k in zip(key_exprs, keys, strict=True)]
        cols += [f"{e} AS {_qn(n)}" for e, n in zip(values, names, strict=True)]
        return f"SELECT {', '.join(cols)} {rest}"

    nothing = ["NULL"] * (len(MEASURES) + 3)
    # figures
    with_va = f"{c['value_added']} > 0"
    figures = ["1", *(f"c.{_qn(n)}" for n in MEASURES)]
    figures += [
        f"CASE WHEN {with_va} THEN {c['value_added']} END",
        f"CASE WHEN {with_va} THEN c.{_qn('total_tco2e')} END",
        c["output_value"],
    ]
    figures += ["0"] * (len(STATUSES) + len(entrants))
    by_account = [c["region_code"], c["division"], c["year"], c["month"]]
    part1 = select(by_account, figures, f"FROM {cell} c WHERE {c['has_account']} {scope['cells']}")
    # statuses
    counts = ["0", *nothing]
    counts += [f"CASE WHEN {c['active']} AND {c['status']} = '{s}' THEN 1 ELSE 0 END" for s in STATUSES]
    counts += ["0"] * len(entrants)
    by_home = [c["home_region"], c["division"], c["year"], c["month"]]
    part2 = select(by_home, counts, f"FROM {cell} c WHERE {c['status']} <> '' {scope['home']}")
    # entrants
    g = {n: "g." + _qn(n) for n in ("enterprise_id", "year", "region_code", "division")}
    first = (
        f"SELECT {c['enterprise_id']} AS {_qn('enterprise_id')}, {c['year']} AS {_qn('year')}, "
        f"{c['region_code']} AS {_qn('region_code')}, {c['division']} AS {_qn('division')}, "
        f"MIN({c['month']}) AS {_qn('first')} FROM {cell} c WHERE {c['has_account']} {scope['first']} "
        f"GROUP BY {c['enterprise_id']}, {c['year']}, {c['region_code']}, {c['division']}"
    )
    region = {0: "", 2: f", SUBSTR({g['region_code']}, 1, 2)", 4: f", SUBSTR({g['region_code']}, 1, 4)"}
    region[6] = f", {g['region_code']}"
    flags = []
    for level, part in region.items():
        for d, div in (("", ""), ("d", f", {g['division']}")):
            window = f"MIN(g.{_qn('first')}) OVER (PARTITION BY {g['enterprise_id']}, {g['year']}{part}{div})"
            flags.append(f"CASE WHEN g.{_qn('first')} = {window} THEN 1 ELSE 0 END AS e{level}{d}")
    flagged = f"SELECT g.*, {', '.join(flags)} FROM ({first}) g"
    f = {n: "f." + _qn(n) for n in ("region_code", "division", "year", "first")}
    firsts = ["0", *nothing, *(["0"] * len(STATUSES)), *(f"f.{e}" for e in entrants)]
    part3 = select(
        [f["region_code"], f["division"], f["year"], f["first"]], firsts, f"FROM ({flagged}) f {scope['entrants']}"
    )
    group = ", ".join("u." + _qn(k) for k in keys)
    sums = ", ".join(f"SUM(u.{_qn(name)})" for name in names)
    columns = [*keys, "accounts", *MEASURES, "value_added", "total_va_tco2e", "output_value", *STATUSES]
    columns += [f"entrants_{e[1:]}" for e in entrants]
    return (
        f"INSERT INTO {rollup} ({', '.join(_qn(x) for x in columns)}) "
        f"SELECT {group}, {sums} FROM ({part1} UNION ALL {part2} UNION ALL {part3}) u GROUP BY {group}"
    )


def _rollup(m: Models, groups: dict[int, set[str]] | None, stats: RebuildResult) -> None:
    """Recompute the rollup rows of ``groups`` (year → counties), or all of them (``None``).

    The first-month flags of an enterprise depend on all its cells of the year, in every county: the window
    runs over every cell of the year of the enterprises present in the counties recomputed.
    """
    cell = _qn(m.cell._meta.db_table)
    year_col, region_col = _qn("year"), _qn("region_code")
    with connection.cursor() as cur:
        if groups is None:
            m.rollup.objects.all().delete()
            cur.execute(_rollup_sql(m, {"cells": "", "home": "", "first": "", "entrants": ""}))
            stats.rollup_rows += max(cur.rowcount, 0)
            stats.statements += 2
            return
        for year, regions in sorted(groups.items()):
            codes = sorted(r for r in regions if r)
            if not codes:
                continue
            m.rollup.objects.filter(year=year, region_code__in=codes).delete()
            marks = ", ".join(["%s"] * len(codes))
            scope = {
                "cells": f"AND c.{year_col} = %s AND c.{region_col} IN ({marks})",
                "home": f"AND c.{year_col} = %s AND c.{_qn('home_region')} IN ({marks})",
                # every cell of the year of the enterprises present in these counties (their first months
                # elsewhere decide whether they enter here)
                "first": (
                    f"AND c.{year_col} = %s AND c.{_qn('enterprise_id')} IN (SELECT {_qn('enterprise_id')} "
                    f"FROM {cell} WHERE {year_col} = %s AND {region_col} IN ({marks}))"
                ),
                "entrants": f"WHERE f.{region_col} IN ({marks})",
            }
            params: list[int | str] = [year, *codes, year, *codes, year, year, *codes, *codes]
            cur.execute(_rollup_sql(m, scope), params)
            stats.rollup_rows += max(cur.rowcount, 0)
            stats.statements += 2


# --------------------------------------------------------------------------- the write paths


def _refresh(
    ids: Iterable[int], models: Models | None, filters: Callable[[list[int]], tuple[Q, Q, Q]]
) -> RebuildResult:
    """Refresh the cells that ``filters(chunk)`` selects (cells, account entries, submissions) chunk by chunk,
    then the rollup groups they touch, in one transaction."""
    m = models or current_models()
    keys = sorted({int(i) for i in ids if i})
    stats = RebuildResult("")
    if not keys:
        return stats
    touched: dict[int, set[str]] = defaultdict(set)
    with transaction.atomic():
        for chunk in _chunks(keys):
            _refresh_cells(m, *filters(chunk), touched, stats)
        _rollup(m, touched, stats)
    stats.years = sorted(touched)
    return stats


def refresh_periods(period_ids: Iterable[int], models: Models | None = None) -> RebuildResult:
    """Bring the cells of these reporting periods, and the rollup groups they touch, up to date."""
    return _refresh(
        period_ids,
        models,
        lambda c: (Q(period_id__in=c), Q(submission__period_id__in=c), Q(period_id__in=c)),
    )


def refresh_enterprises(enterprise_ids: Iterable[int], models: Models | None = None) -> RebuildResult:
    """All the cells of these enterprises (every year), and the rollup groups they touch."""
    return _refresh(enterprise_ids, models, lambda c: (Q(enterprise_id__in=c),) * 3)


def rebuild(region_prefix: str = "", models: Models | None = None) -> RebuildResult:
    """The summary from scratch: everything, or every enterprise and county of one region prefix."""
    m = models or current_models()
    start = time.perf_counter()
    stats = RebuildResult(region_prefix)
    with transaction.atomic():
        if not region_prefix:
            m.cell.objects.all().delete()
            now = timezone.now()
            table = m.cell._meta.db_table
            stats.cells += _insert_select(table, CELL_COLUMNS, _entry_cells(m, Q(), now))
            stats.cells += _insert_select(table, CELL_COLUMNS, _submission_cells(m, Q(), now))
            stats.statements += 3
            _annual(m, Q(), stats)
            _rollup(m, None, stats)
            stats.years = sorted(set(m.rollup.objects.values_list("year", flat=True).distinct()))
        else:
            in_prefix = access.prefix_q("region_code", region_prefix)
            ids: set[int] = set(
                m.organisation.objects.filter(kind="enterprise")
                .filter(access.prefix_q("region__code", region_prefix))
                .values_list("pk", flat=True)
            )
            ids |= set(m.cell.objects.filter(in_prefix).values_list("enterprise_id", flat=True).distinct())
            ids |= set(
                m.entry.objects.filter(in_prefix, is_current=True).values_list("enterprise_id", flat=True).distinct()
            )
            # every rollup group of the prefix is recomputed, also those no enterprise touches any more
            touched: dict[int, set[str]] = defaultdict(set)
            for year, region in m.rollup.objects.filter(in_prefix).values_list("year", "region_code").distinct():
                touched[year].add(region)
            stats.statements += 4
            for chunk in _chunks(sorted(ids)):
                q = Q(enterprise_id__in=chunk)
                _refresh_cells(m, q, q, q, touched, stats)
            _rollup(m, touched, stats)
            stats.years = sorted(touched)
            stats.rollup_rows = m.rollup.objects.filter(in_prefix).count()
    stats.seconds = time.perf_counter() - start
    return stats


def rebuild_annual(models: Models | None = None) -> RebuildResult:
    """Only the annual rows, from the cells (migration 0005 fills the table this way)."""
    m = models or current_models()
    stats = RebuildResult("")
    with transaction.atomic():
        _annual(m, Q(), stats)
    return stats


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """Switch the incremental maintenance off for the block (a bulk load that calls :func:`rebuild` itself)."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


@contextlib.contextmanager
def deferred(region_prefix: str = "") -> Iterator[None]:
    """:func:`suspended`, then rebuild ``region_prefix`` once at the end (only when the block succeeded)."""
    with suspended():
        yield
    rebuild(region_prefix)


def is_deferred() -> bool:
    return _deferred.get()


# --------------------------------------------------------------------------- receivers (connected in apps.py)


def on_accounts_computed(sender: Any, submissions: Sequence[Any] = (), **kwargs: Any) -> None:
    if _deferred.get():
        return
    refresh_periods(s.period_id for s in submissions)


def on_submission_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """A current submission saved (submitted, verified, locked): its month's status. Drafts are never current."""
    if raw or _deferred.get() or not instance.is_current:
        return
    refresh_periods([instance.period_id])


def on_organisation_saved(sender: Any, instance: Any, raw: bool = False, created: bool = False, **kwargs: Any) -> None:
    """An enterprise's record changed (active, registered region or industry): its cells follow."""
    if raw or created or _deferred.get() or instance.kind != "enterprise":
        return
    m = current_models()
    if m.cell.objects.filter(enterprise_id=instance.pk).exists():
        refresh_enterprises([instance.pk], m)

"""Run the engine on submissions and keep the results (the only place that writes accounting data).

Many submissions are computed in one engine run: their activity records become one table whose
``entity`` is the submission id, so a whole region's restatement is one vectorised calculation per
method policy, not one calculation per enterprise-month.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from django.db import transaction
from django.utils import timezone

from dualcarbon import __version__
from dualcarbon.engine import LINE_COLUMNS, InputError, Options, account_table, backends, by_source, records_table
from dualcarbon.engine.claims import claim_lines
from dualcarbon.engine.factors import RESIDUAL_SET
from dualcarbon.engine.reference import factor_set_info
from dualcarbon.registry import services as registry
from dualcarbon.registry.models import MethodPolicy
from dualcarbon.reporting import services as reporting
from dualcarbon.reporting.models import Submission

from . import scoping

# for the apps above: the identity of a total and the complete years (re-exported)
from .identity import Identity as Identity
from .identity import identity as identity
from .identity import of_entry as of_entry
from .identity import of_totals as of_totals
from .models import AccountEntry, AccountRun, ClaimLine, EmissionLine
from .periods import COMPLETE_PERCENT as COMPLETE_PERCENT
from .periods import YearChoice as YearChoice
from .periods import YearStatus as YearStatus
from .periods import choose as choose
from .periods import enterprise_year as enterprise_year
from .periods import months_text as months_text
from .periods import public_year as public_year
from .periods import region_scope as region_scope
from .periods import region_year as region_year
from .periods import statuses_from as statuses_from
from .periods import yoy_basis as yoy_basis
from .signals import accounts_computed

#: the engine's line columns stored on EmissionLine (the rest are keys kept on the run/activity/entry)
LINE_FIELDS = tuple(
    c
    for c in LINE_COLUMNS
    if c not in {"row", "sheet", "entity", "period", "year", "month", "source_type_zh", "quantity_input", "unit_input"}
)
TOTAL_FIELDS = (
    "total_tco2e",
    "scope1_tco2e",
    "scope2_tco2e",
    "scope2_market_tco2e",
    "total_market_tco2e",
    "exported_tco2e",
    "biomass_co2_t",
    "energy_tce",
    "co2_tco2e",
    "ch4_tco2e",
    "n2o_tco2e",
    "fgas_tco2e",
)


class AccountingError(Exception):
    """The engine refused a submission's data (should have been caught by validation)."""

    def __init__(self, problems: dict[int, InputError]):
        self.problems = problems
        super().__init__(f"{len(problems)} submission(s) could not be computed")


def _connection() -> Any:
    return reporting.engine_connection()


def _factor_set_versions(lines: pd.DataFrame) -> dict[str, str]:
    names = set(lines["factor_set"].dropna().unique())
    # the market-based scope 2 view's national residual factor comes from its own set (whatever the grid choice)
    if "market_ref" in lines and lines["market_ref"].dropna().astype(str).str.startswith(RESIDUAL_SET).any():
        names.add(RESIDUAL_SET)
    out: dict[str, str] = {}
    for name in sorted(names):
        try:
            out[str(name)] = str(factor_set_info(str(name)).get("version", ""))
        except KeyError:
            out[str(name)] = ""
    return out


@transaction.atomic
def compute(
    submissions: Iterable[Submission],
    reason: str = AccountRun.Reason.SUBMISSION,
    note: str = "",
    on: datetime.date | None = None,
    con: Any = None,
) -> list[AccountRun]:
    """Compute (or recompute) the accounts of submissions; previous runs stay, marked not current.

    ``con``: the engine's connection (an Ibis backend: a Spark one for a region's restatement on a cluster,
    :func:`restate`); by default a small in-process DuckDB. Sends
    :data:`dualcarbon.accounting.signals.accounts_computed` when the batch is stored.
    """
    subs = list(submissions)
    if not subs:
        return []
    policies = registry.method_policies()
    groups: dict[int | None, list[Submission]] = defaultdict(list)
    policy_by_id: dict[int | None, MethodPolicy | None] = {None: None}
    for s in subs:
        p = registry.policy_for(s.enterprise.region_id or "", on, policies)
        groups[p.pk if p else None].append(s)
        policy_by_id[p.pk if p else None] = p
    given = con is not None  # else a DuckDB connection, opened when a group's records were not checked already
    runs: list[AccountRun] = []
    failures: dict[int, InputError] = {}
    for pid, group in groups.items():
        policy = policy_by_id[pid]
        options = registry.options_for(policy)
        ids = [s.pk for s in group]
        frame = reporting.activity_frame(ids)
        lines_df = pd.DataFrame(columns=["row", "entity", *LINE_FIELDS])
        totals_df = pd.DataFrame(columns=["entity", "period", *TOTAL_FIELDS])
        if not frame.empty:
            result = None if given else reporting.checked_account(ids, frame, options)
            if result is None:
                con = con or _connection()
                try:
                    result = account_table(con, records_table(frame), options)
                except InputError as exc:
                    failures.update({sid: exc for sid in ids})
                    continue
            lines_df = result.lines_frame()
            totals_df = result.totals_frame()
        claims_df = claim_lines(reporting.claims_frame(ids), options.grid)
        runs.extend(_store(group, lines_df, totals_df, claims_df, options, policy, reason, note))
    if failures:
        raise AccountingError(failures)
    # downstream summaries (the monitoring app's regional aggregates) follow, in this transaction
    accounts_computed.send(sender=AccountEntry, submissions=subs, reason=reason)
    return runs


def _store(
    group: list[Submission],
    lines_df: pd.DataFrame,
    totals_df: pd.DataFrame,
    claims_df: pd.DataFrame,
    options: Options,
    policy: MethodPolicy | None,
    reason: str,
    note: str,
) -> list[AccountRun]:
    ids = [s.pk for s in group]
    AccountRun.objects.filter(submission_id__in=ids, is_current=True).update(is_current=False)
    # one current account entry per enterprise-month: a correction's entry replaces the old version's
    periods = [s.period_id for s in group]
    AccountEntry.objects.filter(submission__period_id__in=periods, is_current=True).update(is_current=False)
    versions = _factor_set_versions(lines_df) if not lines_df.empty else {}
    runs = AccountRun.objects.bulk_create(
        [
            AccountRun(
                submission=s,
                reason=reason,
                note=note,
                options=options.describe(),
                factor_sets=versions,
                policy=policy,
                engine_version=__version__,
                is_current=True,
            )
            for s in group
        ]
    )
    run_by_sub = {r.submission_id: r for r in runs}
    lines_df = lines_df.astype(object).where(pd.notna(lines_df), None)
    line_objs = []
    by_item: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    by_tier: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for rec in lines_df.to_dict("records"):
        sid = int(rec["entity"])
        fields = {f: rec[f] for f in LINE_FIELDS}
        for f in (
            "unit_note",
            "ncv_origin",
            "carbon_content_origin",
            "oxidation_rate_origin",
            "factor_origin",
            "factor_ref",
            "market_ref",
            "energy_method",
            "factor_set_version",
            "factor_confidence",
        ):
            fields[f] = fields[f] or ""
        line_objs.append(EmissionLine(run=run_by_sub[sid], activity_id=int(rec["row"]), **fields))
        by_item[sid][str(rec["item"])] += float(rec["tco2e"] or 0.0)
        by_tier[sid][str(rec["quality_tier"])] += abs(float(rec["tco2e"] or 0.0))
    EmissionLine.objects.bulk_create(line_objs, batch_size=5000)
    ClaimLine.objects.bulk_create(
        [ClaimLine(run=run_by_sub[int(rec["entity"])], **claim_fields(rec)) for rec in _records(claims_df)],
        batch_size=5000,
    )
    totals = {int(r["entity"]): r for r in totals_df.to_dict("records")}
    entries = []
    for s in group:
        t = totals.get(s.pk)
        values = {f: float(t[f]) if t is not None else 0.0 for f in TOTAL_FIELDS}
        economic = getattr(s, "economic", None) if _has_economic(s) else None
        va = economic.value_added if economic is not None else None
        intensity = values["total_tco2e"] / float(va) if va else None
        entries.append(
            AccountEntry(
                run=run_by_sub[s.pk],
                submission=s,
                enterprise_id=s.enterprise_id,
                region_code=s.enterprise.region_id or "",
                industry_code=s.enterprise.industry_id or "",
                year=s.period.year,
                month=s.period.month,
                is_current=True,
                by_source=by_source({str(k): v for k, v in t.items()}) if t else {},
                by_item=dict(by_item.get(s.pk, {})),
                by_tier=dict(by_tier.get(s.pk, {})),
                value_added=va,
                intensity=intensity,
                **values,
            )
        )
    AccountEntry.objects.bulk_create(entries, batch_size=2000)
    return runs


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with None for missing values (NaN, NA)."""
    if frame.empty:
        return []
    return [
        {str(k): v for k, v in r.items()} for r in frame.astype(object).where(pd.notna(frame), None).to_dict("records")
    ]


def claim_fields(rec: dict[str, Any]) -> dict[str, Any]:
    """One :func:`dualcarbon.engine.claims.claim_lines` row as ClaimLine fields."""
    kind, _sep, pk = str(rec["record"]).partition(":")
    return {
        "generation_id": int(pk) if kind == "generation" else None,
        "offset_id": int(pk) if kind == "offset" else None,
        "kind": str(rec["kind"]),
        "use": str(rec.get("use") or ""),
        "technology": str(rec.get("technology") or ""),
        "origin": str(rec.get("origin") or ""),
        "status": str(rec.get("status") or ""),
        "reference": str(rec.get("reference") or "")[:120],
        "quantity": float(rec["quantity"]),
        "unit": str(rec["unit"] or ""),
        "measure": str(rec["measure"]),
        "amount": None if rec.get("amount") is None else float(rec["amount"]),
        "moved": float(rec.get("moved") or 0.0),
        "rule": str(rec.get("rule") or ""),
        "countable": float(rec.get("countable") or 0.0),
        "grid_factor": None if rec.get("grid_factor") is None else float(rec["grid_factor"]),
        "grid_ref": str(rec.get("grid_ref") or "")[:300],
        "factor_set": str(rec.get("grid_factor_set") or ""),
        "factor_set_version": str(rec.get("grid_factor_set_version") or ""),
        "avoided_tco2": float(rec.get("avoided_tco2") or 0.0),
    }


#: the columns rating reads (the neutrality rate's lines), in the engine's names
CLAIM_READ_FIELDS = {
    "run__entry__enterprise_id": "enterprise",
    "run__entry__year": "year",
    "run__entry__month": "month",
    "kind": "kind",
    "use": "use",
    "technology": "technology",
    "origin": "origin",
    "status": "status",
    "reference": "reference",
    "quantity": "quantity",
    "unit": "unit",
    "measure": "measure",
    "amount": "amount",
    "moved": "moved",
    "rule": "rule",
    "countable": "countable",
    "grid_factor": "grid_factor",
    "grid_ref": "grid_ref",
    "avoided_tco2": "avoided_tco2",
}


def current_claim_lines(
    region_prefix: str, years: Sequence[int], month: int = 0, enterprise_ids: Sequence[int] | None = None
) -> pd.DataFrame:
    """The neutrality claim lines behind the current account entries of ``years`` (one ``month``, or all) in a
    region prefix (and of some enterprises): one row per line, columns as the engine names them (enterprise, year,
    month, kind, …, avoided_tco2). One query."""
    qs = ClaimLine.objects.filter(
        run__entry__is_current=True, run__entry__year__in=list(years), run__entry__region_code__startswith=region_prefix
    )
    if month:
        qs = qs.filter(run__entry__month=month)
    if enterprise_ids is not None:
        qs = qs.filter(run__entry__enterprise_id__in=list(enterprise_ids))
    rows = qs.order_by("run__entry__enterprise_id", "run_id", "pk").values_list(*CLAIM_READ_FIELDS)
    frame = pd.DataFrame.from_records(list(rows.iterator(chunk_size=5000)), columns=list(CLAIM_READ_FIELDS.values()))
    for c in ("quantity", "amount", "moved", "countable", "grid_factor", "avoided_tco2"):
        frame[c] = pd.to_numeric(frame[c], errors="coerce").astype("float64")
    return frame


#: the account entry fields rating reads
ENTRY_FIELDS = (
    "id",
    "enterprise_id",
    "region_code",
    "industry_code",
    "year",
    "month",
    "value_added",
    "total_tco2e",
    "scope2_tco2e",
    "energy_tce",
    "by_source",
    "by_tier",
)


def current_entries(
    region_prefix: str, years: Sequence[int], month: int = 0, enterprise_ids: Sequence[int] | None = None
) -> Any:
    """The current account entries of ``years`` (one ``month``, or all) in a region prefix (and of some
    enterprises), as ``values()`` dicts of :data:`ENTRY_FIELDS`, streamed."""
    qs = AccountEntry.objects.filter(is_current=True, year__in=list(years), region_code__startswith=region_prefix)
    if month:
        qs = qs.filter(month=month)
    if enterprise_ids is not None:
        qs = qs.filter(enterprise_id__in=list(enterprise_ids))
    return qs.values(*ENTRY_FIELDS).iterator(chunk_size=5000)


def _has_economic(s: Submission) -> bool:
    try:
        s.economic  # noqa: B018 - touch the reverse one-to-one
    except Submission.economic.RelatedObjectDoesNotExist:
        return False
    return True


def current_submissions(region_prefix: str = "") -> Any:
    qs = Submission.objects.filter(is_current=True).select_related("enterprise", "period", "economic")
    if region_prefix:
        qs = qs.filter(enterprise__region__code__startswith=region_prefix)
    return qs


def restate(region_prefix: str = "", note: str = "", batch: int = 2000, engine: str = "duckdb", con: Any = None) -> int:
    """Recompute every current submission (e.g. after a factor set or policy change); history is kept.

    ``engine``: ``duckdb`` (in-process) or ``spark`` (``local[*]``, or the Spark Connect URL of ``SPARK_REMOTE``):
    each batch's records go to the engine as one table and its lines and totals come back to be stored here, the
    same expressions on either backend. ``con``: an engine connection already open (the tests' Spark session)."""
    subs = list(current_submissions(region_prefix))
    if con is None and engine != "duckdb":
        con = backends.connect(engine)
    for i in range(0, len(subs), batch):
        compute(subs[i : i + batch], reason=AccountRun.Reason.RESTATEMENT, note=note, con=con)
    return len(subs)


def on_submitted(sender: Any, submissions: Sequence[Submission] = (), **kwargs: Any) -> None:
    """Receiver of :data:`dualcarbon.reporting.hooks.submission_submitted`: compute the submitted months'
    accounts in the submit's transaction (an engine failure rolls the submission back)."""
    compute(list(submissions))
    from . import claims_register

    for submission in submissions:  # the month's retired offsets, claimed for the neutrality rate
        claims_register.register_submission(submission)


def account_for(user: Any, submission: Submission, current_only: bool = True) -> AccountEntry | None:
    """The account entry of ``submission`` that ``user`` may read (its current one, or the latest); registered
    with :func:`dualcarbon.reporting.hooks.register_account_reader`."""
    qs = scoping.account_entries(user).filter(submission=submission)
    if current_only:
        qs = qs.filter(is_current=True)
    return qs.order_by("-created_at").first()


def stamp() -> str:
    return timezone.now().isoformat(timespec="seconds")


# ------------------------------------------------------------------ reads for the alert rules (monitoring)
# one query each; region prefixes as index-friendly ranges (:func:`dualcarbon.registry.access.prefix_q`); the
# imports are local so that this block only appends to the module


def month_on_month_jumps(
    region_prefix: str, period: tuple[int, int], before: tuple[int, int], threshold: float, minimum: float
) -> list[dict[str, Any]]:
    """The current account entries of the month ``period`` (year, month) in a region prefix whose total exceeds
    (1 + ``threshold``) × the enterprise's current total of the month ``before``, that total being at least
    ``minimum`` tCO2e: dicts of enterprise_id, enterprise__name, region_code, total_tco2e and prev (the total of
    the month before). One query."""
    from django.db.models import F, OuterRef, Subquery

    from dualcarbon.registry import access

    (year, month), (py, pm) = period, before
    prev = AccountEntry.objects.filter(enterprise=OuterRef("enterprise"), is_current=True, year=py, month=pm).values(
        "total_tco2e"
    )[:1]
    rows = (
        AccountEntry.objects.filter(
            access.prefix_q("region_code", region_prefix), is_current=True, year=year, month=month
        )
        .annotate(prev=Subquery(prev))
        .filter(prev__gte=minimum, total_tco2e__gt=F("prev") * (1 + threshold))
        .values("enterprise_id", "enterprise__name", "region_code", "total_tco2e", "prev")
    )
    return [dict(r) for r in rows]


def _month_by_division(region_prefix: str, year: int, month: int) -> Any:
    """The current account entries of a month in a region prefix, with ``division`` (the first two characters of
    the industry code)."""
    from django.db.models.functions import Substr

    from dualcarbon.registry import access

    return AccountEntry.objects.filter(
        access.prefix_q("region_code", region_prefix), is_current=True, year=year, month=month
    ).annotate(division=Substr("industry_code", 1, 2))


#: the columns of :func:`month_division_frame`
DIVISION_FRAME_COLUMNS = ("enterprise", "division", "total_tco2e", "value_added")


def month_division_frame(region_prefix: str, year: int, month: int) -> pd.DataFrame:
    """The current account entries of a month in a region prefix as a frame of :data:`DIVISION_FRAME_COLUMNS`
    (enterprise id, industry division, tCO2e, value added in 万元 as float, NaN when not declared), what
    :func:`dualcarbon.engine.rating.group_intensity` takes to compute division benchmarks. One query."""
    rows = _month_by_division(region_prefix, year, month).values_list(
        "enterprise_id", "division", "total_tco2e", "value_added"
    )
    frame = pd.DataFrame.from_records(list(rows), columns=list(DIVISION_FRAME_COLUMNS))
    frame["total_tco2e"] = pd.to_numeric(frame["total_tco2e"], errors="coerce").astype("float64")
    frame["value_added"] = pd.to_numeric(frame["value_added"], errors="coerce").astype("float64")
    return frame


def month_intensities(region_prefix: str, year: int, month: int) -> list[dict[str, Any]]:
    """The current account entries of a month in a region prefix that have an intensity: dicts of
    enterprise_id, enterprise__name, region_code, division (the first two characters of the industry code) and
    intensity (tCO2e/万元). One query."""
    rows = (
        _month_by_division(region_prefix, year, month)
        .filter(intensity__isnull=False)
        .values("enterprise_id", "enterprise__name", "region_code", "division", "intensity")
    )
    return [dict(r) for r in rows]


def region_month_totals(region_prefix: str, year: int, through: int) -> list[dict[str, Any]]:
    """Σ tCO2e of the current account entries in a region prefix per region code and month, for the months
    1..``through`` of ``year`` and every month of the year before: dicts of region_code, year, month, total.
    One query."""
    from django.db.models import Q, Sum

    from dualcarbon.registry import access

    rows = (
        AccountEntry.objects.filter(
            access.prefix_q("region_code", region_prefix), is_current=True, year__in=[year, year - 1]
        )
        .filter(Q(year=year, month__lte=through) | Q(year=year - 1))
        .values("region_code", "year", "month")
        .annotate(total=Sum("total_tco2e"))
        .order_by()
    )
    return [dict(r) for r in rows]


# ------------------------------------------------------------------ reads for a group's inventory (programme)


def scope_month_totals(enterprise_ids: Sequence[int], years: Sequence[int]) -> list[dict[str, Any]]:
    """The current monthly account entries of some enterprises and years: dicts of enterprise_id, year, month,
    scope1_tco2e, scope2_tco2e (location-based) and total_tco2e, as stored (what a group's inventory consolidates,
    engine/consolidation.py). One query."""
    rows = (
        AccountEntry.objects.filter(
            is_current=True, enterprise_id__in=list(enterprise_ids), year__in=list(years), month__gte=1
        )
        .order_by("enterprise_id", "year", "month")
        .values(
            "enterprise_id",
            "year",
            "month",
            "scope1_tco2e",
            "scope2_tco2e",
            "total_tco2e",
            "scope2_market_tco2e",
            "energy_tce",
            "value_added",
            "by_tier",
        )
    )
    return [dict(r) for r in rows]


def electricity_month_totals(enterprise_ids: Sequence[int], years: Sequence[int]) -> list[dict[str, Any]]:
    """Purchased electricity behind the current monthly accounts of some enterprises: dicts of enterprise_id, year,
    month, ``mwh`` (Σ quantity over the electricity lines, those with a market-based factor: a line's quantity is
    stored in its activity unit, the input unit's factor already applied)
    and ``green_mwh`` (the part whose market factor is 0: 绿电 bought as such). Lines in another unit than MWh are
    left out and counted in ``other_unit_lines``. One query."""
    rows = (
        EmissionLine.objects.filter(
            run__entry__is_current=True,
            run__entry__enterprise_id__in=list(enterprise_ids),
            run__entry__year__in=list(years),
            run__entry__month__gte=1,
            market_factor__isnull=False,
        )
        .values_list(
            "run__entry__enterprise_id",
            "run__entry__year",
            "run__entry__month",
            "quantity",
            "activity_unit",
            "market_factor",
        )
        .order_by("run__entry__enterprise_id", "run__entry__year", "run__entry__month")
    )
    out: dict[tuple[int, int, int], dict[str, Any]] = {}
    for ent, year, month, qty, unit, market in rows:
        r = out.setdefault(
            (ent, year, month),
            {"enterprise_id": ent, "year": year, "month": month, "mwh": 0.0, "green_mwh": 0.0, "other_unit_lines": 0},
        )
        if (unit or "").strip() != "MWh":
            r["other_unit_lines"] += 1
            continue
        mwh = float(qty)
        r["mwh"] += mwh
        if market == 0:
            r["green_mwh"] += mwh
    return list(out.values())


def factor_sources(enterprise_ids: Sequence[int], year: int) -> list[dict[str, Any]]:
    """The factors behind the current account entries of some enterprises in a year, one row per distinct source
    type, scope, item, factor set (and its version), factor reference and GWP table (the methodology section of an
    inventory report). One query."""
    rows = (
        EmissionLine.objects.filter(
            run__entry__is_current=True, run__entry__enterprise_id__in=list(enterprise_ids), run__entry__year=year
        )
        .values("source_type", "scope", "item_name", "factor_set", "factor_set_version", "factor_ref", "gwp_table")
        .order_by("scope", "source_type", "item_name", "factor_set")
        .distinct()
    )
    return [dict(r) for r in rows]

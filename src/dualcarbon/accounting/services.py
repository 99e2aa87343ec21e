"""Run the engine on submissions and keep the results (the only place that writes accounting data).

Many submissions are computed in one engine run: their activity records become one table whose
``entity`` is the submission id, so a whole region's restatement is one vectorised calculation per
method policy, not one calculation per enterprise-month.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import ibis
import pandas as pd
from django.db import transaction
from django.utils import timezone

from dualcarbon import __version__
from dualcarbon.engine import LINE_COLUMNS, InputError, Options, account_table, backends, by_source
from dualcarbon.engine.factors import RESIDUAL_SET
from dualcarbon.engine.inputs import ACTIVITY_COLUMNS, NUMERIC_COLUMNS
from dualcarbon.engine.reference import factor_set_info
from dualcarbon.reporting.models import ActivityRecord, Submission

from .models import AccountEntry, AccountRun, EmissionLine, MethodPolicy
from .signals import accounts_computed

ACTIVITY_FIELDS = ACTIVITY_COLUMNS
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
    return backends.connect("duckdb", memory_limit="1GB", threads=2)


def policy_for(
    region_code: str, on: datetime.date | None = None, policies: Sequence[MethodPolicy] | None = None
) -> MethodPolicy | None:
    """The policy of the most specific region containing ``region_code`` in force on ``on``."""
    day = on or timezone.localdate()
    candidates = policies if policies is not None else list(MethodPolicy.objects.select_related("region"))
    best: MethodPolicy | None = None
    for p in candidates:
        prefix = p.region.prefix
        if region_code.startswith(prefix) and p.valid_from <= day:
            if best is None or (len(prefix), p.valid_from) > (len(best.region.prefix), best.valid_from):
                best = p
    return best


def options_for(policy: MethodPolicy | None) -> Options:
    if policy is None:
        return Options(fuel_sets=("fuels-a", "fuels-b"), grid="mee:provincial")
    return Options(
        fuel_sets=tuple(s.strip() for s in policy.fuel_sets.split(",") if s.strip()),
        grid=policy.grid,
        gwp=policy.gwp,
        tce_basis=policy.tce_basis,
    )


def _activity_frame(submission_ids: Sequence[int]) -> pd.DataFrame:
    rows = ActivityRecord.objects.filter(submission_id__in=submission_ids).values(
        "id",
        "submission_id",
        "submission__period__year",
        "submission__period__month",
        "submission__enterprise__region_id",
        "source_sheet",
        *ACTIVITY_FIELDS,
    )
    records = []
    for r in rows.iterator(chunk_size=5000):
        rec: dict[str, Any] = {
            "_row": r["id"],
            "_sheet": r["source_sheet"] or None,
            "entity": str(r["submission_id"]),
            "period": f"{r['submission__period__year']}-{r['submission__period__month']:02d}",
            "region": r["submission__enterprise__region_id"] or "",
        }
        for f in ACTIVITY_FIELDS:
            v = r[f]
            rec[f] = float(v) if isinstance(v, Decimal) else (v or None)
        records.append(rec)
    frame = pd.DataFrame.from_records(records)
    for f in NUMERIC_COLUMNS:
        if f in frame:
            frame[f] = pd.to_numeric(frame[f], errors="coerce").astype("float64")
    return frame


def check_submission(submission: Submission, options: Options | None = None) -> InputError | None:
    """Run the engine's validation on one submission's records (no writes). None when clean."""
    frame = _activity_frame([submission.pk])
    if frame.empty:
        return None
    if options is None:
        options = options_for(policy_for(submission.enterprise.region_id or ""))
    con = _connection()
    try:
        account_table(con, ibis.memtable(frame), options)
    except InputError as exc:
        return exc
    return None


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
) -> list[AccountRun]:
    """Compute (or recompute) the accounts of submissions; previous runs stay, marked not current.

    Sends :data:`dualcarbon.accounting.signals.accounts_computed` when the batch is stored.
    """
    subs = list(submissions)
    if not subs:
        return []
    policies = list(MethodPolicy.objects.select_related("region"))
    groups: dict[int | None, list[Submission]] = defaultdict(list)
    policy_by_id: dict[int | None, MethodPolicy | None] = {None: None}
    for s in subs:
        p = policy_for(s.enterprise.region_id or "", on, policies)
        groups[p.pk if p else None].append(s)
        policy_by_id[p.pk if p else None] = p
    con = _connection()
    runs: list[AccountRun] = []
    failures: dict[int, InputError] = {}
    for pid, group in groups.items():
        policy = policy_by_id[pid]
        options = options_for(policy)
        ids = [s.pk for s in group]
        frame = _activity_frame(ids)
        lines_df = pd.DataFrame(columns=["row", "entity", *LINE_FIELDS])
        totals_df = pd.DataFrame(columns=["entity", "period", *TOTAL_FIELDS])
        if not frame.empty:
            try:
                result = account_table(con, ibis.memtable(frame), options)
            except InputError as exc:
                failures.update({sid: exc for sid in ids})
                continue
            lines_df = result.lines_frame()
            totals_df = con.execute(result.totals)
        runs.extend(_store(group, lines_df, totals_df, options, policy, reason, note))
    if failures:
        raise AccountingError(failures)
    # downstream summaries (the monitoring app's regional aggregates) follow, in this transaction
    accounts_computed.send(sender=AccountEntry, submissions=subs, reason=reason)
    return runs


def _store(
    group: list[Submission],
    lines_df: pd.DataFrame,
    totals_df: pd.DataFrame,
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


def restate(region_prefix: str = "", note: str = "", batch: int = 2000) -> int:
    """Recompute every current submission (e.g. after a factor set or policy change); history is kept."""
    subs = list(current_submissions(region_prefix))
    for i in range(0, len(subs), batch):
        compute(subs[i : i + batch], reason=AccountRun.Reason.RESTATEMENT, note=note)
    return len(subs)


def stamp() -> str:
    return timezone.now().isoformat(timespec="seconds")

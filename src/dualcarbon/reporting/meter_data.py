"""Meter data in the platform (电碳监测): a region's month of interval readings → the enterprises' metered totals.

A region's government loads a file of 15-minute readings (Parquet or CSV, the columns of
:mod:`dualcarbon.engine.meters`: ``meter_id, entity, ts, kwh`` and optionally ``direction``) through
``dualcarbon load-meters``, the upload page (``/report/meters/``) or the API (``POST /api/reporting/meters/loads``).
:func:`load` does it:

1. the file is read and checked by the engine (unusable readings are located errors: nothing is written);
2. each ``entity`` is matched to an enterprise registered in the region by its unified social credit code (the
   identifier ``import-region`` uses); an entity that matches none is listed as a located finding of the load,
   its readings not counted anywhere;
3. the readings are aggregated by the engine (per meter series and month, in DuckDB: the readings never come into
   Python) and totalled per enterprise with the grid factor the account engine gives the enterprise's purchased
   electricity (its county, the method policy in force: :func:`dualcarbon.registry.services.method_options`);
4. the totals (:class:`.models.MeteredMonth`, not the readings) are stored with the load's provenance
   (:class:`.models.MeterLoad`: file name, SHA-256, who, when, the engine's findings); a reload of the same region
   and month replaces the previous load's totals, which stay as history;
5. every enterprise of the load that has already reported the month is compared (:func:`check_reported`): a
   difference above the region's tolerance is stored as the ``meter_mismatch`` finding on its current version and
   raises monitoring's ``meter_mismatch`` alert through :func:`dualcarbon.registry.signals.request_alert`.

The month's submissions meet the same comparison when they are validated (:mod:`.validators`, rule
``meter_mismatch``), so a month reported after its meter data was loaded is flagged on submit.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from dualcarbon.engine import backends
from dualcarbon.engine import meters as engine_meters
from dualcarbon.engine.messages import InputError
from dualcarbon.registry import access
from dualcarbon.registry import services as registry_services
from dualcarbon.registry.models import Organisation, Region
from dualcarbon.registry.signals import request_alert

from . import scoping, validators
from .models import ActivityRecord, MeteredMonth, MeterLoad, MeterSetting, Submission, ValidationIssue
from .region_import import ImportError_, _err

PERIOD = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
#: findings and unknown entities kept on a load (the counts say how many there were)
MAX_KEPT = 500
#: errors shown for a refused file
MAX_ERRORS = 200
KWH = Decimal("0.001")
TCO2E = Decimal("0.000001")
FACTOR = Decimal("0.000001")
#: the submission states whose version counts as reported
REPORTED = (Submission.Status.SUBMITTED, Submission.Status.VERIFIED, Submission.Status.LOCKED)
CHANNELS = ("cli", "web", "api")


class MeterLoadInvalid(Exception):
    """The file cannot be loaded; nothing was written. ``errors``: located, in both languages."""

    def __init__(self, errors: Sequence[ImportError_], total: int | None = None):
        self.errors = list(errors)[:MAX_ERRORS]
        self.total = total if total is not None else len(errors)
        super().__init__(f"{self.total} error(s); nothing was loaded")

    def messages(self, lang: str) -> list[str]:
        return [e.message(lang) for e in self.errors]


def _invalid(file: str, column: str, rule: str, zh: str, en: str, row: int | None = None) -> MeterLoadInvalid:
    return MeterLoadInvalid([_err(file, row, column, rule, zh, en)])


def _from_engine(file: str, exc: InputError) -> MeterLoadInvalid:
    errors = [
        ImportError_(file, p.row, p.column or "", p.rule, f"{file}：{p.message('zh')}", f"{file}: {p.message('en')}")
        for p in exc.problems
    ]
    return MeterLoadInvalid(errors, max(exc.total, len(errors)))


def parse_period(text: str | None) -> tuple[int, int] | None:
    """``YYYY-MM`` → (year, month); None for no text; ValueError for a malformed one."""
    if text is None or not str(text).strip():
        return None
    m = PERIOD.match(str(text))
    if not m or not (2000 <= int(m.group(1)) <= 2100 and 1 <= int(m.group(2)) <= 12):
        raise ValueError(text)
    return int(m.group(1)), int(m.group(2))


def mismatch_share(region_code: str, settings: Sequence[MeterSetting] | None = None) -> Decimal:
    """The region's tolerance between reported and metered electricity (the most specific setting containing the
    code; :data:`.validators.METER_MISMATCH_SHARE`, 10 %, without one). ``settings``: all of them, read once by a
    caller that asks for many enterprises."""
    code = str(region_code or "")
    rows = settings if settings is not None else list(MeterSetting.objects.select_related("region"))
    best: tuple[int, Decimal] | None = None
    for setting in rows:
        prefix = setting.region.prefix
        if code.startswith(prefix) and (best is None or len(prefix) > best[0]):
            best = (len(prefix), setting.mismatch_share)
    return best[1] if best else validators.METER_MISMATCH_SHARE


def _sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _dec(value: Any, quantum: Decimal) -> Decimal:
    return Decimal(repr(float(value))).quantize(quantum)


@dataclass
class Computed:
    """What :func:`compute` found in a file (nothing stored yet)."""

    year: int
    month: int
    totals: pd.DataFrame
    findings: pd.DataFrame
    unknown: list[dict[str, Any]]
    enterprises: dict[str, Organisation]
    readings: int
    options: dict[str, Any]


def compute(path: Path, file_name: str, region: Region, period: tuple[int, int] | None) -> Computed:
    """Read, check and total a file of readings for ``region`` (MeterLoadInvalid: located errors; writes nothing)."""
    try:
        src = engine_meters.read_readings(path)
    except InputError as exc:
        raise _from_engine(file_name, exc) from exc
    with src:
        con = backends.connect("duckdb", memory_limit="1GB", threads=2)
        raw = con.read_parquet(str(src.path))
        entity_text = raw.entity.cast("string").strip() if not raw.entity.type().is_string() else raw.entity.strip()
        entities = [str(e) for e in con.execute(raw.select(e=entity_text).distinct())["e"].dropna()]
        registered: dict[str, Organisation] = {
            str(o.uscc): o
            for o in Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE, uscc__in=entities)
            .filter(access.prefix_q("region__code", region.prefix))
            .select_related("region", "industry")
        }
        # the region of each reading: its enterprise's county (the account engine's region for its electricity)
        mapping = pd.DataFrame(
            {"_entity": list(registered), "_county": [o.region_id or "" for o in registered.values()]},
            columns=["_entity", "_county"],
        ).astype("string")
        joined = raw.mutate(_entity=entity_text).left_join(ibis.memtable(mapping), "_entity")
        keep = [c for c in raw.columns if c != "region"]
        table = joined.select(*keep, region=joined._county.fill_null(""))
        base = engine_meters.MeterOptions()
        try:
            lean = engine_meters.check(con, engine_meters.typed(table))
            series = con.execute(engine_meters.series_months(engine_meters.typed(table, lean=lean), base))
        except InputError as exc:
            raise _from_engine(file_name, exc) from exc
    if series.empty:
        raise _invalid(file_name, "", "empty", "文件中没有电表读数", "the file holds no meter readings")
    series["period"] = [f"{int(y):04d}-{int(m):02d}" for y, m in zip(series["year"], series["month"], strict=True)]
    periods = sorted(series["period"].unique())
    if period is None:
        if len(periods) > 1:
            raise _invalid(
                file_name,
                "ts",
                "several_months",
                f"文件包含多个月份的读数（{'、'.join(periods)}），请用 --period 指定导入的月份",
                f"the file holds readings of several months ({', '.join(periods)}): name the month loaded (--period)",
            )
        year, month = int(series["year"].iloc[0]), int(series["month"].iloc[0])
    else:
        year, month = period
        label = f"{year}-{month:02d}"
        other = series[series["period"] != label].sort_values("first_row")
        if not other.empty:
            errors = [
                _err(
                    file_name,
                    None if pd.isna(r["first_row"]) else int(r["first_row"]),
                    "ts",
                    "outside_period",
                    f"电表“{r['meter_id']}”有 {r['period']} 的读数，不属于导入的月份 {label}",
                    f"meter {r['meter_id']} has readings of {r['period']}, outside the month loaded ({label})",
                )
                for r in other.drop_duplicates(["meter_id", "period"]).to_dict("records")
            ]
            raise MeterLoadInvalid(errors)
    known = series["entity"].isin(list(registered))
    unknown_rows = series[~known]
    unknown = []
    for entity, g in unknown_rows.groupby("entity", sort=True):
        first = g["first_row"].min()
        unknown.append(
            {
                "entity": str(entity),
                "row": None if pd.isna(first) else int(first),
                "meters": int(g["meter_id"].nunique()),
                "readings": int(g["readings"].sum()),
                "kwh": round(float(g["kwh"].sum()), 3),
            }
        )
    matched = series[known].copy()
    if matched.empty:
        raise _invalid(
            file_name,
            "entity",
            "no_enterprise",
            f"文件中没有本辖区（{region.name}）已登记企业的统一社会信用代码，未导入任何数据",
            f"no entity of the file is an enterprise registered in {region.name} (by its unified social credit "
            "code); nothing was loaded",
        )
    # one summary per grid choice: the method policy in force for each enterprise's county decides, as accounting
    groups: dict[tuple[str, str], list[str]] = {}
    for uscc, org in registered.items():
        opts = registry_services.method_options(org.region_id or "")
        groups.setdefault((opts.grid, opts.gwp), []).append(uscc)
    totals, findings, choices = [], [], []
    for (grid, gwp), usccs in groups.items():
        part = matched[matched["entity"].isin(usccs)].drop(columns=["period"])
        if part.empty:
            continue
        options = engine_meters.MeterOptions(grid=grid, gwp=gwp)
        try:
            result = engine_meters.summarise(part.reset_index(drop=True), options)
        except InputError as exc:
            raise _from_engine(file_name, exc) from exc
        result.totals["grid_choice"] = grid
        totals.append(result.totals)
        findings.append(result.findings)
        choices.append(options.describe())
    return Computed(
        year,
        month,
        pd.concat(totals, ignore_index=True),
        pd.concat(findings, ignore_index=True) if findings else pd.DataFrame(),
        unknown,
        registered,
        int(series["readings"].sum()),
        {"engine": "duckdb", "choices": choices},
    )


def _finding_items(findings: pd.DataFrame) -> tuple[dict[str, int], list[dict[str, Any]]]:
    counts: dict[str, int] = {}
    items: list[dict[str, Any]] = []
    if findings.empty:
        return counts, items
    for r in findings.to_dict("records"):
        counts[r["finding"]] = counts.get(r["finding"], 0) + int(r["count"])
        if len(items) < MAX_KEPT:
            items.append(
                {
                    "entity": r["entity"],
                    "meter_id": r["meter_id"],
                    "direction": r["direction"],
                    "finding": r["finding"],
                    "count": int(r["count"]),
                    "readings": None if pd.isna(r["readings"]) else int(r["readings"]),
                    "kwh": None if pd.isna(r["kwh"]) else round(float(r["kwh"]), 3),
                }
            )
    return counts, items


def can_load(user: Any, region: Region) -> bool:
    """The government whose jurisdiction covers the region, or the platform admin."""
    return scoping.can_load_meters(user, region.code)


def load(
    user: Any,
    path: str | Path,
    *,
    region_code: str,
    period: str | None = None,
    file_name: str | None = None,
    channel: str = "web",
) -> MeterLoad:
    """Load a month of a region's meter readings (see the module's text). PermissionDenied for a user who does
    not govern the region; MeterLoadInvalid (located errors, zh and en) for a bad file or period: nothing written."""
    path = Path(path)
    name = (file_name or path.name)[:255]
    region = Region.objects.filter(code=str(region_code or "").strip()).first()
    if region is None:
        raise _invalid("", "region", "region", f"地区代码“{region_code}”不存在", f"no region with code “{region_code}”")
    if not can_load(user, region):
        raise PermissionDenied(_("只有该地区的政府部门可以导入电表数据"))
    try:
        wanted = parse_period(period)
    except ValueError:
        zh, en = f"月份“{period}”无效，应为 YYYY-MM", f"“{period}” is not a month (YYYY-MM)"
        raise _invalid("", "period", "period", zh, en) from None
    sha, size = _sha256(path)
    found = compute(path, name, region, wanted)
    counts, items = _finding_items(found.findings)
    if found.unknown:
        counts["unknown_entity"] = len(found.unknown)
    with transaction.atomic():
        previous = list(
            MeterLoad.objects.select_for_update().filter(
                region=region, year=found.year, month=found.month, is_current=True
            )
        )
        MeterLoad.objects.filter(pk__in=[p.pk for p in previous]).update(is_current=False)
        new = MeterLoad.objects.create(
            region=region,
            year=found.year,
            month=found.month,
            file_name=name,
            file_sha256=sha,
            file_size=size,
            loaded_by=user,
            channel=channel if channel in CHANNELS else "web",
            readings=found.readings,
            enterprises=len(found.totals),
            unknown_entities=len(found.unknown),
            options=found.options,
            findings={"counts": counts, "items": items, "unknown": found.unknown[:MAX_KEPT]},
        )
        MeterLoad.objects.filter(pk__in=[p.pk for p in previous]).update(replaced_by=new)
        orgs = [found.enterprises[e] for e in found.totals["entity"]]
        # the previous totals of the month (this region's former load, and these enterprises' from any load) are
        # history now
        MeteredMonth.objects.filter(is_current=True, year=found.year, month=found.month).filter(
            Q(load__in=[p.pk for p in previous]) | Q(enterprise__in=[o.pk for o in orgs])
        ).update(is_current=False)
        rows = [
            MeteredMonth(
                load=new,
                enterprise=org,
                year=found.year,
                month=found.month,
                region_code=org.region_id or "",
                industry_code=org.industry_id or "",
                entity=str(r["entity"]),
                kwh=_dec(r["kwh"], KWH),
                import_kwh=_dec(r["import_kwh"], KWH),
                export_kwh=_dec(r["export_kwh"], KWH),
                tco2e=_dec(r["tco2e"], TCO2E),
                grid_factor=_dec(r["grid_factor"], FACTOR),
                grid_ref=str(r["grid_ref"] or "")[:200],
                grid_set=str(r["grid_set"] or "")[:64],
                grid_version=str(r["grid_version"] or "")[:64],
                grid_choice=str(r["grid_choice"])[:40],
                meters=int(r["meters"]),
                readings=int(r["readings"]),
                expected_intervals=int(r["expected_intervals"]),
                received_intervals=int(r["received_intervals"]),
                missing_intervals=int(r["missing_intervals"]),
                duplicate_readings=int(r["duplicate_readings"]),
                conflicting_intervals=int(r["conflicting_intervals"]),
                negative_readings=int(r["negative_readings"]),
                implausible_readings=int(r["implausible_readings"]),
                off_grid_readings=int(r["off_grid_readings"]),
            )
            for org, r in zip(orgs, found.totals.to_dict("records"), strict=True)
        ]
        MeteredMonth.objects.bulk_create(rows)
        check_reported([o.pk for o in orgs], found.year, found.month)
    return new


def load_upload(user: Any, upload: Any, *, region_code: str, period: str | None, channel: str) -> MeterLoad:
    """:func:`load` for an uploaded file (web page, API): written to a temporary file of the same suffix first."""
    import tempfile

    name = Path(str(getattr(upload, "name", "") or "readings.csv")).name
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise _invalid(name, "", "file_type", "请上传 CSV 或 Parquet 文件", "upload a CSV or Parquet file of readings")
    with tempfile.TemporaryDirectory(prefix="meters-") as tmp:
        target = Path(tmp) / f"readings{suffix}"
        with open(target, "wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
        return load(user, target, region_code=region_code, period=period, file_name=name, channel=channel)


# ------------------------------------------------------------------------------------------------ reading


def metered_of(enterprise_id: int, year: int, month: int) -> MeteredMonth | None:
    """The enterprise's current metered total of the month (None: no meter data loaded)."""
    return (
        MeteredMonth.objects.filter(enterprise_id=enterprise_id, year=year, month=month, is_current=True)
        .select_related("load")
        .first()
    )


def _context(row: MeteredMonth, threshold: Decimal) -> dict[str, Any]:
    return {
        "import_kwh": row.import_kwh,
        "load_id": row.load_id,
        "file_name": row.load.file_name,
        "file_sha256": row.load.file_sha256,
        "threshold": threshold,
    }


def context_for(enterprise: Organisation, year: int, month: int) -> dict[str, Any] | None:
    """What the ``meter_mismatch`` validator needs about the month's metered total (None: none loaded)."""
    row = metered_of(enterprise.pk, year, month)
    if row is None:
        return None
    return _context(row, mismatch_share(enterprise.region_id or ""))


def reported_kwh(
    enterprise_ids: Iterable[int] | None, year: int, month: int, region_prefix: str | None = None
) -> dict[int, Decimal]:
    """Purchased electricity (kWh) in the current reported version of the month, per enterprise that reported it
    (of ``enterprise_ids``, or of the enterprises registered in ``region_prefix``); zero for a reported month
    without a purchased electricity line."""
    who = (
        access.prefix_q("enterprise__region__code", region_prefix or "")
        if enterprise_ids is None
        else Q(enterprise_id__in=list(enterprise_ids))
    )
    versions = Submission.objects.filter(
        who, is_current=True, status__in=REPORTED, period__year=year, period__month=month
    )
    out: dict[int, Decimal] = dict.fromkeys(versions.values_list("enterprise_id", flat=True), Decimal(0))
    grouped: dict[int, list[dict[str, Any]]] = {}
    rows = ActivityRecord.objects.filter(
        submission__in=versions.values("pk"), source_type__in=validators.PURCHASED
    ).values("submission__enterprise_id", "source_type", "quantity", "unit")
    for r in rows:
        grouped.setdefault(r["submission__enterprise_id"], []).append(dict(r))
    for eid, acts in grouped.items():
        out[eid] = validators.reported_purchased_kwh(acts)
    return out


def current_metered(region_prefix: str, year: int, month: int) -> QuerySet[MeteredMonth]:
    """The current metered totals of a month in a region (by the enterprises' county when loaded)."""
    return MeteredMonth.objects.filter(is_current=True, year=year, month=month).filter(
        access.prefix_q("region_code", region_prefix)
    )


def loads_of(region_prefix: str, year: int, month: int) -> QuerySet[MeterLoad]:
    """The loads whose totals are a region's current metered totals of the month (the derivation of the figures)."""
    used = current_metered(region_prefix, year, month).values("load_id")
    return MeterLoad.objects.filter(pk__in=used).select_related("region", "loaded_by").order_by("region_id", "pk")


def loaded_months(region_prefix: str) -> list[str]:
    """Months with metered totals in a region, latest first."""
    rows = (
        MeteredMonth.objects.filter(is_current=True)
        .filter(access.prefix_q("region_code", region_prefix))
        .values_list("year", "month")
        .distinct()
        .order_by("-year", "-month")
    )
    return [f"{y}-{m:02d}" for y, m in rows]


# ------------------------------------------------------------------------------------------------ comparison


def check_reported(enterprise_ids: Sequence[int], year: int, month: int) -> int:
    """Compare the reported purchased electricity of these enterprises' current versions of the month with the
    current metered totals: replace each version's ``meter_mismatch`` finding, and raise the alert of each
    mismatch (a fixed number of queries, and one alert request per mismatch). Returns the number of mismatches."""
    reported = reported_kwh(enterprise_ids, year, month)
    if not reported:
        return 0
    subs = list(
        Submission.objects.filter(
            enterprise_id__in=list(reported),
            is_current=True,
            status__in=REPORTED,
            period__year=year,
            period__month=month,
        ).select_related("enterprise", "period")
    )
    metered = {
        m.enterprise_id: m
        for m in MeteredMonth.objects.filter(
            enterprise_id__in=list(reported), year=year, month=month, is_current=True
        ).select_related("load")
    }
    settings = list(MeterSetting.objects.select_related("region"))
    ValidationIssue.objects.filter(submission__in=subs, rule=validators.METER_RULE).delete()
    issues, alerts = [], []
    label = f"{year}-{month:02d}"
    for sub in subs:
        row = metered.get(sub.enterprise_id)
        if row is None:
            continue
        ctx = _context(row, mismatch_share(sub.enterprise.region_id or "", settings))
        finding = validators.meter_finding(reported[sub.enterprise_id], ctx, label)
        if finding is None:
            continue
        issues.append(
            ValidationIssue(
                submission=sub,
                severity=finding.severity,
                rule=finding.rule,
                sheet=finding.sheet,
                row=finding.row,
                column=finding.column,
                message_zh=finding.message_zh,
                message_en=finding.message_en,
            )
        )
        alerts.append((sub, reported[sub.enterprise_id], ctx))
    ValidationIssue.objects.bulk_create(issues)
    for sub, kwh, ctx in alerts:
        raise_alert(sub, kwh, ctx)
    return len(alerts)


def raise_alert(submission: Submission, reported: Decimal, ctx: dict[str, Any]) -> Any:
    """Ask monitoring for the ``meter_mismatch`` alert of the submission's month (one per enterprise and month)."""
    label = submission.period.label
    metered = Decimal(ctx["import_kwh"])
    cmp = validators.compare_meter(reported, metered, Decimal(ctx["threshold"]))
    ent = submission.enterprise
    share_text = "—" if cmp.share is None else f"{cmp.share:.1%}"
    return request_alert(
        "reporting",
        kind="meter_mismatch",
        subject=f"{ent.pk}:{label}",
        region_code=ent.region_id or "",
        period=label,
        message_zh=(
            f"{ent.name} {label} 报送购入电力 {reported:,.0f} kWh，计量电量 {metered:,.0f} kWh，"
            f"相差 {share_text}（允许偏差 {cmp.threshold:.0%}）"
        ),
        message_en=(
            f"{ent.name} {label}: reported purchased electricity {reported:,.0f} kWh, metered {metered:,.0f} kWh, "
            f"a difference of {share_text} (tolerance {cmp.threshold:.0%})"
        ),
        evidence={
            "enterprise_id": ent.pk,
            "uscc": ent.uscc,
            "period": label,
            "reported_kwh": str(reported.quantize(KWH)),
            "metered_kwh": str(metered),
            "difference_share": None if cmp.share is None else str(cmp.share.quantize(Decimal("0.0001"))),
            "threshold": str(cmp.threshold),
            "submission_id": submission.pk,
            "submission_version": submission.version,
            "meter_load_id": ctx["load_id"],
            "meter_file": ctx["file_name"],
            "meter_file_sha256": ctx["file_sha256"],
        },
    )


def alert_on_submit(submission: Submission, issues: Sequence[ValidationIssue]) -> None:
    """After a submit: the alert of a ``meter_mismatch`` finding among the version's findings."""
    if not any(i.rule == validators.METER_RULE for i in issues):
        return
    period = submission.period
    ctx = context_for(submission.enterprise, period.year, period.month)
    if ctx is None:
        return
    reported = reported_kwh([submission.enterprise_id], period.year, period.month).get(submission.enterprise_id)
    if reported is not None:
        raise_alert(submission, reported, ctx)

"""Read-only queries behind the account, lineage and region pages and the exports.

Every queryset starts from :mod:`dualcarbon.scoping`; nothing here filters by organisation by hand.
The figures are the stored ones (AccountEntry / EmissionLine, full precision): summing months or
enterprises is done by the database (``aggregate``/``annotate``); the only Python summing is of the
small per-entry JSON breakdowns (at most twelve entries a year). Each function issues a fixed number
of queries whatever the amount of data, so the pages' query counts do not grow with the data.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Substr
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dualcarbon.engine.methods import FORMULAS, SOURCE_TYPES, TIER_MEANING
from dualcarbon.engine.reference import citation, factor_set_info, item_source
from dualcarbon.registry import access
from dualcarbon.registry.models import Industry, Organisation, Region
from dualcarbon.reporting import services as reporting
from dualcarbon.ui import names

from . import periods, scoping
from .identity import Identity, of_totals
from .models import AccountEntry, AccountRun, EmissionLine

#: the stored monthly measures shown on every page, by the short name their sums go by
MEASURES = {
    "total": "total_tco2e",
    "scope1": "scope1_tco2e",
    "scope2": "scope2_tco2e",
    "exported": "exported_tco2e",
    "biomass": "biomass_co2_t",
    "energy": "energy_tce",
}

#: submission states as shown in tables ("none" when nothing was reported; "not_covered": a month a bank reader's
#: consent does not cover — whether it was reported is not the bank's to know)
STATUS_LABELS: dict[str, Any] = {
    "none": _("未报送"),
    "not_covered": _("不在授权范围内"),
    "draft": _("草稿"),
    "submitted": _("已提交"),
    "verified": _("已核查"),
    "locked": _("已锁定"),
}
ORIGIN_LABELS: dict[str, Any] = {
    "measured": _("实测"),
    "declared": _("企业声明"),
    "prescribed": _("标准规定"),
    "default": _("因子库缺省值"),
}
TIER_LABELS: dict[int, Any] = {
    1: _("一级：实测参数或标准规定的因子"),
    2: _("二级：企业声明参数"),
    3: _("三级：因子库缺省值"),
}
SCOPE_LABELS: dict[str, Any] = {"1": _("范围一"), "2": _("范围二"), "export": _("输出"), "biomass": _("生物质")}
SOURCE_LABELS: dict[str, Any] = {
    "fuel_combustion": _("化石燃料燃烧"),
    "process": _("工业生产过程"),
    "co2_recovery": _("CO2回收利用"),
    "purchased_electricity": _("购入电力"),
    "purchased_heat": _("购入热力"),
    "exported_electricity": _("输出电力"),
    "exported_heat": _("输出热力"),
    "biomass": _("生物质燃烧"),
}
REASON_LABELS: dict[str, Any] = {
    AccountRun.Reason.SUBMISSION: _("提交核算"),
    AccountRun.Reason.RESTATEMENT: _("因子更新重算"),
}
REGION_PAGE_SIZE = 50


def status_label(code: str | None) -> str:
    return str(STATUS_LABELS.get(code or "none", code or ""))


def source_label(code: str) -> str:
    return str(SOURCE_LABELS.get(code, code))


# --------------------------------------------------------------------------- enterprise account


@dataclass
class MonthRow:
    month: int
    entry: AccountEntry | None = None
    version: int | None = None
    status: str = "none"
    submitted_at: datetime.datetime | None = None
    #: a correction draft (version N+1) is open on top of the current version
    correction_open: bool = False

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def label(self) -> str:
        return f"{self.month:02d}"

    @property
    def identity(self) -> Identity | None:
        """The month's total = scope 1 + scope 2 − exported, as printed (None for a month without an account)."""
        return self.entry.identity() if self.entry is not None else None


@dataclass
class Share:
    key: str
    label: str
    tco2e: float
    share: float | None
    note: str = ""


def _english() -> bool:
    return (get_language() or "zh-hans").lower().startswith("en")


@dataclass
class FactorSetUsed:
    name: str
    version: str
    title: str
    publisher: str
    document: str
    published: str
    confidence: str
    url: str
    #: the set's source as a sentence (engine.reference.citation): publisher, document title and number, table,
    #: date, reprint or transcription; a comparison set says it is not an official source
    citation_zh: str = ""
    citation_en: str = ""
    official: bool = True

    @property
    def citation(self) -> str:
        """The sentence in the page's language."""
        return self.citation_en if _english() else self.citation_zh


@dataclass
class AccountYear:
    enterprise: Organisation
    year: int
    years: list[int]
    entries: list[AccountEntry]
    months: list[MonthRow]
    totals: dict[str, Any]
    by_source: list[Share]
    by_item: list[Share]
    tiers: list[Share]
    formulas: list[dict[str, str]] = field(default_factory=list)
    factor_sets: list[FactorSetUsed] = field(default_factory=list)
    options: list[dict[str, Any]] = field(default_factory=list)
    #: the year shown and whether it is complete (the default: the enterprise's latest complete year)
    period: periods.YearChoice | None = None
    #: the year's total = scope 1 + scope 2 − exported, as printed (None: no account in the year)
    identity: Identity | None = None


def visible_enterprise(user: Any, org_id: int) -> Organisation:
    """The enterprise if the user may read it (404 otherwise)."""
    return get_object_or_404(scoping.enterprises(user).select_related("industry", "region"), pk=org_id)


def _totals(qs: QuerySet[AccountEntry]) -> dict[str, Any]:
    """Sums of the stored measures in the database; intensity = Σ tCO2e / Σ value added (months having it).

    ``scope2_market``/``total_market`` (the market-based view) are None when a month was computed before
    that view existed (its entry holds null), rather than a sum of the other months.
    """
    agg = qs.aggregate(
        **{k: Sum(m) for k, m in MEASURES.items()},
        va_sum=Sum("value_added"),
        total_with_va=Sum("total_tco2e", filter=Q(value_added__gt=0)),
        months=Count("pk"),
        enterprises=Count("enterprise", distinct=True),
        scope2_market=Sum("scope2_market_tco2e"),
        total_market=Sum("total_market_tco2e"),
        market_missing=Count("pk", filter=Q(scope2_market_tco2e__isnull=True)),
    )
    if agg["market_missing"]:  # months computed before the market-based view: no partial sum
        agg["scope2_market"] = agg["total_market"] = None
    va = agg["va_sum"]
    agg["intensity"] = (agg["total_with_va"] or 0.0) / float(va) if va else None
    return agg


def _merge(entries: list[AccountEntry], attr: str) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for e in entries:
        for k, v in (getattr(e, attr) or {}).items():
            out[str(k)] += float(v or 0.0)
    return out


def _shares(values: dict[str, float], labels: dict[str, str], base: float | None = None) -> list[Share]:
    whole = base if base is not None else sum(abs(v) for v in values.values())
    rows = [
        Share(k, labels.get(k, k), v, (abs(v) / whole) if whole else None)
        for k, v in sorted(values.items(), key=lambda kv: -abs(kv[1]))
        if v
    ]
    return rows


def factor_sets_used(names: dict[str, str]) -> list[FactorSetUsed]:
    out = []
    for name, version in sorted(names.items()):
        try:
            info = factor_set_info(name)
        except KeyError:
            info = {}
        out.append(
            FactorSetUsed(
                name,
                version or info.get("version", ""),
                info.get("title_en" if _english() else "title_zh", ""),
                info.get("publisher", ""),
                info.get("document", ""),
                info.get("published", ""),
                info.get("confidence", ""),
                info.get("url", ""),
                citation(name, "zh") if info else "",
                citation(name, "en") if info else "",
                info.get("status") != "comparison" if info else False,
            )
        )
    return out


def formula_rows(codes: list[str]) -> list[dict[str, str]]:
    rows = []
    for code in sorted(set(codes)):
        f = FORMULAS.get(code)
        rows.append(
            {
                "code": code,
                "expression": f.expression if f else "",
                "standard": f.standard if f else "",
                "name_zh": f.name_zh if f else "",
            }
        )
    return rows


def consented_months(user: Any, enterprise: Organisation, year: int) -> set[int] | None:
    """For a reader whose only way in is a bank's consent: the months of ``year`` its active consents naming the
    monthly accounts cover (None for every other reader: no limit). One query."""
    return scoping.consented_months(user, enterprise, year)


@dataclass
class YearSummary:
    """One year of an enterprise's account as a summary (the credit report): totals of the months read, the
    data-quality tier mix and each month's verification status; no monthly figures."""

    year: int
    #: the months of the year inside the period asked for
    months_in_period: list[int]
    totals: dict[str, Any]
    #: tier (1–3) → share of the year's |tCO2e| (None: no account)
    tiers: dict[int, float | None]
    #: month → the status of the submission behind its current account ("none": no account)
    month_status: dict[int, str]

    @property
    def months_accounted(self) -> int:
        return sum(1 for s in self.month_status.values() if s != "none")

    @property
    def complete(self) -> bool:
        return len(self.months_in_period) == 12 and self.months_accounted == 12


def account_summaries(
    user: Any, enterprise: Organisation, first: tuple[int, int], last: tuple[int, int]
) -> list[YearSummary]:
    """The enterprise's account, year by year, over the months ``first``..``last`` (inclusive, (year, month)),
    as far as the user may read it as a summary (:func:`scoping.summary_entries`: a bank needs a consent naming
    the account summary or the monthly lines). Two queries per year."""
    out: list[YearSummary] = []
    for year in range(first[0], last[0] + 1):
        months = [m for m in range(1, 13) if first <= (year, m) <= last]
        entry_qs = scoping.summary_entries(user).filter(
            enterprise=enterprise, year=year, month__in=months, is_current=True
        )
        entries = list(entry_qs.select_related("submission").only("month", "by_tier", "submission__status"))
        tiers_abs = _merge(entries, "by_tier")
        whole = sum(abs(v) for v in tiers_abs.values())
        tiers = {t: (abs(tiers_abs.get(str(t), 0.0)) / whole if whole else None) for t in (1, 2, 3)}
        status = {m: "none" for m in months}
        status.update({e.month: e.submission.status for e in entries})
        out.append(YearSummary(year, months, _totals(entry_qs), tiers, status))
    return out


def account_year(user: Any, enterprise: Organisation, year: int | None) -> AccountYear:
    """Everything the account page, the Excel export and the PDF report show for one year (6 queries).

    Without ``year``: the enterprise's latest complete year (its December accounted), else its latest year with an
    account, labelled partial (:mod:`dualcarbon.accounting.periods`)."""
    choice = periods.enterprise_year(user, enterprise, year)
    year, years = choice.year, choice.years
    entry_qs = scoping.account_entries(user).filter(enterprise=enterprise, year=year, is_current=True)
    entries = list(entry_qs.select_related("submission", "run__policy").order_by("month"))
    totals = _totals(entry_qs)
    by_month = {e.month: e for e in entries}
    months = [MonthRow(m, by_month.get(m)) for m in range(1, 13)]
    # submission states the user may read (banks read none: their rows come from the consented entries)
    subs = (
        reporting.visible_submissions(user)
        .filter(enterprise=enterprise, period__year=year)
        .values("period__month", "version", "status", "is_current", "submitted_at")
    )
    seen = set()
    for s in subs.order_by("period__month", "version"):
        row = months[s["period__month"] - 1]
        seen.add(row.month)
        if s["is_current"]:
            row.version, row.status, row.submitted_at = s["version"], s["status"], s["submitted_at"]
        elif s["status"] == "draft":
            if row.version is None:
                row.version, row.status = s["version"], "draft"
            else:
                row.correction_open = True
    for row in months:
        if row.month not in seen and row.entry is not None:
            sub = row.entry.submission
            row.version, row.status, row.submitted_at = sub.version, sub.status, sub.submitted_at
    covered = consented_months(user, enterprise, year)
    if covered is not None:
        for row in months:
            if row.month not in covered and row.entry is None:
                row.status = "not_covered"
    source_labels = {code: source_label(code) for code in SOURCE_TYPES}
    lines = (
        EmissionLine.objects.filter(run_id__in=[e.run_id for e in entries])
        .values("item", "item_name", "formula")
        .distinct()
    )
    item_names: dict[str, str] = {}
    formulas: list[str] = []
    for ln in lines:
        item_names.setdefault(ln["item"], names.item_name(ln["item"], ln["item_name"]))
        formulas.append(ln["formula"])
    set_versions: dict[str, str] = {}
    options: dict[str, Any] = {}
    for e in entries:
        set_versions.update(e.run.factor_sets or {})
        options.update(e.run.options or {})
    tiers_abs = _merge(entries, "by_tier")
    tier_whole = sum(tiers_abs.values())
    tiers = [
        Share(
            str(t),
            str(TIER_LABELS[t]),
            tiers_abs.get(str(t), 0.0),
            (tiers_abs.get(str(t), 0.0) / tier_whole) if tier_whole else None,
            TIER_MEANING[t],
        )
        for t in (1, 2, 3)
    ]
    sources = _merge(entries, "by_source")
    return AccountYear(
        enterprise=enterprise,
        year=year,
        years=years,
        entries=entries,
        months=months,
        totals=totals,
        by_source=_shares(sources, source_labels),
        by_item=_shares(_merge(entries, "by_item"), item_names),
        tiers=tiers,
        formulas=formula_rows(formulas),
        factor_sets=factor_sets_used(set_versions),
        options=[{"key": k, "value": v} for k, v in options.items()],
        period=choice,
        identity=of_totals(totals, recovery=sources.get("co2_recovery", 0.0)),
    )


def year_lines(user: Any, entries: list[AccountEntry]) -> QuerySet[EmissionLine]:
    """The emission lines (with the activity records) behind already-scoped entries, for the 明细 sheet."""
    return (
        EmissionLine.objects.filter(run_id__in=[e.run_id for e in entries])
        .select_related("activity", "run__entry", "run__submission")
        .order_by("run__entry__month", "activity__line_no", "gas")
    )


# --------------------------------------------------------------------------- lineage of one entry


@dataclass
class LineView:
    """One emission line with the labels the lineage page shows next to it."""

    line: EmissionLine
    formula: dict[str, str]
    source_label: str
    origins: dict[str, str]
    tier_meaning: str
    #: where the line's default parameters come from (document number, table of the item's row), zh and en;
    #: empty for a line computed from the enterprise's own factor or parameters alone
    source_zh: str = ""
    source_en: str = ""

    @property
    def source(self) -> str:
        return self.source_en if _english() else self.source_zh


@dataclass
class HistoryRow:
    entry: AccountEntry
    status_label: str
    reason_label: str


@dataclass
class Lineage:
    entry: AccountEntry
    run: AccountRun
    rows: list[LineView]
    history: list[HistoryRow]
    factor_sets: list[FactorSetUsed]
    status_label: str
    reason_label: str


def visible_entry(user: Any, entry_id: int) -> AccountEntry:
    return get_object_or_404(
        scoping.account_entries(user).select_related(
            "run__policy__region", "submission__period", "enterprise__industry", "enterprise__region"
        ),
        pk=entry_id,
    )


def _origin(code: str) -> str:
    return str(ORIGIN_LABELS.get(code, code)) if code else ""


def _line_source(line: EmissionLine, lang: str) -> str:
    """The document and table behind a line's library default (grid lines name their announcement in factor_ref)."""
    name = line.factor_set or ""
    if not name or name.startswith("(") or line.formula in ("direct_factor", "electricity_grid"):
        return ""
    return item_source(name, line.item, lang)


def lineage(user: Any, entry_id: int) -> Lineage:
    """How one monthly account was made, and its other runs/versions the user may read (3 queries)."""
    entry = visible_entry(user, entry_id)
    # the lines of a run the user may read (the entry came through scoping.account_entries)
    lines = list(
        EmissionLine.objects.filter(run_id=entry.run_id).select_related("activity").order_by("activity__line_no", "gas")
    )
    history = list(
        scoping.account_entries(user)
        .filter(enterprise_id=entry.enterprise_id, year=entry.year, month=entry.month)
        .select_related("run", "submission")
        .order_by("-submission__version", "-run__created_at", "-pk")
    )
    formulas = {r["code"]: r for r in formula_rows([ln.formula for ln in lines])}
    rows = [
        LineView(
            line=ln,
            formula=formulas[ln.formula],
            source_label=source_label(ln.source_type),
            origins={
                "ncv": _origin(ln.ncv_origin),
                "carbon_content": _origin(ln.carbon_content_origin),
                "oxidation_rate": _origin(ln.oxidation_rate_origin),
                "factor": _origin(ln.factor_origin),
            },
            tier_meaning=str(TIER_LABELS.get(ln.quality_tier, "")),
            source_zh=_line_source(ln, "zh"),
            source_en=_line_source(ln, "en"),
        )
        for ln in lines
    ]
    return Lineage(
        entry=entry,
        run=entry.run,
        rows=rows,
        history=[
            HistoryRow(h, status_label(h.submission.status), str(REASON_LABELS.get(h.run.reason, h.run.reason)))
            for h in history
        ],
        factor_sets=factor_sets_used(entry.run.factor_sets or {}),
        status_label=status_label(entry.submission.status),
        reason_label=str(REASON_LABELS.get(entry.run.reason, entry.run.reason)),
    )


# --------------------------------------------------------------------------- region


@dataclass
class RegionFilter:
    year: int | None = None
    month: int | None = None
    district: str = ""
    industry: str = ""
    page: int = 1

    @classmethod
    def from_query(cls, params: Any) -> RegionFilter:
        def num(name: str, lo: int, hi: int) -> int | None:
            try:
                v = int(params.get(name) or "")
            except ValueError:
                return None
            return v if lo <= v <= hi else None

        district = str(params.get("district") or "").strip()
        industry = str(params.get("industry") or "").strip()
        return cls(
            year=num("year", 2000, 2100),
            month=num("month", 1, 12),
            district=district if district.isdigit() and len(district) <= 6 else "",
            industry=industry if industry.isalnum() and len(industry) <= 5 else "",
            page=num("page", 1, 10**6) or 1,
        )


def _jurisdiction_q(user: Any, field_name: str) -> Q:
    """The user's jurisdiction on ``field_name`` (everything for the platform admin, nothing for others)."""
    return access.jurisdiction_q(user, field_name)


def region_entries(user: Any) -> QuerySet[AccountEntry]:
    """Current accounts of the enterprises in the user's jurisdiction."""
    return scoping.account_entries(user).filter(is_current=True).filter(_jurisdiction_q(user, "region_code"))


def region_enterprises(user: Any) -> QuerySet[Organisation]:
    return scoping.enterprises(user).filter(_jurisdiction_q(user, "region__code"))


@dataclass
class RegionView:
    filters: RegionFilter
    jurisdiction: list[Region]
    years: list[int]
    status_month: int | None
    totals: dict[str, Any]
    districts: list[dict[str, Any]]
    industries: list[dict[str, Any]]
    months: list[dict[str, Any]]
    district_options: list[Region]
    industry_options: list[Industry]
    page: Any
    rows: list[dict[str, Any]]
    #: the year shown and whether it is complete (the default: the selection's latest complete year)
    period: periods.YearChoice | None = None
    #: the selection's total = scope 1 + scope 2 − exported, as printed (None: no account)
    identity: Identity | None = None


def _filtered(qs: QuerySet[AccountEntry], f: RegionFilter, with_month: bool = True) -> QuerySet[AccountEntry]:
    qs = qs.filter(year=f.year or 0)
    if with_month and f.month:
        qs = qs.filter(month=f.month)
    if f.district:
        qs = qs.filter(access.prefix_q("region_code", f.district))
    if f.industry:
        qs = qs.filter(access.prefix_q("industry_code", f.industry))
    return qs


def _sums() -> dict[str, Any]:
    return {
        **{k: Sum(m) for k, m in MEASURES.items()},
        "va_sum": Sum("value_added"),
        "total_with_va": Sum("total_tco2e", filter=Q(value_added__gt=0)),
        "enterprises": Count("enterprise", distinct=True),
    }


def _with_intensity(rows: Any) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        va = r.get("va_sum")
        r["intensity"] = (r.get("total_with_va") or 0.0) / float(va) if va else None
        out.append(r)
    return out


def region_view(user: Any, f: RegionFilter) -> RegionView:
    """The region page: totals by district, industry and month, and a page of enterprises (12 queries).

    Without ``year``: the latest year complete for the jurisdiction (or the district asked for), else the latest
    year with an account, labelled partial (:mod:`dualcarbon.accounting.periods`)."""
    base = region_entries(user)
    choice = periods.region_year(user, f.year, f.district)
    f.year, years = choice.year, choice.years
    selected = _filtered(base, f)
    totals = _totals(selected)
    districts = _with_intensity(
        selected.values("region_code").annotate(**_sums()).order_by(F("total").desc(), "region_code")
    )
    industries = _with_intensity(
        selected.annotate(division=Substr("industry_code", 1, 2))
        .values("division")
        .annotate(**_sums())
        .order_by(F("total").desc(), "division")
    )
    for i in industries:
        i["identity"] = of_totals(i)
    months = _with_intensity(_filtered(base, f, with_month=False).values("month").annotate(**_sums()).order_by("month"))
    status_month = f.month or _filtered(base, f, with_month=False).aggregate(m=Max("month"))["m"]
    district_options = list(
        Region.objects.filter(_jurisdiction_q(user, "code"), level=Region.Level.COUNTY).order_by("code")
    )
    industry_options = list(
        Industry.objects.filter(
            code__in=region_enterprises(user).annotate(d=Substr("industry_id", 1, 2)).values("d")
        ).order_by("code")
    )
    # names come from the option lists already loaded (a name sub-query per entry row grew with the data)
    region_names = {r.code: r.name for r in district_options}
    missing = {d["region_code"] for d in districts} - set(region_names)
    if missing:
        region_names.update(Region.objects.filter(code__in=missing).values_list("code", "name"))
    for d in districts:
        d["name"] = region_names.get(d["region_code"])
    industry_names = {i.code: (i.name_zh, i.name_en) for i in industry_options}
    for d in industries:
        d["name"], d["name_en"] = industry_names.get(d["division"], (None, None))
    # enterprises: latest current account (up to the selected year) and the status of the month
    ents = region_enterprises(user)
    if f.district:
        ents = ents.filter(region__code__startswith=f.district)
    if f.industry:
        ents = ents.filter(industry__code__startswith=f.industry)
    latest = (
        scoping.account_entries(user)
        .filter(enterprise=OuterRef("pk"), is_current=True, year__lte=f.year or 0)
        .order_by("-year", "-month")
        .values("pk")[:1]
    )
    status = Subquery(
        reporting.visible_submissions(user)
        .filter(enterprise=OuterRef("pk"), period__year=f.year or 0, period__month=status_month or 0)
        .order_by("-is_current", "-version")
        .values("status")[:1]
    )
    # paginate bare ids, then annotate only the page's enterprises (OFFSET over annotated rows grew with the page)
    page = Paginator(ents.order_by("name", "pk").values_list("pk", flat=True), REGION_PAGE_SIZE).get_page(f.page)
    page_ids = list(page.object_list)
    annotated = (
        ents.filter(pk__in=page_ids)
        .select_related("region", "industry")
        .annotate(latest_entry_id=Subquery(latest), month_status=status)
    )
    by_id = {o.pk: o for o in annotated}
    orgs = [by_id[i] for i in page_ids if i in by_id]
    latest_ids = [getattr(o, "latest_entry_id", None) for o in orgs]
    latest_entries = AccountEntry.objects.in_bulk([i for i in latest_ids if i])
    rows = []
    for o, latest_id in zip(orgs, latest_ids, strict=True):
        month_status = getattr(o, "month_status", None)
        rows.append(
            {
                "enterprise": o,
                "entry": latest_entries.get(latest_id) if latest_id else None,
                "status": month_status or "none",
                "status_label": status_label(month_status),
            }
        )
    prefixes = [p for p in scoping.region_prefixes(user) if p]
    jurisdiction = list(Region.objects.filter(code__in=[p.ljust(6, "0") for p in prefixes])) if prefixes else []
    return RegionView(
        filters=f,
        jurisdiction=jurisdiction,
        years=years,
        status_month=status_month,
        totals=totals,
        districts=districts,
        industries=industries,
        months=months,
        district_options=district_options,
        industry_options=industry_options,
        page=page,
        rows=rows,
        period=choice,
        identity=of_totals(totals),
    )


def bank_enterprises(user: Any) -> QuerySet[Organisation]:
    """The enterprises a bank or verifier user may read (home page list)."""
    return scoping.enterprises(user).select_related("industry", "region").order_by("name", "pk")


__all__ = [
    "MEASURES",
    "AccountYear",
    "HistoryRow",
    "LineView",
    "Lineage",
    "RegionFilter",
    "RegionView",
    "YearSummary",
    "account_summaries",
    "account_year",
    "bank_enterprises",
    "lineage",
    "region_view",
    "visible_enterprise",
]

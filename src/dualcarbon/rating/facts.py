"""Account facts: what eligibility rules (policies, bank products) are written over, per enterprise and year.

Judgement layer: the facts read the registry (industry, district, size, above-scale), the accounts (through
:mod:`dualcarbon.accounting.services`: emissions, data-quality tiers, the months' verification status) and this
app's own current annual rating results (grade, level, K, intensity and its year-on-year trend). Every fact carries
its lineage (``source``): the rating result, run and scheme version, the account entries, the submissions or the
register row it was read from, so a user can see how it was made.

:data:`CATALOGUE` describes the facts for :mod:`dualcarbon.engine.eligibility` (kind and unit).
:func:`facts_for_region` builds them for every enterprise of a region in a fixed number of queries;
:func:`facts_for` for one enterprise.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dualcarbon.accounting import services as accounting
from dualcarbon.engine import eligibility as el
from dualcarbon.registry.models import Organisation

from .models import RatingResult

#: the facts rules may name: kind and unit (docs/policy.md § Facts)
CATALOGUE: dict[str, el.FactSpec] = {
    s.name: s
    for s in (
        el.FactSpec("grade", el.ORDINAL),
        el.FactSpec("level", el.CATEGORY),
        el.FactSpec("k", el.NUMBER),
        el.FactSpec("intensity", el.NUMBER, "tCO2/万元"),
        el.FactSpec("intensity_trend", el.NUMBER, "%"),
        el.FactSpec("emissions", el.NUMBER, "tCO2e"),
        el.FactSpec("reduction", el.NUMBER, "tCO2e"),
        el.FactSpec("industry", el.CATEGORY),
        el.FactSpec("district", el.CATEGORY),
        el.FactSpec("size", el.CATEGORY),
        el.FactSpec("above_scale", el.FLAG),
        el.FactSpec("certification", el.CATEGORY),
        el.FactSpec("data_tier", el.ORDINAL),
        el.FactSpec("verification", el.CATEGORY),
    )
}

#: the facts' names for people
LABELS: dict[str, Any] = {
    "grade": _("碳效等级"),
    "level": _("碳效水平（低/中/高碳）"),
    "k": _("碳效值 K"),
    "intensity": _("碳排放强度"),
    "intensity_trend": _("强度同比变化"),
    "emissions": _("年排放量"),
    "reduction": _("同比减排量"),
    "industry": _("行业（大类）"),
    "district": _("所在县区"),
    "size": _("企业规模"),
    "above_scale": _("规上工业企业"),
    "certification": _("认证状态"),
    "data_tier": _("数据质量层级"),
    "verification": _("核查状态"),
}

#: values of the category facts that are codes of this platform (industries and districts are named by the registry)
VALUE_LABELS: dict[str, dict[str, Any]] = {
    "level": {"low": _("低碳"), "medium": _("中碳"), "high": _("高碳")},
    "size": {"large": _("大型"), "medium": _("中型"), "small": _("小型"), "micro": _("微型")},
    "verification": {"verified": _("全部月份已核查"), "partial": _("部分月份已核查"), "unverified": _("未核查")},
    "certification": {
        "enterprise": _("已入选降碳转型升级企业库"),
        "project": _("有项目入选降碳转型升级项目库"),
        "none": _("未获转型认定"),
        "unknown": _("未知（平台尚无认证数据）"),
    },
}

#: (enterprise ids, the day) → {enterprise id: (value, source)}: who answers the ``certification`` fact. The app that
#: certifies (finance, transition certification: docs/finance.md) registers it in its ``AppConfig.ready``, as
#: accounting registers ``reporting.hooks.account_of``; rating imports nothing of it. Without one the fact is
#: ``unknown``. Called once per ``facts_for_region`` (one query for any number of enterprises).
CertificationProvider = Callable[[list[int], date], Mapping[int, tuple[str, dict[str, Any]]]]
_certification: list[CertificationProvider] = []


def register_certification(provider: CertificationProvider) -> None:
    """Name the function that answers the certification fact (the last registered wins)."""
    _certification[:] = [provider]


VERIFIED_STATUSES = ("verified", "locked")


@dataclass(frozen=True)
class Fact:
    name: str
    value: Any  # Decimal / int / str / bool / None (unknown)
    #: where it came from: {"kind": "rating_result"|"account_entries"|"submissions"|"register"|"none", ids …}
    source: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        v = self.value
        return {"value": str(v) if isinstance(v, Decimal) else v, "source": self.source}


@dataclass
class AccountFacts:
    enterprise_id: int
    year: int
    facts: dict[str, Fact]

    def values(self) -> dict[str, Any]:
        return {k: f.value for k, f in self.facts.items()}

    def to_dict(self) -> dict[str, Any]:
        return {k: f.to_dict() for k, f in self.facts.items()}


def dec(v: Any) -> Decimal | None:
    """A float figure as the Decimal of its shortest repr (None stays None)."""
    return el.to_decimal(v)


def _result_source(r: RatingResult) -> dict[str, Any]:
    if r.pk is None:  # a what-if grade computed in memory (policy sandbox): no stored row to point at
        return {"kind": "sandbox_grade", "scheme": r.scheme.label, "year": r.year}
    return {"kind": "rating_result", "result": r.pk, "run": r.run_id, "scheme": r.scheme.label, "year": r.year}


def _dominant_tier(by_tier: dict[str, float]) -> int | None:
    """The tier holding the largest share of the year's tCO2e (a tie: the worse tier)."""
    if not by_tier or sum(by_tier.values()) <= 0:
        return None
    return max((v, int(k)) for k, v in by_tier.items())[1]


def facts_for_region(
    region_prefix: str,
    year: int,
    enterprise_ids: Sequence[int] | None = None,
    *,
    grades: Mapping[int, RatingResult] | None = None,
) -> dict[int, AccountFacts]:
    """The facts of every active enterprise of a region (or of some enterprises) for ``year``: a fixed number of
    queries (enterprises, two years of current annual results, the year's current entries and submissions).

    ``grades`` (the policy sandbox): unsaved results standing in for the year's current ones (an enterprise absent
    from it has no grade that year); the year before stays as stored."""
    orgs = Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE, is_active=True)
    if region_prefix:
        orgs = orgs.filter(region__code__startswith=region_prefix)
    if enterprise_ids is not None:
        orgs = orgs.filter(pk__in=list(enterprise_ids))
    enterprises = list(orgs.select_related("industry").order_by("pk"))
    ids = [o.pk for o in enterprises]
    results: dict[tuple[int, int], RatingResult] = {}
    for r in RatingResult.objects.filter(
        enterprise_id__in=ids, year__in=[year - 1, year], month=0, is_current=True
    ).select_related("scheme"):
        results[(r.enterprise_id, r.year)] = r
    if grades is not None:
        for pk in ids:
            results.pop((pk, year), None)
            if pk in grades:
                results[(pk, year)] = grades[pk]
    tiers: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    entry_ids: dict[int, list[int]] = defaultdict(list)
    for e in accounting.current_entries(region_prefix, [year], 0, ids):
        for k, v in (e["by_tier"] or {}).items():
            tiers[e["enterprise_id"]][str(k)] += float(v or 0)
        entry_ids[e["enterprise_id"]].append(e["id"])
    subs: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for s in (
        accounting.current_submissions(region_prefix)
        .filter(enterprise_id__in=ids, period__year=year)
        .values_list("enterprise_id", "pk", "status")
    ):
        subs[s[0]].append((s[1], s[2]))
    certified = _certification[0](ids, timezone.localdate()) if _certification and ids else {}
    out: dict[int, AccountFacts] = {}
    for org in enterprises:
        facts = _facts(
            org,
            year,
            results.get((org.pk, year)),
            results.get((org.pk, year - 1)),
            tiers.get(org.pk),
            entry_ids.get(org.pk, []),
            subs.get(org.pk, []),
        )
        if _certification:
            value, source = certified.get(org.pk, ("none", {"kind": "certification", "applications": []}))
            facts["certification"] = Fact("certification", value, source)
        out[org.pk] = AccountFacts(org.pk, year, facts)
    return out


def facts_for(enterprise: Organisation | int, year: int) -> AccountFacts | None:
    """One enterprise's facts (None: not an active enterprise)."""
    pk = enterprise.pk if isinstance(enterprise, Organisation) else int(enterprise)
    return facts_for_region("", year, [pk]).get(pk)


def _facts(
    org: Organisation,
    year: int,
    cur: RatingResult | None,
    prev: RatingResult | None,
    tiers: dict[str, float] | None,
    entries: list[int],
    subs: Iterable[tuple[int, str]],
) -> dict[str, Fact]:
    register = {"kind": "register", "organisation": org.pk}
    none = {"kind": "none"}
    src = _result_source(cur) if cur is not None else none
    f: dict[str, Fact] = {}
    graded = cur is not None and cur.status != RatingResult.Status.NOT_RATED
    f["grade"] = Fact("grade", cur.grade if cur is not None and cur.grade else None, src)
    f["level"] = Fact("level", (cur.level or None) if graded and cur else None, src)
    f["k"] = Fact("k", dec(cur.k_value) if cur is not None else None, src)
    f["intensity"] = Fact("intensity", dec(cur.intensity_l) if cur is not None else None, src)
    trend: Decimal | None = None
    trend_src: dict[str, Any] = none
    l_now = dec(cur.intensity_l) if cur is not None else None
    l_before = dec(prev.intensity_l) if prev is not None else None
    if l_now is not None and l_before is not None and prev is not None and l_before > 0:
        # (L_year − L_year−1) / L_year−1 × 100, in %
        trend = (l_now - l_before) / l_before * 100
        trend_src = {"kind": "rating_results", "current": src, "previous": _result_source(prev)}
    f["intensity_trend"] = Fact("intensity_trend", trend, trend_src)
    e_now = dec((cur.inputs or {}).get("emissions_tco2")) if cur is not None else None
    e_before = dec((prev.inputs or {}).get("emissions_tco2")) if prev is not None else None
    f["emissions"] = Fact("emissions", e_now, src)
    reduction: Decimal | None = None
    reduction_src: dict[str, Any] = none
    if e_now is not None and e_before is not None and prev is not None:
        reduction = e_before - e_now
        reduction_src = {"kind": "rating_results", "current": src, "previous": _result_source(prev)}
    f["reduction"] = Fact("reduction", reduction, reduction_src)
    division = (org.industry_id or "")[:2] or None
    f["industry"] = Fact("industry", division, register)
    f["district"] = Fact("district", org.region_id, register)
    f["size"] = Fact("size", org.size_class or None, register)
    f["above_scale"] = Fact("above_scale", bool(org.above_scale), register)
    f["certification"] = Fact("certification", "unknown", {"kind": "none", "note": "no certification data yet"})
    f["data_tier"] = Fact(
        "data_tier",
        _dominant_tier(dict(tiers)) if tiers else None,
        {"kind": "account_entries", "entries": entries, "year": year} if entries else none,
    )
    sub_list = list(subs)
    if sub_list:
        n_ok = sum(1 for _pk, status in sub_list if status in VERIFIED_STATUSES)
        verification = "verified" if n_ok == len(sub_list) else ("partial" if n_ok else "unverified")
        vsrc: dict[str, Any] = {"kind": "submissions", "submissions": [pk for pk, _s in sub_list], "year": year}
    else:
        verification, vsrc = None, none
    f["verification"] = Fact("verification", verification, vsrc)
    return f


def latest_graded_year(enterprise: Organisation | int) -> int | None:
    """The latest year with a current annual rating result of the enterprise (the year bank products read)."""
    pk = enterprise.pk if isinstance(enterprise, Organisation) else int(enterprise)
    years = RatingResult.objects.filter(enterprise_id=pk, month=0, is_current=True).values_list("year", flat=True)
    return max(years, default=None)

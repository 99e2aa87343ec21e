"""Read-only queries behind the rating pages; every queryset starts from :mod:`dualcarbon.rating.scoping`.

Each function issues a fixed number of queries whatever the amount of data (constant page cost).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, F, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dualcarbon.accounting import services as accounting
from dualcarbon.registry.models import Industry, Organisation, Region

from . import scoping, wording
from .models import COLOUR_LABELS, GRADE_COLOURS, Appeal, IndustryBenchmark, RatingResult, VerificationLabel

PAGE_SIZE = 50
#: the top bar's entries for the rating pages (web.templatetags.dcweb adds them by role)
NAV_LABELS = (_("碳效评级"), _("区域评级"), _("企业碳效评级"))
COLOUR_ORDER = {"dark_green": 1, "light_green": 2, "yellow": 3, "orange": 4, "red": 5}
FLAG_LABELS: dict[str, Any] = {
    "tier3": _("三级数据占比过高：不计入对标值（仍评级）"),
    "non_positive": _("强度不为正：不计入对标值"),
    "outlier": _("强度为组内异常值：不计入对标值（仍评级）"),
    "benchmark_fallback": _("本行业大类样本不足，对标值上溯至更大分组"),
}
REASON_LABELS: dict[str, Any] = {
    "insufficient_months": _("报告期内已核算月份不足"),
    "value_added_missing": _("增加值缺失或不为正"),
    "group_too_small": _("对标组样本不足，无法计算对标值"),
    "dimension_missing": _("必需的评价维度缺失"),
}


NEUTRALITY_REASON_LABELS: dict[str, Any] = {
    "insufficient_months": _("报告期内已核算月份不足，未计算碳中和率"),
    "emissions_not_positive": _("排放量不为正，无法计算碳中和率"),
    "no_grid_factor": _("没有适用的电网排放因子，电量类项目无法折算"),
    "no_declarations": _("本期未申报自有零碳发电或碳抵消"),
    "not_provided": _("计算时未提供申报数据"),
}


def visible_enterprise(user: Any, org_id: int) -> Organisation:
    """The enterprise if the user may read it (404 otherwise)."""
    return get_object_or_404(scoping.enterprises(user).select_related("industry", "region"), pk=org_id)


def lang() -> str:
    return "en" if (get_language() or "zh").startswith("en") else "zh"


#: the label shown before each explanation item, by the item's code (engine.rating.explain)
EXPLANATION_LABELS: dict[str, Any] = {
    "inputs": _("计算输入"),
    "not_rated": _("未评级原因"),
    "benchmark": _("行业对标值"),
    "excluded_tier3": _("对标剔除：三级数据"),
    "excluded_non_positive": _("对标剔除：强度不为正"),
    "excluded_outlier": _("对标剔除：异常值"),
    "level": _("碳排放水平"),
    "grade": _("碳效等级"),
    "advancement": _("行业先进性"),
    "contribution": _("区域贡献度"),
    "decline": _("自身下降率"),
    "colour": _("颜色"),
    "neutrality": _("碳中和率"),
    "neutrality_term": _("碳中和率分项"),
}
#: for a code the engine adds before this table learns it: a translated word, never the raw key
OTHER_EXPLANATION = _("其他说明")


def explanation_lines(result: RatingResult) -> list[dict[str, Any]]:
    """The result's explanation items with the text and the label in the page's language."""
    key = lang()
    return [
        {
            **i,
            "code": i.get("code", ""),
            "label": str(EXPLANATION_LABELS.get(i.get("code", ""), OTHER_EXPLANATION)),
            "text": i.get(key) or i.get("zh", ""),
        }
        for i in result.explanation or []
    ]


def group_name(level: str, code: str, industries: dict[str, Industry], regions: dict[str, Region]) -> str:
    if level == "region":
        r = regions.get(code)
        return r.name if r else code
    ind = industries.get(code)
    if ind is None:
        return code
    return f"{code} {ind.name_en if lang() == 'en' and ind.name_en else ind.name_zh}"


def neutrality_view(result: RatingResult | None) -> dict[str, Any]:
    """The neutrality rate of a result for the page: the rate, why it is missing, each term (in the page's
    language) with its factor and source, and each declared line with what it counted and why."""
    if result is None:
        return {}
    data = (result.inputs or {}).get("neutrality") or {}
    i = 1 if lang() == "en" else 0
    terms = []
    lines = []
    for t in data.get("terms") or []:
        terms.append(
            {
                "name": t.get("en_name") if i else t.get("zh_name"),
                "text": t.get("en") if i else t.get("zh"),
                "amount": t.get("amount"),
                "unit": t.get("unit"),
                "declared_tco2": t.get("declared_tco2"),
                "counted_tco2": t.get("counted_tco2"),
                "factors": t.get("factors") or [],
            }
        )
        for ln in t.get("lines") or []:
            kind = wording.CLAIM_LABELS.get(str(ln.get("kind")), (ln.get("kind"), ln.get("kind")))[i]
            use = wording.USE_LABELS.get(str(ln.get("use")), ("", ""))[i]
            rule = wording.CLAIM_RULES.get(str(ln.get("rule")), ("", ""))[i]
            lines.append(
                {
                    **ln,
                    "kind_label": f"{kind}{'（' + use + '）' if use and not i else ''}"
                    f"{' (' + use + ')' if use and i else ''}",
                    "rule_label": rule,
                }
            )
    reason = str(data.get("reason") or ("not_provided" if not data else ""))
    return {
        "rate": result.neutrality_rate,
        "label": result.neutrality_label,
        "reason": reason,
        "reason_label": str(NEUTRALITY_REASON_LABELS.get(reason, "")) if reason else "",
        "numerator": data.get("numerator_tco2e"),
        "denominator": data.get("denominator_tco2e"),
        "terms": terms,
        "lines": lines,
    }


def visible_results(user: Any) -> Any:
    """The rating results ``user`` may read (for the apps above: they read rating through its services)."""
    return scoping.rating_results(user)


@dataclass
class EnterpriseRating:
    enterprise: Organisation
    year: int | None
    years: list[int]
    result: RatingResult | None
    history: list[RatingResult]
    benchmark: IndustryBenchmark | None
    benchmark_group: str
    wanted_group: str
    appeals: list[Appeal]
    label: VerificationLabel | None
    flags: list[str] = field(default_factory=list)
    reason: str = ""


def enterprise_rating(user: Any, enterprise: Organisation, year: int | None) -> EnterpriseRating:
    visible = scoping.rating_results(user).filter(enterprise=enterprise)
    years = sorted(set(visible.filter(is_current=True).values_list("year", flat=True)), reverse=True)
    if year is None or year not in years:
        year = years[0] if years else None
    history = list(
        visible.select_related("scheme", "benchmark", "supersedes").order_by("-year", "-month", "-computed_at", "-pk")
    )
    result = next((r for r in history if r.year == year and r.month == 0 and r.is_current), None)
    result = result or next((r for r in history if r.year == year and r.is_current), None)
    bench = result.benchmark if result else None
    industries = {i.code: i for i in Industry.objects.filter(level__in=["division", "section"])}
    regions = {r.code: r for r in Region.objects.filter(code=result.population)} if result else {}
    group = group_name(bench.level, bench.code, industries, regions) if bench else ""
    division = (result.inputs or {}).get("division", "") if result else ""
    wanted = group_name("division", division, industries, regions) if division else ""
    appeals = list(
        scoping.rating_appeals(user)
        .filter(enterprise=enterprise)
        .select_related("result", "new_result", "created_by")
        .prefetch_related("corrections__period")
    )
    label = VerificationLabel.objects.filter(enterprise=enterprise, revoked_at__isnull=True).first()
    flags = [str(FLAG_LABELS.get(f, f)) for f in (result.flags if result else [])]
    reason = str(REASON_LABELS.get(result.reason, result.reason)) if result and result.reason else ""
    return EnterpriseRating(
        enterprise, year, years, result, history, bench, group, wanted, appeals, label, flags, reason
    )


# ------------------------------------------------------------------------------------- region


@dataclass
class RegionFilter:
    year: int | None = None
    district: str = ""
    industry: str = ""
    mark: str = ""

    @classmethod
    def from_query(cls, q: Any) -> RegionFilter:
        try:
            year: int | None = int(q.get("year") or "")
        except ValueError:
            year = None
        district = str(q.get("district") or "")
        industry = str(q.get("industry") or "")
        mark = str(q.get("mark") or "")
        return cls(
            year if year and 2000 <= year <= 2100 else None,
            district if district.isdigit() and len(district) <= 6 else "",
            industry if industry.isalnum() and len(industry) <= 5 else "",
            mark if mark.isalnum() or "_" in mark else "",
        )


@dataclass
class RegionRatings:
    filters: RegionFilter
    years: list[int]
    districts: list[Region]
    industries: list[Industry]
    distribution: list[dict[str, Any]]
    total: int
    page: Page
    #: county code → name, for the list's 县区 column (the districts' query, no query per row)
    region_names: dict[str, str] = field(default_factory=dict)


def _mark_q(qs: QuerySet[RatingResult], mark: str) -> QuerySet[RatingResult]:
    if mark.isdigit():
        return qs.filter(grade=int(mark))
    if mark == "none":
        return qs.filter(grade__isnull=True, colour="")
    if mark:
        return qs.filter(colour=mark)
    return qs


def _default_year(user: Any, years: list[int]) -> int | None:
    """Of the years with annual results: the latest one complete for the user's jurisdiction (its December
    accounts, docs/monitoring.md § Complete years), else the latest (two queries)."""
    if not years:
        return None
    statuses = accounting.region_year(user).statuses
    return next((y for y in years if y in statuses and statuses[y].complete), years[0])


def region_ratings(user: Any, f: RegionFilter, page: Any = 1) -> RegionRatings:
    prefixes = scoping.region_prefixes(user)
    base = scoping.rating_results(user).filter(is_current=True, month=0)
    years = sorted(set(base.values_list("year", flat=True)), reverse=True)
    year = f.year if f.year in years else _default_year(user, years)
    f = RegionFilter(year, f.district, f.industry, f.mark)
    qs = base.filter(year=year or 0)
    district_q = Region.objects.filter(level=Region.Level.COUNTY)
    if "" not in prefixes:
        q = Q(pk__in=[])
        for p in prefixes:
            q |= Q(code__startswith=p)
        district_q = district_q.filter(q)
    districts = list(district_q.order_by("code"))
    if f.district and any(d.code == f.district for d in districts):
        qs = qs.filter(region_code=f.district)
    else:
        f.district = ""
    if f.industry:
        qs = qs.filter(industry_code=f.industry)
    counts = list(qs.values("grade", "colour").annotate(n=Count("pk")).order_by("grade", "colour"))
    distribution = []
    total = sum(c["n"] for c in counts)
    for c in counts:
        key = str(c["grade"]) if c["grade"] else (c["colour"] or "none")
        colour = c["colour"] or GRADE_COLOURS.get(c["grade"] or 0, "")
        if c["grade"]:
            label = str(_("%(g)d 级") % {"g": c["grade"]})
        elif c["colour"]:
            label = str(COLOUR_LABELS.get(c["colour"], c["colour"]))
        else:
            label = str(_("未评级"))
        distribution.append(
            {"key": key, "label": label, "colour": colour, "n": c["n"], "share": c["n"] / total if total else None}
        )
    order = {"dark_green": 1, "light_green": 2, "yellow": 3, "orange": 4, "red": 5}
    distribution.sort(
        key=lambda d: (d["key"] == "none", int(d["key"]) if d["key"].isdigit() else order.get(d["key"], 9))
    )
    listed = (
        _mark_q(qs, f.mark)
        .select_related("enterprise", "scheme")
        .annotate(colour_rank=Case(*[When(colour=c, then=Value(i)) for c, i in COLOUR_ORDER.items()], default=Value(9)))
        .order_by(F("grade").asc(nulls_last=True), "colour_rank", "enterprise__name", "pk")
    )
    pager = Paginator(listed, PAGE_SIZE).get_page(page)
    industry_codes = sorted(set(base.filter(year=year or 0).values_list("industry_code", flat=True)))
    industries = list(Industry.objects.filter(code__in=industry_codes).order_by("code"))
    region_names = {d.code: d.name for d in districts}
    return RegionRatings(f, years, districts, industries, distribution, total, pager, region_names)


# --------------------------------------------------------------------------------------- banks


@dataclass
class BankRow:
    enterprise: Organisation
    #: the enterprise's current grade the bank may read (the latest year its consents cover in full: an annual
    #: grade is made of every month of the year), None when there is none
    result: RatingResult | None


@dataclass
class BankGrades:
    page: Page
    rows: list[BankRow]


def _current_first(r: RatingResult) -> tuple[int, int, int]:
    """The enterprise page's choice: the latest year, its annual result before any month's, the latest month."""
    return (-r.year, 0 if r.month == 0 else 1, -r.month)


def bank_grades(user: Any, page: Any = 1) -> BankGrades:
    """A bank's consenting enterprises, a page at a time, each with the current grade its consents let it read
    (three queries whatever the number of enterprises and results: the count, the page, the results)."""
    listed = scoping.enterprises(user).select_related("industry", "region").order_by("name", "pk")
    pager = Paginator(listed, PAGE_SIZE).get_page(page)
    ents = list(pager.object_list)
    best: dict[int, RatingResult] = {}
    results = scoping.rating_results(user).filter(is_current=True, enterprise_id__in=[e.pk for e in ents])
    for r in sorted(results.select_related("scheme"), key=_current_first):
        best.setdefault(r.enterprise_id, r)
    return BankGrades(pager, [BankRow(e, best.get(e.pk)) for e in ents])

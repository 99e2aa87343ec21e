"""Read models behind the policy pages and API (every queryset starts from :mod:`.scoping`)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import get_language

from dualcarbon.engine import eligibility as el
from dualcarbon.rating import rule_wording as wording
from dualcarbon.registry.models import Industry, Organisation, Region
from dualcarbon.ui import names

from . import scoping, services
from .models import Match, Policy, PolicyPackage, PolicyVersion


def lang() -> str:
    return get_language() or "zh-hans"


def visible_package(user: Any, package_id: int) -> PolicyPackage:
    pkg = scoping.packages(user).select_related("region").filter(pk=package_id).first()
    if pkg is None:
        raise Http404
    return pkg


def visible_policy(user: Any, policy_id: int) -> Policy:
    p = scoping.policies(user).select_related("package__region").filter(pk=policy_id).first()
    if p is None:
        raise Http404
    return p


def visible_enterprise(user: Any, org_id: int) -> Organisation:
    org = scoping.enterprises(user).select_related("region", "industry").filter(pk=org_id).first()
    if org is None:
        raise Http404
    return org


@dataclass
class VersionView:
    version: PolicyVersion
    conditions: list[str]
    benefit: str
    in_force: bool


def benefit_text(v: PolicyVersion) -> str:
    amount = (
        formats.number_format(Decimal(wording.number(v.benefit_amount, 2)), force_grouping=True)
        if v.benefit_amount is not None
        else ""
    )
    kind = v.benefit_kind
    from django.utils.translation import gettext as _

    if kind == PolicyVersion.Benefit.FIXED:
        text = _("定额 %(a)s 元") % {"a": amount}
    elif kind == PolicyVersion.Benefit.PER_TCO2:
        text = _("按同比减排量 %(a)s 元/tCO2") % {"a": amount}
    elif kind == PolicyVersion.Benefit.RATE:
        text = _("%(a)s %%") % {"a": amount}
    elif kind == PolicyVersion.Benefit.SURCHARGE:
        text = _("加价 %(a)s 元/千瓦时") % {"a": amount}
    else:
        text = _("非资金性措施")
    if v.benefit_note:
        text = f"{text}（{v.benefit_note}）"
    if v.illustrative:
        text = f"{text} · {_('示意金额')}"
    return text


def version_view(v: PolicyVersion, today: datetime.date) -> VersionView:
    try:
        conds = [wording.condition_text(c.to_dict()) for c in v.parsed_rule().conditions()]
        combine = v.parsed_rule().combine
    except el.RuleError:
        conds, combine = [], "all"
    from django.utils.translation import gettext as _

    if len(conds) > 1:
        conds.insert(0, _("同时满足以下全部条件：") if combine == "all" else _("满足以下任一条件："))
    return VersionView(v, conds, benefit_text(v), v.in_force_on(today))


@dataclass
class PolicyRow:
    policy: Policy
    name: str
    current: VersionView | None
    versions: list[VersionView]
    budget: services.Budget | None


@dataclass
class PackagePage:
    package: PolicyPackage
    name: str
    rows: list[PolicyRow]
    can_edit: bool
    year: int | None


def package_page(user: Any, package_id: int) -> PackagePage:
    pkg = visible_package(user, package_id)
    today = timezone.localdate()
    policies = list(pkg.policies.all().prefetch_related("versions"))
    year = services.latest_year(pkg.region.prefix)
    budgets: dict[int, services.Budget] = {}
    if scoping.can_see_region(user):
        ms = scoping.matches(user).filter(policy__in=[p.pk for p in policies], is_current=True, year=year or 0)
        budgets = {b.policy.pk: b for b in services.budgets(ms, policies, today)}
    rows = []
    for p in policies:
        vs = [version_view(v, today) for v in sorted(p.versions.all(), key=lambda v: -v.version)]
        cur = next((v for v in vs if v.in_force), None)
        rows.append(PolicyRow(p, p.name_for(lang()), cur, vs, budgets.get(p.pk)))
    return PackagePage(pkg, pkg.name_for(lang()), rows, scoping.can_publish(user, pkg.region), year)


@dataclass
class PackageList:
    packages: list[tuple[PolicyPackage, str, int]]
    can_publish_regions: list[Region]


def package_list(user: Any) -> PackageList:
    qs = scoping.packages(user).select_related("region").annotate(n=Count("policies"))
    prefixes = scoping.region_prefixes(user)
    regions: list[Region] = []
    if prefixes:
        q = Q(pk__in=[])
        for p in prefixes:
            q |= Q(code__startswith=p)
        regions = list(Region.objects.filter(q).exclude(level="province").order_by("code")[:200])
    return PackageList([(p, p.name_for(lang()), p.n) for p in qs], regions)


@dataclass
class MatchView:
    match: Match
    policy_name: str
    package_name: str
    kind: str
    benefit: str
    reasons: list[str]
    to_fix: list[str]
    facts: list[tuple[str, str, str]] = field(default_factory=list)


def _match_view(m: Match) -> MatchView:
    return MatchView(
        m,
        m.policy.name_for(lang()),
        m.policy.package.name_for(lang()),
        m.policy.get_kind_display(),
        benefit_text(m.version),
        [wording.outcome_text(o) for o in m.outcomes],
        [wording.gap_text(o, sole=len(m.to_fix) == 1) for o in m.to_fix],
        [
            (wording.fact_label(k), wording.value_text(k, v.get("value")), wording.source_text(v.get("source") or {}))
            for k, v in (m.facts or {}).items()
        ],
    )


@dataclass
class EnterprisePolicies:
    enterprise: Organisation
    year: int | None
    years: list[int]
    matched: list[MatchView]
    near: list[MatchView]
    facts: list[tuple[str, str, str]]
    computed_at: datetime.datetime | None
    history: list[tuple[Any, str, int, int]]


def enterprise_policies(user: Any, org_id: int, year: int | None = None) -> EnterprisePolicies:
    org = visible_enterprise(user, org_id)
    base = scoping.matches(user).filter(enterprise=org)
    years = sorted(set(base.values_list("year", flat=True)), reverse=True)
    if year is None or year not in years:
        year = years[0] if years else None
    rows = list(
        base.filter(is_current=True, year=year or 0)
        .select_related("policy__package", "version")
        .order_by("policy__package_id", "policy__code")
    )
    views = [_match_view(m) for m in rows]
    facts = views[0].facts if views else []
    history = list(
        base.filter(year=year or 0)
        .values("run_id", "run__created_at", "run__reason")
        .annotate(
            n_matched=Count("pk", filter=Q(status=Match.Status.MATCHED)),
            n_near=Count("pk", filter=Q(status=Match.Status.NEAR)),
        )
        .order_by("-run__created_at")[:10]
    )
    from .models import MatchRun

    reasons = dict(MatchRun.Reason.choices)
    return EnterprisePolicies(
        org,
        year,
        years,
        [v for v in views if v.match.status == Match.Status.MATCHED],
        [v for v in views if v.match.status == Match.Status.NEAR],
        facts,
        rows[0].computed_at if rows else None,
        [
            (h["run__created_at"], str(reasons.get(h["run__reason"], h["run__reason"])), h["n_matched"], h["n_near"])
            for h in history
        ],
    )


@dataclass
class Filter:
    year: int | None = None
    policy: int | None = None
    district: str = ""
    industry: str = ""
    status: str = ""


@dataclass
class Overview:
    f: Filter
    years: list[int]
    budgets: list[services.Budget]
    by_district: list[dict[str, Any]]
    by_industry: list[dict[str, Any]]
    rows: list[MatchView]
    n_rows: int
    districts: list[Region]
    policies: list[tuple[int, str]]


def _int(v: Any) -> int | None:
    try:
        return int(v) if v not in (None, "") else None
    except (TypeError, ValueError):
        return None


def parse_filter(params: Any) -> Filter:
    status = params.get("status", "")
    return Filter(
        _int(params.get("year")),
        _int(params.get("policy")),
        str(params.get("district", ""))[:6],
        str(params.get("industry", ""))[:5],
        status if status in Match.Status.values else "",
    )


LIST_LIMIT = 200


def overview(user: Any, f: Filter) -> Overview:
    """The government's matches: by policy (with the budget committed), by district, by industry, and the list."""
    if not scoping.can_see_region(user):
        raise Http404
    base = scoping.matches(user).filter(is_current=True)
    years = sorted(set(base.values_list("year", flat=True)), reverse=True)
    if f.year is None or f.year not in years:
        f.year = years[0] if years else None
    qs = base.filter(year=f.year or 0)
    if f.district:
        qs = qs.filter(region_code__startswith=f.district)
    if f.industry:
        qs = qs.filter(industry_code__startswith=f.industry)
    visible = list(scoping.policies(user).select_related("package").order_by("package_id", "code"))
    policy_choices = [(p.pk, p.name_for(lang())) for p in visible]
    by_policy = qs.filter(policy__in=[p.pk for p in visible])
    if f.policy:
        qs = qs.filter(policy_id=f.policy)
    budgets = services.budgets(by_policy.only("policy_id", "status", "committed"), visible)
    regions = {r.code: r.name for r in Region.objects.filter(code__in=qs.values("region_code").distinct())}
    inds = {i.code: i.name_zh for i in Industry.objects.filter(code__in=qs.values("industry_code").distinct())}
    by_district = [
        {
            "code": r["region_code"],
            "name": regions.get(r["region_code"], r["region_code"]),
            "matched": r["m"],
            "near": r["n"],
            "enterprises": r["e"],
            "committed": r["c"] or Decimal("0.00"),
        }
        for r in qs.values("region_code")
        .annotate(
            m=Count("pk", filter=Q(status=Match.Status.MATCHED)),
            n=Count("pk", filter=Q(status=Match.Status.NEAR)),
            e=Count("enterprise", distinct=True),
            c=Sum("committed"),
        )
        .order_by("region_code")
    ]
    by_industry = [
        {
            "code": r["industry_code"],
            "name": names.industry_label(r["industry_code"], inds.get(r["industry_code"], "")),
            "label": wording.named(
                names.industry_label(r["industry_code"], inds.get(r["industry_code"], "")), r["industry_code"]
            ),
            "matched": r["m"],
            "near": r["n"],
            "enterprises": r["e"],
            "committed": r["c"] or Decimal("0.00"),
        }
        for r in qs.values("industry_code")
        .annotate(
            m=Count("pk", filter=Q(status=Match.Status.MATCHED)),
            n=Count("pk", filter=Q(status=Match.Status.NEAR)),
            e=Count("enterprise", distinct=True),
            c=Sum("committed"),
        )
        .order_by("industry_code")
    ]
    listed = qs.filter(status=f.status) if f.status else qs
    n_rows = listed.count()
    rows = [
        _match_view(m)
        for m in listed.select_related("enterprise", "policy__package", "version").order_by(
            "policy__package_id", "policy__code", "status", "enterprise__name"
        )[:LIST_LIMIT]
    ]
    prefixes = scoping.region_prefixes(user)
    dq = Q(pk__in=[])
    for p in prefixes:
        dq |= Q(code__startswith=p)
    districts = list(Region.objects.filter(dq, level="county").order_by("code")[:200])
    return Overview(f, years, budgets, by_district, by_industry, rows, n_rows, districts, policy_choices)


def grouped(matches: list[Match]) -> dict[int, list[Match]]:
    out: dict[int, list[Match]] = defaultdict(list)
    for m in matches:
        out[m.enterprise_id].append(m)
    return out


# ------------------------------------------------------------------------------------------- sandbox


def visible_draft(user: Any, draft_id: int) -> Any:
    from .models import SandboxDraft

    d = (
        scoping.drafts(user)
        .select_related("region", "base_scheme", "policy__package__region", "base_version", "adopted_scheme")
        .filter(pk=draft_id)
        .first()
    )
    if d is None or not isinstance(d, SandboxDraft):
        raise Http404
    return d


def visible_sandbox_run(user: Any, run_id: int) -> Any:
    r = scoping.sandbox_runs(user).select_related("draft__region", "draft__policy").filter(pk=run_id).first()
    if r is None:
        raise Http404
    return r


def mark_label(mark: str) -> str:
    from dualcarbon.rating.models import COLOUR_LABELS

    if not mark:
        return str(_t("未评级"))
    if mark.isdigit():
        return str(_t("%(g)s 级") % {"g": mark})
    return str(COLOUR_LABELS.get(mark, mark))


def _t(s: str) -> str:
    """Translate a string listed in :func:`wording._sandbox_noop` (the catalogue has it)."""
    from django.utils.translation import gettext

    return gettext(s)


@dataclass
class DraftRow:
    draft: Any
    what: str
    last_run: Any


def draft_list(user: Any) -> dict[str, Any]:
    from .models import SandboxDraft

    drafts = list(scoping.drafts(user).select_related("region", "policy", "base_scheme").prefetch_related("runs")[:200])
    rows = []
    for d in drafts:
        runs = sorted(d.runs.all(), key=lambda r: (r.created_at, r.pk), reverse=True)
        what = d.base_scheme.label if d.base_scheme else (d.policy.name_for(lang()) if d.policy else "")
        rows.append(DraftRow(d, what, runs[0] if runs else None))
    regions = [r for r in Region.objects.filter(scoping_q_regions(user)).order_by("code")]
    policies = [
        (p.pk, f"{p.name_for(lang())}（{p.package.region.name}）")
        for p in scoping.policies(user).select_related("package__region").order_by("package_id", "code")
        if scoping.can_publish(user, p.package.region)
    ]
    return {"rows": rows, "regions": regions, "policies": policies, "kinds": SandboxDraft.Kind.choices}


def scoping_q_regions(user: Any) -> Q:
    """The regions whose drafts the user makes: those it governs (the admin: every city and county)."""
    prefixes = scoping.region_prefixes(user)
    if "" in prefixes:
        return Q(level__in=["city", "county", "province"])
    q = Q(pk__in=[])
    for p in prefixes:
        q |= Q(code__startswith=p)
    return q


def draft_form_values(draft: Any, posted: Any = None) -> dict[str, Any]:
    """What the draft form shows: the draft's values where it changes something, the base's elsewhere; after a
    refusal, what the user typed (``posted``)."""
    out = _draft_form_values(draft)
    if not posted:
        return out
    for row in out.get("lists", []):
        for c in row["cells"]:
            c["value"] = posted.get(c["name"], c["value"])
    for d in out.get("dims", []):
        d["weight"] = posted.get(f"dim_{d['key']}_weight", d["weight"])
        for c in d["bounds"]:
            c["value"] = posted.get(c["name"], c["value"])
    for key in ("rule", "benefit_kind", "benefit_amount", "budget"):
        if key in out and key in posted:
            out[key] = posted[key]
    return out


def _draft_form_values(draft: Any) -> dict[str, Any]:
    import json as _json

    from . import forms

    ch = draft.changes or {}
    if draft.kind == "scheme":
        base = draft.base_scheme.params
        out: dict[str, Any] = {"method": draft.base_scheme.method, "lists": [], "dims": []}
        labels = {
            "grade_bounds": _t("碳效等级阈值（K，1–5 级，上端含）"),
            "level_bounds": _t("低/中/高碳阈值（L）"),
            "colour_bounds": _t("颜色阈值（综合得分，深绿→黄，递减）"),
        }
        for key in ("grade_bounds", "level_bounds", "colour_bounds"):
            if key in base:
                vals = ch.get(key, base[key])
                out["lists"].append(
                    {
                        "key": key,
                        "label": labels[key],
                        "cells": [
                            {"name": f"{key}_{i}", "value": forms._plain_or(v), "base": forms._plain_or(b)}
                            for i, (v, b) in enumerate(zip(vals, base[key], strict=False))
                        ],
                    }
                )
        for dk, d in (base.get("dimensions") or {}).items():
            dch = (ch.get("dimensions") or {}).get(dk, {})
            out["dims"].append(
                {
                    "key": dk,
                    "weight": forms._plain_or(dch.get("weight", d.get("weight", 1))),
                    "base_weight": forms._plain_or(d.get("weight", 1)),
                    "bounds": [
                        {"name": f"dim_{dk}_bounds_{i}", "value": forms._plain_or(v), "base": forms._plain_or(b)}
                        for i, (v, b) in enumerate(
                            zip(dch.get("bounds", d.get("bounds", ())), d.get("bounds", ()), strict=False)
                        )
                    ],
                }
            )
        return out
    v = draft.base_version
    return {
        "rule": _json.dumps(ch.get("rule", v.rule), ensure_ascii=False, indent=1),
        "base_conditions": [wording.condition_text(c) for c in _conditions(v.rule)],
        "benefit_kind": ch.get("benefit_kind", v.benefit_kind),
        "benefit_amount": ch.get("benefit_amount", forms._plain_or(v.benefit_amount)) or "",
        "budget": ch.get("budget", forms._plain_or(v.budget)) or "",
        "base": v,
        "base_benefit": benefit_text(v),
        "benefits": PolicyVersion.Benefit.choices,
    }


def _conditions(rule: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in rule.get("all") or rule.get("any") or []:
        if "fact" in item:
            out.append(item)
        else:
            out.extend(_conditions(item))
    return out


def _money(v: Any) -> str:
    if v is None:
        return "—"
    return formats.number_format(Decimal(str(v)), 2, force_grouping=True)


def run_page(user: Any, run_id: int) -> dict[str, Any]:
    """The comparison page: distribution bars, movers by district and industry, budgets, gainers and losers, and
    how each was made (the draft's parameters, the enterprise's facts)."""
    run = visible_sandbox_run(user, run_id)
    f = run.figures
    en = lang().startswith("en")
    top = max([max(d["live"], d["draft"]) for d in f["distribution"]] or [1]) or 1
    dist = [
        {
            **d,
            "label": mark_label(d["mark"]),
            "live_pct": round(d["live"] * 100 / top),
            "draft_pct": round(d["draft"] * 100 / top),
            "delta": d["draft"] - d["live"],
        }
        for d in f["distribution"]
    ]
    districts = dict(Region.objects.filter(code__in=[d["code"] for d in f["by_district"]]).values_list("code", "name"))
    by_district = [{**d, "name": districts.get(d["code"], d["code"])} for d in f["by_district"]]
    by_industry = [{**d, "name": d["name_en"] if en else d["name_zh"]} for d in f["by_industry"]]
    movers = [
        {
            **m,
            "before_label": mark_label(m["before"]),
            "after_label": mark_label(m["after"]),
            "district_name": districts.get(m["district"], m["district"]),
        }
        for m in f["movers"]
    ]
    budgets = [
        {
            **b,
            "name": b["name_en"] if en else b["name_zh"],
            **{f"{k}_text": _money(b.get(k)) for k in ("live_committed", "draft_committed", "live_cap", "draft_cap")},
        }
        for b in f["budgets"]
    ]
    benefits = []
    for c in f["benefits"]:
        outcomes = c["outcomes_draft"] if c["change"] != "loss" else c["outcomes_live"]
        other = c["outcomes_live"] if c["change"] != "loss" else c["outcomes_draft"]
        benefits.append(
            {
                **c,
                "policy_name": c["policy_en"] if en else c["policy_zh"],
                "reasons": [wording.outcome_text(o) for o in outcomes],
                "other": [wording.outcome_text(o) for o in other if o["status"] != el.MET],
                "facts_text": [
                    (
                        wording.fact_label(k),
                        wording.value_text(k, v.get("value")),
                        wording.source_text(v.get("source") or {}),
                    )
                    for k, v in (c.get("facts") or {}).items()
                    if k in {o["condition"]["fact"] for o in outcomes + other}
                ],
                "live_text": _money(c["committed_live"]),
                "draft_text": _money(c["committed_draft"]),
            }
        )
    return {
        "run": run,
        "draft": run.draft,
        "f": f,
        "distribution": dist,
        "by_district": by_district,
        "by_industry": by_industry,
        "movers": movers,
        "budgets": budgets,
        "benefits": benefits,
        "params": json_pretty(f.get("draft", {}).get("params", {})),
        "changes": json_pretty(run.changes),
    }


def json_pretty(v: Any) -> str:
    import json as _json

    return _json.dumps(v, ensure_ascii=False, indent=1, sort_keys=True)


def sandbox_years(draft: Any) -> list[int]:
    """The graded years of the draft's region, latest first (what a run may recompute)."""
    from dualcarbon.rating.models import RatingResult

    return sorted(
        set(
            RatingResult.objects.filter(region_code__startswith=draft.region.prefix, month=0, is_current=True)
            .values_list("year", flat=True)
            .distinct()
        ),
        reverse=True,
    )

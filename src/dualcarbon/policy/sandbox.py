"""The what-if policy sandbox (政策沙盘, docs/policy.md § Sandbox): government staff draft a change — rating thresholds
or weights, a policy's eligibility, benefit or budget cap — run it over the whole region for a year **without
touching live data**, compare it with today's figures, and adopt it as a new version from a chosen date.

A run reads the live tables and writes exactly one :class:`SandboxRun` row: the draft grades come from
:func:`dualcarbon.rating.services.preview_region` (the engine, in memory), the draft facts from
:func:`dualcarbon.rating.facts.facts_for_region` with those grades standing in, the draft matches from
:func:`dualcarbon.engine.eligibility.evaluate` against unsaved policy versions. No rating run, result, benchmark,
match run or match is created or changed (``tests/policy/test_sandbox.py`` snapshots every live table around a run).
"""

from __future__ import annotations

import datetime
import itertools
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from dualcarbon.engine import eligibility as el
from dualcarbon.engine import rating as engine
from dualcarbon.rating import facts as account_facts
from dualcarbon.rating import rule_wording as wording
from dualcarbon.rating import services as rating
from dualcarbon.rating.models import RatingResult, RatingScheme
from dualcarbon.registry.models import Industry, Region

from . import scoping, services
from .models import Policy, PolicyVersion, SandboxDraft, SandboxRun

#: scheme parameters a draft may change, by method (docs/policy.md § Sandbox)
SCHEME_KEYS = {
    engine.METHOD_EFFICIENCY_CODE: ("grade_bounds", "level_bounds"),
    engine.METHOD_THREE_DIM: ("dimensions", "colour_bounds"),
}
#: policy version fields a draft may change
POLICY_KEYS = ("rule", "benefit_kind", "benefit_amount", "budget")
#: the colour order of the three-dimension scheme, best first (a colour's rank for movers)
COLOUR_RANK = {"dark_green": 1, "light_green": 2, "yellow": 3, "red": 4}
_problem_text = lazy(wording.problem_text, str)


# ------------------------------------------------------------------------------------------- validation


class _Errors:
    def __init__(self) -> None:
        self.items: dict[str, list[ValidationError]] = defaultdict(list)

    def add(self, where: str, message: Any, **params: Any) -> None:
        self.items[where].append(ValidationError(message, params=params or None))

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationError(dict(self.items))


def _number(errors: _Errors, where: str, v: Any) -> float | None:
    if isinstance(v, bool):
        errors.add(where, _("“%(v)s”不是数字"), v=v)
        return None
    try:
        d = Decimal(str(v).strip())
    except (InvalidOperation, ValueError):
        errors.add(where, _("“%(v)s”不是数字"), v=v)
        return None
    if not d.is_finite():
        errors.add(where, _("“%(v)s”不是数字"), v=v)
        return None
    return float(d)


def _numbers(errors: _Errors, where: str, raw: Any, n: int, order: str) -> list[float] | None:
    if not isinstance(raw, list):
        errors.add(where, _("应为 %(n)d 个数值的列表"), n=n)
        return None
    if len(raw) != n:
        errors.add(where, _("应有 %(n)d 个数值（现有 %(k)d 个）"), n=n, k=len(raw))
        return None
    out = [_number(errors, f"{where}[{i}]", v) for i, v in enumerate(raw)]
    if any(v is None for v in out):
        return None
    vals = [v for v in out if v is not None]
    pairs = list(itertools.pairwise(vals))
    if order == "asc" and any(b <= a for a, b in pairs):
        errors.add(where, _("各数值须严格递增"))
        return None
    if order == "desc" and any(b >= a for a, b in pairs):
        errors.add(where, _("各数值须严格递减"))
        return None
    return vals


def merged_scheme_params(base: RatingScheme, changes: Any) -> dict[str, Any]:
    """The scheme parameters of a draft: the base version's with the changes applied, every problem located
    (``changes.grade_bounds[1]``) and worded in the user's language (a :class:`ValidationError`)."""
    errors = _Errors()
    if not isinstance(changes, dict):
        errors.add("changes", _("修改内容应为 JSON 对象"))
        errors.raise_if_any()
    allowed = SCHEME_KEYS.get(base.method, ())
    params = {**base.params, "method": base.method}
    if not changes:
        errors.add("changes", _("草案没有任何修改"))
    for key, raw in changes.items():
        where = f"changes.{key}"
        if key not in allowed:
            errors.add(where, _("未知参数“%(k)s”：此方案可修改 %(allowed)s"), k=key, allowed="、".join(allowed))
        elif key == "grade_bounds":
            v = _numbers(errors, where, raw, 4, "asc")
            if v is not None:
                params[key] = v
        elif key == "level_bounds":
            v = _numbers(errors, where, raw, 2, "asc")
            if v is not None:
                params[key] = v
        elif key == "colour_bounds":
            v = _numbers(errors, where, raw, 3, "desc")
            if v is not None:
                params[key] = v
        elif key == "dimensions":
            dims = {k: dict(d) for k, d in (base.params.get("dimensions") or {}).items()}
            if not isinstance(raw, dict):
                errors.add(where, _("修改内容应为 JSON 对象"))
                continue
            for dk, dv in raw.items():
                dwhere = f"{where}.{dk}"
                if dk not in dims:
                    errors.add(dwhere, _("未知维度“%(k)s”：此方案有 %(allowed)s"), k=dk, allowed="、".join(dims))
                    continue
                if not isinstance(dv, dict):
                    errors.add(dwhere, _("修改内容应为 JSON 对象"))
                    continue
                for fk, fv in dv.items():
                    if fk == "weight":
                        w = _number(errors, f"{dwhere}.weight", fv)
                        if w is not None and w <= 0:
                            errors.add(f"{dwhere}.weight", _("权重须为正数"))
                        elif w is not None:
                            dims[dk]["weight"] = w
                    elif fk == "bounds":
                        b = _numbers(errors, f"{dwhere}.bounds", fv, len(dims[dk].get("bounds", ())), "asc")
                        if b is not None:
                            dims[dk]["bounds"] = b
                    else:
                        errors.add(
                            f"{dwhere}.{fk}",
                            _("未知参数“%(k)s”：此方案可修改 %(allowed)s"),
                            k=fk,
                            allowed="weight、bounds",
                        )
            params["dimensions"] = dims
    errors.raise_if_any()
    try:
        engine.Params.from_dict(params)
    except engine.ParamsError as exc:
        errors.add("changes", _("参数不成立：%(e)s"), e=str(exc))
    errors.raise_if_any()
    return params


def merged_version_fields(base: PolicyVersion, changes: Any) -> dict[str, Any]:
    """The version fields of a policy draft (rule, benefit, budget): the base version's with the changes applied,
    every problem located (``changes.rule.all[1].value``, ``changes.budget``)."""
    errors = _Errors()
    if not isinstance(changes, dict):
        errors.add("changes", _("修改内容应为 JSON 对象"))
        errors.raise_if_any()
    fields: dict[str, Any] = {k: getattr(base, k) for k in services.VERSION_FIELDS}
    if not changes:
        errors.add("changes", _("草案没有任何修改"))
    for key, raw in changes.items():
        where = f"changes.{key}"
        if key not in POLICY_KEYS:
            errors.add(where, _("未知参数“%(k)s”：此方案可修改 %(allowed)s"), k=key, allowed="、".join(POLICY_KEYS))
        elif key == "rule":
            try:
                fields["rule"] = services.parse_rule(raw).to_dict()
            except el.RuleError as exc:
                for p in exc.problems:
                    errors.add(f"{where}.{p.path}" if p.path else where, "%(text)s", text=_problem_text(p))
        elif key == "benefit_kind":
            if raw not in PolicyVersion.Benefit.values:
                errors.add(
                    where,
                    _("“%(v)s”不是支持方式（%(allowed)s）"),
                    v=raw,
                    allowed=" | ".join(PolicyVersion.Benefit.values),
                )
            else:
                fields[key] = raw
        elif key in ("benefit_amount", "budget"):
            if raw is None or raw == "":
                fields[key] = None
                continue
            n = _number(errors, where, raw)
            if n is not None:
                d = Decimal(str(raw).strip())
                if d < 0:
                    errors.add(where, _("不能为负数"))
                else:
                    fields[key] = d.quantize(Decimal("0.01")) if key == "budget" else d
    errors.raise_if_any()
    return fields


def _json_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in fields.items()}


def _clean_changes(draft: SandboxDraft) -> Any:
    """The draft's changes in their canonical form (the rule normalised), validated against its base."""
    if draft.kind == SandboxDraft.Kind.SCHEME:
        assert draft.base_scheme is not None
        params = merged_scheme_params(draft.base_scheme, draft.changes)
        return {k: params[k] for k in draft.changes}
    assert draft.base_version is not None
    fields = merged_version_fields(draft.base_version, draft.changes)
    return {k: _json_fields({k: fields[k]})[k] for k in draft.changes}


# ------------------------------------------------------------------------------------------- drafts


def _require(user: Any, region: Region) -> None:
    if not scoping.can_publish(user, region):
        raise PermissionDenied(_("只有该地区的政府部门可以编制和采纳政策沙盘草案"))


def _reference_year(region: Region) -> int:
    return services.latest_year(region.prefix) or timezone.localdate().year


def base_scheme_for(region: Region) -> RatingScheme | None:
    """The scheme version that rates the region's latest graded year (what a scheme draft edits)."""
    return rating.scheme_for_region(region.code, rating.period_end(_reference_year(region)))


@transaction.atomic
def create_draft(
    user: Any,
    region: Region,
    *,
    kind: str,
    title: str,
    changes: Any,
    policy: Policy | None = None,
    note: str = "",
) -> SandboxDraft:
    """A new draft of the region's government. ``kind`` ``scheme``: ``changes`` over the scheme rating the region;
    ``policy``: over ``policy``'s latest version (the policy's package must apply in the region)."""
    _require(user, region)
    errors = _Errors()
    title = (title or "").strip()
    if not title:
        errors.add("title", _("请填写标题"))
    draft = SandboxDraft(region=region, kind=kind, title=title[:200], note=note or "", changes=changes)
    if kind == SandboxDraft.Kind.SCHEME:
        draft.base_scheme = base_scheme_for(region)
        if draft.base_scheme is None:
            errors.add("kind", _("该地区没有适用的评级方案"))
    elif kind == SandboxDraft.Kind.POLICY:
        if policy is None:
            errors.add("policy", _("请选择要修改的政策"))
        elif not (
            region.prefix.startswith(policy.package.region.prefix)
            or policy.package.region.prefix.startswith(region.prefix)
        ):
            errors.add("policy", _("该政策不适用于本地区"))
        else:
            draft.policy = policy
            draft.base_version = policy.versions.order_by("-version").first()
    else:
        errors.add("kind", _("“%(v)s”不是草案类型（scheme | policy）"), v=kind)
    errors.raise_if_any()
    draft.changes = _clean_changes(draft) if changes else {}  # an empty draft is edited on its page
    draft.created_by = user if getattr(user, "is_authenticated", False) else None
    draft.save()
    return draft


@transaction.atomic
def update_draft(
    user: Any, draft: SandboxDraft, *, changes: Any, title: str | None = None, note: str | None = None
) -> SandboxDraft:
    """Change a draft's changes (and title, note); nothing is written on a refusal."""
    _require(user, draft.region)
    draft = SandboxDraft.objects.select_for_update().get(pk=draft.pk)
    _require_open(draft)
    draft.changes = changes
    if title is not None:
        if not title.strip():
            raise ValidationError({"title": [ValidationError(_("请填写标题"))]})
        draft.title = title.strip()[:200]
    if note is not None:
        draft.note = note
    draft.changes = _clean_changes(draft)
    draft.updated_at = timezone.now()
    draft.save()
    return draft


def _require_open(draft: SandboxDraft) -> None:
    if draft.status != SandboxDraft.Status.DRAFT:
        raise ValidationError(
            {"status": [ValidationError(_("草案已%(s)s，不能再修改"), params={"s": draft.get_status_display()})]}
        )


@transaction.atomic
def withdraw(user: Any, draft: SandboxDraft) -> SandboxDraft:
    _require(user, draft.region)
    draft = SandboxDraft.objects.select_for_update().get(pk=draft.pk)
    _require_open(draft)
    draft.status = SandboxDraft.Status.WITHDRAWN
    draft.updated_at = timezone.now()
    draft.save(update_fields=["status", "updated_at"])
    return draft


# ------------------------------------------------------------------------------------------- the run


def rank(grade: int | None, colour: str) -> int | None:
    """A mark's place, best first (grade 1–5, or the colour's rank); None: not graded."""
    if grade:
        return int(grade)
    return COLOUR_RANK.get(colour or "")


def mark(grade: int | None, colour: str) -> str:
    return str(grade) if grade else (colour or "")


def _sandbox_result(row: dict[str, Any], scheme: RatingScheme, year: int) -> RatingResult:
    """An unsaved result standing in for the year's grade in the draft facts (never saved)."""
    return RatingResult(
        enterprise_id=row["enterprise"],
        scheme=scheme,
        year=year,
        month=0,
        status=row["status"],
        grade=row["grade"],
        level=row["level"],
        colour=row["colour"],
        k_value=row["k"],
        intensity_l=row["l"],
        inputs={"emissions_tco2": row["emissions_tco2"]},
    )


def series_code(draft: SandboxDraft) -> str:
    """The region's own scheme series an adopted scheme draft becomes a version of (``<base code>@<region>``)."""
    assert draft.base_scheme is not None
    code = draft.base_scheme.code
    suffix = f"@{draft.region_id}"
    return code if code.endswith(suffix) else f"{code[: 40 - len(suffix)]}{suffix}"


def _evaluate(
    facts: dict[int, account_facts.AccountFacts],
    candidates: list[services.Candidate],
    rulers: dict[int, rating.GradeRuler] | None = None,
) -> dict[tuple[int, int], dict[str, Any]]:
    """Every matched or near (enterprise, policy) pair, in memory (the live matching's own rules)."""
    out: dict[tuple[int, int], dict[str, Any]] = {}
    rulers = rulers or {}
    for ent_id, af in facts.items():
        values = af.values()
        for cand in services._applicable(candidates, values.get("district") or ""):
            ev = el.evaluate(cand.rule, values, account_facts.CATALOGUE)
            status = str(services.classify(ev, cand.version, rulers.get(ent_id))[0])
            money = services.committed(cand.version, values) if ev.met else None
            out[(ent_id, cand.version.policy_id)] = {
                "status": status,
                "committed": money,
                "outcomes": [o.to_dict() for o in ev.outcomes],
            }
    return out


def _draft_version(draft: SandboxDraft, fields: dict[str, Any], on: datetime.date) -> PolicyVersion:
    v = PolicyVersion(policy=draft.policy, version=0, valid_from=on, **fields)
    v.pk = None
    return v


def _money(v: Decimal | None) -> str | None:
    return None if v is None else str(v)


@transaction.atomic
def run(user: Any, draft: SandboxDraft, year: int | None = None, on: datetime.date | None = None) -> SandboxRun:
    """Recompute the region's grades and matches for ``year`` under the draft, in memory, beside today's; store the
    comparison as a :class:`SandboxRun` (the only row written)."""
    _require(user, draft.region)
    draft = SandboxDraft.objects.select_related("region", "base_scheme", "policy__package__region", "base_version").get(
        pk=draft.pk
    )
    _require_open(draft)
    region = draft.region
    prefix = region.prefix
    year = year or services.latest_year(prefix)
    if year is None:
        raise ValidationError({"year": [ValidationError(_("该地区还没有评级结果，无法推演"))]})
    on = on or timezone.localdate()
    changes = _clean_changes(draft)
    live = {
        r.enterprise_id: r
        for r in RatingResult.objects.filter(
            region_code__startswith=prefix, year=year, month=0, is_current=True
        ).select_related("scheme", "benchmark")
    }
    rulers_live = {k: r for k, r in ((k, rating.ruler_for(v)) for k, v in live.items()) if r is not None}
    rulers_draft = rulers_live
    facts_live = account_facts.facts_for_region(prefix, year)
    params: dict[str, Any] = {}
    preview: dict[int, dict[str, Any]] = {}
    if draft.kind == SandboxDraft.Kind.SCHEME:
        assert draft.base_scheme is not None
        params = merged_scheme_params(draft.base_scheme, draft.changes)
        code = series_code(draft)
        preview = {r["enterprise"]: r for r in rating.preview_region(region, year, params, scheme_code=code)}
        label_scheme = RatingScheme(code=code, version=0, method=draft.base_scheme.method, params=params)
        grades = {k: _sandbox_result(r, label_scheme, year) for k, r in preview.items()}
        rulers_draft = {k: r for k, r in ((k, rating.ruler_for(v)) for k, v in grades.items()) if r is not None}
        facts_draft = account_facts.facts_for_region(prefix, year, grades=grades)
    else:
        facts_draft = facts_live
    versions = services.in_force(on)
    cands_live = [services.Candidate(v, v.parsed_rule()) for v in versions]
    cands_draft = [
        c for c in cands_live if draft.kind != SandboxDraft.Kind.POLICY or c.version.policy_id != draft.policy_id
    ]
    fields: dict[str, Any] = {}
    if draft.kind == SandboxDraft.Kind.POLICY:
        assert draft.base_version is not None
        fields = merged_version_fields(draft.base_version, draft.changes)
        dv = _draft_version(draft, fields, on)
        cands_draft.append(services.Candidate(dv, services.parse_rule(dv.rule)))
    m_live = _evaluate(facts_live, cands_live, rulers_live)
    m_draft = _evaluate(facts_draft, cands_draft, rulers_draft)
    figures = _figures(
        draft, year, on, live, preview, facts_live, facts_draft, cands_live, cands_draft, m_live, m_draft
    )
    figures["draft"] = {
        "kind": draft.kind,
        "changes": changes,
        "base": draft.base_scheme.label if draft.base_scheme else f"{draft.policy.code} v{draft.base_version.version}",  # type: ignore[union-attr]
        "params": params if params else _json_fields(fields),
    }
    obj = SandboxRun.objects.create(
        draft=draft,
        year=year,
        on=on,
        changes=changes,
        n_enterprises=len(facts_live),
        n_up=figures["totals"]["up"],
        n_down=figures["totals"]["down"],
        n_gain=figures["totals"]["gain"],
        n_loss=figures["totals"]["loss"],
        figures=figures,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    return obj


def _figures(
    draft: SandboxDraft,
    year: int,
    on: datetime.date,
    live: dict[int, RatingResult],
    preview: dict[int, dict[str, Any]],
    facts_live: dict[int, account_facts.AccountFacts],
    facts_draft: dict[int, account_facts.AccountFacts],
    cands_live: list[services.Candidate],
    cands_draft: list[services.Candidate],
    m_live: dict[tuple[int, int], dict[str, Any]],
    m_draft: dict[tuple[int, int], dict[str, Any]],
) -> dict[str, Any]:
    from dualcarbon.registry.models import Organisation

    ids = sorted(facts_live)
    orgs = {o.pk: o for o in Organisation.objects.filter(pk__in=ids).only("pk", "name", "region_id", "industry_id")}
    regions = dict(Region.objects.filter(code__in={o.region_id for o in orgs.values()}).values_list("code", "name"))
    divisions = {(o.industry_id or "")[:2] for o in orgs.values()}
    industries = {
        c: (zh, en or zh)
        for c, zh, en in Industry.objects.filter(code__in=divisions).values_list("code", "name_zh", "name_en")
    }
    scheme_draft = draft.kind == SandboxDraft.Kind.SCHEME
    dist_live: dict[str, int] = defaultdict(int)
    dist_draft: dict[str, int] = defaultdict(int)
    movers: list[dict[str, Any]] = []
    by_district: dict[str, dict[str, Any]] = {}
    by_industry: dict[str, dict[str, Any]] = {}
    for pk in ids:
        o = orgs[pk]
        r = live.get(pk)
        g0, c0 = (r.grade, r.colour) if r is not None else (None, "")
        if scheme_draft:
            p = preview.get(pk)
            g1, c1 = (p["grade"], p["colour"]) if p is not None else (None, "")
        else:
            g1, c1 = g0, c0
        dist_live[mark(g0, c0)] += 1
        dist_draft[mark(g1, c1)] += 1
        district, division = o.region_id or "", (o.industry_id or "")[:2]
        d = by_district.setdefault(
            district,
            {"code": district, "name": regions.get(district, district), "n": 0, "up": 0, "down": 0, "other": 0},
        )
        zh, en = industries.get(division, (division, division))
        i = by_industry.setdefault(
            division, {"code": division, "name_zh": zh, "name_en": en, "n": 0, "up": 0, "down": 0, "other": 0}
        )
        d["n"] += 1
        i["n"] += 1
        r0, r1 = rank(g0, c0), rank(g1, c1)
        if r0 == r1:
            continue
        direction = "other" if r0 is None or r1 is None else ("up" if r1 < r0 else "down")
        d[direction] += 1
        i[direction] += 1
        p = preview.get(pk) or {}
        movers.append(
            {
                "enterprise": pk,
                "name": o.name,
                "district": district,
                "industry": division,
                "before": mark(g0, c0),
                "after": mark(g1, c1),
                "direction": direction,
                "k_before": r.k_value if r is not None else None,
                "k_after": p.get("k"),
                "l": p.get("l"),
                "score_after": p.get("score"),
                "benchmark": {k: p.get(f"benchmark_{k}") for k in ("level", "code", "value")},
                "live_result": r.pk if r is not None else None,
                "live_scheme": r.scheme.label if r is not None else None,
            }
        )
    # budgets, per policy applying in the region (live and draft versions)
    policies: dict[int, dict[str, Any]] = {}
    for side, cands in (("live", cands_live), ("draft", cands_draft)):
        for c in cands:
            pol = c.version.policy
            if not (
                draft.region.prefix.startswith(pol.package.region.prefix)
                or pol.package.region.prefix.startswith(draft.region.prefix)
            ):
                continue
            row = policies.setdefault(
                pol.pk,
                {"policy": pol.pk, "code": pol.code, "name_zh": pol.name_zh, "name_en": pol.name_en or pol.name_zh},
            )
            row[f"{side}_version"] = c.version.version or "draft"
            row[f"{side}_cap"] = _money(c.version.budget)
            row[f"{side}_benefit"] = c.version.benefit_kind
            row[f"{side}_amount"] = _money(c.version.benefit_amount)
    for side, matches in (("live", m_live), ("draft", m_draft)):
        acc: dict[int, list[Any]] = defaultdict(lambda: [0, 0, Decimal("0.00")])
        for (_ent, pol_id), m in matches.items():
            if m["status"] == "matched":
                acc[pol_id][0] += 1
                acc[pol_id][2] += m["committed"] or Decimal(0)
            elif m["status"] == "near":
                acc[pol_id][1] += 1
        for pol_id, row in policies.items():
            n, near, money = acc[pol_id]
            grants = row.get(f"{side}_benefit") in (PolicyVersion.Benefit.FIXED, PolicyVersion.Benefit.PER_TCO2)
            row[f"{side}_matched"], row[f"{side}_near"] = n, near
            row[f"{side}_committed"] = str(money) if grants else None  # rates, surcharges, measures: no money
            cap = row.get(f"{side}_cap")
            row[f"{side}_over"] = cap is not None and money > Decimal(cap)
            row[f"{side}_share_pct"] = (
                str((money / Decimal(cap) * 100).quantize(Decimal("0.1"))) if cap not in (None, "0", "0.00") else None
            )
    # who gains or loses a benefit (or sees its amount change)
    changes: list[dict[str, Any]] = []
    for key in sorted(set(m_live) | set(m_draft)):
        a, b = m_live.get(key), m_draft.get(key)
        ma = a is not None and a["status"] == "matched"
        mb = b is not None and b["status"] == "matched"
        if ma == mb and (not ma or a["committed"] == b["committed"]):  # type: ignore[index]
            continue
        ent, pol_id = key
        o = orgs[ent]
        prow = policies.get(pol_id, {})
        changes.append(
            {
                "enterprise": ent,
                "name": o.name,
                "district": o.region_id or "",
                "industry": (o.industry_id or "")[:2],
                "policy": pol_id,
                "policy_zh": prow.get("name_zh", ""),
                "policy_en": prow.get("name_en", ""),
                "change": "gain" if mb and not ma else ("loss" if ma and not mb else "amount"),
                "committed_live": _money(a["committed"]) if a else None,
                "committed_draft": _money(b["committed"]) if b else None,
                "outcomes_live": a["outcomes"] if a else [],
                "outcomes_draft": b["outcomes"] if b else [],
                "facts": facts_draft[ent].to_dict() if ent in facts_draft else {},
            }
        )
    marks = sorted(
        set(dist_live) | set(dist_draft), key=lambda m: (m == "", rank(int(m) if m.isdigit() else None, m) or 9)
    )
    return {
        "year": year,
        "on": on.isoformat(),
        "region": draft.region_id,
        "distribution": [{"mark": m, "live": dist_live.get(m, 0), "draft": dist_draft.get(m, 0)} for m in marks],
        "movers": movers,
        "by_district": sorted(by_district.values(), key=lambda r: r["code"]),
        "by_industry": sorted(by_industry.values(), key=lambda r: r["code"]),
        "budgets": sorted(policies.values(), key=lambda r: r["code"]),
        "benefits": changes,
        "totals": {
            "enterprises": len(ids),
            "up": sum(1 for m in movers if m["direction"] == "up"),
            "down": sum(1 for m in movers if m["direction"] == "down"),
            "other": sum(1 for m in movers if m["direction"] == "other"),
            "gain": sum(1 for c in changes if c["change"] == "gain"),
            "loss": sum(1 for c in changes if c["change"] == "loss"),
        },
    }


# ------------------------------------------------------------------------------------------- adoption


@transaction.atomic
def adopt(
    user: Any, draft: SandboxDraft, valid_from: datetime.date, sandbox_run: SandboxRun | None = None
) -> SandboxDraft:
    """Make the draft a new version from ``valid_from``: a new version of the region's own scheme series, chosen for
    the region (then every graded year from ``valid_from`` on is rated again, which matches again), or a new
    version of the policy (which matches again). The sandbox run is kept with it as its impact note."""
    _require(user, draft.region)
    draft = (
        SandboxDraft.objects.select_for_update(of=("self",))
        .select_related("region", "base_scheme", "policy__package__region")
        .get(pk=draft.pk)
    )
    _require_open(draft)
    sandbox_run = sandbox_run or draft.runs.order_by("-created_at", "-pk").first()
    if sandbox_run is None or sandbox_run.draft_id != draft.pk:
        raise ValidationError({"run": [ValidationError(_("请先运行沙盘推演：采纳时须附上影响说明"))]})
    if sandbox_run.changes != draft.changes:
        raise ValidationError({"run": [ValidationError(_("草案在最近一次推演后已修改：请重新推演后再采纳"))]})
    if not isinstance(valid_from, datetime.date):
        raise ValidationError({"valid_from": [ValidationError(_("请填写生效日期"))]})
    note = f"政策沙盘草案 #{draft.pk}：{draft.title}"[:300]
    if draft.kind == SandboxDraft.Kind.SCHEME:
        base = draft.base_scheme
        assert base is not None
        params = merged_scheme_params(base, draft.changes)
        code = series_code(draft)
        last = RatingScheme.objects.filter(code=code).aggregate(m=Max("version"))["m"] or 0
        scheme = rating.publish_scheme_version(
            valid_from,
            code=code,
            version=last + 1,
            method=base.method,
            name_zh=f"{base.name_zh}（{draft.region.name}）"[:100],
            name_en=f"{base.name_en or base.name_zh} ({draft.region_id})"[:160],
            params=params,
            source=base.source,
            note=note,
        )
        rating.choose_scheme(draft.region, scheme, valid_from, note=note[:200])
        draft.adopted_scheme = scheme
        years = sorted(
            set(
                RatingResult.objects.filter(
                    region_code__startswith=draft.region.prefix, month=0, is_current=True
                ).values_list("year", flat=True)
            )
        )
        for y in years:
            if rating.period_end(y) >= valid_from:
                rating.rate_region(draft.region.prefix, y, user=user, note=note)
    else:
        assert draft.base_version is not None and draft.policy is not None
        fields = merged_version_fields(draft.base_version, draft.changes)
        fields["note"] = note
        draft.adopted_version = services.publish_version(user, draft.policy, valid_from, **fields)
    draft.status = SandboxDraft.Status.ADOPTED
    draft.adopted_by = user if getattr(user, "is_authenticated", False) else None
    draft.adopted_at = timezone.now()
    draft.adopted_from = valid_from
    draft.impact_run = sandbox_run
    draft.updated_at = draft.adopted_at
    draft.save()
    return draft

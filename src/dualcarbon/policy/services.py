"""The policy app's logic: publishing packages, policies and their versions; matching enterprises to policies
(reasons, near misses, the money committed); rerunning the matching when accounts, grades or policies change.

Matching (docs/policy.md § Matching): for a year's account facts (:mod:`dualcarbon.rating.facts`) and the
policy versions in force on a day, each enterprise is evaluated against each policy of the packages whose region
contains it (:mod:`dualcarbon.engine.eligibility`). A met rule is a *match*; a missed rule whose cheapest fix is
within the version's ``near_miss_pct`` (or one grade step) is a *near miss*. Each run is stored with every
outcome and the facts with their lineage; earlier matches of the same enterprises and year stop being current
but are kept.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from dualcarbon.engine import eligibility as el
from dualcarbon.rating import facts as account_facts
from dualcarbon.rating import services as rating_services
from dualcarbon.rating.models import RatingResult
from dualcarbon.registry import effective
from dualcarbon.registry.models import Region

from . import scoping
from .models import Match, MatchRun, Policy, PolicyPackage, PolicyVersion

CENT = Decimal("0.01")
#: grade steps a near miss may be away
NEAR_STEPS = 1
VERSION_FIELDS = (
    "rule",
    "benefit_kind",
    "benefit_amount",
    "benefit_note",
    "budget",
    "near_miss_pct",
    "illustrative",
    "note",
)


def _require_publisher(user: Any, region: Region | str) -> None:
    if not scoping.can_publish(user, region):
        raise PermissionDenied(_("只有该地区的政府部门可以发布或修改政策"))


# ------------------------------------------------------------------------------------------- publishing


@transaction.atomic
def create_package(user: Any, region: Region, **fields: Any) -> PolicyPackage:
    _require_publisher(user, region)
    pkg = PolicyPackage(region=region, created_by=user if getattr(user, "is_authenticated", False) else None, **fields)
    pkg.full_clean()
    pkg.save()
    return pkg


def parse_rule(rule: Any) -> el.Rule:
    """The rule as the engine reads it (raises :class:`engine.eligibility.RuleError` with located problems)."""
    return el.parse_rule(rule, account_facts.CATALOGUE)


@transaction.atomic
def create_policy(
    user: Any,
    package: PolicyPackage,
    *,
    code: str,
    name_zh: str,
    kind: str,
    valid_from: datetime.date,
    name_en: str = "",
    clause: str = "",
    rematch: bool = True,
    **version: Any,
) -> Policy:
    """A new policy of ``package`` with its first version (in force from ``valid_from``)."""
    _require_publisher(user, package.region)
    policy = Policy(package=package, code=code, name_zh=name_zh, name_en=name_en, kind=kind, clause=clause)
    policy.full_clean()
    policy.save()
    publish_version(user, policy, valid_from, rematch=rematch, **version)
    return policy


@transaction.atomic
def update_policy(user: Any, policy: Policy, **fields: Any) -> Policy:
    """Change a policy's names, kind or clause (its eligibility and benefit change by a new version)."""
    _require_publisher(user, policy.package.region)
    for k in ("name_zh", "name_en", "kind", "clause"):
        if k in fields:
            setattr(policy, k, fields[k])
    policy.full_clean()
    policy.save()
    return policy


@transaction.atomic
def publish_version(
    user: Any, policy: Policy, valid_from: datetime.date, *, rematch: bool = True, **fields: Any
) -> PolicyVersion:
    """A new version of the policy from ``valid_from``: the open version ends the day before
    (:func:`registry.effective.supersede`); the rule is normalised to its canonical JSON. Then the package's region
    is matched again (its matches' history is kept)."""
    _require_publisher(user, policy.package.region)
    unknown = set(fields) - set(VERSION_FIELDS)
    if unknown:
        raise TypeError(f"unknown version fields: {sorted(unknown)}")
    try:
        fields["rule"] = parse_rule(fields.get("rule")).to_dict()
    except el.RuleError as exc:
        raise ValidationError({"rule": [str(exc)]}) from exc
    last = PolicyVersion.objects.filter(policy=policy).aggregate(m=Max("version"))["m"] or 0
    row = effective.supersede(
        PolicyVersion,
        valid_from,
        policy=policy,
        version=last + 1,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        **fields,
    )
    if rematch:
        rematch_region(
            policy.package.region.prefix, reason=MatchRun.Reason.POLICY, user=user, note=f"{policy.code} v{row.version}"
        )
    return row


# ------------------------------------------------------------------------------------------- matching


def in_force(on: datetime.date) -> list[PolicyVersion]:
    return list(PolicyVersion.objects.filter(effective.in_force_q(on)).select_related("policy__package__region"))


def latest_year(region_prefix: str = "") -> int | None:
    """The latest year with current annual grades in the region (the year matching reads by default)."""
    qs = RatingResult.objects.filter(month=0, is_current=True)
    if region_prefix:
        qs = qs.filter(region_code__startswith=region_prefix)
    return qs.aggregate(y=Max("year"))["y"]


def committed(version: PolicyVersion, facts: dict[str, Any]) -> Decimal | None:
    """The money a match commits (元): a fixed amount; the amount per tCO2 × the year-on-year reduction (none when
    emissions did not fall or are unknown); rates, surcharges and non-monetary measures commit none."""
    amount = version.benefit_amount
    if amount is None:
        return None
    if version.benefit_kind == PolicyVersion.Benefit.FIXED:
        return Decimal(amount).quantize(CENT)
    if version.benefit_kind == PolicyVersion.Benefit.PER_TCO2:
        reduction = facts.get("reduction")
        if reduction is None or reduction <= 0:
            return Decimal("0.00")
        return (Decimal(amount) * Decimal(reduction)).quantize(CENT, rounding=ROUND_HALF_UP)
    return None


@dataclass
class Candidate:
    version: PolicyVersion
    rule: el.Rule


def _applicable(candidates: Sequence[Candidate], region_code: str) -> list[Candidate]:
    return [c for c in candidates if str(region_code).startswith(c.version.policy.package.region.prefix)]


LEVEL_ORDER = ("low", "medium", "high")


def _accepted_levels(cond: el.Condition) -> list[str]:
    v = cond.value
    if cond.op == "=":
        return [str(v)]
    if cond.op == "in":
        return [str(x) for x in v]
    if cond.op == "!=":
        return [lvl for lvl in LEVEL_ORDER if lvl != str(v)]
    if cond.op == "not_in":
        return [lvl for lvl in LEVEL_ORDER if lvl not in [str(x) for x in v]]
    return []


def intensity_route(o: el.Outcome, ruler: rating_services.GradeRuler | None) -> dict[str, Any] | None:
    """For a missed condition on the grade (a better one needed) or the level (a lower one): the intensity that
    reaches it under the scheme and benchmark that graded the enterprise (docs/policy.md § Near misses on grades).

    ``intensity`` is the highest L that earns the grade (its upper K bound × the benchmark) or the level (its upper L
    bound); ``delta`` = that − today's L, ``relative_pct`` = delta ÷ L × 100 (negative: lower). None when the
    condition asks for a worse grade or level, the scheme has no such bound, or the grade is not from a 碳效码
    scheme."""
    if o.status != el.MISSED or ruler is None or ruler.intensity is None or ruler.intensity <= 0:
        return None
    fact = o.condition.fact
    target: Any
    bound: Decimal | None
    if fact == "grade":
        if o.delta is None or o.delta >= 0 or o.actual is None:
            return None
        target = int(Decimal(o.actual) + o.delta)
        needed = ruler.max_intensity(target)
        bound = ruler.grade_bounds[target - 1] if needed is not None else None
    elif fact == "level":
        current = str(o.actual or "")
        if current not in LEVEL_ORDER:
            return None
        better = [lvl for lvl in _accepted_levels(o.condition) if LEVEL_ORDER.index(lvl) < LEVEL_ORDER.index(current)]
        if not better:
            return None
        target = max(better, key=LEVEL_ORDER.index)  # the nearest level below today's
        needed = ruler.max_intensity_for_level(target)
        bound = needed
    else:
        return None
    if needed is None:
        return None
    delta = needed - ruler.intensity
    if delta >= 0:
        return None
    return {
        "fact": fact,
        "target": target,
        "intensity": el.plain(needed),
        "actual": el.plain(ruler.intensity),
        "delta": el.plain(delta),
        "relative_pct": el.plain(delta / ruler.intensity * 100),
        "bound": el.plain(bound) if bound is not None else None,
        "benchmark": el.plain(ruler.benchmark),
        "scheme": ruler.scheme,
        "result": ruler.result_id,
    }


def classify(
    ev: el.Evaluation, version: PolicyVersion, ruler: rating_services.GradeRuler | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """``matched``, ``near`` or ``none``, and what would qualify (each missed condition's outcome; a grade or level
    condition with the intensity that reaches it, ``via_intensity``). A near miss: every condition of ``to_fix``
    reachable — a number within the version's ``near_miss_pct``, a grade within one step, or a level whose intensity
    is within ``near_miss_pct`` of today's."""
    if ev.met:
        return Match.Status.MATCHED, []
    tol = el.to_decimal(version.near_miss_pct) or Decimal(0)
    to_fix: list[dict[str, Any]] = []
    near = bool(ev.to_fix)
    for o in ev.to_fix:
        d = o.to_dict()
        route = intensity_route(o, ruler)
        if route is not None:
            d["via_intensity"] = route
        reachable = o.reachable(tol, NEAR_STEPS) or (
            o.condition.fact == "level" and route is not None and abs(Decimal(route["relative_pct"])) <= tol
        )
        near = near and reachable
        to_fix.append(d)
    return (Match.Status.NEAR if near else "none"), to_fix


@dataclass
class PolicyEvaluation:
    """One policy version against one set of facts (a what-if: nothing stored)."""

    version: PolicyVersion
    evaluation: el.Evaluation
    status: str  # matched / near / none
    to_fix: list[dict[str, Any]]
    committed: Decimal | None


def evaluate_facts(
    values: dict[str, Any], *, on: datetime.date | None = None, ruler: rating_services.GradeRuler | None = None
) -> list[PolicyEvaluation]:
    """Every policy version in force ``on`` (default today) whose package region contains the facts' district,
    evaluated against ``values`` (fact → value, e.g. an enterprise's facts as a reduction plan would leave them) with
    the live matching's rules — read only: nothing is stored, no run. For the planning app (docs/planning.md
    § What a plan unlocks)."""
    on = on or timezone.localdate()
    candidates = [Candidate(v, v.parsed_rule()) for v in in_force(on)]
    out: list[PolicyEvaluation] = []
    for cand in _applicable(candidates, values.get("district") or ""):
        ev = el.evaluate(cand.rule, values, account_facts.CATALOGUE)
        status, to_fix = classify(ev, cand.version, ruler)
        money = committed(cand.version, values) if ev.met else None
        out.append(PolicyEvaluation(cand.version, ev, str(status), to_fix, money))
    out.sort(key=lambda p: (p.version.policy.package_id, p.version.policy.code))
    return out


@transaction.atomic
def match(
    region_prefix: str,
    year: int,
    *,
    enterprise_ids: Sequence[int] | None = None,
    on: datetime.date | None = None,
    reason: str = MatchRun.Reason.MANUAL,
    user: Any = None,
    note: str = "",
) -> MatchRun:
    """Match the region's enterprises (or some of them) for ``year`` against the policies in force ``on`` (default:
    today). Stores a run; the enterprises' earlier current matches of that year stop being current."""
    on = on or timezone.localdate()
    facts = account_facts.facts_for_region(region_prefix, year, enterprise_ids)
    candidates = [Candidate(v, v.parsed_rule()) for v in in_force(on)]
    run = MatchRun.objects.create(
        region_prefix=region_prefix,
        year=year,
        on=on,
        reason=reason,
        note=note[:300],
        enterprise_ids=sorted(enterprise_ids) if enterprise_ids is not None else [],
        n_enterprises=len(facts),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    Match.objects.filter(enterprise_id__in=list(facts), year=year, is_current=True).update(is_current=False)
    now = timezone.now()
    rows: list[Match] = []
    rulers = rating_services.grade_rulers(list(facts), year) if facts else {}
    for ent_id, af in facts.items():
        values = af.values()
        district = values.get("district") or ""
        for cand in _applicable(candidates, district):
            ev = el.evaluate(cand.rule, values, account_facts.CATALOGUE)
            status, to_fix = classify(ev, cand.version, rulers.get(ent_id))
            if status == "none":
                continue
            rows.append(
                Match(
                    run=run,
                    enterprise_id=ent_id,
                    policy_id=cand.version.policy_id,
                    version=cand.version,
                    year=year,
                    status=status,
                    region_code=district,
                    industry_code=values.get("industry") or "",
                    outcomes=[o.to_dict() for o in ev.outcomes],
                    to_fix=to_fix,
                    facts=af.to_dict(),
                    committed=committed(cand.version, values) if ev.met else None,
                    computed_at=now,
                )
            )
    Match.objects.bulk_create(rows, batch_size=2000)
    run.n_matched = sum(1 for r in rows if r.status == Match.Status.MATCHED)
    run.n_near = len(rows) - run.n_matched
    run.save(update_fields=["n_matched", "n_near"])
    return run


def rematch_region(region_prefix: str, *, reason: str, user: Any = None, note: str = "") -> MatchRun | None:
    """Match the region again for its latest graded year (nothing to do without grades)."""
    year = latest_year(region_prefix)
    if year is None:
        return None
    return match(region_prefix, year, reason=reason, user=user, note=note)


def run_matching(user: Any, region_prefix: str, year: int | None = None) -> MatchRun | None:
    """A government's "match again" for its jurisdiction."""
    if not scoping.is_admin(user) and not any(region_prefix.startswith(p) for p in scoping.region_prefixes(user)):
        raise PermissionDenied(_("只能对本辖区重新匹配"))
    year = year or latest_year(region_prefix)
    if year is None:
        return None
    return match(region_prefix, year, reason=MatchRun.Reason.MANUAL, user=user)


def _policies_exist() -> bool:
    return PolicyVersion.objects.exists()


def on_ratings_stored(
    sender: Any, results: Iterable[RatingResult] = (), year: int = 0, month: int = 0, **kwargs: Any
) -> None:
    """Receiver of :data:`dualcarbon.rating.signals.ratings_stored`: annual grades changed → match those
    enterprises again for that year (in the rating's transaction)."""
    if month or not _policies_exist():
        return
    ids = sorted({r.enterprise_id for r in results})
    if ids:
        match("", year, enterprise_ids=ids, reason=MatchRun.Reason.RATING)


def on_accounts_computed(sender: Any, submissions: Iterable[Any] = (), **kwargs: Any) -> None:
    """Receiver of :data:`dualcarbon.accounting.signals.accounts_computed`: an enterprise's accounts changed (its
    verification status and data-quality tier are facts) → match it again for the years that have matches."""
    if not _policies_exist():
        return
    by_year: dict[int, set[int]] = defaultdict(set)
    for s in submissions:
        by_year[s.period.year].add(s.enterprise_id)
    for year, ids in sorted(by_year.items()):
        known = set(
            Match.objects.filter(enterprise_id__in=ids, year=year, is_current=True).values_list(
                "enterprise_id", flat=True
            )
        ) | set(
            RatingResult.objects.filter(enterprise_id__in=ids, year=year, month=0, is_current=True).values_list(
                "enterprise_id", flat=True
            )
        )
        if known:
            match("", year, enterprise_ids=sorted(known), reason=MatchRun.Reason.ACCOUNTS)


def on_facts_changed(sender: Any, enterprise_ids: Iterable[int] = (), fact: str = "", **kwargs: Any) -> None:
    """Receiver of :data:`dualcarbon.rating.signals.facts_changed`: a fact an app above answers changed (finance's
    transition certification: an entry certified, revoked or expired) → match those enterprises again for the years
    they have current matches and for their latest graded year."""
    ids = sorted(set(enterprise_ids))
    if not ids or not _policies_exist():
        return
    by_year: dict[int, set[int]] = defaultdict(set)
    for ent, year in Match.objects.filter(enterprise_id__in=ids, is_current=True).values_list("enterprise_id", "year"):
        by_year[year].add(ent)
    latest: dict[int, int] = {}
    for ent, year in RatingResult.objects.filter(enterprise_id__in=ids, month=0, is_current=True).values_list(
        "enterprise_id", "year"
    ):
        latest[ent] = max(year, latest.get(ent, year))
    for ent, year in latest.items():
        by_year[year].add(ent)
    for year, group in sorted(by_year.items()):
        match("", year, enterprise_ids=sorted(group), reason=MatchRun.Reason.FACTS, note=fact[:300])


# ------------------------------------------------------------------------------------------- budgets


@dataclass
class Budget:
    policy: Policy
    version: PolicyVersion | None
    n_matched: int
    n_near: int
    committed: Decimal
    budget: Decimal | None

    @property
    def name(self) -> str:
        return self.policy.name_for(get_language() or "zh-hans")

    @property
    def remaining(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.committed

    @property
    def over(self) -> bool:
        return self.budget is not None and self.committed > self.budget

    @property
    def share_pct(self) -> Decimal | None:
        if not self.budget:
            return None
        return (self.committed / self.budget * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def budgets(matches: Iterable[Match], policies: Iterable[Policy], on: datetime.date | None = None) -> list[Budget]:
    """Per policy: current matches, near misses and the money they commit against the version's budget."""
    on = on or timezone.localdate()
    policies = list(policies)
    versions = {
        v.policy_id: v
        for v in effective.in_force_by_series(PolicyVersion.objects.filter(policy__in=[p.pk for p in policies]), on)
    }
    acc: dict[int, list[Any]] = {p.pk: [0, 0, Decimal("0.00")] for p in policies}
    for m in matches:
        a = acc.get(m.policy_id)
        if a is None:
            continue
        if m.status == Match.Status.MATCHED:
            a[0] += 1
            a[2] += m.committed or Decimal(0)
        else:
            a[1] += 1
    out = []
    for p in policies:
        v = versions.get(p.pk)
        n, near, money = acc[p.pk]
        out.append(Budget(p, v, n, near, money, v.budget if v is not None else None))
    return out


def current_matches(qs: Any, year: int | None = None) -> Any:
    qs = qs.filter(is_current=True)
    return qs.filter(year=year) if year else qs


def region_codes_q(prefix: str) -> Q:
    return Q(region_code__startswith=prefix) if prefix else Q()

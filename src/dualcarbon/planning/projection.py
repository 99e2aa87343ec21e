"""What a reduction plan would do to the enterprise's account facts, and what that unlocks (docs/planning.md § What a
plan unlocks, § The grade a plan aims for).

Today's facts are the enterprise's account facts (:mod:`dualcarbon.rating.facts`) of the plan's base year when it is
graded, else of its latest graded year. The projected facts are today's with what the plan changes in the projected
year ``at`` (the plan's last year unless asked otherwise), on the plan's own assumption that output grows with the
no-measure baseline (intensity constant without measures):

* r(y) = planned(y) ÷ baseline(y) (the plan's path, engine/macc.py);
* intensity L(at) = L × r(at); K, grade and level: the rating scheme that graded the enterprise, against the same
  benchmark (:func:`dualcarbon.rating.services.preview_intensity`);
* intensity trend = (r(at) ÷ r(at − 1) − 1) × 100 %;
* emissions E(at) = E × planned(at) ÷ base; reduction = E × (planned(at − 1) − planned(at)) ÷ base (E: the rating's
  emissions of today's facts, base: the plan's base-year account total);
* every other fact (industry, district, size, above-scale, certification, data tier, verification) unchanged.

Policies (:func:`dualcarbon.policy.services.evaluate_facts`) and bank products
(:func:`dualcarbon.finance.lending.offers_for_facts`) are evaluated on both; the ones met after and not before are
what the plan unlocks, with every condition's figure before → after. Nothing is stored.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from dualcarbon.engine import eligibility as el
from dualcarbon.finance import lending
from dualcarbon.policy import queries as policy_queries
from dualcarbon.policy import services as policy_services
from dualcarbon.rating import facts as account_facts
from dualcarbon.rating import rule_wording as wording
from dualcarbon.rating import services as rating_services
from dualcarbon.rating.models import RatingResult

from .services import PlanView

#: projected figures are kept to six decimals (the facts compare as Decimal; pages show four)
PLACES = Decimal("0.000001")
PCT = Decimal("0.1")
CENT = Decimal("0.01")


def _q(v: Decimal | None) -> Decimal | None:
    return None if v is None else v.quantize(PLACES, rounding=ROUND_HALF_UP)


@dataclass
class Change:
    fact: str
    before: Any
    after: Any
    derivation: str

    @property
    def label(self) -> str:
        return wording.fact_label(self.fact)

    @property
    def before_text(self) -> str:
        return wording.value_text(self.fact, self.before)

    @property
    def after_text(self) -> str:
        return wording.value_text(self.fact, self.after)

    def as_dict(self) -> dict[str, Any]:
        return {
            "fact": self.fact,
            "label": self.label,
            "before": _jsonable(self.before),
            "after": _jsonable(self.after),
            "before_text": self.before_text,
            "after_text": self.after_text,
            "derivation": self.derivation,
        }


@dataclass
class GradeTarget:
    """The grade the plan aims for: the intensity it needs and whether the projection reaches it."""

    grade: int
    needed: Decimal | None  #: the highest L earning the grade (bound × benchmark); None: no bound / no ruler
    bound: Decimal | None
    benchmark: Decimal | None
    projected: Decimal | None  #: L in the plan's last year
    projected_grade: int | None
    year: int
    allowed_tco2: Decimal | None  #: the last year's emissions at the needed intensity
    planned_tco2: Decimal | None

    @property
    def reached(self) -> bool | None:
        if self.projected_grade is None:
            return None
        return self.projected_grade <= self.grade

    @property
    def short_pct(self) -> Decimal | None:
        """How much lower the projected intensity must still be, in % of it (0 when reached)."""
        if self.needed is None or self.projected is None or self.projected <= 0 or self.reached:
            return Decimal(0) if self.reached else None
        return ((self.projected - self.needed) / self.projected * 100).quantize(PCT, rounding=ROUND_HALF_UP)

    @property
    def short_tco2(self) -> Decimal | None:
        """tCO2e to cut on top of the plan in its last year to reach the grade (0 when reached)."""
        if self.reached:
            return Decimal(0)
        if self.allowed_tco2 is None or self.planned_tco2 is None:
            return None
        return max(self.planned_tco2 - self.allowed_tco2, Decimal(0)).quantize(CENT, rounding=ROUND_HALF_UP)

    def as_dict(self) -> dict[str, Any]:
        return {
            "grade": self.grade,
            "year": self.year,
            "intensity_needed": _jsonable(self.needed),
            "grade_bound_k": _jsonable(self.bound),
            "benchmark": _jsonable(self.benchmark),
            "intensity_projected": _jsonable(self.projected),
            "grade_projected": self.projected_grade,
            "reached": self.reached,
            "short_pct": _jsonable(self.short_pct),
            "short_tco2": _jsonable(self.short_tco2),
            "allowed_tco2": _jsonable(self.allowed_tco2),
            "planned_tco2": _jsonable(self.planned_tco2),
        }


@dataclass
class ConditionRow:
    text: str
    before: str
    after: str
    met_before: bool
    met_after: bool

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Unlock:
    kind: str  # policy / product
    id: int  #: the policy version's or the product version's id
    name: str
    owner: str  #: the package or the bank
    benefit: str
    conditions: list[ConditionRow]
    committed: Decimal | None = None  #: policies: the money the match would commit after the plan

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "owner": self.owner,
            "benefit": self.benefit,
            "committed": _jsonable(self.committed),
            "conditions": [c.as_dict() for c in self.conditions],
        }


@dataclass
class Projection:
    year: int | None  #: the graded year today's facts are read from
    at: int  #: the projected year
    changes: list[Change] = field(default_factory=list)
    unlocked: list[Unlock] = field(default_factory=list)
    ceased: list[Unlock] = field(default_factory=list)
    target: GradeTarget | None = None
    notes: list[str] = field(default_factory=list)
    ruler: rating_services.GradeRuler | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "facts_year": self.year,
            "at": self.at,
            "ruler": self.ruler.as_dict() if self.ruler else None,
            "changes": [c.as_dict() for c in self.changes],
            "unlocked": [u.as_dict() for u in self.unlocked],
            "ceased": [u.as_dict() for u in self.ceased],
            "grade_target": self.target.as_dict() if self.target else None,
            "notes": self.notes,
        }


def _jsonable(v: Any) -> Any:
    return el.plain(v) if isinstance(v, Decimal) else v


def facts_year(view: PlanView) -> int | None:
    """The plan's base year when the enterprise is graded that year, else its latest graded year."""
    ent = view.plan.enterprise_id
    graded = RatingResult.objects.filter(enterprise_id=ent, year=view.plan.base_year, month=0, is_current=True)
    if graded.exists():
        return view.plan.base_year
    return account_facts.latest_graded_year(ent)


def _ratio(view: PlanView, year: int) -> Decimal | None:
    row = next((p for p in view.path if p.year == year), None)
    if row is None or row.baseline <= 0:
        return None
    return row.planned / row.baseline


def _planned(view: PlanView, year: int) -> Decimal | None:
    row = next((p for p in view.path if p.year == year), None)
    return None if row is None else row.planned


def project(view: PlanView, at: int | None = None) -> Projection:
    """Today's facts, the projected ones in ``at`` (default the plan's last year), the grade target and what the plan
    unlocks or ends (see the module's note)."""
    plan = view.plan
    at = plan.until_year if at is None else at
    year = facts_year(view)
    out = Projection(year, at)
    if year is None:
        out.notes.append(_("企业尚无年度碳效评级，无法推算规划实施后的等级和可享受的政策。"))
        return out
    if year != plan.base_year:
        out.notes.append(
            _("基准年 %(b)d 尚无年度评级，现状按 %(y)d 年度的评级与账户事实。") % {"b": plan.base_year, "y": year}
        )
    today = account_facts.facts_for(plan.enterprise_id, year)
    if today is None:
        out.notes.append(_("企业已停用，无法推算。"))
        return out
    rulers = rating_services.grade_rulers([plan.enterprise_id], year)
    ruler = rulers.get(plan.enterprise_id)
    out.ruler = ruler
    before = today.values()
    after = dict(before)
    r_at, r_prev = _ratio(view, at), _ratio(view, at - 1)
    base = view.base.tco2
    L, E = before.get("intensity"), before.get("emissions")
    if r_at is None:
        out.notes.append(_("规划的无措施排放为 0，无法推算强度变化。"))
    elif L is not None:
        l_at = _q(Decimal(L) * r_at)
        assert l_at is not None
        after["intensity"] = l_at
        out.changes.append(
            Change(
                "intensity",
                L,
                l_at,
                _("%(l)s × 规划排放 %(p)s ÷ 无措施排放 %(b)s（%(y)d 年）")
                % {"l": wording.number(L), "p": _t(_planned(view, at)), "b": _t(_baseline(view, at)), "y": at},
            )
        )
        if ruler is not None:
            graded = rating_services.preview_intensity(ruler, l_at)
            after["k"] = _q(graded["k"])
            after["grade"] = graded["grade"] or None
            if graded["level"]:
                after["level"] = graded["level"]
            how = _("强度 ÷ 基准值 %(b)s（%(s)s）") % {"b": wording.number(ruler.benchmark), "s": ruler.scheme}
            out.changes.append(Change("k", before.get("k"), after["k"], how))
            out.changes.append(
                Change(
                    "grade",
                    before.get("grade"),
                    after["grade"],
                    _("K 对照等级阈值 %(g)s（上端含）") % {"g": _bounds(ruler.grade_bounds)},
                )
            )
            if graded["level"]:
                out.changes.append(
                    Change(
                        "level",
                        before.get("level"),
                        after["level"],
                        _("强度对照阈值 %(g)s") % {"g": _bounds(ruler.level_bounds)},
                    )
                )
        else:
            out.notes.append(_("现状等级不是按碳效值评定的（评级方案不同、未定级或缺少基准值）：等级不随强度推算。"))
            after["grade"] = after["k"] = after["level"] = None
    if r_at is not None and r_prev is not None and r_prev > 0:
        trend = _q((r_at / r_prev - 1) * 100)
        after["intensity_trend"] = trend
        out.changes.append(
            Change(
                "intensity_trend",
                before.get("intensity_trend"),
                trend,
                _("(%(y)d 年规划排放/无措施排放) ÷ (%(p)d 年同一比值) − 1") % {"y": at, "p": at - 1},
            )
        )
    if E is not None and base > 0:
        p_at, p_prev = _planned(view, at), _planned(view, at - 1)
        if p_at is not None:
            e_at = _q(Decimal(E) * p_at / base)
            after["emissions"] = e_at
            out.changes.append(
                Change(
                    "emissions",
                    E,
                    e_at,
                    _("%(e)s × 规划排放 %(p)s ÷ 基准年排放 %(b)s")
                    % {"e": wording.number(E), "p": _t(p_at), "b": _t(base)},
                )
            )
            if p_prev is not None:
                red = _q(Decimal(E) * (p_prev - p_at) / base)
                after["reduction"] = red
                out.changes.append(
                    Change(
                        "reduction",
                        before.get("reduction"),
                        red,
                        _("%(e)s × (%(a)d 年规划排放 − %(b)d 年规划排放) ÷ 基准年排放")
                        % {"e": wording.number(E), "a": at - 1, "b": at},
                    )
                )
    ruler_after = dataclasses.replace(ruler, intensity=after.get("intensity")) if ruler is not None else None
    _unlocks(out, before, after, ruler, ruler_after)
    if plan.target_grade:
        out.target = grade_target(view, ruler, L)
    return out


def _t(v: Decimal | None) -> str:
    """tCO2e in a derivation: two decimals."""
    return wording.number(v, 2)


def _bounds(bounds: tuple[Decimal, ...]) -> str:
    return " / ".join(wording.number(b) for b in bounds)


def _baseline(view: PlanView, year: int) -> Decimal | None:
    row = next((p for p in view.path if p.year == year), None)
    return None if row is None else row.baseline


def grade_target(view: PlanView, ruler: rating_services.GradeRuler | None, L: Any) -> GradeTarget:
    """The plan's target grade in its last year: the intensity it needs (the grade's K bound × the benchmark), the
    projected intensity and grade, and how far short the plan falls (in % of the intensity and in tCO2e)."""
    plan = view.plan
    grade = int(plan.target_grade or 0)
    last = view.until
    needed = ruler.max_intensity(grade) if ruler is not None else None
    bound = ruler.grade_bounds[grade - 1] if ruler is not None and needed is not None else None
    projected = None
    projected_grade = None
    allowed = None
    r_last = _ratio(view, plan.until_year)
    if L is not None and r_last is not None:
        projected = _q(Decimal(L) * r_last)
        if ruler is not None and projected is not None:
            projected_grade = ruler.grade_for(projected) or None
        if needed is not None and last is not None and Decimal(L) > 0:
            # the last year's emissions at the needed intensity: baseline × needed ÷ L (same output as the plan)
            allowed = (last.baseline * needed / Decimal(L)).quantize(CENT, rounding=ROUND_HALF_UP)
    return GradeTarget(
        grade,
        needed,
        bound,
        ruler.benchmark if ruler else None,
        projected,
        projected_grade,
        plan.until_year,
        allowed,
        last.planned if last else None,
    )


def _rows(cond_outcomes: tuple[el.Outcome, ...], after: tuple[el.Outcome, ...]) -> list[ConditionRow]:
    rows = []
    for b, a in zip(cond_outcomes, after, strict=True):
        fact = b.condition.fact
        rows.append(
            ConditionRow(
                wording.condition_text(b.condition.to_dict()),
                wording.value_text(fact, b.actual),
                wording.value_text(fact, a.actual),
                b.met,
                a.met,
            )
        )
    return rows


def _lang() -> str:
    return get_language() or "zh-hans"


def _unlocks(
    out: Projection,
    before: dict[str, Any],
    after: dict[str, Any],
    ruler: rating_services.GradeRuler | None,
    ruler_after: rating_services.GradeRuler | None,
) -> None:
    now = {e.version.pk: e for e in policy_services.evaluate_facts(before, ruler=ruler)}
    then = {e.version.pk: e for e in policy_services.evaluate_facts(after, ruler=ruler_after)}
    for pk, a in then.items():
        b = now.get(pk)
        if b is None or a.evaluation.met == b.evaluation.met:
            continue
        v = a.version
        u = Unlock(
            "policy",
            pk,
            v.policy.name_for(_lang()),
            v.policy.package.name_for(_lang()),
            policy_queries.benefit_text(v),
            _rows(b.evaluation.outcomes, a.evaluation.outcomes),
            a.committed if a.evaluation.met else b.committed,
        )
        (out.unlocked if a.evaluation.met else out.ceased).append(u)
    facts_before = account_facts.AccountFacts(0, out.year or 0, {})
    facts_after = account_facts.AccountFacts(0, out.year or 0, {})
    facts_before.facts = {k: account_facts.Fact(k, v) for k, v in before.items()}
    facts_after.facts = {k: account_facts.Fact(k, v) for k, v in after.items()}
    offers_before = {o.version.pk: o for o in lending.offers_for_facts(facts_before)}
    for o in lending.offers_for_facts(facts_after):
        ob = offers_before.get(o.version.pk)
        if ob is None or o.eligible == ob.eligible:
            continue
        rate = o.rate_bp if o.eligible else ob.rate_bp
        benefit = _("年利率 %(r)s %%") % {"r": wording.number(Decimal(rate) / 100, 2)} if rate is not None else ""
        u = Unlock(
            "product",
            o.version.pk,
            o.product.name_for(_lang()),
            o.product.bank.name,
            benefit,
            _rows(ob.evaluation.outcomes, o.evaluation.outcomes),
        )
        (out.unlocked if o.eligible else out.ceased).append(u)

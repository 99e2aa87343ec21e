"""Declarative eligibility rules: parse them from JSON, evaluate them against facts, measure near misses.

Pure (no Django): the policy app evaluates government policies with it, finance will evaluate bank products with
it. The caller brings a *catalogue* of the facts rules may name (:class:`FactSpec`: kind and unit) and, per
subject, the facts' values.

A rule is JSON data::

    {"all": [
        {"fact": "grade", "op": "<=", "value": 2},
        {"fact": "intensity", "op": "<=", "value": "0.80", "unit": "tCO2/万元"},
        {"any": [{"fact": "industry", "op": "in", "value": ["30", "31"]},
                 {"fact": "above_scale", "op": "=", "value": true}]}
    ]}

Operators: ``=`` ``!=`` ``<`` ``<=`` ``>`` ``>=`` ``in`` ``not_in`` ``between`` (both ends included; ``≠ ≤ ≥``
and ``not in`` are accepted as aliases). Numbers compare as :class:`~decimal.Decimal` (a rule's ``"0.80"`` or
``0.8`` and a fact's float are all read through ``str``: no binary rounding decides a boundary).

Evaluating returns, per condition, ``met``, ``missed`` or ``unknown`` (the fact has no value), the fact's figure
and, for a missed numeric condition, the *distance*: the signed change of the figure that reaches the boundary
(``delta``, in the fact's unit) and the same relative to the figure (``relative_pct``). ``strict`` says the
boundary itself does not qualify (``<``, ``>``: the figure must pass it). Ordinal facts (integers such as a grade)
move in whole steps: ``grade < 3`` missed at grade 4 needs ``delta = -2`` (to grade 2), not strict.

Near misses: :meth:`Evaluation.to_fix` is the smallest set of missed conditions whose meeting would qualify the
subject (``all``: every missed child's; ``any``: the cheapest child's — fewest conditions, then the smallest
relative change). The subject is a near miss (:meth:`Evaluation.is_near_miss`) when that set is non-empty and each
of its conditions can be reached by a small change: a number within ``tolerance_pct`` of its figure, an ordinal
within ``steps`` steps. A category, a flag or an unknown figure is never "near": a firm does not change industry
to meet a policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

NUMBER = "number"  # a measured figure (intensity, K, a trend in %)
ORDINAL = "ordinal"  # an integer scale (a grade 1–5, a data-quality tier 1–3)
CATEGORY = "category"  # a code (industry, district, size, level, status)
FLAG = "flag"  # true / false (above-scale)
KINDS = (NUMBER, ORDINAL, CATEGORY, FLAG)

OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "in", "not_in", "between")
ALIASES = {"==": "=", "≠": "!=", "≤": "<=", "≥": ">=", "not in": "not_in", "∈": "in", "∉": "not_in"}
#: how an operator is written for people
SYMBOLS = {"=": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥", "in": "∈", "not_in": "∉", "between": "∈"}
#: the operators each kind of fact takes
KIND_OPERATORS = {
    NUMBER: ("=", "!=", "<", "<=", ">", ">=", "between"),
    ORDINAL: OPERATORS,
    CATEGORY: ("=", "!=", "in", "not_in"),
    FLAG: ("=", "!="),
}
COMBINATORS = ("all", "any")

MET, MISSED, UNKNOWN = "met", "missed", "unknown"


@dataclass(frozen=True)
class FactSpec:
    """A fact rules may name: its kind and unit (``""``: none)."""

    name: str
    kind: str
    unit: str = ""


@dataclass(frozen=True)
class Problem:
    """One error in a rule: where (``path``, e.g. ``all[1].value``), what (``code``) and its parameters."""

    path: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


class RuleError(ValueError):
    """A rule that cannot be used, with every problem located (the caller words them)."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(f"{p.path}: {p.code} {dict(p.params)}" for p in self.problems))


@dataclass(frozen=True)
class Condition:
    fact: str
    op: str
    #: Decimal / int / str / bool, or a tuple of them (in, not_in, between)
    value: Any
    unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"fact": self.fact, "op": self.op, "value": _json_value(self.value)}
        if self.unit:
            out["unit"] = self.unit
        return out


@dataclass(frozen=True)
class Rule:
    combine: str  # "all" | "any"
    items: tuple[Condition | Rule, ...]

    def to_dict(self) -> dict[str, Any]:
        return {self.combine: [i.to_dict() for i in self.items]}

    def conditions(self) -> list[Condition]:
        out: list[Condition] = []
        for i in self.items:
            out.extend(i.conditions() if isinstance(i, Rule) else [i])
        return out


def plain(d: Decimal) -> str:
    """A Decimal as plain digits without exponent or trailing zeros (``0E-16`` → ``0``, ``1.50`` → ``1.5``)."""
    text = format(d.normalize(), "f")
    return "0" if text == "-0" else text


def _json_value(v: Any) -> Any:
    if isinstance(v, tuple | list):
        return [_json_value(x) for x in v]
    if isinstance(v, Decimal):
        return plain(v)
    return v


def to_decimal(v: Any) -> Decimal | None:
    """A finite Decimal from an int, a float (through ``str``), a Decimal or a numeric string; None otherwise."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, Decimal):
        d = v
    elif isinstance(v, int | float | str):
        try:
            d = Decimal(str(v).strip().replace(",", ""))
        except InvalidOperation:
            return None
    else:
        return None
    return d if d.is_finite() else None


# ------------------------------------------------------------------------------------------------ parsing


def parse_rule(data: Any, catalogue: Mapping[str, FactSpec]) -> Rule:
    """A :class:`Rule` from its JSON form; every problem is collected and raised at once as :class:`RuleError`.
    A bare condition or a list of conditions is read as ``{"all": [...]}``."""
    problems: list[Problem] = []
    if isinstance(data, list):
        data = {"all": data}
    elif isinstance(data, dict) and "fact" in data:
        data = {"all": [data]}
    rule = _parse_group(data, "", catalogue, problems)
    if problems or rule is None:
        raise RuleError(problems or [Problem("", "empty")])
    return rule


def _parse_group(data: Any, path: str, catalogue: Mapping[str, FactSpec], problems: list[Problem]) -> Rule | None:
    if not isinstance(data, dict) or len(data) != 1 or next(iter(data)) not in COMBINATORS:
        problems.append(Problem(path or "rule", "group"))
        return None
    combine = next(iter(data))
    raw = data[combine]
    if not isinstance(raw, list) or not raw:
        problems.append(Problem(f"{path}{combine}", "empty"))
        return None
    items: list[Condition | Rule] = []
    for i, item in enumerate(raw):
        where = f"{path}{combine}[{i}]"
        if isinstance(item, dict) and "fact" not in item:
            sub = _parse_group(item, where + ".", catalogue, problems)
            if sub is not None:
                items.append(sub)
            continue
        cond = parse_condition(item, catalogue, where, problems)
        if cond is not None:
            items.append(cond)
    return Rule(combine, tuple(items)) if items and len(items) == len(raw) else None


def parse_condition(
    item: Any, catalogue: Mapping[str, FactSpec], path: str = "", problems: list[Problem] | None = None
) -> Condition | None:
    """One condition; problems are appended to ``problems`` (or raised when it is None)."""
    own: list[Problem] = []
    cond = _parse_condition(item, catalogue, path, own)
    if problems is None and own:
        raise RuleError(own)
    if problems is not None:
        problems.extend(own)
    return cond


def _parse_condition(item: Any, catalogue: Mapping[str, FactSpec], path: str, out: list[Problem]) -> Condition | None:
    at = f"{path}." if path else ""
    if not isinstance(item, dict):
        out.append(Problem(path or "rule", "condition"))
        return None
    name = item.get("fact")
    spec = catalogue.get(name) if isinstance(name, str) else None
    if spec is None:
        out.append(Problem(f"{at}fact", "unknown_fact", {"fact": str(name), "known": ", ".join(catalogue)}))
        return None
    op = item.get("op")
    op = ALIASES.get(op, op) if isinstance(op, str) else op
    if op not in KIND_OPERATORS[spec.kind]:
        allowed = " ".join(SYMBOLS[o] if o != "not_in" else "not_in" for o in KIND_OPERATORS[spec.kind])
        out.append(Problem(f"{at}op", "operator", {"op": str(op), "fact": spec.name, "allowed": allowed}))
        return None
    unit = item.get("unit") or ""
    if unit and unit != spec.unit:
        out.append(Problem(f"{at}unit", "unit", {"unit": str(unit), "fact": spec.name, "expected": spec.unit or "—"}))
        return None
    if "value" not in item:
        out.append(Problem(f"{at}value", "missing"))
        return None
    value = _parse_value(spec, op, item["value"], f"{at}value", out)
    if value is None:
        return None
    return Condition(spec.name, op, value, spec.unit)


def _scalar(spec: FactSpec, raw: Any, path: str, out: list[Problem]) -> Any:
    if spec.kind == NUMBER:
        d = to_decimal(raw)
        if d is None:
            out.append(Problem(path, "number", {"value": str(raw)}))
        return d
    if spec.kind == ORDINAL:
        d = to_decimal(raw)
        if d is None or d != d.to_integral_value():
            out.append(Problem(path, "integer", {"value": str(raw)}))
            return None
        return int(d)
    if spec.kind == FLAG:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("true", "1", "yes", "是"):
            return True
        if text in ("false", "0", "no", "否"):
            return False
        out.append(Problem(path, "flag", {"value": str(raw)}))
        return None
    text = str(raw).strip() if raw is not None else ""
    if not text:
        out.append(Problem(path, "missing"))
        return None
    return text


def _parse_value(spec: FactSpec, op: str, raw: Any, path: str, out: list[Problem]) -> Any:
    if op in ("in", "not_in", "between"):
        if isinstance(raw, str):
            raw = [p for p in (x.strip() for x in raw.replace("，", ",").replace("、", ",").split(",")) if p]
        if not isinstance(raw, list | tuple) or not raw:
            out.append(Problem(path, "list"))
            return None
        if op == "between" and len(raw) != 2:
            out.append(Problem(path, "between", {"count": len(raw)}))
            return None
        n = len(out)
        values = tuple(_scalar(spec, r, f"{path}[{i}]", out) for i, r in enumerate(raw))
        if len(out) > n:
            return None
        if op == "between" and values[0] > values[1]:
            out.append(Problem(path, "between_order", {"low": str(values[0]), "high": str(values[1])}))
            return None
        return values
    n = len(out)
    value = _scalar(spec, raw, path, out)
    return None if len(out) > n else value


# ------------------------------------------------------------------------------------------------ evaluation


@dataclass(frozen=True)
class Outcome:
    """One condition against one subject's fact."""

    condition: Condition
    kind: str
    status: str  # met / missed / unknown
    actual: Any = None
    #: the signed change of the figure that reaches the boundary (numbers and ordinals; None otherwise)
    delta: Decimal | None = None
    #: delta relative to the figure, in % (None when the figure is 0 or there is no delta)
    relative_pct: Decimal | None = None
    #: the boundary itself does not qualify: the figure must pass it
    strict: bool = False

    @property
    def met(self) -> bool:
        return self.status == MET

    def reachable(self, tolerance_pct: Decimal, steps: int) -> bool:
        """A small change of the figure meets the condition (see the module's note on near misses)."""
        if self.status != MISSED or self.delta is None:
            return False
        if self.kind == ORDINAL:
            return abs(self.delta) <= steps
        if self.relative_pct is None:
            return False
        return abs(self.relative_pct) <= tolerance_pct

    def to_dict(self) -> dict[str, Any]:
        return {
            "condition": self.condition.to_dict(),
            "status": self.status,
            "actual": _json_value(self.actual),
            "delta": None if self.delta is None else plain(self.delta),
            "relative_pct": None if self.relative_pct is None else plain(self.relative_pct),
            "strict": self.strict,
        }


@dataclass(frozen=True)
class Evaluation:
    met: bool
    #: every condition's outcome, in the rule's order
    outcomes: tuple[Outcome, ...]
    #: the cheapest set of missed conditions whose meeting qualifies the subject (empty when met)
    to_fix: tuple[Outcome, ...]

    def is_near_miss(self, tolerance_pct: Decimal | int | str = 10, steps: int = 1) -> bool:
        tol = to_decimal(tolerance_pct) or Decimal(0)
        return not self.met and bool(self.to_fix) and all(o.reachable(tol, steps) for o in self.to_fix)


def _relative(delta: Decimal, actual: Decimal) -> Decimal | None:
    return None if actual == 0 else delta / abs(actual) * 100


def evaluate_condition(cond: Condition, spec: FactSpec, actual: Any) -> Outcome:
    kind = spec.kind
    if actual is None:
        return Outcome(cond, kind, UNKNOWN)
    if kind in (NUMBER, ORDINAL):
        a = to_decimal(actual)
        if a is None:
            return Outcome(cond, kind, UNKNOWN)
        shown: Any = int(a) if kind == ORDINAL and a == a.to_integral_value() else a
        return _numeric(cond, kind, a, shown)
    if kind == FLAG:
        value = bool(actual)
        ok = (value == cond.value) if cond.op == "=" else (value != cond.value)
        return Outcome(cond, kind, MET if ok else MISSED, value)
    text = str(actual)
    if cond.op == "=":
        ok = text == cond.value
    elif cond.op == "!=":
        ok = text != cond.value
    elif cond.op == "in":
        ok = text in cond.value
    else:
        ok = text not in cond.value
    return Outcome(cond, kind, MET if ok else MISSED, text)


def _numeric(cond: Condition, kind: str, a: Decimal, shown: Any) -> Outcome:
    op, v = cond.op, cond.value
    ordinal = kind == ORDINAL
    strict = False
    target: Decimal | None = None
    if op in ("<", "<="):
        bound = Decimal(v)
        ok = a < bound if op == "<" else a <= bound
        if op == "<" and ordinal:
            target = bound - 1
        else:
            target, strict = bound, op == "<"
    elif op in (">", ">="):
        bound = Decimal(v)
        ok = a > bound if op == ">" else a >= bound
        if op == ">" and ordinal:
            target = bound + 1
        else:
            target, strict = bound, op == ">"
    elif op == "=":
        ok = a == Decimal(v)
        target = Decimal(v)
    elif op == "!=":
        ok = a != Decimal(v)
        target = None
    elif op == "between":
        lo, hi = Decimal(v[0]), Decimal(v[1])
        ok = lo <= a <= hi
        target = lo if a < lo else hi
    elif op == "in":
        members = [Decimal(x) for x in v]
        ok = a in members
        target = min(members, key=lambda m: (abs(m - a), m))
    else:  # not_in
        ok = a not in [Decimal(x) for x in v]
        target = None
    if ok:
        return Outcome(cond, kind, MET, shown)
    if target is None:
        return Outcome(cond, kind, MISSED, shown)
    delta = target - a
    return Outcome(cond, kind, MISSED, shown, delta, _relative(delta, a), strict)


@dataclass(frozen=True)
class _Node:
    met: bool
    to_fix: tuple[Outcome, ...]
    fixable: bool  # every outcome in to_fix has a distance


def _cost(node: _Node) -> tuple[int, int, Decimal]:
    rel = sum((abs(o.relative_pct) for o in node.to_fix if o.relative_pct is not None), Decimal(0))
    return (0 if node.fixable else 1, len(node.to_fix), rel)


def evaluate(rule: Rule, facts: Mapping[str, Any], catalogue: Mapping[str, FactSpec]) -> Evaluation:
    """Evaluate ``rule`` against one subject's ``facts`` (name → value; a missing name or None is unknown)."""
    outcomes: list[Outcome] = []

    def walk(r: Rule) -> _Node:
        nodes: list[_Node] = []
        for item in r.items:
            if isinstance(item, Rule):
                nodes.append(walk(item))
                continue
            o = evaluate_condition(item, catalogue[item.fact], facts.get(item.fact))
            outcomes.append(o)
            nodes.append(_Node(o.met, () if o.met else (o,), o.delta is not None))
        if r.combine == "all":
            missed = [n for n in nodes if not n.met]
            return _Node(not missed, tuple(o for n in missed for o in n.to_fix), all(n.fixable for n in missed))
        if any(n.met for n in nodes):
            return _Node(True, (), True)
        return min(nodes, key=_cost)

    root = walk(rule)
    return Evaluation(root.met, tuple(outcomes), () if root.met else root.to_fix)


def evaluate_many(
    rule: Rule, subjects: Iterable[tuple[Any, Mapping[str, Any]]], catalogue: Mapping[str, FactSpec]
) -> list[tuple[Any, Evaluation]]:
    """:func:`evaluate` for many subjects (key, facts)."""
    return [(key, evaluate(rule, facts, catalogue)) for key, facts in subjects]

"""Group consolidation (集团碳盘查合并): a group's scope 1 and scope 2 inventory for a year from its entities'
monthly totals and an effective-dated ownership graph (docs/methods.md § 18).

Two approaches (GHG Protocol Corporate Standard, chapter 3 "Setting Organizational Boundaries"; ISO 14064-1:2018
clause 5.1), chosen per inventory:

* ``operational_control`` — an entity is included at 100 % when the group controls it: a chain of links from the
  group to it on which every link carries operational control; otherwise 0 %;
* ``equity_share`` — an entity is included at its effective ownership: the product of the shares along a chain
  from the group, summed over all chains (the group owns 60 % of A, A owns 50 % of C, and the group owns 10 % of C
  directly: 0.6 × 0.5 + 0.1 = 40 %).

The group itself is always included at 100 %.

**Months.** The ownership in force on the first day of a month governs that whole month (platform convention): a
change dated 1 July applies from July; one dated 15 June applies from July (June still has the old structure). The
entity's share of a month is applied to that month's totals, so a change mid-year is prorated by month.

Refused, with the link or entity named: a share outside 0–100, an end before the start, two links of the same
pair that overlap in time, shares of one child that add up to more than 100 % on a day, a cycle of ownership in
force on a day, and an included entity without totals for a month in which it is included. Decimal throughout.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

APPROACHES = ("operational_control", "equity_share")
HUNDRED = Decimal(100)
ONE = Decimal(1)

MESSAGES: dict[str, dict[str, str]] = {
    "share_range": {
        "zh": "持股关系 {where}：持股比例应在 0–100 之间，实际为 {value}",
        "en": "ownership link {where}: the share must lie in 0–100, found {value}",
    },
    "dates": {
        "zh": "持股关系 {where}：失效日期 {value} 早于或等于生效日期",
        "en": "ownership link {where}: the end {value} is not after the start",
    },
    "self_link": {
        "zh": "持股关系 {where}：机构不能持有自身",
        "en": "ownership link {where}: an entity cannot own itself",
    },
    "overlap": {
        "zh": "持股关系 {where} 与 {value} 的有效期重叠",
        "en": "ownership link {where} overlaps {value} in time",
    },
    "over_100": {
        "zh": "{value} 起，{where} 的各股东持股合计 {hint}%，超过 100%",
        "en": "from {value}, the owners of {where} hold {hint} % together, more than 100 %",
    },
    "cycle": {
        "zh": "{value} 起存在循环持股：{where}",
        "en": "from {value}, ownership runs in a cycle: {where}",
    },
    "missing_month": {
        "zh": "{where} 纳入边界的月份缺少排放数据：{value}",
        "en": "{where} is inside the boundary but has no totals for: {value}",
    },
    "approach": {
        "zh": "合并方法应为 operational_control（运营控制权）或 equity_share（股权比例），实际为 “{value}”",
        "en": "the approach must be operational_control or equity_share, found “{value}”",
    },
}


@dataclass(frozen=True)
class Link:
    """One effective-dated ownership link: ``parent`` holds ``share`` % of ``child`` from ``valid_from``
    (inclusive) to ``valid_to`` (exclusive; None = open); ``control``: the parent has operational control."""

    parent: str
    child: str
    share: Decimal
    control: bool
    valid_from: datetime.date
    valid_to: datetime.date | None = None
    ref: str = ""  # how the caller names the link (a registry id, a row of a file)

    def in_force_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)

    def label(self) -> str:
        to = self.valid_to.isoformat() if self.valid_to else "…"
        ref = f"#{self.ref} " if self.ref else ""
        return f"{ref}{self.parent}→{self.child} {self.share.normalize():f}% [{self.valid_from.isoformat()}, {to})"


@dataclass(frozen=True)
class Problem:
    rule: str
    where: str = ""
    value: str = ""
    hint: str = ""

    def message(self, lang: str = "zh") -> str:
        return MESSAGES[self.rule]["en" if lang.startswith("en") else "zh"].format(
            where=self.where, value=self.value, hint=self.hint
        )


class ConsolidationError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(self.render("en"))

    def render(self, lang: str = "zh") -> str:
        return "\n".join(p.message(lang) for p in self.problems)


@dataclass(frozen=True)
class MonthTotals:
    scope1: Decimal
    scope2: Decimal


@dataclass(frozen=True)
class Chain:
    """One chain of links from the group to an entity and the share it carries."""

    links: tuple[Link, ...]

    @property
    def share(self) -> Decimal:
        out = ONE
        for link in self.links:
            out *= link.share / HUNDRED
        return out

    @property
    def controlled(self) -> bool:
        return all(link.control for link in self.links)

    def describe(self) -> str:
        if not self.links:
            return "group"
        parts = " × ".join(
            f"{link.parent}→{link.child} {link.share.normalize():f}%{' (control)' if link.control else ''}"
            for link in self.links
        )
        return f"{parts} = {_pct(self.share)}%"


@dataclass
class EntityMonth:
    month: int
    share: Decimal  # the fraction of the entity's month included (0–1)
    paths: tuple[Chain, ...]
    scope1: Decimal
    scope2: Decimal

    @property
    def contribution1(self) -> Decimal:
        return self.scope1 * self.share

    @property
    def contribution2(self) -> Decimal:
        return self.scope2 * self.share


@dataclass
class EntityResult:
    entity: str
    months: list[EntityMonth] = field(default_factory=list)

    @property
    def included(self) -> bool:
        return any(m.share for m in self.months)

    @property
    def scope1(self) -> Decimal:
        return sum((m.contribution1 for m in self.months), Decimal(0))

    @property
    def scope2(self) -> Decimal:
        return sum((m.contribution2 for m in self.months), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.scope1 + self.scope2

    @property
    def own_total(self) -> Decimal:
        return sum((m.scope1 + m.scope2 for m in self.months), Decimal(0))

    def shares(self) -> list[Decimal]:
        return [m.share for m in self.months]

    @property
    def share(self) -> Decimal | None:
        """The included share when it is the same every month; None when it changed within the year."""
        values = {m.share for m in self.months}
        return values.pop() if len(values) == 1 else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "share": None if self.share is None else _pct(self.share),
            "months": [
                {
                    "month": m.month,
                    "share": _pct(m.share),
                    "scope1": str(m.scope1),
                    "scope2": str(m.scope2),
                    "lineage": [p.describe() for p in m.paths],
                }
                for m in self.months
            ],
            "scope1": str(self.scope1),
            "scope2": str(self.scope2),
            "total": str(self.total),
        }


@dataclass
class Inventory:
    group: str
    year: int
    approach: str
    entities: list[EntityResult]

    @property
    def boundary(self) -> list[str]:
        """The entities inside the boundary for at least one month, group first."""
        return [e.entity for e in self.entities if e.included]

    @property
    def scope1(self) -> Decimal:
        return sum((e.scope1 for e in self.entities), Decimal(0))

    @property
    def scope2(self) -> Decimal:
        return sum((e.scope2 for e in self.entities), Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.scope1 + self.scope2

    def entity(self, name: str) -> EntityResult:
        return next(e for e in self.entities if e.entity == name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "year": self.year,
            "approach": self.approach,
            "boundary": self.boundary,
            "scope1": str(self.scope1),
            "scope2": str(self.scope2),
            "total": str(self.total),
            "entities": [e.as_dict() for e in self.entities if e.included],
        }


def _pct(fraction: Decimal) -> str:
    return f"{(fraction * HUNDRED).normalize():f}"


def check_links(links: Sequence[Link], days: Iterable[datetime.date] = ()) -> None:
    """Refuse a share outside 0–100, an end not after the start, a self link, overlapping links of one pair; and,
    on each of ``days``, a child held more than 100 % or a cycle."""
    problems: list[Problem] = []
    for link in links:
        if not (0 <= link.share <= HUNDRED):
            problems.append(Problem("share_range", link.label(), f"{link.share.normalize():f}"))
        if link.valid_to is not None and link.valid_to <= link.valid_from:
            problems.append(Problem("dates", link.label(), link.valid_to.isoformat()))
        if link.parent == link.child:
            problems.append(Problem("self_link", link.label()))
    for k, a in enumerate(links):
        for b in links[k + 1 :]:
            if (a.parent, a.child) != (b.parent, b.child):
                continue
            a_end = a.valid_to or datetime.date.max
            b_end = b.valid_to or datetime.date.max
            if a.valid_from < b_end and b.valid_from < a_end:
                problems.append(Problem("overlap", b.label(), a.label()))
    if problems:
        raise ConsolidationError(problems)
    for day in days:
        live = [link for link in links if link.in_force_on(day)]
        held: dict[str, Decimal] = {}
        for link in live:
            held[link.child] = held.get(link.child, Decimal(0)) + link.share
        problems += [
            Problem("over_100", child, day.isoformat(), f"{total.normalize():f}")
            for child, total in held.items()
            if total > HUNDRED
        ]
        cycle = _cycle(live)
        if cycle:
            problems.append(Problem("cycle", " → ".join(cycle), day.isoformat()))
        if problems:
            raise ConsolidationError(problems)


def _cycle(links: Sequence[Link]) -> list[str] | None:
    children: dict[str, list[str]] = {}
    for link in links:
        children.setdefault(link.parent, []).append(link.child)
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(children.get(node, [])):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(children):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def paths_on(group: str, links: Sequence[Link], day: datetime.date) -> dict[str, list[Chain]]:
    """Every chain of links in force on ``day`` from ``group`` to each entity it reaches (no cycles: checked)."""
    live = [link for link in links if link.in_force_on(day)]
    by_parent: dict[str, list[Link]] = {}
    for link in live:
        by_parent.setdefault(link.parent, []).append(link)
    out: dict[str, list[Chain]] = {group: [Chain(())]}

    def walk(node: str, chain: tuple[Link, ...]) -> None:
        for link in sorted(by_parent.get(node, []), key=lambda x: x.child):
            path = (*chain, link)
            out.setdefault(link.child, []).append(Chain(path))
            walk(link.child, path)

    walk(group, ())
    return out


def included_share(paths: Sequence[Chain], approach: str) -> tuple[Decimal, tuple[Chain, ...]]:
    """The fraction of an entity included, and the chains that carry it."""
    if approach == "operational_control":
        controlled = tuple(p for p in paths if p.controlled)
        return (ONE if controlled else Decimal(0)), controlled[:1]
    carrying = tuple(p for p in paths if p.share)
    return sum((p.share for p in carrying), Decimal(0)), carrying


def consolidate(
    group: str,
    year: int,
    approach: str,
    links: Sequence[Link],
    totals: Mapping[str, Mapping[int, MonthTotals]],
) -> Inventory:
    """The group's inventory for ``year``: per entity and month the included share, the chains that carry it and
    the contribution to scope 1 and scope 2 (``totals``: entity → month 1–12 → the entity's own totals, tCO2e)."""
    if approach not in APPROACHES:
        raise ConsolidationError([Problem("approach", value=approach)])
    firsts = [datetime.date(year, m, 1) for m in range(1, 13)]
    check_links(links, firsts)
    entities: dict[str, EntityResult] = {}
    missing: dict[str, list[str]] = {}
    for month, day in enumerate(firsts, start=1):
        reach = paths_on(group, links, day)
        for name in [group, *sorted(set(reach) - {group})]:
            share, carrying = included_share(reach.get(name, []), approach)
            ent = entities.setdefault(name, EntityResult(name))
            own = totals.get(name, {}).get(month)
            if own is None:
                if share:
                    missing.setdefault(name, []).append(f"{year}-{month:02d}")
                own = MonthTotals(Decimal(0), Decimal(0))
            ent.months.append(EntityMonth(month, share, carrying, own.scope1, own.scope2))
    if missing:
        raise ConsolidationError([Problem("missing_month", name, ", ".join(m)) for name, m in missing.items()])
    # an entity reached in some months only: the other months are outside the boundary (share 0)
    for ent in entities.values():
        seen = {m.month for m in ent.months}
        for month in range(1, 13):
            if month not in seen:
                own = totals.get(ent.entity, {}).get(month) or MonthTotals(Decimal(0), Decimal(0))
                ent.months.append(EntityMonth(month, Decimal(0), (), own.scope1, own.scope2))
        ent.months.sort(key=lambda m: m.month)
    ordered = [entities[group], *(entities[n] for n in sorted(entities) if n != group)]
    return Inventory(group, year, approach, ordered)


def monthly(
    rows: Iterable[tuple[str, int, Decimal | str | int, Decimal | str | int]],
) -> dict[str, dict[int, MonthTotals]]:
    """Totals from rows (entity, month, scope 1, scope 2)."""
    out: dict[str, dict[int, MonthTotals]] = {}
    for entity, month, s1, s2 in rows:
        out.setdefault(entity, {})[int(month)] = MonthTotals(Decimal(str(s1)), Decimal(str(s2)))
    return out

"""The identity every total states, with its terms (docs/methods.md § 1, *The identity on every total*).

The engine (:func:`dualcarbon.engine.accounting.totals`) sums every line's signed ``tco2e`` into the total and the
same lines by scope: scope 1 (fuel combustion, process, CO2 recovery with sign −1, the CH4/N2O of biomass), scope 2
(purchased electricity and heat, location-based) and the exported electricity and heat (sign −1, stored ≤ 0).
Biomass CO2 lines carry ``tco2e = 0`` (the memo item ``biomass_co2_t``). Hence, for an entry and for any sum of
entries::

    total = scope 1 + scope 2 − |exported|                  (CO2 recovery is inside scope 1, already deducted)
    total (market-based) = scope 1 + scope 2 (market-based) − |exported|

:func:`of_entry` and :func:`of_totals` return these terms with the values the pages print (tCO2e to 2 decimals,
the ``t2`` filter's rounding). Printed terms rounded one by one need not add up to the printed total (three
roundings of up to 0.005 each); the cents missing or left over are given to the terms whose rounding was closest
to going the other way (largest remainder), so that the printed terms always add up to the printed total and
each printed term is at most one cent away from its own rounding. The market-based line reuses scope 1 and the deduction
as printed there; its scope 2 (market-based) is what its printed total leaves. The exact values are kept beside
(``Term.value``).

Pure Python on the stored figures: no query. The reporting API reads it through
:meth:`dualcarbon.accounting.models.AccountEntry.identity` (reporting imports nothing of accounting).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")

#: the terms' labels (the same words as the cards that show them)
TERM_LABELS: dict[str, Any] = {
    "scope1": _("范围一"),
    "scope2": _("范围二"),
    "scope2_market": _("范围二（市场法）"),
    "exported": _("输出电力/热力"),
}


def printed(value: float | Decimal | None) -> Decimal | None:
    """``value`` as the pages print tCO2e: rounded to 2 decimals like ``f"{value:,.2f}"`` (the ``t2`` filter);
    never ``-0.00``."""
    if value is None:
        return None
    d = Decimal(f"{float(value):.2f}")
    return d if d else Decimal("0.00")


@dataclass(frozen=True)
class Term:
    key: str
    #: the exact signed contribution to the total (exported ≤ 0)
    value: float
    #: the printed value (signed), adjusted so that the printed terms add up to the printed total
    shown: Decimal

    @property
    def label(self) -> str:
        return str(TERM_LABELS.get(self.key, self.key))

    @property
    def negative(self) -> bool:
        return self.shown < 0

    @property
    def magnitude(self) -> Decimal:
        return abs(self.shown)


@dataclass(frozen=True)
class Identity:
    """``total = Σ terms`` with exact and printed values, and the notes the total card gives."""

    total: float
    #: the printed total (2 decimals)
    total_shown: Decimal
    terms: tuple[Term, ...]
    #: CO2 recovery inside scope 1 (≤ 0; None when not known for this figure, 0.0 when there is none)
    recovery: float | None = None
    #: biomass CO2 (memo item, not in the total; None when not known for this figure)
    biomass_co2_t: float | None = None
    #: the market-based total and its terms (None when a month was computed before the market-based view)
    market: Identity | None = None
    by_key: dict[str, Term] = field(default_factory=dict, compare=False)

    @property
    def holds(self) -> bool:
        """Whether the printed terms add up to the printed total (always, unless the stored figures disagree by
        more than the terms' rounding)."""
        return sum((t.shown for t in self.terms), Decimal("0.00")) == self.total_shown

    @property
    def recovery_magnitude(self) -> float:
        """The CO2 recovered (deducted inside scope 1), as a positive number."""
        return abs(self.recovery or 0.0)

    @property
    def shown_terms(self) -> tuple[Term, ...]:
        """The terms a page writes out: scope 1 and scope 2 always, the deduction when it prints as more than 0.00."""
        return tuple(t for t in self.terms if t.key != "exported" or t.shown != 0)

    def as_dict(self) -> dict[str, Any]:
        """The API's shape: the exact terms (signed tCO2e, full precision) of ``total = Σ terms``."""
        return {"total_tco2e": self.total, "terms": [{"key": t.key, "tco2e": t.value} for t in self.terms]}


def _apportion(total_shown: Decimal, values: list[float]) -> list[Decimal]:
    """Each value printed to the cent, then the cents by which their sum misses ``total_shown`` given one each to
    the values rounded furthest the other way (largest remainder). More cents missing than values (the stored
    figures disagree): left as rounded, and :attr:`Identity.holds` is false."""
    shown = [printed(v) or Decimal("0.00") for v in values]
    missing = int((total_shown - sum(shown, Decimal("0.00"))) / CENT)
    if missing and abs(missing) <= len(values):
        step = CENT if missing > 0 else -CENT
        # remainder: how far rounding moved each value against the direction we need to move it back
        way = 1 if missing > 0 else -1
        remainder = [(Decimal(repr(float(v))) - s) * way for v, s in zip(values, shown, strict=True)]
        for i in sorted(range(len(values)), key=lambda i: (-remainder[i], i))[: abs(missing)]:
            shown[i] += step
            if not shown[i]:
                shown[i] = Decimal("0.00")
    return shown


def identity(
    total: float,
    scope1: float,
    scope2: float,
    exported: float,
    *,
    recovery: float | None = None,
    biomass_co2_t: float | None = None,
    scope2_market: float | None = None,
    total_market: float | None = None,
) -> Identity:
    """The identity of one figure from its stored parts (``exported`` as stored: ≤ 0)."""
    total, scope1, scope2, exported = (float(x or 0.0) for x in (total, scope1, scope2, exported))
    keys = ("scope1", "scope2", "exported")
    values = [scope1, scope2, exported]
    total_shown = printed(total) or Decimal("0.00")
    terms = tuple(Term(k, v, s) for k, v, s in zip(keys, values, _apportion(total_shown, values), strict=True))
    market = None
    if scope2_market is not None and total_market is not None:
        # scope 1 and the deduction as printed above; the market-based scope 2 takes what the printed market-based
        # total leaves (its own rounding, give or take the cents the other terms were moved)
        total_market, scope2_market = float(total_market), float(scope2_market)
        market_shown = printed(total_market) or Decimal("0.00")
        s1, ex = terms[0], terms[2]
        s2m = Term("scope2_market", scope2_market, (market_shown - s1.shown - ex.shown) or Decimal("0.00"))
        market_terms = (s1, s2m, ex)
        market = Identity(total_market, market_shown, market_terms, by_key={t.key: t for t in market_terms})
    return Identity(
        total,
        total_shown,
        terms,
        recovery=recovery,
        biomass_co2_t=biomass_co2_t,
        market=market,
        by_key={t.key: t for t in terms},
    )


def of_entry(entry: Any) -> Identity:
    """The identity of one monthly account (an ``AccountEntry``)."""
    by_source = getattr(entry, "by_source", None) or {}
    return identity(
        entry.total_tco2e,
        entry.scope1_tco2e,
        entry.scope2_tco2e,
        entry.exported_tco2e,
        recovery=float(by_source.get("co2_recovery") or 0.0),
        biomass_co2_t=entry.biomass_co2_t,
        scope2_market=entry.scope2_market_tco2e,
        total_market=entry.total_market_tco2e,
    )


def of_totals(totals: Mapping[str, Any], recovery: float | None = None) -> Identity | None:
    """The identity of summed accounts: a mapping of ``total``, ``scope1``, ``scope2``, ``exported`` and optionally
    ``biomass``, ``scope2_market``, ``total_market`` (the sums of ``accounting.queries``); None when nothing was
    summed (no account)."""
    if totals.get("total") is None:
        return None
    return identity(
        totals["total"],
        totals.get("scope1") or 0.0,
        totals.get("scope2") or 0.0,
        totals.get("exported") or 0.0,
        recovery=recovery,
        biomass_co2_t=totals.get("biomass"),
        scope2_market=totals.get("scope2_market"),
        total_market=totals.get("total_market"),
    )

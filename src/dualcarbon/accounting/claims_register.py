"""The cross-scheme register of reductions (一个减排量只能主张一次, docs/assets.md § One claim per reduction): the one
writer of :class:`~dualcarbon.accounting.models.ReductionClaim`, for every app that lets a reduction be claimed —
the assets app (CCER surrendered as an ETS offset; CCER and green certificates retired for the neutrality rate or
a certificate), accounting itself (the offsets a submitted month declares for the neutrality rate) and finance
(a loan's KPI, ``purpose="loan_kpi"``). It lives here, in the calculation layer next to the neutrality claim lines,
so that sibling apps of the use layer share it without importing each other.

* :func:`claim` records a claim or refuses it with :class:`AlreadyClaimed` — a Django ``ValidationError`` located
  on the field the caller names, in the request's language, that says where the reduction was claimed first
  (purpose, enterprise, date, reference). The same claimant claiming the same reduction for the same purpose again
  (a corrected month, a retried request) gets its first claim back: that is one claim, not two.
* :func:`lookup` and :func:`claims_of` read the register (the callers scope by claimant).
* :func:`reference_key` turns a declared reference into the register's key or serial range: ``序列号 N-M`` /
  ``serial N-M`` / ``SN N-M`` names the ledger's serials; anything else is keyed by its normalised text.

Concurrency: the check and the insert run in one transaction; two sessions claiming the same serials at once get
one claim — SQLite serialises writers (``BEGIN IMMEDIATE``), PostgreSQL's unique constraint
(``accounting_claim_serial_once``, ``accounting_claim_key_once``) and exclusion constraint
(``accounting_claim_no_overlap``) refuse the second insert, which is answered as :class:`AlreadyClaimed`.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from dualcarbon.registry.models import Organisation

from .models import ReductionClaim

Purpose = ReductionClaim.Purpose
Unit = ReductionClaim.Unit

_SERIALS = re.compile(r"(?:序列号|serial|SN)\s*[:：#]?\s*(\d+)\s*(?:(?:-|~|～|至|to)\s*(\d+))?", re.IGNORECASE)


class AlreadyClaimed(ValidationError):
    """The reduction (or part of it) is claimed already; ``first`` is the earliest conflicting claim."""

    def __init__(self, first: ReductionClaim, field_name: str = "serials"):
        self.first = first
        super().__init__({field_name: ValidationError(_message(), params=_params(first))})


def _message() -> Any:
    return _(
        "该减排量已于 %(date)s 由%(enterprise)s用于%(purpose)s（%(reference)s），同一减排量只能主张一次（%(what)s）"
    )


def _what(c: ReductionClaim) -> str:
    unit = Unit(c.unit).label if c.unit in Unit.values else c.unit
    if c.serial_first is not None:
        return f"{unit} {c.serial_first}–{c.serial_last}"
    return f"{unit} {c.key}"


def _params(c: ReductionClaim) -> dict[str, Any]:
    return {
        "date": timezone.localtime(c.claimed_at).date().isoformat(),
        "enterprise": c.claimant.name,
        "purpose": Purpose(c.purpose).label if c.purpose in Purpose.values else c.purpose,
        "reference": c.reference,
        "what": _what(c),
    }


def describe(c: ReductionClaim, lang: str | None = None) -> str:
    """Where and when ``c`` was claimed, in ``lang`` (default: the active language)."""
    with translation.override(lang or translation.get_language()):
        p = _params(c)
        return str(_("%(date)s 由%(enterprise)s用于%(purpose)s（%(reference)s）") % p)


def normalise(text: object) -> str:
    """A reference as the register compares it: no spaces, upper case, full-width dashes folded."""
    return "".join(str(text or "").split()).upper().replace("－", "-").replace("—", "-")[:160]


def reference_key(reference: object) -> tuple[tuple[int, int] | None, str]:
    """A declared reference → ``((first, last), "")`` when it names serials (``序列号 N-M``, ``serial N``), else
    ``(None, normalised text)``."""
    m = _SERIALS.search(str(reference or ""))
    if m:
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) else first
        if last >= first:
            return (first, last), ""
    return None, normalise(reference)


def _conflicts(unit: str, serials: tuple[int, int] | None, key: str) -> QuerySet[ReductionClaim]:
    qs = ReductionClaim.objects.filter(unit=unit).select_related("claimant")
    if serials is not None:
        first, last = serials
        return qs.filter(serial_first__lte=last, serial_last__gte=first).order_by("claimed_at", "pk")
    return qs.filter(serial_first__isnull=True, key=key).order_by("claimed_at", "pk")


def _same_claim(c: ReductionClaim, claimant: Organisation, purpose: str, serials: tuple[int, int] | None) -> bool:
    if c.claimant_id != claimant.pk or c.purpose != purpose:
        return False
    if serials is None:
        return True
    assert c.serial_first is not None and c.serial_last is not None
    return c.serial_first <= serials[0] and serials[1] <= c.serial_last


def check(
    unit: str,
    *,
    purpose: str,
    claimant: Organisation,
    serials: tuple[int, int] | None = None,
    key: str = "",
    field_name: str = "serials",
) -> ReductionClaim | None:
    """Without writing: raise :class:`AlreadyClaimed` when the reduction is claimed by another claim; return the
    same claim when this claimant made it for this purpose already; None when it is free."""
    key = normalise(key) if serials is None else ""
    for c in _conflicts(unit, serials, key):
        if _same_claim(c, claimant, purpose, serials):
            return c
        raise AlreadyClaimed(c, field_name)
    return None


def claim(
    unit: str,
    *,
    purpose: str,
    claimant: Organisation,
    reference: str,
    quantity: Decimal | int,
    serials: tuple[int, int] | None = None,
    key: str = "",
    vintage: int | None = None,
    source: str = "",
    at: datetime.datetime | None = None,
    field_name: str = "serials",
) -> ReductionClaim:
    """Record one claim (or return the claimant's own identical claim); :class:`AlreadyClaimed` when the reduction,
    or any serial of the range, is claimed already for something else."""
    if unit not in Unit.values:
        raise ValueError(f"unknown unit {unit!r}")
    if purpose not in Purpose.values:
        raise ValueError(f"unknown purpose {purpose!r}")
    if serials is None and not normalise(key):
        raise ValueError("a claim names serials or a key")
    if serials is not None and serials[0] > serials[1]:
        raise ValueError("serial range reversed")
    with transaction.atomic():
        same = check(unit, purpose=purpose, claimant=claimant, serials=serials, key=key, field_name=field_name)
        if same is not None:
            return same
        row = ReductionClaim(
            unit=unit,
            serial_first=serials[0] if serials else None,
            serial_last=serials[1] if serials else None,
            key="" if serials else normalise(key),
            vintage=vintage,
            quantity=Decimal(quantity),
            purpose=purpose,
            claimant=claimant,
            reference=str(reference)[:200],
            source=source[:32],
            claimed_at=at or timezone.now(),
        )
        try:
            with transaction.atomic():  # a savepoint: the constraint's refusal leaves the outer transaction usable
                row.save()
        except IntegrityError:
            # another session claimed it between our check and our insert (PostgreSQL's constraints decided)
            first = _conflicts(unit, serials, row.key).first()
            if first is None:
                raise
            if _same_claim(first, claimant, purpose, serials):
                return first
            raise AlreadyClaimed(first, field_name) from None
        return row


def lookup(unit: str, *, serial: int | None = None, key: str = "") -> list[ReductionClaim]:
    """The claims covering one serial, or the claim of a key (normalised), oldest first."""
    qs = ReductionClaim.objects.filter(unit=unit).select_related("claimant")
    if serial is not None:
        qs = qs.filter(serial_first__lte=serial, serial_last__gte=serial)
    else:
        qs = qs.filter(serial_first__isnull=True, key=normalise(key))
    return list(qs.order_by("claimed_at", "pk"))


def claims_of(claimants: Any, purpose: str = "", limit: int = 500) -> list[ReductionClaim]:
    """The claims of some claimants (a queryset or ids of organisations the caller may see), newest first."""
    qs = ReductionClaim.objects.filter(claimant__in=claimants).select_related("claimant")
    if purpose:
        qs = qs.filter(purpose=purpose)
    return list(qs.order_by("-claimed_at", "-pk")[:limit])


def serials_claimed(unit: str, ranges: list[tuple[int, int]]) -> dict[tuple[int, int], list[ReductionClaim]]:
    """For each serial range, the claims overlapping it (to show retired serials with what they were claimed for)."""
    if not ranges:
        return {}
    q = Q(pk__in=[])
    for first, last in ranges:
        q |= Q(serial_first__lte=last, serial_last__gte=first)
    rows = list(ReductionClaim.objects.filter(q, unit=unit).select_related("claimant").order_by("serial_first"))
    return {
        r: [c for c in rows if c.serial_first is not None and c.serial_first <= r[1] and c.serial_last >= r[0]]  # type: ignore[operator]
        for r in ranges
    }


# --------------------------------------------------------------------------- the neutrality claims of a reported month

#: the offset kinds of a monthly report that are reductions claimed for the neutrality rate when retired
DECLARED_UNITS = (Unit.CCER, Unit.GEC, Unit.GREEN_TRADE, Unit.FORESTRY)


def _declared(offsets: list[dict[str, Any]]) -> list[tuple[dict[str, Any], tuple[int, int] | None, str]]:
    out = []
    for rec in offsets:
        if rec.get("kind") not in DECLARED_UNITS or (rec.get("status") or "retired") != "retired":
            continue
        serials, key = reference_key(rec.get("reference"))
        if serials is None and not key:
            continue  # a missing reference is reporting's own located error
        out.append((rec, serials, key))
    return out


def declared_elsewhere(ctx: Any) -> Any:
    """A reporting validator (registered in ``AccountingConfig.ready``): each retired offset a month declares for the
    neutrality rate that the register holds for another claim (an ETS surrender, a certificate, a loan KPI, or another
    enterprise) is an error located on its reference, saying where it was claimed first."""
    from dualcarbon.reporting.validators import ERROR, OFFSET_SHEET, Finding

    if ctx.enterprise_id is None:
        return
    claimant = Organisation.objects.filter(pk=ctx.enterprise_id).first()
    if claimant is None:
        return
    for rec, serials, key in _declared(ctx.offsets):
        try:
            check(rec["kind"], purpose=Purpose.NEUTRALITY, claimant=claimant, serials=serials, key=key)
        except AlreadyClaimed as exc:
            sheet = rec.get("source_sheet") or OFFSET_SHEET
            row = rec.get("source_row") or rec.get("line_no")
            with translation.override("zh-hans"):
                zh = str(_message() % _params(exc.first))
            with translation.override("en"):
                en = str(_message() % _params(exc.first))
            yield Finding(
                "offset.claimed_in_register",
                ERROR,
                f"{sheet} 第 {row} 行：{zh}",
                f"{sheet} row {row}: {en}",
                sheet=sheet,
                row=row,
                column="reference",
            )


def register_submission(submission: Any) -> list[ReductionClaim]:
    """Record the neutrality claims of a submitted month (its retired offsets), in the submit's transaction."""
    period = submission.period
    reference = f"{period.year}-{period.month:02d} 月报 v{submission.version}"
    rows = [dict(o) for o in submission.offsets.values()]
    out = []
    for rec, serials, key in _declared(rows):
        out.append(
            claim(
                rec["kind"],
                purpose=Purpose.NEUTRALITY,
                claimant=submission.enterprise,
                reference=reference,
                quantity=rec["quantity"],
                serials=serials,
                key=key,
                vintage=period.year,
                source="reporting",
                field_name="reference",
            )
        )
    return out

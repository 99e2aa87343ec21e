"""The compliance link (docs/assets.md § Compliance): an enterprise's reported pollutant discharge against the
discharge rights it holds, and the ETS obligations past their deadline; what is wrong raises one of monitoring's
alerts through ``registry.signals.request_alert`` (assets imports nothing of monitoring).

* **Discharge** (:func:`comparison`, :func:`check_discharge`): the year-to-date discharge of each factor, summed from
  the current submitted (or verified, locked) monthly versions (``reporting.services.discharge_to_date``), against
  the rights **held for the year**: the balance of the factor's discharge right of the vintages ``year − 4 … year``
  (a confirmation is valid until its re-verification, five years: :data:`VALID_YEARS`) in the enterprise's
  ``available``, ``pledged`` and ``reserved`` accounts (pledged or listed units are still its own; leased-out and
  retired ones are not: :data:`HELD_STATES`). Discharge above the rights raises ``pollutant_excess`` — once per
  enterprise, factor and year (the alert's subject ``discharge:<enterprise>:<factor>:<year>``) — with the figures in
  its evidence: held, discharged, excess (tonnes, decimal strings) and the months counted.
* **ETS** (:func:`check_obligations`): after an obligation's deadline, a shortfall raises ``ets_shortfall`` (due,
  allowances and CCER surrendered, shortfall); an obligation whose surrender was completed after the deadline raises
  ``ets_late``. Subjects ``obligation:<id>`` (one alert of each kind per obligation).

Triggers: ``reporting.hooks.submission_submitted`` (connected in ``AssetsConfig.ready``: the submitting enterprise's
year is checked in the submit's transaction), :func:`dualcarbon.assets.ets.surrender` (the obligation is checked at
once), and ``dualcarbon check_compliance [--region CODE] [--year YYYY]`` for all of them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Max, Q, Sum
from django.utils import timezone

from dualcarbon.registry.models import Membership, Organisation
from dualcarbon.registry.signals import request_alert
from dualcarbon.reporting import services as reporting

from .models import Asset, Factor, Holding, Lease, Obligation

#: the accounts whose rights count as held: pledged and listed (reserved) units are still the enterprise's own
HELD_STATES = (Holding.State.AVAILABLE, Holding.State.PLEDGED, Holding.State.RESERVED)
#: a confirmed right is valid for five years (re-verified within five years, docs/assets.md § Discharge rights)
VALID_YEARS = 5
KG = Decimal(1000)
TONNE = Decimal("0.001")


@dataclass(frozen=True)
class FactorLine:
    """One factor of an enterprise's year: rights held and discharge reported, tonnes."""

    factor: Factor
    held_kg: int
    discharged: Decimal

    @property
    def held(self) -> Decimal:
        return (Decimal(self.held_kg) / KG).quantize(TONNE)

    @property
    def headroom(self) -> Decimal:
        """Held − discharged (negative: the excess)."""
        return self.held - self.discharged

    @property
    def excess(self) -> Decimal:
        return max(Decimal(0), self.discharged - self.held)

    @property
    def share(self) -> int | None:
        """Discharged as a percentage of held (None without rights)."""
        return int(self.discharged * 100 / self.held) if self.held else None


@dataclass
class EnterpriseCompliance:
    enterprise: Organisation
    year: int
    months: list[str]
    lines: list[FactorLine] = field(default_factory=list)

    @property
    def excess(self) -> list[FactorLine]:
        return [ln for ln in self.lines if ln.excess > 0]


def _factors(region_code: str) -> list[Factor]:
    from . import services

    return services.factors_for(region_code)


def held_rights(enterprise_ids: Sequence[int], year: int) -> dict[tuple[int, str], int]:
    """Kilograms of each factor's rights held for ``year`` by each enterprise: ``{(enterprise, factor code): kg}``:
    its own (available, pledged, listed) and those it uses as the lessee of an active lease (docs/assets.md)."""
    rows = (
        Holding.objects.filter(
            holder_id__in=list(enterprise_ids),
            asset__kind=Asset.Kind.DISCHARGE_RIGHT,
            state__in=HELD_STATES,
            vintage__lte=year,
            vintage__gt=year - VALID_YEARS,
        )
        .values("holder_id", "asset__factor__code")
        .annotate(kg=Sum("balance"))
    )
    held = {(r["holder_id"], r["asset__factor__code"]): int(r["kg"] or 0) for r in rows}
    # a lessee uses the rights of its active leases whose term reaches into the year, as the lessor does not (its
    # units are in its leased_out account, which HELD_STATES leave out): the leases' current state, both sides
    leased = (
        Lease.objects.filter(
            lessee_id__in=list(enterprise_ids),
            status=Lease.Status.ACTIVE,
            asset__kind=Asset.Kind.DISCHARGE_RIGHT,
            vintage__lte=year,
            vintage__gt=year - VALID_YEARS,
            starts_on__lte=datetime.date(year, 12, 31),
            ends_on__gte=datetime.date(year, 1, 1),
        )
        .values("lessee_id", "asset__factor__code")
        .annotate(kg=Sum("quantity"))
    )
    for r in leased:
        key = (r["lessee_id"], r["asset__factor__code"])
        held[key] = held.get(key, 0) + int(r["kg"] or 0)
    return held


def comparison(enterprises: Iterable[Organisation], year: int, through_month: int = 12) -> list[EnterpriseCompliance]:
    """Held vs discharged vs headroom per factor for each enterprise (every factor of its region with rights held or
    discharge reported), in a fixed number of queries."""
    orgs = list(enterprises)
    ids = [o.pk for o in orgs]
    held = held_rights(ids, year)
    reported = reporting.discharge_to_date(ids, year, through_month)
    factor_cache: dict[str, list[Factor]] = {}
    out = []
    for org in orgs:
        code = org.region_id or ""
        if code not in factor_cache:
            factor_cache[code] = _factors(code)
        got = reported.get(org.pk, {"factors": {}, "months": []})
        lines = [
            FactorLine(f, held.get((org.pk, f.code), 0), got["factors"].get(f.code, Decimal(0)))
            for f in factor_cache[code]
            if (org.pk, f.code) in held or f.code in got["factors"]
        ]
        out.append(EnterpriseCompliance(org, year, list(got["months"]), lines))
    return out


def _staff(enterprise_id: int) -> list[Any]:
    return [
        m.user
        for m in Membership.objects.filter(
            organisation_id=enterprise_id, role=Membership.Role.ENTERPRISE_STAFF, is_active=True
        ).select_related("user")
    ]


def _t(value: Decimal) -> str:
    return format(value.quantize(TONNE), "f")


def check_discharge(enterprises: Iterable[Organisation], year: int) -> list[tuple[Any, bool]]:
    """Raise ``pollutant_excess`` for each factor whose year-to-date discharge exceeds the rights held (idempotent per
    enterprise, factor and year); returns the ``(alert, created)`` pairs of the excesses found."""
    raised = []
    for c in comparison(enterprises, year):
        for ln in c.excess:
            org, f = c.enterprise, ln.factor
            span = f"{c.months[0]}…{c.months[-1]}" if c.months else str(year)
            response = request_alert(
                "assets",
                kind="pollutant_excess",
                subject=f"discharge:{org.pk}:{f.code}:{year}",
                region_code=org.region_id or "",
                period=str(year),
                message_zh=f"{org.name} {year} 年{f.name_zh}累计排放 {_t(ln.discharged)} 吨（{span}），"
                f"超出持有排污权 {_t(ln.held)} 吨，超出 {_t(ln.excess)} 吨",
                message_en=f"{org.name}: {f.name_en} discharged in {year} so far {_t(ln.discharged)} t ({span}), "
                f"above the {_t(ln.held)} t of rights held by {_t(ln.excess)} t",
                evidence={
                    "enterprise_id": org.pk,
                    "enterprise": org.name,
                    "factor": f.code,
                    "year": year,
                    "held_t": _t(ln.held),
                    "discharged_t": _t(ln.discharged),
                    "excess_t": _t(ln.excess),
                    "months": c.months,
                    "held_rule": f"discharge rights of vintages {year - VALID_YEARS + 1}–{year} in the "
                    "available, pledged and reserved accounts (assets.compliance.HELD_STATES)",
                    "discharged_from": "reporting: current submitted monthly versions (DischargeRecord)",
                },
                recipients=_staff(org.pk),
            )
            if response is not None:
                raised.append(response)
    return raised


def on_submitted(sender: Any, submissions: Sequence[Any] = (), **kwargs: Any) -> None:
    """``reporting.hooks.submission_submitted``: check the submitting enterprises' year (in the submit's
    transaction)."""
    by_year: dict[int, dict[int, Organisation]] = {}
    for sub in submissions:
        if sub.discharge.exists() or held_rights([sub.enterprise_id], sub.period.year):
            by_year.setdefault(sub.period.year, {})[sub.enterprise_id] = sub.enterprise
    for year, orgs in by_year.items():
        check_discharge(orgs.values(), year)


# --------------------------------------------------------------------------- ETS


def check_obligation(ob: Obligation, today: datetime.date | None = None) -> list[tuple[Any, bool]]:
    """``ets_shortfall`` for an obligation short after its deadline; ``ets_late`` for one completed after it."""
    from . import ets

    day = today or timezone.localdate()
    if day <= ob.deadline:
        return []
    st = ets.status(ob, today=day)
    org = ob.enterprise
    raised = []
    figures = {
        "enterprise_id": org.pk,
        "enterprise": org.name,
        "obligation_id": ob.pk,
        "year": ob.year,
        "deadline": ob.deadline.isoformat(),
        "due_t": ob.verified_tco2,
        "due_source": ob.source,
        "allowances_t": st.allowances,
        "ccer_t": st.ccer,
        "surrendered_t": st.surrendered,
        "shortfall_t": st.shortfall,
    }
    common = {"region_code": org.region_id or "", "period": str(ob.year), "recipients": _staff(org.pk)}
    if st.shortfall:
        response = request_alert(
            "assets",
            kind="ets_shortfall",
            subject=f"obligation:{ob.pk}",
            message_zh=f"{org.name} {ob.year} 年度配额清缴截止日 {ob.deadline} 已过，应清缴 {ob.verified_tco2} 吨，"
            f"已清缴配额 {st.allowances} 吨、CCER {st.ccer} 吨，缺口 {st.shortfall} 吨",
            message_en=f"{org.name}: the {ob.year} surrender deadline {ob.deadline} has passed; due "
            f"{ob.verified_tco2} t, surrendered {st.allowances} t of allowances and {st.ccer} t of CCER, "
            f"short by {st.shortfall} t",
            evidence=figures,
            **common,
        )
        if response is not None:
            raised.append(response)
        return raised
    last = ob.surrenders.aggregate(at=Max("at"))["at"]
    if last is not None and timezone.localtime(last).date() > ob.deadline:
        done = timezone.localtime(last).date()
        response = request_alert(
            "assets",
            kind="ets_late",
            subject=f"obligation:{ob.pk}",
            message_zh=f"{org.name} {ob.year} 年度配额清缴于 {done} 完成，晚于截止日 {ob.deadline}",
            message_en=f"{org.name}: the {ob.year} surrender was completed on {done}, after the deadline {ob.deadline}",
            evidence={**figures, "completed_on": done.isoformat(), "days_late": (done - ob.deadline).days},
            **common,
        )
        if response is not None:
            raised.append(response)
    return raised


def check_obligations(obligations: Iterable[Obligation], today: datetime.date | None = None) -> list[tuple[Any, bool]]:
    raised = []
    for ob in obligations:
        raised.extend(check_obligation(ob, today))
    return raised


# --------------------------------------------------------------------------- the command


@dataclass(frozen=True)
class RunSummary:
    enterprises: int
    excess_alerts: int
    excess_new: int
    obligations: int
    ets_alerts: int
    ets_new: int


def check_region(region_prefix: str = "", year: int | None = None, today: datetime.date | None = None) -> RunSummary:
    """``dualcarbon check_compliance``: every enterprise of the region (prefix; "" = all) with rights or discharge in
    ``year`` (default: the last year with reported discharge or, without any, the current year), and every
    obligation of the region past its deadline."""
    from dualcarbon.reporting.models import DischargeRecord

    region_q = Q(region__code__startswith=region_prefix) if region_prefix else Q()
    if year is None:
        latest = DischargeRecord.objects.aggregate(y=Max("submission__period__year"))["y"]
        year = int(latest or timezone.localdate().year)
    with_rights = Holding.objects.filter(
        asset__kind=Asset.Kind.DISCHARGE_RIGHT, vintage__lte=year, vintage__gt=year - VALID_YEARS, balance__gt=0
    ).values("holder_id")
    with_discharge = DischargeRecord.objects.filter(submission__period__year=year, submission__is_current=True).values(
        "submission__enterprise_id"
    )
    orgs = Organisation.objects.filter(region_q, kind=Organisation.Kind.ENTERPRISE).filter(
        Q(pk__in=with_rights) | Q(pk__in=with_discharge)
    )
    orgs_list = list(orgs.order_by("pk"))
    excess = check_discharge(orgs_list, year)
    day = today or timezone.localdate()
    obs = Obligation.objects.filter(deadline__lt=day).select_related("enterprise")
    if region_prefix:
        obs = obs.filter(enterprise__region__code__startswith=region_prefix)
    obs_list = list(obs.order_by("pk"))
    ets_raised = check_obligations(obs_list, day)
    return RunSummary(
        len(orgs_list),
        len(excess),
        sum(1 for _a, created in excess if created),
        len(obs_list),
        len(ets_raised),
        sum(1 for _a, created in ets_raised if created),
    )


def default_year(enterprise_ids: Sequence[int]) -> int:
    """The year a comparison shows by default: the last with reported discharge of these enterprises, else the last
    vintage of their discharge rights, else this year."""
    from dualcarbon.reporting.models import DischargeRecord

    ids = list(enterprise_ids)
    latest = DischargeRecord.objects.filter(submission__enterprise_id__in=ids, submission__is_current=True).aggregate(
        y=Max("submission__period__year")
    )["y"]
    if latest is None:
        latest = Holding.objects.filter(
            holder_id__in=ids, asset__kind=Asset.Kind.DISCHARGE_RIGHT, balance__gt=0
        ).aggregate(y=Max("vintage"))["y"]
    return int(latest or timezone.localdate().year)

"""The electricity-carbon nowcast (电碳快报): a month's electricity and its emissions by district and industry from
the metered totals the region's government loaded (:mod:`dualcarbon.reporting.meter_data`), before the enterprises
report — and, where they have, what they reported against what was metered.

Per group (district, industry division) and for the whole selection:

* ``kwh`` / ``tco2e``: the current metered totals of the month (net kWh; tCO2e with the grid factor the account
  engine gives each enterprise's purchased electricity);
* coverage: ``metered`` enterprises with a metered total against the ``units`` (active enterprises registered in the
  group: the reporting units), and ``reported`` of them with a reported version of the month;
* ``reported_kwh`` (purchased electricity in those versions) against ``metered_reported_kwh`` (the metered import of
  the same enterprises) and their difference as a share of the metered.

The derivation: every load whose totals are used (file, SHA-256, who, when) and every grid factor (value, source,
set, version, the method policy's choice) with the number of enterprises it was applied to.

Government staff (their jurisdiction) and the admin; the groups are built from the same rows for the page and the
API (a fixed number of queries).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dualcarbon.registry import access
from dualcarbon.registry.models import Industry, Organisation, Region
from dualcarbon.reporting import meter_data
from dualcarbon.ui import names

from . import scoping


@dataclass
class Group:
    key: str
    name: str
    units: int = 0
    metered: int = 0
    reported: int = 0
    kwh: Decimal = Decimal(0)
    tco2e: Decimal = Decimal(0)
    reported_kwh: Decimal = Decimal(0)
    metered_reported_kwh: Decimal = Decimal(0)

    @property
    def coverage(self) -> Decimal | None:
        return None if not self.units else Decimal(self.metered) / Decimal(self.units)

    @property
    def difference(self) -> Decimal | None:
        """(reported − metered) / metered over the enterprises with both."""
        if not self.reported or not self.metered_reported_kwh:
            return None
        return (self.reported_kwh - self.metered_reported_kwh) / self.metered_reported_kwh

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "units": self.units,
            "metered": self.metered,
            "reported": self.reported,
            "kwh": self.kwh,
            "tco2e": self.tco2e,
            "coverage": None if self.coverage is None else self.coverage.quantize(Decimal("0.0001")),
            "reported_kwh": self.reported_kwh,
            "metered_reported_kwh": self.metered_reported_kwh,
            "difference": None if self.difference is None else self.difference.quantize(Decimal("0.0001")),
        }


@dataclass
class Nowcast:
    region: Region | None
    period: str
    periods: list[str]
    regions: list[Region]
    total: Group
    districts: list[Group] = field(default_factory=list)
    industries: list[Group] = field(default_factory=list)
    loads: list[Any] = field(default_factory=list)
    factors: list[dict[str, Any]] = field(default_factory=list)


def _region_for(user: Any, code: str) -> Region | None:
    """The region asked for, if the user governs it; else the user's first jurisdiction (None: none)."""
    governed = Region.objects.filter(access.jurisdiction_q(user, "code")).order_by("level", "code")
    if code:
        asked = governed.filter(code=code).first()
        if asked is not None:
            return asked
    actor = access.actor_for(user)
    if actor.region_prefixes:
        return governed.filter(code__in=[p.ljust(6, "0") for p in actor.region_prefixes]).order_by("code").first()
    return governed.filter(level=Region.Level.PREFECTURE).order_by("code").first() or governed.first()


def nowcast(user: Any, region_code: str = "", period: str = "") -> Nowcast | None:
    """The nowcast of a month for a region the user governs (None: not for this user)."""
    if not scoping.can_see_monitoring(user):
        return None
    region = _region_for(user, region_code.strip())
    regions = list(Region.objects.filter(access.jurisdiction_q(user, "code")).order_by("code")[:200])
    if region is None:
        return Nowcast(None, "", [], regions, Group("", ""))
    prefix = region.prefix
    periods = meter_data.loaded_months(prefix)
    try:
        parsed = meter_data.parse_period(period)
    except ValueError:
        parsed = None
    if parsed is None:
        if not periods:
            return Nowcast(region, "", [], regions, Group(region.code, region.name))
        parsed = meter_data.parse_period(periods[0])
    assert parsed is not None
    year, month = parsed
    label = f"{year}-{month:02d}"
    metered = list(
        meter_data.current_metered(prefix, year, month).values(
            "enterprise_id",
            "region_code",
            "industry_code",
            "kwh",
            "import_kwh",
            "tco2e",
            "grid_factor",
            "grid_ref",
            "grid_set",
            "grid_version",
            "grid_choice",
        )
    )
    units = list(
        Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE, is_active=True)
        .filter(access.prefix_q("region__code", prefix))
        .values("pk", "region_id", "industry_id")
    )
    reported = meter_data.reported_kwh(None, year, month, region_prefix=prefix)
    district_names = dict(Region.objects.filter(access.prefix_q("code", prefix)).values_list("code", "name"))
    divisions = {i.code: i for i in Industry.objects.filter(level="division")}

    def division(code: str | None) -> str:
        code = code or ""
        return code[:2] if code[:1].isdigit() else code

    def industry_label(code: str) -> str:
        ind = divisions.get(code)
        return names.industry_label(code, ind.name_zh) if ind else (code or "—")

    total = Group(region.code, region.name)
    by_district: dict[str, Group] = {}
    by_industry: dict[str, Group] = {}

    def groups(county: str, industry: str) -> list[Group]:
        d = by_district.setdefault(county, Group(county, district_names.get(county, county or "—")))
        i = by_industry.setdefault(industry, Group(industry, industry_label(industry)))
        return [total, d, i]

    for u in units:
        for g in groups(u["region_id"] or "", division(u["industry_id"])):
            g.units += 1
    factors: dict[tuple[Any, ...], dict[str, Any]] = {}
    for m in metered:
        eid = m["enterprise_id"]
        for g in groups(m["region_code"], division(m["industry_code"])):
            g.metered += 1
            g.kwh += m["kwh"]
            g.tco2e += m["tco2e"]
            if eid in reported:
                g.reported += 1
                g.reported_kwh += reported[eid]
                g.metered_reported_kwh += m["import_kwh"]
        key = (m["grid_factor"], m["grid_ref"], m["grid_set"], m["grid_version"], m["grid_choice"])
        f = factors.setdefault(
            key,
            {
                "grid_factor": m["grid_factor"],
                "grid_unit": "tCO2/MWh",
                "grid_ref": m["grid_ref"],
                "grid_set": m["grid_set"],
                "grid_version": m["grid_version"],
                "grid_choice": m["grid_choice"],
                "enterprises": 0,
            },
        )
        f["enterprises"] += 1
    loads = list(meter_data.loads_of(prefix, year, month))
    order = lambda g: (-g.kwh, g.key)  # noqa: E731
    return Nowcast(
        region,
        label,
        periods if label in periods else [label, *periods],
        regions,
        total,
        sorted(by_district.values(), key=order),
        sorted(by_industry.values(), key=order),
        loads,
        list(factors.values()),
    )

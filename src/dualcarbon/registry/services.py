"""Registry services: load reference regions/industries, create organisations and users' memberships, and
the method policy that applies to a region on a day (with the engine options it means)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from dualcarbon.engine import factors
from dualcarbon.engine.factors import Options
from dualcarbon.engine.reference import industry_names, read_table

from . import effective
from .models import Industry, Membership, MethodPolicy, Organisation, Region


@transaction.atomic
def load_industries() -> int:
    """GB/T 4754-2017 sections and divisions from the reference library (idempotent)."""
    table = read_table("industries")
    sectors = read_table("key_sectors")
    ets = {str(r.industry_division): str(r.ets_sector_zh) for r in sectors.itertuples(index=False)}
    n = 0
    for r in table.sort_values("level", key=lambda s: s.map({"section": 0, "division": 1})).itertuples(index=False):
        parent = str(r.parent) if isinstance(r.parent, str) and r.parent else None
        Industry.objects.update_or_create(
            code=str(r.code),
            defaults={
                "level": str(r.level),
                "name_zh": str(r.name_zh),
                "name_en": str(r.name_en or ""),
                "parent_id": parent,
                "ets_sector": ets.get(str(r.code), ""),
            },
        )
        n += 1
    names = industry_names()
    for r in sectors.itertuples(index=False):  # the 4-digit classes the ETS names ("2211;2212": several)
        for code in str(r.industry_class).replace("；", ";").split(";"):
            code = code.strip()
            if not code:
                continue
            name_zh, name_en = names.get(code, (str(r.industry_class_name), ""))
            Industry.objects.update_or_create(
                code=code,
                defaults={
                    "level": "class",
                    "name_zh": name_zh[:128],
                    "name_en": name_en[:160],
                    "parent_id": code[:2],
                    "ets_sector": str(r.ets_sector_zh)[:32],
                },
            )
            n += 1
    return n


@transaction.atomic
def load_provinces() -> int:
    table = read_table("provinces")
    for r in table.itertuples(index=False):
        code = str(r.code).zfill(2) + "0000"
        Region.objects.update_or_create(code=code, defaults={"name": str(r.name_zh), "level": Region.Level.PROVINCE})
    return len(table)


def add_region(code: str, name: str, parent: Region | None = None) -> Region:
    level = (
        Region.Level.PROVINCE
        if code.endswith("0000")
        else (Region.Level.PREFECTURE if code.endswith("00") else Region.Level.COUNTY)
    )
    region, _ = Region.objects.update_or_create(code=code, defaults={"name": name, "level": level, "parent": parent})
    return region


def add_member(user: Any, organisation: Organisation, role: str) -> Membership:
    m = Membership(user=user, organisation=organisation, role=role)
    m.full_clean()
    m.save()
    return m


def create_user(username: str, password: str, organisation: Organisation, role: str, **extra: Any) -> Any:
    User = get_user_model()
    user = User.objects.create_user(username=username, password=password, **extra)
    add_member(user, organisation, role)
    return user


# --------------------------------------------------------------------------- method policies


def method_policies() -> list[MethodPolicy]:
    """Every method policy with its region (one query; pass the list to :func:`policy_for` in loops)."""
    return list(MethodPolicy.objects.select_related("region"))


def policy_for(
    region_code: str, on: datetime.date | None = None, policies: Sequence[MethodPolicy] | None = None
) -> MethodPolicy | None:
    """The policy of the most specific region containing ``region_code`` in force on ``on`` (today)."""
    day = on or timezone.localdate()
    candidates = policies if policies is not None else method_policies()
    return effective.resolve(candidates, day, region_code=region_code, prefix_of=lambda p: p.region.prefix)


def options_for(policy: MethodPolicy | None) -> Options:
    """The engine options a policy chooses; without a policy, the engine's defaults (defined once, in
    :mod:`dualcarbon.engine.factors`)."""
    if policy is None:
        return Options()
    return Options(
        fuel_sets=factors.parse_fuel_sets(policy.fuel_sets),
        grid=factors.parse_grid(policy.grid),
        gwp=factors.parse_gwp(policy.gwp),
        tce_basis=factors.parse_tce_basis(policy.tce_basis),
    )


def method_options(region_code: str, on: datetime.date | None = None) -> Options:
    """The options an enterprise in ``region_code`` is computed with on ``on``."""
    return options_for(policy_for(region_code, on))


def adopt_policy(region: Region, valid_from: datetime.date, **fields: Any) -> MethodPolicy:
    """A region's new method policy from ``valid_from`` on; the policy in force then ends the day before.
    Choices are checked (:func:`dualcarbon.engine.factors.parse_grid` …) before anything is saved."""
    return effective.supersede(MethodPolicy, valid_from, region=region, **fields)

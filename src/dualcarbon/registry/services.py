"""Registry services: load reference regions/industries, create organisations and users' memberships."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from dualcarbon.engine.reference import industry_names, read_table

from .models import Industry, Membership, Organisation, Region


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

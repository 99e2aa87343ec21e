"""Real-looking test data: a small region with an enterprise of each role, built through the services."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from dualcarbon.registry import services as registry
from dualcarbon.registry.models import (
    Consent,
    Industry,
    Membership,
    MethodPolicy,
    Organisation,
    Region,
    VerifierAssignment,
)

Role = Membership.Role
PASSWORD = "Dc-test-2026!"


@dataclass
class World:
    city: Region
    district_a: Region
    district_b: Region
    cement: Organisation
    steel: Organisation
    other_city_firm: Organisation
    government: Organisation
    district_gov: Organisation
    bank: Organisation
    other_bank: Organisation
    verifier: Organisation
    users: dict[str, Any]


def build_world() -> World:
    registry.load_industries()
    zj = registry.add_region("330000", "浙江省")
    city = registry.add_region("339900", "示范市", zj)
    a = registry.add_region("339901", "东城区", city)
    b = registry.add_region("339902", "西城区", city)
    other = registry.add_region("330100", "杭州市", zj)
    other_county = registry.add_region("330102", "上城区", other)
    MethodPolicy.objects.create(
        region=city,
        valid_from=datetime.date(2020, 1, 1),
        fuel_sets="ndrc-2015,ipcc2006-fuels",
        grid="mee:provincial",
        gwp="AR5",
    )
    cement_ind = Industry.objects.get(code="30")
    steel_ind = Industry.objects.get(code="31")

    def ent(name: str, uscc: str, region: Region, industry: Industry) -> Organisation:
        o = Organisation(
            kind="enterprise",
            name=name,
            uscc=uscc,
            region=region,
            industry=industry,
            size_class="large",
            above_scale=True,
        )
        o.full_clean()
        o.save()
        return o

    cement = ent("示范水泥有限公司", "91339901MA2D8KQX38", a, cement_ind)
    steel = ent("示范钢铁股份有限公司", "91339902MA27U0LN1W", b, steel_ind)
    far = ent("杭州某化工有限公司", "91330102MA2CHHX044", other_county, Industry.objects.get(code="26"))
    gov = Organisation.objects.create(kind="government", name="示范市发展和改革委员会", region=city)
    dgov = Organisation.objects.create(kind="government", name="东城区经信局", region=a)
    bank = Organisation.objects.create(kind="bank", name="示范农商银行")
    bank2 = Organisation.objects.create(kind="bank", name="另一家银行")
    verifier = Organisation.objects.create(kind="verifier", name="示范核查技术服务有限公司")
    platform = Organisation.objects.create(kind="platform", name="平台运营中心")
    users = {
        "cement": registry.create_user("cement", PASSWORD, cement, Role.ENTERPRISE_STAFF),
        "steel": registry.create_user("steel", PASSWORD, steel, Role.ENTERPRISE_STAFF),
        "far": registry.create_user("far", PASSWORD, far, Role.ENTERPRISE_STAFF),
        "gov": registry.create_user("gov", PASSWORD, gov, Role.GOVERNMENT_STAFF),
        "district": registry.create_user("district", PASSWORD, dgov, Role.GOVERNMENT_STAFF),
        "bank": registry.create_user("bank", PASSWORD, bank, Role.BANK_STAFF),
        "bank2": registry.create_user("bank2", PASSWORD, bank2, Role.BANK_STAFF),
        "verifier": registry.create_user("verifier", PASSWORD, verifier, Role.VERIFIER),
        "admin": registry.create_user("admin", PASSWORD, platform, Role.PLATFORM_ADMIN),
    }
    VerifierAssignment.objects.create(verifier=verifier, enterprise=cement, year=2024)
    Consent.objects.create(
        enterprise=cement,
        bank=bank,
        purpose="流动资金贷款授信",
        scope="accounts,credit_report,summary,grade,certification",
        data_from="2024-01",
        data_until="2024-06",
        valid_from=datetime.date(2020, 1, 1),
        valid_until=datetime.date(2099, 12, 31),
        created_by=users["cement"],
    )
    return World(city, a, b, cement, steel, far, gov, dgov, bank, bank2, verifier, users)


def cement_month(clinker: float = 50000.0, coal: float = 7100.0, mwh: float = 2900.0) -> dict[str, Any]:
    return {
        "activities": [
            {"source_type": "fuel_combustion", "item": "原煤", "quantity": coal, "unit": "t"},
            {"source_type": "fuel_combustion", "item": "柴油", "quantity": 21.5, "unit": "t"},
            {"source_type": "purchased_electricity", "item": "电力", "quantity": mwh, "unit": "MWh"},
            {"source_type": "process", "item": "熟料", "quantity": clinker, "unit": "t"},
        ],
        "production": [{"product": "水泥熟料", "quantity": clinker, "unit": "t"}],
        "economic": {"value_added": 4200, "output_value": 15800, "revenue": 16100},
    }

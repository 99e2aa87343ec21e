"""One world for the certification tests of the package: build_world(), three months of cement's 2024 account (the
baseline) and one of 2025 (the follow-up), the seed rulers of 示范市 and a cement ruler for each kind
(docs/finance.md § Transition certification)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dualcarbon.finance import certification
from dualcarbon.finance.models import CertApplication, CertRuler
from tests.factories import build_world
from tests.rating.helpers import month_data, submit_batch

START = datetime.date(2025, 1, 1)


@dataclass
class CertWorld:
    world: Any
    project_ruler: CertRuler
    enterprise_ruler: CertRuler
    baseline_total: Decimal
    #: the baseline's three months scaled to a year
    baseline_annual: Decimal

    @property
    def users(self) -> dict[str, Any]:
        return self.world.users

    def fields(self, **kw: Any) -> dict[str, Any]:
        """A valid project application of cement (5 % of its baseline, under the 3 % minimum of the project ruler)."""
        out = {
            "kind": "project",
            "industry_code": "3011",
            "name": "熟料生产线余热发电及能效提升改造",
            "verifier": self.world.verifier.pk,
            "baseline_year": 2024,
            "declared_value": "105.5",
            "expected_savings_tce": "8000",
            "expected_reduction_tco2": str((self.baseline_annual * Decimal("0.05")).quantize(Decimal("0.01"))),
            "investment": "125000000.00",
            "evidence": "可研报告及节能评估报告（示范）",
            "evidence_ref": "KY-2025-001",
        }
        out.update(kw)
        return out

    def apply(self, **kw: Any) -> CertApplication:
        return certification.apply(self.users["cement"], self.world.cement, **self.fields(**kw))


ALL_OK = {p: {"ok": True, "note": "符合"} for p in ("no_lock_in", "dnsh", "just_transition")}


def build() -> CertWorld:
    world = build_world()
    users = world.users
    items = [(users["cement"], world.cement, 2024, m, month_data(7100.0)) for m in (1, 2, 3)]
    items.append((users["cement"], world.cement, 2025, 1, month_data(6000.0)))
    submit_batch(items)
    certification.seed_rulers(users["gov"], "339900", START)
    rulers = {
        kind: certification.publish_ruler(
            users["gov"],
            "339900",
            industry_code="3011",
            kind=kind,
            valid_from=START,
            sector_name="水泥制造",
            metric="energy_per_product",
            unit="kgce/t",
            entry_value="117",
            advanced_value="100",
            min_reduction_pct="3" if kind == "project" else "5",
            principles=["no_lock_in", "dnsh", "just_transition"],
            source="参照《高耗能行业重点领域能效标杆水平和基准水平（2021年版）》"
            "水泥熟料：基准水平 117、标杆水平 100 kgce/t",
        )
        for kind in ("project", "enterprise")
    }
    baseline = certification.account_year(world.cement, 2024)
    assert baseline is not None
    return CertWorld(
        world,
        rulers["project"],
        rulers["enterprise"],
        Decimal(baseline["total_tco2e"]),
        Decimal(baseline["annual_tco2e"]),
    )

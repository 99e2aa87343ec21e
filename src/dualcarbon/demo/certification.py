"""The demo region's transition certification (docs/finance.md § Transition certification), through the finance
services: the city's seed rulers (modern coal chemicals, non-ferrous smelting, thermal power, mining) and a cement
ruler, applications of ent1 and ent2 in several states — one returned once, amended and certified — a certified
project library and enterprise library, and their pushes to the banks (the project library to both, the enterprise
library to the first only).

The rulers' values follow the national benchmark documents their sources name; they are illustrative, not any
region's adopted standard."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from dualcarbon.finance import certification
from dualcarbon.finance.models import CertApplication, CertKind, CertRuler
from dualcarbon.registry import access
from dualcarbon.registry.models import Organisation

ALL_OK = {p: {"ok": True, "note": "经核查符合"} for p in ("no_lock_in", "dnsh", "just_transition")}
CEMENT = {
    "industry_code": "3011",
    "sector_name": "水泥制造（熟料）",
    "metric": "energy_per_product",
    "unit": "kgce/t",
    "entry_value": "117",
    "advanced_value": "100",
    "source": "参照《高耗能行业重点领域能效标杆水平和基准水平（2021年版）》（发改产业〔2021〕1609号）"
    "水泥熟料：基准水平 117、标杆水平 100 千克标准煤/吨；示范取值，地区按本地标准替换",
}


def _declared(ruler: CertRuler, advanced: bool) -> str:
    """A declared value within the entry condition (at the advanced value when ``advanced``)."""
    v = ruler.advanced_value if advanced else ruler.entry_value * Decimal("0.96")
    return str(v.quantize(Decimal("0.01")))


def _fields(org: Organisation, ruler: CertRuler, verifier: int, year: int, name: str, **kw: Any) -> dict[str, Any]:
    base = certification.account_year(org, year) or {}
    annual = Decimal(base.get("annual_tco2e") or "0")
    energy = Decimal(base.get("energy_tce") or "0") * 12 / max(int(base.get("months") or 1), 1)
    share = (ruler.min_reduction_pct + 2) / 100
    out = {
        "kind": ruler.kind,
        "industry_code": ruler.industry_code,
        "name": name,
        "verifier": verifier,
        "baseline_year": year,
        "declared_value": _declared(ruler, kw.pop("advanced", False)),
        "expected_savings_tce": str((energy * share).quantize(Decimal("0.01"))),
        "expected_reduction_tco2": str((annual * share).quantize(Decimal("0.01"))),
        "investment": kw.pop("investment", "86000000.00"),
        "evidence": "可行性研究报告、节能评估报告及第三方监测方案（示范材料）",
        "evidence_ref": f"ZX-{year}-{org.pk:04d}",
    }
    out.update(kw)
    return out


def build(user_by_name: dict[str, Any], years: Sequence[int]) -> dict[str, int]:
    gov, ver = user_by_name["gov"], user_by_name["verifier"]
    city = access.actor_for(gov).region_prefixes[0].ljust(6, "0")
    start = datetime.date(years[0], 1, 1)
    certification.seed_rulers(gov, city, start)
    for kind in CertKind.values:
        certification.publish_ruler(
            gov,
            city,
            kind=kind,
            valid_from=start,
            min_reduction_pct=certification.SEED_MIN_REDUCTION[CertKind(kind)],
            principles=["no_lock_in", "dnsh", "just_transition"],
            **CEMENT,
        )
    verifier = sorted(access.actor_for(ver).verifier_ids)[0]
    base_year = years[0]
    since = datetime.date(years[-1], 7, 1)
    until = datetime.date(years[-1] + 3, 6, 30)
    made: list[CertApplication] = []

    def apply(who: str, kind: str, name: str, **kw: Any) -> CertApplication | None:
        user = user_by_name.get(who)
        ids = sorted(access.actor_for(user).enterprise_ids) if user is not None else []
        if not ids:
            return None
        org = Organisation.objects.get(pk=ids[0])
        ruler = next((r for r in certification.sectors_for(org) if r.kind == kind), None)
        if ruler is None or certification.account_year(org, base_year) is None:
            return None
        app = certification.apply(user, org, **_fields(org, ruler, verifier, base_year, name, **kw))
        made.append(app)
        return app

    def certify(app: CertApplication | None) -> CertApplication | None:
        if app is None:
            return None
        certification.review(ver, app, approve=True, checks=ALL_OK, comment="材料齐全，原则核查通过")
        return certification.certify(gov, app, valid_from=since, valid_until=until)

    # ent1 (cement): a project returned once, amended and certified; the enterprise certified (advanced); a second
    # project awaiting the government
    returned = apply("ent1", "project", "熟料生产线余热发电及能效提升改造")
    if returned is not None:
        checks = {**ALL_OK, "dnsh": {"ok": False, "note": "未说明改造期间粉尘与废水的处置"}}
        certification.review(ver, returned, approve=False, checks=checks, comment="请补充改造期间粉尘、废水处置方案")
        certification.resubmit(
            returned.applied_by,
            returned,
            comment="已补充粉尘、废水处置方案",
            evidence="可行性研究报告、节能评估报告、第三方监测方案及施工期粉尘废水处置方案（示范材料）",
        )
    certify(returned)
    certify(apply("ent1", "enterprise", "示范水泥企业整体降碳转型", advanced=True, investment="320000000.00"))
    waiting = apply("ent1", "project", "窑尾烟气系统节能改造", investment="18000000.00")
    if waiting is not None:
        certification.review(ver, waiting, approve=True, checks=ALL_OK, comment="核查通过")
    # ent2 (power): a project certified and flagged for a major event; one rejected; the enterprise awaiting review
    flagged = certify(apply("ent2", "project", "燃煤机组节能降耗与灵活性改造", investment="150000000.00"))
    if flagged is not None:
        certification.flag_major_event(gov, flagged, "示范：机组非计划停运一次，已报告，跟踪中")
    rejected = apply("ent2", "project", "新建燃煤自备电厂", investment="600000000.00")
    if rejected is not None:
        certification.review(ver, rejected, approve=True, checks=ALL_OK)
        certification.reject(gov, rejected, "新建燃煤机组存在碳锁定风险，不属于降碳转型升级项目")
    apply("ent2", "enterprise", "示范热电企业整体降碳转型", investment="210000000.00")
    for app in made:
        app.refresh_from_db()
    banks = sorted(access.actor_for(user_by_name["bank"]).bank_ids | access.actor_for(user_by_name["bank2"]).bank_ids)
    pushes = 0
    for kind, to in (("project", banks), ("enterprise", banks[:1])):
        entries = [a.pk for a in made if a.kind == kind and certification.in_library(a)]
        if entries and to:
            label = str(CertKind(kind).label)
            certification.push_library(
                gov, city, title=f"{years[-1]} 年第一批{label}库", kind=kind, entries=entries, banks=to
            )
            pushes += 1
    return {
        "cert_rulers": CertRuler.objects.count(),
        "cert_applications": len(made),
        "cert_library": sum(1 for a in made if certification.in_library(a)),
        "cert_pushes": pushes,
    }

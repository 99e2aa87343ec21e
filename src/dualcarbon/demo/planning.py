"""The demo region's reduction planning (docs/planning.md): a starter measures library and a plan for each of the
memorable enterprises (ent1–ent3) and a few more, made through the planning services as their own staff would.

The library's figures are illustrative: they are shaped like the entries of the NDRC's national catalogue of
key energy-saving and low-carbon technologies (国家重点节能低碳技术推广目录: typical saving, investment, lifetime),
but are not copied from it, and every page marks them 示意数值.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

#: code, zh, en, sector, energy, unit zh/en, tce/unit/yr, conversion, capex/unit, opex change/unit/yr, lifetime
#: electricity measures: tce at the equivalent value (0.1229 kgce/kWh), converted through the grid of the
#: enterprise's region (the same factor as its purchased electricity)
MEASURES: tuple[tuple[Any, ...], ...] = (
    (
        "led-lighting",
        "照明改造为 LED 灯具",
        "LED lighting retrofit",
        "全部行业",
        "电力",
        "百盏",
        "100 lamps",
        "2.4580",
        "grid",
        "15000",
        "-500",
        10,
    ),  # 20 000 kWh/yr per 100 lamps
    (
        "rooftop-pv",
        "屋顶分布式光伏",
        "Rooftop solar PV",
        "全部行业",
        "电力",
        "百千瓦",
        "100 kW",
        "12.2900",
        "grid",
        "350000",
        "3000",
        25,
    ),  # 100 000 kWh/yr per 100 kW
    (
        "vfd-motors",
        "风机水泵变频改造",
        "Variable-frequency drives on fans and pumps",
        "C 制造业",
        "电力",
        "百千瓦电机",
        "100 kW of motors",
        "7.3740",
        "grid",
        "60000",
        "0",
        15,
    ),  # 60 000 kWh/yr
    (
        "waste-heat-power",
        "余热发电",
        "Waste-heat power generation",
        "C30 非金属矿物制品业",
        "电力",
        "兆瓦",
        "MW",
        "737.4000",
        "grid",
        "8000000",
        "300000",
        20,
    ),  # 6 000 MWh/yr per MW
    (
        "boiler-tuning",
        "燃煤锅炉燃烧优化",
        "Coal boiler combustion optimisation",
        "C 制造业",
        "原煤",
        "台（10 t/h）",
        "boiler (10 t/h)",
        "150.0000",
        "fuel:RAW_COAL",
        "300000",
        "10000",
        10,
    ),
    (
        "compressor-heat",
        "空压机余热回收替代燃气加热",
        "Air-compressor heat recovery replacing gas heating",
        "C 制造业",
        "天然气",
        "台",
        "unit",
        "40.0000",
        "fuel:NATURAL_GAS",
        "200000",
        "2000",
        10,
    ),
)
SOURCE = (
    "示意数值，参照国家发展改革委《国家重点节能低碳技术推广目录》条目的形式（典型节能量、投资、寿命），"
    "非出自该目录 / illustrative figures shaped like the NDRC catalogue of key energy-saving technologies"
)

#: per memorable enterprise: plan name, target share of the base year, measures (code, quantity, start offset)
PLANS: tuple[tuple[str, str, Decimal, tuple[tuple[str, str, int], ...]], ...] = (
    (
        "ent1",
        "2030 年减排规划",
        Decimal("0.85"),
        (
            ("waste-heat-power", "4", 1),
            ("vfd-motors", "20", 1),
            ("led-lighting", "30", 0),
            ("rooftop-pv", "20", 2),
        ),
    ),
    ("ent2", "厂区节能改造", Decimal("0.95"), (("boiler-tuning", "2", 1), ("rooftop-pv", "5", 1))),
    (
        "ent3",
        "节能降碳三年计划",
        Decimal("0.90"),
        (
            ("led-lighting", "3", 0),
            ("compressor-heat", "1", 1),
            ("rooftop-pv", "2", 2),
        ),
    ),
)


def build(users: dict[str, Any], years: Sequence[int]) -> dict[str, int]:
    """Create the library and the plans (through the services, as the enterprises' staff). Returns counts."""
    from dualcarbon.planning import services
    from dualcarbon.planning.models import Measure
    from dualcarbon.rating.models import RatingResult
    from dualcarbon.registry.models import Membership

    Measure.objects.bulk_create(
        [
            Measure(
                code=code,
                name_zh=zh,
                name_en=en,
                sector=sector,
                energy_type=energy,
                unit_zh=unit_zh,
                unit_en=unit_en,
                tce_per_unit=Decimal(tce),
                conversion=conversion,
                capex_per_unit=Decimal(capex),
                opex_change_per_unit=Decimal(opex),
                lifetime_years=life,
                source=SOURCE,
                illustrative=True,
            )
            for code, zh, en, sector, energy, unit_zh, unit_en, tce, conversion, capex, opex, life in MEASURES
        ]
    )
    by_code = {m.code: m for m in Measure.objects.all()}
    base = years[-1]
    made = items = 0
    planned: list[Any] = []
    for login, name, share, chosen in PLANS:
        user = users.get(login)
        membership = Membership.objects.filter(user=user).select_related("organisation").first() if user else None
        if membership is None:
            continue
        enterprise = membership.organisation
        planned.append(user)
        plan = services.create_plan(user, enterprise, {"name": name, "base_year": base, "until_year": 2030})
        target = (services.base_year(enterprise, base).tco2 * share).quantize(Decimal("1"))
        # the 碳效码 grade it aims for: one better than its grade of the base year (docs/planning.md § The grade a
        # plan aims for); none when it is graded 1 already or not graded
        graded = (
            RatingResult.objects.filter(enterprise=enterprise, year=base, month=0, is_current=True)
            .values_list("grade", flat=True)
            .first()
        )
        aim = graded - 1 if graded and graded > 1 else None
        services.update_plan(user, plan, {"target_tco2": target, "target_grade": aim})
        for code, quantity, offset in chosen:
            services.add_item(
                user, plan, {"measure": by_code[code].pk, "quantity": quantity, "start_year": base + offset}
            )
            items += 1
        made += 1
    upgrade = _upgrade_plan(users, base, {m.organisation_id for m in Membership.objects.filter(user__in=planned)})
    return {"measures": len(MEASURES), "reduction_plans": made + upgrade, "plan_measures": items + upgrade}


def _upgrade_plan(users: dict[str, Any], base: int, taken: set[int]) -> int:
    """One more plan, for the enterprise nearest the boundary of a better 碳效码 grade (a cut of at most 15 % of its
    intensity): boiler combustion optimisation sized to end 1 % under that grade's intensity in 2030, aiming for the
    grade — so the plan's page shows the policies and loans the plan would unlock (docs/planning.md § What a plan
    unlocks). Returns 1 when made."""
    from dualcarbon.engine import savings
    from dualcarbon.planning import services
    from dualcarbon.planning.models import Measure
    from dualcarbon.rating import services as rating
    from dualcarbon.rating.models import RatingResult
    from dualcarbon.registry.models import Membership

    staff = {m.organisation_id: m.user for m in Membership.objects.filter(user__in=list(users.values()))}
    results = RatingResult.objects.filter(year=base, month=0, is_current=True, grade__gt=1).exclude(
        enterprise_id__in=taken
    )
    rulers = rating.grade_rulers([r.enterprise_id for r in results if r.enterprise_id in staff], base)
    best: tuple[Decimal, Any] | None = None
    for ent, ruler in rulers.items():
        if not ruler.intensity:
            continue
        grade = ruler.grade_for(ruler.intensity)
        needed = ruler.max_intensity(grade - 1) if grade > 1 else None
        if needed is None:
            continue
        cut = 1 - needed * Decimal("0.99") / ruler.intensity
        if 0 < cut <= Decimal("0.15") and (best is None or cut < best[0]):
            best = (cut, (ent, grade - 1))
    if best is None:
        return 0
    cut, (ent_id, aim) = best
    user = staff[ent_id]
    enterprise = Membership.objects.filter(user=user).select_related("organisation").first().organisation  # type: ignore[union-attr]
    boiler = Measure.objects.get(code="boiler-tuning")
    plan = services.create_plan(
        user,
        enterprise,
        {"name": "碳效升级规划（示例）", "base_year": base, "until_year": 2030, "growth": "0.02", "target_grade": aim},
    )
    baseline_2030 = services.base_year(enterprise, base).tco2 * Decimal("1.02") ** (2030 - base)
    per_unit = savings.convert(
        boiler.tce_per_unit, "tce", "equivalent", boiler.conversion, region=str(enterprise.region_id), year=base + 1
    ).tco2
    quantity = (baseline_2030 * cut / per_unit).quantize(Decimal("0.01"), rounding="ROUND_UP")
    services.add_item(user, plan, {"measure": boiler.pk, "quantity": quantity, "start_year": base + 1})
    return 1


#: the city's three scenarios: kind, name, description, rates by sector (sector, growth in the first year, its
#: yearly change, efficiency gain, grid-factor decline, basis). The rates are illustrative and say so.
SCENARIOS: tuple[tuple[str, str, str, tuple[tuple[str, str, str, str, str, str], ...]], ...] = (
    (
        "baseline",
        "基准情景",
        "延续近年趋势：活动水平增速每年放缓 0.3 个百分点，能效年提升 1.5%（示意假设）",
        (
            ("*", "0.05", "-0.003", "0.015", "0.01", "示意假设：延续趋势"),
            ("30", "0.04", "-0.003", "0.012", "0.01", "示意假设：水泥熟料产量增速放缓"),
        ),
    ),
    (
        "policy",
        "政策情景",
        "落实节能降碳行动：增速每年放缓 0.4 个百分点，能效年提升 2.5%，电网因子年降 3%（示意假设）",
        (
            ("*", "0.045", "-0.004", "0.025", "0.03", "示意假设：节能降碳行动方案"),
            ("30", "0.03", "-0.004", "0.025", "0.03", "示意假设：水泥行业产能置换"),
            ("44", "0.04", "-0.004", "0.02", "0.04", "示意假设：煤电清洁化"),
        ),
    ),
    (
        "enhanced",
        "强化情景",
        "强化转型：增速每年放缓 1.2 个百分点，能效年提升 4%，电网因子年降 5%（示意假设）",
        (
            ("*", "0.065", "-0.012", "0.04", "0.05", "示意假设：强化转型"),
            ("30", "0.05", "-0.012", "0.04", "0.05", "示意假设：水泥产量达峰并下降"),
            ("44", "0.06", "-0.012", "0.04", "0.06", "示意假设：新能源替代"),
        ),
    ),
)


def build_scenarios(gov_user: Any, city: Any, years: Sequence[int]) -> int:
    """The city's three pathway scenarios to 2035 (through the services, as the city's government), each with the
    same target: 2030 emissions 5 % below the base year. The rates are illustrative, and say so."""
    from dualcarbon.planning import pathways

    base = years[-1]
    rows, _n, _m = pathways.base_rows(city, base)
    total = sum((r.scope1 + r.scope2 for r in rows), Decimal(0))
    target = (total * Decimal("0.95")).quantize(Decimal("1"))
    for kind, name, description, assumptions in SCENARIOS:
        scenario = pathways.create_scenario(
            gov_user,
            city,
            {
                "name": name,
                "kind": kind,
                "base_year": base,
                "until_year": 2035,
                "target_year": 2030,
                "target_tco2": target,
                "description": description,
            },
        )
        for sector, growth, step, efficiency, grid, source in assumptions:
            rates = {"growth": growth, "growth_step": step, "efficiency": efficiency, "grid_decline": grid}
            pathways.set_assumption(gov_user, scenario, sector, {**rates, "source": source})
    return len(SCENARIOS)

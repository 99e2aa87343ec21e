"""The demo region's dual-carbon programme (docs/programme.md), built through the programme's services.

The five lists keep the source city's proportions (100 projects, 19 platforms, 9 fund pools, 55 policy packages,
11 talent entries) scaled by one fifth and rounded: 20 projects, 4 platforms, 2 fund pools, 11 policy packages,
2 talent entries. The leading group, the working group and the six special groups (综合协调, 能源, 工业, 城市建设,
交通, 农业农村); the twelve measures (一创、一优、一协、五降、四提) with indicators; a year of tasks (this year's
work points) with some overdue and some lagging, and the dispatch check run once; the dual-carbon index of the
six counties computed from an uploaded statistical table (co2_intensity and co2_growth from the accounts); and two
enterprise groups (the showcase enterprises ent1 and ent2 as parents) with their holdings and an inventory each.
Names, amounts and statistics are invented for the demo (示意数据), labelled so on the entries.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils import timezone

PROPORTIONS = {"project": 20, "platform": 4, "fund": 2, "policy": 11, "talent": 2}
SOURCE_CITY = {"project": 100, "platform": 19, "fund": 9, "policy": 55, "talent": 11}
NOTE = "示意数据（演示用）"

GROUPS: tuple[tuple[str, str, str, str, str, tuple[str, ...]], ...] = (
    ("leading", "leading", "领导小组", "Leading group", "市委、市政府", ()),
    ("working", "working", "工作专班", "Working group", "市发展和改革委员会", ()),
    ("coord", "special", "综合协调组", "Coordination", "市发展和改革委员会", ("339901", "339902", "339903")),
    ("energy", "special", "能源组", "Energy", "市发展和改革委员会（市能源局）", ("339903", "339905")),
    ("industry", "special", "工业组", "Industry", "市经济和信息化局", ("339901", "339903", "339904")),
    ("urban", "special", "城市建设组", "Urban construction", "市住房和城乡建设局", ("339901", "339902")),
    ("transport", "special", "交通组", "Transport", "市交通运输局", ("339902", "339905")),
    ("agri", "special", "农业农村组", "Agriculture and rural", "市农业农村局", ("339904", "339906")),
)
MEMBERS = "市财政局\n市生态环境局\n市统计局\n市自然资源和规划局\n国网示范供电公司"

#: code, parent, zh, en, owning group
MEASURES: tuple[tuple[str, str, str, str, str], ...] = (
    ("一创", "", "创建国家碳达峰试点城市", "A national demonstration zone", "coord"),
    ("一优", "", "优化能源结构", "Optimise the energy structure", "energy"),
    ("一协", "", "减污降碳协同增效", "Pollution and carbon reduced together", "coord"),
    ("五降", "", "五大领域降碳", "Five sectors reduced", "working"),
    ("五降-1", "五降", "制造业降碳", "Manufacturing", "industry"),
    ("五降-2", "五降", "交通降碳", "Transport", "transport"),
    ("五降-3", "五降", "建筑降碳", "Buildings", "urban"),
    ("五降-4", "五降", "农业降碳", "Agriculture", "agri"),
    ("五降-5", "五降", "循环经济降碳", "Circular economy", "industry"),
    ("四提", "", "四项能力提升", "Four capacities raised", "working"),
    ("四提-1", "四提", "科技创新能力提升", "Technology", "coord"),
    ("四提-2", "四提", "碳汇能力提升", "Carbon sinks", "agri"),
    ("四提-3", "四提", "金融服务能力提升", "Finance services", "coord"),
    ("四提-4", "四提", "绿色生活水平提升", "Green living", "urban"),
)
SECTOR_OF = {
    "五降-1": "industry",
    "五降-2": "transport",
    "五降-3": "buildings",
    "五降-4": "agriculture",
    "五降-5": "circular",
    "一优": "energy",
    "四提-2": "sinks",
    "四提-1": "technology",
}
PROJECTS: tuple[tuple[str, str], ...] = (
    ("五降-1", "水泥熟料生产线余热发电改造"),
    ("一优", "渔光互补光伏电站（100 MW）"),
    ("五降-2", "城市公交新能源车辆更新"),
    ("五降-3", "既有公共建筑节能改造（一期）"),
    ("五降-1", "印染行业定型机废气余热回收"),
    ("一优", "分散式风电项目"),
    ("五降-5", "工业固废资源化综合利用中心"),
    ("五降-4", "畜禽粪污沼气工程"),
    ("四提-2", "国家储备林建设（二期）"),
    ("五降-1", "钢铁企业电炉短流程改造"),
    ("五降-2", "港口岸电设施建设"),
    ("一优", "用户侧储能示范（50 MWh）"),
    ("五降-3", "超低能耗建筑示范小区"),
    ("五降-5", "再生资源回收分拣中心"),
    ("四提-1", "低碳技术中试基地"),
    ("五降-1", "化工园区蒸汽管网集中供热"),
    ("五降-2", "重卡换电站网络"),
    ("五降-4", "农光互补智慧农业园"),
    ("一优", "整县屋顶分布式光伏（青山县）"),
    ("五降-3", "城市照明 LED 节能改造"),
)
#: indicator code, measure, zh, en, unit, source, metric, higher is better, targets by year offset, statistic
INDICATORS: tuple[tuple[Any, ...], ...] = (
    (
        "non_fossil",
        "一优",
        "非化石能源消费比重",
        "Share of non-fossil energy",
        "%",
        "statistics",
        "",
        True,
        "22",
        "20.6",
    ),
    ("good_air", "一协", "空气质量优良天数比例", "Share of good-air days", "%", "statistics", "", True, "90", "91.8"),
    ("pm25", "一协", "PM2.5 年均浓度", "PM2.5 annual mean", "µg/m³", "statistics", "", False, "28", "27.4"),
    (
        "water_1_2",
        "一协",
        "Ⅰ–Ⅱ类水质断面比例",
        "Water sections at class I–II",
        "%",
        "statistics",
        "",
        True,
        "80",
        "76.5",
    ),
    (
        "total",
        "五降",
        "规上企业碳排放总量",
        "Emissions of the accounted enterprises",
        "tCO2e",
        "accounts",
        "total_tco2e",
        False,
        "",
        "",
    ),
    (
        "intensity",
        "五降-1",
        "规上工业碳排放强度",
        "Industrial emission intensity",
        "tCO2e/万元",
        "accounts",
        "intensity",
        False,
        "",
        "",
    ),
)
TASKS_PER_LEAF = 2


def build(users: dict[str, Any], city: Any, years: Sequence[int], owners: Sequence[Any]) -> dict[str, int]:
    """The programme for ``city``; ``owners``: platform enterprises that own some projects (the memorable ones)."""
    from dualcarbon.accounting import services as accounting
    from dualcarbon.programme import services
    from dualcarbon.programme.models import (
        Group,
        GroupMembership,
        Indicator,
        IndicatorTarget,
        Measure,
        Programme,
        Task,
    )
    from dualcarbon.registry import services as registry
    from dualcarbon.registry.models import Membership, Organisation, Region

    rng = random.Random("programme")
    today = timezone.localdate()
    first, last = years[0], years[-1]
    p = Programme.objects.create(
        region=city,
        name_zh="示范市双碳示范城建设",
        name_en="Demo City dual-carbon programme",
        start_year=first,
        end_year=max(last, today.year) + 5,
    )
    districts = list(Region.objects.filter(parent=city).order_by("code"))
    groups: dict[str, Group] = {}
    for i, (code, kind, zh, en, dept, loc_codes) in enumerate(GROUPS):
        g = Group.objects.create(
            programme=p,
            code=code,
            kind=kind,
            name_zh=zh,
            name_en=en,
            lead_department=dept,
            member_departments=MEMBERS,
            order=i,
        )
        g.localities.set([r for r in districts if r.code in loc_codes] if loc_codes else districts)
        groups[code] = g
    gov = users["gov"]
    GroupMembership.objects.create(group=groups["leading"], user=gov, role="lead", department="市发展和改革委员会")
    GroupMembership.objects.create(group=groups["working"], user=gov, role="lead", department="市发展和改革委员会")
    jx = Organisation.objects.create(kind="government", name="示范市经济和信息化局", region=city)
    lead = registry.create_user("industry", "Demo-2026", jx, Membership.Role.GOVERNMENT_STAFF, first_name="工业组组长")
    GroupMembership.objects.create(group=groups["industry"], user=lead, role="lead", department="市经济和信息化局")
    users["industry"] = lead
    measures: dict[str, Measure] = {}
    for i, (code, parent, zh, en, group) in enumerate(MEASURES):
        measures[code] = Measure.objects.create(
            programme=p, parent=measures.get(parent), code=code, name_zh=zh, name_en=en, group=groups[group], order=i
        )
    accounted = {
        y: sum(float(r["total_tco2e"] or 0) for r in accounting.current_entries(city.prefix, [y])) for y in years
    }
    stats = ["indicator,region,year,value,source"]
    for code, m, zh, en, unit, source, metric, hib, target, stat in INDICATORS:
        ind = Indicator.objects.create(
            measure=measures[m],
            code=code,
            name_zh=zh,
            name_en=en,
            unit=unit,
            source=source,
            metric=metric,
            higher_is_better=hib,
        )
        if target:
            IndicatorTarget.objects.create(
                indicator=ind, year=last, value=Decimal(target), source=f"示意目标（{NOTE}）"
            )
        if code == "total" and accounted.get(last):
            IndicatorTarget.objects.create(
                indicator=ind,
                year=last,
                value=Decimal(round(accounted[last] * 1.02, -3)),
                source=f"示意目标：较上年不增（{NOTE}）",
            )
        if stat:
            stats.append(f"{code},{city.code},{last},{stat},示范市统计公报（{NOTE}）")
    services.upload_statistics(
        gov, p, f"示范市{last}年生态环境与能源统计（示意）.csv", "\n".join(stats).encode(), note=NOTE
    )

    def at(y: int, m: int, d: int = 10) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime(y, m, d, 10, 0))

    counts = {k: 0 for k in PROPORTIONS}
    funds = []
    for i, (name, size, source) in enumerate(
        (("示范市绿色低碳发展基金", 500_000_000, "fund"), ("示范市节能降碳专项资金", 120_000_000, "fiscal"))[
            : PROPORTIONS["fund"]
        ]
    ):
        used = size * (0.2 + 0.15 * i)
        funds.append(
            services.create_entry(
                gov,
                "fund",
                p,
                {
                    "code": f"F-{i + 1:02d}",
                    "name_zh": name,
                    "group": "working",
                    "locality": city.code,
                    "source": source,
                    "manager": "市财政局",
                    "size": str(size),
                    "committed": str(int(used * 1.6)),
                    "used": str(int(used)),
                    "note": NOTE,
                },
                "建立资金池",
                at=at(first, 2),
            )
        )
    counts["fund"] = len(funds)
    policies = []
    kinds = ("fiscal", "finance", "price", "tax", "land", "talent", "fiscal", "finance", "other", "fiscal", "price")
    for i in range(PROPORTIONS["policy"]):
        policies.append(
            services.create_entry(
                gov,
                "policy",
                p,
                {
                    "code": f"Z-{i + 1:02d}",
                    "name_zh": f"示范市双碳政策包第 {i + 1} 项（{kinds[i]}）",
                    "group": "coord" if i % 2 else "working",
                    "locality": city.code,
                    "kind": kinds[i],
                    "publisher": "示范市人民政府办公室",
                    "document": f"示政办发〔{first}〕{10 + i}号",
                    "published_on": f"{first}-0{1 + i % 9}-15",
                    "note": NOTE,
                },
                "政策包入库",
                at=at(first, 1 + i % 9, 16),
            )
        )
    counts["policy"] = len(policies)
    for i, (name, kind, operator) in enumerate(
        (
            ("示范市碳达峰碳中和研究院", "innovation", "示范大学"),
            ("示范市双碳数智平台", "monitoring", "示范市大数据局"),
            ("示范市环境权益交易中心", "trading", "示范市公共资源交易中心"),
            ("示范低碳产业园", "industry", "临港区管委会"),
        )[: PROPORTIONS["platform"]]
    ):
        services.create_entry(
            gov,
            "platform",
            p,
            {
                "code": f"PT-{i + 1:02d}",
                "name_zh": name,
                "group": "coord",
                "locality": districts[i % len(districts)].code,
                "kind": kind,
                "operator": operator,
                "launched_on": f"{first}-06-30",
                "note": NOTE,
            },
            "平台入库",
            at=at(first, 3 + i),
        )
        counts["platform"] += 1
    for i, (name, kind, org) in enumerate(
        (("光伏材料创新团队", "team", "示范大学"), ("碳汇计量领军人才", "expert", "示范市林业科学研究院"))[
            : PROPORTIONS["talent"]
        ]
    ):
        services.create_entry(
            gov,
            "talent",
            p,
            {
                "code": f"R-{i + 1:02d}",
                "name_zh": name,
                "group": "coord",
                "locality": city.code,
                "kind": kind,
                "organisation": org,
                "field_zh": "新能源" if i == 0 else "碳汇",
                "headcount": str(12 - 10 * i),
                "introduced_on": f"{first}-09-01",
                "note": NOTE,
            },
            "人才入库",
            at=at(first, 9, 2),
        )
        counts["talent"] += 1
    projects: list[Any] = []
    for i, (measure, name) in enumerate(PROJECTS[: PROPORTIONS["project"]]):
        group = next(g for c, _p, _z, _e, g in MEASURES if c == measure)
        if groups[group].kind != "special":
            group = "energy"
        loc = rng.choice(list(groups[group].localities.all()) or districts)
        tce = rng.randrange(800, 12000, 100)
        owner = owners[0] if i == 0 and owners else None
        if i and i < len(owners) and measure == "五降-1":
            owner = owners[i]
        fields = {
            "code": f"P-{i + 1:03d}",
            "name_zh": name,
            "group": group,
            "locality": loc.code,
            "owner": str(owner.pk) if owner else "",
            "owner_name": owner.name if owner else f"{loc.name}某投资建设有限公司",
            "sector": SECTOR_OF.get(measure, "energy"),
            "measures": measure,
            "investment": str(rng.randrange(20, 900) * 1_000_000),
            "expected_tce": str(tce),
            "expected_tco2": str(int(tce * 2.6)),
            "stage": "planned",
            "fund_pool": funds[i % len(funds)].code,
            "policy_entry": policies[i % len(policies)].code,
            "note": NOTE,
        }
        e: Any = services.create_entry(gov, "project", p, fields, "项目入库", at=at(first, 1 + i % 6, 5))
        # its life: preparing, then under construction; some completed (the first in the middle year, with accounts
        # on both sides when the demo has three years)
        e = services.update_entry(gov, e, {"stage": "preparing"}, "完成立项和环评", at=at(first, 7 + i % 5, 12))
        e = services.update_entry(
            gov, e, {"stage": "construction", "start_date": f"{first}-12-01"}, "开工建设", at=at(first, 12, 3)
        )
        if i % 4 == 0 and len(years) >= 2:
            done_year = years[1] if len(years) >= 3 else last
            e = services.update_entry(
                gov,
                e,
                {"stage": "completed", "completion_date": f"{done_year}-06-30"},
                "竣工验收",
                at=at(done_year, 7, 8),
            )
        projects.append(e)
    counts["project"] = len(projects)
    # this year's work points: two tasks per measure leaf, over the year; the first quarter's are done, some of
    # the middle of the year are late, the next month's lag behind
    leaves = [m for m in measures.values() if not any(x.parent_id == m.pk for x in measures.values())]
    year = today.year
    n_tasks = 0
    for j, m in enumerate(leaves):
        g = m.group if m.group is not None and m.group.kind == "special" else groups["coord"]
        locs = list(g.localities.all()) or districts
        for k in range(TASKS_PER_LEAF):
            due = datetime.date(year, 1 + (j * TASKS_PER_LEAF + k) % 12, 28)
            start = datetime.date(year, 1, 1)
            if due < today - datetime.timedelta(days=60):
                progress = 100 if (j + k) % 3 else rng.randrange(40, 90, 5)  # a third of the old ones overdue
            elif due < today:
                progress = rng.choice((100, 100, 70))
            else:
                progress = rng.randrange(10, 80, 5)
            Task.objects.create(
                programme=p,
                code=f"{year}-{j + 1:02d}{k + 1}",
                title_zh=f"{m.name_zh}：{year} 年工作要点 {k + 1}",
                title_en=f"{m.name_en}: work point {k + 1} of {year}",
                group=g,
                locality=locs[(j + k) % len(locs)],
                measure=m,
                year=year,
                start_date=start,
                due_date=due,
                progress=progress,
                completed_on=due if progress == 100 else None,
            )
            n_tasks += 1
    for e in projects[:6]:  # milestones of the projects under way
        if e.stage == "construction":
            Task.objects.create(
                programme=p,
                code=f"M-{e.code}",
                kind="milestone",
                title_zh=f"{e.name_zh}：主体工程完工",
                title_en="Main works completed",
                group=e.group,
                locality=e.locality,
                measure=e.measures.first(),
                project=e,
                year=year,
                start_date=datetime.date(year, 1, 1),
                due_date=datetime.date(year, 9, 30),
                progress=rng.randrange(50, 95, 5),
            )
            n_tasks += 1
    check = services.check_dispatch(p, on=today)
    index_runs = build_index(p, gov, years)
    inventories = build_groups(owners, years)
    return {
        "programme_index_runs": index_runs,
        "programme_group_inventories": inventories,
        "programme_groups": len(groups),
        "programme_measures": len(measures),
        **{f"programme_{k}": v for k, v in counts.items()},
        "programme_tasks": n_tasks,
        "programme_alerts": check.created,
    }


#: the counties' statistics for the dual-carbon index (示意数据): electricity use per 万元 of GDP, non-fossil share of
#: energy use, secondary industry share, buses per 10 000 residents, CO2 per resident, decoupling index, peaking test
INDEX_TABLE = {
    "城东区": ("520", "24.5", "31.2", "14.2", "6.1", "0.35", "0.5"),
    "城西区": ("610", "21.0", "38.5", "12.6", "7.4", "0.62", "0.5"),
    "临港区": ("980", "12.8", "58.3", "7.1", "15.8", "1.18", "0"),
    "青山县": ("720", "31.5", "44.0", "6.3", "5.2", "-0.20", "1"),
    "云溪县": ("650", "27.9", "40.6", "5.8", "4.7", "0.10", "1"),
    "白沙县": ("860", "15.3", "52.1", "4.9", "11.3", "0.95", "0"),
}
INDEX_COLUMNS = ("elec_intensity", "nonfossil_share", "secondary_share", "buses_per_10k", "co2_per_capita")
INDEX_COLUMNS_END = ("decoupling", "peak_test")
#: used when the accounts cannot give a county's figure (a county without enterprises on the platform)
INDEX_FALLBACK = {"co2_intensity": "1.2", "co2_growth": "2.0"}


def build_index(p: Any, gov: Any, years: Sequence[int]) -> int:
    """The counties' index of the last demo year from an uploaded table (the user ``gov`` uploads it); the two
    emission columns the accounts give are left out of the table when every county has them (then they come from
    the accounts), included with invented figures otherwise."""
    from dualcarbon.programme import carbon_index

    year = years[-1]
    counties = carbon_index.counties(p)
    accounts = carbon_index.county_accounts(p, year)
    from_accounts = all(
        c.code in accounts and accounts[c.code].intensity() is not None and accounts[c.code].growth() is not None
        for c in counties
    )
    extra = () if from_accounts else tuple(INDEX_FALLBACK)
    lines = [",".join(("area", *INDEX_COLUMNS, *extra, *INDEX_COLUMNS_END))]
    for c in counties:
        row = INDEX_TABLE.get(c.name)
        if row is None:
            continue
        lines.append(",".join((c.name, *row[:5], *(INDEX_FALLBACK[k] for k in extra), *row[5:])))
    content = ("\n".join(lines) + "\n").encode("utf-8")
    carbon_index.compute_index(
        gov, p, year, "ccni-structure", f"示范市{year}年县区双碳指数统计表.csv", content, "示意数据（演示用）"
    )
    return 1


def _complete(org_ids: Sequence[int], years: Sequence[int]) -> list[int]:
    """The organisations with all twelve months of every one of ``years`` in their current accounts."""
    from dualcarbon.accounting import services as accounting

    months: dict[int, set[tuple[int, int]]] = {}
    for r in accounting.scope_month_totals(org_ids, years):
        months.setdefault(r["enterprise_id"], set()).add((r["year"], r["month"]))
    return [o for o in org_ids if len(months.get(o, ())) == 12 * len(years)]


def build_groups(owners: Sequence[Any], years: Sequence[int]) -> int:
    """Two enterprise groups: 1) the first showcase enterprise holding 100 % and 60 % (both with control) and 30 %
    (without) of three others, the 60 % one holding 55 % of a fourth (three levels), its inventory by operational
    control; 2) the second showcase enterprise holding 70 % (control) of one and 40 % (no control) of another, raised
    to 60 % with control from 1 July of the year, its inventory by equity share. Subsidiaries are enterprises with
    all twelve months of accounts in the year."""
    from dualcarbon.programme.models import GroupInventory
    from dualcarbon.registry import services as registry
    from dualcarbon.registry.models import Organisation

    if len(owners) < 2:
        return 0
    year = years[-1]
    start = datetime.date(years[0], 1, 1)
    parents = [o for o in owners[:2] if o.pk in _complete([o.pk for o in owners[:2]], years)]
    if len(parents) < 2:
        return 0
    others = list(
        Organisation.objects.filter(kind="enterprise").exclude(pk__in=[o.pk for o in owners]).order_by("pk")[:40]
    )
    ids = _complete([o.pk for o in others], years)
    pool = [o for o in others if o.pk in ids][:6]
    if len(pool) < 6:
        return 0
    a, b = parents
    registry.set_ownership(a, pool[0], "100", start, has_control=True, note="示意数据：全资子公司")
    registry.set_ownership(a, pool[1], "60", start, has_control=True, note="示意数据：控股子公司")
    registry.set_ownership(a, pool[2], "30", start, note="示意数据：参股公司")
    registry.set_ownership(pool[1], pool[3], "55", start, has_control=True, note="示意数据：孙公司")
    registry.set_ownership(b, pool[4], "70", start, has_control=True, note="示意数据：控股子公司")
    registry.set_ownership(b, pool[5], "40", start, note="示意数据：参股公司")
    registry.set_ownership(
        b, pool[5], "60", datetime.date(year, 7, 1), has_control=True, note="示意数据：增持取得控制权"
    )
    made = [
        GroupInventory.objects.create(
            group=a,
            year=year,
            approach=GroupInventory.Approach.CONTROL,
            base_year=years[0] if years[0] != year else None,
        ),
        GroupInventory.objects.create(group=b, year=year, approach=GroupInventory.Approach.EQUITY),
    ]
    for inv, entries in zip(made, ESG_ENTRIES, strict=True):
        keep_inventory(inv, entries)
    return 2


#: what each demo group enters of its ESG disclosure (示意数据: invented, plausible for a manufacturing group)
ESG_ENTRIES: tuple[dict[str, str], ...] = (
    {
        "e_target_year": "2030",
        "e_target_reduction_pct": "25",
        "g_board_size": "9",
        "g_board_independent_pct": "33.3",
        "g_board_female_pct": "22.2",
        "g_climate_oversight": "是",
        "g_corruption_cases": "0",
        "g_esg_policy": "集团可持续发展政策（2024 年修订，示意）",
        "s_employees": "4860",
        "s_female_pct": "31.5",
        "s_fatalities": "0",
        "s_ltifr": "0.42",
        "s_training_hours": "36.5",
        "s_community_yuan": "2850000",
    },
    {
        "e_target_year": "2030",
        "e_target_reduction_pct": "18",
        "g_board_size": "7",
        "g_board_independent_pct": "28.6",
        "g_board_female_pct": "14.3",
        "g_climate_oversight": "否",
        "g_corruption_cases": "0",
        "s_employees": "1720",
        "s_female_pct": "24.0",
        "s_fatalities": "0",
        "s_ltifr": "0.85",
        "s_training_hours": "22",
        "s_community_yuan": "640000",
    },
)


def keep_inventory(inv: Any, entries: dict[str, str]) -> None:
    """As the group's own staff: freeze a snapshot of the inventory (the figures as the accounts stand) and enter its
    ESG targets, governance and social indicators (docs/programme.md § Snapshots, § ESG)."""
    from django.core.exceptions import ValidationError

    from dualcarbon.programme import esg, inventory
    from dualcarbon.registry.models import Membership

    staff = Membership.objects.filter(organisation=inv.group, role=Membership.Role.ENTERPRISE_STAFF).first()
    if staff is None:
        return
    try:
        inventory.take_snapshot(staff.user, inv, "示意数据：年度报告披露口径")
    except ValidationError:
        pass  # an inventory that cannot be consolidated has no figures to freeze (its page says why)
    esg.save_entries(staff.user, inv, entries)

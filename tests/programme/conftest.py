"""One programme world for the programme tests: build_world() (示范市 339900 with 东城区 339901 and 西城区
339902) plus the city's programme — a leading group (the city's DRC, user ``gov``, its lead), the working group,
the 工业 group (a city department's officer, ``industry``, its lead; 东城区) and the 交通 group (西城区) — a
measure tree with indicators, the five lists and a year of tasks, some overdue. Built once per package."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from dualcarbon.programme import services
from dualcarbon.programme.models import Group, GroupMembership, Indicator, IndicatorTarget, Measure, Programme, Task
from dualcarbon.registry import services as registry
from dualcarbon.registry.models import Membership, Organisation
from tests.factories import PASSWORD, build_world
from tests.web.helpers import data_for_the_module

TODAY = datetime.date.today()


def at(day: str) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.fromisoformat(day + "T10:00:00"))


@dataclass
class ProgrammeWorld:
    world: Any
    programme: Programme
    groups: dict[str, Group]
    users: dict[str, Any]
    measures: dict[str, Measure]
    entries: dict[str, Any] = field(default_factory=dict)
    tasks: dict[str, Task] = field(default_factory=dict)


def build(world: Any = None) -> ProgrammeWorld:
    """The programme on ``world`` (default: a new build_world())."""
    world = world or build_world()
    users = dict(world.users)
    city = world.city
    p = Programme.objects.create(
        region=city, name_zh="示范市双碳示范城建设", name_en="Demo City programme", start_year=2024, end_year=2026
    )
    spec = [
        ("leading", Group.Kind.LEADING, "领导小组", "Leading group", "市委、市政府"),
        ("working", Group.Kind.WORKING, "工作专班", "Working group", "市发展和改革委员会"),
        ("industry", Group.Kind.SPECIAL, "工业", "Industry", "市经济和信息化局"),
        ("transport", Group.Kind.SPECIAL, "交通", "Transport", "市交通运输局"),
    ]
    groups = {
        code: Group.objects.create(
            programme=p,
            code=code,
            kind=kind,
            name_zh=zh,
            name_en=en,
            lead_department=dept,
            member_departments="市财政局\n市生态环境局",
            order=i,
        )
        for i, (code, kind, zh, en, dept) in enumerate(spec)
    }
    groups["industry"].localities.set([world.district_a])
    groups["transport"].localities.set([world.district_b])
    jx = Organisation.objects.create(kind="government", name="示范市经济和信息化局", region=city)
    jt = Organisation.objects.create(kind="government", name="示范市交通运输局", region=city)
    users["industry"] = registry.create_user("industry", PASSWORD, jx, Membership.Role.GOVERNMENT_STAFF)
    users["transport"] = registry.create_user("transport", PASSWORD, jt, Membership.Role.GOVERNMENT_STAFF)
    GroupMembership.objects.create(group=groups["leading"], user=users["gov"], role=GroupMembership.Role.LEAD)
    GroupMembership.objects.create(group=groups["industry"], user=users["industry"], role=GroupMembership.Role.LEAD)
    GroupMembership.objects.create(group=groups["transport"], user=users["transport"], role=GroupMembership.Role.LEAD)
    wj = Measure.objects.create(programme=p, code="五降", name_zh="五个领域降碳", name_en="Five sectors", order=4)
    measures = {
        "一协": Measure.objects.create(
            programme=p, code="一协", name_zh="减污降碳协同", name_en="Pollution and carbon", order=3
        ),
        "五降": wj,
        "五降-1": Measure.objects.create(
            programme=p,
            parent=wj,
            code="五降-1",
            name_zh="制造业降碳",
            name_en="Manufacturing",
            group=groups["industry"],
            order=5,
        ),
        "五降-2": Measure.objects.create(
            programme=p,
            parent=wj,
            code="五降-2",
            name_zh="交通降碳",
            name_en="Transport",
            group=groups["transport"],
            order=6,
        ),
    }
    pm25 = Indicator.objects.create(
        measure=measures["一协"],
        code="pm25",
        name_zh="PM2.5 年均浓度",
        name_en="PM2.5",
        unit="µg/m³",
        source=Indicator.Source.STATISTICS,
        higher_is_better=False,
    )
    Indicator.objects.create(
        measure=measures["一协"],
        code="good_air",
        name_zh="空气质量优良天数比例",
        unit="%",
        source=Indicator.Source.STATISTICS,
    )
    total = Indicator.objects.create(
        measure=measures["五降"],
        code="total",
        name_zh="规上企业碳排放总量",
        unit="tCO2e",
        source=Indicator.Source.ACCOUNTS,
        metric="total_tco2e",
        higher_is_better=False,
    )
    IndicatorTarget.objects.create(
        indicator=pm25, year=2024, value=Decimal("30"), source="示范市“十四五”生态环境保护规划"
    )
    IndicatorTarget.objects.create(indicator=total, year=2024, value=Decimal("900000"), source="示意目标")
    pw = ProgrammeWorld(world, p, groups, users, measures)
    gov = users["gov"]
    pw.entries["fund"] = services.create_entry(
        gov,
        "fund",
        p,
        {
            "code": "F-01",
            "name_zh": "示范市绿色低碳发展基金",
            "group": "working",
            "locality": "339900",
            "source": "fund",
            "size": "500000000",
            "committed": "120000000",
            "used": "80000000",
        },
        "2024 年方案确定",
        at=at("2024-02-01"),
    )
    pw.entries["policy"] = services.create_entry(
        gov,
        "policy",
        p,
        {
            "code": "Z-01",
            "name_zh": "工业节能降碳技改奖补",
            "group": "industry",
            "locality": "339900",
            "kind": "fiscal",
            "publisher": "示范市经济和信息化局",
            "document": "示经信〔2024〕12号",
            "published_on": "2024-03-01",
        },
        "政策包建立",
        at=at("2024-03-01"),
    )
    pw.entries["p1"] = services.create_entry(
        users["industry"],
        "project",
        p,
        {
            "code": "P-01",
            "name_zh": "水泥窑协同处置与余热发电改造",
            "group": "industry",
            "locality": "339901",
            "owner": str(world.cement.pk),
            "owner_name": world.cement.name,
            "sector": "industry",
            "measures": "五降-1",
            "investment": "86000000",
            "expected_tce": "3000",
            "expected_tco2": "8100",
            "stage": "construction",
            "start_date": "2024-03-01",
            "fund_pool": "F-01",
            "policy_entry": "Z-01",
        },
        "项目入库",
        at=at("2024-03-10"),
    )
    pw.entries["p2"] = services.create_entry(
        users["transport"],
        "project",
        p,
        {
            "code": "P-02",
            "name_zh": "公交车辆电动化更新",
            "group": "transport",
            "locality": "339902",
            "owner_name": "示范市公交集团",
            "sector": "transport",
            "measures": "五降-2",
            "investment": "42000000",
            "expected_tce": "1500",
            "expected_tco2": "3300",
            "stage": "preparing",
        },
        "项目入库",
        at=at("2024-04-01"),
    )
    for code, title, group, loc, measure, start, due, progress in (
        (
            "T-01",
            "完成水泥窑余热发电并网",
            "industry",
            "339901",
            "五降-1",
            "2024-03-01",
            TODAY - datetime.timedelta(days=20),
            60,
        ),
        (
            "T-02",
            "新增新能源公交车 200 辆",
            "transport",
            "339902",
            "五降-2",
            "2024-01-01",
            TODAY + datetime.timedelta(days=90),
            40,
        ),
        (
            "T-03",
            "出台工业领域碳达峰实施方案",
            "industry",
            "339901",
            "五降-1",
            "2024-01-01",
            TODAY - datetime.timedelta(days=60),
            100,
        ),
        (
            "T-04",
            "建成公共充电桩 500 个",
            "transport",
            "339902",
            "五降-2",
            str(TODAY - datetime.timedelta(days=200)),
            TODAY + datetime.timedelta(days=10),
            30,
        ),
        (
            "T-05",
            "编制减污降碳协同增效方案",
            "working",
            "339900",
            "一协",
            "2024-01-01",
            TODAY + datetime.timedelta(days=120),
            50,
        ),
    ):
        pw.tasks[code] = Task.objects.create(
            programme=p,
            code=code,
            title_zh=title,
            group=groups[group],
            locality_id=loc,
            measure=measures[measure],
            year=TODAY.year,
            start_date=datetime.date.fromisoformat(start),
            due_date=due,
            progress=progress,
        )
    return pw


@pytest.fixture(scope="package")
def pw(django_db_setup: Any, django_db_blocker: Any) -> Iterator[ProgrammeWorld]:
    with data_for_the_module(django_db_blocker):
        yield build()

"""A deterministic fictional region, 示范市, for demonstrations and benchmarks.

Everything here is invented: the city (GB/T 2260-style code 339900 inside Zhejiang, so grid factors
resolve to Zhejiang's provincial factor), its districts, enterprises (valid USCCs with both check
characters), their monthly energy, production and value added, banks, verifiers and users.

Two layers:

* **Plans** (pure, no database): :func:`plan_enterprises`, :func:`plan_problems`,
  :func:`enterprise_months`. The same seed always gives the same region, record for record
  (:func:`data_fingerprint`).
* **Build** (:func:`build`): writes the plans with ``bulk_create`` in chunks (no per-submission
  workflow calls), runs the reporting validators only on the submissions where a problem was
  planted, and computes every account with :func:`dualcarbon.accounting.services.compute` in
  large batches (one engine run per batch), then builds the monitoring summary once
  (:func:`dualcarbon.monitoring.aggregates.rebuild`, set-based).

Deliberate problems the platform must surface: a missing month, ×3 electricity jumps, a unit slip
(the kWh meter figure typed into the 万千瓦时 column), drafts blocked by an unknown fuel, and
corrections (version 2 with a reason, version 1 still readable).

Declarations for the carbon-neutrality rate (:func:`green_plan`): about a third of the enterprises
with a factory roof run rooftop PV (reported monthly in kWh, some of it fed to the grid, part of
those certificates sold); some retire green certificates, buy green power (with its bundled
certificates), retire CCER or forestry sinks in December; a few hold certificates not yet retired.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from stdnum.cn import uscc as stdnum_uscc

SEED = 2026
PASSWORD = "Demo-2026"
DEFAULT_ENTERPRISES = 320
DEFAULT_YEARS: tuple[int, ...] = (2023, 2024, 2025)

PROVINCE_CODE = "330000"
CITY_CODE = "339900"
CITY_NAME = "示范市"
DISTRICTS: tuple[tuple[str, str], ...] = (
    ("339901", "城东区"),
    ("339902", "城西区"),
    ("339903", "临港区"),
    ("339904", "青山县"),
    ("339905", "云溪县"),
    ("339906", "白沙县"),
)
GOVERNMENT_NAME = "示范市发展和改革委员会"
DISTRICT_CODE = "339904"
DISTRICT_BUREAU_NAME = "青山县经济和信息化局"
PLATFORM_NAME = "示范市双碳平台运营中心"
BANKS: tuple[tuple[str, str], ...] = (
    ("bank", "示范农村商业银行"),
    ("bank2", "江南商业银行示范分行"),
    ("bank3", "东海绿色发展银行示范市分行"),
)
VERIFIERS: tuple[tuple[str, str], ...] = (
    ("verifier", "示范碳核查技术服务有限公司"),
    ("verifier2", "江南低碳认证中心有限公司"),
)

F, PE, XE, PH, XH, P, R = (
    "fuel_combustion",
    "purchased_electricity",
    "exported_electricity",
    "purchased_heat",
    "exported_heat",
    "process",
    "co2_recovery",
)

#: default NCV (GJ/t) of the coal items a plant may burn; quantities keep the same energy
COAL_NCV = {"原煤": 20.908, "烟煤": 23.204, "无烟煤": 24.515}
GASEOUS = {"天然气", "焦炉煤气", "高炉煤气", "转炉煤气"}

# monthly multipliers (Jan … Dec)
POWER = (1.10, 0.90, 0.94, 0.90, 0.95, 1.04, 1.18, 1.20, 1.02, 0.92, 0.94, 1.08)
CEMENT = (0.88, 0.70, 0.96, 1.06, 1.08, 0.98, 0.88, 0.86, 1.02, 1.12, 1.15, 1.05)
HEAVY = (1.00, 0.92, 1.00, 1.01, 1.02, 1.00, 0.98, 0.98, 1.01, 1.02, 1.03, 1.02)
MANUF = (0.96, 0.76, 1.02, 1.02, 1.03, 1.01, 0.99, 0.99, 1.02, 1.04, 1.06, 1.10)
FOOD = (1.12, 0.92, 0.94, 0.95, 0.97, 0.98, 1.00, 1.02, 1.06, 1.02, 1.00, 1.08)
MINING = (0.95, 0.76, 1.00, 1.04, 1.05, 1.00, 0.95, 0.95, 1.03, 1.08, 1.10, 1.06)
#: extra electricity in the hot months (air conditioning, cooling)
SUMMER = (1.0, 1.0, 1.0, 1.0, 1.0, 1.03, 1.07, 1.08, 1.03, 1.0, 1.0, 1.0)


@dataclass(frozen=True)
class Use:
    """One activity line of an archetype: ``per`` canonical units per unit of the main product.

    Canonical units: t for solid/liquid fuels and process materials, 万Nm3 for gaseous fuels,
    MWh for electricity, GJ for heat. ``item`` "COAL" lets each plant pick its coal. Uses sharing
    a ``group`` are alternatives (one is chosen per enterprise, weighted by ``share``); other uses
    are present with probability ``share``.
    """

    source_type: str
    item: str
    per: float
    share: float = 1.0
    group: str = ""
    extra: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Archetype:
    key: str
    division: str
    weight: float
    words: tuple[str, ...]
    product: str
    unit: str
    scale: tuple[float, float]
    #: value added, 万元 per unit of the main product
    va: float
    uses: tuple[Use, ...]
    season: tuple[float, ...] = MANUF
    #: district suffix ("01" … "06") → weight
    regions: tuple[tuple[str, float], ...] = (("01", 1), ("02", 1), ("05", 1), ("06", 1))
    byproducts: tuple[tuple[str, float, str], ...] = ()
    suffix: str = "有限公司"
    #: share of value added in output value
    va_rate: tuple[float, float] = (0.2, 0.32)


COAL_MEASURED = (("ncv_mode", "quarterly"),)

ARCHETYPES: tuple[Archetype, ...] = (
    Archetype(
        "coal_power", "44", 2, ("发电", "电力", "能源"), "发电量", "MWh", (90_000, 250_000), 0.010,
        (Use(F, "COAL", 0.42, extra=COAL_MEASURED), Use(F, "柴油", 0.00002), Use(PE, "电力", 0.003),
         Use(XE, "电力", 0.93)),
        POWER, (("03", 1),), (("上网电量", 0.93, "MWh"),), va_rate=(0.25, 0.3),
    ),
    Archetype(
        "coal_chp", "44", 4, ("热电", "热能"), "发电量", "MWh", (15_000, 60_000), 0.016,
        (Use(F, "COAL", 0.60, extra=COAL_MEASURED), Use(PE, "电力", 0.01), Use(XE, "电力", 0.85),
         Use(XH, "热力", 3.0)),
        POWER, (("03", 2), ("05", 1), ("06", 1)), (("供热量", 3.0, "GJ"),), va_rate=(0.22, 0.28),
    ),
    Archetype(
        "cement", "30", 6, ("水泥", "建材"), "熟料", "t", (30_000, 60_000), 0.011,
        (Use(F, "COAL", 0.14, extra=COAL_MEASURED), Use(F, "柴油", 0.0004), Use(PE, "电力", 0.060),
         Use(P, "熟料", 1.0, 0.65, "clinker"),
         Use(P, "熟料", 1.0, 0.35, "clinker", (("cao", 0.655), ("mgo", 0.022), ("cao_nc", 0.008), ("mgo_nc", 0.004)))),
        CEMENT, (("04", 3), ("06", 1)), (("水泥", 1.28, "t"),), va_rate=(0.25, 0.32),
    ),
    Archetype(
        "grinding", "30", 5, ("水泥粉磨", "建材"), "水泥", "t", (15_000, 60_000), 0.0035,
        (Use(PE, "电力", 0.034), Use(F, "柴油", 0.0002)),
        CEMENT, (("04", 2), ("06", 1), ("02", 1)),
    ),
    Archetype(
        "glass", "30", 3, ("玻璃", "玻璃制品"), "平板玻璃", "t", (6_000, 18_000), 0.055,
        (Use(F, "天然气", 0.017), Use(F, "燃料油", 0.004, 0.4), Use(PE, "电力", 0.10), Use(P, "纯碱", 0.19),
         Use(P, "白云石", 0.17), Use(P, "石灰石", 0.05)),
        HEAVY, (("04", 2), ("03", 1)),
    ),
    Archetype(
        "ceramics", "30", 7, ("陶瓷", "瓷业"), "陶瓷砖", "t", (2_000, 12_000), 0.06,
        (Use(F, "天然气", 0.0075, 0.7, "kiln"), Use(F, "COAL", 0.30, 0.3, "kiln"), Use(PE, "电力", 0.22)),
        MANUF, (("04", 1), ("06", 2)),
    ),
    Archetype(
        "lime", "30", 3, ("石灰", "钙业"), "石灰", "t", (3_000, 15_000), 0.012,
        (Use(F, "COAL", 0.17), Use(PE, "电力", 0.035), Use(P, "石灰", 1.0)),
        HEAVY, (("04", 1),),
    ),
    Archetype(
        "concrete", "30", 9, ("商品混凝土", "新型建材"), "商品混凝土", "m3", (1_500, 60_000), 0.0045,
        (Use(PE, "电力", 0.0025), Use(F, "柴油", 0.0009)),
        CEMENT, (("01", 1), ("02", 1), ("04", 1), ("05", 1), ("06", 1)),
    ),
    Archetype(
        "steel", "31", 1, ("钢铁", "特钢"), "粗钢", "t", (120_000, 280_000), 0.055,
        (Use(F, "焦炭", 0.33), Use(F, "烟煤", 0.13, extra=COAL_MEASURED), Use(F, "高炉煤气", 0.028),
         Use(F, "转炉煤气", 0.006, 0.5), Use(F, "天然气", 0.0004), Use(PE, "电力", 0.21), Use(P, "石灰石", 0.085),
         Use(P, "白云石", 0.032)),
        HEAVY, (("03", 1),), (("生铁", 0.92, "t"), ("钢材", 0.95, "t")), "股份有限公司", (0.12, 0.18),
    ),
    Archetype(
        "eaf", "31", 3, ("电炉炼钢", "特钢", "合金钢"), "粗钢", "t", (15_000, 50_000), 0.05,
        (Use(PE, "电力", 0.42), Use(F, "天然气", 0.0012), Use(P, "石灰石", 0.04),
         Use(P, "石墨电极", 0.0018, extra=(("factor", 3.663), ("factor_unit", "tCO2/t"), ("param_basis", "declared")))),
        HEAVY, (("03", 2), ("02", 1)), va_rate=(0.12, 0.18),
    ),
    Archetype(
        "rolling", "31", 5, ("钢材", "金属材料", "钢管"), "钢材", "t", (20_000, 90_000), 0.018,
        (Use(F, "天然气", 0.0036), Use(PE, "电力", 0.095)),
        HEAVY, (("03", 1), ("02", 1)), va_rate=(0.1, 0.15),
    ),
    Archetype(
        "aluminium", "32", 1, ("铝业", "电解铝"), "电解铝", "t", (8_000, 22_000), 0.34,
        (Use(PE, "电力", 13.4), Use(P, "电解铝预焙阳极", 1.0), Use(F, "天然气", 0.0006)),
        HEAVY, (("03", 1),), (("铝锭", 0.98, "t"),), va_rate=(0.15, 0.2),
    ),
    Archetype(
        "nonferrous", "32", 5, ("铜业", "铝材", "有色金属"), "铜铝材", "t", (1_000, 8_000), 0.25,
        (Use(PE, "电力", 0.55), Use(F, "天然气", 0.006)),
        HEAVY, (("02", 1), ("03", 1), ("05", 1)), va_rate=(0.1, 0.16),
    ),
    Archetype(
        "chlor_alkali", "26", 2, ("氯碱化工", "化工"), "烧碱", "t", (8_000, 30_000), 0.08,
        (Use(PE, "电力", 2.35), Use(F, "COAL", 0.25, 0.5, "steam", COAL_MEASURED), Use(PH, "蒸汽", 2.5, 0.5, "steam")),
        HEAVY, (("03", 1),), (("液氯", 0.88, "t"),),
    ),
    Archetype(
        "ammonia", "26", 2, ("化肥", "煤化工"), "合成氨", "t", (10_000, 30_000), 0.06,
        (Use(F, "COAL", 1.45, extra=COAL_MEASURED), Use(PE, "电力", 1.05),
         Use(R, "二氧化碳", 0.75, extra=(("purity", 0.985),))),
        HEAVY, (("03", 1), ("05", 1)), (("尿素", 1.5, "t"),),
    ),
    Archetype(
        "fine_chem", "26", 13, ("化工", "新材料", "精细化工", "涂料"), "化工产品", "t", (60, 8_000), 0.2,
        (Use(PE, "电力", 0.30), Use(F, "天然气", 0.006), Use(PH, "蒸汽", 2.0, 0.6), Use(F, "COAL", 0.2, 0.2),
         Use(F, "柴油", 0.0005)),
        HEAVY, (("03", 3), ("05", 1)),
    ),
    Archetype(
        "coking", "25", 2, ("焦化", "煤化"), "焦炭", "t", (30_000, 90_000), 0.035,
        (Use(F, "焦炉煤气", 0.019), Use(PE, "电力", 0.032), Use(F, "柴油", 0.0003)),
        HEAVY, (("03", 1),), (("焦油", 0.035, "t"), ("粗苯", 0.011, "t")), va_rate=(0.1, 0.15),
    ),
    Archetype(
        "refinery", "25", 1, ("石化", "炼化"), "原油加工量", "t", (150_000, 400_000), 0.045,
        (Use(F, "炼厂干气", 0.022), Use(F, "燃料油", 0.004), Use(F, "石油焦", 0.009), Use(F, "天然气", 0.0012),
         Use(PE, "电力", 0.055)),
        HEAVY, (("03", 1),), (("成品油", 0.86, "t"),), "股份有限公司", (0.1, 0.14),
    ),
    Archetype(
        "paper", "22", 6, ("纸业", "造纸"), "纸及纸板", "t", (4_000, 30_000), 0.09,
        (Use(F, "COAL", 0.32, 0.6, "boiler", COAL_MEASURED), Use(F, "天然气", 0.028, 0.4, "boiler"),
         Use(PE, "电力", 0.55)),
        HEAVY, (("05", 3), ("06", 1)),
    ),
    Archetype(
        "coal_mine", "06", 1, ("煤业", "矿业"), "原煤产量", "t", (40_000, 150_000), 0.02,
        (Use(PE, "电力", 0.022), Use(F, "柴油", 0.0004),
         Use(P, "矿井瓦斯逸散", 1.0,
             extra=(("gas", "CH4"), ("factor", 0.0022), ("factor_unit", "t/t"), ("param_basis", "declared")))),
        MINING, (("04", 1),),
    ),
    Archetype(
        "iron_mine", "08", 1, ("铁矿", "矿业"), "铁精粉", "t", (20_000, 80_000), 0.03,
        (Use(PE, "电力", 0.045), Use(F, "柴油", 0.0015)),
        MINING, (("04", 1),),
    ),
    Archetype(
        "quarry", "10", 5, ("矿业", "石料", "建材矿业"), "建筑石料", "t", (50_000, 300_000), 0.0025,
        (Use(PE, "电力", 0.003), Use(F, "柴油", 0.00035)),
        MINING, (("04", 3), ("06", 1)),
    ),
    Archetype(
        "dyeing", "17", 12, ("印染", "纺织"), "印染布", "t", (60, 3_000), 0.35,
        (Use(PH, "蒸汽", 22, 0.8, "heat"), Use(F, "COAL", 1.3, 0.2, "heat"), Use(PE, "电力", 1.1),
         Use(F, "天然气", 0.008, 0.6)),
        MANUF, (("05", 3), ("06", 1)),
    ),
    Archetype(
        "spinning", "17", 10, ("纺织", "织造", "纱线"), "纱线及坯布", "t", (60, 4_000), 0.28,
        (Use(PE, "电力", 2.6), Use(F, "天然气", 0.002, 0.5)),
        MANUF, (("05", 2), ("06", 1), ("02", 1)),
    ),
    Archetype(
        "fibre", "28", 5, ("化纤", "新材料"), "涤纶长丝", "t", (5_000, 40_000), 0.07,
        (Use(PE, "电力", 0.33), Use(PH, "蒸汽", 1.6, 0.7), Use(F, "天然气", 0.004)),
        HEAVY, (("05", 2), ("03", 1)),
    ),
    Archetype(
        "food_processing", "13", 8, ("食品", "粮油", "农产品", "饲料"), "农副食品", "t", (200, 20_000), 0.05,
        (Use(PE, "电力", 0.07), Use(F, "天然气", 0.0025, 0.7), Use(PH, "蒸汽", 0.6, 0.3), Use(F, "柴油", 0.0004)),
        FOOD, (("06", 3), ("01", 1)),
    ),
    Archetype(
        "food_mfg", "14", 6, ("食品", "乳业", "饮品"), "食品", "t", (40, 6_000), 0.15,
        (Use(PE, "电力", 0.22), Use(F, "天然气", 0.006), Use(F, "柴油", 0.0005), Use(F, "液化石油气", 0.001, 0.2)),
        FOOD, (("06", 2), ("01", 1)),
    ),
    Archetype(
        "general_machinery", "34", 12, ("机械", "泵业", "阀门", "机电"), "通用设备", "台", (8, 2_000), 0.6,
        (Use(PE, "电力", 0.4), Use(F, "天然气", 0.004, 0.6), Use(F, "柴油", 0.003)),
        MANUF, (("01", 1), ("02", 2), ("06", 1)),
    ),
    Archetype(
        "special_machinery", "35", 8, ("装备", "智能装备", "重工"), "专用设备", "台", (3, 600), 1.8,
        (Use(PE, "电力", 1.0), Use(F, "天然气", 0.01, 0.5), Use(F, "柴油", 0.006)),
        MANUF, (("02", 2), ("01", 1)),
    ),
    Archetype(
        "auto_parts", "36", 6, ("汽车零部件", "汽配"), "汽车零部件", "万件", (1, 200), 12.0,
        (Use(PE, "电力", 8.0), Use(F, "天然气", 0.08)),
        MANUF, (("02", 2), ("01", 1)),
    ),
    Archetype(
        "electrical", "38", 8, ("电气", "电机", "电器"), "电气设备", "台", (20, 8_000), 0.25,
        (Use(PE, "电力", 0.15), Use(F, "天然气", 0.0015, 0.4)),
        MANUF, (("01", 1), ("02", 1)),
    ),
    Archetype(
        "electronics", "39", 10, ("电子", "微电子", "光电科技", "智能科技"), "电子元器件", "万只", (3, 3_000), 0.6,
        (Use(PE, "电力", 0.5), Use(F, "天然气", 0.001, 0.3)),
        MANUF, (("01", 3), ("02", 1)),
    ),
    Archetype(
        "plastics", "29", 8, ("塑业", "橡胶", "塑胶"), "塑料制品", "t", (15, 3_000), 0.35,
        (Use(PE, "电力", 0.75), Use(F, "天然气", 0.002, 0.4), Use(PH, "蒸汽", 0.5, 0.2)),
        MANUF, (("02", 1), ("05", 1), ("06", 1)),
    ),
    Archetype(
        "metal_products", "33", 8, ("五金", "金属制品", "紧固件"), "金属制品", "t", (15, 4_000), 0.25,
        (Use(PE, "电力", 0.45), Use(F, "天然气", 0.004, 0.6), Use(F, "液化石油气", 0.0008, 0.2),
         Use(F, "柴油", 0.0005)),
        MANUF, (("02", 2), ("06", 1)),
    ),
    Archetype(
        "pharma", "27", 4, ("药业", "生物医药", "制药"), "原料药及制剂", "t", (2, 800), 4.0,
        (Use(PE, "电力", 2.2), Use(PH, "蒸汽", 30, 0.7), Use(F, "天然气", 0.03)),
        MANUF, (("01", 2), ("05", 1)), va_rate=(0.3, 0.4),
    ),
)  # fmt: skip
BY_KEY = {a.key: a for a in ARCHETYPES}
#: the archetypes a small region gets first (one each), before the rest is shared out by weight
PRIORITY = (
    "cement", "coal_power", "general_machinery", "steel", "dyeing", "fine_chem", "paper", "aluminium",
    "ceramics", "electronics", "coking", "food_processing", "quarry", "spinning", "glass", "eaf", "fibre",
    "metal_products", "auto_parts", "coal_chp", "chlor_alkali", "ammonia", "refinery", "lime", "grinding",
    "concrete", "rolling", "nonferrous", "coal_mine", "iron_mine", "food_mfg", "special_machinery",
    "electrical", "plastics", "pharma",
)  # fmt: skip

BRAND_A = "恒华东金永鼎瑞新天盛立嘉春青万博明汇安中宏国德正泰兴建昌福康荣"
BRAND_B = "信瑞升禾泰力丰和源新晖峰隆远通澜盈达昌诚航宇祥辉茂益邦顺捷晟"


@dataclass(frozen=True)
class EnterprisePlan:
    index: int
    username: str
    name: str
    uscc: str
    archetype: str
    division: str
    region_code: str
    size_class: str
    above_scale: bool
    scale: float
    growth: float
    efficiency: float
    va_rate: float
    uses: tuple[Use, ...]
    coal_item: str
    elec_unit: str
    gas_unit: str
    channel: str
    coal_mode: str
    declared_ncv: float | None


@dataclass(frozen=True)
class Version:
    """One version of one month as the enterprise reported it."""

    version: int
    status: str  # "submitted" | "draft" (verified/locked are applied at build time)
    is_current: bool
    reason: str
    activities: tuple[dict[str, Any], ...]
    production: tuple[dict[str, Any], ...]
    economic: dict[str, Any]
    submitted_at: datetime.datetime | None
    flags: tuple[str, ...] = ()
    #: own zero-carbon generation and offsets declared in this version (the same in a correction)
    generation: tuple[dict[str, Any], ...] = ()
    offsets: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Month:
    year: int
    month: int
    versions: tuple[Version, ...]


@dataclass
class ProblemPlan:
    """(enterprise index, year, month) of each deliberate problem."""

    missing: list[tuple[int, int, int]] = field(default_factory=list)
    jumps: list[tuple[int, int, int]] = field(default_factory=list)
    unit_slips: list[tuple[int, int, int]] = field(default_factory=list)
    drafts: list[tuple[int, int, int]] = field(default_factory=list)
    corrections: list[tuple[int, int, int]] = field(default_factory=list)
    #: not a problem: enterprises (the showcase logins) sure to declare PV and certificates
    green: list[int] = field(default_factory=list)

    def kinds(self, index: int, year: int, month: int) -> list[str]:
        key = (index, year, month)
        return [
            name for name in ("missing", "jumps", "unit_slips", "drafts", "corrections") if key in getattr(self, name)
        ]


# ------------------------------------------------------------------------------------------------
# plans (pure)


def _org_code(body: str) -> str:
    """GB 11714 organisation code: 8 characters and their check character."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, weights, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def make_uscc(region_code: str, rng: random.Random) -> str:
    """A USCC for an enterprise registered with the market regulator (91…), both check characters valid."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "MA" + "".join(rng.choice(alphabet) for _ in range(6))
    head = "91" + region_code + _org_code(body)
    code = head + stdnum_uscc.calc_check_digit(head)
    stdnum_uscc.validate(code)
    return code


def _allocate(n: int) -> list[str]:
    """Archetype of each of n enterprises: one of each in PRIORITY order, the rest by weight."""
    counts = {a.key: 0 for a in ARCHETYPES}
    for key in PRIORITY[: min(n, len(PRIORITY))]:
        counts[key] += 1
    rest = n - sum(counts.values())
    if rest > 0:
        total = sum(a.weight for a in ARCHETYPES)
        shares = [(a.key, rest * a.weight / total) for a in ARCHETYPES]
        for key, share in shares:
            counts[key] += int(share)
        left = n - sum(counts.values())
        for key, _share in sorted(shares, key=lambda s: (-(s[1] - int(s[1])), PRIORITY.index(s[0])))[:left]:
            counts[key] += 1
    return [a.key for a in ARCHETYPES for _ in range(counts[a.key])]


def _size(annual_revenue: float) -> str:
    """GB size class of an industrial enterprise by annual revenue (万元; 国统字〔2017〕213号)."""
    if annual_revenue >= 40_000:
        return "large"
    if annual_revenue >= 2_000:
        return "medium"
    if annual_revenue >= 300:
        return "small"
    return "micro"


def _choose_uses(arch: Archetype, rng: random.Random) -> tuple[Use, ...]:
    chosen: list[Use] = []
    groups: dict[str, list[Use]] = {}
    for u in arch.uses:
        if u.group:
            groups.setdefault(u.group, []).append(u)
        elif u.share >= 1 or rng.random() < u.share:
            chosen.append(u)
    for options in groups.values():
        chosen.append(rng.choices(options, weights=[u.share for u in options])[0])
    order = {id(u): i for i, u in enumerate(arch.uses)}
    uses = tuple(sorted(chosen, key=lambda u: order[id(u)]))
    if not any(u.source_type == PE for u in uses):  # everyone buys some electricity
        uses = (*uses, Use(PE, "电力", 0.01))
    return uses


def plan_enterprises(n: int = DEFAULT_ENTERPRISES, seed: int = SEED) -> list[EnterprisePlan]:
    """Who is in the region: archetype, name, USCC, district, size and reporting habits (no database)."""
    rng = random.Random(f"{seed}:plan")
    keys = _allocate(n)
    rng.shuffle(keys)
    used_names: set[str] = set()
    used_usccs: set[str] = set()
    plans: list[EnterprisePlan] = []
    for i, key in enumerate(keys, start=1):
        arch = BY_KEY[key]
        er = random.Random(f"{seed}:ent:{i}")
        suffixes = [s for s, _w in arch.regions]
        region = CITY_CODE[:4] + er.choices(suffixes, weights=[w for _s, w in arch.regions])[0]
        name = ""
        for attempt in range(200):
            brand = er.choice(BRAND_A) + er.choice(BRAND_B)
            word = er.choice(arch.words)
            extra = "" if attempt < 50 else "第二"
            candidate = f"示范{brand}{word}{extra}{arch.suffix}"
            if candidate not in used_names:
                name = candidate
                break
        if not name:
            name = f"示范{arch.words[0]}{i:05d}{arch.suffix}"
        used_names.add(name)
        uscc = make_uscc(region, er)
        while uscc in used_usccs:
            uscc = make_uscc(region, er)
        used_usccs.add(uscc)
        lo, hi = arch.scale
        scale = math.exp(er.uniform(math.log(lo), math.log(hi)))
        va_rate = er.uniform(*arch.va_rate)
        revenue = scale * arch.va * 12 / va_rate
        size = _size(revenue)
        r = er.random()
        growth = (
            er.uniform(-0.12, -0.03) if r < 0.25 else er.uniform(-0.02, 0.03) if r < 0.65 else er.uniform(0.04, 0.15)
        )
        big = size == "large"
        uses = _choose_uses(arch, er)
        coal_item = er.choices(list(COAL_NCV), weights=[6, 3, 1])[0]
        coal_mode = "quarterly" if big else er.choices(["declared", "default"], weights=[3, 7])[0]
        plans.append(
            EnterprisePlan(
                index=i,
                username=f"ent{i:03d}",
                name=name,
                uscc=uscc,
                archetype=key,
                division=arch.division,
                region_code=region,
                size_class=size,
                above_scale=revenue >= 2_000,
                scale=scale,
                growth=growth,
                efficiency=er.uniform(-0.04, 0.0),
                va_rate=va_rate,
                uses=uses,
                coal_item=coal_item,
                elec_unit=er.choice(["MWh", "万千瓦时"]) if big else er.choice(["MWh", "万千瓦时", "kWh", "kWh"]),
                gas_unit="万Nm3" if big else er.choice(["万立方米", "万Nm3", "立方米"]),
                channel="api" if big else er.choice(["excel", "excel", "web"]) if size == "medium" else "web",
                coal_mode=coal_mode,
                declared_ncv=round(COAL_NCV[coal_item] * er.uniform(0.95, 1.04), 2)
                if coal_mode == "declared"
                else None,
            )
        )
    return plans


def region_divisions(plans: Sequence[EnterprisePlan]) -> list[str]:
    return sorted({p.division for p in plans})


def showcase(plans: Sequence[EnterprisePlan]) -> list[EnterprisePlan]:
    """The enterprises behind the memorable logins ent1, ent2, ent3."""
    out: list[EnterprisePlan] = []
    for key in ("cement", "coal_power", "general_machinery"):
        hit = next((p for p in plans if p.archetype == key and p not in out), None)
        if hit is not None:
            out.append(hit)
    for p in plans:  # tiny regions: fill up with whoever is there
        if len(out) >= min(3, len(plans)):
            break
        if p not in out:
            out.append(p)
    return out


def plan_problems(plans: Sequence[EnterprisePlan], months: Sequence[tuple[int, int]], seed: int = SEED) -> ProblemPlan:
    """Deliberate data problems; their number does not grow with the region (validation is per submission)."""
    rng = random.Random(f"{seed}:problems")
    pp = ProblemPlan()
    if not plans or len(months) < 3:
        return pp
    shows = showcase(plans)
    pool = [p for p in plans if p not in shows]
    rng.shuffle(pool)
    ordered = pool
    years = sorted({y for y, _m in months})
    last_y, last_m = months[-1]

    def take(k: int) -> list[EnterprisePlan]:
        picked = ordered[:k]
        del ordered[:k]
        return picked

    def mid_month(year: int) -> tuple[int, int]:
        ms = [m for y, m in months if y == year and 3 <= m <= 10]
        return year, rng.choice(ms) if ms else months[len(months) // 2][1]

    ent1, ent2, ent3 = (shows[i] if i < len(shows) else None for i in range(3))
    pp.green = [p.index for p in (ent1, ent3) if p is not None]
    # ent1 (cement): a correction; ent2 (power): an electricity jump; ent3 (small firm): missing month + draft
    if ent1:
        pp.corrections.append((ent1.index, *mid_month(years[-1])))
    if ent2:
        pp.jumps.append((ent2.index, *mid_month(years[-1])))
    if ent3:
        pp.missing.append((ent3.index, *mid_month(years[-1])))
        pp.drafts.append((ent3.index, last_y, last_m))
    for p in take(3):
        pp.corrections.append((p.index, *mid_month(rng.choice(years))))
    for p in take(3):
        pp.jumps.append((p.index, *mid_month(rng.choice(years))))
    for p in take(2):
        pp.missing.append((p.index, *mid_month(rng.choice(years))))
    for p in take(2):
        pp.drafts.append((p.index, last_y, last_m))
    for i, p in enumerate(take(2)):  # the first slip is corrected later, the second is left for the platform to flag
        slip = (p.index, *mid_month(years[-1]))
        pp.unit_slips.append(slip)
        if i == 0:
            pp.corrections.append(slip)
    # never two problems that need the same month to exist and not exist
    pp.missing = [m for m in pp.missing if m not in set(pp.jumps + pp.unit_slips + pp.corrections + pp.drafts)]
    return pp


def months_of(years: Sequence[int]) -> list[tuple[int, int]]:
    return [(y, m) for y in sorted(years) for m in range(1, 13)]


def _round(x: float) -> Decimal:
    d = 4 if x < 1 else 3 if x < 100 else 2 if x < 10_000 else 1 if x < 1_000_000 else 0
    return Decimal(str(round(x, d)))


def _report_unit(plan: EnterprisePlan, use: Use, item: str, qty: float) -> tuple[str, float]:
    """The unit this enterprise reports the line in, and the quantity in that unit."""
    if use.source_type in (PE, XE):
        return plan.elec_unit, qty * {"MWh": 1.0, "万千瓦时": 0.1, "kWh": 1000.0}[plan.elec_unit]
    if use.source_type in (PH, XH):
        return "GJ", qty
    if item in GASEOUS:
        unit = "万Nm3" if item != "天然气" else plan.gas_unit
        return unit, qty * (10_000.0 if unit == "立方米" else 1.0)
    return "t", qty


def _activity(plan: EnterprisePlan, use: Use, level: float, rng: random.Random, month: int, t: int) -> dict[str, Any]:
    item = plan.coal_item if use.item == "COAL" else use.item
    per = use.per * (COAL_NCV["原煤"] / COAL_NCV[item] if use.item == "COAL" else 1.0)
    intensity = per * (1 + plan.efficiency) ** (t / 12)
    if use.source_type == PE and BY_KEY[plan.archetype].season is MANUF:
        intensity *= SUMMER[month - 1]
    qty = level * intensity * rng.gauss(1.0, 0.025)
    if use.source_type in (P, R, XE, XH):  # tied to output, not an efficiency
        qty = level * per * rng.gauss(1.0, 0.01)
    unit, value = _report_unit(plan, use, item, max(qty, 0.0))
    rec: dict[str, Any] = {"source_type": use.source_type, "item": item, "quantity": _round(value), "unit": unit}
    extra = dict(use.extra)
    mode = extra.pop("ncv_mode", None)
    if item in COAL_NCV:
        if mode == "quarterly" and plan.coal_mode == "quarterly" and month % 3 == 0:
            rec.update(ncv=_round(COAL_NCV[item] * rng.uniform(0.95, 1.05)), ncv_unit="GJ/t", param_basis="measured")
        elif plan.coal_mode == "declared" and plan.declared_ncv:
            rec.update(ncv=Decimal(str(plan.declared_ncv)), ncv_unit="GJ/t", param_basis="declared")
    for k, v in extra.items():
        rec[k] = Decimal(str(v)) if isinstance(v, float) else v
    return rec


# ------------------------------------------------------------------------------------------------
# own zero-carbon generation and offsets (pure)

#: rooftop PV yield in Zhejiang, kWh per kWp in each month (about 1,065 a year, most in summer)
PV_YIELD = (62, 65, 80, 92, 105, 100, 125, 122, 98, 88, 68, 60)
#: no factory roof to speak of (or a power plant): no rooftop PV
NO_ROOF = frozenset({"coal_power", "coal_chp", "coal_mine", "iron_mine", "quarry"})
#: electricity-intensive: candidates for green-power trades
POWER_HUNGRY = frozenset({"aluminium", "eaf", "electronics", "chlor_alkali", "fibre", "nonferrous"})
MAX_ROOF_KWP = 8_000.0


@dataclass(frozen=True)
class GreenPlan:
    """What one enterprise declares for its neutrality rate (0: nothing of that kind)."""

    pv_kwp: float = 0.0
    fed_share: float = 0.0
    sells_fed_certificates: bool = False
    gec_share: float = 0.0
    gec_held: bool = False
    trade_share: float = 0.0
    ccer_share: float = 0.0
    forestry_t: float = 0.0
    forestry_own: bool = False


def _annual_mwh(plan: EnterprisePlan) -> float:
    """The enterprise's purchased electricity in a year at its base scale (MWh)."""
    return 12.0 * plan.scale * sum(u.per for u in plan.uses if u.source_type == PE)


def green_plan(plan: EnterprisePlan, seed: int = SEED, featured: bool = False) -> GreenPlan:
    """Deterministic per enterprise (its own random stream: the activity data are not disturbed)."""
    rng = random.Random(f"{seed}:green:{plan.index}")
    annual = _annual_mwh(plan)
    if annual <= 0:
        return GreenPlan()
    roof = plan.archetype not in NO_ROOF
    pv = roof and (featured or rng.random() < 0.33)
    kwp = 0.0
    fed, sells = 0.0, False
    if pv:
        share = rng.uniform(0.03, 0.15)  # of the electricity it buys
        kwp = min(max(share * annual * 1000 / sum(PV_YIELD), 100.0), MAX_ROOF_KWP)
        fed = 0.0 if rng.random() < 0.4 else rng.uniform(0.05, 0.3)
        sells = fed > 0 and rng.random() < 0.5
    gec = rng.uniform(0.05, 0.2) if featured or rng.random() < 0.12 else 0.0
    held = gec > 0 and not featured and rng.random() < 0.2
    trade = rng.uniform(0.1, 0.3) if plan.archetype in POWER_HUNGRY and rng.random() < 0.35 else 0.0
    ccer = rng.uniform(0.01, 0.04) if featured or rng.random() < 0.05 else 0.0
    forestry = rng.uniform(50, 600) if rng.random() < 0.03 else 0.0
    return GreenPlan(
        round(kwp, 1), round(fed, 3), sells, round(gec, 3), held, round(trade, 3), round(ccer, 3),
        round(forestry), rng.random() < 0.5,
    )  # fmt: skip


#: of the other enterprises buying electricity, the probability of buying some green power (绿电) too
GREEN_POWER_P = 0.12


def green_power_share(plan: EnterprisePlan, gp: GreenPlan, seed: int = SEED, featured: bool = False) -> float:
    """The share of its purchased electricity an enterprise buys as 绿电 (market-traded non-fossil power).

    An enterprise declaring a green-power trade (``gp.trade_share``) buys that share every month; the
    showcase logins and about one in eight of the others buying electricity buy some too, so about 15 %
    report a 绿电 line. Its own random stream: the other records are not disturbed.
    """
    if not any(u.source_type == PE for u in plan.uses):
        return 0.0
    if gp.trade_share:
        return gp.trade_share
    rng = random.Random(f"{seed}:green-power:{plan.index}")
    if featured or rng.random() < GREEN_POWER_P:
        return round(rng.uniform(0.1, 0.4), 3)
    return 0.0


def _split_green_power(acts: list[dict[str, Any]], share: float) -> None:
    """Move ``share`` of the first purchased-electricity line to a 绿电 line right after it (same unit).

    The two quantities add up exactly to the original one, so the location-based account (which prices
    绿电 at the grid factor like any purchase) is the same as without the split.
    """
    i = next((k for k, a in enumerate(acts) if a["source_type"] == PE), None)
    if i is None or share <= 0:
        return
    whole = acts[i]["quantity"]
    green = _round(float(whole) * share)
    if not 0 < green < whole:
        return
    acts[i]["quantity"] = whole - green
    acts.insert(i + 1, {"source_type": PE, "item": "绿电", "quantity": green, "unit": acts[i]["unit"]})


def green_month(
    plan: EnterprisePlan, gp: GreenPlan, year: int, month: int, rng: random.Random
) -> tuple[tuple[dict[str, Any], ...], tuple[dict[str, Any], ...]]:
    """The month's generation lines (kWh, as the meter reads) and offsets (retired in December)."""
    generation: list[dict[str, Any]] = []
    if gp.pv_kwp:
        kwh = gp.pv_kwp * PV_YIELD[month - 1] * rng.gauss(1.0, 0.06)
        ref = f"屋顶光伏 {gp.pv_kwp:,.0f} kWp"
        generation.append(
            {"technology": "pv", "use": "self_consumed", "quantity": _round(kwh * (1 - gp.fed_share)), "unit": "kWh",
             "certificates_transferred": None, "reference": ref}
        )  # fmt: skip
        if gp.fed_share:
            fed = _round(kwh * gp.fed_share)
            generation.append(
                {"technology": "pv", "use": "fed_in", "quantity": fed, "unit": "kWh",
                 "certificates_transferred": fed if gp.sells_fed_certificates else None, "reference": ref}
            )  # fmt: skip
    offsets: list[dict[str, Any]] = []
    if month == 12:
        annual = _annual_mwh(plan)
        tag = plan.uscc[-8:]
        if gp.gec_share:
            status = "held" if gp.gec_held else "retired"
            offsets.append(
                {"kind": "gec", "quantity": _round(annual * gp.gec_share), "unit": "MWh", "origin": "purchased",
                 "status": status, "reference": f"GEC-{year}-{tag}"}
            )  # fmt: skip
        if gp.trade_share:
            mwh = _round(annual * gp.trade_share)
            offsets.append(
                {"kind": "green_trade", "quantity": mwh, "unit": "MWh", "origin": "purchased", "status": "retired",
                 "reference": f"浙电交易-绿电-{year}-{tag}"}
            )  # fmt: skip
            offsets.append(  # the certificates that came with the trade: declared, counted once (with the trade)
                {"kind": "gec", "quantity": mwh, "unit": "MWh", "origin": "green_trade", "status": "retired",
                 "reference": f"GEC-绿电-{year}-{tag}"}
            )  # fmt: skip
        if gp.ccer_share:
            offsets.append(
                {"kind": "ccer", "quantity": _round(annual * 0.53 * gp.ccer_share), "unit": "tCO2e",
                 "origin": "purchased", "status": "retired", "reference": f"CCER-{year}-{tag}"}
            )  # fmt: skip
        if gp.forestry_t:
            offsets.append(
                {"kind": "forestry", "quantity": Decimal(str(gp.forestry_t)), "unit": "tCO2e",
                 "origin": "own_project" if gp.forestry_own else "purchased", "status": "retired",
                 "reference": f"示范市林业碳汇-{year}-{tag}"}
            )  # fmt: skip
    return tuple(generation), tuple(offsets)


#: the scopes of the demo's consents, in turn (docs/finance.md)
#: the scope of each bank's consents in turn (docs/finance.md § Scope enforcement): the first names every item (the
#: first bank's first showcase enterprise: its account, grade and credit report), then narrower ones
CONSENT_SCOPES = (
    "accounts,credit_report,summary,grade,certification",
    "accounts,summary,grade",
    "summary,grade,credit_report",
    "credit_report,summary",
)


def _credit_reports(users: dict[str, Any]) -> int:
    """Each bank generates the credit report of its first enterprise whose active consent names the credit report,
    through the finance service (its bank read log gets the row a generation writes). Returns the number made."""
    from dualcarbon.finance import credit_reports
    from dualcarbon.registry.audit import Resource, record_read_by

    made = 0
    for username, _name in BANKS:
        user = users[username]
        enterprise = credit_reports.reportable_enterprises(user).order_by("pk").first()
        if enterprise is None:
            continue
        report = credit_reports.generate(user, enterprise)
        path = f"/finance/bank/enterprises/{enterprise.pk}/credit-report/"
        record_read_by(user, enterprise, Resource.CREDIT_REPORT, report.number, path=path)
        made += 1
    return made


def _consent_requests(
    banks: Sequence[Any],
    shows: Sequence[EnterprisePlan],
    org_by_index: dict[int, Any],
    users: dict[str, Any],
    years: Sequence[int],
) -> int:
    """The demo's consent requests, through the finance services (docs/finance.md): the first bank asks ent3 (pending,
    its answer left to whoever tries the demo), the second asks ent2 (declined with a reason); ent1 narrows the first
    bank's consent by a year (a second version in its history). Returns the number of requests."""
    from django.utils import timezone

    from dualcarbon.finance import services as finance
    from dualcarbon.registry.models import Consent

    if len(shows) < 3:
        return 0
    terms: dict[str, Any] = {
        "purpose_code": "credit_assessment",
        "scopes": ["summary", "accounts", "grade"],
        "data_from": f"{years[0]}-01",
        "data_until": f"{years[-1]}-12",
        "valid_until": timezone.localdate() + datetime.timedelta(days=365),
    }
    pending = org_by_index[shows[2].index]
    finance.request_consent(
        users[BANKS[0][0]], pending.uscc, message="碳效贷授信评估，请授权查阅近三年碳账户与评级", **terms
    )
    declined = org_by_index[shows[1].index]
    ask = finance.request_consent(users[BANKS[1][0]], declined.uscc, **{**terms, "purpose_code": "disclosure"})
    finance.decline_request(users["ent2"], ask, "暂不同意用于信息披露")
    first = Consent.objects.filter(enterprise=org_by_index[shows[0].index], bank=banks[0]).first()
    shorter = first.valid_until.replace(year=first.valid_until.year - 1) if first is not None else None
    if first is not None and first.revoked_at is None and shorter and shorter >= timezone.localdate():
        finance.change_consent(users["ent1"], first, valid_until=shorter)
    return 2


#: the demo's policy package (docs/policy.md): the kinds of policy Huzhou's 工业碳效码 and Quzhou's 碳账户 tie to grades
#: (awards, differentiated electricity prices, 碳效贷 credit, energy-use quotas, inspection frequency); every amount,
#: threshold and budget here is invented for the demo and marked illustrative
DEMO_POLICIES: tuple[dict[str, Any], ...] = (
    {
        "code": "efficiency-award",
        "name_zh": "碳效提升奖励",
        "name_en": "Carbon-efficiency improvement award",
        "kind": "subsidy",
        "clause": "示例第一条",
        "rule": {
            "all": [
                {"fact": "grade", "op": "<=", "value": 2},
                {"fact": "intensity_trend", "op": "<=", "value": "-3", "unit": "%"},
            ]
        },
        "benefit_kind": "fixed",
        "benefit_amount": Decimal("100000"),
        "benefit_note": "一次性奖励",
        "budget": Decimal("3000000"),
    },
    {
        "code": "reduction-award",
        "name_zh": "减排量奖励",
        "name_en": "Award per tonne reduced",
        "kind": "subsidy",
        "clause": "示例第二条",
        "rule": {
            "all": [
                {"fact": "reduction", "op": ">=", "value": "500", "unit": "tCO2e"},
                {"fact": "data_tier", "op": "<=", "value": 2},
            ]
        },
        "benefit_kind": "per_tco2",
        "benefit_amount": Decimal("30"),
        "budget": Decimal("2000000"),
    },
    {
        "code": "differentiated-price",
        "name_zh": "高碳低效企业差别化电价",
        "name_en": "Differentiated electricity price for high-carbon, low-efficiency firms",
        "kind": "electricity",
        "clause": "示例第三条",
        "rule": {"all": [{"fact": "grade", "op": ">=", "value": 5}, {"fact": "above_scale", "op": "=", "value": True}]},
        "benefit_kind": "surcharge",
        "benefit_amount": Decimal("0.05"),
        "benefit_note": "在现行电价基础上加价",
    },
    {
        "code": "carbon-efficiency-loan",
        "name_zh": "碳效贷贴息",
        "name_en": "Carbon-efficiency loan interest subsidy",
        "kind": "credit",
        "clause": "示例第四条",
        "rule": {"all": [{"fact": "grade", "op": "<=", "value": 3}, {"fact": "above_scale", "op": "=", "value": True}]},
        "benefit_kind": "rate",
        "benefit_amount": Decimal("0.5"),
        "benefit_note": "贷款利率下浮（百分点）",
    },
    {
        "code": "energy-quota",
        "name_zh": "新增用能指标优先保障",
        "name_en": "Priority for new energy-use quota",
        "kind": "energy_quota",
        "clause": "示例第五条",
        "rule": {"any": [{"fact": "grade", "op": "<=", "value": 1}, {"fact": "level", "op": "=", "value": "low"}]},
        "benefit_kind": "none",
        "benefit_note": "新增用能指标优先安排",
    },
    {
        "code": "fewer-inspections",
        "name_zh": "降低执法检查频次",
        "name_en": "Fewer routine inspections",
        "kind": "inspection",
        "clause": "示例第六条",
        "rule": {"all": [{"fact": "grade", "op": "<=", "value": 2}, {"fact": "k", "op": "<", "value": "0.8"}]},
        "benefit_kind": "none",
        "benefit_note": "“双随机”抽查比例下调",
    },
)


def _policy_package(gov_user: Any, city: Any, years: Sequence[int]) -> int:
    """The city's demo policy package, published through the policy services, and the latest year matched."""
    from dualcarbon.policy import services as policy

    pkg = policy.create_package(
        gov_user,
        city,
        name_zh="示范市工业企业碳效码配套政策（示例）",
        name_en="Demo city: support policies tied to the carbon-efficiency code (illustrative)",
        publisher=GOVERNMENT_NAME,
        document="示例文件（政策类型参照湖州市工业碳效码、衢州市碳账户的应用场景；金额与阈值均为示意）",
        published_on=datetime.date(years[-1], 3, 1),
        note="演示数据：所有金额、阈值与预算均为虚构的示意值，不代表任何地方的实际政策。",
    )
    for spec in DEMO_POLICIES:
        policy.create_policy(
            gov_user, pkg, valid_from=datetime.date(years[-1], 1, 1), illustrative=True, rematch=False, **spec
        )
    if len(years) > 1:
        policy.match(CITY_CODE[:4], years[-2], note="示范数据 demo")
    run = policy.match(CITY_CODE[:4], years[-1], note="示范数据 demo")
    return run.n_matched + run.n_near


#: the demo's discharge right fee standard (yuan per tonne per year) with its derivation: made-up figures of the
#: fictional city, labelled as such (docs/assets.md § Fee standards: a real region enters its published standard)
DEMO_FEE_STANDARD: tuple[tuple[str, str, str], ...] = (
    ("COD", "4000", "单位治理成本 3 200 元/吨 × 调节系数 1.25（示范数据，非官方标准）"),
    ("NH3N", "5000", "单位治理成本 4 000 元/吨 × 调节系数 1.25（示范数据，非官方标准）"),
    ("SO2", "1000", "单位治理成本 800 元/吨 × 调节系数 1.25（示范数据，非官方标准）"),
    ("NOX", "1200", "单位治理成本 960 元/吨 × 调节系数 1.25（示范数据，非官方标准）"),
    ("PM", "800", "单位治理成本 640 元/吨 × 调节系数 1.25（示范数据，非官方标准）"),
    ("VOCS", "2400", "单位治理成本 1 920 元/吨 × 调节系数 1.25（示范数据，非官方标准）"),
)
#: the range of confirmed rights per factor in the demo, tonnes per year (low, high)
DEMO_RIGHTS_T: dict[str, tuple[int, int]] = {
    "COD": (5, 80), "NH3N": (1, 8), "SO2": (10, 200), "NOX": (15, 300), "PM": (5, 60), "VOCS": (2, 40),
}  # fmt: skip
DEMO_RIGHT_HOLDERS = 24


def _sandbox_drafts(gov_user: Any, city: Any, years: Sequence[int]) -> None:
    """Two what-if drafts of the city with a kept sandbox run each (docs/policy.md § Sandbox): a tighter grade-2
    threshold, and a larger budget with a looser condition for the efficiency award. Nothing adopted; illustrative."""
    from dualcarbon.policy import sandbox
    from dualcarbon.policy.models import Policy

    draft = sandbox.create_draft(
        gov_user,
        city,
        kind="scheme",
        title="示例：收紧碳效 2 级门槛（K 0.8 → 0.75）",
        changes={"grade_bounds": [0.6, 0.75, 1.2, 2.0]},
        note="演示草案：阈值为示意值",
    )
    sandbox.run(gov_user, draft, years[-1])
    award = Policy.objects.filter(package__region=city, code="efficiency-award").first()
    if award is not None:
        pdraft = sandbox.create_draft(
            gov_user,
            city,
            kind="policy",
            title="示例：碳效提升奖励放宽至 3 级、强度下降 2 %，预算增至 400 万元",
            policy=award,
            changes={
                "rule": {
                    "all": [
                        {"fact": "grade", "op": "<=", "value": 3},
                        {"fact": "intensity_trend", "op": "<=", "value": "-2", "unit": "%"},
                    ]
                },
                "budget": "4000000",
            },
            note="演示草案：金额与阈值为示意值",
        )
        sandbox.run(gov_user, pdraft, years[-1])


def _assets(
    plans: Sequence[EnterprisePlan],
    shows: Sequence[EnterprisePlan],
    org_by_index: dict[int, Any],
    users: dict[str, Any],
    banks: Sequence[Any],
    years: Sequence[int],
    rng: random.Random,
) -> dict[str, int]:
    """The demo's carbon assets, through the assets services (docs/assets.md): the city's fee standard for the six
    factors; rights confirmed for the showcase enterprises and others in all six factors; a bill per right for the
    last year, most paid, some in part, some open; ent1's rights pledged to the first bank, ent2's pledge released;
    green certificates issued to ent1 and part retired, CCER issued to ent2 and part transferred to ent1."""
    from dualcarbon.assets import services as assets
    from dualcarbon.assets.models import Asset, Factor
    from dualcarbon.registry.models import Region

    gov = users["gov"]
    city = Region.objects.get(code=CITY_CODE)
    first, last = years[0], years[-1]
    factors = {f.code: f for f in Factor.objects.all()}
    for code, price, derivation in DEMO_FEE_STANDARD:
        assets.publish_fee_standard(
            city, factors[code], price, valid_from=datetime.date(first, 1, 1), derivation=derivation,
            publisher=GOVERNMENT_NAME, document="示范市排污权有偿使用费征收标准（示范）", clause="附表",
            published_on=datetime.date(first - 1, 12, 1),
        )  # fmt: skip
    holders = [*shows, *[p for p in plans if p not in shows]][:DEMO_RIGHT_HOLDERS]
    n_conf = n_bills = n_paid = 0
    for i, p in enumerate(holders):
        org = org_by_index[p.index]
        for j, (code, _price, _d) in enumerate(DEMO_FEE_STANDARD):
            low, high = DEMO_RIGHTS_T[code]
            tonnes = Decimal(rng.randint(low * 1000, high * 1000)) / 1000
            conf = assets.confirm(
                gov, org, factors[code], tonnes, basis="permit" if i % 5 else "eia",
                basis_reference=f"{org.uscc}{(j + 1):03d}P" if i % 5 else f"示环审〔{first}〕{i + 1}号",
                confirmed_on=datetime.date(first, 3, 1) + datetime.timedelta(days=i),
            )  # fmt: skip
            bill = assets.issue_bill(
                gov, conf.pk, years=1, issued_on=datetime.date(last, 3, 1), due_date=datetime.date(last, 6, 30)
            )
            n_conf, n_bills = n_conf + 1, n_bills + 1
            kind = (i + j) % 6
            if kind < 4:  # paid in full
                assets.record_payment(gov, bill.pk, bill.amount, paid_on=datetime.date(last, 5, 1 + (i % 28)),
                                      reference=f"SF{last}{bill.pk:06d}")  # fmt: skip
                n_paid += 1
            elif kind == 4:  # half paid, the rest open (overdue after the due date)
                half = (bill.amount / 2).quantize(Decimal("0.01"))
                assets.record_payment(gov, bill.pk, half, paid_on=datetime.date(last, 6, 15),
                                      reference=f"SF{last}{bill.pk:06d}")  # fmt: skip
    out = {"asset_confirmations": n_conf, "asset_bills": n_bills, "asset_bills_paid": n_paid, "asset_pledges": 0}
    if len(shows) < 2:
        return out
    ent1, ent2 = org_by_index[shows[0].index], org_by_index[shows[1].index]
    cod = Asset.objects.get(code="DR-COD")
    held = assets.kg_to_tonnes(
        sum(h.balance for h in ent1.asset_holdings.filter(asset=cod, vintage=first, state="available"))
    )
    assets.pledge(users["ent1"], cod, first, ent1, int(held * 400), bank=banks[0],
                  loan_reference=f"示农商银〔{last}〕质借字第 0{len(years)}8 号")  # fmt: skip
    so2 = Asset.objects.get(code="DR-SO2")
    released = assets.pledge(users["ent2"], so2, first, ent2, 1000, bank=banks[0],
                             loan_reference=f"示农商银〔{first}〕质借字第 031 号")  # fmt: skip
    assets.release(users[BANKS[0][0]], released.pk)
    gec, ccer = Asset.objects.get(code="GEC"), Asset.objects.get(code="CCER")
    assets.issue(gov, gec, ent1, last, 1200, reference=f"GEC-{last}-示范-000{len(years)}", memo="屋顶光伏绿证核发")
    assets.retire(users["ent1"], gec, last, ent1, 300, memo=f"{last} 年度绿色电力消费声明", purpose="neutrality",
                  reference=f"{last} 年度绿色电力消费声明")  # fmt: skip
    assets.issue(gov, ccer, ent2, last, 5000, reference=f"CCER-{last}-示范-林业碳汇-01", memo="林业碳汇项目减排量登记")
    assets.transfer(users["ent2"], ccer, last, ent2, ent1, 800, reference=f"示范-CCER-{last}-协议-07")
    out["asset_pledges"] = 2
    out.update(_trading(holders, org_by_index, users, city, first, last, rng))
    out.update(_leasing_and_reserve(holders, org_by_index, users, last))
    out.update(_ets_cohort([org_by_index[p.index] for p in holders[:4]], [users[p.username] for p in holders[:4]],
                           gov, first, rng))  # fmt: skip
    out.update(_discharge_and_compliance([org_by_index[p.index] for p in holders], years, rng))
    return out


#: the demo's enterprises over their rights in the last year (index among the right holders → {factor: ratio of the
#: rights held}); every other holder discharges 55–90 % of its rights
DEMO_OVER_RIGHTS: dict[int, dict[str, Decimal]] = {4: {"SO2": Decimal("1.18")}, 6: {"VOCS": Decimal("1.1")}}


def _discharge_and_compliance(orgs: Sequence[Any], years: Sequence[int], rng: random.Random) -> dict[str, int]:
    """The compliance link (docs/assets.md § Compliance): the right holders' monthly pollutant discharge on their
    current submitted months (a twelfth of 55–90 % of the rights held per month; two holders over their rights in the
    last year: :data:`DEMO_OVER_RIGHTS`), then ``check_compliance`` for each year — the excess alerts, and the ETS
    cohort's shortfall once the surrender deadline has passed."""
    from dualcarbon.assets import compliance
    from dualcarbon.reporting.models import DischargeRecord, Submission
    from dualcarbon.reporting.services import COUNTED_STATUSES

    rows: list[DischargeRecord] = []
    ids = [o.pk for o in orgs]
    for year in years:
        held = compliance.held_rights(ids, year)
        subs = Submission.objects.filter(
            enterprise_id__in=ids, is_current=True, status__in=COUNTED_STATUSES, period__year=year
        ).values_list("pk", "enterprise_id")
        ratios = {
            (org.pk, code): (DEMO_OVER_RIGHTS.get(i, {}).get(code) if year == years[-1] else None)
            or Decimal(rng.randint(55, 90)) / 100
            for i, org in enumerate(orgs)
            for (holder, code) in held
            if holder == org.pk
        }
        for sub_id, org_id in subs:
            for (holder, code), kg in held.items():
                if holder != org_id or not kg:
                    continue
                tonnes = (Decimal(kg) / 1000 * ratios[(holder, code)] / 12).quantize(Decimal("0.001"))
                rows.append(DischargeRecord(submission_id=sub_id, factor=code, quantity=tonnes,
                                            source_sheet="示范数据", source_row=None))  # fmt: skip
    DischargeRecord.objects.bulk_create(rows, batch_size=5_000)
    excess = ets_alerts = 0
    for year in years:
        run = compliance.check_region("", year)
        excess, ets_alerts = excess + run.excess_new, ets_alerts + run.ets_new
    return {"discharge_records": len(rows), "pollutant_excess_alerts": excess, "ets_alerts": ets_alerts}


def _ets_cohort(orgs: Sequence[Any], staff: Sequence[Any], gov: Any, year: int, rng: random.Random) -> dict[str, int]:
    """An ETS cohort (docs/assets.md § ETS): four covered enterprises (ent1 among them) with the first year's
    pre-allocation (70 % of the verified figure) and true-up (to the figure less the CCER cap), the verified
    emissions entered with a made-up verification report (示范数据; the figure is the platform's account total for
    the year, rounded, for want of a verifier's), and a surrender cycle: the first surrenders in full with CCER up to
    the 5 % cap, the second in part (a shortfall), the third and ent1 not yet (ent1 holds CCER to try the cap)."""
    from dualcarbon.assets import ets
    from dualcarbon.assets import services as assets
    from dualcarbon.assets.models import Asset

    ccer = Asset.objects.get(code="CCER")
    n = 0
    for i, (org, user) in enumerate(zip(orgs, staff, strict=True)):
        total = ets.account_total(org, year)
        due = int(total) if total and total > 1000 else rng.randint(20_000, 80_000)
        cap = ets.ccer_cap(due)
        pre = due * 70 // 100
        ets.allocate(gov, org, year, "pre", pre, reference=f"示生态〔{year}〕配额预分配第 {i + 1:02d} 号",
                     allocated_on=datetime.date(year, 9, 1))  # fmt: skip
        ets.allocate(gov, org, year, "true_up", due - cap - pre, allocated_on=datetime.date(year + 1, 6, 30),
                     reference=f"示生态〔{year + 1}〕配额核定第 {i + 1:02d} 号")  # fmt: skip
        ob = ets.set_obligation(
            gov, org, year, due, source=f"核查报告 HC-{year + 1}-{i + 11:03d}（示范碳核查技术服务有限公司，示范数据）",
            deadline=datetime.date(year + 1, 12, 31),
        )  # fmt: skip
        n += 1
        if i == 1:  # in full: the allocation, and CCER up to the 5 % cap for the rest
            assets.issue(gov, ccer, org, year, cap, reference=f"CCER-{year}-示范-风电-{i:02d}", memo="风电项目登记")
            ets.surrender(user, ob.pk, allowances=due - cap, allowance_vintage=year, ccer=cap, ccer_vintage=year)
        elif i == 2:  # a part only: a shortfall
            ets.surrender(user, ob.pk, allowances=due // 2, allowance_vintage=year)
    return {"ets_obligations": n}


#: the demo's reserve prices of discharge rights (yuan per tonne; made-up figures of the fictional city)
DEMO_RESERVE_PRICE: dict[str, int] = {"COD": 6000, "SO2": 1500, "NOX": 1800, "VOCS": 3600}


def _trading(
    holders: Sequence[EnterprisePlan],
    org_by_index: dict[int, Any],
    users: dict[str, Any],
    city: Any,
    first: int,
    last: int,
    rng: random.Random,
) -> dict[str, int]:
    """A season of trading of discharge rights (docs/assets.md § Trading), through the trading services with the
    season's dates: the city's rule asks for approval; in the last year four bidding rounds, each approved, bid on by
    three or four enterprises and settled (the first round partly unsold), a bilateral transfer accepted, a round
    without bids (unsold); and, at the time of the build, one round open for bids (ent1 may bid), one listing
    waiting for the government's approval."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from dualcarbon.assets import trading
    from dualcarbon.assets.models import Asset, Holding

    out = {"asset_listings": 0, "asset_bids": 0, "asset_trades": 0}
    if len(holders) < 14:
        return out
    gov = users["gov"]
    tz = ZoneInfo("Asia/Shanghai")
    trading.publish_rule(
        city, approval_required=True, valid_from=datetime.date(first, 1, 1),
        document="《示范市排污权交易管理办法（示范）》第十二条：挂牌须经生态环境部门审核（示范数据）",
    )  # fmt: skip
    orgs = [org_by_index[p.index] for p in holders]
    staff = [users[p.username] for p in holders]

    def available(i: int, code: str) -> int:
        h = Holding.objects.filter(holder=orgs[i], asset__code=f"DR-{code}", vintage=first, state="available").first()
        return h.balance if h else 0

    def listed(i: int, code: str, share: int, opens: datetime.datetime, days: int = 14, at: Any = None) -> Any:
        row = trading.create_listing(
            staff[i], orgs[i], Asset.objects.get(code=f"DR-{code}"), first, available(i, code) // share,
            mode="auction", reserve_price=DEMO_RESERVE_PRICE[code], opens_at=opens,
            closes_at=opens + datetime.timedelta(days=days, hours=8), now=at or opens - datetime.timedelta(days=3),
        )  # fmt: skip
        out["asset_listings"] += 1
        return row

    def approve(row: Any, at: datetime.datetime) -> None:
        trading.decide(gov, row.pk, approve=True, note="符合区域总量控制要求", now=at)

    for k, code in enumerate(DEMO_RESERVE_PRICE):
        seller = 3 + k
        opens = datetime.datetime(last, 3 + 2 * k, 1, 9, tzinfo=tz)
        row = listed(seller, code, 3, opens)
        approve(row, opens - datetime.timedelta(days=1))
        buyers = [0, *range(7, 14)] if k == 0 else list(range(7, 14))
        rng.shuffle(buyers)
        reserve = DEMO_RESERVE_PRICE[code]
        # the first round asks less than it offers (partly unsold); the others are oversubscribed
        share = 8 if k == 0 else 2
        # bids in whole tonnes, as buyers bid (the last one filled may get the listing's odd remainder)
        for j, b in enumerate(buyers[: 3 + k % 2]):
            trading.bid(
                staff[b], row.pk, orgs[b], min(row.quantity, max(1000, row.quantity // share // 1000 * 1000)),
                reserve + rng.randint(0, 30) * 20, now=opens + datetime.timedelta(days=1 + j, hours=rng.randint(0, 6)),
            )  # fmt: skip
            out["asset_bids"] += 1
        done = trading.settle(staff[seller], row.pk, now=row.closes_at + datetime.timedelta(hours=1))
        out["asset_trades"] += done.trades.count()
    # a bilateral transfer between two enterprises of the city, approved and accepted
    day = datetime.datetime(last, 10, 12, 10, tzinfo=tz)
    pair = trading.create_listing(
        staff[8], orgs[8], Asset.objects.get(code="DR-NOX"), first, available(8, "NOX") // 5 // 1000 * 1000 or 1000,
        mode="bilateral", buyer=orgs[9], price="1750", now=day,
    )  # fmt: skip
    approve(pair, day + datetime.timedelta(days=2))
    trading.accept(staff[9], pair.pk, now=day + datetime.timedelta(days=3))
    out["asset_listings"] += 1
    out["asset_trades"] += 1
    # a round nobody bid on: unsold, the reservation released
    quiet = listed(10, "VOCS", 4, datetime.datetime(last, 11, 3, 9, tzinfo=tz))
    approve(quiet, quiet.opens_at - datetime.timedelta(days=1))
    trading.settle(gov, quiet.pk, now=quiet.closes_at + datetime.timedelta(days=1))
    # now: a round open for bids (ent1 may bid from the market page) and a listing awaiting approval
    now = timezone.now()
    live = listed(11, "SO2", 4, now - datetime.timedelta(days=1), days=20, at=now - datetime.timedelta(days=2))
    approve(live, now - datetime.timedelta(days=1))
    trading.bid(staff[12], live.pk, orgs[12], 1000, DEMO_RESERVE_PRICE["SO2"] + 100)
    out["asset_bids"] += 1
    listed(13, "COD", 5, now + datetime.timedelta(days=2), days=14, at=now)
    return out


def _leasing_and_reserve(
    holders: Sequence[Any], org_by_index: dict[int, Any], users: dict[str, Any], last: int
) -> dict[str, int]:
    """Leasing, the reserve and revenue (docs/assets.md § Leasing, § Reserve, § Revenue), after the trading season:
    ent3 leases NOx rights to ent1 for a term running now (approved under the city's rule) and had leased SO2 rights
    to it in the first half of the last year (returned at the term's end); the city buys COD rights back from ent2
    into its reserve and pays from the revenue account, sells part by a bidding round and allocates part at the fee
    standard; a second use of the revenue for a pollution-control project."""
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from dualcarbon.assets import leasing, reserve, revenue, services, trading
    from dualcarbon.assets.models import Asset, Holding

    out = {"asset_leases": 0, "asset_buy_backs": 0, "asset_reserve_trades": 0, "asset_revenue_uses": 0}
    if len(holders) < 14:
        return out
    gov = users["gov"]
    tz = ZoneInfo("Asia/Shanghai")
    orgs = [org_by_index[p.index] for p in holders]
    staff = [users[p.username] for p in holders]
    today = timezone.localdate()

    def tonnes_of(i: int, code: str, share: int) -> int:
        h = Holding.objects.filter(holder=orgs[i], asset__code=f"DR-{code}", state="available").order_by("vintage")
        row = h.first()
        return (row.balance // share // 1000 * 1000 or 1000) if row else 1000

    def vintage_of(i: int, code: str) -> int:
        row = Holding.objects.filter(holder=orgs[i], asset__code=f"DR-{code}", state="available").order_by("vintage")
        return row.first().vintage  # type: ignore[union-attr]

    # a lease over the last year's first half, returned at its term's end
    start = datetime.datetime(last, 1, 5, 10, tzinfo=tz)
    past = leasing.offer(
        staff[2], orgs[2], orgs[0], Asset.objects.get(code="DR-SO2"), vintage_of(2, "SO2"), tonnes_of(2, "SO2", 4),
        starts_on=datetime.date(last, 1, 10), ends_on=datetime.date(last, 6, 30), rent="4800.00", now=start,
    )  # fmt: skip
    leasing.accept(staff[0], past.pk, now=start + datetime.timedelta(days=1))
    leasing.decide(gov, past.pk, approve=True, note="符合区域总量控制要求", now=start + datetime.timedelta(days=3))
    leasing.expire_due()
    # a lease running now
    live = leasing.offer(
        staff[2], orgs[2], orgs[0], Asset.objects.get(code="DR-NOX"), vintage_of(2, "NOX"), tonnes_of(2, "NOX", 3),
        starts_on=today - datetime.timedelta(days=45), ends_on=today + datetime.timedelta(days=320), rent="12600.00",
        now=timezone.now() - datetime.timedelta(days=50),
    )  # fmt: skip
    leasing.accept(staff[0], live.pk, now=timezone.now() - datetime.timedelta(days=49))
    leasing.decide(gov, live.pk, approve=True, note="租期内承租方排放量计入其许可排放量核算",
                   now=timezone.now() - datetime.timedelta(days=47))  # fmt: skip
    out["asset_leases"] = 2
    # the city buys COD rights back from ent2 into its reserve, paid from the revenue account
    cod = Asset.objects.get(code="DR-COD")
    v = vintage_of(1, "COD")
    offer_at = datetime.datetime(last, 11, 5, 10, tzinfo=tz)
    bb = reserve.offer_buy_back(gov, orgs[1], cod, v, 2000, "5800", agreement=f"示范回购〔{last}〕1号", now=offer_at)
    reserve.decide_buy_back(staff[1], bb.pk, accept=True, now=offer_at + datetime.timedelta(days=2))
    reserve.pay_buy_back(gov, bb.pk, paid_on=datetime.date(last, 11, 20), approval_reference=f"示发改〔{last}〕88号",
                         evidence=f"国库集中支付凭证 GK{last}1120-001")  # fmt: skip
    out["asset_buy_backs"] = 1
    # a sale of part of the reserve by a bidding round of the city, and a direct allocation at the fee standard
    body = services.government_body(gov)
    opens = datetime.datetime(last, 12, 1, 9, tzinfo=tz)
    sale = trading.create_listing(
        gov, body, cod, v, 1000, mode="auction", reserve_price="6000", opens_at=opens,
        closes_at=opens + datetime.timedelta(days=9), now=opens - datetime.timedelta(days=2),
    )  # fmt: skip
    trading.bid(staff[7], sale.pk, orgs[7], 1000, "6280", now=opens + datetime.timedelta(days=1))
    trading.bid(staff[8], sale.pk, orgs[8], 1000, "6150", now=opens + datetime.timedelta(days=2))
    out["asset_reserve_trades"] = trading.settle(gov, sale.pk, now=opens + datetime.timedelta(days=10)).trades.count()
    reserve.allocate(gov, orgs[9], cod, v, 500, years=1, reference=f"示范储备出让〔{last}〕1号",
                     allocated_on=datetime.date(last, 12, 20))  # fmt: skip
    # a second use: a pollution-control project
    assert body.region is not None
    account = revenue.account_for(body.region)
    amount = min(Decimal("20000.00"), (account.balance / 4).quantize(Decimal("0.01")))
    if amount > 0:
        revenue.record_use(gov, body.region, "pollution_control", amount, purpose="示范市城东污水处理厂提标改造补助",
                           approval_reference=f"示环〔{last}〕45号", evidence="项目合同 HT-2025-017 与拨付凭证",
                           used_on=datetime.date(last, 12, 28))  # fmt: skip
    out["asset_revenue_uses"] = 2 if amount > 0 else 1
    return out


def _submitted_at(year: int, month: int, rng: random.Random, later_days: int = 0) -> datetime.datetime:
    from zoneinfo import ZoneInfo

    y, m = (year + 1, 1) if month == 12 else (year, month + 1)
    day = datetime.datetime(y, m, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
    return day + datetime.timedelta(
        days=rng.randint(4, 14) + later_days, hours=rng.randint(9, 17), minutes=rng.randint(0, 59)
    )


def enterprise_months(
    plan: EnterprisePlan, months: Sequence[tuple[int, int]], problems: ProblemPlan, seed: int = SEED
) -> Iterator[Month]:
    """Every month an enterprise reported (missing months are absent), with all its versions."""
    arch = BY_KEY[plan.archetype]
    rng = random.Random(f"{seed}:data:{plan.index}")
    gp = green_plan(plan, seed, featured=plan.index in problems.green)
    green_power = green_power_share(plan, gp, seed, featured=plan.index in problems.green)
    green_rng = random.Random(f"{seed}:green-months:{plan.index}")
    for t, (year, month) in enumerate(months):
        kinds = problems.kinds(plan.index, year, month)
        level = plan.scale * (1 + plan.growth) ** (t / 12) * arch.season[month - 1] * rng.gauss(1.0, 0.035)
        acts = [_activity(plan, u, level, rng, month, t) for u in plan.uses]
        _split_green_power(acts, green_power)
        production = [{"product": arch.product, "quantity": _round(level), "unit": arch.unit}]
        production += [
            {"product": n, "quantity": _round(level * r * rng.gauss(1, 0.01)), "unit": u} for n, r, u in arch.byproducts
        ]
        va = level * arch.va * rng.gauss(1.0, 0.04)
        output = va / plan.va_rate
        economic = {
            "value_added": _round(va),
            "output_value": _round(output),
            "revenue": _round(output * rng.uniform(0.95, 1.05)),
        }
        at = _submitted_at(year, month, rng)
        gen, offs = green_month(plan, gp, year, month, green_rng)
        if "missing" in kinds:
            continue
        flags: list[str] = []
        v1_acts = [dict(a) for a in acts]
        elec = next((a for a in v1_acts if a["source_type"] == PE), None)
        if "jumps" in kinds and elec is not None:
            elec["quantity"] = _round(float(elec["quantity"]) * 3)
            flags.append("jump")
        if "unit_slips" in kinds and elec is not None:
            mwh = float(elec["quantity"]) * {"MWh": 1.0, "万千瓦时": 10.0, "kWh": 0.001}[elec["unit"]]
            elec.update(quantity=_round(mwh * 1000), unit="万千瓦时")  # the meter's kWh typed as 万kWh
            flags.append("unit_slip")
        if "drafts" in kinds:
            bad: dict[str, Any] = {
                "source_type": F,
                # fuels the library has no default for (兰炭 has one now: IPCC 2006, see reference/SOURCES.md)
                "item": rng.choice(["水煤浆", "醇基燃料", "生物质成型燃料"]),
                "unit": "t",
            }
            bad["quantity"] = _round(level * 0.002 + 5)
            yield Month(
                year,
                month,
                (
                    Version(
                        1,
                        "draft",
                        False,
                        "",
                        (*v1_acts, bad),
                        tuple(production),
                        economic,
                        None,
                        ("draft_error",),
                        gen,
                        offs,
                    ),
                ),
            )
            continue
        if "corrections" in kinds:
            v2_acts = [dict(a) for a in acts]  # the unit slip's correction is the true figure
            reason = "电量单位误填（千瓦时填入万千瓦时栏），按电费结算单更正"
            v2_econ = dict(economic)
            if "unit_slip" not in flags:
                fuels = [i for i, a in enumerate(v1_acts) if a["source_type"] == F]
                fix = rng.choice(["coal", "va", "omitted"]) if fuels else "va"
                if fix == "coal":
                    fuel = v2_acts[fuels[0]]
                    fuel["quantity"] = _round(float(fuel["quantity"]) * 0.94)
                    reason = f"{fuel['item']}用量误含月末库存，按结算单更正"
                elif fix == "omitted":
                    left_out = v1_acts.pop(fuels[-1])  # version 1 forgot a line; version 2 reports it
                    reason = f"漏报{left_out['item']}消耗量，补报"
                else:
                    v2_econ["value_added"] = _round(float(economic["value_added"]) * 1.08)
                    reason = "工业增加值按统计部门核定口径更正"
            v1 = Version(
                1, "submitted", False, "", tuple(v1_acts), tuple(production), economic, at, (*flags, "superseded"),
                gen, offs,
            )  # fmt: skip
            v2 = Version(
                2,
                "submitted",
                True,
                reason,
                tuple(v2_acts),
                tuple(production),
                v2_econ,
                _submitted_at(year, month, rng, 20),
                ("correction",),
                gen,
                offs,
            )
            yield Month(year, month, (v1, v2))
            continue
        after_gap = any(k == (plan.index, year, month - 1) for k in problems.missing)
        if after_gap:
            flags.append("after_gap")
        yield Month(
            year,
            month,
            (
                Version(
                    1, "submitted", True, "", tuple(v1_acts), tuple(production), economic, at, tuple(flags), gen, offs
                ),
            ),
        )


def data_fingerprint(n: int, years: Sequence[int], seed: int = SEED) -> str:
    """A hash of every planned record (no database): equal fingerprints mean the same region."""
    months = months_of(years)
    plans = plan_enterprises(n, seed)
    problems = plan_problems(plans, months, seed)
    h = hashlib.sha256()
    for p in plans:
        h.update(repr((p.index, p.name, p.uscc, p.archetype, p.region_code, p.size_class)).encode())
        for mo in enterprise_months(p, months, problems, seed):
            for v in mo.versions:
                h.update(
                    json.dumps(
                        [
                            mo.year,
                            mo.month,
                            v.version,
                            v.status,
                            v.reason,
                            v.activities,
                            v.production,
                            v.economic,
                            v.generation,
                            v.offsets,
                        ],
                        default=str,
                        sort_keys=True,
                    ).encode()
                )
    return h.hexdigest()


# ------------------------------------------------------------------------------------------------
# build (database)


LAB_REPORT = "evidence/demo/coal-lab-report.pdf"
#: version flags of a planted problem: these submissions are validated so their findings are stored
PLANTED = frozenset({"jump", "unit_slip", "after_gap", "draft_error"})


CERTIFICATES = "evidence/demo/green-certificates.pdf"


def certificates_pdf() -> bytes:
    """A one-page PDF standing in for retirement statements and green-power trade documents (fictional)."""
    return lab_report_pdf(
        [
            "Retirement statement and trade documents (fictional demo document)",
            "Green electricity certificates, green-power trade, CCER and forestry sinks retired for the year",
        ]
    )


def lab_report_pdf(lines: Sequence[str] | None = None) -> bytes:
    """A one-page PDF standing in for the coal lab reports behind measured NCVs (fictional)."""
    lines = lines or [
        "Coal quality test report (fictional demo document)",
        "Shifan City Fuel Testing Centre - GB/T 213 net calorific value",
        "Sample: as-received coal, quarterly composite",
    ]
    text = "BT /F1 12 Tf 60 780 Td 16 TL " + " ".join(f"({t}) '" for t in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        "/Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


@dataclass
class BuildResult:
    enterprises: int
    years: tuple[int, ...]
    counts: dict[str, int]
    timings: dict[str, float]
    logins: list[tuple[str, str, str]]
    problems: ProblemPlan
    #: processor time per step (the wall-clock timings include waiting on a busy machine)
    cpu_timings: dict[str, float] = field(default_factory=dict)


def _say(log: Callable[[str], None] | None, text: str) -> None:
    if log is not None:
        log(text)


def region_exists() -> bool:
    """True when a finished demo region is in the database (the platform organisation is written last)."""
    from dualcarbon.registry.models import Organisation

    return Organisation.objects.filter(kind="platform", name=PLATFORM_NAME).exists()


@contextlib.contextmanager
def _no_query_log() -> Iterator[None]:
    """Bulk writes without Django's DEBUG query log (it formats every INSERT: about a third of the time)."""
    from django.conf import settings

    debug = settings.DEBUG
    settings.DEBUG = False
    try:
        yield
    finally:
        settings.DEBUG = debug


def build(
    enterprises: int = DEFAULT_ENTERPRISES,
    years: Sequence[int] = DEFAULT_YEARS,
    seed: int = SEED,
    log: Callable[[str], None] | None = None,
    chunk_submissions: int = 8_000,
) -> BuildResult:
    """Write the region into the (migrated, empty) database and compute every account."""
    with _no_query_log():
        return _build(enterprises, years, seed, log, chunk_submissions)


def _build(
    enterprises: int,
    years: Sequence[int],
    seed: int,
    log: Callable[[str], None] | None,
    chunk_submissions: int,
) -> BuildResult:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.db import transaction
    from simple_history.utils import bulk_create_with_history

    from dualcarbon.accounting.services import compute
    from dualcarbon.registry import services as registry
    from dualcarbon.registry.models import Consent, Membership, MethodPolicy, Organisation, VerifierAssignment
    from dualcarbon.reporting.models import Submission
    from dualcarbon.reporting.services import validate

    timings: dict[str, float] = {}
    cpu_timings: dict[str, float] = {}
    clock, cpu = time.perf_counter(), time.process_time()

    def lap(name: str) -> None:
        nonlocal clock, cpu
        now, now_cpu = time.perf_counter(), time.process_time()
        timings[name] = timings.get(name, 0.0) + now - clock
        cpu_timings[name] = cpu_timings.get(name, 0.0) + now_cpu - cpu
        clock, cpu = now, now_cpu

    years = tuple(sorted(years))
    months = months_of(years)
    plans = plan_enterprises(enterprises, seed)
    problems = plan_problems(plans, months, seed)
    shows = showcase(plans)
    rng = random.Random(f"{seed}:roles")
    lap("plan")

    User = get_user_model()
    Role = Membership.Role
    report = lab_report_pdf()
    default_storage.delete(LAB_REPORT)
    default_storage.save(LAB_REPORT, ContentFile(report))
    default_storage.delete(CERTIFICATES)
    default_storage.save(CERTIFICATES, ContentFile(certificates_pdf()))
    with transaction.atomic():
        registry.load_industries()
        registry.load_provinces()
        province = registry.add_region(PROVINCE_CODE, "浙江省")
        city = registry.add_region(CITY_CODE, CITY_NAME, province)
        for code, name in DISTRICTS:
            registry.add_region(code, name, city)
        MethodPolicy.objects.create(
            region=city,
            valid_from=datetime.date(2020, 1, 1),
            fuel_sets="ndrc-2015,ipcc2006-fuels",
            grid="mee:provincial",
            gwp="AR5",
            note=(
                "示范市核算方法：燃料因子取国家发展改革委行业指南缺省值（发改办气候〔2015〕1722号 附录二 表2.1），"
                "表中未列的燃料取 IPCC 2006 缺省值；浙江省级电网因子（生态环境部、国家统计局公告）；AR5"
            ),
        )
        orgs = Organisation.objects.bulk_create(
            [
                Organisation(
                    kind=Organisation.Kind.ENTERPRISE,
                    name=p.name,
                    uscc=p.uscc,
                    industry_id=p.division,
                    region_id=p.region_code,
                    size_class=p.size_class,
                    above_scale=p.above_scale,
                )
                for p in plans
            ]
        )
        org_by_index = {p.index: o for p, o in zip(plans, orgs, strict=True)}
        gov = Organisation.objects.create(kind="government", name=GOVERNMENT_NAME, region=city)
        dgov = Organisation.objects.create(kind="government", name=DISTRICT_BUREAU_NAME, region_id=DISTRICT_CODE)
        banks = [Organisation.objects.create(kind="bank", name=name) for _u, name in BANKS]
        verifiers = [Organisation.objects.create(kind="verifier", name=name) for _u, name in VERIFIERS]
        hashed = make_password(PASSWORD)
        people: list[tuple[str, Organisation, str]] = [
            ("gov", gov, Role.GOVERNMENT_STAFF),
            ("district", dgov, Role.GOVERNMENT_STAFF),
            *[(u, b, Role.BANK_STAFF) for (u, _n), b in zip(BANKS, banks, strict=True)],
            *[(u, v, Role.VERIFIER) for (u, _n), v in zip(VERIFIERS, verifiers, strict=True)],
            *[(f"ent{i}", org_by_index[p.index], Role.ENTERPRISE_STAFF) for i, p in enumerate(shows, start=1)],
            *[(p.username, org_by_index[p.index], Role.ENTERPRISE_STAFF) for p in plans],
        ]
        users = User.objects.bulk_create([User(username=u, password=hashed) for u, _o, _r in people])
        user_by_name = {u.get_username(): u for u in users}
        Membership.objects.bulk_create(
            [Membership(user=u, organisation=o, role=r) for u, (_n, o, r) in zip(users, people, strict=True)]
        )
        # verifiers: heavy industry first; verifier 1's first year is verified and locked,
        # verifier 2's last full year is verified
        heavy = [p for p in plans if p.division in ("30", "31", "32", "44", "25", "26", "22")]
        others = [p for p in plans if p not in heavy]
        k = max(2, len(plans) // 10)
        v1_firms = ([shows[0]] if shows else []) + [p for p in heavy if p not in shows][: k - 1]
        v2_firms = [p for p in heavy + others if p not in v1_firms][:k]
        assignments = [(verifiers[0], p, years[0]) for p in v1_firms] + [(verifiers[0], p, years[-1]) for p in v1_firms]
        assignments += [(verifiers[1], p, years[-1]) for p in v2_firms]
        assignments = list(dict.fromkeys(assignments))  # one year only: first and last year coincide
        VerifierAssignment.objects.bulk_create(
            [VerifierAssignment(verifier=v, enterprise=org_by_index[p.index], year=y) for v, p, y in assignments]
        )
        verified: dict[tuple[int, int], tuple[str, bool]] = {}
        for p in v1_firms:
            verified[(p.index, years[0])] = ("verifier", True)
        if len(years) > 1:
            for p in v2_firms:
                verified[(p.index, years[-2])] = ("verifier2", False)
    lap("organisations and users")

    counts: dict[str, int] = {"enterprises": len(plans), "users": len(users)}
    planted: list[tuple[int, str]] = []  # (submission id, flag) to validate
    per_chunk = max(1, chunk_submissions // max(1, len(months)))
    from dualcarbon.monitoring import aggregates

    for start in range(0, len(plans), per_chunk):
        chunk = plans[start : start + per_chunk]
        # the monitoring summary is built once, set-based, after the last chunk (not refreshed per chunk)
        with transaction.atomic(), aggregates.suspended():
            ids = _write_chunk(
                chunk, months, problems, seed, org_by_index, user_by_name, verified, planted, counts, len(report)
            )
            lap("write records")
            old = list(
                Submission.objects.filter(enterprise_id__in=ids, is_current=False, status="submitted").select_related(
                    "enterprise", "period", "economic"
                )
            )
            if old:
                compute(old)
            current = list(
                Submission.objects.filter(enterprise_id__in=ids, is_current=True).select_related(
                    "enterprise", "period", "economic"
                )
            )
            compute(current)
            lap("compute accounts")
        _say(log, f"  {min(start + per_chunk, len(plans))}/{len(plans)} 家企业 / enterprises")

    aggregates.rebuild()
    lap("monitoring summary")

    with transaction.atomic():
        for sid, _flag in planted:
            validate(Submission.objects.select_related("enterprise", "period").get(pk=sid))
        lap("validate planted problems")
        consents = []
        consenting = [p for p in plans if p not in shows]
        rng.shuffle(consenting)
        per_bank = max(3, len(plans) // 40)
        first, last = f"{years[0]}-01", f"{years[-1]}-12"
        for b, bank in enumerate(banks):
            firms = consenting[b * per_bank : (b + 1) * per_bank]
            if b == 0:
                firms = shows[:2] + firms
            for j, p in enumerate(firms):
                staff = user_by_name[p.username]
                revoked = b == 2 and j == 0
                expired = b == 2 and j == 1
                note = rng.choice(
                    ["流动资金贷款授信", "碳效贷申请", "绿色项目贷款贷前调查", "可持续发展挂钩贷款贷后监测"]
                )
                consent = Consent(
                    enterprise=org_by_index[p.index],
                    bank=bank,
                    scope=CONSENT_SCOPES[j % 4],
                    purpose_code="loan_monitoring" if "贷后" in note else "credit_assessment",
                    purpose=note,
                    data_from=first if j % 3 else f"{years[-1]}-01",
                    data_until=last,
                    valid_from=datetime.date(years[0], 1, 1),
                    valid_until=datetime.date(years[-1], 6, 30) if expired else datetime.date(years[-1] + 3, 12, 31),
                    revoked_at=_submitted_at(years[-1], 3, rng) if revoked else None,
                    created_by=staff,
                )
                consent._history_user = staff  # type: ignore[attr-defined]  # read by simple-history
                consents.append(consent)
        bulk_create_with_history(consents, Consent, default_change_reason="grant")
        platform = Organisation.objects.create(kind="platform", name=PLATFORM_NAME)
        admin = User.objects.create(username="admin", password=hashed, is_staff=True, is_superuser=True)
        Membership.objects.create(user=admin, organisation=platform, role=Role.PLATFORM_ADMIN)
        finance_requests = _consent_requests(banks, shows, org_by_index, user_by_name, years)
        lap("consents and admin")
        asset_counts = _assets(plans, shows, org_by_index, user_by_name, banks, years, rng)
        lap("carbon assets and discharge rights")
        # the judgement layer: grades for every year, the city's targets, and alerts for the last quarter
        from django.db.models import Sum

        from dualcarbon.accounting.models import AccountEntry
        from dualcarbon.monitoring import services as monitoring
        from dualcarbon.monitoring.models import Target
        from dualcarbon.rating import services as rating

        for y in years:
            rating.rate_region(CITY_CODE[:4], y, note="示范数据 demo")
        lap("ratings")
        previous = AccountEntry.objects.filter(is_current=True, year=years[-2] if len(years) > 1 else years[-1])
        agg = previous.aggregate(t=Sum("total_tco2e"), va=Sum("value_added"))
        if agg["t"]:
            intensity = agg["t"] / float(agg["va"]) if agg["va"] else None
            Target.objects.create(
                region=city,
                year=years[-1],
                total_tco2e=round(agg["t"] * 0.97, -3),
                intensity=round(intensity * 0.95, 4) if intensity else None,
                note="示范目标：排放总量较上年下降 3%，强度下降 5% / demo target: −3 % total, −5 % intensity",
            )
        for m in (10, 11, 12):
            monitoring.evaluate_alerts(CITY_CODE[:4], years[-1], m)
        lap("targets and alerts")
        credit_reports = _credit_reports(user_by_name)
        lap("credit reports")
        from . import planning as demo_planning

        counts.update(demo_planning.build(user_by_name, years))
        counts["scenarios"] = demo_planning.build_scenarios(user_by_name["gov"], city, years)
        lap("reduction plans")
        policy_matches = _policy_package(user_by_name["gov"], city, years)
        lap("policy package and matches")
        _sandbox_drafts(user_by_name["gov"], city, years)
        lap("policy sandbox drafts")
        from . import loans as demo_loans

        counts.update(demo_loans.build(user_by_name, years))
        lap("bank products, applications, loans and financing needs")
        from . import certification as demo_certification

        counts.update(demo_certification.build(user_by_name, years))
        lap("transition certification and libraries")
        from . import kpi_loans as demo_kpi_loans

        counts.update(demo_kpi_loans.build(user_by_name, years))
        lap("KPI-linked loans, CERF and PCAF")
        from . import programme as demo_programme

        counts.update(demo_programme.build(user_by_name, city, years, [org_by_index[s.index] for s in shows]))
        lap("dual-carbon programme")
        from . import meters as demo_meters

        featured = org_by_index[shows[0].index] if shows else None
        counts.update(demo_meters.build(user_by_name["gov"], CITY_CODE, years, featured))
        lap("meter data")
    counts.update(
        users=User.objects.count(),
        consents=len(consents),
        consent_requests=finance_requests,
        credit_reports=credit_reports,
        verifier_assignments=len(assignments),
        planted_validations=len(planted),
        policy_matches=policy_matches,
        **asset_counts,
    )
    counts.update(table_counts())
    logins = [
        ("gov", GOVERNMENT_NAME, f"全市 {len(plans)} 家企业：区县/行业汇总、预警、报送与更正记录"),
        ("district", DISTRICT_BUREAU_NAME, "本县（青山县）企业"),
        ("bank", BANKS[0][1], f"授权给本行的 {per_bank + min(2, len(shows))} 家企业（仅授权期内的月份）"),
        ("verifier", VERIFIERS[0][1], f"指派核查的 {len(v1_firms)} 家企业（{years[0]} 年已核查并锁定）"),
        ("admin", PLATFORM_NAME, "全部数据；Django 管理后台 /admin/"),
        ("industry", "示范市经济和信息化局", "双碳示范城工业组组长：本组的项目、任务与进展报告（/programme/）"),
    ]
    notes = (
        "有更正记录（第 2 版及原因）、已授权银行；屋顶光伏、绿证与 CCER（碳中和率）；绿电（范围二市场法）；"
        "末月报送电量与电表计量不符（预警）",
        "×3 电量突增预警",
        "缺报月份 + 未提交草稿（错误）；屋顶光伏；绿电（范围二市场法）",
    )
    for i, p in enumerate(shows, start=1):
        logins.append((f"ent{i}", p.name, f"本企业的报送与碳账户；{notes[i - 1]}"))
    return BuildResult(len(plans), years, counts, timings, logins, problems, cpu_timings)


def _write_chunk(
    chunk: Sequence[EnterprisePlan],
    months: Sequence[tuple[int, int]],
    problems: ProblemPlan,
    seed: int,
    org_by_index: dict[int, Any],
    user_by_name: dict[str, Any],
    verified: dict[tuple[int, int], tuple[str, bool]],
    planted: list[tuple[int, str]],
    counts: dict[str, int],
    report_size: int,
) -> list[int]:
    from dualcarbon.reporting.models import (
        ActivityRecord,
        EconomicRecord,
        Evidence,
        GenerationRecord,
        OffsetRecord,
        ProductionRecord,
        ReportingPeriod,
        Submission,
    )

    periods: list[ReportingPeriod] = []
    subs: list[Submission] = []
    payload: list[Version] = []
    for p in chunk:
        org = org_by_index[p.index]
        staff = user_by_name[p.username]
        for mo in enterprise_months(p, months, problems, seed):
            period = ReportingPeriod(enterprise=org, year=mo.year, month=mo.month)
            periods.append(period)
            for v in mo.versions:
                status, verified_by, verified_at, locked_at = v.status, None, None, None
                check = verified.get((p.index, mo.year))
                if check and v.is_current and v.status == "submitted" and not v.flags and v.submitted_at:
                    verifier, locked = check
                    verified_by = user_by_name[verifier]
                    verified_at = v.submitted_at + datetime.timedelta(days=40)
                    status = "verified"
                    if locked:
                        status, locked_at = "locked", verified_at + datetime.timedelta(days=30)
                subs.append(
                    Submission(
                        period=period,
                        enterprise=org,
                        version=v.version,
                        status=status,
                        is_current=v.is_current,
                        channel=p.channel,
                        reason=v.reason,
                        created_by=staff,
                        submitted_by=staff if v.submitted_at else None,
                        submitted_at=v.submitted_at,
                        verified_by=verified_by,
                        verified_at=verified_at,
                        locked_at=locked_at,
                    )
                )
                payload.append(v)
    ReportingPeriod.objects.bulk_create(periods)
    for s in subs:
        s.period_id = s.period.pk
    Submission.objects.bulk_create(subs)
    acts: list[ActivityRecord] = []
    prods: list[ProductionRecord] = []
    econs: list[EconomicRecord] = []
    evidence: list[Evidence] = []
    gens: list[GenerationRecord] = []
    offs: list[OffsetRecord] = []
    certificates_size = len(certificates_pdf())
    for s, v in zip(subs, payload, strict=True):
        excel = s.channel == "excel"
        for n, gr in enumerate(v.generation, start=1):
            gens.append(
                GenerationRecord(
                    submission=s,
                    line_no=n,
                    source_sheet="自有零碳发电" if excel else "",
                    source_row=n + 2 if excel else None,
                    **gr,
                )
            )
        for n, o in enumerate(v.offsets, start=1):
            offs.append(
                OffsetRecord(
                    submission=s,
                    line_no=n,
                    source_sheet="碳抵消与绿证" if excel else "",
                    source_row=n + 2 if excel else None,
                    **o,
                )
            )
        if v.offsets:
            evidence.append(  # retirement statements / trade documents behind the December declarations
                Evidence(
                    submission=s,
                    kind=Evidence.Kind.CERTIFICATE,
                    file=CERTIFICATES,
                    original_name=f"注销证明与交易凭证-{s.period.label}.pdf",
                    content_type="application/pdf",
                    size=certificates_size,
                    uploaded_by=s.created_by,
                )
            )
        for n, a in enumerate(v.activities, start=1):
            acts.append(
                ActivityRecord(
                    submission=s,
                    line_no=n,
                    source_sheet="活动数据" if excel else "",
                    source_row=n + 1 if excel else None,
                    **a,
                )
            )
        for n, r in enumerate(v.production, start=1):
            prods.append(
                ProductionRecord(
                    submission=s, source_sheet="产品产量" if excel else "", source_row=n + 1 if excel else None, **r
                )
            )
        econs.append(EconomicRecord(submission=s, **v.economic))
        if not set(v.flags) & PLANTED and any(
            a.get("param_basis") == "measured" and a.get("ncv") for a in v.activities
        ):
            evidence.append(  # measured NCVs come with the lab report (planted problems are left without)
                Evidence(
                    submission=s,
                    kind=Evidence.Kind.LAB,
                    file=LAB_REPORT,
                    original_name=f"煤质化验报告-{s.period.label}.pdf",
                    content_type="application/pdf",
                    size=report_size,
                    uploaded_by=s.created_by,
                )
            )
        for flag in v.flags:
            if flag in PLANTED:
                planted.append((s.pk, flag))
                break
    ActivityRecord.objects.bulk_create(acts, batch_size=5_000)
    ProductionRecord.objects.bulk_create(prods, batch_size=5_000)
    EconomicRecord.objects.bulk_create(econs, batch_size=5_000)
    Evidence.objects.bulk_create(evidence, batch_size=5_000)
    GenerationRecord.objects.bulk_create(gens, batch_size=5_000)
    OffsetRecord.objects.bulk_create(offs, batch_size=5_000)
    for key, n in (
        ("periods", len(periods)),
        ("submissions", len(subs)),
        ("activity_records", len(acts)),
        ("evidence_files", len(evidence)),
        ("generation_records", len(gens)),
        ("offset_records", len(offs)),
    ):
        counts[key] = counts.get(key, 0) + n
    return [org_by_index[p.index].pk for p in chunk]


def table_counts() -> dict[str, int]:
    from dualcarbon.accounting.models import AccountEntry, AccountRun, EmissionLine
    from dualcarbon.reporting.models import Submission, ValidationIssue

    return {
        "submissions_current": Submission.objects.filter(is_current=True).count(),
        "drafts": Submission.objects.filter(status="draft").count(),
        "corrections_v2": Submission.objects.filter(version__gt=1).count(),
        "account_runs": AccountRun.objects.count(),
        "emission_lines": EmissionLine.objects.count(),
        "account_entries": AccountEntry.objects.count(),
        "account_entries_current": AccountEntry.objects.filter(is_current=True).count(),
        "issues_error": ValidationIssue.objects.filter(severity="error").count(),
        "issues_warning": ValidationIssue.objects.filter(severity="warning").count(),
    }


def db_fingerprint() -> str:
    """A hash of what the database holds (current accounts by USCC and month, versions, users)."""
    from django.contrib.auth import get_user_model

    from dualcarbon.accounting.models import AccountEntry
    from dualcarbon.reporting.models import Submission

    h = hashlib.sha256()
    for row in (
        AccountEntry.objects.order_by("enterprise__uscc", "year", "month", "submission__version")
        .values_list(
            "enterprise__uscc", "year", "month", "submission__version", "is_current", "total_tco2e", "energy_tce"
        )
        .iterator()
    ):
        h.update(repr((*row[:5], round(row[5], 6), round(row[6], 6))).encode())
    for srow in Submission.objects.order_by("enterprise__uscc", "period__year", "period__month", "version").values_list(
        "enterprise__uscc", "period__year", "period__month", "version", "status", "is_current", "reason"
    ):
        h.update(repr(srow).encode())
    h.update(repr(sorted(get_user_model().objects.values_list("username", flat=True))).encode())
    return h.hexdigest()

"""The methodology registry: source types → named formulas → the inputs each one needs.

Each formula carries the standard it implements so that a line can say how it was made.
"""

from __future__ import annotations

from dataclasses import dataclass

#: 44/12: mass ratio CO2 / C
CO2_PER_C = 44.0 / 12.0
#: 44/56: CO2 / CaO
CO2_PER_CAO = 44.0 / 56.0
#: 44/40: CO2 / MgO (GB/T 32151.8 uses 44/40 for MgO)
CO2_PER_MGO = 44.0 / 40.0
#: density of CO2 at 0 °C and 101.325 kPa, t/Nm3 (1.977 kg/Nm3; GB/T 32150-2015 Appendix B)
CO2_DENSITY_T_PER_NM3 = 1.977e-3
#: GB/T 2589-2020: 1 kgce = 29.3076 MJ, so 1 tce = 29.3076 GJ
GJ_PER_TCE = 29.3076


@dataclass(frozen=True)
class SourceType:
    code: str
    name_zh: str
    name_en: str
    #: +1 adds to the total, -1 is deducted (exports, recovery); biomass CO2 is reported apart by lines()
    sign: int
    #: "1", "2", "export", "biomass" — the GHG Protocol / ISO 14064-1 view of the same line
    scope: str
    #: unit every quantity is converted to before calculation (None: depends on the item)
    activity_unit: str | None
    labels: tuple[str, ...] = ()


SOURCE_TYPES: dict[str, SourceType] = {
    s.code: s
    for s in (
        SourceType(
            "fuel_combustion",
            "化石燃料燃烧",
            "fuel combustion",
            1,
            "1",
            None,
            ("化石燃料燃烧排放", "燃料燃烧", "化石燃料燃烧"),
        ),
        SourceType(
            "process",
            "工业生产过程",
            "industrial process",
            1,
            "1",
            "t",
            ("工业生产过程排放", "过程排放", "生产过程", "工业生产过程"),
        ),
        SourceType(
            "co2_recovery",
            "CO2回收利用",
            "CO2 recovery",
            -1,
            "1",
            "t",
            ("二氧化碳回收利用", "CO2回收", "二氧化碳回收", "CO₂回收利用", "CO2回收利用"),
        ),
        SourceType(
            "purchased_electricity",
            "购入电力",
            "purchased electricity",
            1,
            "2",
            "MWh",
            ("购入电力", "外购电力", "净购入电力"),
        ),
        SourceType(
            "purchased_heat", "购入热力", "purchased heat", 1, "2", "GJ", ("购入热力", "外购热力", "净购入热力")
        ),
        SourceType(
            "exported_electricity", "输出电力", "exported electricity", -1, "export", "MWh", ("输出电力", "外供电力")
        ),
        SourceType("exported_heat", "输出热力", "exported heat", -1, "export", "GJ", ("输出热力", "外供热力")),
        SourceType(
            "biomass",  # sign 1: CH4/N2O count; biomass CO2 itself is a memo item (see accounting.lines)
            "生物质燃烧",
            "biomass combustion",
            1,
            "biomass",
            None,
            ("生物质", "生物质燃料燃烧", "生物质燃烧"),
        ),
    )
}


def source_type_lookup() -> dict[str, str]:
    """Every accepted spelling (code, Chinese label, English name; case-insensitive) → code."""
    out: dict[str, str] = {}
    for st in SOURCE_TYPES.values():
        for label in (st.code, st.name_zh, st.name_en, *st.labels):
            out[label.strip().lower()] = st.code
    return out


@dataclass(frozen=True)
class Formula:
    code: str
    expression: str
    standard: str
    name_zh: str


FORMULAS: dict[str, Formula] = {
    f.code: f
    for f in (
        Formula(
            "fuel_ncv_cc_of",
            "E = AD × NCV × CC × OF × 44/12",
            "GB/T 32150-2015 §6.2 (eq. 2–4)",
            "化石燃料燃烧：活动数据×低位发热量×单位热值含碳量×碳氧化率×44/12",
        ),
        Formula("direct_factor", "E = AD × EF", "GB/T 32150-2015 §6 (enterprise-specific factor)", "活动数据×排放因子"),
        Formula(
            "electricity_grid",
            "E = AD(MWh) × EF_grid",
            "GB/T 32150-2015 §6.5; MEE grid factor",
            "电力：电量×电网排放因子",
        ),
        Formula("heat_default", "E = AD(GJ) × EF_heat", "GB/T 32150-2015 §6.5", "热力：热量×热力排放因子"),
        Formula(
            "carbonate",
            "E = M × EF × F",
            "GB/T 32150-2015 §6.3; IPCC 2006 Vol.3 eq. 2.15",
            "碳酸盐分解：消耗量×排放因子×煅烧比例",
        ),
        Formula(
            "clinker_oxide",
            "E = Q × [(CaO − CaO₀) × 44/56 + (MgO − MgO₀) × 44/40]",
            "GB/T 32151.8-2015 (cement) eq. for raw-meal carbonate decomposition",
            "熟料：产量×[(CaO含量−非碳酸盐CaO)×44/56+(MgO含量−非碳酸盐MgO)×44/40]",
        ),
        Formula(
            "process_factor",
            "E = AD × EF_process",
            "GB/T 32150-2015 §6.3 (generic activity × process factor)",
            "过程排放：活动数据×过程排放因子",
        ),
        Formula(
            "co2_recovery",
            "R = Q × purity (volume × 1.977 kg/Nm3 when given as volume)",
            "GB/T 32150-2015 §6.4",
            "CO2回收：回收量×纯度（体积按1.977 kg/Nm3折算）",
        ),
    )
}

#: Origins of a parameter, best first, and the data-quality tier each one gives a line.
ORIGINS = ("measured", "declared", "prescribed", "default")
TIER_BY_ORIGIN = {"measured": 1, "prescribed": 1, "declared": 2, "default": 3}
TIER_MEANING = {
    1: "实测参数或标准规定的因子 / measured on the record, or the factor the standard prescribes",
    2: "企业声明参数 / declared by the enterprise",
    3: "因子库缺省值 / factor-set default",
}

"""Seed the two rating schemes with their documented defaults (docs/rating.md).

The parameters are written out here (not imported), so that this migration seeds the same
version-1 values forever; later years' thresholds are new versions added through the admin.
"""

import datetime

from django.db import migrations

BENCHMARK = {
    # "industry average": Σ emissions / Σ value added of the group (ratio of sums)
    "average": "ratio_of_sums",
    # group = the enterprise's GB/T 4754 division (2 digits) within the scheme's region;
    # a group with fewer than min_group_size included enterprises falls back to the section, then the region
    "group": "division",
    "fallback": ["section", "region"],
    "min_group_size": 5,
    # left out of the benchmark (still rated): intensity above Q3 + 3×IQR of the group
    "outliers": {"method": "iqr", "k": 3.0, "side": "upper"},
    # left out of the benchmark (still rated, flagged): more than 80 % of |emissions| from tier-3 data
    "max_tier3_share": 0.8,
    "exclude_non_positive": True,
}

ZHEJIANG = {
    "method": "efficiency_code",
    "min_months": 12,
    "emission_basis": {
        "plus": ["fuel_combustion", "purchased_electricity", "purchased_heat"],
        "minus": ["exported_electricity", "exported_heat"],
    },
    "level_bounds": [0.6, 2.0],
    "grade_bounds": [0.6, 0.8, 1.2, 2.0],
    "benchmark": BENCHMARK,
    "compare_decimals": 9,
    "validity_years": 1,
}

QUZHOU = {
    "method": "three_dim_four_colour",
    "min_months": 12,
    "emission_basis": {
        "plus": ["fuel_combustion", "process", "purchased_electricity", "purchased_heat", "biomass"],
        "minus": ["co2_recovery", "exported_electricity", "exported_heat"],
    },
    "benchmark": BENCHMARK,
    "dimensions": {
        "advancement": {"weight": 0.5, "bounds": [0.8, 1.0, 1.2], "scores": [3, 2, 1, 0]},
        "contribution": {"weight": 0.25, "metric": "intensity_ratio", "bounds": [0.8, 1.0, 1.2], "scores": [3, 2, 1, 0]},
        "decline": {"weight": 0.25, "metric": "previous_year", "bounds": [-0.05, 0.0, 0.05], "scores": [3, 2, 1, 0]},
    },
    "required_dimensions": ["advancement"],
    "colour_bounds": [2.5, 1.75, 1.0],
    "colours": ["dark_green", "light_green", "yellow", "red"],
    "compare_decimals": 9,
    "validity_years": 1,
}

SCHEMES = [
    {
        "code": "zj-efficiency-code",
        "version": 1,
        "method": "efficiency_code",
        "valid_from": datetime.date(2020, 1, 1),
        "name_zh": "浙江/湖州工业碳效码（一码三标识）",
        "name_en": "Zhejiang/Huzhou industrial carbon-efficiency code",
        "params": ZHEJIANG,
        "source": "浙江省/湖州市工业碳效码：L 分低/中/高碳（0.6、2.0），K = L / 同期同区域行业平均 L 分 1–5 级"
        "（0.6、0.8、1.2、2.0，上端含）；见 docs/rating.md 与 METHODS.md §2",
        "note": "行业平均 = 组内 Σ排放 / Σ增加值；最小组 5 家，不足时依次上溯至门类、全区域；"
        "Q3+3×IQR 以上的强度与三级数据占比 > 80% 的企业不计入对标值（仍评级）。",
    },
    {
        "code": "qz-3d4c",
        "version": 1,
        "method": "three_dim_four_colour",
        "valid_from": datetime.date(2020, 1, 1),
        "name_zh": "衢州三维四色碳账户评价",
        "name_en": "Quzhou three dimensions, four colours",
        "params": QUZHOU,
        "source": "衢州“三维四色”（行业先进性、区域贡献度、自身下降率 → 深绿/浅绿/黄/红）；阈值未公开，"
        "平台默认值见 docs/rating.md",
        "note": "各维度 0–3 分，权重 0.5/0.25/0.25；S ≥ 2.5 深绿，≥ 1.75 浅绿，≥ 1.0 黄，其余红。",
    },
]


def seed(apps, schema_editor):
    RatingScheme = apps.get_model("rating", "RatingScheme")
    for s in SCHEMES:
        RatingScheme.objects.update_or_create(code=s["code"], version=s["version"], defaults=s)


def unseed(apps, schema_editor):
    RatingScheme = apps.get_model("rating", "RatingScheme")
    RatingScheme.objects.filter(code__in=[s["code"] for s in SCHEMES], version=1, results__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("rating", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]

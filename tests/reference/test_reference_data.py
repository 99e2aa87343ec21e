"""The reference library's CSV files against their declared schemas, and published checks."""

from __future__ import annotations

import csv
import math
import re

import pandas as pd
import pytest

from dualcarbon.engine import reference, units
from dualcarbon.reference import DATA_DIR

NAMES = sorted(reference.SCHEMAS)
LEVEL = re.compile(r"\b(HIGH|MEDIUM|LOW)\b")
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
INT = re.compile(r"^-?\d+$")


def raw(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def header(name: str) -> list[str]:
    with open(DATA_DIR / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh))


# ------------------------------------------------------------------ generic file checks


def test_every_csv_is_declared() -> None:
    on_disk = {p.stem for p in DATA_DIR.glob("*.csv")}
    assert on_disk == set(reference.SCHEMAS), f"stray or missing: {on_disk ^ set(reference.SCHEMAS)}"


def test_declarations_cover_every_table() -> None:
    for mapping in (reference.KEYS, reference.UNIT_COLUMNS, reference.REQUIRED):
        assert set(mapping) == set(reference.SCHEMAS)
    for name, schema in reference.SCHEMAS.items():
        declared = set(schema)
        assert set(reference.KEYS[name]) <= declared
        assert set(reference.UNIT_COLUMNS[name]) <= declared
        assert set(reference.REQUIRED[name]) <= declared
        assert set(schema.values()) <= {"str", "float", "int", "date"}


@pytest.mark.parametrize("name", NAMES)
def test_header_matches_schema(name: str) -> None:
    assert header(name) == list(reference.SCHEMAS[name])


@pytest.mark.parametrize("name", NAMES)
def test_typed_columns_parse(name: str) -> None:
    rows = raw(name)
    assert rows, f"{name}.csv is empty"
    for i, row in enumerate(rows, start=2):
        assert None not in row, f"{name}.csv line {i}: too many fields"
        for column, kind in reference.SCHEMAS[name].items():
            text = row[column]
            assert text == text.strip(), f"{name}.csv line {i} {column}: surrounding whitespace"
            if text == "":
                continue
            if kind == "float":
                value = float(text)
                assert math.isfinite(value), f"{name}.csv line {i} {column}={text!r}"
            elif kind == "int":
                assert INT.match(text), f"{name}.csv line {i} {column}={text!r} is not an integer"
            elif kind == "date":
                assert DATE.match(text), f"{name}.csv line {i} {column}={text!r} is not YYYY[-MM[-DD]]"
    frame = reference.read_table(name)
    assert len(frame) == len(rows)
    for column, kind in reference.SCHEMAS[name].items():
        if kind == "float":
            assert pd.api.types.is_float_dtype(frame[column])
        elif kind == "int":
            assert str(frame[column].dtype) == "Int64"


@pytest.mark.parametrize("name", NAMES)
def test_no_duplicate_keys(name: str) -> None:
    key = list(reference.KEYS[name])
    frame = reference.read_table(name)
    dupes = frame[frame.duplicated(key, keep=False)]
    assert dupes.empty, f"duplicate keys in {name}.csv:\n{dupes[key]}"


@pytest.mark.parametrize("name", NAMES)
def test_required_columns_filled(name: str) -> None:
    for i, row in enumerate(raw(name), start=2):
        for column in reference.REQUIRED[name]:
            assert row[column] != "", f"{name}.csv line {i}: {column} is empty"


@pytest.mark.parametrize("name", NAMES)
def test_unit_strings_are_known(name: str) -> None:
    for i, row in enumerate(raw(name), start=2):
        for column in reference.UNIT_COLUMNS[name]:
            assert units.is_known(row[column]), f"{name}.csv line {i}: unknown unit {row[column]!r}"


@pytest.mark.parametrize("name", NAMES)
def test_source_and_confidence(name: str) -> None:
    columns = reference.SCHEMAS[name]
    for i, row in enumerate(raw(name), start=2):
        if "source" in columns:
            assert row["source"], f"{name}.csv line {i}: empty source"
        if "confidence" in columns:
            assert LEVEL.search(row["confidence"]), f"{name}.csv line {i}: confidence {row['confidence']!r}"


def test_factor_sets_kind_and_status() -> None:
    sets = reference.read_table("factor_sets")
    assert set(sets["kind"]) <= set(reference.KINDS)
    assert set(sets["status"]) <= set(reference.STATUSES)
    assert set(reference.KINDS) == set(sets["kind"]), "every kind has at least one set"


@pytest.mark.parametrize("name", sorted(reference.FACTOR_SET_KIND))
def test_factor_set_values_exist_with_right_kind(name: str) -> None:
    sets = reference.read_table("factor_sets").set_index("factor_set")["kind"]
    wanted = reference.FACTOR_SET_KIND[name]
    for value in sorted(set(reference.read_table(name)["factor_set"])):
        assert value in sets.index, f"{name}.csv uses undeclared factor set {value!r}"
        assert sets[value] == wanted, f"{value!r} is kind {sets[value]!r}, {name}.csv needs {wanted!r}"


def test_gwp_tables_and_other_sets_declared() -> None:
    sets = reference.read_table("factor_sets").set_index("factor_set")["kind"]
    for table in sorted(set(reference.read_table("gwp")["gwp_table"])):
        assert sets.get(f"gwp-{table.lower()}") == "gwp"
    assert sets.get("gbt4754-2017") == "industries"
    assert sets.get("gbt2260-provinces") == "regions"
    assert sets.get("ets-key-sectors") == "key_sectors"


# ------------------------------------------------------------------ file-specific vocabularies


def test_vocabularies() -> None:
    fuels = reference.read_table("fuels")
    assert set(fuels["activity_unit"]) <= {"t", "万Nm3"}
    assert set(fuels["ncv_unit"]) <= {"GJ/t", "GJ/万Nm3"}
    assert set(fuels["carbon_content_unit"]) == {"tC/GJ"}
    assert fuels["oxidation_rate"].dropna().between(0, 1).all()
    grid = reference.read_table("grid_factors")
    assert set(grid["scope"]) <= {"national", "regional", "provincial"}
    assert set(grid["variant"]) <= {"average", "residual", "fossil", "footprint", "om", "bm"}
    regions = {"NORTH", "NORTHEAST", "EAST", "CENTRAL", "NORTHWEST", "SOUTH", "SOUTHWEST"}
    provinces = set(reference.read_table("provinces")["code"])
    for _, row in grid.iterrows():
        expected = {"national": {"CN"}, "regional": regions, "provincial": provinces}[row["scope"]]
        assert row["region_code"] in expected, row.to_dict()
    process = reference.read_table("process_factors")
    assert set(process["method"]) <= {"carbonate", "clinker", "lime", "glass", "aluminium_anode"}
    assert set(process["gas"]) == {"CO2"}
    coal = reference.read_table("coal_equivalents")
    assert set(coal["basis"]) <= {"reference", "statistical", "working_medium", "definition"}
    linked = set(coal["fuel_code"]) - {""}
    assert linked <= set(fuels["fuel_code"]), linked - set(fuels["fuel_code"])
    assert set(reference.read_table("gwp")["gwp_table"]) <= {"SAR", "AR4", "AR5", "AR6"}


def test_provinces() -> None:
    prov = reference.read_table("provinces")
    assert len(prov) == 31
    assert prov["code"].str.fullmatch(r"\d\d").all()
    regions = {"NORTH", "NORTHEAST", "EAST", "CENTRAL", "NORTHWEST", "SOUTH", "SOUTHWEST"}
    assert set(prov["grid_region"]) == regions
    named = dict(zip(prov["code"], prov["name_zh"], strict=True))
    assert named["11"] == "北京市" and named["31"] == "上海市" and named["33"] == "浙江省"
    assert named["65"] == "新疆维吾尔自治区"


def test_industries_and_key_sectors() -> None:
    ind = reference.read_table("industries")
    sections = set(ind.loc[ind["level"] == "section", "code"])
    divisions = ind[ind["level"] == "division"]
    assert len(sections) == 20 and len(divisions) == 97
    assert set(divisions["parent"]) <= sections
    assert (ind.loc[ind["level"] == "section", "parent"] == "").all()
    ks = reference.read_table("key_sectors")
    assert set(ks["industry_division"]) <= set(divisions["code"])
    for classes, division in zip(ks["industry_class"], ks["industry_division"], strict=True):
        assert all(c.startswith(division) for c in classes.split(";"))


# ------------------------------------------------------------------ published checks

# Published CO2 factors from the Table A page (shared fuels.csv source texts), in the page's own unit:
# kgCO2/kg (= tCO2/t) for solids/liquids, kgCO2/m3 for natural gas (21.622 tCO2/万Nm3 = 2.1622 kgCO2/m3).
PUBLISHED_EF = {
    "RAW_COAL": (1.9003, "tCO2/t"),
    "COKE": (2.8604, "tCO2/t"),
    "CRUDE_OIL": (3.0202, "tCO2/t"),
    "FUEL_OIL": (3.1705, "tCO2/t"),
    "GASOLINE": (2.9251, "tCO2/t"),
    "KEROSENE": (3.0179, "tCO2/t"),
    "DIESEL": (3.0959, "tCO2/t"),
    "LPG": (3.1013, "tCO2/t"),
    "REFINERY_DRY_GAS": (3.0119, "tCO2/t"),
    "NATURAL_GAS": (2.1622, "kgCO2/Nm3"),
}


def _ef(row: object) -> float:
    """tCO2 per activity unit = NCV x CC x OF x 44/12."""
    assert isinstance(row, pd.Series)
    return float(row["ncv"] * row["carbon_content"] * row["oxidation_rate"] * 44 / 12)


def test_raw_coal_reproduces_1_9003() -> None:
    fuels = reference.read_table("fuels").set_index(["factor_set", "fuel_code"])
    assert round(_ef(fuels.loc[("fuels-a", "RAW_COAL")]), 4) == 1.9003


def test_fuels_a_reproduces_every_published_ef() -> None:
    fuels = reference.read_table("fuels")
    table_a = fuels[fuels["factor_set"] == "fuels-a"].set_index("fuel_code")
    assert set(table_a.index) == set(PUBLISHED_EF)
    misses = []
    for code, (published, unit) in PUBLISHED_EF.items():
        row = table_a.loc[code]
        per_activity = f"tCO2/{row['activity_unit']}"
        value = _ef(row) * units.factor(per_activity, unit)
        if round(value, 4) != published:
            misses.append(f"{code}: {value:.6f} {unit} vs published {published}")
    assert not misses, misses


def test_natural_gas_in_activity_unit() -> None:
    fuels = reference.read_table("fuels").set_index(["factor_set", "fuel_code"])
    # 21.622 tCO2/万Nm3 is the published 2.1622 kgCO2/m3; the product is 21.62189, so it matches to 3 dp.
    assert round(_ef(fuels.loc[("fuels-a", "NATURAL_GAS")]), 3) == 21.622


def test_gwp_sanity() -> None:
    ar5, sar = reference.gwp_table("AR5"), reference.gwp_table("gwp-sar")
    assert ar5["CH4"] == 28 and ar5["N2O"] == 265 and ar5["CH4_FOSSIL"] == 30
    assert sar["CH4"] == 21 and sar["N2O"] == 310
    assert "NF3" not in sar and "HFC245FA" not in sar
    assert reference.gwp_table("AR6")["SF6"] == 25200
    assert all(t["CO2"] == 1 for t in map(reference.gwp_table, ("SAR", "AR4", "AR5", "AR6")))


def test_grid_spot_values() -> None:
    frame = reference.read_table("grid_factors")
    grid = dict(
        zip(
            zip(
                frame["factor_set"],
                frame["data_year"],
                frame["scope"],
                frame["region_code"],
                frame["variant"],
                strict=True,
            ),
            frame["value"],
            strict=True,
        )
    )
    assert grid[("grid-ets", 2022, "national", "CN", "average")] == 0.5703
    assert grid[("grid-ets", 2019, "national", "CN", "average")] == 0.6101
    assert grid[("grid-ets", 2020, "national", "CN", "average")] == 0.6101
    assert grid[("grid-mee-nbs", 2021, "national", "CN", "average")] == 0.5568
    assert grid[("grid-mee-nbs", 2022, "national", "CN", "average")] == 0.5366
    assert grid[("grid-mee-nbs", 2023, "national", "CN", "average")] == 0.5306
    assert grid[("grid-mee-nbs", 2022, "provincial", "33", "average")] == 0.5153


def test_coal_equivalent_spot_values() -> None:
    coal = reference.read_table("coal_equivalents").set_index("energy_code")
    assert coal.loc["ELECTRICITY", "kgce_per_unit"] == 0.1229
    assert coal.loc["ELECTRICITY", "unit"] == "kgce/kWh"
    assert coal.loc["HEAT", "kgce_per_unit"] == 0.03412
    assert coal.loc["NATURAL_GAS", "kgce_per_unit"] == 1.2143
    assert coal.loc["COKE_OVEN_GAS", "unit"] == "kgce/Nm3"
    assert coal.loc["COKE_OVEN_GAS", "kgce_per_unit"] == 0.6143
    assert "SLIME" not in coal.index


def test_heat_and_process() -> None:
    heat = reference.read_table("heat_factors").set_index("item")
    assert heat.loc["HEAT", "value"] == 0.11 and heat.loc["HEAT", "unit"] == "tCO2/GJ"
    process = reference.read_table("process_factors").set_index("item")
    assert process.loc["CACO3", "value"] == 0.43971
    assert process.loc["CLINKER", "value"] == 0.52
    assert "HEAT_DEFAULT" not in process.index


# ------------------------------------------------------------------ loader API


def test_loader_api() -> None:
    assert reference.read_table("fuels") is not reference.read_table("fuels")  # fresh copies
    grid_sets = reference.factor_sets("grid")
    assert set(grid_sets["factor_set"]) >= {"grid-ets", "grid-mee-nbs", "grid-baseline"}
    assert reference.factor_set_info("fuels-c")["status"] == "comparison"
    with pytest.raises(reference.UnknownFactorSet) as err:
        reference.factor_set_info("fuels-z", "fuel")
    assert "fuels-a" in str(err.value) and "grid-ets" not in str(err.value)
    with pytest.raises(KeyError):
        reference.gwp_table("AR7")
    with pytest.raises(ValueError):
        reference.factor_sets("nonsense")


# ------------------------------------------------------------------ English names

#: every column holding an English name, by table
ENGLISH = {
    "fuels": ("name_en",),
    "heat_factors": ("name_en",),
    "process_factors": ("name_en",),
    "coal_equivalents": ("name_en",),
    "industries": ("name_en",),
    "provinces": ("name_en",),
    "key_sectors": ("ets_sector_en", "subsector_en", "industry_class_name_en"),
    "factor_sets": ("title_en",),
}
HAN = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


@pytest.mark.parametrize("name", sorted(ENGLISH))
def test_english_names_are_required_filled_and_english(name: str) -> None:
    for column in ENGLISH[name]:
        assert column in reference.REQUIRED[name], f"{name}.{column} is not declared required"
        for i, row in enumerate(raw(name), start=2):
            text = row[column]
            assert text.strip(), f"{name}.csv line {i}: empty {column}"
            assert not HAN.search(text), f"{name}.csv line {i}: {column}={text!r} is not English"


def test_every_industry_has_an_english_name_and_classes_pair_up() -> None:
    ind = reference.read_table("industries")
    assert (ind["name_en"].str.len() > 0).all() and len(ind) == 117
    ks = reference.read_table("key_sectors")
    for codes, zh, en in zip(
        ks["industry_class"], ks["industry_class_name"], ks["industry_class_name_en"], strict=True
    ):
        assert len(codes.split(";")) == len(zh.split(";")) == len(en.split(";")), codes
    names = reference.industry_names()
    assert names["06"] == ("煤炭开采和洗选业", "Mining and Washing of Coal")
    assert names["30"][1] == "Manufacture of Non-metallic Mineral Products"
    assert names["C"] == ("制造业", "Manufacturing")
    assert names["2211"] == ("木竹浆制造", "Manufacture of Wood and Bamboo Pulp")
    assert names["2212"] == ("非木竹浆制造", "Manufacture of Non-wood Pulp")
    assert all(en and not HAN.search(en) for _zh, en in names.values())


def test_item_names_in_english() -> None:
    items = reference.item_names()
    assert set(items["table"]) == {"fuels", "heat_factors", "process_factors", "coal_equivalents", "(engine)"}
    assert (items["name_en"].str.len() > 0).all() and not items["name_en"].str.contains(HAN).any()
    assert reference.item_name_en("RAW_COAL", "原煤") == "raw coal"
    # the same code in two fuel sets: the stored Chinese name picks the matching English one
    assert reference.item_name_en("NATURAL_GAS", "油田天然气") == "natural gas (oil-field)"
    assert reference.item_name_en("NATURAL_GAS", "天然气") == "natural gas"
    assert reference.item_name_en("ELECTRICITY", "电力") == "electricity"
    assert reference.item_name_en("CLINKER") and reference.item_name_en("HEAT", "热力")
    assert reference.item_name_en("熟料(自备)") == ""  # an item of the caller's own: no English name


# ------------------------------------------------------------------ official sources of the defaults

#: text that named no document (an uploader, a calculator app, a search-index id, a hedge) — never in a default
UNSOURCED = re.compile(r"max\.book118|code corpus|calculator|unverified|repo comment|unnamed|uploader", re.I)


def _default_sets() -> dict[str, str]:
    """Every factor set the platform uses when nothing else is chosen (engine/factors.py), by kind."""
    from dualcarbon.engine import factors

    sets = {name: "fuel" for name in factors.DEFAULT_FUEL_SETS}
    sets[factors.DEFAULT_PROCESS_SET] = "process"
    sets[factors.DEFAULT_HEAT_SET] = "heat"
    sets[factors.DEFAULT_COEF_SET] = "energy_coefficients"
    sets[factors.GridSpec.parse(factors.DEFAULT_GRID).factor_set] = "grid"
    sets[factors.RESIDUAL_SET] = "grid"
    sets[f"gwp-{factors.DEFAULT_GWP.lower()}"] = "gwp"
    return sets


def test_read_from_says_how_every_set_and_grid_row_was_read() -> None:
    for table in ("factor_sets", "grid_factors"):
        for i, row in enumerate(raw(table), start=2):
            assert reference.READ_FROM.match(row["read_from"]), f"{table}.csv line {i}: read_from {row['read_from']!r}"


def test_every_default_set_names_an_official_document() -> None:
    """Walk the defaults: each is an active set naming publisher, document title and number, table or clause, and
    how it was read; its sentence (zh and en) names the document and nothing unsourced."""
    sets = reference.read_table("factor_sets").set_index("factor_set")
    for name, kind in _default_sets().items():
        info = sets.loc[name]
        assert info["kind"] == kind and info["status"] == "active", name
        for column in ("publisher", "publisher_en", "document", "document_en", "document_no", "table_ref",
                       "table_ref_en", "read_from"):
            assert info[column], f"default set {name}: {column} is empty"
        for text in (info["publisher"], info["document"], info["document_no"]):
            assert not UNSOURCED.search(text), f"{name}: {text!r}"
        zh, en = reference.citation(name, "zh"), reference.citation(name, "en")
        assert info["document_no"] in zh and info["document"] in zh and info["table_ref"] in zh
        assert info["document_no"] in en and info["document_en"] in en
        assert not UNSOURCED.search(zh) and not UNSOURCED.search(en), (name, zh, en)
        assert "仅供比对" not in zh and "comparison" not in en


def test_every_row_of_the_default_sets_cites_its_table() -> None:
    defaults = _default_sets()
    fuels = reference.read_table("fuels")
    rows = fuels[fuels["factor_set"].isin([n for n, k in defaults.items() if k == "fuel"])]
    assert len(rows) >= 30
    for _, row in rows.iterrows():
        assert row["table_ref"] and row["table_ref_en"], row["fuel_code"]
        assert not UNSOURCED.search(row["source"]), (row["fuel_code"], row["source"])
        assert ("表" in row["table_ref"]) and ("Table" in row["table_ref_en"]), row["fuel_code"]
    heat = reference.read_table("heat_factors")
    assert (heat.loc[heat["factor_set"].isin(defaults), "table_ref"] != "").all()
    coal = reference.read_table("coal_equivalents")
    coal = coal[coal["factor_set"].isin(defaults)]
    assert len(coal) >= 15 and set(coal["basis"]) <= {"reference", "definition"}, "only GB/T 2589 rows in the default"
    assert (coal["table_ref"] != "").all()
    grid = reference.read_table("grid_factors")
    grid = grid[grid["factor_set"].isin([n for n, k in defaults.items() if k == "grid"])]
    assert set(grid["variant"]) == {"average", "residual", "fossil"}, "the footprint factor is not a scope-2 default"
    announcements = {2021: ("公告2024年第12号", "2024-04-12"), 2022: ("公告2024年第33号", "2024-12-20"),
                     2023: ("公告2025年第47号", "2025-12-31")}
    for _, row in grid.iterrows():
        number, published = announcements[int(row["data_year"])]
        assert (row["document_no"], row["published"]) == (number, published), row.to_dict()
        assert f"关于发布{row['data_year']}年电力二氧化碳排放因子的公告" in row["document"]
        assert row["table_ref"].startswith("附件") and reference.READ_FROM.match(row["read_from"])
        assert "unverified" not in row["document"] and "repo comment" not in row["document"]


def test_sets_that_cannot_be_sourced_are_for_comparison_only() -> None:
    from dualcarbon.engine import factors

    for name in ("fuels-a", "fuels-b", "fuels-c", "energy-stat-ref"):
        assert reference.factor_set_info(name)["status"] == "comparison"
        assert not reference.is_official(name)
        assert reference.citation(name, "zh").endswith("不是官方来源，仅供比对。")
        assert reference.citation(name, "en").endswith("not an official source; for comparison only.")
        assert name not in _default_sets()
    assert factors.DEFAULT_FUEL_SETS == ("ndrc-2015", "ipcc2006-fuels")


def test_citation_sentences() -> None:
    zh = reference.citation("ndrc-2015", "zh")
    assert zh.startswith(
        "国家发展和改革委员会办公厅发布的《工业其他行业企业温室气体排放核算方法与报告指南（试行）》"
        "（发改办气候〔2015〕1722号），附录二 表2.1"
    )
    assert "2015年发布" in zh and "官方原文未能查阅" in zh  # read from transcriptions, and said so
    en = reference.citation("ndrc-2015", "en")
    assert "(发改办气候〔2015〕1722号), published by General Office of the National Development and Reform" in en
    assert "Appendix 2, Table 2.1" in en and "could not be consulted" in en
    assert "转载件" in reference.citation("heat-default") and "reprint" in reference.citation("heat-default", "en")
    assert "公告2025年第47号" in reference.citation("grid-mee-nbs")
    assert "2025-12-31" in reference.citation("grid-mee-nbs", "en")
    assert "GB/T 2589-2008" in reference.citation("gbt2589")
    # a row that is not in the set's table says so
    assert "不在表2.1中（平台规则）" in reference.item_source("ndrc-2015", "RAW_COAL")
    assert "Table 1.2" in reference.item_source("ipcc2006-fuels", "SEMI_COKE", "en")
    assert reference.item_source("fuels-a", "RAW_COAL") == "不是官方来源，仅供比对"
    # the workbook may ask for where a reprint or transcription was read
    assert "52627613573" in reference.citation("ndrc-2015", "zh", detail=True)
    assert "52627613573" not in zh


def test_ndrc_table_spot_values() -> None:
    fuels = reference.read_table("fuels").set_index(["factor_set", "fuel_code"])
    # 发改办气候〔2015〕1722号 附录二 表2.1 as transcribed: NCV (GJ/t, GJ/万Nm3), CC (tC/GJ), OF
    expected = {
        "ANTHRACITE": (26.7, 0.0274, 0.94), "BITUMINOUS": (19.570, 0.0261, 0.93), "LIGNITE": (11.9, 0.0280, 0.96),
        "COKE": (28.435, 0.0295, 0.93), "DIESEL": (42.652, 0.0202, 0.98), "NATURAL_GAS": (389.31, 0.0153, 0.99),
        "COKE_OVEN_GAS": (179.81, 0.01358, 0.99), "REFINERY_DRY_GAS": (45.998, 0.0182, 0.99),
    }
    for code, (ncv, cc, of) in expected.items():
        row = fuels.loc[("ndrc-2015", code)]
        assert (row["ncv"], row["carbon_content"], row["oxidation_rate"]) == (ncv, cc, of), code
    assert len(fuels.loc["ndrc-2015"]) == 27  # 26 rows of the table + 原煤 (platform rule)
    semi = fuels.loc[("ipcc2006-fuels", "SEMI_COKE")]
    assert (semi["name_zh"], semi["ncv"], semi["carbon_content"], semi["oxidation_rate"]) == ("兰炭", 28.2, 0.0292, 1.0)

"""Throughput benchmark: the DualCarbon engine against hand-written DuckDB SQL, a Decimal loop and the ORM.

One run generates N synthetic activity rows (Parquet), then measures on the same file and machine:

(a) ``engine``: ``account_table`` on DuckDB (profile scan, factor resolution, validation), the lines
    written to Parquet in compact form (numbers + a lineage id) with their lineage table, and the
    account view (totals, scopes, by source, by gas, tier 3) computed from the written files;
(b) ``sql``: the same arithmetic as one hand-written DuckDB query over small factor tables, written
    with ``COPY … TO`` Parquet, then the same account view per entity and period from that file (the
    practical limit);
(c) ``loop``: a per-row Python loop with ``decimal.Decimal`` over row dicts, a lean stand-in for how
    ORM-based platforms compute (factor look-ups in dicts, unit conversion, accumulation in a dict), on a sample,
    timed like (a) and (b) from reading the file to writing the lines (the loop alone is reported too);
(d) ``orm``: the same per-row calculation the way an ORM-based platform runs it: the sample stored as
    Django model rows in a throwaway SQLite file (not timed), then model instances fetched, each line
    computed with the same function as (c), and the lines saved with ``bulk_create`` in one transaction.

Each measurement runs in its own Python process, so its peak RSS (``VmHWM``) is its own.

    .venv/bin/python bench/engine.py --rows 1000000
    .venv/bin/python bench/engine.py --rows 10000000 --skip-loop --skip-orm --json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SEED = 20261121
CHUNK_ROWS = 1_000_000
#: row-group size of the activity file: the engine's own normaliser (inputs.BATCH_ROWS) writes 262,144
#: rows per group; DuckDB parallelises a Parquet scan by row group
ROW_GROUP_ROWS = 262_144
N_ENTITIES = 5_000
YEARS = (2022, 2023, 2024)
PERIODS = tuple(f"{y}-{m:02d}" for y in YEARS for m in range(1, 13))
GRID_SPEC = "mee:auto"
LOOP_SAMPLE = 200_000
ORM_SAMPLE = 50_000
REL_TOL = 1e-6

#: GB/T 2260 county codes the synthetic entities are registered in, with their share of entities
COUNTIES = {
    "330502": 0.16,  # 浙江 湖州 吴兴区
    "320106": 0.16,  # 江苏 南京 鼓楼区
    "110105": 0.12,  # 北京 朝阳区
    "440305": 0.14,  # 广东 深圳 南山区
    "510104": 0.10,  # 四川 成都 锦江区
    "650102": 0.08,  # 新疆 乌鲁木齐 天山区
    "370202": 0.08,  # 山东 青岛 市南区
    "420106": 0.06,  # 湖北 武汉 武昌区
    "210102": 0.05,  # 辽宁 沈阳 和平区
    "610113": 0.05,  # 陕西 西安 雁塔区
}


@dataclass(frozen=True)
class Template:
    """One kind of activity record: what a row looks like and how often it occurs."""

    source_type: str
    item: str
    unit: str
    weight: float
    median: float  # typical monthly quantity in ``unit``
    sigma: float = 0.8  # log-normal spread
    ncv_unit: str | None = None  # unit of a measured NCV on this kind of row
    ncv_scale: float = 1.0  # measured NCV = default NCV (GJ/activity unit) × scale, in ncv_unit
    measured: float = 0.0  # probability that the record carries measured parameters
    region: bool = False  # electricity: the grid factor depends on the region


TEMPLATES: tuple[Template, ...] = (
    Template("fuel_combustion", "原煤", "t", 0.07, 400, ncv_unit="GJ/t", measured=0.10),
    Template("fuel_combustion", "RAW_COAL", "t", 0.02, 400, ncv_unit="GJ/t", measured=0.10),
    Template("fuel_combustion", "焦炭", "t", 0.03, 150, ncv_unit="GJ/t", measured=0.10),
    Template("fuel_combustion", "焦炭", "吨", 0.01, 150, ncv_unit="GJ/t", measured=0.10),
    Template("fuel_combustion", "柴油", "t", 0.09, 12, ncv_unit="GJ/t", measured=0.10),
    Template("fuel_combustion", "天然气", "万立方米", 0.06, 8, ncv_unit="GJ/万Nm3", measured=0.10),
    Template("fuel_combustion", "天然气", "m3", 0.05, 60_000, ncv_unit="MJ/m3", ncv_scale=0.1, measured=0.10),
    Template("fuel_combustion", "汽油", "t", 0.05, 4, ncv_unit="GJ/t", measured=0.10),
    Template("fuel_combustion", "燃料油", "t", 0.03, 20, ncv_unit="GJ/t", measured=0.10),
    Template("fuel_combustion", "LPG", "t", 0.03, 2, ncv_unit="GJ/t", measured=0.10),
    Template("purchased_electricity", "电力", "kWh", 0.18, 150_000, region=True),
    # green power (绿电): location-based like any purchase, zero in the market-based view
    Template("purchased_electricity", "绿电", "MWh", 0.02, 200, region=True),
    Template("purchased_electricity", "电力", "MWh", 0.10, 150, region=True),
    Template("purchased_heat", "热力", "GJ", 0.08, 1_500),
    Template("process", "石灰石", "t", 0.04, 800),
    Template("process", "CACO3", "t", 0.03, 800),
    Template("exported_electricity", "电力", "MWh", 0.04, 40, region=True),
    Template("co2_recovery", "CO2", "t", 0.04, 30),
    # biomass: not in the factor library, so every record carries its parameters; reported apart
    Template("biomass", "木屑", "t", 0.03, 100, ncv_unit="GJ/t", measured=1.0),
)
#: biomass (wood chips) parameters: NCV GJ/t, carbon content tC/GJ, oxidation rate
BIOMASS_PARAMS = (15.0, 0.0305, 0.90)
#: share of electricity records without a region (the national factor applies)
NO_REGION_SHARE = 0.03

SCHEMA = pa.schema([
    ("entity", pa.string()), ("period", pa.string()), ("source_type", pa.string()), ("item", pa.string()),
    ("quantity", pa.float64()), ("unit", pa.string()), ("ncv", pa.float64()), ("ncv_unit", pa.string()),
    ("carbon_content", pa.float64()), ("oxidation_rate", pa.float64()), ("region", pa.string()),
    ("_row", pa.int64()), ("_sheet", pa.string()),
])


# ----------------------------------------------------------------------------------------------
# Reference factors, read straight from the CSV files (the baselines do not use engine code)

#: activity item as written on the record → fuel code of the default set (ndrc-2015)
FUEL_CODES = {"原煤": "RAW_COAL", "RAW_COAL": "RAW_COAL", "焦炭": "COKE", "柴油": "DIESEL",
              "天然气": "NATURAL_GAS", "汽油": "GASOLINE", "燃料油": "FUEL_OIL", "LPG": "LPG"}
#: quantity unit → (activity unit, multiplier)
UNITS = {"t": ("t", "1"), "吨": ("t", "1"), "万立方米": ("万Nm3", "1"), "m3": ("万Nm3", "0.0001"),
         "kWh": ("MWh", "0.001"), "MWh": ("MWh", "1"), "GJ": ("GJ", "1")}
#: (NCV unit, activity unit) → multiplier to GJ per activity unit
NCV_UNITS = {("GJ/t", "t"): "1", ("GJ/万Nm3", "万Nm3"): "1", ("MJ/m3", "万Nm3"): "10"}
#: (coal-equivalent unit, activity unit) → multiplier to tce per activity unit
TCE_UNITS = {("kgce/kg", "t"): "1", ("kgce/Nm3", "万Nm3"): "10", ("kgce/kWh", "MWh"): "1",
             ("kgce/MJ", "GJ"): "1"}
SOURCES = {  # source type → (sign on the total, scope)
    "fuel_combustion": (1, "1"), "process": (1, "1"), "co2_recovery": (-1, "1"),
    "purchased_electricity": (1, "2"), "purchased_heat": (1, "2"), "exported_electricity": (-1, "export"),
    "exported_heat": (-1, "export"), "biomass": (0, "biomass"),
}
GJ_PER_TCE = Decimal("29.3076")
CO2_PER_C = Decimal(44) / Decimal(12)


def _reference_dir() -> Path:
    from dualcarbon.reference import DATA_DIR

    return Path(DATA_DIR)


def _csv_rows(name: str) -> list[dict[str, str]]:
    with open(_reference_dir() / f"{name}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@dataclass
class Factors:
    """Small factor tables as a hand-written implementation would keep them (Decimal values)."""

    #: (source_type, item) → {code, method, activity_unit, ncv, cc, of, factor, tce}
    items: dict[tuple[str, str], dict[str, Any]]
    units: dict[str, tuple[str, Decimal]]
    ncv_units: dict[tuple[str, str], Decimal]
    #: (year, province code or "") → grid factor tCO2/MWh
    grid: dict[tuple[int, str], Decimal]
    #: year → national residual factor tCO2/MWh (market-based scope 2 of purchases other than 绿电)
    residual: dict[int, Decimal]
    sources: dict[str, tuple[int, str]] = field(default_factory=lambda: dict(SOURCES))


def grid_table(spec_level: str = "auto", years: tuple[int, ...] = YEARS) -> dict[tuple[int, str], Decimal]:
    """mee:auto: the province's latest average factor up to the year, else its grid region's, else national.

    Province "" (no region on the record) gets the national factor.
    """
    assert spec_level == "auto"
    series: dict[tuple[str, str], list[tuple[int, Decimal]]] = {}
    for r in _csv_rows("grid_factors"):
        if r["factor_set"] == "grid-mee-nbs" and r["variant"] == "average":
            point = (int(r["data_year"]), Decimal(r["value"]))
            series.setdefault((r["scope"], r["region_code"]), []).append(point)

    def latest(scope: str, code: str, year: int) -> Decimal | None:
        hits = sorted(s for s in series.get((scope, code), []) if s[0] <= year)
        return hits[-1][1] if hits else None

    grid_of = {r["code"].zfill(2): r["grid_region"] for r in _csv_rows("provinces")}
    out: dict[tuple[int, str], Decimal] = {}
    for year in years:
        national = latest("national", "CN", year)
        assert national is not None
        out[(year, "")] = national
        for prov, region in grid_of.items():
            value = latest("provincial", prov, year) or latest("regional", region, year) or national
            out[(year, prov)] = value
    return out


def residual_table(years: tuple[int, ...] = YEARS) -> dict[int, Decimal]:
    """The market-based view's factor for purchased electricity: the latest national residual up to the year."""
    series = sorted((int(r["data_year"]), Decimal(r["value"])) for r in _csv_rows("grid_factors")
                    if r["factor_set"] == "grid-mee-nbs" and r["variant"] == "residual" and r["scope"] == "national")
    return {year: [v for y, v in series if y <= year][-1] for year in years}


def load_factors() -> Factors:
    # the platform's default fuel set (engine.factors.DEFAULT_FUEL_SETS: the NDRC 2015 guidelines' table 2.1);
    # every fuel the generator writes is in it, so the second default set is never reached
    fuels = {r["fuel_code"]: r for r in _csv_rows("fuels") if r["factor_set"] == "ndrc-2015"}
    coal = {}
    for r in _csv_rows("coal_equivalents"):
        if r["factor_set"] == "gbt2589":
            for key in (r["energy_code"], r["fuel_code"]):
                if key and key not in coal:
                    coal[key] = r

    def tce(code: str, activity_unit: str) -> Decimal:
        r = coal[code]
        return Decimal(r["kgce_per_unit"]) * Decimal(TCE_UNITS[(r["unit"], activity_unit)])

    def item(code: str, method: str, activity_unit: str, **values: Decimal | None) -> dict[str, Any]:
        out: dict[str, Any] = dict(code=code, method=method, activity_unit=activity_unit)
        for key in ("ncv", "cc", "of", "factor", "tce"):
            out[key] = values.get(key)
        return out

    items: dict[tuple[str, str], dict[str, Any]] = {}
    for name, code in FUEL_CODES.items():
        f = fuels[code]
        unit = f["activity_unit"]
        assert f["ncv_unit"] == f"GJ/{unit}" and f["carbon_content_unit"] == "tC/GJ", f
        items[("fuel_combustion", name)] = item(
            code, "fuel", unit, ncv=Decimal(f["ncv"]), cc=Decimal(f["carbon_content"]),
            of=Decimal(f["oxidation_rate"]), tce=tce(code, unit))
    for st in ("purchased_electricity", "exported_electricity"):
        items[(st, "电力")] = item("ELECTRICITY", "electricity", "MWh", tce=tce("ELECTRICITY", "MWh"))
    items[("purchased_electricity", "绿电")] = item("GREEN_ELECTRICITY", "electricity", "MWh",
                                                   tce=tce("ELECTRICITY", "MWh"))
    heat = next(r for r in _csv_rows("heat_factors")
                if r["factor_set"] == "heat-default" and r["item"] == "HEAT")
    assert heat["unit"] == "tCO2/GJ" and heat["activity_unit"] == "GJ"
    for st in ("purchased_heat", "exported_heat"):
        items[(st, "热力")] = item("HEAT", "heat", "GJ", factor=Decimal(heat["value"]), tce=tce("HEAT", "GJ"))
    proc = next(r for r in _csv_rows("process_factors")
                if r["factor_set"] == "process-ipcc2006" and r["item"] == "CACO3")
    assert proc["unit"] == "tCO2/t" and proc["activity_unit"] == "t"
    for name in ("石灰石", "CACO3"):
        items[("process", name)] = item("CACO3", "carbonate", "t", factor=Decimal(proc["value"]))
    items[("co2_recovery", "CO2")] = item("CO2", "recovery", "t", factor=Decimal(1))  # purity 1
    items[("biomass", "木屑")] = item("木屑", "fuel", "t")  # parameters on every record
    units = {u: (au, Decimal(m)) for u, (au, m) in UNITS.items()}
    ncv_units = {k: Decimal(v) for k, v in NCV_UNITS.items()}
    return Factors(items, units, ncv_units, grid_table(), residual_table())


# ----------------------------------------------------------------------------------------------
# Synthetic data


def _entities(rng: np.random.Generator, n: int = N_ENTITIES) -> tuple[list[str], np.ndarray]:
    """USCC-like codes (valid check digits) and each entity's county index."""
    from stdnum.cn import uscc

    counties = list(COUNTIES)
    home = rng.choice(len(counties), size=n, p=np.array(list(COUNTIES.values())))
    codes: list[str] = []
    seen: set[str] = set()
    weights = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code check digit
    while len(codes) < n:
        i = len(codes)
        body = "".join(str(d) for d in rng.integers(0, 10, 8))
        c = 11 - sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
        org = body + {10: "X", 11: "0"}.get(c, str(c))
        head = "91" + counties[home[i]] + org
        code = head + uscc.calc_check_digit(head)
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return codes, home


def _default_params() -> dict[str, tuple[float, float, float]]:
    f = load_factors()
    out = {}
    for (st, name), it in f.items.items():
        if st == "fuel_combustion":
            out[name] = (float(it["ncv"]), float(it["cc"]), float(it["of"]))
    out["木屑"] = BIOMASS_PARAMS
    return out


def _chunks(rows: int, seed: int) -> Iterator[pa.RecordBatch]:
    rng0 = np.random.default_rng(seed)
    codes, home = _entities(rng0)
    counties = list(COUNTIES)
    entity_arr = pa.array(codes, type=pa.string())
    period_arr = pa.array(PERIODS, type=pa.string())
    county_arr = pa.array(counties, type=pa.string())
    st_arr = pa.array([t.source_type for t in TEMPLATES], type=pa.string())
    item_arr = pa.array([t.item for t in TEMPLATES], type=pa.string())
    unit_arr = pa.array([t.unit for t in TEMPLATES], type=pa.string())
    ncv_unit_arr = pa.array([t.ncv_unit for t in TEMPLATES], type=pa.string())
    weights = np.array([t.weight for t in TEMPLATES])
    weights = weights / weights.sum()
    median = np.array([t.median for t in TEMPLATES])
    sigma = np.array([t.sigma for t in TEMPLATES])
    p_measured = np.array([t.measured for t in TEMPLATES])
    has_region = np.array([t.region for t in TEMPLATES])
    defaults = _default_params()
    base = np.array([defaults.get(t.item, (np.nan, np.nan, np.nan)) for t in TEMPLATES])
    ncv_scale = np.array([t.ncv_scale for t in TEMPLATES])
    biomass = np.array([t.source_type == "biomass" for t in TEMPLATES])

    start = 0
    chunk_no = 0
    while start < rows:
        n = min(CHUNK_ROWS, rows - start)
        rng = np.random.default_rng([seed, chunk_no])
        ent = rng.integers(0, len(codes), n)
        per = rng.integers(0, len(PERIODS), n)
        tpl = rng.choice(len(TEMPLATES), size=n, p=weights)
        qty = np.round(median[tpl] * np.exp(sigma[tpl] * rng.standard_normal(n) - sigma[tpl] ** 2 / 2), 3)
        qty = np.maximum(qty, 0.001)
        pm = p_measured[tpl]
        # each parameter measured independently; biomass always carries all three
        m_ncv = rng.random(n) < pm
        m_cc = (rng.random(n) < pm * 0.6) | biomass[tpl]
        m_of = (rng.random(n) < pm * 0.6) | biomass[tpl]
        ncv = np.round(base[tpl, 0] * ncv_scale[tpl] * (1 + 0.03 * rng.standard_normal(n)), 3)
        cc = np.round(base[tpl, 1] * (1 + 0.02 * rng.standard_normal(n)), 5)
        of = np.round(np.clip(base[tpl, 2] + 0.01 * rng.standard_normal(n), 0.80, 1.0), 3)
        region_idx = home[ent].astype(np.int32)
        no_region = ~has_region[tpl] | (rng.random(n) < NO_REGION_SHARE)
        tpl32 = pa.array(tpl.astype(np.int32))
        ncv_unit_idx = pa.array(tpl.astype(np.int32), mask=~m_ncv)
        arrays = [
            pc.take(entity_arr, pa.array(ent.astype(np.int32))),
            pc.take(period_arr, pa.array(per.astype(np.int32))),
            pc.take(st_arr, tpl32),
            pc.take(item_arr, tpl32),
            pa.array(qty, type=pa.float64()),
            pc.take(unit_arr, tpl32),
            pa.array(ncv, type=pa.float64(), mask=~m_ncv),
            pc.take(ncv_unit_arr, ncv_unit_idx),
            pa.array(cc, type=pa.float64(), mask=~m_cc),
            pa.array(of, type=pa.float64(), mask=~m_of),
            pc.take(county_arr, pa.array(region_idx, mask=no_region)),
            pa.array(np.arange(start + 1, start + n + 1, dtype=np.int64)),
            pa.nulls(n, pa.string()),
        ]
        yield pa.RecordBatch.from_arrays(arrays, schema=SCHEMA)
        start += n
        chunk_no += 1


def generate(path: str | Path, rows: int, seed: int = SEED) -> int:
    """Write ``rows`` synthetic activity records to a Parquet file (bounded memory); return the row count."""
    written = 0
    with pq.ParquetWriter(str(path), SCHEMA, compression="zstd") as writer:
        for batch in _chunks(rows, seed):
            writer.write_batch(batch, row_group_size=ROW_GROUP_ROWS)
            written += batch.num_rows
    return written


# ----------------------------------------------------------------------------------------------
# Measurements


def peak_rss_bytes() -> int:
    """Peak resident set of this process: VmHWM (Linux), else ru_maxrss."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _cpu_s() -> float:
    """CPU seconds (user + system, all threads) used by this process so far."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _duckdb_settings() -> dict[str, str]:
    """The settings the engine's DuckDB connection uses (dualcarbon.engine.backends.connect)."""
    return {"memory_limit": os.environ.get("DUALCARBON_DUCKDB_MEMORY", "2GB"),
            "temp_directory": f"{tempfile.gettempdir()}/dualcarbon-duckdb-spill",
            "preserve_insertion_order": "false"}


def run_engine(path: str | Path, out: str | Path, threads: int | None = None) -> dict[str, Any]:
    """(a) DualCarbon engine on DuckDB: validate + account, lines → Parquet, totals of the written lines."""
    import pandas as pd

    from dualcarbon.engine import Options, account_table, backends
    from dualcarbon.engine.accounting import totals

    con = backends.connect("duckdb", threads=threads)
    c0 = _cpu_s()
    t0 = time.perf_counter()
    table = con.read_parquet(str(path))
    result = account_table(con, table, Options(grid=GRID_SPEC))
    t1 = time.perf_counter()
    lineage = Path(str(out) + ".lineage.parquet")
    result.write_parquet(out, lineage)
    t2 = time.perf_counter()
    tot = con.execute(totals(con.read_parquet(str(out)), pd.read_parquet(lineage)))
    t3 = time.perf_counter()
    cpu = _cpu_s() - c0
    rows = int(tot["lines"].sum())
    return {
        "name": "engine", "rows": rows, "seconds": t3 - t0, "rows_per_s": rows / (t3 - t0),
        "cpu_s": cpu, "rows_per_cpu_s": rows / cpu,
        "phases": {"check": t1 - t0, "lines_parquet": t2 - t1, "totals": t3 - t2},
        "total_tco2e": float(tot["total_tco2e"].sum()), "energy_tce": float(tot["energy_tce"].sum()),
        "account": _account_sums(tot),
        "groups": len(tot), "threads": int(con.raw_sql("SELECT current_setting('threads')").fetchone()[0]),
        "peak_rss_bytes": peak_rss_bytes(),
    }


SQL_LINES = """
COPY (
  WITH j AS (
    SELECT a._row AS row, a.entity, a.period, a.source_type, s.scope, s.sign, i.code AS item, i.method,
           a.quantity * u.mult AS q,
           a.ncv * nu.mult AS ncv_measured,
           coalesce(a.ncv * nu.mult, i.ncv) AS ncv,
           coalesce(a.carbon_content, i.cc) AS cc,
           coalesce(a.oxidation_rate, i.of_) AS of_,
           (a.ncv IS NULL OR a.carbon_content IS NULL OR a.oxidation_rate IS NULL) AS fuel_default,
           i.factor, i.tce, g.factor AS grid, g.residual
    FROM read_parquet('{src}') a
    JOIN f_sources s ON s.source_type = a.source_type
    JOIN f_items i ON i.source_type = a.source_type AND i.item = a.item
    JOIN f_units u ON u.unit = a.unit AND u.activity_unit = i.activity_unit
    LEFT JOIN f_ncv_units nu ON nu.ncv_unit = a.ncv_unit AND nu.activity_unit = i.activity_unit
    LEFT JOIN f_grid g ON i.method = 'electricity' AND g.year = CAST(left(a.period, 4) AS INTEGER)
                      AND g.province = coalesce(left(a.region, 2), '')
  ), e AS (
    SELECT *, CASE method WHEN 'fuel' THEN ncv * cc * of_ * (44.0 / 12.0)
                          WHEN 'electricity' THEN grid
                          ELSE factor END AS ef
    FROM j
  ), t AS (
    SELECT *, CASE WHEN source_type = 'biomass' THEN 0.0 ELSE q * ef * sign END AS tco2e FROM e
  )
  SELECT row, entity, period, source_type, scope, item, q AS quantity, ef AS emission_factor, tco2e,
         CASE WHEN source_type = 'biomass' THEN q * ef ELSE 0.0 END AS biomass_co2_t,
         CASE WHEN method = 'fuel' AND ncv_measured IS NOT NULL THEN q * ncv_measured / 29.3076
              WHEN method = 'fuel' THEN q * tce
              WHEN method IN ('electricity', 'heat')
                THEN q * tce * CASE WHEN source_type LIKE 'exported%' THEN -1.0 ELSE 1.0 END
              ELSE 0.0 END AS energy_tce,
         -- data-quality tier: a factor-set default parameter or factor makes it 3
         CASE WHEN method = 'fuel' AND fuel_default THEN 3 WHEN method = 'carbonate' THEN 3 ELSE 1 END AS tier,
         -- market-based view: green power at zero, other purchases at the year's national residual factor
         CASE WHEN source_type = 'purchased_electricity'
              THEN q * CASE WHEN item = 'GREEN_ELECTRICITY' THEN 0.0 ELSE residual END
              ELSE tco2e END AS market_tco2e
  FROM t
) TO '{out}' (FORMAT parquet)
"""

#: the account view the engine gives per entity and period (every record of this data is CO2, so by
#: gas: CO2 is the total and the other gases are zero)
SQL_TOTALS = """
SELECT entity, period, sum(tco2e) AS total_tco2e,
       sum(CASE WHEN scope = '1' THEN tco2e ELSE 0 END) AS scope1_tco2e,
       sum(CASE WHEN scope = '2' THEN tco2e ELSE 0 END) AS scope2_tco2e,
       sum(CASE WHEN scope = '2' THEN market_tco2e ELSE 0 END) AS scope2_market_tco2e,
       sum(market_tco2e) AS total_market_tco2e,
       sum(CASE WHEN scope = 'export' THEN tco2e ELSE 0 END) AS exported_tco2e,
       sum(biomass_co2_t) AS biomass_co2_t, sum(energy_tce) AS energy_tce,
       sum(tco2e) AS co2_tco2e, 0.0 AS ch4_tco2e, 0.0 AS n2o_tco2e, 0.0 AS fgas_tco2e,
       count(*) AS lines,
       sum(CASE WHEN tier = 3 THEN abs(tco2e) ELSE 0 END) AS tier3_tco2e,
       {by_source}
FROM read_parquet('{lines}')
GROUP BY entity, period ORDER BY entity, period
"""
SQL_BY_SOURCE = ",\n       ".join(
    f"sum(CASE WHEN source_type = '{st}' THEN {'biomass_co2_t' if st == 'biomass' else 'tco2e'} ELSE 0 END)"
    f" AS src_{st}"
    for st in SOURCES
)
#: the account columns both (a) and (b) report; their sums over all entities and periods must agree
ACCOUNT_COLUMNS = ("total_tco2e", "scope1_tco2e", "scope2_tco2e", "scope2_market_tco2e", "total_market_tco2e",
                   "exported_tco2e", "biomass_co2_t",
                   "energy_tce", "co2_tco2e", "ch4_tco2e", "n2o_tco2e", "fgas_tco2e", "lines", "tier3_tco2e",
                   *(f"src_{st}" for st in SOURCES))


def _account_sums(tot: Any) -> dict[str, float]:
    return {c: float(tot[c].sum()) for c in ACCOUNT_COLUMNS}


def _factor_frames(f: Factors) -> dict[str, pa.Table]:
    def num(v: Decimal | None) -> float | None:
        return None if v is None else float(v)

    items = [dict(source_type=st, item=name, code=it["code"], method=it["method"],
                  activity_unit=it["activity_unit"], ncv=num(it["ncv"]), cc=num(it["cc"]), of_=num(it["of"]),
                  factor=num(it["factor"]), tce=num(it["tce"])) for (st, name), it in f.items.items()]
    return {
        "f_items": pa.Table.from_pylist(items),
        "f_units": pa.Table.from_pylist([dict(unit=u, activity_unit=au, mult=float(m))
                                         for u, (au, m) in f.units.items()]),
        "f_ncv_units": pa.Table.from_pylist([dict(ncv_unit=u, activity_unit=au, mult=float(m))
                                             for (u, au), m in f.ncv_units.items()]),
        "f_grid": pa.Table.from_pylist(
            [dict(year=y, province=p, factor=float(v), residual=float(f.residual[y])) for (y, p), v in f.grid.items()],
            schema=pa.schema([("year", pa.int32()), ("province", pa.string()), ("factor", pa.float64()),
                              ("residual", pa.float64())])),
        "f_sources": pa.Table.from_pylist([dict(source_type=k, sign=float(s), scope=sc)
                                           for k, (s, sc) in f.sources.items()]),
    }


def _sql_path(p: str | Path) -> str:
    return str(p).replace("'", "''")


def run_sql(path: str | Path, out: str | Path, threads: int | None = None) -> dict[str, Any]:
    """(b) The same arithmetic hand-written as one DuckDB query (COPY … TO Parquet), then totals."""
    import duckdb

    con = duckdb.connect()
    for key, value in _duckdb_settings().items():
        con.execute(f"SET {key}='{value}'")
    if threads:
        con.execute(f"SET threads={int(threads)}")
    for name, table in _factor_frames(load_factors()).items():
        con.register(name, table)
    c0 = _cpu_s()
    t0 = time.perf_counter()
    con.execute(SQL_LINES.format(src=_sql_path(path), out=_sql_path(out)))
    t1 = time.perf_counter()
    tot = con.execute(SQL_TOTALS.format(lines=_sql_path(out), by_source=SQL_BY_SOURCE)).df()
    t2 = time.perf_counter()
    cpu = _cpu_s() - c0
    rows = int(tot["lines"].sum())
    return {
        "name": "sql", "rows": rows, "seconds": t2 - t0, "rows_per_s": rows / (t2 - t0),
        "cpu_s": cpu, "rows_per_cpu_s": rows / cpu,
        "phases": {"lines_parquet": t1 - t0, "totals": t2 - t1},
        "total_tco2e": float(tot["total_tco2e"].sum()), "energy_tce": float(tot["energy_tce"].sum()),
        "account": _account_sums(tot),
        "groups": len(tot), "threads": int(con.execute("SELECT current_setting('threads')").fetchone()[0]),
        "peak_rss_bytes": peak_rss_bytes(),
    }


#: the loop's account per (entity, period): positions of its running sums
LOOP_FIELDS = ("total_tco2e", "scope1_tco2e", "scope2_tco2e", "exported_tco2e", "biomass_co2_t", "energy_tce",
               "tier3_tco2e", "scope2_market_tco2e", *(f"src_{st}" for st in SOURCES))
_SRC_POS = {st: LOOP_FIELDS.index(f"src_{st}") for st in SOURCES}
_SCOPE_POS = {"1": 1, "2": 2, "export": 3}
_ZERO = Decimal(0)


def _dec(v: float | None) -> Decimal | None:
    """A float from the file as the Decimal it was written as (None stays None)."""
    return None if v is None else Decimal(repr(v))


def loop_line(row: int, entity: str, period: str, st: str, item_name: str, unit: str, quantity: Decimal,
              ncv_value: Decimal | None, ncv_unit: str | None, carbon_content: Decimal | None,
              oxidation_rate: Decimal | None, region: str | None, f: Factors) -> tuple[Any, ...]:
    """One record → its line (the LOOP_LINE columns the SQL baseline writes), with Decimal arithmetic.

    The numbers come in as Decimal (or None): (c) converts the floats it read, (d) gets them from its
    DecimalFields. Both measurements compute every line with this function.
    """
    item = f.items[(st, item_name)]
    activity_unit, mult = f.units[unit]
    if activity_unit != item["activity_unit"]:
        raise ValueError(f"row {row}: unit {unit} is not a {item['activity_unit']} unit")
    q = quantity * mult
    method = item["method"]
    energy = _ZERO
    tier3 = method == "carbonate"
    if method == "fuel":
        ncv_measured = None
        if ncv_value is not None:
            ncv_measured = ncv_value * f.ncv_units[(ncv_unit, activity_unit)]
        ncv = ncv_measured if ncv_measured is not None else item["ncv"]
        cc = carbon_content if carbon_content is not None else item["cc"]
        of = oxidation_rate if oxidation_rate is not None else item["of"]
        ef = ncv * cc * of * CO2_PER_C
        energy = q * ncv_measured / GJ_PER_TCE if ncv_measured is not None else q * item["tce"]
        tier3 = ncv_measured is None or carbon_content is None or oxidation_rate is None
    elif method == "electricity":
        ef = f.grid[(int(period[:4]), region[:2] if region else "")]
        energy = q * item["tce"]
    else:
        ef = item["factor"]
        if method == "heat":
            energy = q * item["tce"]
    sign, scope = f.sources[st]
    if sign < 0 and method in ("electricity", "heat"):
        energy = -energy
    emission = q * ef
    if st == "biomass":
        tco2e, biomass = _ZERO, emission
    else:
        tco2e, biomass = emission * sign, _ZERO
    market = tco2e
    if st == "purchased_electricity":  # market-based view: 绿电 at zero, other purchases at the residual factor
        market = _ZERO if item["code"] == "GREEN_ELECTRICITY" else q * f.residual[int(period[:4])]
    return (row, entity, period, st, scope, item["code"], q, ef, tco2e, biomass, energy, 3 if tier3 else 1, market)


def loop_add(out: dict[tuple[str, str], list[Decimal]], line: tuple[Any, ...]) -> None:
    """Add one line to the account view: (entity, period) → the running sums (LOOP_FIELDS)."""
    _, entity, period, st, scope, _, _, _, tco2e, biomass, energy, tier, market = line
    acc = out.get((entity, period))
    if acc is None:
        acc = out[(entity, period)] = [_ZERO] * len(LOOP_FIELDS)
    if st == "biomass":
        acc[4] += biomass
        acc[_SRC_POS[st]] += biomass
    else:
        acc[0] += tco2e
        acc[_SCOPE_POS[scope]] += tco2e
        acc[_SRC_POS[st]] += tco2e
        if tier == 3:
            acc[6] += abs(tco2e)
        if scope == "2":
            acc[7] += market
    acc[5] += energy


def loop_account(rows: list[dict[str, Any]], f: Factors,
                 lines: list[tuple[Any, ...]] | None = None) -> dict[tuple[str, str], list[Decimal]]:
    """Per-row Decimal calculation over row dicts: (entity, period) → the account view's sums (LOOP_FIELDS).

    With ``lines``, one line per row is appended too: the columns the SQL baseline writes (LOOP_LINE).
    """
    out: dict[tuple[str, str], list[Decimal]] = {}
    for r in rows:
        line = loop_line(r["_row"], r["entity"], r["period"], r["source_type"], r["item"], r["unit"],
                         Decimal(repr(r["quantity"])), _dec(r["ncv"]), r["ncv_unit"], _dec(r["carbon_content"]),
                         _dec(r["oxidation_rate"]), r["region"], f)
        loop_add(out, line)
        if lines is not None:
            lines.append(line)
    return out


#: the loop's line columns (as the SQL baseline writes them)
LOOP_LINE = ("row", "entity", "period", "source_type", "scope", "item", "quantity", "emission_factor", "tco2e",
             "biomass_co2_t", "energy_tce", "tier", "market_tco2e")


def write_loop_lines(lines: list[tuple[Any, ...]], out: str | Path) -> None:
    """The loop's lines → Parquet (Decimal → float64, as the other two write)."""
    cols = list(zip(*lines, strict=True)) if lines else [() for _ in LOOP_LINE]
    arrays = []
    for name, values in zip(LOOP_LINE, cols, strict=True):
        if name in ("quantity", "emission_factor", "tco2e", "biomass_co2_t", "energy_tce", "market_tco2e"):
            arrays.append(pa.array([float(v) for v in values], type=pa.float64()))
        else:
            arrays.append(pa.array(values))
    pq.write_table(pa.Table.from_arrays(arrays, names=list(LOOP_LINE)), str(out))


def read_sample(path: str | Path, sample: int) -> list[dict[str, Any]]:
    """The first ``sample`` rows as dicts (the loop's 'fetch' step, much cheaper than an ORM query)."""
    pf = pq.ParquetFile(str(path))
    batches = []
    got = 0
    for batch in pf.iter_batches(batch_size=min(sample, 65_536)):
        batches.append(batch.slice(0, sample - got))
        got += batches[-1].num_rows
        if got >= sample:
            break
    return pa.Table.from_batches(batches, schema=pf.schema_arrow).to_pylist()


def run_loop(path: str | Path, sample: int = LOOP_SAMPLE, out: str | Path | None = None) -> dict[str, Any]:
    """(c) Per-row Python loop with Decimal, on the first ``sample`` rows: read → lines + account → write.

    Timed like (a) and (b), from the Parquet file to the written lines and the account. The loop alone
    is reported as ``loop_only_rows_per_s``.
    """
    f = load_factors()
    # the writer's first call imports pandas (through pyarrow): do it before the clock starts, as (a) and
    # (b) have imported their libraries before theirs
    write_loop_lines([], os.devnull)
    c0 = _cpu_s()
    t0 = time.perf_counter()
    rows = read_sample(path, sample)
    t1 = time.perf_counter()
    lines: list[tuple[Any, ...]] = []
    acc = loop_account(rows, f, lines)
    t2 = time.perf_counter()
    write_loop_lines(lines, out or os.devnull)
    t3 = time.perf_counter()
    cpu = _cpu_s() - c0
    n = len(rows)
    return {
        "name": "loop", "rows": n, "seconds": t3 - t0, "rows_per_s": n / (t3 - t0),
        "cpu_s": cpu, "rows_per_cpu_s": n / cpu, "loop_only_rows_per_s": n / (t2 - t1),
        "phases": {"fetch_dicts": t1 - t0, "loop": t2 - t1, "write_lines": t3 - t2},
        "total_tco2e": float(sum(v[0] for v in acc.values())),
        "energy_tce": float(sum(v[5] for v in acc.values())),
        "account": {name: float(sum(v[i] for v in acc.values())) for i, name in enumerate(LOOP_FIELDS)},
        "groups": len(acc), "threads": 1, "peak_rss_bytes": peak_rss_bytes(),
    }


#: the Django models of (d), defined once per process (after ``settings.configure``)
_ORM: dict[str, Any] = {}


def _orm_models(db: Path) -> dict[str, Any]:
    """Configure Django for a throwaway SQLite file and define (d)'s models (app_label ``benchorm``).

    Not the project's settings or database: only this file, no installed apps. Needs a fresh process
    (the ``--child orm`` one); Django can be configured once per process.
    """
    if _ORM:
        if _ORM["db"] != db:
            raise RuntimeError(f"Django is already configured for {_ORM['db']}")
        return _ORM
    import django
    from django.conf import settings

    if settings.configured:
        raise RuntimeError("the ORM measurement needs a process where Django is not configured yet")
    settings.configure(
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(db)}},
        INSTALLED_APPS=[], USE_TZ=True, DEBUG=False, DEFAULT_AUTO_FIELD="django.db.models.BigAutoField")
    django.setup()
    from django.db import models

    def dec(null: bool = False) -> Any:
        return models.DecimalField(max_digits=20, decimal_places=6, null=null)

    def line_dec() -> Any:  # computed values: room for the factors' precision
        return models.DecimalField(max_digits=30, decimal_places=12)

    class ActivityRow(models.Model):
        """An activity record as a platform stores it (the sample of the Parquet file)."""

        row = models.BigIntegerField(unique=True)
        entity = models.CharField(max_length=18)
        period = models.CharField(max_length=7)
        source_type = models.CharField(max_length=32)
        item = models.CharField(max_length=32)
        quantity = dec()
        unit = models.CharField(max_length=16)
        ncv = dec(null=True)
        ncv_unit = models.CharField(max_length=16, null=True)
        carbon_content = dec(null=True)
        oxidation_rate = dec(null=True)
        region = models.CharField(max_length=6, null=True)

        class Meta:
            app_label = "benchorm"
            db_table = "bench_activity"

    class EmissionLineRow(models.Model):
        """One computed line per record: the 13 columns the SQL baseline writes."""

        row = models.BigIntegerField()
        entity = models.CharField(max_length=18)
        period = models.CharField(max_length=7)
        source_type = models.CharField(max_length=32)
        scope = models.CharField(max_length=8)
        item = models.CharField(max_length=32)
        quantity = line_dec()
        emission_factor = line_dec()
        tco2e = line_dec()
        biomass_co2_t = line_dec()
        energy_tce = line_dec()
        tier = models.SmallIntegerField()
        market_tco2e = line_dec()

        class Meta:
            app_label = "benchorm"
            db_table = "bench_emission_line"

    _ORM.update(db=db, ActivityRow=ActivityRow, EmissionLineRow=EmissionLineRow)
    return _ORM


def _orm_load(m: dict[str, Any], path: str | Path, sample: int) -> None:
    """Fresh tables; the sample stored as ActivityRow rows (the platform's stored data: not timed)."""
    from django.db import connection, transaction

    activity, line = m["ActivityRow"], m["EmissionLineRow"]
    existing = set(connection.introspection.table_names())
    with connection.schema_editor() as editor:
        for model in (activity, line):
            if model._meta.db_table in existing:
                editor.delete_model(model)
            editor.create_model(model)
    objs = [activity(row=r["_row"], entity=r["entity"], period=r["period"], source_type=r["source_type"],
                     item=r["item"], quantity=Decimal(repr(r["quantity"])), unit=r["unit"], ncv=_dec(r["ncv"]),
                     ncv_unit=r["ncv_unit"], carbon_content=_dec(r["carbon_content"]),
                     oxidation_rate=_dec(r["oxidation_rate"]), region=r["region"])
            for r in read_sample(path, sample)]
    with transaction.atomic():
        activity.objects.bulk_create(objs, batch_size=2000)


def run_orm(path: str | Path, sample: int = ORM_SAMPLE, db: str | Path | None = None) -> dict[str, Any]:
    """(d) The way an ORM-based platform computes: Django models on SQLite, on the first ``sample`` rows.

    Not timed: configuring Django, creating the tables, storing the sample as ActivityRow rows. Timed:
    fetching the ActivityRow instances (``iterator(chunk_size=2000)``), computing each line with
    ``loop_line`` (the same code as (c)) and accumulating the account view like (c), creating the
    EmissionLineRow instances and saving them with ``bulk_create(batch_size=2000)`` in one transaction.
    Run it in a fresh process (``--child orm``): Django is configured once per process.
    """
    from django.db import connection, transaction

    db = Path(db) if db is not None else Path(tempfile.mkdtemp(prefix="dualcarbon-orm-")) / "orm.sqlite3"
    m = _orm_models(db)
    activity, line_model = m["ActivityRow"], m["EmissionLineRow"]
    _orm_load(m, path, sample)
    f = load_factors()
    c0 = _cpu_s()
    t0 = time.perf_counter()
    acc: dict[tuple[str, str], list[Decimal]] = {}
    with transaction.atomic():
        objs = []
        for a in activity.objects.order_by("row").iterator(chunk_size=2000):
            line = loop_line(a.row, a.entity, a.period, a.source_type, a.item, a.unit, a.quantity, a.ncv,
                             a.ncv_unit, a.carbon_content, a.oxidation_rate, a.region, f)
            loop_add(acc, line)
            objs.append(line_model(**dict(zip(LOOP_LINE, line, strict=True))))
        line_model.objects.bulk_create(objs, batch_size=2000)
    t1 = time.perf_counter()
    cpu = _cpu_s() - c0
    n = len(objs)
    saved = line_model.objects.count()
    connection.close()
    return {
        "name": "orm", "rows": n, "seconds": t1 - t0, "rows_per_s": n / (t1 - t0),
        "cpu_s": cpu, "rows_per_cpu_s": n / cpu, "phases": {"compute_and_save": t1 - t0},
        "total_tco2e": float(sum(v[0] for v in acc.values())),
        "energy_tce": float(sum(v[5] for v in acc.values())),
        "account": {name: float(sum(v[i] for v in acc.values())) for i, name in enumerate(LOOP_FIELDS)},
        "groups": len(acc), "lines_saved": saved, "threads": 1, "peak_rss_bytes": peak_rss_bytes(),
    }


def sql_lines_sum(lines: str | Path, max_row: int) -> dict[str, float]:
    """The loop's account sums from the SQL baseline's lines for rows 1..max_row (to check the loop's sample)."""
    import duckdb

    con = duckdb.connect()
    by_source = SQL_BY_SOURCE.replace("\n", " ")
    row = con.execute(
        f"SELECT sum(tco2e), sum(CASE WHEN scope = '1' THEN tco2e ELSE 0 END), "
        f"sum(CASE WHEN scope = '2' THEN tco2e ELSE 0 END), sum(CASE WHEN scope = 'export' THEN tco2e ELSE 0 END), "
        f"sum(biomass_co2_t), sum(energy_tce), sum(CASE WHEN tier = 3 THEN abs(tco2e) ELSE 0 END), "
        f"sum(CASE WHEN scope = '2' THEN market_tco2e ELSE 0 END), {by_source} "
        f"FROM read_parquet('{_sql_path(lines)}') WHERE row <= {int(max_row)}").fetchone()
    return {name: float(v or 0.0) for name, v in zip(LOOP_FIELDS, row, strict=True)}


def rel_diff(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


# ----------------------------------------------------------------------------------------------
# Orchestration: each measurement in a child process


def _child(args: argparse.Namespace) -> None:
    """Run one measurement ``--repeat`` times in this process; report the fastest run and all timings."""
    runs = []
    for _ in range(max(1, args.repeat)):
        if args.child == "engine":
            runs.append(run_engine(args.input, args.out, args.threads))
        elif args.child == "sql":
            runs.append(run_sql(args.input, args.out, args.threads))
        elif args.child == "orm":
            runs.append(run_orm(args.input, args.sample, args.out))
        else:
            runs.append(run_loop(args.input, args.sample, args.out))
    best = dict(min(runs, key=lambda r: r["seconds"]))
    times = sorted(r["seconds"] for r in runs)
    best["runs_s"] = [r["seconds"] for r in runs]
    best["median_s"] = times[len(times) // 2]
    best["median_rows_per_s"] = best["rows"] / best["median_s"]
    best["peak_rss_bytes"] = max(r["peak_rss_bytes"] for r in runs)
    print(json.dumps(best))


def _cpu_busy_s() -> float | None:
    """Busy CPU seconds of the whole machine so far (/proc/stat), to see other work during a measurement."""
    try:
        with open("/proc/stat") as fh:
            f = [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    busy = f[0] + f[1] + f[2] + sum(f[5:8])  # user nice system irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


def _children_cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _spawn(kind: str, args: argparse.Namespace, src: Path, out: Path | None,
           sample: int = 0) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--input", str(src)]
    if out is not None:
        cmd += ["--out", str(out)]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    if sample:
        cmd += ["--sample", str(sample)]
    cmd += ["--repeat", str(args.repeat)]
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    busy0, own0 = _cpu_busy_s(), _children_cpu_s()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    busy1, own1 = _cpu_busy_s(), _children_cpu_s()
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"{kind} measurement failed (exit {proc.returncode})")
    res: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    res["process_wall_s"] = wall
    res["loadavg_1m_before"] = load_before
    res["child_cpu_s"] = own1 - own0
    if busy0 is not None and busy1 is not None:
        # CPU used by anything else on the machine while this measurement ran (0 on an idle machine)
        res["other_cpu_s"] = max(0.0, (busy1 - busy0) - (own1 - own0))
    res["rusage_children_maxrss_bytes"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    return res


def _machine() -> dict[str, Any]:
    mem = 0
    try:
        with open("/proc/meminfo") as fh:
            mem = int(fh.readline().split()[1]) * 1024
    except OSError:
        pass
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    except OSError:
        pass
    import duckdb
    import ibis

    return {"nproc": os.cpu_count(), "memory_bytes": mem, "cpu": cpu, "python": platform.python_version(),
            "duckdb": duckdb.__version__, "ibis": ibis.__version__, "pyarrow": pa.__version__,
            "platform": platform.platform()}


def _fmt_bytes(n: float) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def _report(r: dict[str, Any]) -> str:
    m0 = r["machine"]
    lines = [f"DualCarbon benchmark — {r['rows']:,} rows, {m0['nproc']} CPUs ({m0['cpu']}), "
             f"{_fmt_bytes(m0['memory_bytes'])} RAM, DuckDB {m0['duckdb']}, ibis {m0['ibis']}",
             f"data: {r['data_bytes'] / 2**20:.1f} MiB Parquet, generated in {r['generate_s']:.1f} s; "
             f"best of {r['repeat']} runs per measurement", "",
             f"{'measurement':<32}{'rows':>11}{'best s':>8}{'median s':>9}{'rows/s':>12}{'CPU s':>7}"
             f"{'rows/CPU-s':>12}{'peak RSS':>10}{'other CPU':>10}  phases of the best run (s)",
             "-" * 140]
    labels = {"engine": "(a) DualCarbon engine (DuckDB)", "sql": "(b) hand-written DuckDB SQL",
              "loop": "(c) Python Decimal row loop", "orm": "(d) Django ORM on SQLite"}
    for key in ("engine", "sql", "loop", "orm"):
        m = r["measurements"].get(key)
        if not m:
            continue
        phases = ", ".join(f"{k} {v:.2f}" for k, v in m["phases"].items())
        other = f"{m['other_cpu_s']:.1f} s" if m.get("other_cpu_s") is not None else "?"
        lines.append(f"{labels[key]:<32}{m['rows']:>11,}{m['seconds']:>8.2f}{m['median_s']:>9.2f}"
                     f"{m['rows_per_s']:>12,.0f}{m['cpu_s']:>7.2f}{m['rows_per_cpu_s']:>12,.0f}"
                     f"{_fmt_bytes(m['peak_rss_bytes']):>10}{other:>10}  {phases}")
    lines.append("rows/s: wall clock of the best run; CPU s: user+system CPU of that run (all threads); "
                 "other CPU: CPU seconds used by other processes during the whole measurement (0 when idle)")
    lines.append("")
    c = r["checks"]
    lines.append(f"total_tco2e  engine {c['engine_total_tco2e']:.6f}  sql {c['sql_total_tco2e']:.6f}  "
                 f"rel.diff {c['engine_sql_rel_diff']:.2e}; all {len(ACCOUNT_COLUMNS)} account columns: "
                 f"max rel.diff {c['engine_sql_account_max_rel_diff']:.2e} ({c['engine_sql_account_worst']})  "
                 f"{'OK' if c['engine_sql_ok'] else 'MISMATCH'}")
    if "loop_total_tco2e" in c:
        lines.append(f"loop sample  loop {c['loop_total_tco2e']:.6f}  sql(rows 1..{c['loop_rows']}) "
                     f"{c['sql_sample_total_tco2e']:.6f}; max rel.diff over {len(LOOP_FIELDS)} account sums "
                     f"{c['loop_rel_diff']:.2e} ({c['loop_worst']})  "
                     f"{'OK' if c['loop_ok'] else 'MISMATCH'}")
    if "orm_total_tco2e" in c:
        lines.append(f"ORM sample   orm {c['orm_total_tco2e']:.6f}  sql(rows 1..{c['orm_rows']}) "
                     f"{c['sql_orm_sample_total_tco2e']:.6f}; max rel.diff over {len(LOOP_FIELDS)} account sums "
                     f"{c['orm_rel_diff']:.2e} ({c['orm_worst']}); {c['orm_lines_saved']:,} EmissionLineRow "
                     f"saved  {'OK' if c['orm_ok'] else 'MISMATCH'}")
    lines.append("")
    g = r["ratios"]
    lines.append(f"engine/SQL  {g['engine_over_sql']:.2f} (median runs {g['engine_over_sql_median']:.2f}, "
                 f"per CPU-second {g['engine_over_sql_cpu']:.2f})   goal >= 0.7")
    if "engine_over_loop" in g:
        lines.append(f"engine/loop {g['engine_over_loop']:.1f} "
                     f"(median runs {g['engine_over_loop_median']:.1f}, "
                     f"per CPU-second {g['engine_over_loop_cpu']:.2f}; against the loop alone, without reading "
                     f"and writing, {g['engine_over_loop_only']:.1f})   goal >= 50")
        lines.append(f"  (the hand-written SQL, the practical limit, reaches {g['sql_over_loop']:.1f}x the loop "
                     f"on this machine)")
    if "engine_over_orm" in g:
        lines.append(f"engine/ORM loop {g['engine_over_orm']:.1f} (median runs {g['engine_over_orm_median']:.1f}, "
                     f"per CPU-second {g['engine_over_orm_cpu']:.1f})   goal >= 50")
    lines.append(f"engine peak RSS {_fmt_bytes(r['measurements']['engine']['peak_rss_bytes'])}"
                 f"   goal < 3 GB at 10,000,000 rows")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="synthetic activity rows (default 1,000,000)")
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    ap.add_argument("--skip-loop", action="store_true", help="skip the Python Decimal loop")
    ap.add_argument("--loop-sample", type=int, default=LOOP_SAMPLE,
                    help="rows for the loop (default 200,000)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs per measurement, in one process each; the fastest is reported (default 3)")
    ap.add_argument("--json", action="store_true", help="print machine-readable JSON instead of a table")
    ap.add_argument("--keep", metavar="DIR", help="write the data and outputs to DIR and keep them")
    ap.add_argument("--skip-orm", action="store_true", help="skip the Django ORM measurement")
    ap.add_argument("--orm-sample", type=int, default=ORM_SAMPLE,
                    help="rows for the Django ORM measurement (default 50,000)")
    ap.add_argument("--child", choices=("engine", "sql", "loop", "orm"), help=argparse.SUPPRESS)
    ap.add_argument("--input", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--sample", type=int, default=LOOP_SAMPLE, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(args)
        return 0

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="dualcarbon-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        src = work / "activity.parquet"
        log = (lambda s: None) if args.json else (lambda s: print(s, file=sys.stderr, flush=True))
        log(f"generating {args.rows:,} rows → {src}")
        t0 = time.perf_counter()
        generate(src, args.rows)
        gen_s = time.perf_counter() - t0
        meas: dict[str, dict[str, Any]] = {}
        log("measuring (a) engine")
        meas["engine"] = _spawn("engine", args, src, work / "engine_lines.parquet")
        log("measuring (b) hand-written SQL")
        meas["sql"] = _spawn("sql", args, src, work / "sql_lines.parquet")
        e, s = meas["engine"], meas["sql"]
        account_diff = {c: rel_diff(e["account"][c], s["account"][c]) for c in ACCOUNT_COLUMNS}
        checks: dict[str, Any] = {
            "engine_total_tco2e": e["total_tco2e"], "sql_total_tco2e": s["total_tco2e"],
            "engine_sql_rel_diff": rel_diff(e["total_tco2e"], s["total_tco2e"]),
            "engine_sql_energy_rel_diff": rel_diff(e["energy_tce"], s["energy_tce"]),
            "engine_sql_account_max_rel_diff": max(account_diff.values()),
            "engine_sql_account_worst": max(account_diff, key=lambda c: account_diff[c]),
        }
        checks["engine_sql_ok"] = bool(checks["engine_sql_account_max_rel_diff"] <= REL_TOL
                                       and e["rows"] == s["rows"] == args.rows and e["groups"] == s["groups"])
        ratios = {"engine_over_sql": e["rows_per_s"] / s["rows_per_s"],
                  "engine_over_sql_median": e["median_rows_per_s"] / s["median_rows_per_s"],
                  "engine_over_sql_cpu": e["rows_per_cpu_s"] / s["rows_per_cpu_s"]}
        if not args.skip_loop:
            sample = min(args.rows, args.loop_sample)
            log(f"measuring (c) Decimal loop on {sample:,} rows")
            meas["loop"] = lp = _spawn("loop", args, src, work / "loop_lines.parquet", sample)
            ref = sql_lines_sum(work / "sql_lines.parquet", sample)
            loop_diff = {c: rel_diff(lp["account"][c], ref[c]) for c in LOOP_FIELDS}
            checks.update(loop_rows=sample, loop_total_tco2e=lp["total_tco2e"],
                          sql_sample_total_tco2e=ref["total_tco2e"],
                          loop_rel_diff=max(loop_diff.values()),
                          loop_worst=max(loop_diff, key=lambda c: loop_diff[c]))
            checks["loop_ok"] = bool(checks["loop_rel_diff"] <= REL_TOL)
            ratios["engine_over_loop"] = e["rows_per_s"] / lp["rows_per_s"]
            ratios["engine_over_loop_median"] = e["median_rows_per_s"] / lp["median_rows_per_s"]
            ratios["engine_over_loop_cpu"] = e["rows_per_cpu_s"] / lp["rows_per_cpu_s"]
            ratios["engine_over_loop_only"] = e["rows_per_s"] / lp["loop_only_rows_per_s"]
            # the practical limit: what the hand-written query reaches against the same loop on this machine
            ratios["sql_over_loop"] = meas["sql"]["rows_per_s"] / lp["rows_per_s"]
        if not args.skip_orm:
            sample = min(args.rows, args.orm_sample)
            log(f"measuring (d) Django ORM on SQLite on {sample:,} rows")
            meas["orm"] = om = _spawn("orm", args, src, work / "orm.sqlite3", sample)
            ref = sql_lines_sum(work / "sql_lines.parquet", sample)
            orm_diff = {c: rel_diff(om["account"][c], ref[c]) for c in LOOP_FIELDS}
            checks.update(orm_rows=sample, orm_total_tco2e=om["total_tco2e"],
                          sql_orm_sample_total_tco2e=ref["total_tco2e"], orm_lines_saved=om["lines_saved"],
                          orm_rel_diff=max(orm_diff.values()),
                          orm_worst=max(orm_diff, key=lambda c: orm_diff[c]))
            checks["orm_ok"] = bool(checks["orm_rel_diff"] <= REL_TOL and om["rows"] == sample
                                    and om["lines_saved"] == sample)
            ratios["engine_over_orm"] = e["rows_per_s"] / om["rows_per_s"]
            ratios["engine_over_orm_median"] = e["median_rows_per_s"] / om["median_rows_per_s"]
            ratios["engine_over_orm_cpu"] = e["rows_per_cpu_s"] / om["rows_per_cpu_s"]
        result = {
            "date": time.strftime("%Y-%m-%d"), "rows": args.rows, "threads": args.threads,
            "repeat": args.repeat, "grid": GRID_SPEC,
            "seed": SEED, "machine": _machine(), "data_bytes": src.stat().st_size, "generate_s": gen_s,
            "measurements": meas, "checks": checks, "ratios": ratios,
            "goals": {"engine_over_sql": 0.7, "engine_over_loop": 50, "engine_over_orm": 50,
                      "engine_peak_rss_bytes_at_10m": 3e9},
        }
        print(json.dumps(result, indent=2, ensure_ascii=False) if args.json else _report(result))
        ok = checks["engine_sql_ok"] and checks.get("loop_ok", True) and checks.get("orm_ok", True)
        return 0 if ok else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())

"""Activity table + factor selection → emission lines with lineage → totals (Ibis expressions).

The flow, for any Ibis backend (DuckDB by default, PySpark the same):

1. :func:`prepare` types the raw activity columns (text or native) and derives the descriptive keys.
2. One scan (:func:`profile`) groups the table by its descriptive keys and counts what is missing or
   malformed in each group. The few distinct groups are resolved in Python
   (:func:`dualcarbon.engine.factors.resolve_dimensions`): item, default parameters, unit
   conversion multipliers, grid factor, GWP, each with its source.
3. If anything is wrong, one more query locates the offending rows; an :class:`InputError` lists
   them (row, column, rule) and nothing is calculated.
4. :func:`lines` joins the resolution table and computes every line; :func:`totals` sums lines per
   entity and period into the account view (total, scope 1, scope 2, by source, by gas, energy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis import _

from .factors import DIM_COLUMNS, Catalog, GridSelector, Options, resolve_dimensions
from .inputs import ALL_COLUMNS, NUMERIC_COLUMNS
from .messages import InputError, Problem
from .methods import CO2_PER_C, CO2_PER_CAO, CO2_PER_MGO, GJ_PER_TCE, SOURCE_TYPES, TIER_BY_ORIGIN

NUMERIC = NUMERIC_COLUMNS
#: numeric columns that are fractions: accept 0–1, or 0–100 with or without a % sign
FRACTIONS = ("oxidation_rate", "fraction", "cao", "mgo", "cao_nc", "mgo_nc", "purity")
PERIOD_RE = r"^[0-9]{4}(-(0[1-9]|1[0-2]))?$"
MEASURED_WORDS = ("", "measured", "实测", "检测", "m")
DECLARED_WORDS = ("declared", "声明", "企业声明", "申报", "d")

LINE_COLUMNS = (
    "row",
    "sheet",
    "entity",
    "period",
    "year",
    "month",
    "source_type",
    "source_type_zh",
    "scope",
    "item",
    "item_name",
    "gas",
    "quantity_input",
    "unit_input",
    "quantity",
    "activity_unit",
    "unit_factor",
    "unit_note",
    "ncv",
    "ncv_origin",
    "carbon_content",
    "carbon_content_origin",
    "oxidation_rate",
    "oxidation_rate_origin",
    "factor",
    "factor_origin",
    "factor_ref",
    "emission_factor",
    "formula",
    "emission_t",
    "gwp",
    "gwp_table",
    "tco2e",
    "biomass_co2_t",
    "energy_tce",
    "energy_method",
    "factor_set",
    "factor_set_version",
    "factor_confidence",
    "quality_tier",
)


@dataclass
class Prepared:
    table: ir.Table
    options: Options
    resolution: pd.DataFrame


def _as_text(col: ir.Value) -> ir.StringValue:
    if col.type().is_string():
        return col.strip()
    return col.cast("string").strip()


def _number(col: ir.Value, fraction: bool = False) -> ir.FloatingValue:
    """Parse text to float (thousand separators allowed; fractions may be given in %)."""
    if col.type().is_numeric():
        value = col.cast("float64")
        if fraction:
            value = ibis.ifelse(value > 1, value / 100.0, value)
        return value
    text = col.strip().re_replace(r"[,，\s]", "")
    if fraction:
        pct = text.endswith("%")
        base = text.re_replace("%$", "").try_cast("float64")
        value = ibis.ifelse(pct, base / 100.0, ibis.ifelse(base > 1, base / 100.0, base))
        return value
    return text.try_cast("float64")


def prepare(raw: ir.Table) -> ir.Table:
    """Add absent optional columns, type numbers, and derive the descriptive key columns."""
    cols = set(raw.columns)
    t = raw
    missing = {c: ibis.null().cast("string") for c in ALL_COLUMNS if c not in cols}
    if "_sheet" not in cols:
        missing["_sheet"] = ibis.null().cast("string")
    if missing:
        t = t.mutate(**missing)
    period = _as_text(t.period)
    keys = {
        "k_source_type": _as_text(t.source_type).fill_null(""),
        "k_item": _as_text(t.item).fill_null(""),
        "k_unit": _as_text(t.unit).fill_null(""),
        "k_ncv_unit": _as_text(t.ncv_unit).fill_null(""),
        "k_factor_unit": _as_text(t.factor_unit).fill_null(""),
        "k_gas": _as_text(t.gas).fill_null(""),
        "k_region": _as_text(t.region).fill_null(""),
        "k_year": period.substr(0, 4).fill_null(""),
    }
    basis = _as_text(t.param_basis).lower().fill_null("")
    typed = {f"n_{c}": _number(t[c], c in FRACTIONS) for c in NUMERIC}
    return t.mutate(
        **keys,
        **typed,
        p_entity=_as_text(t.entity),
        p_period=period,
        p_basis=ibis.cases(
            (basis.isin(MEASURED_WORDS), "measured"),
            (basis.isin(DECLARED_WORDS), "declared"),
            else_=ibis.null().cast("string"),
        ),
        p_basis_raw=basis,
    )


KEY_COLUMNS = tuple(f"k_{c}" for c in DIM_COLUMNS)


def _row_flags(t: ir.Table) -> dict[str, ir.BooleanValue]:
    """Per-row problems that need no factor library: rule name → condition."""
    flags: dict[str, ir.BooleanValue] = {
        "entity:required": t.p_entity.isnull() | (t.p_entity == ""),
        "period:period_format": t.p_period.isnull() | ~t.p_period.re_search(PERIOD_RE),
        "quantity:required": _as_text(t.quantity).isnull(),
        "param_basis:unknown_basis": t.p_basis.isnull(),
    }
    for c in NUMERIC:
        given = _as_text(t[c]).notnull() & (_as_text(t[c]) != "")
        value = t[f"n_{c}"]
        flags[f"{c}:not_a_number"] = given & (value.isnull() | value.isnan())
        flags[f"{c}:negative"] = value.notnull() & (value < 0)
        if c in FRACTIONS:
            flags[f"{c}:fraction_range"] = value.notnull() & (value > 1)
    flags["factor_unit:unit_missing"] = t.n_factor.notnull() & (t.k_factor_unit == "")
    flags["ncv_unit:ncv_unit_missing"] = t.n_ncv.notnull() & (t.k_ncv_unit == "")
    # carbon content is in tC/GJ: pure carbon is ~0.031 and blast-furnace gas ~0.071; 0.2 catches tC/TJ slips
    flags["carbon_content:out_of_range"] = t.n_carbon_content > 0.2
    flags["cao_nc:out_of_range"] = t.n_cao_nc > t.n_cao
    flags["mgo_nc:out_of_range"] = t.n_mgo_nc > t.n_mgo
    flags["cao:oxide_incomplete"] = t.n_cao.isnull() & (t.n_mgo.notnull() | t.n_cao_nc.notnull() | t.n_mgo_nc.notnull())
    return flags


def profile(t: ir.Table) -> ir.Table:
    """The single profiling scan: per descriptive group, row count and counts of every row problem."""
    flags = _row_flags(t)
    aggs: dict[str, Any] = {"n": _.count()}
    for i, cond in enumerate(flags.values()):
        aggs[f"f{i}"] = cond.fill_null(False).cast("int64").sum()
    aggs["n_of_null"] = t.n_oxidation_rate.isnull().cast("int64").sum()
    aggs["n_ncv_null"] = t.n_ncv.isnull().cast("int64").sum()
    aggs["n_cc_null"] = t.n_carbon_content.isnull().cast("int64").sum()
    aggs["n_factor_null"] = t.n_factor.isnull().cast("int64").sum()
    aggs["n_cao_null"] = t.n_cao.isnull().cast("int64").sum()
    return t.group_by(list(KEY_COLUMNS)).aggregate(**aggs)


def _param_flags(t: ir.Table) -> dict[str, ir.BooleanValue]:
    """Per-row problems that depend on the resolved defaults (after the join)."""
    fuel = t.method == "fuel"
    direct = t.n_factor.notnull()
    return {
        "gas:gas_needs_factor": (t.gas_code != "CO2") & ~direct,
        "ncv:missing_parameter": fuel & ~direct & t.n_ncv.isnull() & t.def_ncv.isnull(),
        "carbon_content:missing_parameter": fuel & ~direct & t.n_carbon_content.isnull() & t.def_cc.isnull(),
        "oxidation_rate:missing_parameter": fuel & ~direct & t.n_oxidation_rate.isnull() & t.def_of.isnull(),
        "factor:no_default_factor": t.method.isin(("process", "carbonate", "heat")) & ~direct & t.def_factor.isnull(),
        "cao:no_default_factor": (t.method == "clinker") & ~direct & t.n_cao.isnull() & t.def_factor.isnull(),
    }


def _group_has_param_problem(g: pd.Series) -> bool:
    method = g.get("method")
    if pd.isna(method) or not pd.isna(g.get("problem")):
        return False
    no_factor = g["n_factor_null"] > 0
    if no_factor and str(g.get("gas_code")) != "CO2":
        return True
    if method == "fuel":
        return bool(
            no_factor
            and (
                (g["n_ncv_null"] > 0 and pd.isna(g["def_ncv"]))
                or (g["n_cc_null"] > 0 and pd.isna(g["def_cc"]))
                or (g["n_of_null"] > 0 and pd.isna(g["def_of"]))
            )
        )
    if method in ("process", "carbonate", "heat"):
        return bool(no_factor and pd.isna(g["def_factor"]))
    if method == "clinker":
        return bool(no_factor and g["n_cao_null"] > 0 and pd.isna(g["def_factor"]))
    return False


def check(
    con: Any,
    raw: ir.Table,
    options: Options | None = None,
    limit: int = 200,
    catalog: Catalog | None = None,
    grid: GridSelector | None = None,
) -> Prepared:
    """Profile, resolve and validate; raise InputError (located problems) if anything is wrong."""
    options = options or Options()
    t = prepare(raw)
    prof: pd.DataFrame = con.execute(profile(t))
    if prof.empty or int(prof["n"].sum()) == 0:
        raise InputError([Problem("empty_file")])
    dims = prof[list(KEY_COLUMNS)].rename(columns=lambda c: c[2:])
    res = resolve_dimensions(dims, options, catalog, grid)
    resolved = res.table.rename(columns={c: f"k_{c}" for c in DIM_COLUMNS})
    merged = prof.merge(resolved, on=list(KEY_COLUMNS), how="left")
    flag_cols = [c for c in prof.columns if c.startswith("f") and c[1:].isdigit()]
    row_bad = int(merged[flag_cols].to_numpy().sum()) if flag_cols else 0
    dim_bad = int(merged.loc[merged["problem"].notna(), "n"].sum())
    param_bad = bool(merged.apply(_group_has_param_problem, axis=1).any())
    if row_bad or dim_bad or param_bad:
        problems, total = locate(con, t, resolved, limit)
        raise InputError(problems, total)
    return Prepared(t, options, resolved)


def _join(t: ir.Table, resolved: pd.DataFrame) -> ir.Table:
    dims = ibis.memtable(resolved)
    joined = t.left_join(dims, list(KEY_COLUMNS))
    extra = [c for c in joined.columns if c.endswith("_right")]
    return joined.drop(*extra) if extra else joined


def locate(con: Any, t: ir.Table, resolved: pd.DataFrame, limit: int = 200) -> tuple[list[Problem], int]:
    """Find the rows behind every problem: (first `limit` problems in row order, total count).

    One flat query marks each rule as a boolean column; only the failing rows come back.
    """
    j = _join(t, resolved)
    param_rules = set(_param_flags(j))
    flags = {**_row_flags(j), **_param_flags(j)}
    names = {key: f"x{i}" for i, key in enumerate(flags)}
    shown = {c for key in flags for c in [key.split(":")[0]] if c in j.columns}
    marked = j.select(
        _row=j._row,
        _sheet=j._sheet,
        k_item=j.k_item,
        problem=j.problem,
        problem_column=j.problem_column,
        problem_value=j.problem_value,
        problem_hint=j.problem_hint,
        **{f"v_{c}": _as_text(j[c]).cast("string") for c in sorted(shown)},
        **{names[k]: cond.fill_null(False) for k, cond in flags.items()},
    )
    any_flag = marked.problem.notnull()
    for name in names.values():
        any_flag = any_flag | marked[name]
    bad = marked.filter(any_flag)
    counts = con.execute(
        bad.aggregate(
            dim=bad.problem.notnull().cast("int64").sum(),
            **{name: bad[name].cast("int64").sum() for name in names.values()},
        )
    ).iloc[0]
    total = int(sum(int(v or 0) for v in counts.to_numpy()))
    first = con.execute(bad.order_by("_row").limit(limit))
    problems: list[Problem] = []

    def opt(v: Any) -> str | None:
        return None if v is None or (isinstance(v, float) and v != v) or v is pd.NA else str(v)

    for r in first.to_dict("records"):
        sheet = opt(r["_sheet"])
        if opt(r["problem"]):
            problems.append(
                Problem(
                    str(r["problem"]),
                    int(r["_row"]),
                    opt(r["problem_column"]),
                    opt(r["problem_value"]),
                    opt(r["problem_hint"]),
                    sheet,
                )
            )
        for key, name in names.items():
            if not r[name]:
                continue
            column, rule = key.split(":")
            if key in param_rules and column != "gas":
                problems.append(Problem(rule, int(r["_row"]), column, opt(r["k_item"]), column, sheet))
            else:
                problems.append(Problem(rule, int(r["_row"]), column, opt(r.get(f"v_{column}")), None, sheet))
    return problems[:limit], total


def _tier(origin: ir.StringValue) -> ir.IntegerValue:
    return origin.substitute(TIER_BY_ORIGIN, else_=ibis.literal(3))


def lines(prepared: Prepared) -> ir.Table:
    """Every activity record → one emission line with its parameters, their origin and lineage."""
    o = prepared.options
    j = _join(prepared.table, prepared.resolution)
    st = j.st
    m = j.method
    q = j.n_quantity * j.qty_mult
    basis = j.p_basis
    direct = j.n_factor.notnull()
    factor_in = j.n_factor * j.factor_mult
    is_fuel = m == "fuel"
    ncv_in = j.n_ncv * j.ncv_mult.fill_null(1.0)
    ncv = ibis.ifelse(is_fuel & ~direct, ncv_in.fill_null(j.def_ncv), ibis.null().cast("float64"))
    cc = ibis.ifelse(is_fuel & ~direct, j.n_carbon_content.fill_null(j.def_cc), ibis.null().cast("float64"))
    of = ibis.ifelse(is_fuel & ~direct, j.n_oxidation_rate.fill_null(j.def_of), ibis.null().cast("float64"))

    def origin(given: ir.Value, applies: ir.BooleanValue) -> ir.StringValue:
        return ibis.ifelse(applies, ibis.ifelse(given.notnull(), basis, "default"), ibis.null().cast("string"))

    fuel_params = is_fuel & ~direct
    ncv_o = origin(j.n_ncv, fuel_params)
    cc_o = origin(j.n_carbon_content, fuel_params)
    of_o = origin(j.n_oxidation_rate, fuel_params)
    clinker_oxide = (m == "clinker") & j.n_cao.notnull() & ~direct
    oxide_factor = (j.n_cao - j.n_cao_nc.fill_null(0.0)) * CO2_PER_CAO + (
        j.n_mgo.fill_null(0.0) - j.n_mgo_nc.fill_null(0.0)
    ) * CO2_PER_MGO
    ef = ibis.cases(
        (direct, factor_in),
        (is_fuel, ncv * cc * of * CO2_PER_C),
        (m == "electricity", j.grid_factor),
        (m == "recovery", j.n_purity.fill_null(1.0)),
        (clinker_oxide, oxide_factor),
        (m == "carbonate", j.def_factor * j.n_fraction.fill_null(1.0)),
        else_=j.def_factor,
    )
    factor_origin = ibis.cases(
        (direct, basis),
        (is_fuel, ibis.null().cast("string")),
        (m.isin(("electricity", "heat")), "prescribed"),
        (m == "recovery", ibis.ifelse(j.n_purity.notnull() | (j.qty_note.fill_null("") == ""), basis, "default")),
        (clinker_oxide, basis),
        else_="default",
    )
    factor_ref = ibis.cases(
        (direct, ibis.literal("企业提供 / supplied on the record")),
        (m == "electricity", j.grid_ref),
        (m == "recovery", ibis.ifelse(j.n_purity.notnull(), "纯度实测 / purity on the record", "纯度 1 / purity 1")),
        (clinker_oxide, "熟料CaO/MgO含量 / clinker oxide contents"),
        (is_fuel, j.def_factor_set + " NCV×CC×OF"),
        else_=j.def_factor_set + " " + j.item_code,
    )
    formula = ibis.cases(
        (direct & (m != "recovery"), "direct_factor"),
        (is_fuel, "fuel_ncv_cc_of"),
        (m == "electricity", "electricity_grid"),
        (m == "heat", "heat_default"),
        (m == "recovery", "co2_recovery"),
        (clinker_oxide, "clinker_oxide"),
        (m == "carbonate", "carbonate"),
        else_="process_factor",
    )
    emission = q * ef
    sign = st.substitute({k: v.sign for k, v in SOURCE_TYPES.items()}, else_=ibis.literal(1))
    scope = st.substitute({k: v.scope for k, v in SOURCE_TYPES.items()})
    # only biomass CO2 is a memo item; CH4/N2O from burning biomass count in scope 1
    biomass_co2 = (st == "biomass") & (j.gas_code == "CO2")
    scope = ibis.ifelse((st == "biomass") & ~biomass_co2, "1", scope)
    tco2e = ibis.ifelse(biomass_co2, 0.0, emission * j.gwp * sign)
    biomass = ibis.ifelse(biomass_co2, emission, 0.0)
    energy_sign = ibis.ifelse(st.isin(("exported_electricity", "exported_heat")), -1.0, 1.0)
    measured_ncv = fuel_params & j.n_ncv.notnull()
    energy = ibis.cases(
        (is_fuel & measured_ncv, q * ncv / GJ_PER_TCE),
        (is_fuel & j.tce_per_unit.notnull(), q * j.tce_per_unit),
        (is_fuel & ncv.notnull(), q * ncv / GJ_PER_TCE),
        (m.isin(("electricity", "heat")), q * j.tce_per_unit.fill_null(0.0) * energy_sign),
        else_=0.0,
    )
    energy_method = ibis.cases(
        (
            is_fuel & measured_ncv,
            ibis.ifelse(
                basis == "declared",
                "企业声明低位发热量/29.3076 / declared NCV ÷ 29.3076 GJ/tce",
                "实测低位发热量/29.3076 / measured NCV ÷ 29.3076 GJ/tce",
            ),
        ),
        (is_fuel & j.tce_per_unit.notnull(), j.tce_ref),
        (is_fuel & ncv.notnull(), ibis.literal("缺省低位发热量/29.3076 / default NCV ÷ 29.3076 GJ/tce")),
        (m.isin(("electricity", "heat")), j.tce_ref),
        else_=ibis.null().cast("string"),
    )
    tier_param = ibis.greatest(
        _tier(ncv_o.fill_null("measured")), _tier(cc_o.fill_null("measured")), _tier(of_o.fill_null("measured"))
    )
    tier = ibis.ifelse(is_fuel & ~direct, tier_param, _tier(factor_origin.fill_null("default")))
    factor_set = ibis.cases((direct, "(record)"), (m == "electricity", j.grid_set), else_=j.def_factor_set)
    factor_set_version = ibis.cases(
        (direct, ibis.null().cast("string")), (m == "electricity", j.grid_version), else_=j.def_factor_version
    )
    period = j.p_period
    out = j.select(
        row=j._row,
        sheet=j._sheet,
        entity=j.p_entity,
        period=period,
        year=period.substr(0, 4).cast("int32"),
        month=ibis.ifelse(period.length() == 7, period.substr(5, 2).cast("int32"), ibis.null().cast("int32")),
        source_type=st,
        source_type_zh=st.substitute({k: v.name_zh for k, v in SOURCE_TYPES.items()}),
        scope=scope,
        item=j.item_code,
        item_name=j.item_name,
        gas=j.gas_code,
        quantity_input=j.n_quantity,
        unit_input=j.k_unit,
        quantity=q,
        activity_unit=j.activity_unit,
        unit_factor=j.qty_mult,
        unit_note=j.qty_note,
        ncv=ncv,
        ncv_origin=ncv_o,
        carbon_content=cc,
        carbon_content_origin=cc_o,
        oxidation_rate=of,
        oxidation_rate_origin=of_o,
        factor=ibis.ifelse(is_fuel & ~direct, ibis.null().cast("float64"), ef),
        factor_origin=factor_origin,
        factor_ref=factor_ref,
        emission_factor=ef,
        formula=formula,
        emission_t=emission,
        gwp=j.gwp,
        gwp_table=ibis.literal(o.gwp),
        tco2e=tco2e,
        biomass_co2_t=biomass,
        energy_tce=energy,
        energy_method=energy_method,
        factor_set=factor_set,
        factor_set_version=factor_set_version,
        factor_confidence=ibis.ifelse(m == "electricity", ibis.null().cast("string"), j.def_confidence),
        quality_tier=tier.cast("int32"),
    )
    return out


def totals(line_table: ir.Table, by: Sequence[str] = ("entity", "period")) -> ir.Table:
    """The account view per entity and period: total (GB/T 32150), scopes, by source, by gas, energy."""
    t = line_table

    def s(cond: ir.BooleanValue, value: ir.Value | None = None) -> ir.FloatingValue:
        v = t.tco2e if value is None else value
        return ibis.ifelse(cond, v, 0.0).sum()

    aggs: dict[str, Any] = {
        "total_tco2e": t.tco2e.sum(),
        "scope1_tco2e": s(t.scope == "1"),
        "scope2_tco2e": s(t.scope == "2"),
        "exported_tco2e": s(t.scope == "export"),
        "biomass_co2_t": t.biomass_co2_t.sum(),
        "energy_tce": t.energy_tce.sum(),
        "co2_tco2e": s(t.gas == "CO2"),
        "ch4_tco2e": s(t.gas.startswith("CH4")),
        "n2o_tco2e": s(t.gas == "N2O"),
        "fgas_tco2e": s(~t.gas.isin(("CO2", "N2O")) & ~t.gas.startswith("CH4")),
        "lines": t.count(),
        "tier3_tco2e": s(t.quality_tier == 3, t.tco2e.abs()),
    }
    for code in SOURCE_TYPES:
        value = t.biomass_co2_t if code == "biomass" else t.tco2e
        aggs[f"src_{code}"] = s(t.source_type == code, value)
    return t.group_by(list(by)).aggregate(**aggs).order_by(list(by))


def by_source(row: dict[str, Any]) -> dict[str, float]:
    return {code: float(row.get(f"src_{code}", 0.0) or 0.0) for code in SOURCE_TYPES}

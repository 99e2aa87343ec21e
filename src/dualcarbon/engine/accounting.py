"""Activity table + factor selection → emission lines with lineage → totals (Ibis expressions).

The flow, for any Ibis backend (DuckDB by default, PySpark the same):

1. :func:`prepare` types the numeric columns and derives the raw *group key* of every record: its
   descriptive values (source type, item, units, gas, region, parameter basis, year) as given, and a
   bit mask of which numeric parameters the record carries.
2. One scan (:func:`profile`) groups the table by that key and collects, per group, the row count and
   the few statistics the per-row rules need (minimum/maximum of each number, unparseable counts).
   The distinct groups — a few hundred even for millions of records — are resolved and checked in
   Python: item, default parameters, unit multipliers, grid factor, GWP, each with its source
   (:func:`dualcarbon.engine.factors.resolve_dimensions`), and then which formula applies, where each
   parameter comes from and the line's data-quality tier. That makes the **lineage table**: one row
   per group, with every descriptive and reference column a line shows.
3. If anything is wrong, one more query locates the offending rows (:func:`locate`); an
   :class:`InputError` lists them (row, column, rule) and nothing is calculated.
4. :func:`line_values` computes each record's numbers (quantity, parameters, factor, tCO2e, tce) and
   its ``lineage`` id — arithmetic only, every choice was made per group. :func:`lines` is the same
   joined with the lineage table: the full, self-describing line of :data:`LINE_COLUMNS`.
   :func:`totals` sums lines per entity and period into the account view (total, scope 1, scope 2, by
   source, by gas, energy).

The split keeps the per-record work close to what a hand-written query does, while every line still
says how it was made: ``line_values`` + the lineage table hold the same information as ``lines``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis import _

from . import numbers
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
#: carbon content is in tC/GJ: pure carbon is ~0.031 and blast-furnace gas ~0.071; 0.2 catches tC/TJ slips
MAX_CARBON_CONTENT = 0.2

#: the descriptive columns whose raw values form a record's group key (with the parameter bit mask)
KEY_SOURCES = (
    "source_type",
    "item",
    "unit",
    "ncv_unit",
    "factor_unit",
    "gas",
    "region",
    "param_basis",
    "_sheet",
)
KEY_COLUMNS = (*(f"k_{c}" for c in KEY_SOURCES), "k_year", "k_given")
#: bit of each numeric column in ``k_given`` (set when the record carries a usable number)
GIVEN_BIT = {c: 1 << i for i, c in enumerate(NUMERIC)}

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
    "market_factor",
    "market_ref",
    "market_tco2e",
    "biomass_co2_t",
    "energy_tce",
    "energy_method",
    "factor_set",
    "factor_set_version",
    "factor_confidence",
    "quality_tier",
)
#: the per-record numbers written by :func:`line_values` (everything else is in the lineage table)
VALUE_COLUMNS = (
    "row",
    "entity",
    "period",
    "lineage",
    "quantity",
    "ncv",
    "carbon_content",
    "oxidation_rate",
    "emission_factor",
    "tco2e",
    "energy_tce",
)
#: the columns of the lineage table shown on a line (the rest of LINE_COLUMNS are per-record values)
LINEAGE_COLUMNS = (
    "sheet",
    "year",
    "source_type",
    "source_type_zh",
    "scope",
    "item",
    "item_name",
    "gas",
    "unit_input",
    "activity_unit",
    "unit_factor",
    "unit_note",
    "ncv_origin",
    "carbon_content_origin",
    "oxidation_rate_origin",
    "factor_origin",
    "factor_ref",
    "formula",
    "gwp",
    "gwp_table",
    "market_factor",
    "market_ref",
    "energy_method",
    "factor_set",
    "factor_set_version",
    "factor_confidence",
    "quality_tier",
)

# the by-gas columns of the account view (CH4 includes its fossil/biogenic variants; the rest is fluorinated)
GAS_CO2, GAS_CH4, GAS_N2O, GAS_F = range(1, 5)
SCOPE_CLASS = {"1": 1, "2": 2, "export": 3}
SOURCE_CLASS = {code: i for i, code in enumerate(SOURCE_TYPES, 1)}
# how a record's emission factor is obtained (decided per group; the per-record arithmetic follows it)
EF_DIRECT, EF_FUEL, EF_GRID, EF_PURITY, EF_OXIDE, EF_CARBONATE, EF_DEFAULT = range(7)
#: the lineage numbers the per-record arithmetic reads (:func:`_computed`)
_ARITHMETIC_FLOATS = (
    "unit_factor",
    "ncv_mult",
    "factor_mult",
    "def_ncv",
    "def_cc",
    "def_of",
    "def_factor",
    "grid_factor",
    "w_total",
    "w_biomass",
    "e_mult",
)
_LINEAGE_FLOATS = (*_ARITHMETIC_FLOATS, "gwp", "market_factor")
_LINEAGE_INTS = ("lineage", "k_given", "year", "quality_tier", "ef_kind", "e_ncv")


@dataclass
class Prepared:
    """A checked activity table: the typed records, the options, and the lineage of each record group."""

    table: ir.Table
    options: Options
    #: one row per group: ``lineage`` id, the key columns, LINEAGE_COLUMNS and the per-group arithmetic inputs
    lineage: pd.DataFrame
    #: the group key columns of this table (absent optional columns are left out: they are blank everywhere)
    keys: tuple[str, ...] = KEY_COLUMNS

    def lineage_frame(self) -> pd.DataFrame:
        """The lineage table without the group keys: what a line's ``lineage`` id points into."""
        return self.lineage.drop(columns=list(self.keys))

    def lineage_table(self) -> ir.Table:
        """The lineage table as an Ibis table (join it to :func:`line_values` on ``lineage``)."""
        return _memtable(self.lineage_frame())


def _as_text(col: ir.Value) -> ir.StringValue:
    if col.type().is_string():
        return col.strip()
    return col.cast("string").strip()


def _raw_text(col: ir.Value) -> ir.StringValue:
    """A column's values as given, as text ('' for null): the record's group key, cleaned per group."""
    if col.type().is_string():
        return col.fill_null("")
    return col.cast("string").fill_null("")


#: what a number's text drops before it is read (blanks, no-break and thin spaces, thousands separators)
NUMBER_DROP = "[" + re.escape(numbers.DROP_CHARS) + "]"


def _number(col: ir.Value, fraction: bool = False) -> ir.FloatingValue:
    """Parse text to float by the rule of :mod:`.numbers` (a trailing % divides by 100; a fraction above 1 is
    read as a percentage). Text that breaks the rule is null (the not-a-number rule flags it)."""
    if col.type().is_numeric():
        value = col.cast("float64")
        if fraction:
            value = ibis.ifelse(value > 1, value / 100.0, value)
        return value
    # the rule of engine/numbers.py: full-width forms as ASCII, blanks and separators dropped, a strict pattern
    text = col.strip().translate(numbers.FULL_WIDTH_FROM, numbers.FULL_WIDTH_TO).re_replace(NUMBER_DROP, "")
    pct = text.endswith("%")
    body = text.re_replace("%$", "")
    base = ibis.ifelse(body.re_search(numbers.NUMBER_PATTERN), body.try_cast("float64"), ibis.null().cast("float64"))
    if fraction:
        return ibis.ifelse(pct, base / 100.0, ibis.ifelse(base > 1, base / 100.0, base))
    return ibis.ifelse(pct, base / 100.0, base)


def _given(t: ir.Table, c: str) -> ir.BooleanValue:
    """The record carries something in numeric column ``c`` (a number or unparseable text)."""
    col = t[c]
    if col.type().is_string():
        return col.notnull() & (col.strip() != "")
    return col.notnull()


@dataclass(frozen=True)
class Layout:
    """Which key and numeric columns an activity table really has (absent ones are blank everywhere)."""

    keys: tuple[str, ...]
    numbers: tuple[str, ...]


def layout(raw: ir.Table) -> Layout:
    cols = set(raw.columns)
    return Layout(
        keys=(*(f"k_{c}" for c in KEY_SOURCES if c in cols), "k_year", "k_given"),
        # quantity always: its absence is a problem the profile must see
        numbers=tuple(c for c in NUMERIC if c in cols or c == "quantity"),
    )


def _text(col: ir.Value) -> ir.StringValue:
    return col if col.type().is_string() else col.cast("string")


def prepare(raw: ir.Table, lay: Layout | None = None, trim: bool = True) -> ir.Table:
    """Add absent optional columns, type the numbers and derive the group key of every record.

    ``trim``: strip blanks around entity and period values (:func:`check` turns it off when no value
    has any, which saves a string operation per record).
    """
    lay = lay or layout(raw)
    cols = set(raw.columns)
    t = raw
    missing = {c: ibis.null().cast("string") for c in ALL_COLUMNS if c not in cols}
    if "_sheet" not in cols:
        missing["_sheet"] = ibis.null().cast("string")
    if missing:
        t = t.mutate(**missing)
    none = ibis.null().cast("float64")
    typed = {f"n_{c}": _number(t[c], c in FRACTIONS) if c in cols else none for c in NUMERIC}
    t = t.mutate(**{k: _raw_text(t[k[2:]]) for k in lay.keys if k not in ("k_year", "k_given")}, **typed)
    given: ir.IntegerValue = ibis.literal(0)
    for c in lay.numbers:
        given = given + ibis.ifelse(t[f"n_{c}"].notnull(), GIVEN_BIT[c], 0)
    period = _as_text(t.period) if trim else _text(t.period)
    return t.mutate(
        k_year=period.substr(0, 4).fill_null(""),
        k_given=given.cast("int32"),
        p_entity=_as_text(t.entity) if trim else _text(t.entity),
        p_period=period,
    )


def _text_numbers(t: ir.Table) -> list[str]:
    return [c for c in NUMERIC if t[c].type().is_string()]


def profile(t: ir.Table, lay: Layout) -> ir.Table:
    """The single profiling scan: per record group, the row count and what the per-row rules need."""
    aggs: dict[str, Any] = {
        "n": _.count(),
    }
    text = set(_text_numbers(t))
    for c in lay.numbers:
        value = t[f"n_{c}"]
        if c in text:  # text that is there but does not parse
            aggs[f"nan_{c}"] = (_given(t, c) & value.isnull()).cast("int64").sum()
        # NaN sorts above every number (DuckDB and Spark alike), so a NaN maximum means a NaN value
        aggs[f"min_{c}"] = value.min()
        aggs[f"max_{c}"] = value.max()
    for part in ("cao", "mgo"):
        if f"{part}_nc" in lay.numbers:
            aggs[f"bad_{part}_nc"] = (t[f"n_{part}_nc"] > t[f"n_{part}"]).fill_null(False).cast("int64").sum()
    return t.group_by(list(lay.keys)).aggregate(**aggs)


def _v(x: Any) -> Any:
    """pandas missing values (NA, NaN, None) → None."""
    if x is None or x is pd.NA or (isinstance(x, float) and x != x):
        return None
    return x


def _basis(raw: str) -> str | None:
    word = raw.strip().lower()
    if word in MEASURED_WORDS:
        return "measured"
    if word in DECLARED_WORDS:
        return "declared"
    return None


def _resolve_groups(
    prof: pd.DataFrame, options: Options, catalog: Catalog | None, grid: GridSelector | None
) -> pd.DataFrame:
    """Attach to every record group its resolved dimensions (item, defaults, multipliers, grid, GWP)."""
    groups = prof.copy()
    for k in KEY_COLUMNS:  # absent columns are blank everywhere
        if k not in groups:
            groups[k] = ""
    raw_dims = [f"k_{c}" for c in DIM_COLUMNS]
    dims = groups[raw_dims].drop_duplicates().reset_index(drop=True)
    dims["_dim"] = range(len(dims))
    resolved = resolve_dimensions(dims[raw_dims].set_axis(list(DIM_COLUMNS), axis=1), options, catalog, grid).table
    resolved = resolved.drop(columns=list(DIM_COLUMNS))
    resolved["_dim"] = range(len(resolved))
    groups = groups.merge(dims, on=raw_dims, how="left").merge(resolved, on="_dim", how="left")
    return groups


def _group_problem(g: dict[str, Any]) -> bool:
    """Does any record of this group break a rule? (Which records, :func:`locate` finds.)"""
    if _v(g.get("problem")) is not None:
        return True
    bits = int(g["k_given"])

    def has(c: str) -> bool:
        return bool(bits & GIVEN_BIT[c])

    if _basis(g["k_param_basis"]) is None:
        return True
    if not has("quantity"):
        return True
    for c in NUMERIC:
        low, high = g.get(f"min_{c}"), g.get(f"max_{c}")
        # every record of a group carries the columns of its bit mask, so a missing maximum there is a NaN
        if has(c) and (high is None or (isinstance(high, float) and math.isnan(high))):
            return True
        low, high = _v(low), _v(high)
        if int(g.get(f"nan_{c}", 0)) or (low is not None and low < 0):
            return True
        if (high is not None and high >= numbers.LIMIT) or (low is not None and low <= -numbers.LIMIT):
            return True
        if c in FRACTIONS and high is not None and high > 1:
            return True
    high_cc = _v(g.get("max_carbon_content"))
    if high_cc is not None and high_cc > MAX_CARBON_CONTENT:
        return True
    if int(g.get("bad_cao_nc", 0)) or int(g.get("bad_mgo_nc", 0)):
        return True
    if has("factor") and not g["k_factor_unit"].strip():
        return True
    if has("ncv") and not g["k_ncv_unit"].strip():
        return True
    if not has("cao") and (has("mgo") or has("cao_nc") or has("mgo_nc")):
        return True
    # parameters the formula needs but neither the record nor the factor set provides
    method, direct = _v(g.get("method")), has("factor")
    if method is None or direct:
        return False
    if str(g.get("gas_code")) != "CO2":
        return True
    if method == "fuel":
        return any(
            not has(c) and _v(g[d]) is None
            for c, d in (("ncv", "def_ncv"), ("carbon_content", "def_cc"), ("oxidation_rate", "def_of"))
        )
    if method in ("process", "carbonate", "heat"):
        return _v(g["def_factor"]) is None
    if method == "clinker":
        return not has("cao") and _v(g["def_factor"]) is None
    return False


def _tier(origin: str | None, missing: str) -> int:
    return TIER_BY_ORIGIN.get(origin or missing, 3)


def _lineage_row(g: dict[str, Any], gwp_table: str, keys: Sequence[str]) -> dict[str, Any]:
    """Everything about a record that its group decides: formula, parameter origins, references, tier."""
    bits = int(g["k_given"])

    def has(c: str) -> bool:
        return bool(bits & GIVEN_BIT[c])

    basis = _basis(g["k_param_basis"])
    st, m, gas = g["st"], g["method"], g["gas_code"]
    source = SOURCE_TYPES[st]
    direct = has("factor")
    is_fuel = m == "fuel"
    fuel_params = is_fuel and not direct

    def origin(c: str) -> str | None:
        return (basis if has(c) else "default") if fuel_params else None

    ncv_o, cc_o, of_o = origin("ncv"), origin("carbon_content"), origin("oxidation_rate")
    clinker_oxide = m == "clinker" and has("cao") and not direct
    qty_note = _v(g["qty_note"]) or ""
    factor_set, factor_version, item_code = _v(g["def_factor_set"]), _v(g["def_factor_version"]), g["item_code"]
    factor_origin: str | None
    factor_ref: str | None
    if direct:
        ef_kind, factor_origin, factor_ref = EF_DIRECT, basis, "企业提供 / supplied on the record"
    elif is_fuel:
        ef_kind, factor_origin = EF_FUEL, None
        factor_ref = None if factor_set is None else f"{factor_set} NCV×CC×OF"
    elif m == "electricity":
        ef_kind, factor_origin, factor_ref = EF_GRID, "prescribed", _v(g["grid_ref"])
    elif m == "recovery":
        ef_kind = EF_PURITY
        factor_origin = basis if (has("purity") or qty_note == "") else "default"
        factor_ref = "纯度实测 / purity on the record" if has("purity") else "纯度 1 / purity 1"
    elif clinker_oxide:
        ef_kind, factor_origin, factor_ref = EF_OXIDE, basis, "熟料CaO/MgO含量 / clinker oxide contents"
    else:
        ef_kind = EF_CARBONATE if m == "carbonate" else EF_DEFAULT
        factor_origin = "prescribed" if m == "heat" else "default"
        factor_ref = None if factor_set is None or item_code is None else f"{factor_set} {item_code}"
    if direct and m != "recovery":
        formula = "direct_factor"
    else:
        formula = {
            "fuel": "fuel_ncv_cc_of",
            "electricity": "electricity_grid",
            "heat": "heat_default",
            "recovery": "co2_recovery",
            "carbonate": "carbonate",
        }.get(m, "clinker_oxide" if clinker_oxide else "process_factor")
    biomass_co2 = st == "biomass" and gas == "CO2"
    scope = "1" if st == "biomass" and not biomass_co2 else source.scope
    gwp = float(g["gwp"])
    tce, tce_ref = _v(g["tce_per_unit"]), _v(g["tce_ref"])
    energy_sign = -1.0 if st in ("exported_electricity", "exported_heat") else 1.0
    e_ncv, e_mult, energy_method = 0, 0.0, None
    if fuel_params and has("ncv"):
        e_ncv = 1
        energy_method = (
            "企业声明低位发热量/29.3076 / declared NCV ÷ 29.3076 GJ/tce"
            if basis == "declared"
            else "实测低位发热量/29.3076 / measured NCV ÷ 29.3076 GJ/tce"
        )
    elif is_fuel and tce is not None:
        e_mult, energy_method = tce, tce_ref
    elif fuel_params and _v(g["def_ncv"]) is not None:
        e_ncv, energy_method = 1, "缺省低位发热量/29.3076 / default NCV ÷ 29.3076 GJ/tce"
    elif m in ("electricity", "heat"):
        e_mult, energy_method = (tce or 0.0) * energy_sign, tce_ref
    if fuel_params:
        tier = max(_tier(ncv_o, "measured"), _tier(cc_o, "measured"), _tier(of_o, "measured"))
    else:
        tier = _tier(factor_origin, "default")
    return {
        **{k: g[k] for k in keys},
        "year": int(g["k_year"]),
        "source_type": st,
        "source_type_zh": source.name_zh,
        "scope": scope,
        "item": item_code,
        "item_name": _v(g["item_name"]),
        "gas": gas,
        "sheet": g["k__sheet"] or None,
        "unit_input": g["k_unit"].strip(),
        "activity_unit": _v(g["activity_unit"]),
        "unit_factor": _v(g["qty_mult"]),
        "unit_note": _v(g["qty_note"]),
        "ncv_origin": ncv_o,
        "carbon_content_origin": cc_o,
        "oxidation_rate_origin": of_o,
        "factor_origin": factor_origin,
        "factor_ref": factor_ref,
        "formula": formula,
        "gwp": gwp,
        "gwp_table": gwp_table,
        # the market-based scope 2 view: the factor that replaces the grid factor there (electricity only)
        "market_factor": _v(g["market_factor"]) if m == "electricity" and not direct else None,
        "market_ref": _v(g["market_ref"]) if m == "electricity" and not direct else None,
        "energy_method": energy_method,
        "factor_set": "(record)" if direct else (_v(g["grid_set"]) if m == "electricity" else factor_set),
        "factor_set_version": None if direct else (_v(g["grid_version"]) if m == "electricity" else factor_version),
        "factor_confidence": None if m == "electricity" else _v(g["def_confidence"]),
        "quality_tier": tier,
        # the per-record arithmetic's inputs
        "ef_kind": ef_kind,
        "ncv_mult": _v(g["ncv_mult"]) if _v(g["ncv_mult"]) is not None else 1.0,
        "factor_mult": _v(g["factor_mult"]),
        "def_ncv": _v(g["def_ncv"]),
        "def_cc": _v(g["def_cc"]),
        "def_of": _v(g["def_of"]),
        "def_factor": _v(g["def_factor"]),
        "grid_factor": _v(g["grid_factor"]),
        "w_total": 0.0 if biomass_co2 else gwp * source.sign,
        "w_biomass": 1.0 if biomass_co2 else 0.0,
        "e_ncv": e_ncv,
        "e_mult": e_mult,
    }


def _memtable(frame: pd.DataFrame, keys: Sequence[str] = ()) -> ir.Table:
    """A small pandas frame as an Ibis table with the same nulls on every backend.

    PySpark cannot take pandas' missing text (it arrives as an unpicklable object), so missing text
    travels as '' and becomes null again in the expression; ``keys`` (join keys, where '' is a value) stay.
    """
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c].dtype)]
    data = frame.astype({c: object for c in text})
    for c in text:
        data[c] = data[c].where(data[c].notna(), "").astype(str)
    t = ibis.memtable(data)
    return t.mutate(**{c: t[c].nullif("") for c in text if c not in keys})


def _lineage_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows)
    frame.insert(0, "lineage", range(len(frame)))
    types: dict[str, str] = {c: "float64" for c in _LINEAGE_FLOATS}
    types.update({c: "Int32" if c == "month" else "int32" for c in _LINEAGE_INTS})
    types.update({c: "string" for c in frame.columns if c not in types})
    return frame.astype(types)


def _distinct_text(con: Any, raw: ir.Table, columns: Sequence[str]) -> dict[str, list[str | None]]:
    """The distinct values of each column as text, in one query (``[None]`` for an absent column)."""
    out: dict[str, list[str | None]] = {c: [None] for c in columns if c not in raw.columns}
    present = [c for c in columns if c in raw.columns]
    parts = [_text(raw[c]).name("v").as_table().distinct().mutate(c=ibis.literal(c)) for c in present]
    if parts:
        frame = con.execute(ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0])
        for c in present:
            out[c] = [_v(x) for x in frame.loc[frame["c"] == c, "v"]]
    return out


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
    lay = layout(raw)
    # entities and periods are few: check their distinct values rather than every record
    distinct = _distinct_text(con, raw, ("entity", "period"))
    entities, periods = distinct["entity"], distinct["period"]
    trim = any(x is not None and x != x.strip() for x in [*entities, *periods])
    bad_entity = any(x is None or not x.strip() for x in entities)
    bad_period = any(x is None or not re.search(PERIOD_RE, x.strip()) for x in periods)
    t = prepare(raw, lay, trim)
    prof: pd.DataFrame = con.execute(profile(t, lay))
    if prof.empty or int(prof["n"].sum()) == 0:
        raise InputError([Problem("empty_file")])
    groups = _resolve_groups(prof, options, catalog, grid)
    records = cast(list[dict[str, Any]], groups.to_dict("records"))
    if bad_entity or bad_period or any(_group_problem(g) for g in records):
        problems, total = locate(con, t, groups, limit, lay.keys)
        if not problems:  # the group statistics and the row rules disagree: a defect in this module
            raise RuntimeError("validation found a problem but could not locate its rows")
        raise InputError(problems, total)
    lineage = _lineage_frame([_lineage_row(g, options.gwp, lay.keys) for g in records])
    return Prepared(t, options, lineage, lay.keys)


def _row_flags(t: ir.Table) -> dict[str, ir.BooleanValue]:
    """Per-row problems that need no factor library: rule name → condition (for :func:`locate`)."""
    basis = _as_text(t.param_basis).lower().fill_null("")
    known_basis = basis.isin(MEASURED_WORDS) | basis.isin(DECLARED_WORDS)
    flags: dict[str, ir.BooleanValue] = {
        "entity:required": t.p_entity.isnull() | (t.p_entity == ""),
        "period:period_format": t.p_period.isnull() | ~t.p_period.re_search(PERIOD_RE),
        "quantity:required": ~_given(t, "quantity"),
        "param_basis:unknown_basis": ~known_basis,
    }
    for c in NUMERIC:
        value = t[f"n_{c}"]
        flags[f"{c}:not_a_number"] = _given(t, c) & (value.isnull() | value.isnan())
        flags[f"{c}:negative"] = value.notnull() & (value < 0)
        flags[f"{c}:too_large"] = value.notnull() & ~value.isnan() & (value.abs() >= numbers.LIMIT)
        if c in FRACTIONS:
            flags[f"{c}:fraction_range"] = value.notnull() & (value > 1)
    flags["factor_unit:unit_missing"] = t.n_factor.notnull() & (_as_text(t.factor_unit).fill_null("") == "")
    flags["ncv_unit:ncv_unit_missing"] = t.n_ncv.notnull() & (_as_text(t.ncv_unit).fill_null("") == "")
    flags["carbon_content:out_of_range"] = t.n_carbon_content > MAX_CARBON_CONTENT
    flags["cao_nc:out_of_range"] = t.n_cao_nc > t.n_cao
    flags["mgo_nc:out_of_range"] = t.n_mgo_nc > t.n_mgo
    flags["cao:oxide_incomplete"] = t.n_cao.isnull() & (t.n_mgo.notnull() | t.n_cao_nc.notnull() | t.n_mgo_nc.notnull())
    return flags


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


_LOCATE_STRINGS = ("problem", "problem_column", "problem_value", "problem_hint", "method", "gas_code")
_LOCATE_FLOATS = ("def_ncv", "def_cc", "def_of", "def_factor")


def locate(
    con: Any, t: ir.Table, groups: pd.DataFrame, limit: int = 200, keys: Sequence[str] = KEY_COLUMNS
) -> tuple[list[Problem], int]:
    """Find the rows behind every problem: (first `limit` problems in row order, total count).

    One flat query marks each rule as a boolean column; only the failing rows come back.
    """
    found = groups[list(keys)].copy()
    for c in _LOCATE_STRINGS:
        found[c] = groups[c].astype("string") if c in groups else pd.Series(pd.NA, index=groups.index, dtype="string")
    for c in _LOCATE_FLOATS:
        found[c] = groups[c].astype("float64")
    j = t.left_join(_memtable(found, keys), list(keys))
    j = j.drop(*[c for c in j.columns if c.endswith("_right")])
    param_rules = set(_param_flags(j))
    flags = {**_row_flags(j), **_param_flags(j)}
    names = {key: f"x{i}" for i, key in enumerate(flags)}
    shown = {c for key in flags for c in [key.split(":")[0]] if c in j.columns}
    marked = j.select(
        _row=j._row,
        _sheet=j._sheet,
        item_text=_as_text(j.item),
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
                problems.append(Problem(rule, int(r["_row"]), column, opt(r["item_text"]), column, sheet))
            else:
                hint = str(numbers.INTEGER_DIGITS) if rule == "too_large" else None
                problems.append(Problem(rule, int(r["_row"]), column, opt(r.get(f"v_{column}")), hint, sheet))
    return problems[:limit], total


#: the lineage columns the per-record arithmetic reads (the rest only describe the line)
_ARITHMETIC = ("lineage", "ef_kind", "e_ncv", *_ARITHMETIC_FLOATS)


def _computed(prepared: Prepared, describe: Sequence[str] = ()) -> tuple[ir.Table, dict[str, ir.Value]]:
    """Every record joined with its group's lineage (columns ``g_*``), and its numbers as expressions.

    Only the arithmetic's lineage columns and ``describe`` travel through the join: the compact lines
    need no descriptive text per record, so none is carried.
    """
    keys = prepared.keys
    wanted = [*keys, *_ARITHMETIC, *(c for c in describe if c not in _ARITHMETIC)]
    groups = prepared.lineage[wanted].rename(columns={c: f"g_{c}" for c in wanted if c not in keys})
    j = prepared.table.inner_join(_memtable(groups, keys), list(keys))
    kind = j.g_ef_kind
    fuel = kind == EF_FUEL
    none = ibis.null().cast("float64")
    q = j.n_quantity * j.g_unit_factor
    ncv = ibis.ifelse(fuel, (j.n_ncv * j.g_ncv_mult).fill_null(j.g_def_ncv), none)
    cc = ibis.ifelse(fuel, j.n_carbon_content.fill_null(j.g_def_cc), none)
    of = ibis.ifelse(fuel, j.n_oxidation_rate.fill_null(j.g_def_of), none)
    oxide = (j.n_cao - j.n_cao_nc.fill_null(0.0)) * CO2_PER_CAO + (
        j.n_mgo.fill_null(0.0) - j.n_mgo_nc.fill_null(0.0)
    ) * CO2_PER_MGO
    ef = ibis.cases(
        (kind == EF_DIRECT, j.n_factor * j.g_factor_mult),
        (fuel, ncv * cc * of * CO2_PER_C),
        (kind == EF_GRID, j.g_grid_factor),
        (kind == EF_PURITY, j.n_purity.fill_null(1.0)),
        (kind == EF_OXIDE, oxide),
        (kind == EF_CARBONATE, j.g_def_factor * j.n_fraction.fill_null(1.0)),
        else_=j.g_def_factor,
    )
    emission = q * ef
    values: dict[str, ir.Value] = {
        "row": j._row,
        "entity": j.p_entity,
        "period": j.p_period,
        "lineage": j.g_lineage,
        "quantity_input": j.n_quantity,
        "quantity": q,
        "ncv": ncv,
        "carbon_content": cc,
        "oxidation_rate": of,
        "emission_factor": ef,
        "factor": ibis.ifelse(fuel, none, ef),
        "emission_t": emission,
        "biomass_co2_t": ibis.ifelse(j.g_w_biomass > 0, emission, 0.0),
        "energy_tce": ibis.ifelse(j.g_e_ncv == 1, q * ncv / GJ_PER_TCE, q * j.g_e_mult),
    }
    values["tco2e"] = tco2e = emission * j.g_w_total
    if "market_factor" in describe:  # the line's contribution to the market-based view
        values["market_tco2e"] = ibis.ifelse(j.g_market_factor.isnull(), tco2e, q * j.g_market_factor * j.g_w_total)
    values["month"] = ibis.ifelse(
        j.p_period.length() == 7, j.p_period.substr(5, 2).cast("int32"), ibis.null().cast("int32")
    )
    return j, values


def line_values(prepared: Prepared) -> ir.Table:
    """Each record's numbers and its ``lineage`` id: the compact form of :func:`lines`.

    Join it with :meth:`Prepared.lineage_table` on ``lineage`` for the descriptive columns.
    """
    j, values = _computed(prepared)
    return j.select(**{c: values[c] for c in VALUE_COLUMNS})


def lines(prepared: Prepared) -> ir.Table:
    """Every activity record → one emission line with its parameters, their origin and lineage."""
    j, values = _computed(prepared, LINEAGE_COLUMNS)
    return j.select(**{c: j[f"g_{c}"] if c in LINEAGE_COLUMNS else values[c] for c in LINE_COLUMNS})


#: the columns of a line that each record computes (the rest come from its group's lineage)
RECORD_COLUMNS = tuple(c for c in LINE_COLUMNS if c not in LINEAGE_COLUMNS)


def lines_frame(con: Any, prepared: Prepared) -> pd.DataFrame:
    """:func:`lines` materialised, ordered by row: the per-record numbers from the backend, the lineage
    text joined in pandas.

    The same frame as executing :func:`lines`, for a fraction of the compile time on small inputs: the
    backend never sees the lineage table's text columns (28 of them), only the arithmetic's numbers.
    """
    j, values = _computed(prepared, ("market_factor",))
    records = con.execute(j.select(**{c: values[c] for c in ("lineage", *RECORD_COLUMNS)}))
    lin = prepared.lineage[["lineage", *LINEAGE_COLUMNS]]
    text = [c for c in LINEAGE_COLUMNS if not pd.api.types.is_numeric_dtype(lin[c].dtype)]
    # text as the backends return it (pandas' default string dtype, missing = NaN; '' is missing, as
    # :func:`_memtable` makes it)
    lin = lin.astype({c: pd.StringDtype(na_value=math.nan) for c in text})
    for c in text:
        lin[c] = lin[c].mask(lin[c] == "")
    out = records.merge(lin, on="lineage", how="left", validate="many_to_one")
    return out[list(LINE_COLUMNS)].sort_values("row", kind="stable").reset_index(drop=True)


def _gas_class(gas: str | None) -> int:
    if gas == "CO2":
        return GAS_CO2
    if gas is not None and gas.startswith("CH4"):
        return GAS_CH4
    return GAS_N2O if gas == "N2O" else GAS_F


def account_classes(lineage: pd.DataFrame) -> pd.DataFrame:
    """Per lineage id, the small numbers the account view sums by (from the lineage table's text).

    ``scope_class`` (SCOPE_CLASS), ``source_class`` (SOURCE_CLASS), ``gas_class`` (CO2, CH4 incl. its
    fossil/biogenic variants, N2O, fluorinated), ``tier3`` (1 when the line's tier is 3) and
    ``biomass`` (1 when the line is biomass CO2, a memo item outside the total), ``market`` (1 when
    the market-based view takes another factor than the line's) and ``market_w`` (that factor times the
    line's weight; tCO2e per activity unit).
    """
    scope_class = [SCOPE_CLASS.get(str(_v(x)), 0) for x in lineage["scope"]]
    market_factor = lineage["market_factor"] if "market_factor" in lineage else pd.Series(math.nan, lineage.index)
    differs = market_factor.notna() & (market_factor != lineage["grid_factor"])
    return pd.DataFrame(
        {
            "lineage": lineage["lineage"].astype("int32"),
            "scope_class": scope_class,
            "source_class": [SOURCE_CLASS.get(str(_v(x)), 0) for x in lineage["source_type"]],
            "gas_class": [_gas_class(_v(x)) for x in lineage["gas"]],
            "tier3": (lineage["quality_tier"] == 3).astype("int8"),
            "biomass": (lineage["w_biomass"] > 0).astype("int8"),
            "market": differs.astype("int8"),
            "market_w": (market_factor * lineage["w_total"]).where(differs, 0.0).astype("float64"),
        }
    ).astype({"scope_class": "int8", "source_class": "int8", "gas_class": "int8"})


def totals(values: ir.Table, lineage: pd.DataFrame, by: Sequence[str] = ("entity", "period")) -> ir.Table:
    """The account view per entity and period: total (GB/T 32150), scopes, by source, by gas, energy.

    ``values``: compact lines (:func:`line_values`, or read back from a file); ``lineage``: the lineage
    table they point into (:meth:`Prepared.lineage_frame`, or read back), of which only ``lineage``,
    ``scope``, ``source_type``, ``gas``, ``quality_tier``, ``w_biomass``, ``w_total``, ``grid_factor``
    and ``market_factor`` are read.

    Scope 2 is location-based (the grid factor of the region, GB/T 32150); ``scope2_market_tco2e``
    is the market-based view (绿电 at zero, other purchases at the national residual factor) and
    ``total_market_tco2e`` the total with it in place of the location-based scope 2.

    Each record joins :func:`account_classes`, so the sums compare small numbers. A class no lineage
    row has is a constant 0 and a class every row has is the plain sum, decided from the lineage table
    of this very file: no record that could count is skipped.
    """
    classes = account_classes(lineage)
    t = values.inner_join(_memtable(classes), "lineage")
    zero = ibis.literal(0).cast("float64")  # CAST(0 AS DOUBLE): a bare 0.0 is a DECIMAL(2,1) to DuckDB
    consts: dict[str, ir.Value] = {}

    def s(name: str, column: str, code: int, value: ir.FloatingValue, plain: ir.FloatingValue | None = None) -> None:
        present = set(classes[column].tolist())
        if code not in present:
            consts[name] = zero
        elif present == {code} and plain is not None:
            aggs[name] = plain
        else:
            aggs[name] = ibis.ifelse(t[column] == code, value, 0.0).sum()

    any_biomass = bool(classes["biomass"].any())
    biomass = ibis.ifelse(t.biomass == 1, t.quantity * t.emission_factor, 0.0) if any_biomass else zero
    aggs: dict[str, Any] = {"total_tco2e": t.tco2e.sum()}
    s("scope1_tco2e", "scope_class", SCOPE_CLASS["1"], t.tco2e, t.tco2e.sum())
    s("scope2_tco2e", "scope_class", SCOPE_CLASS["2"], t.tco2e, t.tco2e.sum())
    s("exported_tco2e", "scope_class", SCOPE_CLASS["export"], t.tco2e, t.tco2e.sum())
    if any_biomass:
        aggs["biomass_co2_t"] = biomass.sum()
    else:
        consts["biomass_co2_t"] = zero
    aggs["energy_tce"] = t.energy_tce.sum()
    for name, gas_code in (("co2", GAS_CO2), ("ch4", GAS_CH4), ("n2o", GAS_N2O), ("fgas", GAS_F)):
        s(f"{name}_tco2e", "gas_class", gas_code, t.tco2e, t.tco2e.sum())
    aggs["lines"] = t.count()
    if classes["market"].any():
        scope2 = ibis.ifelse(t.scope_class == SCOPE_CLASS["2"], t.tco2e, 0.0)
        aggs["scope2_market_tco2e"] = ibis.ifelse(t.market == 1, t.quantity * t.market_w, scope2).sum()
    s("tier3_tco2e", "tier3", 1, t.tco2e.abs(), t.tco2e.abs().sum())
    for code in SOURCE_TYPES:
        if code == "biomass":
            s("src_biomass", "source_class", SOURCE_CLASS[code], biomass)
        else:
            s(f"src_{code}", "source_class", SOURCE_CLASS[code], t.tco2e, t.tco2e.sum())
    names = [
        "total_tco2e", "scope1_tco2e", "scope2_tco2e", "scope2_market_tco2e", "total_market_tco2e",
        "exported_tco2e", "biomass_co2_t", "energy_tce",
        "co2_tco2e", "ch4_tco2e", "n2o_tco2e", "fgas_tco2e", "lines", "tier3_tco2e",
        *(f"src_{code}" for code in SOURCE_TYPES),
    ]  # fmt: skip
    out = t.group_by(list(by)).aggregate(**aggs)
    if consts:
        out = out.mutate(**consts)
    if "scope2_market_tco2e" not in aggs:  # no line has another factor in the market-based view
        out = out.mutate(scope2_market_tco2e=out.scope2_tco2e)
    out = out.mutate(total_market_tco2e=out.total_tco2e - out.scope2_tco2e + out.scope2_market_tco2e)
    return out.select(*by, *names).order_by(list(by))


def by_source(row: dict[str, Any]) -> dict[str, float]:
    return {code: float(row.get(f"src_{code}", 0.0) or 0.0) for code in SOURCE_TYPES}

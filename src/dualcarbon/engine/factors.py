"""Factor selection: which default parameters, grid factor and GWP apply to an activity line.

Selection works on the *distinct* combinations of the descriptive columns of an activity table
(source type, item, units, gas, region, year), which are few even for millions of rows. Each
combination is resolved once here (with its lineage and any problem), and the vectorised
calculation in :mod:`dualcarbon.engine.accounting` only joins and multiplies.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from . import units
from .messages import unknown_item_hint
from .methods import CO2_DENSITY_T_PER_NM3, SOURCE_TYPES, source_type_lookup
from .reference import factor_set_info, gwp_table, read_table

#: The one default of each choice, used by the engine's Options, the command line, a method policy's fields
#: and the platform when a region has no method policy (docs/architecture.md § Choices).
#: fuel factor sets in order of precedence (an item takes its parameters from the first set that has it): the NDRC
#: guideline table of default fossil-fuel parameters, then IPCC 2006 defaults for fuels that table does not list
#: (兰炭, jet kerosene …). Every default names an official document (reference/SOURCES.md); the sets that cannot be
#: sourced (fuels-a, fuels-b, fuels-c) are for comparison only and are never a default.
DEFAULT_FUEL_SETS = ("ndrc-2015", "ipcc2006-fuels")
DEFAULT_PROCESS_SET = "process-ipcc2006"
DEFAULT_HEAT_SET = "heat-default"
DEFAULT_COEF_SET = "gbt2589"
DEFAULT_GWP = "AR5"
#: the most specific MEE/NBS grid factor a line's region has (provincial, else regional, else national)
DEFAULT_GRID = "mee:auto"
DEFAULT_TCE_BASIS = "equivalent"
GWP_TABLES = ("SAR", "AR4", "AR5", "AR6")
TCE_BASES = ("equivalent", "equal")
#: the item code of market-traded non-fossil electricity (绿电), a kind of purchased electricity
GREEN_ELECTRICITY = "GREEN_ELECTRICITY"
#: the factor set of the national residual factor (不包括市场化交易的非化石能源电量) for the market-based view
RESIDUAL_SET = "grid-mee-nbs"

GRID_NAMES = {
    "NORTH": ("华北", "华北电网", "华北区域"),
    "NORTHEAST": ("东北", "东北电网", "东北区域"),
    "EAST": ("华东", "华东电网", "华东区域"),
    "CENTRAL": ("华中", "华中电网", "华中区域"),
    "NORTHWEST": ("西北", "西北电网", "西北区域"),
    "SOUTH": ("南方", "南方电网", "南方区域"),
    "SOUTHWEST": ("西南", "西南电网", "西南区域"),
}


class RegionRequired(LookupError):
    """A regional or provincial grid factor was asked for a line without a region."""


class SelectionError(ValueError):
    """A wrong option (unknown factor set, grid spec or GWP table): the caller's fault, not the file's."""


@dataclass(frozen=True)
class Options:
    """What the caller chooses; recorded on every line."""

    fuel_sets: tuple[str, ...] = DEFAULT_FUEL_SETS
    process_set: str = DEFAULT_PROCESS_SET
    heat_set: str = DEFAULT_HEAT_SET
    coef_set: str = DEFAULT_COEF_SET
    grid: str = DEFAULT_GRID
    gwp: str = DEFAULT_GWP
    #: "equivalent" (当量值, GB/T 2589 default) or "equal" (等价值, needs the year's power coal rate)
    tce_basis: str = DEFAULT_TCE_BASIS
    #: kgce per kWh for the equal-value basis (that year's thermal power supply coal rate)
    equal_value_kgce_per_kwh: float | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "fuel_sets": list(self.fuel_sets),
            "process_set": self.process_set,
            "heat_set": self.heat_set,
            "coef_set": self.coef_set,
            "grid": self.grid,
            "gwp": self.gwp,
            "tce_basis": self.tce_basis,
            "equal_value_kgce_per_kwh": self.equal_value_kgce_per_kwh,
        }


# ----------------------------------------------------------------------------------------------
# Choices parsed at the edge (command line, method policies, admin): a wrong one is refused when it is given,
# with the accepted values, never later in a calculation


def parse_fuel_sets(text: str | Sequence[str]) -> tuple[str, ...]:
    """ "fuels-a,fuels-b" → ("fuels-a", "fuels-b"); every name must be a fuel factor set of the library."""
    names = [s.strip() for s in text.split(",")] if isinstance(text, str) else [str(s).strip() for s in text]
    names = [n for n in names if n]
    if not names:
        raise SelectionError("name at least one fuel factor set (e.g. " + ",".join(DEFAULT_FUEL_SETS) + ")")
    if len(set(names)) != len(names):
        raise SelectionError(f"a fuel factor set is named twice: {', '.join(names)}")
    for name in names:
        try:
            info = factor_set_info(name)
        except KeyError as exc:
            raise SelectionError(str(exc).strip("'\"")) from exc
        if info.get("kind") != "fuel":
            raise SelectionError(f"factor set {name!r} is a {info.get('kind')} set, not a fuel set")
    return tuple(names)


def parse_grid(text: str) -> str:
    """A grid-factor choice in its normal form (``GridSpec``); raises SelectionError naming the accepted forms."""
    if not str(text or "").strip():
        raise SelectionError("choose a grid factor: ets, mee:national, mee:regional, mee:provincial or mee:auto")
    return GridSpec.parse(str(text)).text


def parse_gwp(text: str) -> str:
    name = str(text or "").strip().upper()
    if name not in GWP_TABLES:
        raise SelectionError(f"unknown GWP table {text!r}; use {', '.join(GWP_TABLES)}")
    return name


def parse_tce_basis(text: str) -> str:
    name = str(text or "").strip().lower()
    if name not in TCE_BASES:
        raise SelectionError(f"tce basis must be 'equivalent' or 'equal', not {text!r}")
    return name


def _rows(frame: pd.DataFrame) -> Iterator[Any]:
    """Rows of a reference table as attribute tuples (typed loosely: the columns are declared in reference.py)."""
    return frame.itertuples(index=False)


def _norm_key(text: object) -> str:
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return str(text).strip().upper()


@dataclass(frozen=True)
class Item:
    source_type: str
    code: str
    name_zh: str
    activity_unit: str
    method: str  # fuel | electricity | heat | carbonate | clinker | process | recovery
    ncv: float | None = None
    cc: float | None = None
    of: float | None = None
    factor: float | None = None  # t gas per activity unit
    factor_gas: str = "CO2"
    factor_set: str = ""
    factor_set_version: str = ""
    confidence: str = ""
    tce_per_unit: float | None = None  # GB/T 2589 reference coefficient, tce per activity unit
    tce_ref: str = ""


def _version(name: str) -> str:
    try:
        return str(factor_set_info(name).get("version", ""))
    except KeyError:
        return ""


class Catalog:
    """Items known for a choice of factor sets, with their default parameters."""

    def __init__(self, options: Options):
        self.options = options
        for name in options.fuel_sets:
            self._check_set(name, "fuel")
        self._check_set(options.process_set, "process")
        self._check_set(options.heat_set, "heat")
        self._check_set(options.coef_set, "energy_coefficients")
        self.items: dict[tuple[str, str], Item] = {}
        self._codes: set[tuple[str, str]] = set()
        #: source type -> the names and aliases the catalogue accepts, as written (for suggestions)
        self.spellings: dict[str, dict[str, str]] = {}
        self._build()

    @staticmethod
    def _check_set(name: str, kind: str) -> None:
        info = factor_set_info(name)  # raises UnknownFactorSet with the available names
        if info.get("kind") != kind:
            raise SelectionError(f"factor set {name!r} is a {info.get('kind')} set, not a {kind} set")

    def _coefficients(self) -> dict[str, tuple[float, str, str]]:
        coef = read_table("coal_equivalents")
        coef = coef[coef["factor_set"] == self.options.coef_set]
        out: dict[str, tuple[float, str, str]] = {}
        for r in _rows(coef):
            for key in (str(r.energy_code), str(getattr(r, "fuel_code", "") or "")):
                if key and key != "nan" and key not in out:
                    out[key] = (float(r.kgce_per_unit), str(r.unit), str(r.name_zh))
        return out

    def _add(self, item: Item, names: list[str]) -> None:
        if (item.source_type, item.code) in self._codes:
            return  # an earlier factor set already supplies this item: precedence is per item, not per spelling
        self._codes.add((item.source_type, item.code))
        for n in names:
            key = (item.source_type, _norm_key(n))
            if key[1] and key not in self.items:
                self.items[key] = item
                self.spellings.setdefault(item.source_type, {})[str(n).strip()] = item.code

    def _tce(self, coefs: dict[str, tuple[float, str, str]], code: str, activity_unit: str) -> tuple[float | None, str]:
        if code not in coefs:
            return None, ""
        value, unit, name = coefs[code]
        # unit is "kgce/<activity>": convert to tce per our activity unit with the registry
        mult = units.factor(unit, f"tce/{activity_unit}")
        return value * mult, f"{self.options.coef_set} {name} {value} {unit}"

    def _build(self) -> None:
        o = self.options
        coefs = self._coefficients()
        fuels = read_table("fuels")
        for set_name in o.fuel_sets:  # earlier sets take precedence
            version = _version(set_name)
            for r in _rows(fuels[fuels["factor_set"] == set_name]):
                unit = str(r.activity_unit)
                ncv = float(r.ncv) * units.factor(str(r.ncv_unit), f"GJ/{unit}")
                cc = float(r.carbon_content) * units.factor(str(r.carbon_content_unit), "tC/GJ")
                of = None if pd.isna(r.oxidation_rate) else float(r.oxidation_rate)
                tce, tce_ref = self._tce(coefs, str(r.fuel_code), unit)
                aliases = [a for a in str(r.aliases or "").split("|") if a and a != "nan"]
                names = [str(r.fuel_code), str(r.name_zh), str(r.name_en), *aliases]
                for st in ("fuel_combustion",):
                    self._add(
                        Item(
                            st,
                            str(r.fuel_code),
                            str(r.name_zh),
                            unit,
                            "fuel",
                            ncv,
                            cc,
                            of,
                            factor_set=set_name,
                            factor_set_version=version,
                            confidence=str(r.confidence),
                            tce_per_unit=tce,
                            tce_ref=tce_ref,
                        ),
                        names,
                    )
        # electricity and heat
        e_tce, e_ref = self._tce(coefs, "ELECTRICITY", "MWh")
        if o.tce_basis == "equal":
            if not o.equal_value_kgce_per_kwh:
                raise SelectionError(
                    "the equal-value (等价值) basis needs the year's power supply coal rate (kgce/kWh); none was given"
                )
            e_tce = o.equal_value_kgce_per_kwh * units.factor("kgce/kWh", "tce/MWh")
            e_ref = f"等价值 equal value {o.equal_value_kgce_per_kwh} kgce/kWh (caller)"
        elif o.tce_basis != "equivalent":
            raise SelectionError(f"tce basis must be 'equivalent' or 'equal', not {o.tce_basis!r}")
        for st in ("purchased_electricity", "exported_electricity"):
            self._add(
                Item(
                    st,
                    "ELECTRICITY",
                    "电力",
                    "MWh",
                    "electricity",
                    tce_per_unit=e_tce,
                    tce_ref=e_ref,
                    factor_set="(grid)",
                ),
                ["ELECTRICITY", "电力", "电", "电量", "electricity"],
            )
        # market-traded non-fossil electricity (绿电): a grid purchase like any other in the location-based
        # view; counted at zero in the market-based view (:meth:`GridSelector.market`)
        self._add(
            Item(
                "purchased_electricity",
                GREEN_ELECTRICITY,
                "绿电（市场化交易的非化石能源电力）",
                "MWh",
                "electricity",
                tce_per_unit=e_tce,
                tce_ref=e_ref,
                factor_set="(grid)",
            ),
            [
                GREEN_ELECTRICITY,
                "绿电",
                "绿色电力",
                "绿电交易电量",
                "市场化交易的非化石能源电力",
                "市场化交易非化石能源电量",
                "green electricity",
                "green power",
            ],
        )
        heat = read_table("heat_factors")
        heat = heat[heat["factor_set"] == o.heat_set]
        h_tce, h_ref = self._tce(coefs, "HEAT", "GJ")
        for r in _rows(heat):
            f = (
                float(r.value)
                * units.factor(str(r.unit), f"tCO2/{r.activity_unit}")
                * units.factor("GJ", str(r.activity_unit))
            )
            for st in ("purchased_heat", "exported_heat"):
                self._add(
                    Item(
                        st,
                        str(r.item),
                        str(r.name_zh),
                        "GJ",
                        "heat",
                        factor=f,
                        factor_set=o.heat_set,
                        factor_set_version=_version(o.heat_set),
                        confidence=str(r.confidence),
                        tce_per_unit=h_tce,
                        tce_ref=h_ref,
                    ),
                    [str(r.item), str(r.name_zh), str(r.name_en), "热力", "蒸汽", "热水", "heat", "steam"],
                )
        proc = read_table("process_factors")
        proc = proc[proc["factor_set"] == o.process_set]
        version = _version(o.process_set)
        for r in _rows(proc):
            unit = str(r.activity_unit)
            f = float(r.value) * units.factor(str(r.unit), f"t/{unit}")
            method = {"carbonate": "carbonate", "clinker": "clinker"}.get(str(r.method), "process")
            aliases = [a for a in str(r.aliases or "").split("|") if a and a != "nan"]
            self._add(
                Item(
                    "process",
                    str(r.item),
                    str(r.name_zh),
                    unit,
                    method,
                    factor=f,
                    factor_gas=str(r.gas or "CO2"),
                    factor_set=o.process_set,
                    factor_set_version=version,
                    confidence=str(r.confidence),
                ),
                [str(r.item), str(r.name_zh), str(r.name_en), *aliases],
            )
        self._add(
            Item("co2_recovery", "CO2", "二氧化碳", "t", "recovery", factor_set="(stoichiometry)"),
            ["CO2", "二氧化碳", "CO₂", "回收CO2", "回收二氧化碳"],
        )

    def lookup(self, source_type: str, item: object) -> Item | None:
        return self.items.get((source_type, _norm_key(item)))

    def suggest(self, source_type: str, item: object, limit: int = 3) -> list[str]:
        """The known names closest to an unknown one ("原媒" → ["原煤"]), best first: see :func:`closest_names`."""
        return closest_names(str(item or ""), self.spellings.get(source_type, {}), limit)

    def generic(self, source_type: str, item: object) -> Item:
        """An item that is not in the library: needs the caller's own factor (or parameters)."""
        text = str(item).strip()
        st = SOURCE_TYPES[source_type]
        method = {"biomass": "fuel", "process": "process", "fuel_combustion": "fuel"}.get(source_type, "process")
        return Item(source_type, text, text, st.activity_unit or "", method, factor_set="(caller)")


# ----------------------------------------------------------------------------------------------
# Suggestions for an unknown item

#: characters often typed for another in energy names (same sound or shape with a pinyin input method); both the
#: typed name and the known names are compared with these replaced, so 原媒 meets 原煤 and 天燃气 meets 天然气
CONFUSABLE = str.maketrans(
    {
        "媒": "煤",
        "碳": "炭",
        "汔": "气",
        "汽": "气",
        "柒": "柴",
        "然": "燃",
        "蕉": "焦",
        "练": "炼",
        "笨": "苯",
        "兰": "蓝",
    }
)
#: a name is suggested when its similarity (difflib ratio, 0–1) reaches this …
SUGGEST_CUTOFF = 0.5
#: … and is within this of the best one's
SUGGEST_MARGIN = 0.25


def _fold(text: str) -> str:
    return re.sub(r"[\s_\-（）()]", "", text).casefold().translate(CONFUSABLE)


def closest_names(text: str, spellings: dict[str, str], limit: int = 3) -> list[str]:
    """The accepted names most like ``text``, best first, one per item: ``spellings`` maps each accepted name or
    alias to its item code. Similarity is difflib's ratio of the names with confusable characters unified
    (:data:`CONFUSABLE`), ties broken by the ratio of the names as typed; a name is offered when it reaches
    :data:`SUGGEST_CUTOFF` and is within :data:`SUGGEST_MARGIN` of the best. Deterministic (no library state)."""
    typed = _fold(text)
    if not typed:
        return []
    scored: dict[str, tuple[float, float, float, str]] = {}
    for name, code in spellings.items():
        folded = _fold(name)
        if not folded:
            continue
        score = difflib.SequenceMatcher(None, typed, folded, autojunk=False).ratio()
        raw = difflib.SequenceMatcher(None, text.strip().casefold(), name.casefold(), autojunk=False).ratio()
        exact = difflib.SequenceMatcher(None, text.strip(), name, autojunk=False).ratio()
        key = (score, raw, exact, name)
        best = scored.get(code)
        # one name per item: the closest spelling, and at equal score the one written most like the typed text
        if best is None or key[:3] > best[:3]:
            scored[code] = key
    ranked = sorted(scored.values(), key=lambda k: (-k[0], -k[1], -k[2], len(k[3]), k[3]))
    if not ranked or ranked[0][0] < SUGGEST_CUTOFF:
        return []
    top = ranked[0][0]
    return [k[3] for k in ranked if k[0] >= max(SUGGEST_CUTOFF, top - SUGGEST_MARGIN)][:limit]


# ----------------------------------------------------------------------------------------------
# Electricity: which grid factor applies


@dataclass(frozen=True)
class GridChoice:
    value: float
    factor_set: str
    version: str
    ref: str
    year: int
    scope: str
    region_code: str
    confidence: str


@dataclass
class GridSpec:
    """``ets`` | ``mee[:auto|national|regional|provincial]`` with an optional ``@YEAR`` pin."""

    family: str
    level: str
    pinned_year: int | None = None
    text: str = ""

    @classmethod
    def parse(cls, spec: str) -> GridSpec:
        text = (spec or DEFAULT_GRID).strip().lower()
        m = re.fullmatch(r"(ets|mee)(?::(auto|national|regional|provincial))?(?:@(\d{4}))?", text)
        if not m:
            raise SelectionError(
                f"grid spec {spec!r} not understood; use ets, mee:national, mee:regional, mee:provincial "
                "or mee:auto, optionally with @YEAR (e.g. mee:provincial@2022)"
            )
        family, level, year = m.group(1), m.group(2), m.group(3)
        if family == "ets":
            if level not in (None, "national"):
                raise SelectionError("the national ETS factor has no regional values; use 'ets'")
            level = "national"
        return cls(family, level or "national", int(year) if year else None, text)

    @property
    def factor_set(self) -> str:
        return "grid-ets" if self.family == "ets" else "grid-mee-nbs"


class Regions:
    """GB/T 2260 provinces and their regional grids (from the reference library)."""

    def __init__(self) -> None:
        prov = read_table("provinces")
        self.province_name: dict[str, str] = {}
        self.province_grid: dict[str, str] = {}
        self.prefecture_grid: dict[str, str] = {}
        self.by_name: dict[str, str] = {}
        for r in _rows(prov):
            code = str(r.code).zfill(2)
            self.province_name[code] = str(r.name_zh)
            self.province_grid[code] = str(r.grid_region)
            name = str(r.name_zh)
            for variant in {name, re.sub(r"(省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区)$", "", name)}:
                self.by_name[variant] = code
            note = str(getattr(r, "grid_note", "") or "")
            for part in note.split(";"):  # e.g. "split: 1504 赤峰,1505 通辽 (蒙东) -> NORTHEAST"
                m = re.search(r"^(.*?)->\s*([A-Z]+)", part)
                if m:
                    for pref in re.findall(r"(?<!\d)\d{4}(?!\d)", m.group(1)):
                        self.prefecture_grid[pref] = m.group(2)

    def resolve(self, region: object) -> tuple[str | None, str | None]:
        """Return (province code, grid code) for a region text, or (None, grid) for a grid name."""
        text = "" if region is None else str(region).strip()
        if not text or text.lower() == "nan":
            return None, None
        digits = re.fullmatch(r"\d{2}|\d{4}|\d{6}|\d{9}|\d{12}", text)
        if digits:
            prov = text[:2]
            if prov not in self.province_name:
                raise KeyError(text)
            grid = (
                self.prefecture_grid.get(text[:4], self.province_grid[prov])
                if len(text) >= 4
                else self.province_grid[prov]
            )
            return prov, grid
        upper = text.upper()
        for code, names in GRID_NAMES.items():
            if upper == code or text in names:
                return None, code
        short = re.sub(r"(省|市|自治区|壮族自治区|回族自治区|维吾尔自治区)$", "", text)
        for key in (text, short):
            if key in self.by_name:
                prov = self.by_name[key]
                return prov, self.province_grid[prov]
        raise KeyError(text)


def _document_of(row: Any) -> str:
    """A grid row's announcement as the line shows it: "（生态环境部 国家统计局 公告2024年第12号，2024-04-12）"."""
    number = str(getattr(row, "document_no", "") or "")
    published = str(getattr(row, "published", "") or "")
    if not number or number.startswith("（"):
        return ""
    issuer = "生态环境部 国家统计局 " if str(row.factor_set) == "grid-mee-nbs" else "生态环境部 "
    return f"（{issuer}{number}" + (f"，{published}）" if published else "）")


class GridSelector:
    def __init__(self, spec: str):
        self.spec = GridSpec.parse(spec)
        table = read_table("grid_factors")
        table = table[(table["factor_set"] == self.spec.factor_set) & (table["variant"] == "average")]
        if table.empty:
            raise SelectionError(f"no average grid factors in set {self.spec.factor_set}")
        self.version = _version(self.spec.factor_set)
        self.rows: dict[tuple[str, str], list[tuple[int, float, str, str, str]]] = {}
        for r in _rows(table):
            self.rows.setdefault((str(r.scope), str(r.region_code)), []).append(
                (int(r.data_year), float(r.value), str(r.region_name), str(r.confidence), _document_of(r))
            )
        for v in self.rows.values():
            v.sort()
        self.regions = Regions()
        residual = read_table("grid_factors")
        residual = residual[
            (residual["factor_set"] == RESIDUAL_SET)
            & (residual["variant"] == "residual")
            & (residual["scope"] == "national")
        ]
        self.residual_version = _version(RESIDUAL_SET)
        self.residual: list[tuple[int, float, str, str]] = sorted(
            (int(r.data_year), float(r.value), str(r.region_name), _document_of(r)) for r in _rows(residual)
        )

    def _pick(self, scope: str, code: str, year: int) -> GridChoice | None:
        series = self.rows.get((scope, code))
        if not series:
            return None
        if self.spec.pinned_year is not None:
            hits = [s for s in series if s[0] == self.spec.pinned_year]
        else:
            hits = [s for s in series if s[0] <= year]
        if not hits:
            return None
        fy, value, name, conf, document = hits[-1]
        note = (
            ""
            if fy == year or self.spec.pinned_year
            else f"; {year}年因子未发布，采用{fy}年 / {year} not published, {fy} used"
        )
        pin = f" (pinned {fy})" if self.spec.pinned_year else ""
        ref = f"{self.spec.factor_set} {fy} {scope} {code} {name} {value} tCO2/MWh{document}{pin}{note}"
        return GridChoice(value, self.spec.factor_set, self.version, ref, fy, scope, code, conf)

    def choose(self, year: int, region: object) -> GridChoice:
        """Raise KeyError(region) for an unknown region, LookupError when no factor exists."""
        level = self.spec.level
        prov, grid = self.regions.resolve(region)
        order: list[tuple[str, str]] = []
        if level in ("auto", "provincial") and prov:
            order.append(("provincial", prov))
        if level in ("auto", "regional", "provincial") and grid:
            order.append(("regional", grid))
        if level in ("auto", "national") or not order:
            order.append(("national", "CN"))
        if level in ("regional", "provincial") and not (prov or grid):
            raise RegionRequired(level)
        for scope, code in order:  # most specific first; a level without a series falls back
            choice = self._pick(scope, code, year)
            if choice is not None:
                return choice
        raise LookupError(self.spec.factor_set)

    def market(self, source_type: str, item_code: str, year: int, location: GridChoice) -> tuple[float, str]:
        """The market-based scope 2 factor of an electricity line and where it comes from.

        Market-traded non-fossil electricity (绿电) counts zero; other purchased electricity takes the
        national residual factor (全国电力平均二氧化碳排放因子，不包括市场化交易的非化石能源电量) of the year,
        chosen like the location factor (the latest published up to the year, or the pinned year). Exported
        electricity, and a year before any residual factor, keep the location factor.
        """
        if source_type == "purchased_electricity" and item_code == GREEN_ELECTRICITY:
            return 0.0, "绿电（市场化交易的非化石能源电量）按零计 / market-traded non-fossil electricity counts zero"
        if source_type != "purchased_electricity":
            return location.value, "与位置因子相同 / same as the location-based factor"
        pin = self.spec.pinned_year
        hits = [r for r in self.residual if (r[0] == pin if pin is not None else r[0] <= year)]
        if not hits:
            return location.value, (
                f"{year}年无剩余电力因子，采用位置因子 / no residual factor for {year}: location-based factor used"
            )
        fy, value, name, document = hits[-1]
        note = "" if fy == year or pin else f"; {year}年因子未发布，采用{fy}年 / {year} not published, {fy} used"
        return value, f"{RESIDUAL_SET} {fy} national CN residual {value} tCO2/MWh {name}{document}{note}"


@functools.lru_cache(maxsize=32)
def cached_catalog(options: Options) -> Catalog:
    """Catalogues are pure functions of the (immutable) reference data and the options."""
    return Catalog(options)


@functools.lru_cache(maxsize=32)
def cached_grid(spec: str) -> GridSelector:
    return GridSelector(spec)


@functools.lru_cache(maxsize=16)
def gwp_values(name: str) -> dict[str, float]:
    try:
        return gwp_table(name.upper())
    except KeyError as exc:
        raise SelectionError(f"unknown GWP table {name!r}; use SAR, AR4, AR5 or AR6") from exc


# ----------------------------------------------------------------------------------------------
# Resolving the distinct descriptive combinations of an activity table

DIM_COLUMNS = ("source_type", "item", "unit", "ncv_unit", "factor_unit", "gas", "region", "year")


@dataclass
class Resolution:
    """The resolved dimension table plus the problems found in it (keyed by the raw values)."""

    table: pd.DataFrame
    problems: list[dict[str, Any]] = field(default_factory=list)


def _clean(v: object) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return ""
    return str(v).strip()


def resolve_dimensions(
    dims: pd.DataFrame, options: Options, catalog: Catalog | None = None, grid: GridSelector | None = None
) -> Resolution:
    """Resolve each distinct combination of raw descriptive values.

    ``dims`` has the raw (string) columns of :data:`DIM_COLUMNS` (empty string for null). The result
    has the same key columns plus the resolved values; rows with a problem carry ``problem`` (rule),
    ``problem_column``, ``problem_value`` and ``problem_hint`` and are never calculated.
    """
    catalog = catalog or cached_catalog(options)
    grid = grid or cached_grid(options.grid)
    gwp = gwp_values(options.gwp)
    st_lookup = source_type_lookup()
    st_hint = ", ".join(SOURCE_TYPES)
    sets_hint = "+".join(options.fuel_sets)
    records: list[dict[str, Any]] = []
    for raw in dims.to_dict("records"):
        rec: dict[str, Any] = {c: _clean(raw.get(c)) for c in DIM_COLUMNS}
        out = dict(rec)
        problem = None

        def fail(rule: str, column: str, value: str, hint: str = "") -> None:
            nonlocal problem
            if problem is None:
                problem = (rule, column, value, hint)

        st = st_lookup.get(rec["source_type"].lower()) if rec["source_type"] else None
        item: Item | None = None
        if not rec["source_type"]:
            fail("required", "source_type", "")
        elif st is None:
            fail("unknown_source_type", "source_type", rec["source_type"], st_hint)
        elif not rec["item"]:
            fail("required", "item", "")
        else:
            item = catalog.lookup(st, rec["item"])
            if item is None:
                if st in (
                    "fuel_combustion",
                    "purchased_electricity",
                    "exported_electricity",
                    "purchased_heat",
                    "exported_heat",
                    "co2_recovery",
                ):
                    hint = sets_hint if st == "fuel_combustion" else st
                    fail("unknown_item", "item", rec["item"], unknown_item_hint(hint, catalog.suggest(st, rec["item"])))
                else:  # process or biomass: the caller's factor/parameters are required (checked per row)
                    item = catalog.generic(st, rec["item"])
        out["st"] = st
        gas = (rec["gas"] or (item.factor_gas if item else "CO2")).upper().replace("₂", "2")
        out["gas_code"] = gas
        out["gwp"] = gwp.get(gas)
        if out["gwp"] is None and problem is None:
            fail("unknown_gas", "gas", rec["gas"] or gas, options.gwp)
        if item is not None and problem is None:
            out.update(
                item_code=item.code,
                item_name=item.name_zh,
                method=item.method,
                def_ncv=item.ncv,
                def_cc=item.cc,
                def_of=item.of,
                def_factor=item.factor,
                def_factor_set=item.factor_set,
                def_factor_version=item.factor_set_version,
                def_confidence=item.confidence,
                tce_per_unit=item.tce_per_unit,
                tce_ref=item.tce_ref,
            )
            activity_unit = item.activity_unit
            # quantity unit → activity unit (CO2 recovery may come as a volume)
            if not rec["unit"]:
                fail("required", "unit", "")
            else:
                try:
                    if not activity_unit:  # generic process/biomass item: keep a mass or energy basis
                        activity_unit = _generic_unit(rec["unit"])
                    out["qty_mult"] = units.factor(rec["unit"], activity_unit)
                    out["qty_note"] = ""
                except units.UnitError:
                    if item.method == "recovery" and _is_volume(rec["unit"]):
                        out["qty_mult"] = units.factor(rec["unit"], "Nm3") * CO2_DENSITY_T_PER_NM3
                        out["qty_note"] = "1.977 kg/Nm3"
                    elif not units.is_known(rec["unit"]):
                        fail("unknown_unit", "unit", rec["unit"])
                    else:
                        fail("unit_mismatch", "unit", rec["unit"], activity_unit)
            out["activity_unit"] = activity_unit
            for col, target, key in (
                ("ncv_unit", f"GJ/{activity_unit}", "ncv_mult"),
                ("factor_unit", f"t/{activity_unit}", "factor_mult"),
            ):
                if rec[col] and activity_unit:
                    try:
                        out[key] = units.factor(rec[col], target)
                    except units.UnitError:
                        rule = "unit_mismatch" if units.is_known(rec[col]) else "unknown_unit"
                        fail(rule, col, rec[col], target)
                else:
                    out[key] = None
            if item.method == "electricity" and problem is None:
                try:
                    year = int(rec["year"]) if rec["year"].isdigit() else None
                    if year is not None:
                        choice = grid.choose(year, rec["region"])
                        market_factor, market_ref = grid.market(st or "", item.code, year, choice)
                        out.update(
                            grid_factor=choice.value,
                            grid_ref=choice.ref,
                            grid_set=choice.factor_set,
                            grid_version=choice.version,
                            market_factor=market_factor,
                            market_ref=market_ref,
                        )
                except KeyError:
                    fail("unknown_region", "region", rec["region"])
                except RegionRequired:
                    fail("region_required", "region", "", grid.spec.text)
                except LookupError:
                    shown = str(grid.spec.pinned_year or rec["year"])
                    fail("no_grid_factor", "period", shown, grid.spec.text)
        if problem is not None:
            out["problem"], out["problem_column"], out["problem_value"], out["problem_hint"] = problem
        records.append(out)
    table = pd.DataFrame.from_records(records)
    for col in RESOLVED_COLUMNS:
        if col not in table.columns:
            table[col] = None
    table = table.astype({c: "float64" for c in RESOLVED_FLOATS}).astype({c: "string" for c in RESOLVED_STRINGS})
    return Resolution(table)


def _is_volume(unit: str) -> bool:
    try:
        units.factor(unit, "Nm3")
        return True
    except units.UnitError:
        return False


def _generic_unit(unit: str) -> str:
    """Activity unit for an item the library does not know: tonnes for masses, GJ for energy, else as is."""
    for target in ("t", "GJ", "MWh", "Nm3"):
        try:
            units.factor(unit, target)
            return "万Nm3" if target == "Nm3" else target
        except units.UnitError:
            continue
    return units.normalise(unit)


RESOLVED_FLOATS = (
    "gwp",
    "def_ncv",
    "def_cc",
    "def_of",
    "def_factor",
    "tce_per_unit",
    "qty_mult",
    "ncv_mult",
    "factor_mult",
    "grid_factor",
    "market_factor",
)
RESOLVED_STRINGS = (
    *DIM_COLUMNS,
    "st",
    "gas_code",
    "item_code",
    "item_name",
    "method",
    "def_factor_set",
    "def_factor_version",
    "def_confidence",
    "tce_ref",
    "qty_note",
    "activity_unit",
    "grid_ref",
    "grid_set",
    "grid_version",
    "market_ref",
    "problem",
    "problem_column",
    "problem_value",
    "problem_hint",
)
RESOLVED_COLUMNS = (*RESOLVED_FLOATS, *RESOLVED_STRINGS)

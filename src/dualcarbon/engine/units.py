"""The domain unit registry (pint).

Every conversion in DualCarbon goes through this registry; there are no hand-written conversion
tables. Conventions:

* Masses of gases are plain masses: ``tCO2``, ``tCO2e``, ``tCH4``, ``tN2O`` and ``tC`` are tonnes.
  A factor in ``tCO2/t`` is therefore dimensionless and one in ``kgCO2/kWh`` is mass per energy.
* ``Nm3`` is a normal cubic metre (0 °C, 101.325 kPa). Chinese energy statistics and the NDRC
  guidelines report gas volumes at standard conditions, so a plain ``m3`` / ``立方米`` on an
  activity record is read as ``Nm3``.
* ``tce`` (吨标准煤) is 29.3076 GJ (GB/T 2589: 1 kgce = 29 307.6 kJ = 7000 kcal_IT).
* ``万`` is 10^4: ``万Nm3``, ``万kWh``, ``万元``.
* Money has its own dimension (``yuan``) so that it never converts to anything physical.
"""

from __future__ import annotations

import functools
import re

import pint

_DEFINITIONS = """
Nm3 = meter ** 3 = normal_cubic_meter
tCO2 = tonne
tCO2e = tonne
kgCO2 = kilogram
kgCO2e = kilogram
gCO2 = gram
tCH4 = tonne
tN2O = tonne
tC = tonne
kgC = kilogram
kcal_it = 1000 * international_calorie
tce = 29.3076 * gigajoule
kgce = 29.3076 * megajoule
yuan = [currency] = CNY
"""

#: Names accepted on input (Chinese and common spellings) mapped to registry expressions.
ALIASES: dict[str, str] = {
    "吨": "t",
    "t": "t",
    "千克": "kg",
    "公斤": "kg",
    "万吨": "10000 * t",
    "立方米": "Nm3",
    "m3": "Nm3",
    "m³": "Nm3",
    "nm3": "Nm3",
    "nm³": "Nm3",
    "标立方米": "Nm3",
    "标准立方米": "Nm3",
    "万立方米": "10000 * Nm3",
    "万标立方米": "10000 * Nm3",
    "万nm3": "10000 * Nm3",
    "万m3": "10000 * Nm3",
    "10^4nm3": "10000 * Nm3",
    "10^4m3": "10000 * Nm3",
    "10⁴nm3": "10000 * Nm3",
    "千瓦时": "kWh",
    "度": "kWh",
    "万千瓦时": "10000 * kWh",
    "万kwh": "10000 * kWh",
    "兆瓦时": "MWh",
    "吉焦": "GJ",
    "百万千焦": "GJ",
    "兆焦": "MJ",
    "千焦": "kJ",
    "吨标准煤": "tce",
    "吨标煤": "tce",
    "千克标准煤": "kgce",
    "千克标煤": "kgce",
    "万元": "10000 * yuan",
    "元": "yuan",
    "吨二氧化碳": "tCO2",
    "吨二氧化碳当量": "tCO2e",
    "kwh": "kWh",
    "mwh": "MWh",
    "gwh": "GWh",
    "gj": "GJ",
    "mj": "MJ",
    "kj": "kJ",
    "tj": "TJ",
    "tco2": "tCO2",
    "tco2e": "tCO2e",
    "kgco2": "kgCO2",
    "kgco2e": "kgCO2e",
    "tc": "tC",
    "kgc": "kgC",
    "kg": "kg",
    # GB/T 2589 uses the International Table calorie (4.1868 J), not pint's thermochemical 4.184 J
    "kcal": "kcal_it",
    "cal": "cal_it",
    "大卡": "kcal_it",
    "千卡": "kcal_it",
    "tce": "tce",
    "kgce": "kgce",
}

ureg: pint.UnitRegistry = pint.UnitRegistry(autoconvert_offset_to_baseunit=True, cache_folder=None)
for _line in _DEFINITIONS.strip().splitlines():
    ureg.define(_line)

_SPACE = re.compile(r"\s+")


class UnitError(ValueError):
    """A unit string that the registry cannot read, or two units that do not convert."""


def _normalise_atom(atom: str) -> str:
    key = _SPACE.sub("", atom).lower()
    if key in ALIASES:
        return f"({ALIASES[key]})"
    if key.startswith("万") and key[1:] in ALIASES:
        return f"(10000 * {ALIASES[key[1:]]})"
    if atom.startswith("万") and len(atom) > 1:
        return f"(10000 * {atom[1:].strip()})"
    return atom.strip()


def normalise(unit: str) -> str:
    """Turn a user's unit string (``万立方米``, ``GJ/10^4 Nm3``, ``kgCO2/kWh``) into a pint expression."""
    text = str(unit).strip()
    if not text:
        raise UnitError("empty unit")
    text = text.replace("／", "/").replace("·", "*").replace("％", "%")
    parts = text.split("/")
    return " / ".join(_normalise_atom(p) for p in parts)


@functools.lru_cache(maxsize=4096)
def parse(unit: str) -> pint.Quantity:
    """Parse a unit string into a pint quantity: ``万Nm3`` is the quantity 10000 Nm3."""
    expr = normalise(unit)
    try:
        q = ureg.parse_expression(expr)
    except Exception as exc:  # pint raises several exception types
        raise UnitError(f"unknown unit {unit!r}") from exc
    if not isinstance(q, ureg.Quantity):
        raise UnitError(f"{unit!r} is a number, not a unit")
    return q


def is_known(unit: str) -> bool:
    try:
        parse(unit)
    except UnitError:
        return False
    return True


@functools.lru_cache(maxsize=4096)
def factor(from_unit: str, to_unit: str) -> float:
    """Multiplier m such that a value in ``from_unit`` times m is the value in ``to_unit``."""
    src, dst = parse(from_unit), parse(to_unit)
    try:
        return float(src.to(dst.units).magnitude / dst.magnitude)
    except pint.DimensionalityError as exc:
        raise UnitError(f"{from_unit!r} cannot be converted to {to_unit!r}") from exc


def convert(value: float, from_unit: str, to_unit: str) -> float:
    return value * factor(from_unit, to_unit)

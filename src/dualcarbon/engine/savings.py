"""Energy saved (tce) → CO2 avoided (tCO2): named, sourced conversions (docs/methods.md § Savings).

No official Chinese text gives one tCO2-per-tce constant (reference/SOURCES.md § tCO2 per tce). A saving is
therefore converted through the energy it displaces, with parameters the platform already cites:

* ``fuel:CODE`` — a fossil fuel of the fuel library (default set ndrc-2015, the NDRC guideline's Table 2.1):
  tCO2/tce = 29.3076 GJ/tce (GB/T 2589: 1 kgce = 29 307.6 kJ) × carbon content (tC/GJ) × oxidation rate × 44/12.
  ``fuel:CODE@SET`` takes the parameters from another fuel set.
* ``mix:CODE=SHARE,CODE=SHARE…`` — a displaced fuel mix; the factor is the share-weighted mean (shares sum to 1).
* ``coal-ranks`` (the default) — the mix of the two ranks of thermal coal in that table, anthracite and
  bituminous coal, half each. It is a platform convention, stated as such; it reproduces the seed's
  published project figures (1.7万 tce → 4.6万 tCO2; 0.88万 tce → 2.4万 tCO2), whose own factor is not published.
* ``grid[:SPEC][@YEAR][/REGION]`` — the saving is electricity: kWh = tce ÷ the basis's kgce/kWh (equivalent
  value 0.1229, GB/T 2589 Appendix A; equal value: the year's power-supply coal rate, given by the caller), then
  × the grid factor the account engine would choose for purchased electricity of that region and year.

The tce *basis* (equivalent / equal value) only changes electricity and heat. For a fuel method the tce of a
fossil fuel is the same on both bases, and the result says so. All arithmetic is Decimal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .factors import DEFAULT_FUEL_SETS, TCE_BASES, GridSelector, SelectionError
from .reference import factor_set_info, read_table

#: GB/T 2589: the low calorific value of 1 kgce is 29 307.6 kJ → 29.3076 GJ per tce
GJ_PER_TCE = Decimal("29.3076")
C_TO_CO2 = Decimal(44) / Decimal(12)
#: GB/T 2589 Appendix A: electricity at its calorific equivalent, 3600 kJ/kWh ÷ 29 307.6 kJ/kgce
EQUIVALENT_KGCE_PER_KWH = Decimal("0.1229")
#: the units a saving can be given in, and tce per unit
UNITS: dict[str, Decimal] = {"tce": Decimal(1), "kgce": Decimal("0.001"), "万tce": Decimal(10000)}
UNIT_ALIASES = {
    "t": "tce",
    "吨标准煤": "tce",
    "吨标煤": "tce",
    "kg": "kgce",
    "千克标准煤": "kgce",
    "wtce": "万tce",
    "万吨标准煤": "万tce",
    "万吨标煤": "万tce",
    "10ktce": "万tce",
}
DEFAULT_METHOD = "coal-ranks"
PRESETS = {"coal-ranks": "mix:ANTHRACITE=0.5,BITUMINOUS=0.5"}
GB2589 = "GB/T 2589-2020《综合能耗计算通则》 1 kgce = 29 307.6 kJ"
METHOD_HELP = (
    "coal-ranks (default: anthracite and bituminous coal, half each), fuel:CODE[@SET] (e.g. fuel:RAW_COAL), "
    "mix:CODE=SHARE,… (shares sum to 1), grid[:SPEC][@YEAR][/REGION] (the saving is electricity; "
    "e.g. grid:mee:provincial@2022/330500)"
)


class SavingsError(ValueError):
    """A wrong quantity, unit, basis or method: said in terms of what the user typed, in Chinese and English."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en

    def render(self, lang: str = "zh") -> str:
        return self.zh if lang.startswith("zh") else self.en


@dataclass(frozen=True)
class Part:
    """One displaced energy and its tCO2/tce."""

    code: str
    name: str
    share: Decimal
    factor: Decimal
    derivation: str
    source: str


@dataclass
class Savings:
    quantity: Decimal
    unit: str
    tce: Decimal
    basis: str
    method: str
    factor: Decimal  # tCO2 per tce
    tco2: Decimal
    parts: list[Part] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def source(self) -> str:
        return "; ".join(dict.fromkeys(p.source for p in self.parts))

    def rounded(self, unit: str = "万tCO2", places: int = 1) -> Decimal:
        """The result as publications print it (e.g. 4.6 万tCO2)."""
        scale = Decimal(10000) if unit == "万tCO2" else Decimal(1)
        return (self.tco2 / scale).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)

    def as_dict(self) -> dict[str, Any]:
        return {
            "quantity": str(self.quantity),
            "unit": self.unit,
            "tce": str(self.tce),
            "basis": self.basis,
            "method": self.method,
            "factor": float(self.factor),
            "factor_unit": "tCO2/tce",
            "tco2": float(self.tco2),
            "tco2_exact": str(self.tco2),
            "wan_tco2": float(self.rounded()),
            "source": self.source,
            "derivation": [
                {
                    "code": p.code,
                    "name": p.name,
                    "share": str(p.share),
                    "factor": str(p.factor),
                    "derivation": p.derivation,
                    "source": p.source,
                }
                for p in self.parts
            ],
            "notes": self.notes,
        }


def _decimal(value: object, what_pair: tuple[str, str]) -> Decimal:
    what_zh, what = what_pair
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise SavingsError(f"{what_zh}须为数字，而不是 {value!r}", f"{what} must be a number, not {value!r}") from None
    if not number.is_finite():
        raise SavingsError(f"{what_zh}须为有限数字，而不是 {value!r}", f"{what} must be a finite number, not {value!r}")
    return number


def parse_unit(text: str) -> str:
    raw = str(text or "").strip()
    unit = UNIT_ALIASES.get(raw.lower(), UNIT_ALIASES.get(raw, raw))
    if unit not in UNITS:
        raise SavingsError(
            f"单位 {text!r} 不是节能量单位；请用 tce、kgce 或 万tce",
            f"unit {text!r} is not a unit of energy saved; use tce, kgce or 万tce",
        )
    return unit


def _fuel_part(code: str, fuel_set: str | None, share: Decimal) -> Part:
    fuels = read_table("fuels")
    sets = (fuel_set,) if fuel_set else DEFAULT_FUEL_SETS
    for name in sets:
        try:
            info = factor_set_info(name, "fuel")
        except KeyError:
            known = ", ".join(sorted(set(fuels["factor_set"])))
            raise SavingsError(
                f"未知的燃料因子集 {name!r}；可用：{known}", f"unknown fuel factor set {name!r}; known: {known}"
            ) from None
        rows = fuels[(fuels["factor_set"] == name) & (fuels["fuel_code"] == code.upper())]
        if rows.empty:
            continue
        row = rows.iloc[0]
        cc, of = Decimal(str(row["carbon_content"])), Decimal(str(row["oxidation_rate"]))
        factor = GJ_PER_TCE * cc * of * C_TO_CO2
        derivation = f"29.3076 GJ/tce × {cc} tC/GJ × {of} × 44/12 = {factor.quantize(Decimal('0.0001'))} tCO2/tce"
        source = (
            f"{info['publisher']} {info['document']} {info['document_no']} {row['table_ref']} "
            f"（{name}，{row['confidence']}）; {GB2589}"
        ).replace("nan ", "")
        return Part(code.upper(), f"{row['name_zh']} {row['name_en']}", share, factor, derivation, source)
    fuel_codes = sorted(set(fuels[fuels["factor_set"].isin(sets)]["fuel_code"]))
    raise SavingsError(
        f"燃料 {code!r} 不在因子集 {', '.join(sets)} 中；可用燃料：{', '.join(fuel_codes)}",
        f"fuel {code!r} is not in the fuel set(s) {', '.join(sets)}; known fuels: {', '.join(fuel_codes)}",
    )


def _parse_mix(body: str) -> list[tuple[str, str | None, Decimal]]:
    items: list[tuple[str, str | None, Decimal]] = []
    for piece in [p.strip() for p in body.split(",") if p.strip()]:
        m = re.fullmatch(r"([A-Za-z_]+)(?:@([A-Za-z0-9_.-]+))?=(.+)", piece)
        if not m:
            raise SavingsError(
                f"无法识别混合项 {piece!r}；请写成 代码=份额，如 ANTHRACITE=0.5",
                f"mix part {piece!r} not understood; write CODE=SHARE, e.g. ANTHRACITE=0.5",
            )
        share = _decimal(m.group(3), (f"{m.group(1)} 的份额", f"the share of {m.group(1)}"))
        if share <= 0 or share > 1:
            raise SavingsError(
                f"{m.group(1)} 的份额须大于 0 且不超过 1，而不是 {m.group(3)}",
                f"the share of {m.group(1)} must be above 0 and at most 1, not {m.group(3)}",
            )
        items.append((m.group(1), m.group(2), share))
    if not items:
        raise SavingsError(
            "混合中至少写一种燃料，如 mix:ANTHRACITE=0.5,BITUMINOUS=0.5",
            "name at least one fuel in the mix, e.g. mix:ANTHRACITE=0.5,BITUMINOUS=0.5",
        )
    total = sum((s for _, _, s in items), Decimal(0))
    if total != 1:
        raise SavingsError(f"混合份额合计为 {total}，应为 1", f"the shares of the mix add up to {total}, not 1")
    return items


def convert(
    quantity: object,
    unit: str = "tce",
    basis: str = "equivalent",
    method: str = DEFAULT_METHOD,
    equal_value_kgce_per_kwh: object | None = None,
    region: str | None = None,
    year: int | None = None,
) -> Savings:
    """Convert an energy saving to the CO2 it avoids; raises SavingsError for anything the caller got wrong.

    ``region`` and ``year`` are what a grid method uses when its spec names none (the platform passes the
    enterprise's region and the measure's first year): the factor is then the latest published up to that year."""
    amount = _decimal(quantity, ("节能量", "the quantity saved"))
    if amount < 0:
        raise SavingsError(f"节能量不能为负（{quantity}）", f"the quantity saved cannot be negative ({quantity})")
    unit = parse_unit(unit)
    basis = str(basis or "").strip().lower()
    if basis not in TCE_BASES:
        raise SavingsError(
            f"折标口径须为 equivalent（当量值）或 equal（等价值），而不是 {basis!r}",
            f"basis must be 'equivalent' (当量值) or 'equal' (等价值), not {basis!r}",
        )
    tce = amount * UNITS[unit]
    name = str(method or DEFAULT_METHOD).strip()
    spec = PRESETS.get(name, name)
    notes: list[str] = []
    parts: list[Part]
    if spec.startswith("fuel:"):
        m = re.fullmatch(r"fuel:([A-Za-z_]+)(?:@([A-Za-z0-9_.-]+))?", spec)
        if not m:
            raise SavingsError(
                f"无法识别方法 {name!r}；请写成 fuel:代码 或 fuel:代码@因子集",
                f"method {name!r} not understood; write fuel:CODE or fuel:CODE@SET",
            )
        parts = [_fuel_part(m.group(1), m.group(2), Decimal(1))]
    elif spec.startswith("mix:"):
        parts = [_fuel_part(code, fset, share) for code, fset, share in _parse_mix(spec[4:])]
    elif spec == "grid" or spec.startswith("grid:") or spec.startswith("grid@") or spec.startswith("grid/"):
        parts = [_grid_part(spec, basis, equal_value_kgce_per_kwh, region, year)]
    else:
        raise SavingsError(f"未知方法 {name!r}；可用：{METHOD_HELP}", f"unknown method {name!r}; use {METHOD_HELP}")
    if not spec.startswith("grid"):
        notes.append(
            "a fossil fuel's tce is the same on the equivalent and equal-value bases; the basis changes only "
            "electricity and heat / 化石燃料的标准煤量在当量值与等价值下相同"
        )
    if name in PRESETS:
        notes.append(
            f"{name} = {spec}: a platform convention (no official tCO2/tce constant exists; reference/SOURCES.md)"
        )
    factor = sum((p.share * p.factor for p in parts), Decimal(0))
    return Savings(amount, unit, tce, basis, name, factor, tce * factor, parts, notes)


def _grid_part(
    spec: str, basis: str, equal_value: object | None, default_region: str | None = None, at_year: int | None = None
) -> Part:
    m = re.fullmatch(r"grid(?::([a-z:]+))?(?:@(\d{4}))?(?:/(\w+))?", spec)
    if not m:
        raise SavingsError(
            f"无法识别方法 {spec!r}；请写成 grid[:口径][@年份][/地区代码]，如 grid:mee:auto@2022",
            f"method {spec!r} not understood; write grid[:SPEC][@YEAR][/REGION], e.g. grid:mee:auto@2022",
        )
    grid_spec = m.group(1) or "mee:national"
    year = int(m.group(2)) if m.group(2) else None
    region = m.group(3) or default_region or ""
    try:
        selector = GridSelector(grid_spec if year is None else f"{grid_spec}@{year}")
        latest = max(row[0] for series in selector.rows.values() for row in series)
        choice = selector.choose(year or at_year or latest, region or None)
    except SelectionError as exc:
        raise SavingsError(str(exc), str(exc)) from None
    except KeyError:
        raise SavingsError(
            f"地区 {region!r} 不是已知的 GB/T 2260 代码", f"region {region!r} is not a GB/T 2260 code the library knows"
        ) from None
    except LookupError:
        raise SavingsError(
            f"没有 {grid_spec} {year or ''} {region} 的电网排放因子".strip(),
            f"no grid factor for {grid_spec} {year or ''} {region}".strip(),
        ) from None
    if basis == "equal":
        if equal_value is None:
            raise SavingsError(
                "等价值口径需要当年的供电煤耗（kgce/kWh，--kgce-per-kwh）",
                "the equal-value (等价值) basis needs the year's power-supply coal rate in kgce/kWh (--kgce-per-kwh)",
            )
        kgce_per_kwh = _decimal(equal_value, ("供电煤耗", "the power-supply coal rate"))
        if not Decimal("0.2") <= kgce_per_kwh <= Decimal("0.5"):
            raise SavingsError(
                f"供电煤耗 {kgce_per_kwh} kgce/kWh 不合理（应在 0.2–0.5 之间）",
                f"a power-supply coal rate of {kgce_per_kwh} kgce/kWh is implausible (0.2–0.5)",
            )
        basis_ref = f"等价值 {kgce_per_kwh} kgce/kWh (caller)"
    else:
        kgce_per_kwh = EQUIVALENT_KGCE_PER_KWH
        basis_ref = "当量值 0.1229 kgce/kWh (GB/T 2589 附录A)"
    value = Decimal(str(choice.value))
    factor = Decimal(1000) / kgce_per_kwh * value / Decimal(1000)  # kWh per tce × tCO2/MWh ÷ 1000
    derivation = (
        f"1 tce = 1000 ÷ {kgce_per_kwh} = {(Decimal(1000) / kgce_per_kwh).quantize(Decimal('0.1'))} kWh "
        f"({basis_ref}) × {value} tCO2/MWh = {factor.quantize(Decimal('0.0001'))} tCO2/tce"
    )
    return Part("ELECTRICITY", "电力 electricity", Decimal(1), factor, derivation, choice.ref)

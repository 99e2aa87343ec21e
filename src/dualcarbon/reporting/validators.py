"""Validators as plugins: each rule has a code, a severity and a bilingual message.

``error`` blocks submission; ``warning`` is shown and kept with the submission. A validator gets a
:class:`Context` (the draft's records and the enterprise's previous months) and yields
:class:`Finding` objects located by sheet, row and column. Register with ``@validator(...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dualcarbon.engine.factors import Options, cached_catalog
from dualcarbon.engine.messages import Problem

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    message_zh: str
    message_en: str
    sheet: str = ""
    row: int | None = None
    column: str = ""


@dataclass
class Context:
    """What validators see: this month's draft records and recent history of the same enterprise."""

    year: int
    month: int
    activities: list[dict[str, Any]]
    production: list[dict[str, Any]]
    economic: dict[str, Any] | None
    #: previous current submissions' totals per month label "YYYY-MM": {"energy_tce": …, "electricity_mwh": …}
    history: dict[str, dict[str, float]] = field(default_factory=dict)
    #: months of the same year before this one that have no submission at all
    missing_months: list[str] = field(default_factory=list)
    options: Options = field(default_factory=Options)
    engine_problems: list[Problem] = field(default_factory=list)
    #: kinds of evidence attached to this version ("lab", "meter", "invoice", "other")
    evidence_kinds: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"


Rule = Callable[[Context], Iterator[Finding]]
REGISTRY: dict[str, tuple[str, Rule]] = {}


def validator(code: str, severity: str) -> Callable[[Rule], Rule]:
    def deco(fn: Rule) -> Rule:
        REGISTRY[code] = (severity, fn)
        return fn

    return deco


def run_all(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    for _code, (_severity, fn) in REGISTRY.items():
        findings.extend(fn(ctx))
    return findings


def _loc(rec: dict[str, Any]) -> dict[str, Any]:
    return {"sheet": rec.get("source_sheet") or "", "row": rec.get("source_row")}


# ------------------------------------------------------------------------------------------------
# errors


@validator("engine", ERROR)
def engine_rules(ctx: Context) -> Iterator[Finding]:
    """Everything the calculation engine refuses: units, items, numbers, parameters (messages from the engine)."""
    for p in ctx.engine_problems:
        yield Finding(f"engine.{p.rule}", ERROR, p.message("zh"), p.message("en"), p.sheet or "", p.row, p.column or "")


@validator("no_activity", ERROR)
def no_activity(ctx: Context) -> Iterator[Finding]:
    if not ctx.activities:
        yield Finding(
            "no_activity",
            ERROR,
            "本月没有任何活动数据（如确无生产，请填报 0 并说明）",
            "no activity data this month (report zero with a note if the plant was idle)",
        )


@validator("value_added_required", ERROR)
def value_added_required(ctx: Context) -> Iterator[Finding]:
    if not ctx.economic or ctx.economic.get("value_added") is None:
        yield Finding(
            "value_added_required",
            ERROR,
            "缺少工业增加值（收入法，万元）",
            "value added (income approach, 10^4 yuan) is missing",
            sheet="经济数据",
            column="value_added",
        )
    elif Decimal(str(ctx.economic["value_added"])) < 0:
        yield Finding(
            "value_added_negative",
            ERROR,
            "工业增加值不能为负",
            "value added must not be negative",
            sheet="经济数据",
            column="value_added",
        )


@validator("production_negative", ERROR)
def production_negative(ctx: Context) -> Iterator[Finding]:
    for rec in ctx.production:
        if rec.get("quantity") is not None and Decimal(str(rec["quantity"])) < 0:
            yield Finding(
                "production_negative",
                ERROR,
                f"产品“{rec.get('product')}”产量为负",
                f"production of {rec.get('product')} is negative",
                column="quantity",
                **_loc(rec),
            )


# ------------------------------------------------------------------------------------------------
# warnings

#: plausible band around the factor-set default for a measured parameter (relative)
PARAM_BAND = {"ncv": 0.35, "carbon_content": 0.25}


@validator("measured_parameter_bounds", WARNING)
def measured_parameter_bounds(ctx: Context) -> Iterator[Finding]:
    catalog = cached_catalog(ctx.options)
    for rec in ctx.activities:
        item = catalog.lookup("fuel_combustion", rec.get("item"))
        if item is None:
            continue
        for name, default in (("ncv", item.ncv), ("carbon_content", item.cc)):
            value = rec.get(name)
            if (
                value is None
                or default is None
                or (
                    name == "ncv"
                    and rec.get("ncv_unit")
                    not in (f"GJ/{item.activity_unit}", "GJ/t" if item.activity_unit == "t" else "GJ/万Nm3")
                )
            ):
                continue
            v, band = float(value), PARAM_BAND[name]
            if abs(v - default) > band * default:
                yield Finding(
                    "measured_parameter_bounds",
                    WARNING,
                    f"{item.name_zh} 的实测{'低位发热量' if name == 'ncv' else '单位热值含碳量'} {v:g} "
                    f"与缺省值 {default:g} "
                    f"相差超过 {band:.0%}，请核对并上传化验报告",
                    f"measured {name} {v:g} for {item.code} differs from the default {default:g} by more than "
                    f"{band:.0%}; check it and attach the lab report",
                    column=name,
                    **_loc(rec),
                )
        of = rec.get("oxidation_rate")
        if of is not None and not (0.8 <= float(of) <= 1.0 if float(of) <= 1 else 80 <= float(of) <= 100):
            yield Finding(
                "measured_parameter_bounds",
                WARNING,
                f"碳氧化率 {of} 低于常见范围（0.8–1.0）",
                f"oxidation rate {of} is below the usual range (0.8–1.0)",
                column="oxidation_rate",
                **_loc(rec),
            )


@validator("missing_months", WARNING)
def missing_months(ctx: Context) -> Iterator[Finding]:
    if ctx.missing_months:
        months = "、".join(ctx.missing_months)
        yield Finding(
            "missing_months",
            WARNING,
            f"本年度以下月份尚未报送：{months}",
            f"these months of the year have not been reported: {', '.join(ctx.missing_months)}",
        )


JUMP_RATIO = 0.5


def _month_totals(ctx: Context) -> dict[str, float]:
    from dualcarbon.engine import units

    out = {"electricity_mwh": 0.0, "fuel_t": 0.0}
    for rec in ctx.activities:
        try:
            if rec.get("source_type") in ("purchased_electricity", "购入电力"):
                out["electricity_mwh"] += float(rec["quantity"]) * units.factor(str(rec["unit"]), "MWh")
            elif rec.get("source_type") in ("fuel_combustion", "化石燃料燃烧"):
                out["fuel_t"] += float(rec["quantity"]) * units.factor(str(rec["unit"]), "t")
        except Exception:
            continue
    return out


def _previous_label(year: int, month: int) -> str:
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"


@validator("month_on_month_jump", WARNING)
def month_on_month_jump(ctx: Context) -> Iterator[Finding]:
    prev = ctx.history.get(_previous_label(ctx.year, ctx.month))
    if not prev:
        return
    now = _month_totals(ctx)
    for key, zh, en in (("electricity_mwh", "购入电量", "purchased electricity"), ("fuel_t", "燃料消耗量", "fuel use")):
        before, after = prev.get(key, 0.0), now[key]
        if before > 0 and abs(after - before) / before > JUMP_RATIO:
            yield Finding(
                "month_on_month_jump",
                WARNING,
                f"{zh}环比变化 {((after - before) / before):+.0%}（上月 {before:,.2f}，本月 {after:,.2f}），请核实",
                f"{en} changed {((after - before) / before):+.0%} month on month "
                f"({before:,.2f} → {after:,.2f}); please check",
            )


#: MWh per 万元 of value added above which electricity looks implausible for one month
ELECTRICITY_PER_VA_MAX = 50.0


@validator("electricity_vs_value_added", WARNING)
def electricity_vs_value_added(ctx: Context) -> Iterator[Finding]:
    if not ctx.economic or not ctx.economic.get("value_added"):
        return
    va = float(ctx.economic["value_added"])
    mwh = _month_totals(ctx)["electricity_mwh"]
    if va > 0 and mwh / va > ELECTRICITY_PER_VA_MAX:
        yield Finding(
            "electricity_vs_value_added",
            WARNING,
            f"每万元增加值耗电 {mwh / va:,.1f} MWh，明显偏高，请核对电量单位（千瓦时/万千瓦时）或增加值",
            f"{mwh / va:,.1f} MWh per 10^4 yuan of value added is implausibly high: "
            "check the electricity unit or the value added",
            sheet="经济数据",
            column="value_added",
        )


@validator("measured_without_lab_report", WARNING)
def measured_without_lab_report(ctx: Context) -> Iterator[Finding]:
    """GB/T 32150: measured NCV / carbon content / oxidation rate must be backed by test reports."""
    if "lab" in ctx.evidence_kinds:
        return
    for rec in ctx.activities:
        measured = [f for f in ("ncv", "carbon_content", "oxidation_rate") if rec.get(f) is not None]
        if measured and (rec.get("param_basis") or "measured") not in ("declared", "声明", "企业声明"):
            yield Finding(
                "measured_without_lab_report",
                WARNING,
                f"“{rec.get('item')}” 使用了实测参数（{', '.join(measured)}），请上传化验/检测报告作为证明材料",
                f"“{rec.get('item')}” uses measured parameters ({', '.join(measured)}); "
                "attach the lab report as evidence",
                column=measured[0],
                **_loc(rec),
            )

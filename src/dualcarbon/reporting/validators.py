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
    #: kinds of evidence attached to this version ("lab", "meter", "invoice", "certificate", "other")
    evidence_kinds: set[str] = field(default_factory=set)
    #: own zero-carbon generation and offsets / green attributes declared in this version
    generation: list[dict[str, Any]] = field(default_factory=list)
    offsets: list[dict[str, Any]] = field(default_factory=list)
    #: (kind, normalised reference) → where it is already declared ("2024-03" of this enterprise, or
    #: "another enterprise"), from the current versions of every other period
    claimed_elsewhere: dict[tuple[str, str], str] = field(default_factory=dict)
    #: the month's current metered total (:func:`dualcarbon.reporting.meter_data.context_for`): import_kwh,
    #: load_id, file_name, file_sha256 and the region's tolerance ``threshold``; None when none was loaded
    metered: dict[str, Any] | None = None
    #: the month's pollutant discharge lines (factor, quantity in tonnes)
    discharge: list[dict[str, Any]] = field(default_factory=list)
    #: the reporting enterprise (validators registered by the apps above may need it: the claim register)
    enterprise_id: int | None = None

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


# ------------------------------------------------------------------------------------------------
# own zero-carbon generation and offsets / green attributes (碳中和率 inputs)

GENERATION_SHEET = "自有零碳发电"
OFFSET_SHEET = "碳抵消与绿证"
TECHNOLOGIES = {"pv": "光伏", "wind": "风电", "hydro": "水电", "biomass": "生物质发电", "other": "其他零碳电力"}
GENERATION_USES = {"self_consumed": "自发自用", "fed_in": "上网"}
OFFSET_KINDS = {"ccer": "CCER", "gec": "绿证", "green_trade": "绿电交易", "forestry": "林业碳汇"}
OFFSET_ORIGINS = {"purchased": "外购/受让", "own_project": "本企业自有项目", "green_trade": "随绿电交易划转"}
OFFSET_STATUSES = {"retired": "已注销/核销", "held": "持有未注销"}
#: which origins each kind may have (a GEC can come with a green-power trade; CCER and GEC can be issued
#: to the enterprise's own project; forestry sinks can be its own forest)
ALLOWED_ORIGINS = {
    "ccer": ("purchased", "own_project"),
    "gec": ("purchased", "own_project", "green_trade"),
    "green_trade": ("purchased",),
    "forestry": ("purchased", "own_project"),
}
MWH_KINDS = ("gec", "green_trade")


def normalise_reference(text: object) -> str:
    """A reference as compared for double claims: no spaces, upper case, full-width dashes folded."""
    return "".join(str(text or "").split()).upper().replace("－", "-").replace("—", "-")


def _unit_ok(unit: object, target: str) -> bool:
    from dualcarbon.engine import units

    try:
        units.factor(str(unit or ""), target)
    except Exception:
        return False
    return True


def _row_loc(rec: dict[str, Any], sheet: str) -> tuple[str, int | None]:
    return rec.get("source_sheet") or sheet, rec.get("source_row") or rec.get("line_no")


def _where(sheet: str, row: int | None) -> tuple[str, str]:
    return (f"{sheet} 第 {row} 行：", f"{sheet} row {row}: ") if row else (f"{sheet}：", f"{sheet}: ")


@validator("own_generation", ERROR)
def own_generation_rules(ctx: Context) -> Iterator[Finding]:
    """Each generation line: a known technology and use, an electricity unit, transfers within the quantity."""
    for rec in ctx.generation:
        sheet, row = _row_loc(rec, GENERATION_SHEET)
        zh, en = _where(sheet, row)
        loc: dict[str, Any] = {"sheet": sheet, "row": row}
        if rec.get("technology") not in TECHNOLOGIES:
            yield Finding(
                "generation.technology",
                ERROR,
                f"{zh}发电类型“{rec.get('technology') or ''}”无效（光伏、风电、水电、生物质发电、其他零碳电力）",
                f"{en}unknown technology “{rec.get('technology') or ''}” (pv, wind, hydro, biomass, other)",
                column="technology",
                **loc,
            )
        if rec.get("use") not in GENERATION_USES:
            yield Finding(
                "generation.use",
                ERROR,
                f"{zh}去向“{rec.get('use') or ''}”无效（自发自用 或 上网）",
                f"{en}unknown use “{rec.get('use') or ''}” (self_consumed or fed_in)",
                column="use",
                **loc,
            )
        if not _unit_ok(rec.get("unit"), "MWh"):
            yield Finding(
                "generation.unit",
                ERROR,
                f"{zh}发电量单位“{rec.get('unit') or ''}”不是电量单位（kWh、MWh、万kWh）",
                f"{en}“{rec.get('unit') or ''}” is not an electricity unit (kWh, MWh, 万kWh)",
                column="unit",
                **loc,
            )
        quantity, transferred = rec.get("quantity"), rec.get("certificates_transferred")
        if transferred is not None and quantity is not None and Decimal(str(transferred)) > Decimal(str(quantity)):
            yield Finding(
                "generation.transferred_exceeds",
                ERROR,
                f"{zh}绿证已转让电量 {transferred} 大于发电量 {quantity}",
                f"{en}electricity with transferred certificates ({transferred}) exceeds the generation ({quantity})",
                column="certificates_transferred",
                **loc,
            )


@validator("offsets", ERROR)
def offset_rules(ctx: Context) -> Iterator[Finding]:
    """Each offset line: known kind/origin/status, the right unit, a reference, and never claimed twice."""
    seen: dict[tuple[str, str], int | None] = {}
    for rec in ctx.offsets:
        sheet, row = _row_loc(rec, OFFSET_SHEET)
        zh, en = _where(sheet, row)
        loc: dict[str, Any] = {"sheet": sheet, "row": row}
        kind = rec.get("kind")
        if kind not in OFFSET_KINDS:
            yield Finding(
                "offset.kind",
                ERROR,
                f"{zh}类型“{kind or ''}”无效（CCER、绿证、绿电交易、林业碳汇）",
                f"{en}unknown kind “{kind or ''}” (ccer, gec, green_trade, forestry)",
                column="kind",
                **loc,
            )
            continue
        label = OFFSET_KINDS[kind]
        target, unit_zh, unit_en = (
            ("MWh", "电量单位（MWh、kWh、万kWh；1 张绿证 = 1 MWh）", "an electricity unit (MWh; 1 certificate = 1 MWh)")
            if kind in MWH_KINDS
            else ("tCO2e", "tCO2e", "tCO2e")
        )
        if not _unit_ok(rec.get("unit"), target):
            yield Finding(
                "offset.unit",
                ERROR,
                f"{zh}{label}的单位“{rec.get('unit') or ''}”无效，应为{unit_zh}",
                f"{en}the unit “{rec.get('unit') or ''}” of {kind} must be {unit_en}",
                column="unit",
                **loc,
            )
        origin = rec.get("origin") or "purchased"
        if origin not in ALLOWED_ORIGINS[kind]:
            allowed = "、".join(OFFSET_ORIGINS[o] for o in ALLOWED_ORIGINS[kind])
            yield Finding(
                "offset.origin",
                ERROR,
                f"{zh}{label}的来源“{OFFSET_ORIGINS.get(origin, origin)}”无效（可选：{allowed}）",
                f"{en}origin “{origin}” is not possible for {kind} (allowed: {', '.join(ALLOWED_ORIGINS[kind])})",
                column="origin",
                **loc,
            )
        if (rec.get("status") or "retired") not in OFFSET_STATUSES:
            yield Finding(
                "offset.status",
                ERROR,
                f"{zh}状态“{rec.get('status')}”无效（已注销/核销 或 持有未注销）",
                f"{en}unknown status “{rec.get('status')}” (retired or held)",
                column="status",
                **loc,
            )
        ref = normalise_reference(rec.get("reference"))
        if not ref:
            yield Finding(
                "offset.reference_required",
                ERROR,
                f"{zh}{label}须填写项目/序列号/合同编号，以便核对且避免重复申报",
                f"{en}{kind} needs its project, serial or contract number (checked against double claims)",
                column="reference",
                **loc,
            )
            continue
        key = (kind, ref)
        if key in seen:
            yield Finding(
                "offset.duplicate",
                ERROR,
                f"{zh}{label} {rec.get('reference')} 在本月重复填报（另见第 {seen[key]} 行）",
                f"{en}{kind} {rec.get('reference')} is declared twice this month (see also row {seen[key]})",
                column="reference",
                **loc,
            )
        seen.setdefault(key, row)
        where = ctx.claimed_elsewhere.get(key)
        if where:
            other_zh, other_en = (
                ("其他企业", "another enterprise") if where == "other_enterprise" else (f"本企业 {where}", where)
            )
            yield Finding(
                "offset.claimed_elsewhere",
                ERROR,
                f"{zh}{label} {rec.get('reference')} 已由{other_zh}申报，同一凭证不能重复计入",
                f"{en}{kind} {rec.get('reference')} is already declared by {other_en}: "
                "the same certificate cannot be counted twice",
                column="reference",
                **loc,
            )


@validator("green_evidence", WARNING)
def green_evidence(ctx: Context) -> Iterator[Finding]:
    """Declarations need their proof: meter readings for generation, certificates or contracts for offsets."""
    if ctx.generation and not ({"meter", "invoice"} & ctx.evidence_kinds):
        yield Finding(
            "generation.evidence",
            WARNING,
            "填报了自有零碳发电量，请上传发电计量记录或电费结算单作为证明材料",
            "own generation is declared: attach the meter readings or the electricity bill as evidence",
            sheet=GENERATION_SHEET,
        )
    if ctx.offsets and "certificate" not in ctx.evidence_kinds:
        yield Finding(
            "offset.evidence",
            WARNING,
            "填报了碳抵消或绿证/绿电，请上传注销证明、绿证或交易凭证作为证明材料",
            "offsets or green electricity are declared: attach the retirement statement, certificates or "
            "trade documents as evidence",
            sheet=OFFSET_SHEET,
        )


@validator("offset_held", WARNING)
def offset_held(ctx: Context) -> Iterator[Finding]:
    for rec in ctx.offsets:
        if rec.get("status") == "held" and rec.get("kind") != "green_trade":
            sheet, row = _row_loc(rec, OFFSET_SHEET)
            zh, en = _where(sheet, row)
            yield Finding(
                "offset.held",
                WARNING,
                f"{zh}{OFFSET_KINDS.get(str(rec.get('kind')), rec.get('kind'))} {rec.get('reference') or ''} "
                "尚未注销：按评级方案的缺省规则，注销前不计入碳中和率",
                f"{en}{rec.get('kind')} {rec.get('reference') or ''} is held, not retired: under the rating "
                "scheme's default rule it does not count in the carbon-neutrality rate until it is retired",
                sheet=sheet,
                row=row,
                column="status",
            )


# ------------------------------------------------------------------------------------------------
# meter data (电碳监测): reported purchased electricity against the metered total

METER_RULE = "meter_mismatch"
#: the default tolerance (a region sets its own: reporting.MeterSetting): a difference of more than this share of the
#: metered kWh is flagged
METER_MISMATCH_SHARE = Decimal("0.10")
PURCHASED = ("purchased_electricity", "购入电力")


def reported_purchased_kwh(activities: list[dict[str, Any]]) -> Decimal:
    """The purchased electricity of a month's activity lines in kWh (lines in another unit of energy converted;
    a line whose unit is not one of electricity is left out: the engine's checks report it)."""
    from dualcarbon.engine import units

    total = Decimal(0)
    for rec in activities:
        if rec.get("source_type") not in PURCHASED or rec.get("quantity") is None:
            continue
        try:
            factor = units.factor(str(rec.get("unit") or ""), "kWh")
        except Exception:
            continue
        total += Decimal(str(rec["quantity"])) * Decimal(repr(factor))
    return total


@dataclass(frozen=True)
class MeterComparison:
    reported_kwh: Decimal
    metered_kwh: Decimal
    #: |reported − metered| / metered (None when nothing was metered)
    share: Decimal | None
    threshold: Decimal

    @property
    def exceeds(self) -> bool:
        """More than the tolerance (a difference of exactly the tolerance is not flagged)."""
        if self.share is None:
            return self.reported_kwh != 0
        return self.share > self.threshold


def compare_meter(reported_kwh: Decimal, metered_kwh: Decimal, threshold: Decimal) -> MeterComparison:
    share = None if metered_kwh == 0 else abs(reported_kwh - metered_kwh) / abs(metered_kwh)
    return MeterComparison(reported_kwh, metered_kwh, share, threshold)


def meter_finding(reported_kwh: Decimal, metered: dict[str, Any], label: str) -> Finding | None:
    """The ``meter_mismatch`` finding of a month, or None when the reported kWh is within the tolerance."""
    cmp = compare_meter(reported_kwh, Decimal(metered["import_kwh"]), Decimal(metered["threshold"]))
    if not cmp.exceeds:
        return None
    share_zh = "计量电量为零" if cmp.share is None else f"相差 {cmp.share:.1%}"
    share_en = "nothing was metered" if cmp.share is None else f"a difference of {cmp.share:.1%}"
    return Finding(
        METER_RULE,
        WARNING,
        f"{label} 报送的购入电力 {cmp.reported_kwh:,.0f} kWh 与电表计量的 {cmp.metered_kwh:,.0f} kWh"
        f"（{metered.get('file_name', '')}）{share_zh}，超过允许偏差 {cmp.threshold:.0%}，请核实",
        f"Purchased electricity reported for {label}, {cmp.reported_kwh:,.0f} kWh, differs from the metered "
        f"{cmp.metered_kwh:,.0f} kWh ({metered.get('file_name', '')}): {share_en}, more than the tolerance of "
        f"{cmp.threshold:.0%}; please check",
        column="quantity",
    )


@validator(METER_RULE, WARNING)
def meter_mismatch(ctx: Context) -> Iterator[Finding]:
    if ctx.metered is None:
        return
    finding = meter_finding(reported_purchased_kwh(ctx.activities), ctx.metered, ctx.label)
    if finding is not None:
        yield finding


# pollutant discharge (污染物排放量: compared with the discharge rights held, docs/assets.md § Compliance)

DISCHARGE_SHEET = "污染物排放"
#: the six managed factors: code → (Chinese, English); the codes are the assets app's factor codes
POLLUTANTS: dict[str, tuple[str, str]] = {
    "COD": ("化学需氧量", "chemical oxygen demand (COD)"),
    "NH3N": ("氨氮", "ammonia nitrogen (NH3-N)"),
    "SO2": ("二氧化硫", "sulphur dioxide (SO2)"),
    "NOX": ("氮氧化物", "nitrogen oxides (NOx)"),
    "PM": ("颗粒物", "particulate matter"),
    "VOCS": ("挥发性有机物", "volatile organic compounds (VOCs)"),
}


def pollutant_code(value: object) -> str | None:
    """A factor as typed (its code in any case, NH3-N, or its Chinese name) → its code; None when unknown."""
    text = "".join(str(value or "").split())
    folded = text.upper().replace("-", "").replace("_", "")
    if folded in POLLUTANTS:
        return folded
    by_name = {zh: code for code, (zh, _en) in POLLUTANTS.items()}
    return by_name.get(text)


@validator("discharge", ERROR)
def discharge_rules(ctx: Context) -> Iterator[Finding]:
    """Each discharge line: a known factor, once a month (numbers and signs are checked before saving)."""
    seen: dict[str, int | None] = {}
    for rec in ctx.discharge:
        sheet, row = _row_loc(rec, DISCHARGE_SHEET)
        zh, en = _where(sheet, row)
        code = pollutant_code(rec.get("factor"))
        if code is None:
            yield Finding(
                "discharge.factor",
                ERROR,
                f"{zh}污染因子“{rec.get('factor') or ''}”无效（COD、NH3N、SO2、NOX、PM、VOCS）",
                f"{en}unknown pollutant factor “{rec.get('factor') or ''}” (COD, NH3N, SO2, NOX, PM, VOCS)",
                sheet=sheet,
                row=row,
                column="factor",
            )
            continue
        if code in seen:
            yield Finding(
                "discharge.duplicate",
                ERROR,
                f"{zh}{POLLUTANTS[code][0]}在本月重复填报（另见第 {seen[code]} 行）",
                f"{en}{POLLUTANTS[code][1]} is reported twice this month (see also row {seen[code]})",
                sheet=sheet,
                row=row,
                column="factor",
            )
        seen.setdefault(code, row)

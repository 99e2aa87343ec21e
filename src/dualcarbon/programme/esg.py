"""A group's ESG disclosure (docs/programme.md § ESG) for the year of one of its inventories.

* **Environmental** indicators are computed from the accounts, through the inventory (the same boundary, approach
  and monthly shares): emissions by scope (scope 2 location- and market-based), intensity per value added, energy,
  the renewable share of electricity, the base year and the target's progress. Each carries its lineage — how it
  was made, from which figures — in both languages. Nothing of them is stored.
* **Governance** and **social** indicators (and the reduction target) are entered by the group itself
  (:class:`~.models.EsgEntry`), checked per indicator: a bad value is refused with the indicator named, nothing
  written.
* The **template** (:func:`rows`, :func:`xlsx`, :func:`as_json`) is one row per indicator with the documented
  columns ``code, pillar, name_zh, name_en, unit, value, source, lineage_zh, lineage_en``.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from . import inventory, scoping
from .models import EsgEntry, GroupInventory
from .services import _user_or_none

TEMPLATE = "dualcarbon-esg"
TEMPLATE_VERSION = "1"
COLUMNS = ("code", "pillar", "name_zh", "name_en", "unit", "value", "source", "lineage_zh", "lineage_en")


@dataclasses.dataclass(frozen=True)
class Field:
    code: str
    pillar: str  # E | S | G
    name_zh: str
    name_en: str
    unit: str
    kind: str  # int | pct | decimal | yesno | text | year


#: what the group enters itself (governance, social, and its reduction target)
ENTERED: tuple[Field, ...] = (
    Field("e_target_year", "E", "减排目标年", "Reduction target year", "年", "year"),
    Field("e_target_reduction_pct", "E", "目标年较基准年减排比例", "Target reduction vs the base year", "%", "pct"),
    Field("g_board_size", "G", "董事会人数", "Board members", "人", "int"),
    Field("g_board_independent_pct", "G", "独立董事占比", "Independent directors", "%", "pct"),
    Field("g_board_female_pct", "G", "女性董事占比", "Women on the board", "%", "pct"),
    Field("g_climate_oversight", "G", "董事会层面监督气候议题", "Board oversight of climate issues", "是/否", "yesno"),
    Field("g_corruption_cases", "G", "经确认的腐败事件", "Confirmed corruption incidents", "件", "int"),
    Field("g_esg_policy", "G", "ESG 或可持续发展政策（名称或链接）", "ESG policy (title or link)", "", "text"),
    Field("s_employees", "S", "员工总数", "Employees", "人", "int"),
    Field("s_female_pct", "S", "女性员工占比", "Women employees", "%", "pct"),
    Field("s_fatalities", "S", "因工死亡人数", "Work-related fatalities", "人", "int"),
    Field("s_ltifr", "S", "损失工时事故率", "Lost-time injury frequency rate", "起/百万工时", "decimal"),
    Field("s_training_hours", "S", "人均培训时长", "Training hours per employee", "小时", "decimal"),
    Field("s_community_yuan", "S", "公益投入", "Community investment", "元", "decimal"),
)
BY_CODE = {f.code: f for f in ENTERED}
YES = {"是": "yes", "yes": "yes", "y": "yes", "true": "yes", "1": "yes"}
NO = {"否": "no", "no": "no", "n": "no", "false": "no", "0": "no"}


def _clean(f: Field, raw: str) -> str:
    """The value as stored, or a ValidationError in the user's language naming what is wrong."""
    text = raw.strip()
    if f.kind == "text":
        if len(text) > 500:
            raise ValidationError(_("最多 %(n)d 个字符"), params={"n": 500})
        return text
    if f.kind == "yesno":
        word = YES.get(text.lower()) or NO.get(text.lower())
        if word is None:
            raise ValidationError(_("“%(value)s”应为“是”或“否”"), params={"value": text})
        return word
    try:
        number = Decimal(text.replace(",", ""))
        if not number.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        raise ValidationError(_("“%(value)s”不是数字"), params={"value": text}) from None
    if number < 0:
        raise ValidationError(_("“%(value)s”不能为负数"), params={"value": text})
    if f.kind in ("int", "year") and number != number.to_integral():
        raise ValidationError(_("“%(value)s”应为整数"), params={"value": text})
    if f.kind == "pct" and number > 100:
        raise ValidationError(_("“%(value)s”是百分比，应在 0 到 100 之间"), params={"value": text})
    if f.kind == "year" and not 2000 <= number <= 2100:
        raise ValidationError(_("“%(value)s”不是 2000 至 2100 之间的年份"), params={"value": text})
    return f"{number.normalize():f}" if f.kind != "decimal" else str(number)


def save_entries(user: Any, inv: GroupInventory, data: dict[str, Any]) -> list[EsgEntry]:
    """Store the entered indicators given in ``data`` (code → value; an empty value clears it). Every problem is
    reported on its indicator's code (an unknown code too); then nothing is written. The group's own staff and the
    admin."""
    if not scoping.can_keep_inventory(user, inv.group):
        raise PermissionDenied(_("只有集团本身的人员可以填报其 ESG 指标"))
    errors: dict[str, list[ValidationError]] = {}
    values: dict[str, str] = {}
    for code, raw in data.items():
        f = BY_CODE.get(code)
        if f is None:
            errors.setdefault(code, []).append(ValidationError(_("没有代码为“%(code)s”的指标"), params={"code": code}))
            continue
        if raw is None or str(raw).strip() == "":
            values[code] = ""
            continue
        try:
            values[code] = _clean(f, str(raw))
        except ValidationError as exc:
            errors.setdefault(code, []).append(exc)
    target_year = values.get("e_target_year")
    if target_year and int(target_year) <= inv.year:
        errors.setdefault("e_target_year", []).append(
            ValidationError(_("目标年须晚于盘查年度 %(year)d"), params={"year": inv.year})
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for code, value in values.items():
            if value == "":
                EsgEntry.objects.filter(inventory=inv, code=code).delete()
            else:
                EsgEntry.objects.update_or_create(
                    inventory=inv,
                    code=code,
                    defaults={"value": value, "entered_by": _user_or_none(user), "entered_at": _now()},
                )
    return list(inv.esg_entries.all())


def _now() -> datetime.datetime:
    from django.utils import timezone

    return timezone.now()


# --------------------------------------------------------------------------------------------- the indicators


def _q(value: Decimal, places: str = "0.01") -> Decimal:
    return value.quantize(Decimal(places), ROUND_HALF_UP)


def _row(
    code: str, pillar: str, zh: str, en: str, unit: str, value: Any, source: str, lin_zh: str, lin_en: str
) -> dict[str, Any]:
    return {
        "code": code,
        "pillar": pillar,
        "name_zh": zh,
        "name_en": en,
        "unit": unit,
        "value": value,
        "source": source,
        "lineage_zh": lin_zh,
        "lineage_en": lin_en,
    }


def environmental(inv: GroupInventory, entered: dict[str, str]) -> list[dict[str, Any]]:
    """The environmental indicators computed from the accounts through the inventory, each with its lineage."""
    f = inventory.figures(inv)
    approach_zh, approach_en = inventory.APPROACH_WORDS[inv.approach]
    where_zh = f"{inv.year} 年当前月度账户，按{approach_zh.split('：')[0]}合并 {len(f.members)} 个实体"
    where_en = f"current monthly accounts of {inv.year}, {len(f.members)} entities by {approach_en.split(':')[0]}"
    if not f.complete:
        why_zh = "；".join(z for z, _e in f.problems)
        why_en = "; ".join(e for _z, e in f.problems)
        return [
            _row(
                "e_total",
                "E",
                "温室气体排放总量",
                "Total GHG emissions",
                "tCO2e",
                None,
                "accounts",
                f"无法合并：{why_zh}",
                f"cannot consolidate: {why_en}",
            )
        ]
    x = f.extras
    rows = [
        _row(
            "e_scope1",
            "E",
            "范围一排放",
            "Scope 1 emissions",
            "tCO2e",
            _q(f.scope1),
            "accounts",
            f"Σ 纳入比例 × 各实体月范围一；{where_zh}",
            f"Σ share × each entity-month's scope 1; {where_en}",
        ),
        _row(
            "e_scope2_location",
            "E",
            "范围二排放（基于位置）",
            "Scope 2 emissions (location-based)",
            "tCO2e",
            _q(f.scope2),
            "accounts",
            f"Σ 纳入比例 × 各实体月范围二（电网平均因子）；{where_zh}",
            f"Σ share × scope 2 at the grid average factor; {where_en}",
        ),
        _row(
            "e_scope2_market",
            "E",
            "范围二排放（基于市场）",
            "Scope 2 emissions (market-based)",
            "tCO2e",
            _q(f.scope2_market),
            "accounts",
            f"Σ 纳入比例 × 基于市场的范围二（绿电为 0，其余按全国剩余因子）；"
            f"{f.market_fallback} 个实体月以基于位置的数值代替",
            f"Σ share × market-based scope 2 (green power 0, the rest at the national residual factor); "
            f"{f.market_fallback} entity-months location-based",
        ),
        _row(
            "e_total",
            "E",
            "温室气体排放总量（范围一 + 范围二基于位置）",
            "Total GHG emissions (scope 1 + 2 location)",
            "tCO2e",
            _q(f.total),
            "accounts",
            f"{_q(f.scope1)} + {_q(f.scope2)}",
            f"{_q(f.scope1)} + {_q(f.scope2)}",
        ),
        _row(
            "e_energy",
            "E",
            "综合能源消费量",
            "Energy consumed",
            "tce",
            _q(x.energy_tce),
            "accounts",
            f"Σ 纳入比例 × 各实体月综合能耗（{x.months_in} 个实体月）",
            f"Σ share × each entity-month's energy ({x.months_in} entity-months)",
        ),
    ]
    if x.value_added and x.va_months:
        # the numerator over the same entity-months as the denominator would need per-month totals; the accounts'
        # value added is reported with each month, so the months without it are named
        intensity = _q(f.total / x.value_added, "0.0001")
        rows.append(
            _row(
                "e_intensity",
                "E",
                "排放强度（单位增加值）",
                "Emission intensity (per value added)",
                "tCO2e/万元",
                intensity,
                "accounts",
                f"{_q(f.total)} tCO2e ÷ {_q(x.value_added)} 万元（Σ 纳入比例 × 增加值，{x.va_months} 个实体月；"
                f"{x.va_missing} 个实体月未报增加值）",
                f"{_q(f.total)} tCO2e ÷ {_q(x.value_added)} 10k yuan (Σ share × value added, {x.va_months} "
                f"entity-months; {x.va_missing} without)",
            )
        )
    else:
        rows.append(
            _row(
                "e_intensity",
                "E",
                "排放强度（单位增加值）",
                "Emission intensity (per value added)",
                "tCO2e/万元",
                None,
                "accounts",
                "账户未报增加值",
                "no value added in the accounts",
            )
        )
    used = x.elec_mwh + x.own_generation_mwh
    if used:
        renewable = x.green_mwh + x.own_generation_mwh
        rows.append(
            _row(
                "e_renewable_pct",
                "E",
                "可再生电力占比",
                "Renewable share of electricity",
                "%",
                _q(renewable / used * 100, "0.1"),
                "accounts",
                f"（绿电 {_q(x.green_mwh)} + 自发自用 {_q(x.own_generation_mwh)}）÷"
                f"（外购电 {_q(x.elec_mwh)} + 自发自用 "
                f"{_q(x.own_generation_mwh)}）MWh，均按纳入比例；绿证与绿电交易凭证另列于碳资产",
                f"(green power {_q(x.green_mwh)} + own generation used {_q(x.own_generation_mwh)}) ÷ (purchased "
                f"{_q(x.elec_mwh)} + own generation used {_q(x.own_generation_mwh)}) MWh, at the shares; "
                "certificates and green-power trades are listed among the carbon assets",
            )
        )
    else:
        rows.append(
            _row(
                "e_renewable_pct",
                "E",
                "可再生电力占比",
                "Renewable share of electricity",
                "%",
                None,
                "accounts",
                "账户中无用电记录",
                "no electricity in the accounts",
            )
        )
    base = inventory.figures(inv, inv.base_year) if inv.base_year and inv.base_year != inv.year else None
    if inv.base_year and inv.base_year == inv.year:
        base = f
    if base is not None and base.complete and base.total:
        change = _q((f.total - base.total) / base.total * 100, "0.1")
        rows.append(
            _row(
                "e_base_total",
                "E",
                "基准年排放总量",
                "Base-year emissions",
                "tCO2e",
                _q(base.total),
                "accounts",
                f"{inv.base_year} 年，同一合并方法、当前账户",
                f"{inv.base_year}, same approach, current accounts",
            )
        )
        rows.append(
            _row(
                "e_change_pct",
                "E",
                "较基准年变化",
                "Change vs the base year",
                "%",
                change,
                "accounts",
                f"({_q(f.total)} − {_q(base.total)}) ÷ {_q(base.total)}",
                f"({_q(f.total)} − {_q(base.total)}) ÷ {_q(base.total)}",
            )
        )
        target = entered.get("e_target_reduction_pct")
        if target and Decimal(target) > 0:
            achieved = base.total - f.total
            progress = _q(achieved / (base.total * Decimal(target) / 100) * 100, "0.1")
            rows.append(
                _row(
                    "e_target_progress_pct",
                    "E",
                    "减排目标完成进度",
                    "Progress towards the target",
                    "%",
                    progress,
                    "accounts+entered",
                    f"已减 {_q(achieved)} ÷ 目标减排 {_q(base.total * Decimal(target) / 100)}"
                    f"（基准年 {_q(base.total)} × "
                    f"{target}%，目标年 {entered.get('e_target_year', '—')}）",
                    f"reduced {_q(achieved)} ÷ target cut {_q(base.total * Decimal(target) / 100)} (base "
                    f"{_q(base.total)} × {target}%, by {entered.get('e_target_year', '—')})",
                )
            )
    else:
        rows.append(
            _row(
                "e_base_total",
                "E",
                "基准年排放总量",
                "Base-year emissions",
                "tCO2e",
                None,
                "accounts",
                "未设定基准年或基准年账户不全",
                "no base year, or its accounts are incomplete",
            )
        )
    return rows


def rows(inv: GroupInventory) -> list[dict[str, Any]]:
    """The disclosure in the template's rows: the computed environmental indicators, then every entered one (empty
    value when not entered)."""
    entered = dict(inv.esg_entries.values_list("code", "value"))
    who = {e.code: e for e in inv.esg_entries.select_related("entered_by")}
    out = environmental(inv, entered)
    for f in ENTERED:
        e = who.get(f.code)
        lin_zh = (
            f"集团填报（{e.entered_by.username if e.entered_by else '—'}，{e.entered_at:%Y-%m-%d}）" if e else "未填报"
        )
        lin_en = (
            f"entered by the group ({e.entered_by.username if e.entered_by else '—'}, {e.entered_at:%Y-%m-%d})"
            if e
            else "not entered"
        )
        out.append(_row(f.code, f.pillar, f.name_zh, f.name_en, f.unit, entered.get(f.code), "entered", lin_zh, lin_en))
    return out


def as_json(inv: GroupInventory) -> dict[str, Any]:
    return {
        "template": TEMPLATE,
        "version": TEMPLATE_VERSION,
        "columns": list(COLUMNS),
        "group": {"id": inv.group_id, "name": inv.group.name, "uscc": inv.group.uscc or ""},
        "year": inv.year,
        "approach": inv.approach,
        "base_year": inv.base_year,
        "indicators": [{k: (str(v) if isinstance(v, Decimal) else v) for k, v in r.items()} for r in rows(inv)],
    }


def xlsx(inv: GroupInventory) -> bytes:
    """The template as a workbook: sheet ``ESG`` (the columns of :data:`COLUMNS`, one row per indicator, numbers as
    numbers) and sheet ``About`` (template, version, group, year, approach)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "ESG"
    ws.append(list(COLUMNS))
    for c in ws[1]:
        c.font = Font(bold=True)
    for r in rows(inv):
        ws.append([r[k] for k in COLUMNS])
    for col, width in zip("ABCDEFGHI", (24, 7, 30, 36, 12, 16, 16, 60, 60), strict=True):
        ws.column_dimensions[col].width = width
    about = wb.create_sheet("About")
    for k, v in (
        ("template", TEMPLATE),
        ("version", TEMPLATE_VERSION),
        ("group", inv.group.name),
        ("uscc", inv.group.uscc or ""),
        ("year", inv.year),
        ("approach", inv.approach),
        ("base_year", inv.base_year or ""),
    ):
        about.append([k, v])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

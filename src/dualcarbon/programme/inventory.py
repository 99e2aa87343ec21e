"""A group's carbon inventory (集团碳盘查, docs/programme.md § Group inventory): scope 1 and scope 2 of a group and
its subsidiaries for a year, consolidated by operational control or by equity share (chosen per inventory) along
the effective-dated holdings (``registry.services.group_links``) from the current monthly accounts
(``accounting.services.scope_month_totals``), by ``engine/consolidation.py`` — nothing is computed here but the
reading. The report follows ISO 14064-1:2018 / the GHG Protocol Corporate Standard: organisational boundary,
reporting boundary, direct emissions, indirect emissions from imported energy, base year, methodology and factors
with their sources (Excel, :func:`xlsx`).

Why here: the inventory reads accounting (calculation) and registry (ground floor) today, and the issue asks it
to list reduction potential (planning) and carbon assets (assets), which are use apps; the programme layer is the
one above them (docs/architecture.md).
"""

from __future__ import annotations

import dataclasses
import datetime
import io
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from dualcarbon.accounting import services as accounting
from dualcarbon.assets import services as assets
from dualcarbon.engine import consolidation
from dualcarbon.finance import services as finance
from dualcarbon.planning import services as planning
from dualcarbon.registry import services as registry
from dualcarbon.registry.models import Organisation

from . import scoping
from .models import GroupInventory, InventorySnapshot
from .services import _refuse, _user_or_none

CENT = Decimal("0.01")


def create_inventory(user: Any, group: Organisation, year: Any, approach: Any, base_year: Any = None) -> GroupInventory:
    """An inventory of ``group`` for ``year`` with its approach (one per group and year; choosing again for the
    same year changes the approach). The group's own staff and the admin; refused with the field named."""
    if not scoping.can_keep_inventory(user, group):
        raise PermissionDenied(_("只有集团本身的人员可以编制其碳盘查"))
    this_year = datetime.date.today().year
    try:
        year = int(year)
        if not 2000 <= year <= this_year:
            raise ValueError
    except (TypeError, ValueError):
        raise _refuse("year", _("“%(value)s”不是可盘查的年度（2000 至今年）"), value=year) from None
    if approach not in GroupInventory.Approach.values:
        raise _refuse(
            "approach",
            _("合并方法应为 operational_control（运营控制权）或 equity_share（股权比例），实际为“%(value)s”"),
            value=approach,
        )
    base: int | None = None
    if base_year not in (None, ""):
        try:
            base = int(base_year)
            if not 2000 <= base <= year:
                raise ValueError
        except (TypeError, ValueError):
            raise _refuse("base_year", _("基准年“%(value)s”须在 2000 与盘查年度之间"), value=base_year) from None
    inv, _created = GroupInventory.objects.update_or_create(
        group=group, year=year, defaults={"approach": approach, "base_year": base, "created_by": _user_or_none(user)}
    )
    return inv


@dataclasses.dataclass
class Member:
    """One entity of the consolidated inventory as shown: its share (a single figure, or per month when it changed),
    own totals, contribution and the chains that carry it."""

    organisation_id: int
    name: str
    uscc: str
    region: str
    share_pct: Decimal | None  # None: it changed within the year (see months)
    months: list[dict[str, Any]]
    own_scope1: Decimal
    own_scope2: Decimal
    scope1: Decimal
    scope2: Decimal
    chains: list[str]
    industry_code: str = ""
    #: market-based scope 2 (own, months inside the boundary; consolidated), the location-based figure standing in
    #: for the months whose account has none (``market_fallback`` of them)
    own_scope2_market: Decimal = Decimal(0)
    scope2_market: Decimal = Decimal(0)
    market_fallback: int = 0

    @property
    def total(self) -> Decimal:
        return self.scope1 + self.scope2


@dataclasses.dataclass
class Extras:
    """What the inventory adds to scope 1 and 2, consolidated at the same monthly shares: energy, value added,
    purchased and renewable electricity, the data-quality tiers, offsets claimed."""

    energy_tce: Decimal = Decimal(0)
    value_added: Decimal = Decimal(0)  # 万元, of the entity-months that report it
    va_months: int = 0
    va_missing: int = 0
    months_in: int = 0
    tiers: dict[str, Decimal] = dataclasses.field(default_factory=dict)  # tCO2e by tier 1/2/3
    elec_mwh: Decimal = Decimal(0)
    green_mwh: Decimal = Decimal(0)
    own_generation_mwh: Decimal = Decimal(0)
    other_unit_lines: int = 0
    #: (entity id, kind, status) → {"amount", "measure", "avoided_tco2", "references"}
    claimed: dict[tuple[int, str, str], dict[str, Any]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Figures:
    inventory: GroupInventory
    year: int
    approach: str
    members: list[Member]
    scope1: Decimal
    scope2: Decimal
    #: the engine's refusal (an entity inside the boundary without accounts for a month, a bad holding), in both
    #: languages; then no figures
    problems: list[tuple[str, str]]
    outside: list[str]  # organisations held but outside the boundary all year (operational control)
    factors: list[dict[str, Any]]
    scope2_market: Decimal = Decimal(0)
    extras: Extras = dataclasses.field(default_factory=Extras)

    @property
    def total(self) -> Decimal:
        return self.scope1 + self.scope2

    @property
    def total_market(self) -> Decimal:
        return self.scope1 + self.scope2_market

    @property
    def market_fallback(self) -> int:
        return sum(m.market_fallback for m in self.members)

    @property
    def complete(self) -> bool:
        return not self.problems


def _words(chain: consolidation.Chain, names: dict[str, str]) -> str:
    if not chain.links:
        return "集团本身 / the group itself"
    parts = " × ".join(
        f"{names.get(x.parent, x.parent)}→{names.get(x.child, x.child)} {x.share.normalize():f}%"
        f"{' (控制/control)' if x.control else ''}"
        for x in chain.links
    )
    return f"{parts} = {(chain.share * 100).normalize():f}%"


def consolidate(
    group: Organisation, year: int, approach: str, rows: list[dict[str, Any]] | None = None
) -> tuple[consolidation.Inventory, dict[str, str]]:
    """The engine's consolidation of the group's current accounts for ``year`` (raises ConsolidationError); the
    account rows read are appended to ``rows`` when given."""
    links = registry.group_links(group, datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1))
    ids = {group.pk, *(int(x.child) for x in links), *(int(x.parent) for x in links)}
    read = accounting.scope_month_totals(sorted(ids), [year])
    if rows is not None:
        rows.extend(read)
    totals = consolidation.monthly(
        (str(r["enterprise_id"]), r["month"], str(r["scope1_tco2e"]), str(r["scope2_tco2e"])) for r in read
    )
    names = {str(o.pk): o.name for o in Organisation.objects.filter(pk__in=ids)}
    return consolidation.consolidate(str(group.pk), year, approach, links, totals), names


def _d(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def figures(inv: GroupInventory, year: int | None = None) -> Figures:
    """The inventory's figures for its year (or ``year``, e.g. the base year), with the boundary, each entity's
    share, chains, own totals and contribution, scope 2 market-based beside location-based, the extras (energy,
    value added, electricity, data-quality tiers, offsets claimed) at the same monthly shares, and the factors
    behind the accounts."""
    year = year or inv.year
    rows: list[dict[str, Any]] = []
    try:
        result, names = consolidate(inv.group, year, inv.approach, rows)
    except consolidation.ConsolidationError as exc:
        problems = [(_named(p.message("zh"), p), _named(p.message("en"), p)) for p in exc.problems]
        return Figures(inv, year, inv.approach, [], Decimal(0), Decimal(0), problems, [], [])
    raw = {(r["enterprise_id"], r["month"]): r for r in rows}
    orgs = {o.pk: o for o in Organisation.objects.filter(pk__in=[int(e.entity) for e in result.entities])}
    included = [int(e.entity) for e in result.entities if e.included]
    elec = {(r["enterprise_id"], r["month"]): r for r in accounting.electricity_month_totals(included, [year])}
    claims = accounting.current_claim_lines("", [year], enterprise_ids=included) if included else None
    x = Extras()
    members = []
    outside = []
    for e in result.entities:
        org = orgs[int(e.entity)]
        if not e.included:
            outside.append(org.name)
            continue
        chains = sorted({_words(c, names) for m in e.months for c in m.paths})
        share = e.share
        own_market = market = Decimal(0)
        fallback = 0
        for m in e.months:
            if not m.share:
                continue
            r = raw.get((org.pk, m.month), {})
            x.months_in += 1
            if r.get("scope2_market_tco2e") is None:
                fallback += 1
                mk = m.scope2
            else:
                mk = _d(r["scope2_market_tco2e"])
            own_market += mk
            market += m.share * mk
            x.energy_tce += m.share * _d(r.get("energy_tce"))
            if r.get("value_added") is None:
                x.va_missing += 1
            else:
                x.va_months += 1
                x.value_added += m.share * _d(r["value_added"])
            for tier, t in (r.get("by_tier") or {}).items():
                x.tiers[str(tier)] = x.tiers.get(str(tier), Decimal(0)) + m.share * _d(t)
            el = elec.get((org.pk, m.month))
            if el is not None:
                x.elec_mwh += m.share * _d(el["mwh"])
                x.green_mwh += m.share * _d(el["green_mwh"])
                x.other_unit_lines += el["other_unit_lines"]
            if claims is not None and len(claims):
                here = claims[(claims["enterprise"] == org.pk) & (claims["month"] == m.month)]
                for c in here.itertuples():
                    if c.kind == "own_generation" and c.use == "self_consumed":
                        x.own_generation_mwh += m.share * _d(c.countable)
                    key = (org.pk, str(c.kind), str(c.status or ""))
                    slot = x.claimed.setdefault(
                        key, {"amount": Decimal(0), "measure": c.measure, "avoided_tco2": Decimal(0), "references": []}
                    )
                    slot["amount"] += _d(c.countable)
                    slot["avoided_tco2"] += _d(c.avoided_tco2)
                    if c.reference and c.reference not in slot["references"]:
                        slot["references"].append(str(c.reference))
        members.append(
            Member(
                org.pk,
                org.name,
                org.uscc or "",
                org.region_id or "",
                None if share is None else _pct(share),
                [
                    {
                        "month": m.month,
                        "share_pct": _pct(m.share),
                        "scope1": m.scope1,
                        "scope2": m.scope2,
                        "contribution1": m.contribution1,
                        "contribution2": m.contribution2,
                    }
                    for m in e.months
                ],
                sum((m.scope1 for m in e.months if m.share), Decimal(0)),
                sum((m.scope2 for m in e.months if m.share), Decimal(0)),
                e.scope1,
                e.scope2,
                chains,
                org.industry_id or "",
                own_market,
                market,
                fallback,
            )
        )
    factors = accounting.factor_sources([m.organisation_id for m in members], year)
    f = Figures(inv, year, inv.approach, members, result.scope1, result.scope2, [], outside, factors)
    f.scope2_market = sum((m.scope2_market for m in members), Decimal(0))
    f.extras = x
    return f


def _named(text: str, problem: consolidation.Problem) -> str:
    """An engine message with the organisations' ids replaced by their names."""
    ids = [w for w in problem.where.replace("→", " ").replace("#", " ").split() if w.isdigit()]
    if ids:
        for o in Organisation.objects.filter(pk__in=[int(i) for i in ids]):
            text = text.replace(str(o.pk), o.name)
    return text


def _pct(fraction: Decimal) -> Decimal:
    """A fraction as a percentage without exponent (1 → 100, not 1E+2)."""
    return Decimal(f"{(fraction * 100).normalize():f}")


def shown(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


# --------------------------------------------------------------------------------------------- potential, assets


def potential(f: Figures) -> list[dict[str, Any]]:
    """The reduction potential of each entity inside the boundary: the measures of planning's library applicable to
    its industry, with tce and tCO2 a year per unit and their sources (``planning.services.applicable_measures``,
    the entity's region and the inventory's year for a grid conversion)."""
    cache: dict[tuple[str, str], list[dict[str, Any]]] = {}
    out = []
    for m in f.members:
        key = (m.industry_code, m.region)
        if key not in cache:
            cache[key] = planning.applicable_measures(m.industry_code, m.region, f.year)
        out.append(
            {
                "organisation_id": m.organisation_id,
                "name": m.name,
                "industry_code": m.industry_code,
                "share_pct": m.share_pct,
                "measures": cache[key],
            }
        )
    return out


CLAIM_WORDS = {
    "own_generation": ("自有可再生能源发电", "own renewable generation"),
    "gec": ("绿色电力证书", "green electricity certificates"),
    "green_trade": ("绿色电力交易", "green power trades"),
    "ccer": ("国家核证自愿减排量（CCER）", "CCER"),
    "forestry": ("林业碳汇", "forestry sinks"),
}


def carbon_assets(f: Figures, day: datetime.date | None = None) -> dict[str, Any]:
    """The carbon assets of the entities inside the boundary: their certified projects and enterprises in force on
    ``day`` (finance's transition-certification library), their allowance, CCER and green-certificate balances today
    (the assets ledger), and the offsets and zero-carbon electricity claimed in the year's accounts (accounting's
    claim lines). Listed per holder with its share in the inventory; not consolidated into one figure."""
    day = day or datetime.date.today()
    ids = [m.organisation_id for m in f.members]
    names = {m.organisation_id: m.name for m in f.members}
    share = {m.organisation_id: m.share_pct for m in f.members}
    certified = finance.certified_entries(ids, day)
    holdings = assets.carbon_holdings(ids)
    for r in certified:
        r["holder"] = names.get(r["enterprise_id"], "")
    for r in holdings:
        r["holder"] = names.get(r["holder_id"], "")
        r["share_pct"] = share.get(r["holder_id"])
    claimed = [
        {
            "holder_id": ent,
            "holder": names.get(ent, ""),
            "kind": kind,
            "kind_zh": CLAIM_WORDS.get(kind, (kind, kind))[0],
            "kind_en": CLAIM_WORDS.get(kind, (kind, kind))[1],
            "status": status,
            "amount": v["amount"],
            "measure": v["measure"],
            "avoided_tco2": v["avoided_tco2"],
            "references": v["references"],
        }
        for (ent, kind, status), v in sorted(f.extras.claimed.items())
    ]
    return {"as_of": day, "certified": certified, "holdings": holdings, "claimed": claimed}


def quality(f: Figures) -> dict[str, Any]:
    """Data quality and exclusions: the consolidated tCO2e by data-quality tier of the accounts (1 measured … 3
    default factors), and what the inventory leaves out or fills in, each with its count."""
    total = sum(f.extras.tiers.values(), Decimal(0))
    tiers = [
        {
            "tier": t,
            "tco2e": v,
            "share_pct": (v / total * 100).quantize(Decimal("0.1"), ROUND_HALF_UP) if total else None,
        }
        for t, v in sorted(f.extras.tiers.items())
    ]
    exclusions: list[tuple[str, str]] = [
        (
            "范围三（其他间接排放，ISO 14064-1 类别 3–6）：平台账户未覆盖",
            "Scope 3 (ISO 14064-1 categories 3–6): not in the accounts",
        ),
    ]
    if f.outside:
        exclusions.append(
            (
                "无运营控制权、边界外的实体：" + "、".join(f.outside),
                "entities outside the boundary (no operational control): " + ", ".join(f.outside),
            )
        )
    if f.market_fallback:
        exclusions.append(
            (
                f"{f.market_fallback} 个实体月的账户无基于市场的范围二，以基于位置的数值代替",
                f"{f.market_fallback} entity-months without a market-based scope 2: location-based used",
            )
        )
    if f.extras.va_missing:
        exclusions.append(
            (
                f"{f.extras.va_missing} 个实体月未报增加值，不计入排放强度的分母与分子",
                f"{f.extras.va_missing} entity-months without value added: left out of the intensity",
            )
        )
    if f.extras.other_unit_lines:
        exclusions.append(
            (
                f"{f.extras.other_unit_lines} 条电力排放行的活动单位不是 MWh，未计入用电量",
                f"{f.extras.other_unit_lines} electricity lines not in MWh: left out of the electricity used",
            )
        )
    return {"tiers": tiers, "tier_total": total, "exclusions": exclusions}


# --------------------------------------------------------------------------------------------- the report

APPROACH_WORDS = {
    "operational_control": (
        "运营控制权法：集团拥有运营控制权的实体按 100% 计入",
        "operational control: entities the group controls count in full",
    ),
    "equity_share": (
        "股权比例法：按集团在各实体的有效持股比例计入",
        "equity share: each entity counts at the group's effective equity share",
    ),
}


def report_context(inv: GroupInventory) -> dict[str, Any]:
    """Everything the report shows (page, PDF, Excel), in the ISO 14064-1 / GHG Protocol order."""
    f = figures(inv)
    base = figures(inv, inv.base_year) if inv.base_year and inv.base_year != inv.year else None
    zh_a, en_a = APPROACH_WORDS[inv.approach]
    return {
        "inv": inv,
        "f": f,
        "base": base,
        "approach_zh": zh_a,
        "approach_en": en_a,
        "period": (datetime.date(f.year, 1, 1), datetime.date(f.year, 12, 31)),
        "potential": potential(f) if f.complete else [],
        "assets": carbon_assets(f) if f.complete else {"certified": [], "holdings": [], "claimed": []},
        "quality": quality(f),
        "snapshots": list(inv.snapshots.select_related("taken_by")),
    }


def pdf(inv: GroupInventory) -> bytes:
    """The inventory report as a Chinese A4 PDF (WeasyPrint), whatever the page's language."""
    from django.template.loader import render_to_string
    from django.utils import timezone
    from django.utils.translation import override
    from weasyprint import HTML

    with override("zh-hans"):
        html = render_to_string(
            "programme/inventory_pdf.html",
            {**report_context(inv), "generated": timezone.localtime(timezone.now())},
        )
    data = HTML(string=html).write_pdf()
    assert data is not None
    return bytes(data)


def xlsx(inv: GroupInventory) -> bytes:
    """The inventory report in the ISO 14064-1 / GHG Protocol structure, bilingual headings (Chinese first)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ctx = report_context(inv)
    f: Figures = ctx["f"]
    base: Figures | None = ctx["base"]
    wb = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, heading: list[str], rows: list[list[Any]], first: bool = False) -> None:
        ws = wb.active if first else wb.create_sheet()
        assert ws is not None
        ws.title = title
        ws.append(heading)
        for c in ws[1]:
            c.font = bold
        for r in rows:
            ws.append(r)  # Decimal cells are written as numbers
        for i in range(1, ws.max_column + 1):
            ws.column_dimensions[get_column_letter(i)].width = 22

    start, end = ctx["period"]
    cover: list[list[Any]] = [
        ["集团 / Group", inv.group.name],
        ["统一社会信用代码 / USCC", inv.group.uscc or ""],
        ["盘查年度 / Reporting year", inv.year],
        ["报告期 / Reporting period", f"{start.isoformat()} – {end.isoformat()}"],
        ["标准 / Standard", "ISO 14064-1:2018；GHG Protocol Corporate Accounting and Reporting Standard (2004)"],
        ["合并方法 / Consolidation approach", f"{ctx['approach_zh']} / {ctx['approach_en']}"],
        [
            "状态 / Status",
            "完整 / complete" if f.complete else "不完整 / incomplete: " + "；".join(z for z, _e in f.problems),
        ],
        ["范围一 / Scope 1 (tCO2e)", shown(f.scope1)],
        ["范围二（基于位置）/ Scope 2 location-based (tCO2e)", shown(f.scope2)],
        ["范围二（基于市场）/ Scope 2 market-based (tCO2e)", shown(f.scope2_market)],
        ["合计（基于位置）/ Total location-based (tCO2e)", shown(f.total)],
        ["合计（基于市场）/ Total market-based (tCO2e)", shown(f.total_market)],
        ["生成时间 / Generated", datetime.datetime.now().strftime("%Y-%m-%d %H:%M")],
    ]
    sheet("封面 Cover", ["项目 / Item", "内容 / Value"], cover, first=True)
    sheet(
        "1 组织边界 Org boundary",
        ["实体 / Entity", "统一社会信用代码 / USCC", "纳入比例 % / Share included", "持股链 / Chains", "说明 / Note"],
        [
            [
                m.name,
                m.uscc,
                m.share_pct if m.share_pct is not None else "按月 / by month",
                "；".join(m.chains),
                "" if m.share_pct is not None else "年内股权变动，按月计入 / holding changed within the year, by month",
            ]
            for m in f.members
        ]
        + [[n, "", 0, "", "边界外（无运营控制权）/ outside the boundary (no control)"] for n in f.outside],
    )
    sheet(
        "2 报告边界 Reporting boundary",
        ["类别 / Category", "纳入 / Included", "说明 / Note"],
        [
            [
                "类别1 直接排放（范围一）/ Category 1 direct emissions (scope 1)",
                "是 / yes",
                "化石燃料燃烧、工业过程等 / fuel combustion, industrial processes …",
            ],
            [
                "类别2 输入能源的间接排放（范围二）/ Category 2 indirect emissions from imported energy (scope 2)",
                "是 / yes",
                "外购电力、热力；基于位置与基于市场两种口径 / purchased electricity and heat; location- and "
                "market-based",
            ],
            [
                "类别3–6 其他间接排放（范围三）/ Categories 3–6 other indirect (scope 3)",
                "否 / no",
                "平台账户未覆盖 / not in the platform's accounts",
            ],
            ["报告期 / Period", f"{start.isoformat()} – {end.isoformat()}", "按月账户合计 / Σ of monthly accounts"],
        ],
    )
    for title, attr_own, attr_c in (
        ("3 直接排放 Direct (scope 1)", "own_scope1", "scope1"),
        ("4 能源间接排放 Energy indirect", "own_scope2", "scope2"),
    ):
        heading = ["实体 / Entity", "自身排放 tCO2e / Own", "纳入比例 % / Share", "计入 tCO2e / Consolidated"]
        market = attr_c == "scope2"
        if market:
            heading += ["自身（基于市场）/ Own market-based", "计入（基于市场）/ Consolidated market-based"]
        rows: list[list[Any]] = []
        for m in f.members:
            row = [
                m.name,
                shown(getattr(m, attr_own)),
                m.share_pct if m.share_pct is not None else "按月 / by month",
                shown(getattr(m, attr_c)),
            ]
            if market:
                row += [shown(m.own_scope2_market), shown(m.scope2_market)]
            rows.append(row)
        total_row: list[Any] = ["合计 / Total", "", "", shown(f.scope1 if attr_c == "scope1" else f.scope2)]
        if market:
            total_row += ["", shown(f.scope2_market)]
        rows.append(total_row)
        sheet(title, heading, rows)
    if base is not None:
        base_rows: list[list[Any]] = [
            ["基准年 / Base year", inv.base_year],
            ["完整 / Complete", "是 / yes" if base.complete else "否 / no: " + "；".join(z for z, _e in base.problems)],
            ["范围一 / Scope 1", shown(base.scope1)],
            ["范围二（基于位置）/ Scope 2 location-based", shown(base.scope2)],
            ["范围二（基于市场）/ Scope 2 market-based", shown(base.scope2_market)],
            ["合计 / Total", shown(base.total)],
            [
                "重新计算政策 / Recalculation policy",
                "同一合并方法、当前账户版本重新计算；冻结的快照保留当时的数字 / recomputed with the same approach from "
                "the current accounts; frozen snapshots keep the figures as they were",
            ],
        ]
    else:
        base_rows = [["基准年 / Base year", inv.base_year or "未设定 / not set (the reporting year)"]]
    sheet("5 基准年 Base year", ["项目 / Item", "内容 / Value"], base_rows)
    q = ctx["quality"]
    sheet(
        "6 数据质量与排除 Data quality",
        ["项目 / Item", "tCO2e", "占比 % / Share", "说明 / Note"],
        [[f"数据质量等级 {t['tier']} / tier {t['tier']}", shown(t["tco2e"]), t["share_pct"], ""] for t in q["tiers"]]
        + [["排除或替代 / Exclusion", "", "", f"{zh} / {en}"] for zh, en in q["exclusions"]],
    )
    sheet(
        "7 方法学与因子 Methodology",
        [
            "范围 / Scope",
            "排放源类型 / Source type",
            "项目 / Item",
            "因子集 / Factor set",
            "版本 / Version",
            "因子来源 / Factor source",
            "GWP",
        ],
        [
            [
                r["scope"],
                r["source_type"],
                r["item_name"],
                r["factor_set"],
                r["factor_set_version"],
                r["factor_ref"],
                r["gwp_table"],
            ]
            for r in f.factors
        ]
        + [
            [
                "",
                "合并 / Consolidation",
                "engine/consolidation.py",
                "GHG Protocol ch. 3; ISO 14064-1:2018 5.1",
                "",
                "docs/methods.md § 18",
                "",
            ]
        ],
    )
    sheet(
        "8 减排潜力 Reduction potential",
        [
            "实体 / Entity",
            "行业 / Industry",
            "措施 / Measure",
            "单位 / Unit",
            "tce/年·单位 / tce per unit a year",
            "tCO2/年·单位 / tCO2 per unit a year",
            "折算 / Conversion",
            "来源 / Source",
        ],
        [
            [
                p["name"],
                p["industry_code"],
                f"{m['code']} {m['name_zh']}",
                m["unit_zh"],
                m["tce_per_unit"],
                shown(m["tco2_per_unit"]) if m["tco2_per_unit"] is not None else m["error"],
                f"{m['conversion']}（{m['factor_source']}）" if m["factor_source"] else m["conversion"],
                m["source"],
            ]
            for p in ctx["potential"]
            for m in p["measures"]
        ],
    )
    a = ctx["assets"]
    sheet(
        "9 碳资产 Carbon assets",
        [
            "类别 / Category",
            "持有实体 / Holder",
            "名称 / Name",
            "年度或有效期 / Vintage or validity",
            "数量 / Quantity",
            "状态 / State",
            "说明 / Note",
        ],
        [
            [
                f"认定{r['kind_label']} / certified {r['kind']}",
                r["holder"],
                r["name"],
                f"{r['valid_from']} – {r['valid_until']}",
                r["expected_reduction_tco2"],
                "",
                "预期减排 tCO2/年",
            ]
            for r in a["certified"]
        ]
        + [
            [r["kind_label"], r["holder"], r["name_zh"], r["vintage"], r["units"], r["state_label"], r["shown"]]
            for r in a["holdings"]
        ]
        + [
            [
                f"已申报抵消 / claimed: {r['kind_zh']}",
                r["holder"],
                "；".join(r["references"]),
                inv.year,
                shown(r["amount"]),
                r["status"],
                f"{r['measure']}；折合 {shown(r['avoided_tco2'])} tCO2",
            ]
            for r in a["claimed"]
        ],
    )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------------------------- snapshots


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}" if value == value.to_integral() else str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def frozen(inv: GroupInventory) -> dict[str, Any]:
    """The figures of the report as plain JSON (decimals as exact strings): what a snapshot keeps."""
    ctx = report_context(inv)
    f: Figures = ctx["f"]
    base: Figures | None = ctx["base"]

    def totals(x: Figures) -> dict[str, Any]:
        return {
            "scope1": shown(x.scope1),
            "scope2": shown(x.scope2),
            "scope2_market": shown(x.scope2_market),
            "total": shown(x.total),
            "total_market": shown(x.total_market),
        }

    data = {
        "group": {"id": inv.group_id, "name": inv.group.name, "uscc": inv.group.uscc or ""},
        "year": inv.year,
        "approach": inv.approach,
        "base_year": inv.base_year,
        "complete": f.complete,
        **totals(f),
        "energy_tce": shown(f.extras.energy_tce),
        "members": [
            {
                "organisation_id": m.organisation_id,
                "name": m.name,
                "share_pct": m.share_pct,
                "scope1": shown(m.scope1),
                "scope2": shown(m.scope2),
                "scope2_market": shown(m.scope2_market),
            }
            for m in f.members
        ],
        "outside": f.outside,
        "base": totals(base) if base is not None and base.complete else None,
        "factors": f.factors,
        "potential": [
            {
                "organisation_id": p["organisation_id"],
                "measures": [
                    {
                        "code": m["code"],
                        "tco2_per_unit": shown(m["tco2_per_unit"]) if m["tco2_per_unit"] is not None else None,
                    }
                    for m in p["measures"]
                ],
            }
            for p in ctx["potential"]
        ],
        "assets": {
            "certified": [{"id": r["id"], "kind": r["kind"], "name": r["name"]} for r in ctx["assets"]["certified"]],
            "holdings": [
                {
                    "holder_id": r["holder_id"],
                    "asset": r["asset"],
                    "vintage": r["vintage"],
                    "state": r["state"],
                    "units": r["units"],
                }
                for r in ctx["assets"]["holdings"]
            ],
        },
    }
    return _plain(data)


def fingerprint(data: dict[str, Any]) -> str:
    import hashlib
    import json

    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def take_snapshot(user: Any, inv: GroupInventory, note: Any = "") -> InventorySnapshot:
    """Freeze the inventory as it stands today (the group's own staff and the admin). Refused, nothing written, when
    the inventory cannot be consolidated (no figures to freeze) or the note is too long."""
    if not scoping.can_keep_inventory(user, inv.group):
        raise PermissionDenied(_("只有集团本身的人员可以冻结其碳盘查"))
    note = str(note or "").strip()
    if len(note) > 300:
        raise _refuse("note", _("说明最多 %(n)d 个字符"), n=300)
    data = frozen(inv)
    if not data["complete"]:
        raise _refuse("inventory", _("碳盘查无法合并（见页面说明），没有可冻结的数字"))
    return InventorySnapshot.objects.create(
        inventory=inv,
        as_of=datetime.date.today(),
        note=note,
        data=data,
        sha256=fingerprint(data),
        taken_by=_user_or_none(user),
    )


def verify(snapshot: InventorySnapshot) -> bool:
    """Whether the snapshot's data still hashes to its stored SHA-256."""
    return fingerprint(snapshot.data) == snapshot.sha256


def compare(snapshot: InventorySnapshot, f: Figures) -> dict[str, Any]:
    """The snapshot beside the figures now: each total and each entity's contribution, then and now, and the
    difference (a restatement of the accounts since, or a change of the holdings)."""
    d = snapshot.data
    keys = ("scope1", "scope2", "scope2_market", "total", "total_market")
    now_tot = {
        "scope1": shown(f.scope1),
        "scope2": shown(f.scope2),
        "scope2_market": shown(f.scope2_market),
        "total": shown(f.total),
        "total_market": shown(f.total_market),
    }
    totals = [(k, Decimal(d[k]), now_tot[k], now_tot[k] - Decimal(d[k])) for k in keys]
    then_members = {m["organisation_id"]: m for m in d["members"]}
    now_members = {m.organisation_id: m for m in f.members}
    members = []
    for oid in sorted(set(then_members) | set(now_members)):
        then = then_members.get(oid)
        now = now_members.get(oid)
        t = Decimal(then["scope1"]) + Decimal(then["scope2"]) if then else None
        n = shown(now.total) if now else None
        members.append(
            {
                "name": now.name if now is not None else (then or {}).get("name", ""),
                "then": t,
                "now": n,
                "diff": (n or Decimal(0)) - (t or Decimal(0)),
            }
        )
    return {
        "snapshot": snapshot,
        "verified": verify(snapshot),
        "totals": totals,
        "members": members,
        "restated": any(x[3] for x in totals),
    }


def tree_today(group: Organisation) -> list[registry.GroupMember]:
    """The group's tree today (empty when the holdings are refused by the engine: the inventory says why)."""
    try:
        return registry.group_tree(group, datetime.date.today())
    except consolidation.ConsolidationError:
        return []


def visible_inventory(user: Any, inventory_id: int) -> GroupInventory:
    from django.http import Http404

    inv = scoping.inventories(user).select_related("group").filter(pk=inventory_id).first()
    if inv is None:
        raise Http404
    return inv


def visible_group(user: Any, org_id: int) -> Organisation:
    from django.http import Http404

    org = scoping.group_organisations(user).filter(pk=org_id).first()
    if org is None:
        raise Http404
    return org

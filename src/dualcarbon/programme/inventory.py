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
from dualcarbon.engine import consolidation
from dualcarbon.registry import services as registry
from dualcarbon.registry.models import Organisation

from . import scoping
from .models import GroupInventory
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

    @property
    def total(self) -> Decimal:
        return self.scope1 + self.scope2


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

    @property
    def total(self) -> Decimal:
        return self.scope1 + self.scope2

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


def consolidate(group: Organisation, year: int, approach: str) -> tuple[consolidation.Inventory, dict[str, str]]:
    """The engine's consolidation of the group's current accounts for ``year`` (raises ConsolidationError)."""
    links = registry.group_links(group, datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1))
    ids = {group.pk, *(int(x.child) for x in links), *(int(x.parent) for x in links)}
    rows = accounting.scope_month_totals(sorted(ids), [year])
    totals = consolidation.monthly(
        (str(r["enterprise_id"]), r["month"], str(r["scope1_tco2e"]), str(r["scope2_tco2e"])) for r in rows
    )
    names = {str(o.pk): o.name for o in Organisation.objects.filter(pk__in=ids)}
    return consolidation.consolidate(str(group.pk), year, approach, links, totals), names


def figures(inv: GroupInventory, year: int | None = None) -> Figures:
    """The inventory's figures for its year (or ``year``, e.g. the base year), with the boundary, each entity's
    share, chains, own totals and contribution, and the factors behind the accounts."""
    year = year or inv.year
    try:
        result, names = consolidate(inv.group, year, inv.approach)
    except consolidation.ConsolidationError as exc:
        problems = [(_named(p.message("zh"), p), _named(p.message("en"), p)) for p in exc.problems]
        return Figures(inv, year, inv.approach, [], Decimal(0), Decimal(0), problems, [], [])
    orgs = {o.pk: o for o in Organisation.objects.filter(pk__in=[int(e.entity) for e in result.entities])}
    members = []
    outside = []
    for e in result.entities:
        org = orgs[int(e.entity)]
        if not e.included:
            outside.append(org.name)
            continue
        chains = sorted({_words(c, names) for m in e.months for c in m.paths})
        share = e.share
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
            )
        )
    factors = accounting.factor_sources([m.organisation_id for m in members], year)
    return Figures(inv, year, inv.approach, members, result.scope1, result.scope2, [], outside, factors)


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


# --------------------------------------------------------------------------------------------- the report (Excel)

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


def xlsx(inv: GroupInventory) -> bytes:
    """The inventory report in the ISO 14064-1 / GHG Protocol structure, bilingual headings (Chinese first)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    f = figures(inv)
    base = figures(inv, inv.base_year) if inv.base_year and inv.base_year != inv.year else None
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

    zh_a, en_a = APPROACH_WORDS[inv.approach]
    cover: list[list[Any]] = [
        ["集团 / Group", inv.group.name],
        ["统一社会信用代码 / USCC", inv.group.uscc or ""],
        ["盘查年度 / Reporting year", inv.year],
        ["标准 / Standard", "ISO 14064-1:2018；GHG Protocol Corporate Accounting and Reporting Standard (2004)"],
        ["合并方法 / Consolidation approach", f"{zh_a} / {en_a}"],
        [
            "状态 / Status",
            "完整 / complete" if f.complete else "不完整 / incomplete: " + "；".join(z for z, _e in f.problems),
        ],
        ["范围一 / Scope 1 (tCO2e)", shown(f.scope1)],
        ["范围二 / Scope 2 (tCO2e, location-based)", shown(f.scope2)],
        ["合计 / Total (tCO2e)", shown(f.total)],
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
                "外购电力、热力，基于位置 / purchased electricity and heat, location-based",
            ],
            [
                "类别3–6 其他间接排放（范围三）/ Categories 3–6 other indirect (scope 3)",
                "否 / no",
                "平台账户未覆盖 / not in the platform's accounts",
            ],
            ["报告期 / Period", f"{f.year}-01-01 – {f.year}-12-31", "按月账户合计 / Σ of monthly accounts"],
        ],
    )
    for title, attr_own, attr_c in (
        ("3 直接排放 Direct (scope 1)", "own_scope1", "scope1"),
        ("4 能源间接排放 Energy indirect", "own_scope2", "scope2"),
    ):
        rows: list[list[Any]] = [
            [
                m.name,
                shown(getattr(m, attr_own)),
                m.share_pct if m.share_pct is not None else "按月 / by month",
                shown(getattr(m, attr_c)),
            ]
            for m in f.members
        ]
        rows.append(["合计 / Total", "", "", shown(f.scope1 if attr_c == "scope1" else f.scope2)])
        sheet(title, ["实体 / Entity", "自身排放 tCO2e / Own", "纳入比例 % / Share", "计入 tCO2e / Consolidated"], rows)
    if base is not None:
        base_rows: list[list[Any]] = [
            ["基准年 / Base year", inv.base_year],
            ["完整 / Complete", "是 / yes" if base.complete else "否 / no: " + "；".join(z for z, _e in base.problems)],
            ["范围一 / Scope 1", shown(base.scope1)],
            ["范围二 / Scope 2", shown(base.scope2)],
            ["合计 / Total", shown(base.total)],
            [
                "重新计算政策 / Recalculation policy",
                "同一合并方法、当前账户版本重新计算 / recomputed with the same approach from the current accounts",
            ],
        ]
    else:
        base_rows = [["基准年 / Base year", inv.base_year or "未设定 / not set (the reporting year)"]]
    sheet("5 基准年 Base year", ["项目 / Item", "内容 / Value"], base_rows)
    sheet(
        "6 方法学与因子 Methodology",
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
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


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

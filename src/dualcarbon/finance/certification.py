"""Transition certification and libraries (降碳转型升级项目/企业认定, the "two rulers"; docs/finance.md § Transition
certification, docs/state-machines.md § Transition certification): the only place that writes rulers, applications,
their events and the pushes of the libraries to banks.

* Government publishes a ruler per key sector, kind and region (:func:`publish_ruler`; versioned and effective-dated
  with ``registry.effective.supersede``): the entry value per unit of product or of value added, the advanced value,
  the minimum expected reduction and the principles the verifier checks.
* The enterprise applies (:func:`apply`) with its baseline read from its account (``accounting.services``), and
  amends a returned application (:func:`resubmit`); the ruler in force decides: no ruler, a declared value above the
  entry value or a reduction under the minimum are refused, naming the figure and the limit.
* The independent verifier named in the application reviews it (:func:`review`): each principle checked; it passes
  it on or returns it with comments.
* Government certifies with a validity period or rejects with a reason (:func:`certify`, :func:`reject`); the entry
  is then in the project or enterprise library, pushed to chosen banks (:func:`push_library`); it may be flagged for
  a major event (:func:`flag_major_event`), revoked (:func:`revoke`) or expire (:func:`expire_lapsed`).
* Follow-up (:func:`followup`): each year after the baseline, the expected reduction against the one achieved in the
  account.

Every move not in the state machine is refused with a ``ValidationError`` at ``status`` naming the current status
and the move, and changes nothing; a user who may not make the move gets ``PermissionDenied``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dualcarbon.accounting import services as accounting
from dualcarbon.rating import signals as rating_signals
from dualcarbon.registry import access, effective
from dualcarbon.registry.models import Industry, Organisation, Region

from . import services
from .models import CertApplication, CertEvent, CertKind, CertMetric, CertPrinciple, CertPush, CertRuler

S = CertApplication.Status
#: the longest validity a certification may be given (years)
MAX_VALIDITY_YEARS = 5
MAX_QUANTITY = Decimal("1000000000")  # 10 亿 (tCO2, tce, or the entry value): beyond any single project
MAX_INVESTMENT = Decimal("100000000000")  # 1 000 亿元
FEN = Decimal("0.01")

#: the status a move needs, and the status it leads to (docs/state-machines.md § Transition certification)
MOVES: dict[str, tuple[tuple[str, ...], str]] = {
    "resubmit": ((S.RETURNED,), S.SUBMITTED),
    "pass": ((S.SUBMITTED,), S.REVIEWED),
    "return": ((S.SUBMITTED,), S.RETURNED),
    "certify": ((S.REVIEWED,), S.CERTIFIED),
    "reject": ((S.REVIEWED,), S.REJECTED),
    "flag": ((S.CERTIFIED,), S.CERTIFIED),
    "revoke": ((S.CERTIFIED,), S.REVOKED),
    "expire": ((S.CERTIFIED,), S.EXPIRED),
}
MOVE_LABELS = {
    "apply": _("提交申请"),
    "resubmit": _("修改后重新提交"),
    "pass": _("核查通过"),
    "return": _("退回修改"),
    "certify": _("认定入库"),
    "reject": _("不予认定"),
    "flag": _("标记重大事项"),
    "revoke": _("撤销认定"),
    "expire": _("到期出库"),
}

#: the seed rulers (illustrative values a region replaces with its own; the sources name what they follow)
SEED_RULERS: tuple[dict[str, Any], ...] = (
    {
        "industry_code": "2614",
        "sector_name": "现代煤化工（煤制甲醇）",
        "metric": CertMetric.ENERGY_PER_PRODUCT,
        "unit": "kgce/t",
        "entry_value": "1800",
        "advanced_value": "1400",
        "source": "参照《高耗能行业重点领域能效标杆水平和基准水平（2021年版）》（发改产业〔2021〕1609号）"
        "煤制甲醇：基准水平 1800、标杆水平 1400 千克标准煤/吨；示范取值，地区按本地标准替换",
    },
    {
        "industry_code": "3216",
        "sector_name": "有色金属冶炼（电解铝）",
        "metric": CertMetric.ENERGY_PER_PRODUCT,
        "unit": "kWh/t",
        "entry_value": "13350",
        "advanced_value": "13000",
        "source": "参照《高耗能行业重点领域能效标杆水平和基准水平（2021年版）》"
        "电解铝铝液交流电耗：基准水平 13350、标杆水平 13000 千瓦时/吨；示范取值，地区按本地标准替换",
    },
    {
        "industry_code": "4411",
        "sector_name": "火力发电",
        "metric": CertMetric.ENERGY_PER_PRODUCT,
        "unit": "gce/kWh",
        "entry_value": "300",
        "advanced_value": "270",
        "source": "参照《全国煤电机组改造升级实施方案》（发改运行〔2021〕1519号）：改造后供电煤耗低于 300、新建机组低于"
        " 270 克标准煤/千瓦时；示范取值，地区按本地标准替换",
    },
    {
        "industry_code": "06",
        "sector_name": "煤炭开采和洗选（采矿及加工）",
        "metric": CertMetric.EMISSIONS_PER_VALUE_ADDED,
        "unit": "tCO2/万元",
        "entry_value": "2.0",
        "advanced_value": "1.0",
        "source": "示范取值（非官方标准）：单位工业增加值碳排放；地区按本地标准替换",
    },
)
#: minimum expected reduction (% of the baseline year's emissions in the account) of the seed rulers, per kind
SEED_MIN_REDUCTION = {CertKind.PROJECT: "3", CertKind.ENTERPRISE: "5"}


def _err(message: Any, **params: Any) -> ValidationError:
    return ValidationError(message, params=params)


def _refuse(errors: dict[str, Any]) -> None:
    if errors:
        raise ValidationError(errors)


def _decimal(
    value: Any, field: str, errors: dict[str, Any], *, places: int, positive: bool = True, high: Decimal = MAX_QUANTITY
) -> Decimal | None:
    """A non-negative (or positive) number with at most ``places`` decimals, from text, an int or a Decimal."""
    if isinstance(value, float | bool):
        value = str(value)
    text = str(value if value is not None else "").strip().replace(",", "")
    try:
        d = Decimal(text)
        ok = d.is_finite()
    except InvalidOperation:
        ok = False
    if not ok:
        errors[field] = _err(_("“%(v)s”不是数字"), v=text)
        return None
    if d < 0 or (positive and d == 0):
        errors[field] = _err(_("须大于零（现为 %(v)s）") if positive else _("不能为负数（现为 %(v)s）"), v=text)
        return None
    if d > high:
        errors[field] = _err(_("%(v)s 超出上限 %(high)s"), v=text, high=str(high))
        return None
    q = Decimal(1).scaleb(-places)
    if d != d.quantize(q):
        errors[field] = _err(_("“%(v)s”最多保留 %(n)s 位小数"), v=text, n=places)
        return None
    return d.quantize(q)


def _governs(user: Any, region_code: str) -> bool:
    """Government staff whose jurisdiction covers the region (not the platform admin: it is no authority)."""
    code = str(region_code or "")
    return bool(code) and any(code.startswith(p) for p in access.actor_for(user).region_prefixes)


def _region(code: str) -> Region:
    return services.region_or_refuse(code)


def _move(app: CertApplication, move: str) -> str:
    """The status ``move`` leads to; refuses a move the current status does not allow, naming both."""
    need, to = MOVES[move]
    if app.status not in need:
        raise ValidationError(
            {
                "status": _err(
                    _("该申请当前为“%(s)s”，不能“%(m)s”（仅“%(need)s”的申请可以）"),
                    s=str(S(app.status).label),
                    m=str(MOVE_LABELS[move]),
                    need="、".join(str(S(n).label) for n in need),
                )
            }
        )
    return to


def _event(app: CertApplication, user: Any | None, action: str, before: str, comment: str = "") -> None:
    CertEvent.objects.create(
        application=app, action=action, status_from=before, status_to=app.status, comment=comment, by=user
    )


# ------------------------------------------------------------------------------------------------ rulers


def _principles(value: Any, errors: dict[str, Any]) -> list[str] | None:
    items = value if isinstance(value, list | tuple) else [p for p in str(value or "").split(",")]
    codes = [str(p).strip() for p in items if str(p).strip()]
    bad = [c for c in codes if c not in CertPrinciple.values]
    if bad or not codes:
        errors["principles"] = _err(
            _("核查原则须为 %(ok)s 中的一项或多项（现为“%(v)s”）"),
            ok="、".join(CertPrinciple.values),
            v=",".join(codes),
        )
        return None
    return [c for c in CertPrinciple.values if c in codes]


@transaction.atomic
def publish_ruler(
    user: Any,
    region: Region | str,
    *,
    industry_code: str,
    kind: str,
    valid_from: Any,
    sector_name: str,
    metric: str,
    unit: str,
    entry_value: Any,
    advanced_value: Any,
    min_reduction_pct: Any,
    principles: Any,
    source: str,
    note: str = "",
) -> CertRuler:
    """A new version of the region's ruler for a sector and kind from ``valid_from``: the open version ends that day
    (``registry.effective.supersede``); one that starts later is not touched and the new one, overlapping it, is
    refused. Only government staff governing the region."""
    code = region.code if isinstance(region, Region) else str(region or "")
    if not _governs(user, code):
        raise PermissionDenied(_("只有该地区的政府工作人员可以配置认定标准"))
    region_obj = _region(code)
    errors: dict[str, Any] = {}
    industry_code = str(industry_code or "").strip()
    if not Industry.objects.filter(code=industry_code).exclude(level="section").exists():
        errors["industry_code"] = _err(
            _("“%(c)s”不是登记的国民经济行业代码（GB/T 4754-2017 大类或小类）"), c=industry_code
        )
    if kind not in CertKind.values:
        errors["kind"] = _("请选择认定类别：项目或企业")
    if metric not in CertMetric.values:
        errors["metric"] = _("请选择准入指标")
    if not isinstance(valid_from, datetime.date):
        errors["valid_from"] = _("生效日期须为 YYYY-MM-DD 格式的日期")
    sector_name, unit, source = (sector_name or "").strip(), (unit or "").strip(), (source or "").strip()
    if not sector_name or len(sector_name) > 100:
        errors["sector_name"] = _("请填写行业名称（最多 100 个字符）")
    if not unit or len(unit) > 40:
        errors["unit"] = _("请填写准入值的单位（如 kgce/t、tCO2/万元）")
    if not source or len(source) > 500:
        errors["source"] = _("请注明标准的依据来源（文件名称及文号，最多 500 个字符）")
    entry = _decimal(entry_value, "entry_value", errors, places=4)
    advanced = _decimal(advanced_value, "advanced_value", errors, places=4)
    pct = _decimal(min_reduction_pct, "min_reduction_pct", errors, places=2, positive=False, high=Decimal(100))
    kept = _principles(principles, errors)
    if entry is not None and advanced is not None and advanced > entry:
        errors["advanced_value"] = _err(
            _("先进值（%(a)s）须不高于准入值（%(e)s）：数值越低越先进"), a=plain(advanced), e=plain(entry)
        )
    _refuse(errors)
    last = (
        CertRuler.objects.select_for_update()
        .filter(region=region_obj, industry_code=industry_code, kind=kind)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
        or 0
    )
    return effective.supersede(
        CertRuler,
        valid_from,
        region=region_obj,
        industry_code=industry_code,
        kind=kind,
        version=last + 1,
        sector_name=sector_name,
        metric=metric,
        unit=unit,
        entry_value=entry,
        advanced_value=advanced,
        min_reduction_pct=pct,
        principles=kept,
        source=source,
        note=(note or "")[:300],
        created_by=user,
    )


def seed_rulers(user: Any, region: Region | str, valid_from: datetime.date) -> list[CertRuler]:
    """The seed rulers (:data:`SEED_RULERS`), a project ruler and an enterprise ruler each, for the region."""
    out = []
    for spec in SEED_RULERS:
        for kind in CertKind.values:
            out.append(
                publish_ruler(
                    user,
                    region,
                    kind=kind,
                    valid_from=valid_from,
                    min_reduction_pct=SEED_MIN_REDUCTION[CertKind(kind)],
                    principles=list(CertPrinciple.values),
                    **spec,
                )
            )
    return out


def _related(enterprise_industry: str, code: str) -> bool:
    """A sector code the enterprise may apply under: within its registered industry, or containing it."""
    ind = str(enterprise_industry or "")
    return bool(ind) and (code.startswith(ind) or ind.startswith(code))


def rulers_in_force(region_code: str, day: datetime.date | None = None) -> list[CertRuler]:
    """Per sector and kind, the ruler in force on ``day`` for the region (the most specific region's)."""
    day = day or timezone.localdate()
    best: dict[tuple[str, str], CertRuler] = {}
    for r in CertRuler.objects.filter(effective.in_force_q(day)).select_related("region"):
        if not str(region_code).startswith(r.region.prefix):
            continue
        key = (r.industry_code, r.kind)
        cur = best.get(key)
        if cur is None or len(r.region.prefix) > len(cur.region.prefix):
            best[key] = r
    return sorted(best.values(), key=lambda r: (r.industry_code, r.kind))


def sectors_for(enterprise: Organisation, day: datetime.date | None = None) -> list[CertRuler]:
    """The rulers in force the enterprise may apply under (its region; sectors within its registered industry)."""
    industry = enterprise.industry_id or ""
    return [r for r in rulers_in_force(enterprise.region_id or "", day) if _related(industry, r.industry_code)]


def ruler_for(
    enterprise: Organisation, industry_code: str, kind: str, day: datetime.date | None = None
) -> CertRuler | None:
    return next((r for r in sectors_for(enterprise, day) if r.industry_code == industry_code and r.kind == kind), None)


# ------------------------------------------------------------------------------------------------ the account


def _dec(value: Any) -> Decimal:
    return Decimal(str(value or 0))


def plain(d: Decimal) -> str:
    """A Decimal without trailing zeros and never in exponent form (100.0000 → "100", 0.5000 → "0.5")."""
    return format(d.normalize(), "f")


def account_year(enterprise: Organisation | int, year: int) -> dict[str, Any] | None:
    """The enterprise's account over ``year`` (current entries, through ``accounting.services``): months accounted,
    total emissions, energy, value added and intensity, as strings to two decimals; None without any month."""
    ent = enterprise.pk if isinstance(enterprise, Organisation) else enterprise
    rows = list(accounting.current_entries("", [year], enterprise_ids=[ent]))
    if not rows:
        return None
    total = sum((_dec(r["total_tco2e"]) for r in rows), Decimal(0))
    energy = sum((_dec(r["energy_tce"]) for r in rows), Decimal(0))
    va = sum((_dec(r["value_added"]) for r in rows if r["value_added"] is not None), Decimal(0))
    out = {
        "year": year,
        "months": len({r["month"] for r in rows}),
        "total_tco2e": str(total.quantize(FEN)),
        "energy_tce": str(energy.quantize(FEN)),
        "value_added": str(va.quantize(FEN)),
        "intensity": str((total / va).quantize(Decimal("0.0001"))) if va > 0 else "",
        #: the year's emissions scaled to twelve months (= total when all twelve are accounted)
        "annual_tco2e": str((total * 12 / len({r["month"] for r in rows})).quantize(FEN)),
    }
    return out


# ------------------------------------------------------------------------------------------------ applications


def _require_owner(user: Any, enterprise: Organisation | int) -> None:
    if not access.can_report_for(user, enterprise):
        raise PermissionDenied(_("只有本企业的工作人员可以办理"))


def verifiers() -> Any:
    return Organisation.objects.filter(kind=Organisation.Kind.VERIFIER, is_active=True).order_by("name")


def _check(enterprise: Organisation, fields: dict[str, Any], day: datetime.date) -> dict[str, Any]:
    """The application's fields checked against the ruler in force: refused with every problem located."""
    errors: dict[str, Any] = {}
    out: dict[str, Any] = {}
    kind = str(fields.get("kind") or "")
    code = str(fields.get("industry_code") or "").strip()
    if kind not in CertKind.values:
        errors["kind"] = _("请选择认定类别：项目或企业")
    ruler = ruler_for(enterprise, code, kind, day) if kind in CertKind.values else None
    if kind in CertKind.values and ruler is None:
        label = Industry.objects.filter(code=code).values_list("name_zh", flat=True).first() or code or "—"
        errors["industry_code"] = _err(
            _("本地区尚未配置“%(sector)s”（%(code)s）行业的%(kind)s认定标准，暂不能申请；请选择已配置标准的行业"),
            sector=label,
            code=code or "—",
            kind=str(CertKind(kind).label),
        )
    name = str(fields.get("name") or "").strip()
    if not name or len(name) > 200:
        errors["name"] = _("请填写项目或企业名称（最多 200 个字符）")
    verifier = fields.get("verifier")
    vid = str(verifier.pk if isinstance(verifier, Organisation) else verifier or "").strip()
    vorg = verifiers().filter(pk=int(vid)).first() if vid.isdigit() else None
    if vorg is None:
        errors["verifier"] = _("请选择一家第三方核查机构")
    text = str(fields.get("baseline_year") or "").strip()
    year = int(text) if text.isdigit() else 0
    baseline = None
    if not 2000 <= year <= day.year:
        errors["baseline_year"] = _err(_("基准年须为 2000–%(y)s 之间的年份"), y=day.year)
    else:
        baseline = account_year(enterprise, year)
        if baseline is None:
            errors["baseline_year"] = _err(_("本企业 %(y)s 年没有碳账户数据，不能作为基准年"), y=year)
    declared = _decimal(fields.get("declared_value"), "declared_value", errors, places=4)
    savings = _decimal(fields.get("expected_savings_tce"), "expected_savings_tce", errors, places=2, positive=False)
    reduction = _decimal(fields.get("expected_reduction_tco2"), "expected_reduction_tco2", errors, places=2)
    investment = _decimal(fields.get("investment"), "investment", errors, places=2, high=MAX_INVESTMENT)
    evidence = str(fields.get("evidence") or "").strip()
    if not evidence or len(evidence) > 4000:
        errors["evidence"] = _("请说明佐证材料（可研报告、能评、监测数据等，最多 4000 个字符）")
    if ruler is not None and declared is not None and declared > ruler.entry_value:
        errors["declared_value"] = _err(
            _("申报的%(metric)s %(v)s %(unit)s 高于该行业准入值 %(limit)s %(unit)s（%(ruler)s），不符合准入条件"),
            metric=str(CertMetric(ruler.metric).label),
            v=plain(declared),
            unit=ruler.unit,
            limit=plain(ruler.entry_value),
            ruler=str(ruler),
        )
    if ruler is not None and reduction is not None and baseline is not None:
        total = _dec(baseline["annual_tco2e"])
        pct = (reduction / total * 100).quantize(FEN) if total > 0 else None
        if pct is None or pct < ruler.min_reduction_pct:
            errors["expected_reduction_tco2"] = _err(
                _(
                    "预期年减排 %(r)s tCO2 为基准年（%(y)s 年碳账户，折合全年 %(t)s tCO2）的 %(p)s%%，低于该行业准入"
                    "要求的 %(min)s%%"
                ),
                r=str(reduction),
                y=baseline["year"],
                t=baseline["annual_tco2e"],
                p=str(pct) if pct is not None else "—",
                min=str(ruler.min_reduction_pct),
            )
    _refuse(errors)
    assert ruler is not None and vorg is not None and baseline is not None
    out.update(
        kind=kind,
        industry_code=code,
        ruler=ruler,
        name=name,
        verifier=vorg,
        baseline_year=year,
        baseline=baseline,
        declared_value=declared,
        expected_savings_tce=savings,
        expected_reduction_tco2=reduction,
        investment=investment,
        evidence=evidence,
        evidence_ref=str(fields.get("evidence_ref") or "").strip()[:300],
    )
    return out


OPEN = (S.SUBMITTED, S.RETURNED, S.REVIEWED)


@transaction.atomic
def apply(user: Any, enterprise: Organisation, **fields: Any) -> CertApplication:
    """The enterprise applies: kind, sector code, name, verifier, baseline year, declared value, expected savings
    (tce) and reduction (tCO2), investment (yuan), evidence. Checked against the ruler in force; nothing written on a
    refusal."""
    _require_owner(user, enterprise)
    Organisation.objects.select_for_update().filter(pk=enterprise.pk).first()
    clean = _check(enterprise, fields, timezone.localdate())
    if CertApplication.objects.filter(
        enterprise=enterprise, kind=clean["kind"], name=clean["name"], status__in=OPEN
    ).exists():
        raise ValidationError({"name": _err(_("“%(n)s”已有一份处理中的认定申请"), n=clean["name"])})
    app = CertApplication.objects.create(enterprise=enterprise, applied_by=user, **clean)
    _event(app, user, "apply", "")
    return app


@transaction.atomic
def resubmit(user: Any, application: CertApplication, comment: str = "", **fields: Any) -> CertApplication:
    """The enterprise amends a returned application and submits it again (checked against the ruler in force)."""
    _require_owner(user, application.enterprise_id)
    app = CertApplication.objects.select_for_update().select_related("enterprise").get(pk=application.pk)
    before = app.status
    to = _move(app, "resubmit")
    merged = {
        "kind": app.kind,
        "industry_code": app.industry_code,
        "name": app.name,
        "verifier": app.verifier_id,
        "baseline_year": app.baseline_year,
        "declared_value": app.declared_value,
        "expected_savings_tce": app.expected_savings_tce,
        "expected_reduction_tco2": app.expected_reduction_tco2,
        "investment": app.investment,
        "evidence": app.evidence,
        "evidence_ref": app.evidence_ref,
    }
    merged.update({k: v for k, v in fields.items() if k in merged and v is not None})
    clean = _check(app.enterprise, merged, timezone.localdate())
    for k, v in clean.items():
        setattr(app, k, v)
    app.status = to
    app.save()
    _event(app, user, "resubmit", before, (comment or "").strip()[:2000])
    return app


def _require_verifier(user: Any, app: CertApplication) -> None:
    if app.verifier_id not in access.actor_for(user).verifier_ids:
        raise PermissionDenied(_("只有该申请指定的核查机构可以核查"))


@transaction.atomic
def review(
    user: Any, application: CertApplication, *, approve: bool, checks: dict[str, Any], comment: str = ""
) -> CertApplication:
    """The verifier named in the application checks each principle of the ruler (``checks``: principle → {"ok":
    bool, "note": str}) and passes the application on (every principle met) or returns it with comments."""
    _require_verifier(user, application)
    app = CertApplication.objects.select_for_update().select_related("ruler").get(pk=application.pk)
    before = app.status
    to = _move(app, "pass" if approve else "return")
    errors: dict[str, Any] = {}
    comment = (comment or "").strip()
    kept: dict[str, dict[str, Any]] = {}
    for p in app.ruler.principles:
        c = (checks or {}).get(p)
        if not isinstance(c, dict) or not isinstance(c.get("ok"), bool):
            errors["checks"] = _err(_("请逐项核查原则：“%(p)s”未给出结论"), p=str(CertPrinciple(p).label))
            break
        kept[p] = {"ok": c["ok"], "note": str(c.get("note") or "")[:500]}
    if approve and not errors:
        missed = [str(CertPrinciple(p).label) for p, c in kept.items() if not c["ok"]]
        if missed:
            errors["checks"] = _err(_("“%(p)s”未通过核查，不能核查通过；请退回修改"), p="、".join(missed))
    if not approve and not comment:
        errors["comment"] = _("退回须写明核查意见")
    if len(comment) > 2000:
        errors["comment"] = _("核查意见最多 2000 个字符")
    _refuse(errors)
    app.status, app.principle_checks, app.review_comment = to, kept, comment
    app.reviewed_by, app.reviewed_at = user, timezone.now()
    if not approve:
        app.returns += 1
    app.save()
    _event(app, user, "pass" if approve else "return", before, comment)
    return app


def _require_government(user: Any, app: CertApplication) -> None:
    if not _governs(user, app.enterprise.region_id or ""):
        raise PermissionDenied(_("只有企业所在地的政府工作人员可以办理认定"))


def _date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    return services.parse_date(str(value or ""))


@transaction.atomic
def certify(user: Any, application: CertApplication, *, valid_from: Any, valid_until: Any) -> CertApplication:
    """Government certifies a reviewed application for a validity period (at most five years): the entry enters the
    project or enterprise library."""
    _require_government(user, application)
    app = CertApplication.objects.select_for_update().select_related("enterprise").get(pk=application.pk)
    before = app.status
    to = _move(app, "certify")
    start, end = _date(valid_from), _date(valid_until)
    errors: dict[str, Any] = {}
    if start is None:
        errors["valid_from"] = _("有效期起须为 YYYY-MM-DD 格式的日期")
    if end is None:
        errors["valid_until"] = _("有效期至须为 YYYY-MM-DD 格式的日期")
    elif start is not None:
        if end <= start:
            errors["valid_until"] = _err(
                _("有效期至（%(e)s）须晚于有效期起（%(s)s）"), e=end.isoformat(), s=start.isoformat()
            )
        elif (end - start).days > 366 * MAX_VALIDITY_YEARS:
            errors["valid_until"] = _err(_("认定有效期最长 %(n)s 年"), n=MAX_VALIDITY_YEARS)
    _refuse(errors)
    app.status, app.valid_from, app.valid_until = to, start, end
    app.decided_by, app.decided_at = user, timezone.now()
    app.save()
    _event(app, user, "certify", before, f"{start} – {end}")
    _facts_changed([app.enterprise_id])
    return app


def _reason(reason: str, what: Any) -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise ValidationError({"reason": _err(_("%(w)s须写明理由（最多 500 个字符）"), w=str(what))})
    return reason


@transaction.atomic
def reject(user: Any, application: CertApplication, reason: str) -> CertApplication:
    _require_government(user, application)
    app = CertApplication.objects.select_for_update().select_related("enterprise").get(pk=application.pk)
    before = app.status
    to = _move(app, "reject")
    app.reason = _reason(reason, MOVE_LABELS["reject"])
    app.status, app.decided_by, app.decided_at = to, user, timezone.now()
    app.save()
    _event(app, user, "reject", before, app.reason)
    return app


@transaction.atomic
def flag_major_event(user: Any, application: CertApplication, note: str) -> CertApplication:
    """Government flags a certified entry for a major event (an accident, a penalty, a change of the project); the
    entry stays in the library, marked, until it is revoked or the flag is read by the banks."""
    _require_government(user, application)
    app = CertApplication.objects.select_for_update().select_related("enterprise").get(pk=application.pk)
    before = app.status
    _move(app, "flag")
    app.major_event_note = _reason(note, MOVE_LABELS["flag"])
    app.major_event = True
    app.save()
    _event(app, user, "flag", before, app.major_event_note)
    return app


@transaction.atomic
def revoke(user: Any, application: CertApplication, reason: str) -> CertApplication:
    _require_government(user, application)
    app = CertApplication.objects.select_for_update().select_related("enterprise").get(pk=application.pk)
    before = app.status
    to = _move(app, "revoke")
    app.reason = _reason(reason, MOVE_LABELS["revoke"])
    app.status, app.decided_by, app.decided_at = to, user, timezone.now()
    app.save()
    _event(app, user, "revoke", before, app.reason)
    _facts_changed([app.enterprise_id])
    return app


@transaction.atomic
def expire_lapsed(user: Any = None, day: datetime.date | None = None) -> int:
    """Certified entries whose validity ended before ``day`` leave the library (status expired); returns how many.
    ``user`` is recorded as who ran it (None: the platform's scheduled run, ``dualcarbon expire_certifications``)."""
    day = day or timezone.localdate()
    n = 0
    lapsed: set[int] = set()
    for app in CertApplication.objects.select_for_update().filter(status=S.CERTIFIED, valid_until__lt=day):
        app.status = S.EXPIRED
        app.save(update_fields=["status", "updated_at"])
        _event(app, user, "expire", S.CERTIFIED, str(app.valid_until))
        lapsed.add(app.enterprise_id)
        n += 1
    if lapsed:
        _facts_changed(sorted(lapsed))
    return n


def _facts_changed(enterprise_ids: list[int]) -> None:
    """The certification fact (rating.facts) of these enterprises may have changed: policy matches them again (in
    this transaction; docs/architecture.md § The flow)."""
    rating_signals.facts_changed.send(sender=CertApplication, enterprise_ids=enterprise_ids, fact="certification")


def certification_facts(enterprise_ids: list[int], day: datetime.date) -> dict[int, tuple[str, dict[str, Any]]]:
    """The ``certification`` account fact (registered with rating.facts by FinanceConfig.ready): ``enterprise`` when
    the enterprise is in the enterprise library on ``day``, else ``project`` when one of its projects is in the
    project library, else ``none``; the source names the entries and the day. One query."""
    entries: dict[int, list[tuple[int, str]]] = {}
    for pk, ent, kind in (
        CertApplication.objects.filter(
            enterprise_id__in=enterprise_ids, status=S.CERTIFIED, valid_from__lte=day, valid_until__gte=day
        )
        .order_by("pk")
        .values_list("pk", "enterprise_id", "kind")
    ):
        entries.setdefault(ent, []).append((pk, kind))
    out: dict[int, tuple[str, dict[str, Any]]] = {}
    for ent, rows in entries.items():
        kinds = {k for _pk, k in rows}
        value = CertKind.ENTERPRISE.value if CertKind.ENTERPRISE in kinds else CertKind.PROJECT.value
        out[ent] = (value, {"kind": "certification", "applications": [pk for pk, _k in rows], "as_of": day.isoformat()})
    return out


def in_library(app: CertApplication, day: datetime.date | None = None) -> bool:
    day = day or timezone.localdate()
    return (
        app.status == S.CERTIFIED
        and app.valid_from is not None
        and app.valid_until is not None
        and app.valid_from <= day <= app.valid_until
    )


@transaction.atomic
def push_library(
    user: Any,
    region: Region | str,
    *,
    title: str,
    kind: str,
    entries: Iterable[int | str],
    banks: Iterable[int | str],
) -> CertPush:
    """Government pushes entries of its jurisdiction's project or enterprise library to the banks it chooses."""
    code = region.code if isinstance(region, Region) else str(region or "")
    if not _governs(user, code):
        raise PermissionDenied(_("只有该地区的政府工作人员可以推送认定库"))
    region_obj = _region(code)
    errors: dict[str, Any] = {}
    title = (title or "").strip()
    if not title or len(title) > 200:
        errors["title"] = _("请填写推送名称（最多 200 个字符）")
    if kind not in CertKind.values:
        errors["kind"] = _("请选择项目库或企业库")
    ids = sorted({int(e) for e in entries if str(e).strip().isdigit()})
    rows = [
        a
        for a in CertApplication.objects.filter(pk__in=ids, kind=kind).filter(
            access.prefix_q("enterprise__region_id", region_obj.prefix)
        )
        if in_library(a)
    ]
    if not ids:
        errors["entries"] = _("请至少选择一个入库条目")
    elif len(rows) != len(ids):
        errors["entries"] = _("所选条目须为本辖区该库中有效期内的已认定条目")
    bank_ids = sorted({int(b) for b in banks if str(b).strip().isdigit()})
    bank_rows = list(services.banks().filter(pk__in=bank_ids))
    if not bank_ids:
        errors["banks"] = _("请至少选择一家银行")
    elif len(bank_rows) != len(bank_ids):
        errors["banks"] = _("所选银行无效")
    _refuse(errors)
    push = CertPush.objects.create(region=region_obj, title=title, kind=kind, pushed_by=user)
    push.entries.set(rows)
    push.banks.set(bank_rows)
    return push


# ------------------------------------------------------------------------------------------------ follow-up


@dataclass(frozen=True)
class FollowupYear:
    """One year after the baseline: the expected reduction against the one achieved in the account
    (baseline total − the year's total; a project's achievement is read at the enterprise's account, which holds it)."""

    year: int
    months: int
    total_tco2e: Decimal
    expected_tco2: Decimal
    achieved_tco2: Decimal
    #: achieved ÷ expected × 100, to 0.1 %
    share_pct: Decimal | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "months": self.months,
            "total_tco2e": str(self.total_tco2e),
            "expected_tco2": str(self.expected_tco2),
            "achieved_tco2": str(self.achieved_tco2),
            "share_pct": None if self.share_pct is None else str(self.share_pct),
        }


def followup(app: CertApplication, until: int | None = None) -> list[FollowupYear]:
    """Each year from the one after the baseline until ``until`` (this year) with any month in the account."""
    until = until or timezone.localdate().year
    base = _dec((app.baseline or {}).get("annual_tco2e"))
    out = []
    for year in range(app.baseline_year + 1, until + 1):
        acc = account_year(app.enterprise_id, year)
        if acc is None:
            continue
        total = _dec(acc["total_tco2e"])
        months = int(acc["months"])
        # a part year is compared with the baseline (scaled to twelve months) pro rata to the months accounted
        achieved = (base * months / 12 - total).quantize(FEN)
        expected = (app.expected_reduction_tco2 * months / 12).quantize(FEN)
        share = (achieved / expected * 100).quantize(Decimal("0.1")) if expected > 0 else None
        out.append(FollowupYear(year, months, total, expected, achieved, share))
    return out


# ------------------------------------------------------------------------------------------------ disclosure

#: the disclosure template of a library entry (docs/finance.md § Disclosure of a library entry): its version and
#: sections, in order; each section's content is built by :func:`disclosure`
DISCLOSURE_TEMPLATE = "v1"
DISCLOSURE_SECTIONS = ("entry", "ruler", "targets", "progress", "events")


def disclosure(app: CertApplication, until: int | None = None) -> dict[str, Any] | None:
    """The disclosure of a certified (or once certified: expired, revoked) library entry after template v1: the entry
    and its validity, the ruler and the declared value against it, the expected savings, reduction and investment,
    the progress each year (expected against achieved, from the follow-up) and the major events and status changes.
    None: never certified (nothing to disclose). Figures are strings as printed."""
    if app.status not in (S.CERTIFIED, S.EXPIRED, S.REVOKED) or app.valid_from is None:
        return None
    r = app.ruler
    events = [
        {"at": e.at.isoformat(), "action": e.action, "to": e.status_to, "comment": e.comment}
        for e in app.events.all()
        if e.action in ("certify", "flag", "revoke", "expire")
    ]
    return {
        "template": DISCLOSURE_TEMPLATE,
        "entry": {
            "id": app.pk,
            "name": app.name,
            "kind": app.kind,
            "enterprise": app.enterprise.name,
            "uscc": app.enterprise.uscc or "",
            "status": str(app.status),
            "valid_from": app.valid_from.isoformat(),
            "valid_until": app.valid_until.isoformat() if app.valid_until else "",
            "major_event": app.major_event,
            "major_event_note": app.major_event_note,
        },
        "ruler": {
            "sector": f"{r.sector_name}（{r.industry_code}）",
            "version": r.version,
            "metric": r.metric,
            "unit": r.unit,
            "entry_value": str(r.entry_value.normalize()),
            "advanced_value": str(r.advanced_value.normalize()),
            "declared_value": str(app.declared_value.normalize()),
            "advanced": app.declared_value <= r.advanced_value,
            "source": r.source,
        },
        "targets": {
            "baseline_year": app.baseline_year,
            "baseline_annual_tco2e": str((app.baseline or {}).get("annual_tco2e", "")),
            "expected_savings_tce": str(app.expected_savings_tce),
            "expected_reduction_tco2": str(app.expected_reduction_tco2),
            "investment": str(app.investment),
        },
        "progress": [y.as_dict() for y in followup(app, until)],
        "events": events,
    }

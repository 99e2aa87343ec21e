"""KPI-linked loans (挂钩贷款, docs/finance.md § KPI-linked loans): the KPIs a bank attaches to a loan, their
evaluation each year from the borrower's account (through the lower layers' services: ``rating.facts`` for the
grade and intensity, ``accounting.services`` for the emissions and the tier share), from finance's own
certification follow-up (a certified project's achieved reduction) or from an external score the bank enters with
evidence; the loan's rate stepped by the outcome, each step with the evaluation that made it; and the bank's own
alerts (a KPI missed, the borrower's grade lowered) — bank-facing only, never government's.

The only writer of ``LoanKpi``, ``KpiScore``, ``KpiEvaluation``, ``LoanRateChange`` and ``BankAlert``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from dualcarbon.accounting import services as accounting
from dualcarbon.rating import facts as account_facts
from dualcarbon.registry import access

from . import certification
from .models import (
    BankAlert,
    CertApplication,
    CertKind,
    KpiEvaluation,
    KpiMetric,
    KpiScore,
    Loan,
    LoanKpi,
    LoanRateChange,
)

#: the unit each metric read from the account is stated in; a target in another unit is refused
UNITS: dict[str, str] = {
    KpiMetric.INTENSITY: "tCO2/万元",
    KpiMetric.EMISSIONS: "tCO2e",
    KpiMetric.GRADE: "级",
    KpiMetric.TIER_SHARE: "%",
    KpiMetric.CERT_REDUCTION: "tCO2",
}
#: spellings of a unit accepted as the same unit (nothing is converted)
ALIASES: dict[str, set[str]] = {
    KpiMetric.INTENSITY: {"tco2/万元", "tco2e/万元"},
    KpiMetric.EMISSIONS: {"tco2e", "tco2", "吨"},
    KpiMetric.GRADE: {"级", "grade"},
    KpiMetric.TIER_SHARE: {"%", "％"},
    KpiMetric.CERT_REDUCTION: {"tco2", "tco2e", "吨"},
}
#: True: a figure at or above the target meets it
HIGHER_IS_BETTER: dict[str, bool] = {
    KpiMetric.INTENSITY: False,
    KpiMetric.EMISSIONS: False,
    KpiMetric.GRADE: False,
    KpiMetric.TIER_SHARE: True,
    KpiMetric.CERT_REDUCTION: True,
}
#: a KPI's step, met or missed, is at most this many bp either way (a platform convention against typing errors)
STEP_BOUND = 300
#: the loan's rate stays within the platform's bounds (as a decision's, docs/finance.md § Loans)
RATE_MIN, RATE_MAX = 1, 2400
FOUR = Decimal("0.0001")

ALERT_MISSED = gettext_noop(
    "贷款 %(loan)s（%(enterprise)s）挂钩指标“%(kpi)s”%(year)s 年未达标：实际 %(figure)s %(unit)s，"
    "目标 %(op)s %(target)s %(unit)s；利率 %(before)s → %(after)s 基点"
)
STEP_REASON = gettext_noop(
    "%(kpi)s %(year)s 年%(outcome)s：实际 %(figure)s %(unit)s，目标 %(op)s %(target)s %(unit)s，调整 %(step)+d 基点"
)
ALERT_DOWNGRADE = gettext_noop(
    "贷款 %(loan)s 的借款企业 %(enterprise)s %(year)s 年碳效等级为 %(grade)s 级，低于放款时的 %(booked)s 级"
)


def _err(field: str, message: Any, **params: Any) -> ValidationError:
    return ValidationError({field: ValidationError(message, params=params)})


def _refuse(errors: dict[str, Any]) -> None:
    if errors:
        raise ValidationError(errors)


def _dec(value: Any) -> Decimal | None:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def can_manage(user: Any, loan: Loan) -> bool:
    """The staff of the bank that granted the loan (not the platform admin, not government)."""
    return loan.bank_id in access.actor_for(user).bank_ids


# ------------------------------------------------------------------------------------------------ targets


TARGET_LINE = re.compile(r"^\s*(\d{4})\s*[:：=]?\s*([-+]?\d+(?:\.\d+)?)\s*(\S.*?)?\s*$")


def parse_targets(text: str) -> list[dict[str, str]]:
    """Form text, one target a line — 「2025: 0.85 tCO2/万元」 — as ``{"year", "value", "unit"}`` (a line that does
    not read is refused, naming it)."""
    out = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        m = TARGET_LINE.match(line)
        if m is None:
            raise _err("targets", _("第 %(n)s 行“%(line)s”读不出“年度: 目标值 单位”"), n=n, line=line.strip()[:60])
        out.append({"year": m.group(1), "value": m.group(2), "unit": (m.group(3) or "").strip()})
    return out


def _targets(metric: str, unit: str, raw: Iterable[dict[str, Any]]) -> dict[str, str]:
    """The targets by year, each checked: a year 2000–2100, a number, in the metric's unit (nothing converted)."""
    label = KpiMetric(metric).label
    out: dict[str, str] = {}
    for t in raw:
        year = str(t.get("year", "")).strip()
        if not year.isdigit() or not 2000 <= int(year) <= 2100:
            raise _err("targets", _("目标年度“%(y)s”无效（2000–2100 年）"), y=year[:8])
        value = _dec(t.get("value", ""))
        if value is None:
            raise _err("targets", _("%(y)s 年的目标值“%(v)s”不是数字"), y=year, v=str(t.get("value", ""))[:20])
        given = str(t.get("unit", "")).strip()
        accepted = ALIASES.get(metric, set()) | {unit.lower()}
        if given.lower() not in accepted:
            raise _err(
                "targets",
                _("“%(kpi)s”的目标须以 %(unit)s 表示，%(y)s 年的目标“%(v)s %(given)s”单位不符"),
                kpi=label,
                unit=unit,
                y=year,
                v=t.get("value", ""),
                given=given or _("（未写单位）"),
            )
        if metric == KpiMetric.GRADE and (value != value.to_integral_value() or not 1 <= value <= 5):
            raise _err("targets", _("碳效等级目标须为 1–5 级的整数（%(y)s 年为 %(v)s）"), y=year, v=value)
        if metric == KpiMetric.TIER_SHARE and not 0 <= value <= 100:
            raise _err("targets", _("一级数据占比目标须在 0–100%% 之间（%(y)s 年为 %(v)s）"), y=year, v=value)
        if year in out:
            raise _err("targets", _("%(y)s 年的目标重复"), y=year)
        out[year] = str(value.quantize(FOUR).normalize())
    if not out:
        raise _err("targets", _("请至少填写一个年度目标"))
    return dict(sorted(out.items()))


def _step(field: str, value: Any) -> int:
    text = str(value if value is not None else "").strip()
    if not re.fullmatch(r"[-+]?\d{1,4}", text) or abs(int(text)) > STEP_BOUND:
        raise _err(field, _("利率调整须为 −%(b)s 至 %(b)s 之间的整数基点（现为“%(v)s”）"), b=STEP_BOUND, v=text[:12])
    return int(text)


# ------------------------------------------------------------------------------------------------ writing KPIs


@transaction.atomic
def add_kpi(
    user: Any,
    loan: Loan,
    *,
    metric: str,
    name: str = "",
    targets: Iterable[dict[str, Any]] | str,
    step_met_bp: Any,
    step_missed_bp: Any,
    unit: str = "",
    higher_is_better: bool | None = None,
    project: Any = None,
    source: str = "",
) -> LoanKpi:
    """Attach a KPI to a loan (the bank's staff). Refused, nothing written: an unknown metric, a target in another
    unit than the metric's (or the score's), a step outside ±300 bp, a rate the steps could take outside 1–2400 bp,
    a reduction KPI without a certified project of the borrower, a score KPI without its unit or source."""
    if not can_manage(user, loan):
        raise PermissionDenied(_("只有放款银行的工作人员可以设置挂钩指标"))
    if metric not in KpiMetric.values:
        raise _err("metric", _("请选择指标"))
    errors: dict[str, Any] = {}
    proj: CertApplication | None = None
    if metric == KpiMetric.EXTERNAL:
        unit = (unit or "").strip()
        source = (source or "").strip()
        if not unit or len(unit) > 20:
            errors["unit"] = _("请填写外部评分的单位（如“分”，最多 20 个字符）")
        if not source or len(source) > 200:
            errors["source"] = _("请填写评分来源（评分名称及出具机构，最多 200 个字符）")
        higher = True if higher_is_better is None else bool(higher_is_better)
    else:
        unit = UNITS[metric]
        higher = HIGHER_IS_BETTER[metric]
        source = ""
    if metric == KpiMetric.CERT_REDUCTION:
        pid = str(getattr(project, "pk", project) or "").strip()
        proj = (
            CertApplication.objects.filter(
                pk=int(pid), enterprise_id=loan.enterprise_id, kind=CertKind.PROJECT, status="certified"
            ).first()
            if pid.isdigit()
            else None
        )
        if proj is None:
            errors["project"] = _("请选择借款企业已认定的降碳转型升级项目")
    _refuse(errors)
    name = (name or "").strip()[:120] or str(KpiMetric(metric).label)
    rows = parse_targets(targets) if isinstance(targets, str) else list(targets)
    checked = _targets(metric, unit, rows)
    met = _step("step_met_bp", step_met_bp)
    missed = _step("step_missed_bp", step_missed_bp)
    base = base_rate(loan)
    others = list(loan.kpis.all())
    low = base + sum(min(k.step_met_bp, k.step_missed_bp, 0) for k in others) + min(met, missed, 0)
    high = base + sum(max(k.step_met_bp, k.step_missed_bp, 0) for k in others) + max(met, missed, 0)
    if low < RATE_MIN or high > RATE_MAX:
        raise _err(
            "step_missed_bp",
            _("按各指标的调整，利率可能在 %(low)s–%(high)s 基点之间，超出 %(min)s–%(max)s 基点"),
            low=low,
            high=high,
            min=RATE_MIN,
            max=RATE_MAX,
        )
    kpi = LoanKpi.objects.create(
        loan=loan,
        metric=metric,
        name=name,
        unit=unit,
        higher_is_better=higher,
        targets=checked,
        step_met_bp=met,
        step_missed_bp=missed,
        project=proj,
        source=source,
        created_by=user,
    )
    for year in checked:
        evaluate(kpi, int(year), KpiEvaluation.Trigger.KPI)
    return kpi


@transaction.atomic
def enter_score(user: Any, kpi: LoanKpi, *, year: Any, value: Any, evidence: Any, evidence_note: str) -> KpiScore:
    """The bank enters an external score for a year with its evidence (a file and what it is); the KPI is evaluated
    at once."""
    if not can_manage(user, kpi.loan):
        raise PermissionDenied(_("只有放款银行的工作人员可以录入外部评分"))
    errors: dict[str, Any] = {}
    if kpi.metric != KpiMetric.EXTERNAL:
        raise _err("kpi", _("该指标从碳账户读取，不能录入评分"))
    y = str(year or "").strip()
    if y not in (kpi.targets or {}):
        errors["year"] = _("请选择设有目标的年度（%(years)s）")
    v = _dec(value)
    if v is None or v < 0:
        errors["value"] = _("评分须为不小于零的数字")
    if not evidence:
        errors["evidence"] = _("请上传佐证文件")
    elif getattr(evidence, "size", 0) > 10 * 1024 * 1024:
        errors["evidence"] = _("佐证文件不能超过 10 MB")
    note = (evidence_note or "").strip()
    if not note or len(note) > 500:
        errors["evidence_note"] = _("请说明佐证文件是什么（如验收意见书的文号，最多 500 个字符）")
    if errors:
        if "year" in errors:
            errors["year"] = ValidationError(errors["year"], params={"years": "、".join(kpi.targets or {})})
        raise ValidationError(errors)
    assert v is not None
    score = KpiScore.objects.create(
        kpi=kpi, year=int(y), value=v, evidence=evidence, evidence_note=note, entered_by=user
    )
    evaluate(kpi, int(y), KpiEvaluation.Trigger.SCORE)
    return score


# ------------------------------------------------------------------------------------------------ the figures


def _year_entries(enterprise_id: int, year: int) -> list[dict[str, Any]]:
    return list(accounting.current_entries("", [year], enterprise_ids=[enterprise_id]))


def read_figure(kpi: LoanKpi, year: int) -> tuple[Decimal, dict[str, Any]] | None:
    """The KPI's figure for ``year`` and its lineage; None while there is none to read (a year not graded, not
    wholly accounted, no score entered)."""
    ent = kpi.loan.enterprise_id
    metric = kpi.metric
    if metric in (KpiMetric.INTENSITY, KpiMetric.GRADE):
        facts = account_facts.facts_for(ent, year)
        fact = facts.facts.get(metric) if facts is not None else None
        if fact is None or fact.value is None:
            return None
        return Decimal(str(fact.value)).quantize(FOUR), {"kind": "rating_facts", "fact": metric, "source": fact.source}
    if metric in (KpiMetric.EMISSIONS, KpiMetric.TIER_SHARE):
        rows = _year_entries(ent, year)
        if len({r["month"] for r in rows}) < 12:
            return None  # only a whole year is evaluated
        ids = sorted(r["id"] for r in rows)
        if metric == KpiMetric.EMISSIONS:
            total = sum((Decimal(str(r["total_tco2e"])) for r in rows), Decimal(0)).quantize(FOUR)
            return total, {"kind": "account_entries", "year": year, "entries": ids, "sum": "total_tco2e"}
        tiers: dict[str, Decimal] = {}
        for r in rows:
            for k, v in (r["by_tier"] or {}).items():
                tiers[str(k)] = tiers.get(str(k), Decimal(0)) + abs(Decimal(str(v)))
        whole = sum(tiers.values(), Decimal(0))
        if whole <= 0:
            return None
        share = (tiers.get("1", Decimal(0)) / whole * 100).quantize(FOUR)
        tier_sums = {k: str(v) for k, v in tiers.items()}
        return share, {"kind": "account_entries", "year": year, "entries": ids, "tiers": tier_sums}
    if metric == KpiMetric.CERT_REDUCTION:
        if kpi.project is None:
            return None
        for row in certification.followup(kpi.project, until=year):
            if row.year == year and row.months == 12:
                return Decimal(row.achieved_tco2).quantize(FOUR), {
                    "kind": "cert_followup",
                    "project": kpi.project_id,
                    "year": year,
                    "baseline_annual_tco2e": str((kpi.project.baseline or {}).get("annual_tco2e", "")),
                    "year_total_tco2e": str(row.total_tco2e),
                }
        return None
    score = kpi.scores.filter(year=year).order_by("-entered_at", "-pk").first()
    if score is None:
        return None
    return Decimal(score.value).quantize(FOUR), {
        "kind": "external_score",
        "score": score.pk,
        "source": kpi.source,
        "evidence": score.evidence.name,
        "evidence_note": score.evidence_note,
        "entered_by": score.entered_by_id,
        "entered_at": score.entered_at.isoformat(),
    }


# ------------------------------------------------------------------------------------------------ evaluation


def base_rate(loan: Loan) -> int:
    """The rate the bank approved (the KPIs' steps are added to it)."""
    return int(loan.application.approved_rate_bp or loan.rate_bp)


def kpi_rate(loan: Loan) -> tuple[int, list[tuple[LoanKpi, KpiEvaluation | None]]]:
    """The loan's rate now: the approved rate plus, for each KPI, the step of its latest evaluated year (met or
    missed); with each KPI and that evaluation."""
    rate = base_rate(loan)
    parts = []
    for k in loan.kpis.all():
        last = k.evaluations.order_by("-year", "-evaluated_at", "-pk").first()
        parts.append((k, last))
        rate += last.step_bp if last is not None else 0
    return max(RATE_MIN, min(RATE_MAX, rate)), parts


def _both(template: str, params: dict[str, Any]) -> tuple[str, str]:
    out = []
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            out.append((gettext(template) % {k: str(v) for k, v in params.items()})[:500])
    return out[0], out[1]


def _fmt(d: Decimal) -> str:
    return f"{d.normalize():f}"


def evaluate(kpi: LoanKpi, year: int, trigger: str) -> KpiEvaluation | None:
    """Evaluate a KPI for a year: read the figure, compare it with the year's target and store the evaluation —
    only when the figure or the outcome differs from the last one stored for that year. Then step the loan's rate
    when its KPI rate moved, and alert the bank on a miss. None: nothing new (no target, no figure, unchanged)."""
    target = _dec((kpi.targets or {}).get(str(year)))
    if target is None:
        return None
    read = read_figure(kpi, year)
    if read is None:
        return None
    figure, lineage = read
    met = figure >= target if kpi.higher_is_better else figure <= target
    outcome = KpiEvaluation.Outcome.MET if met else KpiEvaluation.Outcome.MISSED
    last = kpi.evaluations.filter(year=year).order_by("-evaluated_at", "-pk").first()
    if last is not None and last.figure == figure and last.outcome == outcome:
        return None
    with transaction.atomic():
        loan = Loan.objects.select_for_update().select_related("application", "enterprise").get(pk=kpi.loan_id)
        ev = KpiEvaluation.objects.create(
            kpi=kpi,
            year=year,
            figure=figure,
            target=target,
            outcome=outcome,
            step_bp=kpi.step_met_bp if met else kpi.step_missed_bp,
            lineage=lineage,
            trigger=trigger,
        )
        before = loan.rate_bp
        after, _parts = kpi_rate(loan)
        if after != before:
            LoanRateChange.objects.create(loan=loan, rate_from=before, rate_to=after, evaluation=ev)
            loan.rate_bp = after
            loan.save(update_fields=["rate_bp"])
        if not met:
            zh, en = _both(
                ALERT_MISSED,
                {
                    "loan": loan.number,
                    "enterprise": loan.enterprise.name,
                    "kpi": kpi.name,
                    "year": year,
                    "figure": _fmt(figure),
                    "unit": kpi.unit,
                    "op": "≥" if kpi.higher_is_better else "≤",
                    "target": _fmt(target),
                    "before": before,
                    "after": after,
                },
            )
            BankAlert.objects.get_or_create(
                loan=loan,
                kind=BankAlert.Kind.KPI_MISSED,
                subject=f"kpi:{kpi.pk}:{year}",
                defaults={
                    "bank_id": loan.bank_id,
                    "evaluation": ev,
                    "message_zh": zh,
                    "message_en": en,
                    "evidence": {"evaluation": ev.pk, "figure": str(figure), "target": str(target), **lineage},
                },
            )
    return ev


def evaluate_enterprises(enterprise_ids: Iterable[int], years: Iterable[int], trigger: str) -> list[KpiEvaluation]:
    """Evaluate every KPI of the loans to these enterprises for these years (those with a target)."""
    ids, ys = sorted(set(enterprise_ids)), sorted(set(years))
    out: list[KpiEvaluation] = []
    if not ids or not ys:
        return out
    for kpi in LoanKpi.objects.filter(loan__enterprise_id__in=ids).select_related("loan", "project"):
        for year in ys:
            if str(year) in (kpi.targets or {}):
                ev = evaluate(kpi, year, trigger)
                if ev is not None:
                    out.append(ev)
    return out


def evaluate_all(until: int | None = None) -> list[KpiEvaluation]:
    """The command's run (``dualcarbon evaluate_loan_kpis``): every KPI for every target year up to ``until``."""
    until = until or timezone.localdate().year
    out: list[KpiEvaluation] = []
    for kpi in LoanKpi.objects.select_related("loan", "project"):
        for y in sorted(int(y) for y in (kpi.targets or {})):
            if y <= until:
                ev = evaluate(kpi, y, KpiEvaluation.Trigger.COMMAND)
                if ev is not None:
                    out.append(ev)
    return out


def downgrade_alerts(results: Iterable[Any], year: int) -> list[BankAlert]:
    """A bank's alert for each of its loans whose borrower's annual grade of ``year`` is lower (a larger number)
    than when the loan was booked; once per loan and year."""
    grades = {r.enterprise_id: r.grade for r in results if getattr(r, "grade", None)}
    out: list[BankAlert] = []
    if not grades:
        return out
    for loan in Loan.objects.filter(enterprise_id__in=list(grades), grade__isnull=False).select_related("enterprise"):
        now = grades[loan.enterprise_id]
        if loan.grade is None or now <= loan.grade:
            continue
        zh, en = _both(
            ALERT_DOWNGRADE,
            {"loan": loan.number, "enterprise": loan.enterprise.name, "year": year, "grade": now, "booked": loan.grade},
        )
        alert, created = BankAlert.objects.get_or_create(
            loan=loan,
            kind=BankAlert.Kind.DOWNGRADE,
            subject=f"grade:{year}",
            defaults={
                "bank_id": loan.bank_id,
                "message_zh": zh,
                "message_en": en,
                "evidence": {"year": year, "grade": now, "grade_when_booked": loan.grade},
            },
        )
        if created:
            out.append(alert)
    return out


# ------------------------------------------------------------------------------------------------ receivers


def on_accounts_computed(sender: Any, submissions: Iterable[Any] = (), **kwargs: Any) -> None:
    """Receiver of ``accounting.signals.accounts_computed``: the months of these enterprises changed → evaluate their
    loans' KPIs for those years (in the computation's transaction)."""
    subs = list(submissions)
    if not subs or not LoanKpi.objects.exists():
        return
    evaluate_enterprises((s.enterprise_id for s in subs), {s.period.year for s in subs}, KpiEvaluation.Trigger.ACCOUNTS)


def on_ratings_stored(sender: Any, results: Iterable[Any] = (), year: int = 0, month: int = 0, **kwargs: Any) -> None:
    """Receiver of ``rating.signals.ratings_stored``: annual grades changed → evaluate those borrowers' KPIs for the
    year and alert the banks whose borrower was downgraded."""
    if month or not Loan.objects.exists():
        return
    rows = list(results)
    evaluate_enterprises((r.enterprise_id for r in rows), [year], KpiEvaluation.Trigger.RATINGS)
    downgrade_alerts(rows, year)


# ------------------------------------------------------------------------------------------------ alerts read


def unread_alerts(user: Any) -> int:
    """The count of the user's banks' unread alerts (on the bank's pages, the navigation's 贷后预警)."""
    from . import scoping

    return scoping.bank_alerts(user).filter(read_at__isnull=True).count()


def mark_read(user: Any, alert: BankAlert) -> BankAlert:
    if alert.bank_id not in access.actor_for(user).bank_ids:
        raise PermissionDenied(_("只有该银行的工作人员可以处理本行预警"))
    if alert.read_at is None:
        alert.read_at = timezone.now()
        alert.read_by = user
        alert.save(update_fields=["read_at", "read_by"])
    return alert


def step_reason(change: LoanRateChange) -> str:
    """Why a rate step happened, in the reader's language."""
    ev = change.evaluation
    kpi = ev.kpi
    return gettext(STEP_REASON) % {
        "kpi": kpi.name,
        "year": ev.year,
        "outcome": ev.get_outcome_display(),
        "figure": _fmt(ev.figure),
        "unit": kpi.unit,
        "op": "≥" if kpi.higher_is_better else "≤",
        "target": _fmt(ev.target),
        "step": ev.step_bp,
    }

"""The alert rules: one evaluator per :class:`~.models.AlertRule` kind, and :func:`evaluate_alerts`, which runs
the active rules over a region and a month and inserts the new alerts in bulk.

* ``mom_jump``: a month's total above (1 + threshold) × the month before's;
* ``intensity_above_benchmark``: a month's intensity above factor × its division's benchmark in the rule's
  region, Σ tCO2e ÷ Σ value added (:func:`dualcarbon.engine.rating.group_intensity`, the rating's definition);
* ``missing_submission``: an active enterprise without a submitted, verified or locked version of the month;
* ``budget_overrun_projected``: the region's year-end projection (:func:`.projection.project`) above its budget;
* ``downgrade``: this year's annual grade worse than last year's by at least ``steps``.

The evaluators read the apps below through their services (``accounting.services``, ``reporting.services``,
``rating.services``), a fixed number of queries per rule whatever the number of enterprises. New alerts get the
first line of their history, and the new high-severity ones a notification of the region's government
(:mod:`.notifications`). The alerts' state machine is :mod:`.alerts`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dualcarbon.accounting import services as accounting
from dualcarbon.engine.rating import group_intensity
from dualcarbon.rating import services as rating
from dualcarbon.registry import access
from dualcarbon.registry.models import Region
from dualcarbon.reporting import services as reporting

from . import scoping
from .models import Alert, AlertEvent, AlertRule, Notification, Severity, Target
from .notifications import alert_notification, notify
from .projection import PROJECTION_LINEAR, PROJECTION_SEASONAL, project


@dataclass
class Evaluation:
    created: int = 0
    candidates: int = 0
    #: notifications made about new high-severity alerts (their e-mails queued)
    notified: int = 0
    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _scope(rule: AlertRule, region_prefix: str) -> str | None:
    """The narrower of the run's prefix and the rule's region (None when they do not overlap)."""
    rule_prefix = rule.region.prefix if rule.region_id and rule.region else ""
    if rule_prefix.startswith(region_prefix):
        return rule_prefix
    if region_prefix.startswith(rule_prefix):
        return region_prefix
    return None


def _alert(
    rule: AlertRule, period: str, region: str, enterprise: int | None, zh: str, en: str, evidence: dict[str, Any]
) -> Alert:
    who = f"e{enterprise}" if enterprise else f"r{region}"
    return Alert(
        rule=rule,
        kind=rule.kind,
        severity=rule.effective_severity,
        enterprise_id=enterprise,
        region_id=region,
        period=period,
        key=f"{rule.pk}:{who}:{period}",
        message_zh=zh[:400],
        message_en=en[:400],
        evidence=evidence,
    )


def _prev(year: int, month: int) -> tuple[int, int]:
    return (year, month - 1) if month > 1 else (year - 1, 12)


def _mom_jump(rule: AlertRule, prefix: str, year: int, month: int, period: str) -> list[Alert]:
    threshold = float(rule.param("threshold", 0.5))
    minimum = float(rule.param("min_tco2e", 10.0))
    py, pm = _prev(year, month)
    out = []
    for r in accounting.month_on_month_jumps(prefix, (year, month), (py, pm), threshold, minimum):
        change = (r["total_tco2e"] - r["prev"]) / r["prev"]
        out.append(
            _alert(
                rule,
                period,
                r["region_code"],
                r["enterprise_id"],
                f"{r['enterprise__name']} {period} 排放 {r['total_tco2e']:.2f} tCO2e，环比上升 {change:.0%}（阈值 {threshold:.0%}）",  # noqa: E501
                f"{r['enterprise__name']}: {period} emissions {r['total_tco2e']:.2f} tCO2e, up {change:.0%} on the month before (threshold {threshold:.0%})",  # noqa: E501
                {
                    "total": r["total_tco2e"],
                    "previous": r["prev"],
                    "previous_period": f"{py}-{pm:02d}",
                    "change": change,
                    "threshold": threshold,
                },
            )
        )
    return out


def division_benchmarks(frame: pd.DataFrame) -> dict[Any, dict[str, Any]]:
    """Each division's benchmark from a frame of account entries (columns enterprise, division, total_tco2e,
    value_added): ``value`` = Σ tCO2e ÷ Σ value added over the entries with value added > 0, ``n`` = the
    distinct enterprises among them, ``value_added`` = that Σ (0.0 when none) — the rating's ratio of sums,
    :func:`dualcarbon.engine.rating.group_intensity`."""
    if frame.empty:
        return {}
    groups = group_intensity(frame, ["division"])
    return {
        division: {"value": float(value), "n": int(n), "value_added": float(va)}
        for division, value, n, va in zip(
            groups["division"], groups["value"], groups["n"], groups["sum_value_added"], strict=True
        )
    }


def _intensity(rule: AlertRule, prefix: str, year: int, month: int, period: str) -> list[Alert]:
    factor = float(rule.param("factor", 1.5))
    min_group = int(rule.param("min_group", 3))
    bench = division_benchmarks(accounting.month_division_frame(prefix, year, month))
    out = []
    for r in accounting.month_intensities(prefix, year, month):
        b = bench.get(r["division"])
        if not b or b["n"] < min_group or not b["value_added"] > 0:
            continue
        value = b["value"]
        if value > 0 and float(r["intensity"] or 0.0) > factor * value:
            out.append(
                _alert(
                    rule,
                    period,
                    r["region_code"],
                    r["enterprise_id"],
                    f"{r['enterprise__name']} {period} 强度 {r['intensity']:.3f} tCO2e/万元，超过行业 {r['division']} 基准 {value:.3f} 的 {factor:g} 倍",  # noqa: E501
                    f"{r['enterprise__name']}: {period} intensity {r['intensity']:.3f} tCO2e/10k CNY, above {factor:g} × the division {r['division']} benchmark {value:.3f}",  # noqa: E501
                    {
                        "intensity": r["intensity"],
                        "benchmark": value,
                        "division": r["division"],
                        "group_size": b["n"],
                        "factor": factor,
                    },
                )
            )
    return out


def _missing(rule: AlertRule, prefix: str, year: int, month: int, period: str) -> list[Alert]:
    return [
        _alert(
            rule,
            period,
            r["region_id"],
            r["pk"],
            f"{r['name']} 未报送 {period} 数据（无已提交/已核查/已锁定的版本）",
            f"{r['name']} has not submitted {period} (no submitted, verified or locked version)",
            {"period": period},
        )
        for r in reporting.enterprises_not_submitted(prefix, year, month)
        if r["region_id"]
    ]


#: a projection method as the stored message says it (both languages are stored, so no gettext here)
_METHOD_ZH = {PROJECTION_LINEAR: "线性外推", PROJECTION_SEASONAL: "按去年各月比例外推"}
_METHOD_EN = {PROJECTION_LINEAR: "linear extrapolation", PROJECTION_SEASONAL: "last year's monthly pattern"}


def _budget(rule: AlertRule, prefix: str, year: int, month: int, period: str) -> list[Alert]:
    tolerance = float(rule.param("tolerance", 0.0))
    targets = list(
        Target.objects.filter(access.prefix_q("region_id", prefix), year=year, total_tco2e__gt=0).select_related(
            "region"
        )
    )
    if not targets:
        return []
    grid = accounting.region_month_totals(prefix, year, month)
    out = []
    for t in targets:
        p = t.region.prefix
        ytd = sum(float(g["total"] or 0) for g in grid if g["year"] == year and str(g["region_code"]).startswith(p))
        last: dict[int, float] = defaultdict(float)
        for g in grid:
            if g["year"] == year - 1 and str(g["region_code"]).startswith(p):
                last[g["month"]] += float(g["total"] or 0)
        projected, method = project(ytd, month, last)
        budget = float(t.total_tco2e or 0)
        if projected is not None and projected > budget * (1 + tolerance):
            out.append(
                _alert(
                    rule,
                    period,
                    t.region_id,
                    None,
                    f"{t.region.name} {year} 年预计排放 {projected:,.0f} tCO2e，超出预算 {budget:,.0f} tCO2e（截至 {month} 月，{_METHOD_ZH.get(method, method)}）",  # noqa: E501
                    f"{t.region.name}: {year} projected {projected:,.0f} tCO2e exceeds the budget {budget:,.0f} tCO2e (through month {month}, {_METHOD_EN.get(method, method)})",  # noqa: E501
                    {"ytd": ytd, "projected": projected, "budget": budget, "method": method, "through": month},
                )
            )
    return out


def _downgrade(rule: AlertRule, prefix: str, year: int, month: int, period: str) -> list[Alert]:
    steps = int(rule.param("steps", 1))
    return [
        _alert(
            rule,
            str(year),
            r["region_code"],
            r["enterprise_id"],
            f"{r['enterprise__name']} {year} 年碳效等级由 {r['prev']} 级降至 {r['grade']} 级",
            f"{r['enterprise__name']}: {year} carbon-efficiency grade fell from {r['prev']} to {r['grade']}",
            {"grade": r["grade"], "previous": r["prev"], "year": year},
        )
        for r in rating.downgrades(prefix, year, steps)
    ]


EVALUATORS: dict[str, Callable[[AlertRule, str, int, int, str], list[Alert]]] = {
    AlertRule.Kind.MOM_JUMP: _mom_jump,
    AlertRule.Kind.INTENSITY: _intensity,
    AlertRule.Kind.MISSING: _missing,
    AlertRule.Kind.BUDGET: _budget,
    AlertRule.Kind.DOWNGRADE: _downgrade,
}


def evaluate_alerts(region_prefix: str, year: int, month: int) -> Evaluation:
    """Run every active rule over ``region_prefix`` for a month; idempotent (one alert per rule/subject/period).

    Each rule issues a fixed number of queries (no per-enterprise query); alerts are inserted in bulk and
    an existing alert (whatever its status) is never duplicated or reopened.
    """
    result = Evaluation()
    period = f"{year}-{month:02d}"
    valid = set(Region.objects.values_list("code", flat=True).filter(access.prefix_q("code", region_prefix)))
    for rule in AlertRule.objects.filter(active=True).select_related("region"):
        prefix = _scope(rule, region_prefix)
        if prefix is None:
            continue
        evaluator = EVALUATORS.get(rule.kind)
        if evaluator is None:  # a kind the apps above raise themselves (raise_alert), not evaluated here
            continue
        alerts = [a for a in evaluator(rule, prefix, year, month, period) if a.region_id in valid]
        result.candidates += len(alerts)
        if not alerts:
            continue
        existing = set(Alert.objects.filter(key__in=[a.key for a in alerts]).values_list("key", flat=True))
        new = [a for a in alerts if a.key not in existing]
        Alert.objects.bulk_create(new, ignore_conflicts=True)
        result.created += len(new)
        result.by_kind[rule.kind] += len(new)
        if new:
            _announce([a.key for a in new], result)
    return result


def _announce(keys: list[str], result: Evaluation) -> None:
    """The history's first line for new alerts, and the notification of the region's government for the
    high-severity ones (a fixed number of queries)."""
    created = list(Alert.objects.filter(key__in=keys).select_related("region"))
    AlertEvent.objects.bulk_create(
        [AlertEvent(alert=a, action=AlertEvent.Action.CREATED, at=a.created_at, to_status=a.status) for a in created],
        batch_size=1000,
    )
    high = [a for a in created if a.severity == Severity.HIGH]
    if not high:
        return
    audience = scoping.alert_audience({a.region_id for a in high})
    rows = [alert_notification(u, Notification.Kind.HIGH_ALERT, a) for a in high for u in audience.get(a.region_id, [])]
    result.notified += len(notify(rows))


def raise_alert(
    kind: str,
    *,
    subject: str,
    region_code: str,
    period: str,
    message_zh: str,
    message_en: str,
    evidence: dict[str, Any],
    recipients: Any = (),
    severity: str = "",
) -> tuple[Alert, bool]:
    """Raise one alert of ``kind`` about ``subject`` (a key the caller makes unique, e.g. ``task:42``) for an app
    that decides itself when something is wrong: the programme's dispatch (above monitoring, calling this through
    monitoring.services) or a sibling app (assets, the meter validator) through
    ``registry.signals.alert_requested``. Idempotent: the alert's key is ``kind:subject``, so a rerun finds the
    alert already raised (whatever its status) and returns it with ``created`` False. A new alert gets its
    history's first line, a notification to each of ``recipients`` (the people who must act) and, when its
    severity is high, to the region's government, as the rules' alerts do. The kind's rule (all regions) is made
    on first use, with the kind's default severity."""
    if kind in EVALUATORS or kind not in AlertRule.Kind.values:
        raise ValueError(f"raise_alert takes the kinds without an evaluator, not {kind!r}")
    key = f"{kind}:{subject}"[:80]
    existing = Alert.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    rule = AlertRule.objects.filter(kind=kind, region__isnull=True).order_by("pk").first()
    if rule is None:
        rule = AlertRule.objects.create(kind=kind, note="raised by the app above (monitoring.services.raise_alert)")
    alert = Alert(
        rule=rule,
        kind=kind,
        severity=severity or rule.effective_severity,
        region_id=region_code,
        period=period[:7],
        key=key,
        message_zh=message_zh[:400],
        message_en=message_en[:400],
        evidence=evidence,
    )
    alert.save()
    AlertEvent.objects.create(
        alert=alert, action=AlertEvent.Action.CREATED, at=alert.created_at, to_status=alert.status
    )
    told = {u.pk: u for u in recipients if u is not None}
    rows = [alert_notification(u, Notification.Kind.RAISED, alert) for u in told.values()]
    if alert.severity == Severity.HIGH:
        for u in scoping.alert_audience({alert.region_id}).get(alert.region_id, []):
            if u.pk not in told:
                rows.append(alert_notification(u, Notification.Kind.HIGH_ALERT, alert))
    notify(rows)
    return alert, True

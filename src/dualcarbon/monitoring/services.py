"""Monitoring services: the year-end projection, alert evaluation, the alert state machine, assignment,
notifications (in-app and e-mail), and the entry points of the persisted regional summary (maintained in
:mod:`dualcarbon.monitoring.aggregates`).

Alerts change state here only: new → acknowledged → resolved (new → resolved allowed: a false alarm
closed at once). Anything else raises :class:`TransitionError` with a message in the user's language.
Every change (creation, assignment, status) is recorded as an :class:`~.models.AlertEvent`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from dualcarbon import scoping
from dualcarbon.accounting.models import AccountEntry
from dualcarbon.registry.models import Organisation, Region
from dualcarbon.reporting.models import Submission

from . import aggregates
from .models import Alert, AlertEvent, AlertRule, Notification, Severity, Target

logger = logging.getLogger(__name__)

PROJECTION_SEASONAL = "seasonal"
PROJECTION_LINEAR = "linear"


def project(ytd: float, through: int, last_year: Mapping[int, float]) -> tuple[float | None, str]:
    """Year-end total from the year to date (months 1..``through``).

    * ``seasonal`` when last year has all twelve months with a positive share for months 1..through:
      projection = YTD ÷ (Σ last year months 1..through ÷ Σ last year months 1..12);
    * ``linear`` otherwise: projection = YTD × 12 ÷ through.
    """
    if through <= 0:
        return None, ""
    if through >= 12:
        return ytd, PROJECTION_LINEAR
    if all(last_year.get(m, 0.0) > 0 for m in range(1, 13)):
        share = sum(last_year[m] for m in range(1, through + 1)) / sum(last_year[m] for m in range(1, 13))
        if share > 0:
            return ytd / share, PROJECTION_SEASONAL
    return ytd * 12.0 / through, PROJECTION_LINEAR


# --------------------------------------------------------------------------- the regional summary


def rebuild_aggregates(region_prefix: str = "") -> aggregates.RebuildResult:
    """Rebuild the dashboard's summary tables from the current accounts and submissions (set-based)."""
    return aggregates.rebuild(region_prefix)


def refresh_aggregates(period_ids: Any) -> aggregates.RebuildResult:
    """Bring the summary of some reporting periods up to date (what the accounting signal triggers)."""
    return aggregates.refresh_periods(period_ids)


# --------------------------------------------------------------------------- state machine


class TransitionError(Exception):
    """A move the alert state machine refuses; the message says why, in the active language."""


class AssignmentError(Exception):
    """An assignment refused (the person may not handle the alert, or already does)."""


TRANSITIONS: dict[str, set[str]] = {
    Alert.Status.NEW: {Alert.Status.ACKNOWLEDGED, Alert.Status.RESOLVED},
    Alert.Status.ACKNOWLEDGED: {Alert.Status.RESOLVED},
    Alert.Status.RESOLVED: set(),
}
#: what each target status is called as an action (the buttons' words)
ACTION_LABELS: dict[str, Any] = {
    Alert.Status.ACKNOWLEDGED: gettext_lazy("确认"),
    Alert.Status.RESOLVED: gettext_lazy("处理完毕"),
}


def refusal(status: str, to: str) -> str:
    """Why ``status → to`` is refused, naming what is allowed (in the active language)."""
    allowed = [str(ACTION_LABELS[t]) for t in sorted(TRANSITIONS.get(status, set())) if t in ACTION_LABELS]
    params = {
        "status": str(Alert.Status(status).label) if status in Alert.Status.values else status,
        "action": str(ACTION_LABELS.get(to, to)),
    }
    if not allowed:
        return gettext("预警当前为“%(status)s”，不能再“%(action)s”：已处理的预警不再变更。") % params
    return gettext("预警当前为“%(status)s”，不能“%(action)s”；当前可执行：%(allowed)s。") % {
        **params,
        "allowed": gettext("、").join(allowed),
    }


def _move(user: Any, alert: Alert, to: str, comment: str = "") -> Alert:
    if not scoping.can_handle_alert(user, alert):
        raise PermissionError("not the government of the alert's region")
    comment = (comment or "").strip()[:400]
    with transaction.atomic():
        locked = Alert.objects.select_for_update(of=("self",)).select_related("owner").get(pk=alert.pk)
        if to not in TRANSITIONS[locked.status]:
            raise TransitionError(refusal(locked.status, to))
        now = timezone.now()
        before, owner_before = locked.status, locked.owner
        locked.status = to
        if locked.owner_id is None:
            locked.owner = user
        if to == Alert.Status.ACKNOWLEDGED:
            locked.acknowledged_at, locked.acknowledged_by = now, user
        else:
            locked.resolved_at, locked.resolved_by = now, user
            if comment:
                locked.resolution = comment
        locked.save()
        AlertEvent.objects.create(
            alert=locked,
            action=to,
            actor=user,
            at=now,
            from_status=before,
            to_status=to,
            from_owner=owner_before,
            to_owner=locked.owner,
            comment=comment,
        )
        if owner_before is not None and owner_before.pk != user.pk:
            _notify([_notification(owner_before, Notification.Kind.STATUS, locked, user)])
    return locked


def acknowledge(user: Any, alert: Alert, comment: str = "") -> Alert:
    return _move(user, alert, Alert.Status.ACKNOWLEDGED, comment)


def resolve(user: Any, alert: Alert, note: str = "") -> Alert:
    return _move(user, alert, Alert.Status.RESOLVED, note)


def assign(user: Any, alert: Alert, assignee: Any, comment: str = "") -> Alert:
    """Make ``assignee`` responsible for the alert (its status does not change); recorded and notified.

    The assignee must be government staff whose jurisdiction covers the alert's region
    (:func:`dualcarbon.scoping.alert_assignees`); a resolved alert is not assigned any more.
    """
    if not scoping.can_handle_alert(user, alert):
        raise PermissionError("not the government of the alert's region")
    if assignee is None or not scoping.alert_assignees(alert).filter(pk=assignee.pk).exists():
        raise AssignmentError(gettext("只能指派给辖区覆盖该预警地区的政府工作人员。"))
    comment = (comment or "").strip()[:400]
    with transaction.atomic():
        locked = Alert.objects.select_for_update(of=("self",)).select_related("owner").get(pk=alert.pk)
        if locked.status == Alert.Status.RESOLVED:
            raise TransitionError(gettext("预警已处理完毕，不能再指派。"))
        if locked.owner_id == assignee.pk:
            raise AssignmentError(gettext("该预警已由 %(name)s 负责。") % {"name": assignee.get_username()})
        owner_before = locked.owner
        locked.owner = assignee
        locked.save(update_fields=["owner"])
        AlertEvent.objects.create(
            alert=locked,
            action=AlertEvent.Action.ASSIGNED,
            actor=user,
            from_status=locked.status,
            to_status=locked.status,
            from_owner=owner_before,
            to_owner=assignee,
            comment=comment,
        )
        if assignee.pk != user.pk:
            _notify([_notification(assignee, Notification.Kind.ASSIGNED, locked, user, comment)])
    return locked


# --------------------------------------------------------------------------- notifications

#: the notification texts (translated into both languages when a notification is made)
MESSAGES: dict[str, str] = {
    Notification.Kind.ASSIGNED: gettext_noop("%(actor)s 将一条预警指派给您：%(alert)s"),
    Notification.Kind.STATUS: gettext_noop("%(actor)s 将您负责的预警改为“%(status)s”：%(alert)s"),
    Notification.Kind.HIGH_ALERT: gettext_noop("新的高严重程度预警：%(alert)s"),
}
COMMENT = gettext_noop("说明：%(comment)s")


def _both(kind: str, alert: Alert, actor: Any, comment: str = "") -> tuple[str, str]:
    """The notification text in Chinese and in English."""
    out = []
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            text = gettext(MESSAGES[kind]) % {
                "actor": actor.get_username() if actor is not None else "",
                "status": str(Alert.Status(alert.status).label),
                "alert": alert.message_for(lang),
            }
            if comment:
                text += " " + gettext(COMMENT) % {"comment": comment}
        out.append(text[:500])
    return out[0], out[1]


def _notification(recipient: Any, kind: str, alert: Alert, actor: Any = None, comment: str = "") -> Notification:
    zh, en = _both(kind, alert, actor, comment)
    return Notification(recipient=recipient, kind=kind, alert=alert, message_zh=zh, message_en=en)


def _notify(rows: list[Notification]) -> list[Notification]:
    """Store the notifications and e-mail those whose recipient has an address, once the transaction commits."""
    if not rows:
        return []
    created = Notification.objects.bulk_create(rows, batch_size=500)
    mail = [n for n in created if getattr(n.recipient, "email", "")]
    if mail:
        transaction.on_commit(lambda: send_emails(mail))
    return created


def _email(n: Notification) -> EmailMessage:
    subject = []
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            subject.append(str(Notification.Kind(n.kind).label))
    link = ""
    if n.alert_id:
        link = settings.DUALCARBON_SITE_URL.rstrip("/") + reverse("monitoring:alert", args=[n.alert_id])
    body = "\n\n".join(x for x in (n.message_zh, n.message_en, link) if x)
    return EmailMessage(
        f"[{settings.DUALCARBON_EMAIL_SUBJECT_PREFIX}] " + " / ".join(subject),
        body,
        settings.DEFAULT_FROM_EMAIL,
        [n.recipient.email],
    )


def send_emails(notifications: list[Notification]) -> int:
    """E-mail notifications through Django's e-mail framework (EMAIL_BACKEND); a failure is logged, not
    raised: the in-app notification stays."""
    messages = [_email(n) for n in notifications if n.recipient.email]
    if not messages:
        return 0
    try:
        sent = get_connection().send_messages(messages) or 0
    except Exception:  # the mail server's problem must not undo the alert's change
        logger.exception("alert notification e-mail failed (%d messages)", len(messages))
        return 0
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(emailed_at=timezone.now())
    return int(sent)


def mark_read(user: Any, ids: Any = None) -> int:
    """Mark the user's notifications read (``ids``: some of them; None: all)."""
    qs = scoping.notifications(user).filter(read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


# --------------------------------------------------------------------------- evaluation


@dataclass
class Evaluation:
    created: int = 0
    candidates: int = 0
    #: notifications sent about new high-severity alerts
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
    prev = AccountEntry.objects.filter(enterprise=OuterRef("enterprise"), is_current=True, year=py, month=pm).values(
        "total_tco2e"
    )[:1]
    rows = (
        AccountEntry.objects.filter(scoping.prefix_q("region_code", prefix), is_current=True, year=year, month=month)
        .annotate(prev=Subquery(prev))
        .filter(prev__gte=minimum, total_tco2e__gt=F("prev") * (1 + threshold))
        .values("enterprise_id", "enterprise__name", "region_code", "total_tco2e", "prev")
    )
    out = []
    for r in rows:
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


def _intensity(rule: AlertRule, prefix: str, year: int, month: int, period: str) -> list[Alert]:
    factor = float(rule.param("factor", 1.5))
    min_group = int(rule.param("min_group", 3))
    qs = AccountEntry.objects.filter(
        scoping.prefix_q("region_code", prefix), is_current=True, year=year, month=month
    ).annotate(division=Substr("industry_code", 1, 2))
    bench = {
        r["division"]: r
        for r in qs.filter(value_added__gt=0)
        .values("division")
        .annotate(t=Sum("total_tco2e"), va=Sum("value_added"), n=Count("enterprise", distinct=True))
        .order_by()
    }
    out = []
    for r in qs.filter(intensity__isnull=False).values(
        "enterprise_id", "enterprise__name", "region_code", "division", "intensity"
    ):
        b = bench.get(r["division"])
        if not b or b["n"] < min_group or not b["va"]:
            continue
        value = float(b["t"] or 0.0) / float(b["va"])
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
    done = Submission.objects.filter(
        is_current=True, period__year=year, period__month=month, status__in=["submitted", "verified", "locked"]
    ).values("enterprise_id")
    rows = (
        Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE, is_active=True)
        .filter(scoping.prefix_q("region__code", prefix))
        .exclude(pk__in=done)
        .values("pk", "name", "region_id")
    )
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
        for r in rows
        if r["region_id"]
    ]


def _budget(rule: AlertRule, prefix: str, year: int, month: int, period: str) -> list[Alert]:
    tolerance = float(rule.param("tolerance", 0.0))
    targets = list(
        Target.objects.filter(scoping.prefix_q("region_id", prefix), year=year, total_tco2e__gt=0).select_related(
            "region"
        )
    )
    if not targets:
        return []
    grid_qs = (
        AccountEntry.objects.filter(scoping.prefix_q("region_code", prefix), is_current=True, year__in=[year, year - 1])
        .filter(Q(year=year, month__lte=month) | Q(year=year - 1))
        .values("region_code", "year", "month")
        .annotate(total=Sum("total_tco2e"))
        .order_by()
    )
    grid = list(grid_qs)
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
                    f"{t.region.name} {year} 年预计排放 {projected:.0f} tCO2e，超出预算 {budget:.0f} tCO2e（截至 {month} 月，{method}）",  # noqa: E501
                    f"{t.region.name}: {year} projected {projected:.0f} tCO2e exceeds the budget {budget:.0f} tCO2e (through month {month}, {method})",  # noqa: E501
                    {"ytd": ytd, "projected": projected, "budget": budget, "method": method, "through": month},
                )
            )
    return out


def _downgrade(rule: AlertRule, prefix: str, year: int, month: int, period: str) -> list[Alert]:
    from dualcarbon.rating.models import RatingResult

    steps = int(rule.param("steps", 1))
    prev = RatingResult.objects.filter(
        enterprise=OuterRef("enterprise"), is_current=True, year=year - 1, month=0, grade__isnull=False
    ).values("grade")[:1]
    rows = (
        RatingResult.objects.filter(
            scoping.prefix_q("region_code", prefix), is_current=True, year=year, month=0, grade__isnull=False
        )
        .annotate(prev=Subquery(prev))
        .filter(prev__isnull=False, grade__gte=F("prev") + steps)
        .values("enterprise_id", "enterprise__name", "region_code", "grade", "prev")
    )
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
        for r in rows
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
    valid = set(Region.objects.values_list("code", flat=True).filter(scoping.prefix_q("code", region_prefix)))
    for rule in AlertRule.objects.filter(active=True).select_related("region"):
        prefix = _scope(rule, region_prefix)
        if prefix is None:
            continue
        alerts = [a for a in EVALUATORS[rule.kind](rule, prefix, year, month, period) if a.region_id in valid]
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
    rows = [_notification(u, Notification.Kind.HIGH_ALERT, a) for a in high for u in audience.get(a.region_id, [])]
    result.notified += len(_notify(rows))

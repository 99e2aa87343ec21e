"""Monitoring: annual targets/budgets per region, early-warning rules and the alerts they raise, and the
persisted regional summary the dashboard, the monthly report and the public statistics read.

Alerts change state only through :mod:`dualcarbon.monitoring.services` (new → acknowledged → resolved).
The summary tables (:class:`SummaryCell`, :class:`SummaryAnnual`, :class:`SummaryRollup`) are written only by
:mod:`dualcarbon.monitoring.aggregates` (incrementally when accounts are computed, or rebuilt in full).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dualcarbon.registry.models import Organisation, Region
from dualcarbon.reporting.models import ReportingPeriod


class Target(models.Model):
    """A region's (or district's) annual total budget and intensity target."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("地区"))
    year = models.PositiveSmallIntegerField(_("年度"))
    total_tco2e = models.FloatField(_("排放总量预算 tCO2e"), null=True, blank=True)
    intensity = models.FloatField(_("强度目标 tCO2e/万元"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["year", "region_id"]
        verbose_name = _("目标与预算")
        verbose_name_plural = _("目标与预算")
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="uniq_target_region_year")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.year}"


class Severity(models.TextChoices):
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")


class AlertRule(models.Model):
    class Kind(models.TextChoices):
        MOM_JUMP = "mom_jump", _("环比突增")
        INTENSITY = "intensity_above_benchmark", _("强度高于行业基准")
        MISSING = "missing_submission", _("未按期报送")
        BUDGET = "budget_overrun_projected", _("预计超出年度预算")
        DOWNGRADE = "downgrade", _("评级下降")
        #: raised by the apps above through services.raise_alert (no evaluator here): the programme's dispatch
        PROGRAMME_OVERDUE = "programme_overdue", _("调度任务逾期")
        PROGRAMME_AT_RISK = "programme_at_risk", _("调度任务进度滞后")
        #: raised by the sibling apps through registry.signals.alert_requested (monitoring's receiver below)
        POLLUTANT_EXCESS = "pollutant_excess", _("排放量超出持有排污权")
        ETS_SHORTFALL = "ets_shortfall", _("配额清缴缺口")
        ETS_LATE = "ets_late", _("逾期未完成配额清缴")
        METER_MISMATCH = "meter_mismatch", _("报送电量与计量电量不符")

    #: the severity of a rule's alerts when the rule does not set one
    DEFAULT_SEVERITY: dict[str, str] = {
        Kind.MOM_JUMP: Severity.MEDIUM,
        Kind.INTENSITY: Severity.MEDIUM,
        Kind.MISSING: Severity.LOW,
        Kind.BUDGET: Severity.HIGH,
        Kind.DOWNGRADE: Severity.MEDIUM,
        Kind.PROGRAMME_OVERDUE: Severity.HIGH,
        Kind.PROGRAMME_AT_RISK: Severity.MEDIUM,
        Kind.POLLUTANT_EXCESS: Severity.HIGH,
        Kind.ETS_SHORTFALL: Severity.HIGH,
        Kind.ETS_LATE: Severity.HIGH,
        Kind.METER_MISMATCH: Severity.MEDIUM,
    }

    #: null: applies in every region
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("地区")
    )
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    #: "" = the kind's default (:attr:`DEFAULT_SEVERITY`); high: the region's government is notified at once
    severity = models.CharField(_("严重程度"), max_length=8, choices=Severity.choices, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "region_id", "pk"]
        verbose_name = _("预警规则")
        verbose_name_plural = _("预警规则")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.region_id or '*'})"

    def param(self, name: str, default: Any) -> Any:
        return (self.params or {}).get(name, default)

    @property
    def effective_severity(self) -> str:
        return self.severity or str(self.DEFAULT_SEVERITY.get(self.kind, Severity.MEDIUM))


class Alert(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("新预警")
        ACKNOWLEDGED = "acknowledged", _("已确认")
        RESOLVED = "resolved", _("已处理")

    rule = models.ForeignKey(AlertRule, on_delete=models.PROTECT, related_name="alerts", verbose_name=_("规则"))
    kind = models.CharField(_("类型"), max_length=32, choices=AlertRule.Kind.choices)
    enterprise = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("企业")
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("地区"))
    #: "YYYY-MM" (monthly rules) or "YYYY" (annual: downgrade)
    period = models.CharField(_("期间"), max_length=7)
    #: rule/enterprise-or-region/period: one alert each, whatever how often the rules run
    key = models.CharField(max_length=80, unique=True)
    message_zh = models.CharField(_("内容"), max_length=400)
    message_en = models.CharField(_("英文内容"), max_length=400, blank=True)
    evidence = models.JSONField(_("依据"), default=dict)
    severity = models.CharField(_("严重程度"), max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    #: the person responsible: assigned (services.assign), or else the first who acknowledged or resolved it
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("负责人"),
    )
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.NEW, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(_("处理说明"), max_length=400, blank=True)

    class Meta:
        ordering = ["-period", "status", "-pk"]
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        indexes = [models.Index(fields=["region", "status"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.period} {self.enterprise_id or self.region_id} ({self.status})"

    def message_for(self, lang: str) -> str:
        return self.message_en if lang.startswith("en") and self.message_en else self.message_zh


class AlertEvent(models.Model):
    """One line of an alert's history: its creation, an assignment, a status change (who, when, from → to,
    comment). Written only by :mod:`dualcarbon.monitoring.services`; never changed."""

    class Action(models.TextChoices):
        CREATED = "created", _("生成")
        ASSIGNED = "assigned", _("指派")
        ACKNOWLEDGED = "acknowledged", _("确认")
        RESOLVED = "resolved", _("处理完毕")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=12, choices=Action.choices)
    #: null: the system (rule evaluation)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    from_status = models.CharField(max_length=12, choices=Alert.Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Alert.Status.choices)
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.CharField(_("说明"), max_length=400, blank=True)

    class Meta:
        ordering = ["alert_id", "at", "pk"]
        verbose_name = _("预警处理记录")
        verbose_name_plural = _("预警处理记录")

    def __str__(self) -> str:
        return f"{self.alert_id} {self.action} {self.from_status}→{self.to_status}"


class Notification(models.Model):
    """An in-app notification, and its e-mail when the recipient has an address.

    The e-mail goes through an outbox: the notification is stored *queued* in the same transaction as the
    change it reports, and :func:`dualcarbon.monitoring.services.send_queued_emails` (the command
    ``dualcarbon send_notifications``) sends it later, retrying with back-off (``docs/monitoring.md``):

    none (no address) · queued ─▶ sent · queued ─(failure)▶ queued (later) … ─(last attempt)▶ failed
    """

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("预警指派给您")
        HIGH_ALERT = "high_alert", _("新的高严重程度预警")
        STATUS = "status", _("您负责的预警状态变化")
        RAISED = "raised", _("交由您处理的新预警")

    class EmailStatus(models.TextChoices):
        NONE = "none", _("无需发送（无邮箱）")
        QUEUED = "queued", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    message_zh = models.CharField(_("内容"), max_length=500)
    message_en = models.CharField(_("英文内容"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    #: when the e-mail was handed to the mail server (status sent)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    email_status = models.CharField(_("邮件状态"), max_length=8, choices=EmailStatus.choices, default=EmailStatus.NONE)
    #: attempts made so far (the successful one included)
    email_attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    #: queued: not to be sent before this time (a retry's back-off, or the lease of a sender sending it now)
    email_next_attempt_at = models.DateTimeField(_("下次发送时间"), null=True, blank=True)
    #: the last failure (exception class and message), kept once sent for the record
    email_last_error = models.CharField(_("最近一次错误"), max_length=300, blank=True)
    #: the run of the sender that claimed the row ("" when none has): only that run marks it
    email_claim = models.CharField(max_length=32, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            # the outbox: queued rows by due time (partial: sent rows, the vast majority, are not in it)
            models.Index(
                fields=["email_next_attempt_at"],
                name="notification_email_due",
                condition=models.Q(email_status="queued"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind} {self.alert_id}"

    def message_for(self, lang: str) -> str:
        return self.message_en if lang.startswith("en") and self.message_en else self.message_zh


# --------------------------------------------------------------------------- the persisted regional summary


class SummaryCell(models.Model):
    """One enterprise-month of the regional summary (one row per reporting period that has a current
    submission or a current account).

    A copy of the current ``AccountEntry``'s figures that the dashboard needs (no JSON, no history) and the
    status of the period's current submission. ``region_code``/``industry_code`` are the account's
    (denormalised at computation time), or the enterprise's registered ones when the month has no account;
    ``home_region`` is always the enterprise's registered county (they differ after a move until the accounts
    are restated).
    """

    period = models.OneToOneField(ReportingPeriod, on_delete=models.CASCADE, related_name="+")
    enterprise = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+", db_index=False)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    #: the account's county (GB/T 2260, 6 digits): region prefixes (city 4, province 2) are ranges on it
    region_code = models.CharField(max_length=6)
    #: the enterprise's registered county now (the submission completeness counts the enterprise there)
    home_region = models.CharField(max_length=6, blank=True)
    industry_code = models.CharField(max_length=5, blank=True)
    #: GB/T 4754 division (the industry code's first two characters)
    division = models.CharField(max_length=2, blank=True)
    #: the month has a current account (the figures below are its figures; otherwise they are empty)
    has_account = models.BooleanField(default=False)
    total_tco2e = models.FloatField(null=True)
    scope1_tco2e = models.FloatField(null=True)
    scope2_tco2e = models.FloatField(null=True)
    energy_tce = models.FloatField(null=True)
    #: 万元, as on the account (income approach) and on the submission's economic record
    value_added = models.DecimalField(max_digits=18, decimal_places=4, null=True)
    output_value = models.DecimalField(max_digits=18, decimal_places=4, null=True)
    #: the current submission's status ("" when the period has no current submission)
    status = models.CharField(max_length=10, blank=True)
    #: the enterprise is active (only active enterprises count in the submission completeness)
    active = models.BooleanField(default=True)
    refreshed_at = models.DateTimeField()

    class Meta:
        ordering = ["enterprise_id", "year", "month"]
        verbose_name = _("汇总单元（企业 × 月）")
        verbose_name_plural = _("汇总单元（企业 × 月）")
        indexes = [
            # region-prefix ranges (registry.access.prefix_q) within a year
            models.Index(fields=["year", "region_code", "month"], name="cell_year_region"),
            # one enterprise's months (refresh by enterprise, the completeness drill-down)
            models.Index(fields=["enterprise", "year", "month"], name="cell_enterprise_year"),
            # the submissions' statuses by registered county (rollup refresh, completeness drill-down)
            models.Index(fields=["year", "home_region", "month"], name="cell_year_home"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.year}-{self.month:02d}"


class SummaryAnnual(models.Model):
    """Enterprise × year (× the county and industry its accounts carry): Σ of its accounted cells.

    The dashboard's top emitters read it (ORDER BY total LIMIT 10 over one row per enterprise instead of
    grouping twelve monthly cells each); an enterprise whose accounts carry two counties in a year has two
    rows, as the monthly grouping had.
    """

    enterprise = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+", db_index=False)
    year = models.PositiveSmallIntegerField()
    region_code = models.CharField(max_length=6)
    industry_code = models.CharField(max_length=5, blank=True)
    #: accounted months
    months = models.PositiveSmallIntegerField()
    total_tco2e = models.FloatField()
    energy_tce = models.FloatField()

    class Meta:
        ordering = ["year", "enterprise_id"]
        verbose_name = _("汇总（企业 × 年）")
        verbose_name_plural = _("汇总（企业 × 年）")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "year", "region_code", "industry_code"], name="uniq_annual_enterprise"
            )
        ]
        indexes = [models.Index(fields=["year", "region_code"], name="annual_year_region")]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.year} {self.region_code}"


class SummaryRollup(models.Model):
    """District × industry division × month: the sums of the :class:`SummaryCell` rows of the group.

    A region of any size has at most (counties × divisions × months) rows here, so the dashboard's totals,
    districts, industries and trend are sums over a few hundred rows whatever the number of enterprises.

    ``entrants_<L>`` counts the enterprises whose first accounted month of the year *within the region prefix
    of length L* (0 = anywhere, 2 province, 4 city, 6 county) is this month; ``entrants_<L>d`` the same
    within the prefix *and the division*. Summed over months 1..M and over the groups inside one prefix of
    length L, they give the number of distinct enterprises with an account in months 1..M, exactly, even
    for an enterprise whose accounts carry several counties or divisions in a year.
    """

    region_code = models.CharField(max_length=6)
    division = models.CharField(max_length=2, blank=True)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    #: enterprise-months with a current account
    accounts = models.PositiveIntegerField(default=0)
    #: sums over the months with an account (null when there is none)
    total_tco2e = models.FloatField(null=True)
    scope1_tco2e = models.FloatField(null=True)
    scope2_tco2e = models.FloatField(null=True)
    energy_tce = models.FloatField(null=True)
    #: Σ value added over the accounts with value added > 0, and Σ tCO2e over the same accounts
    value_added = models.DecimalField(max_digits=24, decimal_places=4, null=True)
    total_va_tco2e = models.FloatField(null=True)
    output_value = models.DecimalField(max_digits=24, decimal_places=4, null=True)
    #: current submissions by status, of the active enterprises registered in this county (``home_region``)
    draft = models.PositiveIntegerField(default=0)
    submitted = models.PositiveIntegerField(default=0)
    verified = models.PositiveIntegerField(default=0)
    locked = models.PositiveIntegerField(default=0)
    entrants_0 = models.PositiveIntegerField(default=0)
    entrants_2 = models.PositiveIntegerField(default=0)
    entrants_4 = models.PositiveIntegerField(default=0)
    entrants_6 = models.PositiveIntegerField(default=0)
    entrants_0d = models.PositiveIntegerField(default=0)
    entrants_2d = models.PositiveIntegerField(default=0)
    entrants_4d = models.PositiveIntegerField(default=0)
    entrants_6d = models.PositiveIntegerField(default=0)

    #: prefix lengths that have their own entrant counts
    LEVELS = (0, 2, 4, 6)

    class Meta:
        ordering = ["year", "month", "region_code", "division"]
        verbose_name = _("区域汇总（县区 × 行业大类 × 月）")
        verbose_name_plural = _("区域汇总（县区 × 行业大类 × 月）")
        constraints = [
            models.UniqueConstraint(fields=["year", "region_code", "division", "month"], name="uniq_rollup_group")
        ]

    def __str__(self) -> str:
        return f"{self.region_code}/{self.division} {self.year}-{self.month:02d}"

"""Monitoring: annual targets/budgets per region, early-warning rules and the alerts they raise.

Alerts change state only through :mod:`dualcarbon.monitoring.services` (new → acknowledged → resolved).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dualcarbon.registry.models import Organisation, Region


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


class AlertRule(models.Model):
    class Kind(models.TextChoices):
        MOM_JUMP = "mom_jump", _("环比突增")
        INTENSITY = "intensity_above_benchmark", _("强度高于行业基准")
        MISSING = "missing_submission", _("未按期报送")
        BUDGET = "budget_overrun_projected", _("预计超出年度预算")
        DOWNGRADE = "downgrade", _("评级下降")

    #: null: applies in every region
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("地区")
    )
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    active = models.BooleanField(_("启用"), default=True)
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
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
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

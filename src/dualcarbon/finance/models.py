"""Finance: the consent ledger an enterprise controls, and the log of every read a bank makes."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dualcarbon.registry.models import Organisation


class ConsentQuerySet(models.QuerySet["Consent"]):
    def active(self, on: datetime.date | None = None) -> ConsentQuerySet:
        day = on or timezone.localdate()
        return self.filter(revoked_at__isnull=True, valid_from__lte=day, valid_until__gte=day)


class Consent(models.Model):
    """An enterprise lets a bank read named data, for a purpose, over a period; revocable."""

    class Scope(models.TextChoices):
        ACCOUNTS = "accounts", _("月度碳账户")
        CREDIT_REPORT = "credit_report", _("碳信用报告")

    enterprise = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="consents_given")
    bank = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="consents_received")
    scope = models.CharField(_("授权范围"), max_length=16, choices=Scope.choices, default=Scope.ACCOUNTS)
    purpose = models.CharField(_("用途"), max_length=200)
    #: the reporting periods the bank may read (inclusive), as YYYY-MM
    data_from = models.CharField(_("数据起始期"), max_length=7)
    data_until = models.CharField(_("数据截止期"), max_length=7)
    valid_from = models.DateField(_("授权生效日"))
    valid_until = models.DateField(_("授权到期日"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__gte=models.F("valid_from")), name="consent_dates"),
        ]


#: the prev_hash of the first access-log row
GENESIS_HASH = "0" * 64


class AccessLog(models.Model):
    """Every read a bank makes of an enterprise's data, under the consent that allowed it; the enterprise
    (and its region's government, and the platform admin) can read this log. Rows are written by
    :func:`dualcarbon.finance.services.record_read` only.

    The log is append-only and tamper-evident: database triggers (migration 0005) refuse UPDATE and DELETE
    (and, on PostgreSQL, TRUNCATE of a non-empty log) and refuse an INSERT that does not extend the hash
    chain; each row stores ``prev_hash`` (the previous row's ``row_hash``, :data:`GENESIS_HASH` for the
    first) and ``row_hash`` (SHA-256 over its fields and ``prev_hash``,
    :func:`dualcarbon.finance.services.row_hash`). ``dualcarbon verify_access_log`` checks the chain.
    The organisations it names are protected: one with log rows cannot be deleted."""

    class Resource(models.TextChoices):
        ACCOUNT = "account", _("碳账户页面")
        LINEAGE = "lineage", _("核算过程（溯源）")
        EXPORT_XLSX = "export_xlsx", _("碳账户导出（Excel）")
        REPORT_PDF = "report_pdf", _("碳账户报告（PDF）")
        RATING = "rating", _("碳效评级结果")
        RATING_LABEL = "rating_label", _("评级二维码标签")

    class Channel(models.TextChoices):
        WEB = "web", _("网页")
        API = "api", _("接口")

    # PROTECT: deleting an organisation must not erase the audit history (the triggers would refuse it anyway)
    enterprise = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="access_log")
    reader = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    #: what was read, in words a person can check (the year, the month's account entry …)
    what = models.CharField(max_length=200)
    resource = models.CharField(_("读取内容"), max_length=16, choices=Resource.choices, default=Resource.ACCOUNT)
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices, default=Channel.WEB)
    #: the address requested (path and query), for audits
    path = models.CharField(max_length=300, blank=True)
    consent = models.ForeignKey(Consent, null=True, blank=True, on_delete=models.PROTECT)
    #: set by record_read before the row is hashed (auto_now_add would set it after)
    at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    #: the previous row's row_hash (GENESIS_HASH for the first row) and this row's SHA-256, hex
    prev_hash = models.CharField(max_length=64, editable=False)
    row_hash = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["enterprise", "-at"], name="accesslog_enterprise_at")]

"""Finance (碳金融): consent requests a bank sends an enterprise and the carbon account credit reports it generates
(docs/finance.md); bank products, loans, transition certification, KPI-linked loans, CERF and PCAF — to come.

The consent itself (``registry.Consent``) and the log of every read a bank makes (``registry.AccessLog``) live in
the registry, the ground floor every app's access rules are built on (docs/architecture.md); their tables keep
the ``finance_`` names. This app writes consents through its services (grant, narrow, extend, revoke) and keeps
the requests a bank makes for one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dualcarbon.registry.models import Consent, Organisation, validate_scope


class ConsentRequest(models.Model):
    """A bank asks an enterprise for a consent (purpose, scope, data period, expiry, a message); the enterprise
    accepts it (the consent is created with these terms) or declines it (with an optional reason); while it is
    pending the bank may withdraw it (``decided_by``/``decided_at`` then name the bank's user and the time)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待企业答复")
        ACCEPTED = "accepted", _("已接受")
        DECLINED = "declined", _("已拒绝")
        WITHDRAWN = "withdrawn", _("已撤回")

    bank = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="consent_requests_sent")
    enterprise = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="consent_requests_received")
    purpose_code = models.CharField(_("用途"), max_length=20, choices=Consent.Purpose.choices)
    scope = models.CharField(_("授权范围"), max_length=100, validators=[validate_scope])
    data_from = models.CharField(_("数据起始期"), max_length=7)
    data_until = models.CharField(_("数据截止期"), max_length=7)
    valid_until = models.DateField(_("申请的授权到期日"))
    message = models.TextField(_("留言"), max_length=1000, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(_("拒绝理由"), max_length=500, blank=True)
    #: the consent created when the enterprise accepted
    consent = models.OneToOneField(Consent, null=True, blank=True, on_delete=models.PROTECT, related_name="request")

    class Meta:
        verbose_name = _("授权申请")
        verbose_name_plural = pgettext_lazy("plural", "授权申请")
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["enterprise", "status"], name="consentrequest_ent_status")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.bank_id} → {self.enterprise_id} ({self.status})"

    @property
    def scopes(self) -> list[str]:
        return [c for c in (self.scope or "").split(",") if c]

    def get_scope_display(self) -> str:
        labels = dict(Consent.Scope.choices)
        return "、".join(str(labels.get(c, c)) for c in self.scopes)


class CreditReport(models.Model):
    """A carbon account credit report (碳账户信用报告) a bank generated for a consenting enterprise, within the
    consent's scope and data period (docs/finance.md § The credit report).

    ``content`` is the report as generated (every figure as printed, a string); ``content_hash`` the SHA-256 of
    its canonical JSON, stored at generation and printed with the report's QR code, which links to the public
    verification page (``finance:report_verify``): anyone holding the report can check it was issued by the
    platform and not altered. Rows are never changed after generation."""

    number = models.CharField(_("报告编号"), max_length=32, unique=True)
    enterprise = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="credit_reports")
    bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="credit_reports_generated")
    #: the consent the report was generated under (its terms at generation are copied into ``content``)
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="credit_reports")
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField()
    content = models.JSONField()
    content_hash = models.CharField(_("内容哈希"), max_length=64)

    class Meta:
        verbose_name = _("碳账户信用报告")
        verbose_name_plural = pgettext_lazy("plural", "碳账户信用报告")
        ordering = ["-generated_at", "-pk"]
        indexes = [models.Index(fields=["bank", "enterprise"], name="creditreport_bank_ent")]

    def __str__(self) -> str:
        return self.number

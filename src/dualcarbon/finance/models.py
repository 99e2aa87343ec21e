"""Finance (碳金融): consent requests a bank sends an enterprise and the carbon account credit reports it generates
(docs/finance.md); bank products and their versions, loan applications, loans and their drawdowns and repayments,
financing needs and their pushes to banks (§ Products … § Statistics); transition certification, KPI-linked loans,
CERF and PCAF — to come.

The consent itself (``registry.Consent``) and the log of every read a bank makes (``registry.AccessLog``) live in
the registry, the ground floor every app's access rules are built on (docs/architecture.md); their tables keep
the ``finance_`` names. This app writes consents through its services (grant, narrow, extend, revoke) and keeps
the requests a bank makes for one.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dualcarbon.registry.effective import EffectiveDated, valid_to_check
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


# ------------------------------------------------------------------------------------ products and loans


class PurposeTag(models.TextChoices):
    """What a product, a loan or a financing need finances (docs/finance.md § Products)."""

    GREEN = "green", _("绿色")
    TRANSITION = "transition", _("转型")
    CARBON = "carbon", _("碳金融")


def _money(verbose: Any, **kw: Any) -> models.DecimalField:
    """Yuan to the fen."""
    return models.DecimalField(verbose, max_digits=16, decimal_places=2, **kw)


class Product(models.Model):
    """A loan product a bank publishes (碳效贷 and its kind). Its terms are versioned: :class:`ProductVersion`."""

    bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="loan_products")
    code = models.CharField(_("产品代码"), max_length=32)
    name_zh = models.CharField(_("产品名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=160, blank=True)
    purpose_tag = models.CharField(_("用途标签"), max_length=12, choices=PurposeTag.choices)
    description = models.TextField(_("产品说明"), max_length=2000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("贷款产品")
        verbose_name_plural = pgettext_lazy("plural", "贷款产品")
        ordering = ["bank_id", "code"]
        constraints = [models.UniqueConstraint(fields=["bank", "code"], name="product_bank_code_unique")]

    def __str__(self) -> str:
        return f"{self.name_zh}（{self.code}）"

    def name_for(self, lang: str) -> str:
        return self.name_en if lang.startswith("en") and self.name_en else self.name_zh


class ProductVersion(EffectiveDated):
    """The terms of a product over a period: eligibility rule over account facts, amount and term ranges, the base
    rate and the spread per grade (bp; negative: a discount). Versions of one product never overlap; every version
    is kept."""

    series_fields: ClassVar[tuple[str, ...]] = ("product",)

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField(_("版本"))
    #: eligibility over account facts (engine/eligibility.py, rating/facts.py CATALOGUE), canonical JSON
    rule = models.JSONField(_("准入条件"))
    min_amount = _money(_("最低金额（元）"))
    max_amount = _money(_("最高金额（元）"))
    min_term = models.PositiveSmallIntegerField(_("最短期限（月）"))
    max_term = models.PositiveSmallIntegerField(_("最长期限（月）"))
    base_rate_bp = models.PositiveIntegerField(_("基准利率（基点）"))
    #: {"1": -30, "2": -15, "3": 0, …}: bp added to the base rate per grade (1 best); a grade not named: not priced
    grade_spreads = models.JSONField(_("按等级加减点（基点）"))
    note = models.CharField(_("修订说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("产品版本")
        verbose_name_plural = pgettext_lazy("plural", "产品版本")
        ordering = ["product_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["product", "version"], name="productversion_unique"),
            valid_to_check("productversion_valid_to"),
            models.CheckConstraint(condition=Q(min_amount__gt=0), name="productversion_min_amount_positive"),
            models.CheckConstraint(condition=Q(max_amount__gte=F("min_amount")), name="productversion_amount_range"),
            models.CheckConstraint(condition=Q(min_term__gte=1), name="productversion_min_term"),
            models.CheckConstraint(condition=Q(max_term__gte=F("min_term")), name="productversion_term_range"),
            models.CheckConstraint(
                condition=Q(base_rate_bp__gte=1, base_rate_bp__lte=2400), name="productversion_rate_bounds"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.code} v{self.version}"


class LoanApplication(models.Model):
    """An enterprise applies for a product (amount, term, purpose); the bank approves (amount, rate, term) or
    declines (reason); the enterprise may withdraw while it is submitted (docs/state-machines.md)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待银行审批")
        APPROVED = "approved", _("已批准")
        DECLINED = "declined", _("已拒绝")
        WITHDRAWN = "withdrawn", _("已撤回")

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="applications")
    #: the version in force when the enterprise applied (its terms and rule decided the quote)
    version = models.ForeignKey(ProductVersion, on_delete=models.PROTECT, related_name="applications")
    bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="loan_applications_received")
    enterprise = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="loan_applications")
    need = models.ForeignKey(
        "FinancingNeed", null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    #: the consent for credit assessment the application was made under
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="loan_applications")
    amount = _money(_("申请金额（元）"))
    term_months = models.PositiveSmallIntegerField(_("申请期限（月）"))
    purpose = models.CharField(_("资金用途"), max_length=300)
    #: the account facts and the rule's outcomes when applying (lineage of the quote), and the grade priced
    evaluation = models.JSONField(_("准入评估"))
    grade = models.PositiveSmallIntegerField(_("申请时碳效等级"), null=True, blank=True)
    quoted_rate_bp = models.PositiveIntegerField(_("参考利率（基点）"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    approved_amount = _money(_("批准金额（元）"), null=True, blank=True)
    approved_rate_bp = models.PositiveIntegerField(_("批准利率（基点）"), null=True, blank=True)
    approved_term_months = models.PositiveSmallIntegerField(_("批准期限（月）"), null=True, blank=True)
    decline_reason = models.CharField(_("拒绝理由"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("贷款申请")
        verbose_name_plural = pgettext_lazy("plural", "贷款申请")
        ordering = ["-applied_at", "-pk"]
        indexes = [models.Index(fields=["bank", "status"], name="loanapp_bank_status")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="loanapp_amount_positive"),
            models.CheckConstraint(condition=Q(term_months__gte=1), name="loanapp_term_positive"),
            models.CheckConstraint(
                condition=~Q(status="approved")
                | Q(approved_amount__gt=0, approved_rate_bp__gte=1, approved_term_months__gte=1),
                name="loanapp_approved_terms",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""), name="loanapp_decline_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.enterprise_id} → {self.product_id} ({self.status})"


class Loan(models.Model):
    """A loan booked from an approved application. ``drawn`` and ``outstanding`` are kept by the services in the
    same transaction as each movement, under a row lock; the database refuses a drawn sum over the approved amount
    and a negative outstanding whatever the code does."""

    number = models.CharField(_("贷款编号"), max_length=32, unique=True)
    application = models.OneToOneField(LoanApplication, on_delete=models.PROTECT, related_name="loan")
    bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="loans_granted")
    enterprise = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="loans")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="loans")
    need = models.ForeignKey("FinancingNeed", null=True, blank=True, on_delete=models.PROTECT, related_name="loans")
    purpose_tag = models.CharField(_("用途标签"), max_length=12, choices=PurposeTag.choices)
    amount = _money(_("授信金额（元）"))
    rate_bp = models.PositiveIntegerField(_("利率（基点）"))
    term_months = models.PositiveSmallIntegerField(_("期限（月）"))
    #: the borrower's register and grade when the loan was booked (the statistics' groups; a later change of
    #: district or grade does not move a booked loan)
    region_code = models.CharField(_("所在地区"), max_length=6)
    industry_code = models.CharField(_("行业"), max_length=5, blank=True)
    grade = models.PositiveSmallIntegerField(_("放款时碳效等级"), null=True, blank=True)
    booked_at = models.DateTimeField(_("入账时间"))
    maturity_date = models.DateField(_("到期日"))
    drawn = _money(_("累计提款（元）"), default=0)
    outstanding = _money(_("贷款余额（元）"), default=0)

    class Meta:
        verbose_name = _("贷款")
        verbose_name_plural = pgettext_lazy("plural", "贷款")
        ordering = ["-booked_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="loan_amount_positive"),
            models.CheckConstraint(condition=Q(drawn__gte=0, drawn__lte=F("amount")), name="loan_drawn_within_amount"),
            models.CheckConstraint(
                condition=Q(outstanding__gte=0, outstanding__lte=F("drawn")), name="loan_outstanding_within_drawn"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def undrawn(self) -> Any:
        return self.amount - self.drawn


class LoanMovement(models.Model):
    """A drawdown (提款) or a repayment (还款) of a loan, with the loan's drawn and outstanding after it."""

    class Kind(models.TextChoices):
        DRAWDOWN = "drawdown", _("提款")
        REPAYMENT = "repayment", _("还款")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    amount = _money(_("金额（元）"))
    on = models.DateField(_("日期"))
    drawn_after = _money(_("累计提款（元）"))
    outstanding_after = _money(_("余额（元）"))
    note = models.CharField(_("备注"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("提款与还款")
        verbose_name_plural = pgettext_lazy("plural", "提款与还款")
        ordering = ["loan_id", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="loanmovement_amount_positive"),
            models.CheckConstraint(condition=Q(outstanding_after__gte=0), name="loanmovement_outstanding"),
        ]


class FinancingNeed(models.Model):
    """A financing need (融资需求) an enterprise posts, or its government on its behalf; the loans booked against it
    are its follow-up (granted vs needed)."""

    class Status(models.TextChoices):
        OPEN = "open", _("对接中")
        CLOSED = "closed", _("已关闭")

    enterprise = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="financing_needs")
    amount = _money(_("需求金额（元）"))
    purpose_tag = models.CharField(_("用途标签"), max_length=12, choices=PurposeTag.choices)
    purpose = models.CharField(_("资金用途"), max_length=300)
    term_months = models.PositiveSmallIntegerField(_("期限（月）"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    #: True: posted by the enterprise's government on its behalf
    by_government = models.BooleanField(_("政府代为发布"), default=False)
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("融资需求")
        verbose_name_plural = pgettext_lazy("plural", "融资需求")
        ordering = ["-posted_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="need_amount_positive"),
            models.CheckConstraint(condition=Q(term_months__gte=1), name="need_term_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.enterprise_id} {self.amount}"


class NeedPush(models.Model):
    """Government pushes a list of needs to the banks it chooses (推送)."""

    region = models.ForeignKey("registry.Region", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("推送名称"), max_length=200)
    needs = models.ManyToManyField(FinancingNeed, related_name="pushes")
    banks = models.ManyToManyField(Organisation, related_name="need_pushes")
    pushed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    pushed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("融资需求推送")
        verbose_name_plural = pgettext_lazy("plural", "融资需求推送")
        ordering = ["-pushed_at", "-pk"]

    def __str__(self) -> str:
        return self.title

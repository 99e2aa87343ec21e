"""Finance (碳金融): consent requests a bank sends an enterprise and the carbon account credit reports it generates
(docs/finance.md); bank products and their versions, loan applications, loans and their drawdowns and repayments,
financing needs and their pushes to banks (§ Products … § Statistics); transition certification rulers, applications,
their steps and the pushes of the project and enterprise libraries (§ Transition certification); KPI-linked loans,
CERF and PCAF — to come.

The consent itself (``registry.Consent``) and the log of every read a bank makes (``registry.AccessLog``) live in
the registry, the ground floor every app's access rules are built on (docs/architecture.md); their tables keep
the ``finance_`` names. This app writes consents through its services (grant, narrow, extend, revoke) and keeps
the requests a bank makes for one.
"""

from __future__ import annotations

from decimal import Decimal
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


# ------------------------------------------------------------------------------------------- transition certification


class CertKind(models.TextChoices):
    """The two libraries (and the two rulers of each sector): transition projects and transition enterprises."""

    PROJECT = "project", _("降碳转型升级项目")
    ENTERPRISE = "enterprise", _("降碳转型升级企业")


class CertMetric(models.TextChoices):
    """What a ruler's entry value measures."""

    ENERGY_PER_PRODUCT = "energy_per_product", _("单位产品能耗")
    EMISSIONS_PER_PRODUCT = "emissions_per_product", _("单位产品碳排放")
    ENERGY_PER_VALUE_ADDED = "energy_per_value_added", _("单位增加值能耗")
    EMISSIONS_PER_VALUE_ADDED = "emissions_per_value_added", _("单位增加值碳排放")


class CertPrinciple(models.TextChoices):
    """The principles the independent verifier checks on every application."""

    NO_LOCK_IN = "no_lock_in", _("不造成碳锁定")
    DNSH = "dnsh", _("无重大损害")
    JUST_TRANSITION = "just_transition", _("公正转型")


class CertRuler(EffectiveDated):
    """A region's certification ruler (认定标准) for one key sector and one kind (project or enterprise): the entry
    condition (a value per unit of product or of value added at or below ``entry_value`` and an expected reduction of
    at least ``min_reduction_pct`` %), the advanced value and the principles the verifier checks. Versioned and
    effective-dated per (region, sector, kind); every version is kept with its source."""

    series_fields: ClassVar[tuple[str, ...]] = ("region", "industry_code", "kind")

    region = models.ForeignKey("registry.Region", on_delete=models.PROTECT, related_name="+")
    #: GB/T 4754-2017 code (division, group or class) as the registry's industries
    industry_code = models.CharField(_("行业代码"), max_length=5)
    kind = models.CharField(_("认定类别"), max_length=10, choices=CertKind.choices)
    version = models.PositiveIntegerField(_("版本"))
    sector_name = models.CharField(_("行业名称"), max_length=100)
    metric = models.CharField(_("准入指标"), max_length=32, choices=CertMetric.choices)
    unit = models.CharField(_("单位"), max_length=40)
    entry_value = models.DecimalField(_("准入值"), max_digits=18, decimal_places=4)
    advanced_value = models.DecimalField(_("先进值"), max_digits=18, decimal_places=4)
    min_reduction_pct = models.DecimalField(_("预期降碳幅度下限（%）"), max_digits=6, decimal_places=2)
    principles = models.JSONField(_("核查原则"))
    source = models.CharField(_("依据来源"), max_length=500)
    note = models.CharField(_("修订说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("转型认定标准")
        verbose_name_plural = pgettext_lazy("plural", "转型认定标准")
        ordering = ["region_id", "industry_code", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["region", "industry_code", "kind", "version"], name="certruler_version"),
            valid_to_check("certruler_valid_to"),
            models.CheckConstraint(condition=Q(entry_value__gt=0), name="certruler_entry_positive"),
            models.CheckConstraint(
                condition=Q(advanced_value__gt=0, advanced_value__lte=F("entry_value")), name="certruler_advanced"
            ),
            models.CheckConstraint(
                condition=Q(min_reduction_pct__gte=0, min_reduction_pct__lte=100), name="certruler_reduction_pct"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sector_name}（{self.industry_code}）{self.get_kind_display()} v{self.version}"

    @property
    def entry_text(self) -> str:
        return format(self.entry_value.normalize(), "f")

    @property
    def advanced_text(self) -> str:
        return format(self.advanced_value.normalize(), "f")


class CertApplication(models.Model):
    """An application for transition certification (降碳转型升级项目/企业认定) and, once certified, its entry in the
    project or enterprise library (docs/finance.md § Transition certification; docs/state-machines.md)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待核查")
        RETURNED = "returned", _("退回修改")
        REVIEWED = "reviewed", _("核查通过，待认定")
        CERTIFIED = "certified", _("已认定入库")
        REJECTED = "rejected", _("未予认定")
        REVOKED = "revoked", _("已撤销")
        EXPIRED = "expired", _("已到期")

    enterprise = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cert_applications")
    kind = models.CharField(_("认定类别"), max_length=10, choices=CertKind.choices)
    industry_code = models.CharField(_("行业代码"), max_length=5)
    #: the ruler version in force when (re)submitted: its entry conditions decided the application
    ruler = models.ForeignKey(CertRuler, on_delete=models.PROTECT, related_name="applications")
    name = models.CharField(_("项目或企业名称"), max_length=200)
    #: the independent verification body that reviews the application
    verifier = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cert_reviews")
    baseline_year = models.PositiveSmallIntegerField(_("基准年"))
    #: the baseline read from the enterprise's account (strings as shown: months, total, energy, value added …)
    baseline = models.JSONField(_("基准（碳账户）"))
    declared_value = models.DecimalField(_("申报指标值"), max_digits=18, decimal_places=4)
    expected_savings_tce = models.DecimalField(_("预期节能量（tce/年）"), max_digits=16, decimal_places=2)
    expected_reduction_tco2 = models.DecimalField(_("预期减排量（tCO2/年）"), max_digits=16, decimal_places=2)
    investment = _money(_("总投资（元）"))
    evidence = models.TextField(_("佐证材料说明"), max_length=4000)
    evidence_ref = models.CharField(_("佐证文件编号或链接"), max_length=300, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    returns = models.PositiveSmallIntegerField(_("退回次数"), default=0)
    #: {principle: {"ok": bool, "note": str}} from the verifier's last review
    principle_checks = models.JSONField(_("原则核查"), default=dict, blank=True)
    review_comment = models.TextField(_("核查意见"), max_length=2000, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("不予认定或撤销理由"), max_length=500, blank=True)
    valid_from = models.DateField(_("认定有效期起"), null=True, blank=True)
    valid_until = models.DateField(_("认定有效期至"), null=True, blank=True)
    major_event = models.BooleanField(_("重大事项"), default=False)
    major_event_note = models.CharField(_("重大事项说明"), max_length=500, blank=True)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("转型认定申请")
        verbose_name_plural = pgettext_lazy("plural", "转型认定申请")
        ordering = ["-applied_at", "-pk"]
        indexes = [models.Index(fields=["status", "kind"], name="certapp_status_kind")]
        constraints = [
            models.CheckConstraint(condition=Q(investment__gt=0), name="certapp_investment_positive"),
            models.CheckConstraint(
                condition=Q(expected_savings_tce__gte=0, expected_reduction_tco2__gt=0), name="certapp_expected"
            ),
            models.CheckConstraint(
                condition=~Q(status="certified") | Q(valid_from__isnull=False, valid_until__gt=F("valid_from")),
                name="certapp_certified_validity",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name} ({self.status})"

    @property
    def expected_reduction_pct(self) -> Decimal | None:
        """Expected reduction a year ÷ the baseline year's emissions in the account (scaled to twelve months) × 100."""
        total = Decimal(str((self.baseline or {}).get("annual_tco2e") or "0"))
        if total <= 0:
            return None
        return (self.expected_reduction_tco2 / total * 100).quantize(Decimal("0.01"))

    @property
    def declared_text(self) -> str:
        return format(self.declared_value.normalize(), "f")

    @property
    def is_advanced(self) -> bool:
        return self.declared_value <= self.ruler.advanced_value


class CertEvent(models.Model):
    """One step of an application (applied, returned, resubmitted, reviewed, certified …): who, when, from → to,
    the comment. Rows are never changed."""

    application = models.ForeignKey(CertApplication, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("操作"), max_length=20)
    status_from = models.CharField(max_length=10, blank=True)
    status_to = models.CharField(max_length=10)
    comment = models.TextField(_("说明"), max_length=2000, blank=True)
    #: empty: the platform's scheduled run (``dualcarbon expire_certifications``)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    @property
    def status_from_label(self) -> str:
        return str(CertApplication.Status(self.status_from).label) if self.status_from else "—"

    @property
    def status_to_label(self) -> str:
        return str(CertApplication.Status(self.status_to).label)

    class Meta:
        verbose_name = _("认定处理记录")
        verbose_name_plural = pgettext_lazy("plural", "认定处理记录")
        ordering = ["application_id", "pk"]


class CertPush(models.Model):
    """Government pushes entries of a library to the banks it chooses; a bank sees only what was pushed to it."""

    region = models.ForeignKey("registry.Region", on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("推送名称"), max_length=200)
    kind = models.CharField(_("库"), max_length=10, choices=CertKind.choices)
    entries = models.ManyToManyField(CertApplication, related_name="pushes")
    banks = models.ManyToManyField(Organisation, related_name="cert_pushes")
    pushed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    pushed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("认定库推送")
        verbose_name_plural = pgettext_lazy("plural", "认定库推送")
        ordering = ["-pushed_at", "-pk"]

    def __str__(self) -> str:
        return self.title


# ------------------------------------------------------------------------------------------------ KPI-linked loans


class KpiMetric(models.TextChoices):
    """What a loan's KPI measures: read from the borrower's account through the lower layers' services, from
    finance's own certification follow-up, or an external score the bank enters with evidence."""

    INTENSITY = "intensity", _("碳排放强度")
    EMISSIONS = "emissions", _("年排放总量")
    GRADE = "grade", _("碳效等级")
    TIER_SHARE = "tier_share", _("一级数据占比")
    CERT_REDUCTION = "cert_reduction", _("认定项目实际减排量")
    EXTERNAL = "external", _("外部评分")


class LoanKpi(models.Model):
    """A KPI a loan carries: a metric, its unit, a target per year and the rate step (bp) when the year's figure
    meets or misses it (docs/finance.md § KPI-linked loans)."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="kpis")
    metric = models.CharField(_("指标"), max_length=16, choices=KpiMetric.choices)
    name = models.CharField(_("指标名称"), max_length=120)
    unit = models.CharField(_("单位"), max_length=20)
    #: True: a figure at or above the target meets it (tier share, reduction, most scores); False: at or below
    higher_is_better = models.BooleanField(_("数值越高越好"))
    #: {"2025": "0.85", …}: the target of each year, in ``unit``
    targets = models.JSONField(_("各年目标"))
    step_met_bp = models.SmallIntegerField(_("达标时利率调整（基点）"))
    step_missed_bp = models.SmallIntegerField(_("未达标时利率调整（基点）"))
    #: the certified project whose achieved reduction is read (metric ``cert_reduction`` only)
    project = models.ForeignKey(
        CertApplication, null=True, blank=True, on_delete=models.PROTECT, related_name="loan_kpis"
    )
    #: who issues the score and what it is (metric ``external`` only): 「煤矿智能化验收评分（省能源局）」
    source = models.CharField(_("评分来源"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("挂钩指标")
        verbose_name_plural = pgettext_lazy("plural", "挂钩指标")
        ordering = ["loan_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(step_met_bp__gte=-300, step_met_bp__lte=300)
                & Q(step_missed_bp__gte=-300, step_missed_bp__lte=300),
                name="loankpi_steps_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.name}"


def kpi_evidence_path(instance: Any, filename: str) -> str:
    return f"finance/kpi-evidence/{instance.kpi.loan_id}/{instance.kpi_id}/{instance.year}-{filename[-80:]}"


class KpiScore(models.Model):
    """An external score the bank enters for a KPI's year, with its evidence (the file and what it is). A later
    entry for the same year replaces the earlier one in the evaluation; both are kept."""

    kpi = models.ForeignKey(LoanKpi, on_delete=models.PROTECT, related_name="scores")
    year = models.PositiveSmallIntegerField(_("年度"))
    value = models.DecimalField(_("评分"), max_digits=18, decimal_places=4)
    evidence = models.FileField(_("佐证文件"), upload_to=kpi_evidence_path, max_length=300)
    evidence_note = models.CharField(_("佐证说明"), max_length=500)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("外部评分")
        verbose_name_plural = pgettext_lazy("plural", "外部评分")
        ordering = ["kpi_id", "year", "-entered_at", "-pk"]


class KpiEvaluation(models.Model):
    """One evaluation of a KPI for a year: the figure read, with its lineage, against the target; the step it
    implies. A new row only when the figure or the outcome changed (each stored one is kept)."""

    class Outcome(models.TextChoices):
        MET = "met", _("达标")
        MISSED = "missed", _("未达标")

    class Trigger(models.TextChoices):
        ACCOUNTS = "accounts", _("碳账户更新")
        RATINGS = "ratings", _("评级更新")
        SCORE = "score", _("录入外部评分")
        COMMAND = "command", _("定期评估")
        KPI = "kpi", _("新增指标")

    kpi = models.ForeignKey(LoanKpi, on_delete=models.PROTECT, related_name="evaluations")
    year = models.PositiveSmallIntegerField(_("年度"))
    figure = models.DecimalField(_("实际值"), max_digits=18, decimal_places=4)
    target = models.DecimalField(_("目标值"), max_digits=18, decimal_places=4)
    outcome = models.CharField(_("结果"), max_length=8, choices=Outcome.choices)
    step_bp = models.SmallIntegerField(_("利率调整（基点）"))
    lineage = models.JSONField(_("数据来源"))
    trigger = models.CharField(_("触发"), max_length=10, choices=Trigger.choices)
    evaluated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("指标评估")
        verbose_name_plural = pgettext_lazy("plural", "指标评估")
        ordering = ["kpi_id", "-year", "-evaluated_at", "-pk"]


class LoanRateChange(models.Model):
    """A step of a loan's rate: from, to, and the evaluation that made it (why)."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="rate_changes")
    rate_from = models.PositiveIntegerField(_("调整前（基点）"))
    rate_to = models.PositiveIntegerField(_("调整后（基点）"))
    evaluation = models.ForeignKey(KpiEvaluation, on_delete=models.PROTECT, related_name="rate_changes")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("利率调整")
        verbose_name_plural = pgettext_lazy("plural", "利率调整")
        ordering = ["loan_id", "at", "pk"]


class BankAlert(models.Model):
    """An alert for the bank that holds a loan — a KPI missed, the borrower's grade lowered. Bank-facing only:
    government never sees a single loan (monitoring's regional alerts are not used)."""

    class Kind(models.TextChoices):
        KPI_MISSED = "kpi_missed", _("挂钩指标未达标")
        DOWNGRADE = "downgrade", _("借款企业碳效等级下调")

    bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="bank_alerts")
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="alerts")
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    #: what the alert is about, once per loan and kind: "kpi:<id>:<year>", "grade:<year>"
    subject = models.CharField(max_length=40)
    evaluation = models.ForeignKey(KpiEvaluation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    message_zh = models.CharField(_("内容"), max_length=500)
    message_en = models.CharField(_("英文内容"), max_length=500)
    evidence = models.JSONField(_("依据"), default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("银行贷后预警")
        verbose_name_plural = pgettext_lazy("plural", "银行贷后预警")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "kind", "subject"], name="bankalert_once_per_subject"),
        ]

    def message_for(self, lang: str) -> str:
        return self.message_en if lang.startswith("en") and self.message_en else self.message_zh


# ------------------------------------------------------------------------------------------------ CERF and PCAF


class LoanProject(models.Model):
    """The certified transition project a loan finances (the CERF attribution, docs/finance.md § CERF): the
    project's total financing, entered by the bank with its source; the loan's share = amount ÷ that total."""

    loan = models.OneToOneField(Loan, on_delete=models.PROTECT, related_name="project_link")
    project = models.ForeignKey(CertApplication, on_delete=models.PROTECT, related_name="loan_links")
    project_financing = _money(_("项目融资总额（元）"))
    source = models.CharField(_("来源"), max_length=300)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("贷款支持的认定项目")
        verbose_name_plural = pgettext_lazy("plural", "贷款支持的认定项目")
        constraints = [
            models.CheckConstraint(condition=Q(project_financing__gt=0), name="loanproject_financing_positive"),
        ]


class BorrowerFinancials(models.Model):
    """A borrower's total equity and debt at a date, entered by the bank with its source (the PCAF attribution
    factor's denominator, docs/finance.md § PCAF). Each entry is kept; the latest on or before a day is used."""

    bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    as_of = models.DateField(_("报表日期"))
    equity = _money(_("所有者权益（元）"))
    debt = _money(_("负债（元）"))
    source = models.CharField(_("来源"), max_length=300)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("借款企业权益与负债")
        verbose_name_plural = pgettext_lazy("plural", "借款企业权益与负债")
        ordering = ["bank_id", "enterprise_id", "-as_of", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(equity__gt=0, debt__gte=0), name="borrowerfin_positive"),
        ]

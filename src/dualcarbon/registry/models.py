"""Registry, the ground floor of the platform: administrative regions, industries, organisations, sites, users'
memberships and roles, verifier assignments, API tokens, the consents enterprises give banks and the log of
every read a bank makes, and the method policies (which factor sets a region applies).

Consent and AccessLog were the finance app's and MethodPolicy the accounting app's until the layout of
docs/architecture.md; they keep their tables (``finance_consent``, ``finance_accesslog``,
``accounting_methodpolicy``) so that existing databases, the access log's triggers and its hash chain are
untouched.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords
from stdnum.cn import uscc as stdnum_uscc

from dualcarbon.engine import consolidation, factors

from .effective import EffectiveDated, valid_to_check


def validate_uscc(value: str) -> None:
    """统一社会信用代码 (GB 32100-2015), check digit included."""
    try:
        stdnum_uscc.validate(value)
    except Exception as exc:  # stdnum raises several ValidationError subclasses
        raise ValidationError(
            _("统一社会信用代码无效（校验位或格式错误）/ invalid USCC: %(v)s"), params={"v": value}
        ) from exc


class Region(models.Model):
    """GB/T 2260 administrative division: province (2 significant digits), prefecture (4), county (6)."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        PREFECTURE = "prefecture", _("地级")
        COUNTY = "county", _("县级")

    code = models.CharField(_("行政区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("层级"), max_length=12, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = pgettext_lazy("plural", "行政区划")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def prefix(self) -> str:
        """The code prefix every region inside this one starts with."""
        return self.code[: {"province": 2, "prefecture": 4}.get(self.level, 6)]


class Industry(models.Model):
    """GB/T 4754-2017: section letter, 2-digit division, 3-digit group, 4-digit class."""

    code = models.CharField(_("行业代码"), max_length=5, primary_key=True)
    level = models.CharField(_("层级"), max_length=10)
    name_zh = models.CharField(_("名称"), max_length=128)
    name_en = models.CharField(max_length=160, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    ets_sector = models.CharField(_("全国碳市场行业"), max_length=32, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("国民经济行业")
        verbose_name_plural = _("国民经济行业")

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    @property
    def division(self) -> str:
        return self.code[:2] if self.code[:1].isdigit() else self.code


class Organisation(models.Model):
    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("企业")
        GOVERNMENT = "government", _("政府部门")
        BANK = "bank", _("银行")
        VERIFIER = "verifier", _("核查机构")
        PLATFORM = "platform", _("平台运营")

    class Size(models.TextChoices):
        LARGE = "large", _("大型")
        MEDIUM = "medium", _("中型")
        SMALL = "small", _("小型")
        MICRO = "micro", _("微型")

    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, db_index=True)
    name = models.CharField(_("名称"), max_length=200)
    uscc = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, null=True, blank=True, validators=[validate_uscc]
    )
    industry = models.ForeignKey(Industry, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("行业"))
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("所在地区/辖区"), related_name="+"
    )
    size_class = models.CharField(_("企业规模"), max_length=8, choices=Size.choices, blank=True)
    above_scale = models.BooleanField(_("规上工业企业"), default=False)
    #: the enterprise's contact for the registry (registered data; a platform account is invited separately)
    contact_name = models.CharField(_("联系人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("手机"), max_length=32, blank=True)
    contact_email = models.EmailField(_("邮箱"), max_length=254, blank=True)
    is_active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    #: every change (who, when, what): registered data is edited, never overwritten without trace
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("机构")
        verbose_name_plural = pgettext_lazy("plural", "机构")
        indexes = [models.Index(fields=["kind", "region"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == self.Kind.ENTERPRISE:
            errors = {}
            if not self.uscc:
                errors["uscc"] = _("企业必须填写统一社会信用代码")
            if self.industry_id is None:
                errors["industry"] = _("企业必须选择行业")
            if self.region_id is None:
                errors["region"] = _("企业必须选择所在县区")
            elif self.region and self.region.level != Region.Level.COUNTY:
                errors["region"] = _("企业所在地区须为县级行政区划")
            if errors:
                raise ValidationError(errors)
        if self.kind == self.Kind.GOVERNMENT and self.region_id is None:
            raise ValidationError({"region": _("政府部门必须有辖区")})


class Site(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(_("厂区/场所"), max_length=200)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("地址"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation_id", "name", "pk"]
        verbose_name = _("厂区/场所")
        verbose_name_plural = pgettext_lazy("plural", "厂区/场所")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        ENTERPRISE_STAFF = "enterprise_staff", _("企业填报人员")
        GOVERNMENT_STAFF = "government_staff", _("政府工作人员")
        BANK_STAFF = "bank_staff", _("银行人员")
        VERIFIER = "verifier", _("核查人员")
        PLATFORM_ADMIN = "platform_admin", _("平台管理员")

    #: which organisation kinds each role may belong to
    ROLE_KINDS = {
        Role.ENTERPRISE_STAFF: Organisation.Kind.ENTERPRISE,
        Role.GOVERNMENT_STAFF: Organisation.Kind.GOVERNMENT,
        Role.BANK_STAFF: Organisation.Kind.BANK,
        Role.VERIFIER: Organisation.Kind.VERIFIER,
        Role.PLATFORM_ADMIN: Organisation.Kind.PLATFORM,
    }

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("机构成员")
        verbose_name_plural = pgettext_lazy("plural", "机构成员")
        constraints = [models.UniqueConstraint(fields=["user", "organisation", "role"], name="uniq_membership")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"

    def clean(self) -> None:
        expected = self.ROLE_KINDS[self.Role(self.role)]
        if self.organisation.kind != expected:
            raise ValidationError(_("该角色只能属于“%(k)s”类机构") % {"k": expected.label})


class VerifierAssignment(models.Model):
    """Which enterprises a verification body is assigned to (its scope of work)."""

    verifier = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="assignments")
    enterprise = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="verifier_assignments")
    year = models.PositiveSmallIntegerField(_("核查年度"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("核查指派")
        verbose_name_plural = pgettext_lazy("plural", "核查指派")
        constraints = [
            models.UniqueConstraint(fields=["verifier", "enterprise", "year"], name="uniq_verifier_assignment")
        ]


class ApiToken(models.Model):
    """A system's bearer token: it acts as the enterprise staff member who created it (scoping unchanged).

    Only a SHA-256 of the key is stored; the key itself is shown once, when the token is issued.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("机构")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("代表用户")
    )
    name = models.CharField(_("名称"), max_length=100)
    #: the first characters of the key, to recognise a token in lists without revealing it
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organisation_id", "-created_at"]
        verbose_name = _("接口令牌")
        verbose_name_plural = pgettext_lazy("plural", "接口令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


# --------------------------------------------------------------------------- consents and the bank read log


class ConsentQuerySet(models.QuerySet["Consent"]):
    def active(self, on: datetime.date | None = None) -> ConsentQuerySet:
        day = on or timezone.localdate()
        return self.filter(revoked_at__isnull=True, valid_from__lte=day, valid_until__gte=day)


def validate_scope(value: str) -> None:
    """A consent's scope: one or more :class:`Consent.Scope` codes, comma-separated, no repeats."""
    codes = [c for c in (value or "").split(",")]
    unknown = [c for c in codes if c not in Consent.Scope.values]
    if not value or unknown or len(set(codes)) != len(codes):
        raise ValidationError(
            _("授权范围无效：%(v)s（可选：%(ok)s）/ invalid scope"),
            params={"v": value, "ok": ", ".join(Consent.Scope.values)},
        )


class Consent(models.Model):
    """An enterprise lets a bank read named data, for a purpose, over a period; revocable.

    The enterprise grants, narrows, extends and revokes it itself (``dualcarbon.finance.services``); every change
    is kept (django-simple-history, who and when, migration ``registry 0009``) and shown on its consent page."""

    class Scope(models.TextChoices):
        ACCOUNTS = "accounts", _("月度碳账户")
        CREDIT_REPORT = "credit_report", _("碳信用报告")
        SUMMARY = "summary", _("账户汇总")
        GRADE = "grade", _("评级及其说明")
        CERTIFICATION = "certification", _("认定状态")

    class Purpose(models.TextChoices):
        CREDIT_ASSESSMENT = "credit_assessment", _("授信评估")
        LOAN_MONITORING = "loan_monitoring", _("贷后监测")
        DISCLOSURE = "disclosure", _("信息披露")

    enterprise = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="consents_given")
    bank = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="consents_received")
    #: one or more Scope codes, comma-separated in the order of Scope (``accounts`` alone before several were allowed)
    scope = models.CharField(_("授权范围"), max_length=100, default=Scope.ACCOUNTS, validators=[validate_scope])
    purpose_code = models.CharField(
        _("用途"), max_length=20, choices=Purpose.choices, default=Purpose.CREDIT_ASSESSMENT
    )
    #: the enterprise's own words on the purpose (a loan, a facility …); optional
    purpose = models.CharField(_("用途说明"), max_length=200, blank=True)
    #: the reporting periods the bank may read (inclusive), as YYYY-MM
    data_from = models.CharField(_("数据起始期"), max_length=7)
    data_until = models.CharField(_("数据截止期"), max_length=7)
    valid_from = models.DateField(_("授权生效日"))
    valid_until = models.DateField(_("授权到期日"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = ConsentQuerySet.as_manager()

    class Meta:
        db_table = "finance_consent"
        verbose_name = _("数据授权")
        verbose_name_plural = _("数据授权")
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__gte=models.F("valid_from")), name="consent_dates"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.enterprise_id} → {self.bank_id}"

    @property
    def scopes(self) -> list[str]:
        return [c for c in (self.scope or "").split(",") if c]

    def get_scope_display(self) -> str:
        labels = dict(self.Scope.choices)
        return "、".join(str(labels.get(c, c)) for c in self.scopes)


#: the prev_hash of the first access-log row
GENESIS_HASH = "0" * 64


class AccessLog(models.Model):
    """Every read a bank makes of an enterprise's data, under the consent that allowed it; the enterprise
    (and its region's government, and the platform admin) can read this log. Rows are written by
    :func:`dualcarbon.registry.audit.record_read` only.

    The log is append-only and tamper-evident: database triggers (finance migration 0005) refuse UPDATE and
    DELETE (and, on PostgreSQL, TRUNCATE of a non-empty log) and refuse an INSERT that does not extend the hash
    chain; each row stores ``prev_hash`` (the previous row's ``row_hash``, :data:`GENESIS_HASH` for the
    first) and ``row_hash`` (SHA-256 over its fields and ``prev_hash``, :func:`dualcarbon.registry.audit.row_hash`).
    ``dualcarbon verify_access_log`` checks the chain. The organisations it names are protected: one with log
    rows cannot be deleted."""

    class Resource(models.TextChoices):
        ACCOUNT = "account", _("碳账户页面")
        LINEAGE = "lineage", _("核算过程（溯源）")
        EXPORT_XLSX = "export_xlsx", _("碳账户导出（Excel）")
        REPORT_PDF = "report_pdf", _("碳账户报告（PDF）")
        RATING = "rating", _("碳效评级结果")
        RATING_LABEL = "rating_label", _("评级二维码标签")
        CREDIT_REPORT = "credit_report", _("碳账户信用报告")

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
        db_table = "finance_accesslog"
        verbose_name = _("银行数据读取记录")
        verbose_name_plural = _("银行数据读取记录")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["enterprise", "-at"], name="accesslog_enterprise_at")]


# --------------------------------------------------------------------------- method policies


def validate_fuel_sets(value: str) -> None:
    try:
        factors.parse_fuel_sets(value)
    except factors.SelectionError as exc:
        raise ValidationError(_("燃料因子集无效：%(e)s") % {"e": exc}) from exc


def validate_grid(value: str) -> None:
    try:
        factors.parse_grid(value)
    except factors.SelectionError as exc:
        raise ValidationError(_("电网因子选择无效：%(e)s") % {"e": exc}) from exc


class MethodPolicy(EffectiveDated):
    """Which factor sets a region applies, over a period (effective-dated configuration, :mod:`.effective`):
    the most specific region containing an enterprise decides, among the policies in force on the day."""

    series_fields: ClassVar[tuple[str, ...]] = ("region",)

    class Gwp(models.TextChoices):
        SAR = "SAR", "SAR"
        AR4 = "AR4", "AR4"
        AR5 = "AR5", "AR5"
        AR6 = "AR6", "AR6"

    class TceBasis(models.TextChoices):
        EQUIVALENT = "equivalent", _("当量值")
        EQUAL = "equal", _("等价值")

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("适用地区"))
    fuel_sets = models.CharField(
        _("燃料因子集（按优先顺序）"),
        max_length=100,
        default=",".join(factors.DEFAULT_FUEL_SETS),
        validators=[validate_fuel_sets],
        help_text=_("逗号分隔，靠前者优先，例如 fuels-a,fuels-b"),
    )
    grid = models.CharField(
        _("电网因子选择"),
        max_length=40,
        default=factors.DEFAULT_GRID,
        validators=[validate_grid],
        help_text=_("ets、mee:national、mee:regional、mee:provincial 或 mee:auto，可加 @年份"),
    )
    gwp = models.CharField(_("GWP"), max_length=4, choices=Gwp.choices, default=factors.DEFAULT_GWP)
    tce_basis = models.CharField(
        _("电力折标"), max_length=12, choices=TceBasis.choices, default=factors.DEFAULT_TCE_BASIS
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    history = HistoricalRecords(table_name="accounting_historicalmethodpolicy")

    class Meta:
        db_table = "accounting_methodpolicy"
        verbose_name = _("核算方法配置")
        verbose_name_plural = _("核算方法配置")
        ordering = ["region_id", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["region", "valid_from"], name="uniq_policy_date"),
            valid_to_check("policy_valid_to"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} from {self.valid_from}: {self.fuel_sets} / {self.grid} / {self.gwp}"

    def save(self, *args: object, **kwargs: object) -> None:
        # the normal forms, so that equal choices compare equal (" MEE:Provincial" → "mee:provincial")
        try:
            self.fuel_sets = ",".join(factors.parse_fuel_sets(self.fuel_sets))
            self.grid = factors.parse_grid(self.grid)
            self.gwp = factors.parse_gwp(self.gwp)
            self.tce_basis = factors.parse_tce_basis(self.tce_basis)
        except factors.SelectionError as exc:
            raise ValidationError(str(exc)) from exc
        super().save(*args, **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- group ownership


class Ownership(EffectiveDated):
    """An organisation's holding in another over a period (effective-dated, :mod:`.effective`): the share of the
    child held by the parent, in % (0–100), and whether the parent has operational control. Two holdings of one
    pair never overlap in time (exclusion constraint on PostgreSQL, validation everywhere); a change of holding is
    a new version (:func:`services.set_ownership`). A group's inventory consolidates along these links
    (engine/consolidation.py, docs/methods.md § 18)."""

    series_fields: ClassVar[tuple[str, ...]] = ("parent", "child")

    parent = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="holdings", verbose_name=_("持股方（母公司）")
    )
    child = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="holders", verbose_name=_("被持股方（子公司）")
    )
    share = models.DecimalField(
        _("持股比例（%）"),
        max_digits=7,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    has_control = models.BooleanField(_("拥有运营控制权"), default=False)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("持股关系")
        verbose_name_plural = pgettext_lazy("plural", "持股关系")
        ordering = ["parent_id", "child_id", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "child", "valid_from"], name="uniq_ownership_date"),
            models.CheckConstraint(condition=Q(share__gte=0) & Q(share__lte=100), name="ownership_share_range"),
            models.CheckConstraint(condition=~Q(parent=models.F("child")), name="ownership_not_self"),
            valid_to_check("ownership_valid_to"),
        ]

    def __str__(self) -> str:
        until = self.valid_to.isoformat() if self.valid_to else "…"
        share = f"{Decimal(self.share).normalize():f}" if self.share is not None else "?"
        return f"{self.parent}→{self.child} {share}% [{self.valid_from}, {until})"

    def clean(self) -> None:
        super().clean()
        if self.parent_id is not None and self.parent_id == self.child_id:
            raise ValidationError({"child": _("机构不能持有自身")})
        if self.parent_id is None or self.child_id is None or self.valid_from is None or self.share is None:
            return
        # the whole graph on every day in this row's period where it changes: no child held more than 100 %, no cycle
        others = Ownership.objects.exclude(pk=self.pk) if self.pk else Ownership.objects.all()
        if self.valid_to is not None:
            others = others.filter(valid_from__lt=self.valid_to)
        rows = [*others.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=self.valid_from)), self]
        days = sorted({self.valid_from, *(r.valid_from for r in rows if r.valid_from > self.valid_from)})
        try:
            consolidation.check_links([r.as_link() for r in rows], days)
        except consolidation.ConsolidationError as exc:
            problem = exc.problems[0]
            if problem.rule == "over_100":
                raise ValidationError(
                    {
                        "share": ValidationError(
                            _("自 %(day)s 起，该子公司各股东的持股合计为 %(total)s%%，超过 100%%"),
                            params={"day": problem.value, "total": problem.hint},
                        )
                    }
                ) from exc
            if problem.rule == "cycle":
                ids = problem.where.split(" → ")
                names = dict(Organisation.objects.filter(pk__in=set(ids)).values_list("pk", "name"))
                chain = " → ".join(names.get(int(pk), pk) for pk in ids)
                raise ValidationError(
                    {
                        "parent": ValidationError(
                            _("自 %(day)s 起将形成循环持股：%(chain)s"), params={"day": problem.value, "chain": chain}
                        )
                    }
                ) from exc
            raise ValidationError(problem.message("zh")) from exc

    def as_link(self) -> consolidation.Link:
        """This holding as the consolidation engine reads it (organisations by id)."""
        return consolidation.Link(
            str(self.parent_id),
            str(self.child_id),
            Decimal(self.share),
            self.has_control,
            self.valid_from,
            self.valid_to,
            ref=str(self.pk or ""),
        )


# --------------------------------------------------------------------------- hash-chain checkpoints


class ChainCheckpoint(models.Model):
    """A keyed checkpoint of a hash chain's head (the bank read log; later other chains): the last row's id and
    hash and the number of rows at a time, with an HMAC-SHA256 under a key kept outside the database
    (:mod:`dualcarbon.registry.checkpoints`; ``dualcarbon audit_checkpoint`` writes one, ``dualcarbon
    verify_access_log`` checks them). Append-only like the log (triggers, migration 0006); each checkpoint is
    also one line of an external file."""

    #: which chain ("access_log" …)
    chain = models.CharField(max_length=40)
    #: the chain's last row when signed (0 for an empty chain), its row_hash and the number of rows up to it
    row_id = models.BigIntegerField()
    row_hash = models.CharField(max_length=64)
    count = models.BigIntegerField()
    at = models.DateTimeField()
    #: the first 16 hex digits of SHA-256 of the key that signed (which key, not the key)
    key_id = models.CharField(max_length=16)
    #: HMAC-SHA256 (hex) of checkpoints.signed_text(…)
    mac = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("哈希链检查点")
        verbose_name_plural = _("哈希链检查点")
        ordering = ["chain", "row_id", "at"]
        indexes = [models.Index(fields=["chain", "row_id"], name="checkpoint_chain_row")]

    def __str__(self) -> str:
        return f"{self.chain} row {self.row_id} ({self.count} rows) at {self.at:%Y-%m-%d %H:%M}"

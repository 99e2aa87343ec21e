"""Registry: administrative regions, industries, organisations, sites, users' memberships and roles."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc as stdnum_uscc


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
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("机构")
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

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

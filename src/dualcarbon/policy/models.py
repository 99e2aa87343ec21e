"""Policy matching (政策配套): packages of government policies, their versioned eligibility and benefit, and the
stored match runs (docs/policy.md).

* :class:`PolicyPackage` — what a government published (region, document, date), e.g. a city's 碳效码 support
  measures;
* :class:`Policy` — one policy of a package: its kind (subsidy, differentiated electricity price, tax …);
* :class:`PolicyVersion` — effective-dated (:mod:`dualcarbon.registry.effective`): the eligibility rule (JSON,
  :mod:`dualcarbon.engine.eligibility`), the benefit and the budget in force over a period; versions of one policy
  never overlap. Rules are data, edited in the UI and the API;
* :class:`MatchRun` / :class:`Match` — each matching is stored (history kept): per enterprise and policy, matched or
  near miss, with every condition's outcome and the facts and their lineage.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dualcarbon.engine import eligibility as el
from dualcarbon.rating.facts import CATALOGUE
from dualcarbon.registry.effective import EffectiveDated, valid_to_check
from dualcarbon.registry.models import Organisation, Region


class PolicyPackage(models.Model):
    """A package of policies a government published for its region."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("适用地区"))
    name_zh = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=300, blank=True)
    publisher = models.CharField(_("发布机关"), max_length=200)
    document = models.CharField(_("文件名称及文号"), max_length=300)
    published_on = models.DateField(_("发布日期"))
    source_url = models.URLField(_("原文链接"), max_length=500, blank=True)
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region_id", "-published_on", "pk"]
        verbose_name = _("政策包")
        verbose_name_plural = pgettext_lazy("plural", "政策包")

    def __str__(self) -> str:
        return self.name_zh

    def name_for(self, lang: str) -> str:
        return self.name_en if lang.startswith("en") and self.name_en else self.name_zh


class Policy(models.Model):
    class Kind(models.TextChoices):
        SUBSIDY = "subsidy", _("财政奖补")
        ELECTRICITY = "electricity", _("差别化电价")
        TAX = "tax", _("税收优惠")
        LAND = "land", _("用地保障")
        CREDIT = "credit", _("信贷支持")
        ENERGY_QUOTA = "energy_quota", _("用能指标")
        INSPECTION = "inspection", _("执法检查频次")

    package = models.ForeignKey(PolicyPackage, on_delete=models.CASCADE, related_name="policies")
    code = models.SlugField(_("代码"), max_length=40)
    name_zh = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=300, blank=True)
    kind = models.CharField(_("政策类型"), max_length=16, choices=Kind.choices)
    clause = models.CharField(_("条款"), max_length=200, blank=True, help_text=_("文件中的条款，如“第三条第（二）项”"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["package_id", "code"]
        verbose_name = _("政策")
        verbose_name_plural = pgettext_lazy("plural", "政策")
        constraints = [models.UniqueConstraint(fields=["package", "code"], name="uniq_policy_code")]

    def __str__(self) -> str:
        return self.name_zh

    def name_for(self, lang: str) -> str:
        return self.name_en if lang.startswith("en") and self.name_en else self.name_zh


class PolicyVersion(EffectiveDated):
    """One version of a policy's eligibility, benefit and budget, in force over a period."""

    series_fields: ClassVar[tuple[str, ...]] = ("policy",)

    class Benefit(models.TextChoices):
        FIXED = "fixed", _("定额奖补（元）")
        PER_TCO2 = "per_tco2", _("按减排量（元/tCO2）")
        RATE = "rate", _("比例（%）")
        SURCHARGE = "surcharge", _("加价（元/千瓦时）")
        NONE = "none", _("非资金性措施")

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("版本"))
    rule = models.JSONField(_("适用条件"))
    benefit_kind = models.CharField(_("支持方式"), max_length=10, choices=Benefit.choices)
    benefit_amount = models.DecimalField(
        _("支持额度"), max_digits=16, decimal_places=4, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    benefit_note = models.CharField(_("支持内容"), max_length=300, blank=True)
    #: the money the policy may commit (元); empty: no cap
    budget = models.DecimalField(
        _("预算（元）"), max_digits=16, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    #: a missed condition within this many % of the figure (or one grade step) makes a near miss
    near_miss_pct = models.DecimalField(
        _("临近达标阈值（%）"), max_digits=5, decimal_places=2, default=Decimal("10"), validators=[MinValueValidator(0)]
    )
    #: amounts invented for the demo (not the document's)
    illustrative = models.BooleanField(_("示意金额"), default=False)
    note = models.CharField(_("修订说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["policy_id", "-version"]
        verbose_name = _("政策版本")
        verbose_name_plural = pgettext_lazy("plural", "政策版本")
        constraints = [
            models.UniqueConstraint(fields=["policy", "version"], name="uniq_policy_version"),
            valid_to_check("policy_version_valid_to"),
        ]

    def __str__(self) -> str:
        return f"{self.policy} v{self.version}"

    def parsed_rule(self) -> el.Rule:
        return el.parse_rule(self.rule, CATALOGUE)

    def clean(self) -> None:
        super().clean()
        try:
            self.parsed_rule()
        except el.RuleError as exc:
            raise ValidationError({"rule": str(exc)}) from exc
        money = self.benefit_kind in (
            self.Benefit.FIXED,
            self.Benefit.PER_TCO2,
            self.Benefit.RATE,
            self.Benefit.SURCHARGE,
        )
        if money and self.benefit_amount is None:
            raise ValidationError({"benefit_amount": _("请填写支持额度")})


class MatchRun(models.Model):
    """One matching of a region's enterprises (or some of them) against the policies in force on a day."""

    class Reason(models.TextChoices):
        POLICY = "policy", _("政策调整")
        RATING = "rating", _("评级更新")
        ACCOUNTS = "accounts", _("核算更新")
        FACTS = "facts", _("认定等事实变更")
        MANUAL = "manual", _("手动重算")

    region_prefix = models.CharField(_("范围"), max_length=6, blank=True)
    year = models.PositiveSmallIntegerField(_("账户年度"))
    on = models.DateField(_("适用政策日期"))
    reason = models.CharField(_("原因"), max_length=10, choices=Reason.choices)
    note = models.CharField(max_length=300, blank=True)
    #: the enterprises matched by this run (empty: the whole region)
    enterprise_ids = models.JSONField(default=list)
    n_enterprises = models.PositiveIntegerField(default=0)
    n_matched = models.PositiveIntegerField(default=0)
    n_near = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("匹配运行")
        verbose_name_plural = pgettext_lazy("plural", "匹配运行")


class Match(models.Model):
    """One enterprise × one policy version in one run: matched or a near miss (others are not stored)."""

    class Status(models.TextChoices):
        MATCHED = "matched", _("符合")
        NEAR = "near", _("临近达标")

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="matches")
    enterprise = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="policy_matches")
    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="matches")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="matches")
    year = models.PositiveSmallIntegerField()
    status = models.CharField(_("结果"), max_length=8, choices=Status.choices)
    region_code = models.CharField(max_length=6, db_index=True)
    industry_code = models.CharField(max_length=5, blank=True)
    #: every condition's outcome (engine.eligibility.Outcome.to_dict), in the rule's order
    outcomes = models.JSONField(default=list)
    #: the missed conditions whose meeting would qualify (near misses)
    to_fix = models.JSONField(default=list)
    #: the facts evaluated, each with its lineage
    facts = models.JSONField(default=dict)
    #: the money this match commits (元): a fixed amount, or the amount per tCO2 × the reduction; None otherwise
    committed = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    is_current = models.BooleanField(default=True, db_index=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["enterprise_id", "policy_id", "-computed_at", "-pk"]
        verbose_name = _("匹配结果")
        verbose_name_plural = pgettext_lazy("plural", "匹配结果")
        indexes = [
            models.Index(fields=["is_current", "year", "policy"]),
            models.Index(fields=["enterprise", "is_current"]),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} × {self.policy_id} ({self.year}): {self.status}"

    def facts_values(self) -> dict[str, Any]:
        return {k: v.get("value") for k, v in (self.facts or {}).items()}


class SandboxDraft(models.Model):
    """A government's draft change, tried in the what-if sandbox before it is adopted (docs/policy.md § Sandbox).

    ``kind`` ``scheme``: new rating thresholds or weights for the region (``changes`` holds the scheme parameters
    that differ from ``base_scheme``'s, e.g. ``{"grade_bounds": [0.6, 0.85, 1.2, 2.0]}``); ``policy``: a policy's
    eligibility, benefit or budget cap (``changes`` holds the version fields that differ from ``base_version``'s:
    ``rule``, ``benefit_kind``, ``benefit_amount``, ``budget``). States: draft → adopted | withdrawn
    (docs/state-machines.md)."""

    class Kind(models.TextChoices):
        SCHEME = "scheme", _("评级阈值或权重")
        POLICY = "policy", _("政策条件、支持方式或预算")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草案")
        ADOPTED = "adopted", _("已采纳")
        WITHDRAWN = "withdrawn", _("已撤回")

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("地区"))
    kind = models.CharField(_("草案类型"), max_length=8, choices=Kind.choices)
    title = models.CharField(_("标题"), max_length=200)
    note = models.TextField(_("说明"), blank=True)
    #: scheme drafts: the scheme version the draft edits (the one rating the region when the draft was made)
    base_scheme = models.ForeignKey(
        "rating.RatingScheme", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: policy drafts: the policy and the version the draft edits
    policy = models.ForeignKey(Policy, null=True, blank=True, on_delete=models.PROTECT, related_name="drafts")
    base_version = models.ForeignKey(PolicyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    #: what changes, as data (validated against the scheme or policy it edits)
    changes = models.JSONField(_("修改内容"), default=dict)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    #: adoption: who, when, from which day, the version it made and the run kept as its impact note
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    adopted_at = models.DateTimeField(null=True, blank=True)
    adopted_from = models.DateField(null=True, blank=True)
    adopted_scheme = models.ForeignKey(
        "rating.RatingScheme", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    adopted_version = models.OneToOneField(
        PolicyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="adopted_from_draft"
    )
    impact_run = models.ForeignKey("SandboxRun", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("政策沙盘草案")
        verbose_name_plural = pgettext_lazy("plural", "政策沙盘草案")

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"


class SandboxRun(models.Model):
    """One sandbox computation of a draft for a year: the region's grades and matches recomputed in memory, nothing
    live written; ``figures`` holds the comparison (live vs draft) with how each figure was made."""

    draft = models.ForeignKey(SandboxDraft, on_delete=models.CASCADE, related_name="runs")
    year = models.PositiveSmallIntegerField(_("账户年度"))
    #: the day whose policies applied
    on = models.DateField()
    #: the draft's changes as they were when the run was made (a later edit does not change a kept run)
    changes = models.JSONField(default=dict)
    n_enterprises = models.PositiveIntegerField(default=0)
    n_up = models.PositiveIntegerField(default=0)
    n_down = models.PositiveIntegerField(default=0)
    n_gain = models.PositiveIntegerField(default=0)
    n_loss = models.PositiveIntegerField(default=0)
    figures = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("沙盘推演")
        verbose_name_plural = pgettext_lazy("plural", "沙盘推演")

    def __str__(self) -> str:
        return f"{self.draft_id} · {self.year} · {self.created_at:%Y-%m-%d %H:%M}"

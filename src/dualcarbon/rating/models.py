"""Rating: versioned schemes, each region's choice, benchmark runs, results with explanations, appeals.

Schemes are configuration (thresholds change every year): a new year's thresholds are a new
version, and every result points at the version it used. Results and benchmarks are never
overwritten: a recomputation adds rows and moves ``is_current``; a result keeps the one it superseded.
"""

from __future__ import annotations

import datetime
import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from dualcarbon.engine import rating as engine
from dualcarbon.registry.effective import EffectiveDated, valid_to_check
from dualcarbon.registry.models import Organisation, Region
from dualcarbon.reporting.models import Submission

GRADE_COLOURS = {1: "dark_green", 2: "light_green", 3: "yellow", 4: "orange", 5: "red"}
LEVEL_LABELS: dict[str, Any] = {"low": _("低碳"), "medium": _("中碳"), "high": _("高碳")}
COLOUR_LABELS: dict[str, Any] = {
    "dark_green": _("深绿"),
    "light_green": _("浅绿"),
    "yellow": _("黄"),
    "orange": _("橙"),
    "red": _("红"),
}
GROUP_LEVEL_LABELS: dict[str, Any] = {"division": _("行业大类"), "section": _("行业门类"), "region": _("全区域")}


class RatingScheme(EffectiveDated):
    """One version of a rating scheme: method, thresholds, weights, benchmark rules (``params``).

    Effective-dated (:mod:`dualcarbon.registry.effective`): the versions of one code cover periods that never
    overlap; the version in force on a period's last day rates that period."""

    series_fields: ClassVar[tuple[str, ...]] = ("code",)

    class Method(models.TextChoices):
        EFFICIENCY_CODE = engine.METHOD_EFFICIENCY_CODE, _("碳效码（浙江/湖州）")
        THREE_DIM = engine.METHOD_THREE_DIM, _("三维四色（衢州）")

    code = models.CharField(_("方案代码"), max_length=40, db_index=True)
    version = models.PositiveIntegerField(_("版本"))
    method = models.CharField(_("方法"), max_length=24, choices=Method.choices)
    valid_from = models.DateField(_("适用于报告期自"))
    name_zh = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=160, blank=True)
    params = models.JSONField(_("参数"))
    source = models.CharField(_("依据"), max_length=400, blank=True)
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("评级方案")
        verbose_name_plural = _("评级方案")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="uniq_scheme_version"),
            valid_to_check("scheme_valid_to"),
        ]

    def __str__(self) -> str:
        return f"{self.name_zh} ({self.code} v{self.version})"

    @property
    def label(self) -> str:
        return f"{self.code} v{self.version}"

    def name_for(self, lang: str) -> str:
        return self.name_en if lang.startswith("en") and self.name_en else self.name_zh

    def engine_params(self) -> engine.Params:
        params = dict(self.params)
        params.setdefault("method", self.method)
        return engine.Params.from_dict(params)

    def clean(self) -> None:
        super().clean()
        if (self.params or {}).get("method", self.method) != self.method:
            raise ValidationError({"params": _("参数中的 method 与方案方法不一致")})
        try:
            self.engine_params()
        except engine.ParamsError as exc:
            raise ValidationError({"params": str(exc)}) from exc


class RegionRatingChoice(EffectiveDated):
    """A region's scheme over a period; the most specific region containing an enterprise decides.

    The choice names a scheme (by its code); for each period the version of that code in force on the
    period's end is used. Effective-dated: one region's choices never overlap.
    """

    series_fields: ClassVar[tuple[str, ...]] = ("region",)

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("地区"))
    scheme = models.ForeignKey(RatingScheme, on_delete=models.PROTECT, related_name="+", verbose_name=_("评级方案"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["region_id", "-valid_from"]
        verbose_name = _("地区评级方案")
        verbose_name_plural = _("地区评级方案")
        constraints = [
            models.UniqueConstraint(fields=["region", "valid_from"], name="uniq_rating_choice_date"),
            valid_to_check("rating_choice_valid_to"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} → {self.scheme.code} ({self.valid_from})"


class RatingRun(models.Model):
    """One rating of one population (the enterprises under one region's scheme) for one period."""

    class Reason(models.TextChoices):
        BATCH = "batch", _("批量评级")
        APPEAL = "appeal", _("申诉重评")

    scheme = models.ForeignKey(RatingScheme, on_delete=models.PROTECT, related_name="runs")
    #: the region whose enterprises form the benchmark population (its code; see services.populations)
    population = models.CharField(_("评级范围"), max_length=6, db_index=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    #: 0 = the whole year
    month = models.PositiveSmallIntegerField(_("月份"), default=0)
    reason = models.CharField(max_length=8, choices=Reason.choices, default=Reason.BATCH)
    note = models.CharField(max_length=300, blank=True)
    params = models.JSONField(_("所用参数"))
    n_results = models.PositiveIntegerField(default=0)
    n_graded = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("评级运行")
        verbose_name_plural = pgettext_lazy("plural", "评级运行")
        ordering = ["-created_at"]


class IndustryBenchmark(models.Model):
    """The benchmark intensity of one group (industry division / section / whole region) in one run."""

    class Level(models.TextChoices):
        DIVISION = "division", _("行业大类")
        SECTION = "section", _("行业门类")
        REGION = "region", _("全区域")

    run = models.ForeignKey(RatingRun, on_delete=models.CASCADE, related_name="benchmarks")
    scheme = models.ForeignKey(RatingScheme, on_delete=models.PROTECT, related_name="+")
    population = models.CharField(max_length=6)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField(default=0)
    level = models.CharField(max_length=10, choices=Level.choices)
    code = models.CharField(max_length=6)
    #: tCO2 per 万元; null when nothing could be included
    value = models.FloatField(null=True)
    average = models.CharField(max_length=16)
    n_candidates = models.PositiveIntegerField()
    n_included = models.PositiveIntegerField()
    #: {"tier3": n, "non_positive": n, "outlier": n}
    n_excluded = models.JSONField(default=dict)
    q1 = models.FloatField(null=True)
    q3 = models.FloatField(null=True)
    outlier_limit = models.FloatField(null=True)
    lower_limit = models.FloatField(null=True)
    sum_emissions = models.FloatField()
    sum_value_added = models.FloatField()
    total_emissions = models.FloatField()
    is_current = models.BooleanField(default=True, db_index=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("行业基准")
        verbose_name_plural = pgettext_lazy("plural", "行业基准")
        ordering = ["population", "year", "month", "level", "code"]
        indexes = [models.Index(fields=["population", "year", "month", "is_current"])]

    def __str__(self) -> str:
        return f"{self.population} {self.year} {self.level} {self.code}: {self.value}"

    @property
    def level_label(self) -> str:
        return str(GROUP_LEVEL_LABELS.get(self.level, self.level))


class RatingResult(models.Model):
    class Status(models.TextChoices):
        GRADED = "graded", _("已评级")
        PARTIAL = "partial", _("仅有等级、无对标")
        NOT_RATED = "not_rated", _("未评级")

    run = models.ForeignKey(RatingRun, on_delete=models.CASCADE, related_name="results")
    enterprise = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="rating_results")
    scheme = models.ForeignKey(RatingScheme, on_delete=models.PROTECT, related_name="results")
    population = models.CharField(max_length=6)
    region_code = models.CharField(max_length=6, db_index=True)
    industry_code = models.CharField(max_length=5)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=32, blank=True)
    #: L, tCO2 per 万元 (full precision)
    intensity_l = models.FloatField(null=True)
    k_value = models.FloatField(null=True)
    level = models.CharField(_("碳效等级（低/中/高碳）"), max_length=8, blank=True)
    grade = models.PositiveSmallIntegerField(_("碳效等级"), null=True)
    colour = models.CharField(_("颜色"), max_length=12, blank=True)
    score = models.FloatField(null=True)
    #: carbon-neutrality rate (碳中和率, a fraction: 0.12 = 12 %); null when it could not be computed
    #: (the reason and every term are in ``inputs["neutrality"]`` and the explanation)
    neutrality_rate = models.FloatField(null=True)
    inputs = models.JSONField(default=dict)
    benchmark = models.ForeignKey(IndustryBenchmark, null=True, on_delete=models.PROTECT, related_name="results")
    explanation = models.JSONField(default=list)
    flags = models.JSONField(default=list)
    valid_from = models.DateField(null=True)
    valid_until = models.DateField(null=True)
    computed_at = models.DateTimeField(default=timezone.now)
    is_current = models.BooleanField(default=True, db_index=True)
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )

    class Meta:
        verbose_name = _("评级结果")
        verbose_name_plural = pgettext_lazy("plural", "评级结果")
        ordering = ["enterprise_id", "-year", "-month", "-computed_at", "-pk"]
        indexes = [
            models.Index(fields=["is_current", "year", "month"]),
            models.Index(fields=["enterprise", "is_current"]),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.period}: {self.mark}"

    @property
    def period(self) -> str:
        return f"{self.year}" if not self.month else f"{self.year}-{self.month:02d}"

    @property
    def mark_colour(self) -> str:
        """The colour the mark is shown in (碳效码 grades 1–5 map to dark green … red)."""
        return self.colour or GRADE_COLOURS.get(self.grade or 0, "")

    @property
    def mark(self) -> str:
        """The grade or colour as text ("2" / "light_green"; "" when not graded)."""
        if self.grade:
            return str(self.grade)
        return self.colour

    @property
    def mark_label(self) -> str:
        if self.grade:
            return str(_("%(g)d 级") % {"g": self.grade})
        if self.colour:
            return str(COLOUR_LABELS.get(self.colour, self.colour))
        return str(_("未评级"))

    @property
    def level_label(self) -> str:
        return str(LEVEL_LABELS.get(self.level, "")) if self.level else ""

    @property
    def neutrality_label(self) -> str:
        """The carbon-neutrality rate as a percentage with two decimals ("" when not computed)."""
        return "" if self.neutrality_rate is None else f"{self.neutrality_rate:.2%}"

    @property
    def colour_label(self) -> str:
        return str(COLOUR_LABELS.get(self.mark_colour, "")) if self.mark_colour else ""

    def is_valid_on(self, day: datetime.date) -> bool:
        return bool(
            self.is_current and self.valid_from and self.valid_until and self.valid_from <= day <= self.valid_until
        )


class Appeal(models.Model):
    """An enterprise contests a grade by correcting a data point (a new reported version with a reason)."""

    class Status(models.TextChoices):
        AWAITING = "awaiting", _("待提交更正")
        RERATED = "rerated", _("已重新评级")
        WITHDRAWN = "withdrawn", _("已撤回")

    enterprise = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="rating_appeals")
    result = models.ForeignKey(RatingResult, on_delete=models.PROTECT, related_name="appeals")
    new_result = models.ForeignKey(RatingResult, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("申诉理由"))
    #: the months whose data are corrected
    months = models.JSONField(default=list)
    corrections = models.ManyToManyField(Submission, related_name="+", blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.AWAITING)
    grade_before = models.CharField(max_length=12, blank=True)
    grade_after = models.CharField(max_length=12, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("评级申诉")
        verbose_name_plural = _("评级申诉")


def new_token() -> str:
    return secrets.token_urlsafe(18)


class VerificationLabel(models.Model):
    """The opaque token behind an enterprise's QR label (the public page shows its current grade)."""

    enterprise = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="rating_label")
    token = models.CharField(max_length=40, unique=True, default=new_token)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("验证标签")
        verbose_name_plural = _("验证标签")

"""Reduction planning (碳减排, docs/planning.md): the measures library and an enterprise's reduction plans.

Money is Decimal yuan to the fen; energy saved is Decimal tce per year; CO2 is derived, never stored: a plan's
figures are computed from its measures by engine/savings.py (tce → tCO2) and engine/macc.py (cost curve, path)
each time they are shown, so a changed measure or factor shows at once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from dualcarbon.registry.models import Organisation, Region


class Measure(models.Model):
    """One reduction measure of the library, per unit of its quantity (a boiler, a kW of PV, a m² of roof …)."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name_zh = models.CharField(_("名称（中文）"), max_length=120)
    name_en = models.CharField(_("名称（英文）"), max_length=160)
    sector = models.CharField(_("适用行业"), max_length=120, help_text=_("国民经济行业门类或大类，如 C 制造业"))
    energy_type = models.CharField(_("节约的能源"), max_length=60)
    unit_zh = models.CharField(_("计量单位（中文）"), max_length=20)
    unit_en = models.CharField(_("计量单位（英文）"), max_length=20)
    tce_per_unit = models.DecimalField(
        _("每单位年节能量（tce/年）"), max_digits=14, decimal_places=4, validators=[MinValueValidator(Decimal(0))]
    )
    #: engine/savings.py method: how the energy saved converts to CO2 (fuel:RAW_COAL, grid, coal-ranks …)
    conversion = models.CharField(_("折算方法"), max_length=80, default="coal-ranks")
    capex_per_unit = models.DecimalField(
        _("每单位投资（元）"), max_digits=16, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    opex_change_per_unit = models.DecimalField(
        _("每单位年运维费用变化（元/年）"), max_digits=16, decimal_places=2, default=Decimal(0)
    )
    lifetime_years = models.PositiveSmallIntegerField(
        _("寿命（年）"), validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    source = models.CharField(_("来源"), max_length=400)
    #: where a sourced measure's figures come from: who published it, the document, its year and the entry or clause
    #: (e.g. 国家发展改革委 / 国家重点节能低碳技术推广目录（2017年本，节能部分）/ 2018 / 第 12 项); required unless the
    #: figures are marked illustrative
    publisher = models.CharField(_("发布机关"), max_length=120, blank=True)
    document = models.CharField(_("文件"), max_length=200, blank=True)
    document_year = models.PositiveSmallIntegerField(
        _("发布年份"), null=True, blank=True, validators=[MinValueValidator(1949), MaxValueValidator(2100)]
    )
    entry = models.CharField(_("条目或条款"), max_length=60, blank=True)
    illustrative = models.BooleanField(
        _("示意数值"), default=False, help_text=_("数值为示意（非出自官方目录），页面上如实标注")
    )
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("减排措施")
        verbose_name_plural = _("减排措施库")
        constraints = [
            models.CheckConstraint(condition=models.Q(tce_per_unit__gte=0), name="planning_measure_tce_nonneg"),
            models.CheckConstraint(condition=models.Q(capex_per_unit__gte=0), name="planning_measure_capex_nonneg"),
            models.CheckConstraint(condition=models.Q(lifetime_years__gte=1), name="planning_measure_lifetime_pos"),
        ]

    def __str__(self) -> str:
        return self.name_zh

    def clean(self) -> None:
        """A conversion method `dualcarbon savings` does not understand is refused when the measure is saved."""
        from django.core.exceptions import ValidationError
        from django.utils.translation import get_language

        from dualcarbon.engine.savings import SavingsError, convert

        errors: dict[str, Any] = {}
        try:
            convert(1, "tce", method=self.conversion, region="330000", year=2023)
        except SavingsError as exc:
            lang = "en" if (get_language() or "zh").startswith("en") else "zh"
            errors["conversion"] = exc.render(lang)
        if not self.illustrative:  # a sourced measure names where its figures come from
            for name in ("publisher", "document", "document_year", "entry"):
                if getattr(self, name) in ("", None):
                    errors[name] = _("未标注为示意数值的措施须注明发布机关、文件、年份和条目。")
        if errors:
            raise ValidationError(errors)

    @property
    def citation(self) -> str:
        """发布机关《文件》（年份）条目 — empty for an illustrative measure without them."""
        if not self.document:
            return ""
        year = f"（{self.document_year}）" if self.document_year else ""
        return f"{self.publisher}《{self.document}》{year}{self.entry}"


class ReductionPlan(models.Model):
    """An enterprise's reduction plan: measures over years against its base year and target."""

    enterprise = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="reduction_plans", verbose_name=_("企业")
    )
    name = models.CharField(_("规划名称"), max_length=120)
    base_year = models.PositiveSmallIntegerField(
        _("基准年"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    until_year = models.PositiveSmallIntegerField(
        _("规划至"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    growth = models.DecimalField(
        _("无措施时排放年增长率"),
        max_digits=6,
        decimal_places=4,
        default=Decimal("0.02"),
        validators=[MinValueValidator(Decimal("-0.5")), MaxValueValidator(Decimal("0.5"))],
        help_text=_("小数，如 0.02 表示每年增长 2%"),
    )
    discount_rate = models.DecimalField(
        _("折现率"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.08"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal("0.5"))],
    )
    energy_price = models.DecimalField(
        _("能源价格（元/tce）"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("1000"),
        validators=[MinValueValidator(Decimal(0))],
    )
    target_tco2 = models.DecimalField(
        _("目标年排放（tCO2e）"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    #: the 碳效码 grade the enterprise aims for in the plan's last year (1 best … 4; 5 needs nothing)
    target_grade = models.PositiveSmallIntegerField(
        _("目标碳效等级"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text=_("规划末年希望达到的碳效等级（1–4 级），可不填"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("创建人")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["enterprise_id", "-updated_at"]
        verbose_name = _("减排规划")
        verbose_name_plural = _("减排规划")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(until_year__gte=models.F("base_year")), name="planning_until_after_base"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PlanMeasure(models.Model):
    """A measure in a plan: how much of it, from which year."""

    plan = models.ForeignKey(ReductionPlan, on_delete=models.CASCADE, related_name="items", verbose_name=_("规划"))
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="+", verbose_name=_("措施"))
    quantity = models.DecimalField(
        _("数量"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    start_year = models.PositiveSmallIntegerField(
        _("投运年份"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )

    class Meta:
        ordering = ["start_year", "pk"]
        verbose_name = _("规划措施")
        verbose_name_plural = _("规划措施")
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="planning_item_quantity_pos"),
        ]


class Scenario(models.Model):
    """A named scenario of the region's pathway to peak (碳达峰路径): assumptions by sector, edited as data.

    Every change of the scenario or of its assumptions is kept with who and when (simple-history), and the
    scenario's ``version`` counts the saves, so a projection can say which version it was made from."""

    class Kind(models.TextChoices):
        BASELINE = "baseline", _("基准情景")
        POLICY = "policy", _("政策情景")
        ENHANCED = "enhanced", _("强化情景")

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("地区"))
    name = models.CharField(_("情景名称"), max_length=80)
    kind = models.CharField(_("情景类型"), max_length=10, choices=Kind.choices)
    base_year = models.PositiveSmallIntegerField(
        _("基准年"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    until_year = models.PositiveSmallIntegerField(
        _("预测至"), default=2035, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    target_year = models.PositiveSmallIntegerField(
        _("目标年份"), null=True, blank=True, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    target_tco2 = models.DecimalField(
        _("目标排放（tCO2e）"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
    )
    description = models.TextField(_("情景说明"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("修改人")
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["region_id", "kind", "name"]
        verbose_name = _("达峰情景")
        verbose_name_plural = _("达峰情景")
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="planning_scenario_unique_name"),
            models.CheckConstraint(
                condition=models.Q(until_year__gte=models.F("base_year")), name="planning_scenario_until_after_base"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ScenarioAssumption(models.Model):
    """Yearly rates of one sector in a scenario (``*``: every sector without its own row; a letter: a GB/T 4754
    section; two digits: a division)."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="assumptions", verbose_name=_("情景"))
    sector = models.CharField(_("行业"), max_length=4, help_text=_("* 表示其余全部行业；字母为门类，两位数字为大类"))
    growth = models.DecimalField(
        _("活动水平年增长率"),
        max_digits=6,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("-0.5")), MaxValueValidator(Decimal("0.5"))],
    )
    growth_step = models.DecimalField(
        _("增长率年变化"),
        max_digits=6,
        decimal_places=4,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal("-0.05")), MaxValueValidator(Decimal("0.05"))],
        help_text=_("增长率每年的变化，如 -0.005 表示每年少 0.5 个百分点"),
    )
    efficiency = models.DecimalField(
        _("能效年提升率"),
        max_digits=6,
        decimal_places=4,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal("-0.5")), MaxValueValidator(Decimal("0.5"))],
    )
    grid_decline = models.DecimalField(
        _("电网排放因子年下降率"),
        max_digits=6,
        decimal_places=4,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal("-0.5")), MaxValueValidator(Decimal("0.5"))],
    )
    source = models.CharField(_("依据"), max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["scenario_id", "sector"]
        verbose_name = _("情景假设")
        verbose_name_plural = _("情景假设")
        constraints = [
            models.UniqueConstraint(fields=["scenario", "sector"], name="planning_assumption_unique_sector"),
        ]

"""Accounting: engine runs on submissions, their emission lines (with lineage) and monthly account entries.

A run is immutable. Recomputing (a correction, or a restatement when factors change) adds a new run
and moves ``is_current``; the old run, its lines and its entry stay readable.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dualcarbon.registry.models import MethodPolicy, Organisation
from dualcarbon.reporting.models import ActivityRecord, Submission

from . import identity as _identity


class AccountRun(models.Model):
    class Reason(models.TextChoices):
        SUBMISSION = "submission", _("提交核算")
        RESTATEMENT = "restatement", _("因子更新重算")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="runs")
    reason = models.CharField(max_length=12, choices=Reason.choices)
    note = models.CharField(max_length=300, blank=True)
    options = models.JSONField(_("核算选项"))
    #: factor set name → version, for every set the run's lines used
    factor_sets = models.JSONField(default=dict)
    policy = models.ForeignKey(MethodPolicy, null=True, on_delete=models.PROTECT, related_name="+")
    engine_version = models.CharField(max_length=20)
    is_current = models.BooleanField(default=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("核算运行")
        verbose_name_plural = pgettext_lazy("plural", "核算运行")
        ordering = ["submission_id", "created_at"]


class EmissionLine(models.Model):
    """One engine line: the activity record, its parameters with origin, formula, factor set, tier."""

    run = models.ForeignKey(AccountRun, on_delete=models.CASCADE, related_name="lines")
    activity = models.ForeignKey(ActivityRecord, on_delete=models.PROTECT, related_name="lines")
    source_type = models.CharField(max_length=32)
    scope = models.CharField(max_length=8)
    item = models.CharField(max_length=64)
    item_name = models.CharField(max_length=64)
    gas = models.CharField(max_length=16)
    quantity = models.FloatField()
    activity_unit = models.CharField(max_length=16)
    unit_factor = models.FloatField()
    unit_note = models.CharField(max_length=40, blank=True)
    ncv = models.FloatField(null=True)
    ncv_origin = models.CharField(max_length=10, blank=True)
    carbon_content = models.FloatField(null=True)
    carbon_content_origin = models.CharField(max_length=10, blank=True)
    oxidation_rate = models.FloatField(null=True)
    oxidation_rate_origin = models.CharField(max_length=10, blank=True)
    factor = models.FloatField(null=True)
    factor_origin = models.CharField(max_length=10, blank=True)
    factor_ref = models.CharField(max_length=500, blank=True)
    emission_factor = models.FloatField(null=True)
    formula = models.CharField(max_length=24)
    emission_t = models.FloatField()
    gwp = models.FloatField()
    gwp_table = models.CharField(max_length=4)
    tco2e = models.FloatField()
    #: the market-based scope 2 view (electricity lines only; null otherwise): the factor that replaces the
    #: grid factor there (绿电 0, other purchases the national residual factor) and where it comes from
    market_factor = models.FloatField(null=True)
    market_ref = models.CharField(max_length=300, blank=True)
    #: the line's contribution to the market-based view (= tco2e for non-electricity lines); null on lines
    #: computed before the market-based view existed
    market_tco2e = models.FloatField(null=True)
    biomass_co2_t = models.FloatField()
    energy_tce = models.FloatField()
    energy_method = models.CharField(max_length=300, blank=True)
    factor_set = models.CharField(max_length=32)
    factor_set_version = models.CharField(max_length=64, blank=True)
    #: the factor set row's confidence note as published in the reference library (can be a sentence)
    factor_confidence = models.CharField(max_length=300, blank=True)
    quality_tier = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("排放明细行")
        verbose_name_plural = pgettext_lazy("plural", "排放明细行")
        ordering = ["run_id", "activity_id"]


class ClaimLine(models.Model):
    """One declared neutrality claim of a run, with lineage like an emission line: own zero-carbon generation,
    green certificates (GEC) and green-power trades (MWh, turned into tCO2 with the grid factor the run chose for
    purchased electricity), CCER and forestry sinks (tCO2e).

    The scheme-independent rules are applied here (a certificate of the enterprise's own project or delivered
    with a trade, an own-project CCER and a unit that cannot be converted count nothing; own generation counts
    less the part whose certificates were transferred): ``countable`` and ``avoided_tco2`` are what the line may
    count before a rating scheme's own rule (certificates held but not retired). The rating app reads these lines
    for the carbon-neutrality rate (:func:`dualcarbon.engine.rating.neutrality_lines`), never the raw records.
    """

    run = models.ForeignKey(AccountRun, on_delete=models.CASCADE, related_name="claim_lines")
    #: the declared record (exactly one of the two)
    generation = models.ForeignKey(
        "reporting.GenerationRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="claim_lines"
    )
    offset = models.ForeignKey(
        "reporting.OffsetRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="claim_lines"
    )
    #: own_generation | gec | green_trade | ccer | forestry
    kind = models.CharField(max_length=16)
    use = models.CharField(max_length=16, blank=True)
    technology = models.CharField(max_length=12, blank=True)
    origin = models.CharField(max_length=12, blank=True)
    status = models.CharField(max_length=8, blank=True)
    reference = models.CharField(max_length=120, blank=True)
    quantity = models.FloatField()
    unit = models.CharField(max_length=32)
    #: MWh | tCO2e: what the quantity is converted into
    measure = models.CharField(max_length=8)
    #: the quantity in ``measure`` (null: the unit cannot be converted)
    amount = models.FloatField(null=True)
    #: own generation: the part (in ``measure``) whose certificates were transferred to others
    moved = models.FloatField(default=0.0)
    #: why the line counts less than declared, or nothing ("" when it counts in full): bad_unit,
    #: own_project_certificate, bundled_with_trade, own_project_ccer, transferred
    rule = models.CharField(max_length=32, blank=True)
    #: what may count, in ``measure``, before a rating scheme's rule
    countable = models.FloatField()
    #: MWh lines: the grid factor (tCO2/MWh) the run's grid choice gives for the line's year and region, and its
    #: source; null when there is none (the line then cannot be converted)
    grid_factor = models.FloatField(null=True)
    grid_ref = models.CharField(max_length=300, blank=True)
    factor_set = models.CharField(max_length=32, blank=True)
    factor_set_version = models.CharField(max_length=64, blank=True)
    #: tCO2 avoided (MWh × grid factor) or tCO2e retired, of ``countable``
    avoided_tco2 = models.FloatField()

    class Meta:
        verbose_name = _("碳中和抵扣行")
        verbose_name_plural = pgettext_lazy("plural", "碳中和抵扣行")
        ordering = ["run_id", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(generation__isnull=False, offset__isnull=True)
                | models.Q(generation__isnull=True, offset__isnull=False),
                name="claimline_one_record",
            )
        ]

    @property
    def record(self) -> str:
        return f"generation:{self.generation_id}" if self.generation_id else f"offset:{self.offset_id}"


class AccountEntry(models.Model):
    """The monthly carbon account of one enterprise, from one run (full precision; rounding only on display)."""

    run = models.OneToOneField(AccountRun, on_delete=models.CASCADE, related_name="entry")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="entries")
    enterprise = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="account_entries")
    #: denormalised at computation time for region aggregates and scoping by region prefix
    region_code = models.CharField(max_length=6, db_index=True)
    industry_code = models.CharField(max_length=5, db_index=True)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    is_current = models.BooleanField(default=True, db_index=True)
    total_tco2e = models.FloatField()
    scope1_tco2e = models.FloatField()
    scope2_tco2e = models.FloatField()
    #: market-based scope 2 (绿电 at zero, other purchases at the national residual factor) and the total
    #: with it in place of the location-based scope 2; null on entries computed before the view existed
    scope2_market_tco2e = models.FloatField(null=True)
    total_market_tco2e = models.FloatField(null=True)
    exported_tco2e = models.FloatField()
    biomass_co2_t = models.FloatField()
    energy_tce = models.FloatField()
    co2_tco2e = models.FloatField()
    ch4_tco2e = models.FloatField()
    n2o_tco2e = models.FloatField()
    fgas_tco2e = models.FloatField()
    by_source = models.JSONField()
    #: tCO2e by fuel/item code
    by_item = models.JSONField(default=dict)
    #: tCO2e (absolute) by data-quality tier {"1": …, "2": …, "3": …}
    by_tier = models.JSONField(default=dict)
    value_added = models.DecimalField(max_digits=18, decimal_places=4, null=True)
    #: tCO2e per 万元 of value added (income approach); null when value added is missing or zero
    intensity = models.FloatField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("核算结果（企业 × 月）")
        verbose_name_plural = pgettext_lazy("plural", "核算结果（企业 × 月）")
        ordering = ["enterprise_id", "year", "month"]
        indexes = [
            models.Index(fields=["is_current", "year", "month"]),
            # region page: current entries of a year within a region-code range (see registry.access.prefix_q)
            models.Index(fields=["is_current", "year", "region_code", "industry_code"], name="entry_region_year"),
            models.Index(fields=["enterprise", "is_current"]),
        ]

    @property
    def period(self) -> str:
        return f"{self.year}-{self.month:02d}"

    def identity(self) -> _identity.Identity:
        """total = scope 1 + scope 2 − exported, with the terms as printed (:mod:`dualcarbon.accounting.identity`)."""
        return _identity.of_entry(self)


class ReductionClaim(models.Model):
    """One claim in the cross-scheme register of reductions (一个减排量只能主张一次; docs/assets.md § One claim per
    reduction, written by :mod:`dualcarbon.accounting.claims_register` only).

    A reduction is named either by a **serial range** of a serial-numbered unit (CCER, green certificates: the assets
    ledger's serials) or by a **key** (a project's reduction or a certificate reference as declared, normalised). It
    may be claimed once — as an offset for an ETS surrender, for the carbon-neutrality rate, for a certificate or
    for a loan's KPI — and the register says where it was claimed first. Serial ranges of one unit never overlap
    (PostgreSQL: the exclusion constraint ``accounting_claim_no_overlap``; every database: the service's check in
    the write transaction); a key is unique per unit (``accounting_claim_key_once``).
    """

    class Purpose(models.TextChoices):
        ETS_OFFSET = "ets_offset", _("全国碳市场清缴抵销")
        NEUTRALITY = "neutrality", _("碳中和率")
        CERTIFICATE = "certificate", _("认证或声明")
        LOAN_KPI = "loan_kpi", _("贷款绩效指标")

    class Unit(models.TextChoices):
        CCER = "ccer", _("CCER 核证自愿减排量")
        GEC = "gec", _("绿证")
        GREEN_TRADE = "green_trade", _("绿电交易")
        FORESTRY = "forestry", _("林业碳汇")
        PROJECT = "project", _("项目减排量")

    unit = models.CharField(_("减排量类型"), max_length=16, choices=Unit.choices)
    serial_first = models.BigIntegerField(_("起始序列号"), null=True, blank=True)
    serial_last = models.BigIntegerField(_("终止序列号"), null=True, blank=True)
    #: without serials: the normalised reference of the reduction (a project and its period, a certificate number)
    key = models.CharField(_("减排量标识"), max_length=160, blank=True)
    vintage = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    quantity = models.DecimalField(_("数量"), max_digits=24, decimal_places=6)
    purpose = models.CharField(_("用途"), max_length=16, choices=Purpose.choices)
    claimant = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("主张方"))
    #: where it was claimed: the surrender, the reporting month and version, the certificate, the loan contract
    reference = models.CharField(_("主张依据"), max_length=200)
    #: the app that recorded it (assets, accounting, finance …)
    source = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(_("主张时间"), default=timezone.now)

    class Meta:
        verbose_name = _("减排量主张登记")
        verbose_name_plural = pgettext_lazy("plural", "减排量主张登记")
        ordering = ["unit", "serial_first", "key", "pk"]
        indexes = [models.Index(fields=["unit", "serial_first"]), models.Index(fields=["claimant", "purpose"])]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(serial_first__isnull=True, serial_last__isnull=True) & ~models.Q(key=""))
                | models.Q(
                    serial_first__isnull=False, serial_last__isnull=False, serial_first__lte=models.F("serial_last")
                ),
                name="accounting_claim_serials_or_key",
            ),
            models.UniqueConstraint(
                fields=["unit", "key"], condition=models.Q(serial_first__isnull=True), name="accounting_claim_key_once"
            ),
            models.UniqueConstraint(
                fields=["unit", "serial_first"],
                condition=models.Q(serial_first__isnull=False),
                name="accounting_claim_serial_once",
            ),
        ]

    def __str__(self) -> str:
        what = f"{self.serial_first}-{self.serial_last}" if self.serial_first is not None else self.key
        return f"{self.unit} {what} → {self.purpose} ({self.claimant_id})"

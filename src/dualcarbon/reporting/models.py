"""Reporting: monthly periods, immutable submitted versions, activity/production/economic records.

State machine of a submission version (documented in docs/state-machines.md):

    draft ──submit──▶ submitted ──verify──▶ verified ──lock──▶ locked
      │                   │ └──return / reject (a comment)──▶ returned | rejected
      └─(edit freely)     └─correct (from submitted, verified, returned, rejected: a new draft version N+1
                            with a reason; N stays readable)

Only a draft is ever edited. Submitting version N+1 makes it the current version of its period;
version N keeps its records and its account results.

Besides the activity data, a month's version may declare own zero-carbon electricity generation
(:class:`GenerationRecord`) and offsets or green-electricity attributes retired or held
(:class:`OffsetRecord`). They are not emissions: the accounts ignore them and the rating reads them
for the carbon-neutrality rate (碳中和率) of the year (``docs/rating.md``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from dualcarbon.registry.models import Organisation


class ReportingPeriod(models.Model):
    enterprise = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="periods")
    year = models.PositiveSmallIntegerField(_("年"))
    month = models.PositiveSmallIntegerField(_("月"))

    class Meta:
        ordering = ["enterprise_id", "year", "month"]
        constraints = [models.UniqueConstraint(fields=["enterprise", "year", "month"], name="uniq_period")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"


class Submission(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        VERIFIED = "verified", _("已核查")
        LOCKED = "locked", _("已锁定")
        #: sent back by the verifier with a comment: the enterprise corrects it (a new version)
        RETURNED = "returned", _("已退回")
        #: refused by the verifier with a comment: final for this version; the enterprise files a correction
        REJECTED = "rejected", _("已驳回")

    class Channel(models.TextChoices):
        WEB = "web", _("网页填报")
        EXCEL = "excel", _("Excel 模板")
        API = "api", _("系统接口")
        #: the region's bulk onboarding (``dualcarbon import-region``, reporting/region_import.py)
        IMPORT = "import", _("批量导入")

    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="submissions")
    #: denormalised for scoping and region queries
    enterprise = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="submissions")
    version = models.PositiveIntegerField(_("版本"), default=1)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    is_current = models.BooleanField(_("当前版本"), default=False, db_index=True)
    channel = models.CharField(_("来源"), max_length=8, choices=Channel.choices, default=Channel.WEB)
    reason = models.TextField(_("更正原因"), blank=True)
    source_file = models.FileField(upload_to="submissions/%Y/%m/", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    locked_at = models.DateTimeField(null=True, blank=True)
    #: the verifier's return (退回) or rejection (驳回): who, when and the comment the enterprise reads
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(_("核查意见"), blank=True)

    class Meta:
        ordering = ["period_id", "version"]
        constraints = [
            models.UniqueConstraint(fields=["period", "version"], name="uniq_submission_version"),
            models.UniqueConstraint(fields=["period"], condition=models.Q(is_current=True), name="one_current_version"),
        ]
        indexes = [models.Index(fields=["enterprise", "is_current"])]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.period} v{self.version} ({self.status})"

    @property
    def editable(self) -> bool:
        return self.status == self.Status.DRAFT


class ActivityRecord(models.Model):
    """One activity line as the enterprise reported it (the engine's input row)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="activities")
    line_no = models.PositiveIntegerField(_("行号"))
    source_type = models.CharField(_("排放源类别"), max_length=32)
    item = models.CharField(_("品种"), max_length=64)
    quantity = models.DecimalField(_("数量"), validators=[MinValueValidator(0)], max_digits=24, decimal_places=8)
    unit = models.CharField(_("单位"), max_length=32)
    ncv = models.DecimalField(_("低位发热量"), null=True, blank=True, max_digits=24, decimal_places=8)
    ncv_unit = models.CharField(_("低位发热量单位"), max_length=32, blank=True)
    carbon_content = models.DecimalField(
        _("单位热值含碳量 tC/GJ"), null=True, blank=True, max_digits=24, decimal_places=8
    )
    oxidation_rate = models.DecimalField(_("碳氧化率"), null=True, blank=True, max_digits=24, decimal_places=8)
    factor = models.DecimalField(_("排放因子"), null=True, blank=True, max_digits=24, decimal_places=8)
    factor_unit = models.CharField(_("排放因子单位"), max_length=32, blank=True)
    param_basis = models.CharField(_("参数来源"), max_length=10, blank=True)
    gas = models.CharField(_("气体"), max_length=16, blank=True)
    fraction = models.DecimalField(_("煅烧比例"), null=True, blank=True, max_digits=24, decimal_places=8)
    cao = models.DecimalField(null=True, blank=True, max_digits=24, decimal_places=8)
    mgo = models.DecimalField(null=True, blank=True, max_digits=24, decimal_places=8)
    cao_nc = models.DecimalField(null=True, blank=True, max_digits=24, decimal_places=8)
    mgo_nc = models.DecimalField(null=True, blank=True, max_digits=24, decimal_places=8)
    purity = models.DecimalField(null=True, blank=True, max_digits=24, decimal_places=8)
    #: where it came from: "表单" / sheet name, and the row in that sheet
    source_sheet = models.CharField(max_length=64, blank=True)
    source_row = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["submission_id", "line_no"]
        constraints = [models.UniqueConstraint(fields=["submission", "line_no"], name="uniq_activity_line")]


class ProductionRecord(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="production")
    product = models.CharField(_("产品"), max_length=64)
    quantity = models.DecimalField(_("产量"), validators=[MinValueValidator(0)], max_digits=24, decimal_places=8)
    unit = models.CharField(_("单位"), max_length=32)
    source_sheet = models.CharField(max_length=64, blank=True)
    source_row = models.PositiveIntegerField(null=True, blank=True)


class EconomicRecord(models.Model):
    """Economic data of the month, in 万元 (10^4 yuan)."""

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="economic")
    value_added = models.DecimalField(_("工业增加值（收入法，万元）"), max_digits=18, decimal_places=4)
    output_value = models.DecimalField(_("工业总产值（万元）"), max_digits=18, decimal_places=4, null=True, blank=True)
    revenue = models.DecimalField(_("营业收入（万元）"), max_digits=18, decimal_places=4, null=True, blank=True)


class GenerationRecord(models.Model):
    """Own zero-carbon electricity generated in the month (自有零碳电力), consumed on site or fed to the grid."""

    class Technology(models.TextChoices):
        PV = "pv", _("光伏")
        WIND = "wind", _("风电")
        HYDRO = "hydro", _("水电")
        BIOMASS = "biomass", _("生物质发电")
        OTHER = "other", _("其他零碳电力")

    class Use(models.TextChoices):
        SELF_CONSUMED = "self_consumed", _("自发自用")
        FED_IN = "fed_in", _("上网")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="generation")
    line_no = models.PositiveIntegerField(_("行号"))
    technology = models.CharField(_("发电类型"), max_length=12)
    use = models.CharField(_("去向"), max_length=16)
    quantity = models.DecimalField(_("发电量"), validators=[MinValueValidator(0)], max_digits=24, decimal_places=8)
    unit = models.CharField(_("单位"), max_length=32)
    #: of ``quantity`` (same unit): electricity whose green certificates were sold or transferred to others
    certificates_transferred = models.DecimalField(
        _("绿证已转让电量"), null=True, blank=True, max_digits=24, decimal_places=8
    )
    reference = models.CharField(_("项目/电表编号"), max_length=120, blank=True)
    source_sheet = models.CharField(max_length=64, blank=True)
    source_row = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["submission_id", "line_no"]
        constraints = [models.UniqueConstraint(fields=["submission", "line_no"], name="uniq_generation_line")]


class OffsetRecord(models.Model):
    """An offset or green-electricity attribute retired (or held) by the enterprise (碳抵消与绿色电力环境权益)."""

    class Kind(models.TextChoices):
        CCER = "ccer", _("CCER 核证自愿减排量")
        GEC = "gec", _("绿证")
        GREEN_TRADE = "green_trade", _("绿电交易")
        FORESTRY = "forestry", _("林业碳汇")

    class Origin(models.TextChoices):
        PURCHASED = "purchased", _("外购/受让")
        OWN_PROJECT = "own_project", _("本企业自有项目")
        GREEN_TRADE = "green_trade", _("随绿电交易划转")

    class Status(models.TextChoices):
        RETIRED = "retired", _("已注销/核销")
        HELD = "held", _("持有未注销")

    #: kinds measured in electricity (MWh) and in tonnes of CO2e
    MWH_KINDS = ("gec", "green_trade")
    TCO2E_KINDS = ("ccer", "forestry")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="offsets")
    line_no = models.PositiveIntegerField(_("行号"))
    kind = models.CharField(_("类型"), max_length=12)
    quantity = models.DecimalField(_("数量"), validators=[MinValueValidator(0)], max_digits=24, decimal_places=8)
    unit = models.CharField(_("单位"), max_length=32)
    origin = models.CharField(_("来源"), max_length=12, default=Origin.PURCHASED)
    status = models.CharField(_("状态"), max_length=8, default=Status.RETIRED)
    #: CCER project/serial numbers, GEC serial numbers, the green-power contract, the forestry project
    reference = models.CharField(_("项目/序列号/合同编号"), max_length=120, blank=True)
    source_sheet = models.CharField(max_length=64, blank=True)
    source_row = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["submission_id", "line_no"]
        constraints = [models.UniqueConstraint(fields=["submission", "line_no"], name="uniq_offset_line")]


class DischargeRecord(models.Model):
    """The month's discharge of one managed pollutant factor (污染物排放量), in tonnes: COD, NH3-N, SO2, NOx,
    particulate matter, VOCs (``validators.POLLUTANTS``). Reporting only stores and validates it; the assets app
    compares the year to date with the discharge rights the enterprise holds (docs/assets.md § Compliance)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="discharge")
    #: COD | NH3N | SO2 | NOX | PM | VOCS (the assets app's factor codes)
    factor = models.CharField(_("污染因子"), max_length=16)
    quantity = models.DecimalField(
        _("排放量（吨）"), validators=[MinValueValidator(0)], max_digits=24, decimal_places=8
    )
    source_sheet = models.CharField(max_length=64, blank=True)
    source_row = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        #: a factor reported twice is stored as typed and refused by the ``discharge`` validator (located), so
        #: there is no unique constraint here
        ordering = ["submission_id", "pk"]


class Evidence(models.Model):
    class Kind(models.TextChoices):
        INVOICE = "invoice", _("发票/结算单")
        METER = "meter", _("计量记录")
        LAB = "lab", _("化验报告")
        CERTIFICATE = "certificate", _("证书/注销证明/交易凭证")
        OTHER = "other", _("其他")

    ALLOWED_TYPES = {
        "application/pdf": ".pdf",
        "image/jpeg": ".jpg",
        "image/png": ".png",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    }
    MAX_BYTES = 10 * 1024 * 1024

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    file = models.FileField(upload_to="evidence/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)


class ValidationIssue(models.Model):
    """A validator's finding on a submission: errors block submitting, warnings are shown."""

    class Severity(models.TextChoices):
        ERROR = "error", _("错误")
        WARNING = "warning", _("警告")

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="issues")
    severity = models.CharField(max_length=8, choices=Severity.choices)
    rule = models.CharField(max_length=48)
    sheet = models.CharField(max_length=64, blank=True)
    row = models.PositiveIntegerField(null=True, blank=True)
    column = models.CharField(max_length=48, blank=True)
    message_zh = models.TextField()
    message_en = models.TextField()

    class Meta:
        ordering = ["submission_id", "severity", "row"]


class ImportJob(models.Model):
    """An Excel upload imported in the background (:mod:`dualcarbon.reporting.imports`): a file too large to be
    read in the request (settings ``DUALCARBON_IMPORT_ASYNC_BYTES`` / ``_ROWS``) is stored here and read by a
    job (django-tasks; ``dualcarbon db_worker``) that saves the month's draft exactly as the upload page does.

    queued ──worker──▶ running ──▶ done (the draft saved: ``submission``) | failed (``findings``, ``message``)
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("未导入")

    enterprise = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年"))
    month = models.PositiveSmallIntegerField(_("月"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    #: the uploaded workbook (private media: served by no URL)
    file = models.FileField(upload_to="imports/%Y/%m/")
    file_name = models.CharField(max_length=255)
    file_size = models.PositiveIntegerField(default=0)
    #: the most rows a sheet of the file declares (None: not declared), and the rows read so far
    rows_declared = models.PositiveIntegerField(null=True, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    #: 0–100
    progress = models.PositiveSmallIntegerField(default=0)
    #: what refused the file: excel.findings_for rows (rule, sheet, row, column, message_zh, message_en)
    findings = models.JSONField(default=list, blank=True)
    #: a refusal that is not about a cell (the month is locked …) or an internal error
    message = models.TextField(blank=True)
    #: the draft the import saved, its activity rows and validation errors
    submission = models.ForeignKey("Submission", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    activities = models.PositiveIntegerField(null=True, blank=True)
    errors = models.PositiveIntegerField(null=True, blank=True)
    #: the django-tasks result id
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("Excel 导入任务")
        verbose_name_plural = _("Excel 导入任务")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["enterprise", "year", "month"], name="importjob_period")]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.year}-{self.month:02d} {self.file_name} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


# --------------------------------------------------------------------------- meter data (电碳监测, docs/operations.md)


class MeterLoad(models.Model):
    """One month of a region's interval meter readings, loaded by its government (``dualcarbon load-meters``, the
    upload page or the API; :mod:`dualcarbon.reporting.meter_data`). The readings are not kept: the engine's
    monthly totals per enterprise are (:class:`MeteredMonth`), with where they came from.

    A reload of the same region and month makes the new load current; the previous one stays, not current, with
    ``replaced_by`` pointing at its successor (its totals are history)."""

    region = models.ForeignKey("registry.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("地区"))
    year = models.PositiveSmallIntegerField(_("年"))
    month = models.PositiveSmallIntegerField(_("月"))
    file_name = models.CharField(_("文件名"), max_length=255)
    file_sha256 = models.CharField(_("文件 SHA-256"), max_length=64)
    file_size = models.PositiveBigIntegerField(_("文件大小"), default=0)
    loaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    loaded_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    #: "cli" | "web" | "api"
    channel = models.CharField(_("来源"), max_length=8, default="web")
    readings = models.PositiveBigIntegerField(_("读数条数"), default=0)
    enterprises = models.PositiveIntegerField(_("匹配企业数"), default=0)
    unknown_entities = models.PositiveIntegerField(_("未匹配主体数"), default=0)
    #: the engine's options (interval, max_kw) and each grid choice used, per method policy
    options = models.JSONField(default=dict, blank=True)
    #: {"counts": {finding: n}, "items": [engine findings, first 500], "unknown": [unmatched entities, first 500]}
    findings = models.JSONField(default=dict, blank=True)
    is_current = models.BooleanField(_("当前"), default=True, db_index=True)
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("被替换为")
    )

    class Meta:
        ordering = ["-year", "-month", "-loaded_at", "-pk"]
        verbose_name = _("电表数据导入")
        verbose_name_plural = _("电表数据导入")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "year", "month"], condition=models.Q(is_current=True), name="one_current_meter_load"
            )
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.label} {self.file_name}"

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"


class MeteredMonth(models.Model):
    """An enterprise's metered electricity of one month, as the engine's ``meters`` module totals it (kWh counted
    once per interval, tCO2e with the grid factor the account engine gives the enterprise's purchased
    electricity), from one :class:`MeterLoad`. Only the current load's row of an enterprise-month is current."""

    load = models.ForeignKey(MeterLoad, on_delete=models.CASCADE, related_name="totals")
    enterprise = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(_("年"))
    month = models.PositiveSmallIntegerField(_("月"))
    #: the enterprise's county and industry when loaded (the nowcast groups by them)
    region_code = models.CharField(max_length=12, db_index=True)
    industry_code = models.CharField(max_length=5, blank=True)
    #: the identifier in the file (the unified social credit code)
    entity = models.CharField(max_length=64)
    kwh = models.DecimalField(_("净用电量 kWh"), max_digits=20, decimal_places=3)
    import_kwh = models.DecimalField(_("正向电量 kWh"), max_digits=20, decimal_places=3)
    export_kwh = models.DecimalField(_("反向电量 kWh"), max_digits=20, decimal_places=3)
    tco2e = models.DecimalField(_("排放量 tCO2e"), max_digits=20, decimal_places=6)
    grid_factor = models.DecimalField(_("电网排放因子 tCO2/MWh"), max_digits=12, decimal_places=6)
    grid_ref = models.CharField(max_length=200, blank=True)
    grid_set = models.CharField(max_length=64, blank=True)
    grid_version = models.CharField(max_length=64, blank=True)
    grid_choice = models.CharField(max_length=40, blank=True)
    meters = models.PositiveIntegerField(default=0)
    readings = models.PositiveBigIntegerField(default=0)
    expected_intervals = models.PositiveIntegerField(default=0)
    received_intervals = models.PositiveIntegerField(default=0)
    missing_intervals = models.PositiveIntegerField(default=0)
    duplicate_readings = models.PositiveIntegerField(default=0)
    conflicting_intervals = models.PositiveIntegerField(default=0)
    negative_readings = models.PositiveIntegerField(default=0)
    implausible_readings = models.PositiveIntegerField(default=0)
    off_grid_readings = models.PositiveIntegerField(default=0)
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["load_id", "enterprise_id"]
        constraints = [
            models.UniqueConstraint(fields=["load", "enterprise"], name="uniq_metered_load_enterprise"),
            models.UniqueConstraint(
                fields=["enterprise", "year", "month"],
                condition=models.Q(is_current=True),
                name="one_current_metered_month",
            ),
        ]
        indexes = [models.Index(fields=["year", "month", "is_current", "region_code"], name="metered_month_region")]

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"


class MeterSetting(models.Model):
    """A region's tolerance between reported purchased electricity and the metered total (default 10 %): a month
    differing by more is flagged (validator ``meter_mismatch``). The most specific region containing the
    enterprise's county decides."""

    region = models.OneToOneField(
        "registry.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("地区")
    )
    mismatch_share = models.DecimalField(
        _("报送与计量电量允许偏差"), max_digits=6, decimal_places=4, validators=[MinValueValidator(0)]
    )
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("电表数据核对设置")
        verbose_name_plural = _("电表数据核对设置")

    def __str__(self) -> str:
        return f"{self.region_id} {self.mismatch_share}"

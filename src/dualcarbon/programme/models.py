"""The city's dual-carbon programme (双碳示范城建设, docs/programme.md).

* :class:`Programme` — one city's programme (its region, its years);
* :class:`Group` / :class:`GroupMembership` — the leading group (领导小组), the working group (工作专班) and the
  special groups (专项小组: 综合协调, 能源, 工业, 城市建设, 交通, 农业农村) with their lead department, member
  departments and localities (属地: registry regions); a user's membership of a group (lead or member);
* :class:`Measure` — the configurable measure tree (一创、一优、一协、五降、四提 …), :class:`Indicator` with yearly
  :class:`IndicatorTarget` values, and :class:`StatisticValue` rows uploaded where the accounts have no figure
  (:class:`StatisticUpload` keeps who, when and which file);
* the five lists (五张清单): :class:`Project`, :class:`Platform`, :class:`FundPool`, :class:`PolicyEntry`,
  :class:`TalentEntry`, each owned by a group and a locality. Every change of an entry writes an immutable
  :class:`EntryVersion` (who, when, why, the entry's fields as they became): the list on any date is read from them;
* dispatch (调度): :class:`Task` (a work point or a project milestone; group, locality, due date) and the owners'
  :class:`ProgressReport` rows (%, text, evidence file).

Tables are written only by :mod:`dualcarbon.programme.services`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from dualcarbon.registry.models import Organisation, Region

ZERO = Decimal(0)
NONNEG = [MinValueValidator(ZERO)]


class Programme(models.Model):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("城市"))
    name_zh = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=300, blank=True)
    start_year = models.PositiveSmallIntegerField(_("起始年度"))
    end_year = models.PositiveSmallIntegerField(_("结束年度"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region_id", "pk"]
        verbose_name = _("双碳示范城建设方案")
        verbose_name_plural = pgettext_lazy("plural", "双碳示范城建设方案")

    def __str__(self) -> str:
        return self.name_zh

    def name_for(self, lang: str) -> str:
        return self.name_en if lang.startswith("en") and self.name_en else self.name_zh

    def clean(self) -> None:
        if self.start_year and self.end_year and self.end_year < self.start_year:
            raise ValidationError({"end_year": _("结束年度不能早于起始年度")})


class Group(models.Model):
    class Kind(models.TextChoices):
        LEADING = "leading", _("领导小组")
        WORKING = "working", _("工作专班")
        SPECIAL = "special", _("专项小组")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="groups")
    code = models.SlugField(_("代码"), max_length=40)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    name_zh = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    lead_department = models.CharField(_("牵头部门"), max_length=200)
    #: the member departments, one per line
    member_departments = models.TextField(_("成员单位"), blank=True)
    localities = models.ManyToManyField(Region, blank=True, related_name="+", verbose_name=_("属地"))
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["programme_id", "order", "pk"]
        verbose_name = _("专班小组")
        verbose_name_plural = pgettext_lazy("plural", "专班小组")
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="uniq_programme_group_code")]

    def __str__(self) -> str:
        return self.name_zh

    def name_for(self, lang: str) -> str:
        return self.name_en if lang.startswith("en") and self.name_en else self.name_zh

    @property
    def sees_all(self) -> bool:
        """The leading group and the working group coordinate the whole programme."""
        return self.kind in (self.Kind.LEADING, self.Kind.WORKING)

    def departments(self) -> list[str]:
        return [d.strip() for d in self.member_departments.splitlines() if d.strip()]


class GroupMembership(models.Model):
    class Role(models.TextChoices):
        LEAD = "lead", _("组长")
        MEMBER = "member", _("成员")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="programme_memberships")
    role = models.CharField(_("角色"), max_length=8, choices=Role.choices, default=Role.MEMBER)
    department = models.CharField(_("所在部门"), max_length=200, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["group_id", "role", "pk"]
        verbose_name = _("专班成员")
        verbose_name_plural = pgettext_lazy("plural", "专班成员")
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="uniq_group_member")]


class Measure(models.Model):
    """A node of the programme's measure tree (e.g. 五降 → 制造业降碳)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="measures")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children")
    code = models.CharField(_("代码"), max_length=20)
    name_zh = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=300, blank=True)
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="measures", verbose_name=_("牵头小组")
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["programme_id", "order", "code"]
        verbose_name = _("举措")
        verbose_name_plural = pgettext_lazy("plural", "举措")
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="uniq_programme_measure_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    def name_for(self, lang: str) -> str:
        return self.name_en if lang.startswith("en") and self.name_en else self.name_zh


class Indicator(models.Model):
    class Source(models.TextChoices):
        ACCOUNTS = "accounts", _("平台碳账户")
        STATISTICS = "statistics", _("上报统计数据")

    #: what the accounts give (region-wide, from the current account entries)
    class Metric(models.TextChoices):
        NONE = "", _("（无）")
        TOTAL = "total_tco2e", _("排放总量 tCO2e")
        ENERGY = "energy_tce", _("综合能耗 tce")
        INTENSITY = "intensity", _("排放强度 tCO2e/万元")

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="indicators")
    code = models.SlugField(_("代码"), max_length=40)
    name_zh = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=300, blank=True)
    unit = models.CharField(_("单位"), max_length=40)
    source = models.CharField(_("数据来源"), max_length=10, choices=Source.choices)
    metric = models.CharField(_("账户指标"), max_length=16, choices=Metric.choices, blank=True)
    higher_is_better = models.BooleanField(_("越高越好"), default=True)

    class Meta:
        ordering = ["measure_id", "code"]
        verbose_name = _("指标")
        verbose_name_plural = pgettext_lazy("plural", "指标")
        constraints = [models.UniqueConstraint(fields=["measure", "code"], name="uniq_measure_indicator_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    def name_for(self, lang: str) -> str:
        return self.name_en if lang.startswith("en") and self.name_en else self.name_zh

    def clean(self) -> None:
        if self.source == self.Source.ACCOUNTS and not self.metric:
            raise ValidationError({"metric": _("来源为碳账户的指标须选择账户指标")})


class IndicatorTarget(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField(_("年度"))
    value = models.DecimalField(_("目标值"), max_digits=18, decimal_places=4)
    source = models.CharField(_("目标依据"), max_length=300, blank=True)

    class Meta:
        ordering = ["indicator_id", "year"]
        verbose_name = _("年度目标")
        verbose_name_plural = pgettext_lazy("plural", "年度目标")
        constraints = [models.UniqueConstraint(fields=["indicator", "year"], name="uniq_indicator_target_year")]


class StatisticUpload(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="uploads")
    file_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = _("统计数据上传")
        verbose_name_plural = pgettext_lazy("plural", "统计数据上传")


class StatisticValue(models.Model):
    """An uploaded figure of an indicator for a locality and a year; a later upload's row supersedes it (kept)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    value = models.DecimalField(max_digits=18, decimal_places=4)
    upload = models.ForeignKey(StatisticUpload, on_delete=models.CASCADE, related_name="values")
    #: the row of the uploaded file (1-based, the header being row 1)
    row = models.PositiveIntegerField()
    source = models.CharField(_("数据出处"), max_length=300, blank=True)

    class Meta:
        ordering = ["indicator_id", "region_id", "year", "-pk"]
        indexes = [models.Index(fields=["indicator", "region", "year"])]


# --------------------------------------------------------------------------------------------- the five lists


class ListEntry(models.Model):
    """What every entry of the five lists has: its programme, code, names, owning group and locality."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("在册")
        RETIRED = "retired", _("已移出")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(_("编号"), max_length=40)
    name_zh = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=300, blank=True)
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="+", verbose_name=_("责任小组"))
    locality = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("属地"))
    note = models.TextField(_("说明"), blank=True)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    #: the list's code in URLs, versions and snapshots
    KIND = ""
    #: the fields a version records (besides the common ones) and an update may change
    FIELDS: tuple[str, ...] = ()
    COMMON = ("code", "name_zh", "name_en", "group", "locality", "note", "status")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    def name_for(self, lang: str) -> str:
        return self.name_en if lang.startswith("en") and self.name_en else self.name_zh


def _money(label: Any) -> models.DecimalField:
    return models.DecimalField(label, max_digits=16, decimal_places=2, default=ZERO, validators=NONNEG)


class FundPool(ListEntry):
    class Source(models.TextChoices):
        FISCAL = "fiscal", _("财政资金")
        BOND = "bond", _("专项债券")
        FUND = "fund", _("产业基金")
        CREDIT = "credit", _("银行信贷")
        SOCIAL = "social", _("社会资本")

    source = models.CharField(_("资金来源"), max_length=8, choices=Source.choices)
    manager = models.CharField(_("管理单位"), max_length=200, blank=True)
    size = _money(_("规模（元）"))
    committed = _money(_("已承诺（元）"))
    used = _money(_("已使用（元）"))

    KIND = "fund"
    FIELDS = ("source", "manager", "size", "committed", "used")

    class Meta:
        ordering = ["programme_id", "code"]
        verbose_name = _("资金池")
        verbose_name_plural = pgettext_lazy("plural", "资金池")
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="uniq_fund_code")]

    def clean(self) -> None:
        if self.size is not None and self.committed is not None and self.used is not None:
            if self.used > self.committed:
                raise ValidationError({"used": _("已使用金额不能超过已承诺金额")})
            if self.committed > self.size:
                raise ValidationError({"committed": _("已承诺金额不能超过资金池规模")})


class PolicyEntry(ListEntry):
    class Kind(models.TextChoices):
        FISCAL = "fiscal", _("财政奖补")
        PRICE = "price", _("价格政策")
        TAX = "tax", _("税收")
        FINANCE = "finance", _("金融")
        LAND = "land", _("用地用能")
        TALENT = "talent", _("人才")
        OTHER = "other", _("其他")

    kind = models.CharField(_("政策类型"), max_length=8, choices=Kind.choices)
    publisher = models.CharField(_("发布机关"), max_length=200)
    document = models.CharField(_("文件名称及文号"), max_length=300)
    published_on = models.DateField(_("发布日期"), null=True, blank=True)
    summary = models.TextField(_("主要内容"), blank=True)

    KIND = "policy"
    FIELDS = ("kind", "publisher", "document", "published_on", "summary")

    class Meta:
        ordering = ["programme_id", "code"]
        verbose_name = _("政策包条目")
        verbose_name_plural = pgettext_lazy("plural", "政策包条目")
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="uniq_policyentry_code")]


class Platform(ListEntry):
    class Kind(models.TextChoices):
        INNOVATION = "innovation", _("创新研发")
        SERVICE = "service", _("公共服务")
        TRADING = "trading", _("交易服务")
        MONITORING = "monitoring", _("监测管理")
        INDUSTRY = "industry", _("产业园区")

    kind = models.CharField(_("平台类型"), max_length=10, choices=Kind.choices)
    operator = models.CharField(_("运营单位"), max_length=200)
    launched_on = models.DateField(_("建成日期"), null=True, blank=True)
    description = models.TextField(_("功能"), blank=True)

    KIND = "platform"
    FIELDS = ("kind", "operator", "launched_on", "description")

    class Meta:
        ordering = ["programme_id", "code"]
        verbose_name = _("平台")
        verbose_name_plural = pgettext_lazy("plural", "平台")
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="uniq_platform_code")]


class TalentEntry(ListEntry):
    class Kind(models.TextChoices):
        TEAM = "team", _("创新团队")
        EXPERT = "expert", _("领军人才")
        INSTITUTION = "institution", _("研究机构")

    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    organisation = models.CharField(_("依托单位"), max_length=200)
    field_zh = models.CharField(_("领域"), max_length=200)
    headcount = models.PositiveIntegerField(_("人数"), default=0)
    introduced_on = models.DateField(_("引进日期"), null=True, blank=True)

    KIND = "talent"
    FIELDS = ("kind", "organisation", "field_zh", "headcount", "introduced_on")

    class Meta:
        ordering = ["programme_id", "code"]
        verbose_name = _("人才条目")
        verbose_name_plural = pgettext_lazy("plural", "人才条目")
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="uniq_talent_code")]


class Project(ListEntry):
    class Sector(models.TextChoices):
        ENERGY = "energy", _("能源")
        INDUSTRY = "industry", _("工业")
        BUILDINGS = "buildings", _("建筑")
        TRANSPORT = "transport", _("交通")
        AGRICULTURE = "agriculture", _("农业农村")
        CIRCULAR = "circular", _("循环经济")
        SINKS = "sinks", _("碳汇")
        TECHNOLOGY = "technology", _("科技创新")

    class Stage(models.TextChoices):
        PLANNED = "planned", _("谋划")
        PREPARING = "preparing", _("前期")
        CONSTRUCTION = "construction", _("在建")
        COMPLETED = "completed", _("竣工")
        OPERATING = "operating", _("投运")

    owner = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="programme_projects",
        verbose_name=_("业主单位（平台企业）"),
    )
    owner_name = models.CharField(_("业主单位"), max_length=200)
    sector = models.CharField(_("领域"), max_length=12, choices=Sector.choices)
    measures = models.ManyToManyField(Measure, blank=True, related_name="projects", verbose_name=_("服务举措"))
    investment = _money(_("总投资（元）"))
    expected_tce = models.DecimalField(
        _("预计节能量 tce/年"), max_digits=14, decimal_places=2, default=ZERO, validators=NONNEG
    )
    expected_tco2 = models.DecimalField(
        _("预计减排量 tCO2/年"), max_digits=14, decimal_places=2, default=ZERO, validators=NONNEG
    )
    stage = models.CharField(_("阶段"), max_length=12, choices=Stage.choices, default=Stage.PLANNED)
    start_date = models.DateField(_("开工日期"), null=True, blank=True)
    completion_date = models.DateField(_("竣工日期"), null=True, blank=True)
    fund_pool = models.ForeignKey(
        FundPool, null=True, blank=True, on_delete=models.SET_NULL, related_name="projects", verbose_name=_("资金池")
    )
    policy_entry = models.ForeignKey(
        PolicyEntry,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="projects",
        verbose_name=_("适用政策包"),
    )

    KIND = "project"
    FIELDS = (
        "owner",
        "owner_name",
        "sector",
        "measures",
        "investment",
        "expected_tce",
        "expected_tco2",
        "stage",
        "start_date",
        "completion_date",
        "fund_pool",
        "policy_entry",
    )

    class Meta:
        ordering = ["programme_id", "code"]
        verbose_name = _("项目")
        verbose_name_plural = pgettext_lazy("plural", "项目")
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="uniq_project_code")]

    def clean(self) -> None:
        done = (self.Stage.COMPLETED, self.Stage.OPERATING)
        if self.stage in done and not self.completion_date:
            raise ValidationError({"completion_date": _("竣工或投运的项目须填写竣工日期")})
        if self.start_date and self.completion_date and self.completion_date < self.start_date:
            raise ValidationError({"completion_date": _("竣工日期不能早于开工日期")})


LIST_MODELS: dict[str, type[ListEntry]] = {m.KIND: m for m in (Project, Platform, FundPool, PolicyEntry, TalentEntry)}


class EntryVersion(models.Model):
    """One change of one list entry: who, when, why, and the entry's fields as they became. Never changed."""

    class Action(models.TextChoices):
        CREATED = "created", _("新增")
        UPDATED = "updated", _("修改")
        RETIRED = "retired", _("移出")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10)
    entry_id = models.PositiveBigIntegerField()
    version = models.PositiveIntegerField()
    action = models.CharField(_("操作"), max_length=8, choices=Action.choices)
    data = models.JSONField()
    #: the fields this change altered, with their values before and after ({field: [before, after]})
    changes = models.JSONField(default=dict)
    reason = models.CharField(_("变更原因"), max_length=300)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    group_id_at = models.PositiveBigIntegerField()
    locality_at = models.CharField(max_length=6)

    class Meta:
        ordering = ["kind", "entry_id", "version"]
        verbose_name = _("清单条目版本")
        verbose_name_plural = pgettext_lazy("plural", "清单条目版本")
        constraints = [models.UniqueConstraint(fields=["kind", "entry_id", "version"], name="uniq_entry_version")]
        indexes = [models.Index(fields=["programme", "kind", "changed_at"])]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValidationError(_("清单条目版本一经记录不得修改"))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValidationError(_("清单条目版本一经记录不得删除"))


# --------------------------------------------------------------------------------------------- dispatch


class Task(models.Model):
    class Kind(models.TextChoices):
        TASK = "task", _("工作任务")
        MILESTONE = "milestone", _("项目节点")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="tasks")
    code = models.CharField(_("编号"), max_length=40)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.TASK)
    title_zh = models.CharField(_("任务"), max_length=300)
    title_en = models.CharField(_("英文名称"), max_length=400, blank=True)
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("责任小组"))
    locality = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("属地"))
    measure = models.ForeignKey(
        Measure, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks", verbose_name=_("举措")
    )
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("项目")
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    start_date = models.DateField(_("开始日期"))
    due_date = models.DateField(_("完成时限"))
    progress = models.PositiveSmallIntegerField(
        _("进度 %"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    completed_on = models.DateField(_("完成日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["programme_id", "due_date", "code"]
        verbose_name = _("调度任务")
        verbose_name_plural = pgettext_lazy("plural", "调度任务")
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="uniq_task_code"),
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="task_progress_le_100"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title_zh}"

    def title_for(self, lang: str) -> str:
        return self.title_en if lang.startswith("en") and self.title_en else self.title_zh

    def clean(self) -> None:
        if self.start_date and self.due_date and self.due_date < self.start_date:
            raise ValidationError({"due_date": _("完成时限不能早于开始日期")})


class ProgressReport(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reports")
    progress = models.PositiveSmallIntegerField(_("进度 %"), validators=[MinValueValidator(0), MaxValueValidator(100)])
    text = models.TextField(_("进展情况"))
    evidence = models.FileField(_("佐证材料"), upload_to="programme/evidence/%Y/%m/", blank=True)
    evidence_name = models.CharField(max_length=200, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["task_id", "-reported_at", "-pk"]
        verbose_name = _("进展报告")
        verbose_name_plural = pgettext_lazy("plural", "进展报告")


# --------------------------------------------------------------------------------------------- the dual-carbon index


class IndexRun(models.Model):
    """One computation of the dual-carbon index (双碳指数, engine/dcindex.py, docs/methods.md § 17) for the
    programme's counties and a year: the method and its version as they were, the uploaded table (name, SHA-256),
    every input value with its source (the file's row, or the accounts with their lineage), the results (score,
    rank, class, dimensions, each indicator's normalised value, weight and contribution) and the sensitivity of
    the ranks to ±10 % weights. Never changed: a new upload is a new run."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="index_runs")
    year = models.PositiveSmallIntegerField(_("年度"))
    method = models.CharField(_("方法"), max_length=40)
    method_version = models.CharField(_("方法版本"), max_length=20)
    #: the method as computed: title, source, convention, dimensions, indicators (with weights) and classes
    method_spec = models.JSONField(default=dict)
    file_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(max_length=64)
    #: area code → {"name", "row", "values": {indicator: {"value", "source", "row", "lineage", "lineage_en"}}}
    inputs = models.JSONField(default=dict)
    #: {"basis": {indicator: {...}}, "areas": [{"area", "name", "score", "rank", "class", "dimensions": [...]}]}
    results = models.JSONField(default=dict)
    sensitivity = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("双碳指数计算")
        verbose_name_plural = pgettext_lazy("plural", "双碳指数计算")

    def __str__(self) -> str:
        return f"{self.programme} {self.year} {self.method}@{self.method_version}"


# --------------------------------------------------------------------------------------------- group inventory


class GroupInventory(models.Model):
    """A group's carbon inventory (碳盘查) for a year: the consolidation approach chosen for it (operational control
    or equity share, GHG Protocol ch. 3, ISO 14064-1 clause 5.1) and its base year. The figures are computed from
    the current accounts and the ownership links each time it is read (engine/consolidation.py), so they always
    equal the accounts as they stand; docs/programme.md § Group inventory."""

    class Approach(models.TextChoices):
        CONTROL = "operational_control", _("运营控制权法")
        EQUITY = "equity_share", _("股权比例法")

    group = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="group_inventories", verbose_name=_("集团")
    )
    year = models.PositiveSmallIntegerField(_("盘查年度"))
    approach = models.CharField(_("合并方法"), max_length=20, choices=Approach.choices)
    base_year = models.PositiveSmallIntegerField(_("基准年"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["group_id", "-year"]
        verbose_name = _("集团碳盘查")
        verbose_name_plural = pgettext_lazy("plural", "集团碳盘查")
        constraints = [models.UniqueConstraint(fields=["group", "year"], name="uniq_group_inventory_year")]

    def __str__(self) -> str:
        return f"{self.group} {self.year} {self.approach}"


class InventorySnapshot(models.Model):
    """An inventory frozen as it stood on a day (碳盘查快照): every figure of the report as computed then
    (``data``) and the SHA-256 of its canonical JSON. Never changed or deleted: when the accounts are restated
    later, the inventory page shows the current figures beside each snapshot (docs/programme.md § Snapshots)."""

    inventory = models.ForeignKey(GroupInventory, on_delete=models.PROTECT, related_name="snapshots")
    as_of = models.DateField(_("快照日期"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    data = models.JSONField()
    sha256 = models.CharField(max_length=64)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["inventory_id", "-taken_at", "-pk"]
        verbose_name = _("碳盘查快照")
        verbose_name_plural = pgettext_lazy("plural", "碳盘查快照")

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValidationError(_("碳盘查快照一经保存不得修改"))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValidationError(_("碳盘查快照一经保存不得删除"))


class EsgEntry(models.Model):
    """A governance or social indicator a group discloses for the year of one of its inventories, entered by the
    group itself (programme/esg.py holds the catalogue of codes, units and checks). The environmental indicators
    are computed from the accounts and never stored here."""

    inventory = models.ForeignKey(GroupInventory, on_delete=models.CASCADE, related_name="esg_entries")
    code = models.CharField(_("指标代码"), max_length=40)
    value = models.CharField(_("填报值"), max_length=500)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["inventory_id", "code"]
        verbose_name = _("ESG 填报指标")
        verbose_name_plural = pgettext_lazy("plural", "ESG 填报指标")
        constraints = [models.UniqueConstraint(fields=["inventory", "code"], name="uniq_esg_entry_code")]

"""The registry adopts Consent and AccessLog (from finance) and MethodPolicy with its history (from accounting).

State only: the tables keep their names (finance_consent, finance_accesslog, accounting_methodpolicy,
accounting_historicalmethodpolicy), so the rows, the access log's triggers and hash chain, and the foreign keys
pointing at them are untouched. Migration 0005 then makes method policies effective-dated periods.
"""

import django.db.models.deletion
import django.utils.timezone
import dualcarbon.registry.models
import simple_history.models
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_industry_names_en"),
        ("finance", "0005_access_log_append_only"),
        ("accounting", "0004_market_based_scope2"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Consent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "scope",
                            models.CharField(
                                choices=[("accounts", "月度碳账户"), ("credit_report", "碳信用报告")],
                                default="accounts",
                                max_length=16,
                                verbose_name="授权范围",
                            ),
                        ),
                        ("purpose", models.CharField(max_length=200, verbose_name="用途")),
                        ("data_from", models.CharField(max_length=7, verbose_name="数据起始期")),
                        ("data_until", models.CharField(max_length=7, verbose_name="数据截止期")),
                        ("valid_from", models.DateField(verbose_name="授权生效日")),
                        ("valid_until", models.DateField(verbose_name="授权到期日")),
                        ("revoked_at", models.DateTimeField(blank=True, null=True, verbose_name="撤销时间")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "bank",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="consents_received",
                                to="registry.organisation",
                            ),
                        ),
                        (
                            "created_by",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "enterprise",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="consents_given",
                                to="registry.organisation",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "数据授权",
                        "verbose_name_plural": "数据授权",
                        "db_table": "finance_consent",
                    },
                ),
                migrations.CreateModel(
                    name="AccessLog",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("what", models.CharField(max_length=200)),
                        (
                            "resource",
                            models.CharField(
                                choices=[
                                    ("account", "碳账户页面"),
                                    ("lineage", "核算过程（溯源）"),
                                    ("export_xlsx", "碳账户导出（Excel）"),
                                    ("report_pdf", "碳账户报告（PDF）"),
                                    ("rating", "碳效评级结果"),
                                    ("rating_label", "评级二维码标签"),
                                ],
                                default="account",
                                max_length=16,
                                verbose_name="读取内容",
                            ),
                        ),
                        (
                            "channel",
                            models.CharField(
                                choices=[("web", "网页"), ("api", "接口")],
                                default="web",
                                max_length=8,
                                verbose_name="渠道",
                            ),
                        ),
                        ("path", models.CharField(blank=True, max_length=300)),
                        ("at", models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False)),
                        ("prev_hash", models.CharField(editable=False, max_length=64)),
                        ("row_hash", models.CharField(editable=False, max_length=64)),
                        (
                            "enterprise",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="access_log",
                                to="registry.organisation",
                            ),
                        ),
                        (
                            "reader",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="registry.organisation",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "consent",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                to="registry.consent",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "银行数据读取记录",
                        "verbose_name_plural": "银行数据读取记录",
                        "db_table": "finance_accesslog",
                        "ordering": ["-at", "-pk"],
                    },
                ),
                migrations.CreateModel(
                    name="HistoricalMethodPolicy",
                    fields=[
                        ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                        ("valid_from", models.DateField(verbose_name="生效日期")),
                        (
                            "fuel_sets",
                            models.CharField(
                                default="fuels-a",
                                help_text="逗号分隔，靠前者优先，例如 fuels-a,fuels-b",
                                max_length=100,
                                validators=[dualcarbon.registry.models.validate_fuel_sets],
                                verbose_name="燃料因子集（按优先顺序）",
                            ),
                        ),
                        (
                            "grid",
                            models.CharField(
                                default="mee:auto",
                                help_text="ets、mee:national、mee:regional、mee:provincial 或 mee:auto，可加 @年份",
                                max_length=40,
                                validators=[dualcarbon.registry.models.validate_grid],
                                verbose_name="电网因子选择",
                            ),
                        ),
                        (
                            "gwp",
                            models.CharField(
                                choices=[("SAR", "SAR"), ("AR4", "AR4"), ("AR5", "AR5"), ("AR6", "AR6")],
                                default="AR5",
                                max_length=4,
                                verbose_name="GWP",
                            ),
                        ),
                        (
                            "tce_basis",
                            models.CharField(
                                choices=[("equivalent", "当量值"), ("equal", "等价值")],
                                default="equivalent",
                                max_length=12,
                                verbose_name="电力折标",
                            ),
                        ),
                        ("note", models.CharField(blank=True, max_length=200, verbose_name="说明")),
                        ("history_id", models.AutoField(primary_key=True, serialize=False)),
                        ("history_date", models.DateTimeField(db_index=True)),
                        ("history_change_reason", models.CharField(max_length=100, null=True)),
                        (
                            "history_type",
                            models.CharField(
                                choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1
                            ),
                        ),
                        (
                            "history_user",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "region",
                            models.ForeignKey(
                                blank=True,
                                db_constraint=False,
                                null=True,
                                on_delete=django.db.models.deletion.DO_NOTHING,
                                related_name="+",
                                to="registry.region",
                                verbose_name="适用地区",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "historical 核算方法配置",
                        "verbose_name_plural": "historical 核算方法配置",
                        "db_table": "accounting_historicalmethodpolicy",
                        "ordering": ("-history_date", "-history_id"),
                        "get_latest_by": ("history_date", "history_id"),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name="MethodPolicy",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("valid_from", models.DateField(verbose_name="生效日期")),
                        (
                            "fuel_sets",
                            models.CharField(
                                default="fuels-a",
                                help_text="逗号分隔，靠前者优先，例如 fuels-a,fuels-b",
                                max_length=100,
                                validators=[dualcarbon.registry.models.validate_fuel_sets],
                                verbose_name="燃料因子集（按优先顺序）",
                            ),
                        ),
                        (
                            "grid",
                            models.CharField(
                                default="mee:auto",
                                help_text="ets、mee:national、mee:regional、mee:provincial 或 mee:auto，可加 @年份",
                                max_length=40,
                                validators=[dualcarbon.registry.models.validate_grid],
                                verbose_name="电网因子选择",
                            ),
                        ),
                        (
                            "gwp",
                            models.CharField(
                                choices=[("SAR", "SAR"), ("AR4", "AR4"), ("AR5", "AR5"), ("AR6", "AR6")],
                                default="AR5",
                                max_length=4,
                                verbose_name="GWP",
                            ),
                        ),
                        (
                            "tce_basis",
                            models.CharField(
                                choices=[("equivalent", "当量值"), ("equal", "等价值")],
                                default="equivalent",
                                max_length=12,
                                verbose_name="电力折标",
                            ),
                        ),
                        ("note", models.CharField(blank=True, max_length=200, verbose_name="说明")),
                        (
                            "region",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="registry.region",
                                verbose_name="适用地区",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "核算方法配置",
                        "verbose_name_plural": "核算方法配置",
                        "db_table": "accounting_methodpolicy",
                        "ordering": ["region_id", "-valid_from"],
                    },
                ),
                migrations.AddConstraint(
                    model_name="consent",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("valid_until__gte", models.F("valid_from"))), name="consent_dates"
                    ),
                ),
                migrations.AddIndex(
                    model_name="accesslog",
                    index=models.Index(fields=["enterprise", "-at"], name="accesslog_enterprise_at"),
                ),
                migrations.AddConstraint(
                    model_name="methodpolicy",
                    constraint=models.UniqueConstraint(fields=("region", "valid_from"), name="uniq_policy_date"),
                ),
            ],
        )
    ]

"""The registry's own pages (docs/registry.md): an enterprise's contact, and the history of every change to an
organisation and its sites (django-simple-history). The rows that exist already get one "created" history row
each (history_date: the organisation's creation, or now for a site), so every record has a first version.

The state-only change of ``MethodPolicy.fuel_sets``'s default (the engine's DEFAULT_FUEL_SETS) is recorded here too.
"""

import django.db.models.deletion
import dualcarbon.registry.models
import simple_history.models
from django.conf import settings
from django.db import migrations, models


REASON = "登记簿记录历史之前已存在 / existed before the registry kept history"
FIELDS_ORG = (
    "id",
    "kind",
    "name",
    "uscc",
    "industry_id",
    "region_id",
    "size_class",
    "above_scale",
    "contact_name",
    "contact_phone",
    "contact_email",
    "is_active",
    "created_at",
)
FIELDS_SITE = ("id", "organisation_id", "name", "region_id", "address")


def first_versions(apps, schema_editor):
    from django.utils import timezone

    now = timezone.now()
    for model, historical, fields in (
        ("Organisation", "HistoricalOrganisation", FIELDS_ORG),
        ("Site", "HistoricalSite", FIELDS_SITE),
    ):
        Model, History = apps.get_model("registry", model), apps.get_model("registry", historical)
        rows = [
            History(
                **{f: getattr(obj, f) for f in fields},
                history_date=getattr(obj, "created_at", None) or now,
                history_type="+",
                history_change_reason=REASON,
            )
            for obj in Model.objects.order_by("pk").iterator()
        ]
        History.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0006_chain_checkpoints"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="site",
            options={"ordering": ["organisation_id", "name", "pk"], "verbose_name": "厂区/场所"},
        ),
        migrations.AddField(
            model_name="organisation",
            name="contact_email",
            field=models.EmailField(blank=True, max_length=254, verbose_name="邮箱"),
        ),
        migrations.AddField(
            model_name="organisation",
            name="contact_name",
            field=models.CharField(blank=True, max_length=64, verbose_name="联系人"),
        ),
        migrations.AddField(
            model_name="organisation",
            name="contact_phone",
            field=models.CharField(blank=True, max_length=32, verbose_name="手机"),
        ),
        migrations.AlterField(
            model_name="historicalmethodpolicy",
            name="fuel_sets",
            field=models.CharField(
                default="ndrc-2015,ipcc2006-fuels",
                help_text="逗号分隔，靠前者优先，例如 fuels-a,fuels-b",
                max_length=100,
                validators=[dualcarbon.registry.models.validate_fuel_sets],
                verbose_name="燃料因子集（按优先顺序）",
            ),
        ),
        migrations.AlterField(
            model_name="methodpolicy",
            name="fuel_sets",
            field=models.CharField(
                default="ndrc-2015,ipcc2006-fuels",
                help_text="逗号分隔，靠前者优先，例如 fuels-a,fuels-b",
                max_length=100,
                validators=[dualcarbon.registry.models.validate_fuel_sets],
                verbose_name="燃料因子集（按优先顺序）",
            ),
        ),
        migrations.AlterField(
            model_name="organisation",
            name="is_active",
            field=models.BooleanField(default=True, verbose_name="有效"),
        ),
        migrations.CreateModel(
            name="HistoricalOrganisation",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("enterprise", "企业"),
                            ("government", "政府部门"),
                            ("bank", "银行"),
                            ("verifier", "核查机构"),
                            ("platform", "平台运营"),
                        ],
                        db_index=True,
                        max_length=12,
                        verbose_name="类型",
                    ),
                ),
                ("name", models.CharField(max_length=200, verbose_name="名称")),
                (
                    "uscc",
                    models.CharField(
                        blank=True,
                        db_index=True,
                        max_length=18,
                        null=True,
                        validators=[dualcarbon.registry.models.validate_uscc],
                        verbose_name="统一社会信用代码",
                    ),
                ),
                (
                    "size_class",
                    models.CharField(
                        blank=True,
                        choices=[("large", "大型"), ("medium", "中型"), ("small", "小型"), ("micro", "微型")],
                        max_length=8,
                        verbose_name="企业规模",
                    ),
                ),
                ("above_scale", models.BooleanField(default=False, verbose_name="规上工业企业")),
                ("contact_name", models.CharField(blank=True, max_length=64, verbose_name="联系人")),
                ("contact_phone", models.CharField(blank=True, max_length=32, verbose_name="手机")),
                ("contact_email", models.EmailField(blank=True, max_length=254, verbose_name="邮箱")),
                ("is_active", models.BooleanField(default=True, verbose_name="有效")),
                ("created_at", models.DateTimeField(blank=True, editable=False)),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
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
                    "industry",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="registry.industry",
                        verbose_name="行业",
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
                        verbose_name="所在地区/辖区",
                    ),
                ),
            ],
            options={
                "verbose_name": "historical 机构",
                "verbose_name_plural": "historical 机构s",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name="HistoricalSite",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                ("name", models.CharField(max_length=200, verbose_name="厂区/场所")),
                ("address", models.CharField(blank=True, max_length=300, verbose_name="地址")),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
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
                    "organisation",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="registry.organisation",
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
                    ),
                ),
            ],
            options={
                "verbose_name": "historical 厂区/场所",
                "verbose_name_plural": "historical 厂区/场所s",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RunPython(first_versions, migrations.RunPython.noop),
    ]

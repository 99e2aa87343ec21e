"""Consent owned by the enterprise (docs/finance.md): a coded purpose (授信评估, 贷后监测, 信息披露; the former
free text stays as the purpose's note), a scope of one or more items (comma-separated; the former single values
stay valid) and the history of every change (django-simple-history). Existing consents get their purpose from
their note's words (贷后 → loan monitoring, 披露 → disclosure, else credit assessment) and one first history
version each, marked as existing before history was kept."""

import django.db.models.deletion
import dualcarbon.registry.models
import simple_history.models
from django.conf import settings
from django.db import migrations, models


REASON = "授权记录历史之前已存在 / existed before consents kept history"
FIELDS = (
    "id",
    "enterprise_id",
    "bank_id",
    "scope",
    "purpose_code",
    "purpose",
    "data_from",
    "data_until",
    "valid_from",
    "valid_until",
    "revoked_at",
    "created_by_id",
    "created_at",
)


def purposes_and_first_versions(apps, schema_editor):
    Consent, History = apps.get_model("registry", "Consent"), apps.get_model("registry", "HistoricalConsent")
    for consent in Consent.objects.order_by("pk").iterator():
        note = consent.purpose or ""
        code = "loan_monitoring" if "贷后" in note else "disclosure" if "披露" in note else "credit_assessment"
        if code != consent.purpose_code:
            Consent.objects.filter(pk=consent.pk).update(purpose_code=code)
            consent.purpose_code = code
        History.objects.create(
            **{f: getattr(consent, f) for f in FIELDS},
            history_date=consent.created_at,
            history_type="+",
            history_change_reason=REASON,
        )


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0008_verbose_names'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='consent',
            name='purpose_code',
            field=models.CharField(choices=[('credit_assessment', '授信评估'), ('loan_monitoring', '贷后监测'), ('disclosure', '信息披露')], default='credit_assessment', max_length=20, verbose_name='用途'),
        ),
        migrations.AlterField(
            model_name='consent',
            name='purpose',
            field=models.CharField(blank=True, max_length=200, verbose_name='用途说明'),
        ),
        migrations.AlterField(
            model_name='consent',
            name='scope',
            field=models.CharField(default='accounts', max_length=100, validators=[dualcarbon.registry.models.validate_scope], verbose_name='授权范围'),
        ),
        migrations.CreateModel(
            name='HistoricalConsent',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('scope', models.CharField(default='accounts', max_length=100, validators=[dualcarbon.registry.models.validate_scope], verbose_name='授权范围')),
                ('purpose_code', models.CharField(choices=[('credit_assessment', '授信评估'), ('loan_monitoring', '贷后监测'), ('disclosure', '信息披露')], default='credit_assessment', max_length=20, verbose_name='用途')),
                ('purpose', models.CharField(blank=True, max_length=200, verbose_name='用途说明')),
                ('data_from', models.CharField(max_length=7, verbose_name='数据起始期')),
                ('data_until', models.CharField(max_length=7, verbose_name='数据截止期')),
                ('valid_from', models.DateField(verbose_name='授权生效日')),
                ('valid_until', models.DateField(verbose_name='授权到期日')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='撤销时间')),
                ('created_at', models.DateTimeField(blank=True, editable=False)),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('bank', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.organisation')),
                ('created_by', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('enterprise', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.organisation')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'historical 数据授权',
                'verbose_name_plural': 'historical 数据授权',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RunPython(purposes_and_first_versions, migrations.RunPython.noop),
    ]

"""Effective-dated group ownership (registry.Ownership): who holds what share of whom, with or without operational
control, over which period; on PostgreSQL an exclusion constraint keeps two holdings of one pair from overlapping."""

import django.core.validators
import django.db.models.deletion
import simple_history.models
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models

from dualcarbon.registry.effective import no_overlap_operations


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0010_access_log_credit_report'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='HistoricalOwnership',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('valid_from', models.DateField(verbose_name='生效日期')),
                ('valid_to', models.DateField(blank=True, help_text='不含当日；留空表示长期有效，直至被新版本取代', null=True, verbose_name='失效日期')),
                ('share', models.DecimalField(decimal_places=4, max_digits=7, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='持股比例（%）')),
                ('has_control', models.BooleanField(default=False, verbose_name='拥有运营控制权')),
                ('note', models.CharField(blank=True, max_length=200, verbose_name='说明')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('child', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.organisation', verbose_name='被持股方（子公司）')),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('parent', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='registry.organisation', verbose_name='持股方（母公司）')),
            ],
            options={
                'verbose_name': 'historical 持股关系',
                'verbose_name_plural': 'historical 持股关系',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.CreateModel(
            name='Ownership',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('valid_from', models.DateField(verbose_name='生效日期')),
                ('valid_to', models.DateField(blank=True, help_text='不含当日；留空表示长期有效，直至被新版本取代', null=True, verbose_name='失效日期')),
                ('share', models.DecimalField(decimal_places=4, max_digits=7, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='持股比例（%）')),
                ('has_control', models.BooleanField(default=False, verbose_name='拥有运营控制权')),
                ('note', models.CharField(blank=True, max_length=200, verbose_name='说明')),
                ('child', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='holders', to='registry.organisation', verbose_name='被持股方（子公司）')),
                ('parent', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='holdings', to='registry.organisation', verbose_name='持股方（母公司）')),
            ],
            options={
                'verbose_name': '持股关系',
                'verbose_name_plural': '持股关系',
                'ordering': ['parent_id', 'child_id', '-valid_from'],
                'constraints': [models.UniqueConstraint(fields=('parent', 'child', 'valid_from'), name='uniq_ownership_date'), models.CheckConstraint(condition=models.Q(('share__gte', 0), ('share__lte', 100)), name='ownership_share_range'), models.CheckConstraint(condition=models.Q(('parent', models.F('child')), _negated=True), name='ownership_not_self'), models.CheckConstraint(condition=models.Q(('valid_to__isnull', True), ('valid_to__gte', models.F('valid_from')), _connector='OR'), name='ownership_valid_to')],
            },
        ),
        *no_overlap_operations("registry_ownership", ("parent_id", "child_id")),
    ]

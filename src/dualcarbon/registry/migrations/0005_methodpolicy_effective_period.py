"""Method policies become effective-dated periods (registry.effective): a ``valid_to`` (exclusive; empty = until
further notice), filled for existing rows from the next policy of the same region, a CHECK that it is not before
``valid_from``, and on PostgreSQL an exclusion constraint: two policies of one region never overlap."""

from django.db import migrations, models

from dualcarbon.registry.effective import close_series_operation, no_overlap_operations, valid_to_check

def valid_to() -> models.DateField:
    return models.DateField(
        blank=True, help_text="不含当日；留空表示长期有效，直至被新版本取代", null=True, verbose_name="失效日期"
    )


class Migration(migrations.Migration):
    dependencies = [("registry", "0004_adopt_consent_accesslog_methodpolicy")]

    operations = [
        migrations.AddField(model_name="methodpolicy", name="valid_to", field=valid_to()),
        migrations.AddField(model_name="historicalmethodpolicy", name="valid_to", field=valid_to()),
        close_series_operation("registry", "MethodPolicy", ("region_id",)),
        migrations.AddConstraint(model_name="methodpolicy", constraint=valid_to_check("policy_valid_to")),
        *no_overlap_operations("accounting_methodpolicy", ("region_id",)),
    ]

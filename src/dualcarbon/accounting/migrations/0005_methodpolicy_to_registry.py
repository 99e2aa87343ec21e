"""MethodPolicy moves to the registry app (effective-dated configuration every app reads). State only: the
tables accounting_methodpolicy and accounting_historicalmethodpolicy keep their rows and names; AccountRun.policy
now points at registry.MethodPolicy (the same table)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounting", "0004_market_based_scope2"),
        ("registry", "0004_adopt_consent_accesslog_methodpolicy"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="methodpolicy",
                    name="region",
                ),
                migrations.AlterField(
                    model_name="accountrun",
                    name="policy",
                    field=models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.methodpolicy",
                    ),
                ),
                migrations.DeleteModel(
                    name="HistoricalMethodPolicy",
                ),
                migrations.DeleteModel(
                    name="MethodPolicy",
                ),
            ],
        )
    ]

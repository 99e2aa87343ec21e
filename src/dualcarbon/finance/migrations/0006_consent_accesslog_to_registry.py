"""The consent ledger and the bank access log move to the registry app (the ground floor of access rules,
docs/architecture.md). State only: the tables finance_consent and finance_accesslog, their triggers and
their rows stay where they are; registry.Consent and registry.AccessLog use them under the same names."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0005_access_log_append_only"),
        ("registry", "0004_adopt_consent_accesslog_methodpolicy"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="consent",
                    name="bank",
                ),
                migrations.RemoveField(
                    model_name="consent",
                    name="created_by",
                ),
                migrations.RemoveField(
                    model_name="consent",
                    name="enterprise",
                ),
                migrations.DeleteModel(
                    name="AccessLog",
                ),
                migrations.DeleteModel(
                    name="Consent",
                ),
            ],
        )
    ]

"""The bank access log becomes a hash chain (prev_hash, row_hash; filled for existing rows by 0004), its
time is set before hashing (default instead of auto_now_add), and organisations with log rows are
protected from deletion (PROTECT instead of CASCADE; Django enforces it, the database schema is unchanged)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0002_access_log_resource"),
        ("registry", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="accesslog",
            name="prev_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="accesslog",
            name="row_hash",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="enterprise",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="access_log", to="registry.organisation"
            ),
        ),
        migrations.AlterField(
            model_name="accesslog",
            name="reader",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="registry.organisation"
            ),
        ),
    ]

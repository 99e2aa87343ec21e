from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0001_initial"),
        ("registry", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelOptions(name="accesslog", options={"ordering": ["-at", "-pk"]}),
        migrations.AddField(
            model_name="accesslog",
            name="resource",
            field=models.CharField(
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
        migrations.AddField(
            model_name="accesslog",
            name="channel",
            field=models.CharField(
                choices=[("web", "网页"), ("api", "接口")], default="web", max_length=8, verbose_name="渠道"
            ),
        ),
        migrations.AddField(
            model_name="accesslog",
            name="path",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddIndex(
            model_name="accesslog",
            index=models.Index(fields=["enterprise", "-at"], name="accesslog_enterprise_at"),
        ),
    ]

"""Seed the default early-warning rules (every region; a region may add its own, or deactivate these)."""

from typing import Any

from django.db import migrations

DEFAULTS = [
    ("mom_jump", {"threshold": 0.5, "min_tco2e": 10.0}, "环比增幅超过 50%（上月不少于 10 tCO2e）"),
    ("intensity_above_benchmark", {"factor": 1.5, "min_group": 3}, "月度强度超过同区域同行业大类强度的 1.5 倍"),
    ("missing_submission", {}, "当月无已提交/已核查/已锁定的报送"),
    ("budget_overrun_projected", {"tolerance": 0.0}, "年末预计排放超出年度预算"),
    ("downgrade", {"steps": 1}, "本年度评级较上年度下降至少 1 级"),
]


def seed(apps: Any, schema_editor: Any) -> None:
    AlertRule = apps.get_model("monitoring", "AlertRule")
    for kind, params, note in DEFAULTS:
        if not AlertRule.objects.filter(kind=kind, region__isnull=True).exists():
            AlertRule.objects.create(kind=kind, params=params, note=note, active=True)


def unseed(apps: Any, schema_editor: Any) -> None:
    AlertRule = apps.get_model("monitoring", "AlertRule")
    AlertRule.objects.filter(region__isnull=True, alerts__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]

"""The registry's alert hook: a sibling app asks for one of monitoring's alerts without importing monitoring."""

from __future__ import annotations

import pytest

from dualcarbon.monitoring.models import Alert, AlertEvent
from dualcarbon.registry.models import Region
from dualcarbon.registry.signals import request_alert

pytestmark = pytest.mark.django_db


def test_a_sibling_app_raises_one_alert_per_subject_through_the_signal() -> None:
    region = Region.objects.create(code="339901", name="测试区", level=Region.Level.COUNTY)
    asked = dict(
        kind="ets_shortfall",
        subject="obligation:7",
        region_code=region.code,
        period="2025",
        message_zh="配额清缴缺口 120 吨",
        message_en="Surrender shortfall 120 t",
        evidence={"due": "1200", "surrendered": "1080"},
    )
    alert, created = request_alert("assets", **asked)
    assert created and alert.kind == "ets_shortfall" and alert.severity == "high"
    assert alert.region_id == "339901" and alert.evidence["due"] == "1200"
    assert AlertEvent.objects.filter(alert=alert, action=AlertEvent.Action.CREATED).count() == 1
    again, created_again = request_alert("assets", **asked)
    assert again.pk == alert.pk and not created_again
    assert Alert.objects.filter(kind="ets_shortfall").count() == 1


def test_a_kind_the_rules_evaluate_cannot_be_asked_for() -> None:
    region = Region.objects.create(code="339902", name="测试区二", level=Region.Level.COUNTY)
    with pytest.raises(ValueError):
        request_alert(
            "assets", kind="downgrade", subject="x", region_code=region.code, period="2025",
            message_zh="x", message_en="x", evidence={},
        )

from typing import Any

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Alert, AlertRule, Target


@admin.register(Target)
class TargetAdmin(SimpleHistoryAdmin):
    list_display = ["region", "year", "total_tco2e", "intensity", "note"]
    list_filter = ["year"]


@admin.register(AlertRule)
class AlertRuleAdmin(SimpleHistoryAdmin):
    list_display = ["kind", "region", "params", "active", "note"]
    list_filter = ["kind", "active"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """Read-only here: alerts change state through the monitoring services (the alert page)."""

    list_display = ["kind", "period", "region", "enterprise", "status", "owner"]
    list_filter = ["kind", "status"]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: Any) -> bool:
        return False

from typing import Any

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Alert, AlertEvent, AlertRule, Notification, Target


@admin.register(Target)
class TargetAdmin(SimpleHistoryAdmin):
    list_display = ["region", "year", "total_tco2e", "intensity", "note"]
    list_filter = ["year"]


@admin.register(AlertRule)
class AlertRuleAdmin(SimpleHistoryAdmin):
    list_display = ["kind", "region", "params", "severity", "active", "note"]
    list_filter = ["kind", "severity", "active"]


class AlertEventInline(admin.TabularInline):
    model = AlertEvent
    extra = 0
    fields = ["at", "action", "actor", "from_status", "to_status", "from_owner", "to_owner", "comment"]
    readonly_fields = ["at", "action", "actor", "from_status", "to_status", "from_owner", "to_owner", "comment"]
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """Read-only here: alerts change state through the monitoring services (the alert page)."""

    list_display = ["kind", "period", "region", "enterprise", "severity", "status", "owner"]
    list_filter = ["kind", "severity", "status"]
    inlines = [AlertEventInline]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: Any) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: notifications are written by the monitoring services."""

    list_display = ["created_at", "recipient", "kind", "alert", "read_at", "emailed_at"]
    list_filter = ["kind"]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: Any) -> bool:
        return False

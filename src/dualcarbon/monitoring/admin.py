from typing import Any

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy, ngettext
from simple_history.admin import SimpleHistoryAdmin

from . import services
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
    """Read-only: notifications are written by the monitoring services. The e-mail outbox shows here (status,
    attempts, next attempt, last error); "retry now" queues failed e-mails again (``services.retry_emails``)."""

    list_display = [
        "created_at",
        "recipient",
        "kind",
        "alert",
        "read_at",
        "email_status",
        "email_attempts",
        "email_next_attempt_at",
        "emailed_at",
        "email_last_error",
    ]
    list_filter = ["email_status", "kind"]
    list_select_related = ["recipient", "alert"]
    actions = ["retry_email"]

    @admin.action(description=gettext_lazy("立即重新发送邮件"), permissions=["retry"])
    def retry_email(self, request: Any, queryset: Any) -> None:
        n = services.retry_emails(queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext(
                "%(n)d 条通知邮件已重新排队，将由 send_notifications 发送。",
                "%(n)d 条通知邮件已重新排队，将由 send_notifications 发送。",
                n,
            )
            % {"n": n},
            messages.SUCCESS if n else messages.WARNING,
        )

    def has_retry_permission(self, request: Any) -> bool:
        return bool(request.user.has_perm("monitoring.change_notification"))

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: Any) -> bool:
        return False

from typing import Any

from django.contrib import admin

from .models import AccessLog, Consent


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "bank", "scope", "purpose", "data_from", "data_until", "valid_until", "revoked_at"]
    list_filter = ["scope"]


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Read only: the log is append-only (database triggers) and written by ``services.record_read`` alone."""

    list_display = ["at", "enterprise", "reader", "user", "what", "row_hash"]
    readonly_fields = [f.name for f in AccessLog._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

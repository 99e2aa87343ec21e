from typing import Any

from django.contrib import admin

from .models import AccountEntry


@admin.register(AccountEntry)
class AccountEntryAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "year", "month", "total_tco2e", "energy_tce", "intensity", "is_current"]
    list_filter = ["is_current", "year"]
    search_fields = ["enterprise__name"]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: Any) -> bool:
        return False

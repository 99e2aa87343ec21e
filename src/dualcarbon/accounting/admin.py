from typing import Any

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import AccountEntry, MethodPolicy


@admin.register(MethodPolicy)
class MethodPolicyAdmin(SimpleHistoryAdmin):
    """Effective-dated: add a new policy from a date instead of editing one in force."""

    list_display = ["region", "valid_from", "fuel_sets", "grid", "gwp", "tce_basis", "note"]


@admin.register(AccountEntry)
class AccountEntryAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "year", "month", "total_tco2e", "energy_tce", "intensity", "is_current"]
    list_filter = ["is_current", "year"]
    search_fields = ["enterprise__name"]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: Any) -> bool:
        return False

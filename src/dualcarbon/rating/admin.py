from typing import Any

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Appeal, IndustryBenchmark, RatingResult, RatingScheme, RegionRatingChoice, VerificationLabel


@admin.register(RatingScheme)
class RatingSchemeAdmin(SimpleHistoryAdmin):
    """A new year's thresholds are a new version; a version that has results cannot change."""

    list_display = ["code", "version", "method", "valid_from", "name_zh"]
    list_filter = ["code", "method"]

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        if obj is not None and obj.results.exists():
            return ["code", "version", "method", "valid_from", "params"]
        return []


@admin.register(RegionRatingChoice)
class RegionRatingChoiceAdmin(SimpleHistoryAdmin):
    """Effective-dated: add a choice from a date instead of editing one in force."""

    list_display = ["region", "scheme", "valid_from", "note"]


class ReadOnly(admin.ModelAdmin):
    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(RatingResult)
class RatingResultAdmin(ReadOnly):
    list_display = ["enterprise", "year", "month", "scheme", "status", "grade", "colour", "level", "is_current"]
    list_filter = ["is_current", "year", "status", "grade", "colour"]
    search_fields = ["enterprise__name", "enterprise__uscc"]


@admin.register(IndustryBenchmark)
class IndustryBenchmarkAdmin(ReadOnly):
    list_display = ["population", "year", "month", "level", "code", "value", "n_included", "n_candidates", "is_current"]
    list_filter = ["is_current", "year", "level"]


@admin.register(Appeal)
class AppealAdmin(ReadOnly):
    list_display = ["enterprise", "result", "status", "grade_before", "grade_after", "created_at"]
    list_filter = ["status"]


@admin.register(VerificationLabel)
class VerificationLabelAdmin(admin.ModelAdmin):
    """Revoke a label (set revoked_at) if a printed one must stop verifying."""

    list_display = ["enterprise", "created_at", "revoked_at"]
    readonly_fields = ["enterprise", "token", "created_at"]

    def has_add_permission(self, request: Any) -> bool:
        return False

from typing import Any

from django.contrib import admin

from .models import (
    ActivityRecord,
    GenerationRecord,
    MeterLoad,
    MeterSetting,
    OffsetRecord,
    Submission,
    ValidationIssue,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class ActivityInline(ReadOnlyInline):
    model = ActivityRecord


class GenerationInline(ReadOnlyInline):
    model = GenerationRecord


class OffsetInline(ReadOnlyInline):
    model = OffsetRecord


class IssueInline(ReadOnlyInline):
    model = ValidationIssue


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    """Read-only: submissions change only through the reporting workflow (services)."""

    list_display = ["enterprise", "period", "version", "status", "is_current", "channel", "submitted_at"]
    list_filter = ["status", "is_current", "channel"]
    search_fields = ["enterprise__name", "enterprise__uscc"]
    inlines = [ActivityInline, GenerationInline, OffsetInline, IssueInline]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: Any) -> bool:
        return False


@admin.register(MeterSetting)
class MeterSettingAdmin(admin.ModelAdmin):
    """A region's tolerance between reported and metered electricity (default 10 %, docs/operations.md)."""

    list_display = ["region", "mismatch_share", "note"]


@admin.register(MeterLoad)
class MeterLoadAdmin(admin.ModelAdmin):
    """Read-only: loads are made by ``dualcarbon load-meters``, the upload page or the API (meter_data.load)."""

    list_display = ["region", "year", "month", "file_name", "loaded_by", "loaded_at", "is_current", "enterprises"]
    list_filter = ["is_current", "year"]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: Any) -> bool:
        return False

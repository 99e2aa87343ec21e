from typing import Any

from django.contrib import admin

from .models import ActivityRecord, GenerationRecord, OffsetRecord, Submission, ValidationIssue


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

"""The programme's structure in the Django admin (groups, memberships, measures, indicators and targets, tasks);
the five lists change through the services (pages, API) so that every change is versioned — their versions are
read-only here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import EntryVersion, Group, GroupMembership, Indicator, IndicatorTarget, Measure, Programme, Task


class MembershipInline(admin.TabularInline):
    model = GroupMembership
    extra = 0


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ("name_zh", "region", "start_year", "end_year")


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ("name_zh", "kind", "lead_department", "programme")
    list_filter = ("kind", "programme")
    filter_horizontal = ("localities",)
    inlines = [MembershipInline]


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "parent", "group", "programme")
    list_filter = ("programme",)


class TargetInline(admin.TabularInline):
    model = IndicatorTarget
    extra = 0


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "unit", "source", "metric", "measure")
    inlines = [TargetInline]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("code", "title_zh", "group", "locality", "due_date", "progress")
    list_filter = ("programme", "group", "kind")


@admin.register(EntryVersion)
class EntryVersionAdmin(admin.ModelAdmin):
    list_display = ("kind", "entry_id", "version", "action", "changed_by", "changed_at", "reason")
    list_filter = ("kind", "action")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

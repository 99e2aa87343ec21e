from typing import Any

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    AccessLog,
    Consent,
    Industry,
    Membership,
    MethodPolicy,
    Organisation,
    Ownership,
    Region,
    Site,
    VerifierAssignment,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "uscc", "industry", "region", "size_class", "above_scale", "is_active"]
    list_filter = ["kind", "size_class", "above_scale", "is_active"]
    search_fields = ["name", "uscc"]
    autocomplete_fields = ["industry", "region"]
    inlines = [SiteInline, MembershipInline]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "level", "ets_sector"]
    list_filter = ["level"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(VerifierAssignment)
class VerifierAssignmentAdmin(admin.ModelAdmin):
    list_display = ["verifier", "enterprise", "year"]
    list_filter = ["year"]


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = [
        "enterprise",
        "bank",
        "scope",
        "purpose_code",
        "purpose",
        "data_from",
        "data_until",
        "valid_until",
        "revoked_at",
    ]
    list_filter = ["purpose_code"]


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Read only: the log is append-only (database triggers) and written by ``audit.record_read`` alone."""

    list_display = ["at", "enterprise", "reader", "user", "what", "row_hash"]
    readonly_fields = [f.name for f in AccessLog._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(MethodPolicy)
class MethodPolicyAdmin(SimpleHistoryAdmin):
    """Effective-dated: a new policy from a date (the one in force gets its end date) instead of editing one in
    force; an overlapping period is refused with the policy it overlaps."""

    list_display = ["region", "valid_from", "valid_to", "fuel_sets", "grid", "gwp", "tce_basis", "note"]
    list_filter = ["gwp", "grid"]


@admin.register(Ownership)
class OwnershipAdmin(SimpleHistoryAdmin):
    """Effective-dated holdings: a change of share or control is a new row from its date (the row in force gets its
    end date); an overlap of one pair, a child held more than 100 % or a cycle is refused with the reason."""

    list_display = ["parent", "child", "share", "has_control", "valid_from", "valid_to", "note"]
    list_filter = ["has_control"]
    search_fields = ["parent__name", "child__name", "parent__uscc", "child__uscc"]
    autocomplete_fields = ["parent", "child"]

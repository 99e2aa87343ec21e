from django.contrib import admin

from .models import Industry, Membership, Organisation, Region, Site, VerifierAssignment


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

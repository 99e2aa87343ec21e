"""The measures library is kept by the platform in the admin (each measure with its source; 示意数值 marked)."""

from __future__ import annotations

from django.contrib import admin

from .models import Measure


@admin.register(Measure)
class MeasureAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name_zh",
        "sector",
        "tce_per_unit",
        "conversion",
        "capex_per_unit",
        "lifetime_years",
        "illustrative",
        "is_active",
    )
    list_filter = ("illustrative", "is_active")
    search_fields = ("code", "name_zh", "name_en", "sector")

from django.contrib import admin

from .models import AccessLog, Consent


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["enterprise", "bank", "scope", "purpose", "data_from", "data_until", "valid_until", "revoked_at"]
    list_filter = ["scope"]


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ["at", "enterprise", "reader", "user", "what"]
    readonly_fields = [f.name for f in AccessLog._meta.fields]

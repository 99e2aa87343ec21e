"""Django admin of the assets app (platform admins only): the factors a region manages (add a region's own factor),
and read-only views of the ledger, confirmations, fee standards and bills — written by the services alone (the
journal is append-only by database triggers; fee standards are effective-dated: a new version is published with
``services.publish_fee_standard`` or the region page, never edited in place)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import (
    Allocation,
    Bill,
    BuyBack,
    Confirmation,
    Factor,
    FeeStandard,
    Holding,
    Lease,
    LedgerTransaction,
    Listing,
    Obligation,
    Payment,
    Pledge,
    Posting,
    ReserveAllocation,
    RevenueAccount,
    RevenueEntry,
    RevenueUse,
    Surrender,
    Trade,
    TradingRule,
)


@admin.register(Factor)
class FactorAdmin(admin.ModelAdmin):
    """A region adds its own factor (e.g. 总磷) with its region; the six national ones are seeded (migration 0003)."""

    list_display = ["code", "name_zh", "name_en", "region", "position"]
    search_fields = ["code", "name_zh", "name_en"]
    autocomplete_fields = ["region"]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # an asset, confirmations and fee standards point at it


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class PostingInline(admin.TabularInline):
    model = Posting
    extra = 0
    fields = ["holding", "quantity", "serial_first", "serial_last"]
    readonly_fields = ["holding", "quantity", "serial_first", "serial_last"]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnly):
    list_display = ["pk", "at", "kind", "memo", "reference", "created_by", "row_hash"]
    list_filter = ["kind"]
    search_fields = ["memo", "reference", "row_hash"]
    inlines = [PostingInline]


@admin.register(Holding)
class HoldingAdmin(ReadOnly):
    list_display = ["holder", "asset", "vintage", "state", "balance"]
    list_filter = ["asset", "state", "vintage"]
    search_fields = ["holder__name", "holder__uscc"]


@admin.register(Confirmation)
class ConfirmationAdmin(ReadOnly):
    list_display = ["enterprise", "factor", "vintage", "quantity_kg", "basis", "basis_reference", "reverify_by"]
    list_filter = ["factor", "basis", "vintage"]


@admin.register(FeeStandard)
class FeeStandardAdmin(ReadOnly):
    list_display = ["region", "factor", "yuan_per_tonne_year", "valid_from", "valid_to", "publisher", "document"]
    list_filter = ["factor"]


@admin.register(Bill)
class BillAdmin(ReadOnly):
    list_display = ["pk", "enterprise", "amount", "issued_on", "due_date", "status"]
    list_filter = ["status"]


@admin.register(Payment)
class PaymentAdmin(ReadOnly):
    list_display = ["bill", "amount", "paid_on", "reference"]


@admin.register(Pledge)
class PledgeAdmin(ReadOnly):
    list_display = ["holder", "bank", "asset", "vintage", "quantity", "loan_reference", "status"]
    list_filter = ["status"]


@admin.register(TradingRule)
class TradingRuleAdmin(admin.ModelAdmin):
    """A region's trading rule (effective-dated: add a version, the open one is ended by
    :func:`dualcarbon.assets.trading.publish_rule`; the admin's validation refuses overlaps)."""

    list_display = ["region", "approval_required", "valid_from", "valid_to", "document"]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Listing)
class ListingAdmin(ReadOnly):
    list_display = ["pk", "seller", "mode", "asset", "vintage", "quantity", "sold_quantity", "status"]
    list_filter = ["mode", "status"]


@admin.register(Trade)
class TradeAdmin(ReadOnly):
    list_display = ["pk", "listing", "seller", "buyer", "asset", "quantity", "price", "amount", "settled_at"]


@admin.register(Allocation)
class AllocationAdmin(ReadOnly):
    list_display = ["enterprise", "year", "kind", "quantity", "reference", "allocated_on"]


@admin.register(Obligation)
class ObligationAdmin(ReadOnly):
    list_display = ["enterprise", "year", "verified_tco2", "source", "deadline"]


@admin.register(Surrender)
class SurrenderAdmin(ReadOnly):
    list_display = ["obligation", "allowances", "ccer", "at"]


@admin.register(Lease)
class LeaseAdmin(ReadOnly):
    list_display = ["pk", "lessor", "lessee", "asset", "vintage", "quantity", "starts_on", "ends_on", "rent", "status"]
    list_filter = ["status"]


@admin.register(BuyBack)
class BuyBackAdmin(ReadOnly):
    list_display = ["agreement", "government", "enterprise", "asset", "quantity", "price", "amount", "status"]


@admin.register(ReserveAllocation)
class ReserveAllocationAdmin(ReadOnly):
    list_display = ["reference", "government", "enterprise", "asset", "quantity", "amount", "allocated_on"]


@admin.register(RevenueAccount)
class RevenueAccountAdmin(ReadOnly):
    list_display = ["region", "balance"]


@admin.register(RevenueEntry)
class RevenueEntryAdmin(ReadOnly):
    list_display = ["pk", "account", "source", "payer", "factor", "district", "amount", "booked_on"]
    list_filter = ["source"]


@admin.register(RevenueUse)
class RevenueUseAdmin(ReadOnly):
    list_display = ["account", "category", "amount", "purpose", "approval_reference", "used_on"]
    list_filter = ["category"]

"""Shared by the assets tests and the browser tests that show assets pages."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

GUARDS_MIGRATION: Any = importlib.import_module("dualcarbon.assets.migrations.0002_ledger_guards")
#: every table the assets app writes, children first
TABLES = (
    "assets_revenueentry",
    "assets_revenueuse",
    "assets_reserveallocation",
    "assets_buyback",
    "assets_revenueaccount",
    "assets_lease",
    "assets_surrender",
    "assets_obligation",
    "assets_allocation",
    "assets_trade",
    "assets_bid",
    "assets_listing",
    "assets_tradingrule",
    "assets_payment",
    "assets_bill",
    "assets_feestandard",
    "assets_pledge",
    "assets_confirmation",
    "assets_serialblock",
    "assets_posting",
    "assets_ledgertransaction",
    "assets_holding",
)


@pytest.fixture
def wipe_ledger() -> Iterator[None]:
    """For transactional tests: Django's flush afterwards cannot empty the guarded journal, so empty the app's tables
    first (the guards off for the time of the DELETEs, then back). Before the test: the migration's seed (factors and
    assets) is put back if an earlier transactional test's flush removed it."""
    from importlib import import_module

    from django.apps import apps

    from dualcarbon.assets.models import Factor

    if not Factor.objects.filter(code="COD").exists():
        import_module("dualcarbon.assets.migrations.0003_seed_factors_assets").seed(apps, None)
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in ("assets_ledgertransaction", "assets_posting"):
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            for sql in GUARDS_MIGRATION.SQLITE_REVERSE:
                cursor.execute(sql)
        for table in TABLES:
            cursor.execute(f"DELETE FROM {table}")
        if connection.vendor == "postgresql":
            for table in ("assets_ledgertransaction", "assets_posting"):
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        else:
            for sql in GUARDS_MIGRATION.SQLITE:
                cursor.execute(sql)

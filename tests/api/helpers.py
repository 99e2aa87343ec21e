"""Helpers shared by the API and bad-input tests."""

from __future__ import annotations

from django.apps import apps


def table_counts() -> dict[str, int]:
    """The row count of every table of every installed app (what a refused request must leave unchanged)."""
    return {m._meta.db_table: m._default_manager.count() for m in apps.get_models() if m._meta.managed}

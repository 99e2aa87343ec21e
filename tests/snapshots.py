"""Rows of tables, for tests that prove a refused action changed nothing (ids and every column included)."""

from __future__ import annotations

from typing import Any

from django.apps import apps

#: every table a reporting upload or web form can write: periods, versions, records, validation issues, evidence
REPORTING_TABLES = (
    "reporting.ReportingPeriod",
    "reporting.Submission",
    "reporting.ActivityRecord",
    "reporting.ProductionRecord",
    "reporting.EconomicRecord",
    "reporting.GenerationRecord",
    "reporting.OffsetRecord",
    "reporting.ValidationIssue",
    "reporting.Evidence",
)


def rows(*labels: str) -> dict[str, list[dict[str, Any]]]:
    """Each table's rows in primary-key order, every column (ids included)."""
    return {label: list(apps.get_model(label)._base_manager.order_by("pk").values()) for label in labels}

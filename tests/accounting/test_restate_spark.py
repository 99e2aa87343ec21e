"""A region's restatement on Apache Spark (local mode) stores exactly the accounts the in-process DuckDB stores.

`dualcarbon restate --engine spark` sends each batch of the region's records to Spark as one table and stores the
lines and totals that come back; the same expressions run on DuckDB by default. Two enterprises' months (a cement
works with clinker, coal, diesel and grid power; a steel works' month of the same shape with other figures) are
restated on each backend in turn, and every stored line and account entry must agree.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from dualcarbon.accounting import services as accounting
from dualcarbon.accounting.models import AccountEntry, AccountRun, EmissionLine
from dualcarbon.reporting import services
from tests.factories import build_world, cement_month

pytestmark = [pytest.mark.django_db, pytest.mark.spark]

LINE_FIELDS = (
    "activity_id",
    "item",
    "scope",
    "quantity",
    "ncv",
    "emission_factor",
    "emission_t",
    "tco2e",
    "energy_tce",
    "factor_ref",
    "factor_set",
    "quality_tier",
    "market_tco2e",
)
ENTRY_FIELDS = (
    "submission_id",
    "total_tco2e",
    "scope1_tco2e",
    "scope2_tco2e",
    "scope2_market_tco2e",
    "energy_tce",
    "intensity",
)


def _round(value: object) -> object:
    return round(value, 9) if isinstance(value, float) else value


def _stored() -> tuple[list[tuple], list[tuple]]:
    lines = EmissionLine.objects.filter(run__is_current=True).order_by("activity_id")
    entries = AccountEntry.objects.filter(is_current=True).order_by("submission_id")
    return list(lines.values_list(*LINE_FIELDS)), list(entries.values_list(*ENTRY_FIELDS))


def test_a_restatement_on_spark_stores_the_accounts_duckdb_stores(spark_con) -> None:
    world = build_world()
    for user, enterprise, month, figures in (
        (world.users["cement"], world.cement, 1, {}),
        (world.users["cement"], world.cement, 2, {"coal": 6400.0, "mwh": 3100.0}),
        (world.users["steel"], world.steel, 1, {"clinker": 0.0, "coal": 15000.0, "mwh": 9800.0}),
    ):
        draft = services.draft_for(user, enterprise, 2024, month)
        services.save_draft(user, draft, services.DraftData(**cement_month(**figures)))
        services.submit(user, draft)
    call_command("restate", note="2024 grid factors", engine="duckdb")
    on_duckdb = _stored()
    assert len(on_duckdb[0]) >= 9 and len(on_duckdb[1]) == 3
    assert accounting.restate(note="2024 grid factors (Spark)", con=spark_con) == 3
    on_spark = _stored()
    for got, want in zip([*on_spark[0], *on_spark[1]], [*on_duckdb[0], *on_duckdb[1]], strict=True):
        # text and integers equal; floats to the last few bits (the backends may sum in another order)
        assert (
            got == pytest.approx(want, rel=1e-12, abs=1e-9)
            if all(isinstance(v, (int, float)) or v is None for v in want)
            else [_round(v) for v in got] == [_round(v) for v in want]
        )
    # each restatement is a new current run; the submission's and DuckDB's runs stay as history
    assert AccountRun.objects.filter(reason=AccountRun.Reason.RESTATEMENT, is_current=True).count() == 3
    assert AccountRun.objects.filter(is_current=False).count() == 6

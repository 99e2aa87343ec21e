"""The persisted regional summary follows every write path (submit, correct, verify, lock, deactivate) and a bulk
load's deferred maintenance. Each test builds its own small world (the module-built region of test_summary.py
would be in the way)."""

from __future__ import annotations

import pytest

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.monitoring import aggregates
from dualcarbon.monitoring.models import SummaryCell, SummaryRollup
from dualcarbon.reporting import services as reporting
from dualcarbon.reporting.models import Submission
from tests.factories import cement_month
from tests.web.helpers import fast_world, submit_many, submit_month

pytestmark = pytest.mark.django_db


def test_each_write_path_updates_the_summary(settings):
    world = fast_world(settings)
    u = world.users
    sub = submit_month(u["cement"], world.cement, 2024, 1)
    cell = SummaryCell.objects.get(period=sub.period)
    entry = AccountEntry.objects.get(submission=sub, is_current=True)
    assert (cell.status, cell.has_account, cell.region_code, cell.division) == ("submitted", True, "339901", "30")
    assert cell.total_tco2e == entry.total_tco2e and cell.value_added == entry.value_added
    assert cell.output_value == sub.economic.output_value
    reporting.verify(u["verifier"], sub)
    assert SummaryCell.objects.get(period=sub.period).status == "verified"
    rollup = SummaryRollup.objects.get(region_code="339901", year=2024, month=1)
    assert (rollup.accounts, rollup.submitted, rollup.verified, rollup.entrants_4) == (1, 0, 1, 1)
    # a correction replaces the figures
    draft = reporting.correct(u["cement"], Submission.objects.get(pk=sub.pk), "更正煤耗")
    reporting.save_draft(u["cement"], draft, reporting.DraftData(**cement_month(coal=14200.0)))
    reporting.submit(u["cement"], draft)
    cell = SummaryCell.objects.get(period=sub.period)
    assert cell.total_tco2e == AccountEntry.objects.get(submission=draft, is_current=True).total_tco2e
    assert cell.total_tco2e > entry.total_tco2e and cell.status == "submitted"
    # deactivating the enterprise takes its month out of the completeness, not out of the sums
    world.cement.is_active = False
    world.cement.save()
    rollup = SummaryRollup.objects.get(region_code="339901", year=2024, month=1)
    assert (rollup.accounts, rollup.submitted, rollup.total_tco2e) == (1, 0, cell.total_tco2e)


def test_deferred_maintenance_rebuilds_once_at_the_end(settings):
    world = fast_world(settings)
    with aggregates.deferred():
        submit_many([(world.users["cement"], world.cement, 2024, m) for m in (1, 2)])
        assert not SummaryCell.objects.exists()
    assert SummaryCell.objects.filter(enterprise=world.cement).count() == 2
    with pytest.raises(RuntimeError), aggregates.deferred():
        submit_month(world.users["steel"], world.steel, 2024, 1)
        raise RuntimeError("a failed load does not rebuild")
    assert not SummaryCell.objects.filter(enterprise=world.steel).exists()

"""Accounting service: policies, batch computation, restatement with history kept."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command

from dualcarbon.accounting import services
from dualcarbon.accounting.models import AccountEntry, AccountRun, EmissionLine, MethodPolicy
from dualcarbon.reporting import services as reporting
from tests.factories import build_world, cement_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def _report(world, months=(1, 2, 3)):
    user = world.users["cement"]
    subs = []
    for m in months:
        d = reporting.draft_for(user, world.cement, 2024, m)
        reporting.save_draft(user, d, reporting.DraftData(**cement_month(clinker=50000 + m)))
        subs.append(reporting.submit(user, d))
    return subs


def test_policy_most_specific_region_and_date_wins(world):
    MethodPolicy.objects.create(region=world.district_a, valid_from=datetime.date(2024, 6, 1), grid="mee:national")
    assert services.policy_for("339901", datetime.date(2024, 1, 1)).grid == "mee:provincial"
    assert services.policy_for("339901", datetime.date(2024, 7, 1)).grid == "mee:national"
    assert services.policy_for("339902", datetime.date(2024, 7, 1)).grid == "mee:provincial"
    assert services.policy_for("110105", datetime.date(2024, 7, 1)) is None


def test_restatement_keeps_history_and_records_the_new_choice(world):
    subs = _report(world)
    before = {e.submission_id: e.total_tco2e for e in AccountEntry.objects.filter(is_current=True)}
    # the region switches to national grid factors and the AR4 GWP table
    MethodPolicy.objects.create(
        region=world.city,
        valid_from=datetime.date(2024, 1, 2),
        grid="mee:national",
        gwp="AR4",
        fuel_sets="fuels-a,fuels-b",
    )
    call_command("restate", region="3399", note="改用全国电网平均排放因子")
    assert AccountRun.objects.filter(reason="restatement", is_current=True).count() == len(subs)
    assert AccountRun.objects.filter(reason="submission", is_current=False).count() == len(subs)
    for s in subs:
        old = AccountEntry.objects.get(submission=s, is_current=False)
        new = AccountEntry.objects.get(submission=s, is_current=True)
        assert old.total_tco2e == before[s.pk]
        assert new.total_tco2e != old.total_tco2e  # national 0.5306 vs Zhejiang provincial
        assert new.run.options["grid"] == "mee:national" and new.run.note == "改用全国电网平均排放因子"
        old_line = EmissionLine.objects.get(run=old.run, item="ELECTRICITY")
        new_line = EmissionLine.objects.get(run=new.run, item="ELECTRICITY")
        assert old_line.activity_id == new_line.activity_id  # both trace to the same input record
        assert "provincial" in old_line.factor_ref and "national" in new_line.factor_ref


def test_one_engine_run_for_many_submissions_matches_one_by_one(world):
    subs = _report(world)
    singles = {s.pk: AccountEntry.objects.get(submission=s, is_current=True).total_tco2e for s in subs}
    services.compute(subs, reason=AccountRun.Reason.RESTATEMENT, note="batch")
    for s in subs:
        assert AccountEntry.objects.get(submission=s, is_current=True).total_tco2e == pytest.approx(singles[s.pk])

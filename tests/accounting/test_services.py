"""Accounting service: policies, batch computation, restatement with history kept."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command

from dualcarbon.accounting import services
from dualcarbon.accounting.models import AccountEntry, AccountRun, EmissionLine
from dualcarbon.registry import services as registry
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


def test_restatement_keeps_history_and_records_the_new_choice(world):
    subs = _report(world)
    before = {e.submission_id: e.total_tco2e for e in AccountEntry.objects.filter(is_current=True)}
    # the region switches to national grid factors and the AR4 GWP table
    registry.adopt_policy(
        world.city,
        datetime.date(2024, 1, 2),
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


# --------------------------------------------------------------------------- market-based scope 2

#: the MEE+NBS national residual factor of 2023 (不包括市场化交易的非化石能源电量), the latest published for 2024
RESIDUAL_2023 = 0.6096


def green_month(grid_mwh: float = 2300.0, green_mwh: float = 600.0) -> dict:
    """cement_month with its purchased electricity split: grid_mwh on 电力, green_mwh on 绿电."""
    m = cement_month(mwh=grid_mwh)
    m["activities"].append(
        {"source_type": "purchased_electricity", "item": "绿电", "quantity": green_mwh, "unit": "MWh"}
    )
    return m


def _submit(world, month, data):
    user = world.users["cement"]
    d = reporting.draft_for(user, world.cement, 2024, month)
    reporting.save_draft(user, d, reporting.DraftData(**data))
    return reporting.submit(user, d)


def test_green_power_and_the_market_based_scope2_are_stored(world):
    sub = _submit(world, 1, green_month())
    entry = AccountEntry.objects.get(submission=sub, is_current=True)
    lines = {ln.item: ln for ln in entry.run.lines.all()}
    grid, green, coal = lines["ELECTRICITY"], lines["GREEN_ELECTRICITY"], lines["RAW_COAL"]
    ef = grid.emission_factor  # Zhejiang's provincial factor (the policy's mee:provincial)
    # location-based (GB/T 32150, in the total): green power is a grid purchase like any other
    assert green.emission_factor == ef and green.tco2e == pytest.approx(600 * ef)
    assert entry.scope2_tco2e == pytest.approx(2900 * ef)
    # market-based: 绿电 at zero, the rest at the national residual factor of the latest published year
    assert green.market_factor == 0 and green.market_tco2e == 0 and "按零计" in green.market_ref
    assert grid.market_factor == pytest.approx(RESIDUAL_2023)
    assert grid.market_tco2e == pytest.approx(2300 * RESIDUAL_2023)
    assert "grid-mee-nbs 2023 national CN residual 0.6096" in grid.market_ref
    assert "2024 not published, 2023 used" in grid.market_ref
    assert entry.scope2_market_tco2e == pytest.approx(2300 * RESIDUAL_2023)
    assert entry.total_market_tco2e == pytest.approx(entry.total_tco2e - entry.scope2_tco2e + entry.scope2_market_tco2e)
    # lines other than electricity have no market factor and count the same in both views
    assert coal.market_factor is None and coal.market_ref == "" and coal.market_tco2e == coal.tco2e
    assert "grid-mee-nbs" in entry.run.factor_sets

    # the same electricity bought without green power: the same location-based account
    plain = AccountEntry.objects.get(submission=_submit(world, 2, cement_month(mwh=2900.0)), is_current=True)
    assert plain.total_tco2e == pytest.approx(entry.total_tco2e) and plain.energy_tce == pytest.approx(entry.energy_tce)
    assert plain.scope2_market_tco2e == pytest.approx(2900 * RESIDUAL_2023)


def test_the_residual_factor_set_is_recorded_whatever_the_grid_choice(world):
    registry.adopt_policy(world.city, datetime.date(2024, 1, 2), grid="ets")
    entry = AccountEntry.objects.get(submission=_submit(world, 1, green_month()), is_current=True)
    line = EmissionLine.objects.get(run=entry.run, item="ELECTRICITY")
    assert line.factor_set == "grid-ets" and line.market_factor == pytest.approx(RESIDUAL_2023)
    assert {"grid-ets", "grid-mee-nbs"} <= set(entry.run.factor_sets)
    assert entry.scope2_market_tco2e == pytest.approx(2300 * RESIDUAL_2023)

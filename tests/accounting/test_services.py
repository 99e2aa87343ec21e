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


#: SF6 leaking from the plant's switchgear: 2 t of equipment at 0.01 t/t (a gas other than CO2, so the GWP table counts)
SWITCHGEAR_SF6 = {
    "source_type": "process",
    "item": "开关设备",
    "quantity": 2,
    "unit": "t",
    "gas": "SF6",
    "factor": 0.01,
    "factor_unit": "t/t",
}
# Published figures the restatement is checked against, by hand (src/dualcarbon/reference/*.csv give the sources):
#: the fuel and process CO2 of cement_month(clinker=c), tCO2, independent of the grid and the GWP table:
#: 7100 t 原煤 × 20.908 GJ/t × 26.1e-3 tC/GJ × 0.93 × 44/12 (GB/T 2589 NCV; 发改办气候〔2015〕1722号 附录二 表2.1 烟煤),
#: 21.5 t 柴油 × 42.652 × 20.2e-3 × 0.98 × 44/12 (表2.1), c t 熟料 × 0.52 (IPCC 2006 Vol.3 Eq. 2.4)
FUEL_CO2 = 7100 * 20.908 * 26.1e-3 * 0.93 * 44 / 12 + 21.5 * 42.652 * 20.2e-3 * 0.98 * 44 / 12
CLINKER_CO2_PER_T = 0.52
#: MEE+NBS 公告2024年第33号: 浙江 2022 provincial average (2023 provincial not published: the latest for 2024)
ZHEJIANG_2022 = 0.5153
#: MEE+NBS 公告2025年第47号: national average 2023 (the latest published for 2024)
NATIONAL_2023 = 0.5306
#: SF6 GWP-100: IPCC AR5 (WG1 Table 8.A.1) and AR4 (WG1 Table 2.14)
SF6_AR5, SF6_AR4 = 23500, 22800


def _report(world, months=(1, 2, 3), extra=()):
    user = world.users["cement"]
    subs = []
    for m in months:
        d = reporting.draft_for(user, world.cement, 2024, m)
        data = cement_month(clinker=50000 + m)
        data["activities"] += [dict(a) for a in extra]
        reporting.save_draft(user, d, reporting.DraftData(**data))
        subs.append(reporting.submit(user, d))
    return subs


def test_restatement_keeps_history_and_records_the_new_choice(world):
    subs = _report(world, extra=[SWITCHGEAR_SF6])
    before = {e.submission_id: e.total_tco2e for e in AccountEntry.objects.filter(is_current=True)}
    # the region switches to national grid factors and the AR4 GWP table (the same fuel factor sets)
    policy = registry.adopt_policy(
        world.city,
        datetime.date(2024, 1, 2),
        grid="mee:national",
        gwp="AR4",
        fuel_sets="ndrc-2015,ipcc2006-fuels",
    )
    call_command("restate", region="3399", note="改用全国电网平均排放因子")
    assert AccountRun.objects.filter(reason="restatement", is_current=True).count() == len(subs)
    assert AccountRun.objects.filter(reason="submission", is_current=False).count() == len(subs)
    sf6_t = 2 * 0.01
    for month, s in enumerate(subs, 1):
        old = AccountEntry.objects.get(submission=s, is_current=False)
        new = AccountEntry.objects.get(submission=s, is_current=True)
        assert old.total_tco2e == before[s.pk]
        co2 = FUEL_CO2 + (50000 + month) * CLINKER_CO2_PER_T  # unchanged by the new policy
        # before: 浙江's provincial factor and AR5; after: the national factor and AR4
        assert old.total_tco2e == pytest.approx(co2 + 2900 * ZHEJIANG_2022 + sf6_t * SF6_AR5, rel=1e-12)
        assert new.total_tco2e == pytest.approx(co2 + 2900 * NATIONAL_2023 + sf6_t * SF6_AR4, rel=1e-12)
        old_lines = {ln.item: ln for ln in EmissionLine.objects.filter(run=old.run)}
        new_lines = {ln.item: ln for ln in EmissionLine.objects.filter(run=new.run)}
        assert (new_lines["开关设备"].gwp, new_lines["开关设备"].gwp_table) == (SF6_AR4, "AR4")
        assert new_lines["ELECTRICITY"].emission_factor == NATIONAL_2023
        # the reason is recorded with the run: the command's note, the policy, its choices and the factor sets
        assert (old.run.reason, new.run.reason) == ("submission", "restatement")
        assert new.run.note == "改用全国电网平均排放因子" and new.run.policy == policy
        changed = {k: (old.run.options[k], v) for k, v in new.run.options.items() if old.run.options[k] != v}
        assert changed == {"grid": ("mee:provincial", "mee:national"), "gwp": ("AR5", "AR4")}
        assert new.run.factor_sets == {
            "(record)": "",  # the SF6 factor given on the record
            "grid-mee-nbs": "2021-2023",
            "ndrc-2015": "2015",
            "process-ipcc2006": "2006",
        }
        old_line, new_line = old_lines["ELECTRICITY"], new_lines["ELECTRICITY"]
        assert old_line.activity_id == new_line.activity_id  # both trace to the same input record
        assert "2022 provincial 33 浙江 0.5153" in old_line.factor_ref
        assert "2023 national CN 全国 0.5306" in new_line.factor_ref


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

"""Meter data in the platform (reporting/meter_data.py): loading a region's month of readings, its refusals, the
reload, the ``meter_mismatch`` validator on the boundary share and its alert, the upload page and the API."""

from __future__ import annotations

import calendar
import datetime
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dualcarbon.engine import account_table, backends, factors
from dualcarbon.monitoring.models import Alert
from dualcarbon.registry import services as registry_services
from dualcarbon.reporting import meter_data, services
from dualcarbon.reporting.models import MeteredMonth, MeterLoad, MeterSetting, ValidationIssue
from tests.factories import build_world, cement_month
from tests.web.helpers import data_for_the_module, login

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("reporting-meter-data")]

YEAR, MONTH = 2024, 1
#: kWh per quarter hour of the test meters: 500 × 2,976 intervals of January = 1,488,000 kWh metered
PER_INTERVAL = 500.0
METERED = Decimal("1488000")


def readings(
    uscc: str, per_interval: float = PER_INTERVAL, year: int = YEAR, month: int = MONTH, meter: str = ""
) -> pd.DataFrame:
    days = calendar.monthrange(year, month)[1]
    ts = pd.date_range(datetime.datetime(year, month, 1), periods=days * 96, freq="15min")
    return pd.DataFrame({"meter_id": meter or f"M-{uscc[-6:]}", "entity": uscc, "ts": ts, "kwh": per_interval})


def write(path: Path, *frames: pd.DataFrame) -> Path:
    frame = pd.concat(frames, ignore_index=True)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def month_with_kwh(kwh: Decimal | str) -> services.DraftData:
    data = cement_month()
    data["activities"] = [
        {**a, "quantity": str(kwh), "unit": "kWh"} if a["source_type"] == "purchased_electricity" else a
        for a in data["activities"]
    ]
    return services.DraftData(**data)


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with data_for_the_module(django_db_blocker):
        w = build_world()
        tmp = tmp_path_factory.mktemp("meters")
        w.file = write(
            tmp / "2024-01.parquet",
            readings(w.cement.uscc),
            readings(w.steel.uscc, 200.0),
            readings("91330100XXXXXXXXXX", 10.0),  # not registered in the city
            readings(w.other_city_firm.uscc, 10.0),  # registered, but not in the city
        )
        w.load = meter_data.load(w.users["gov"], w.file, region_code="339900", channel="cli")
        yield w


def test_a_load_stores_the_monthly_totals_with_provenance_and_lists_unknown_entities(world: Any) -> None:
    load = world.load
    assert (load.year, load.month, load.is_current, load.region_id) == (YEAR, MONTH, True, "339900")
    assert load.file_name == "2024-01.parquet" and len(load.file_sha256) == 64 and load.loaded_by == world.users["gov"]
    assert load.readings == 4 * 2976 and load.enterprises == 2
    rows = {m.enterprise_id: m for m in MeteredMonth.objects.filter(load=load)}
    assert set(rows) == {world.cement.pk, world.steel.pk}
    cement = rows[world.cement.pk]
    assert cement.kwh == METERED and cement.import_kwh == METERED and cement.missing_intervals == 0
    assert (cement.region_code, cement.industry_code, cement.readings) == ("339901", "30", 2976)
    # the grid factor the account engine gives the cement works' purchased electricity: same kWh, same tCO2e
    options = registry_services.method_options("339901")
    line = pd.DataFrame(
        [{"_row": 1, "entity": "x", "period": "2024-01", "region": "339901", "source_type": "purchased_electricity",
          "item": "电力", "quantity": float(METERED), "unit": "kWh"}]
    )  # fmt: skip
    result = account_table(backends.connect("duckdb"), ibis.memtable(line), options)
    assert abs(float(cement.tco2e) - float(result.totals_frame()["total_tco2e"].sum())) < 1e-5
    assert cement.grid_choice == factors.parse_grid("mee:provincial") and cement.grid_ref
    unknown = {u["entity"] for u in load.findings["unknown"]}
    assert unknown == {"91330100XXXXXXXXXX", world.other_city_firm.uscc}
    assert load.findings["counts"]["unknown_entity"] == 2
    assert all(u["row"] for u in load.findings["unknown"])


def test_a_bad_file_is_refused_with_located_errors_in_both_languages_and_nothing_written(
    world: Any, tmp_path: Path
) -> None:
    bad = readings(world.cement.uscc).head(5).astype({"kwh": "object"})
    bad.loc[2, "kwh"] = "abc"
    path = write(tmp_path / "bad.csv", bad)
    before = (MeterLoad.objects.count(), MeteredMonth.objects.count())
    with pytest.raises(meter_data.MeterLoadInvalid) as caught:
        meter_data.load(world.users["gov"], path, region_code="339900")
    (err,) = caught.value.errors
    assert (err.row, err.column) == (4, "kwh")
    assert "第 4 行" in err.message("zh") and "row 4" in err.message("en") and "bad.csv" in err.message("en")
    with pytest.raises(meter_data.MeterLoadInvalid) as caught:  # readings of another month than the one named
        meter_data.load(world.users["gov"], world.file, region_code="339900", period="2024-02")
    assert caught.value.errors[0].column == "ts" and "2024-01" in caught.value.errors[0].message("en")
    with pytest.raises(meter_data.MeterLoadInvalid):
        meter_data.load(world.users["gov"], world.file, region_code="339900", period="2024-13")
    assert (MeterLoad.objects.count(), MeteredMonth.objects.count()) == before


def test_only_the_regions_government_loads(world: Any) -> None:
    for who in ("district", "cement", "bank", "verifier"):
        with pytest.raises(PermissionDenied):
            meter_data.load(world.users[who], world.file, region_code="339900")
    with pytest.raises(PermissionDenied):  # the district's government does not govern its neighbour
        meter_data.load(world.users["district"], world.file, region_code="339902")


def test_a_reload_replaces_the_totals_and_keeps_the_previous_load_as_history(world: Any, tmp_path: Path) -> None:
    path = write(tmp_path / "again.csv", readings(world.cement.uscc, 600.0))
    new = meter_data.load(world.users["gov"], path, region_code="339900", period="2024-01")
    old = MeterLoad.objects.get(pk=world.load.pk)
    assert not old.is_current and old.replaced_by == new and new.is_current
    current = MeteredMonth.objects.filter(is_current=True, year=YEAR, month=MONTH)
    assert [(m.enterprise_id, m.kwh) for m in current] == [(world.cement.pk, Decimal("1785600.000"))]
    assert MeteredMonth.objects.filter(load=old).count() == 2  # history


@pytest.mark.parametrize(
    ("reported", "flagged"),
    [
        ("1636800", False),  # exactly 10 % above the metered 1,488,000 kWh: not more than the tolerance
        ("1636801", True),
        ("1339200", False),  # exactly 10 % below
        ("1339199", True),
    ],
)
def test_the_validator_flags_a_difference_of_more_than_the_share(world: Any, reported: str, flagged: bool) -> None:
    user = world.users["cement"]
    draft = services.draft_for(user, world.cement, YEAR, MONTH)
    services.save_draft(user, draft, month_with_kwh(reported))
    submitted = services.submit(user, draft)
    issues = list(submitted.issues.filter(rule="meter_mismatch"))
    alerts = Alert.objects.filter(kind="meter_mismatch", key=f"meter_mismatch:{world.cement.pk}:2024-01")
    assert bool(issues) is flagged and alerts.exists() is flagged
    if flagged:
        assert issues[0].severity == "warning" and "1,488,000" in issues[0].message_en
        evidence = alerts.get().evidence
        assert (evidence["reported_kwh"], evidence["metered_kwh"]) == (f"{reported}.000", "1488000.000")
        assert evidence["meter_load_id"] == world.load.pk and evidence["threshold"] == "0.10"


def test_the_regions_setting_decides_and_a_load_after_the_report_flags_it(world: Any, tmp_path: Path) -> None:
    user = world.users["steel"]
    draft = services.draft_for(user, world.steel, YEAR, MONTH)
    services.save_draft(user, draft, month_with_kwh("620000"))  # metered 595,200: 4.2 % more
    submitted = services.submit(user, draft)
    assert not submitted.issues.filter(rule="meter_mismatch").exists()
    MeterSetting.objects.create(region=world.district_b, mismatch_share=Decimal("0.04"))
    assert meter_data.mismatch_share("339902") == Decimal("0.04") and meter_data.mismatch_share("339901") == Decimal(
        "0.10"
    )
    meter_data.load(world.users["gov"], world.file, region_code="339900")  # the reload compares reported months
    issue = ValidationIssue.objects.get(submission=submitted, rule="meter_mismatch")
    assert "4.2%" in issue.message_en and "4%" in issue.message_en
    alert = Alert.objects.get(kind="meter_mismatch", key=f"meter_mismatch:{world.steel.pk}:2024-01")
    assert alert.region_id == "339902" and alert.evidence["metered_kwh"] == "595200.000"


def test_the_upload_page_and_the_api(world: Any) -> None:
    gov = login(Client(), world.users["gov"])
    page = reverse("reporting:meters")
    assert gov.get(page).status_code == 200
    with open(world.file, "rb") as fh:
        r = gov.post(page, {"region": "339900", "period": "2024-01", "file": fh})
    assert r.status_code == 302
    load = MeterLoad.objects.get(is_current=True, region_id="339900", year=YEAR, month=MONTH)
    assert load.channel == "web"
    detail = gov.get(reverse("reporting:meter_month", args=["339900", YEAR, MONTH]))
    assert detail.status_code == 200 and "91330100XXXXXXXXXX" in detail.content.decode()
    csv = SimpleUploadedFile("x.csv", f"meter_id,entity,ts,kwh\nA,{world.cement.uscc},notatime,1\n".encode())
    bad = gov.post(page, {"region": "339900", "file": csv})
    assert bad.status_code == 400 and "第 2 行" in bad.content.decode(), bad.content.decode()[-3000:]
    api = gov.post(
        "/api/reporting/meters/loads", {"region": "339900", "file": SimpleUploadedFile("x.csv", csv.open().read())}
    )
    assert api.status_code == 422 and api.json()["errors"][0]["row"] == 2
    assert login(Client(), world.users["cement"]).get(page).status_code == 404
    r = gov.get("/api/reporting/meters/loads")
    assert r.status_code == 200 and r.json()[0]["file_sha256"] == load.file_sha256
    totals = login(Client(), world.users["cement"]).get("/api/reporting/meters/totals?period=2024-01").json()
    assert [t["uscc"] for t in totals] == [world.cement.uscc]
    assert login(Client(), world.users["bank"]).get("/api/reporting/meters/totals?period=2024-01").status_code == 404


def test_the_command_loads_and_refuses_with_located_errors(
    world: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dualcarbon import cli

    assert cli.main(["load-meters", str(world.file), "--region", "339900", "--user", "gov", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["period"] == "2024-01" and out["enterprises"] == 2 and len(out["unknown_entities"]) == 2
    assert MeterLoad.objects.get(pk=out["load"]).channel == "cli"
    bad = write(tmp_path / "bad.csv", readings(world.cement.uscc).head(3).assign(kwh=["1", "x", "2"]))
    before = MeterLoad.objects.count()
    assert (
        cli.main(["load-meters", str(bad), "--region", "339900", "--user", "gov", "--lang", "en"]) == cli.EXIT_BAD_INPUT
    )
    text = capsys.readouterr().out
    assert "nothing loaded" in text and "row 3" in text and MeterLoad.objects.count() == before
    assert cli.main(["load-meters", str(world.file), "--region", "339902", "--user", "district"]) == cli.EXIT_BAD_INPUT
    assert "只有该地区的政府部门" in capsys.readouterr().out

"""The month's pollutant discharge (污染物排放量) in the reporting workflow: the web form, the Excel sheet and the API
feed the same services; a negative or non-numeric value is refused, located, in Chinese and English, and nothing is
written; an unknown or repeated factor is a located validation error; a correction carries the lines over; the
year to date is read by ``services.discharge_to_date`` (the assets app's compliance check)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from dualcarbon.reporting import excel, services
from dualcarbon.reporting.models import DischargeRecord, Submission
from tests.factories import World, cement_month
from tests.fixtures import make_workbooks as wbk
from tests.web.helpers import data_for_the_module, fast_world

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("reporting_discharge")]

SO2 = {"factor": "SO2", "quantity": "1.25"}
NOX = {"factor": "nox", "quantity": "2"}


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with data_for_the_module(django_db_blocker):
        from django.conf import settings as dj

        yield fast_world(dj)


def month(**extra: Any) -> services.DraftData:
    return services.DraftData(**cement_month(), **extra)


def test_discharge_is_stored_by_code_validated_and_summed_over_the_current_versions(world):
    user = world.users["cement"]
    sub = services.write_draft(user, world.cement, 2024, 1, month(discharge=[SO2, NOX]))
    assert [(d.factor, d.quantity) for d in sub.discharge.all()] == [("SO2", Decimal("1.25")), ("NOX", 2)]
    assert not [i for i in services.validate(sub) if i.rule.startswith("discharge")]
    services.submit(user, sub)
    feb = services.write_draft(user, world.cement, 2024, 2, month(discharge=[{"factor": "二氧化硫", "quantity": "3"}]))
    # a draft does not count yet
    assert services.discharge_to_date([world.cement.pk], 2024)[world.cement.pk]["factors"] == {
        "SO2": Decimal("1.25"),
        "NOX": Decimal(2),
    }
    services.submit(user, feb)
    got = services.discharge_to_date([world.cement.pk], 2024)[world.cement.pk]
    assert got == {"factors": {"SO2": Decimal("4.25"), "NOX": Decimal(2)}, "months": ["2024-01", "2024-02"]}
    assert services.discharge_to_date([world.cement.pk], 2024, through_month=1)[world.cement.pk]["months"] == [
        "2024-01"
    ]
    # a correction carries the lines over and replaces the month's figure once submitted
    fix = services.correct(user, feb, "排放量更正")
    assert [(d.factor, d.quantity) for d in fix.discharge.all()] == [("SO2", 3)]
    services.save_draft(user, fix, month(discharge=[{"factor": "SO2", "quantity": "0.5"}]))
    services.submit(user, Submission.objects.get(pk=fix.pk))
    assert services.discharge_to_date([world.cement.pk], 2024)[world.cement.pk]["factors"]["SO2"] == Decimal("1.75")


def test_an_unknown_or_repeated_factor_is_a_located_error(world):
    user = world.users["cement"]
    sub = services.write_draft(
        user, world.cement, 2024, 1, month(discharge=[SO2, {"factor": "CO2", "quantity": "1"}, {**SO2}])
    )
    found = {(i.rule, i.sheet, i.row, i.column): i for i in services.validate(sub) if i.rule.startswith("discharge")}
    assert set(found) == {
        ("discharge.factor", "污染物排放", 2, "factor"),
        ("discharge.duplicate", "污染物排放", 3, "factor"),
    }
    assert "污染因子“CO2”无效" in found[("discharge.factor", "污染物排放", 2, "factor")].message_zh
    assert "unknown pollutant factor “CO2”" in found[("discharge.factor", "污染物排放", 2, "factor")].message_en
    with pytest.raises(services.BlockedByErrors):
        services.submit(user, sub)


@pytest.mark.parametrize(("value", "rule"), [("-1", "negative"), ("二十", "not_a_number")])
def test_a_negative_or_text_value_writes_nothing(world, value, rule):
    with pytest.raises(services.DraftInvalid) as info:
        services.write_draft(
            world.users["cement"], world.cement, 2024, 1, month(discharge=[SO2, {"factor": "COD", "quantity": value}])
        )
    (f,) = info.value.findings
    assert (f.sheet, f.row, f.column, f.rule) == ("discharge", 2, "quantity", rule)
    assert value in f.message_zh and value in f.message_en
    assert not Submission.objects.exists() and not DischargeRecord.objects.exists()


def _form(discharge: dict[str, str]) -> dict[str, Any]:
    m = cement_month()
    data: dict[str, Any] = {"act-TOTAL_FORMS": len(m["activities"]), "act-INITIAL_FORMS": 0}
    for prefix in ("prod", "gen", "off"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    for i, row in enumerate(m["activities"]):
        for k, v in row.items():
            data[f"act-{i}-{k}"] = v
    for k, v in m["economic"].items():
        data[f"econ-{k}"] = v
    data.update({f"dis-{k}": v for k, v in discharge.items()})
    return data


def test_the_web_form_takes_one_field_per_factor_and_refuses_a_negative_on_its_field(world):
    client = Client()
    client.force_login(world.users["cement"])
    url = reverse("reporting:edit", args=[2024, 1])
    page = client.get(url).content.decode()
    assert 'name="dis-so2"' in page and "污染物排放量" in page
    bad = client.post(url, _form({"so2": "-2", "cod": "x"}))
    text = bad.content.decode()
    assert bad.status_code == 400 and "数值不能为负" in text and not Submission.objects.exists()
    with translation.override("en"):
        bad_en = client.post(url, _form({"so2": "-2"}), HTTP_ACCEPT_LANGUAGE="en")
    assert bad_en.status_code == 400
    ok = client.post(url, _form({"so2": "1.5", "vocs": "0.25"}))
    assert ok.status_code == 302, ok.content.decode()[:2000]
    sub = Submission.objects.get(enterprise=world.cement)
    assert [(d.factor, d.quantity, d.source_sheet, d.source_row) for d in sub.discharge.all()] == [
        ("SO2", Decimal("1.5"), "表单·污染物排放", 3),
        ("VOCS", Decimal("0.25"), "表单·污染物排放", 6),
    ]
    assert 'value="1.5"' in client.get(url).content.decode()
    period = client.get(reverse("reporting:period", args=[2024, 1])).content.decode()
    assert 'id="discharge"' in period and "二氧化硫" in period


def _with_discharge(rows: dict[int, Any]) -> bytes:
    wb = load_workbook(io.BytesIO(wbk.fill(excel.build_template(wbk.CEMENT, 2024, 1))))
    ws = wb[excel.SHEET_DISCHARGE]
    for r, v in rows.items():
        ws.cell(row=r, column=3, value=v)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("2024-01.xlsx", content, content_type=excel.XLSX_CONTENT_TYPE)


def test_the_workbook_sheet_round_trips_and_refuses_a_bad_cell_located(world):
    template = load_workbook(io.BytesIO(excel.build_template(wbk.CEMENT, 2024, 1)))
    codes = [template[excel.SHEET_DISCHARGE].cell(row=r, column=2).value for r in range(2, 8)]
    assert codes == ["COD", "NH3N", "SO2", "NOX", "PM", "VOCS"]
    sub = excel.import_workbook(world.users["cement"], world.cement, 2024, 1, _upload(_with_discharge({4: 1.5, 7: 0})))
    assert [(d.factor, d.quantity, d.source_row) for d in sub.discharge.all()] == [
        ("SO2", Decimal("1.5"), 4),
        ("VOCS", 0, 7),
    ]
    back = load_workbook(
        io.BytesIO(excel.build_template(wbk.CEMENT, 2024, 1, services.DraftData(**services.claims_of(sub))))
    )
    assert back[excel.SHEET_DISCHARGE].cell(row=4, column=3).value == 1.5
    with pytest.raises(excel.WorkbookInvalid) as info:
        excel.import_workbook(
            world.users["cement"], world.cement, 2024, 2, _upload(_with_discharge({2: -1, 3: "许多"}))
        )
    assert {(f.sheet, f.row, f.column, f.rule) for f in info.value.findings} == {
        ("污染物排放", 2, "quantity", "negative"),
        ("污染物排放", 3, "quantity", "not_a_number"),
    }


def test_the_api_takes_discharge_and_refuses_a_negative_located(world):
    out = io.StringIO()
    call_command("create_api_token", "cement", "ERP", stdout=out, stderr=io.StringIO())
    client = Client(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")
    url = "/api/reporting/periods/2024/1/draft"
    bad = client.put(
        url,
        json.dumps({**cement_month(), "discharge": [SO2, {"factor": "COD", "quantity": -3}]}),
        content_type="application/json",
    )
    assert bad.status_code == 422, bad.content
    (err,) = bad.json()["errors"]
    assert (err["sheet"], err["row"], err["column"], err["rule"]) == ("discharge", 2, "quantity", "negative")
    assert err["message_zh"] and err["message_en"] and not Submission.objects.exists()
    ok = client.put(url, json.dumps({**cement_month(), "discharge": [SO2]}), content_type="application/json")
    assert ok.status_code == 200, ok.content
    got = client.get(f"/api/reporting/submissions/{ok.json()['submission_id']}").json()
    assert [(d["factor"], Decimal(d["quantity"])) for d in got["discharge"]] == [("SO2", Decimal("1.25"))]

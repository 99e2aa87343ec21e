"""Own zero-carbon generation and offsets / green attributes in the reporting workflow.

The web form, the Excel sheets and the API feed the same services (save_draft → validate → submit):
the same located, bilingual findings come out of each; submitted versions never change; a
correction carries the declarations over; a certificate cannot be declared twice.
"""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from dualcarbon.reporting import excel, services
from dualcarbon.reporting.models import Evidence, GenerationRecord, OffsetRecord, Submission
from tests.factories import build_world, cement_month
from tests.fixtures import make_workbooks as wbk

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PV = {"technology": "pv", "use": "self_consumed", "quantity": "85000", "unit": "kWh", "reference": "屋顶光伏一期"}
GEC = {"kind": "gec", "quantity": "300", "unit": "MWh", "reference": "GEC-2024-000001~000300"}
CCER = {"kind": "ccer", "quantity": "120", "unit": "tCO2e", "reference": "CCER-33-2024-0007 #1-120"}


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def month(**claims: Any) -> services.DraftData:
    return services.DraftData(**cement_month(), **claims)


def draft(world: Any, m: int = 1, who: str = "cement", org: Any = None, **claims: Any) -> Submission:
    user = world.users[who]
    d = services.draft_for(user, org or world.cement, 2024, m)
    return services.save_draft(user, d, month(**claims))


def findings(sub: Submission) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for i in services.validate(sub):
        out.setdefault(i.rule, []).append(i)
    return out


# ------------------------------------------------------------------------------------------------
# services and validators


def test_declarations_are_stored_validated_and_frozen_once_submitted(world):
    sub = draft(world, generation=[PV], offsets=[GEC, CCER])
    gen = sub.generation.get()
    assert (gen.technology, gen.use, gen.quantity, gen.unit) == ("pv", "self_consumed", Decimal(85000), "kWh")
    assert [(o.kind, o.quantity, o.origin, o.status) for o in sub.offsets.all()] == [
        ("gec", Decimal(300), "purchased", "retired"),
        ("ccer", Decimal(120), "purchased", "retired"),
    ]
    found = findings(sub)
    assert not [r for r, issues in found.items() if issues[0].severity == "error"], found
    # no meter reading or certificate attached yet: a warning for each, pointing at its sheet
    assert found["generation.evidence"][0].sheet == "自有零碳发电"
    assert found["offset.evidence"][0].sheet == "碳抵消与绿证"
    Evidence.objects.create(
        submission=sub, kind="meter", file="x.pdf", original_name="m.pdf", content_type="application/pdf", size=1,
        uploaded_by=world.users["cement"],
    )  # fmt: skip
    Evidence.objects.create(
        submission=sub, kind="certificate", file="y.pdf", original_name="c.pdf", content_type="application/pdf",
        size=1, uploaded_by=world.users["cement"],
    )  # fmt: skip
    assert not {"generation.evidence", "offset.evidence"} & set(findings(sub))
    submitted = services.submit(world.users["cement"], sub)
    with pytest.raises(services.WorkflowError):
        services.save_draft(world.users["cement"], submitted, month(generation=[], offsets=[]))
    assert submitted.offsets.count() == 2  # a submitted version keeps its declarations


def test_each_rule_is_located_and_bilingual(world):
    sub = draft(
        world,
        generation=[
            {"technology": "nuclear", "use": "self_consumed", "quantity": 10, "unit": "MWh"},
            {"technology": "pv", "use": "fed_in", "quantity": 10, "unit": "t", "certificates_transferred": 12},
        ],
        offsets=[
            {"kind": "ccer", "quantity": 5, "unit": "MWh", "reference": "C-1"},
            {"kind": "green_trade", "quantity": 5, "unit": "MWh", "origin": "green_trade", "reference": "G-1"},
            {"kind": "forestry", "quantity": 5, "unit": "tCO2e", "reference": ""},
            {"kind": "gec", "quantity": 5, "unit": "MWh", "reference": "gec 1"},
            {"kind": "gec", "quantity": 5, "unit": "MWh", "reference": "GEC1"},
            {"kind": "sink", "quantity": 5, "unit": "tCO2e", "reference": "S-1"},
            {"kind": "ccer", "quantity": 5, "unit": "tCO2e", "status": "held", "reference": "C-2"},
        ],
    )
    found = findings(sub)

    def where(rule: str) -> list[tuple[str, int | None, str]]:
        return [(i.sheet, i.row, i.column) for i in found[rule]]

    assert where("generation.technology") == [("自有零碳发电", 1, "technology")]
    assert where("generation.unit") == [("自有零碳发电", 2, "unit")]
    assert where("generation.transferred_exceeds") == [("自有零碳发电", 2, "certificates_transferred")]
    assert where("offset.unit") == [("碳抵消与绿证", 1, "unit")]
    assert where("offset.origin") == [("碳抵消与绿证", 2, "origin")]
    assert where("offset.reference_required") == [("碳抵消与绿证", 3, "reference")]
    assert where("offset.duplicate") == [("碳抵消与绿证", 5, "reference")]  # "gec 1" and "GEC1" are one serial
    assert where("offset.kind") == [("碳抵消与绿证", 6, "kind")]
    assert found["offset.held"][0].severity == "warning" and found["offset.held"][0].row == 7
    unit = found["offset.unit"][0]
    assert unit.severity == "error" and "应为tCO2e" in unit.message_zh and "must be tCO2e" in unit.message_en
    assert "第 1 行" in found["generation.technology"][0].message_zh
    assert "row 1" in found["generation.technology"][0].message_en
    with pytest.raises(services.BlockedByErrors):
        services.submit(world.users["cement"], sub)


def test_a_certificate_cannot_be_declared_twice(world):
    first = services.submit(world.users["cement"], draft(world, 1, offsets=[CCER]))
    # the same serial in another month of the same enterprise
    again = draft(world, 2, offsets=[{**CCER, "reference": " ccer-33-2024-0007 #1-120 "}])
    issue = findings(again)["offset.claimed_elsewhere"][0]
    assert issue.severity == "error" and "本企业 2024-01" in issue.message_zh and "2024-01" in issue.message_en
    # by another enterprise: named only as "another enterprise"
    other = draft(world, 1, who="steel", org=world.steel, offsets=[CCER])
    issue = findings(other)["offset.claimed_elsewhere"][0]
    assert "其他企业" in issue.message_zh and "another enterprise" in issue.message_en
    assert world.cement.name not in issue.message_zh
    # a correction of the month that declared it re-declares it legitimately, and copies the lines over
    fix = services.correct(world.users["cement"], first, "补充注销证明编号")
    assert [(o.kind, o.reference) for o in fix.offsets.all()] == [("ccer", CCER["reference"])]
    assert "offset.claimed_elsewhere" not in findings(fix)


def test_text_in_a_number_changes_nothing(world):
    d = services.draft_for(world.users["cement"], world.cement, 2024, 1)
    with pytest.raises(services.DraftInvalid) as info:
        services.save_draft(
            world.users["cement"],
            d,
            month(generation=[{**PV, "quantity": "八万五"}], offsets=[{**GEC, "quantity": ""}]),
        )
    where = {(f.sheet, f.row, f.column, f.rule) for f in info.value.findings}
    assert where == {("generation", 1, "quantity", "not_a_number"), ("offsets", 1, "quantity", "required")}
    assert not GenerationRecord.objects.exists() and not OffsetRecord.objects.exists()


# ------------------------------------------------------------------------------------------------
# web form


def _form(activities: list[dict[str, Any]], generation: list[dict[str, Any]], offsets: list[dict[str, Any]]) -> Any:
    m = cement_month()
    data: dict[str, Any] = {
        "act-TOTAL_FORMS": len(activities),
        "act-INITIAL_FORMS": 0,
        "prod-TOTAL_FORMS": 0,
        "prod-INITIAL_FORMS": 0,
        "gen-TOTAL_FORMS": len(generation) + 1,
        "gen-INITIAL_FORMS": 0,
        "off-TOTAL_FORMS": len(offsets) + 1,
        "off-INITIAL_FORMS": 0,
    }
    for prefix, rows in (("act", activities), ("gen", generation), ("off", offsets)):
        for i, row in enumerate(rows):
            for k, v in row.items():
                data[f"{prefix}-{i}-{k}"] = v
    for k, v in m["economic"].items():
        data[f"econ-{k}"] = v
    return data


def test_the_web_form_saves_declarations_and_shows_their_findings(world):
    client = Client()
    client.force_login(world.users["cement"])
    url = reverse("reporting:edit", args=[2024, 1])
    page = client.get(url).content.decode()
    assert 'name="gen-0-technology"' in page and 'name="off-0-kind"' in page and "自有零碳发电" in page
    acts = cement_month()["activities"]
    body = _form(acts, [PV], [{**CCER, "unit": ""}, {"kind": "gec", "quantity": "10", "reference": ""}])
    response = client.post(url, body)
    assert response.status_code == 302, response.content.decode()[:2000]
    sub = Submission.objects.get(enterprise=world.cement, status="draft")
    assert sub.generation.get().source_sheet == "表单·自有零碳发电"
    assert [(o.kind, o.unit) for o in sub.offsets.all()] == [("ccer", "tCO2e"), ("gec", "MWh")]  # unit by kind
    period = client.get(reverse("reporting:period", args=[2024, 1])).content.decode()
    assert "屋顶光伏一期" in period and CCER["reference"] in period
    assert "表单·碳抵消与绿证 第 2 行" in period  # the missing reference, located in the form's table
    # an edit page of the draft shows the declarations again
    again = client.get(url).content.decode()
    assert 'value="屋顶光伏一期"' in again
    # a quantity without its type is refused by the form (nothing saved)
    bad = client.post(url, _form(acts, [{"quantity": "5"}], []))
    assert bad.status_code == 400 and "已填写数量的行必须填写此项" in bad.content.decode()


# ------------------------------------------------------------------------------------------------
# Excel


def _fill(template: bytes, generation: list[tuple[Any, ...]], offsets: list[tuple[Any, ...]]) -> bytes:
    wb = load_workbook(io.BytesIO(wbk.fill(template)))
    for name, rows in ((excel.SHEET_GENERATION, generation), (excel.SHEET_OFFSETS, offsets)):
        ws = wb[name]
        for r, values in enumerate(rows, start=excel.FIRST_DATA_ROW):
            for c, v in enumerate(values, start=1):
                ws.cell(row=r, column=c, value=v)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("2024-01.xlsx", content, content_type=excel.XLSX_CONTENT_TYPE)


def test_the_template_has_both_sheets_with_codes_and_drop_downs():
    wb = load_workbook(io.BytesIO(excel.build_template(wbk.CEMENT, 2024, 1)))
    gen, off = wb[excel.SHEET_GENERATION], wb[excel.SHEET_OFFSETS]
    assert tuple(c.value for c in gen[2] if c.value) == excel.GENERATION_CODES
    assert tuple(c.value for c in off[2] if c.value) == excel.OFFSET_CODES
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in off.data_validations.dataValidation}
    assert "CCER" in lists["A3"] and "绿证" in lists["A3"] and "持有未注销" in lists["E3"]
    guide = " ".join(str(c.value) for row in wb["填报说明"].iter_rows() for c in row if c.value)
    assert "同一凭证只能申报一次" in guide


def test_a_filled_workbook_imports_the_declarations(world):
    template = excel.build_template(wbk.CEMENT, 2024, 1)
    content = _fill(
        template,
        [
            ("光伏", "自发自用", 85000, "kWh", None, "屋顶光伏一期"),
            ("光伏", "上网", 12000, "kWh", 2000, "屋顶光伏一期"),
        ],
        [("CCER", 120, "tCO2e", "外购/受让", "已注销/核销", "CCER-1"), ("绿证", 300, "MWh", None, None, "GEC-1")],
    )
    sub = excel.import_workbook(world.users["cement"], world.cement, 2024, 1, _upload(content))
    assert [(g.use, g.quantity, g.certificates_transferred, g.source_row) for g in sub.generation.all()] == [
        ("self_consumed", 85000, None, 3),
        ("fed_in", 12000, 2000, 4),
    ]
    assert [(o.kind, o.origin, o.status) for o in sub.offsets.all()] == [
        ("ccer", "purchased", "retired"),
        ("gec", "purchased", "retired"),
    ]
    # the template downloaded from this draft carries them back
    back = load_workbook(
        io.BytesIO(excel.build_template(wbk.CEMENT, 2024, 1, services.DraftData(**services.claims_of(sub))))
    )
    assert [c.value for c in back[excel.SHEET_OFFSETS][3]][:3] == ["CCER", 120, "tCO2e"]


def test_a_bad_declaration_row_refuses_the_whole_file(world):
    content = _fill(
        excel.build_template(wbk.CEMENT, 2024, 1),
        [("核电", "自发自用", 100, "MWh", None, "x")],
        [("绿证", "三百", "MWh", None, None, "GEC-1"), (None, None, None, None, None, "GEC-2")],
    )
    with pytest.raises(excel.WorkbookInvalid) as info:
        excel.import_workbook(world.users["cement"], world.cement, 2024, 1, _upload(content))
    found = {(f.sheet, f.row, f.column, f.rule) for f in info.value.findings}
    assert found == {
        ("自有零碳发电", 3, "technology", "unknown_choice"),
        ("碳抵消与绿证", 3, "quantity", "not_a_number"),
        ("碳抵消与绿证", 4, "quantity", "quantity_required"),
    }
    assert not Submission.objects.exists()


def test_a_workbook_from_the_older_template_still_imports():
    old = wbk.fill(excel.build_template(wbk.CEMENT, 2024, 1))
    wb = load_workbook(io.BytesIO(old))
    del wb[excel.SHEET_GENERATION]
    del wb[excel.SHEET_OFFSETS]
    out = io.BytesIO()
    wb.save(out)
    data = excel.parse_workbook(_upload(out.getvalue()))
    assert data.activities and data.generation == [] and data.offsets == []


# ------------------------------------------------------------------------------------------------
# API


def _api(world: Any) -> Client:
    out = io.StringIO()
    call_command("create_api_token", "cement", "ERP", stdout=out, stderr=io.StringIO())
    return Client(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")


def test_the_api_takes_and_returns_declarations_with_the_same_findings(world):
    client = _api(world)
    body = {**cement_month(), "generation": [PV], "offsets": [GEC, {"kind": "ccer", "quantity": 5, "unit": "MWh"}]}
    response = client.put("/api/reporting/periods/2024/1/draft", json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    issues = {(i["rule"], i["sheet"], i["row"], i["column"]) for i in response.json()["issues"]}
    assert ("offset.unit", "offsets", 2, "unit") in issues
    assert ("offset.reference_required", "offsets", 2, "reference") in issues
    assert response.json()["errors"] == 2
    sid = response.json()["submission_id"]
    got = client.get(f"/api/reporting/submissions/{sid}").json()
    assert got["generation"][0]["technology"] == "pv" and Decimal(got["generation"][0]["quantity"]) == 85000
    assert [o["kind"] for o in got["offsets"]] == ["gec", "ccer"]
    submit = client.post("/api/reporting/periods/2024/1/submit")
    assert submit.status_code == 422
    assert {e["rule"] for e in submit.json()["errors"]} == {"offset.unit", "offset.reference_required"}

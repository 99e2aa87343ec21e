"""The programme's pages in two languages, the dispatch report (PDF and Excel) with its grouped figures, the
entry form (a reason required, located errors, nothing changed) and 404 for enterprises."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from dualcarbon.programme.models import EntryVersion
from tests.web.helpers import login

pytestmark = pytest.mark.django_db


def _client(pw, who: str, lang: str = "zh-hans") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.cookies["django_language"] = lang
    return login(c, pw.users[who])


def test_the_board_in_both_languages_and_nothing_for_enterprises(pw):
    url = reverse("programme:board", args=[pw.programme.pk])
    zh = _client(pw, "gov").get(url).content.decode()
    assert "调度看板" in zh and "水泥窑余热发电" in zh and "86,000,000.00" in zh
    funds = _client(pw, "gov").get(reverse("programme:list", args=[pw.programme.pk, "fund"])).content.decode()
    assert "500,000,000.00" in funds  # a fund pool's size, grouped by thousands
    en = _client(pw, "gov", "en").get(url).content.decode()
    assert "Dispatch board" in en and "By group" in en and "Overdue tasks" in en
    assert _client(pw, "district").get(url).status_code == 200
    p1 = pw.entries["p1"]
    for who in ("cement", "bank", "verifier"):
        c = _client(pw, who)
        for u in (
            url,
            reverse("programme:home"),
            reverse("programme:list", args=[pw.programme.pk, "project"]),
            reverse("programme:entry", args=["project", p1.pk]),
            reverse("programme:task", args=[pw.tasks["T-01"].pk]),
            reverse("programme:report_pdf", args=[pw.programme.pk]),
        ):
            assert c.get(u).status_code == 404, (who, u)


def test_the_report_pdf_and_excel_carry_the_grouped_figures(pw):
    c = _client(pw, "gov")
    x = c.get(reverse("programme:report_xlsx", args=[pw.programme.pk]))
    assert x.status_code == 200
    wb = load_workbook(io.BytesIO(x.content))
    rows = [r for r in wb["调度汇总"].iter_rows(values_only=True)]
    by_name = {r[0]: r for r in rows if r and r[0]}
    # 工业: 2 tasks, 1 done, 1 overdue, mean progress (60 + 100) / 2, one project of 86 000 000 元 and 8 100 tCO2
    assert by_name["工业"][1:9] == (2, 1, 1, 0, 80.0, 1, 86000000, 8100)
    assert by_name["东城区"][1:4] == (2, 1, 1) and by_name["西城区"][1:5] == (2, 0, 0, 1)
    assert by_name["五降 五个领域降碳"][1] == 4
    late = list(wb["逾期与滞后任务"].iter_rows(values_only=True))
    assert [(r[0], r[1]) for r in late[1:]] == [("逾期", "T-01"), ("滞后", "T-04")]
    pdf = c.get(reverse("programme:report_pdf", args=[pw.programme.pk]))
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is needed to read the report")
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf.content, capture_output=True).stdout.decode()
    assert "调度报告" in text and "按专班小组" in text and "按属地" in text
    assert "T-01" in text and "86,000,000.00" in text and "8100.00" in text


def test_the_entry_form_needs_a_reason_and_keeps_the_version(pw):
    p1 = pw.entries["p1"]
    url = reverse("programme:entry", args=["project", p1.pk])
    c = _client(pw, "industry")
    page = c.get(url).content.decode()
    assert 'name="reason"' in page and "项目入库" in page  # the form and the first version's reason
    r = c.post(url, {"expected_tco2": "9000", "reason": ""})
    assert r.status_code == 422 and "请说明变更原因" in r.content.decode()
    r = c.post(url, {"expected_tco2": "九千", "reason": "复核"})
    assert r.status_code == 422 and "expected_tco2：“九千”不是数字" in r.content.decode()
    assert EntryVersion.objects.filter(kind="project", entry_id=p1.pk).count() == 1
    assert _client(pw, "district").post(url, {"expected_tco2": "1", "reason": "越权"}).status_code == 403
    r = c.post(url, {"expected_tco2": "9000", "reason": "复核后调增"})
    assert r.status_code == 302
    page = c.get(url).content.decode()
    assert "复核后调增" in page and "8100.00 → 9000.00" in page


def test_statistics_upload_page_shows_located_errors(pw):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("programme:statistics", args=[pw.programme.pk])
    f = SimpleUploadedFile("pm.csv", b"indicator,region,year,value\npm25,339900,2024,abc\n", content_type="text/csv")
    r = _client(pw, "gov", "en").post(url, {"file": f})
    assert r.status_code == 422 and "Row 2, column value: &quot;abc&quot; is not a number" in r.content.decode()

"""The carbon account credit report (碳账户信用报告, docs/finance.md § The credit report): a bank generates it for
a consenting enterprise within the consent's scope and period; JSON through the API, a Chinese PDF with its own
verification QR code; a public page checks a presented hash; every generation is in the bank read log."""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.finance import credit_reports, services
from dualcarbon.finance.models import CreditReport
from dualcarbon.registry import api_tokens
from dualcarbon.registry.models import AccessLog
from tests.factories import World, build_world
from tests.web.helpers import MODEL_BACKEND, accounts_in_one_run, data_for_the_module, submit_month

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("finance-credit-report")]


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    from dualcarbon.rating import services as rating

    with data_for_the_module(django_db_blocker):
        w = build_world()
        with accounts_in_one_run():
            for m in range(1, 13):
                submit_month(w.users["cement"], w.cement, 2024, m)
            for m in (1, 2, 3):
                submit_month(w.users["cement"], w.cement, 2025, m)
        rating.rate_region("3399", 2024)
        # the second bank: the credit report, the account summary and the grade, 2024-01 .. 2025-02
        services.grant_consent(
            w.users["cement"],
            w.cement,
            w.other_bank,
            purpose_code="credit_assessment",
            scopes=["credit_report", "summary", "grade", "certification"],
            data_from="2024-01",
            data_until="2025-02",
            valid_until=datetime.date.today() + datetime.timedelta(days=90),
        )
        yield w


def api(world: World) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_tokens.issue(world.users['bank2'], 'credit system')[1]}")


def web(world: World, who: str = "bank2", lang: str = "zh-hans") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.force_login(world.users[who], backend=MODEL_BACKEND)
    return c


def generate(world: World) -> dict[str, Any]:
    r = api(world).post(f"/api/finance/bank/enterprises/{world.cement.pk}/credit-reports")
    assert r.status_code == 201, r.content
    return r.json()


def test_the_report_holds_the_consented_period_as_printed_and_its_hash(world):
    logged = AccessLog.objects.filter(resource="credit_report").count()
    out = generate(world)
    c = out["content"]
    assert c["consent"]["data_from"] == "2024-01" and c["consent"]["data_until"] == "2025-02"
    assert c["sections"] == ["summary", "grade", "certification"]
    y2024, y2025 = c["account"]
    # 2024: the twelve months; 2025: only January and February (March is outside the consent)
    assert (y2024["months_accounted"], y2024["complete"]) == (12, True)
    assert (y2025["months_in_period"], y2025["months_accounted"], y2025["complete"]) == (2, 2, False)
    assert [m["month"] for m in y2025["months"]] == [1, 2]
    entries = AccountEntry.objects.filter(enterprise=world.cement, year=2024, is_current=True)
    sums = entries.aggregate(t=Sum("total_tco2e"), s1=Sum("scope1_tco2e"), e=Sum("energy_tce"))
    assert y2024["total_tco2e"] == f"{sums['t']:.2f}" and y2024["scope1_tco2e"] == f"{sums['s1']:.2f}"
    assert y2024["energy_tce"] == f"{sums['e']:.3f}"
    assert {m["status"] for m in y2024["months"]} == {"submitted"}
    assert sum(float(v or 0) for v in y2024["tier_mix_pct"].values()) == pytest.approx(100, abs=0.2)
    assert y2024["intensity_change_pct"] is None and y2025["intensity_change_pct"] is not None
    # the grade of 2024 (a whole consented year) with the engine's explanation; 2025 is not whole
    assert [g["year"] for g in c["grades"]] == [2024] and c["grades"][0]["explanation"]
    assert c["certification"]["available"] is False and "暂无" in c["certification"]["zh"]
    # the hash stored at generation is the SHA-256 of the canonical content
    canon = json.dumps(c, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    assert out["content_hash"] == hashlib.sha256(canon).hexdigest()
    report = CreditReport.objects.get(number=out["number"])
    assert report.content_hash == out["content_hash"] and report.bank == world.other_bank
    row = AccessLog.objects.filter(resource="credit_report").latest("pk")
    assert (row.what, row.reader_id, row.consent_id) == (out["number"], world.other_bank.pk, report.consent_id)
    assert AccessLog.objects.filter(resource="credit_report").count() == logged + 1
    assert re.fullmatch(r"XYBG-\d{8}-[0-9A-F]{10}", out["number"])


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler's pdftotext reads the PDF")
def test_the_chinese_pdf_carries_its_number_hash_and_qr_code(world):
    out = generate(world)
    html = credit_reports.pdf_html(CreditReport.objects.get(number=out["number"]), out["verify_url"])
    assert "<svg" in html and out["content_hash"] in html  # the QR code and the printed hash
    r = web(world).get(reverse("finance:credit_report_pdf", args=[out["number"]]))
    assert r.status_code == 200 and r.content[:5] == b"%PDF-"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.pdf"
        path.write_bytes(r.content)
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
    flat = re.sub(r"\s+", "", text)
    for expected in ("碳账户信用报告", out["number"], world.cement.name, "数据质量等级构成", "各月核查状态", "暂无"):
        assert expected in flat, expected
    assert out["content_hash"][:32] in flat


def test_the_public_page_tells_whether_a_presented_hash_matches(world):
    out = generate(world)
    page = reverse("finance:report_verify", args=[out["number"]])
    anon = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    good = anon.get(page, {"h": out["content_hash"]})
    assert good.status_code == 200 and "有效" in good.content.decode() and world.cement.name in good.content.decode()
    assert "tCO2e" not in good.content.decode()  # name, date and validity only
    bad = anon.get(page, {"h": "0" * 64}).content.decode()
    assert "不一致" in bad and world.cement.name not in bad
    unknown = anon.get(reverse("finance:report_verify", args=["XYBG-20990101-0000000000"]), {"h": out["content_hash"]})
    assert "不一致" in unknown.content.decode() and world.cement.name not in unknown.content.decode()
    en = Client(HTTP_ACCEPT_LANGUAGE="en").get(page, {"h": out["content_hash"]}).content.decode()
    assert "Valid: the content hash matches" in en


def test_the_bank_page_and_the_report_page_in_both_languages(world):
    out = generate(world)
    for lang, listed, words in (
        ("zh-hans", "已生成的碳账户信用报告", ("碳账户信用报告", "各月核查状态")),
        ("en", "Credit reports generated", ("Carbon account credit report", "Verification status of each month")),
    ):
        bank = web(world, lang=lang)
        listing = bank.get(reverse("finance:bank")).content.decode()
        assert out["number"] in listing and listed in listing
        page = bank.get(reverse("finance:credit_report", args=[out["number"]])).content.decode()
        assert all(w in page for w in words) and world.cement.name in page
    # generating from the page: a new report, the bank lands on it
    r = web(world).post(reverse("finance:credit_report_new", args=[world.cement.pk]))
    assert r.status_code == 302 and "/finance/bank/credit-reports/XYBG-" in r["Location"]
    # the first bank, whose consent (build_world) is not one naming … it is: it sees its own reports only
    assert out["number"] not in web(world, "bank").get(reverse("finance:bank")).content.decode()
    assert web(world, "bank").get(reverse("finance:credit_report", args=[out["number"]])).status_code == 404
    # the enterprise, its government and the admin do not generate bank reports
    for who in ("cement", "gov", "admin"):
        assert web(world, who).post(reverse("finance:credit_report_new", args=[world.cement.pk])).status_code == 404

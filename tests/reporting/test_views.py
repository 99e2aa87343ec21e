"""Reporting pages: who sees what, the web form, corrections, evidence limits, verify and lock."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.reporting import services
from dualcarbon.reporting.models import Evidence, Submission
from tests.factories import build_world, cement_month

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world()


def client_for(world: Any, who: str, **headers: Any) -> Client:
    client = Client(**headers)
    client.force_login(world.users[who])
    return client


def submitted(world: Any, month: int = 1, **kw: Any) -> Submission:
    user = world.users["cement"]
    draft = services.draft_for(user, world.cement, 2024, month)
    services.save_draft(user, draft, services.DraftData(**cement_month(**kw)))
    return services.submit(user, draft)


def form_post(activities: list[dict[str, Any]], production=(), economic=None, extra_rows: int = 2) -> dict[str, Any]:
    """The POST body of the edit page's formsets (plus blank rows, as the browser sends them)."""
    data: dict[str, Any] = {
        "act-TOTAL_FORMS": len(activities) + extra_rows,
        "act-INITIAL_FORMS": 0,
        "prod-TOTAL_FORMS": len(production) + 1,
        "prod-INITIAL_FORMS": 0,
        "gen-TOTAL_FORMS": 1,
        "gen-INITIAL_FORMS": 0,
        "off-TOTAL_FORMS": 1,
        "off-INITIAL_FORMS": 0,
    }
    for i, row in enumerate(activities):
        for k, v in row.items():
            data[f"act-{i}-{k}"] = v
    for i, row in enumerate(production):
        for k, v in row.items():
            data[f"prod-{i}-{k}"] = v
    for k, v in (economic or {}).items():
        data[f"econ-{k}"] = v
    return data


def month_form(coal: float = 7100) -> dict[str, Any]:
    m = cement_month(coal=coal)
    return form_post(m["activities"], m["production"], m["economic"])


# ------------------------------------------------------------------------------------------------


def test_pages_render_for_enterprise_staff(world):
    sub = submitted(world)
    c = client_for(world, "cement")
    index = c.get(reverse("reporting:index") + "?year=2024")
    assert index.status_code == 200
    text = index.content.decode()
    assert "2024-01" in text and "已提交" in text and "未报送" in text
    period = c.get(reverse("reporting:period", args=[2024, 1]))
    assert period.status_code == 200
    text = period.content.decode()
    assert "原煤" in text and "v1" in text and "发起更正" in text and "tCO2e" in text
    assert c.get(reverse("reporting:period", args=[2024, 2])).status_code == 200
    edit = c.get(reverse("reporting:edit", args=[2024, 2]))
    assert edit.status_code == 200 and "熟料" in edit.content.decode()  # industry rows pre-filled
    assert c.get(reverse("reporting:version", args=[sub.pk])).status_code == 200
    # a submitted month cannot be edited without a correction
    assert c.get(reverse("reporting:edit", args=[2024, 1])).status_code == 302


def test_english_pages(world):
    submitted(world)
    c = client_for(world, "cement", HTTP_ACCEPT_LANGUAGE="en")
    text = c.get(reverse("reporting:period", args=[2024, 1])).content.decode()
    assert "Start a correction" in text and "Version history" in text and "发起更正" not in text


def test_another_enterprise_is_refused(world):
    sub = submitted(world)
    steel = client_for(world, "steel")
    org = f"?org={world.cement.pk}"
    # reads of another enterprise's month look exactly like a missing page; writes are refused
    assert steel.get(reverse("reporting:period", args=[2024, 1]) + org).status_code == 404
    assert steel.get(reverse("reporting:template", args=[2024, 1]) + org).status_code == 404
    assert steel.post(reverse("reporting:submit", args=[2024, 1]) + org).status_code == 403
    assert steel.post(reverse("reporting:correct", args=[2024, 1]) + org, {"reason": "x"}).status_code == 403
    assert steel.get(reverse("reporting:version", args=[sub.pk])).status_code == 404
    evidence = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    assert (
        steel.post(reverse("reporting:evidence", args=[sub.pk]), {"kind": "invoice", "file": evidence}).status_code
        == 404
    )
    assert steel.post(reverse("reporting:verify", args=[sub.pk])).status_code == 404
    # steel's own pages work and show nothing of cement's
    own = steel.get(reverse("reporting:period", args=[2024, 1]))
    assert own.status_code == 200 and "示范水泥" not in own.content.decode()
    # a bank reads accounts, not raw submissions; it reports nothing
    bank = client_for(world, "bank")
    assert bank.get(reverse("reporting:version", args=[sub.pk])).status_code == 404
    assert bank.get(reverse("reporting:period", args=[2024, 1])).status_code == 404


def test_anonymous_users_are_sent_to_login(world):
    response = Client().get(reverse("reporting:index"))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]


def test_web_form_saves_a_draft_and_submits(world):
    c = client_for(world, "cement")
    response = c.post(reverse("reporting:edit", args=[2024, 1]), month_form())
    assert response.status_code == 302
    draft = Submission.objects.get(enterprise=world.cement)
    assert draft.channel == "web" and draft.activities.count() == 4
    assert draft.activities.get(item="原煤").source_sheet == "表单"
    # the draft's values come back into the form
    assert "7100" in c.get(reverse("reporting:edit", args=[2024, 1])).content.decode()
    assert c.post(reverse("reporting:submit", args=[2024, 1])).status_code == 302
    draft.refresh_from_db()
    assert draft.status == "submitted"
    assert AccountEntry.objects.filter(submission=draft, is_current=True).exists()


def test_web_form_offers_green_power_and_computes_it(world):
    c = client_for(world, "cement")
    form = c.get(reverse("reporting:edit", args=[2024, 1])).content.decode()
    assert 'value="绿电"' in form  # a pre-filled row of the industry's profile, quantity empty
    m = cement_month(mwh=2300)
    green = {"source_type": "purchased_electricity", "item": "绿电", "quantity": "600", "unit": "MWh"}
    assert (
        c.post(
            reverse("reporting:edit", args=[2024, 1]),
            form_post([*m["activities"], green], m["production"], m["economic"]),
        ).status_code
        == 302
    )
    draft = Submission.objects.get(enterprise=world.cement)
    assert draft.activities.count() == 5 and draft.activities.get(item="绿电").quantity == 600
    assert c.post(reverse("reporting:submit", args=[2024, 1])).status_code == 302
    entry = AccountEntry.objects.get(submission=draft, is_current=True)
    assert entry.scope2_market_tco2e == pytest.approx(2300 * 0.6096)
    assert entry.scope2_tco2e == pytest.approx(2900 * entry.run.lines.get(item="ELECTRICITY").emission_factor)


def test_invalid_form_saves_nothing(world):
    c = client_for(world, "cement")
    data = month_form()
    data["act-0-quantity"] = "七千"
    data["act-1-quantity"] = "-3"
    response = c.post(reverse("reporting:edit", args=[2024, 1]), data)
    assert response.status_code == 400
    assert not Submission.objects.exists()


def test_errors_block_submitting_and_are_shown_with_their_location(world):
    c = client_for(world, "cement")
    data = month_form()
    data["act-1-item"] = "黄金"
    c.post(reverse("reporting:edit", args=[2024, 1]), data)
    c.post(reverse("reporting:submit", args=[2024, 1]))
    draft = Submission.objects.get(enterprise=world.cement)
    assert draft.status == "draft" and not AccountEntry.objects.exists()
    page = c.get(reverse("reporting:period", args=[2024, 1])).content.decode()
    assert "黄金" in page and "表单" in page and "engine.unknown_item" in page


def test_correction_through_the_web(world):
    v1 = submitted(world)
    c = client_for(world, "cement")
    refused = c.post(reverse("reporting:correct", args=[2024, 1]), {"reason": "   "})
    assert refused.status_code == 400 and Submission.objects.count() == 1
    assert c.post(reverse("reporting:correct", args=[2024, 1]), {"reason": "原煤用量按结算单更正"}).status_code == 302
    v2 = Submission.objects.get(version=2)
    assert v2.status == "draft" and v2.reason == "原煤用量按结算单更正"
    assert c.post(reverse("reporting:edit", args=[2024, 1]), month_form(coal=6900)).status_code == 302
    assert c.post(reverse("reporting:submit", args=[2024, 1])).status_code == 302
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert v2.status == "submitted" and v2.is_current and not v1.is_current
    assert v1.activities.get(item="原煤").quantity == 7100
    old = c.get(reverse("reporting:version", args=[v1.pk])).content.decode()
    assert "7,100" in old and "已被更正版本取代" in old
    history = c.get(reverse("reporting:period", args=[2024, 1])).content.decode()
    assert "原煤用量按结算单更正" in history and "v2" in history and "6,900" in history


def test_evidence_type_and_size_limits(world):
    sub = submitted(world)
    c = client_for(world, "cement")
    url = reverse("reporting:evidence", args=[sub.pk])
    ok = c.post(url, {"kind": "invoice", "file": SimpleUploadedFile("发票.pdf", PDF, content_type="application/pdf")})
    assert ok.status_code == 302
    (ev,) = Evidence.objects.all()
    assert ev.original_name == "发票.pdf" and ev.size == len(PDF) and ev.submission_id == sub.pk

    bad_type = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    response = c.post(url, {"kind": "other", "file": bad_type})
    assert response.status_code == 400 and "text/plain" in response.content.decode()
    disguised = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00 executable", content_type="application/pdf")
    assert c.post(url, {"kind": "invoice", "file": disguised}).status_code == 400
    big = SimpleUploadedFile("scan.pdf", PDF + b"0" * Evidence.MAX_BYTES, content_type="application/pdf")
    response = c.post(url, {"kind": "lab", "file": big})
    assert response.status_code == 400 and "10 MB" in response.content.decode()
    assert Evidence.objects.count() == 1

    download = c.get(reverse("reporting:evidence_file", args=[ev.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert client_for(world, "steel").get(reverse("reporting:evidence_file", args=[ev.pk])).status_code == 404
    # the verifier assigned to cement may read the evidence but not add any
    verifier = client_for(world, "verifier")
    download = verifier.get(reverse("reporting:evidence_file", args=[ev.pk]))
    # read to the end: the test client then closes the file it streams (an explicit close() would send
    # request_finished, which closes the database connection inside the test's transaction on PostgreSQL)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    pdf = SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf")
    assert verifier.post(url, {"kind": "other", "file": pdf}).status_code == 403


def test_verifier_verifies_and_government_locks(world):
    sub = submitted(world)
    verifier = client_for(world, "verifier")
    index = verifier.get(reverse("reporting:index")).content.decode()
    assert "待核查的报送" in index and "示范水泥有限公司" in index
    assert client_for(world, "gov").post(reverse("reporting:verify", args=[sub.pk])).status_code == 403
    assert verifier.post(reverse("reporting:verify", args=[sub.pk])).status_code == 302
    sub.refresh_from_db()
    assert sub.status == "verified"
    assert verifier.post(reverse("reporting:lock", args=[sub.pk])).status_code == 403

    gov = client_for(world, "gov")
    assert "示范水泥有限公司" in gov.get(reverse("reporting:index")).content.decode()
    assert "lock-button" in gov.get(reverse("reporting:version", args=[sub.pk])).content.decode()
    assert gov.post(reverse("reporting:lock", args=[sub.pk])).status_code == 302
    sub.refresh_from_db()
    assert sub.status == "locked"
    # a locked month cannot be corrected
    c = client_for(world, "cement")
    response = c.post(reverse("reporting:correct", args=[2024, 1]), {"reason": "想改"})
    assert response.status_code == 400 and Submission.objects.count() == 1


def test_measured_values_keep_full_precision_on_the_page(world):
    c = client_for(world, "cement")
    data = month_form()
    data["act-0-ncv"] = "21.3712"
    data["act-0-ncv_unit"] = "GJ/t"
    data["act-0-param_basis"] = "measured"
    assert c.post(reverse("reporting:edit", args=[2024, 1]), data).status_code == 302
    coal = Submission.objects.get().activities.get(item="原煤")
    assert coal.ncv == Decimal("21.3712") and coal.param_basis == "measured"
    assert "低位发热量 21.3712 GJ/t（实测）" in c.get(reverse("reporting:period", args=[2024, 1])).content.decode()

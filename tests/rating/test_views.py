"""Rating pages: the grade page and its scoping, the region list, QR labels, the public verification page."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from dualcarbon.rating import services
from dualcarbon.rating.models import Appeal, RatingResult, VerificationLabel
from dualcarbon.registry import api_tokens
from dualcarbon.reporting import services as reporting
from tests.rating.helpers import CEMENT_COAL, TYPO_MONTH, YEAR, month_data, rated_world

pytestmark = pytest.mark.django_db
BACKEND = "django.contrib.auth.backends.ModelBackend"


@pytest.fixture
def rw():
    world = rated_world()
    services.rate_region("3399", YEAR)
    return world


def page(client, rw, who, url, **kw):
    client.logout()
    if who != "anon":
        client.force_login(rw.users[who], backend=BACKEND)
    return client.get(url, **kw)


def grade_url(org, year=YEAR):
    return reverse("rating:enterprise", args=[org.pk]) + f"?year={year}"


def text(response) -> str:
    return response.content.decode()


def test_the_enterprise_sees_its_grade_and_why(client, rw):
    r = page(client, rw, "cement", grade_url(rw.cement))
    assert r.status_code == 200
    html = text(r)
    result = RatingResult.objects.get(enterprise=rw.cement, is_current=True)
    assert 'data-mark="5"' in html and "zj-efficiency-code v1" in html
    assert f"{result.intensity_l:.4f}" in html and f"{result.k_value:.4f}" in html
    assert f"{result.benchmark.value:.4f}" in html and "30 水泥" not in html  # group shown by its GB/T 4754 name
    assert "行业大类" in html and "5 / 6" in html  # included / candidates
    assert "K &gt; 2 → 5 级" in html or "K > 2 → 5 级" in html  # the threshold crossed
    assert "本期未申报自有零碳发电或碳抵消" in html and "0.00%" in html  # nothing declared: 0, and why
    for entry_id in result.inputs["entries"]:
        assert reverse("accounting:entry", args=[entry_id]) in html  # lineage of the accounts used
    assert reverse("rating:appeal", args=[rw.cement.pk]) in html
    # the steel maker's page shows its fallback group
    steel = text(page(client, rw, "steel", grade_url(rw.world.steel)))
    assert "行业门类" in steel and "样本不足" in steel


def test_another_enterprise_cannot_see_a_grade_page(client, rw):
    for who in ("steel", "far", "peer0", "bank2"):
        assert page(client, rw, who, grade_url(rw.cement)).status_code == 404, who
        assert page(client, rw, who, reverse("rating:label", args=[rw.cement.pk])).status_code == 404, who
    assert page(client, rw, "anon", grade_url(rw.cement)).status_code == 302
    for who in ("gov", "district", "verifier", "admin"):
        r = page(client, rw, who, grade_url(rw.cement))
        assert r.status_code == 200 and 'data-mark="5"' in text(r), who
        assert reverse("rating:appeal", args=[rw.cement.pk]) not in text(r)  # only the enterprise appeals
    # the bank's consent covers 2024-01..06 only: an annual grade (made of all twelve months) is not shown
    bank = page(client, rw, "bank", grade_url(rw.cement))
    assert bank.status_code == 200 and "data-mark" not in text(bank)


def test_region_page_lists_grades_with_their_distribution(client, rw):
    r = page(client, rw, "gov", reverse("rating:region") + f"?year={YEAR}")
    html = text(r)
    assert r.status_code == 200 and "<svg" in html
    for org in [rw.cement, rw.world.steel, *rw.peers]:
        assert org.name in html
    assert rw.world.other_city_firm.name not in html
    assert re.search(r"5 级</span></a></td><td class=\"num\">1<", html)  # cement
    assert re.search(r"3 级</span></a></td><td class=\"num\">3<", html)  # peers 1–3
    district = text(page(client, rw, "district", reverse("rating:region") + f"?year={YEAR}"))
    assert rw.cement.name in district and rw.world.steel.name not in district  # 东城区 only
    only5 = text(page(client, rw, "gov", reverse("rating:region") + f"?year={YEAR}&mark=5"))
    assert rw.cement.name in only5 and rw.peers[0].name not in only5
    assert page(client, rw, "cement", reverse("rating:region")).status_code == 404  # looks exactly like missing


def test_region_page_query_count_does_not_grow_with_results(client, rw):
    url = reverse("rating:region") + f"?year={YEAR}"
    page(client, rw, "gov", url)
    with CaptureQueriesContext(connection) as small:
        page(client, rw, "gov", url)
    for _ in range(2):
        services.rate_region("3399", YEAR)
    with CaptureQueriesContext(connection) as large:
        page(client, rw, "gov", url)
    assert len(large.captured_queries) == len(small.captured_queries)
    grade = grade_url(rw.cement)
    with CaptureQueriesContext(connection) as history:
        assert page(client, rw, "cement", grade).status_code == 200
    services.rate_region("3399", YEAR)
    with CaptureQueriesContext(connection) as longer:
        page(client, rw, "cement", grade)
    assert len(longer.captured_queries) == len(history.captured_queries)


def test_qr_label_links_to_the_public_page(client, rw):
    token = VerificationLabel.objects.get(enterprise=rw.cement).token
    r = page(client, rw, "cement", reverse("rating:label", args=[rw.cement.pk]))
    assert r.status_code == 200 and "<svg" in text(r) and f"/verify/{token}/" in text(r)
    svg = page(client, rw, "gov", reverse("rating:label_svg", args=[rw.cement.pk]))
    assert svg["Content-Type"] == "image/svg+xml" and svg.content.lstrip().startswith(b"<?xml")
    png = page(client, rw, "cement", reverse("rating:label_png", args=[rw.cement.pk]))
    assert png["Content-Type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"


def _private_numbers(result: RatingResult) -> set[str]:
    """Every way a private figure of the result could be printed."""
    inputs = result.inputs
    values = [
        inputs["emissions_tco2"],
        inputs["total_tco2e"],
        inputs["value_added_10k_yuan"],
        result.intensity_l,
        result.k_value,
        result.benchmark.value if result.benchmark else None,
    ]
    out = set()
    for v in values:
        if v is None:
            continue
        out |= {f"{v:.2f}", f"{v:,.2f}", f"{v:.4f}", f"{v:.3f}", f"{v:,.0f}", f"{v:.1f}", repr(v)}
    return {s for s in out if len(s.replace(",", "").replace(".", "")) >= 3}


def test_public_verification_page_shows_the_grade_and_no_private_figures(client, rw):
    result = RatingResult.objects.get(enterprise=rw.cement, is_current=True)
    token = VerificationLabel.objects.get(enterprise=rw.cement).token
    r = client.get(reverse("rating-verify", args=[token]))  # anonymous
    assert r.status_code == 200
    html = text(r)
    assert rw.cement.name in html and rw.cement.uscc in html
    assert 'class="mark red"' in html and "碳效等级 5 级" in html and "zj-efficiency-code v1" in html
    assert "2025-01-01" in html and "2025-12-31" in html and str(YEAR) in html
    leaked = [s for s in _private_numbers(result) if s in html]
    assert not leaked, leaked
    for word in ("tCO2", "万元", "增加值", "排放量 ", "value added"):
        assert word not in html.split("本页面仅用于")[0], word
    assert client.get(reverse("rating-verify", args=["x" * 24])).status_code == 404
    VerificationLabel.objects.filter(token=token).update(revoked_at="2026-01-01T00:00Z")
    assert client.get(reverse("rating-verify", args=[token])).status_code == 404


def test_verification_follows_the_current_grade(client, rw):
    token = VerificationLabel.objects.get(enterprise=rw.cement).token
    before = RatingResult.objects.get(enterprise=rw.cement, is_current=True)
    services.appeal(
        rw.users["cement"],
        before,
        "3 月原煤误按千克填报",
        [services.Correction(TYPO_MONTH, reporting.DraftData(**month_data(CEMENT_COAL)))],
    )
    html = text(client.get(reverse("rating-verify", args=[token])))
    assert "碳效等级 3 级" in html and "碳效等级 5 级" not in html


def test_appeal_through_the_pages(client, rw):
    url = reverse("rating:appeal", args=[rw.cement.pk])
    assert page(client, rw, "gov", url).status_code == 302  # not the enterprise: back to the grade page
    client.force_login(rw.users["gov"], backend=BACKEND)
    assert client.post(url, {"reason": "x", "months": [TYPO_MONTH], "year": YEAR}).status_code == 403

    r = page(client, rw, "cement", url + f"?year={YEAR}")
    assert r.status_code == 200 and 'name="months"' in text(r)
    bad = client.post(url, {"reason": "", "months": [TYPO_MONTH], "year": YEAR})
    assert bad.status_code == 400 and not Appeal.objects.exists()
    r = client.post(url, {"reason": "3 月原煤误按千克填报", "months": [TYPO_MONTH], "year": YEAR})
    assert r.status_code == 302
    assert r["Location"] == reverse("reporting:edit", args=[YEAR, TYPO_MONTH]) + f"?org={rw.cement.pk}"
    appeal = Appeal.objects.get()
    assert appeal.status == Appeal.Status.AWAITING

    finish = reverse("rating:appeal_finish", args=[rw.cement.pk])
    client.post(finish)
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.AWAITING  # the correction is still a draft

    draft = appeal.corrections.get()
    reporting.save_draft(rw.users["cement"], draft, reporting.DraftData(**month_data(CEMENT_COAL)))
    reporting.submit(rw.users["cement"], draft)
    r = client.post(finish)
    assert r.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.RERATED and (appeal.grade_before, appeal.grade_after) == ("5", "3")
    html = text(page(client, rw, "cement", grade_url(rw.cement)))
    assert 'data-mark="3"' in html and "已被取代" in html  # history shows the superseded grade


def test_english_page(client, rw):
    client.force_login(rw.users["cement"], backend=BACKEND)
    with translation.override("en"):
        html = text(client.get(grade_url(rw.cement), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Carbon-efficiency grade" in html and "Industry benchmark" in html
    assert "K = L / benchmark" in html and "grade 5" in html


def test_api_returns_grades_with_explanations(client, rw):
    _token, key = api_tokens.issue(rw.users["cement"], "rating test")
    r = client.get(f"/api/rating/enterprises/{rw.cement.pk}/ratings", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200
    body = r.json()
    assert body[0]["grade"] == 5 and body[0]["scheme"] == "zj-efficiency-code"
    assert any(i["code"] == "grade" for i in body[0]["explanation"])
    other = client.get(
        f"/api/rating/enterprises/{rw.world.steel.pk}/ratings", headers={"Authorization": f"Bearer {key}"}
    )
    assert other.status_code == 404
    assert client.get(f"/api/rating/enterprises/{rw.cement.pk}/ratings").status_code == 401

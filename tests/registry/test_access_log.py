"""The bank read log: every read a bank makes of an enterprise's data (pages, files, API) writes exactly one
row naming who, which enterprise, under which consent, what and when; a refused read writes none; the
enterprise (and its government, and the admin) can read the log, banks and verifiers cannot."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.rating import services as rating
from dualcarbon.registry import api_tokens
from dualcarbon.registry import audit as finance
from dualcarbon.registry import services as registry
from dualcarbon.registry.models import AccessLog, Consent, Membership
from tests.rating.helpers import YEAR, rated_world
from tests.web.helpers import fast_world, login, submit_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def rw():
    world = rated_world()
    rating.rate_region("3399", YEAR)
    # the bank's consent covers the whole rated year, so it reads the grade too
    Consent.objects.filter(enterprise=world.cement, bank=world.world.bank).update(
        data_from=f"{YEAR}-01", data_until=f"{YEAR}-12"
    )
    return world


def _consent(world):
    return Consent.objects.get(enterprise=world.cement, bank=world.bank)


def _read_urls(cement, entry):
    return [
        (reverse("accounting:enterprise", args=[cement.pk]) + f"?year={YEAR}", AccessLog.Resource.ACCOUNT),
        (reverse("accounting:entry", args=[entry.pk]), AccessLog.Resource.LINEAGE),
        (reverse("accounting:export", args=[cement.pk]) + f"?year={YEAR}", AccessLog.Resource.EXPORT_XLSX),
        (reverse("accounting:report", args=[cement.pk]) + f"?year={YEAR}", AccessLog.Resource.REPORT_PDF),
        (reverse("rating:enterprise", args=[cement.pk]) + f"?year={YEAR}", AccessLog.Resource.RATING),
        (reverse("rating:label", args=[cement.pk]), AccessLog.Resource.RATING_LABEL),
        (reverse("rating:label_svg", args=[cement.pk]), AccessLog.Resource.RATING_LABEL),
        (reverse("rating:label_png", args=[cement.pk]), AccessLog.Resource.RATING_LABEL),
    ]


def test_each_bank_read_writes_exactly_one_row(client, rw):
    world = rw.world
    bank_user = world.users["bank"]
    entry = AccountEntry.objects.filter(enterprise=world.cement, year=YEAR, month=3, is_current=True).get()
    login(client, bank_user)
    for url, resource in _read_urls(world.cement, entry):
        before = AccessLog.objects.count()
        started = timezone.now()
        response = client.get(url)
        assert response.status_code == 200, url
        assert AccessLog.objects.count() == before + 1, url
        row = AccessLog.objects.order_by("-pk").first()
        assert (row.user, row.reader, row.enterprise) == (bank_user, world.bank, world.cement), url
        assert row.consent == _consent(world) and row.resource == resource and row.channel == "web", url
        assert row.path == url and row.at >= started, url
    lineage = AccessLog.objects.get(resource=AccessLog.Resource.LINEAGE)
    assert lineage.what == f"#{entry.pk} {YEAR}-03"
    assert AccessLog.objects.get(resource=AccessLog.Resource.RATING).what == str(YEAR)
    # the grade was really shown to the bank (the consent covers the year), and it was logged once
    html = client.get(reverse("rating:enterprise", args=[world.cement.pk]) + f"?year={YEAR}").content.decode()
    assert 'data-mark="5"' in html


def test_refused_reads_are_refused_and_write_nothing(client, settings):
    world = fast_world(settings)
    march = submit_month(world.users["cement"], world.cement, 2024, 3)
    september = submit_month(world.users["cement"], world.cement, 2024, 9)
    steel = submit_month(world.users["steel"], world.steel, 2024, 3)
    in_consent, outside = (AccountEntry.objects.get(submission=s) for s in (march, september))
    steel_entry = AccountEntry.objects.get(submission=steel)
    account = reverse("accounting:enterprise", args=[world.cement.pk])
    refused = [
        ("bank2", account),  # no consent at all
        ("bank2", reverse("rating:enterprise", args=[world.cement.pk])),
        ("bank2", reverse("accounting:export", args=[world.cement.pk])),
        ("bank", reverse("accounting:enterprise", args=[world.steel.pk])),  # no consent from this firm
        ("bank", reverse("accounting:entry", args=[steel_entry.pk])),
        ("bank", reverse("accounting:entry", args=[outside.pk])),  # a month outside the consented periods
    ]
    for who, url in refused:
        login(client, world.users[who])
        assert client.get(url).status_code == 404, (who, url)
    assert AccessLog.objects.count() == 0
    # the consented month is read (and logged) …
    login(client, world.users["bank"])
    assert client.get(reverse("accounting:entry", args=[in_consent.pk])).status_code == 200
    assert AccessLog.objects.count() == 1
    # … until the enterprise revokes the consent: then refused, and nothing more is written
    Consent.objects.update(revoked_at=timezone.now())
    assert client.get(account).status_code == 404
    assert client.get(reverse("accounting:entry", args=[in_consent.pk])).status_code == 404
    assert AccessLog.objects.count() == 1


def test_reads_by_the_enterprise_its_government_verifier_and_admin_are_not_bank_reads(client, settings):
    world = fast_world(settings)
    sub = submit_month(world.users["cement"], world.cement, 2024, 3)
    entry = AccountEntry.objects.get(submission=sub)
    for who in ("cement", "gov", "district", "verifier", "admin"):
        login(client, world.users[who])
        assert client.get(reverse("accounting:enterprise", args=[world.cement.pk])).status_code == 200, who
        assert client.get(reverse("accounting:entry", args=[entry.pk])).status_code == 200, who
    assert AccessLog.objects.count() == 0


def test_an_api_read_under_a_bank_consent_is_logged(rw):
    """A token's user who is also a bank officer reads a consenting firm's grades: one row, channel api."""
    world = rw.world
    officer = world.users["steel"]
    registry.add_member(officer, world.bank, Membership.Role.BANK_STAFF)
    _token, key = api_tokens.issue(officer, "erp", world.steel)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    r = api.get(f"/api/rating/enterprises/{world.cement.pk}/ratings")
    assert r.status_code == 200 and r.json()[0]["grade"] == 5
    row = AccessLog.objects.get()
    assert (row.user, row.reader, row.enterprise, row.consent) == (officer, world.bank, world.cement, _consent(world))
    assert (row.resource, row.channel, row.what) == (AccessLog.Resource.RATING, "api", str(YEAR))
    # its own enterprise's grades are not a bank read; a firm without consent is refused, unlogged
    assert api.get(f"/api/rating/enterprises/{world.steel.pk}/ratings").status_code == 200
    assert api.get(f"/api/rating/enterprises/{world.other_city_firm.pk}/ratings").status_code == 404
    assert AccessLog.objects.count() == 1


def test_the_consent_covering_the_year_read_is_recorded(settings):
    world = fast_world(settings)
    current = _consent(world)
    older = Consent.objects.create(
        enterprise=world.cement,
        bank=world.bank,
        purpose="2023 年度授信复核",
        data_from="2023-01",
        data_until="2023-12",
        valid_from=datetime.date(2020, 1, 1),
        valid_until=datetime.date(2099, 12, 31),
        created_by=world.users["cement"],
    )
    request = RequestFactory().get("/accounts/x/")
    request.user = world.users["bank"]
    assert finance.record_read(request, world.cement, "account", year=2023).consent == older
    assert finance.record_read(request, world.cement, "account", year=2024).consent == current
    with pytest.raises(ValueError):
        finance.record_read(request, world.cement, "everything")
    request.user = world.users["gov"]
    assert finance.record_read(request, world.cement, "account", year=2024) is None
    assert AccessLog.objects.count() == 2


def test_the_enterprise_sees_who_read_its_data(client, settings):
    world = fast_world(settings)
    sub = submit_month(world.users["cement"], world.cement, 2024, 3)
    entry = AccountEntry.objects.get(submission=sub)
    login(client, world.users["bank"])
    client.get(reverse("accounting:enterprise", args=[world.cement.pk]) + "?year=2024")
    client.get(reverse("accounting:entry", args=[entry.pk]))
    assert AccessLog.objects.count() == 2
    url = reverse("registry:access_log", args=[world.cement.pk])

    login(client, world.users["cement"])
    home = client.get(reverse("accounting:enterprise", args=[world.cement.pk])).content.decode()
    assert url in home  # the top bar and the account page link to the log
    r = client.get(url)
    assert r.status_code == 200
    html = r.content.decode()
    assert world.bank.name in html and "bank" in html  # the bank and the officer who read
    assert "碳账户页面" in html and "核算过程（溯源）" in html and f"#{entry.pk} 2024-03" in html
    assert "流动资金贷款授信" in html and "2024-01 — 2024-06" in html  # the consent it read under
    assert r.context["view"].readers[0]["reads"] == 2
    with translation.override("en"):
        en = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Data access log" in en and "Carbon account page" in en and "Calculation lineage" in en

    for who in ("gov", "district", "admin"):  # government (by region) and the admin, too
        login(client, world.users[who])
        assert client.get(url).status_code == 200, who
    for who in ("bank", "bank2", "verifier", "steel", "far"):  # not banks: the log shows other banks' reads
        login(client, world.users[who])
        assert client.get(url).status_code == 404, who
    assert AccessLog.objects.count() == 2  # reading the log is not a bank read


def test_the_log_is_paged_and_filtered_by_bank(client, settings):
    world = fast_world(settings)
    consent = _consent(world)
    other = Consent.objects.create(
        enterprise=world.cement,
        bank=world.other_bank,
        purpose="贸易融资",
        data_from="2024-01",
        data_until="2024-12",
        valid_from=datetime.date(2020, 1, 1),
        valid_until=datetime.date(2099, 12, 31),
        created_by=world.users["cement"],
    )
    # written through record_read, the only writer (the log refuses rows that do not extend its hash chain)
    request = RequestFactory().get("/accounts/x/")
    request.user = world.users["bank"]
    for _ in range(60):
        assert finance.record_read(request, world.cement, "account", "x", year=2024).consent == consent
    request.user = world.users["bank2"]
    assert finance.record_read(request, world.cement, "account", year=2024).consent == other
    login(client, world.users["cement"])
    url = reverse("registry:access_log", args=[world.cement.pk])
    first = client.get(url).context["view"]
    assert len(first.page.object_list) == 50 and first.page.paginator.count == 61
    assert {r["reader_id"]: r["reads"] for r in first.readers} == {world.bank.pk: 60, world.other_bank.pk: 1}
    assert len(client.get(url + "?page=2").context["view"].page.object_list) == 11
    only = client.get(url + f"?reader={world.other_bank.pk}").context["view"]
    assert only.reader == world.other_bank.pk and [r.reader for r in only.page.object_list] == [world.other_bank]
    assert client.get(url + "?reader=nonsense").context["view"].page.paginator.count == 61

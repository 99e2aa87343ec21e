"""A consent's scope items and data period are enforced for every bank read, in the access predicates
(``registry.access``), not per view (docs/finance.md § Scope enforcement).

For each item, a bank whose consent lacks it gets exactly the answer of a bank with no consent at all (status and
body, as tests/test_not_found_parity.py), and one whose consent names it reads; months outside the data period are
refused; a revocation or a narrowing refuses the very next request of an open session and token.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.finance import services
from dualcarbon.registry import api_tokens
from dualcarbon.registry.models import AccessLog, Consent
from tests.factories import World, build_world
from tests.web.helpers import MODEL_BACKEND, accounts_in_one_run, data_for_the_module, submit_month

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("finance-scope")]

ALL = ["accounts", "credit_report", "summary", "grade", "certification"]
_VOLATILE = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*"|("request_id": ?)"[0-9a-f]*"')


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    from dualcarbon.rating import services as rating

    with data_for_the_module(django_db_blocker):
        w = build_world()
        with accounts_in_one_run():
            for m in range(1, 13):
                submit_month(w.users["cement"], w.cement, 2024, m)
        rating.rate_region("3399", 2024)
        yield w


def consent(world: World, scope: list[str], first: str = "2024-01", last: str = "2024-12") -> Consent:
    """cement's consent to the second bank (it has none in build_world), granted by cement's staff."""
    return services.grant_consent(
        world.users["cement"],
        world.cement,
        world.other_bank,
        purpose_code="credit_assessment",
        scopes=scope,
        data_from=first,
        data_until=last,
        valid_until=datetime.date.today() + datetime.timedelta(days=30),
    )


def bank2(world: World) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(world.users["bank2"], backend=MODEL_BACKEND)
    return c


def token(world: World) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_tokens.issue(world.users['bank2'], 'scope test')[1]}")


def entry(world: World, month: int) -> AccountEntry:
    return AccountEntry.objects.get(enterprise=world.cement, year=2024, month=month, is_current=True)


#: per scope item: (client kind, method, URL) of reads it alone opens
def reads(world: World, item: str) -> list[tuple[str, str, str]]:
    org = world.cement.pk
    return {
        "accounts": [
            ("web", "get", reverse("accounting:enterprise", args=[org]) + "?year=2024"),
            ("web", "get", reverse("accounting:export", args=[org]) + "?year=2024"),
            ("web", "get", reverse("accounting:entry", args=[entry(world, 3).pk])),
            ("api", "get", f"/api/accounts/enterprises/{org}/years/2024"),
            ("api", "get", f"/api/accounts/enterprises/{org}/months/2024/3"),
        ],
        "grade": [("web", "get", reverse("rating:enterprise", args=[org]) + "?year=2024")],
        "credit_report": [
            ("web", "post", reverse("finance:credit_report_new", args=[org])),
            ("api", "post", f"/api/finance/bank/enterprises/{org}/credit-reports"),
        ],
    }[item]


def answer(world: World, kind: str, method: str, url: str) -> tuple[int, bytes]:
    client = bank2(world) if kind == "web" else token(world)
    r = getattr(client, method)(url)
    body = b"" if r.status_code in (200, 302) else _VOLATILE.sub(rb"\1\2", r.content)
    return r.status_code, body


@pytest.mark.parametrize("item", ["accounts", "grade", "credit_report"])
def test_a_consent_lacking_an_item_answers_like_no_consent_and_one_naming_it_reads(world, item):
    urls = reads(world, item)
    logged = AccessLog.objects.count()
    nothing = [answer(world, *u) for u in urls]
    assert all(status == 404 for status, _ in nothing), nothing
    c = consent(world, [s for s in ALL if s != item])
    assert [answer(world, *u) for u in urls] == nothing  # same status, same body: no consent is told apart
    assert AccessLog.objects.count() == logged  # a refused read is not logged
    services.change_consent(world.users["cement"], c, scopes=[item])
    for u in urls:
        status, _ = answer(world, *u)
        assert status in (200, 201, 302), (u, status)
    assert AccessLog.objects.filter(consent=c).count() == len(urls)


def test_the_account_summary_and_the_certification_shape_the_report(world):
    api = token(world)
    url = f"/api/finance/bank/enterprises/{world.cement.pk}/credit-reports"
    c = consent(world, ["credit_report"])
    bare = api.post(url).json()["content"]
    assert (bare["sections"], bare["account"], bare["grades"], bare["certification"]) == ([], None, None, None)
    services.change_consent(world.users["cement"], c, scopes=["credit_report", "summary", "certification"])
    full = api.post(url).json()["content"]
    assert full["sections"] == ["summary", "certification"] and full["grades"] is None
    assert [y["year"] for y in full["account"]] == [2024]
    assert full["certification"]["available"] is False
    # the monthly lines contain the summary: a consent naming them gives the account section too
    services.change_consent(world.users["cement"], c, scopes=["credit_report", "accounts"])
    assert api.post(url).json()["content"]["sections"] == ["summary"]


def test_months_outside_the_data_period_are_refused(world):
    consent(world, ["accounts"], "2024-01", "2024-06")
    web, api = bank2(world), token(world)
    assert web.get(reverse("accounting:entry", args=[entry(world, 3).pk])).status_code == 200
    assert web.get(reverse("accounting:entry", args=[entry(world, 9).pk])).status_code == 404
    assert api.get(f"/api/accounts/enterprises/{world.cement.pk}/months/2024/3").status_code == 200
    assert api.get(f"/api/accounts/enterprises/{world.cement.pk}/months/2024/9").status_code == 404
    year = api.get(f"/api/accounts/enterprises/{world.cement.pk}/years/2024").json()
    assert [m["month"] for m in year["months"] if m["totals"] is not None] == [1, 2, 3, 4, 5, 6]
    assert {m["status"] for m in year["months"] if m["month"] > 6} == {"not_covered"}
    # a grade is made from the whole year: half a year opens no grade, even with the item (the page has none)
    consent(world, ["grade"], "2024-01", "2024-06")
    page = web.get(reverse("rating:enterprise", args=[world.cement.pk]) + "?year=2024")
    assert page.status_code == 200 and page.context["result"] is None and page.context["data"].history == []


def test_revocation_and_narrowing_refuse_the_next_request_of_an_open_session(world):
    c = consent(world, ALL)
    web, api = bank2(world), token(world)
    page = reverse("accounting:enterprise", args=[world.cement.pk]) + "?year=2024"
    grade = reverse("rating:enterprise", args=[world.cement.pk]) + "?year=2024"
    number = api.post(f"/api/finance/bank/enterprises/{world.cement.pk}/credit-reports").json()["number"]
    report = reverse("finance:credit_report", args=[number])
    assert [web.get(u).status_code for u in (page, grade, report)] == [200, 200, 200]
    services.change_consent(world.users["cement"], c, scopes=["accounts"])  # narrowed: no grade, no report
    assert [web.get(u).status_code for u in (page, grade, report)] == [200, 404, 404]
    assert api.get(f"/api/finance/bank/credit-reports/{number}").status_code == 404
    services.revoke_consent(world.users["cement"], c)
    assert web.get(page).status_code == 404
    assert api.get(f"/api/accounts/enterprises/{world.cement.pk}/years/2024").status_code == 404

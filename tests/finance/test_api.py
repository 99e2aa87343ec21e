"""The finance API (/api/finance, docs/finance.md): the enterprise's system grants, narrows, revokes and answers
requests; a bank's system requests and follows its requests. Refusals answer ErrorOut: 422 located in both languages
(nothing written), 403 for a write the token's user may not make, 404 for what it may not see."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from dualcarbon.finance.models import ConsentRequest
from dualcarbon.registry import api_tokens
from dualcarbon.registry.models import AccessLog, Consent
from tests.factories import World, build_world
from tests.web.helpers import data_for_the_module, submit_month

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("finance-api")]

BASE = "/api/finance"
NEXT_YEAR = (timezone.localdate() + datetime.timedelta(days=365)).isoformat()


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with data_for_the_module(django_db_blocker):
        w = build_world()
        submit_month(w.users["cement"], w.cement, 2024, 3)
        yield w


def api(world: World, who: str, lang: str = "zh-hans") -> Client:
    key = api_tokens.issue(world.users[who], "finance API test")[1]
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE=lang)


def counts() -> tuple[int, int, int]:
    return Consent.objects.count(), Consent.history.count(), ConsentRequest.objects.count()


def test_the_enterprise_grants_narrows_and_revokes_and_the_accounts_api_follows_at_once(world):
    cement, bank = api(world, "cement"), api(world, "bank2")
    org = world.cement.pk
    month = f"/api/accounts/enterprises/{org}/months/2024/3"
    assert bank.get(month).status_code == 404
    terms = {"purpose_code": "credit_assessment", "scope": ["grade", "accounts"], "data_from": "2024-01"}
    r = cement.post(
        f"{BASE}/enterprises/{org}/consents",
        {**terms, "data_until": "2024-06", "valid_until": NEXT_YEAR, "bank_id": world.other_bank.pk},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["bank"], body["scope"], body["state"], body["data_until"]) == (
        "另一家银行",
        ["accounts", "grade"],
        "active",
        "2024-06",
    )
    assert [h["reason"] for h in body["history"]] == ["grant"]
    assert bank.get(month).status_code == 200
    assert AccessLog.objects.filter(reader=world.other_bank).count() == 1

    consent = body["id"]
    r = cement.patch(
        f"{BASE}/enterprises/{org}/consents/{consent}", {"data_from": "2024-04"}, content_type="application/json"
    )
    assert r.status_code == 200 and [h["reason"] for h in r.json()["history"]] == ["grant", "narrow"]
    assert r.json()["history"][1]["changes"] == [["数据起始期", "2024-01", "2024-04"]]
    assert bank.get(month).status_code == 404  # March is outside the narrowed period

    r = cement.post(f"{BASE}/enterprises/{org}/consents/{consent}/revoke")
    assert r.status_code == 200 and r.json()["state"] == "revoked"
    assert bank.get(f"/api/accounts/enterprises/{org}").status_code == 404
    assert AccessLog.objects.filter(reader=world.other_bank).count() == 1
    listed = cement.get(f"{BASE}/enterprises/{org}/consents").json()
    assert [(c["bank"], c["state"]) for c in listed] == [("另一家银行", "revoked"), ("示范农商银行", "active")]


def test_bad_terms_answer_422_located_in_both_languages_and_change_nothing(world):
    before = counts()
    r = api(world, "cement", "en").post(
        f"{BASE}/enterprises/{world.cement.pk}/consents",
        {
            "purpose_code": "credit_assessment",
            "scope": ["accounts"],
            "data_from": "2024-06",
            "data_until": "2024-01",
            "valid_until": "2020-01-01",
            "bank_id": world.other_bank.pk,
        },
        content_type="application/json",
    )
    assert r.status_code == 422
    body = r.json()
    assert body["detail"] == "The request has 2 invalid value(s); nothing was changed"
    assert [(e["column"], e["message"], e["message_zh"]) for e in body["errors"]] == [
        (
            "data_until",
            "The end of the data period (2024-01) cannot be before its start (2024-06)",
            "数据截止期（2024-01）不能早于数据起始期（2024-06）",
        ),
        ("valid_until", "The expiry date (2020-01-01) cannot be before today", "授权到期日（2020-01-01）不能早于今天"),
    ]
    assert counts() == before


def test_a_bank_requests_through_the_api_and_follows_the_answer(world):
    bank, steel = api(world, "bank2"), api(world, "steel")
    r = bank.post(
        f"{BASE}/bank/consent-requests",
        {
            "uscc": world.steel.uscc,
            "purpose_code": "loan_monitoring",
            "scope": ["summary"],
            "data_from": "2024-01",
            "data_until": "2024-12",
            "valid_until": NEXT_YEAR,
            "message": "贷后监测",
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    req = r.json()
    assert (req["enterprise"], req["status"], req["consent_id"]) == ("示范钢铁股份有限公司", "pending", None)
    incoming = steel.get(f"{BASE}/enterprises/{world.steel.pk}/consent-requests").json()
    assert [(x["id"], x["bank"], x["message"]) for x in incoming] == [(req["id"], "另一家银行", "贷后监测")]
    accepted = steel.post(f"{BASE}/enterprises/{world.steel.pk}/consent-requests/{req['id']}/accept")
    assert accepted.status_code == 201 and accepted.json()["history"][0]["reason"] == "accept"
    mine = bank.get(f"{BASE}/bank/consent-requests").json()
    assert [(x["status"], x["consent_id"]) for x in mine] == [("accepted", accepted.json()["id"])]
    assert [c["enterprise"] for c in bank.get(f"{BASE}/bank/consents").json()] == ["示范钢铁股份有限公司"]
    again = steel.post(
        f"{BASE}/enterprises/{world.steel.pk}/consent-requests/{req['id']}/decline", {}, content_type="application/json"
    )
    assert again.status_code == 422
    assert (
        again.json()["errors"][0]["message_en"]
        == "This request has been answered or withdrawn (Accepted) and cannot be answered again"
    )


def test_refusals_another_enterprise_404_a_write_by_a_non_owner_403_a_request_by_a_non_bank_403(world):
    before = counts()
    consent = Consent.objects.get(enterprise=world.cement, bank=world.bank)
    steel = api(world, "steel")
    for path in ("consents", "consent-requests"):
        assert steel.get(f"{BASE}/enterprises/{world.cement.pk}/{path}").status_code == 404
    r = steel.post(f"{BASE}/enterprises/{world.cement.pk}/consents/{consent.pk}/revoke")
    assert r.status_code == 404 and r.json()["detail"] == "未找到"
    bank = api(world, "bank")
    assert bank.get(f"{BASE}/enterprises/{world.cement.pk}/consents").status_code == 404
    r = steel.post(
        f"{BASE}/bank/consent-requests",
        {
            "uscc": world.cement.uscc,
            "purpose_code": "disclosure",
            "scope": ["summary"],
            "data_from": "2024-01",
            "data_until": "2024-12",
            "valid_until": NEXT_YEAR,
        },
        content_type="application/json",
    )
    assert (r.status_code, r.json()["detail"]) == (403, "只有银行人员可以申请数据授权")
    assert steel.get(f"{BASE}/bank/consents").status_code == 404
    assert counts() == before
    assert Consent.objects.get(pk=consent.pk).revoked_at is None


def test_the_finance_router_is_in_the_openapi_document_with_errorout(world):
    doc = Client().get("/api/openapi.json").json()
    paths = {p: set(v) for p, v in doc["paths"].items() if p.startswith("/api/finance/")}
    assert paths == {
        "/api/finance/enterprises/{org_id}/consents": {"get", "post"},
        "/api/finance/enterprises/{org_id}/consents/{consent_id}": {"patch"},
        "/api/finance/enterprises/{org_id}/consents/{consent_id}/revoke": {"post"},
        "/api/finance/enterprises/{org_id}/consent-requests": {"get"},
        "/api/finance/enterprises/{org_id}/consent-requests/{request_id}/accept": {"post"},
        "/api/finance/enterprises/{org_id}/consent-requests/{request_id}/decline": {"post"},
        "/api/finance/bank/consents": {"get"},
        "/api/finance/bank/consent-requests": {"get", "post"},
        "/api/finance/bank/consent-requests/{request_id}/withdraw": {"post"},
        "/api/finance/bank/enterprises/{org_id}/credit-reports": {"post"},
        "/api/finance/bank/credit-reports/{number}": {"get"},
        # products, applications, decisions, loans, drawdowns, repayments, needs, pushes, statistics (docs/finance.md)
        "/api/finance/bank/products": {"get", "post"},
        "/api/finance/bank/products/{product_id}/versions": {"post"},
        "/api/finance/bank/applications": {"get"},
        "/api/finance/bank/applications/{application_id}": {"get"},
        "/api/finance/bank/applications/{application_id}/decision": {"post"},
        "/api/finance/bank/loans": {"get"},
        "/api/finance/bank/loans/{loan_id}": {"get"},
        "/api/finance/bank/loans/{loan_id}/drawdowns": {"post"},
        "/api/finance/bank/loans/{loan_id}/repayments": {"post"},
        "/api/finance/bank/needs": {"get"},
        "/api/finance/enterprises/{org_id}/products": {"get"},
        "/api/finance/enterprises/{org_id}/applications": {"get", "post"},
        "/api/finance/enterprises/{org_id}/applications/{application_id}/withdraw": {"post"},
        "/api/finance/enterprises/{org_id}/loans": {"get"},
        "/api/finance/enterprises/{org_id}/needs": {"get", "post"},
        "/api/finance/needs": {"get"},
        "/api/finance/pushes": {"get", "post"},
        "/api/finance/statistics": {"get"},
        # transition certification (docs/finance.md § Transition certification)
        "/api/finance/cert/rulers": {"get", "post"},
        "/api/finance/enterprises/{org_id}/certifications": {"get", "post"},
        "/api/finance/enterprises/{org_id}/certifications/{cert_id}/resubmit": {"post"},
        "/api/finance/cert/reviews": {"get"},
        "/api/finance/cert/applications": {"get"},
        "/api/finance/cert/applications/{cert_id}": {"get"},
        "/api/finance/cert/applications/{cert_id}/review": {"post"},
        "/api/finance/cert/applications/{cert_id}/decision": {"post"},
        "/api/finance/cert/library": {"get"},
        "/api/finance/cert/pushes": {"get", "post"},
        "/api/finance/bank/cert-library": {"get"},
        "/api/finance/enterprises/{org_id}/certifications/{cert_id}/disclosure": {"get"},
        # KPI-linked loans, the bank's alerts, CERF and PCAF (docs/finance.md § KPI-linked loans, § CERF, § PCAF)
        "/api/finance/bank/loans/{loan_id}/kpis": {"get", "post"},
        "/api/finance/bank/loans/{loan_id}/scores": {"post"},
        "/api/finance/bank/loans/{loan_id}/project": {"post"},
        "/api/finance/enterprises/{org_id}/loans/{loan_id}/kpis": {"get"},
        "/api/finance/bank/alerts": {"get"},
        "/api/finance/bank/alerts/read": {"post"},
        "/api/finance/bank/cerf": {"get"},
        "/api/finance/bank/pcaf": {"get"},
        "/api/finance/bank/pcaf/financials": {"post"},
    }
    grant = doc["paths"]["/api/finance/enterprises/{org_id}/consents"]["post"]["responses"]
    assert {k for k in grant} == {"201", "400", "401", "403", "404", "409", "413", "422"}
    assert grant["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorOut")


def test_a_bank_withdraws_its_pending_request_and_the_enterprise_can_no_longer_answer_it(world):
    bank, other, steel = api(world, "bank2"), api(world, "bank"), api(world, "steel", "en")
    terms = {
        "uscc": world.steel.uscc,
        "purpose_code": "credit_assessment",
        "scope": ["credit_report", "summary"],
        "data_from": "2024-01",
        "data_until": "2024-12",
        "valid_until": NEXT_YEAR,
    }
    req = bank.post(f"{BASE}/bank/consent-requests", terms, content_type="application/json").json()
    withdraw = f"{BASE}/bank/consent-requests/{req['id']}/withdraw"
    assert other.post(withdraw).status_code == 404  # another bank's request: like missing
    before = counts()
    r = bank.post(withdraw)
    assert (r.status_code, r.json()["status"]) == (200, "withdrawn")
    assert ConsentRequest.objects.get(pk=req["id"]).decided_by == world.users["bank2"]
    late = steel.post(f"{BASE}/enterprises/{world.steel.pk}/consent-requests/{req['id']}/accept")
    assert late.status_code == 422
    assert late.json()["errors"][0]["message"] == (
        "This request has been answered or withdrawn (Withdrawn) and cannot be answered again"
    )
    again = bank.post(withdraw)
    assert (
        again.status_code == 422
        and again.json()["errors"][0]["message_zh"] == "该申请已答复或已撤回（已撤回），不能撤回"
    )
    assert counts() == before  # no consent granted, nothing else written
    # withdrawn, the bank may ask again
    assert bank.post(f"{BASE}/bank/consent-requests", terms, content_type="application/json").status_code == 201

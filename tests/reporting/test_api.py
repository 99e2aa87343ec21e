"""The reporting API for enterprise systems: tokens, draft → submit → correction, 401/403/404/422, OpenAPI."""

from __future__ import annotations

import hashlib
import io
import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.registry import api_tokens
from dualcarbon.registry.models import ApiToken, Membership
from dualcarbon.reporting import services
from dualcarbon.reporting.models import Submission
from tests.factories import build_world, cement_month

pytestmark = pytest.mark.django_db

BASE = "/api/reporting"


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def key(world) -> str:
    out = io.StringIO()
    call_command("create_api_token", "cement", "ERP 能源模块", stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def api(key: str | None) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}") if key else Client()


def put(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.put(BASE + path, json.dumps(body, default=str), content_type="application/json")


def post(client: Client, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(BASE + path, json.dumps(body or {}), content_type="application/json")


def test_the_command_prints_a_key_that_is_stored_only_as_a_hash(world, key):
    token = ApiToken.objects.get()
    assert key.startswith("dc_") and len(key) > 40
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest() and key not in token.key_hash
    assert token.prefix == key[:10] and token.user == world.users["cement"] and token.organisation == world.cement
    assert api_tokens.lookup(key) == token
    # a government officer belongs to no enterprise and no bank: no token (a bank's staff get one for the accounts API)
    with pytest.raises(CommandError, match="不是恰好一家企业（或一家银行）的人员"):
        call_command("create_api_token", "gov", "x", stdout=io.StringIO(), stderr=io.StringIO())


def test_requests_without_a_valid_token_get_401(world, key):
    assert api(None).get(BASE + "/periods").status_code == 401
    assert api("dc_not-a-key").get(BASE + "/periods").status_code == 401
    assert Client(HTTP_AUTHORIZATION=f"Token {key}").get(BASE + "/periods").status_code == 401
    # a logged-in browser session is not an API credential
    browser = Client()
    browser.force_login(world.users["cement"])
    assert browser.get(BASE + "/periods").status_code == 401
    api_tokens.revoke(ApiToken.objects.get())
    assert api(key).get(BASE + "/periods").status_code == 401


def test_draft_submit_and_account_summary(world, key):
    client = api(key)
    response = put(client, "/periods/2024/1/draft", cement_month())
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "draft" and body["version"] == 1 and body["errors"] == 0
    sub = Submission.objects.get(pk=body["submission_id"])
    assert sub.channel == "api" and sub.activities.count() == 4
    assert sub.activities.get(item="原煤").source_sheet == "activities"
    assert ApiToken.objects.get().last_used_at is not None

    response = post(client, "/periods/2024/1/submit")
    assert response.status_code == 200, response.content
    body = response.json()
    entry = AccountEntry.objects.get(submission=sub, is_current=True)
    assert body["status"] == "submitted"
    terms = body["account"].pop("terms")
    assert body["account"] == pytest.approx(
        {
            "total_tco2e": entry.total_tco2e,
            "scope1": entry.scope1_tco2e,
            "scope2": entry.scope2_tco2e,
            "exported": 0.0,
            "co2_recovery": 0.0,
            "biomass_co2_t": 0.0,
            "scope2_market": entry.scope2_market_tco2e,
            "total_market_tco2e": entry.total_market_tco2e,
            "energy_tce": entry.energy_tce,
        }
    )
    assert terms == [
        {"key": "scope1", "tco2e": pytest.approx(entry.scope1_tco2e)},
        {"key": "scope2", "tco2e": pytest.approx(entry.scope2_tco2e)},
        {"key": "exported", "tco2e": 0.0},
    ]
    assert body["account"]["total_tco2e"] > 30000

    periods = client.get(BASE + "/periods?year=2024").json()
    assert len(periods) == 12 and periods[0]["status"] == "submitted" and periods[0]["version"] == 1
    assert periods[1]["status"] is None

    detail = client.get(f"{BASE}/submissions/{sub.pk}").json()
    assert [a["item"] for a in detail["activities"]] == ["原煤", "柴油", "电力", "熟料"]
    assert Decimal(str(detail["activities"][0]["quantity"])) == 7100
    assert detail["economic"]["value_added"] in (4200, "4200.0000", 4200.0)
    assert detail["account"]["total_tco2e"] == pytest.approx(entry.total_tco2e)


def test_the_account_summary_has_the_market_based_scope2(world, key):
    """绿电 is reported like any activity line; the account returns both scope 2 views."""
    client = api(key)
    month = cement_month(mwh=2300)
    month["activities"].append({"source_type": "purchased_electricity", "item": "绿电", "quantity": 600, "unit": "MWh"})
    assert put(client, "/periods/2024/1/draft", month).status_code == 200
    body = post(client, "/periods/2024/1/submit").json()
    entry = AccountEntry.objects.get(submission_id=body["submission_id"], is_current=True)
    assert body["account"]["scope2_market"] == pytest.approx(2300 * 0.6096)  # 绿电 at zero, the rest residual
    assert body["account"]["scope2"] == pytest.approx(entry.scope2_tco2e)
    assert body["account"]["scope2"] > body["account"]["scope2_market"]
    # an account computed before the market-based view: null, not zero
    AccountEntry.objects.filter(pk=entry.pk).update(scope2_market_tco2e=None, total_market_tco2e=None)
    detail = client.get(f"{BASE}/submissions/{entry.submission_id}").json()
    assert detail["account"]["scope2_market"] is None and detail["account"]["scope2"] == pytest.approx(
        entry.scope2_tco2e
    )
    assert (
        "scope2_market" in client.get("/api/openapi.json").json()["components"]["schemas"]["AccountOut"]["properties"]
    )


def test_the_account_summary_states_its_identity_with_recovery_exports_and_biomass(world, key):
    """total = scope1 + scope2 + exported (GB/T 32150, docs/methods.md § 1). Worked out by hand: 20 t of CO2 recovered
    at purity 1 is −20.00 inside scope 1 (§ 6); 200 GJ of exported heat at the prescribed 0.11 tCO2/GJ is −22.00
    (§ 4); 100 t of rice husk at a declared 1.5 tCO2/t is 150.00 t of biomass CO2, a memo item outside the total
    (§ 7)."""
    client = api(key)
    month = cement_month()
    month["activities"] += [
        {"source_type": "co2_recovery", "item": "CO2", "quantity": 20, "unit": "t"},
        {"source_type": "exported_heat", "item": "热力", "quantity": 200, "unit": "GJ"},
        {"source_type": "biomass", "item": "稻壳", "quantity": 100, "unit": "t", "factor": 1.5,
         "factor_unit": "tCO2/t", "param_basis": "declared"},
    ]  # fmt: skip
    assert put(client, "/periods/2024/1/draft", month).status_code == 200
    account = post(client, "/periods/2024/1/submit").json()["account"]
    assert (account["co2_recovery"], account["exported"], account["biomass_co2_t"]) == pytest.approx(
        (-20.0, -22.0, 150.0)
    )
    assert [t["key"] for t in account["terms"]] == ["scope1", "scope2", "exported"]
    scope1, scope2, exported = (t["tco2e"] for t in account["terms"])
    assert (scope1, scope2, exported) == pytest.approx((account["scope1"], account["scope2"], -22.0))
    assert scope1 + scope2 + exported == pytest.approx(account["total_tco2e"], abs=1e-6)
    assert account["scope1"] + account["scope2_market"] - 22.0 == pytest.approx(account["total_market_tco2e"])
    schema = client.get("/api/openapi.json").json()["components"]["schemas"]["AccountOut"]["properties"]
    assert list(schema) == [
        "total_tco2e", "scope1", "scope2", "exported", "co2_recovery", "biomass_co2_t", "scope2_market",
        "total_market_tco2e", "terms", "energy_tce",
    ]  # fmt: skip


def test_a_submitted_month_needs_a_correction(world, key):
    client = api(key)
    put(client, "/periods/2024/1/draft", cement_month())
    post(client, "/periods/2024/1/submit")
    again = put(client, "/periods/2024/1/draft", cement_month(coal=6900))
    assert again.status_code == 409 and "更正" in again.json()["detail"]  # the month's state: open a correction
    assert post(client, "/periods/2024/1/corrections", {"reason": ""}).status_code == 422
    opened = post(client, "/periods/2024/1/corrections", {"reason": "原煤用量按结算单更正"})
    assert opened.status_code == 201 and opened.json()["version"] == 2
    assert put(client, "/periods/2024/1/draft", cement_month(coal=6900)).status_code == 200
    done = post(client, "/periods/2024/1/submit").json()
    assert done["version"] == 2 and done["status"] == "submitted"
    v1 = Submission.objects.get(version=1)
    assert not v1.is_current and v1.activities.get(item="原煤").quantity == 7100
    assert client.get(f"{BASE}/submissions/{v1.pk}").json()["activities"][0]["quantity"] in (7100, "7100.00000000")


def test_bad_data_gives_located_422(world, key):
    client = api(key)
    data = cement_month()
    data["activities"][1]["quantity"] = "七千"
    response = put(client, "/periods/2024/2/draft", data)
    assert response.status_code == 422
    assert not Submission.objects.exists()

    data = cement_month()
    data["activities"][1]["item"] = "黄金"
    saved = put(client, "/periods/2024/2/draft", data).json()
    assert saved["errors"] == 1
    response = post(client, "/periods/2024/2/submit")
    assert response.status_code == 422
    (error,) = [e for e in response.json()["errors"] if e["rule"].startswith("engine.")]
    assert (error["sheet"], error["row"], error["column"]) == ("activities", 2, "item")
    assert "黄金" in error["message_zh"] and "黄金" in error["message_en"]
    assert Submission.objects.get().status == "draft" and Submission.objects.get().issues.exists()
    assert post(client, "/periods/2024/13/submit").status_code == 400


def test_another_enterprise_is_404_like_a_missing_id_and_a_lapsed_reporter_is_403(world, key):
    steel_user = world.users["steel"]
    draft = services.draft_for(steel_user, world.steel, 2024, 1)
    services.save_draft(steel_user, draft, services.DraftData(**cement_month()))
    client = api(key)
    response = client.get(f"{BASE}/submissions/{draft.pk}")
    missing = client.get(f"{BASE}/submissions/999999")
    assert response.status_code == missing.status_code == 404  # no way to tell another firm's id exists
    assert {**response.json(), "request_id": None} == {**missing.json(), "request_id": None}
    # a token whose user no longer reports for the enterprise stops writing
    Membership.objects.filter(user=world.users["cement"]).update(is_active=False)
    assert put(client, "/periods/2024/1/draft", cement_month()).status_code == 403
    assert client.get(BASE + "/periods").status_code == 403


def test_openapi_schema_and_docs():
    client = Client()
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    doc = schema.json()
    paths = set(doc["paths"])
    for path in (
        "/api/reporting/periods",
        "/api/reporting/periods/{year}/{month}/draft",
        "/api/reporting/periods/{year}/{month}/submit",
        "/api/reporting/periods/{year}/{month}/corrections",
        "/api/reporting/submissions/{submission_id}",
    ):
        assert path in paths, path
    assert "put" in doc["paths"]["/api/reporting/periods/{year}/{month}/draft"]
    schemes = doc["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    assert "ActivityIn" in doc["components"]["schemas"]
    assert client.get("/api/docs").status_code == 200

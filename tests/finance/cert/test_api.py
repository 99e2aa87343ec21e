"""The certification API (/api/finance/…, docs/finance.md § Transition certification): the whole flow over the API,
refusals located with nothing written, and a bank reading only the entries pushed to it, without the account."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from dualcarbon.finance.models import CertApplication, CertRuler
from dualcarbon.registry import api_tokens
from tests.finance.cert.cert_world import ALL_OK
from tests.web.helpers import login

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("finance-cert")]

BASE = "/api/finance"
JSON = "application/json"


def api(cw, who: str, lang: str = "zh-hans") -> Client:
    if who in ("gov", "district", "verifier"):  # they hold no tokens: a logged-in session
        return login(Client(HTTP_ACCEPT_LANGUAGE=lang), cw.users[who])
    key = api_tokens.issue(cw.users[who], "cert API test")[1]
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE=lang)


def body(cw, **kw):
    data: dict[str, Any] = {k: str(v) for k, v in cw.fields(**kw).items()}
    data["verifier_id"] = int(data.pop("verifier"))
    data["baseline_year"] = int(data["baseline_year"])
    return data


def test_the_flow_over_the_api(cw):
    org = cw.world.cement.pk
    ent, ver, gov = api(cw, "cement"), api(cw, "verifier"), api(cw, "gov")
    r = ent.post(f"{BASE}/enterprises/{org}/certifications", body(cw, industry_code="31"), content_type=JSON)
    assert r.status_code == 422
    assert r.json()["errors"][0]["column"] == "industry_code"
    assert "暂不能申请" in r.json()["errors"][0]["message_zh"]
    assert not CertApplication.objects.exists()
    r = ent.post(f"{BASE}/enterprises/{org}/certifications", body(cw), content_type=JSON)
    assert r.status_code == 201, r.content
    app = r.json()
    assert app["status"] == "submitted" and app["baseline"]["months"] == 3 and app["expected_reduction_pct"] == "5.00"
    url = f"{BASE}/cert/applications/{app['id']}"
    r = ver.post(f"{url}/review", {"approve": False, "checks": ALL_OK, "comment": "请补充"}, content_type=JSON)
    assert r.status_code == 200 and r.json()["status"] == "returned"
    r = ent.post(
        f"{BASE}/enterprises/{org}/certifications/{app['id']}/resubmit", {"declared_value": "130"}, content_type=JSON
    )
    assert r.status_code == 422 and "高于该行业准入值 117 kgce/t" in r.json()["errors"][0]["message_zh"]
    r = ent.post(
        f"{BASE}/enterprises/{org}/certifications/{app['id']}/resubmit",
        {"declared_value": "99", "comment": "改用新工艺"},
        content_type=JSON,
    )
    assert r.status_code == 200 and r.json()["status"] == "submitted" and r.json()["advanced"] is True
    r = gov.post(f"{url}/decision", {"action": "certify", "valid_from": "2026-01-01"}, content_type=JSON)
    assert r.status_code == 422 and "该申请当前为“待核查”" in r.json()["errors"][0]["message_zh"]
    assert ver.post(f"{url}/review", {"approve": True, "checks": ALL_OK}, content_type=JSON).status_code == 200
    admin = login(Client(), cw.users["admin"])
    decision = {"action": "certify", "valid_from": "2026-01-01", "valid_until": "2028-12-31"}
    assert admin.post(f"{url}/decision", decision, content_type=JSON).status_code == 403
    r = gov.post(f"{url}/decision", decision, content_type=JSON)
    assert r.status_code == 200 and r.json()["in_library"] is True
    assert [e["action"] for e in r.json()["events"]] == ["apply", "return", "resubmit", "pass", "certify"]
    assert [a["id"] for a in gov.get(f"{BASE}/cert/library?kind=project").json()] == [app["id"]]
    bank, bank2 = api(cw, "bank"), api(cw, "bank2")
    assert bank.get(url).status_code == 404  # not pushed yet
    push = {"region": "339900", "title": "首批", "kind": "project", "entry_ids": [app["id"]], "bank_ids": []}
    r = gov.post(f"{BASE}/cert/pushes", push, content_type=JSON)
    assert r.status_code == 422 and r.json()["errors"][0]["column"] == "banks"
    r = gov.post(f"{BASE}/cert/pushes", {**push, "bank_ids": [cw.world.bank.pk]}, content_type=JSON)
    assert r.status_code == 201
    entry = bank.get(url).json()
    assert entry["status"] == "certified" and entry["baseline"] is None and entry["review_comment"] is None
    assert [a["id"] for a in bank.get(f"{BASE}/bank/cert-library").json()] == [app["id"]]
    assert bank2.get(f"{BASE}/bank/cert-library").json() == []
    assert bank2.get(url).status_code == 404


def test_rulers_over_the_api(cw):
    gov = api(cw, "gov")
    rulers = gov.get(f"{BASE}/cert/rulers").json()
    assert {r["industry_code"] for r in rulers} >= {"2614", "3216", "4411", "06", "3011"}
    assert api(cw, "cement").get(f"{BASE}/cert/rulers").json() == []
    spec = {
        "region": "339900",
        "industry_code": "4411",
        "kind": "project",
        "valid_from": "2026-09-01",
        "sector_name": "火力发电",
        "metric": "energy_per_product",
        "unit": "gce/kWh",
        "entry_value": "-1",
        "advanced_value": "270",
        "min_reduction_pct": "101",
        "principles": ["no_lock_in"],
        "source": "示范",
    }
    n = CertRuler.objects.count()
    r = gov.post(f"{BASE}/cert/rulers", spec, content_type=JSON)
    assert r.status_code == 422
    assert {e["column"] for e in r.json()["errors"]} == {"entry_value", "min_reduction_pct"}
    assert CertRuler.objects.count() == n
    r = gov.post(f"{BASE}/cert/rulers", {**spec, "entry_value": "295", "min_reduction_pct": "4"}, content_type=JSON)
    assert r.status_code == 201 and r.json()["version"] == 2 and r.json()["entry_value"] == "295"
    assert api(cw, "district").post(f"{BASE}/cert/rulers", spec, content_type=JSON).status_code == 403

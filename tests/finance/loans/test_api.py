"""The loans API (/api/finance, docs/finance.md): an enterprise's system reads its offers with reasons and applies, a
bank's system decides and records drawdowns, government reads aggregates only. Refusals: 422 located in both
languages with nothing written, 404 for what a token may not see."""

from __future__ import annotations

import pytest
from django.test import Client

from dualcarbon.finance.models import Loan, LoanMovement
from dualcarbon.registry import api_tokens
from dualcarbon.registry.models import AccessLog
from tests.web.helpers import login

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("finance-loans")]

BASE = "/api/finance"
JSON = "application/json"


def api(lw, who: str, lang: str = "zh-hans") -> Client:
    if who in ("gov", "district", "verifier"):  # they hold no tokens: a logged-in session
        client = Client(HTTP_ACCEPT_LANGUAGE=lang)
        login(client, lw.users[who])
        return client
    key = api_tokens.issue(lw.users[who], "loans API test")[1]
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE=lang)


def test_apply_decide_draw_over_the_api_with_located_refusals(lw):
    cement, bank, bank2 = api(lw, "cement"), api(lw, "bank", "en"), api(lw, "bank2")
    org = lw.world.cement.pk
    offers = cement.get(f"{BASE}/enterprises/{org}/products").json()
    txd = next(o for o in offers if o["code"] == "TXD")
    assert (txd["eligible"], txd["rate_bp"], txd["rate_how"]) == (True, 385, "基准 385 基点 +0 基点（3 级）= 385 基点")
    zxd = next(o for o in offers if o["code"] == "ZXD")
    assert zxd["to_fix"][0] == "碳效等级需达到 1 级（相差 2 级）"
    assert api(lw, "steel").get(f"{BASE}/enterprises/{org}/products").status_code == 404
    body = {"product_id": lw.product.pk, "amount": "-1", "term_months": 24, "purpose": "技改"}
    r = cement.post(f"{BASE}/enterprises/{org}/applications", body, content_type=JSON)
    assert r.status_code == 422
    finding = r.json()["errors"][0]
    assert (finding["column"], finding["message_zh"], finding["message_en"]) == (
        "amount",
        "金额须大于零（现为 -1 元）",
        "The amount must be above zero (it is -1 yuan)",
    )
    r = cement.post(f"{BASE}/enterprises/{org}/applications", {**body, "amount": "3000000"}, content_type=JSON)
    assert r.status_code == 201, r.content
    app = r.json()
    assert (app["status"], app["quoted_rate_bp"]) == ("submitted", 385)
    assert bank2.get(f"{BASE}/bank/applications/{app['id']}").status_code == 404
    assert app["id"] not in [a["id"] for a in bank2.get(f"{BASE}/bank/applications").json()]
    logged = AccessLog.objects.count()
    assert bank.get(f"{BASE}/bank/applications/{app['id']}").status_code == 200
    assert AccessLog.objects.count() == logged + 1  # the bank read the applicant's grade under its consent
    decision = {"approve": True, "amount": "2000000", "rate_bp": 380, "term_months": 24}
    assert bank2.post(f"{BASE}/bank/applications/{app['id']}/decision", decision, content_type=JSON).status_code == 404
    r = bank.post(f"{BASE}/bank/applications/{app['id']}/decision", decision, content_type=JSON)
    assert r.status_code == 200, r.content
    loan_id = r.json()["loan_id"]
    r = bank.post(f"{BASE}/bank/applications/{app['id']}/decision", decision, content_type=JSON)
    assert r.status_code == 422 and r.json()["errors"][0]["message"] == (
        "The application is “Approved”: it can no longer be decided or withdrawn"
    )
    r = bank.post(f"{BASE}/bank/loans/{loan_id}/drawdowns", {"amount": "1500000"}, content_type=JSON)
    assert r.status_code == 201 and r.json()["undrawn"] == "500000.00"
    r = bank.post(f"{BASE}/bank/loans/{loan_id}/drawdowns", {"amount": "500000.01"}, content_type=JSON)
    assert r.status_code == 422
    assert r.json()["errors"][0]["message"].startswith("The drawdown of 500000.01 yuan exceeds")
    assert LoanMovement.objects.filter(loan_id=loan_id).count() == 1
    assert Loan.objects.get(pk=loan_id).drawn == 1500000
    loans = cement.get(f"{BASE}/enterprises/{org}/loans").json()
    assert [(x["number"], x["outstanding"]) for x in loans] == [(Loan.objects.get(pk=loan_id).number, "1500000.00")]


def test_needs_pushes_and_statistics_by_role(lw):
    gov, bank = api(lw, "gov"), api(lw, "bank")
    for org, amount in ((lw.world.cement, "30000000"), (lw.world.steel, "12500000")):
        r = gov.post(
            f"{BASE}/enterprises/{org.pk}/needs",
            {"amount": amount, "purpose_tag": "transition", "purpose": "余热利用", "term_months": 36},
            content_type=JSON,
        )
        assert r.status_code == 201 and r.json()["by_government"] is True
    assert api(lw, "bank").get(f"{BASE}/enterprises/{lw.world.cement.pk}/needs").status_code == 404
    region = gov.get(f"{BASE}/needs").json()
    assert region["followup"]["firms"] == 2 and region["followup"]["needed"] == "42500000.00"
    ids = [n["id"] for n in region["needs"]]
    assert bank.get(f"{BASE}/bank/needs").json() == []
    r = gov.post(
        f"{BASE}/pushes",
        {"region": "339900", "title": "第一批", "need_ids": ids, "bank_ids": [lw.world.bank.pk]},
        content_type=JSON,
    )
    assert r.status_code == 201, r.content
    assert (
        api(lw, "district")
        .post(
            f"{BASE}/pushes",
            {"region": "339900", "title": "越权", "need_ids": ids, "bank_ids": [lw.world.bank.pk]},
            content_type=JSON,
        )
        .status_code
        == 403
    )
    seen = {n["enterprise"]: n for n in bank.get(f"{BASE}/bank/needs").json()}
    cement, steel = seen[lw.world.cement.name], seen[lw.world.steel.name]
    assert (cement["consented"], cement["grade"], cement["district"]) == (True, 3, "东城区")
    assert (steel["consented"], steel["grade"], steel["industry"]) == (False, None, None)  # no consent: name only
    assert api(lw, "bank2").get(f"{BASE}/bank/needs").json() == []
    r = gov.get(f"{BASE}/statistics?dimension=district")
    assert r.status_code == 200 and r.json()["min_loans"] == 3
    for who in ("bank", "cement", "verifier"):
        assert api(lw, who).get(f"{BASE}/statistics").status_code == 404

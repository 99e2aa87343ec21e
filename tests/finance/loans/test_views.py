"""The loan pages in both languages (docs/finance.md): the enterprise sees its products with reasons and applies
(granting the consent in the same form), the bank decides and records drawdowns, government reads needs and
aggregates; each page answers 404 to roles outside it."""

from __future__ import annotations

import pytest
from django.test import Client

from dualcarbon.finance.models import Loan, LoanApplication, LoanMovement
from tests.web.helpers import login

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("finance-loans")]


def client(lw, who: str, lang: str = "zh-hans") -> Client:
    return login(Client(HTTP_ACCEPT_LANGUAGE=lang), lw.users[who])


def test_apply_decide_and_draw_through_the_pages(lw):
    steel = lw.world.steel  # no consent to the bank yet: the form offers to grant it
    ent = client(lw, "steel")
    page = ent.get(f"/finance/enterprise/{steel.pk}/products/").content.decode()
    assert "碳效贷" in page and "同时授权示范农商银行查阅本企业近两年的账户汇总和碳效等级" in page
    assert "碳效等级需达到 1 级" in page  # the strict product: what it misses
    body = {"product": lw.product.pk, "amount": "2000000", "term_months": "24", "purpose": "轧钢加热炉改造"}
    r = ent.post(f"/finance/enterprise/{steel.pk}/products/", body)
    assert r.status_code == 422 and "申请前须授权示范农商银行" in r.content.decode()
    r = ent.post(f"/finance/enterprise/{steel.pk}/products/", {**body, "grant_consent": "1"})
    assert r.status_code == 302
    app = LoanApplication.objects.get(enterprise=steel)
    bank = client(lw, "bank")
    assert str(app.pk) in bank.get("/finance/bank/applications/").content.decode()
    assert client(lw, "bank2").get(f"/finance/bank/applications/{app.pk}/").status_code == 404
    page = bank.get(f"/finance/bank/applications/{app.pk}/").content.decode()
    assert "碳效等级 ≤ 4 级：本企业为" in page
    r = bank.post(
        f"/finance/bank/applications/{app.pk}/",
        {"decision": "approve", "amount": "2000000", "rate_bp": "365", "term_months": "24"},
    )
    assert r.status_code == 302
    loan = Loan.objects.get(application=app)
    en = client(lw, "bank", "en")
    r = en.post(f"/finance/bank/loans/{loan.pk}/", {"kind": "drawdown", "amount": "2000000.01"})
    assert r.status_code == 422 and "exceeds the undrawn 2000000.00 yuan" in r.content.decode()
    assert not LoanMovement.objects.filter(loan=loan).exists()
    assert bank.post(f"/finance/bank/loans/{loan.pk}/", {"kind": "drawdown", "amount": "500000"}).status_code == 302
    page = en.get(f"/finance/bank/loans/{loan.pk}/").content.decode()
    assert "Drawdowns and repayments" in page and "1,500,000.00" in page
    mine = ent.get(f"/finance/enterprise/{steel.pk}/loans/").content.decode()
    assert loan.number in mine
    assert client(lw, "cement").get(f"/finance/enterprise/{steel.pk}/loans/").status_code == 404


def test_pages_by_role_in_both_languages(lw):
    cement = lw.world.cement.pk
    pages = {
        "/finance/bank/products/": {"bank"},
        f"/finance/bank/products/{lw.product.pk}/": {"bank"},
        "/finance/bank/applications/": {"bank"},
        "/finance/bank/needs/": {"bank"},
        f"/finance/enterprise/{cement}/products/": {"cement"},
        f"/finance/enterprise/{cement}/loans/": {"cement"},
        f"/finance/enterprise/{cement}/needs/": {"cement", "gov", "district"},
        "/finance/needs/": {"gov", "district"},
        "/finance/statistics/": {"gov", "district"},
    }
    for lang in ("zh-hans", "en"):
        clients = {who: client(lw, who, lang) for who in ("cement", "steel", "gov", "district", "bank", "bank2")}
        for url, readers in pages.items():
            for who, c in clients.items():
                expected = 200 if who in readers else 404
                if who == "bank2" and url in (
                    "/finance/bank/products/",
                    "/finance/bank/applications/",
                    "/finance/bank/needs/",
                ):
                    expected = 200  # another bank's own (empty) lists; the product itself is 404
                r = c.get(url)
                assert r.status_code == expected, (url, who, lang)
    page = client(lw, "gov", "en").get("/finance/statistics/").content.decode()
    assert "Loans on carbon accounts" in page and "By purpose tag" in page

"""The consent pages (docs/finance.md): the enterprise grants, narrows, revokes and answers requests on its 数据授权
page, which shows each consent's history; a bank requests on its page and sees the answer. Revocation takes effect at
once for the bank's account page, its export and the accounts API (404, no read logged); bad input is located and
worded in the user's language and changes nothing; another enterprise's consents answer 404 like missing."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dualcarbon.finance.models import ConsentRequest
from dualcarbon.registry import api_tokens
from dualcarbon.registry.models import AccessLog, Consent
from tests.factories import World, build_world
from tests.web.helpers import MODEL_BACKEND, data_for_the_module, submit_month

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("finance-views")]

NEXT_YEAR = timezone.localdate() + datetime.timedelta(days=365)


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with data_for_the_module(django_db_blocker):
        w = build_world()
        submit_month(w.users["cement"], w.cement, 2024, 3)  # inside the bank's consent (2024-01..06)
        yield w


def client(world: World, who: str, lang: str = "zh-hans") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.force_login(world.users[who], backend=MODEL_BACKEND)
    return c


def counts() -> tuple[int, int, int, int]:
    return Consent.objects.count(), Consent.history.count(), ConsentRequest.objects.count(), AccessLog.objects.count()


def consents_url(world: World, org: Any = None) -> str:
    return reverse("finance:consents", args=[(org or world.cement).pk])


def text(response: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_revocation_takes_effect_at_once_on_the_page_the_export_and_the_api(world):
    cement = world.cement
    consent = Consent.objects.get(enterprise=cement, bank=world.bank)
    bank = client(world, "bank")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {api_tokens.issue(world.users['bank'], 'credit system')[1]}")
    page = reverse("accounting:enterprise", args=[cement.pk]) + "?year=2024"
    export = reverse("accounting:export", args=[cement.pk]) + "?year=2024"
    years = f"/api/accounts/enterprises/{cement.pk}"
    assert [bank.get(page).status_code, bank.get(export).status_code, api.get(years).status_code] == [200, 200, 200]
    assert list(AccessLog.objects.order_by("pk").values_list("resource", "channel", "consent_id")) == [
        ("account", "web", consent.pk),
        ("export_xlsx", "web", consent.pk),
        ("account", "api", consent.pk),
    ]

    r = client(world, "cement").post(reverse("finance:consent_revoke", args=[cement.pk, consent.pk]))
    assert (r.status_code, r["Location"]) == (302, consents_url(world))
    assert Consent.objects.get(pk=consent.pk).revoked_at is not None

    assert [bank.get(page).status_code, bank.get(export).status_code, api.get(years).status_code] == [404, 404, 404]
    assert AccessLog.objects.count() == 3  # the refused reads are not logged
    assert bank.get(reverse("finance:bank")).status_code == 200
    assert "已撤销" in text(bank.get(reverse("finance:bank")))


def test_narrowing_the_data_period_takes_effect_at_once(world):
    cement, consent = world.cement, Consent.objects.get(enterprise=world.cement, bank=world.bank)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {api_tokens.issue(world.users['bank'], 'credit system')[1]}")
    month = f"/api/accounts/enterprises/{cement.pk}/months/2024/3"
    assert api.get(month).status_code == 200
    r = client(world, "cement").post(
        reverse("finance:consent_change", args=[cement.pk, consent.pk]),
        {
            "purpose_code": "credit_assessment",
            "scope": ["accounts"],
            "data_from": "2024-04",
            "data_until": "2024-06",
            "valid_until": "2099-12-31",
        },
    )
    assert r.status_code == 302
    assert api.get(month).status_code == 404
    # build_world creates the consent with Consent.objects.create: a first version without a reason
    versions = Consent.objects.get(pk=consent.pk).history.order_by("history_id")
    assert list(versions.values_list("history_type", "history_change_reason", "data_from")) == [
        ("+", None, "2024-01"),
        ("~", "narrow", "2024-04"),
    ]


def test_the_enterprise_grants_on_its_page_and_sees_who_changed_what(world):
    cement = client(world, "cement")
    r = cement.post(
        consents_url(world),
        {
            "bank": str(world.other_bank.pk),
            "purpose_code": "loan_monitoring",
            "scope": ["summary", "grade"],
            "data_from": "2024-01",
            "data_until": "2024-12",
            "valid_until": NEXT_YEAR.isoformat(),
            "purpose": "技改贷款贷后监测",
        },
    )
    assert (r.status_code, r["Location"]) == (302, consents_url(world))
    consent = Consent.objects.get(enterprise=world.cement, bank=world.other_bank)
    assert (consent.scope, consent.purpose_code, consent.purpose) == (
        "summary,grade",
        "loan_monitoring",
        "技改贷款贷后监测",
    )
    page = cement.get(consents_url(world))
    assert page.status_code == 200
    html = page.content.decode()
    block = html[html.index(f'data-consent="{consent.pk}"') :]
    shown = text(page)
    assert "另一家银行 有效" in shown
    assert "贷后监测（技改贷款贷后监测）" in shown and "账户汇总、评级及其说明" in shown
    assert '<tr data-reason="grant">' in block
    assert re.search(r"cement\s*</td>\s*<td>授予授权</td>", block)
    english = client(world, "cement", "en").get(consents_url(world))
    assert "Consent granted" in text(english) and "Loan monitoring" in text(english)


def test_bad_input_on_the_page_is_located_in_the_users_language_and_changes_nothing(world):
    before = counts()
    bad = {
        "bank": "",
        "purpose_code": "credit_assessment",
        "data_from": "2024-05",
        "data_until": "2024-02",
        "valid_until": "2020-01-01",
    }
    zh = client(world, "cement").post(consents_url(world), bad)
    assert zh.status_code == 200
    assert re.findall(r'<ul class="errorlist"><li>(.*?)</li></ul>', zh.content.decode()) == [
        "请选择一家银行",
        "请至少选择一项授权范围",
        "数据截止期（2024-02）不能早于数据起始期（2024-05）",
        "授权到期日（2020-01-01）不能早于今天",
    ]
    en = client(world, "cement", "en").post(consents_url(world), bad)
    assert re.findall(r'<ul class="errorlist"><li>(.*?)</li></ul>', en.content.decode()) == [
        "Choose a bank",
        "Choose at least one item of scope",
        "The end of the data period (2024-02) cannot be before its start (2024-05)",
        "The expiry date (2020-01-01) cannot be before today",
    ]
    assert 'value="2024-05"' in en.content.decode()  # what was typed stays in the form
    assert counts() == before


def test_a_bank_requests_and_the_enterprise_accepts_or_declines_with_one_click(world):
    bank2, steel = client(world, "bank2"), client(world, "steel")
    terms = {"purpose_code": "credit_assessment", "scope": ["accounts", "grade"], "data_from": "2024-01"}
    terms |= {"data_until": "2024-12", "valid_until": NEXT_YEAR.isoformat(), "message": "流动资金贷款授信评估"}
    r = bank2.post(reverse("finance:request_new"), {"uscc": world.steel.uscc, **terms})
    assert (r.status_code, r["Location"]) == (302, reverse("finance:bank"))
    req = ConsentRequest.objects.get(bank=world.other_bank, enterprise=world.steel)
    assert "示范钢铁股份有限公司" in text(bank2.get(reverse("finance:bank")))
    assert "待企业答复" in text(bank2.get(reverse("finance:bank")))

    page = steel.get(consents_url(world, world.steel))
    assert "流动资金贷款授信评估" in text(page) and "另一家银行" in text(page)
    accept = reverse("finance:request_accept", args=[world.steel.pk, req.pk])
    assert f'action="{accept}"' in page.content.decode()
    assert steel.post(accept).status_code == 302
    consent = Consent.objects.get(enterprise=world.steel, bank=world.other_bank)
    assert ConsentRequest.objects.get(pk=req.pk).consent == consent
    assert "已接受" in text(bank2.get(reverse("finance:bank")))
    assert bank2.get(reverse("accounting:enterprise", args=[world.steel.pk])).status_code == 200

    again = bank2.post(reverse("finance:request_new"), {"uscc": world.cement.uscc, **terms})
    assert again.status_code == 302
    other = ConsentRequest.objects.get(bank=world.other_bank, enterprise=world.cement)
    decline = reverse("finance:request_decline", args=[world.cement.pk, other.pk])
    assert client(world, "cement").post(decline, {"reason": "暂无融资需求"}).status_code == 302
    bank_page = text(bank2.get(reverse("finance:bank")))
    assert "已拒绝" in bank_page and "拒绝理由：暂无融资需求" in bank_page
    assert bank2.get(reverse("accounting:enterprise", args=[world.cement.pk])).status_code == 404


def test_a_bank_withdraws_its_pending_request_on_its_page(world):
    bank2 = client(world, "bank2")
    terms = {"purpose_code": "credit_assessment", "scope": ["credit_report"], "data_from": "2024-01"}
    bank2.post(
        reverse("finance:request_new"),
        {"uscc": world.steel.uscc, "data_until": "2024-12", **terms, "valid_until": NEXT_YEAR.isoformat()},
    )
    req = ConsentRequest.objects.get(bank=world.other_bank, enterprise=world.steel, status="pending")
    withdraw = reverse("finance:request_withdraw", args=[req.pk])
    assert f'action="{withdraw}"' in bank2.get(reverse("finance:bank")).content.decode()
    assert client(world, "bank").post(withdraw).status_code == 404  # another bank's request
    assert bank2.post(withdraw).status_code == 302
    page = text(bank2.get(reverse("finance:bank")))
    assert "授权申请已撤回" in page and "已撤回" in page and f'action="{withdraw}"' not in page
    assert ConsentRequest.objects.get(pk=req.pk).status == "withdrawn"
    # the enterprise's page shows it withdrawn, with no button to answer it
    steel = client(world, "steel").get(consents_url(world, world.steel)).content.decode()
    assert "已撤回" in steel and reverse("finance:request_accept", args=[world.steel.pk, req.pk]) not in steel


def test_the_consent_pages_have_proper_titles_in_both_languages(world):
    for lang, mine, banks in (
        ("zh-hans", "向银行的数据授权", "企业的数据授权"),
        ("en", "Data consents for banks", "Data consents from enterprises"),
    ):
        page = client(world, "cement", lang).get(consents_url(world))
        assert (
            re.search(rf"<h1>{mine}</h1>", page.content.decode())
            and f"<title>{world.cement.name} · {mine}" in page.content.decode()
        )
        assert re.search(
            rf"<h1>{banks}</h1>", client(world, "bank", lang).get(reverse("finance:bank")).content.decode()
        )


def test_a_bad_request_is_located_and_changes_nothing(world):
    before = counts()
    r = client(world, "bank", "en").post(
        reverse("finance:request_new"),
        {"uscc": "91330000000000000X", "purpose_code": "x", "scope": ["accounts"], "data_from": "2024-01"},
    )
    assert r.status_code == 200
    assert re.findall(r'<ul class="errorlist"><li>(.*?)</li></ul>', r.content.decode()) == [
        "No enterprise is registered on the platform under this unified social credit code",
        "Choose a purpose: credit assessment, loan monitoring or disclosure",
        "The end of the data period must be a month as YYYY-MM (2000–2100)",
        "The expiry date must be a date as YYYY-MM-DD",
    ]
    assert counts() == before


def test_another_enterprises_consents_answer_404_and_only_the_owner_writes(world):
    cement = world.cement
    consent = Consent.objects.get(enterprise=cement, bank=world.bank)
    revoke = reverse("finance:consent_revoke", args=[cement.pk, consent.pk])
    before = counts()
    for who in ("steel", "far", "bank", "bank2", "verifier"):
        c = client(world, who)
        assert c.get(consents_url(world)).status_code == 404, who
        assert c.post(revoke).status_code == 404, who
    # a consent of cement under steel's id: 404 for steel too
    assert (
        client(world, "steel").post(reverse("finance:consent_revoke", args=[world.steel.pk, consent.pk])).status_code
        == 404
    )
    for who in ("gov", "district", "admin"):  # they read the page, without forms, and may not write
        c = client(world, who)
        page = c.get(consents_url(world))
        assert page.status_code == 200 and f'action="{revoke}"' not in page.content.decode()
        assert c.post(revoke).status_code == 403, who
    for who in ("cement", "steel", "gov", "admin", "verifier"):  # the bank page is for banks' staff
        assert client(world, who).get(reverse("finance:bank")).status_code == 404
        assert client(world, who).post(reverse("finance:request_new"), {"uscc": world.steel.uscc}).status_code == 404
    assert counts() == before
    assert Consent.objects.get(pk=consent.pk).revoked_at is None


def test_the_top_bar_links_enterprise_staff_and_bank_staff_to_their_consent_page(world):
    pages = {
        "cement": (reverse("accounting:enterprise", args=[world.cement.pk]), consents_url(world)),
        "bank": (reverse("finance:bank"), reverse("finance:bank")),
        "bank2": (reverse("finance:bank"), reverse("finance:bank")),
    }
    for who, (page, link) in pages.items():
        html = client(world, who).get(page).content.decode()
        assert re.search(f'<a href="{re.escape(link)}"[^>]*>数据授权</a>', html), who
    for who in ("gov", "verifier", "admin"):
        html = client(world, who).get(reverse("web:home")).content.decode()
        # no consent page (the verifier's top bar links its certification reviews, docs/finance.md)
        assert "/consents/" not in html and f'href="{reverse("finance:bank")}"' not in html, who

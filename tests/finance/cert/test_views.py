"""The certification pages (docs/finance.md § Transition certification): the enterprise applies and amends, the
verifier returns once and then passes, the government certifies and pushes, the bank sees what was pushed to it;
each page answers 404 to the roles outside it; English and Chinese."""

from __future__ import annotations

import pytest
from django.test import Client

from dualcarbon.finance.models import CertApplication
from tests.web.helpers import login

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("finance-cert")]

PRINCIPLES = ("no_lock_in", "dnsh", "just_transition")


def client(cw, who: str, lang: str = "zh-hans") -> Client:
    return login(Client(HTTP_ACCEPT_LANGUAGE=lang), cw.users[who])


def form(cw, **kw):
    data = cw.fields(**kw)
    return {k: str(v) for k, v in data.items()}


def test_application_to_library_through_the_pages_with_one_return(cw):
    org = cw.world.cement.pk
    ent = client(cw, "cement")
    page = ent.get(f"/finance/enterprise/{org}/certifications/").content.decode()
    assert "水泥制造（3011）" in page and "单位产品能耗 ≤ 117 kgce/t" in page
    r = ent.post(f"/finance/enterprise/{org}/certifications/", form(cw, industry_code="30"))
    assert r.status_code == 422 and "行业的降碳转型升级项目认定标准，暂不能申请" in r.content.decode()
    r = ent.post(f"/finance/enterprise/{org}/certifications/", form(cw, declared_value="120"))
    assert r.status_code == 422 and "高于该行业准入值 117 kgce/t" in r.content.decode()
    assert not CertApplication.objects.exists()
    r = ent.post(f"/finance/enterprise/{org}/certifications/", form(cw))
    assert r.status_code == 302
    app = CertApplication.objects.get()
    ver = client(cw, "verifier")
    assert f'data-cert="{app.pk}"' in ver.get("/finance/certifications/reviews/").content.decode()
    review = {f"ok_{p}": "1" for p in PRINCIPLES} | {"ok_dnsh": "0", "note_dnsh": "缺少废水处置方案"}
    r = ver.post(f"/finance/certifications/reviews/{app.pk}/", {**review, "decision": "return"})
    assert r.status_code == 422 and "退回须写明核查意见" in r.content.decode()
    r = ver.post(
        f"/finance/certifications/reviews/{app.pk}/", {**review, "decision": "return", "comment": "请补充废水处置方案"}
    )
    assert r.status_code == 302
    page = ent.get(f"/finance/enterprise/{org}/certifications/{app.pk}/").content.decode()
    assert "请补充废水处置方案" in page and 'id="amend"' in page
    r = ent.post(
        f"/finance/enterprise/{org}/certifications/{app.pk}/", {"evidence": "补充废水处置方案", "comment": "已补充"}
    )
    assert r.status_code == 302
    r = ver.post(
        f"/finance/certifications/reviews/{app.pk}/",
        {**{f"ok_{p}": "1" for p in PRINCIPLES}, "decision": "pass"},
    )
    assert r.status_code == 302
    gov = client(cw, "gov")
    r = gov.post(f"/finance/certifications/{app.pk}/", {"action": "revoke", "reason": "x"})
    assert r.status_code == 422 and "该申请当前为“核查通过，待认定”，不能“撤销认定”" in r.content.decode()
    r = gov.post(
        f"/finance/certifications/{app.pk}/",
        {"action": "certify", "valid_from": "2026-01-01", "valid_until": "2028-12-31"},
    )
    assert r.status_code == 302
    page = gov.get("/finance/certifications/").content.decode()
    assert f'data-entry="{app.pk}"' in page
    r = gov.post(
        "/finance/certifications/",
        {"title": "首批项目库", "kind": "project", "region": "339900", "entry": app.pk, "bank": cw.world.bank.pk},
    )
    assert r.status_code == 302
    assert f'data-entry="{app.pk}"' in client(cw, "bank").get("/finance/bank/certifications/").content.decode()
    assert f'data-entry="{app.pk}"' not in client(cw, "bank2").get("/finance/bank/certifications/").content.decode()
    app.refresh_from_db()
    assert (app.status, app.returns) == ("certified", 1)
    page = client(cw, "cement", "en").get(f"/finance/enterprise/{org}/certifications/{app.pk}/").content.decode()
    assert "Certified (in the library)" in page and "Follow-up: expected and achieved reduction" in page


def test_each_page_answers_404_outside_its_roles(cw):
    app = cw.apply()
    org = cw.world.cement.pk
    cases = {
        f"/finance/enterprise/{org}/certifications/": ("cement", ("steel", "gov", "bank", "verifier", "admin")),
        f"/finance/enterprise/{org}/certifications/{app.pk}/": ("cement", ("steel", "gov", "bank", "verifier")),
        "/finance/certifications/reviews/": ("verifier", ("cement", "gov", "bank")),
        f"/finance/certifications/reviews/{app.pk}/": ("verifier", ("cement", "gov", "bank", "admin")),
        "/finance/certifications/rulers/": ("gov", ("cement", "bank", "verifier")),
        "/finance/certifications/": ("district", ("cement", "bank", "verifier")),
        f"/finance/certifications/{app.pk}/": ("admin", ("cement", "bank", "bank2", "verifier")),
        "/finance/bank/certifications/": ("bank2", ("cement", "gov", "verifier")),
    }
    for url, (ok, refused) in cases.items():
        assert client(cw, ok).get(url).status_code == 200, (url, ok)
        for who in refused:
            assert client(cw, who).get(url).status_code == 404, (url, who)


def test_the_rulers_page_publishes_a_version(cw):
    gov = client(cw, "gov")
    body = {
        "region": "339900",
        "industry_code": "3216",
        "sector_name": "电解铝",
        "kind": "enterprise",
        "metric": "energy_per_product",
        "unit": "kWh/t",
        "entry_value": "13300",
        "advanced_value": "13400",
        "min_reduction_pct": "5",
        "principles": ["no_lock_in", "dnsh", "just_transition"],
        "valid_from": "2026-06-01",
        "source": "示范市 2026 年修订",
    }
    r = gov.post("/finance/certifications/rulers/", body)
    assert r.status_code == 422 and "先进值（13400）须不高于准入值（13300）" in r.content.decode()
    r = gov.post("/finance/certifications/rulers/", {**body, "advanced_value": "13000"})
    assert r.status_code == 302
    page = gov.get("/finance/certifications/rulers/").content.decode()
    assert "v2" in page and "示范市 2026 年修订" in page

"""Policy pages (policy/views.py) in both languages: the government's packages, policy form and matches overview;
the enterprise's policies with reasons and near misses. The form refuses a bad rule with located, translated
errors and changes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from dualcarbon.policy import services
from dualcarbon.policy.models import Match, MatchRun, Policy, PolicyPackage, PolicyVersion
from dualcarbon.rating.models import RatingResult
from tests.policy.conftest import YEAR, PolicyWorld
from tests.snapshots import rows
from tests.web.helpers import login

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("policy")]

POLICY_TABLES = ("policy.policypackage", "policy.policy", "policy.policyversion", "policy.matchrun", "policy.match")


def client_for(pw: PolicyWorld, role: str, lang: str = "zh-hans") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    return login(c, pw.users[role])


def intensity(org) -> Decimal:
    r = RatingResult.objects.get(enterprise=org, year=YEAR, month=0, is_current=True)
    return Decimal(str(r.intensity_l))


def publish(pw: PolicyWorld) -> tuple[PolicyPackage, Policy]:
    pkg = services.create_package(
        pw.users["gov"],
        pw.world.city,
        name_zh="示范市碳效码配套政策",
        name_en="Demo city carbon-efficiency measures",
        publisher="示范市发展和改革委员会",
        document="示发改〔2025〕1号",
        published_on=datetime.date(2025, 1, 10),
    )
    l_now = intensity(pw.world.cement)
    pol = services.create_policy(
        pw.users["gov"],
        pkg,
        code="award",
        name_zh="碳效提升奖励",
        name_en="Carbon-efficiency award",
        kind="subsidy",
        valid_from=datetime.date(2025, 1, 1),
        benefit_kind="fixed",
        benefit_amount=Decimal("200000"),
        budget=Decimal("1000000"),
        rule={
            "all": [
                {"fact": "industry", "op": "=", "value": "30"},
                {"fact": "intensity", "op": "<=", "value": str((l_now * Decimal("0.96")).quantize(Decimal("0.0001")))},
            ]
        },
    )
    return pkg, pol


def test_the_enterprise_sees_its_near_miss_with_what_would_qualify_it(pw: PolicyWorld) -> None:
    _pkg, pol = publish(pw)
    m = Match.objects.get(enterprise=pw.world.cement, policy=pol, is_current=True)
    assert m.status == Match.Status.NEAR
    rel = abs(Decimal(m.to_fix[0]["relative_pct"])).quantize(Decimal("0.1"))
    url = reverse("policy:enterprise", args=[pw.world.cement.pk])
    zh = client_for(pw, "cement").get(url).content.decode()
    assert "临近达标的政策" in zh and "碳效提升奖励" in zh
    assert f"碳排放强度再降低 {rel} %" in zh
    assert "行业（大类） = 非金属矿物制品业（30）：本企业为 非金属矿物制品业（30），满足" in zh
    en = client_for(pw, "cement", "en").get(url).content.decode()
    assert "Carbon-efficiency award" in en and "Near misses" in en
    assert f"Carbon intensity {rel} % lower" in en
    assert "碳排放强度" not in en


def test_government_pages_in_both_languages(pw: PolicyWorld) -> None:
    pkg, pol = publish(pw)
    for lang, words in (("zh-hans", ["政策匹配总览", "按县区", "东城区"]), ("en", ["Policy matches", "By district"])):
        c = client_for(pw, "gov", lang)
        page = c.get(reverse("policy:matches")).content.decode()
        for w in words:
            assert w in page, (lang, w)
        assert c.get(reverse("policy:package", args=[pkg.pk])).status_code == 200
        assert c.get(reverse("policy:policy_edit", args=[pol.pk])).status_code == 200
        assert c.get(reverse("policy:packages")).status_code == 200
    en = client_for(pw, "gov", "en").get(reverse("policy:package", args=[pkg.pk])).content.decode()
    assert "Demo city carbon-efficiency measures" in en and "Subsidy or award" in en


def test_the_form_refuses_a_bad_rule_with_located_errors_and_changes_nothing(pw: PolicyWorld) -> None:
    _pkg, pol = publish(pw)
    before = rows(*POLICY_TABLES)
    post = {
        "name_zh": pol.name_zh,
        "kind": "subsidy",
        "valid_from": "2025-06-01",
        "combine": "all",
        "fact_1": "grade",
        "op_1": "<=",
        "value_1": "2",
        "fact_2": "intensity",
        "op_2": "<=",
        "value_2": "abc",
        "fact_3": "industry",
        "op_3": "<",
        "value_3": "30",
        "benefit_kind": "fixed",
        "benefit_amount": "-5",
        "near_miss_pct": "10",
    }
    url = reverse("policy:policy_edit", args=[pol.pk])
    r = client_for(pw, "gov").post(url, post)
    assert r.status_code == 422
    page = r.content.decode()
    assert "条件 2 · 数值：“abc”不是数字" in page
    assert "条件 3 · 运算符：指标“行业（大类）”不能使用运算符“&lt;”" in page
    assert "支持额度：“-5”不是非负数" in page
    en = client_for(pw, "gov", "en").post(url, post).content.decode()
    assert "Condition 2 · Value: “abc” is not a number" in en
    assert rows(*POLICY_TABLES) == before


def test_the_form_publishes_a_version_and_rematches(pw: PolicyWorld) -> None:
    _pkg, pol = publish(pw)
    runs = MatchRun.objects.count()
    post = {
        "name_zh": pol.name_zh,
        "kind": "subsidy",
        "valid_from": datetime.date.today().isoformat(),
        "combine": "all",
        "fact_1": "industry",
        "op_1": "in",
        "value_1": "30, 31",
        "benefit_kind": "fixed",
        "benefit_amount": "150000",
        "budget": "2000000",
        "near_miss_pct": "10",
        "note": "放宽至钢铁行业",
    }
    r = client_for(pw, "gov").post(reverse("policy:policy_edit", args=[pol.pk]), post)
    assert r.status_code == 302
    v = PolicyVersion.objects.get(policy=pol, version=2)
    assert v.rule == {"all": [{"fact": "industry", "op": "in", "value": ["30", "31"]}]}
    assert (v.benefit_amount, v.budget, v.note) == (Decimal("150000"), Decimal("2000000"), "放宽至钢铁行业")
    assert MatchRun.objects.count() == runs + 1
    # 示范市: six cement makers and the steel works
    assert Match.objects.filter(policy=pol, is_current=True, status=Match.Status.MATCHED).count() == 7


def test_who_opens_which_page(pw: PolicyWorld) -> None:
    pkg, pol = publish(pw)
    cement = pw.world.cement.pk
    for role, code in (("cement", 200), ("gov", 200), ("district", 200), ("steel", 404), ("bank", 404)):
        assert client_for(pw, role).get(reverse("policy:enterprise", args=[cement])).status_code == code, role
    for role, code in (("gov", 200), ("district", 404), ("cement", 404)):  # the district does not edit the city's
        assert client_for(pw, role).get(reverse("policy:policy_edit", args=[pol.pk])).status_code == code, role
    for role, code in (("gov", 200), ("district", 200), ("cement", 404), ("bank", 404)):
        assert client_for(pw, role).get(reverse("policy:matches")).status_code == code, role
    assert client_for(pw, "far").get(reverse("policy:package", args=[pkg.pk])).status_code == 404  # 杭州

"""Policy API (/api/policy/): a government publishes a policy and a new version as JSON; a bad rule answers 422
located by its path in both languages and writes nothing; an enterprise reads its matches, not another's."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client

from dualcarbon.policy.models import Match, Policy, PolicyVersion
from dualcarbon.registry import api_tokens
from tests.policy.conftest import PolicyWorld
from tests.policy.test_views import POLICY_TABLES, intensity, publish
from tests.snapshots import rows
from tests.web.helpers import login

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("policy")]


def api(pw: PolicyWorld, who: str, lang: str = "zh-hans") -> Client:
    """An enterprise's system with its token; government staff (no tokens) with their signed-in session."""
    if who in ("gov", "district"):
        return login(Client(HTTP_ACCEPT_LANGUAGE=lang), pw.users[who])
    key = api_tokens.issue(pw.users[who], "policy API test")[1]
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE=lang)


def post(c: Client, url: str, body: dict) -> object:
    return c.post(url, data=json.dumps(body), content_type="application/json")


def test_a_government_publishes_through_the_api_and_a_bad_rule_is_located(pw: PolicyWorld) -> None:
    pkg, _pol = publish(pw)
    url = f"/api/policy/packages/{pkg.pk}/policies"
    bad = {
        "code": "quota",
        "name_zh": "用能指标倾斜",
        "kind": "energy_quota",
        "valid_from": "2025-01-01",
        "benefit_kind": "none",
        "rule": {"all": [{"fact": "grade", "op": "<=", "value": 2}, {"fact": "trend", "op": "<", "value": "-5"}]},
    }
    before = rows(*POLICY_TABLES)
    r = post(api(pw, "gov", "en"), url, bad)
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert [(e["column"], e["message_en"]) for e in errors] == [
        (
            "rule.all[1].fact",
            "There is no fact “trend”; known: "
            + ", ".join(
                [
                    "grade",
                    "level",
                    "k",
                    "intensity",
                    "intensity_trend",
                    "emissions",
                    "reduction",
                    "industry",
                    "district",
                    "size",
                    "above_scale",
                    "certification",
                    "data_tier",
                    "verification",
                ]
            ),
        )
    ]
    assert errors[0]["message_zh"].startswith("没有名为“trend”的指标")
    assert rows(*POLICY_TABLES) == before
    good = {
        **bad,
        "rule": {
            "all": [
                {"fact": "grade", "op": "<=", "value": 2},
                {"fact": "intensity_trend", "op": "<", "value": "-5", "unit": "%"},
            ]
        },
    }
    r = post(api(pw, "gov"), url, good)
    assert r.status_code == 201
    body = r.json()
    assert (body["code"], body["kind"], body["versions"][0]["version"]) == ("quota", "energy_quota", 1)
    assert body["versions"][0]["conditions"] == ["同时满足以下全部条件：", "碳效等级 ≤ 2 级", "强度同比变化 < -5 %"]
    # the district governs 东城区, not the city's package
    assert post(api(pw, "district"), url, {**good, "code": "other"}).status_code == 403
    assert post(api(pw, "cement"), url, {**good, "code": "other"}).status_code == 403


def test_a_new_version_through_the_api_rematches(pw: PolicyWorld) -> None:
    _pkg, pol = publish(pw)
    l_now = intensity(pw.world.cement)
    r = post(
        api(pw, "gov"),
        f"/api/policy/policies/{pol.pk}/versions",
        {
            "valid_from": "2030-01-01",
            "benefit_kind": "fixed",
            "benefit_amount": "200000",
            "rule": {"all": [{"fact": "intensity", "op": "<=", "value": str(l_now)}]},
        },
    )
    assert r.status_code == 201 and r.json()["version"] == 2
    v1 = PolicyVersion.objects.get(policy=pol, version=1)
    assert str(v1.valid_to) == "2030-01-01"
    # today the first version still applies: cement is still a near miss, not a match
    assert Match.objects.get(enterprise=pw.world.cement, policy=pol, is_current=True).status == Match.Status.NEAR


def test_the_enterprise_reads_its_matches_and_not_anothers(pw: PolicyWorld) -> None:
    _pkg, pol = publish(pw)
    cement = pw.world.cement
    r = api(pw, "cement").get(f"/api/policy/enterprises/{cement.pk}/matches")
    assert r.status_code == 200
    [m] = r.json()
    assert (m["policy_id"], m["status"], m["committed"]) == (pol.pk, "near", None)
    assert [o["status"] for o in m["outcomes"]] == ["met", "missed"]
    l_now = intensity(cement)
    bound = Decimal(m["outcomes"][1]["condition"]["value"])
    assert Decimal(m["outcomes"][1]["delta"]) == bound - l_now
    assert m["facts"]["intensity"]["source"]["kind"] == "rating_result"
    assert api(pw, "steel").get(f"/api/policy/enterprises/{cement.pk}/matches").status_code == 404
    assert api(pw, "cement").get("/api/policy/matches").status_code == 404  # the overview is the government's
    assert Policy.objects.filter(pk=pol.pk).exists()

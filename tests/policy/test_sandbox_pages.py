"""Sandbox pages and API (policy/views.py, policy/api.py): the government drafts, runs and adopts in both languages;
a bad draft is refused with located errors (page and API, both languages) and nothing written; enterprises, banks
and verifiers get 404."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from dualcarbon.policy import sandbox
from dualcarbon.policy.models import SandboxDraft
from tests.policy.conftest import YEAR, PolicyWorld
from tests.policy.test_api import api, post
from tests.policy.test_views import client_for, publish
from tests.snapshots import rows

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("policy")]

SANDBOX_TABLES = ("policy.sandboxdraft", "policy.sandboxrun", "rating.ratingscheme", "rating.regionratingchoice")


def scheme_draft(pw: PolicyWorld) -> SandboxDraft:
    return sandbox.create_draft(
        pw.users["gov"],
        pw.world.city,
        kind="scheme",
        title="收紧 1、2 级",
        changes={"grade_bounds": [0.3, 0.5, 1.2, 2]},
    )


def test_the_officer_drafts_runs_and_adopts_on_the_pages_in_both_languages(pw: PolicyWorld) -> None:
    publish(pw)
    c = client_for(pw, "gov")
    r = c.post(reverse("policy:sandbox"), {"kind": "scheme", "region": "339900", "title": "收紧门槛"})
    assert r.status_code == 302
    draft = SandboxDraft.objects.get(title="收紧门槛")
    page = c.get(r["Location"]).content.decode()
    assert 'name="grade_bounds_1" value="0.8"' in page  # the form starts from the scheme in force
    before = rows(*SANDBOX_TABLES)
    bad = {"grade_bounds_0": "0.6", "grade_bounds_1": "abc", "grade_bounds_2": "1.2", "grade_bounds_3": "2"}
    r = c.post(
        reverse("policy:sandbox_draft", args=[draft.pk]), {**bad, "level_bounds_0": "0.6", "level_bounds_1": "2"}
    )
    assert r.status_code == 422
    assert "碳效等级阈值 · 第 2 个：“abc”不是数字" in r.content.decode()
    assert 'name="grade_bounds_1" value="abc"' in r.content.decode()  # what was typed stays in the form
    assert rows(*SANDBOX_TABLES) == before
    good = {**bad, "grade_bounds_1": "0.5", "grade_bounds_0": "0.3"}
    r = c.post(
        reverse("policy:sandbox_draft", args=[draft.pk]), {**good, "level_bounds_0": "0.6", "level_bounds_1": "2"}
    )
    assert r.status_code == 302
    draft.refresh_from_db()
    assert draft.changes == {"grade_bounds": [0.3, 0.5, 1.2, 2.0]}
    r = c.post(reverse("policy:sandbox_run", args=[draft.pk]), {"year": YEAR})
    assert r.status_code == 302
    run = draft.runs.get()
    for lang, words in (
        ("zh-hans", ("等级分布：现行与草案", "升降级：按县区")),
        ("en", ("Grade distribution", "by district")),
    ):
        html = client_for(pw, "gov", lang).get(r["Location"]).content.decode()
        for w in words:
            assert w in html, (lang, w)
    html = c.get(r["Location"]).content.decode()
    shifted = [d for d in run.figures["distribution"] if d["live"] != d["draft"]]
    assert shifted  # the tighter thresholds move grades
    for d in run.figures["distribution"]:
        assert f'data-live="{d["live"]}"' in html and f'data-draft="{d["draft"]}"' in html
    r = c.post(reverse("policy:sandbox_adopt", args=[draft.pk]), {"valid_from": "nonsense"})
    assert r.status_code == 422 and "不是日期" in r.content.decode()
    r = c.post(reverse("policy:sandbox_adopt", args=[draft.pk]), {"valid_from": f"{YEAR}-01-01"})
    assert r.status_code == 302
    html = c.get(r["Location"]).content.decode()
    assert "zj-efficiency-code@339900 v1" in html and reverse("policy:sandbox_result", args=[run.pk]) in html


def test_the_api_creates_runs_reads_and_adopts_and_refuses_located(pw: PolicyWorld) -> None:
    _pkg, pol = publish(pw)
    c = api(pw, "gov", "en")
    before = rows(*SANDBOX_TABLES)
    r = post(
        c,
        "/api/policy/sandbox/drafts",
        {
            "kind": "policy",
            "title": "bad",
            "policy_id": pol.pk,
            "changes": {"budget": "-1", "rule": {"all": [{"fact": "grade", "op": "<=", "value": "x"}]}},
        },
    )
    assert r.status_code == 422
    errors = {e["column"]: e for e in r.json()["errors"]}
    assert set(errors) == {"changes.budget", "changes.rule.all[0].value"}
    assert "negative" in errors["changes.budget"]["message"] and "负数" in errors["changes.budget"]["message_zh"]
    assert rows(*SANDBOX_TABLES) == before
    r = post(
        c,
        "/api/policy/sandbox/drafts",
        {"kind": "policy", "title": "Raise the cap", "policy_id": pol.pk, "changes": {"budget": "900000"}},
    )
    assert r.status_code == 201, r.content
    draft_id = r.json()["id"]
    r = c.patch(
        f"/api/policy/sandbox/drafts/{draft_id}",
        data=json.dumps({"changes": {"budget": "800000"}}),
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["changes"] == {"budget": "800000.00"}
    r = post(c, f"/api/policy/sandbox/drafts/{draft_id}/runs", {"year": YEAR})
    assert r.status_code == 201
    run = r.json()
    budget = next(b for b in run["figures"]["budgets"] if b["policy"] == pol.pk)
    assert budget["draft_cap"] == "800000.00"
    assert c.get(f"/api/policy/sandbox/runs/{run['id']}").json()["figures"] == run["figures"]
    r = post(c, f"/api/policy/sandbox/drafts/{draft_id}/adopt", {"valid_from": "2025-07-01"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "adopted" and body["impact_run_id"] == run["id"] and body["adopted_version_id"]
    assert "/api/policy/sandbox/drafts/{sandbox_id}/adopt" in Client().get("/api/openapi.json").json()["paths"]


def test_others_get_404_and_change_nothing(pw: PolicyWorld) -> None:
    draft = scheme_draft(pw)
    run = sandbox.run(pw.users["gov"], draft, YEAR)
    before = rows(*SANDBOX_TABLES)
    for who in ("cement", "bank", "verifier"):
        c = client_for(pw, who)
        for url in (
            reverse("policy:sandbox"),
            reverse("policy:sandbox_draft", args=[draft.pk]),
            reverse("policy:sandbox_result", args=[run.pk]),
        ):
            assert c.get(url).status_code == 404, (who, url)
        assert c.post(reverse("policy:sandbox_run", args=[draft.pk])).status_code in (403, 404)
    # the district government does not see its city's drafts
    assert client_for(pw, "district").get(reverse("policy:sandbox_draft", args=[draft.pk])).status_code == 404
    assert api(pw, "cement").get(f"/api/policy/sandbox/runs/{run.pk}").status_code == 404
    assert rows(*SANDBOX_TABLES) == before

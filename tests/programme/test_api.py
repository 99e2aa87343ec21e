"""/api/programme/: a group lead changes a project (a new version), bad input is refused with located errors in
both languages and changes nothing, the list on a date, the board's figures, the dispatch check (idempotent),
and what enterprises and other groups are refused."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from dualcarbon.programme.models import EntryVersion
from tests.web.helpers import login

pytestmark = pytest.mark.django_db


def _client(pw, who: str, lang: str = "zh-hans") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    return login(c, pw.users[who])


def _patch(c: Client, url: str, body: dict) -> tuple[int, dict]:
    r = c.patch(url, data=json.dumps(body), content_type="application/json")
    return r.status_code, r.json()


def test_a_group_lead_changes_a_project_and_the_version_is_kept(pw):
    p1 = pw.entries["p1"]
    url = f"/api/programme/entries/project/{p1.pk}"
    code, body = _patch(
        _client(pw, "industry"), url, {"fields": {"expected_tco2": "8600", "stage": "construction"}, "reason": "复核"}
    )
    assert code == 200, body
    assert body["version"] == 2 and body["data"]["expected_tco2"] == "8600.00"
    v = body["versions"][0]
    assert (v["version"], v["changed_by"], v["reason"]) == (2, "industry", "复核")
    assert v["changes"] == {"expected_tco2": ["8100.00", "8600.00"]}
    # the list as it stood before the change
    r = _client(pw, "gov").get(f"/api/programme/programmes/{pw.programme.pk}/lists/project?on=2024-03-31")
    assert [(e["data"]["code"], e["version"], e["data"]["expected_tco2"]) for e in r.json()] == [("P-01", 1, "8100.00")]


def test_bad_input_is_located_in_both_languages_and_changes_nothing(pw):
    p1 = pw.entries["p1"]
    url = f"/api/programme/entries/project/{p1.pk}"
    for lang, expected in (("zh-hans", "“十亿”不是数字"), ("en", "“十亿” is not a number")):
        code, body = _patch(_client(pw, "industry", lang), url, {"fields": {"investment": "十亿"}, "reason": "调整"})
        assert code == 422
        finding = body["errors"][0]
        assert finding["column"] == "investment" and finding["message"] == expected
        assert finding["message_zh"] == "“十亿”不是数字" and finding["message_en"] == "“十亿” is not a number"
    code, body = _patch(_client(pw, "industry"), url, {"fields": {"investment": "1"}, "reason": ""})
    assert code == 422 and body["errors"][0]["column"] == "reason"
    assert EntryVersion.objects.filter(kind="project", entry_id=p1.pk).count() == 1


def test_refusals_other_groups_localities_and_enterprises(pw):
    p1 = pw.entries["p1"]
    url = f"/api/programme/entries/project/{p1.pk}"
    body = {"fields": {"investment": "1"}, "reason": "越权"}
    assert _patch(_client(pw, "district"), url, body)[0] == 403  # reads its locality's project, may not change it
    assert _patch(_client(pw, "transport"), url, body)[0] == 404  # another group's project: not there
    for who in ("cement", "bank"):
        c = _client(pw, who)
        assert _patch(c, url, body)[0] == 404
        assert c.get(url).status_code == 404
        assert c.get(f"/api/programme/programmes/{pw.programme.pk}/board").status_code == 404
        assert c.get("/api/programme/programmes").json() == []
    assert EntryVersion.objects.filter(kind="project", entry_id=p1.pk).count() == 1


def test_board_and_dispatch_check(pw):
    c = _client(pw, "gov")
    board = c.get(f"/api/programme/programmes/{pw.programme.pk}/board").json()
    assert board["total"]["tasks"] == 5 and board["total"]["overdue"] == 1 and board["total"]["at_risk"] == 1
    by_group = {g["name"]: g for g in board["by_group"]}
    assert by_group["工业"]["tasks"] == 2 and by_group["工业"]["done"] == 1
    assert by_group["工业"]["investment"] == "86000000.00" and by_group["交通"]["expected_tco2"] == "3300.00"
    assert {m["key"] for m in board["by_measure"]} == {"五降", "一协"}
    assert [t["code"] for t in board["overdue"]] == ["T-01"]
    url = f"/api/programme/programmes/{pw.programme.pk}/dispatch-check"
    first = c.post(url).json()
    assert (first["overdue"], first["at_risk"], first["created"]) == (1, 1, 2)
    assert c.post(url).json()["created"] == 0
    assert _client(pw, "district").post(url).status_code == 403
    district = _client(pw, "district").get(f"/api/programme/programmes/{pw.programme.pk}/tasks").json()
    assert {t["code"]: t["status"] for t in district} == {"T-01": "overdue", "T-03": "done"}

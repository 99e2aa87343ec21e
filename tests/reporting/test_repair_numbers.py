"""``dualcarbon repair_numbers``: a month broken by a stored number the database cannot read back (written before
the number rule) is listed, and its draft put in a state the enterprise can fix; a submitted version is never
changed. SQLite only: PostgreSQL refuses such values when they are written (numeric overflow)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from dualcarbon.registry import api_tokens
from dualcarbon.reporting import services
from dualcarbon.reporting.models import ActivityRecord, EconomicRecord, Submission, ValidationIssue
from tests.factories import build_world, cement_month

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'sqlite'", reason="PostgreSQL never stores such values"),
]


def _break(table: str, column: str, pk: int, raw: object) -> None:
    with connection.cursor() as cursor:  # what the API stored before the rule: SQLite keeps it as it came
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [raw, pk])


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("repair_numbers", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_broken_draft_is_listed_then_blanked_with_a_located_finding_and_the_month_works_again():
    world = build_world()
    user, org = world.users["cement"], world.cement
    key = api_tokens.issue(user, "repair")[1]
    draft = services.write_draft(user, org, 2026, 11, services.DraftData(**cement_month()))
    coal = draft.activities.get(item="原煤")
    _break("reporting_activityrecord", "quantity", coal.pk, 1e20)
    _break("reporting_activityrecord", "ncv", draft.activities.get(item="柴油").pk, "Infinity")
    _break("reporting_economicrecord", "value_added", EconomicRecord.objects.get(submission=draft).pk, 1e15)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}", raise_request_exception=False)
    assert api.get(f"/api/reporting/submissions/{draft.pk}").status_code == 500  # broken for good, before

    listed = _run("--dry-run")
    assert listed.count("draft ") == 3 and "1e+20" in listed and "nothing changed" in listed
    assert ValidationIssue.objects.filter(rule="repaired_number").count() == 0

    done = _run()
    assert "repaired 3 value(s) in 1 draft(s)" in done
    assert ActivityRecord.objects.get(pk=coal.pk).quantity == 0  # may not be empty: 0, with an error finding
    assert ActivityRecord.objects.get(item="柴油", submission=draft).ncv is None
    assert EconomicRecord.objects.get(submission=draft).value_added == 0
    found = {(i.sheet, i.row, i.column) for i in ValidationIssue.objects.filter(rule="repaired_number")}
    assert found == {("", 1, "quantity"), ("", 2, "ncv"), ("经济数据", None, "value_added")}
    issue = ValidationIssue.objects.filter(rule="repaired_number", column="quantity").get()
    assert "1e+20" in issue.message_zh and "保存草稿" in issue.message_zh and "save the draft" in issue.message_en
    assert _run().startswith("no unreadable numbers")

    # the month answers again, and the finding blocks submitting until the draft is saved again
    assert api.get(f"/api/reporting/submissions/{draft.pk}").status_code == 200
    blocked = api.post("/api/reporting/periods/2026/11/submit")
    assert blocked.status_code == 422 and "repaired_number" in {e["rule"] for e in blocked.json()["errors"]}
    saved = api.put("/api/reporting/periods/2026/11/draft", json.dumps(cement_month()), content_type="application/json")
    assert saved.status_code == 200 and not ValidationIssue.objects.filter(rule="repaired_number").exists()
    assert api.post("/api/reporting/periods/2026/11/submit").status_code == 200


def test_a_submitted_version_is_listed_and_never_changed():
    world = build_world()
    user, org = world.users["cement"], world.cement
    draft = services.write_draft(user, org, 2026, 10, services.DraftData(**cement_month()))
    sub = services.submit(user, draft)
    coal = sub.activities.get(item="原煤")
    _break("reporting_activityrecord", "quantity", coal.pk, 1e20)
    with pytest.raises(CommandError, match="never changed"):
        _run()
    with connection.cursor() as cursor:
        cursor.execute("SELECT quantity FROM reporting_activityrecord WHERE id = %s", [coal.pk])
        assert cursor.fetchone()[0] == 1e20
    assert Submission.objects.get(pk=sub.pk).status == "submitted"
    assert not ValidationIssue.objects.filter(rule="repaired_number").exists()

"""Twenty writers of one month at once: API PUTs, API submits, API corrections, web submits. No server error;
each accepted write (200/201/302) is exactly one stored state; every loser answers 409 in the user's language.

SQLite: the platform runs in a subprocess against a file database (the suite's in-memory shared-cache database
cannot show this): the real settings — WAL, a busy timeout, ``BEGIN IMMEDIATE`` — with twenty threads requesting
over loopback. PostgreSQL (``tests/run_pg.py``): twenty threads through the WSGI handler in process, each with its
own connection; the period row is locked with ``SELECT … FOR UPDATE``."""

from __future__ import annotations

import http.client
import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.registry import api_tokens
from dualcarbon.reporting.models import ActivityRecord, Submission
from tests.factories import build_world, cement_month

ROOT = Path(__file__).resolve().parents[2]
WRITERS = 20
YEAR, MONTH = 2025, 3

#: (method, path, JSON body or form, headers) → (status, JSON body or None)
Request = Callable[[str, str, Any, dict[str, str]], tuple[int, Any]]


def _burst(n: int, call: Callable[[int], tuple[int, Any]]) -> list[tuple[int, Any]]:
    """n threads released together; their answers in thread order."""
    start = threading.Barrier(n)
    out: list[Any] = [None] * n

    def run(i: int) -> None:
        start.wait()
        try:
            out[i] = call(i)
        except Exception as exc:  # a broken connection is a failure to report, not a hang
            out[i] = (-1, repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return out


def _scenario(request: Request, key: str, session: str, org_id: int) -> dict[str, Counter[int]]:
    api = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    base = f"/api/reporting/periods/{YEAR}/{MONTH}"
    seen: dict[str, Counter[int]] = {}

    def check(name: str, answers: list[tuple[int, Any]]) -> Counter[int]:
        statuses = Counter(status for status, _body in answers)
        seen[name] = statuses
        assert set(statuses) <= {200, 201, 302, 409}, (name, statuses, [b for s, b in answers if s not in (200, 409)])
        for status, body in answers:
            if status == 409 and body is not None:  # the API's error shape, in Chinese by default
                assert set(body) == {"detail", "errors", "request_id"} and body["detail"], body
        return statuses

    # 1. twenty drafts of the month, each with its own coal quantity: every accepted one was the whole draft once
    puts = _burst(WRITERS, lambda i: request("PUT", f"{base}/draft", cement_month(coal=7000 + i), api))
    statuses = check("PUT draft", puts)
    assert statuses[200] >= 1
    accepted = {7000 + i for i, (status, _b) in enumerate(puts) if status == 200}
    drafts = {body["submission_id"] for status, body in puts if status == 200}
    assert len(drafts) == 1  # one draft, never two version 1s
    (draft_id,) = drafts
    status, detail = request("GET", f"/api/reporting/submissions/{draft_id}", None, api)
    assert status == 200 and len(detail["activities"]) == 4  # no records of two writers mixed
    assert float(detail["activities"][0]["quantity"]) in accepted

    # 2. twenty submits of that draft: one wins, the others are told it is no longer there
    statuses = check("POST submit", _burst(WRITERS, lambda i: request("POST", f"{base}/submit", {}, api)))
    assert statuses == Counter({200: 1, 409: WRITERS - 1}), statuses

    # 3. twenty corrections: one opens version 2
    body = {"reason": "按结算单更正原煤用量"}
    statuses = check("POST corrections", _burst(WRITERS, lambda i: request("POST", f"{base}/corrections", body, api)))
    assert statuses == Counter({201: 1, 409: WRITERS - 1}), statuses

    # 4. twenty web submits of version 2 (a signed-in browser each): one redirect to the month, 409 pages for the rest
    web = {
        "Cookie": f"sessionid={session}; csrftoken={'c' * 32}",
        "X-CSRFToken": "c" * 32,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    path = f"/report/{YEAR}/{MONTH}/submit/?org={org_id}"
    statuses = check("web submit", _burst(WRITERS, lambda i: request("POST", path, f"org={org_id}", web)))
    assert statuses == Counter({302: 1, 409: WRITERS - 1}), statuses
    return seen


def _final_state(org_id: int) -> None:
    subs = Submission.objects.filter(enterprise_id=org_id, period__year=YEAR, period__month=MONTH)
    assert sorted(subs.values_list("version", "status", "is_current")) == [
        (1, "submitted", False),
        (2, "submitted", True),
    ]
    assert ActivityRecord.objects.filter(submission__in=subs).count() == 8
    assert AccountEntry.objects.filter(submission__in=subs, is_current=True).count() == 1


def _world() -> tuple[int, str, str]:
    world = build_world()
    user = world.users["cement"]
    key = api_tokens.issue(user, "burst")[1]
    browser = Client()
    browser.force_login(user)
    return world.cement.pk, key, browser.cookies["sessionid"].value


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_twenty_writers_of_one_month_on_a_file_sqlite_database(tmp_path: Path) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL: test_twenty_writers_of_one_month_on_postgresql")
    org_id, key, session = _world()
    db = tmp_path / "burst.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(db)
    connection.connection.backup(target)  # the migrated, populated test database, as a file
    target.close()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "DUALCARBON_VAR": str(tmp_path / "var")}
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "api" / "_serve.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(server.stdout.readline() if server.stdout else ""))
        reader.start()
        reader.join(timeout=120)
        assert line and line[0].startswith("PORT "), (tmp_path / "server.log").read_text()
        port = int(line[0].split()[1])

        def request(method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            payload = body if isinstance(body, str) or body is None else json.dumps(body)
            conn.request(method, path, body=payload, headers=headers)
            answer = conn.getresponse()
            raw = answer.read()
            conn.close()
            is_json = answer.getheader("Content-Type", "").startswith("application/json")
            return answer.status, json.loads(raw) if is_json else None

        seen = _scenario(request, key, session, org_id)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    print(f"\nSQLite file, {WRITERS} writers each: {seen}")
    # the file the server wrote is the state to judge
    check = sqlite3.connect(db)
    rows = check.execute(
        "SELECT s.version, s.status, s.is_current FROM reporting_submission s JOIN reporting_reportingperiod p "
        "ON p.id = s.period_id WHERE s.enterprise_id = ? AND p.year = ? AND p.month = ? ORDER BY s.version",
        (org_id, YEAR, MONTH),
    ).fetchall()
    records = check.execute(
        "SELECT count(*) FROM reporting_activityrecord a JOIN reporting_submission s ON s.id = a.submission_id "
        "WHERE s.enterprise_id = ?",
        (org_id,),
    ).fetchone()[0]
    check.close()
    assert rows == [(1, "submitted", 0), (2, "submitted", 1)], rows
    assert records == 8
    assert "Traceback" not in (tmp_path / "server.log").read_text()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_twenty_writers_of_one_month_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("runs on PostgreSQL (tests/run_pg.py); SQLite: the file-database test")
    org_id, key, session = _world()

    def request(method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        client = Client()
        client.cookies["sessionid"] = session
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
        content_type = headers.get("Content-Type", "application/json")
        payload = body if isinstance(body, str) else json.dumps(body or {})
        answer = client.generic(method, path, payload, content_type=content_type, **extra)
        is_json = answer.get("Content-Type", "").startswith("application/json")
        return answer.status_code, answer.json() if is_json else None

    seen = _scenario(request, key, session, org_id)
    print(f"\nPostgreSQL, {WRITERS} writers each: {seen}")
    _final_state(org_id)

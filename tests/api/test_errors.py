"""The API keeps its own contract: every error is ErrorOut (detail, located errors, request_id), in the request's
language, declared on every route with every status it can answer; one rule for an invalid month."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from django.test import Client

from dualcarbon.reporting.models import Submission
from dualcarbon.reporting.schemas import ERROR_STATUSES
from tests.factories import cement_month

from .conftest import BASE, client, post, put
from .helpers import table_counts

ERROR_KEYS = {"detail", "errors", "request_id"}


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["request_id"] == response["X-Request-ID"]
    return body


def test_a_negative_quantity_is_a_located_error_out_in_the_request_language(world, key):
    month = cement_month()
    month["activities"][1]["quantity"] = -21.5
    before = table_counts()
    body = _error(put(client(key), "/periods/2026/9/draft", month), 422)
    (finding,) = body["errors"]
    where = (finding["sheet"], finding["row"], finding["column"], finding["rule"])
    assert where == ("activities", 2, "quantity", "negative")
    assert finding["message"] == finding["message_zh"] and "不能为负" in finding["message_zh"]
    assert "must not be negative" in finding["message_en"]
    assert "数据有误" in body["detail"]
    english = _error(put(client(key, "en"), "/periods/2026/9/draft", month), 422)
    assert english["errors"][0]["message"] == finding["message_en"] and "invalid" in english["detail"]
    assert table_counts() == before


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("quantity", "1E+20", "too_large"),
        ("quantity", 1e308, "too_large"),
        ("quantity", "12345678901234567", "too_large"),
        ("quantity", "NaN", "not_a_number"),
        ("quantity", "Infinity", "not_a_number"),
        ("ncv", "#VALUE!", "not_a_number"),
        ("ncv", "2024-01-31", "not_a_number"),
        ("quantity", "1\u200b00", "not_a_number"),
        ("quantity", "١٠٠", "not_a_number"),
    ],
)
def test_numbers_the_database_cannot_hold_are_refused_before_anything_is_written(world, key, field, value, rule):
    month = cement_month()
    month["activities"][0][field] = value
    before = table_counts()
    body = _error(put(client(key), "/periods/2026/11/draft", month), 422)
    assert [(e["sheet"], e["row"], e["column"], e["rule"]) for e in body["errors"]] == [("activities", 1, field, rule)]
    assert table_counts() == before
    # the month is not broken: a good draft saves and reads back
    good = put(client(key), "/periods/2026/11/draft", cement_month())
    assert good.status_code == 200
    assert client(key).get(f"{BASE}/submissions/{good.json()['submission_id']}").status_code == 200


def test_economic_value_added_over_its_field_is_refused(world, key):
    month = cement_month()
    month["economic"]["value_added"] = 1e15
    body = _error(put(client(key), "/periods/2026/11/draft", month), 422)
    assert [(e["sheet"], e["column"], e["rule"]) for e in body["errors"]] == [("economic", "value_added", "too_large")]
    assert "13" in body["errors"][0]["message_zh"]
    assert not Submission.objects.exists()


def test_full_width_digits_are_read_as_ascii(world, key):
    month = cement_month()
    month["activities"][0]["quantity"] = "７１００"
    saved = put(client(key), "/periods/2026/10/draft", month)
    assert saved.status_code == 200, saved.content
    detail = client(key).get(f"{BASE}/submissions/{saved.json()['submission_id']}").json()
    assert float(detail["activities"][0]["quantity"]) == 7100


def test_missing_or_bad_token_is_a_declared_401(world, key):
    for c in (Client(), client("dc_not-a-key"), Client(HTTP_AUTHORIZATION=f"Token {key}")):
        body = _error(c.get(BASE + "/periods"), 401)
        assert "令牌" in body["detail"]
    english = client("dc_not-a-key", "en").get(BASE + "/periods")
    assert "token" in _error(english, 401)["detail"]
    assert english["WWW-Authenticate"] == "Bearer"


def test_unknown_enterprise_ratings_is_a_404_error_out(world, key):
    body = _error(client(key).get("/api/rating/enterprises/37/ratings"), 404)
    assert body["errors"] == []
    assert _error(client(key).get(f"{BASE}/submissions/999999"), 404)["detail"] == "报送不存在"


def test_an_empty_correction_reason_is_a_located_422(world, key):
    put(client(key), "/periods/2026/1/draft", cement_month())
    post(client(key), "/periods/2026/1/submit")
    for reason in ("", "   "):
        body = _error(post(client(key), "/periods/2026/1/corrections", {"reason": reason}), 422)
        assert [(e["column"], e["rule"]) for e in body["errors"]] == [("reason", "required")]
    assert Submission.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/periods?year=abc"),
        ("get", "/periods?year=1850"),
        ("get", "/periods?year=99999999999999999999999"),
        ("put", "/periods/2026/13/draft"),
        ("put", "/periods/1999/1/draft"),
        ("put", "/periods/2026/abc/draft"),
        ("post", "/periods/2026/13/submit"),
        ("post", "/periods/2026/0/corrections"),
    ],
)
def test_one_rule_for_an_invalid_month(world, key, method, path):
    c = client(key)
    body = {"reason": "更正"} if path.endswith("corrections") else cement_month()
    response = c.get(BASE + path) if method == "get" else (put if method == "put" else post)(c, path, body)
    assert _error(response, 400)["detail"] == "报告期无效"
    assert _error(client(key, "en").get(BASE + "/periods?year=1850"), 400)["detail"] == "Invalid reporting period"
    assert not Submission.objects.exists()


def test_state_conflicts_are_409(world, key):
    c = client(key)
    assert _error(post(c, "/periods/2026/2/submit"), 409)["detail"] == "该月没有待提交的草稿"
    assert _error(post(c, "/periods/2026/2/corrections", {"reason": "x"}), 409)
    put(c, "/periods/2026/2/draft", cement_month())
    assert post(c, "/periods/2026/2/submit").status_code == 200
    assert "更正" in _error(put(c, "/periods/2026/2/draft", cement_month()), 409)["detail"]
    assert _error(post(c, "/periods/2026/2/submit"), 409)
    assert post(c, "/periods/2026/2/corrections", {"reason": "按结算单更正"}).status_code == 201
    assert _error(post(c, "/periods/2026/2/corrections", {"reason": "again"}), 409)


def test_a_body_that_is_not_json_is_a_400(world, key):
    response = client(key).put(BASE + "/periods/2026/3/draft", "{not json", content_type="application/json")
    assert "JSON" in _error(response, 400)["detail"]


def test_every_route_declares_every_error_status_as_error_out():
    doc = Client().get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    operations = [(p, m, op) for p, ops in doc["paths"].items() for m, op in ops.items()]
    assert len(operations) >= 6
    for path, method, op in operations:
        responses = op["responses"]
        for status in ERROR_STATUSES:
            ref = responses[str(status)]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorOut"), (path, method, status)
        assert all(t.isascii() for t in op["tags"]), op["tags"]
    assert {t["name"] for t in doc["tags"]} == {
        "reporting",
        "rating",
        "accounts",
        "finance",
        "planning",
        "policy",
        "assets",
        "programme",
        "monitoring",
    }
    error_out = doc["components"]["schemas"]["ErrorOut"]["properties"]
    assert {"detail", "errors", "request_id"} <= set(error_out)


def test_no_deprecated_tuple_answers(world, key):
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*tuple.*deprecated.*", category=DeprecationWarning)
        c = client(key)
        assert put(c, "/periods/2026/4/draft", cement_month()).status_code == 200
        assert post(c, "/periods/2026/4/submit").status_code == 200
        assert post(c, "/periods/2026/4/corrections", {"reason": "更正"}).status_code == 201
        assert c.get(BASE + "/periods?year=2026").status_code == 200
        assert c.get(f"/api/rating/enterprises/{world.cement.pk}/ratings").status_code == 200


def test_no_two_schemas_of_the_api_share_a_name() -> None:
    """OpenAPI names a component after its schema class: two apps' classes of one name collapse into one component,
    and a generated client then builds one app's request body from the other's model (the sandbox's ``DraftIn`` once
    replaced reporting's)."""
    from ninja import Schema

    from dualcarbon.api import api

    api.get_openapi_schema()  # every router imported
    modules: dict[str, set[str]] = {}

    def walk(cls: type) -> None:
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("dualcarbon."):
                modules.setdefault(sub.__name__, set()).add(sub.__module__)
            walk(sub)

    walk(Schema)
    assert {name: where for name, where in modules.items() if len(where) > 1} == {}


def test_a_query_value_off_its_pattern_is_a_located_422_not_a_server_error(world, key):
    """A pattern with a quantifier (``\\d{4}``) in pydantic's message is no placeholder of the answer's template."""
    for lang, text in (("zh", "格式不正确"), ("en", "is not in the expected format")):
        body = _error(client(key, lang).get("/api/reporting/meters/totals?period=2024-1x"), 422)
        (issue,) = body["errors"]
        assert text in issue["message"] and "2024-1x" in issue["message"] and issue["column"] == "period"


def test_a_misspelt_filter_is_refused_not_ignored(world, key):
    """A route whose parameters are all optional refuses one it does not know (``perod`` would else answer every
    month), naming it and the known ones."""
    body = _error(client(key).get("/api/reporting/meters/totals?perod=2024-01"), 422)
    (issue,) = body["errors"]
    assert "未知的查询参数：perod" in issue["message"] and "period" in issue["message"]
    body = _error(client(key, "en").get("/api/assets/claims?unit=ccer&serials=5"), 422)
    assert "unknown query parameter: serials" in body["errors"][0]["message"]

"""Production hardening of the web layer (docs/security.md): error pages, request ids in responses and logs,
JSON errors under /api/, the Content-Security-Policy, session timeouts, password rules, WhiteNoise."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse
from django.utils import translation

from dualcarbon.registry import api_tokens
from dualcarbon.web.middleware import LAST_ACTIVITY, SIGNED_IN_AT
from dualcarbon.web.passwords import shortest_period

from .helpers import fast_world, login

URL_LIST_MARKERS = ("Using the URLconf", "Django tried these URL patterns", "admin/", "DEBUG = True")


def _csp(response: Any) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


# --- 404 / 403 -----------------------------------------------------------------------------------------------


def test_debug_is_off_in_the_tests_too() -> None:
    assert django_settings.DEBUG is False


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "title", "other"),
    [("zh-hans", "页面不存在", "Page not found"), ("en", "Page not found", "页面不存在")],
)
def test_404_is_the_styled_page_in_the_visitors_language(client: Client, language: str, title: str, other: str) -> None:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    r = client.get("/no-such-page/")
    html = r.content.decode()
    assert r.status_code == 404
    assert 'id="error-404"' in html and title in html and other not in html
    assert "app.css" in html  # the site's layout, not Django's bare page
    for marker in URL_LIST_MARKERS:
        assert marker not in html, marker
    assert len(r["X-Request-ID"]) == 12


@pytest.mark.django_db
def test_api_404_is_json(client: Client) -> None:
    r = client.get("/api/no-such-endpoint")
    assert r.status_code == 404
    assert r["Content-Type"].startswith("application/json")
    assert r.json() == {"detail": "未找到", "errors": [], "request_id": r["X-Request-ID"]}


@pytest.mark.django_db
def test_403_page_is_styled(settings: Any) -> None:
    from django.core.exceptions import PermissionDenied

    from dualcarbon.web import views

    request = Client().get("/").wsgi_request
    response = views.permission_denied(request, PermissionDenied())
    html = response.content.decode()
    assert response.status_code == 403 and 'id="error-403"' in html and "无权访问" in html


# --- 500: styled page with the request id; the log has the traceback under the same id ------------------


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("deliberate failure for the 500 test")


def _console_handler() -> logging.Handler:
    for handler in logging.getLogger().handlers:
        if any(type(f).__name__ == "RequestIDFilter" for f in handler.filters):
            return handler
    raise AssertionError("no root handler with the RequestIDFilter: settings.LOGGING not applied")


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "title"), [("zh-hans", "服务器内部错误"), ("en", "Internal server error")])
def test_500_shows_the_request_id_the_log_record_carries(
    settings: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, language: str, title: str
) -> None:
    world = fast_world(settings)
    monkeypatch.setattr("dualcarbon.web.views.access.actor_for", _boom)  # the home page fails
    client = login(Client(raise_request_exception=False), world.users["gov"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    with caplog.at_level(logging.ERROR, logger="django.request"):
        r = client.get(reverse("web:home"))
    html = r.content.decode()
    request_id = r["X-Request-ID"]
    assert r.status_code == 500
    assert 'id="error-500"' in html and title in html
    assert f'<code id="request-id">{request_id}</code>' in html
    assert "Traceback" not in html and "deliberate failure" not in html and "RuntimeError" not in html

    errors = [rec for rec in caplog.records if rec.name == "django.request" and rec.levelno >= logging.ERROR]
    assert len(errors) == 1
    record = errors[0]
    assert record.request_id == request_id  # type: ignore[attr-defined]
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError
    line = _console_handler().format(record)
    assert f"[{request_id}]" in line and "Traceback (most recent call last)" in line
    assert "RuntimeError: deliberate failure for the 500 test" in line


@pytest.mark.django_db
def test_500_page_renders_without_database_or_request() -> None:
    """The template needs no request, no user and no database: a broken database is one reason for a 500."""
    from django.db import connection
    from django.template import loader
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries, translation.override("zh-hans"):
        html = loader.render_to_string("500.html", {"request_id": "abc123def456"})
    assert len(queries) == 0 and "abc123def456" in html and "服务器内部错误" in html


@pytest.mark.django_db
def test_api_500_is_json_with_the_request_id_and_no_traceback(
    settings: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    world = fast_world(settings)
    _token, key = api_tokens.issue(world.users["cement"], "500 test")
    monkeypatch.setattr("dualcarbon.rating.api.scoping.enterprises", _boom)
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        r = client.get(f"/api/rating/enterprises/{world.cement.pk}/ratings", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 500
    assert r["Content-Type"].startswith("application/json")
    body = r.json()
    assert body == {"detail": "服务器内部错误", "errors": [], "request_id": r["X-Request-ID"]}
    assert b"Traceback" not in r.content and b"deliberate" not in r.content
    [record] = [rec for rec in caplog.records if rec.name == "django.request" and rec.exc_info]
    assert record.request_id == body["request_id"]  # type: ignore[attr-defined]


def test_request_ids_differ_per_request(client: Client) -> None:
    ids = {client.get("/login/")["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3 and all(len(i) == 12 and int(i, 16) >= 0 for i in ids)


# --- Content-Security-Policy --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_csp_header_on_pages(settings: Any) -> None:
    world = fast_world(settings)
    anonymous = Client()
    pages = [anonymous.get("/login/"), anonymous.get("/no-such-page/")]
    gov = login(Client(), world.users["gov"])
    pages += [gov.get(reverse("accounting:region")), gov.get(reverse("rating:region"))]
    for r in pages:
        assert r.status_code in (200, 404), r.status_code
        csp = _csp(r)
        assert csp["script-src"] == "script-src 'self'"  # no inline script, no eval, no other origin
        assert csp["style-src"] == "style-src 'self'" and csp["style-src-attr"] == "style-src-attr 'unsafe-inline'"
        assert csp["object-src"] == "object-src 'none'" and csp["frame-ancestors"] == "frame-ancestors 'none'"
        assert csp["form-action"] == "form-action 'self'" and csp["base-uri"] == "base-uri 'none'"
        html = r.content.decode()
        assert "<script>" not in html and " onchange=" not in html and " onclick=" not in html


# --- sessions: idle timeout and absolute lifetime -------------------------------------------------------------


@pytest.mark.django_db
def test_idle_session_is_signed_out(settings: Any) -> None:
    settings.SESSION_IDLE_TIMEOUT = 120
    world = fast_world(settings)
    client = login(Client(), world.users["gov"])
    home = reverse("web:home")
    assert client.get(home).status_code == 302 and client.get(reverse("accounting:region")).status_code == 200
    session = client.session
    assert isinstance(session[LAST_ACTIVITY], float) and isinstance(session[SIGNED_IN_AT], float)

    session[LAST_ACTIVITY] = time.time() - 90  # active 90 s ago: still signed in, and the time is renewed
    session.save()
    assert client.get(reverse("accounting:region")).status_code == 200
    assert client.session[LAST_ACTIVITY] > time.time() - 5

    session = client.session
    session[LAST_ACTIVITY] = time.time() - 121  # idle longer than the timeout
    session.save()
    r = client.get(reverse("accounting:region"))
    assert r.status_code == 302 and r["Location"].startswith(reverse("web:login"))
    assert "_auth_user_id" not in client.session
    page = client.get(r["Location"]).content.decode()
    assert "长时间未操作，已自动退出" in page


@pytest.mark.django_db
def test_session_ends_after_its_absolute_age_despite_activity(settings: Any) -> None:
    settings.SESSION_COOKIE_AGE = 3600
    world = fast_world(settings)
    client = login(Client(), world.users["gov"])
    assert client.get(reverse("accounting:region")).status_code == 200
    session = client.session
    session[SIGNED_IN_AT] = time.time() - 3601
    session[LAST_ACTIVITY] = time.time() - 1
    session.save()
    assert client.get(reverse("accounting:region")).status_code == 302


def test_session_defaults() -> None:
    assert django_settings.SESSION_IDLE_TIMEOUT == 30 * 60
    assert django_settings.SESSION_COOKIE_AGE == 12 * 3600
    assert django_settings.SESSION_COOKIE_HTTPONLY and django_settings.CSRF_COOKIE_HTTPONLY


# --- passwords ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password", ["ent1ent1", "20262026", "ent1ent1ent1", "abcABCabcABC", "aaaaaaaaaaaa", "1234567890", "password123"]
)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationError):
        validate_password(password)


def test_repeated_pattern_is_refused_even_when_long_enough() -> None:
    with pytest.raises(ValidationError) as info:
        validate_password("ent1ent1ent1")
    assert "password_repeated_pattern" in [e.code for e in info.value.error_list]
    assert shortest_period("ent1ent1") == 4 and shortest_period("Demo-2026") == 9


@pytest.mark.django_db
def test_password_similar_to_the_user_name_is_refused(django_user_model: Any) -> None:
    user = django_user_model(username="zhangwei2026", first_name="Wei", last_name="Zhang")
    with pytest.raises(ValidationError):
        validate_password("zhangwei2026", user)


@pytest.mark.parametrize("password", ["Kq7#vL2m!pZ4", "绿色低碳-Tan-2026!", "correct horse battery staple"])
def test_strong_passwords_are_accepted(password: str) -> None:
    validate_password(password)


@pytest.mark.django_db
def test_demo_password_still_signs_in(settings: Any, django_user_model: Any) -> None:
    """The demo generator sets its shared password directly (no validation): it keeps working."""
    from django.contrib.auth.hashers import make_password

    from dualcarbon.demo.generator import PASSWORD

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    user = django_user_model.objects.create(username="ent-demo", password=make_password(PASSWORD))
    assert user.check_password(PASSWORD)


# --- static files: WhiteNoise with DEBUG off ------------------------------------------------------------------


@pytest.mark.django_db
def test_whitenoise_serves_collected_static_files_with_debug_off(settings: Any, tmp_path: Path) -> None:
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "dualcarbon.web.staticfiles.StaticStorage"}}
    call_command("collectstatic", interactive=False, verbosity=0)
    assert not django_settings.DEBUG
    client = Client()  # a new handler: WhiteNoise reads the collected files at start

    plain = client.get("/static/web/app.css")
    assert plain.status_code == 200 and plain["Content-Type"].startswith("text/css")
    assert b".topbar" in b"".join(plain.streaming_content)  # type: ignore[attr-defined]

    hashed = static("web/app.css")  # what the pages name: content-hashed, cached for a year
    assert hashed != "/static/web/app.css" and hashed.startswith("/static/web/app.")
    r = client.get(hashed, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and "immutable" in r["Cache-Control"] and r["Content-Encoding"] == "gzip"
    assert client.get("/static/web/app.js").status_code == 200
    assert client.get("/login/").content.decode().count(hashed) == 1

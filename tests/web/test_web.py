"""Layout, login (with lockout), logout, language switch, and the home page that routes by role."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from tests.factories import PASSWORD
from tests.web.helpers import fast_world, login

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings):
    return fast_world(settings)


def test_urls():
    assert reverse("web:home") == "/"
    assert reverse("web:login") == "/login/"
    assert reverse("web:logout") == "/logout/"
    assert reverse("accounting:enterprise", args=[7]) == "/accounts/enterprise/7/"
    assert reverse("accounting:entry", args=[7]) == "/accounts/entry/7/"
    assert reverse("accounting:region") == "/accounts/region/"
    assert reverse("accounting:export", args=[7]) == "/accounts/enterprise/7/export.xlsx"
    assert reverse("accounting:report", args=[7]) == "/accounts/enterprise/7/report.pdf"
    assert django_settings.LOGIN_URL == "web:login" and django_settings.LOGIN_REDIRECT_URL == "web:home"


def test_login_page_and_successful_login(client, world):
    response = client.get(reverse("web:login"))
    assert response.status_code == 200 and "登录双碳平台" in response.content.decode()
    response = client.post(reverse("web:login"), {"username": "cement", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("web:home")
    response = client.get(reverse("web:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounting:enterprise", args=[world.cement.pk])


def test_wrong_password_shows_an_error_and_repeated_failures_lock_out(client, world, settings):
    response = client.post(reverse("web:login"), {"username": "cement", "password": "wrong"})
    assert response.status_code == 200 and 'class="alert error"' in response.content.decode()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("web:login"), {"username": "cement", "password": "wrong"})
    assert response.status_code == 429
    html = response.content.decode()
    assert "账号已暂时锁定" in html and "双碳平台" in html  # our template, inside the layout
    # even the right password is refused while locked
    response = client.post(reverse("web:login"), {"username": "cement", "password": PASSWORD})
    assert response.status_code == 429


def test_logout_is_a_post(client, world):
    login(client, world.users["gov"])
    assert client.get(reverse("web:logout")).status_code == 405
    response = client.post(reverse("web:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("web:login")
    assert client.get(reverse("web:home")).status_code == 302


def test_home_routes_by_role(client, world):
    expected = {
        "cement": reverse("accounting:enterprise", args=[world.cement.pk]),
        "steel": reverse("accounting:enterprise", args=[world.steel.pk]),
        "gov": reverse("accounting:region"),
        "district": reverse("accounting:region"),
        "admin": reverse("accounting:region"),
    }
    for name, url in expected.items():
        login(client, world.users[name])
        response = client.get(reverse("web:home"))
        assert response.status_code == 302 and response["Location"] == url, name
    anonymous = client.__class__()
    response = anonymous.get(reverse("web:home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))


def test_bank_and_verifier_home_lists_the_enterprises_they_may_read(client, world):
    for name in ("bank", "verifier"):
        login(client, world.users[name])
        response = client.get(reverse("web:home"))
        assert response.status_code == 200
        html = response.content.decode()
        assert reverse("accounting:enterprise", args=[world.cement.pk]) in html
        assert world.steel.name not in html and world.other_city_firm.name not in html
    login(client, world.users["bank2"])
    assert "暂无可查阅的企业" in client.get(reverse("web:home")).content.decode()


def test_top_bar_shows_organisation_role_and_nav(client, world):
    login(client, world.users["gov"])
    html = client.get(reverse("accounting:region")).content.decode()
    assert "示范市发展和改革委员会" in html and "政府工作人员" in html
    assert 'href="/accounts/region/"' in html and "区域碳账户" in html
    assert 'action="/i18n/setlang/"' in html and 'action="/logout/"' in html
    assert "web/app.css" in html and "htmx" in html
    login(client, world.users["bank"])
    html = client.get(reverse("web:home")).content.decode()
    assert "示范农商银行" in html and "银行人员" in html and "区域碳账户" not in html


def test_language_switch_to_english_and_back(client, world):
    login(client, world.users["gov"])
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("accounting:region")})
    assert response.status_code == 302 and response["Location"] == reverse("accounting:region")
    html = client.get(reverse("accounting:region")).content.decode()
    assert "Regional carbon accounts" in html and "Government staff" in html and "Log out" in html
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    html = client.get(reverse("accounting:region")).content.decode()
    assert "区域碳账户" in html and "退出" in html


def test_login_page_in_english(client, world):
    client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    html = client.get(reverse("web:login")).content.decode()
    assert "Sign in to the dual-carbon platform" in html and "Password" in html

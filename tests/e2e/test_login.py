"""The harness itself: a live server, Chromium, logging in and out through the real forms."""

from __future__ import annotations

from typing import Any

from tests.e2e.helpers import login, shot
from tests.factories import World


def test_admin_login_page_renders(page: Any, live_server: Any, world: World) -> None:
    page.goto(live_server.url + "/admin/login/")
    assert page.locator("#id_username").is_visible()
    assert page.locator("#id_password").is_visible()


def test_wrong_password_is_refused(page: Any, live_server: Any, world: World) -> None:
    login(page, live_server.url, "cement", "not-the-password")
    assert "/login/" in page.url
    assert page.locator(".alert.error").is_visible()


def test_login_lands_on_the_role_start_page_and_logout(page: Any, live_server: Any, world: World) -> None:
    login(page, live_server.url, "cement")
    assert f"/accounts/enterprise/{world.cement.pk}/" in page.url
    assert page.get_by_text(world.cement.name).first.is_visible()
    shot(page, "after-login")
    # logging out is a POST form in the top bar (Django 5)
    with page.expect_navigation():
        page.locator("form[action$='/logout/'] button").click()
    assert "/login/" in page.url
    page.goto(live_server.url + f"/accounts/enterprise/{world.cement.pk}/")
    assert "/login/" in page.url  # the account page needs a login again

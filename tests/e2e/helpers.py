"""Helpers of the browser tests: log in through the form, screenshot a step."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
FIXTURES = ROOT / "tests" / "fixtures"


def shot(page: Any, step: str) -> Path:
    """Save a screenshot of an intermediate step: test-artifacts/screenshots/<test>--NN-<step>.png."""
    page._dc_steps += 1
    path = SCREENSHOTS / f"{page._dc_slug}--{page._dc_steps:02d}-{re.sub(r'[^A-Za-z0-9_-]+', '_', step)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page: Any, base_url: str, username: str, password: str = PASSWORD, path: str = "/login/") -> None:
    """Log in through the login form, as a person would."""
    page.goto(base_url + path)
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("form:has(#id_password) [type=submit]").click()

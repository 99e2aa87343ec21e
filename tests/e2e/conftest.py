"""Browser tests: pytest-django's live server + Playwright (sync API) driving Debian's /usr/bin/chromium.

* ``live_server`` (pytest-django) serves the app from a thread of the test process, on the test
  database (``transactional_db``: each test starts from an empty database, flushed afterwards);
  ``world`` builds :func:`tests.factories.build_world` in it for every test.
* ``browser`` is one Chromium per session, never downloaded: ``playwright install`` is not used;
  ``CHROMIUM`` (default ``/usr/bin/chromium``, Debian package ``chromium``) is launched directly.
* ``page`` is a fresh browser context per test (zh-CN, downloads accepted); after the test a
  full-page screenshot is saved to ``test-artifacts/screenshots/<test>.png`` (``-FAILED`` added when
  the test failed); :func:`tests.e2e.helpers.shot` saves intermediate steps next to it.

Every test under ``tests/e2e`` is marked ``e2e`` (``pytest -m e2e`` runs only these,
``-m "not e2e"`` skips them).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import World, build_world

from .helpers import SCREENSHOTS

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 20_000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One Chromium for the package. While Playwright's sync API is active its event loop runs in
    the test thread, and Django refuses ORM calls there (SynchronousOnlyOperation) unless
    DJANGO_ALLOW_ASYNC_UNSAFE is set: the fixtures and assertions here are synchronous code, so it is
    set for exactly as long as the browser lives."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: run `make setup` (installs Debian's chromium)")
    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                yield b
            finally:
                b.close()
    finally:
        if saved is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


@pytest.fixture
def world(browser: Any, transactional_db: None, live_server: Any) -> World:
    return build_world()


def _slug(nodeid: str) -> str:
    name = nodeid.split("tests/e2e/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")


@pytest.fixture
def page(browser: Any, world: World, request: pytest.FixtureRequest) -> Iterator[Any]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(
        locale="zh-CN",
        accept_downloads=True,
        viewport={"width": 1366, "height": 900},
        extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"},
    )
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    pg._dc_slug = _slug(request.node.nodeid)  # type: ignore[attr-defined]
    for old in SCREENSHOTS.glob(f"{pg._dc_slug}*.png"):  # type: ignore[attr-defined]
        old.unlink()  # this test's pictures from an earlier run
    pg._dc_steps = 0  # type: ignore[attr-defined]
    try:
        yield pg
    finally:
        failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
        suffix = "-FAILED" if failed else ""
        try:
            pg.screenshot(path=str(SCREENSHOTS / f"{pg._dc_slug}{suffix}.png"), full_page=True)  # type: ignore[attr-defined]
        finally:
            context.close()

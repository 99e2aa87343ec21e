"""The Content-Security-Policy in the browser (docs/security.md § What is guaranteed): Chromium opens the main
pages — login, the region with its htmx filter, the rating pages, an account with its charts, reporting, the
API documentation, the 404 and 500 pages — and none reports a CSP violation or any other console error.

Violations are caught twice: Chromium's console message and the page's ``securitypolicyviolation`` event
(an init script records them; Playwright runs it outside the page's policy)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.helpers import login, shot
from tests.e2e.test_rating_e2e import YEAR, _rate
from tests.factories import World

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Browser:
    def __init__(self, page: Any, base: str) -> None:
        self.page, self.base = page, base
        self.console: list[str] = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.console.append(f"pageerror: {exc}"))

    def _console(self, message: Any) -> None:
        if message.type not in ("error", "warning"):
            return
        # the error page's own status ("Failed to load resource: … 404") is the page, not a problem on it
        if "Failed to load resource" in message.text and message.location.get("url", "").split("?")[0] in (
            self.page.url.split("?")[0],
            "",
        ):
            return
        self.console.append(f"{message.type}: {message.text} @ {message.location.get('url')}")

    def open(self, path: str, step: str, status: int = 200) -> Any:
        response = self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")
        assert response is not None and response.status == status, (path, response and response.status)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        self.check(step)
        return response

    def check(self, step: str) -> None:
        shot(self.page, step)
        violations = self.page.evaluate("window.__csp || []")
        assert not violations, (step, violations)
        assert not self.console, (step, self.console)


@pytest.fixture
def browser_check(page: Any, live_server: Any) -> Browser:
    return Browser(page, live_server.url)


def test_no_csp_violation_on_the_main_pages(
    browser_check: Browser, page: Any, live_server: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _rate(world)
    b, base = browser_check, live_server.url

    b.open("/login/", "login")
    b.open("/no-such-page/", "404", status=404)
    assert page.locator("#error-404").count() == 1

    login(page, base, "gov")
    b.open(f"/accounts/region/?year={YEAR}", "region")
    assert page.locator("#region-body svg").count() > 0  # the charts: inline SVG
    with page.expect_response(lambda r: "month=3" in r.url and r.request.headers.get("hx-request") == "true"):
        page.select_option("select[name=month]", "3")  # htmx: the filter swaps the body, no reload
    page.wait_for_url("**month=3**")  # hx-push-url
    b.check("region-htmx")
    b.open(f"/rating/region/?year={YEAR}", "rating-region")
    b.open("/monitoring/", "monitoring")

    page.context.clear_cookies()
    login(page, base, "cement")
    b.open(f"/accounts/enterprise/{world.cement.pk}/?year={YEAR}", "account")
    assert page.locator("svg").count() > 0
    b.open(f"/rating/enterprise/{world.cement.pk}/?year={YEAR}", "rating")
    mark = page.locator(".kpi.main [data-mark]")
    assert mark.evaluate("e => getComputedStyle(e).borderRadius") != "0px"  # rating.css applied (no <style>)
    b.open("/report/", "report")
    b.open("/api/docs", "api-docs")
    assert page.locator(".swagger-ui").count() == 1

    # a server error: the styled page with the request id the response header carries
    monkeypatch.setattr("dualcarbon.web.views.access.actor_for", _boom)
    response = b.open("/", "500", status=500)
    assert page.locator("#request-id").inner_text() == response.headers["x-request-id"]


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("deliberate failure for the browser test")

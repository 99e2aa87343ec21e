"""The city's dual-carbon programme in the browser (docs/programme.md): the industry group's lead changes a project
(a new version with the reason kept), then the leading group (the city's DRC) runs the dispatch check on the board:
the overdue task raises an alert, read on monitoring's alerts page; the leading group reads the board and downloads
the dispatch report as PDF and Excel. (One alert per task and due date: tests/programme/test_services.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.helpers import login, shot
from tests.factories import World
from tests.programme.conftest import build


def test_a_group_lead_updates_a_project_and_the_leading_group_reads_the_board(
    page: Any, live_server: Any, world: World
) -> None:
    pw = build(world)
    p1 = pw.entries["p1"]

    login(page, live_server.url, "industry")
    page.goto(f"{live_server.url}/programme/entry/project/{p1.pk}/")
    page.fill("#f-expected_tco2", "9000")
    page.fill("#f-reason", "可研复核后调增")
    with page.expect_navigation():
        page.locator("#save").click()
    history = page.locator("#history tbody tr")
    assert history.count() == 2
    latest = history.first.inner_text()
    assert "v2" in latest and "industry" in latest and "可研复核后调增" in latest and "8100.00 → 9000.00" in latest
    assert "v1" in history.nth(1).inner_text()
    shot(page, "project-v2")

    page.context.clear_cookies()
    login(page, live_server.url, "gov")
    page.goto(f"{live_server.url}/programme/")
    assert "调度看板" in page.locator("#board-title").inner_text()
    industry = page.locator("#by-group tr", has_text="工业").first.locator("td").all_inner_texts()
    # 工业: 2 tasks, 1 done, 1 overdue, 0 behind, mean 80.0 %, 1 project, its investment and (new) expected tCO2
    assert [c.strip() for c in industry[1:7]] == ["2", "1", "1", "0", "80.0", "1"]
    assert industry[8].strip().replace(",", "") == "9000.00"
    assert "T-01" in page.locator("#overdue").inner_text()
    shot(page, "board")
    # the overdue task raises its alert through the dispatch check; the alert is on monitoring's page
    with page.expect_navigation():
        page.locator("#run-check").click()
    assert "逾期 1 项" in page.content()
    page.goto(f"{live_server.url}/monitoring/alerts/")
    assert "T-01" in page.locator("main").inner_text()
    shot(page, "alert")
    page.goto(f"{live_server.url}/programme/")
    for link, magic in (("#report-pdf", b"%PDF-"), ("#report-xlsx", b"PK")):
        with page.expect_download() as d:
            page.locator(link).click()
        data = Path(d.value.path()).read_bytes()
        assert data[: len(magic)] == magic, link

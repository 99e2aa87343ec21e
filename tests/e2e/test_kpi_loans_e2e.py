"""Loans in the browser (docs/finance.md § Applications, § KPI-linked loans), on one rated world (cement graded 3 for
2024): cement applies for the bank's 碳效贷 from its 贷款融资 page (granting the consent in the same step) and the
bank's officer approves it at the quoted rate; the officer then attaches a KPI the borrower misses (碳效等级 ≤ 2 级 for
2024): the rate steps up at once with the reason in the loan's rate history, the navigation's 贷后预警 shows one
unread alert and the alert page names the loan."""

from __future__ import annotations

import datetime
import importlib
from typing import Any

import pytest

from dualcarbon.finance import lending
from dualcarbon.finance.models import BankAlert, Loan, LoanApplication
from dualcarbon.rating import services as rating
from dualcarbon.rating.models import RatingScheme
from tests.e2e.helpers import login, shot
from tests.factories import World
from tests.rating.helpers import rated_world
from tests.registry.test_access_log_chain import wipe_log  # noqa: F401 (the bank's reads: emptied before the flush)

pytestmark = pytest.mark.usefixtures("wipe_log")


@pytest.fixture
def world(browser: Any, transactional_db: None, live_server: Any) -> World:
    """The rated world (twelve months of 2024 rated in 示范市) and the bank's 碳效贷 in force."""
    # transactional_db flushes every table after a test, migration-seeded rows included: seed the schemes again
    seeded = importlib.import_module("dualcarbon.rating.migrations.0002_seed_schemes")
    for s in seeded.SCHEMES:
        RatingScheme.objects.update_or_create(code=s["code"], version=s["version"], defaults=s)
    rw = rated_world(typo=False)
    rating.rate_region("3399", 2024)
    lending.create_product(
        rw.users["bank"],
        None,
        code="TXD",
        name_zh="碳效贷",
        purpose_tag="carbon",
        valid_from=datetime.date(2025, 1, 1),
        rule={"all": [{"fact": "grade", "op": "<=", "value": 4}]},
        min_amount="100000",
        max_amount="20000000",
        min_term=6,
        max_term=36,
        base_rate_bp=385,
        grade_spreads={"1": -40, "2": -20, "3": 0, "4": 30},
    )
    return rw.world


def test_an_enterprise_applies_the_bank_approves_and_a_missed_kpi_raises_the_rate_and_alerts_the_bank(
    page: Any, live_server: Any, world: World
) -> None:
    base = live_server.url
    login(page, base, "cement")
    page.locator("nav.mainnav").get_by_role("link", name="贷款融资").click()
    offer = page.locator("#product-TXD")
    form = offer.locator("form.apply")
    form.locator("input[name=amount]").fill("1000000")
    form.locator("input[name=term_months]").fill("24")
    form.locator("input[name=purpose]").fill("窑炉余热发电改造")
    consent = form.locator("input[name=grant_consent]")
    if consent.count():  # the world's consent of cement to the bank may already name the grade
        consent.check()
    shot(page, "apply")
    with page.expect_navigation():
        form.get_by_role("button", name="提交申请").click()
    app = LoanApplication.objects.get(enterprise=world.cement)
    assert (app.status, app.quoted_rate_bp) == ("submitted", 385)

    page.context.clear_cookies()
    login(page, base, "bank")
    page.goto(base + "/finance/bank/applications/")
    page.locator(f"tr[data-application='{app.pk}'] a").click()
    with page.expect_navigation():
        page.get_by_role("button", name="提交审批").click()
    assert page.get_by_text("已批准，贷款已入账").is_visible()
    loan = Loan.objects.get(application=app)
    assert (loan.amount, loan.rate_bp) == (1000000, 385)
    shot(page, "approved")

    page.goto(base + f"/finance/bank/loans/{loan.pk}/")
    page.locator("#loan-kpis-link").click()
    form = page.locator("#kpi-new form")
    form.locator("select[name=metric]").select_option("grade")
    form.locator("input[name=name]").fill("碳效等级不低于 2 级")
    form.locator("textarea[name=targets]").fill("2024: 2 tCO2e")  # the wrong unit first
    form.locator("input[name=step_missed_bp]").fill("30")
    with page.expect_navigation():
        form.get_by_role("button", name="添加").click()
    assert page.locator("#kpi-new .errorlist").inner_text().startswith("“碳效等级”的目标须以 级 表示")
    assert not loan.kpis.exists()
    form = page.locator("#kpi-new form")
    form.locator("textarea[name=targets]").fill("2024: 2 级")
    with page.expect_navigation():
        form.get_by_role("button", name="添加").click()
    loan.refresh_from_db()
    assert loan.rate_bp == 415  # 385 + 30: graded 3, the target was 2
    assert page.locator("[data-kpi-rate]").inner_text() == "415"
    history = page.locator("#rate-history tbody tr").first.inner_text()
    assert "385" in history and "415" in history and "2024 年未达标：实际 3 级，目标 ≤ 2 级，调整 +30 基点" in history
    badge = page.locator("#nav-bank-alerts")
    assert "1" in badge.inner_text()
    shot(page, "kpi-missed")
    badge.click()
    alert = BankAlert.objects.get(loan=loan)
    row = page.locator(f"tr[data-alert='{alert.pk}']")
    assert loan.number in row.inner_text() and "利率 385 → 415 基点" in row.inner_text()
    shot(page, "alerts")

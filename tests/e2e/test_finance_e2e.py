"""An enterprise grants a bank a consent in the browser (zh-Hans: the 向银行的数据授权 page from the top bar; the
bank, the purpose, two scope items, the data period and the expiry), then the bank's officer logs in and finds the
enterprise among the consents received on its 企业的数据授权 page, with the scope and the period granted."""

from __future__ import annotations

import datetime
from typing import Any

from dualcarbon.registry.models import Consent
from tests.e2e.helpers import login, shot
from tests.factories import World


def test_an_enterprise_grants_a_consent_and_the_bank_sees_the_enterprise(
    page: Any, live_server: Any, world: World
) -> None:
    base = live_server.url
    until = datetime.date.today() + datetime.timedelta(days=365)
    login(page, base, "steel")
    page.locator("nav.mainnav").get_by_role("link", name="数据授权").click()
    page.wait_for_url(f"**/finance/enterprise/{world.steel.pk}/consents/")
    assert page.locator("h1").inner_text() == "向银行的数据授权"
    form = page.locator("#grant form")
    form.locator("select[name=bank]").select_option(label=world.other_bank.name)
    form.get_by_label("贷后监测").check()
    form.get_by_label("账户汇总").check()
    form.get_by_label("碳信用报告").check()
    form.locator("input[name=data_from]").fill("2024-01")
    form.locator("input[name=data_until]").fill("2024-12")
    form.locator("input[name=valid_until]").fill(until.isoformat())
    shot(page, "grant")
    with page.expect_navigation():
        form.get_by_role("button", name="授权", exact=True).click()
    consent = Consent.objects.get(enterprise=world.steel, bank=world.other_bank)
    assert (consent.purpose_code, consent.scopes, consent.data_from, consent.data_until, consent.valid_until) == (
        "loan_monitoring",
        ["credit_report", "summary"],
        "2024-01",
        "2024-12",
        until,
    )

    page.context.clear_cookies()
    login(page, base, "bank2")
    page.goto(base + "/finance/bank/")
    row = page.locator(f"#bank-consents tr[data-consent='{consent.pk}']")
    text = row.inner_text()
    assert world.steel.name in text and "账户汇总" in text and "2024-01 — 2024-12" in text and "有效" in text
    assert row.get_by_role("button", name="生成碳账户信用报告").is_visible()
    shot(page, "bank")

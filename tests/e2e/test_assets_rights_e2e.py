"""Discharge rights in the browser (docs/assets.md § Discharge rights, § Pledges, § Leasing): the city's government
confirms the cement works' COD right on its assets page and issues a bill, which shows its derivation; the cement
works pledges part of the right to the bank, which sees only that pledge on its page and releases it; the cement
works leases part to the steel works, which accepts it on its own page.

The world is build_world() with the city's COD fee standard published through the service."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from dualcarbon.assets import ledger, services
from dualcarbon.assets.models import Bill, Confirmation, Factor, Holding, Lease, Pledge
from dualcarbon.registry.models import Region
from tests.assets.helpers import wipe_ledger  # noqa: F401 (the asset ledger: emptied before the flush)
from tests.e2e.helpers import login, shot
from tests.factories import World


def _as(page: Any, base: str, who: str) -> None:
    page.context.clear_cookies()
    login(page, base, who)


def _kg(state: str) -> int:
    h = Holding.objects.filter(asset__code="DR-COD", state=state, holder__name__contains="水泥").first()
    return h.balance if h else 0


@pytest.mark.usefixtures("wipe_ledger")
def test_government_confirms_and_bills_a_bank_sees_and_releases_a_pledge(
    page: Any, live_server: Any, world: World
) -> None:
    services.publish_fee_standard(
        Region.objects.get(code="339900"), Factor.objects.get(code="COD"), "1400",
        valid_from=datetime.date(2020, 1, 1), derivation="治理成本 1400 元/吨（示范）", publisher="示范市发改委",
        document="示范市排污权有偿使用费标准（示范）", clause="第二条", published_on=datetime.date(2019, 12, 1),
    )  # fmt: skip
    base = live_server.url
    today = timezone.localdate()
    ent = f"{base}/assets/enterprise/{world.cement.pk}/"

    _as(page, base, "gov")
    page.goto(ent)
    form = page.locator("#confirmations form")
    form.locator("select[name=factor]").select_option(label="化学需氧量")
    form.locator("input[name=tonnes]").fill("abc")
    form.locator("input[name=basis_reference]").fill("91339901MA2CEMENT1001P")
    with page.expect_navigation():
        form.get_by_role("button", name="确权并记入账户").click()
    assert "“abc”不是数字" in page.locator("#confirmations").inner_text()  # refused at the field, nothing written
    assert not Confirmation.objects.exists()
    form = page.locator("#confirmations form")
    form.locator("select[name=factor]").select_option(label="化学需氧量")
    form.locator("input[name=tonnes]").fill("12.5")
    form.locator("input[name=basis_reference]").fill("91339901MA2CEMENT1001P")
    with page.expect_navigation():
        form.get_by_role("button", name="确权并记入账户").click()
    conf = Confirmation.objects.get()
    assert page.locator(f"#confirmations tr[data-confirmation='{conf.pk}']").is_visible()
    assert _kg("available") == 12_500
    shot(page, "confirmed")

    form = page.locator("#bills form").first
    form.locator("input[name=years]").fill("2")
    form.locator("input[name=due_date]").fill((today + datetime.timedelta(days=60)).isoformat())
    with page.expect_navigation():
        form.get_by_role("button", name="开具").click()
    bill = Bill.objects.get()
    assert bill.amount == 35_000
    text = page.locator("#bills").inner_text()
    assert "12.500 吨/年 × 1400.00 元/吨·年 × 2 年 = 35000.00 元" in text and "35,000.00" in text
    shot(page, "billed")

    _as(page, base, "cement")
    page.goto(ent)
    form = page.locator("#pledges form")
    form.locator("select[name=asset]").select_option(label="化学需氧量排污权")
    form.locator("input[name=vintage]").fill(str(today.year))
    form.locator("input[name=quantity]").fill("5")
    form.locator("select[name=bank]").select_option(label=world.bank.name)
    form.locator("input[name=loan_reference]").fill("示农商银〔2026〕质借字第 001 号")
    with page.expect_navigation():
        form.get_by_role("button", name="登记质押").click()
    pledge = Pledge.objects.get()
    assert (_kg("available"), _kg("pledged")) == (7_500, 5_000)

    form = page.locator("#leases form").first
    form.locator("select[name=asset]").select_option(label="化学需氧量排污权")
    form.locator("input[name=vintage]").fill(str(today.year))
    form.locator("input[name=quantity]").fill("2")
    form.locator("input[name=lessee_uscc]").fill(world.steel.uscc)
    form.locator("input[name=ends_on]").fill((today + datetime.timedelta(days=180)).isoformat())
    form.locator("input[name=rent]").fill("2800")
    with page.expect_navigation():
        form.get_by_role("button", name="提出出租并冻结数量").click()
    lease = Lease.objects.get()
    assert _kg("reserved") == 2_000

    _as(page, base, "bank")
    page.goto(f"{base}/assets/bank/")
    row = page.locator(f"#pledges tr[data-pledge='{pledge.pk}']")
    assert "示农商银〔2026〕质借字第 001 号" in row.inner_text() and "5.000 t/a" in row.inner_text()
    assert world.steel.name not in page.content()  # only the pledges recorded to the bank
    shot(page, "bank-pledges")
    with page.expect_navigation():
        row.get_by_role("button", name="解除质押").click()
    pledge.refresh_from_db()
    assert pledge.status == Pledge.Status.RELEASED and _kg("pledged") == 0

    _as(page, base, "steel")
    page.goto(f"{base}/assets/enterprise/{world.steel.pk}/")
    with page.expect_navigation():
        page.locator(f"#leases tr[data-lease='{lease.pk}'] button[data-action=accept]").click()
    lease.refresh_from_db()
    assert lease.status == Lease.Status.ACTIVE and _kg("leased_out") == 2_000
    assert "租赁中" in page.locator(f"#leases tr[data-lease='{lease.pk}']").inner_text()
    shot(page, "lease-accepted")
    assert ledger.verify_ledger().ok

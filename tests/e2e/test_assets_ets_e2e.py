"""ETS surrender in the browser (docs/assets.md § ETS): the cement works, a covered enterprise with its 2024
allocation and an amount due of 100 000 t entered by the government, surrenders allowances with CCER above 5 % of
the amount due and is refused at the CCER field (the cap and the quantity asked named, nothing written), then within
the cap: the shortfall left is shown, the units are retired in one ledger transaction."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from dualcarbon.assets import ets, ledger, services
from dualcarbon.assets.models import Asset, Surrender
from tests.assets.helpers import wipe_ledger  # noqa: F401 (the asset ledger: emptied before the flush)
from tests.e2e.helpers import login, shot
from tests.factories import World


@pytest.mark.usefixtures("wipe_ledger")
def test_an_ets_enterprise_surrenders_with_ccer_and_is_refused_above_five_percent(
    page: Any, live_server: Any, world: World
) -> None:
    gov, d = world.users["gov"], datetime.date
    ets.allocate(gov, world.cement, 2024, "pre", 96_000, reference="示生态〔2024〕12号", allocated_on=d(2024, 9, 1))
    ets.set_obligation(gov, world.cement, 2024, 100_000, source="核查报告 HC-2025-031", deadline=d(2025, 12, 31))
    services.issue(gov, Asset.objects.get(code="CCER"), world.cement, 2023, 8_000, reference="CCER-E2E", memo="登记")
    base = live_server.url
    login(page, base, "cement")
    page.goto(f"{base}/assets/enterprise/{world.cement.pk}/#ets")
    form = page.locator("#ets form")
    form.locator("input[name=allowances]").fill("94000")
    form.locator("input[name=allowance_vintage]").fill("2024")
    form.locator("input[name=ccer]").fill("6000")
    form.locator("input[name=ccer_vintage]").fill("2023")
    with page.expect_navigation():
        form.get_by_role("button", name="提交清缴").click()
    assert "CCER 抵销不得超过应清缴量 100000 吨的 5%，即 5000 吨；本次申请 6000 吨（已使用 0 吨）" in (
        page.locator("#ets").inner_text()
    )
    assert not Surrender.objects.exists()
    shot(page, "refused-above-five-percent")
    form = page.locator("#ets form")
    form.locator("input[name=ccer]").fill("5000")
    with page.expect_navigation():
        form.get_by_role("button", name="提交清缴").click()
    shortfall = page.locator("#ets tr[data-obligation='2024'] td[data-shortfall]").inner_text()
    assert shortfall == "1000 逾期"  # 1000 t short, past the deadline of 2025-12-31
    s = Surrender.objects.get()
    assert (s.allowances, s.ccer, s.txn.kind) == (94_000, 5_000, "retire")
    assert ledger.verify_ledger().ok

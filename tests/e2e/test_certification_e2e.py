"""A project goes from application to library with a verifier returning it once (issue 13's must-show; docs/finance.md
§ Transition certification), in the browser: cement applies under the city's cement ruler with its 2024 account as
the baseline, the verifier returns it (无重大损害 not met), cement amends and resubmits, the verifier passes it, the
city's government certifies it for three years, finds it in the project library and pushes it to the bank, whose
officer sees it on 推送给本行的认定库 — and the other bank does not."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from dualcarbon.finance import certification
from dualcarbon.finance.models import CertApplication
from tests.e2e.helpers import login, shot
from tests.factories import World
from tests.rating.helpers import month_data, submit_batch


def test_a_project_goes_from_application_to_library_with_a_verifier_returning_it_once(
    page: Any, live_server: Any, world: World
) -> None:
    base = live_server.url
    users = world.users
    submit_batch([(users["cement"], world.cement, 2024, m, month_data(7100.0)) for m in (1, 2, 3)])
    certification.publish_ruler(
        users["gov"],
        "339900",
        industry_code="3011",
        kind="project",
        valid_from=datetime.date(2025, 1, 1),
        sector_name="水泥制造",
        metric="energy_per_product",
        unit="kgce/t",
        entry_value="117",
        advanced_value="100",
        min_reduction_pct="3",
        principles=["no_lock_in", "dnsh", "just_transition"],
        source="参照《高耗能行业重点领域能效标杆水平和基准水平（2021年版）》",
    )
    baseline = certification.account_year(world.cement, 2024)
    assert baseline is not None
    annual = Decimal(baseline["annual_tco2e"])

    login(page, base, "cement")
    page.locator("nav.mainnav").get_by_role("link", name="转型认定").click()
    page.wait_for_url(f"**/finance/enterprise/{world.cement.pk}/certifications/")
    form = page.locator("#apply form")
    form.locator("select[name=kind]").select_option("project")
    form.locator("input[name=industry_code]").fill("3011")
    form.locator("input[name=name]").fill("熟料线余热发电改造")
    form.locator("input[name=baseline_year]").fill("2024")
    form.locator("input[name=declared_value]").fill("108")
    form.locator("input[name=expected_savings_tce]").fill("5000")
    form.locator("input[name=expected_reduction_tco2]").fill(str((annual * Decimal("0.04")).quantize(Decimal("1"))))
    form.locator("input[name=investment]").fill("60000000")
    form.locator("textarea[name=evidence]").fill("可研报告、节能评估报告")
    shot(page, "apply")
    with page.expect_navigation():
        form.get_by_role("button", name="提交申请").click()
    app = CertApplication.objects.get()
    assert "待核查" in page.locator("#cert-detail h2").inner_text()

    page.context.clear_cookies()
    login(page, base, "verifier")
    page.locator("nav.mainnav").get_by_role("link", name="认定核查").click()
    page.locator(f"tr[data-cert='{app.pk}'] a").click()
    review = page.locator("#review form")
    review.locator("input[name=ok_no_lock_in][value='1']").check()
    review.locator("input[name=ok_dnsh][value='0']").check()
    review.locator("input[name=note_dnsh]").fill("未说明施工期废水处置")
    review.locator("input[name=ok_just_transition][value='1']").check()
    review.locator("textarea[name=comment]").fill("请补充施工期废水处置方案")
    shot(page, "return")
    with page.expect_navigation():
        review.get_by_role("button", name="退回修改").click()
    app.refresh_from_db()
    assert (app.status, app.returns) == ("returned", 1)

    page.context.clear_cookies()
    login(page, base, "cement")
    page.goto(f"{base}/finance/enterprise/{world.cement.pk}/certifications/{app.pk}/")
    assert "请补充施工期废水处置方案" in page.locator("#review-comment").inner_text()
    amend = page.locator("#amend form")
    amend.locator("textarea[name=evidence]").fill("可研报告、节能评估报告、施工期废水处置方案")
    amend.locator("textarea[name=comment]").fill("已补充废水处置方案")
    with page.expect_navigation():
        amend.get_by_role("button", name="重新提交").click()
    assert "待核查" in page.locator("#cert-detail h2").inner_text()

    page.context.clear_cookies()
    login(page, base, "verifier")
    page.goto(f"{base}/finance/certifications/reviews/{app.pk}/")
    review = page.locator("#review form")
    for p in ("no_lock_in", "dnsh", "just_transition"):
        review.locator(f"input[name=ok_{p}][value='1']").check()
    with page.expect_navigation():
        review.get_by_role("button", name="核查通过").click()

    page.context.clear_cookies()
    login(page, base, "gov")
    page.locator("nav.mainnav").get_by_role("link", name="转型认定").click()
    page.locator(f"#applications tr[data-cert='{app.pk}'] a").click()
    decide = page.locator("#decide form")
    decide.locator("input[name=valid_from]").fill("2026-01-01")
    decide.locator("input[name=valid_until]").fill("2028-12-31")
    with page.expect_navigation():
        decide.get_by_role("button", name="认定入库").click()
    assert page.locator("#in-library").is_visible()
    events = page.locator("#events tbody tr").all_inner_texts()
    assert [e.split("\t")[1] for e in events] == ["提交申请", "退回修改", "修改后重新提交", "核查通过", "认定入库"]
    page.goto(base + "/finance/certifications/")
    library = page.locator("#library-project")
    assert "熟料线余热发电改造" in library.inner_text()
    library.locator(f"tr[data-entry='{app.pk}'] input[name=entry]").check()
    push = page.locator("#push")
    push.locator("input[name=title]").fill("首批降碳转型升级项目库")
    push.locator("select[name=kind]").select_option("project")
    push.get_by_label(world.bank.name).check()
    shot(page, "push")
    with page.expect_navigation():
        push.get_by_role("button", name="推送").click()
    assert "首批降碳转型升级项目库" in page.locator("#pushes").inner_text()

    page.context.clear_cookies()
    login(page, base, "bank")
    page.locator("nav.mainnav").get_by_role("link", name="认定库").click()
    row = page.locator(f"#library-project tr[data-entry='{app.pk}']")
    assert "熟料线余热发电改造" in row.inner_text() and "已认定入库" in row.inner_text()
    shot(page, "bank")
    page.context.clear_cookies()
    login(page, base, "bank2")
    page.goto(base + "/finance/bank/certifications/")
    assert page.locator(f"tr[data-entry='{app.pk}']").count() == 0

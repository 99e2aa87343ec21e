"""Rating in the browser: an enterprise reads its grade and why (benchmark, thresholds crossed); an anonymous
visitor follows the QR label's verification link and sees the grade without any figure; the city government
reads the region's grade distribution.

The world is build_world() plus five cement makers in the city (tests.rating.helpers), twelve months of 2024
each, rated with ``rate_region("3399", 2024)`` as ``dualcarbon rate`` would. The browser opens the rating pages
by address.

The monitoring app (/monitoring/ and /stats/): the government reads the dashboard, drills down to an enterprise and
acknowledges an alert; the public statistics page shows no group of fewer than 3 enterprises.
"""

from __future__ import annotations

import datetime
import importlib
import re
from typing import Any

from django.utils import timezone

from dualcarbon.rating import queries, services
from dualcarbon.rating.models import RatingResult, RatingScheme, VerificationLabel
from tests.e2e.helpers import login, shot
from tests.factories import World
from tests.rating.helpers import CEMENT_COAL, YEAR, _peers, month_data, submit_batch

CITY = "3399"
PV = {"technology": "pv", "use": "self_consumed", "quantity": 85_000, "unit": "kWh", "reference": "屋顶光伏一期"}
GEC = {"kind": "gec", "quantity": 300, "unit": "MWh", "reference": "GEC-2024-0001~0300"}


def _rate(world: World, december_coal: float = CEMENT_COAL) -> list[Any]:
    """Twelve months for cement, steel, the firm outside the city and five cement peers; rate the city."""
    # transactional_db flushes every table after a test, migration-seeded rows included: seed the schemes again
    seeded = importlib.import_module("dualcarbon.rating.migrations.0002_seed_schemes")
    for s in seeded.SCHEMES:
        RatingScheme.objects.update_or_create(code=s["code"], version=s["version"], defaults=s)
    peers = _peers(world)
    items = []
    for m in range(1, 13):
        coal = december_coal if m == 12 else CEMENT_COAL
        cement = month_data(coal)
        cement["generation"] = [dict(PV)]  # rooftop PV every month, certificates retired in December
        cement["offsets"] = [dict(GEC)] if m == 12 else []
        items.append((world.users["cement"], world.cement, YEAR, m, cement))
        items.append((world.users["steel"], world.steel, YEAR, m, month_data(9000.0)))
        items.append((world.users["far"], world.other_city_firm, YEAR, m, month_data(5000.0)))
        items += [(u, org, YEAR, m, month_data(5000.0 + 800.0 * i)) for i, (u, org) in enumerate(peers)]
    submit_batch(items)
    services.rate_region(CITY, YEAR)
    return [org for _u, org in peers]


def _private_figures(result: RatingResult) -> set[str]:
    """The ways a private figure of the result could be printed (emissions, value added, L, K, benchmark)."""
    inputs = result.inputs
    values = [inputs["emissions_tco2"], inputs["total_tco2e"], inputs["value_added_10k_yuan"]]
    values += [result.intensity_l, result.k_value, result.benchmark.value if result.benchmark else None]
    out: set[str] = set()
    for v in values:
        if v is not None:
            out |= {f"{v:.2f}", f"{v:,.2f}", f"{v:.4f}", f"{v:.3f}", f"{v:,.0f}", f"{v:.1f}"}
    return {s for s in out if len(s.replace(",", "").replace(".", "")) >= 3}


def test_enterprise_sees_its_grade_and_explanation(page: Any, live_server: Any, world: World) -> None:
    _rate(world)
    result = RatingResult.objects.select_related("benchmark", "scheme").get(enterprise=world.cement, is_current=True)
    assert result.grade is not None and result.benchmark is not None

    login(page, live_server.url, "cement")
    page.goto(f"{live_server.url}/rating/enterprise/{world.cement.pk}/?year={YEAR}")
    mark = page.locator(".kpi.main [data-mark]")
    assert mark.get_attribute("data-mark") == str(result.grade)
    assert mark.inner_text().strip() == str(result.grade)
    body = page.locator("body").inner_text()
    assert world.cement.name in body and result.scheme.label in body
    # the benchmark: its value and group, how many enterprises it includes
    bench_card = page.locator("section.card", has=page.locator("h2", has_text="行业对标值")).inner_text()
    assert f"{result.benchmark.value:.4f}" in bench_card
    assert f"{result.benchmark.n_included} / {result.benchmark.n_candidates}" in bench_card
    assert f"{result.k_value:.4f}" in body and f"{result.intensity_l:.4f}" in body
    # the explanation: every line, the thresholds crossed among them
    shown = page.locator("ul.explain li")
    lines = queries.explanation_lines(result)
    assert shown.count() == len(lines) > 0
    explained = " ".join(page.locator("ul.explain").inner_text().split())
    for line in lines:
        assert " ".join(str(line.get("zh") or line["text"]).split()) in explained, line
    assert re.search(rf"→ {result.grade} 级", explained), explained  # the grade threshold crossed
    # the carbon-neutrality rate: (12 × 85 + 300) MWh × 0.5153 (浙江 2022, the policy's mee:provincial) / emissions
    assert result.neutrality_rate is not None and result.neutrality_rate > 0
    kpi = page.locator("#neutrality-kpi [data-neutrality]")
    assert kpi.inner_text().strip() == result.neutrality_label
    card = page.locator("section#neutrality").inner_text()
    assert "自有零碳发电（自发自用）" in card and "1,320.000" not in card  # PV and certificates are separate terms
    assert "1,020.000 MWh" in card and "300.000 MWh" in card and "0.5153" in card
    assert "grid-mee-nbs 2022 provincial 33 浙江" in card and "GEC-2024-0001~0300" in card
    assert f"{result.neutrality_rate:.2%}" in explained
    shot(page, "grade")

    # another enterprise's grade page is not found for this user
    other = page.goto(f"{live_server.url}/rating/enterprise/{world.steel.pk}/?year={YEAR}")
    assert other is not None and other.status == 404


def test_anonymous_verification_shows_the_grade_and_no_figures(page: Any, live_server: Any, world: World) -> None:
    _rate(world)
    result = RatingResult.objects.select_related("benchmark").get(enterprise=world.cement, is_current=True)
    token = VerificationLabel.objects.get(enterprise=world.cement).token

    # the QR label page (enterprise) carries the link the QR code encodes
    login(page, live_server.url, "cement")
    page.goto(f"{live_server.url}/rating/enterprise/{world.cement.pk}/label/")
    assert page.locator("svg").count() > 0
    assert f"/verify/{token}/" in page.content()
    page.context.clear_cookies()  # from here on an anonymous visitor who scanned the code

    response = page.goto(f"{live_server.url}/verify/{token}/")
    assert response is not None and response.status == 200
    assert "/login/" not in page.url
    card = page.locator(".verify-card")
    text = card.inner_text()
    assert world.cement.name in text and world.cement.uscc in text
    assert card.locator(".mark").first.inner_text().strip() == str(result.grade)
    # valid for the year after the rated one (docs/rating.md: validity_years 1), then expired: the page says which
    assert card.locator("dl.kv dd").all_inner_texts()[2] == f"{YEAR + 1}-01-01 — {YEAR + 1}-12-31"
    today = timezone.localdate()
    expected = "该评级当前有效。" if today <= datetime.date(YEAR + 1, 12, 31) else "该评级已过有效期。"
    assert card.locator(".alert").all_inner_texts() == [expected]
    html = page.content()
    leaked = sorted(s for s in _private_figures(result) if s in html)
    assert not leaked, leaked
    before_note = text.split("本页面仅用于")[0]
    for word in ("tCO2", "万元", "增加值", "排放量", "能耗"):
        assert word not in before_note, word
    shot(page, "verify")

    # the grade page itself is not public
    page.goto(f"{live_server.url}/rating/enterprise/{world.cement.pk}/")
    assert "/login/" in page.url


def test_government_reads_the_grade_distribution(page: Any, live_server: Any, world: World) -> None:
    peers = _rate(world)
    current = RatingResult.objects.filter(year=YEAR, month=0, is_current=True, region_code__startswith=CITY)
    assert current.count() == 7  # cement, steel and five peers; the firm outside the city is not in 3399

    login(page, live_server.url, "gov")
    page.goto(f"{live_server.url}/rating/region/?year={YEAR}")
    assert page.locator("h1").inner_text().strip() == "区域碳效评级"
    dist = page.locator("section.card", has_text="等级分布")
    assert dist.locator("svg").count() > 0  # the distribution chart
    rows = page.locator("section.card", has_text="分布明细").locator("tbody tr")
    assert rows.count() > 0
    counts = {}
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        counts[cells.nth(0).inner_text().strip()] = int(cells.nth(1).inner_text().strip())
    assert sum(counts.values()) == current.count(), counts
    graded = current.exclude(grade=None)
    for grade in set(graded.values_list("grade", flat=True)):
        label = next(k for k in counts if k.startswith(str(grade)))
        assert counts[label] == graded.filter(grade=grade).count(), (grade, counts)
    body = page.locator("body").inner_text()
    for org in [world.cement, world.steel, *peers]:
        assert org.name in body
    assert world.other_city_firm.name not in body
    shot(page, "region")

    # drill into one grade: only its enterprises are listed
    cement_grade = current.get(enterprise=world.cement).grade
    page.locator("section.card", has_text="分布明细").locator("tbody a").filter(
        has_text=re.compile(rf"^{cement_grade}")
    ).first.click()
    page.wait_for_url(f"**mark={cement_grade}**")
    listed = page.locator("body").inner_text()
    assert world.cement.name in listed
    for r in current.exclude(grade=cement_grade).select_related("enterprise"):
        assert r.enterprise.name not in listed, r.enterprise.name
    shot(page, "one-grade")


# --------------------------------------------------------------------------- monitoring (when installed)


def _alerts(world: World) -> Any:
    """The default alert rules (seeded by a migration, flushed by transactional_db) evaluated for December."""
    from dualcarbon.monitoring import services as monitoring
    from dualcarbon.monitoring.models import Alert, AlertRule

    rules = importlib.import_module("dualcarbon.monitoring.migrations.0002_default_rules")
    for kind, params, note in rules.DEFAULTS:
        AlertRule.objects.get_or_create(
            kind=kind, region=None, defaults={"params": params, "note": note, "active": True}
        )
    monitoring.evaluate_alerts(CITY, YEAR, 12)
    return Alert.objects.filter(region__code__startswith=CITY)


def test_government_reads_the_dashboard_drills_down_and_acknowledges_an_alert(
    page: Any, live_server: Any, world: World
) -> None:
    from dualcarbon.monitoring.models import Alert

    _rate(world, december_coal=3 * CEMENT_COAL)  # cement's December triples its coal: a month-on-month jump
    alerts = _alerts(world)
    assert alerts.filter(status=Alert.Status.NEW).exists(), list(alerts)

    login(page, live_server.url, "gov")
    page.goto(f"{live_server.url}/monitoring/?year={YEAR}")
    assert page.locator("h1").inner_text().startswith("区域监测")
    total = page.locator("#kpi-total").inner_text().strip()
    assert total and not total.startswith("—")
    body = page.locator("body").inner_text()
    assert world.cement.name in body and world.other_city_firm.name not in body
    shot(page, "dashboard")

    # drill down: top emitters → the enterprise's account
    top = page.locator("section.card", has_text="排放前十企业")
    top.get_by_role("link", name=world.cement.name).first.click()
    page.wait_for_url(f"**/accounts/enterprise/{world.cement.pk}/**")
    assert world.cement.uscc in page.locator("body").inner_text()
    shot(page, "enterprise")

    # the alerts: acknowledge the first new one
    page.goto(f"{live_server.url}/monitoring/alerts/?status=new")
    row = page.locator("tr.alert-new").first
    alert_id = int(row.locator("input[name=alert]").get_attribute("value") or "0")
    with page.expect_navigation():
        row.get_by_role("button", name="确认").click()
    alert = Alert.objects.get(pk=alert_id)
    assert alert.status == Alert.Status.ACKNOWLEDGED
    assert alert.acknowledged_by_id == world.users["gov"].pk and alert.acknowledged_at is not None
    page.goto(f"{live_server.url}/monitoring/alerts/")
    assert page.locator(f"tr.alert-acknowledged:has(input[name=alert][value='{alert_id}'])").count() == 1
    shot(page, "acknowledged")


def test_public_statistics_show_no_suppressed_group(page: Any, live_server: Any, world: World) -> None:
    from dualcarbon.monitoring import queries as monitoring

    _rate(world)
    stats = monitoring.public_stats(YEAR)
    small = {k: c for k, c in stats.cells.items() if 0 < c.n < 3}
    assert small, stats.cells  # steel (31) and the chemical firm (26) are alone in their groups
    assert all(c.suppressed for c in small.values()), small

    response = page.goto(f"{live_server.url}/stats/?year={YEAR}")  # anonymous
    assert response is not None and response.status == 200 and "/login/" not in page.url
    html = page.content()
    assert "—" in page.locator("body").inner_text()
    for key, c in stats.cells.items():
        if c.suppressed and c.total:
            for shown in (f"{c.total:,.2f}", f"{c.total:.2f}", f"{c.total:,.0f}", f"{c.energy:,.3f}"):
                assert shown not in html, (key, shown)
    # and independently of the suppression code: no enterprise's own annual total appears
    from django.db.models import Sum

    from dualcarbon.accounting.models import AccountEntry

    for org in (world.steel, world.other_city_firm):
        own = AccountEntry.objects.filter(enterprise=org, year=YEAR, is_current=True).aggregate(t=Sum("total_tco2e"))[
            "t"
        ]
        assert own and f"{own:,.2f}" not in html, org.name
    shot(page, "stats")

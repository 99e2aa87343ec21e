"""The account, lineage and region pages: scoping, figures, history, language, and query counts."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from dualcarbon.accounting import queries
from dualcarbon.accounting.models import AccountEntry
from dualcarbon.engine.methods import FORMULAS
from dualcarbon.reporting import services
from dualcarbon.reporting.models import Submission
from tests.web.helpers import add_enterprises, count_queries, fast_world, login, submit_many, submit_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings):
    return fast_world(settings)


def _account_url(org, year=2024):
    return reverse("accounting:enterprise", args=[org.pk]) + f"?year={year}"


def _entry(org, month, year=2024):
    return AccountEntry.objects.get(enterprise=org, year=year, month=month, is_current=True)


def _text(response) -> str:
    return response.content.decode()


# --------------------------------------------------------------------------- constant query counts


def _measure(client, world) -> dict[str, int]:
    """Query counts of every page kind, for the users who read them."""
    counts: dict[str, int] = {}
    users = world.users
    cement_entry = _entry(world.cement, 1)
    pages = [
        ("account/enterprise", users["cement"], _account_url(world.cement)),
        ("account/government", users["gov"], _account_url(world.cement)),
        ("account/bank", users["bank"], _account_url(world.cement)),
        ("account/verifier", users["verifier"], _account_url(world.cement)),
        ("lineage/enterprise", users["cement"], reverse("accounting:entry", args=[cement_entry.pk])),
        ("lineage/bank", users["bank"], reverse("accounting:entry", args=[cement_entry.pk])),
        ("region/government", users["gov"], reverse("accounting:region") + "?year=2024"),
        ("region/district", users["district"], reverse("accounting:region") + "?year=2024"),
        (
            "region/admin-filtered",
            users["admin"],
            reverse("accounting:region") + "?year=2024&month=1&district=339901&industry=30",
        ),
        ("home/bank", users["bank"], reverse("web:home")),
    ]
    for name, user, url in pages:
        client.logout()
        login(client, user)
        client.get(url)  # warm the session and the caches once
        counts[name], _ = count_queries(client, url)
    return counts


def test_query_counts_do_not_grow_with_data(client, world):
    submit_month(world.users["cement"], world.cement, 2024, 1)
    small = _measure(client, world)

    # many more enterprise-months: 6 more firms × 12 months, cement's whole year, a correction (two versions of a
    # month), an open correction draft and a verified + locked month — enough for any per-row query to show (a
    # larger region only made this the suite's slowest test: docs/testing.md § Timings)
    ents = add_enterprises(world, 6)
    items = [(u, o, 2024, m) for u, o in ents for m in range(1, 13)]
    items += [(world.users["cement"], world.cement, 2024, m) for m in range(2, 13)]
    items += [(world.users["steel"], world.steel, 2024, m) for m in range(1, 13)]
    submit_many(items)
    user = world.users["cement"]
    feb = Submission.objects.get(enterprise=world.cement, period__year=2024, period__month=2, is_current=True)
    v2 = services.correct(user, feb, "原煤用量录入错误，按结算单更正")
    services.save_draft(user, v2, services.DraftData(**_month(coal=6500)))
    services.submit(user, v2)
    mar = Submission.objects.get(enterprise=world.cement, period__year=2024, period__month=3, is_current=True)
    services.correct(user, mar, "待核对")  # an open correction draft
    jan = Submission.objects.get(enterprise=world.cement, period__year=2024, period__month=1, is_current=True)
    services.verify(world.users["verifier"], jan)
    services.lock(world.users["gov"], jan)
    assert AccountEntry.objects.count() > 95

    big = _measure(client, world)
    print("query counts (1 enterprise-month → 8 enterprises, 97 months):", big)
    assert big == small


def _month(**kw):
    from tests.factories import cement_month

    return cement_month(**kw)


# --------------------------------------------------------------------------- scoping


def test_staff_of_another_enterprise_gets_404(client, world):
    sub = submit_month(world.users["cement"], world.cement, 2024, 1)
    entry = AccountEntry.objects.get(submission=sub)
    login(client, world.users["steel"])
    for url in (
        _account_url(world.cement),
        reverse("accounting:export", args=[world.cement.pk]),
        reverse("accounting:report", args=[world.cement.pk]),
        reverse("accounting:entry", args=[entry.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("accounting:region")).status_code == 404
    login(client, world.users["cement"])
    assert client.get(_account_url(world.cement)).status_code == 200


def test_anonymous_users_are_sent_to_login(client, world):
    response = client.get(_account_url(world.cement))
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))


def test_bank_sees_only_consented_months(client, world):
    submit_many([(world.users["cement"], world.cement, 2024, m) for m in (5, 6, 7, 8)])
    login(client, world.users["bank"])
    response = client.get(_account_url(world.cement))
    assert response.status_code == 200
    account = response.context["account"]
    assert [e.month for e in account.entries] == [5, 6]
    assert account.totals["total"] == pytest.approx(
        _entry(world.cement, 5).total_tco2e + _entry(world.cement, 6).total_tco2e
    )
    html = _text(response)
    assert reverse("accounting:entry", args=[_entry(world.cement, 6).pk]) in html
    assert reverse("accounting:entry", args=[_entry(world.cement, 7).pk]) not in html
    assert "仅显示授权期间" in html
    assert client.get(reverse("accounting:entry", args=[_entry(world.cement, 7).pk])).status_code == 404
    assert client.get(reverse("accounting:entry", args=[_entry(world.cement, 6).pk])).status_code == 200
    assert client.get(_account_url(world.steel)).status_code == 404  # no consent
    assert client.get(reverse("accounting:region")).status_code == 404
    # another bank without consent sees nothing
    login(client, world.users["bank2"])
    assert client.get(_account_url(world.cement)).status_code == 404


def test_government_of_another_district_cannot_see(client, world):
    submit_many([(world.users["cement"], world.cement, 2024, 1), (world.users["steel"], world.steel, 2024, 1)])
    login(client, world.users["district"])  # 东城区: cement is there, steel is in 西城区
    assert client.get(_account_url(world.cement)).status_code == 200
    assert client.get(_account_url(world.steel)).status_code == 404
    assert client.get(reverse("accounting:entry", args=[_entry(world.steel, 1).pk])).status_code == 404
    response = client.get(reverse("accounting:region") + "?year=2024")
    view = response.context["view"]
    assert [r["enterprise"].pk for r in view.rows] == [world.cement.pk]
    assert view.totals["total"] == pytest.approx(_entry(world.cement, 1).total_tco2e)
    assert [d["region_code"] for d in view.districts] == ["339901"]
    assert "示范钢铁" not in _text(response)
    # the city government sees both districts
    login(client, world.users["gov"])
    view = client.get(reverse("accounting:region") + "?year=2024").context["view"]
    assert {d["region_code"] for d in view.districts} == {"339901", "339902"}
    # the firm of another city is visible to neither
    assert client.get(_account_url(world.other_city_firm)).status_code == 404


# --------------------------------------------------------------------------- the account page


def test_account_page_shows_the_stored_figures(client, world):
    submit_month(world.users["cement"], world.cement, 2024, 1)
    submit_many([(world.users["cement"], world.cement, 2024, m) for m in (2, 3)])
    draft = services.draft_for(world.users["cement"], world.cement, 2024, 4)  # a draft, not submitted
    assert draft.status == "draft"
    login(client, world.users["cement"])
    response = client.get(_account_url(world.cement))
    html = _text(response)
    entries = list(AccountEntry.objects.filter(enterprise=world.cement, is_current=True).order_by("month"))
    total = sum(e.total_tco2e for e in entries)
    assert f"{total:,.2f}" in html  # rounded only here, 2 dp
    assert f"{sum(e.energy_tce for e in entries):,.3f}" in html  # tce 3 dp
    account = response.context["account"]
    assert account.totals["intensity"] == pytest.approx(total / sum(float(e.value_added) for e in entries))
    statuses = {row.month: row.status for row in account.months}
    assert statuses[1] == statuses[2] == "submitted" and statuses[4] == "draft" and statuses[5] == "none"
    assert {s.key for s in account.by_source} == {"fuel_combustion", "process", "purchased_electricity"}
    assert {s.key for s in account.by_item} == {"RAW_COAL", "DIESEL", "ELECTRICITY", "CLINKER"}
    assert sum(t.share for t in account.tiers if t.share) == pytest.approx(1.0)
    assert "<svg" in html and "月度趋势" in html
    for e in entries:
        assert reverse("accounting:entry", args=[e.pk]) in html
    assert "ndrc-2015" in html and FORMULAS["fuel_ncv_cc_of"].expression in html
    assert "发改办气候〔2015〕1722号" in html  # the default set's document, on the account page too


def test_account_page_year_selector_and_empty_year(client, world):
    submit_many([(world.users["cement"], world.cement, y, 1) for y in (2023, 2024)])
    login(client, world.users["cement"])
    response = client.get(reverse("accounting:enterprise", args=[world.cement.pk]))
    assert response.context["account"].year == 2024  # latest year by default
    assert response.context["account"].years == [2024, 2023]
    response = client.get(_account_url(world.cement, 2023))
    assert [e.year for e in response.context["account"].entries] == [2023]
    response = client.get(_account_url(world.cement, 2019))
    assert response.status_code == 200 and not response.context["account"].entries
    assert "本年度暂无已核算的月份" in _text(response)


# --------------------------------------------------------------------------- lineage


def test_lineage_shows_the_raw_coal_line_with_its_factor_set_and_formula(client, world):
    sub = submit_month(world.users["cement"], world.cement, 2024, 1)
    entry = AccountEntry.objects.get(submission=sub)
    login(client, world.users["cement"])
    response = client.get(reverse("accounting:entry", args=[entry.pk]))
    html = _text(response)
    lin = response.context["lin"]
    coal = next(r for r in lin.rows if r.line.item == "RAW_COAL")
    assert coal.line.activity.item == "原煤" and coal.line.factor_set == "ndrc-2015"
    assert coal.formula["expression"] == FORMULAS["fuel_ncv_cc_of"].expression
    assert "原煤" in html and "RAW_COAL" in html and "ndrc-2015" in html
    assert FORMULAS["fuel_ncv_cc_of"].expression in html and FORMULAS["fuel_ncv_cc_of"].standard in html
    assert "20.908" in html  # NCV as used, with its origin
    assert "因子库缺省值" in html
    assert "grid-mee-nbs" in html  # the electricity line's set, and the run's factor sets
    assert f"{entry.total_tco2e:,.2f}" in html


def test_lineage_keeps_the_history_readable(client, world):
    user = world.users["cement"]
    v1 = submit_month(user, world.cement, 2024, 1)
    old = AccountEntry.objects.get(submission=v1)
    v2 = services.correct(user, v1, "原煤用量录入错误，按结算单更正")
    services.save_draft(user, v2, services.DraftData(**_month(coal=6900)))
    services.submit(user, v2)
    new = AccountEntry.objects.get(submission=v2)
    login(client, user)
    html = _text(client.get(reverse("accounting:entry", args=[new.pk])))
    assert "原煤用量录入错误，按结算单更正" in html
    assert f"{old.total_tco2e:,.2f}" in html and f"{new.total_tco2e:,.2f}" in html
    assert reverse("accounting:entry", args=[old.pk]) in html
    # the superseded version stays readable with its own figures
    response = client.get(reverse("accounting:entry", args=[old.pk]))
    assert response.status_code == 200 and response.context["entry"].total_tco2e == old.total_tco2e
    assert "已被取代" in _text(response)
    # the account page shows the current version
    account = client.get(_account_url(world.cement)).context["account"]
    assert account.months[0].version == 2 and account.entries[0].pk == new.pk


# --------------------------------------------------------------------------- region


def test_region_page_aggregates_in_the_database(client, world, monkeypatch):
    ents = add_enterprises(world, 7)
    submit_many([(u, o, 2024, m) for u, o in ents for m in (1, 2)] + [(world.users["cement"], world.cement, 2024, 1)])
    draft = services.draft_for(world.users["steel"], world.steel, 2024, 2)
    assert draft.status == "draft"
    login(client, world.users["gov"])
    response = client.get(reverse("accounting:region") + "?year=2024&month=2")
    view = response.context["view"]
    feb = AccountEntry.objects.filter(is_current=True, year=2024, month=2)
    assert view.totals["total"] == pytest.approx(sum(e.total_tco2e for e in feb))
    assert sum(d["total"] for d in view.districts) == pytest.approx(view.totals["total"])
    assert sum(i["total"] for i in view.industries) == pytest.approx(view.totals["total"])
    assert {i["division"] for i in view.industries} == {"26", "30", "31"}
    assert [m["month"] for m in view.months] == [1, 2]  # the month chart keeps the whole year
    status = {r["enterprise"].pk: r["status"] for r in view.rows}
    assert status[world.steel.pk] == "draft" and status[world.cement.pk] == "none"
    assert status[ents[0][1].pk] == "submitted"
    cement_row = next(r for r in view.rows if r["enterprise"].pk == world.cement.pk)
    assert cement_row["entry"].period == "2024-01"  # latest account, even when the month has none
    html = _text(response)
    assert reverse("accounting:enterprise", args=[world.cement.pk]) in html
    assert "杭州" not in html  # another city's firm
    # filters
    view = client.get(reverse("accounting:region") + "?year=2024&district=339902&industry=31").context["view"]
    assert {r["enterprise"].region_id for r in view.rows} == {"339902"}
    assert all(r["enterprise"].industry_id.startswith("31") for r in view.rows)
    # pagination (page size made small here; 50 in production)
    monkeypatch.setattr(queries, "REGION_PAGE_SIZE", 3)
    response = client.get(reverse("accounting:region") + "?year=2024&page=2")
    assert response.context["view"].page.number == 2 and len(response.context["view"].rows) == 3
    assert "page=3" in _text(response)
    # htmx requests get the body only
    response = client.get(reverse("accounting:region") + "?year=2024", headers={"HX-Request": "true"})
    body = _text(response)
    assert "<!doctype" not in body and 'id="region-body"' not in body and "<svg" in body and "<table" in body


def test_region_page_is_for_government_and_admin_only(client, world):
    for name in ("cement", "bank", "verifier"):
        login(client, world.users[name])
        assert client.get(reverse("accounting:region")).status_code == 404, name  # looks exactly like missing
    for name in ("gov", "district", "admin"):
        login(client, world.users[name])
        assert client.get(reverse("accounting:region")).status_code == 200, name


# --------------------------------------------------------------------------- language


def test_account_page_in_english(client, world):
    submit_many([(world.users["cement"], world.cement, 2024, 1)])
    login(client, world.users["cement"])
    response = client.post(reverse("set_language"), {"language": "en", "next": _account_url(world.cement)})
    assert response.status_code == 302
    html = _text(client.get(_account_url(world.cement)))
    for heading in ("Monthly trend", "Monthly accounts and reporting status", "Data-quality tiers", "Total emissions"):
        assert heading in html, heading
    assert "月度趋势" not in html
    assert 'lang="en"' in html
    entry = _entry(world.cement, 1)
    html = _text(client.get(reverse("accounting:entry", args=[entry.pk])))
    assert "How the" in html and "Emission lines" in html
    login(client, world.users["gov"])
    html = _text(client.get(reverse("accounting:region")))
    assert "Regional carbon accounts" in html and re.search(r"By district", html)


# --------------------------------------------------------------------------- market-based scope 2


def _green(world, month=1, grid_mwh=2300.0, green_mwh=600.0):
    """A month whose purchased electricity is partly green power (绿电), through the reporting services."""
    user = world.users["cement"]
    draft = services.draft_for(user, world.cement, 2024, month)
    data = _month(mwh=grid_mwh)
    data["activities"].append(
        {"source_type": "purchased_electricity", "item": "绿电", "quantity": green_mwh, "unit": "MWh"}
    )
    services.save_draft(user, draft, services.DraftData(**data))
    return services.submit(user, draft)


def _kpi(html: str, kpi_id: str) -> str:
    match = re.search(rf'id="{kpi_id}">([^\n]*)', html)  # a KPI is one line of the template
    assert match, kpi_id
    return match.group(1)


def test_entry_page_shows_both_scope2_views_and_the_market_factor_with_its_source(client, world):
    entry = AccountEntry.objects.get(submission=_green(world), is_current=True)
    login(client, world.users["cement"])
    html = _text(client.get(reverse("accounting:entry", args=[entry.pk])))
    assert "范围二（位置法）" in html and f"{entry.scope2_tco2e:,.2f}" in _kpi(html, "kpi-scope2")
    market = _kpi(html, "kpi-scope2-market")
    assert "范围二（市场法）" in market and f"{entry.scope2_market_tco2e:,.2f}" in market
    assert entry.scope2_market_tco2e == pytest.approx(2300 * 0.6096)
    # each electricity line: its market factor and where it comes from
    assert "市场法因子" in html
    assert "grid-mee-nbs 2023 national CN residual 0.6096 tCO2/MWh" in html  # the 电力 line
    assert "绿电（市场化交易的非化石能源电量）按零计" in html  # the 绿电 line
    # the year page: KPI, month column and total
    response = client.get(_account_url(world.cement))
    account = response.context["account"]
    assert account.totals["scope2_market"] == pytest.approx(entry.scope2_market_tco2e)
    page = _text(response)
    assert f"{entry.scope2_market_tco2e:,.2f}" in _kpi(page, "kpi-scope2-market")
    assert page.count(f"{entry.scope2_market_tco2e:,.2f}") >= 3  # KPI, January's row, the total row
    # in English
    html = _text(client.get(reverse("accounting:entry", args=[entry.pk]), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Scope 2 (market-based)" in html and "Scope 2 (location-based)" in html and "Market-based factor" in html


def test_an_entry_computed_before_the_market_based_view_says_not_computed(client, world):
    submit_many([(world.users["cement"], world.cement, 2024, m) for m in (1, 2)])
    old, new = _entry(world.cement, 1), _entry(world.cement, 2)
    # what migration 0004 leaves on an entry (and its lines) computed before: nulls
    AccountEntry.objects.filter(pk=old.pk).update(scope2_market_tco2e=None, total_market_tco2e=None)
    old.run.lines.update(market_factor=None, market_ref="", market_tco2e=None)
    login(client, world.users["cement"])
    html = _text(client.get(reverse("accounting:entry", args=[old.pk])))
    market = _kpi(html, "kpi-scope2-market")
    assert '<div class="value">—' in market and "未计算" in market
    assert "市场法因子" not in html  # no line claims a market factor it does not have
    assert f"{old.scope2_tco2e:,.2f}" in _kpi(html, "kpi-scope2")  # the location-based view is untouched
    # the year: no partial sum of the market-based view, February's own figure in its row
    response = client.get(_account_url(world.cement))
    assert response.context["account"].totals["scope2_market"] is None
    page = _text(response)
    assert '<div class="value">—' in _kpi(page, "kpi-scope2-market") and "未计算" in _kpi(page, "kpi-scope2-market")
    assert f"{new.scope2_market_tco2e:,.2f}" in page
    # the reporting page's account summary of that month
    html = _text(client.get(reverse("reporting:period", args=[2024, 1])))
    assert "范围二（市场法）" in html and "未计算" in html


# The defaults name official documents: NDRC 工业其他行业企业温室气体排放核算方法与报告指南（试行）
# (发改办气候〔2015〕1722号) 附录二 表2.1 for fuels, the MEE+NBS announcement of the year for electricity.
UNSOURCED = ("max.book118", "code corpus", "calculator", "unverified", "repo comment", "uploader")


def test_lineage_names_the_official_document_of_every_default(client, world):
    sub = submit_month(world.users["cement"], world.cement, 2024, 1)
    entry = AccountEntry.objects.get(submission=sub)
    login(client, world.users["cement"])
    response = client.get(reverse("accounting:entry", args=[entry.pk]))
    html = _text(response)
    lin = response.context["lin"]
    # the factor sets the run used, each as a sentence naming publisher, document title and number, table, date
    assert "国家发展和改革委员会办公厅发布的《工业其他行业企业温室气体排放核算方法与报告指南（试行）》" in html
    assert "（发改办气候〔2015〕1722号），附录二 表2.1 常用化石燃料相关参数的缺省值，2015年发布" in html
    assert "《关于发布2021年、2022年、2023年电力二氧化碳排放因子的公告》" in html and "公告2025年第47号" in html
    assert "官方原文未能查阅" in html  # read from transcriptions, and said so
    assert all(s.official for s in lin.factor_sets)
    # each default line says where its parameters come from: the coal line the table (原煤 is a platform rule)
    coal = next(r for r in lin.rows if r.line.item == "RAW_COAL")
    assert "发改办气候〔2015〕1722号" in coal.source and "平台规则" in coal.source
    elec = next(r for r in lin.rows if r.line.item == "ELECTRICITY")
    assert "生态环境部 国家统计局 公告2024年第33号" in elec.line.factor_ref  # the 2022 factor, latest for 2024
    for word in UNSOURCED:
        assert word not in html, word


def test_lineage_in_english_and_a_comparison_set_says_so(client, world):
    sub = submit_month(world.users["cement"], world.cement, 2024, 1)
    entry = AccountEntry.objects.get(submission=sub)
    login(client, world.users["cement"])
    client.cookies["django_language"] = "en"
    html = _text(client.get(reverse("accounting:entry", args=[entry.pk]), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Guidelines for Accounting and Reporting Greenhouse Gas Emissions of Other Industrial Enterprises" in html
    assert "(发改办气候〔2015〕1722号), published by General Office of the National Development and Reform" in html
    used = queries.factor_sets_used({"fuels-a": "2020-11"})
    assert not used[0].official and used[0].citation_zh.endswith("不是官方来源，仅供比对。")
    assert used[0].citation_en.endswith("not an official source; for comparison only.")

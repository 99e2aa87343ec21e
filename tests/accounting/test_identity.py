"""Every total states its identity: total = scope 1 + scope 2 − exported electricity/heat, to the cent as printed.

The identity itself is GB/T 32150 as the engine sums it (docs/methods.md § 1): the example there totals 3,092.10
of which scope 1 2,359.62 (CO2 recovery −20.00 inside), scope 2 781.01 and exported −48.53 (−26.53 − 22.00); the
150 t of biomass CO2 is a memo item. The printed terms are rounded to the cent and, when three roundings miss the
printed total, the cent goes to the term rounded furthest the other way (largest remainder).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.urls import reverse

from dualcarbon.accounting import queries, reports
from dualcarbon.accounting.identity import identity
from dualcarbon.accounting.models import AccountEntry
from dualcarbon.demo import generator
from dualcarbon.monitoring import queries as monitoring_queries
from dualcarbon.monitoring import reports as monitoring_reports
from dualcarbon.registry.models import Membership, Organisation
from dualcarbon.reporting import services
from tests.factories import cement_month
from tests.web.helpers import login

D = Decimal


def test_the_methods_example_states_its_terms():
    """docs/methods.md § 1 (total.csv): 2,359.62 + 781.01 − 48.53 = 3,092.10; recovery 20.00 inside scope 1."""
    i = identity(3092.10, 2359.62, 781.01, -48.53, recovery=-20.0, biomass_co2_t=150.0)
    assert [(t.key, t.shown) for t in i.terms] == [
        ("scope1", D("2359.62")),
        ("scope2", D("781.01")),
        ("exported", D("-48.53")),
    ]
    assert i.total_shown == D("3092.10") and i.holds
    assert [t.key for t in i.shown_terms] == ["scope1", "scope2", "exported"]
    assert i.recovery_magnitude == 20.0 and i.biomass_co2_t == 150.0
    assert i.as_dict() == {
        "total_tco2e": 3092.10,
        "terms": [
            {"key": "scope1", "tco2e": 2359.62},
            {"key": "scope2", "tco2e": 781.01},
            {"key": "exported", "tco2e": -48.53},
        ],
    }


def test_a_cent_lost_in_rounding_goes_to_the_term_rounded_furthest_down():
    # 1.004 + 1.004 = 2.008: printed 1.00 + 1.00 = 2.00, but the total prints 2.01. Both remainders are 0.004: the
    # first term (scope 1) takes the cent.
    i = identity(2.008, 1.004, 1.004, 0.0)
    assert (i.total_shown, [t.shown for t in i.terms]) == (D("2.01"), [D("1.01"), D("1.00"), D("0.00")])
    assert [t.key for t in i.shown_terms] == ["scope1", "scope2"]  # no deduction printed as 0.00
    # 150.003 + 0.008 − 49.999 = 100.012: printed 150.00 + 0.01 − 50.00 = 100.01 — it already adds up, nothing moves
    i = identity(100.012, 150.003, 0.008, -49.999)
    assert [t.shown for t in i.terms] == [D("150.00"), D("0.01"), D("-50.00")] and i.total_shown == D("100.01")
    # 10.006 − 3.003 − 2.003 = 5.000: printed 10.01 − 3.00 − 2.00 = 5.01 against 5.00; one cent too many. The term
    # rounded furthest up is scope 1 (+0.004 against −0.003 twice): it gives the cent back
    i = identity(5.0, 10.006, -3.003, -2.003)
    assert [t.shown for t in i.terms] == [D("10.00"), D("-3.00"), D("-2.00")] and i.total_shown == D("5.00")


def test_the_market_based_total_reuses_scope1_and_the_deduction_as_printed():
    # total 100.00 = 80.00 + 30.00 − 10.00; market-based 95.00 = 80.00 + 25.00 − 10.00 (scope 2 at the residual factor)
    i = identity(100.0, 80.0, 30.0, -10.0, scope2_market=25.0, total_market=95.0)
    assert i.market is not None and i.market.holds
    assert [(t.key, t.shown) for t in i.market.terms] == [
        ("scope1", D("80.00")),
        ("scope2_market", D("25.00")),
        ("exported", D("-10.00")),
    ]
    assert identity(100.0, 80.0, 30.0, -10.0).market is None  # computed before the market-based view


# --------------------------------------------------------------------------- every figure printed, demo data

NUM = r"-?[\d,]+\.\d{2}"
IDENTITY = re.compile(r'<div class="identity"[^>]*>(.*?)</div>', re.S)
TOTAL_BEFORE = re.compile(rf'({NUM})(?:<span class="unit">tCO2e| tCO2e|\s*<span class="u">tCO2e)')
TERM = re.compile(rf"([=+−])\s*[^\d=+−]*?({NUM})")


def _d(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _identities(html: str) -> list[tuple[Decimal, list[tuple[str, Decimal]]]]:
    """Each printed identity: the total printed just before it (the card's value) and its signed terms as printed."""
    out = []
    for m in IDENTITY.finditer(html):
        total = TOTAL_BEFORE.findall(html[: m.start()])[-1]
        text = re.sub(r"<[^>]+>", "", m.group(1))
        terms = [(op, _d(v) if op != "−" else -_d(v)) for op, v in TERM.findall(text)]
        out.append((_d(total), terms))
    return out


def _assert_identities_hold(html: str, expected: int) -> list[tuple[Decimal, list[tuple[str, Decimal]]]]:
    found = _identities(html)
    assert len(found) == expected, found
    for total, terms in found:
        assert sum(v for _op, v in terms) == total, (total, terms)
    return found


def _assert_rows_add_up(rows: list[tuple[str, ...]], expected: int) -> None:
    """Table rows (total, scope 1, scope 2, exported as printed, exported signed)."""
    assert len(rows) == expected, rows
    for total, s1, s2, exported in rows:
        assert _d(s1) + _d(s2) + _d(exported) == _d(total), (total, s1, s2, exported)


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


@pytest.mark.slow
@pytest.mark.django_db
def test_every_total_printed_on_a_demo_region_adds_up_to_the_cent(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    generator.build(12, (2025,))
    current = AccountEntry.objects.filter(is_current=True)
    exporter = Organisation.objects.get(pk=current.exclude(exported_tco2e=0).values("enterprise")[:1])
    assert current.exclude(exported_tco2e=0).count() == 12  # the power plant exports every month
    # a month of the next year with CO2 recovery (20 t: −20.00), exported heat (200 GJ × 0.11: −22.00) and biomass
    # (100 t × 1.5 tCO2/t = 150.00 t, a memo item), filed by ent1 through the reporting services
    staff = get_user_model().objects.get(username="ent1")
    filer = Membership.objects.get(user=staff).organisation
    draft = services.draft_for(staff, filer, 2026, 1)
    month = cement_month()
    month["activities"] += [
        {"source_type": "co2_recovery", "item": "CO2", "quantity": 20, "unit": "t"},
        {"source_type": "exported_heat", "item": "热力", "quantity": 200, "unit": "GJ"},
        {"source_type": "biomass", "item": "稻壳", "quantity": 100, "unit": "t", "factor": 1.5,
         "factor_unit": "tCO2/t", "param_basis": "declared"},
    ]  # fmt: skip
    services.save_draft(staff, draft, services.DraftData(**month))
    filed = AccountEntry.objects.get(submission=services.submit(staff, draft), is_current=True)
    assert (filed.by_source["co2_recovery"], filed.exported_tco2e, filed.biomass_co2_t) == pytest.approx(
        (-20.0, -22.0, 150.0)
    )
    gov = get_user_model().objects.get(username="gov")
    login(client, gov)

    # the region page: the year's card, and each industry row (total, scope 1, scope 2, exported)
    html = client.get(reverse("accounting:region") + "?year=2025").content.decode()
    ((total, terms),) = _assert_identities_hold(html, 1)
    assert total == _money(current.filter(year=2025).aggregate(s=Sum("total_tco2e"))["s"])
    assert [op for op, _v in terms] == ["=", "+", "−"]  # the power plant's exports are deducted
    industries = re.findall(
        rf'<td class="num">({NUM})</td><td class="num">({NUM})</td><td class="num">({NUM})</td>'
        rf'<td class="num">({NUM})</td><td class="num">-?[\d,]+\.\d{{3}}</td>',
        html,
    )
    divisions = {code[:2] for code in current.filter(year=2025).values_list("industry_code", flat=True)}
    _assert_rows_add_up(industries, len(divisions))
    kpi = {k: _d(re.search(rf'id="kpi-{k}"><div class="label">[^<]*</div><div class="value">({NUM})', html)[1])
           for k in ("scope1", "scope2", "exported")}  # fmt: skip
    assert [kpi["scope1"], kpi["scope2"], kpi["exported"]] == [v for _op, v in terms]
    # one month of it, and the exporter's district
    for query in ("?year=2025&month=6", f"?year=2025&district={exporter.region_id}"):
        _assert_identities_hold(client.get(reverse("accounting:region") + query).content.decode(), 1)

    # the monitoring dashboard (the year to date) and its monthly report
    html = client.get(reverse("monitoring:dashboard") + "?year=2025").content.decode()
    ((total, terms),) = _assert_identities_hold(html, 1)
    assert terms[2][1] == _money(current.filter(year=2025).aggregate(s=Sum("exported_tco2e"))["s"])
    view = monitoring_queries.dashboard(gov, monitoring_queries.DashboardFilter(year=2025, month=12))
    pdf = monitoring_reports.pdf_html(view, 12)
    rows = re.findall(rf"<td>([=+−]) [^<]+</td><td class=\"num\">({NUM})</td><td class=\"num\">({NUM})</td>", pdf)
    assert [op for op, _m, _y in rows] == ["=", "+", "−"]
    overview = re.search(rf'排放总量 tCO2e</td><td class="num">({NUM})</td><td class="num">({NUM})', pdf)
    month_total, year_total = overview.groups()
    assert _d(rows[0][1]) + _d(rows[1][1]) - _d(rows[2][1]) == _d(month_total)
    assert _d(rows[0][2]) + _d(rows[1][2]) - _d(rows[2][2]) == _d(year_total) == total

    # every enterprise's year page: the card, the market-based card, each month's row and the total row
    month_row = re.compile(
        rf'<td class="nowrap">2025-\d\d</td>\s*<td class="num"><b>({NUM})</b></td>\s*<td class="num">({NUM})</td>\s*'
        rf'<td class="num">({NUM})</td>\s*<td class="num">(?:{NUM}|—)</td>\s*<td class="num">({NUM})</td>'
    )
    total_row = re.compile(
        rf'<td>合计</td>\s*<td class="num">({NUM})</td>\s*<td class="num">({NUM})</td>\s*<td class="num">({NUM})</td>'
        rf'\s*<td class="num">(?:{NUM}|—)</td>\s*<td class="num">({NUM})</td>'
    )
    for org in Organisation.objects.filter(kind="enterprise"):
        html = client.get(reverse("accounting:enterprise", args=[org.pk]) + "?year=2025").content.decode()
        months = current.filter(enterprise=org, year=2025).count()
        market = current.filter(enterprise=org, year=2025, scope2_market_tco2e__isnull=False).count() == months
        found = _assert_identities_hold(html, 2 if market and months else 1 if months else 0)
        if months:
            stored = current.filter(enterprise=org, year=2025).aggregate(s=Sum("total_tco2e"))["s"]
            assert found[0][0] == _money(stored), org.name
        _assert_rows_add_up(month_row.findall(html), months)
        _assert_rows_add_up(total_row.findall(html), 1 if months else 0)

    # the lineage page of the exporter's months and of the month with CO2 recovery, exported heat and biomass
    for entry in current.filter(enterprise=exporter, year=2025, month__lte=3):
        html = client.get(reverse("accounting:entry", args=[entry.pk])).content.decode()
        ((total, _terms), _market) = _assert_identities_hold(html, 2)
        assert total == _money(entry.total_tco2e)
    html = client.get(reverse("accounting:entry", args=[filed.pk])).content.decode()
    ((total, terms), _market) = _assert_identities_hold(html, 2)
    assert total == _money(filed.total_tco2e) and terms[2] == ("−", D("-22.00"))
    assert "范围一已扣除 CO2 回收利用 20.00" in html and "生物质 CO2 150.00 t 为备忘项，不计入总量" in html

    # the exporter's PDF report: the card and each month's row
    account = queries.account_year(gov, exporter, 2025)
    pdf = reports.pdf_html(account)
    _assert_identities_hold(pdf, 2)
    pdf_rows = re.findall(
        rf'<td>2025-\d\d</td>\s*<td class="num">({NUM})</td><td class="num">({NUM})</td><td class="num">({NUM})</td>'
        rf'<td class="num">({NUM})</td>',
        pdf,
    )
    _assert_rows_add_up(pdf_rows, 12)

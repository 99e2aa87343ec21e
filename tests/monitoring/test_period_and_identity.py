"""Complete and partial years (docs/monitoring.md § Complete years) on the region page, the dashboard, /stats/, the
enterprise account and the rating region page, with the clock frozen in the new year; the dashboard's identity.

The world: 示范市 (3399) has two active enterprises (cement, steel), the platform three (and 杭州某化工). Each files
January and December of 2024 — so 2024 is complete: 2/2 (3/3) December accounts, 100 % ≥ 90 % — and cement alone
files January 2025 on 10 February 2025.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.reporting import services
from tests.factories import cement_month
from tests.web.helpers import fast_world, login, submit_many, submit_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings):
    return fast_world(settings)


@pytest.fixture
def clock(monkeypatch):
    """Freeze ``django.utils.timezone.now``/``localdate`` (where the code reads the clock) at a moment."""
    real_localdate = timezone.localdate

    def freeze(moment: datetime.datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)
        monkeypatch.setattr(
            timezone, "localdate", lambda value=None, timezone=None: real_localdate(value or moment, timezone)
        )

    return freeze


def _at(year: int, month: int, day: int) -> datetime.datetime:
    return datetime.datetime(year, month, day, 10, 0, tzinfo=datetime.UTC)


def _file(world, months_2024=(1, 12), enterprises=("cement", "steel", "far")):
    orgs = {"cement": world.cement, "steel": world.steel, "far": world.other_city_firm}
    submit_many([(world.users[u], orgs[u], 2024, m) for u in enterprises for m in months_2024])


def _sum(**kw) -> float:
    return AccountEntry.objects.filter(is_current=True, **kw).aggregate(s=Sum("total_tco2e"))["s"]


def _get(client, url, lang="zh-hans"):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200, url
    return response


NOTE_2024 = "默认显示最近的完整年度 2024 年。2025 年尚不完整（1 月累计，1/2 家已报送）。"


def test_one_filing_for_january_of_a_new_year_moves_no_default_view(client, world, clock):
    clock(_at(2025, 2, 10))
    _file(world)
    submit_month(world.users["cement"], world.cement, 2025, 1)
    login(client, world.users["gov"])

    r = _get(client, reverse("accounting:region"))
    assert r.context["view"].filters.year == 2024
    assert NOTE_2024 in r.content.decode()
    assert r.context["view"].totals["total"] == pytest.approx(
        _sum(year=2024, enterprise__region__code__startswith="3399")
    )

    r = _get(client, reverse("monitoring:dashboard"))
    assert r.context["d"].year == 2024 and r.context["d"].through_month == 12
    assert NOTE_2024 in r.content.decode()

    r = _get(client, reverse("monitoring:completeness"))
    assert r.context["m"].year == 2024

    client.logout()
    r = _get(client, reverse("public-stats"))  # the whole platform: three enterprises
    assert r.context["s"].year == 2024
    assert "默认显示最近的完整年度 2024 年。2025 年尚不完整（1 月累计，1/3 家已报送）。" in r.content.decode()
    assert r.context["s"].grand.total == pytest.approx(_sum(year=2024))

    # the enterprise: its own latest complete year (its December), the new year named as partial
    login(client, world.users["cement"])
    r = _get(client, reverse("accounting:enterprise", args=[world.cement.pk]))
    assert r.context["account"].year == 2024
    assert "默认显示最近的完整年度 2024 年。2025 年尚不完整（1 月累计，非完整年度）。" in r.content.decode()


def test_the_new_year_asked_for_is_partial_and_compared_with_the_same_months(client, world, clock):
    clock(_at(2025, 2, 10))
    _file(world)
    submit_month(world.users["cement"], world.cement, 2025, 1)
    login(client, world.users["gov"])

    for lang, text in (
        ("zh-hans", "2025 年 1 月累计，1/2 家已报送。"),
        ("en", "2025, January to date: 1/2 enterprises reported."),
    ):
        html = _get(client, reverse("accounting:region") + "?year=2025", lang).content.decode()
        assert f'<span class="text">{text}</span>' in html, lang
        html = _get(client, reverse("monitoring:dashboard") + "?year=2025", lang).content.decode()
        assert f'<span class="text">{text}</span>' in html, lang

    # year on year: January 2025 (cement) against January 2024 (cement and steel), not against all of 2024
    jan_2025 = _sum(year=2025, month=1)
    jan_2024 = _sum(year=2024, month=1, region_code__startswith="3399")
    r = _get(client, reverse("monitoring:dashboard") + "?year=2025")
    d = r.context["d"]
    assert (d.year, d.through_month) == (2025, 1)
    assert d.totals["prev_total"] == pytest.approx(jan_2024)
    assert d.totals["prev_total"] != pytest.approx(_sum(year=2024, region_code__startswith="3399"))
    change = f"{(jan_2025 - jan_2024) / jan_2024 * 100:.1f}%"
    assert f"同比 {change}（与 2024 年 1 月比较）" in r.content.decode()
    html = _get(client, reverse("monitoring:dashboard") + "?year=2025", "en").content.decode()
    assert f"{change} (compared with January 2024)" in html

    client.logout()
    html = _get(client, reverse("public-stats") + "?year=2025").content.decode()
    assert '<span class="text">2025 年 1 月累计，1/3 家已报送。</span>' in html
    login(client, world.users["cement"])
    html = _get(client, reverse("accounting:enterprise", args=[world.cement.pk]) + "?year=2025").content.decode()
    assert '<span class="text">2025 年 1 月累计，非完整年度。</span>' in html


def test_a_year_is_complete_once_its_reporting_deadline_has_passed(client, world, clock):
    """Steel never files December 2024 (1/2 = 50 % < 90 %): 2024 is partial until 31 March 2025, complete after."""
    clock(_at(2025, 3, 31))
    submit_many(
        [(world.users["cement"], world.cement, 2024, m) for m in (1, 12)]
        + [(world.users["steel"], world.steel, 2024, 1)]
    )
    submit_month(world.users["cement"], world.cement, 2025, 1)
    login(client, world.users["gov"])
    r = _get(client, reverse("accounting:region"))
    assert r.context["view"].filters.year == 2025  # no complete year: the latest year with an account
    assert "尚无完整年度，显示最近有数据的年度：2025 年 1 月累计，1/2 家已报送。" in r.content.decode()
    clock(_at(2025, 4, 1))
    login(client, world.users["gov"])  # a new day, a new session
    r = _get(client, reverse("accounting:region"))
    assert r.context["view"].filters.year == 2024
    assert NOTE_2024 in r.content.decode()


def test_the_dashboard_total_states_scope1_scope2_and_the_exported_electricity(client, world):
    """The summary keeps the total and the scopes; the deduction it states is Σ exported_tco2e of the same accounts."""
    user = world.users["cement"]
    draft = services.draft_for(user, world.cement, 2024, 1)
    data = cement_month()
    data["activities"].append({"source_type": "exported_electricity", "item": "电力", "quantity": 400, "unit": "MWh"})
    services.save_draft(user, draft, services.DraftData(**data))
    services.submit(user, draft)
    submit_month(world.users["steel"], world.steel, 2024, 1)
    login(client, world.users["gov"])
    r = _get(client, reverse("monitoring:dashboard") + "?year=2024")
    i = r.context["d"].identity
    sums = AccountEntry.objects.filter(is_current=True, year=2024).aggregate(
        t=Sum("total_tco2e"), s1=Sum("scope1_tco2e"), s2=Sum("scope2_tco2e"), x=Sum("exported_tco2e")
    )
    assert [t.key for t in i.terms] == ["scope1", "scope2", "exported"]
    assert [t.value for t in i.terms] == pytest.approx([sums["s1"], sums["s2"], sums["x"]], rel=1e-12)
    assert sums["x"] < -100  # 400 MWh at 浙江's grid factor, deducted
    assert i.holds and i.total_shown == Decimal(f"{sums['t']:.2f}")
    exported = i.by_key["exported"].magnitude
    printed = f'− <span class="term" data-key="exported" data-value="-{exported}">输出电力/热力 <span class="v">'
    printed += f"{exported:,.2f}</span>"
    assert printed in r.content.decode()

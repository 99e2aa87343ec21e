"""The persisted regional summary: the dashboard, the monthly report and the public statistics read it, and
their figures equal a direct computation from the current AccountEntry and Submission rows.

The fixture region goes through the real write paths: months submitted in batches (accounting.compute),
a correction (a new version replaces the account), a verification and a lock (status only), an enterprise
moved to the other district in mid-year (its accounts carry two counties in one year), a deactivated
enterprise, and a current submission without an account. The reference figures below are computed the way
the dashboard computed them before the summary existed (straight from AccountEntry).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dualcarbon.accounting import scoping as accounting_scoping
from dualcarbon.accounting.models import AccountEntry
from dualcarbon.monitoring import aggregates, queries, scoping
from dualcarbon.monitoring.models import SummaryAnnual, SummaryCell, SummaryRollup
from dualcarbon.registry import access
from dualcarbon.registry import services as registry
from dualcarbon.registry.models import Membership, Organisation
from dualcarbon.reporting import scoping as reporting_scoping
from dualcarbon.reporting import services as reporting
from dualcarbon.reporting.models import Submission
from tests.factories import PASSWORD, build_world, cement_month
from tests.web.helpers import (
    add_enterprises,
    data_for_the_module,
    login,
    submit_many,
    submit_month,
)

# the fixture region is built once for the module (data_for_the_module), on one pytest-xdist worker
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("monitoring-summary")]
DONE = ("submitted", "verified", "locked")


@pytest.fixture(scope="module")
def region(django_db_setup, django_db_blocker):
    """The fixture region: 2 + 8 enterprises in two districts, 2023 and 2024, every kind of change. Built once for
    the module; every test runs in a savepoint inside it and is rolled back."""
    with data_for_the_module(django_db_blocker):
        yield _build_region()


def _build_region():
    world = build_world()
    u = world.users
    ents = add_enterprises(world, 8)
    firms = [(u["cement"], world.cement), (u["steel"], world.steel), *ents]
    submit_many(
        [(us, o, 2023, m) for us, o in firms[:6] for m in range(1, 13)]
        + [(us, o, 2024, m) for us, o in firms for m in range(1, 5)]
        + [(u["far"], world.other_city_firm, 2024, m) for m in (1, 2)]
    )
    # a correction of cement's February: version 2 replaces the account
    first = Submission.objects.get(enterprise=world.cement, period__year=2024, period__month=2, is_current=True)
    draft = reporting.correct(u["cement"], first, "补录柴油用量")
    reporting.save_draft(u["cement"], draft, reporting.DraftData(**cement_month(coal=9100.0)))
    reporting.submit(u["cement"], draft)
    # verified and locked (status only: the figures stay)
    january = Submission.objects.get(enterprise=world.cement, period__year=2024, period__month=1, is_current=True)
    reporting.lock(u["gov"], reporting.verify(u["verifier"], january))
    # an enterprise moves to the other district: its later months are accounted there
    mover_user, mover = ents[0]
    mover.region = world.district_b
    mover.save()
    submit_month(mover_user, mover, 2024, 5)
    # a deactivated enterprise: its accounts count, its submissions not in the completeness
    retired = ents[1][1]
    retired.is_active = False
    retired.save()
    # May for a few more; a current submission without an account (e.g. written by a bulk load)
    submit_many([(us, o, 2024, 5) for us, o in firms[3:6]])
    draft = reporting.draft_for(ents[5][0], ents[5][1], 2024, 6)
    reporting.save_draft(ents[5][0], draft, reporting.DraftData(**cement_month()))
    Submission.objects.filter(pk=draft.pk).update(status="submitted", is_current=True)
    aggregates.refresh_periods([draft.period_id])
    # a government user of both districts (two prefixes: distinct enterprises counted over the cells)
    both = Organisation.objects.create(kind="government", name="两区联合专班", region=world.district_b)
    two = registry.create_user("two", PASSWORD, world.district_gov, Membership.Role.GOVERNMENT_STAFF)
    registry.add_member(two, both, Membership.Role.GOVERNMENT_STAFF)
    world.users["two"] = two
    world.mover, world.retired = mover, retired
    return world


# --------------------------------------------------------------------------- the reference: straight from the accounts


def _reference(user: Any, f: queries.DashboardFilter) -> dict[str, Any]:
    base = accounting_scoping.account_entries(user).filter(is_current=True)
    base = base.filter(scoping.monitoring_q(user, "region_code"))
    if f.district:
        base = base.filter(access.prefix_q("region_code", f.district))
    year = f.year
    assert year is not None
    if f.month:
        base = base.filter(Q(year__lt=year) | Q(year=year, month__lte=f.month))
    through = max(base.filter(year=year).values_list("month", flat=True), default=0)
    window = base.filter(Q(year=year) | Q(year=year - 1, month__lte=through or 12))
    cur, prev = Q(year=year), Q(year=year - 1, month__lte=through or 12)
    sums = {
        "cur_total": Sum("total_tco2e", filter=cur),
        "prev_total": Sum("total_tco2e", filter=prev),
        "cur_energy": Sum("energy_tce", filter=cur),
        "cur_va": Sum("value_added", filter=cur & Q(value_added__gt=0)),
        "cur_total_va": Sum("total_tco2e", filter=cur & Q(value_added__gt=0)),
        "cur_enterprises": Count("enterprise", filter=cur, distinct=True),
        "prev_enterprises": Count("enterprise", filter=prev, distinct=True),
        "cur_scope1": Sum("scope1_tco2e", filter=cur),
        "cur_scope2": Sum("scope2_tco2e", filter=cur),
        "cur_months": Count("pk", filter=cur),
    }
    districts = {r["region_code"]: r for r in window.values("region_code").annotate(**sums).order_by()}
    industries = {
        r["division"]: r
        for r in window.annotate(division=Substr("industry_code", 1, 2)).values("division").annotate(**sums).order_by()
    }
    months = {
        (r["year"], r["month"]): r["t"]
        for r in base.filter(year__in=[year, year - 1]).values("year", "month").annotate(t=Sum("total_tco2e"))
    }
    top = list(
        base.filter(year=year)
        .values("enterprise_id", "region_code")
        .annotate(total=Sum("total_tco2e"), months=Count("pk"))
        .order_by("-total", "enterprise_id")[: queries.TOP_N]
    )
    ents = access.readable_enterprises(user, scope=access.ACCOUNTS).filter(
        scoping.monitoring_q(user, "region__code"), is_active=True
    )
    if f.district:
        ents = ents.filter(access.prefix_q("region__code", f.district))
    statuses = dict(
        reporting_scoping.submissions(user)
        .filter(enterprise__in=ents.values("pk"), is_current=True, period__year=year, period__month__lte=through)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        "through": through,
        "totals": window.aggregate(**sums),
        "districts": districts,
        "industries": industries,
        "months": months,
        "top": [(t["enterprise_id"], t["region_code"], pytest.approx(t["total"]), t["months"]) for t in top],
        "enterprises": ents.count(),
        "statuses": statuses,
    }


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return float(a) == pytest.approx(float(b), rel=1e-9, abs=1e-9)


def _same(dashboard: dict[str, Any], reference: dict[str, Any], where: str) -> list[str]:
    wrong = [k for k, v in reference.items() if not _close(dashboard.get(k), v)]
    return [f"{where}.{k}: {dashboard.get(k)!r} != {reference[k]!r}" for k in wrong]


def _compare(user: Any, f: queries.DashboardFilter) -> list[str]:
    d = queries.dashboard(user, f)
    ref = _reference(user, f)
    errors = [] if d.through_month == ref["through"] else [f"through {d.through_month} != {ref['through']}"]
    errors += _same(d.totals, ref["totals"], "totals")
    got = {r["region_code"]: r for r in d.districts}
    errors += [] if set(got) == set(ref["districts"]) else [f"districts {set(got)} != {set(ref['districts'])}"]
    for code, r in ref["districts"].items():
        errors += _same(got.get(code, {}), r, f"district {code}")
    got = {r["division"]: r for r in d.industries}
    errors += [] if set(got) == set(ref["industries"]) else [f"industries {set(got)} != {set(ref['industries'])}"]
    for code, r in ref["industries"].items():
        errors += _same(got.get(code, {}), {k: v for k, v in r.items() if k != "division"}, f"division {code}")
    for m in d.months:
        for y, key in ((d.year, "total"), (d.year - 1, "prev_total")):
            if not _close(m[key], ref["months"].get((y, m["month"]))):
                errors.append(f"month {y}-{m['month']}: {m[key]} != {ref['months'].get((y, m['month']))}")
    top = [(t["enterprise_id"], t["region_code"], t["total"], t["months"]) for t in d.top]
    if top != ref["top"]:
        errors.append(f"top {top} != {ref['top']}")
    c = d.completeness
    if c["enterprises"] != ref["enterprises"]:
        errors.append(f"enterprises {c['enterprises']} != {ref['enterprises']}")
    for s in ("draft", *DONE):
        if c[s] != ref["statuses"].get(s, 0):
            errors.append(f"status {s}: {c[s]} != {ref['statuses'].get(s, 0)}")
    return errors


FILTERS = [
    {"year": 2024},
    {"year": 2024, "month": 3},
    {"year": 2023},
    {"year": 2024, "district": "339902"},
    {"year": 2024, "district": "339901", "month": 2},
]


def test_dashboard_figures_equal_a_direct_computation_from_the_accounts(region):
    """Every figure, for the city, a district, the admin and a two-district user, with each filter."""
    assert SummaryCell.objects.exists() and SummaryRollup.objects.exists()
    errors = []
    for role in ("gov", "district", "admin", "two"):
        for kw in FILTERS:
            errors += [f"{role} {kw}: {e}" for e in _compare(region.users[role], queries.DashboardFilter(**kw))]
    assert not errors, "\n".join(errors)


def test_the_fixture_has_what_the_comparison_needs(region):
    """The cases the summary must get right are really in the data (so the comparison can fail)."""
    mover = AccountEntry.objects.filter(enterprise=region.mover, year=2024, is_current=True)
    assert set(mover.values_list("region_code", flat=True)) == {"339901", "339902"}
    assert AccountEntry.objects.filter(enterprise=region.cement, year=2024, month=2).count() == 2
    assert Submission.objects.filter(is_current=True, status="locked").count() == 1
    assert SummaryCell.objects.filter(has_account=False, status="submitted").count() == 1
    assert not Organisation.objects.get(pk=region.retired.pk).is_active
    # the mover counts once in the city, once in each district
    d = queries.dashboard(region.users["gov"], queries.DashboardFilter(year=2024))
    ids_2024 = set(
        AccountEntry.objects.filter(is_current=True, year=2024, region_code__startswith="3399").values_list(
            "enterprise_id", flat=True
        )
    )
    assert d.totals["cur_enterprises"] == len(ids_2024) == 10
    assert sum(r["cur_enterprises"] for r in d.districts) == 11


def test_public_statistics_equal_a_direct_computation(region):
    stats = queries.public_stats(2024)
    qs = AccountEntry.objects.filter(is_current=True, year=2024).annotate(division=Substr("industry_code", 1, 2))
    sums = {
        "n": Count("enterprise", distinct=True),
        "total": Sum("total_tco2e"),
        "energy": Sum("energy_tce"),
        "va": Sum("value_added", filter=Q(value_added__gt=0)),
    }
    expected: dict[tuple[str, str], dict[str, Any]] = {}
    for r in qs.values("region_code", "division").annotate(**sums).order_by():
        expected[(r["region_code"], r["division"])] = r
    for r in qs.values("region_code").annotate(**sums).order_by():
        expected[(r["region_code"], "")] = r
    for r in qs.values("division").annotate(**sums).order_by():
        expected[("", r["division"])] = r
    expected[("", "")] = qs.aggregate(**sums)
    assert set(stats.cells) == set(expected)
    for key, r in expected.items():
        c = stats.cells[key]
        assert c.n == r["n"], key
        assert c.total == pytest.approx(r["total"]) and c.energy == pytest.approx(r["energy"]), key
        assert c.va == pytest.approx(float(r["va"] or 0)), key
    assert stats.years == [2024, 2023]


def _rounded(rows: list[Any]) -> list[Any]:
    """Floats to 6 decimals: the same sums added in another order differ in the last bit."""
    return [tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in rows]


def _snapshot() -> tuple[list[Any], list[Any], list[Any]]:
    cells = list(
        SummaryCell.objects.order_by("period_id").values_list(
            *[c for c in aggregates.CELL_COLUMNS if c != "refreshed_at"]
        )
    )
    fields = [f.attname for f in SummaryRollup._meta.concrete_fields if f.attname != "id"]
    rollup = list(SummaryRollup.objects.order_by("year", "region_code", "division", "month").values_list(*fields))
    annual = list(
        SummaryAnnual.objects.order_by("enterprise_id", "year", "region_code").values_list(*aggregates.ANNUAL_COLUMNS)
    )
    return _rounded(cells), _rounded(rollup), _rounded(annual)


def test_incremental_maintenance_equals_a_full_rebuild(region):
    _rollup_is_small()
    # the annual rows are the sums of the accounted cells, one per enterprise-year-county-industry
    mover = list(SummaryAnnual.objects.filter(enterprise=region.mover, year=2024).order_by("region_code"))
    assert [(a.region_code, a.months) for a in mover] == [("339901", 4), ("339902", 1)]
    entries = AccountEntry.objects.filter(enterprise=region.mover, year=2024, is_current=True)
    assert sum(a.total_tco2e for a in mover) == pytest.approx(entries.aggregate(t=Sum("total_tco2e"))["t"])
    incremental = _snapshot()
    result = aggregates.rebuild()
    assert _snapshot() == incremental
    assert result.cells == SummaryCell.objects.count() == len(incremental[0])
    assert result.rollup_rows == SummaryRollup.objects.count() > 0


def test_region_rebuild_repairs_a_damaged_summary(region, capsys):
    full = _snapshot()
    SummaryCell.objects.filter(region_code="339901").delete()
    SummaryRollup.objects.filter(region_code="339902").update(total_tco2e=0.0, entrants_4=99)
    SummaryAnnual.objects.filter(region_code="339902").update(total_tco2e=1.0)
    SummaryRollup.objects.create(region_code="339901", division="99", year=2024, month=7, accounts=3)
    assert _snapshot() != full
    call_command("rebuild_aggregates", "--region", "3399")
    assert _snapshot() == full
    out = capsys.readouterr().out
    assert "3399" in out and "cells" in out
    # the whole summary, from nothing
    SummaryCell.objects.all().delete()
    SummaryRollup.objects.all().delete()
    SummaryAnnual.objects.all().delete()
    call_command("rebuild_aggregates")
    assert _snapshot() == full


def test_dashboard_and_public_statistics_do_not_read_the_accounts(client, region):
    """The pages read the summary tables only (the account entries are not scanned per request)."""
    login(client, region.users["gov"])
    for url in (reverse("monitoring:dashboard") + "?year=2024", reverse("public-stats") + "?year=2024"):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        tables = " ".join(q["sql"] for q in ctx.captured_queries)
        assert AccountEntry._meta.db_table not in tables, url
        assert SummaryRollup._meta.db_table in tables, url


def _rollup_is_small() -> None:
    """One rollup row per county × division × month present in the cells (by account, and by registered county
    for the statuses): far fewer rows than enterprise-months."""
    groups = set(SummaryCell.objects.values_list("region_code", "division", "year", "month"))
    groups |= set(SummaryCell.objects.exclude(status="").values_list("home_region", "division", "year", "month"))
    assert SummaryRollup.objects.count() == len(groups) < SummaryCell.objects.count()

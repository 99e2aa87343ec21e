"""Public statistics (suppression of small groups and of their complements) and the monthly report files."""

from __future__ import annotations

import io

import pytest
from django.db.models import Sum
from django.urls import reverse
from openpyxl import load_workbook

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.monitoring.queries import Cell, public_stats, suppress
from tests.web.helpers import add_enterprises, fast_world, login, submit_many

STATS = reverse("public-stats")


def _cells(table):
    return {k: Cell(n=n, total=float(t)) for k, (n, t) in table.items()}


def test_primary_and_complementary_suppression():
    # rows a, b; columns x, y; margins under "". a·x has 1 enterprise → suppressed; a·y must go too
    # (a's total minus a·y would give a·x), and so must the column x partner b·x.
    cells = _cells(
        {
            ("a", "x"): (1, 10), ("a", "y"): (5, 50), ("a", ""): (6, 60),
            ("b", "x"): (4, 40), ("b", "y"): (3, 30), ("b", ""): (7, 70),
            ("", "x"): (5, 50), ("", "y"): (8, 80), ("", ""): (13, 130),
        }
    )  # fmt: skip
    suppress(cells, ["a", "b"], ["x", "y"])
    hidden = {k for k, c in cells.items() if c.suppressed}
    assert ("a", "x") in hidden and cells[("a", "x")].why == "primary"
    assert {("a", "y"), ("b", "x")} <= hidden
    # no row or column is left with exactly one suppressed entry
    for line in ([("a", "x"), ("a", "y"), ("a", "")], [("b", "x"), ("b", "y"), ("b", "")],
                 [("a", "x"), ("b", "x"), ("", "x")], [("a", "y"), ("b", "y"), ("", "y")],
                 [("", "x"), ("", "y"), ("", "")], [("a", ""), ("b", ""), ("", "")]):  # fmt: skip
        assert sum(cells[k].suppressed for k in line) != 1, line


def test_nothing_suppressed_when_groups_are_large():
    cells = _cells({("a", "x"): (3, 1), ("a", ""): (3, 1), ("", "x"): (3, 1), ("", ""): (3, 1)})
    suppress(cells, ["a"], ["x"])
    assert not any(c.suppressed for c in cells.values())


@pytest.mark.django_db
def test_public_page_shows_no_suppressed_figure(client, settings):
    world = fast_world(settings)
    u = world.users
    ents = add_enterprises(world, 6)  # 3 in 339901, 3 in 339902; industries 30, 31, 26 alternating
    submit_many(
        [(us, o, 2024, m) for us, o in ents for m in (1, 2)]
        + [
            (u[k], o, 2024, m)
            for k, o in (("cement", world.cement), ("steel", world.steel), ("far", world.other_city_firm))
            for m in (1, 2)
        ]
    )
    stats = public_stats(2024)
    assert stats.any_suppressed
    r = client.get(STATS + "?year=2024")  # anonymous
    assert r.status_code == 200
    html = r.content.decode()
    assert "—" in html
    # the published methods, each section a link into /methods/
    link = (
        '<a href="/methods/#1-total-emissions-per-gb-t-32150-2015">'
        "1 排放总量（Total emissions per GB/T 32150-2015）</a>"
    )
    assert link in html
    for key, c in stats.cells.items():
        if c.suppressed and c.total:
            for shown in (f"{c.total:,.2f}", f"{c.total:.2f}", f"{c.energy:,.3f}"):
                assert shown not in html, (key, shown)
    for org in (world.steel, world.other_city_firm, world.cement):
        own = AccountEntry.objects.filter(enterprise=org, year=2024).aggregate(t=Sum("total_tco2e"))["t"]
        assert f"{own:,.2f}" not in html
    # no enterprise name or USCC ever appears
    for org in (world.steel, world.cement, *(o for _, o in ents)):
        assert org.name not in html and org.uscc not in html
    # the grand total (9 enterprises) is public and equals the database sum
    grand = AccountEntry.objects.filter(year=2024, is_current=True).aggregate(t=Sum("total_tco2e"))["t"]
    assert not stats.grand.suppressed and f"{grand:,.2f}" in html


@pytest.mark.django_db
def test_monthly_report_pdf_and_excel(client, settings):
    world = fast_world(settings)
    u = world.users
    submit_many([(u["cement"], world.cement, 2024, m) for m in (1, 2, 3)] + [(u["steel"], world.steel, 2024, 1)])
    login(client, u["gov"])
    r = client.get(reverse("monitoring:report_xlsx", args=[2024, 2]))
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert {"概况", "按月", "按县区", "按行业", "排放前十", "目标"} <= set(wb.sheetnames)
    ytd = AccountEntry.objects.filter(year=2024, month__lte=2).aggregate(t=Sum("total_tco2e"))["t"]
    assert wb["概况"]["B6"].value == pytest.approx(ytd)  # through February only
    r = client.get(reverse("monitoring:report_pdf", args=[2024, 2]))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    from dualcarbon.monitoring import queries, reports

    f = queries.DashboardFilter(year=2024, month=2)
    html = reports.pdf_html(queries.dashboard(u["gov"], f), 2)
    assert "区域碳排放月报" in html and "<svg" in html and world.steel.name in html
    # the district user's report has only its district
    login(client, u["district"])
    r = client.get(reverse("monitoring:report_xlsx", args=[2024, 2]))
    text = "".join(str(c.value) for ws in load_workbook(io.BytesIO(r.content)) for row in ws.iter_rows() for c in row)
    assert world.cement.name in text and world.steel.name not in text
    assert client.get("/monitoring/report/2024/13.pdf").status_code == 404

"""Lists of grades: a bank's consenting enterprises with the grade its consents let it read (each grade shown a
logged read), and the region list naming counties and GB/T 4754 industries instead of codes."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse

from dualcarbon.rating import services
from dualcarbon.rating.models import RatingResult
from dualcarbon.registry.models import AccessLog, Consent
from tests.rating.helpers import TYPO_MONTH, YEAR, rated_world

pytestmark = pytest.mark.django_db
BACKEND = "django.contrib.auth.backends.ModelBackend"
BANK = reverse("rating:bank")


@pytest.fixture
def rw():
    world = rated_world()
    services.rate_region("3399", YEAR)
    bank, cement = world.world.bank, world.cement
    # 同行水泥1 lets the bank read all of 2024 (its annual grade), 同行水泥2 only 2025 (no grade of 2024 readable);
    # 示范水泥's consent (build_world) covers 2024-01..06: half a year, no annual grade either
    for org, first, last in ((world.peers[1], "2024-01", "2024-12"), (world.peers[2], "2025-01", "2025-12")):
        Consent.objects.create(
            enterprise=org,
            bank=bank,
            purpose="流动资金贷款授信",
            scope="accounts,grade",
            data_from=first,
            data_until=last,
            valid_from=datetime.date(2020, 1, 1),
            valid_until=datetime.date(2099, 12, 31),
            created_by=world.users["cement"],
        )
    assert Consent.objects.filter(bank=bank, enterprise=cement).count() == 1
    return world


def get(client, rw, who, url):
    client.logout()
    client.force_login(rw.users[who], backend=BACKEND)
    return client.get(url)


def rows(html: str) -> dict[str, str]:
    """The bank list's rows by enterprise id."""
    return dict(re.findall(r'<tr data-enterprise="(\d+)">(.*?)</tr>', html, re.S))


def cells(row: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_a_bank_sees_its_consenting_enterprises_grades_with_a_link_to_why(client, rw):
    peer1, peer2, cement = rw.peers[1], rw.peers[2], rw.cement
    r = get(client, rw, "bank", BANK)
    assert r.status_code == 200
    html = r.content.decode()
    listed = rows(html)
    # the consenting enterprises, by name; no one else (示范钢铁, the other peers: no consent)
    assert list(listed) == [str(o.pk) for o in sorted([cement, peer1, peer2], key=lambda o: o.name)]
    # 同行水泥1: the peers 1–3 are graded 3 (tests/rating/test_views.py, region distribution), 3 → yellow
    # (rating.models.GRADE_COLOURS); its industry and county by name
    assert cells(listed[str(peer1.pk)]) == [
        "同行水泥1有限公司",
        peer1.uscc,
        "非金属矿物制品业",
        "东城区",
        "2024",
        "3 级 · 黄",
        "高碳",  # docs/rating.md § Level: L > 2.0 tCO2/万元 (the peers' coal per 万元 of value added)
        "2025-12-31",  # docs/rating.md § Validity: a grade of 2024 is valid 2025-01-01 … end of 2024 + 1
        "评级说明",
    ]
    assert f'href="{reverse("rating:enterprise", args=[peer1.pk])}?year=2024"' in listed[str(peer1.pk)]
    assert 'data-mark="3"' in listed[str(peer1.pk)]
    none = "暂无可查阅的评级（授权期间未覆盖完整年度，或尚未评级）"
    assert cells(listed[str(cement.pk)])[4:] == [none, "查看碳账户"]
    assert cells(listed[str(peer2.pk)])[4:] == [none, "查看碳账户"]
    assert rw.world.steel.name not in html and rw.peers[0].name not in html
    # each grade shown is a read under its consent (the enterprise sees it in its access log); nothing else is
    log = list(AccessLog.objects.values_list("enterprise_id", "reader_id", "resource", "what", "channel"))
    assert log == [(peer1.pk, rw.world.bank.pk, "rating", "2024", "web")]
    # the bank's navigation leads here
    home = get(client, rw, "bank", reverse("web:home")).content.decode()
    assert f'<a href="{BANK}">企业碳效评级</a>' in home


def test_the_bank_page_is_for_banks_only(client, rw):
    empty = get(client, rw, "bank2", BANK)  # a bank without consents
    assert empty.status_code == 200 and "暂无授权本行查阅的企业。" in empty.content.decode()
    english = client.get(BANK, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<h1>Enterprise carbon-efficiency grades</h1>" in english
    assert "No enterprise has let this bank read its data yet." in english
    for who in ("cement", "gov", "district", "verifier", "admin"):
        assert get(client, rw, who, BANK).status_code == 404, who  # looks exactly like missing
    assert AccessLog.objects.count() == 0


def test_region_list_names_the_county_and_the_industry(client, rw):
    html = get(client, rw, "gov", reverse("rating:region") + f"?year={YEAR}").content.decode()
    row = re.search(rf"<tr>\s*<td><a [^>]*>{rw.cement.name}</a></td>(.*?)</tr>", html, re.S)
    assert row is not None
    assert re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)[:2] == ["非金属矿物制品业", "东城区"]
    assert '<td title="GB/T 4754 30">非金属矿物制品业</td>' in row.group(1)
    assert ">339901<" not in html and "<td>30</td>" not in html


def test_the_appeals_table_names_who_filed_by_full_name(client, rw):
    staff = rw.users["cement"]
    staff.first_name = "陈静"
    staff.save()
    result = RatingResult.objects.get(enterprise=rw.cement, year=YEAR, month=0, is_current=True)
    services.appeal(staff, result, "3 月原煤误按千克填报", [services.Correction(TYPO_MONTH)])
    url = reverse("rating:enterprise", args=[rw.cement.pk]) + f"?year={YEAR}"
    for who in ("cement", "district"):
        html = get(client, rw, who, url).content.decode()
        assert "<th>提出人</th>" in html
        assert re.search(r'<td class="nowrap">[^<]+</td>\s*<td>陈静</td>\s*<td>2024</td>', html), who

"""National ETS allowances and surrender (docs/assets.md § ETS): the government allocates (pre-allocation and true-up,
once each) and enters the year's verified emissions with their source; the enterprise surrenders allowances and CCER
in one ledger transaction, CCER up to 5 % of the amount due (refused above, naming the cap and the quantity asked);
the shortfall is computed and shown. Services, the page and the API."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from dualcarbon.assets import ets, ledger, services
from dualcarbon.assets.models import Allocation, Asset, Holding, LedgerTransaction, Obligation, Surrender
from dualcarbon.registry import api_tokens
from tests.factories import World
from tests.web.helpers import data_for_the_module, fast_world

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("assets_ets")]

D = datetime.date


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with data_for_the_module(django_db_blocker):
        from django.conf import settings as dj

        w = fast_world(dj)
        gov = w.users["gov"]
        ets.allocate(gov, w.cement, 2024, "pre", 90_000, reference="示生态〔2024〕12号", allocated_on=D(2024, 9, 1))
        ets.set_obligation(
            gov,
            w.cement,
            2024,
            100_000,
            source="核查报告 HC-2025-031（示范核查技术服务有限公司）",
            deadline=D(2025, 12, 31),
        )
        services.issue(gov, Asset.objects.get(code="CCER"), w.cement, 2023, 8_000, reference="CCER-T-1", memo="登记")
        yield w


def _ob(world: World) -> Obligation:
    return Obligation.objects.get(enterprise=world.cement, year=2024)


def _msg(exc: pytest.ExceptionInfo[ValidationError], field: str) -> str:
    return str(exc.value.message_dict[field][0])


def test_allocation_is_issued_once_per_kind_and_the_true_up_adds(world: World) -> None:
    gov = world.users["gov"]
    with pytest.raises(ValidationError) as exc:
        ets.allocate(gov, world.cement, 2024, "pre", 1, reference="另一文号", allocated_on=D(2024, 9, 2))
    assert _msg(exc, "kind") == "2024 年度的预分配已发放，不得重复"
    with pytest.raises(PermissionDenied):  # the enterprise does not allocate to itself; the admin is no authority
        ets.allocate(world.users["admin"], world.cement, 2024, "true_up", 1, reference="X", allocated_on=D(2025, 6, 1))
    ets.allocate(gov, world.cement, 2024, "true_up", 6_000, reference="示生态〔2025〕7号", allocated_on=D(2025, 6, 1))
    h = Holding.objects.get(holder=world.cement, asset__code="CEA", vintage=2024, state="available")
    assert h.balance == 96_000
    assert Allocation.objects.filter(enterprise=world.cement).count() == 2
    with pytest.raises(ValidationError):  # the same notice cannot issue twice (the ledger's reference rule)
        ets.allocate(gov, world.steel, 2024, "pre", 5, reference="示生态〔2025〕7号", allocated_on=D(2025, 6, 1))


def test_surrender_with_ccer_up_to_five_percent_and_the_shortfall(world: World) -> None:
    ob, user = _ob(world), world.users["cement"]
    assert (ets.status(ob).cap, ets.status(ob).shortfall) == (5_000, 100_000)
    with pytest.raises(ValidationError) as exc:
        ets.surrender(user, ob.pk, allowances=80_000, allowance_vintage=2024, ccer=5_001, ccer_vintage=2023)
    assert _msg(exc, "ccer") == "CCER 抵销不得超过应清缴量 100000 吨的 5%，即 5000 吨；本次申请 5001 吨（已使用 0 吨）"
    assert not Surrender.objects.exists()
    txns = LedgerTransaction.objects.count()
    s = ets.surrender(user, ob.pk, allowances=80_000, allowance_vintage=2024, ccer=4_000, ccer_vintage=2023)
    assert LedgerTransaction.objects.count() == txns + 1 and s.txn.kind == "retire"
    assert sorted(p.quantity for p in s.txn.postings.all()) == [-80_000, -4_000, 4_000, 80_000]
    st = ets.status(ob, D(2026, 1, 1))
    assert (st.allowances, st.ccer, st.shortfall, st.late) == (80_000, 4_000, 16_000, True)
    with pytest.raises(ValidationError) as exc:  # 4 000 used: 1 001 more is above the cap
        ets.surrender(user, ob.pk, ccer=1_001, ccer_vintage=2023)
    assert "本次申请 1001 吨（已使用 4000 吨）" in _msg(exc, "ccer")
    with pytest.raises(ValidationError) as exc:  # 10 000 allowances left of 90 000: an overdraft
        ets.surrender(user, ob.pk, allowances=15_000, allowance_vintage=2024)
    assert "余额 10000 tCO2e，需 15000 tCO2e" in _msg(exc, "quantity")
    with pytest.raises(ValidationError) as exc:
        ets.surrender(user, ob.pk, allowances=16_001, allowance_vintage=2024)
    assert _msg(exc, "allowances") == "本次清缴 16001 吨超过尚待清缴的 16000 吨"
    with pytest.raises(ValidationError) as exc:
        ets.surrender(user, ob.pk, allowances=10, allowance_vintage=2025)
    assert _msg(exc, "allowance_vintage") == "不能以 2025 年度的配额清缴 2024 年度"
    with pytest.raises(PermissionDenied):
        ets.surrender(world.users["gov"], ob.pk, allowances=10, allowance_vintage=2024)
    assert ledger.verify_ledger().ok


def test_the_obligation_is_entered_once_with_its_source(world: World) -> None:
    gov = world.users["gov"]
    with pytest.raises(ValidationError) as exc:
        ets.set_obligation(gov, world.steel, 2024, 5_000, source=" ", deadline=D(2025, 12, 31))
    assert _msg(exc, "source") == "请注明核查依据（核查报告编号、核查机构）"
    with pytest.raises(ValidationError) as exc:
        ets.set_obligation(gov, world.cement, 2024, 5_000, source="HC-2", deadline=D(2025, 12, 31))
    assert _msg(exc, "year") == "2024 年度的清缴义务已登记"
    with pytest.raises(ValidationError) as exc:
        ets.set_obligation(gov, world.steel, 2024, "12.5", source="HC-3", deadline=D(2025, 12, 31))
    assert "须为正整数" in _msg(exc, "verified_tco2")


def test_the_page_shows_the_shortfall_and_refuses_above_five_percent_located(world: World) -> None:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(world.users["cement"])
    c.cookies["django_language"] = "en"
    url = f"/assets/enterprise/{world.cement.pk}/"
    r = c.post(
        url + "surrender/",
        {"obligation": _ob(world).pk, "allowances": "1000", "allowance_vintage": "2024", "ccer": "6000",
         "ccer_vintage": "2023"},
    )  # fmt: skip
    assert r.status_code == 422
    assert (
        "<li>CCER may cover at most 5% of the 100000 t due, that is 5000 t; 6000 t asked (0 t used)</li>"
        in r.content.decode()
    )
    assert not Surrender.objects.exists()
    r = c.post(
        url + "surrender/",
        {
            "obligation": _ob(world).pk,
            "allowances": "1000",
            "allowance_vintage": "2024",
            "ccer": "",
            "ccer_vintage": "",
        },
    )
    assert r.status_code == 302
    page = c.get(url).content.decode()
    assert "<strong>99000</strong>" in page and "HC-2025-031" in page


def test_the_api_reads_and_surrenders(world: World) -> None:
    key = api_tokens.issue(world.users["cement"], "erp")[1]
    c = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    body = c.get(f"/api/assets/enterprises/{world.cement.pk}/ets").json()
    assert body["obligations"][0] | {"account_total_tco2e": None} == {
        "year": 2024,
        "verified_tco2": 100000,
        "source": "核查报告 HC-2025-031（示范核查技术服务有限公司）",
        "deadline": "2025-12-31",
        "surrendered_allowances": 0,
        "surrendered_ccer": 0,
        "ccer_cap": 5000,
        "shortfall": 100000,
        "late": body["obligations"][0]["late"],
        "account_total_tco2e": None,
    }
    url = f"/api/assets/enterprises/{world.cement.pk}/ets/2024/surrender"
    r = c.post(url, data=json.dumps({"ccer": 5001, "ccer_vintage": 2023}), content_type="application/json")
    assert r.status_code == 422 and r.json()["errors"][0]["column"] == "ccer"
    r = c.post(url, data=json.dumps({"ccer": 5000, "ccer_vintage": 2023}), content_type="application/json")
    assert r.status_code == 200 and r.json()["obligations"][0]["shortfall"] == 95_000
    assert c.post(url.replace("2024", "2023"), data="{}", content_type="application/json").status_code == 404


def test_the_region_page_lists_the_jurisdictions_obligations_with_their_shortfall(world: World) -> None:
    c = Client()
    c.force_login(world.users["district"])
    page = c.get("/assets/region/").content.decode()
    assert f'<a href="/assets/enterprise/{world.cement.pk}/#ets">{world.cement.name}</a>' in page
    assert "<strong>100000</strong>" in page

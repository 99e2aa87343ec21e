"""The accounts API (/api/accounts): an enterprise's system, or a bank the enterprise consented to, reads the account
years and months, one month's account with its emission lines and each line's lineage, and the claim lines — scoped
as the account pages are (a bank: consenting enterprises, consented months; every read logged with channel api),
out of scope answering exactly like missing (404).

The figures are checked against published factors worked out by hand, for 示范水泥 in 东城区 (示范市's method policy:
ndrc-2015 fuels, the provincial grid factor, AR5), March 2024 as in tests.factories.cement_month:
7,100 t 原煤, 21.5 t 柴油, 2,900 MWh purchased, 50,000 t 熟料, value added 4,200 万元.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.engine.reference import citation
from dualcarbon.registry import api_tokens
from dualcarbon.registry.models import AccessLog, ApiToken
from dualcarbon.reporting import services
from tests.factories import World, build_world, cement_month
from tests.web.helpers import data_for_the_module, submit_month

# the world is built once for the module (data_for_the_module), on one pytest-xdist worker
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("accounting-api")]

BASE = "/api/accounts"
#: 发改办气候〔2015〕1722号 附录二 表2.1 (NCV 20.908 GJ/t as GB/T 2589; 烟煤 CC 26.1e-3 tC/GJ, OF 0.93;
#: 柴油 42.652 GJ/t, 20.2e-3, 0.98), × 44/12
COAL_CO2 = 7100 * 20.908 * 26.1e-3 * 0.93 * 44 / 12
DIESEL_CO2 = 21.5 * 42.652 * 20.2e-3 * 0.98 * 44 / 12
#: IPCC 2006 Vol.3 Eq. 2.4: 0.52 tCO2 per t clinker
CLINKER_CO2 = 50000 * 0.52
#: MEE+NBS 公告2024年第33号: 浙江 2022 provincial average (the latest published for 2024 data), tCO2/MWh
ZHEJIANG_2022 = 0.5153
#: MEE+NBS 公告2025年第47号: national average 2023 excluding market-traded non-fossil electricity (residual)
NATIONAL_RESIDUAL_2023 = 0.6096
#: GB/T 2589 附录A: 原煤 0.7143 kgce/kg, 柴油 1.4571 kgce/kg, 电力 0.1229 kgce/kWh (当量值)
ENERGY_TCE = 7100 * 0.7143 + 21.5 * 1.4571 + 2900 * 0.1229
SCOPE1 = COAL_CO2 + DIESEL_CO2 + CLINKER_CO2
SCOPE2 = 2900 * ZHEJIANG_2022
TOTAL = SCOPE1 + SCOPE2
#: claims declared in March: rooftop PV consumed on site, green certificates, CCER
PV = {"technology": "pv", "use": "self_consumed", "quantity": 85_000, "unit": "kWh", "reference": "屋顶光伏一期"}
GEC = {"kind": "gec", "quantity": 300, "unit": "MWh", "reference": "GEC-2024-0001~0300"}
CCER = {"kind": "ccer", "quantity": 120, "unit": "tCO2e", "reference": "CCER-33-0007"}


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    """Built once for the module (each test runs in a savepoint inside it and is rolled back)."""
    with data_for_the_module(django_db_blocker):
        w = build_world()
        user = w.users["cement"]
        draft = services.draft_for(user, w.cement, 2024, 3)
        services.save_draft(user, draft, services.DraftData(**cement_month(), generation=[PV], offsets=[GEC, CCER]))
        services.submit(user, draft)
        submit_month(user, w.cement, 2024, 9, clinker=40000.0)  # outside the bank's consent (2024-01..06)
        yield w


def _client(key: str | None, lang: str | None = None) -> Client:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    if lang:
        headers["HTTP_ACCEPT_LANGUAGE"] = lang
    return Client(**headers)


def _key(world: World, role: str) -> str:
    return api_tokens.issue(world.users[role], "API test")[1]


def _get(key: str | None, path: str, status: int = 200, lang: str | None = None) -> dict[str, Any]:
    r = _client(key, lang).get(BASE + path)
    assert r.status_code == status, r.content
    return r.json()


def test_a_month_answers_the_totals_worked_out_by_hand(world):
    body = _get(_key(world, "cement"), f"/enterprises/{world.cement.pk}/months/2024/3")
    t = body["totals"]
    assert t["total_tco2e"] == pytest.approx(TOTAL, rel=1e-12)
    assert t["scope1_tco2e"] == pytest.approx(SCOPE1, rel=1e-12)
    assert t["scope2_tco2e"] == pytest.approx(SCOPE2, rel=1e-12)
    assert t["scope2_market_tco2e"] == pytest.approx(2900 * NATIONAL_RESIDUAL_2023, rel=1e-12)
    assert t["total_market_tco2e"] == pytest.approx(SCOPE1 + 2900 * NATIONAL_RESIDUAL_2023, rel=1e-12)
    assert t["energy_tce"] == pytest.approx(ENERGY_TCE, rel=1e-12)
    assert (t["exported_tco2e"], t["recovery_tco2e"], t["biomass_co2_t"], t["months"]) == (0.0, 0.0, 0.0, 1)
    assert (t["value_added"], t["intensity"]) == (4200.0, pytest.approx(TOTAL / 4200, rel=1e-12))
    # tiers: the grid factor is prescribed (tier 1), every other parameter a factor-set default (tier 3)
    assert [(x["tier"], x["tco2e"]) for x in t["tiers"]] == [
        (1, pytest.approx(SCOPE2, rel=1e-12)),
        (2, 0.0),
        (3, pytest.approx(SCOPE1, rel=1e-12)),
    ]
    assert body["gases"] == {"co2": pytest.approx(TOTAL, rel=1e-12), "ch4": 0.0, "n2o": 0.0, "fgas": 0.0}
    assert (body["year"], body["month"], body["version"], body["status"], body["reason"]) == (
        2024,
        3,
        1,
        "submitted",
        "submission",
    )
    entry = AccountEntry.objects.get(enterprise=world.cement, year=2024, month=3, is_current=True)
    assert body["entry_id"] == entry.pk
    assert body["options"]["grid"] == "mee:provincial" and body["options"]["gwp"] == "AR5"


def test_each_line_carries_its_lineage(world):
    body = _get(_key(world, "cement"), f"/enterprises/{world.cement.pk}/months/2024/3")
    lines = {ln["item"]: ln for ln in body["lines"]}
    assert list(lines) == ["RAW_COAL", "DIESEL", "ELECTRICITY", "CLINKER"]
    coal = lines["RAW_COAL"]
    assert coal["input"]["line_no"] == 1 and (coal["input"]["item"], coal["input"]["quantity"]) == ("原煤", 7100.0)
    assert (coal["ncv"], coal["carbon_content"], coal["oxidation_rate"]) == (
        {"value": 20.908, "origin": "default"},
        {"value": 0.0261, "origin": "default"},
        {"value": 0.93, "origin": "default"},
    )
    assert coal["formula"] == {
        "code": "fuel_ncv_cc_of",
        "expression": "E = AD × NCV × CC × OF × 44/12",
        "standard": "GB/T 32150-2015 §6.2 (eq. 2–4)",
    }
    assert coal["tco2e"] == pytest.approx(COAL_CO2, rel=1e-12) and coal["quality_tier"] == 3
    assert coal["energy_tce"] == pytest.approx(7100 * 0.7143, rel=1e-12)
    assert coal["energy_method"] == "gbt2589 原煤 0.7143 kgce/kg"
    ndrc = coal["factor_set"]
    assert (ndrc["name"], ndrc["version"], ndrc["official"]) == ("ndrc-2015", "2015", True)
    assert ndrc["citation_zh"] == citation("ndrc-2015", "zh") and ndrc["citation_en"] == citation("ndrc-2015", "en")
    assert "（发改办气候〔2015〕1722号），附录二 表2.1 常用化石燃料相关参数的缺省值，2015年发布" in ndrc["citation_zh"]
    assert "发改办气候〔2015〕1722号" in coal["source_zh"] and coal["grid_factor_source"] == ""
    power = lines["ELECTRICITY"]
    assert power["factor"] == {"value": ZHEJIANG_2022, "origin": "prescribed"} and power["quality_tier"] == 1
    assert power["grid_factor_source"] == power["factor_ref"]
    assert power["grid_factor_source"].startswith(
        "grid-mee-nbs 2022 provincial 33 浙江 0.5153 tCO2/MWh（生态环境部 国家统计局 公告2024年第33号，2024-12-20）"
    )
    assert power["market_factor"] == NATIONAL_RESIDUAL_2023 and "公告2025年第47号" in power["market_ref"]
    assert power["factor_set"]["citation_zh"] == citation("grid-mee-nbs", "zh")
    clinker = lines["CLINKER"]
    assert (clinker["factor"], clinker["tco2e"]) == ({"value": 0.52, "origin": "default"}, CLINKER_CO2)
    assert [s["name"] for s in body["factor_sets"]] == ["grid-mee-nbs", "ndrc-2015", "process-ipcc2006"]


def test_the_claim_lines_are_converted_with_the_runs_grid_factor(world):
    body = _get(_key(world, "cement"), f"/enterprises/{world.cement.pk}/months/2024/3")
    claims = {c["kind"]: c for c in body["claim_lines"]}
    assert sorted(claims) == ["ccer", "gec", "own_generation"]
    pv = claims["own_generation"]
    assert (pv["quantity"], pv["unit"], pv["measure"], pv["amount"], pv["rule"]) == (85000.0, "kWh", "MWh", 85.0, "")
    assert pv["grid_factor"] == ZHEJIANG_2022 and pv["avoided_tco2"] == pytest.approx(85 * ZHEJIANG_2022, rel=1e-12)
    assert pv["grid_ref"].startswith("grid-mee-nbs 2022 provincial 33 浙江 0.5153")
    assert pv["record"].startswith("generation:")
    gec = claims["gec"]
    assert (gec["countable"], gec["avoided_tco2"]) == (300.0, pytest.approx(300 * ZHEJIANG_2022, rel=1e-12))
    assert (gec["reference"], gec["status"], gec["record"][:7]) == ("GEC-2024-0001~0300", "retired", "offset:")
    ccer = claims["ccer"]
    assert (ccer["measure"], ccer["grid_factor"], ccer["avoided_tco2"]) == ("tCO2e", None, 120.0)


def test_the_years_and_one_year(world):
    key = _key(world, "cement")
    body = _get(key, f"/enterprises/{world.cement.pk}")
    assert body["enterprise"] == {
        "id": world.cement.pk,
        "name": "示范水泥有限公司",
        "uscc": "91339901MA2D8KQX38",
        "region_code": "339901",
        "industry_code": "30",
    }
    (year,) = body["years"]
    september = COAL_CO2 + DIESEL_CO2 + 40000 * 0.52 + SCOPE2
    assert (year["year"], year["months"], year["totals"]["months"]) == (2024, [3, 9], 2)
    assert year["totals"]["total_tco2e"] == pytest.approx(TOTAL + september, rel=1e-12)
    assert year["totals"]["intensity"] == pytest.approx((TOTAL + september) / 8400, rel=1e-12)
    one = _get(key, f"/enterprises/{world.cement.pk}/years/2024")
    assert [(m["month"], m["status"]) for m in one["months"] if m["status"] != "none"] == [
        (3, "submitted"),
        (9, "submitted"),
    ]
    assert [m["month"] for m in one["months"]] == list(range(1, 13))
    march = one["months"][2]
    assert march["totals"]["total_tco2e"] == pytest.approx(TOTAL, rel=1e-12) and march["version"] == 1
    assert one["totals"]["total_tco2e"] == pytest.approx(TOTAL + september, rel=1e-12)
    assert _get(key, f"/enterprises/{world.cement.pk}/years/2023")["totals"]["months"] == 0


def test_a_bank_reads_the_consented_months_only_and_every_read_is_logged(world):
    key = _key(world, "bank")
    assert ApiToken.objects.get(user=world.users["bank"]).organisation == world.bank
    years = _get(key, f"/enterprises/{world.cement.pk}")["years"]
    assert [(y["year"], y["months"]) for y in years] == [(2024, [3])]
    assert years[0]["totals"]["total_tco2e"] == pytest.approx(TOTAL, rel=1e-12)
    one = _get(key, f"/enterprises/{world.cement.pk}/years/2024")
    assert [m["status"] for m in one["months"]] == ["none"] * 2 + ["submitted"] + ["none"] * 3 + ["not_covered"] * 6
    assert one["months"][8]["entry_id"] is None and one["totals"]["months"] == 1
    march = _get(key, f"/enterprises/{world.cement.pk}/months/2024/3")
    assert march["totals"]["total_tco2e"] == pytest.approx(TOTAL, rel=1e-12) and len(march["lines"]) == 4
    # September (reported, outside the consent) answers exactly like November (not reported)
    september = _client(key).get(f"{BASE}/enterprises/{world.cement.pk}/months/2024/9")
    november = _client(key).get(f"{BASE}/enterprises/{world.cement.pk}/months/2024/11")
    assert september.status_code == november.status_code == 404
    assert (
        {**september.json(), "request_id": ""}
        == {**november.json(), "request_id": ""}
        == {
            "detail": "未找到",
            "errors": [],
            "request_id": "",
        }
    )
    entry = AccountEntry.objects.get(enterprise=world.cement, year=2024, month=3, is_current=True)
    logged = list(AccessLog.objects.order_by("pk").values_list("resource", "channel", "what", "path", "user_id"))
    bank = world.users["bank"].pk
    assert logged == [
        ("account", "api", "years 2024", f"{BASE}/enterprises/{world.cement.pk}", bank),
        ("account", "api", "2024", f"{BASE}/enterprises/{world.cement.pk}/years/2024", bank),
        ("lineage", "api", f"#{entry.pk} 2024-03", f"{BASE}/enterprises/{world.cement.pk}/months/2024/3", bank),
    ]
    consent = world.cement.consents_given.get()
    assert set(AccessLog.objects.values_list("consent_id", "reader_id", "enterprise_id")) == {
        (consent.pk, world.bank.pk, world.cement.pk)
    }


def test_a_bank_without_consent_and_another_enterprise_get_404_like_missing(world):
    missing = 987_654_321
    for role, org in (("bank2", world.cement), ("bank", world.steel), ("steel", world.cement)):
        key = _key(world, role)
        for path in ("", "/years/2024", "/months/2024/3"):
            out = _client(key).get(f"{BASE}/enterprises/{org.pk}{path}")
            gone = _client(key).get(f"{BASE}/enterprises/{missing}{path}")
            assert out.status_code == gone.status_code == 404, (role, path)
            assert {**out.json(), "request_id": ""} == {**gone.json(), "request_id": ""}, (role, path)
            assert out.json()["detail"] == "企业不存在"
    english = _client(_key(world, "bank2"), "en").get(f"{BASE}/enterprises/{world.cement.pk}")
    assert english.json()["detail"] == "Not found"  # dualcarbon/api.py answers "No …" texts as the generic 404
    assert AccessLog.objects.count() == 0  # a refused read is never logged


def test_an_invalid_month_or_no_token(world):
    key = _key(world, "cement")
    for path in ("/months/2024/13", "/months/1999/3", "/years/2101", "/months/2024/x"):
        body = _get(key, f"/enterprises/{world.cement.pk}{path}", status=400)
        assert body["detail"] == "报告期无效", path
    assert _get(None, f"/enterprises/{world.cement.pk}", status=401)["detail"].startswith("需要有效的接口令牌")


def test_bank_tokens_work_on_the_accounts_api_only(world):
    out = StringIO()
    call_command("create_api_token", "bank", "信贷审批系统", stdout=out, stderr=StringIO())
    key = out.getvalue().strip()
    token = ApiToken.objects.get(name="信贷审批系统")
    assert (token.organisation, token.user) == (world.bank, world.users["bank"])
    assert _client(key).get(f"{BASE}/enterprises/{world.cement.pk}").status_code == 200
    # the reporting and rating routers answer a bank's token as if there were none
    assert _client(key).get("/api/reporting/periods").status_code == 401
    assert _client(key).get(f"/api/rating/enterprises/{world.cement.pk}/ratings").status_code == 401
    with pytest.raises(CommandError, match="请指定机构：该用户不是恰好一家企业（或一家银行）的人员"):
        call_command("create_api_token", "verifier", "核查系统", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="只能为本银行的人员创建接口令牌"):
        call_command(
            "create_api_token", "bank2", "x", "--org", str(world.bank.pk), stdout=StringIO(), stderr=StringIO()
        )


def test_every_operation_declares_every_error_status():
    from dualcarbon.api import api
    from dualcarbon.reporting.schemas import ERROR_STATUSES

    doc = json.loads(json.dumps(api.get_openapi_schema()))
    ops = {(p, m): op for p, methods in doc["paths"].items() if p.startswith(BASE) for m, op in methods.items()}
    assert sorted(op["operationId"] for op in ops.values()) == ["account_month", "account_year", "account_years"]
    for op in ops.values():
        assert op["tags"] == ["accounts"]
        declared = {int(s) for s in op["responses"]}
        assert declared == {200, *ERROR_STATUSES}, op["operationId"]
        for status in ERROR_STATUSES:
            ref = op["responses"][str(status)]["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/ErrorOut"

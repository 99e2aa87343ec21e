"""The carbon-neutrality rate in the rated world: computed from the declarations behind the accounts used,
stored with every term, shown to the enterprise (grade page, API) and to the government (region list).

示范水泥 declares rooftop PV every month (85,000 kWh consumed on site) and, in December, 300 MWh of
green certificates and 120 t of CCER. Its region's method policy chooses ``mee:provincial``: for 2024
data that is Zhejiang's 2022 provincial factor 0.5153 tCO2/MWh (the latest published).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from dualcarbon.accounting.models import AccountEntry
from dualcarbon.rating import services
from dualcarbon.rating.models import RatingResult
from dualcarbon.registry import api_tokens
from dualcarbon.reporting import services as reporting
from tests.factories import build_world
from tests.rating.helpers import CEMENT_COAL, YEAR, _peers, month_data, submit_batch

pytestmark = pytest.mark.django_db
BACKEND = "django.contrib.auth.backends.ModelBackend"
FACTOR = 0.5153
PV = {"technology": "pv", "use": "self_consumed", "quantity": 85_000, "unit": "kWh", "reference": "屋顶光伏一期"}
GEC = {"kind": "gec", "quantity": 300, "unit": "MWh", "reference": "GEC-2024-0001~0300"}
CCER = {"kind": "ccer", "quantity": 120, "unit": "tCO2e", "reference": "CCER-33-0007"}


def cement_data(month: int) -> dict[str, Any]:
    data = month_data(CEMENT_COAL)
    data["generation"] = [PV]
    data["offsets"] = [GEC, CCER] if month == 12 else []
    return data


@pytest.fixture
def world():
    w = build_world()
    peers = _peers(w)
    items = []
    for m in range(1, 13):
        items.append((w.users["cement"], w.cement, YEAR, m, cement_data(m)))
        items.append((w.users["steel"], w.steel, YEAR, m, month_data(9000.0)))
        items += [(u, org, YEAR, m, month_data(5000.0 + 800.0 * i)) for i, (u, org) in enumerate(peers)]
    submit_batch(items)
    services.rate_region("3399", YEAR)
    return w


def result(org: Any) -> RatingResult:
    return RatingResult.objects.get(enterprise=org, year=YEAR, month=0, is_current=True)


def total(org: Any) -> float:
    return sum(
        AccountEntry.objects.filter(enterprise=org, year=YEAR, is_current=True).values_list("total_tco2e", flat=True)
    )


def test_the_rate_is_stored_with_every_term(world):
    r = result(world.cement)
    numerator = (12 * 85 + 300) * FACTOR + 120  # 680.196 + 120 tCO2e
    assert r.inputs["neutrality"]["numerator_tco2e"] == pytest.approx(numerator)
    assert r.inputs["neutrality"]["denominator_tco2e"] == pytest.approx(total(world.cement))
    assert r.neutrality_rate == pytest.approx(numerator / total(world.cement))
    terms = {t["term"]: t for t in r.inputs["neutrality"]["terms"]}
    assert set(terms) == {"own_self_consumed", "certificates", "ccer"}
    assert terms["own_self_consumed"]["amount"] == pytest.approx(1_020.0)
    assert terms["own_self_consumed"]["factors"][0]["value"] == FACTOR
    assert "grid-mee-nbs 2022 provincial 33 浙江" in terms["own_self_consumed"]["factors"][0]["source"]
    assert [ln["period"] for ln in terms["own_self_consumed"]["lines"]] == [f"{YEAR}-{m:02d}" for m in range(1, 13)]
    assert terms["ccer"]["lines"][0]["reference"] == "CCER-33-0007"
    codes = [i["code"] for i in r.explanation]
    assert codes.count("neutrality") == 1 and codes.count("neutrality_term") == 3
    head = next(i for i in r.explanation if i["code"] == "neutrality")
    assert f"= {r.neutrality_rate:.2%}" in head["zh"] and f"= {r.neutrality_rate:.2%}" in head["en"]
    assert r.status == RatingResult.Status.GRADED and r.grade is not None
    # an enterprise that declared nothing: 0 with the reason
    steel = result(world.steel)
    assert steel.neutrality_rate == 0.0 and steel.inputs["neutrality"]["reason"] == "no_declarations"


def test_the_enterprise_sees_its_rate_and_how_it_was_made(client, world):
    client.force_login(world.users["cement"], backend=BACKEND)
    r = result(world.cement)
    html = client.get(reverse("rating:enterprise", args=[world.cement.pk]) + f"?year={YEAR}").content.decode()
    assert f'data-neutrality="{r.neutrality_rate:.6f}"' in html and r.neutrality_label in html
    assert 'id="neutrality-terms"' in html and "自有零碳发电（自发自用）" in html
    assert "1,020.000 MWh" in html and "85,000.000 kWh" in html
    assert "0.5153" in html and "grid-mee-nbs 2022 provincial 33 浙江" in html  # the factor and its source
    assert "GEC-2024-0001~0300" in html and "CCER-33-0007" in html  # every declared line
    for item in r.explanation:
        if item["code"].startswith("neutrality"):
            assert item["zh"].split("（")[0] in html
    # in English
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        en = client.get(reverse("rating:enterprise", args=[world.cement.pk]) + f"?year={YEAR}").content.decode()
    assert "own zero-carbon generation consumed on site" in en and "Carbon-neutrality rate" in en


def test_the_government_sees_the_rates_in_the_region_list(client, world):
    client.force_login(world.users["gov"], backend=BACKEND)
    html = client.get(reverse("rating:region") + f"?year={YEAR}").content.decode()
    assert result(world.cement).neutrality_label in html and "碳中和率" in html
    page = client.get(reverse("rating:enterprise", args=[world.cement.pk]) + f"?year={YEAR}").content.decode()
    assert 'id="neutrality-terms"' in page  # the government reads the same explanation
    # another enterprise may not open the page
    client.force_login(world.users["steel"], backend=BACKEND)
    assert client.get(reverse("rating:enterprise", args=[world.cement.pk])).status_code == 404


def test_the_api_returns_the_rate(client, world):
    _token, key = api_tokens.issue(world.users["cement"], "neutrality test")
    body = client.get(
        f"/api/rating/enterprises/{world.cement.pk}/ratings", headers={"Authorization": f"Bearer {key}"}
    ).json()
    assert body[0]["neutrality_rate"] == pytest.approx(result(world.cement).neutrality_rate)
    assert any(i["code"] == "neutrality_term" for i in body[0]["explanation"])


def test_a_correction_that_adds_a_retired_sink_is_counted_when_re_rated(world):
    before = result(world.cement)
    user = world.users["cement"]
    data = reporting.DraftData(**cement_data(6))
    data.offsets = [{"kind": "forestry", "quantity": 80, "unit": "tCO2e", "reference": "湖州林业碳汇 2024-06"}]
    services.appeal(user, before, "补报 6 月注销的林业碳汇", [services.Correction(6, data)])
    after = result(world.cement)
    assert after.pk != before.pk
    assert after.inputs["neutrality"]["numerator_tco2e"] == pytest.approx(
        before.inputs["neutrality"]["numerator_tco2e"] + 80
    )
    assert after.neutrality_rate > before.neutrality_rate and after.grade == before.grade

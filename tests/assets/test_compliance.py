"""The compliance link and the one-claim register (docs/assets.md § Compliance, § One claim per reduction): reported
discharge against the rights held raises pollutant_excess once per enterprise, factor and year, with the figures;
ETS obligations past their deadline raise ets_shortfall and ets_late; a serial or a reduction claimed twice is
refused, naming where it was claimed first, across the ETS surrender, retirements, monthly declarations and a loan
KPI; the pages and the API show the comparison and the claims."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from dualcarbon.accounting import claims_register
from dualcarbon.accounting.models import ReductionClaim
from dualcarbon.assets import compliance, ets, services
from dualcarbon.assets.models import Asset, Factor
from dualcarbon.monitoring.models import Alert
from dualcarbon.registry import api_tokens
from dualcarbon.reporting import services as reporting
from tests.factories import World, cement_month
from tests.web.helpers import data_for_the_module, fast_world

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("assets_compliance")]

D = datetime.date


def _month(user: Any, org: Any, month: int, discharge: list[dict[str, Any]], **extra: Any) -> Any:
    data = reporting.DraftData(**cement_month(), discharge=discharge, **extra)
    return reporting.submit(user, reporting.write_draft(user, org, 2024, month, data))


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with data_for_the_module(django_db_blocker):
        from django.conf import settings as dj

        w = fast_world(dj)
        gov = w.users["gov"]
        f = {x.code: x for x in Factor.objects.all()}
        for code, tonnes in (("SO2", "10"), ("COD", "5")):
            services.confirm(gov, w.cement, f[code], tonnes, basis="permit", basis_reference=f"P-{code}",
                             confirmed_on=D(2024, 2, 1))  # fmt: skip
        _month(w.users["cement"], w.cement, 1, [{"factor": "SO2", "quantity": "6"}, {"factor": "COD", "quantity": "1"}])
        services.issue(gov, Asset.objects.get(code="CCER"), w.steel, 2024, 1_000, reference="CCER-REG-1", memo="登记",
                       serial_first=5_001)  # fmt: skip
        yield w


def _alerts(kind: str) -> list[Alert]:
    return list(Alert.objects.filter(kind=kind).order_by("pk"))


def test_discharge_within_the_rights_raises_nothing_and_the_comparison_shows_the_headroom(world: World) -> None:
    (c,) = compliance.comparison([world.cement], 2024)
    lines = {ln.factor.code: ln for ln in c.lines}
    assert c.months == ["2024-01"]
    assert (lines["SO2"].held, lines["SO2"].discharged, lines["SO2"].headroom) == (Decimal("10.000"), 6, 4)
    assert lines["COD"].share == 20 and not c.excess
    assert not _alerts("pollutant_excess")


def test_an_excess_raises_one_alert_per_factor_and_year_with_its_figures(world: World) -> None:
    user = world.users["cement"]
    _month(user, world.cement, 2, [{"factor": "SO2", "quantity": "5.5"}, {"factor": "VOCS", "quantity": "0.2"}])
    alerts = {a.evidence["factor"]: a for a in _alerts("pollutant_excess")}
    assert set(alerts) == {"SO2", "VOCS"}  # VOCs: discharged without any right
    so2 = alerts["SO2"]
    assert so2.evidence["held_t"] == "10.000" and so2.evidence["discharged_t"] == "11.500"
    assert so2.evidence["excess_t"] == "1.500" and so2.evidence["months"] == ["2024-01", "2024-02"]
    assert so2.region_id == world.cement.region_id and so2.period == "2024"
    assert "超出持有排污权 10.000 吨，超出 1.500 吨" in so2.message_zh and "above the 10.000 t" in so2.message_en
    # another month, the command: the same alerts (idempotent per enterprise, factor and year)
    _month(user, world.cement, 3, [{"factor": "SO2", "quantity": "1"}])
    out = io.StringIO()
    call_command("check_compliance", "--region", world.city.code, "--year", "2024", stdout=out)
    assert "2 项超出（新预警 0）" in out.getvalue() and "2 excess (0 new alerts)" in out.getvalue()
    assert len(_alerts("pollutant_excess")) == 2
    # the pages: the enterprise's and the government's
    client = Client()
    client.force_login(world.users["cement"])
    page = client.get(f"/assets/enterprise/{world.cement.pk}/").content.decode()
    assert 'id="compliance"' in page and 'data-factor="SO2" class="over"' in page and "−2.500" in page
    client.force_login(world.users["gov"])
    region = client.get("/assets/region/").content.decode()
    assert f'data-compliance="{world.cement.pk}" class="over"' in region
    with translation.override("en"):
        en = client.get("/assets/region/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Each cell: held / discharged / headroom." in en


def test_the_compliance_api_is_scoped(world: World) -> None:
    token = api_tokens.issue(world.users["cement"], "ERP", world.cement)[1]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    got = client.get(f"/api/assets/enterprises/{world.cement.pk}/compliance?year=2024")
    assert got.status_code == 200, got.content
    so2 = next(x for x in got.json()["factors"] if x["factor"] == "SO2")
    assert Decimal(so2["held_t"]) == 10 and Decimal(so2["discharged_t"]) == 6 and Decimal(so2["headroom_t"]) == 4
    assert client.get(f"/api/assets/enterprises/{world.steel.pk}/compliance").status_code == 404


def test_ets_shortfall_after_the_deadline_and_a_late_completion(world: World) -> None:
    gov = world.users["gov"]
    ob = ets.set_obligation(gov, world.steel, 2024, 1_000, source="HC-1", deadline=D(2025, 6, 30))
    ets.allocate(gov, world.steel, 2024, "pre", 990, reference="PRE-1", allocated_on=D(2024, 9, 1))
    assert compliance.check_obligation(ob, today=D(2025, 6, 30)) == []  # not yet due
    ets.surrender(world.users["steel"], ob.pk, allowances=400, allowance_vintage=2024)  # today: after the deadline
    (short,) = _alerts("ets_shortfall")
    assert short.evidence["due_t"] == 1_000 and short.evidence["shortfall_t"] == 600
    assert short.evidence["allowances_t"] == 400 and short.evidence["ccer_t"] == 0
    assert "缺口 600 吨" in short.message_zh
    assert compliance.check_obligations([ob]) and len(_alerts("ets_shortfall")) == 1  # idempotent
    # completed late, with CCER up to the cap: ets_late, and the CCER serials claimed as the ETS offset
    ets.surrender(world.users["steel"], ob.pk, allowances=550, allowance_vintage=2024, ccer=50, ccer_vintage=2024)
    (late,) = _alerts("ets_late")
    assert late.evidence["shortfall_t"] == 0 and late.evidence["ccer_t"] == 50 and late.evidence["days_late"] > 0
    (claim,) = ReductionClaim.objects.filter(purpose="ets_offset")
    assert (claim.unit, claim.serial_first, claim.serial_last, claim.claimant_id) == (
        "ccer",
        5_001,
        5_050,
        world.steel.pk,
    )
    assert claim.reference == f"清缴/2024/{world.steel.uscc}"


def test_a_serial_is_claimed_once_and_the_refusal_says_where(world: World) -> None:
    gov, steel = world.users["gov"], world.users["steel"]
    ob = ets.set_obligation(gov, world.steel, 2024, 1_000, source="HC-1", deadline=D(2030, 6, 30))
    ets.allocate(gov, world.steel, 2024, "pre", 990, reference="PRE-1", allocated_on=D(2024, 9, 1))
    ets.surrender(steel, ob.pk, allowances=0, ccer=20, ccer_vintage=2024)  # serials 5001–5020
    ccer = Asset.objects.get(code="CCER")
    # a loan KPI on serials that overlap: refused, naming the first claim, in both languages
    with pytest.raises(claims_register.AlreadyClaimed) as exc:
        claims_register.claim("ccer", purpose="loan_kpi", claimant=world.steel, reference="贷款 L-1", quantity=10,
                              serials=(5_015, 5_030), source="finance")  # fmt: skip
    with translation.override("zh-hans"):
        zh = exc.value.message_dict["serials"][0]
    with translation.override("en"):
        en = ValidationError(exc.value.error_dict).message_dict["serials"][0]
    assert "用于全国碳市场清缴抵销（清缴/2024/" in zh and world.steel.name in zh and "5001–5020" in zh
    assert "for the ETS surrender offset" in en and "5001–5020" in en
    # the same claimant again for the same purpose: the same claim (a retry), not a second one
    first = ReductionClaim.objects.get(purpose="ets_offset")
    again = claims_register.claim("ccer", purpose="ets_offset", claimant=world.steel, reference="x", quantity=20,
                                  serials=(5_001, 5_020))  # fmt: skip
    assert again.pk == first.pk and ReductionClaim.objects.count() == 1
    # a retirement for the neutrality rate: its serials claimed; a later one of claimed serials refused, nothing moved
    services.retire(steel, ccer, 2024, world.steel, 30, memo="碳中和声明", purpose="neutrality", reference="声明 N-1")
    n = ReductionClaim.objects.get(purpose="neutrality")
    assert (n.serial_first, n.serial_last, n.reference) == (5_021, 5_050, "声明 N-1")
    claims_register.claim("ccer", purpose="loan_kpi", claimant=world.steel, reference="贷款 L-2", quantity=10,
                          serials=(5_051, 5_060))  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        services.retire(steel, ccer, 2024, world.steel, 10, memo="证书", purpose="certificate")
    assert "贷款绩效指标（贷款 L-2）" in refused.value.message_dict["serials"][0]
    assert ReductionClaim.objects.filter(purpose="certificate").count() == 0
    # the retired serials are shown with what they were claimed for; the lookup API answers only in scope
    client = Client()
    client.force_login(steel)
    page = client.get(f"/assets/enterprise/{world.steel.pk}/").content.decode()
    assert 'data-retired="CCER-5001"' in page and "声明 N-1" in page and "贷款 L-2" in page
    token = api_tokens.issue(steel, "ERP", world.steel)[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    got = api.get("/api/assets/claims?unit=ccer&serial=5010").json()
    assert [(c["purpose"], c["serial_first"]) for c in got] == [("ets_offset", 5_001)]
    other = api_tokens.issue(world.users["cement"], "ERP", world.cement)[1]
    assert Client(HTTP_AUTHORIZATION=f"Bearer {other}").get("/api/assets/claims?unit=ccer&serial=5010").json() == []
    assert api.get("/api/assets/claims?unit=coal&serial=1").status_code == 422


def test_a_month_declaring_serials_claimed_elsewhere_is_refused_located(world: World) -> None:
    steel = world.users["steel"]
    claims_register.claim("ccer", purpose="loan_kpi", claimant=world.steel, reference="贷款 L-9", quantity=100,
                          serials=(9_001, 9_100), source="finance")  # fmt: skip
    offsets = [{"kind": "ccer", "quantity": "50", "unit": "tCO2e", "reference": "CCER 序列号 9050-9099"}]
    draft = reporting.write_draft(steel, world.steel, 2024, 1, reporting.DraftData(**cement_month(), offsets=offsets))
    found = [i for i in reporting.validate(draft) if i.rule == "offset.claimed_in_register"]
    assert [(i.row, i.column) for i in found] == [(1, "reference")]
    assert "贷款绩效指标（贷款 L-9）" in found[0].message_zh and "loan KPI" in found[0].message_en
    # a free reference is keyed by its text: declared and submitted once, it is the month's neutrality claim
    ok = [{"kind": "gec", "quantity": "30", "unit": "MWh", "reference": "GEC-2024-ABC"}]
    reporting.submit(
        steel, reporting.write_draft(steel, world.steel, 2024, 2, reporting.DraftData(**cement_month(), offsets=ok))
    )
    (c,) = ReductionClaim.objects.filter(purpose="neutrality")
    assert (c.unit, c.key, c.reference) == ("gec", "GEC-2024-ABC", "2024-02 月报 v1")
    with pytest.raises(claims_register.AlreadyClaimed):
        claims_register.claim("gec", purpose="certificate", claimant=world.cement, reference="证书 C-1", quantity=30,
                              key="gec-2024-abc")  # fmt: skip


def test_a_lessee_counts_the_rights_of_its_active_lease_and_the_lessor_no_longer_does(world: World) -> None:
    """Last in the module: it moves cement's COD. The lessor's leased-out units leave its count, the lessee's active
    lease reaching into the year adds them to its own (docs/assets.md § Compliance)."""
    from dualcarbon.assets import leasing

    cod = Asset.objects.get(code="DR-COD")
    before = compliance.held_rights([world.cement.pk, world.steel.pk], 2024)
    lease = leasing.offer(world.users["cement"], world.cement, world.steel, cod, 2024, 2_000,
                          starts_on=D(2024, 3, 1), ends_on=D(2027, 1, 31), rent="1200.00")  # fmt: skip
    assert compliance.held_rights([world.cement.pk], 2024) == before  # offered: still the lessor's (reserved)
    leasing.accept(world.users["steel"], lease.pk)
    after = compliance.held_rights([world.cement.pk, world.steel.pk], 2024)
    assert after[(world.cement.pk, "COD")] == before[(world.cement.pk, "COD")] - 2_000
    assert after[(world.steel.pk, "COD")] == before.get((world.steel.pk, "COD"), 0) + 2_000
    assert compliance.held_rights([world.steel.pk], 2023) == {}  # the lease's vintage 2024 does not reach 2023

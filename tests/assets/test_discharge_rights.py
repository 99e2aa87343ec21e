"""Pollutant discharge rights (docs/assets.md § Discharge rights): the six factors, confirmation (确权) with its
five-year re-verification, the fee standard (effective-dated, versioned, sourced), bills with their derivation and
payments, and the region's revenue by factor and district."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from dualcarbon.assets import queries, services
from dualcarbon.assets.models import Bill, Confirmation, Factor, FeeStandard, Holding
from dualcarbon.registry.models import Region
from tests.factories import World
from tests.web.helpers import data_for_the_module, fast_world

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("assets_rights")]

D = datetime.date


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with data_for_the_module(django_db_blocker):
        from django.conf import settings as dj

        w = fast_world(dj)
        city = Region.objects.get(code="339900")
        for code, price in (("COD", "4000"), ("NH3N", "5000"), ("SO2", "1000"), ("NOX", "1200")):
            services.publish_fee_standard(
                city,
                Factor.objects.get(code=code),
                price,
                valid_from=D(2021, 1, 1),
                derivation=f"{code}：单位污染治理成本 × 调节系数（示范数据）",
                publisher="示范市发展和改革委员会",
                document="示范市排污权有偿使用费征收标准（试行）",
                clause="附表 1",
                published_on=D(2020, 12, 1),
            )
        yield w


def test_the_six_factors_are_seeded_with_their_names() -> None:
    assert [(f.code, f.name_zh, f.name_en) for f in services.factors_for("339901")] == [
        ("COD", "化学需氧量", "Chemical oxygen demand (COD)"),
        ("NH3N", "氨氮", "Ammonia nitrogen (NH3-N)"),
        ("SO2", "二氧化硫", "Sulphur dioxide (SO2)"),
        ("NOX", "氮氧化物", "Nitrogen oxides (NOx)"),
        ("PM", "颗粒物", "Particulate matter"),
        ("VOCS", "挥发性有机物", "Volatile organic compounds (VOCs)"),
    ]


def test_a_region_adds_its_own_factor_seen_only_inside_it(world: World) -> None:
    Factor.objects.create(code="TP", name_zh="总磷", name_en="Total phosphorus", region=world.city, position=7)
    assert [f.code for f in services.factors_for("339902")][-1] == "TP"
    assert "TP" not in [f.code for f in services.factors_for("330102")]


def test_confirmation_issues_the_right_in_kilograms_and_sets_reverification(world: World) -> None:
    cod = Factor.objects.get(code="COD")
    conf = services.confirm(
        world.users["district"],
        world.cement,
        cod,
        "12.345",
        basis="permit",
        basis_reference="91339901MA2D8KQX38001P",
        confirmed_on=D(2024, 2, 29),
    )
    assert (conf.quantity_kg, conf.tonnes, conf.vintage, conf.reverify_by) == (
        12345,
        Decimal("12.345"),
        2024,
        D(2029, 2, 28),
    )
    assert conf.confirmed_by == world.district_gov  # the most local body of the user's
    h = Holding.objects.get(holder=world.cement, asset__code="DR-COD", vintage=2024, state="available")
    assert h.balance == 12345
    assert conf.txn.reference == "确权/91339901MA2D8KQX38001P/COD/2024"


@pytest.mark.parametrize(
    ("tonnes", "message"),
    [
        ("12.3456", "吨/年最多三位小数（即精确到千克）：12.3456"),
        ("0", "数量须大于零（吨/年）：0"),
        ("十吨", "“十吨”不是数字（吨/年，最多三位小数）"),
        ("NaN", "数量须大于零（吨/年）：NaN"),
    ],
)
def test_a_bad_quantity_is_refused_located_and_changes_nothing(world: World, tonnes: str, message: str) -> None:
    before = (Confirmation.objects.count(), Holding.objects.count())
    with pytest.raises(ValidationError) as exc:
        services.confirm(
            world.users["gov"],
            world.steel,
            Factor.objects.get(code="SO2"),
            tonnes,
            basis="eia",
            basis_reference="示环审〔2024〕12号",
            confirmed_on=D(2024, 5, 1),
        )
    assert exc.value.message_dict == {"tonnes": [message]}
    assert (Confirmation.objects.count(), Holding.objects.count()) == before


def test_only_the_region_government_confirms_and_only_once_a_year(world: World) -> None:
    nox = Factor.objects.get(code="NOX")
    kw: dict[str, Any] = {"basis": "permit", "basis_reference": "P-1", "confirmed_on": D(2024, 5, 1)}
    for who in ("cement", "admin", "bank", "verifier"):
        with pytest.raises(PermissionDenied):
            services.confirm(world.users[who], world.cement, nox, "3", **kw)
    with pytest.raises(PermissionDenied):  # 西城区 is not the district government's
        services.confirm(world.users["district"], world.steel, nox, "3", **kw)
    services.confirm(world.users["gov"], world.steel, nox, "3", **kw)
    with pytest.raises(ValidationError) as exc:
        services.confirm(world.users["gov"], world.steel, nox, "4", **{**kw, "basis_reference": "P-2"})
    assert exc.value.message_dict == {"factor": ["氮氧化物 在 2024 年度已确权"]}


def test_a_bill_is_tonnes_times_the_standard_times_years_with_its_derivation(world: World) -> None:
    conf = services.confirm(
        world.users["gov"],
        world.steel,
        Factor.objects.get(code="NH3N"),
        "2.345",
        basis="eia",
        basis_reference="示环审〔2024〕7号",
        confirmed_on=D(2024, 4, 1),
    )
    bill = services.issue_bill(world.users["gov"], conf.pk, years=5, issued_on=D(2024, 4, 10), due_date=D(2024, 6, 30))
    # 2.345 t/a × 5000 元/t·a × 5 a = 58 625.00 元 (示范市 standard, 附表 1)
    assert bill.amount == Decimal("58625.00")
    assert bill.derivation == (
        "2.345 吨/年 × 5000.00 元/吨·年 × 5 年 = 58625.00 元；标准：示范市发展和改革委员会"
        "《示范市排污权有偿使用费征收标准（试行）》附表 1（2020-12-01 发布，2021-01-01 起执行）"
    )
    from django.utils import translation

    with translation.override("en"):
        assert services.bill_derivation(bill.quantity_kg, bill.standard, bill.years, bill.amount) == (
            "2.345 t/yr × 5000.00 yuan/t/yr × 5 yr = 58625.00 yuan; standard: 示范市发展和改革委员会, "
            "“示范市排污权有偿使用费征收标准（试行）”, 附表 1 (published 2020-12-01, in force from 2021-01-01)"
        )


def test_a_new_standard_version_applies_from_its_date_and_old_bills_keep_theirs(world: World) -> None:
    so2 = Factor.objects.get(code="SO2")
    conf = services.confirm(
        world.users["gov"], world.cement, so2, "10", basis="permit", basis_reference="P-so2", confirmed_on=D(2024, 1, 5)
    )
    old = services.issue_bill(world.users["gov"], conf.pk, years=1, issued_on=D(2024, 12, 31), due_date=D(2025, 3, 31))
    services.publish_fee_standard(
        world.city,
        so2,
        "1500",
        valid_from=D(2025, 1, 1),
        derivation="治理成本上升（示范数据）",
        publisher="示范市发展和改革委员会",
        document="关于调整排污权有偿使用费标准的通知",
        clause="第一条",
        published_on=D(2024, 11, 20),
    )
    new = services.issue_bill(world.users["gov"], conf.pk, years=1, issued_on=D(2025, 1, 2), due_date=D(2025, 3, 31))
    assert (old.amount, new.amount) == (Decimal("10000.00"), Decimal("15000.00"))
    versions = list(FeeStandard.objects.filter(region=world.city, factor=so2).values_list("valid_from", "valid_to"))
    assert versions == [(D(2021, 1, 1), D(2025, 1, 1)), (D(2025, 1, 1), None)]
    if connection.vendor == "postgresql":  # the exclusion constraint refuses an overlapping version past the service
        with pytest.raises(IntegrityError), transaction.atomic():
            FeeStandard.objects.create(
                region=world.city,
                factor=so2,
                yuan_per_tonne_year=1,
                valid_from=D(2025, 6, 1),
                derivation="x",
                publisher="x",
                document="x",
                clause="x",
                published_on=D(2025, 1, 1),
            )


def test_no_standard_no_bill(world: World) -> None:
    conf = services.confirm(
        world.users["gov"],
        world.cement,
        Factor.objects.get(code="VOCS"),
        "1",
        basis="permit",
        basis_reference="P-v",
        confirmed_on=D(2024, 1, 5),
    )
    with pytest.raises(ValidationError) as exc:
        services.issue_bill(world.users["gov"], conf.pk, years=1, issued_on=D(2024, 2, 1), due_date=D(2024, 3, 1))
    assert exc.value.message_dict == {"confirmation": ["2024-02-01 没有适用于本地区 挥发性有机物 的收费标准"]}
    assert Bill.objects.filter(confirmation=conf).count() == 0


def test_payments_settle_a_bill_and_an_overpayment_is_refused(world: World) -> None:
    conf = services.confirm(
        world.users["gov"],
        world.cement,
        Factor.objects.get(code="NOX"),
        "0.5",
        basis="permit",
        basis_reference="P-n",
        confirmed_on=D(2024, 1, 5),
    )
    bill = services.issue_bill(world.users["gov"], conf.pk, years=1, issued_on=D(2024, 2, 1), due_date=D(2024, 3, 1))
    assert bill.amount == Decimal("600.00")  # 0.5 t × 1200 元
    services.record_payment(world.users["district"], bill.pk, "200", paid_on=D(2024, 2, 10), reference="缴-001")
    with pytest.raises(ValidationError) as exc:
        services.record_payment(world.users["gov"], bill.pk, "400.01", paid_on=D(2024, 2, 11), reference="缴-002")
    assert exc.value.message_dict == {"amount": ["缴款金额须大于零且不超过未缴金额 400.00 元"]}
    with pytest.raises(ValidationError) as exc:
        services.record_payment(world.users["gov"], bill.pk, "400", paid_on=D(2024, 2, 11), reference="缴-001")
    assert exc.value.message_dict == {"reference": ["缴款凭证号 缴-001 已登记"]}
    services.record_payment(world.users["gov"], bill.pk, "400", paid_on=D(2024, 2, 11), reference="缴-002")
    bill.refresh_from_db()
    assert bill.status == "paid"
    with pytest.raises(Bill.DoesNotExist):  # the steel staff do not even see the bill
        services.record_payment(world.users["steel"], bill.pk, "1", paid_on=D(2024, 2, 11), reference="缴-003")


def test_region_revenue_by_factor_and_district(world: World) -> None:
    pay = []
    for org, code, tonnes, ref in (
        (world.cement, "COD", "3", "c"),
        (world.steel, "COD", "2", "s"),
        (world.steel, "SO2", "4", "s2"),
    ):
        conf = services.confirm(
            world.users["gov"],
            org,
            Factor.objects.get(code=code),
            tonnes,
            basis="permit",
            basis_reference=f"R-{ref}",
            confirmed_on=D(2024, 1, 5),
        )
        bill = services.issue_bill(
            world.users["gov"], conf.pk, years=1, issued_on=D(2024, 1, 6), due_date=D(2024, 3, 31)
        )
        pay.append(
            services.record_payment(
                world.users["gov"], bill.pk, bill.amount, paid_on=D(2024, 2, 1), reference=f"缴-{ref}"
            )
        )
    cod, so2 = Factor.objects.get(code="COD").pk, Factor.objects.get(code="SO2").pk
    view = queries.region_view(world.users["gov"], 2024)
    # 3 t × 4000 = 12 000 (东城区); 2 t × 4000 = 8 000 and 4 t × 1000 = 4 000 (西城区)
    assert view.revenue == {
        ("339901", cod): Decimal("12000.00"),
        ("339902", cod): Decimal("8000.00"),
        ("339902", so2): Decimal("4000.00"),
    }
    assert (view.paid_total, view.billed_total) == (Decimal("24000.00"), Decimal("24000.00"))
    district = queries.region_view(world.users["district"], 2024)
    assert district.revenue == {("339901", cod): Decimal("12000.00")}
    assert [s.factor.code for s in district.standards] == ["COD", "NH3N", "SO2", "NOX"]

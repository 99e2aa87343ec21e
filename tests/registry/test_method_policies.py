"""Method policies: effective-dated periods, the most specific region wins, choices checked when saved."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from dualcarbon.engine.factors import DEFAULT_FUEL_SETS, DEFAULT_GRID, Options
from dualcarbon.registry import effective
from dualcarbon.registry import services as registry
from dualcarbon.registry.models import MethodPolicy
from tests.factories import build_world

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def world():
    return build_world()


def test_policy_most_specific_region_and_date_wins(world):
    MethodPolicy.objects.create(region=world.district_a, valid_from=D(2024, 6, 1), grid="mee:national")
    assert registry.policy_for("339901", D(2024, 1, 1)).grid == "mee:provincial"
    assert registry.policy_for("339901", D(2024, 7, 1)).grid == "mee:national"
    assert registry.policy_for("339902", D(2024, 7, 1)).grid == "mee:provincial"
    assert registry.policy_for("110105", D(2024, 7, 1)) is None


def test_a_new_policy_ends_the_one_in_force_the_day_before(world):
    old = MethodPolicy.objects.get(region=world.city)
    new = registry.adopt_policy(world.city, D(2024, 1, 2), grid="mee:national", gwp="AR4")
    old.refresh_from_db()
    assert (old.valid_from, old.valid_to) == (D(2020, 1, 1), D(2024, 1, 2))
    assert (new.valid_from, new.valid_to) == (D(2024, 1, 2), None)
    assert registry.policy_for("339901", D(2024, 1, 1)) == old  # valid_to is exclusive
    assert registry.policy_for("339901", D(2024, 1, 2)) == new
    # the engine options the policy means
    assert registry.options_for(new) == Options(
        fuel_sets=DEFAULT_FUEL_SETS, grid="mee:national", gwp="AR4", tce_basis="equivalent"
    )


def test_an_overlapping_period_is_refused_with_the_policy_it_overlaps(world):
    clash = MethodPolicy(region=world.city, valid_from=D(2023, 1, 1), grid="ets")
    with pytest.raises(ValidationError) as exc:
        clash.full_clean()
    text = " ".join(exc.value.message_dict["valid_from"])
    assert "2020-01-01" in text and "长期" in text
    # a closed period that ends where the next begins is fine
    registry.adopt_policy(world.city, D(2023, 1, 1), grid="ets")
    closed = MethodPolicy(region=world.city, valid_from=D(2019, 1, 1), valid_to=D(2020, 1, 1), grid="ets")
    closed.full_clean()
    # a policy later than the one being added is not closed by it: the new one overlaps it
    with pytest.raises(ValidationError):
        registry.adopt_policy(world.city, D(2022, 1, 1), grid="mee:national")
    assert MethodPolicy.objects.filter(region=world.city).count() == 2  # nothing written


def test_an_end_before_the_start_is_refused(world):
    bad = MethodPolicy(region=world.district_b, valid_from=D(2024, 1, 1), valid_to=D(2023, 1, 1))
    with pytest.raises(ValidationError) as exc:
        bad.full_clean()
    assert "失效日期不能早于生效日期" in " ".join(exc.value.message_dict["valid_to"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint exists on PostgreSQL only")
def test_postgresql_refuses_overlapping_rows_written_around_validation(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        MethodPolicy.objects.create(region=world.city, valid_from=D(2022, 1, 1), grid="ets")
    # the database's CHECK holds on both databases; the exclusion constraint here
    MethodPolicy.objects.create(region=world.district_a, valid_from=D(2022, 1, 1), valid_to=D(2023, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        MethodPolicy.objects.create(region=world.district_a, valid_from=D(2022, 6, 1), valid_to=D(2022, 7, 1))


def test_the_database_refuses_an_end_before_the_start(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        MethodPolicy.objects.create(region=world.district_b, valid_from=D(2024, 1, 1), valid_to=D(2023, 1, 1))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("grid", "mee:provinical", "电网因子选择无效"),
        ("grid", "ets:provincial", "电网因子选择无效"),
        ("fuel_sets", "fuels-a,fuels-z", "燃料因子集无效"),
        ("fuel_sets", "heat-default", "燃料因子集无效"),
        ("gwp", "AR7", "AR7"),
    ],
)
def test_a_mistyped_choice_is_refused_when_saved(world, field, value, message):
    policy = MethodPolicy(region=world.district_b, valid_from=D(2024, 1, 1), **{field: value})
    with pytest.raises(ValidationError) as exc:
        policy.full_clean()
    assert message in " ".join(exc.value.message_dict[field])
    with pytest.raises(ValidationError):  # saving without validation is refused too: it never reaches a calculation
        policy.save()
    assert not MethodPolicy.objects.filter(region=world.district_b).exists()


def test_choices_are_stored_in_their_normal_form(world):
    p = MethodPolicy.objects.create(region=world.district_b, valid_from=D(2024, 1, 1), grid=" MEE:Provincial@2022 ")
    assert p.grid == "mee:provincial@2022"


def test_one_default_for_engine_cli_policy_and_platform(world):
    field = MethodPolicy._meta.get_field
    assert field("grid").default == DEFAULT_GRID == Options().grid == "mee:auto"
    assert field("fuel_sets").default == ",".join(DEFAULT_FUEL_SETS) == ",".join(Options().fuel_sets)
    assert registry.options_for(None) == Options()


def test_resolve_prefers_the_most_specific_region_in_force():
    class Row:
        def __init__(self, prefix: str, start: D, end: D | None) -> None:
            self.prefix, self.valid_from, self.valid_to = prefix, start, end

        in_force_on = effective.EffectiveDated.in_force_on

    province = Row("33", D(2020, 1, 1), None)
    city = Row("3399", D(2020, 1, 1), D(2024, 1, 1))
    county = Row("339901", D(2025, 1, 1), None)
    rows = [province, city, county]
    pick = lambda code, day: effective.resolve(rows, day, region_code=code, prefix_of=lambda r: r.prefix)  # noqa: E731
    assert pick("339901", D(2023, 6, 1)) is city
    assert pick("339901", D(2024, 6, 1)) is province  # the city's policy ended
    assert pick("339901", D(2025, 1, 1)) is county
    assert pick("339902", D(2025, 1, 1)) is province
    assert pick("110101", D(2025, 1, 1)) is None

"""Effective-dated group ownership (registry.Ownership): a group's tree on a day, the links the consolidation engine
reads (and the figures it then gives, worked by hand in tests/engine/test_consolidation.py), a change of holding
as a new version, and the refusals — overlap of one pair, a subsidiary held more than 100 %, a cycle — before
anything is saved; on PostgreSQL the exclusion constraint holds the no-overlap rule under validation too."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from dualcarbon.engine.consolidation import consolidate, monthly
from dualcarbon.registry import services as registry
from dualcarbon.registry.models import Organisation, Ownership

pytestmark = pytest.mark.django_db

D = datetime.date
START = D(2020, 1, 1)


@pytest.fixture
def group():
    names = {"G": "浙东能源集团有限公司", "A": "东港热电有限公司", "B": "西岭水泥有限公司", "C": "南湾化工有限公司"}
    orgs = {k: Organisation.objects.create(kind="enterprise", name=v) for k, v in names.items()}
    registry.set_ownership(orgs["G"], orgs["A"], "60", START, has_control=True)
    registry.set_ownership(orgs["G"], orgs["B"], "30", START)
    registry.set_ownership(orgs["A"], orgs["C"], "50", START, has_control=True)
    return orgs


def test_the_tree_on_a_day_with_equity_shares_control_and_chains(group):
    tree = registry.group_tree(group["G"], D(2024, 3, 1))
    rows = [(m.name, m.depth, m.equity_share, m.controlled) for m in tree]
    assert rows == [
        ("浙东能源集团有限公司", 0, 1, True),
        ("东港热电有限公司", 1, Decimal("0.6"), True),
        ("西岭水泥有限公司", 1, Decimal("0.3"), False),
        ("南湾化工有限公司", 2, Decimal("0.3"), True),
    ]
    assert tree[3].chains == ("浙东能源集团有限公司→东港热电有限公司 60% × 东港热电有限公司→南湾化工有限公司 50%",)
    assert tree[3].held_by == (group["A"].pk,)
    assert registry.group_tree(group["A"], D(2024, 3, 1))[1].equity_share == Decimal("0.5")  # a sub-group's own tree
    assert [m.name for m in registry.group_tree(group["G"], D(2019, 12, 31))] == ["浙东能源集团有限公司"]


def test_a_purchase_mid_year_is_a_new_version_and_the_engine_prorates_it(group):
    new = registry.set_ownership(group["G"], group["B"], "60", D(2024, 7, 1), has_control=True, note="增持 30%")
    old = Ownership.objects.get(parent=group["G"], child=group["B"], valid_from=START)
    assert old.valid_to == D(2024, 7, 1) and new.valid_to is None
    assert old.history.count() == 2  # created, then closed: the change is kept
    links = registry.group_links(group["G"], D(2024, 1, 1), D(2025, 1, 1))
    assert len(links) == 4
    ids = {k: str(o.pk) for k, o in group.items()}
    per_month = {"G": (100, 50), "A": (200, 100), "B": (300, 60), "C": (120, 30)}
    totals = monthly((ids[k], m, s1, s2) for k, (s1, s2) in per_month.items() for m in range(1, 13))
    equity = consolidate(ids["G"], 2024, "equity_share", links, totals)
    assert equity.entity(ids["B"]).shares() == [Decimal("0.3")] * 6 + [Decimal("0.6")] * 6
    assert (equity.scope1, equity.scope2) == (4692, 1752)  # 4152 − 1080 + 1620; 1644 − 216 + 324
    control = consolidate(ids["G"], 2024, "operational_control", links, totals)
    assert (control.scope1, control.scope2) == (6840, 2520)  # B counted in full from July: + 1800 / + 360


def test_an_overlap_of_one_pair_is_refused_and_nothing_saved(group):
    clash = Ownership(parent=group["G"], child=group["A"], share=Decimal(70), valid_from=D(2023, 1, 1))
    with pytest.raises(ValidationError) as exc:
        clash.full_clean()
    assert "重叠" in " ".join(exc.value.message_dict["valid_from"])
    # a version dated before the one in force is not closed by it: it overlaps, and is refused
    with pytest.raises(ValidationError):
        registry.set_ownership(group["G"], group["A"], "70", D(2019, 1, 1))
    assert Ownership.objects.filter(parent=group["G"], child=group["A"]).count() == 1


def test_more_than_100_percent_and_a_cycle_are_refused_in_both_languages(group):
    other = Organisation.objects.create(kind="enterprise", name="北仑港务有限公司")
    with pytest.raises(ValidationError) as exc:
        registry.set_ownership(other, group["A"], "45", D(2024, 5, 1))
    assert exc.value.message_dict["share"] == ["自 2024-05-01 起，该子公司各股东的持股合计为 105%，超过 100%"]
    with translation.override("en"):
        with pytest.raises(ValidationError) as exc:
            registry.set_ownership(group["C"], group["G"], "5", D(2024, 3, 1))
        assert exc.value.message_dict["parent"] == [
            "From 2024-03-01 the holdings would run in a cycle: "
            "浙东能源集团有限公司 → 东港热电有限公司 → 南湾化工有限公司 → 浙东能源集团有限公司"
        ]
    # a holding starting earlier is checked on every later day the graph changes: in 2019 and 2020 A's 10 % of B
    # fits, from 2021 (another holder's 70 % beside G's 30 %) it would not
    registry.set_ownership(other, group["B"], "70", D(2021, 1, 1))
    with pytest.raises(ValidationError) as exc:
        Ownership(parent=group["A"], child=group["B"], share=Decimal(10), valid_from=D(2019, 1, 1)).full_clean()
    assert exc.value.message_dict["share"] == ["自 2021-01-01 起，该子公司各股东的持股合计为 110%，超过 100%"]
    Ownership(parent=group["A"], child=group["B"], share=Decimal(10), valid_from=D(2019, 1, 1),
              valid_to=D(2021, 1, 1)).full_clean()  # fmt: skip
    assert not Ownership.objects.filter(parent=group["A"], child=group["B"]).exists()


def test_share_and_self_holding_are_checked_by_the_form_and_the_database(group):
    bad = Ownership(parent=group["G"], child=group["G"], share=Decimal(120), valid_from=START)
    with pytest.raises(ValidationError) as exc:
        bad.full_clean()
    assert set(exc.value.message_dict) >= {"share"}
    with pytest.raises(IntegrityError), transaction.atomic():
        Ownership.objects.create(parent=group["B"], child=group["C"], share=Decimal(101), valid_from=START)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ownership.objects.create(parent=group["B"], child=group["B"], share=Decimal(1), valid_from=START)
    assert admin.site.is_registered(Ownership)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the exclusion constraint exists on PostgreSQL only")
def test_postgresql_refuses_overlapping_holdings_written_around_validation(group):
    with pytest.raises(IntegrityError), transaction.atomic():
        Ownership.objects.create(parent=group["G"], child=group["A"], share=Decimal(70), valid_from=D(2023, 1, 1))
    Ownership.objects.create(parent=group["B"], child=group["C"], share=Decimal(10), valid_from=START,
                             valid_to=D(2021, 1, 1))  # fmt: skip

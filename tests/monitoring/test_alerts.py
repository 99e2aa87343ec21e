"""Early warnings: the rules produce alerts (idempotently), the state machine, the alert page and command."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from dualcarbon.monitoring import services
from dualcarbon.monitoring.models import Alert, AlertRule, Target
from tests.web.helpers import fast_world, login, submit_many, submit_month

pytestmark = pytest.mark.django_db
URL = reverse("monitoring:alerts")


@pytest.fixture
def world(settings):
    return fast_world(settings)


def test_default_rules_are_seeded():
    """Every kind monitoring evaluates has its default rule; the kinds the apps above raise themselves
    (services.raise_alert: the programme's dispatch) get theirs on first use."""
    from dualcarbon.monitoring.evaluators import EVALUATORS

    assert set(AlertRule.objects.filter(region__isnull=True).values_list("kind", flat=True)) == set(EVALUATORS)
    assert set(EVALUATORS) < set(AlertRule.Kind.values)


def test_rules_produce_alerts_once(world):
    u = world.users
    submit_month(u["cement"], world.cement, 2024, 1)
    submit_month(u["cement"], world.cement, 2024, 2, coal=3 * 7100.0)  # a month-on-month jump
    Target.objects.create(region=world.city, year=2024, total_tco2e=10.0)  # surely overrun
    r = services.evaluate_alerts("3399", 2024, 2)
    kinds = set(Alert.objects.values_list("kind", flat=True))
    assert {"mom_jump", "missing_submission", "budget_overrun_projected"} <= kinds
    jump = Alert.objects.get(kind="mom_jump")
    assert jump.enterprise == world.cement and jump.period == "2024-02" and jump.region_id == "339901"
    assert jump.evidence["change"] > 0.5 and "环比" in jump.message_zh and jump.message_en
    missing = Alert.objects.filter(kind="missing_submission")
    assert set(missing.values_list("enterprise", flat=True)) == {world.steel.pk}  # not the far firm (3301)
    budget = Alert.objects.get(kind="budget_overrun_projected")
    assert budget.enterprise is None and budget.region_id == "339900"
    assert r.created == Alert.objects.count()
    # idempotent: a second run adds nothing, and does not reopen a resolved alert
    services.resolve(u["gov"], jump)
    again = services.evaluate_alerts("3399", 2024, 2)
    assert again.created == 0 and Alert.objects.count() == r.created
    assert Alert.objects.get(pk=jump.pk).status == "resolved"


def test_intensity_above_benchmark(world):
    from tests.web.helpers import add_enterprises

    ents = add_enterprises(world, 6)
    items = [(us, o, 2024, 3) for us, o in ents if o.industry_id == "30"] + [
        (world.users["cement"], world.cement, 2024, 3)
    ]
    submit_many(items)
    # cement: its coal ×20 makes it far above its division's intensity
    submit_month(world.users["cement"], world.cement, 2024, 4, coal=20 * 7100.0)
    submit_many([(us, o, 2024, 4) for us, o in ents if o.industry_id == "30"])
    services.evaluate_alerts("3399", 2024, 4)
    hits = Alert.objects.filter(kind="intensity_above_benchmark")
    assert list(hits.values_list("enterprise", flat=True)) == [world.cement.pk]
    assert hits[0].evidence["group_size"] >= 3


def test_rule_region_and_inactive_rules(world):
    submit_month(world.users["cement"], world.cement, 2024, 1)
    AlertRule.objects.exclude(kind="missing_submission").update(active=False)
    AlertRule.objects.filter(kind="missing_submission").update(region=world.district_b)
    services.evaluate_alerts("", 2024, 1)
    assert set(Alert.objects.values_list("enterprise", flat=True)) == {world.steel.pk}


def test_state_machine_refuses_invalid_transitions(world):
    services.evaluate_alerts("3399", 2024, 1)
    a = Alert.objects.filter(enterprise=world.cement).first()
    assert a is not None and a.status == "new"
    gov = world.users["gov"]
    a = services.acknowledge(gov, a)
    assert a.status == "acknowledged" and a.acknowledged_by == gov and a.owner == gov
    with pytest.raises(services.TransitionError):
        services.acknowledge(gov, a)
    a = services.resolve(gov, a, "已电话核实")
    assert a.status == "resolved" and a.resolved_at and a.resolved_by == gov and a.resolution == "已电话核实"
    for move in (services.acknowledge, services.resolve):
        with pytest.raises(services.TransitionError):
            move(gov, a)
    # only the government of the alert's region
    other = Alert.objects.filter(enterprise=world.steel).first()
    with pytest.raises(PermissionError):
        services.acknowledge(world.users["district"], other)
    with pytest.raises(PermissionError):
        services.acknowledge(world.users["cement"], other)
    assert Alert.objects.get(pk=other.pk).status == "new"


def test_alert_page_lists_and_acknowledges(client, world):
    services.evaluate_alerts("3399", 2024, 1)
    cement_alert = Alert.objects.get(enterprise=world.cement)
    steel_alert = Alert.objects.get(enterprise=world.steel)
    login(client, world.users["district"])
    r = client.get(URL + "?status=new")
    html = r.content.decode()
    assert world.cement.name in html and world.steel.name not in html
    # the district user cannot touch the other district's alert (not even see it)
    r = client.post(URL, {"alert": steel_alert.pk, "action": "acknowledge"})
    assert r.status_code == 404 and Alert.objects.get(pk=steel_alert.pk).status == "new"
    r = client.post(URL, {"alert": cement_alert.pk, "action": "acknowledge"})
    assert r.status_code == 302 and Alert.objects.get(pk=cement_alert.pk).status == "acknowledged"
    # invalid transition through the page: refused, unchanged
    client.post(URL, {"alert": cement_alert.pk, "action": "acknowledge"})
    assert Alert.objects.get(pk=cement_alert.pk).status == "acknowledged"
    assert client.post(URL, {"alert": cement_alert.pk, "action": "reopen"}).status_code == 400
    # filters
    assert world.cement.name not in client.get(URL + "?status=new").content.decode()
    assert world.cement.name in client.get(URL + "?kind=missing_submission&period=2024-01").content.decode()
    # enterprise staff: 403
    login(client, world.users["cement"])
    assert client.post(URL, {"alert": cement_alert.pk, "action": "resolve"}).status_code == 403
    assert Alert.objects.get(pk=cement_alert.pk).status == "acknowledged"


def test_command(world, capsys):
    call_command("alerts", "--year", "2024", "--month", "1")
    assert "3 new" in capsys.readouterr().out  # every region: the three enterprises have no January
    call_command("alerts", "--year", "2024", "--month", "1")
    assert "0 new" in capsys.readouterr().out

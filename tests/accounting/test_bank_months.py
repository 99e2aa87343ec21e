"""A bank reads an enterprise's months under its consent: months outside the consent say so
(「不在授权范围内」 / "not covered by the consent"), never 「未报送」 (not submitted): not the bank's to know."""

from __future__ import annotations

import pytest
from django.test import Client

from dualcarbon.accounting import queries
from dualcarbon.reporting import services
from tests.factories import build_world, cement_month

pytestmark = pytest.mark.django_db


def test_months_outside_the_consent_are_labelled_not_covered():
    world = build_world()  # the bank's consent covers cement's 2024-01 … 2024-06
    user, org = world.users["cement"], world.cement
    for month in (2, 9):
        services.submit(user, services.write_draft(user, org, 2024, month, services.DraftData(**cement_month())))

    bank = queries.account_year(world.users["bank"], org, 2024)
    statuses = {row.month: row.status for row in bank.months}
    assert statuses[2] == "submitted" and statuses[1] == statuses[6] == "none"  # covered: reported or not
    assert {m for m, s in statuses.items() if s == "not_covered"} == set(range(7, 13))  # 9 was reported: not shown
    assert bank.months[8].status_label == "不在授权范围内" and bank.months[8].entry is None
    own = {row.month: row.status for row in queries.account_year(user, org, 2024).months}
    assert own[9] == "submitted" and "not_covered" not in own.values()

    browser = Client()
    browser.force_login(world.users["bank"])
    html = browser.get(f"/accounts/enterprise/{org.pk}/?year=2024").content.decode()
    assert html.count("不在授权范围内") == 6
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(world.users["bank"])
    assert "Not covered by the consent" in english.get(f"/accounts/enterprise/{org.pk}/?year=2024").content.decode()

"""The platform admin governs everything: the region page shows every region's accounts and districts.

Issue: the admin saw "—" and 0 enterprises on /accounts/region/ while /monitoring/ showed the region's total
(an OR of "nothing" with "everything" is "nothing" in Django's Q).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from dualcarbon.accounting.models import AccountEntry
from tests.web.helpers import fast_world, login, submit_month

pytestmark = pytest.mark.django_db


def test_the_admin_sees_every_region_on_the_region_page(client, settings):
    world = fast_world(settings)
    submit_month(world.users["cement"], world.cement, 2024, 1)
    submit_month(world.users["steel"], world.steel, 2024, 1)
    submit_month(world.users["far"], world.other_city_firm, 2024, 1)  # Hangzhou: outside the city's jurisdiction
    login(client, world.users["admin"])
    view = client.get(reverse("accounting:region") + "?year=2024").context["view"]
    everything = sum(e.total_tco2e for e in AccountEntry.objects.filter(is_current=True, year=2024))
    assert view.totals["total"] == pytest.approx(everything)
    assert {d["region_code"] for d in view.districts} == {"339901", "339902", "330102"}
    assert {r.code for r in view.district_options} >= {"339901", "339902", "330102"}
    assert {r["enterprise"].pk for r in view.rows} >= {world.cement.pk, world.steel.pk, world.other_city_firm.pk}
    # the city's government still sees its own region only
    login(client, world.users["gov"])
    gov = client.get(reverse("accounting:region") + "?year=2024").context["view"]
    assert {d["region_code"] for d in gov.districts} == {"339901", "339902"}

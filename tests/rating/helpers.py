"""A small rated world: build_world() plus five more cement makers, a year of months each, through the
reporting services (drafts saved with save_draft; the batch submitted and computed in one engine run)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from stdnum.cn import uscc as stdnum_uscc

from dualcarbon.accounting import services as accounting
from dualcarbon.registry import services as registry
from dualcarbon.registry.models import Industry, Membership, Organisation
from dualcarbon.reporting import services
from dualcarbon.reporting.models import Submission
from tests.factories import PASSWORD, World, build_world, cement_month

YEAR = 2024
#: the month where 示范水泥 typed its coal in kg instead of tonnes (×1000): the appeal corrects it
TYPO_MONTH = 3
TYPO_COAL = 7_100_000.0
CEMENT_COAL = 7100.0


@dataclass
class RatedWorld:
    world: World
    peers: list[Organisation]
    users: dict[str, Any]

    @property
    def cement(self) -> Organisation:
        return self.world.cement


def month_data(coal: float) -> dict[str, Any]:
    """cement_month() with the coal's NCV, carbon content and oxidation rate measured (tier 1)."""
    data = cement_month(coal=coal)
    data["activities"][0].update(
        ncv=20.908, ncv_unit="GJ/t", carbon_content=0.02637, oxidation_rate=0.94, param_basis="实测"
    )
    return data


def _peers(world: World, n: int = 5) -> list[tuple[Any, Organisation]]:
    out = []
    cement_ind = Industry.objects.get(code="30")
    for i in range(n):
        base = f"91339901MA{i + 500:07d}"
        org = Organisation.objects.create(
            kind="enterprise",
            name=f"同行水泥{i}有限公司",
            uscc=base + stdnum_uscc.calc_check_digit(base),
            region=world.district_a if i % 2 else world.district_b,
            industry=cement_ind,
            size_class="medium",
            above_scale=True,
        )
        out.append((registry.create_user(f"peer{i}", PASSWORD, org, Membership.Role.ENTERPRISE_STAFF), org))
    return out


def submit_batch(items: list[tuple[Any, Organisation, int, int, dict[str, Any]]]) -> list[Submission]:
    drafts = []
    for user, org, year, month, data in items:
        draft = services.draft_for(user, org, year, month)
        services.save_draft(user, draft, services.DraftData(**data))
        drafts.append(draft)
    now = timezone.now()
    for d in drafts:
        Submission.objects.filter(pk=d.pk).update(
            status=Submission.Status.SUBMITTED, is_current=True, submitted_by=d.created_by, submitted_at=now
        )
    subs = list(
        Submission.objects.filter(pk__in=[d.pk for d in drafts]).select_related("enterprise", "period", "economic")
    )
    accounting.compute(subs)
    return subs


def rated_world(months: range = range(1, 13), year: int = YEAR, typo: bool = True) -> RatedWorld:
    world = build_world()
    peers = _peers(world)
    users = dict(world.users)
    items: list[tuple[Any, Organisation, int, int, dict[str, Any]]] = []
    for m in months:
        coal = TYPO_COAL if (typo and m == TYPO_MONTH) else CEMENT_COAL
        items.append((users["cement"], world.cement, year, m, month_data(coal)))
        items.append((users["steel"], world.steel, year, m, month_data(9000.0)))
        items.append((users["far"], world.other_city_firm, year, m, month_data(5000.0)))
        for i, (user, org) in enumerate(peers):
            items.append((user, org, year, m, month_data(5000.0 + 800.0 * i)))
            users[f"peer{i}"] = user
    submit_batch(items)
    return RatedWorld(world, [o for _u, o in peers], users)

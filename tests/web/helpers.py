"""Shared helpers of the web/account page tests: a fast world, logins, months of data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dualcarbon.accounting import services as accounting
from dualcarbon.registry import services as registry
from dualcarbon.registry.models import Industry, Membership, Organisation, Region
from dualcarbon.reporting import services
from dualcarbon.reporting.models import Submission
from tests.factories import PASSWORD, World, build_world, cement_month

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def fast_world(settings: Any) -> World:
    """build_world() with a fast password hasher (argon2 is deliberately slow)."""
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return build_world()


def login(client: Any, user: Any) -> Any:
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def submit_month(user: Any, org: Organisation, year: int, month: int, **kw: Any) -> Submission:
    """The real path: draft_for → save_draft → submit (validation and accounting included)."""
    draft = services.draft_for(user, org, year, month)
    services.save_draft(user, draft, services.DraftData(**cement_month(**kw)))
    return services.submit(user, draft)


def submit_many(items: Iterable[tuple[Any, Organisation, int, int]]) -> list[Submission]:
    """Many months quickly: drafts saved through the reporting services, then submitted and computed
    in one engine run (``accounting.services.compute`` on the batch) instead of one run per month."""
    drafts = []
    for i, (user, org, year, month) in enumerate(items):
        draft = services.draft_for(user, org, year, month)
        data = cement_month(clinker=40000.0 + 97 * i, coal=6000.0 + 13 * i, mwh=2500.0 + 7 * i)
        services.save_draft(user, draft, services.DraftData(**data))
        drafts.append(draft)
    now = timezone.now()
    for d in drafts:
        Submission.objects.filter(period=d.period, is_current=True).update(is_current=False)
        Submission.objects.filter(pk=d.pk).update(
            status=Submission.Status.SUBMITTED, is_current=True, submitted_by=d.created_by, submitted_at=now
        )
    subs = list(
        Submission.objects.filter(pk__in=[d.pk for d in drafts]).select_related("enterprise", "period", "economic")
    )
    accounting.compute(subs)
    return subs


def add_enterprises(world: World, n: int) -> list[tuple[Any, Organisation]]:
    """n more enterprises (alternating districts and industries), each with one staff user."""
    from stdnum.cn import uscc as stdnum_uscc

    industries = [Industry.objects.get(code="30"), Industry.objects.get(code="31"), Industry.objects.get(code="26")]
    districts: list[Region] = [world.district_a, world.district_b]
    out = []
    for i in range(n):
        base = f"91339901MA{i:07d}"
        code = base + stdnum_uscc.calc_check_digit(base)
        org = Organisation.objects.create(
            kind="enterprise",
            name=f"测试企业{i:03d}有限公司",
            uscc=code,
            region=districts[i % 2],
            industry=industries[i % 3],
            size_class="medium",
            above_scale=True,
        )
        user = registry.create_user(f"ent{i:03d}", PASSWORD, org, Membership.Role.ENTERPRISE_STAFF)
        out.append((user, org))
    return out


def count_queries(client: Any, url: str, **extra: Any) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **extra)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries), response

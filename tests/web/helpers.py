"""Shared helpers of the web/account page tests: a fast world, logins, months of data."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from dualcarbon.accounting import services as accounting
from dualcarbon.registry import services as registry
from dualcarbon.registry.models import Industry, Membership, Organisation, Region
from dualcarbon.reporting import hooks, services
from dualcarbon.reporting.models import Submission
from tests.factories import PASSWORD, World, build_world, cement_month

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def fast_world(settings: Any) -> World:
    """build_world() with a fast password hasher (argon2 is deliberately slow)."""
    settings.PASSWORD_HASHERS = FAST_HASHERS
    return build_world()


@contextlib.contextmanager
def data_for_the_module(django_db_blocker: Any) -> Iterator[None]:
    """Build data once for a whole test module (a module-scoped fixture) instead of once per test.

    The data is written inside one transaction that stays open while the module's tests run and is rolled back
    after the last one; each test (``django_db``, not ``transaction=True``) runs in a savepoint inside it and is
    rolled back as usual, so a test still sees exactly the fixture's data whatever the tests before it wrote. Use
    it with the module's tests on one pytest-xdist worker (``pytest.mark.xdist_group``), or each worker builds it
    once."""
    from django.test.utils import override_settings

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS), transaction.atomic():
        yield
        transaction.set_rollback(True)


def login(client: Any, user: Any) -> Any:
    client.force_login(user, backend=MODEL_BACKEND)
    return client


def submit_month(user: Any, org: Organisation, year: int, month: int, **kw: Any) -> Submission:
    """The real path: draft_for → save_draft → submit (validation and accounting included)."""
    draft = services.draft_for(user, org, year, month)
    services.save_draft(user, draft, services.DraftData(**cement_month(**kw)))
    return services.submit(user, draft)


#: the accounting app's receiver of reporting.hooks.submission_submitted (dualcarbon.accounting.apps)
ACCOUNTING_RECEIVER = "accounting-compute-on-submit"


@contextlib.contextmanager
def accounts_in_one_run() -> Iterator[list[Submission]]:
    """Months submitted inside (through ``reporting.services.submit``: validation, the current version, the
    announcement) get their accounts in one engine run on the way out instead of one run per month.

    ``submit`` announces each month with ``reporting.hooks.submission_submitted``; the accounting app's receiver
    (``accounting.services.on_submitted``) is held meanwhile and then called once with every announced month (the
    signal carries a list; one run for many months gives the same accounts as one per month,
    tests/accounting/test_services.py). All in one transaction: a failing computation leaves nothing submitted."""
    announced: list[Submission] = []

    def hold(sender: Any, submissions: Iterable[Submission] = (), **kwargs: Any) -> None:
        announced.extend(submissions)

    signal = hooks.submission_submitted
    assert signal.disconnect(dispatch_uid=ACCOUNTING_RECEIVER), "the accounting app's receiver is not connected"
    signal.connect(hold, dispatch_uid="tests-hold-accounts", weak=False)
    try:
        with transaction.atomic():
            yield announced
            signal.disconnect(dispatch_uid="tests-hold-accounts")
            accounting.on_submitted(sender=Submission, submissions=announced)
    finally:
        signal.disconnect(dispatch_uid="tests-hold-accounts")
        signal.connect(accounting.on_submitted, dispatch_uid=ACCOUNTING_RECEIVER)


def submit_many(items: Iterable[tuple[Any, Organisation, int, int]]) -> list[Submission]:
    """Many months quickly: each month's draft saved and submitted through the reporting services
    (``draft_for`` → ``save_draft`` → ``submit``), their accounts computed together (:func:`accounts_in_one_run`)."""
    with accounts_in_one_run() as submitted:
        for i, (user, org, year, month) in enumerate(items):
            draft = services.draft_for(user, org, year, month)
            data = cement_month(clinker=40000.0 + 97 * i, coal=6000.0 + 13 * i, mwh=2500.0 + 7 * i)
            services.save_draft(user, draft, services.DraftData(**data))
            services.submit(user, draft)
    return submitted


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

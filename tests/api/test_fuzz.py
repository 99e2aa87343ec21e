"""API fuzzing in the suite: Schemathesis generates requests for every operation of every router from
/api/openapi.json (valid and invalid ones, with an enterprise token) and runs all its checks on each answer —
no server error, a declared status, a declared content type, a body that matches the declared schema, data the
schema calls valid accepted and invalid data refused, authentication enforced. In-process through WSGI against
the small world (rolled back afterwards); a bounded number of examples per operation keeps it near a minute.

The figure (operations × requests, failures) is printed at the end of the module (``pytest -s``)."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings

from dualcarbon.registry import api_tokens
from dualcarbon.reporting import services
from tests.factories import build_world, cement_month

#: examples per operation and generation mode (valid, invalid data) in the fuzzing phase
MAX_EXAMPLES = 20

#: statuses that answer valid data for a state the request cannot see: 404 an id that is not there, 409 the
#: month's state (submitted, no draft, another writer), 422 a submit the draft's own validation errors block
VALID_DATA_STATUSES = ["2xx", "401", "403", "404", "409", "422"]

CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
        # the coverage phase sends ~500 boundary bodies to the draft alone (7 minutes on 2 cores); the number rule's
        # boundaries are the bad-input corpus's (tests/reporting/test_bad_inputs.py) and test_errors.py's
        "phases": {"coverage": {"enabled": False}},
        "checks": {"positive_data_acceptance": {"expected-statuses": VALID_DATA_STATUSES}},
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
    }
)

#: (a module without a database mark gets no test database from pytest-django: the fixture would see the real one)
pytestmark = pytest.mark.django_db

#: the document as the server publishes it (read through WSGI at collection: it needs no database)
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application(), config=CONFIG)
TALLY: Counter[str] = Counter()


@contextlib.contextmanager
def _connections_kept() -> Iterator[None]:
    """The WSGI handler closes the database connection after each request when it is inside a transaction (on
    PostgreSQL that ends the test's transaction); Django's test client disconnects the same signal handlers."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def token(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """The cement staff member's token, with a submitted month and an open draft to find (rolled back after)."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(django_db_blocker.unblock())
        stack.enter_context(_connections_kept())
        stack.enter_context(transaction.atomic())
        world = build_world()
        user, org = world.users["cement"], world.cement
        services.write_draft(user, org, 2024, 1, services.DraftData(**cement_month()))
        services.submit_month(user, org, 2024, 1)
        services.write_draft(user, org, 2024, 2, services.DraftData(**cement_month()))
        yield api_tokens.issue(user, "fuzzing")[1]
        transaction.set_rollback(True)
    print(f"\nschemathesis: {len(TALLY)} operations, {sum(TALLY.values())} requests: {dict(TALLY)}")


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_api(case: Any, token: str) -> None:
    TALLY[case.operation.label] += 1
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"})

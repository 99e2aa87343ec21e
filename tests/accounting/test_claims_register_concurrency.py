"""One claim per reduction under concurrency (PostgreSQL decides): sessions claiming the same serials — the same range,
or overlapping ranges with different first serials — at the same moment, each past the service's check before any
inserts, yield exactly one claim; the others are refused as AlreadyClaimed (the unique constraint
``accounting_claim_serial_once`` and the exclusion constraint ``accounting_claim_no_overlap``), never a server error,
and no transaction is left open."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, transaction

from dualcarbon.accounting import claims_register
from dualcarbon.accounting.models import ReductionClaim
from tests.web.helpers import fast_world

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises writers (BEGIN IMMEDIATE): there is no race for the constraint to decide",
    ),
    pytest.mark.django_db(transaction=True),
]

#: (first, last) per session: four on the very same range, four overlapping it from elsewhere
RANGES = [(1_001, 1_100)] * 4 + [(1_050, 1_150), (901, 1_001), (1_100, 1_100), (1_000, 1_200)]


def test_concurrent_claims_of_the_same_serials_yield_exactly_one(settings: Any) -> None:
    world = fast_world(settings)
    claimants = [world.cement, world.steel]
    purposes = ["ets_offset", "neutrality", "certificate", "loan_kpi"]
    barrier = threading.Barrier(len(RANGES))
    made: list[int] = []
    refused: list[ReductionClaim] = []
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        first, last = RANGES[i]
        who, purpose = claimants[i % 2], purposes[i % 4]
        try:
            with transaction.atomic():
                # everybody sees the serials free before anybody inserts: the database has to decide
                assert claims_register.check("ccer", purpose=purpose, claimant=who, serials=(first, last)) is None
                barrier.wait(timeout=30)
                try:
                    c = claims_register.claim("ccer", purpose=purpose, claimant=who, reference=f"并发-{i}",
                                              quantity=last - first + 1, serials=(first, last))  # fmt: skip
                    made.append(c.pk)
                except claims_register.AlreadyClaimed as exc:
                    refused.append(exc.first)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(RANGES))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert [t.is_alive() for t in threads] == [False] * len(RANGES)
    assert errors == []
    (only,) = ReductionClaim.objects.all()
    assert made == [only.pk] and len(refused) == len(RANGES) - 1
    assert {r.pk for r in refused} == {only.pk}  # each refusal names the claim that won
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND state LIKE 'idle in transaction%%' AND pid <> pg_backend_pid()"
        )
        assert cursor.fetchone()[0] == 0

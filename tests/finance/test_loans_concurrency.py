"""Drawdowns never exceed the approved amount, whatever the timing (docs/finance.md § Loans): the service locks the
loan's row (SELECT … FOR UPDATE) and the database's CHECK constraints refuse an overdraw or a negative outstanding
even from code that bypasses the service. The threaded test runs on PostgreSQL (tests/run_pg.py)."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from dualcarbon.finance import lending
from dualcarbon.finance.models import Loan, LoanApplication, LoanMovement
from dualcarbon.registry.models import Consent
from tests.web.helpers import fast_world

THREADS = 8  # each draws 300 000 of a 1 000 000 loan at once: exactly three succeed


def _loan(world: Any) -> Loan:
    """A loan booked through the bank's decision on an application (built here without the rated world: the
    application's eligibility snapshot is not what this test is about)."""
    product = lending.create_product(
        world.users["bank"],
        None,
        code="TXD",
        name_zh="碳效贷",
        purpose_tag="carbon",
        valid_from=datetime.date(2025, 1, 1),
        rule={"fact": "industry", "op": "in", "value": ["30"]},
        min_amount="100000",
        max_amount="5000000",
        min_term=6,
        max_term=36,
        base_rate_bp=385,
        grade_spreads={"3": 0},
    )
    app = LoanApplication.objects.create(
        product=product,
        version=product.versions.get(),
        bank=world.bank,
        enterprise=world.cement,
        consent=Consent.objects.get(enterprise=world.cement, bank=world.bank),
        amount=Decimal("1000000"),
        term_months=12,
        purpose="流动资金",
        evaluation={},
        grade=3,
        quoted_rate_bp=385,
        applied_by=world.users["cement"],
    )
    lending.decide(world.users["bank"], app, approve=True, amount="1000000", rate_bp=385, term_months=12)
    return Loan.objects.get(application=app)


@pytest.mark.django_db
def test_the_database_refuses_an_overdraw_that_bypasses_the_service(settings: Any) -> None:
    loan = _loan(fast_world(settings))
    for fields in ({"drawn": Decimal("1000000.01")}, {"drawn": 10, "outstanding": 11}, {"outstanding": -1}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Loan.objects.filter(pk=loan.pk).update(**fields)
    loan.refresh_from_db()
    assert (loan.drawn, loan.outstanding) == (0, 0)


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's in-memory test database is shared-cache: a concurrent writer fails at once instead of waiting",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_drawdowns_never_exceed_the_approved_amount(settings: Any) -> None:
    world = fast_world(settings)
    loan = _loan(world)
    barrier = threading.Barrier(THREADS)
    done: list[int] = []
    refused: list[int] = []
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            try:
                lending.record_movement(world.users["bank"], Loan.objects.get(pk=loan.pk), "drawdown", "300000")
                done.append(i)
            except ValidationError:
                refused.append(i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == [] and (len(done), len(refused)) == (3, THREADS - 3)
    loan.refresh_from_db()
    assert (loan.drawn, loan.outstanding) == (Decimal("900000.00"), Decimal("900000.00"))
    after = sorted(LoanMovement.objects.filter(loan=loan).values_list("drawn_after", flat=True))
    assert after == [Decimal("300000.00"), Decimal("600000.00"), Decimal("900000.00")]

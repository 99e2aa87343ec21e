"""Many sessions moving the same holdings at once (PostgreSQL: row locks in a fixed order, the journal's advisory
lock): 120 concurrent transfers in both directions between two holders, each thread on its own connection —
every unit conserved, no overdraft, no deadlock, no lock or transaction left behind, the chain intact."""

from __future__ import annotations

import itertools
import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from dualcarbon.assets import ledger, services
from dualcarbon.assets.models import Asset, Holding, LedgerTransaction, SerialBlock
from tests.assets.helpers import wipe_ledger  # noqa: F401 (the journal emptied before the flush)
from tests.web.helpers import fast_world

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite's in-memory test database is shared-cache: a concurrent writer fails at once instead of waiting",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS, EACH = 20, 6  # 120 transfers


@pytest.mark.usefixtures("wipe_ledger")
def test_concurrent_transfers_conserve_and_never_overdraw(settings: Any) -> None:
    world = fast_world(settings)
    dr, gec = Asset.objects.get(code="DR-VOCS"), Asset.objects.get(code="GEC")
    gov = world.users["gov"]
    services.issue(gov, dr, world.cement, 2024, 300, reference="确权/PW-c/VOCS/2024", memo="确权")
    services.issue(gov, dr, world.steel, 2024, 100, reference="确权/PW-s/VOCS/2024", memo="确权")
    services.issue(gov, gec, world.cement, 2024, 200, reference="GEC-c", memo="核发")
    services.issue(gov, gec, world.steel, 2024, 50, reference="GEC-s", memo="核发")
    ends = [(world.cement, world.users["cement"], world.steel), (world.steel, world.users["steel"], world.cement)]
    barrier = threading.Barrier(THREADS)
    done: list[int] = []
    refused: list[int] = []
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        seller, user, buyer = ends[i % 2]
        try:
            barrier.wait()
            for j in range(EACH):
                asset = dr if j % 2 == 0 else gec
                try:  # 40 units each way: some are refused when the seller runs dry
                    services.transfer(user, asset, 2024, seller, buyer, 40, reference=f"并发-{i}-{j}")
                    done.append(40)
                except ValidationError:
                    refused.append(40)
        except BaseException as exc:  # a deadlock (40P01) or any other error fails the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [t.is_alive() for t in threads] == [False] * THREADS
    assert errors == []
    assert len(done) + len(refused) == THREADS * EACH
    assert LedgerTransaction.objects.filter(kind="transfer").count() == len(done)
    for code, total in (("DR-VOCS", 400), ("GEC", 250)):
        rows = Holding.objects.filter(asset__code=code, state="available")
        assert sum(h.balance for h in rows) == total
        assert min(h.balance for h in rows) >= 0
    blocks = list(SerialBlock.objects.filter(asset=gec).order_by("first").values_list("first", "last"))
    assert sum(last - first + 1 for first, last in blocks) == 250
    assert all(a[1] < b[0] for a, b in itertools.pairwise(blocks))
    check = ledger.verify_ledger(chunk_size=17)
    assert (check.ok, check.checked, check.issued) == (True, 4 + len(done), {"DR-VOCS": 400, "GEC": 250})
    with connection.cursor() as cursor:  # nothing left holding a lock or a transaction open
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND state LIKE 'idle in transaction%%'"
        )
        assert cursor.fetchone() == (0,)
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        assert cursor.fetchone() == (0,)

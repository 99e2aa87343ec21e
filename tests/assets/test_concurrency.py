"""Many sessions moving the same holdings at once (PostgreSQL: row locks in a fixed order, the journal's advisory
lock): 120 concurrent transfers in both directions between two holders, each thread on its own connection —
every unit conserved, no overdraft, no deadlock, no lock or transaction left behind, the chain intact."""

from __future__ import annotations

import datetime
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


@pytest.mark.usefixtures("wipe_ledger")
def test_concurrent_listings_bids_and_settlements_never_oversell(settings: Any) -> None:
    """Trading (docs/assets.md § Trading) from many sessions at once: 10 listings of 40 units race for 300 available
    (7 win, nothing listed twice); 20 bids race into one round; after its close 6 settlements, 2 withdrawals and
    4 late bids race on it while the seller withdraws its other listings (the same reserved account): exactly one
    settlement, the 40 units sold once to the highest bids, the rest of every account where it belongs."""
    from django.utils import timezone

    from dualcarbon.assets import trading
    from dualcarbon.assets.models import Bid, Listing, Trade

    world = fast_world(settings)
    dr = Asset.objects.get(code="DR-VOCS")
    services.issue(world.users["gov"], dr, world.cement, 2024, 300, reference="确权/PW-c/VOCS/2024", memo="确权")
    seller, buyer = world.users["cement"], world.users["steel"]
    now = timezone.now()

    def race(n: int, job: Any) -> tuple[list[Any], list[int], list[BaseException]]:
        barrier, ok, refused, errors = threading.Barrier(n), [], [], []

        def run(i: int) -> None:
            try:
                barrier.wait()
                try:
                    ok.append(job(i))
                except ValidationError:
                    refused.append(i)
            except BaseException as exc:  # a deadlock or any other error fails the test
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert [t.is_alive() for t in threads] == [False] * n
        return ok, refused, errors

    listed, refused, errors = race(
        10,
        lambda i: trading.create_listing(
            seller, world.cement, dr, 2024, 40, mode="auction", reserve_price="100",
            opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(hours=1),
        ).pk,
    )  # fmt: skip
    assert (len(listed), len(refused), errors) == (7, 3, [])
    balances = dict(Holding.objects.filter(holder=world.cement, asset=dr).values_list("state", "balance"))
    assert (balances["available"], balances["reserved"]) == (20, 280)
    target, others = listed[0], listed[1:]
    bids, refused, errors = race(20, lambda i: trading.bid(buyer, target, world.steel, 10, f"{100 + i}").pk)
    assert (len(bids), refused, errors) == (20, [], [])
    Listing.objects.filter(pk=target).update(closes_at=timezone.now() - datetime.timedelta(seconds=1))

    def close(i: int) -> Any:
        if i < 6:
            return ("settle", trading.settle(seller if i % 2 else world.users["gov"], target).pk)
        if i < 8:
            return ("cancel", trading.cancel(seller, target).pk)
        if i < 12:
            return ("bid", trading.bid(buyer, target, world.steel, 10, "999").pk)
        return ("cancel-other", trading.cancel(seller, others[i - 12]).pk)

    done, refused, errors = race(12 + len(others), close)
    assert errors == []
    assert sorted(kind for kind, _pk in done) == ["cancel-other"] * len(others) + ["settle"]
    assert len(refused) == 5 + 2 + 4
    row = Listing.objects.get(pk=target)
    assert (row.status, row.sold_quantity) == ("settled", 40)
    assert sorted(Bid.objects.filter(listing=row, filled__gt=0).values_list("price", flat=True)) == [116, 117, 118, 119]
    assert Trade.objects.filter(listing=row).count() == 4 and Bid.objects.filter(listing=row).count() == 20
    balances = dict(Holding.objects.filter(holder=world.cement, asset=dr).values_list("state", "balance"))
    assert (balances["available"], balances["reserved"]) == (20 + 40 * len(others), 0)
    assert Holding.objects.get(holder=world.steel, asset=dr, state="available").balance == 40
    check = ledger.verify_ledger()
    assert check.ok and check.issued == {"DR-VOCS": 300}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND state LIKE 'idle in transaction%%'"
        )
        assert cursor.fetchone() == (0,)
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        assert cursor.fetchone() == (0,)

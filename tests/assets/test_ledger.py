"""The ledger (docs/assets.md § Ledger): balanced postings, no overdraft, no double issuance, one holder per serial,
append-only journal, a hash chain ``verify_ledger`` walks, and conservation of every asset. Runs on SQLite and
PostgreSQL (``tests/run_pg.py``); the concurrency proof is in ``test_concurrency.py`` (PostgreSQL)."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import itertools
import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dualcarbon.accounting import claims_register
from dualcarbon.accounting.models import ReductionClaim
from dualcarbon.assets import leasing, ledger, services, trading
from dualcarbon.assets.models import Asset, Holding, Lease, LedgerTransaction, Pledge, Posting, SerialBlock
from dualcarbon.registry.models import GENESIS_HASH
from tests.factories import World
from tests.web.helpers import data_for_the_module, fast_world

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("assets_ledger")]

LEDGER_TABLES = ("assets_ledgertransaction", "assets_posting", "assets_holding", "assets_serialblock", "assets_pledge")


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with data_for_the_module(django_db_blocker):
        from django.conf import settings as dj

        yield fast_world(dj)


def _asset(code: str) -> Asset:
    return Asset.objects.get(code=code)


def _balances() -> dict[tuple[int, str, int, str], int]:
    return {
        (h.holder_id, h.asset.code, h.vintage, h.state): h.balance
        for h in Holding.objects.select_related("asset").exclude(balance=0)
    }


def _snapshot() -> list[list[tuple[Any, ...]]]:
    out = []
    with connection.cursor() as cursor:
        for table in LEDGER_TABLES:
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")
            out.append(cursor.fetchall())
    return out


@contextlib.contextmanager
def guards_off() -> Iterator[Any]:
    """Tamper as someone with rights on the schema could: the guards off inside a savepoint that is rolled back
    afterwards (the triggers and the rows come back)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in ("assets_ledgertransaction", "assets_posting"):
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # a deleted row's foreign keys are checked at commit: never
        else:
            for name in ledger.GUARDS["sqlite"]:
                cursor.execute(f"DROP TRIGGER {name}")
        yield cursor
        transaction.set_rollback(True)


# --- movements ------------------------------------------------------------------------------------------


def test_a_transfer_is_two_balanced_postings_and_moves_serials_to_the_buyer(world: World) -> None:
    ccer = _asset("CCER")
    issued = services.issue(world.users["gov"], ccer, world.cement, 2024, 100, reference="CCER-2024-001", memo="签发")
    txn = services.transfer(
        world.users["cement"], ccer, 2024, world.cement, world.steel, 10, reference="合同-7", serials=(41, 50)
    )
    lines = list(txn.postings.select_related("holding").order_by("pk"))
    assert [(p.holding.holder_id, p.holding.state, p.quantity, p.serial_first, p.serial_last) for p in lines] == [
        (world.cement.pk, "available", -10, 41, 50),
        (world.steel.pk, "available", 10, 41, 50),
    ]
    assert txn.prev_hash == issued.row_hash
    blocks = list(SerialBlock.objects.order_by("first").values_list("holding__holder__name", "first", "last"))
    assert blocks == [("示范水泥有限公司", 1, 40), ("示范钢铁股份有限公司", 41, 50), ("示范水泥有限公司", 51, 100)]
    # the government's issuance account is the negative of what it issued: the asset sums to zero
    assert _balances() == {
        (world.government.pk, "CCER", 2024, "issued"): -100,
        (world.cement.pk, "CCER", 2024, "available"): 90,
        (world.steel.pk, "CCER", 2024, "available"): 10,
    }


def test_the_first_transaction_hash_is_the_published_serialisation(world: World) -> None:
    """Known answer: the hash recomputed here from the documented serialisation (sorted compact JSON, v1)."""
    txn = services.issue(
        world.users["gov"],
        _asset("CEA"),
        world.steel,
        2023,
        250_000,
        reference="浙环函〔2024〕1号",
        memo="2023 年度配额预分配",
    )
    at = txn.at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    data = {
        "at": at,
        "kind": "issue",
        "memo": "2023 年度配额预分配",
        "prev": GENESIS_HASH,
        "reference": "浙环函〔2024〕1号",
        "user": world.users["gov"].pk,
        "v": 1,
        "postings": [
            [world.government.pk, "CEA", 2023, "issued", -250000, None, None],
            [world.steel.pk, "CEA", 2023, "available", 250000, None, None],
        ],
    }
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert txn.row_hash == hashlib.sha256(text.encode()).hexdigest()


def test_an_overdraft_is_refused_naming_the_account_and_changes_nothing(world: World) -> None:
    dr = _asset("DR-SO2")
    services.issue(world.users["gov"], dr, world.cement, 2024, 5_000, reference="确权/PW-1/SO2/2024", memo="确权")
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        services.transfer(world.users["cement"], dr, 2024, world.cement, world.steel, 5_001, reference="合同-8")
    assert exc.value.message_dict == {
        "quantity": ["余额不足：示范水泥有限公司 · 二氧化硫排污权 · 2024 · 可用 余额 5000 kg/a，需 5001 kg/a"]
    }
    assert _snapshot() == before


def test_the_database_refuses_a_negative_balance(world: World) -> None:
    services.issue(world.users["gov"], _asset("DR-NOX"), world.cement, 2024, 10, reference="R-neg", memo="确权")
    with pytest.raises(IntegrityError), transaction.atomic():
        Holding.objects.filter(holder=world.cement, state="available").update(balance=-1)


def test_double_issuance_is_refused_by_reference_and_by_serial(world: World) -> None:
    gec = _asset("GEC")
    services.issue(
        world.users["gov"],
        gec,
        world.cement,
        2024,
        500,
        reference="GEC-2024-浙-0001",
        memo="绿证核发",
        serial_first=1001,
    )
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        services.issue(world.users["gov"], gec, world.steel, 2024, 10, reference="GEC-2024-浙-0001", memo="again")
    assert exc.value.message_dict == {"reference": ["文号 GEC-2024-浙-0001 已发放过，不得重复发放"]}
    with pytest.raises(ValidationError) as exc:
        services.issue(
            world.users["gov"], gec, world.steel, 2024, 10, reference="GEC-2024-浙-0002", memo="x", serial_first=1495
        )
    assert exc.value.message_dict == {"serials": ["序列号 1495–1504 与已发行的 1001–1500 重叠：不得重复发行"]}
    assert _snapshot() == before
    # the database refuses a second issuance under one document even past the service
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerTransaction.objects.create(
            kind="issue", memo="x", reference="GEC-2024-浙-0001", prev_hash="0" * 64, row_hash="f" * 64
        )


def test_serials_not_held_cannot_move(world: World) -> None:
    gec = _asset("GEC")
    services.issue(world.users["gov"], gec, world.cement, 2024, 20, reference="GEC-b", memo="绿证核发")
    services.transfer(world.users["cement"], gec, 2024, world.cement, world.steel, 5, reference="c1", serials=(6, 10))
    with pytest.raises(ValidationError) as exc:
        services.retire(world.users["cement"], gec, 2024, world.cement, 3, memo="绿电消费声明", serials=(9, 11))
    assert exc.value.message_dict == {
        "serials": ["序列号 9–11 不全在转出账户（示范水泥有限公司 · 绿色电力证书 · 2024 · 可用）中"]
    }


def test_only_the_right_people_move_assets(world: World) -> None:
    ccer = _asset("CCER")
    with pytest.raises(PermissionDenied):
        services.issue(world.users["cement"], ccer, world.cement, 2024, 1, reference="self", memo="x")
    with pytest.raises(PermissionDenied):  # the city's government does not govern 杭州
        services.issue(world.users["gov"], ccer, world.other_city_firm, 2024, 1, reference="far", memo="x")
    with pytest.raises(PermissionDenied):  # the platform admin is no issuing authority
        services.issue(world.users["admin"], ccer, world.cement, 2024, 1, reference="adm", memo="x")
    services.issue(world.users["district"], ccer, world.cement, 2024, 10, reference="d-1", memo="签发")
    with pytest.raises(PermissionDenied):
        services.transfer(world.users["steel"], ccer, 2024, world.cement, world.steel, 1, reference="steal")
    with pytest.raises(PermissionDenied):
        services.transfer(world.users["gov"], ccer, 2024, world.cement, world.steel, 1, reference="gov")


def test_a_pledge_locks_units_until_the_bank_releases_it(world: World) -> None:
    dr = _asset("DR-COD")
    services.issue(world.users["gov"], dr, world.cement, 2024, 8_000, reference="确权/PW-2/COD/2024", memo="确权")
    pledge = services.pledge(
        world.users["cement"],
        dr,
        2024,
        world.cement,
        6_000,
        bank=world.bank,
        loan_reference="示范农商银行〔2024〕质借字第 018 号",
    )
    with pytest.raises(ValidationError):  # 2 000 kg left available
        services.transfer(world.users["cement"], dr, 2024, world.cement, world.steel, 2_001, reference="c")
    with pytest.raises(Pledge.DoesNotExist):  # another bank does not even see it
        services.release(world.users["bank2"], pledge.pk)
    with pytest.raises(PermissionDenied):  # the holder cannot release its own pledge
        services.release(world.users["cement"], pledge.pk)
    released = services.release(world.users["bank"], pledge.pk)
    assert (released.status, released.release_txn is not None) == ("released", True)
    with pytest.raises(ValidationError) as exc:
        services.release(world.users["bank"], pledge.pk)
    assert exc.value.message_dict == {"pledge": ["该质押已于此前解除"]}
    assert _balances()[(world.cement.pk, "DR-COD", 2024, "available")] == 8_000
    assert (world.cement.pk, "DR-COD", 2024, "pledged") not in _balances()


# --- the journal is append-only ----------------------------------------------------------------------


def _ledger_of_three(world: World) -> list[LedgerTransaction]:
    ccer = _asset("CCER")
    return [
        services.issue(world.users["gov"], ccer, world.cement, 2024, 60, reference="CCER-2024-X", memo="签发"),
        services.transfer(world.users["cement"], ccer, 2024, world.cement, world.steel, 25, reference="合同-9"),
        services.retire(world.users["steel"], ccer, 2024, world.steel, 5, memo="2024 年度碳中和声明"),
    ]


def test_update_and_delete_of_the_journal_are_refused(world: World) -> None:
    txns = _ledger_of_three(world)
    before = _snapshot()
    posting = Posting.objects.filter(txn=txns[1]).first()
    assert posting is not None
    for attempt in (
        lambda: LedgerTransaction.objects.filter(pk=txns[0].pk).update(memo="改"),
        lambda: connection.cursor().execute("DELETE FROM assets_ledgertransaction WHERE id = %s", [txns[2].pk]),
        lambda: Posting.objects.filter(pk=posting.pk).update(quantity=-24),
        lambda: Posting.objects.filter(pk=posting.pk).delete(),
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            attempt()
    # a line slipped into an old transaction, a transaction off the chain
    with pytest.raises(IntegrityError, match="last ledger transaction"), transaction.atomic():
        Posting.objects.create(txn=txns[0], holding=posting.holding, quantity=1)
    with pytest.raises(IntegrityError, match="extend the hash chain"), transaction.atomic():
        LedgerTransaction.objects.create(kind="transfer", memo="x", prev_hash=txns[1].row_hash, row_hash="a" * 64)
    assert _snapshot() == before


def _tamperings(world: World) -> list[tuple[str, str, str, Any]]:
    """(description, SQL, params, expected (problem, which)) for every row of a three-transaction ledger."""
    txns = _ledger_of_three(world)
    out: list[tuple[str, str, str, Any]] = []
    for i, t in enumerate(txns):
        out.append(
            (f"txn {i} memo", "UPDATE assets_ledgertransaction SET memo = 'x' WHERE id = %s", t.pk, ("hash", t.pk))
        )
        out.append(
            (
                f"txn {i} deleted",
                "DELETE FROM assets_ledgertransaction WHERE id = %s",
                t.pk,
                ("link", txns[i + 1].pk) if i + 1 < len(txns) else ("balance", None),
            )
        )
        for p in Posting.objects.filter(txn=t).order_by("pk"):
            out.append(
                (
                    f"posting {p.pk} quantity",
                    "UPDATE assets_posting SET quantity = quantity + 1 WHERE id = %s",
                    p.pk,
                    ("hash", t.pk),
                )
            )
            out.append((f"posting {p.pk} deleted", "DELETE FROM assets_posting WHERE id = %s", p.pk, ("hash", t.pk)))
    for h in Holding.objects.exclude(balance=0).order_by("pk"):
        out.append(
            (
                f"holding {h.pk} balance",
                "UPDATE assets_holding SET balance = balance - 1 WHERE id = %s",
                h.pk,
                ("balance", h.pk),
            )
        )
    return out


def test_tampering_with_any_one_row_is_found_and_named(world: World) -> None:
    cases = _tamperings(world)
    assert len(cases) == 3 * 2 + 6 * 2 + 4  # 3 transactions, 6 postings, 4 non-zero accounts
    assert ledger.verify_ledger().ok
    for what, sql, pk, (problem, where) in cases:
        with guards_off() as cursor:
            cursor.execute(sql, [pk])
            check = ledger.verify_ledger(chunk_size=2)
            found = check.broken_txn if problem in ("hash", "link") else check.broken_holding
            if where is None:  # the last transaction deleted: its accounts no longer add up
                where = found
                assert found is not None, what
            assert (check.problem, found) == (problem, where), what
    assert ledger.verify_ledger().ok


def test_verify_ledger_command_names_the_first_break_and_exits_1(world: World, capsys: Any) -> None:
    txns = _ledger_of_three(world)
    call_command("verify_ledger")
    out = capsys.readouterr().out
    assert out.startswith("资产账簿完整：已核验 3 笔业务")
    assert "CCER：已发行 60，全部在账 / CCER: 60 issued, all accounted for" in out
    with guards_off() as cursor:
        cursor.execute("UPDATE assets_posting SET quantity = -26 WHERE txn_id = %s AND quantity = -25", [txns[1].pk])
        with pytest.raises(CommandError) as exc:
            call_command("verify_ledger", "--chunk", "1")
        assert exc.value.returncode == 1
        err = capsys.readouterr().err
        assert err.startswith(f"资产账簿在第 {txns[1].pk} 笔业务处断开：业务内容（含分录）与其哈希不符")
        assert f"the asset ledger breaks at transaction {txns[1].pk}" in err
    with guards_off():
        check = ledger.verify_ledger()
        assert (check.problem, len(check.missing_guards)) == ("guard", len(ledger.GUARDS[connection.vendor]))


# --- property: random sequences conserve every asset and never overdraw --------------------------------

OPS = st.one_of(
    st.tuples(st.just("issue"), st.sampled_from(["DR-COD", "CCER"]), st.integers(0, 1), st.integers(1, 60)),
    st.tuples(st.just("transfer"), st.sampled_from(["DR-COD", "CCER"]), st.integers(0, 1), st.integers(1, 60)),
    st.tuples(st.just("pledge"), st.sampled_from(["DR-COD", "CCER"]), st.integers(0, 1), st.integers(1, 60)),
    st.tuples(st.just("release"), st.just(""), st.integers(0, 5), st.just(0)),
    st.tuples(st.just("reserve"), st.sampled_from(["DR-COD", "CCER"]), st.integers(0, 1), st.integers(1, 60)),
    st.tuples(st.just("unreserve"), st.sampled_from(["DR-COD", "CCER"]), st.integers(0, 1), st.integers(1, 60)),
    st.tuples(st.just("retire"), st.sampled_from(["DR-COD", "CCER"]), st.integers(0, 1), st.integers(1, 60)),
    # trading (docs/assets.md § Trading): list for a round, bid on the other's latest open round, settle or
    # withdraw the oldest open round
    st.tuples(st.just("list"), st.sampled_from(["DR-COD", "CCER"]), st.integers(0, 1), st.integers(1, 60)),
    st.tuples(st.just("bid"), st.just(""), st.integers(0, 1), st.integers(1, 60)),
    st.tuples(st.just("settle"), st.just(""), st.integers(0, 1), st.just(0)),
    st.tuples(st.just("cancel"), st.just(""), st.integers(0, 1), st.just(0)),
    # leasing (docs/assets.md § Leasing): a lease offered and accepted (leased out to the other holder), one only
    # offered (reserved), an offer declined, a lease returned at its term's end or terminated early by both parties
    st.tuples(st.just("lease"), st.sampled_from(["DR-COD", "CCER"]), st.integers(0, 1), st.integers(1, 60)),
    st.tuples(st.just("lease_offer"), st.sampled_from(["DR-COD", "CCER"]), st.integers(0, 1), st.integers(1, 60)),
    st.tuples(st.just("decline"), st.just(""), st.integers(0, 2), st.just(0)),
    st.tuples(st.just("lease_end"), st.just(""), st.integers(0, 2), st.just(0)),
    st.tuples(st.just("terminate"), st.just(""), st.integers(0, 2), st.just(0)),
    # one claim per reduction (docs/assets.md): retire for a purpose (the serials claimed in the register), and a
    # loan KPI claimed on the lowest available CCER serials (a later retirement of them for something else refused)
    st.tuples(st.just("retire_claim"), st.sampled_from(["DR-COD", "CCER"]), st.integers(0, 1), st.integers(1, 60)),
    st.tuples(st.just("kpi"), st.just("CCER"), st.integers(0, 1), st.integers(1, 60)),
)
CLAIM_PURPOSES = ("neutrality", "certificate", "loan_kpi")


def _kpi(holder: Any, q: int) -> None:
    """Claim a loan KPI on up to ``q`` of the holder's lowest available CCER serials (a refusal changes nothing)."""
    block = (
        SerialBlock.objects.filter(holding__holder=holder, holding__state="available", asset__code="CCER")
        .order_by("first")
        .first()
    )
    if block is None:
        return
    last = min(block.last, block.first + q - 1)
    try:
        n = last - block.first + 1
        claims_register.claim("ccer", purpose="loan_kpi", claimant=holder, reference="KPI", quantity=n,
                              serials=(block.first, last), source="finance")  # fmt: skip
    except claims_register.AlreadyClaimed:
        pass


def _listed(rounds: list[dict[str, Any]], who: int, code: str, offers: list[dict[str, Any]] | None = None) -> int:
    """What the open rounds (and the lease offers) of a holder hold reserved of an asset (the generic unreserve may
    not release it)."""
    held = [*rounds, *(offers or [])]
    return sum(r["q"] for r in held if r["seller"] == who and r["code"] == code)


def _lease_step(
    op: str,
    code: str,
    who: int,
    q: int,
    leases: dict[str, list[dict[str, Any]]],
    model: dict[tuple[int, str, str], int],
    holders: list[Any],
    staff: list[Any],
    assets: dict[str, Asset],
) -> None:
    """One leasing step, applied to the ledger and to the model: the lessor's units go available → reserved (offer)
    → leased_out (accepted) → available (term end, early termination); a declined offer returns them at once. The
    lessee's own accounts never move; its right of use is the lease (``leasing.leased_in``)."""
    today = timezone.localdate()
    if op in ("lease", "lease_offer"):
        before = _balances()
        try:
            row = leasing.offer(
                staff[who], holders[who], holders[1 - who], assets[code], 2024, q, starts_on=today,
                ends_on=today + datetime.timedelta(days=30), rent="1.00",
            )  # fmt: skip
        except ValidationError as exc:
            assert list(exc.message_dict) == ["quantity"] and model[(who, code, "available")] < q
            assert _balances() == before
            return
        assert model[(who, code, "available")] >= q
        model[(who, code, "available")] -= q
        entry = {"pk": row.pk, "seller": who, "code": code, "q": q}
        if op == "lease_offer":
            model[(who, code, "reserved")] += q
            leases["offered"].append(entry)
            return
        assert leasing.accept(staff[1 - who], row.pk).status == Lease.Status.ACTIVE
        model[(who, code, "leased_out")] += q
        leases["active"].append(entry)
        return
    pool = leases["offered" if op == "decline" else "active"]
    if who >= len(pool):
        return
    entry = pool.pop(who)
    lessor, c, n = entry["seller"], entry["code"], entry["q"]
    if op == "decline":
        assert leasing.cancel(staff[1 - lessor], entry["pk"]).status == Lease.Status.CANCELLED
        model[(lessor, c, "reserved")] -= n
    else:
        if op == "lease_end":  # the term has ended: the command's run (twice: idempotent)
            later = timezone.now() + datetime.timedelta(days=40)
            assert leasing.expire_due(Lease.objects.filter(pk=entry["pk"]), now=later) == 1
            assert leasing.expire_due(Lease.objects.filter(pk=entry["pk"]), now=later) == 0
        else:  # both parties ask
            assert leasing.terminate(staff[1 - lessor], entry["pk"]).status == Lease.Status.ACTIVE
            assert leasing.terminate(staff[lessor], entry["pk"]).status == Lease.Status.TERMINATED
        model[(lessor, c, "leased_out")] -= n
    model[(lessor, c, "available")] += n


def _trade(
    op: str,
    who: int,
    q: int,
    rounds: list[dict[str, Any]],
    model: dict[tuple[int, str, str], int],
    holders: list[Any],
    staff: list[Any],
    t0: datetime.datetime,
) -> None:
    """One trading step of the property test, applied to the ledger and to the model: a bid moves nothing; a
    settlement fills by price then time (the model's own allocation) and returns the rest; a withdrawal without bids
    releases the reservation. The generic ``unreserve`` of the same test never takes a round's reserved units."""
    if op == "bid":
        theirs = [r for r in rounds if r["seller"] != who]
        if not theirs:
            return
        r = theirs[-1]
        n, price = min(q, r["q"]), 10 + q % 7
        at = t0 + datetime.timedelta(minutes=len(r["bids"]))
        trading.bid(staff[who], r["pk"], holders[who], n, str(price), now=at)
        r["bids"].append((who, n, price))
        return
    if not rounds:
        return
    r = rounds[0]
    seller, code = r["seller"], r["code"]
    before = _balances()
    try:
        if op == "cancel":
            trading.cancel(staff[seller], r["pk"])
        else:
            trading.settle(staff[seller], r["pk"], now=t0 + datetime.timedelta(hours=2))
    except ValidationError as exc:
        assert _balances() == before
        assert op == "cancel" and r["bids"] and list(exc.message_dict) == ["listing"]
        return
    assert model[(seller, code, "reserved")] >= r["q"]
    rounds.pop(0)
    model[(seller, code, "reserved")] -= r["q"]
    left = r["q"]
    if op == "settle":
        for bidder, n, _price in sorted(r["bids"], key=lambda b: -b[2]):  # stable: ties keep their order
            take = min(n, left)
            model[(bidder, code, "available")] += take
            left -= take
    model[(seller, code, "available")] += left


def test_random_sequences_conserve_every_asset_and_never_overdraw(world: World) -> None:
    holders = [world.cement, world.steel]
    staff = [world.users["cement"], world.users["steel"]]
    assets = {code: _asset(code) for code in ("DR-COD", "CCER")}
    counter = iter(range(10**6))
    t0 = timezone.now()
    hour = datetime.timedelta(hours=1)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(ops=st.lists(OPS, min_size=1, max_size=14))
    def run(ops: list[tuple[str, str, int, int]]) -> None:
        model: dict[tuple[int, str, str], int] = defaultdict(int)  # (holder index, asset, state) → units
        pledges: list[tuple[int, int, str, int]] = []  # (pledge id, holder index, asset, quantity)
        rounds: list[dict[str, Any]] = []  # open rounds: pk, seller index, asset, quantity, bids [(bidder, q, price)]
        leases: dict[str, list[dict[str, Any]]] = {"offered": [], "active": []}  # pk, lessor index, asset, quantity
        claimed_by_retirement = 0  # CCER retired for a purpose: every serial of it claimed once, by its holder
        with transaction.atomic():
            for op, code, who, q in ops:
                if op in ("bid", "settle", "cancel"):
                    _trade(op, who, q, rounds, model, holders, staff, t0)
                    continue
                if op in ("lease", "lease_offer", "decline", "lease_end", "terminate"):
                    _lease_step(op, code, who, q, leases, model, holders, staff, assets)
                    continue
                if op == "kpi":
                    _kpi(holders[who], q)
                    continue
                src_state, dst_state, dst = {
                    "transfer": ("available", "available", 1 - who),
                    "pledge": ("available", "pledged", who),
                    "reserve": ("available", "reserved", who),
                    "list": ("available", "reserved", who),
                    "unreserve": ("reserved", "available", who),
                    "retire": ("available", "retired", who),
                    "retire_claim": ("available", "retired", who),
                }.get(op, ("", "", who))
                before = _balances()
                try:
                    if op == "issue":
                        services.issue(
                            world.users["gov"],
                            assets[code],
                            holders[who],
                            2024,
                            q,
                            reference=f"P-{next(counter)}",
                            memo="签发",
                        )
                        model[(who, code, "available")] += q
                        continue
                    if op == "release":
                        if who >= len(pledges):
                            continue
                        pid, owner, pcode, pq = pledges.pop(who)
                        services.release(world.users["bank"], pid)
                        model[(owner, pcode, "pledged")] -= pq
                        model[(owner, pcode, "available")] += pq
                        continue
                    args = (staff[who], assets[code], 2024, holders[who])
                    if op == "transfer":
                        services.transfer(staff[who], assets[code], 2024, holders[who], holders[dst], q, reference="t")
                    elif op == "pledge":
                        p = services.pledge(*args, q, bank=world.bank, loan_reference=f"L-{next(counter)}")
                        pledges.append((p.pk, who, code, q))
                    elif op == "reserve":
                        services.reserve(*args, q, memo="挂牌")
                    elif op == "unreserve":
                        services.unreserve(*args, q, memo="撤牌")
                    elif op == "list":
                        row = trading.create_listing(
                            staff[who], holders[who], assets[code], 2024, q, mode="auction", reserve_price="10",
                            opens_at=t0, closes_at=t0 + hour, now=t0,
                        )  # fmt: skip
                        rounds.append({"pk": row.pk, "seller": who, "code": code, "q": q, "bids": []})
                    elif op == "retire_claim":
                        services.retire(*args, q, memo="注销", purpose=CLAIM_PURPOSES[q % 3], reference="声明")
                        claimed_by_retirement += q if code == "CCER" else 0
                    else:
                        services.retire(*args, q, memo="注销")
                    free = model[(who, code, src_state)] - (
                        _listed(rounds, who, code, leases["offered"]) if op == "unreserve" else 0
                    )
                    assert free >= q, f"{op} of {q} allowed over {free}"
                    model[(who, code, src_state)] -= q
                    model[(dst, code, dst_state)] += q
                except ValidationError as exc:
                    if list(exc.message_dict) == ["serials"]:  # serials claimed already: refused, nothing moved
                        assert op == "retire_claim" and code == "CCER" and _balances() == before
                        continue
                    assert list(exc.message_dict) == ["quantity"]
                    free = model[(who, code, src_state)] - (
                        _listed(rounds, who, code, leases["offered"]) if op == "unreserve" else 0
                    )
                    assert free < q, f"{op} of {q} refused with {free}"
                    assert _balances() == before
            got = {
                (holders.index(next(h for h in holders if h.pk == k[0])), k[1], k[3]): v
                for k, v in _balances().items()
                if k[3] != "issued"
            }
            assert got == {k: v for k, v in model.items() if v}
            for i, holder in enumerate(holders):  # the lessee's right of use: the active leases of the other holder
                expected = defaultdict(int)
                for entry in leases["active"]:
                    if entry["seller"] != i:
                        expected[(assets[entry["code"]].pk, 2024)] += entry["q"]
                assert leasing.leased_in(holder, timezone.localdate()) == dict(expected)
            issued = {k[1]: -v for k, v in _balances().items() if k[3] == "issued"}
            for code in assets:  # conservation: everything issued is somewhere, in some state
                assert sum(v for k, v in model.items() if k[1] == code) == issued.get(code, 0)
            check = ledger.verify_ledger(chunk_size=3)
            assert check.ok, (check.problem, check.detail)
            claims = list(ReductionClaim.objects.filter(unit="ccer").order_by("serial_first"))
            assert all(a.serial_last < b.serial_first for a, b in itertools.pairwise(claims))  # one claim per serial
            assert sum(c.quantity for c in claims if c.source == "assets") == claimed_by_retirement
            for c in claims:  # a retirement's claim covers serials retired by its claimant
                if c.source == "assets":
                    assert SerialBlock.objects.filter(
                        holding__holder=c.claimant, holding__state="retired", first__lte=c.serial_first,
                        last__gte=c.serial_last,
                    ).exists()  # fmt: skip
            transaction.set_rollback(True)

    run()

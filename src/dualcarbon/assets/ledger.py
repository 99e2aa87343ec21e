"""The ledger's mechanics: one movement = one database transaction of balanced postings (docs/assets.md § Ledger).

:func:`execute` is the only writer of :class:`~dualcarbon.assets.models.LedgerTransaction`,
:class:`~dualcarbon.assets.models.Posting`, holding balances and serial blocks. In one ``transaction.atomic``:

1. on SQLite, take the database's write lock at once (SQLite serialises writers; a deferred transaction would read
   balances as a reader first);
2. create the holdings the movement needs that do not exist yet (``INSERT … ON CONFLICT DO NOTHING``: two sessions
   creating the same account do not fail);
3. lock every holding touched with ``SELECT … FOR UPDATE`` **in primary-key order** (a fixed order: two movements
   over the same holdings cannot each hold one and wait for the other — no deadlock), then the serial blocks;
4. check every outgoing quantity against the locked balance (a clear refusal naming the account; the CHECK
   constraint ``assets_holding_no_negative_balance`` is the backstop);
5. take the chain lock (PostgreSQL advisory lock, the insert trigger takes it too), read the last hash, write the
   transaction with its ``row_hash`` (:func:`txn_hash`) and its postings, and apply the balances.

:func:`verify_ledger` walks the chain and checks conservation (``dualcarbon verify_ledger``).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import GENESIS_HASH, Asset, Holding, LedgerTransaction, Posting, SerialBlock

State = Holding.State

#: pg_advisory_xact_lock key serialising appends to the journal (migration 0002's insert trigger takes it too)
LEDGER_LOCK = 7_146_230_551_902_384_117
#: the triggers migration 0002 installs, per database vendor
GUARDS = {
    "sqlite": (
        "assets_ledgertransaction_no_update",
        "assets_ledgertransaction_no_delete",
        "assets_posting_no_update",
        "assets_posting_no_delete",
        "assets_ledgertransaction_chain",
        "assets_posting_last_txn",
    ),
    "postgresql": (
        "assets_ledgertransaction_no_update",
        "assets_ledgertransaction_no_delete",
        "assets_ledgertransaction_no_truncate",
        "assets_posting_no_update",
        "assets_posting_no_delete",
        "assets_posting_no_truncate",
        "assets_ledgertransaction_chain",
        "assets_posting_last_txn",
    ),
}

#: (holder id, asset id, vintage, state): an account
Key = tuple[int, int, int, str]


@dataclass(frozen=True)
class Move:
    """``quantity`` units of ``asset`` of ``vintage`` from one account to another. ``source`` of state
    ``issued`` is an issuance (the issuer's account goes negative). For a serial-numbered asset, ``serials``
    names the range to move (default: the lowest serials of the source); for an issuance, the first serial."""

    asset: Asset
    vintage: int
    quantity: int
    source: tuple[int, str]  # (holder id, state)
    target: tuple[int, str]
    serials: tuple[int, int] | None = None

    def key(self, end: tuple[int, str]) -> Key:
        return (end[0], self.asset.pk, self.vintage, end[1])


def _refuse(field_name: str, message: Any, **params: Any) -> ValidationError:
    return ValidationError({field_name: ValidationError(message, params=params)})


def write_lock() -> None:
    """SQLite: take the write lock now (others wait, busy timeout) so balances read next stay current."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("UPDATE assets_holding SET id = id WHERE 0")


def _chain_lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LEDGER_LOCK])


def for_update(qs: QuerySet[Any]) -> QuerySet[Any]:
    """Lock the rows of ``qs`` itself (not the joined ones: PostgreSQL refuses FOR UPDATE on an outer join's
    nullable side); SQLite serialises writers instead (:func:`write_lock`)."""
    return qs.select_for_update(of=("self",)) if connection.vendor == "postgresql" else qs


def _key_q(keys: Sequence[Key]) -> Q:
    q = Q(pk__in=[])
    for holder, asset, vintage, state in keys:
        q |= Q(holder_id=holder, asset_id=asset, vintage=vintage, state=state)
    return q


def _lock_holdings(keys: Sequence[Key]) -> dict[Key, Holding]:
    """Create the missing accounts, then lock them all in primary-key order."""
    wanted = sorted(set(keys))
    Holding.objects.bulk_create(
        [Holding(holder_id=h, asset_id=a, vintage=v, state=s, balance=0) for h, a, v, s in wanted],
        ignore_conflicts=True,
    )
    rows = list(for_update(Holding.objects.select_related("asset", "holder")).filter(_key_q(wanted)).order_by("pk"))
    return {(r.holder_id, r.asset_id, r.vintage, r.state): r for r in rows}


def _describe(h: Holding) -> str:
    return f"{h.holder.name} · {h.asset.name_zh} · {h.vintage} · {h.get_state_display()}"


def _take_serials(src: Holding, quantity: int, wanted: tuple[int, int] | None) -> list[tuple[int, int]]:
    """Remove ``quantity`` serials from ``src``'s blocks (the range ``wanted``, or the lowest ones) and return the
    ranges taken. The blocks are locked first (ordered by serial)."""
    blocks = list(SerialBlock.objects.select_for_update().filter(holding=src).order_by("first"))
    if wanted is not None:
        first, last = wanted
        if last - first + 1 != quantity:
            raise _refuse(
                "serials",
                _("序列号 %(first)s–%(last)s 共 %(n)s 个，与数量 %(q)s 不符"),
                first=first,
                last=last,
                n=last - first + 1,
                q=quantity,
            )
        block = next((b for b in blocks if b.first <= first and last <= b.last), None)
        if block is None:
            raise _refuse(
                "serials",
                _("序列号 %(first)s–%(last)s 不全在转出账户（%(account)s）中"),
                first=first,
                last=last,
                account=_describe(src),
            )
        plan = [(block, first, last)]
    else:
        plan, left = [], quantity
        for b in blocks:
            if left == 0:
                break
            n = min(left, b.size)
            plan.append((b, b.first, b.first + n - 1))
            left -= n
    for block, first, last in plan:
        if first == block.first and last == block.last:
            block.delete()
        elif first == block.first:
            block.first = last + 1
            block.save(update_fields=["first"])
        elif last == block.last:
            block.last = first - 1
            block.save(update_fields=["last"])
        else:
            tail_last = block.last
            block.last = first - 1
            block.save(update_fields=["last"])
            SerialBlock.objects.create(asset_id=block.asset_id, holding=src, first=last + 1, last=tail_last)
    return [(first, last) for _b, first, last in plan]


def _give_serials(dst: Holding, ranges: list[tuple[int, int]]) -> None:
    for first, last in ranges:
        before = SerialBlock.objects.select_for_update().filter(holding=dst, last=first - 1).first()
        if before is not None:
            before.last = last
            before.save(update_fields=["last"])
        else:
            SerialBlock.objects.create(asset_id=dst.asset_id, holding=dst, first=first, last=last)


def _issue_serials(asset: Asset, quantity: int, first: int | None) -> tuple[int, int]:
    """The range a serial issuance takes (``first`` or the next free serial), refused when any of it exists."""
    Asset.objects.select_for_update().filter(pk=asset.pk).first()  # serialises issuances of this asset
    if first is None:
        top = SerialBlock.objects.filter(asset=asset).order_by("-last").values_list("last", flat=True).first()
        first = (top or 0) + 1
    last = first + quantity - 1
    clash = SerialBlock.objects.filter(asset=asset, first__lte=last, last__gte=first).order_by("first").first()
    if clash is not None:
        raise _refuse(
            "serials",
            _("序列号 %(first)s–%(last)s 与已发行的 %(a)s–%(b)s 重叠：不得重复发行"),
            first=first,
            last=last,
            a=clash.first,
            b=clash.last,
        )
    return first, last


def _utc(at: datetime.datetime) -> str:
    return at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def txn_hash(txn: dict[str, Any], postings: Sequence[dict[str, Any]], prev_hash: str) -> str:
    """SHA-256 (hex) of one transaction: its fields, its postings in order (each with the account it moves —
    holder, asset code, vintage, state — its quantity and serial range) and ``prev_hash``, as compact JSON with
    sorted keys (UTF-8). Version 1."""
    data = {
        "v": 1,
        "kind": txn["kind"],
        "memo": txn["memo"],
        "reference": txn["reference"],
        "user": txn["created_by_id"],
        "at": _utc(txn["at"]),
        "postings": [
            [
                p["holder_id"],
                p["asset_code"],
                p["vintage"],
                p["state"],
                p["quantity"],
                p["serial_first"],
                p["serial_last"],
            ]
            for p in postings
        ],
        "prev": prev_hash,
    }
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def execute(kind: str, moves: Sequence[Move], *, memo: str, reference: str = "", user: Any = None) -> LedgerTransaction:
    """Apply ``moves`` as one ledger transaction (see the module's docstring). Refuses, changing nothing, a
    quantity that is not a positive integer, an overdraft, a serial range not held or already issued."""
    for m in moves:
        if not isinstance(m.quantity, int) or isinstance(m.quantity, bool) or m.quantity <= 0:
            raise _refuse("quantity", _("数量须为正整数（%(unit)s）：%(q)s"), unit=m.asset.unit, q=m.quantity)
        if m.asset.serial_numbered and m.quantity > 10**9:
            raise _refuse("quantity", _("一次最多处理 10 亿个序列号"))
    with transaction.atomic():
        write_lock()
        accounts = _lock_holdings([k for m in moves for k in (m.key(m.source), m.key(m.target))])
        outgoing: dict[Key, int] = defaultdict(int)
        for m in moves:
            outgoing[m.key(m.source)] += m.quantity
        for key, q in outgoing.items():
            h = accounts[key]
            if h.state != State.ISSUED and h.balance < q:
                raise _refuse(
                    "quantity",
                    _("余额不足：%(account)s 余额 %(balance)s %(unit)s，需 %(q)s %(unit)s"),
                    account=_describe(h),
                    balance=h.balance,
                    unit=h.asset.unit,
                    q=q,
                )
        lines: list[tuple[Holding, int, int | None, int | None]] = []
        for m in moves:
            src, dst = accounts[m.key(m.source)], accounts[m.key(m.target)]
            if not m.asset.serial_numbered:
                lines += [(src, -m.quantity, None, None), (dst, m.quantity, None, None)]
                continue
            if src.state == State.ISSUED:
                ranges = [_issue_serials(m.asset, m.quantity, m.serials[0] if m.serials else None)]
            else:
                ranges = _take_serials(src, m.quantity, m.serials)
            _give_serials(dst, ranges)
            for first, last in ranges:
                n = last - first + 1
                lines += [(src, -n, first, last), (dst, n, first, last)]
        _chain_lock()
        prev = LedgerTransaction.objects.order_by("-pk").values_list("row_hash", flat=True).first() or GENESIS_HASH
        txn = LedgerTransaction(
            kind=kind,
            memo=memo[:300],
            reference=reference[:100],
            created_by=user if user else None,
            at=timezone.now(),
            prev_hash=prev,
        )
        txn.row_hash = txn_hash(
            {
                "kind": txn.kind,
                "memo": txn.memo,
                "reference": txn.reference,
                "created_by_id": txn.created_by_id,
                "at": txn.at,
            },
            [
                {
                    "holder_id": h.holder_id,
                    "asset_code": h.asset.code,
                    "vintage": h.vintage,
                    "state": h.state,
                    "quantity": q,
                    "serial_first": f,
                    "serial_last": la,
                }
                for h, q, f, la in lines
            ],
            prev,
        )
        txn.save(force_insert=True)
        Posting.objects.bulk_create(
            [Posting(txn=txn, holding=h, quantity=q, serial_first=f, serial_last=la) for h, q, f, la in lines]
        )
        delta: dict[int, int] = defaultdict(int)
        for h, q, _f, _l in lines:
            delta[h.pk] += q
        for pk in sorted(delta):
            if delta[pk]:
                Holding.objects.filter(pk=pk).update(balance=F("balance") + delta[pk])
    return txn


# --------------------------------------------------------------------------- verification

#: what can be wrong with the ledger (LedgerCheck.problem)
PROBLEMS: dict[str, Promise] = {
    "link": _("与前一笔业务的链接断开：此前有业务被删除、插入或改动"),
    "hash": _("业务内容（含分录）与其哈希不符：此笔业务或其分录被改动、删除或增加"),
    "unbalanced": _("业务的分录借贷不平衡（某资产分录合计不为零）"),
    "balance": _("账户余额与其分录合计不符：余额被改动，或末尾的业务被删除"),
    "negative": _("账户余额为负"),
    "serials": _("序列号区块与账户余额不符，或序列号区块重叠"),
    "guard": _("防篡改触发器缺失或已停用"),
}


@dataclass(frozen=True)
class LedgerCheck:
    """The result of :func:`verify_ledger`: ``problem`` is empty when the ledger is intact."""

    checked: int  # transactions checked (up to and including the broken one)
    last_hash: str
    broken_txn: int | None = None
    broken_holding: int | None = None
    problem: str = ""
    detail: str = ""
    missing_guards: tuple[str, ...] = ()
    #: per asset code: units issued (outstanding = issued; retired units are still counted, in retired accounts)
    issued: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def message(self) -> Promise:
        return PROBLEMS[self.problem] if self.problem else _("完整")


def missing_guards() -> tuple[str, ...]:
    expected = GUARDS.get(connection.vendor, ())
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name IN ('assets_ledgertransaction', 'assets_posting')"
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid IN "
                "(to_regclass('assets_ledgertransaction'), to_regclass('assets_posting')) "
                "AND NOT tgisinternal AND tgenabled <> 'D'"
            )
        else:
            return expected
        present = {name for (name,) in cursor.fetchall()}
    return tuple(name for name in expected if name not in present)


POSTING_FIELDS = (
    "txn_id",
    "holding_id",
    "holding__holder_id",
    "holding__asset__code",
    "holding__vintage",
    "holding__state",
    "quantity",
    "serial_first",
    "serial_last",
)
TXN_FIELDS = ("pk", "kind", "memo", "reference", "created_by_id", "at", "prev_hash", "row_hash")


def _walk(chunk_size: int) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Every transaction in primary-key order with its postings, ``chunk_size`` transactions per query pair."""
    after = 0
    while True:
        txns = list(LedgerTransaction.objects.filter(pk__gt=after).order_by("pk").values(*TXN_FIELDS)[:chunk_size])
        if not txns:
            return
        lines: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for p in (
            Posting.objects.filter(txn_id__gte=txns[0]["pk"], txn_id__lte=txns[-1]["pk"])
            .order_by("txn_id", "pk")
            .values(*POSTING_FIELDS)
        ):
            lines[p["txn_id"]].append(
                {
                    "holding_id": p["holding_id"],
                    "holder_id": p["holding__holder_id"],
                    "asset_code": p["holding__asset__code"],
                    "vintage": p["holding__vintage"],
                    "state": p["holding__state"],
                    "quantity": p["quantity"],
                    "serial_first": p["serial_first"],
                    "serial_last": p["serial_last"],
                }
            )
        for t in txns:
            yield t, lines.get(t["pk"], [])
        if len(txns) < chunk_size:
            return
        after = txns[-1]["pk"]


def verify_ledger(chunk_size: int = 2000) -> LedgerCheck:
    """Walk the journal in order and name the first transaction whose link, hash or balance fails; then check
    conservation: every account's balance equals the sum of its postings, none is negative (but the issuers'),
    serial blocks match the balances and never overlap; then that the guards are installed."""
    checked, prev = 0, GENESIS_HASH
    posted: dict[int, int] = defaultdict(int)  # per account, the sum of the postings of the chained transactions
    for txn, postings in _walk(chunk_size):
        checked += 1
        if txn["prev_hash"] != prev:
            return LedgerCheck(checked, prev, txn["pk"], problem="link")
        if txn_hash(txn, postings, prev) != txn["row_hash"]:
            return LedgerCheck(checked, prev, txn["pk"], problem="hash")
        sums: dict[str, int] = defaultdict(int)
        for p in postings:
            sums[p["asset_code"]] += p["quantity"]
            posted[p["holding_id"]] += p["quantity"]
        unbalanced = sorted(code for code, total in sums.items() if total)
        if unbalanced or not postings:
            return LedgerCheck(checked, prev, txn["pk"], problem="unbalanced", detail=", ".join(unbalanced))
        prev = txn["row_hash"]
    issued: dict[str, int] = defaultdict(int)
    for h in Holding.objects.select_related("asset").order_by("pk"):
        if posted.get(h.pk, 0) != h.balance:
            detail = f"{h.asset.code} {h.vintage} {h.state}: {h.balance} ≠ {posted.get(h.pk, 0)}"
            return LedgerCheck(checked, prev, broken_holding=h.pk, problem="balance", detail=detail)
        if (h.state != State.ISSUED and h.balance < 0) or (h.state == State.ISSUED and h.balance > 0):
            return LedgerCheck(checked, prev, broken_holding=h.pk, problem="negative", detail=str(h.balance))
        if h.state == State.ISSUED:
            issued[h.asset.code] -= h.balance
    blocks: dict[int, int] = defaultdict(int)
    last_by_asset: dict[int, int] = {}
    for b in SerialBlock.objects.order_by("asset_id", "first").values("asset_id", "holding_id", "first", "last"):
        if b["last"] < b["first"] or b["first"] <= last_by_asset.get(b["asset_id"], 0):
            return LedgerCheck(
                checked, prev, broken_holding=b["holding_id"], problem="serials", detail=f"{b['first']}–{b['last']}"
            )
        last_by_asset[b["asset_id"]] = b["last"]
        blocks[b["holding_id"]] += b["last"] - b["first"] + 1
    for h in Holding.objects.filter(asset__serial_numbered=True).exclude(state=State.ISSUED).order_by("pk"):
        if blocks.get(h.pk, 0) != h.balance:
            return LedgerCheck(
                checked, prev, broken_holding=h.pk, problem="serials", detail=f"{blocks.get(h.pk, 0)} ≠ {h.balance}"
            )
    missing = missing_guards()
    if missing:
        return LedgerCheck(checked, prev, problem="guard", missing_guards=missing, issued=dict(issued))
    return LedgerCheck(checked, prev, issued=dict(issued))

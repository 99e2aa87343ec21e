"""Leasing of rights for a term (租赁, docs/assets.md § Leasing): the only writer of leases.

The lease's states (docs/state-machines.md § Lease):

* :func:`offer` — the lessor's staff offer ``quantity`` units of an available holding to a named enterprise of the
  same city for a term (``starts_on`` … ``ends_on``, inclusive) and a rent (yuan, to the fen): the units move to the
  lessor's ``reserved`` account at once (``offered``), so they can be neither sold, pledged nor let twice;
* :func:`accept` — the lessee's staff accept: the lease needs the government's approval where the lessor's region's
  :class:`~dualcarbon.assets.models.TradingRule` requires it for listings (``pending``, :func:`decide`), else it is
  ``active`` at once: the units move from ``reserved`` to the lessor's ``leased_out`` account (a ``lease``
  transaction) and the lessee may use them within the term (:func:`leased_in`);
* :func:`cancel` — before it is active, the lessor withdraws or the lessee declines it: the reservation is released;
* :func:`terminate` — an active lease ends early when both parties ask: the first asks, the other confirms;
* :func:`expire_due` — after ``ends_on`` the units return to the lessor's available account (``returned``, a
  ``lease_return`` transaction): ``dualcarbon expire_leases`` runs it, and every read of leases runs it first for the
  leases it reads, so a lease past its term is never shown as active. Idempotent: a returned lease is not returned
  twice (the row is locked and its state checked).

The lessee's right of use is the lease, not a ledger balance of its own: leased units stay the lessor's (double
entry: ``available`` → ``reserved`` → ``leased_out`` → ``available`` inside the lessor's accounts), so the lessee
can neither sell, pledge nor sub-let them, and ``verify_ledger`` conserves every asset as before.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dualcarbon.registry.models import Organisation

from . import ledger, revenue, scoping, services, trading
from .ledger import Move
from .models import Asset, Holding, Lease, LedgerTransaction

State = Holding.State
Kind = LedgerTransaction.Kind
Status = Lease.Status
#: the longest term (years): a confirmed right is re-verified every five years
MAX_TERM_YEARS = services.REVERIFY_YEARS
LIVE = (Status.OFFERED, Status.PENDING)


def _refuse(field_name: str, message: Any, **params: Any) -> ValidationError:
    return ValidationError({field_name: ValidationError(message, params=params)})


def _locked(lease_id: int, qs: QuerySet[Lease]) -> Lease:
    ledger.write_lock()
    row = (
        ledger.for_update(qs.select_related("lessor__region", "lessee__region", "asset"))
        .filter(pk=lease_id)
        .first()
    )
    if row is None:
        raise Lease.DoesNotExist
    return row


def _move(row: Lease, kind: str, source: str, target: str, memo: str, user: Any) -> LedgerTransaction:
    move = Move(row.asset, row.vintage, row.quantity, (row.lessor_id, source), (row.lessor_id, target))
    return ledger.execute(kind, [move], memo=memo, reference=f"租赁/{row.pk}", user=user)


def offer(
    user: Any,
    lessor: Organisation,
    lessee: Organisation,
    asset: Asset,
    vintage: Any,
    quantity: int,
    *,
    starts_on: datetime.date,
    ends_on: datetime.date,
    rent: Any,
    now: datetime.datetime | None = None,
) -> Lease:
    """The lessor's staff offer a lease (see the module's docstring); the units are reserved at once."""
    if not scoping.can_hold(user, lessor):
        raise PermissionDenied(_("只有出租企业本身的人员可以出租其资产"))
    services._enterprise(lessee, "lessee")
    if lessee.pk == lessor.pk:
        raise _refuse("lessee", _("承租方与出租方不能相同"))
    market = trading.market_of(lessor)
    if not market or trading.market_of(lessee) != market:
        raise _refuse("lessee", _("承租企业须在同一交易市场（%(m)s）"), m=market)
    v = services._vintage(vintage)
    now = now or timezone.now()
    if ends_on < starts_on:
        raise _refuse("ends_on", _("租期结束日不能早于开始日"))
    if ends_on < timezone.localdate(now):
        raise _refuse("ends_on", _("租期结束日不能早于今天"))
    if ends_on >= services.add_years(starts_on, MAX_TERM_YEARS):
        raise _refuse("ends_on", _("租期最长 %(n)s 年"), n=MAX_TERM_YEARS)
    amount = revenue.parse_amount(rent, "rent")
    with transaction.atomic():
        move = Move(asset, v, quantity, (lessor.pk, State.AVAILABLE), (lessor.pk, State.RESERVED))
        txn = ledger.execute(Kind.RESERVE, [move], memo=f"出租冻结（承租方：{lessee.name}）", user=user)
        return Lease.objects.create(
            lessor=lessor,
            lessee=lessee,
            asset=asset,
            vintage=v,
            quantity=quantity,
            starts_on=starts_on,
            ends_on=ends_on,
            rent=amount,
            reserve_txn=txn,
            created_by=user,
            created_at=now,
        )


def _activate(row: Lease, user: Any) -> None:
    row.status = Status.ACTIVE
    row.lease_txn = _move(
        row, Kind.LEASE, State.RESERVED, State.LEASED_OUT,
        f"出租予{row.lessee.name}（{row.starts_on.isoformat()} 至 {row.ends_on.isoformat()}）", user,
    )  # fmt: skip


def accept(user: Any, lease_id: int, now: datetime.datetime | None = None) -> Lease:
    """The lessee's staff accept an offered lease: pending the government's approval where the rule requires it,
    else active at once."""
    with transaction.atomic():
        row = _locked(lease_id, scoping.leases(user))
        if not scoping.can_hold(user, row.lessee):
            raise PermissionDenied(_("只有承租企业本身的人员可以确认承租"))
        if row.status != Status.OFFERED:
            raise _refuse("lease", _("该租赁不在待确认状态（%(s)s）"), s=row.get_status_display())
        if row.ends_on < timezone.localdate(now or timezone.now()):
            raise _refuse("lease", _("租期已过，不能再确认"))
        rule = trading.rule_for(row.lessor, timezone.localdate(now or timezone.now()))
        row.approval_required = bool(rule and rule.approval_required)
        if row.approval_required:
            row.status = Status.PENDING
        else:
            _activate(row, user)
        row.save()
        return row


def decide(
    user: Any, lease_id: int, *, approve: bool, note: str = "", now: datetime.datetime | None = None
) -> Lease:
    """The government of the lessor's region approves a pending lease (it becomes active) or refuses it with a
    reason (the reservation is released)."""
    with transaction.atomic():
        row = _locked(lease_id, scoping.leases(user))
        if not scoping.can_govern(user, row.lessor):
            raise PermissionDenied(_("只有出租企业所在地区的政府工作人员可以审核租赁"))
        if row.status != Status.PENDING:
            raise _refuse("lease", _("该租赁不在待审核状态（%(s)s）"), s=row.get_status_display())
        if not approve and not (note or "").strip():
            raise _refuse("note", _("不予批准须说明理由"))
        row.decided_by, row.decided_at, row.decision_note = user, now or timezone.now(), (note or "").strip()[:300]
        if approve:
            _activate(row, user)
        else:
            row.status = Status.REJECTED
            row.close_txn = _move(row, Kind.UNRESERVE, State.RESERVED, State.AVAILABLE, "租赁未获批准，解除冻结", user)
            row.closed_at = row.decided_at
        row.save()
        return row


def cancel(user: Any, lease_id: int, now: datetime.datetime | None = None) -> Lease:
    """Before a lease is active the lessor withdraws it or the lessee declines it: the reservation is released."""
    with transaction.atomic():
        row = _locked(lease_id, scoping.leases(user))
        if not (scoping.can_hold(user, row.lessor) or scoping.can_hold(user, row.lessee)):
            raise PermissionDenied(_("只有租赁双方的人员可以撤回或谢绝"))
        if row.status not in LIVE:
            raise _refuse("lease", _("该租赁已生效或已结束（%(s)s），不能撤回"), s=row.get_status_display())
        row.status = Status.CANCELLED
        row.closed_at = now or timezone.now()
        row.close_txn = _move(row, Kind.UNRESERVE, State.RESERVED, State.AVAILABLE, "租赁撤回或谢绝，解除冻结", user)
        row.save()
        return row


def _return(row: Lease, user: Any, status: str, memo: str, now: datetime.datetime) -> None:
    row.status = status
    row.closed_at = now
    row.close_txn = _move(row, Kind.LEASE_RETURN, State.LEASED_OUT, State.AVAILABLE, memo, user)
    row.save()


def terminate(user: Any, lease_id: int, now: datetime.datetime | None = None) -> Lease:
    """Early termination of an active lease by both parties: the first party's staff ask, the other party's staff
    confirm; the units return to the lessor at once."""
    with transaction.atomic():
        row = _locked(lease_id, scoping.leases(user))
        if scoping.can_hold(user, row.lessor):
            party = row.lessor
        elif scoping.can_hold(user, row.lessee):
            party = row.lessee
        else:
            raise PermissionDenied(_("只有租赁双方的人员可以提前终止租赁"))
        if row.status != Status.ACTIVE:
            raise _refuse("lease", _("只有租赁中的租赁可以提前终止（%(s)s）"), s=row.get_status_display())
        if row.termination_requested_by_id is None:
            row.termination_requested_by = party
            row.save(update_fields=["termination_requested_by"])
            return row
        if row.termination_requested_by_id == party.pk:
            raise _refuse("lease", _("已提出提前终止，待对方确认"))
        _return(row, user, Status.TERMINATED, "双方同意提前终止租赁，归还出租方", now or timezone.now())
        return row


def expire_due(leases: QuerySet[Lease] | None = None, now: datetime.datetime | None = None) -> int:
    """Return the rights of every active lease (of ``leases``, default all) whose term has ended: each in its own
    transaction, the row locked and its state checked again (idempotent; two runs at once return a lease once)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    qs = leases if leases is not None else Lease.objects.all()
    due = list(qs.filter(status=Status.ACTIVE, ends_on__lt=today).order_by("pk").values_list("pk", flat=True))
    done = 0
    for pk in due:
        with transaction.atomic():
            row = _locked(pk, Lease.objects.all())
            if row.status != Status.ACTIVE or row.ends_on >= today:
                continue
            _return(row, None, Status.RETURNED, f"租期届满（{row.ends_on.isoformat()}），归还出租方", now)
            done += 1
    return done


def leased_in(enterprise: Organisation, day: datetime.date) -> dict[tuple[int, int], int]:
    """The rights ``enterprise`` may use on ``day`` as a lessee: (asset id, vintage) → units, from its active leases
    whose term covers the day."""
    expire_due(Lease.objects.filter(lessee=enterprise))
    out: dict[tuple[int, int], int] = defaultdict(int)
    for asset_id, vintage, quantity in Lease.objects.filter(
        lessee=enterprise, status=Status.ACTIVE, starts_on__lte=day, ends_on__gte=day
    ).values_list("asset_id", "vintage", "quantity"):
        out[(asset_id, vintage)] += quantity
    return dict(out)

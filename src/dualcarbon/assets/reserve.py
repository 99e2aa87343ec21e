"""The government's reserve (储备) and buy-back (回购), docs/assets.md § Reserve: the only writer of buy-backs and
direct allocations.

The reserve of a region is the ledger accounts of its government body (holder: the body, state ``available``);
nothing else holds there. Units enter it by :func:`accept_buy_back` and leave it by a sale through an ordinary
listing of the body (``trading.create_listing`` with the body as seller: a timed bidding round of the city) or by
a direct allocation at the fee standard (:func:`allocate`). Money: a buy-back is owed to the enterprise until the
government pays it from the region's revenue account (:func:`pay_buy_back`: a revenue use of the category
"buy-back"); a reserve sale or allocation is booked to that account as income (``revenue``).
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dualcarbon.registry.models import Organisation

from . import ledger, revenue, scoping, services, trading
from .ledger import Move
from .models import Asset, BuyBack, Holding, LedgerTransaction, ReserveAllocation, RevenueUse

State = Holding.State
Kind = LedgerTransaction.Kind
Status = BuyBack.Status


def _refuse(field_name: str, message: Any, **params: Any) -> ValidationError:
    return ValidationError({field_name: ValidationError(message, params=params)})


def buy_back_derivation(b: BuyBack) -> str:
    return trading.trade_derivation(b.asset, b.quantity, b.price, b.amount)


def offer_buy_back(
    user: Any,
    enterprise: Organisation,
    asset: Asset,
    vintage: Any,
    quantity: int,
    price: Any,
    *,
    agreement: str,
    now: datetime.datetime | None = None,
) -> BuyBack:
    """The government of the enterprise's region offers to buy ``quantity`` units back into its reserve at ``price``
    (yuan per tonne) under a numbered agreement; nothing moves until the enterprise accepts."""
    services._enterprise(enterprise, "enterprise")
    body = services.government_of(user, enterprise)
    value = trading.parse_price(price, "price")
    agreement = (agreement or "").strip()
    if not agreement:
        raise _refuse("agreement", _("请填写回购协议编号"))
    if BuyBack.objects.filter(agreement=agreement).exists():
        raise _refuse("agreement", _("回购协议 %(ref)s 已登记"), ref=agreement)
    if not isinstance(quantity, int) or quantity <= 0:
        raise _refuse("quantity", _("数量须为正整数（%(unit)s）：%(q)s"), unit=asset.unit, q=quantity)
    amount = trading.amount_of(asset, quantity, value)
    row = BuyBack(
        government=body,
        enterprise=enterprise,
        asset=asset,
        vintage=services._vintage(vintage),
        quantity=quantity,
        price=value,
        amount=amount,
        agreement=agreement[:100],
        offered_by=user,
        offered_at=now or timezone.now(),
    )
    row.derivation = services._zh(buy_back_derivation, row)
    row.save()
    return row


def _locked(buy_back_id: int, user: Any) -> BuyBack:
    ledger.write_lock()
    row = (
        ledger.for_update(scoping.buy_backs(user).select_related("government__region", "enterprise__region", "asset"))
        .filter(pk=buy_back_id)
        .first()
    )
    if row is None:
        raise BuyBack.DoesNotExist
    return row


def decide_buy_back(user: Any, buy_back_id: int, *, accept: bool, now: datetime.datetime | None = None) -> BuyBack:
    """The enterprise's staff accept the offer (its units move into the reserve, the amount is owed to it) or
    decline it."""
    with transaction.atomic():
        row = _locked(buy_back_id, user)
        if not scoping.can_hold(user, row.enterprise):
            raise PermissionDenied(_("只有被回购企业本身的人员可以确认回购"))
        if row.status != Status.OFFERED:
            raise _refuse("buy_back", _("该回购不在待确认状态（%(s)s）"), s=row.get_status_display())
        row.decided_at = now or timezone.now()
        if accept:
            move = Move(
                row.asset, row.vintage, row.quantity, (row.enterprise_id, State.AVAILABLE),
                (row.government_id, State.AVAILABLE),
            )  # fmt: skip
            memo = f"政府回购入储备（{row.government.name}）"
            row.txn = ledger.execute(Kind.BUY_BACK, [move], memo=memo, reference=f"回购/{row.agreement}", user=user)
            row.status = Status.OWED
        else:
            row.status = Status.DECLINED
        row.save()
        return row


def pay_buy_back(
    user: Any, buy_back_id: int, *, paid_on: datetime.date, approval_reference: str, evidence: str
) -> RevenueUse:
    """The government pays an accepted buy-back from its region's revenue account (a use of the category
    "buy-back"; refused above the balance)."""
    with transaction.atomic():
        row = _locked(buy_back_id, user)
        if not scoping.can_govern(user, row.government):
            raise PermissionDenied(_("只有回购方政府的工作人员可以登记付款"))
        if row.status != Status.OWED:
            raise _refuse("buy_back", _("该回购不在待付款状态（%(s)s）"), s=row.get_status_display())
        assert row.government.region is not None
        use = revenue.record_use(
            user,
            row.government.region,
            RevenueUse.Category.BUY_BACK,
            row.amount,
            purpose=f"回购 {row.enterprise.name} 排污权（协议 {row.agreement}）",
            approval_reference=approval_reference,
            evidence=evidence,
            used_on=paid_on,
            buy_back=row,
        )
        row.status = Status.PAID
        row.save(update_fields=["status"])
        return use


def allocate(
    user: Any,
    enterprise: Organisation,
    asset: Asset,
    vintage: Any,
    quantity: int,
    *,
    years: Any,
    reference: str,
    allocated_on: datetime.date,
) -> ReserveAllocation:
    """A direct allocation from the reserve of the enterprise's government (the user's body) at the fee standard in
    force on ``allocated_on``: tonnes × standard × years, to the fen, half up; booked to the revenue account."""
    services._enterprise(enterprise, "enterprise")
    body = services.government_of(user, enterprise)
    if asset.factor is None:
        raise _refuse("asset", _("按收费标准直接出让的只能是排污权"))
    try:
        n_years = int(str(years).strip())
    except ValueError:
        raise _refuse("years", _("计费年限须为 1 至 %(n)s 年"), n=services.REVERIFY_YEARS) from None
    if not 1 <= n_years <= services.REVERIFY_YEARS:
        raise _refuse("years", _("计费年限须为 1 至 %(n)s 年"), n=services.REVERIFY_YEARS)
    reference = (reference or "").strip()
    if not reference:
        raise _refuse("reference", _("请填写出让文号"))
    if ReserveAllocation.objects.filter(reference=reference).exists():
        raise _refuse("reference", _("出让文号 %(ref)s 已登记"), ref=reference)
    region_code = enterprise.region.code if enterprise.region else ""
    standard = services.fee_standard_for(region_code, asset.factor, allocated_on)
    if standard is None:
        day = allocated_on.isoformat()
        raise _refuse("asset", _("%(day)s 没有适用于本地区 %(f)s 的收费标准"), day=day, f=asset.factor.name_zh)
    if not isinstance(quantity, int) or quantity <= 0:
        raise _refuse("quantity", _("数量须为正整数（%(unit)s）：%(q)s"), unit=asset.unit, q=quantity)
    amount = (Decimal(quantity) / services.KG_PER_TONNE * standard.yuan_per_tonne_year * n_years).quantize(
        services.CENT, rounding=ROUND_HALF_UP
    )
    v = services._vintage(vintage)
    with transaction.atomic():
        move = Move(asset, v, quantity, (body.pk, State.AVAILABLE), (enterprise.pk, State.AVAILABLE))
        txn = ledger.execute(
            Kind.ALLOCATE, [move], memo=f"储备直接出让予{enterprise.name}", reference=f"储备出让/{reference}", user=user
        )
        row = ReserveAllocation(
            government=body,
            enterprise=enterprise,
            asset=asset,
            vintage=v,
            quantity=quantity,
            standard=standard,
            years=n_years,
            amount=amount,
            reference=reference[:100],
            allocated_on=allocated_on,
            txn=txn,
            user=user,
        )
        row.derivation = services._zh(revenue.allocation_text, row)
        row.save()
        revenue.book_allocation(row)
        return row

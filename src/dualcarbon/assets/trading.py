"""Trading of discharge rights and carbon assets (交易, docs/assets.md § Trading): the only writer of listings, bids
and trades.

* :func:`create_listing` — the seller's staff list a quantity of an available holding, for a timed bidding round
  (reserve price, opening and closing times) or a bilateral transfer (a named buyer, an agreed price). The quantity
  moves to the seller's ``reserved`` account through the ledger at once, so it cannot be sold, pledged or listed
  twice. Where the region's :class:`~dualcarbon.assets.models.TradingRule` asks for it, the listing waits for the
  government's approval (:func:`decide`).
* :func:`bid` — an enterprise of the seller's city bids a quantity at a price (not below the reserve, only while the
  round is open).
* :func:`settle` — after the close, the seller or its government settles: the highest bids win in price order, ties
  by the earlier bid, the last one partly; **one database transaction** holds one ledger transaction (every buyer's
  rights and the unsold rest back to the seller's available account) and a :class:`Trade` per buyer with its amount
  (quantity × price, to the fen, half up) and derivation. :func:`accept` settles a bilateral transfer.
* :func:`cancel` — the seller withdraws a listing without bids: the reservation is released.

Every write locks the listing row first (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's write lock), then moves
units only through :func:`dualcarbon.assets.ledger.execute` (holdings locked in a fixed order): two settlements,
a settlement and a bid, or a cancel and a settlement at once are serialised, and the second sees the first's result.

``now`` (each function's last parameter) is the clock the checks and stored times use: the demo's season of
trading passes its dates; pages and the API pass none (the current time). The journal's own times are always the
time of booking.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dualcarbon.registry import effective
from dualcarbon.registry.models import Organisation

from . import ledger, revenue, scoping, services
from .ledger import Move
from .models import Asset, Bid, Holding, LedgerTransaction, Listing, Trade, TradingRule

State = Holding.State
Kind = LedgerTransaction.Kind
Status = Listing.Status
Mode = Listing.Mode
CENT = Decimal("0.01")
#: the longest bidding round (days)
MAX_ROUND_DAYS = 90


def _refuse(field_name: str, message: Any, **params: Any) -> ValidationError:
    return ValidationError({field_name: ValidationError(message, params=params)})


def keeps_reserve(user: Any, seller: Organisation) -> bool:
    """The seller is a government body whose reserve the user keeps (government staff whose jurisdiction covers the
    body's region: docs/assets.md § Reserve)."""
    return seller.kind == Organisation.Kind.GOVERNMENT and scoping.can_govern(user, seller)


def market_of(org: Organisation) -> str:
    """The market an enterprise trades in: its city (the first four digits of its region code)."""
    return org.region.code[:4] if org.region is not None else ""


def per_price_unit(asset: Asset) -> int:
    """Ledger units per unit a price is quoted in: a tonne of a discharge right is 1000 kg; others 1."""
    return services.KG_PER_TONNE if asset.kind == Asset.Kind.DISCHARGE_RIGHT else 1


def price_unit(asset: Asset) -> str:
    return "t" if asset.kind == Asset.Kind.DISCHARGE_RIGHT else asset.unit


def amount_of(asset: Asset, quantity: int, price: Decimal) -> Decimal:
    """quantity (ledger units) × price (yuan per tonne), to the fen, half up, once."""
    return (Decimal(quantity) / per_price_unit(asset) * price).quantize(CENT, rounding=ROUND_HALF_UP)


def trade_derivation(asset: Asset, quantity: int, price: Decimal, amount: Decimal) -> str:
    """How a trade's amount was made, in the active language (the trade stores the Chinese text)."""
    if asset.kind == Asset.Kind.DISCHARGE_RIGHT:
        return str(
            _("%(q)s 吨 × %(price)s 元/吨 = %(amount)s 元")
            % {"q": services.kg_to_tonnes(quantity), "price": price, "amount": amount}
        )
    return str(
        _("%(q)s %(unit)s × %(price)s 元/%(unit)s = %(amount)s 元")
        % {"q": quantity, "unit": asset.unit, "price": price, "amount": amount}
    )


def parse_price(value: Any, field_name: str = "price") -> Decimal:
    """A price in yuan per tonne typed by a person: greater than zero, at most two decimals."""
    try:
        price = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _refuse(field_name, _("“%(v)s”不是金额（元/吨，最多两位小数）"), v=value) from None
    if not price.is_finite() or price <= 0 or price != price.quantize(CENT) or price >= Decimal("1e10"):
        raise _refuse(field_name, _("价格须为大于零、最多两位小数的金额（元/吨）：%(v)s"), v=value)
    return price.quantize(CENT)


def rule_for(seller: Organisation, day: datetime.date) -> TradingRule | None:
    """The trading rule in force on ``day`` in the most specific region containing the seller."""
    rows = TradingRule.objects.select_related("region")
    code = seller.region.code if seller.region is not None else ""
    return effective.resolve(rows, day, region_code=code, prefix_of=lambda r: r.region.prefix)


def publish_rule(region: Any, *, approval_required: bool, valid_from: datetime.date, document: str) -> TradingRule:
    """A new version of a region's trading rule (the open version ends the day before)."""
    if not (document or "").strip():
        raise _refuse("document", _("请注明交易规则的依据文件"))
    return effective.supersede(
        TradingRule, valid_from, region=region, approval_required=approval_required, document=document.strip()
    )


def _locked(listing_id: int, qs: Any) -> Listing:
    """The listing row, locked (the ledger's write lock first on SQLite)."""
    ledger.write_lock()
    row = ledger.for_update(qs.select_related("seller__region", "asset", "buyer")).filter(pk=listing_id).first()
    if row is None:
        raise Listing.DoesNotExist
    return row


def _release(row: Listing, user: Any, memo: str) -> LedgerTransaction:
    move = Move(row.asset, row.vintage, row.quantity, (row.seller_id, State.RESERVED), (row.seller_id, State.AVAILABLE))
    return ledger.execute(Kind.UNRESERVE, [move], memo=memo, reference=f"挂牌/{row.pk}", user=user)


# --------------------------------------------------------------------------- listing


def create_listing(
    user: Any,
    seller: Organisation,
    asset: Asset,
    vintage: Any,
    quantity: int,
    *,
    mode: str,
    reserve_price: Any = None,
    opens_at: datetime.datetime | None = None,
    closes_at: datetime.datetime | None = None,
    buyer: Organisation | None = None,
    price: Any = None,
    now: datetime.datetime | None = None,
) -> Listing:
    """The seller's staff list ``quantity`` units of an available holding (see the module's docstring)."""
    if not (scoping.can_hold(user, seller) or keeps_reserve(user, seller)):
        raise PermissionDenied(_("只有持有企业本身的人员可以挂牌出售其资产"))
    if mode not in Mode.values:
        raise _refuse("mode", _("交易方式须为竞价交易或协议转让"))
    market = market_of(seller)
    if not market:
        raise _refuse("seller", _("企业未登记所在地区，不能挂牌"))
    vintage = services._vintage(vintage)
    now = now or timezone.now()
    # a time without a zone (the API's JSON may send one) is the platform's local time
    opens_at = timezone.make_aware(opens_at) if opens_at is not None and timezone.is_naive(opens_at) else opens_at
    closes_at = timezone.make_aware(closes_at) if closes_at is not None and timezone.is_naive(closes_at) else closes_at
    terms: dict[str, Any] = {}
    if mode == Mode.AUCTION:
        terms["reserve_price"] = parse_price(reserve_price if reserve_price is not None else "", "reserve_price")
        if opens_at is None:
            raise _refuse("opens_at", _("请填写竞价开始时间"))
        if closes_at is None:
            raise _refuse("closes_at", _("请填写竞价截止时间"))
        if closes_at <= opens_at:
            raise _refuse("closes_at", _("竞价截止时间须晚于开始时间"))
        if closes_at <= now:
            raise _refuse("closes_at", _("竞价截止时间须晚于现在"))
        if closes_at - opens_at > datetime.timedelta(days=MAX_ROUND_DAYS):
            raise _refuse("closes_at", _("一轮竞价最长 %(n)s 天"), n=MAX_ROUND_DAYS)
        terms.update(opens_at=opens_at, closes_at=closes_at)
    else:
        if buyer is None:
            raise _refuse("buyer", _("协议转让须指定受让企业"))
        services._enterprise(buyer, "buyer")
        if buyer.pk == seller.pk:
            raise _refuse("buyer", _("受让方与出让方不能相同"))
        if market_of(buyer) != market:
            raise _refuse("buyer", _("受让企业须在同一交易市场（%(m)s）"), m=market)
        terms.update(buyer=buyer, price=parse_price(price if price is not None else "", "price"))
    rule = rule_for(seller, timezone.localdate(now))
    # a government's sale from its own reserve is its own decision: no approval
    needs_approval = bool(rule and rule.approval_required) and seller.kind != Organisation.Kind.GOVERNMENT
    with transaction.atomic():
        move = Move(asset, vintage, quantity, (seller.pk, State.AVAILABLE), (seller.pk, State.RESERVED))
        txn = ledger.execute(Kind.RESERVE, [move], memo=f"挂牌冻结（{Mode(mode).label}）", user=user)
        return Listing.objects.create(
            seller=seller,
            asset=asset,
            vintage=vintage,
            quantity=quantity,
            mode=mode,
            market=market,
            status=Status.PENDING if needs_approval else Status.OPEN,
            approval_required=needs_approval,
            reserve_txn=txn,
            created_by=user,
            created_at=now,
            **terms,
        )


def decide(
    user: Any, listing_id: int, *, approve: bool, note: str = "", now: datetime.datetime | None = None
) -> Listing:
    """The government of the seller's region approves a pending listing (it opens) or refuses it (the reservation
    is released)."""
    with transaction.atomic():
        row = _locked(listing_id, scoping.listings(user))
        if not scoping.can_govern(user, row.seller):
            raise PermissionDenied(_("只有出让企业所在地区的政府工作人员可以审核挂牌"))
        if row.status != Status.PENDING:
            raise _refuse("listing", _("该挂牌不在待审核状态（%(s)s）"), s=row.get_status_display())
        if not approve and not (note or "").strip():
            raise _refuse("note", _("不予批准须说明理由"))
        row.decided_by, row.decided_at, row.decision_note = user, now or timezone.now(), (note or "").strip()[:300]
        if approve:
            row.status = Status.OPEN
        else:
            row.status = Status.REJECTED
            row.close_txn = _release(row, user, "挂牌未获批准，解除冻结")
            row.closed_at = row.decided_at
        row.save()
        return row


def cancel(user: Any, listing_id: int, now: datetime.datetime | None = None) -> Listing:
    """The seller withdraws a pending or open listing that has no bid: the reservation is released."""
    with transaction.atomic():
        row = _locked(listing_id, scoping.listings(user))
        if not (scoping.can_hold(user, row.seller) or keeps_reserve(user, row.seller)):
            raise PermissionDenied(_("只有出让企业本身的人员可以撤牌"))
        if row.status not in (Status.PENDING, Status.OPEN):
            raise _refuse("listing", _("该挂牌已结束（%(s)s），不能撤牌"), s=row.get_status_display())
        if row.bids.exists():
            raise _refuse("listing", _("已有竞买报价，不能撤牌；请待截止后结算"))
        row.status = Status.CANCELLED
        row.closed_at = now or timezone.now()
        row.close_txn = _release(row, user, "撤牌，解除冻结")
        row.save()
        return row


# --------------------------------------------------------------------------- bidding and settlement


def bid(
    user: Any, listing_id: int, bidder: Organisation, quantity: int, price: Any, now: datetime.datetime | None = None
) -> Bid:
    """An enterprise of the seller's city bids in an open round: not below the reserve price, not after the close,
    not more than listed; refused with a located message otherwise."""
    if not scoping.can_hold(user, bidder):
        raise PermissionDenied(_("只有竞买企业本身的人员可以报价"))
    value = parse_price(price, "price")
    with transaction.atomic():
        row = _locked(listing_id, scoping.listings(user))
        now = now or timezone.now()
        if row.mode != Mode.AUCTION:
            raise _refuse("listing", _("协议转让不接受竞买报价"))
        if row.status != Status.OPEN:
            raise _refuse("listing", _("该挂牌不在竞价中（%(s)s）"), s=row.get_status_display())
        assert row.opens_at is not None and row.closes_at is not None and row.reserve_price is not None
        if now < row.opens_at:
            raise _refuse(
                "listing",
                _("竞价尚未开始：%(at)s 开始"),
                at=timezone.localtime(row.opens_at).strftime("%Y-%m-%d %H:%M"),
            )
        if now >= row.closes_at:
            raise _refuse(
                "listing",
                _("竞价已于 %(at)s 截止，不再接受报价"),
                at=timezone.localtime(row.closes_at).strftime("%Y-%m-%d %H:%M"),
            )
        if bidder.pk == row.seller_id:
            raise _refuse("bidder", _("出让企业不能竞买自己的挂牌"))
        services._enterprise(bidder, "bidder")
        if market_of(bidder) != row.market:
            raise _refuse("bidder", _("只有同一交易市场的企业可以竞买"))
        if quantity > row.quantity:
            raise _refuse(
                "quantity",
                _("竞买数量 %(q)s 超过挂牌数量 %(n)s"),
                q=services.display_quantity(row.asset, quantity),
                n=services.display_quantity(row.asset, row.quantity),
            )
        if value < row.reserve_price:
            raise _refuse("price", _("报价 %(p)s 元/吨低于起拍价 %(r)s 元/吨"), p=value, r=row.reserve_price)
        return Bid.objects.create(listing=row, bidder=bidder, quantity=quantity, price=value, at=now, user=user)


def allocate(quantity: int, bids: Sequence[Bid]) -> list[tuple[Bid, int]]:
    """Price-time priority: the highest price first, ties by the earlier bid (then the lower id); each bid takes
    what it asked or what is left. Returns (bid, filled) for the bids that won something."""
    out, left = [], quantity
    for b in sorted(bids, key=lambda b: (-b.price, b.at, b.pk)):
        if left == 0:
            break
        n = min(b.quantity, left)
        out.append((b, n))
        left -= n
    return out


def _book(
    row: Listing, fills: Sequence[tuple[Bid | None, Organisation, int, Decimal]], user: Any, now: datetime.datetime
) -> Listing:
    """One ledger transaction for the whole settlement (each buyer's rights; the unsold rest back to the seller's
    available account) and a trade per buyer, in the caller's database transaction."""
    sold = sum(n for _b, _o, n, _p in fills)
    moves = [
        Move(row.asset, row.vintage, n, (row.seller_id, State.RESERVED), (buyer.pk, State.AVAILABLE))
        for _b, buyer, n, _p in fills
    ]
    if sold < row.quantity:
        moves.append(
            Move(
                row.asset,
                row.vintage,
                row.quantity - sold,
                (row.seller_id, State.RESERVED),
                (row.seller_id, State.AVAILABLE),
            )
        )
    if sold:
        txn = ledger.execute(
            Kind.SETTLE, moves, memo=f"挂牌 {row.pk} 成交结算（{row.get_mode_display()}）", reference=f"挂牌/{row.pk}",
            user=user,
        )  # fmt: skip
        for b, buyer, n, price in fills:
            amount = amount_of(row.asset, n, price)
            trade = Trade.objects.create(
                listing=row,
                bid=b,
                seller_id=row.seller_id,
                buyer=buyer,
                asset=row.asset,
                vintage=row.vintage,
                quantity=n,
                price=price,
                amount=amount,
                derivation=services._zh(trade_derivation, row.asset, n, price, amount),
                txn=txn,
                settled_at=now,
            )
            revenue.book_sale(trade, timezone.localdate(now))  # a sale from a government's reserve only
            if b is not None:
                b.filled = n
                b.save(update_fields=["filled"])
        row.status = Status.SETTLED
    else:
        txn = _release(row, user, "流拍，解除冻结")
        row.status = Status.UNSOLD
    row.sold_quantity, row.close_txn, row.closed_at = sold, txn, now
    row.save()
    return row


def settle(user: Any, listing_id: int, now: datetime.datetime | None = None) -> Listing:
    """Settle a bidding round after its close (the seller's staff or the government of its region): see
    :func:`allocate` and :func:`_book`. A second settlement is refused (the listing is no longer open)."""
    with transaction.atomic():
        row = _locked(listing_id, scoping.listings(user))
        if not (scoping.can_hold(user, row.seller) or scoping.can_govern(user, row.seller)):
            raise PermissionDenied(_("只有出让企业或其所在地区的政府工作人员可以结算"))
        if row.mode != Mode.AUCTION:
            raise _refuse("listing", _("协议转让由受让方确认后成交"))
        if row.status != Status.OPEN:
            raise _refuse("listing", _("该挂牌不在竞价中（%(s)s），不能结算"), s=row.get_status_display())
        assert row.closes_at is not None
        now = now or timezone.now()
        if now < row.closes_at:
            raise _refuse(
                "listing",
                _("竞价 %(at)s 截止，截止后才能结算"),
                at=timezone.localtime(row.closes_at).strftime("%Y-%m-%d %H:%M"),
            )
        bids = list(row.bids.select_related("bidder").order_by("pk"))
        fills = [(b, b.bidder, n, b.price) for b, n in allocate(row.quantity, bids)]
        return _book(row, fills, user, now)


def accept(user: Any, listing_id: int, now: datetime.datetime | None = None) -> Listing:
    """The named buyer's staff accept an open bilateral transfer: it settles at once at the agreed price."""
    with transaction.atomic():
        row = _locked(listing_id, scoping.listings(user))
        if row.mode != Mode.BILATERAL or row.buyer is None:
            raise _refuse("listing", _("竞价交易不能直接受让；请报价竞买"))
        if not scoping.can_hold(user, row.buyer):
            raise PermissionDenied(_("只有协议指定的受让企业可以确认受让"))
        if row.status != Status.OPEN:
            raise _refuse("listing", _("该挂牌不能受让（%(s)s）"), s=row.get_status_display())
        assert row.price is not None
        return _book(row, [(None, row.buyer, row.quantity, row.price)], user, now or timezone.now())

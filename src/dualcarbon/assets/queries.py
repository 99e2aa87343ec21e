"""Read models behind the assets pages and API (a fixed number of queries per page; every queryset starts from
:mod:`dualcarbon.assets.scoping`)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.http import Http404
from django.utils import timezone

from dualcarbon.accounting import claims_register
from dualcarbon.registry import access, effective
from dualcarbon.registry.models import Organisation, Region

from . import compliance, ets, leasing, revenue, scoping, services, trading
from .models import (
    Allocation,
    Asset,
    Bid,
    Bill,
    BuyBack,
    Confirmation,
    Factor,
    FeeStandard,
    Holding,
    Lease,
    Listing,
    Obligation,
    Pledge,
    Posting,
    ReserveAllocation,
    RevenueAccount,
    RevenueEntry,
    RevenueUse,
    SerialBlock,
    Trade,
)


@dataclass
class HoldingRow:
    asset: Asset
    vintage: int
    state: str
    state_label: str
    balance: int
    shown: str


@dataclass
class HistoryRow:
    posting: Posting
    shown: str
    serials: str


@dataclass
class BillRow:
    bill: Bill
    paid: Decimal
    due: Decimal
    derivation: str
    overdue: bool


@dataclass
class RetiredSerials:
    asset: Asset
    vintage: int
    first: int
    last: int
    #: (claim, where-and-when in the reader's language)
    claims: list[tuple[Any, str]]


@dataclass
class EnterpriseView:
    enterprise: Organisation
    holdings: list[HoldingRow]
    history: list[HistoryRow]
    confirmations: list[Confirmation]
    bills: list[BillRow]
    pledges: list[tuple[Pledge, str]]
    can_govern: bool
    can_hold: bool
    factors: list[Factor] = field(default_factory=list)
    assets: list[Asset] = field(default_factory=list)
    banks: list[Organisation] = field(default_factory=list)
    #: ETS (docs/assets.md § ETS): allocations, each obligation's status, the platform's account total per year
    allocations: list[Allocation] = field(default_factory=list)
    obligations: list[ets.Status] = field(default_factory=list)
    account_totals: dict[int, Decimal | None] = field(default_factory=dict)
    #: leases, buy-backs offered to it, allocations from a reserve (docs/assets.md § Leasing, § Reserve)
    dealings: EnterpriseDealings | None = None
    #: the compliance link (docs/assets.md § Compliance): held vs discharged vs headroom per factor for a year
    compliance: compliance.EnterpriseCompliance | None = None
    #: retired serial blocks (CCER, GEC) with the register's claims on them, and the enterprise's claims
    retired_serials: list[RetiredSerials] = field(default_factory=list)
    claims: list[Any] = field(default_factory=list)


def enterprise(user: Any, org_id: int) -> Organisation:
    org = scoping.holders(user).select_related("region").filter(pk=org_id).first()
    if org is None:
        raise Http404
    return org


def holdings(user: Any, org: Organisation) -> list[HoldingRow]:
    rows = (
        scoping.holdings(user)
        .filter(holder=org)
        .exclude(balance=0)
        .select_related("asset")
        .order_by("asset__kind", "asset__code", "vintage", "state")
    )
    return [
        HoldingRow(
            h.asset,
            h.vintage,
            h.state,
            str(h.get_state_display()),
            h.balance,
            services.display_quantity(h.asset, h.balance),
        )
        for h in rows
    ]


def history(user: Any, org: Organisation, limit: int = 200) -> list[HistoryRow]:
    rows = (
        scoping.postings(user)
        .filter(holding__holder=org)
        .select_related("txn", "holding__asset")
        .order_by("-txn_id", "-pk")[:limit]
    )
    return [
        HistoryRow(
            p,
            services.display_quantity(p.holding.asset, p.quantity),
            f"{p.serial_first}–{p.serial_last}" if p.serial_first is not None else "",
        )
        for p in rows
    ]


def bill_rows(bills: Any) -> list[BillRow]:
    today = timezone.localdate()
    out = []
    for b in bills:
        paid = sum((p.amount for p in b.payments.all()), Decimal("0.00"))
        out.append(
            BillRow(
                b,
                paid,
                b.amount - paid,
                services.bill_derivation(b.quantity_kg, b.standard, b.years, b.amount),
                b.status == Bill.Status.OPEN and b.due_date < today,
            )
        )
    return out


def enterprise_view(user: Any, org_id: int, compliance_year: int | None = None) -> EnterpriseView:
    org = enterprise(user, org_id)
    confirmations = list(
        scoping.confirmations(user)
        .filter(enterprise=org)
        .select_related("factor", "confirmed_by")
        .order_by("factor__position", "-vintage")
    )
    bills = (
        scoping.bills(user)
        .filter(enterprise=org)
        .select_related("standard", "confirmation__factor")
        .prefetch_related("payments")
    )
    pledges = [
        (p, services.display_quantity(p.asset, p.quantity))
        for p in scoping.pledges(user).filter(holder=org).select_related("asset", "bank")
    ]
    govern, hold = scoping.can_govern(user, org), scoping.can_hold(user, org)
    obligations = ets.statuses(scoping.obligations(user).filter(enterprise=org).order_by("-year"))
    view = EnterpriseView(
        org,
        holdings(user, org),
        history(user, org),
        confirmations,
        bill_rows(bills),
        pledges,
        govern,
        hold,
        services.factors_for(org.region.code if org.region else "") if govern else [],
        list(Asset.objects.order_by("kind", "code")) if hold else [],
        list(Organisation.objects.filter(kind="bank", is_active=True).order_by("name")) if hold else [],
        list(scoping.allocations(user).filter(enterprise=org).order_by("-year", "kind")),
        obligations,
        {st.obligation.year: ets.account_total(org, st.obligation.year) for st in obligations},
        enterprise_dealings(user, org),
    )
    view.compliance = compliance.comparison([org], compliance_year or compliance.default_year([org.pk]))[0]
    view.retired_serials = retired_serials(user, org)
    view.claims = claims_register.claims_of([org.pk], limit=200)
    return view


def retired_serials(user: Any, org: Organisation) -> list[RetiredSerials]:
    """The enterprise's retired serial blocks (CCER, green certificates) with what each was claimed for."""
    blocks = list(
        SerialBlock.objects.filter(
            holding__in=scoping.holdings(user).filter(holder=org, state="retired"),
            asset__code__in=list(services.CLAIM_UNITS),
        )
        .select_related("asset", "holding")
        .order_by("asset__code", "first")[:300]
    )
    out = []
    for code, unit in services.CLAIM_UNITS.items():
        mine = [b for b in blocks if b.asset.code == code]
        found = claims_register.serials_claimed(unit, [(b.first, b.last) for b in mine])
        for b in mine:
            claims = [(c, claims_register.describe(c)) for c in found.get((b.first, b.last), [])]
            out.append(RetiredSerials(b.asset, b.holding.vintage, b.first, b.last, claims))
    return out


@dataclass
class RegionView:
    confirmations: list[Confirmation]
    reverify_due: list[Confirmation]
    bills: list[BillRow]
    standards: list[FeeStandard]
    factors: list[Factor]
    districts: list[Region]
    revenue: dict[tuple[str, int], Decimal]  # (district code, factor id) → yuan paid
    revenue_by_factor: dict[int, Decimal]
    revenue_by_district: dict[str, Decimal]
    billed_total: Decimal
    paid_total: Decimal
    year: int
    #: ETS obligations of the jurisdiction with their shortfall (docs/assets.md § ETS)
    obligations: list[ets.Status] = field(default_factory=list)
    #: the compliance link: each enterprise of the jurisdiction with rights or discharge, excesses first
    compliance: list[compliance.EnterpriseCompliance] = field(default_factory=list)
    compliance_year: int = 0


def region_compliance(user: Any, year: int | None = None, limit: int = 300) -> tuple[int, list[Any]]:
    """Held vs discharged vs headroom per factor for the enterprises of the user's jurisdiction (with rights held
    for the year or discharge reported), those with an excess first."""
    from dualcarbon.reporting import services as reporting

    orgs = scoping.holders(user).filter(access.jurisdiction_q(user, "region__code"))
    ids = list(orgs.values_list("pk", flat=True))
    year = year or compliance.default_year(ids)
    with_rights = set(compliance.held_rights(ids, year).keys())
    reported = reporting.discharge_to_date(ids, year)
    chosen = {e for e, _f in with_rights} | {e for e, got in reported.items() if got["factors"]}
    rows = compliance.comparison(orgs.filter(pk__in=chosen).order_by("region_id", "name")[:limit], year)
    rows.sort(key=lambda c: (not c.excess,))
    return year, rows


def region_view(user: Any, year: int | None = None, compliance_year: int | None = None) -> RegionView:
    """The government's page: rights confirmed in its jurisdiction, bills, the revenue by factor and district for
    ``year`` (payments received that year; default: the latest year with payments), the fee standards in force
    today."""
    if not scoping.can_see_region(user):
        raise Http404
    today = timezone.localdate()
    if year is None:  # the latest year with payments in the jurisdiction, else this year
        latest = scoping.payments(user).order_by("-paid_on").values_list("paid_on", flat=True).first()
        year = latest.year if latest is not None else today.year
    confirmations = list(
        scoping.confirmations(user)
        .select_related("enterprise__region", "factor")
        .order_by("enterprise__region__code", "enterprise__name", "factor__position", "-vintage")
    )
    soon = today + datetime.timedelta(days=180)
    bills = list(
        scoping.bills(user)
        .select_related("enterprise", "standard", "confirmation__factor")
        .prefetch_related("payments")[:300]
    )
    payments = (
        scoping.payments(user)
        .filter(paid_on__year=year)
        .values("bill__enterprise__region__code", "bill__confirmation__factor_id")
        .annotate(total=Sum("amount"))
    )
    revenue: dict[tuple[str, int], Decimal] = {}
    by_factor: dict[int, Decimal] = defaultdict(Decimal)
    by_district: dict[str, Decimal] = defaultdict(Decimal)
    for row in payments:
        code, fid = row["bill__enterprise__region__code"], row["bill__confirmation__factor_id"]
        total = Decimal(row["total"]).quantize(services.CENT)  # SQLite's SUM drops the scale
        revenue[(code, fid)] = total
        by_factor[fid] += total
        by_district[code] += total
    districts = list(Region.objects.filter(code__in=list(by_district)).order_by("code"))
    standards = list(
        FeeStandard.objects.filter(effective.in_force_q(today))
        .filter(scoping.region_q(user, "region__code") | _containing_q(user))
        .select_related("region", "factor")
        .order_by("region_id", "factor__position")
    )
    return RegionView(
        confirmations,
        [c for c in confirmations if c.reverify_by <= soon],
        bill_rows(bills),
        standards,
        list(Factor.objects.order_by("position")),
        districts,
        revenue,
        dict(by_factor),
        dict(by_district),
        sum((b.amount for b in bills if b.issued_on.year == year), Decimal("0.00")),
        sum(by_factor.values(), Decimal("0.00")),
        year,
        ets.statuses(scoping.obligations(user).select_related("enterprise").order_by("-year", "enterprise__name")),
        *region_compliance(user, compliance_year)[::-1],
    )


def _containing_q(user: Any) -> Q:
    """Standards published by a region containing the user's jurisdiction (a province's standard applies in its
    cities)."""
    q = Q(pk__in=[])
    for prefix in access.region_prefixes(user):
        for n in (2, 4):
            if len(prefix) > n:
                q |= Q(region__code=prefix[:n] + "0" * (6 - n))
    return q


def is_government(user: Any) -> bool:
    return bool(access.actor_for(user).region_prefixes)


def is_bank(user: Any) -> bool:
    return bool(access.actor_for(user).bank_ids)


def bank_pledges(user: Any) -> list[tuple[Pledge, str]]:
    """The pledges recorded to the user's banks; 404 for anyone not a bank's staff."""
    if not is_bank(user):
        raise Http404
    rows = scoping.bank_pledges(user).select_related("holder", "asset", "bank").order_by("status", "-pk")
    return [(p, services.display_quantity(p.asset, p.quantity)) for p in rows]


# --------------------------------------------------------------------------- trading


@dataclass
class ListingRow:
    listing: Listing
    shown: str  # the quantity in the asset's display unit
    sold: str
    #: the seller's name, or "" where the viewer may not know it (another enterprise of the market)
    seller_name: str


@dataclass
class BidRow:
    bid: Bid
    shown: str
    filled: str
    #: the bidder's name where the viewer may know it (its own staff, the government, the admin), else a label
    bidder_name: str
    own: bool


@dataclass
class TradeRow:
    trade: Trade
    shown: str
    derivation: str


@dataclass
class MarketView:
    open_listings: list[ListingRow]  # bidding rounds of the user's markets offered by others
    listings: list[ListingRow]  # every listing the user may see (own, its region's, bid on, offered to it)
    bids: list[BidRow]  # the user's own bids
    trades: list[TradeRow]
    is_government: bool


def _known(user: Any, orgs: set[int]) -> set[int]:
    """Of ``orgs``, the enterprises whose name the user may see (own staff, government, admin)."""
    return set(scoping.holders(user).filter(pk__in=list(orgs)).values_list("pk", flat=True)) if orgs else set()


def _listing_rows(user: Any, rows: list[Listing]) -> list[ListingRow]:
    known = _known(user, {r.seller_id for r in rows})
    return [
        ListingRow(
            r,
            services.display_quantity(r.asset, r.quantity),
            services.display_quantity(r.asset, r.sold_quantity),
            r.seller.name if r.seller_id in known or r.seller.kind == Organisation.Kind.GOVERNMENT else "",
        )
        for r in rows
    ]


def _trade_rows(rows: Any) -> list[TradeRow]:
    return [
        TradeRow(
            t,
            services.display_quantity(t.asset, t.quantity),
            trading.trade_derivation(t.asset, t.quantity, t.price, t.amount),
        )
        for t in rows
    ]


def market_view(user: Any) -> MarketView:
    """The trading page: 404 for whoever neither holds for an enterprise nor governs a region (banks, verifiers)."""
    actor = access.actor_for(user)
    if not (actor.enterprise_ids or scoping.can_see_region(user)):
        raise Http404
    related = ("seller", "asset")
    open_rows = list(scoping.market_listings(user).select_related(*related).order_by("closes_at", "pk")[:200])
    mine = list(scoping.listings(user).select_related(*related).order_by("-pk")[:300])
    bids = [
        BidRow(
            b,
            services.display_quantity(b.listing.asset, b.quantity),
            services.display_quantity(b.listing.asset, b.filled),
            b.bidder.name,
            True,
        )
        for b in scoping.bids(user)
        .filter(bidder_id__in=list(actor.enterprise_ids))
        .select_related("listing__asset", "bidder")
        .order_by("-pk")[:200]
    ]
    trades = scoping.trades(user).select_related("asset", "seller", "buyer").order_by("-settled_at", "-pk")[:200]
    return MarketView(
        _listing_rows(user, open_rows), _listing_rows(user, mine), bids, _trade_rows(trades), is_government(user)
    )


@dataclass
class ListingView:
    row: ListingRow
    bids: list[BidRow]
    trades: list[TradeRow]
    bidders: list[Organisation]  # the user's enterprises that may bid here
    can_cancel: bool
    can_settle: bool
    can_decide: bool
    can_accept: bool
    is_open: bool  # the round takes bids now
    closed: bool  # the round's close has passed


def listing_view(user: Any, listing_id: int) -> ListingView:
    listing = (
        scoping.listings(user)
        .select_related("seller__region", "asset", "buyer__region", "decided_by")
        .filter(pk=listing_id)
        .first()
    )
    if listing is None:
        raise Http404
    actor = access.actor_for(user)
    now = timezone.now()
    row = _listing_rows(user, [listing])[0]
    bid_rows = list(scoping.bids(user).filter(listing=listing).select_related("bidder").order_by("-price", "at", "pk"))
    known = _known(user, {b.bidder_id for b in bid_rows})
    labels: dict[int, str] = {}
    for b in sorted(bid_rows, key=lambda b: b.pk):
        labels.setdefault(b.bidder_id, f"#{len(labels) + 1}")
    bids = [
        BidRow(
            b,
            services.display_quantity(listing.asset, b.quantity),
            services.display_quantity(listing.asset, b.filled),
            b.bidder.name if b.bidder_id in known else labels[b.bidder_id],
            b.bidder_id in actor.enterprise_ids,
        )
        for b in bid_rows
    ]
    trades = scoping.trades(user).filter(listing=listing).select_related("asset", "seller", "buyer")
    is_open = bool(
        listing.mode == Listing.Mode.AUCTION
        and listing.status == Listing.Status.OPEN
        and listing.opens_at is not None
        and listing.closes_at is not None
        and listing.opens_at <= now < listing.closes_at
    )
    closed = bool(listing.closes_at is not None and now >= listing.closes_at)
    bidders = (
        list(
            Organisation.objects.filter(pk__in=list(actor.enterprise_ids), kind="enterprise", is_active=True)
            .exclude(pk=listing.seller_id)
            .filter(region__code__startswith=listing.market)
            .order_by("name")
        )
        if is_open
        else []
    )
    own = scoping.can_hold(user, listing.seller) or trading.keeps_reserve(user, listing.seller)
    govern = scoping.can_govern(user, listing.seller)
    live = listing.status in (Listing.Status.PENDING, Listing.Status.OPEN)
    return ListingView(
        row,
        bids,
        _trade_rows(trades),
        bidders,
        can_cancel=own and live and not bid_rows,
        can_settle=(own or govern)
        and listing.mode == Listing.Mode.AUCTION
        and listing.status == Listing.Status.OPEN
        and closed,
        can_decide=govern and listing.status == Listing.Status.PENDING,
        can_accept=bool(
            listing.mode == Listing.Mode.BILATERAL
            and listing.status == Listing.Status.OPEN
            and listing.buyer_id in actor.enterprise_ids
        ),
        is_open=is_open,
        closed=closed,
    )


def obligation(user: Any, org: Organisation, year: int) -> Obligation:
    """The enterprise's obligation for a year; 404 when there is none the user may see."""
    row = scoping.obligations(user).filter(enterprise=org, year=year).first()
    if row is None:
        raise Http404
    return row


# --------------------------------------------------------------------------- leasing, reserve and revenue


@dataclass
class LeaseRow:
    lease: Lease
    shown: str
    #: "lessor" or "lessee": the side of the enterprise the page is about ("" on a government's list)
    side: str
    can_accept: bool = False
    can_cancel: bool = False
    can_terminate: bool = False
    can_decide: bool = False
    #: the early termination waits for the other party's confirmation
    awaiting_other: bool = False
    #: the parties' names where the viewer may know them (a party knows its counterparty; a government the
    #: enterprises of its jurisdiction), else "—"
    lessor_name: str = ""
    lessee_name: str = ""


def lease_rows(user: Any, org: Organisation | None = None) -> list[LeaseRow]:
    """The leases the user may see (of ``org`` as lessor or lessee), each returned first if its term has ended
    (:func:`leasing.expire_due`, lazily on read), with what the user may do on it."""
    qs = scoping.leases(user)
    if org is not None:
        qs = qs.filter(Q(lessor=org) | Q(lessee=org))
    leasing.expire_due(qs)
    rows = list(
        qs.select_related("lessor__region", "lessee__region", "asset", "termination_requested_by").order_by("-pk")[:300]
    )
    known = _known(user, {r.lessor_id for r in rows} | {r.lessee_id for r in rows})
    out = []
    for lease in rows:
        own_lessor, own_lessee = scoping.can_hold(user, lease.lessor), scoping.can_hold(user, lease.lessee)
        mine = own_lessor or own_lessee
        side = "" if org is None else ("lessor" if lease.lessor_id == org.pk else "lessee")
        asked = lease.termination_requested_by_id
        live = lease.status in leasing.LIVE
        active = lease.status == Lease.Status.ACTIVE
        out.append(
            LeaseRow(
                lease,
                services.display_quantity(lease.asset, lease.quantity),
                side,
                can_accept=own_lessee and lease.status == Lease.Status.OFFERED,
                can_cancel=mine and live,
                can_terminate=active
                and mine
                and not (asked is not None and asked == (lease.lessor_id if own_lessor else lease.lessee_id)),
                can_decide=lease.status == Lease.Status.PENDING and scoping.can_govern(user, lease.lessor),
                awaiting_other=active and asked is not None,
                lessor_name=lease.lessor.name if mine or lease.lessor_id in known else "—",
                lessee_name=lease.lessee.name if mine or lease.lessee_id in known else "—",
            )
        )
    return out


@dataclass
class EnterpriseDealings:
    """An enterprise's leases, the buy-backs offered to it and the allocations it received from a reserve."""

    leases: list[LeaseRow]
    buy_backs: list[tuple[BuyBack, str]]
    allocations: list[tuple[ReserveAllocation, str]]


def enterprise_dealings(user: Any, org: Organisation) -> EnterpriseDealings:
    return EnterpriseDealings(
        lease_rows(user, org),
        [
            (b, services.display_quantity(b.asset, b.quantity))
            for b in scoping.buy_backs(user).filter(enterprise=org).select_related("asset", "government")
        ],
        [
            (a, services.display_quantity(a.asset, a.quantity))
            for a in scoping.reserve_allocations(user).filter(enterprise=org).select_related("asset", "government")
        ],
    )


@dataclass
class ReserveRow:
    body: Organisation
    asset: Asset
    vintage: int
    state: str
    state_label: str
    balance: int
    shown: str


@dataclass
class ReserveView:
    holdings: list[ReserveRow]
    buy_backs: list[tuple[BuyBack, str]]
    allocations: list[tuple[ReserveAllocation, str]]
    listings: list[ListingRow]
    leases: list[LeaseRow]
    is_government: bool
    assets: list[Asset]


def reserve_view(user: Any) -> ReserveView:
    """The government's reserve page (and the admin's, read only); 404 for everybody else."""
    if not scoping.can_see_region(user):
        raise Http404
    holdings = [
        ReserveRow(
            h.holder, h.asset, h.vintage, h.state, str(h.get_state_display()), h.balance,
            services.display_quantity(h.asset, h.balance),
        )
        for h in scoping.reserve_holdings(user)
        .exclude(balance=0)
        .exclude(state=Holding.State.ISSUED)
        .select_related("holder", "asset")
        .order_by("holder__name", "asset__kind", "asset__code", "vintage", "state")
    ]
    listings = list(
        scoping.listings(user)
        .filter(seller__kind="government")
        .filter(scoping.region_q(user, "seller__region__code"))
        .select_related("seller", "asset")
        .order_by("-pk")[:200]
    )
    return ReserveView(
        holdings,
        [
            (b, services.display_quantity(b.asset, b.quantity))
            for b in scoping.buy_backs(user)
            .filter(scoping.region_q(user, "government__region__code"))
            .select_related("asset", "government", "enterprise")[:300]
        ],
        [
            (a, services.display_quantity(a.asset, a.quantity))
            for a in scoping.reserve_allocations(user)
            .filter(scoping.region_q(user, "government__region__code"))
            .select_related("asset", "government", "enterprise", "standard")[:300]
        ],
        _listing_rows(user, listings),
        lease_rows(user),
        is_government(user),
        list(Asset.objects.filter(kind=Asset.Kind.DISCHARGE_RIGHT).order_by("code")) if is_government(user) else [],
    )


@dataclass
class RevenueCell:
    total: Decimal
    entries: list[int]  # the entries summed (their ids)


@dataclass
class RevenueView:
    year: int
    accounts: list[RevenueAccount]
    factors: list[Factor | None]  # None: assets other than discharge rights sold from a reserve
    districts: list[Region | None]
    cells: dict[tuple[str, int | None], RevenueCell]  # (district code, factor id) → cell
    by_factor: dict[int | None, RevenueCell]
    by_district: dict[str, RevenueCell]
    total: Decimal
    entries: list[tuple[RevenueEntry, str]]  # each with its derivation in the reader's language
    uses: list[RevenueUse]
    used_total: Decimal
    by_source: dict[str, Decimal]
    is_government: bool
    categories: list[tuple[str, str]] = field(default_factory=list)


def revenue_view(user: Any, year: int | None = None) -> RevenueView:
    """The revenue of the accounts in the user's jurisdiction in ``year`` (by booking date; default: the latest
    year with an entry): by factor × district, every cell with the entries it sums; the uses; the balances."""
    if not scoping.can_see_region(user):
        raise Http404
    entries_qs = scoping.revenue_entries(user)
    if year is None:
        latest = entries_qs.order_by("-booked_on").values_list("booked_on", flat=True).first()
        year = latest.year if latest is not None else timezone.localdate().year
    rows = list(
        entries_qs.filter(booked_on__year=year)
        .select_related(
            "account__region", "factor", "district", "payer", "payment__bill__standard", "trade__asset",
            "trade__buyer", "allocation__standard", "allocation__enterprise",
        )
        .order_by("booked_on", "pk")
    )
    cells: dict[tuple[str, int | None], RevenueCell] = {}
    by_factor: dict[int | None, RevenueCell] = {}
    by_district: dict[str, RevenueCell] = {}
    by_source: dict[str, Decimal] = defaultdict(Decimal)
    factors: dict[int | None, Factor | None] = {}
    districts: dict[str, Region | None] = {}
    for e in rows:
        code = e.district.code if e.district else ""
        districts.setdefault(code, e.district)
        factors.setdefault(e.factor_id, e.factor)
        for cell in (
            cells.setdefault((code, e.factor_id), RevenueCell(Decimal("0.00"), [])),
            by_factor.setdefault(e.factor_id, RevenueCell(Decimal("0.00"), [])),
            by_district.setdefault(code, RevenueCell(Decimal("0.00"), [])),
        ):
            cell.total += e.amount
            cell.entries.append(e.pk)
        by_source[e.source] += e.amount
    uses = list(
        scoping.revenue_uses(user)
        .filter(used_on__year=year)
        .select_related("account__region", "approved_by", "buy_back")
        .order_by("used_on", "pk")
    )
    return RevenueView(
        year,
        list(scoping.revenue_accounts(user).select_related("region").order_by("region__code")),
        sorted(factors.values(), key=lambda f: (f is None, f.position if f else 0)),
        [districts[c] for c in sorted(districts)],
        cells,
        by_factor,
        by_district,
        sum((e.amount for e in rows), Decimal("0.00")),
        [(e, revenue.derivation(e)) for e in rows],
        uses,
        sum((u.amount for u in uses), Decimal("0.00")),
        dict(by_source),
        is_government(user),
        [(c.value, str(c.label)) for c in RevenueUse.Category],
    )


def revenue_accounts_kept(user: Any) -> Any:
    """The revenue accounts the user's government keeps (the admin keeps none)."""
    prefixes = access.actor_for(user).region_prefixes
    if not prefixes:
        return RevenueAccount.objects.none()
    return scoping.revenue_accounts(user).filter(access.region_q(tuple(prefixes), "region__code")).select_related(
        "region"
    )

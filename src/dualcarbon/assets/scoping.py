"""Scoping of the assets app, built from the access predicates (:mod:`dualcarbon.registry.access`).

* Holdings, the journal lines on them, confirmations and bills of an enterprise: its own staff, the government of
  its region and the platform admin (:func:`access.owner_or_government_q`); not banks, not verifiers.
* Pledges: additionally the bank the pledge was recorded to — only those pledges, never the holder's other assets.
* Writing: confirming rights, issuing and billing are the government's of the enterprise's region
  (:func:`can_govern`); moving an enterprise's own assets (transfer, reserve, retire, pledge) is its own staff's
  (:func:`can_hold`); releasing a pledge is the pledgee bank's or the holder's government's.
* Trading: a listing — its seller's staff, the government of the seller's region, the admin; while a bidding round
  is open, the staff of every enterprise of the seller's city (the market), who see it without the seller's name;
  the named buyer of a bilateral transfer; an enterprise that bid on it. Bids — the bidder's own; the seller's
  staff (shown without the bidders' names), the seller's government, the admin. Trades — both parties, their
  governments, the admin.
* Leases: both parties' staff, their governments, the admin (never banks or verifiers).
* The reserve (the ledger accounts of government bodies), buy-backs and direct allocations from it: the governments
  whose jurisdiction covers the body's region and the admin; a buy-back or an allocation also the enterprise's own
  staff. Revenue accounts, their entries and uses: the governments whose jurisdiction covers the account's region and
  the admin. Banks see none of these.
* ETS allocations, obligations and surrenders of an enterprise: its own staff, its region's government, the admin;
  allocating and entering the verified emissions are the government's, surrendering the enterprise's own staff's.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from dualcarbon.registry import access
from dualcarbon.registry.models import Organisation

from .models import (
    Allocation,
    Bid,
    Bill,
    BuyBack,
    Confirmation,
    Holding,
    Lease,
    Listing,
    Obligation,
    Payment,
    Pledge,
    Posting,
    ReserveAllocation,
    RevenueAccount,
    RevenueEntry,
    RevenueUse,
    Surrender,
    Trade,
)


def holders(user: Any) -> QuerySet[Organisation]:
    """Enterprises whose assets page the user may open."""
    actor = access.actor_for(user)
    qs = Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE)
    return qs if actor.is_admin else qs.filter(access.owner_or_government_q(actor, ""))


def holdings(user: Any) -> QuerySet[Holding]:
    actor = access.actor_for(user)
    return Holding.objects.filter(access.owner_or_government_q(actor, "holder"), holder__kind="enterprise")


def postings(user: Any) -> QuerySet[Posting]:
    actor = access.actor_for(user)
    return Posting.objects.filter(
        access.owner_or_government_q(actor, "holding__holder"), holding__holder__kind="enterprise"
    )


def confirmations(user: Any) -> QuerySet[Confirmation]:
    return Confirmation.objects.filter(access.owner_or_government_q(access.actor_for(user)))


def bills(user: Any) -> QuerySet[Bill]:
    return Bill.objects.filter(access.owner_or_government_q(access.actor_for(user)))


def payments(user: Any) -> QuerySet[Payment]:
    return Payment.objects.filter(access.owner_or_government_q(access.actor_for(user), "bill__enterprise"))


def pledges(user: Any) -> QuerySet[Pledge]:
    """The holder's side (owner, government, admin) and the pledgee bank's."""
    actor = access.actor_for(user)
    q = access.owner_or_government_q(actor, "holder")
    if actor.bank_ids:
        q |= Q(bank_id__in=list(actor.bank_ids))
    return Pledge.objects.filter(q)


def bank_pledges(user: Any) -> QuerySet[Pledge]:
    """Pledges recorded to the user's banks (none: not a bank's staff)."""
    ids = access.actor_for(user).bank_ids
    return Pledge.objects.filter(bank_id__in=list(ids)) if ids else Pledge.objects.none()


def can_govern(user: Any, enterprise: Organisation) -> bool:
    """Government staff whose jurisdiction covers the enterprise (not the platform admin: it is no authority)."""
    actor = access.actor_for(user)
    code = enterprise.region.code if enterprise.region is not None else ""
    return bool(code) and any(code.startswith(p) for p in actor.region_prefixes)


def can_hold(user: Any, enterprise: Organisation | int) -> bool:
    return access.can_report_for(user, enterprise)


def can_see_region(user: Any) -> bool:
    return access.can_see_region(user)


def region_q(user: Any, field_name: str) -> Q:
    return access.jurisdiction_q(user, field_name)


def markets(user: Any) -> list[str]:
    """The markets (city prefixes of region codes) of the user's own enterprises."""
    ids = access.actor_for(user).enterprise_ids
    if not ids:
        return []
    codes = Organisation.objects.filter(pk__in=list(ids)).values_list("region__code", flat=True)
    return sorted({c[:4] for c in codes if c})


def listings(user: Any) -> QuerySet[Listing]:
    actor = access.actor_for(user)
    q = access.owner_or_government_q(actor, "seller")
    if actor.enterprise_ids:
        ids = list(actor.enterprise_ids)
        q |= Q(mode=Listing.Mode.AUCTION, status=Listing.Status.OPEN, market__in=markets(user))
        q |= Q(buyer_id__in=ids)
        q |= Q(pk__in=Bid.objects.filter(bidder_id__in=ids).values("listing_id"))
    return Listing.objects.filter(q)


def market_listings(user: Any) -> QuerySet[Listing]:
    """Open bidding rounds of the user's markets offered by other enterprises (the market page)."""
    actor = access.actor_for(user)
    if not actor.enterprise_ids:
        return Listing.objects.none()
    return Listing.objects.filter(
        mode=Listing.Mode.AUCTION, status=Listing.Status.OPEN, market__in=markets(user)
    ).exclude(seller_id__in=list(actor.enterprise_ids))


def bids(user: Any) -> QuerySet[Bid]:
    actor = access.actor_for(user)
    q = access.owner_or_government_q(actor, "listing__seller")
    if actor.enterprise_ids:
        q |= Q(bidder_id__in=list(actor.enterprise_ids))
    return Bid.objects.filter(q)


def trades(user: Any) -> QuerySet[Trade]:
    actor = access.actor_for(user)
    q = access.owner_or_government_q(actor, "seller") | access.owner_or_government_q(actor, "buyer")
    return Trade.objects.filter(q)


def allocations(user: Any) -> QuerySet[Allocation]:
    return Allocation.objects.filter(access.owner_or_government_q(access.actor_for(user)))


def obligations(user: Any) -> QuerySet[Obligation]:
    return Obligation.objects.filter(access.owner_or_government_q(access.actor_for(user)))


def surrenders(user: Any) -> QuerySet[Surrender]:
    return Surrender.objects.filter(access.owner_or_government_q(access.actor_for(user), "obligation__enterprise"))


def leases(user: Any) -> QuerySet[Lease]:
    actor = access.actor_for(user)
    return Lease.objects.filter(
        access.owner_or_government_q(actor, "lessor") | access.owner_or_government_q(actor, "lessee")
    )


def reserve_holdings(user: Any) -> QuerySet[Holding]:
    """The reserves (the accounts of government bodies) of the user's jurisdiction."""
    return Holding.objects.filter(holder__kind="government").filter(region_q(user, "holder__region__code"))


def reserve_bodies(user: Any) -> QuerySet[Organisation]:
    """Government bodies whose reserve the user may see (and, for government staff, keep)."""
    return Organisation.objects.filter(kind="government", is_active=True).filter(region_q(user, "region__code"))


def buy_backs(user: Any) -> QuerySet[BuyBack]:
    actor = access.actor_for(user)
    return BuyBack.objects.filter(
        region_q(user, "government__region__code") | Q(enterprise_id__in=list(actor.enterprise_ids))
    )


def reserve_allocations(user: Any) -> QuerySet[ReserveAllocation]:
    actor = access.actor_for(user)
    return ReserveAllocation.objects.filter(
        region_q(user, "government__region__code") | Q(enterprise_id__in=list(actor.enterprise_ids))
    )


def revenue_accounts(user: Any) -> QuerySet[RevenueAccount]:
    return RevenueAccount.objects.filter(region_q(user, "region__code"))


def revenue_entries(user: Any) -> QuerySet[RevenueEntry]:
    return RevenueEntry.objects.filter(region_q(user, "account__region__code"))


def revenue_uses(user: Any) -> QuerySet[RevenueUse]:
    return RevenueUse.objects.filter(region_q(user, "account__region__code"))

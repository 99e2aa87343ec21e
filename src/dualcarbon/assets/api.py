"""Assets API (mounted at /api/assets; token auth, a bank's token too; thin over services and queries): the
enterprise's system reads its holdings, its journal lines, its confirmed discharge rights and bills, and pledges
assets to a bank; a bank's system reads the pledges recorded to it and releases them (docs/assets.md).

Refusals answer the one error shape of the API: 404 for what the token may not see (exactly like missing), 403
for a write the token's user may not make, 422 for bad input, located by field in both languages; nothing is
changed on a refusal. Quantities are integers of the asset's smallest unit (``unit``: kilograms per year for a
discharge right), never floats; amounts are decimal strings.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status

from dualcarbon.registry import access, api_tokens
from dualcarbon.registry.api_tokens import ApiTokenAuth, token_or_session
from dualcarbon.registry.models import Organisation
from dualcarbon.reporting.schemas import ERRORS, refused, unknown_query

from . import ets, leasing, queries, reserve, revenue, services, trading
from .models import Lease, Listing, Pledge

router = Router(tags=["assets"], auth=ApiTokenAuth(banks=True))

MAX_ID = 2**63 - 1


class HoldingOut(Schema):
    asset: str = Field(..., description="asset code: DR-COD, DR-NH3N, DR-SO2, DR-NOX, DR-PM, DR-VOCS, CEA, CCER, GEC")
    asset_name: str
    unit: str = Field(..., description="the unit quantities are counted in (kg/a, tCO2e, MWh)")
    vintage: int
    state: str = Field(..., description="available | pledged | reserved | leased_out | retired")
    quantity: int


class PostingOut(Schema):
    txn_id: int
    at: datetime.datetime
    kind: str = Field(
        ..., description="issue | transfer | pledge | release | reserve | unreserve | retire | settle | lease | "
        "lease_return | buy_back | allocate"
    )
    memo: str
    reference: str
    asset: str
    vintage: int
    state: str
    quantity: int = Field(..., description="signed: into (+) or out of (-) the account")
    serial_first: int | None
    serial_last: int | None
    txn_hash: str


class ConfirmationOut(Schema):
    id: int
    factor: str
    factor_name: str
    vintage: int
    quantity_kg: int
    basis: str = Field(..., description="permit | eia")
    basis_reference: str
    confirmed_on: datetime.date
    reverify_by: datetime.date
    confirmed_by: str


class BillOut(Schema):
    id: int
    factor: str
    quantity_kg: int
    years: int
    yuan_per_tonne_year: Decimal
    amount: Decimal
    paid: Decimal
    issued_on: datetime.date
    due_date: datetime.date
    status: str = Field(..., description="open | paid")
    overdue: bool
    derivation: str = Field(
        ..., description="how the amount was made, with the standard's source, in the request's language"
    )


class PledgeIn(Schema):
    asset: str = Field(..., max_length=32, description="asset code")
    vintage: int = Field(..., ge=2000, le=2100)
    quantity: int = Field(..., ge=1, le=MAX_ID, description="units of the asset's unit (kg/a for a discharge right)")
    bank_id: int = Field(..., ge=1, le=MAX_ID)
    loan_reference: str = Field(..., min_length=1, max_length=100)


class PledgeOut(Schema):
    id: int
    holder_id: int
    holder: str
    bank_id: int
    bank: str
    asset: str
    vintage: int
    quantity: int
    loan_reference: str
    status: str = Field(..., description="active | released")
    created_at: datetime.datetime


def _user(request: HttpRequest) -> Any:
    return api_tokens.request_user(request)  # the token's user, or the session's (the reserve and revenue routes)


def _pledge(p: Pledge) -> dict[str, Any]:
    return {
        "id": p.pk,
        "holder_id": p.holder_id,
        "holder": p.holder.name,
        "bank_id": p.bank_id,
        "bank": p.bank.name,
        "asset": p.asset.code,
        "vintage": p.vintage,
        "quantity": p.quantity,
        "loan_reference": p.loan_reference,
        "status": p.status,
        "created_at": p.created_at,
    }


def _en() -> bool:
    return (get_language() or "").startswith("en")


@router.get(
    "/enterprises/{org_id}/holdings",
    operation_id="assets_holdings",
    url_name="assets_holdings",
    response={200: list[HoldingOut], **ERRORS},
    summary="企业的资产持有情况 / an enterprise's holdings",
    description="The enterprise's own system. Accounts with a zero balance are left out. 404: not visible.",
)
def holdings(request: HttpRequest, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    org = queries.enterprise(_user(request), org_id)
    return Status(
        200,
        [
            {
                "asset": h.asset.code,
                "asset_name": h.asset.name_en if _en() else h.asset.name_zh,
                "unit": h.asset.unit,
                "vintage": h.vintage,
                "state": h.state,
                "quantity": h.balance,
            }
            for h in queries.holdings(_user(request), org)
        ],
    )


@router.get(
    "/enterprises/{org_id}/transactions",
    operation_id="assets_transactions",
    url_name="assets_transactions",
    response={200: list[PostingOut], **ERRORS},
    summary="企业账户的账簿明细 / the journal lines on an enterprise's accounts (newest first, up to 200)",
)
def transactions(request: HttpRequest, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    org = queries.enterprise(_user(request), org_id)
    rows = queries.history(_user(request), org)
    return Status(
        200,
        [
            {
                "txn_id": r.posting.txn_id,
                "at": r.posting.txn.at,
                "kind": r.posting.txn.kind,
                "memo": r.posting.txn.memo,
                "reference": r.posting.txn.reference,
                "asset": r.posting.holding.asset.code,
                "vintage": r.posting.holding.vintage,
                "state": r.posting.holding.state,
                "quantity": r.posting.quantity,
                "serial_first": r.posting.serial_first,
                "serial_last": r.posting.serial_last,
                "txn_hash": r.posting.txn.row_hash,
            }
            for r in rows
        ],
    )


@router.get(
    "/enterprises/{org_id}/confirmations",
    operation_id="assets_confirmations",
    url_name="assets_confirmations",
    response={200: list[ConfirmationOut], **ERRORS},
    summary="企业的排污权确权记录 / an enterprise's confirmed discharge rights",
)
def confirmations(request: HttpRequest, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    view = queries.enterprise_view(_user(request), org_id)
    return Status(
        200,
        [
            {
                "id": c.pk,
                "factor": c.factor.code,
                "factor_name": c.factor.name_en if _en() else c.factor.name_zh,
                "vintage": c.vintage,
                "quantity_kg": c.quantity_kg,
                "basis": c.basis,
                "basis_reference": c.basis_reference,
                "confirmed_on": c.confirmed_on,
                "reverify_by": c.reverify_by,
                "confirmed_by": c.confirmed_by.name,
            }
            for c in view.confirmations
        ],
    )


@router.get(
    "/enterprises/{org_id}/bills",
    operation_id="assets_bills",
    url_name="assets_bills",
    response={200: list[BillOut], **ERRORS},
    summary="企业的排污权有偿使用费缴款单 / an enterprise's discharge right fee bills, with their derivation",
)
def bills(request: HttpRequest, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    view = queries.enterprise_view(_user(request), org_id)
    return Status(
        200,
        [
            {
                "id": b.bill.pk,
                "factor": b.bill.confirmation.factor.code,
                "quantity_kg": b.bill.quantity_kg,
                "years": b.bill.years,
                "yuan_per_tonne_year": b.bill.standard.yuan_per_tonne_year,
                "amount": b.bill.amount,
                "paid": b.paid,
                "issued_on": b.bill.issued_on,
                "due_date": b.bill.due_date,
                "status": b.bill.status,
                "overdue": b.overdue,
                "derivation": b.derivation,
            }
            for b in view.bills
        ],
    )


@router.post(
    "/enterprises/{org_id}/pledges",
    operation_id="assets_pledge",
    url_name="assets_pledge",
    response={201: PledgeOut, **ERRORS},
    summary="质押给银行 / pledge available units to a bank for a loan",
    description="Only the enterprise's own staff. 422: unknown asset or bank, not enough available, nothing written.",
)
def pledge(request: HttpRequest, payload: PledgeIn, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    org = queries.enterprise(_user(request), org_id)
    try:
        asset = services.asset_by_code(payload.asset)
        bank = Organisation.objects.filter(pk=payload.bank_id, kind="bank").first()
        if bank is None:
            raise ValidationError({"bank_id": _("未知的银行：%(v)s") % {"v": payload.bank_id}})
        row = services.pledge(
            _user(request),
            asset,
            payload.vintage,
            org,
            payload.quantity,
            bank=bank,
            loan_reference=payload.loan_reference,
        )
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, _pledge(row))


@router.get(
    "/bank/pledges",
    operation_id="assets_bank_pledges",
    url_name="assets_bank_pledges",
    response={200: list[PledgeOut], **ERRORS},
    summary="质押给本行的资产 / the pledges recorded to the token's bank",
    description="A bank's token only (404 for anyone else).",
)
def bank_pledges(request: HttpRequest) -> Any:
    return Status(200, [_pledge(p) for p, _shown in queries.bank_pledges(_user(request))])


@router.post(
    "/bank/pledges/{pledge_id}/release",
    operation_id="assets_release",
    url_name="assets_release",
    response={200: PledgeOut, **ERRORS},
    summary="解除质押 / release a pledge (the loan repaid)",
    description="The pledgee bank. 404: no such pledge or not the token's; 422: already released.",
)
def release(request: HttpRequest, pledge_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    try:
        row = services.release(_user(request), pledge_id)
    except Pledge.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        return refused(request, exc)
    return Status(200, _pledge(row))


# --------------------------------------------------------------------------- trading (docs/assets.md § Trading)


class AssetsListingIn(Schema):
    asset: str = Field(..., max_length=32, description="asset code")
    vintage: int = Field(..., ge=2000, le=2100)
    quantity: int = Field(..., ge=1, le=MAX_ID, description="units of the asset's unit (kg/a for a discharge right)")
    mode: str = Field(..., description="auction | bilateral")
    reserve_price: Decimal | None = Field(None, description="auction: yuan per tonne (per tCO2e, per certificate)")
    opens_at: datetime.datetime | None = Field(None, description="auction: the round opens")
    closes_at: datetime.datetime | None = Field(None, description="auction: the round closes (bids refused after)")
    buyer_uscc: str | None = Field(None, max_length=18, description="bilateral: the buyer's USCC")
    price: Decimal | None = Field(None, description="bilateral: the agreed price, yuan per tonne")


class AssetsListingOut(Schema):
    id: int
    seller: str | None = Field(..., description="the seller's name; null where the reader is another bidder")
    mode: str = Field(..., description="auction | bilateral")
    status: str = Field(..., description="pending | open | settled | unsold | cancelled | rejected")
    asset: str
    vintage: int
    quantity: int
    sold_quantity: int
    reserve_price: Decimal | None
    opens_at: datetime.datetime | None
    closes_at: datetime.datetime | None
    price: Decimal | None
    approval_required: bool


class AssetsBidIn(Schema):
    bidder_id: int | None = Field(None, ge=1, le=MAX_ID, description="the bidding enterprise (default: the token's)")
    quantity: int = Field(..., ge=1, le=MAX_ID, description="units of the asset's unit")
    price: Decimal = Field(..., description="yuan per tonne, at most two decimals, not below the reserve price")


class AssetsBidOut(Schema):
    id: int
    listing_id: int
    quantity: int
    price: Decimal
    at: datetime.datetime
    filled: int


class AssetsTradeOut(Schema):
    id: int
    listing_id: int
    seller: str
    buyer: str
    asset: str
    vintage: int
    quantity: int
    price: Decimal
    amount: Decimal
    derivation: str = Field(..., description="quantity × price = amount, in the request's language")
    ledger_txn: int
    settled_at: datetime.datetime


class AssetsListingDetailOut(AssetsListingOut):
    bids: list[AssetsBidOut] = Field(..., description="the token's enterprise's own bids (the seller: every bid)")
    trades: list[AssetsTradeOut]


def _listing(row: queries.ListingRow) -> dict[str, Any]:
    li = row.listing
    return {
        "id": li.pk,
        "seller": row.seller_name or None,
        "mode": li.mode,
        "status": li.status,
        "asset": li.asset.code,
        "vintage": li.vintage,
        "quantity": li.quantity,
        "sold_quantity": li.sold_quantity,
        "reserve_price": li.reserve_price,
        "opens_at": li.opens_at,
        "closes_at": li.closes_at,
        "price": li.price,
        "approval_required": li.approval_required,
    }


def _trade(row: queries.TradeRow) -> dict[str, Any]:
    t = row.trade
    return {
        "id": t.pk,
        "listing_id": t.listing_id,
        "seller": t.seller.name,
        "buyer": t.buyer.name,
        "asset": t.asset.code,
        "vintage": t.vintage,
        "quantity": t.quantity,
        "price": t.price,
        "amount": t.amount,
        "derivation": row.derivation,
        "ledger_txn": t.txn_id,
        "settled_at": t.settled_at,
    }


def _detail(request: HttpRequest, listing_id: int) -> dict[str, Any]:
    view = queries.listing_view(_user(request), listing_id)
    return {
        **_listing(view.row),
        "bids": [
            {
                "id": b.bid.pk,
                "listing_id": b.bid.listing_id,
                "quantity": b.bid.quantity,
                "price": b.bid.price,
                "at": b.bid.at,
                "filled": b.bid.filled,
            }
            for b in view.bids
        ],
        "trades": [_trade(t) for t in view.trades],
    }


@router.get(
    "/market/listings",
    operation_id="assets_market",
    url_name="assets_market",
    response={200: list[AssetsListingOut], **ERRORS},
    summary="本市场竞价中的挂牌 / open bidding rounds of the token's market (other sellers, shown without their name)",
)
def market_listings(request: HttpRequest) -> Any:
    view = queries.market_view(_user(request))
    return Status(200, [_listing(r) for r in view.open_listings])


@router.get(
    "/enterprises/{org_id}/listings",
    operation_id="assets_listings",
    url_name="assets_listings",
    response={200: list[AssetsListingOut], **ERRORS},
    summary="企业的挂牌 / an enterprise's own listings",
)
def listings(request: HttpRequest, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    org = queries.enterprise(_user(request), org_id)
    rows = [r for r in queries.market_view(_user(request)).listings if r.listing.seller_id == org.pk]
    return Status(200, [_listing(r) for r in rows])


@router.post(
    "/enterprises/{org_id}/listings",
    operation_id="assets_list",
    url_name="assets_list",
    response={201: AssetsListingOut, **ERRORS},
    summary="挂牌出售 / list a quantity for a bidding round or a bilateral transfer",
    description="Only the enterprise's own staff. The quantity is reserved at once. 422: bad terms, not enough "
    "available, nothing written.",
)
def list_new(request: HttpRequest, payload: AssetsListingIn, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = _user(request)
    org = queries.enterprise(user, org_id)
    try:
        asset = services.asset_by_code(payload.asset)
        buyer = None
        if payload.mode == Listing.Mode.BILATERAL:
            buyer = services.enterprise_by_uscc(payload.buyer_uscc, "buyer_uscc")
        row = trading.create_listing(
            user,
            org,
            asset,
            payload.vintage,
            payload.quantity,
            mode=payload.mode,
            reserve_price=payload.reserve_price,
            opens_at=payload.opens_at,
            closes_at=payload.closes_at,
            buyer=buyer,
            price=payload.price,
        )
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, _detail(request, row.pk))


@router.get(
    "/listings/{listing_id}",
    operation_id="assets_listing",
    url_name="assets_listing",
    response={200: AssetsListingDetailOut, **ERRORS},
    summary="一个挂牌及本企业的报价与成交 / a listing with the token's bids and trades on it",
)
def listing(request: HttpRequest, listing_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return Status(200, _detail(request, listing_id))


@router.post(
    "/listings/{listing_id}/bids",
    operation_id="assets_bid",
    url_name="assets_bid",
    response={201: AssetsBidOut, **ERRORS},
    summary="报价竞买 / bid in an open round",
    description="An enterprise of the seller's city. 422: below the reserve price, after the close, more than listed.",
)
def bid(request: HttpRequest, payload: AssetsBidIn, listing_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = _user(request)
    queries.listing_view(user, listing_id)
    own = Organisation.objects.filter(pk__in=list(access.actor_for(user).enterprise_ids), kind="enterprise")
    bidder = own.filter(pk=payload.bidder_id).first() if payload.bidder_id else own.order_by("pk").first()
    try:
        if bidder is None:
            raise ValidationError({"bidder_id": _("请选择竞买企业")})
        row = trading.bid(user, listing_id, bidder, payload.quantity, payload.price)
    except Listing.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        return refused(request, exc)
    return Status(
        201,
        {
            "id": row.pk,
            "listing_id": row.listing_id,
            "quantity": row.quantity,
            "price": row.price,
            "at": row.at,
            "filled": row.filled,
        },
    )


def _act(request: HttpRequest, listing_id: int, action: Any) -> Any:
    queries.listing_view(_user(request), listing_id)
    try:
        action(_user(request), listing_id)
    except Listing.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        return refused(request, exc)
    return Status(200, _detail(request, listing_id))


@router.post(
    "/listings/{listing_id}/settle",
    operation_id="assets_settle",
    url_name="assets_settle",
    response={200: AssetsListingDetailOut, **ERRORS},
    summary="结算竞价 / settle a round after its close (the seller)",
    description="Rights and money in one database transaction. 422: not closed yet, already settled.",
)
def settle(request: HttpRequest, listing_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return _act(request, listing_id, trading.settle)


@router.post(
    "/listings/{listing_id}/cancel",
    operation_id="assets_cancel",
    url_name="assets_cancel",
    response={200: AssetsListingDetailOut, **ERRORS},
    summary="撤牌 / withdraw a listing without bids (the seller): the reservation is released",
)
def cancel(request: HttpRequest, listing_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return _act(request, listing_id, trading.cancel)


@router.post(
    "/listings/{listing_id}/accept",
    operation_id="assets_accept",
    url_name="assets_accept",
    response={200: AssetsListingDetailOut, **ERRORS},
    summary="确认受让 / the named buyer accepts a bilateral transfer: it settles at once",
)
def accept(request: HttpRequest, listing_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return _act(request, listing_id, trading.accept)


# --------------------------------------------------------------------------- ETS (docs/assets.md § ETS)


class AssetsAllocationOut(Schema):
    year: int
    kind: str = Field(..., description="pre | true_up")
    quantity: int = Field(..., description="tCO2e")
    reference: str
    allocated_on: datetime.date


class AssetsObligationOut(Schema):
    year: int
    verified_tco2: int = Field(..., description="the amount due (entered by the government)")
    source: str = Field(..., description="the verification report the figure comes from")
    deadline: datetime.date
    surrendered_allowances: int
    surrendered_ccer: int
    ccer_cap: int = Field(..., description="5 % of the amount due, rounded down")
    shortfall: int
    late: bool
    account_total_tco2e: Decimal | None = Field(..., description="the platform's carbon account total, for comparison")


class AssetsEtsOut(Schema):
    allocations: list[AssetsAllocationOut]
    obligations: list[AssetsObligationOut]


class AssetsSurrenderIn(Schema):
    allowances: int = Field(0, ge=0, le=MAX_ID, description="allowances (CEA, tCO2e) to surrender")
    allowance_vintage: int | None = Field(None, ge=2000, le=2100)
    ccer: int = Field(0, ge=0, le=MAX_ID, description="CCER (tCO2e), at most 5 % of the amount due")
    ccer_vintage: int | None = Field(None, ge=2000, le=2100)


def _ets(view: queries.EnterpriseView) -> dict[str, Any]:
    return {
        "allocations": [
            {
                "year": a.year,
                "kind": a.kind,
                "quantity": a.quantity,
                "reference": a.reference,
                "allocated_on": a.allocated_on,
            }
            for a in view.allocations
        ],
        "obligations": [
            {
                "year": st.obligation.year,
                "verified_tco2": st.obligation.verified_tco2,
                "source": st.obligation.source,
                "deadline": st.obligation.deadline,
                "surrendered_allowances": st.allowances,
                "surrendered_ccer": st.ccer,
                "ccer_cap": st.cap,
                "shortfall": st.shortfall,
                "late": st.late,
                "account_total_tco2e": view.account_totals.get(st.obligation.year),
            }
            for st in view.obligations
        ],
    }


@router.get(
    "/enterprises/{org_id}/ets",
    operation_id="assets_ets",
    url_name="assets_ets",
    response={200: AssetsEtsOut, **ERRORS},
    summary="配额分配与清缴 / an enterprise's ETS allocations and obligations with their shortfall",
)
def ets_status(request: HttpRequest, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return Status(200, _ets(queries.enterprise_view(_user(request), org_id)))


@router.post(
    "/enterprises/{org_id}/ets/{year}/surrender",
    operation_id="assets_surrender",
    url_name="assets_surrender",
    response={200: AssetsEtsOut, **ERRORS},
    summary="清缴 / surrender allowances and CCER (at most 5 % of the amount due) for a year",
    description="Only the enterprise's own staff. 404: no obligation for the year; 422: CCER above the cap (the "
    "message names the cap and the quantity asked), more than still due, not enough available; nothing written.",
)
def surrender(
    request: HttpRequest,
    payload: AssetsSurrenderIn,
    org_id: int = Path(..., ge=1, le=MAX_ID),
    year: int = Path(..., ge=2000, le=2100),
) -> Any:
    user = _user(request)
    org = queries.enterprise(user, org_id)
    ob = queries.obligation(user, org, year)
    try:
        ets.surrender(
            user,
            ob.pk,
            allowances=payload.allowances,
            allowance_vintage=payload.allowance_vintage,
            ccer=payload.ccer,
            ccer_vintage=payload.ccer_vintage,
        )
    except ValidationError as exc:
        return refused(request, exc)
    return Status(200, _ets(queries.enterprise_view(user, org_id)))


# --------------------------------------------------------------------------- leasing, reserve, revenue


class AssetsLeaseIn(Schema):
    asset: str = Field(..., max_length=32, description="asset code")
    vintage: int = Field(..., ge=2000, le=2100)
    quantity: int = Field(..., ge=1, le=MAX_ID, description="units of the asset's unit (kg/a for a discharge right)")
    lessee_uscc: str = Field(..., max_length=18, description="the lessee's USCC (an enterprise of the same city)")
    starts_on: datetime.date
    ends_on: datetime.date = Field(..., description="the term's last day (inclusive); at most five years")
    rent: Decimal = Field(..., description="the rent for the term, yuan, at most two decimals")


class AssetsLeaseActionIn(Schema):
    lease_id: int = Field(..., ge=1, le=MAX_ID)
    action: str = Field(..., description="accept (the lessee) | cancel (either party, before it is active) | "
                        "terminate (either party: the second request ends the lease)")  # fmt: skip


class AssetsLeaseOut(Schema):
    id: int
    lessor_id: int
    lessor: str = Field(..., description="the lessor's name (— where the reader may not know it)")
    lessee_id: int
    lessee: str = Field(..., description="the lessee's name (— where the reader may not know it)")
    asset: str
    vintage: int
    quantity: int
    starts_on: datetime.date
    ends_on: datetime.date
    rent: Decimal
    status: str = Field(..., description="offered | pending | active | returned | terminated | cancelled | rejected")
    approval_required: bool
    termination_requested_by_id: int | None


def _lease(r: queries.LeaseRow) -> dict[str, Any]:
    row = r.lease
    return {
        "id": row.pk,
        "lessor_id": row.lessor_id,
        "lessor": r.lessor_name,
        "lessee_id": row.lessee_id,
        "lessee": r.lessee_name,
        "asset": row.asset.code,
        "vintage": row.vintage,
        "quantity": row.quantity,
        "starts_on": row.starts_on,
        "ends_on": row.ends_on,
        "rent": row.rent,
        "status": row.status,
        "approval_required": row.approval_required,
        "termination_requested_by_id": row.termination_requested_by_id,
    }


@router.get(
    "/enterprises/{org_id}/leases",
    operation_id="assets_leases",
    url_name="assets_leases",
    response={200: list[AssetsLeaseOut], **ERRORS},
    summary="企业的租赁 / the enterprise's leases, as lessor and as lessee",
    description="A lease past its term is returned to the lessor before it is shown.",
)
def leases(request: HttpRequest, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    org = queries.enterprise(_user(request), org_id)
    return Status(200, [_lease(r) for r in queries.lease_rows(_user(request), org)])


@router.post(
    "/enterprises/{org_id}/leases",
    operation_id="assets_lease_offer",
    url_name="assets_lease_offer",
    response={201: AssetsLeaseOut, **ERRORS},
    summary="出租 / offer a lease of available units to an enterprise of the same city for a term",
    description="Only the enterprise's own staff. The quantity is reserved at once. 422: bad terms, not enough "
    "available, nothing written.",
)
def lease_offer(request: HttpRequest, payload: AssetsLeaseIn, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = _user(request)
    org = queries.enterprise(user, org_id)
    try:
        asset = services.asset_by_code(payload.asset)
        lessee = services.enterprise_by_uscc(payload.lessee_uscc, "lessee_uscc")
        row = leasing.offer(
            user, org, lessee, asset, payload.vintage, payload.quantity,
            starts_on=payload.starts_on, ends_on=payload.ends_on, rent=payload.rent,
        )  # fmt: skip
    except ValidationError as exc:
        return refused(request, exc)
    return Status(201, _lease(next(r for r in queries.lease_rows(user, org) if r.lease.pk == row.pk)))


LEASE_API_ACTIONS = {"accept": leasing.accept, "cancel": leasing.cancel, "terminate": leasing.terminate}


@router.post(
    "/enterprises/{org_id}/leases/actions",
    operation_id="assets_lease_act",
    url_name="assets_lease_act",
    response={200: AssetsLeaseOut, **ERRORS},
    summary="确认承租、撤回或谢绝、提前终止 / accept, withdraw or decline, or terminate a lease of the enterprise",
    description="A party's own staff. 404: no such lease of the enterprise; 422: not in a state for the action.",
)
def lease_act(request: HttpRequest, payload: AssetsLeaseActionIn, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = _user(request)
    org = queries.enterprise(user, org_id)
    if payload.lease_id not in {r.lease.pk for r in queries.lease_rows(user, org)}:
        raise Http404
    try:
        act = LEASE_API_ACTIONS.get(payload.action)
        if act is None:
            raise ValidationError({"action": _("未知的操作")})
        row = act(user, payload.lease_id)
    except Lease.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        return refused(request, exc)
    return Status(200, _lease(next(r for r in queries.lease_rows(user, org) if r.lease.pk == row.pk)))


class AssetsReserveHoldingOut(Schema):
    government: str
    asset: str
    vintage: int
    state: str
    quantity: int


class AssetsBuyBackOut(Schema):
    id: int
    government: str
    enterprise: str
    asset: str
    vintage: int
    quantity: int
    price: Decimal
    amount: Decimal
    derivation: str
    agreement: str
    status: str = Field(..., description="offered | owed | paid | declined")


class AssetsReserveAllocationOut(Schema):
    id: int
    government: str
    enterprise: str
    asset: str
    vintage: int
    quantity: int
    amount: Decimal
    derivation: str
    reference: str
    allocated_on: datetime.date


class AssetsReserveOut(Schema):
    holdings: list[AssetsReserveHoldingOut]
    buy_backs: list[AssetsBuyBackOut]
    allocations: list[AssetsReserveAllocationOut]
    leases: list[AssetsLeaseOut]


GOVERNMENT_AUTH = token_or_session(banks=True)


@router.get(
    "/reserve",
    operation_id="assets_reserve",
    url_name="assets_reserve",
    auth=GOVERNMENT_AUTH,
    response={200: AssetsReserveOut, **ERRORS},
    summary="政府储备 / the reserves of the jurisdiction: holdings, buy-backs, direct allocations; its leases",
    description="Government staff (a signed-in session) and the admin; 404 for everybody else.",
)
def reserve_status(request: HttpRequest) -> Any:
    view = queries.reserve_view(_user(request))
    return Status(
        200,
        {
            "holdings": [
                {"government": h.body.name, "asset": h.asset.code, "vintage": h.vintage, "state": h.state,
                 "quantity": h.balance}
                for h in view.holdings
            ],
            "buy_backs": [
                {"id": b.pk, "government": b.government.name, "enterprise": b.enterprise.name, "asset": b.asset.code,
                 "vintage": b.vintage, "quantity": b.quantity, "price": b.price, "amount": b.amount,
                 "derivation": reserve.buy_back_derivation(b), "agreement": b.agreement,
                 "status": b.status}
                for b, _shown in view.buy_backs
            ],
            "allocations": [
                {"id": a.pk, "government": a.government.name, "enterprise": a.enterprise.name, "asset": a.asset.code,
                 "vintage": a.vintage, "quantity": a.quantity, "amount": a.amount,
                 "derivation": revenue.allocation_text(a), "reference": a.reference,
                 "allocated_on": a.allocated_on}
                for a, _shown in view.allocations
            ],
            "leases": [_lease(r) for r in view.leases],
        },
    )


class AssetsRevenueCellOut(Schema):
    district: str | None = Field(..., description="region code of the payers' district (null: none recorded)")
    factor: str | None = Field(..., description="factor code (null: an asset other than a discharge right)")
    amount: Decimal
    entries: list[int] = Field(..., description="the revenue entries summed (ids of entries)")


class AssetsRevenueEntryOut(Schema):
    id: int
    account: str = Field(..., description="the account's region code")
    source: str = Field(..., description="bill_payment | reserve_sale | reserve_alloc")
    booked_on: datetime.date
    payer: str
    district: str | None
    factor: str | None
    amount: Decimal
    payment_id: int | None
    trade_id: int | None
    allocation_id: int | None
    derivation: str = Field(..., description="where the money came from and how the amount was made")


class AssetsRevenueUseOut(Schema):
    id: int
    account: str
    category: str = Field(..., description="pollution_control | buy_back | monitoring | platform")
    amount: Decimal
    purpose: str
    approval_reference: str
    evidence: str
    used_on: datetime.date
    buy_back_id: int | None


class AssetsRevenueOut(Schema):
    year: int
    total: Decimal
    cells: list[AssetsRevenueCellOut]
    entries: list[AssetsRevenueEntryOut]
    uses: list[AssetsRevenueUseOut]
    balances: dict[str, Decimal] = Field(..., description="account region code → balance (yuan)")


@router.get(
    "/revenue",
    operation_id="assets_revenue",
    url_name="assets_revenue",
    auth=GOVERNMENT_AUTH,
    response={200: AssetsRevenueOut, **ERRORS},
    summary="收入报表 / revenue of the jurisdiction's accounts by factor and district, with the entries summed",
    description="Government staff (a signed-in session) and the admin; 404 for everybody else. ``year``: default "
    "the latest year with revenue.",
)
def revenue_report(request: HttpRequest, year: int | None = None) -> Any:
    if year is not None and not 2000 <= year <= 2100:
        raise Http404
    view = queries.revenue_view(_user(request), year)
    return Status(
        200,
        {
            "year": view.year,
            "total": view.total,
            "cells": [
                {"district": code or None, "factor": next((f.code for f in view.factors if f and f.pk == fid), None),
                 "amount": cell.total, "entries": cell.entries}
                for (code, fid), cell in sorted(view.cells.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0))
            ],
            "entries": [
                {"id": e.pk, "account": e.account.region.code, "source": e.source, "booked_on": e.booked_on,
                 "payer": e.payer.name, "district": e.district.code if e.district else None,
                 "factor": e.factor.code if e.factor else None, "amount": e.amount, "payment_id": e.payment_id,
                 "trade_id": e.trade_id, "allocation_id": e.allocation_id, "derivation": text}
                for e, text in view.entries
            ],
            "uses": [
                {"id": u.pk, "account": u.account.region.code, "category": u.category, "amount": u.amount,
                 "purpose": u.purpose, "approval_reference": u.approval_reference, "evidence": u.evidence,
                 "used_on": u.used_on, "buy_back_id": u.buy_back_id}
                for u in view.uses
            ],
            "balances": {a.region.code: a.balance for a in view.accounts},
        },
    )


# --------------------------------------------------------------------------- compliance and the claim register


class AssetsComplianceLineOut(Schema):
    factor: str = Field(..., description="COD | NH3N | SO2 | NOX | PM | VOCS (or a region's own factor)")
    factor_name: str
    held_t: Decimal = Field(..., description="rights held for the year, tonnes (vintages year−4 … year)")
    discharged_t: Decimal = Field(..., description="discharge reported in the year's submitted months, tonnes")
    headroom_t: Decimal = Field(..., description="held − discharged (negative: the excess)")
    excess_t: Decimal


class AssetsComplianceOut(Schema):
    enterprise_id: int
    year: int
    months: list[str] = Field(..., description="the months counted (YYYY-MM)")
    factors: list[AssetsComplianceLineOut]


class AssetsClaimOut(Schema):
    id: int
    unit: str = Field(..., description="ccer | gec | green_trade | forestry | project")
    serial_first: int | None
    serial_last: int | None
    key: str = Field(..., description="the reduction's normalised reference when it has no serials")
    quantity: Decimal
    purpose: str = Field(..., description="ets_offset | neutrality | certificate | loan_kpi")
    claimant_id: int
    claimant: str
    reference: str
    claimed_at: datetime.datetime
    where: str = Field(..., description="where and when it was claimed, in the request's language")


def _claim(c: Any) -> dict[str, Any]:
    from dualcarbon.accounting import claims_register

    return {
        "id": c.pk,
        "unit": c.unit,
        "serial_first": c.serial_first,
        "serial_last": c.serial_last,
        "key": c.key,
        "quantity": c.quantity,
        "purpose": c.purpose,
        "claimant_id": c.claimant_id,
        "claimant": c.claimant.name,
        "reference": c.reference,
        "claimed_at": c.claimed_at,
        "where": claims_register.describe(c),
    }


@router.get(
    "/enterprises/{org_id}/compliance",
    operation_id="assets_compliance",
    url_name="assets_compliance",
    response={200: AssetsComplianceOut, **ERRORS},
    summary="排污权与实际排放比对 / rights held vs discharge reported vs headroom per factor for a year",
    description="The enterprise's own staff, its region's government, the admin. ``year``: default the last year "
    "with reported discharge. 404: not visible.",
)
def compliance_view(
    request: HttpRequest, org_id: int = Path(..., ge=1, le=MAX_ID), year: int | None = Query(None, ge=2000, le=2100)
) -> Any:
    from . import compliance

    org = queries.enterprise(_user(request), org_id)
    c = compliance.comparison([org], year or compliance.default_year([org.pk]))[0]
    return Status(
        200,
        {
            "enterprise_id": org.pk,
            "year": c.year,
            "months": c.months,
            "factors": [
                {
                    "factor": ln.factor.code,
                    "factor_name": ln.factor.name_en if _en() else ln.factor.name_zh,
                    "held_t": ln.held,
                    "discharged_t": ln.discharged,
                    "headroom_t": ln.headroom,
                    "excess_t": ln.excess,
                }
                for ln in c.lines
            ],
        },
    )


@router.get(
    "/enterprises/{org_id}/claims",
    operation_id="assets_claims",
    url_name="assets_claims",
    response={200: list[AssetsClaimOut], **ERRORS},
    summary="企业的减排量主张 / the enterprise's claims in the one-claim register (newest first, up to 200)",
)
def enterprise_claims(request: HttpRequest, org_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    from dualcarbon.accounting import claims_register

    org = queries.enterprise(_user(request), org_id)
    return Status(200, [_claim(c) for c in claims_register.claims_of([org.pk], limit=200)])


@router.get(
    "/claims",
    operation_id="assets_claim_lookup",
    url_name="assets_claim_lookup",
    response={200: list[AssetsClaimOut], **ERRORS},
    summary="查询减排量是否已被主张 / who claimed a serial or a reduction, for what (the register)",
    description="With ``unit`` and ``serial`` or ``key`` (a reference, normalised): the claims of that reduction; "
    "without them: the latest 200 claims (of ``unit`` when given). Only claims of enterprises the token's user may "
    "see (its own; the government's region; the admin: all); others are left out.",
)
def claim_lookup(
    request: HttpRequest,
    unit: str = Query("", max_length=16),
    serial: int | None = Query(None, ge=1, le=MAX_ID),
    key: str = Query("", max_length=160),
) -> Any:
    from django.utils.translation import gettext_lazy

    from dualcarbon.accounting import claims_register

    from . import scoping

    unknown = unknown_query(request, ("unit", "serial", "key"))
    if unknown is not None:
        return unknown
    if (unit and unit not in claims_register.Unit.values) or ((serial is not None or key.strip()) and not unit):
        exc = ValidationError(
            {"unit": gettext_lazy("请给出减排量类型（ccer、gec、green_trade、forestry、project）及序列号或标识")}
        )
        return refused(request, exc)
    visible = scoping.holders(_user(request)).values_list("pk", flat=True)
    if serial is None and not key.strip():
        rows = [c for c in claims_register.claims_of(visible, limit=200) if not unit or c.unit == unit]
        return Status(200, [_claim(c) for c in rows])
    ids = set(visible)
    rows = claims_register.lookup(unit, serial=serial, key=key)
    return Status(200, [_claim(c) for c in rows if c.claimant_id in ids])

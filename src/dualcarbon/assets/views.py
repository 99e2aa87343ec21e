"""Assets pages (thin, docs/assets.md): the enterprise's holdings and history (and, for its government, the forms
to confirm rights, bill and record payments; for its staff, the pledge form), the government's region page
(confirmations, bills, revenue by factor and district, fee standards) and the bank's pledges."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dualcarbon.registry import access
from dualcarbon.registry.models import Organisation

from . import ets, leasing, queries, reserve, revenue, services, trading
from .models import Allocation, Asset, Bill, BuyBack, Confirmation, Factor, Lease, Listing, Obligation, Pledge


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return {("general" if k == NON_FIELD_ERRORS else k): [str(m) for m in v] for k, v in exc.message_dict.items()}


def _date(post: Any, name: str) -> datetime.date:
    text = (post.get(name) or "").strip()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValidationError({name: _("日期格式应为 YYYY-MM-DD：“%(v)s”") % {"v": text}}) from None


def _int(post: Any, name: str) -> int:
    text = (post.get(name) or "").strip()
    if not text.isdigit():
        raise ValidationError({name: _("请选择或填写有效的编号")})
    return int(text)


def _page(request: HttpRequest, org_id: int, errors: dict[str, list[str]] | None = None, form: str = "") -> Any:
    view = queries.enterprise_view(request.user, org_id)
    return render(
        request,
        "assets/enterprise.html",
        {
            "view": view,
            "enterprise": view.enterprise,
            "errors": errors or {},
            "form": form,
            "posted": request.POST if request.method == "POST" else None,
            "bases": Confirmation.Basis.choices,
            "modes": Listing.Mode.choices,
            "allocation_kinds": Allocation.Kind.choices,
            "lease_actions": [("accept", _("确认承租")), ("cancel", _("撤回或谢绝")), ("terminate", _("提前终止"))],
            "today": datetime.date.today(),
        },
        status=422 if errors else 200,
    )


def _back(org_id: int, anchor: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("assets:enterprise", args=[org_id]) + f"#{anchor}")


@login_required
@require_GET
def enterprise(request: HttpRequest, org_id: int) -> HttpResponse:
    """Holdings by asset, vintage and state; the journal lines; confirmations, bills and pledges."""
    return _page(request, org_id)


@login_required
@require_POST
def confirm(request: HttpRequest, org_id: int) -> HttpResponse:
    """The government confirms a discharge right (确权)."""
    org = queries.enterprise(request.user, org_id)
    post = request.POST
    try:
        factor = Factor.objects.filter(pk=_int(post, "factor")).first()
        if factor is None:
            raise ValidationError({"factor": _("请选择或填写有效的编号")})
        services.confirm(
            request.user,
            org,
            factor,
            post.get("tonnes", ""),
            basis=post.get("basis", ""),
            basis_reference=post.get("basis_reference", ""),
            confirmed_on=_date(post, "confirmed_on"),
        )
    except ValidationError as exc:
        return _page(request, org_id, _errors(exc), "confirm")
    messages.success(request, _("已确权并记入企业账户"))
    return _back(org_id, "confirmations")


@login_required
@require_POST
def bill(request: HttpRequest, org_id: int) -> HttpResponse:
    """The government bills the paid use of a confirmed right."""
    queries.enterprise(request.user, org_id)
    post = request.POST
    try:
        conf = _int(post, "confirmation")
        if not Confirmation.objects.filter(pk=conf, enterprise_id=org_id).exists():
            raise Http404
        years = _int(post, "years")
        services.issue_bill(
            request.user, conf, years=years, issued_on=_date(post, "issued_on"), due_date=_date(post, "due_date")
        )
    except Confirmation.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        return _page(request, org_id, _errors(exc), "bill")
    messages.success(request, _("缴款单已开具"))
    return _back(org_id, "bills")


@login_required
@require_POST
def payment(request: HttpRequest, org_id: int) -> HttpResponse:
    """The government records a payment against a bill."""
    queries.enterprise(request.user, org_id)
    post = request.POST
    try:
        bill_id = _int(post, "bill")
        if not Bill.objects.filter(pk=bill_id, enterprise_id=org_id).exists():
            raise Http404
        services.record_payment(
            request.user,
            bill_id,
            post.get("amount", ""),
            paid_on=_date(post, "paid_on"),
            reference=post.get("reference", ""),
        )
    except Bill.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        return _page(request, org_id, _errors(exc), "payment")
    messages.success(request, _("缴款已登记"))
    return _back(org_id, "bills")


@login_required
@require_POST
def pledge(request: HttpRequest, org_id: int) -> HttpResponse:
    """The enterprise pledges available units to a bank for a loan."""
    org = queries.enterprise(request.user, org_id)
    post = request.POST
    try:
        asset = Asset.objects.filter(pk=_int(post, "asset")).first()
        bank = Organisation.objects.filter(pk=_int(post, "bank"), kind="bank").first()
        if asset is None:
            raise ValidationError({"asset": _("请选择或填写有效的编号")})
        if bank is None:
            raise ValidationError({"bank": _("请选择或填写有效的编号")})
        services.pledge(
            request.user,
            asset,
            post.get("vintage", ""),
            org,
            services.parse_quantity(asset, post.get("quantity", "")),
            bank=bank,
            loan_reference=post.get("loan_reference", ""),
        )
    except ValidationError as exc:
        return _page(request, org_id, _errors(exc), "pledge")
    messages.success(request, _("质押已登记"))
    return _back(org_id, "pledges")


def _region_page(request: HttpRequest, errors: dict[str, list[str]] | None = None) -> HttpResponse:
    year = request.GET.get("year", "")
    view = queries.region_view(request.user, int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else None)
    rows = [
        (d, [view.revenue.get((d.code, f.pk)) for f in view.factors], view.revenue_by_district.get(d.code))
        for d in view.districts
    ]
    totals = [view.revenue_by_factor.get(f.pk) for f in view.factors]
    context = {
        "view": view,
        "rows": rows,
        "totals": totals,
        "errors": errors or {},
        "posted": request.POST if request.method == "POST" else None,
        "can_publish": queries.is_government(request.user),
    }
    return render(request, "assets/region.html", context, status=422 if errors else 200)


@login_required
@require_GET
def region(request: HttpRequest) -> HttpResponse:
    """The government's discharge rights page."""
    return _region_page(request)


@login_required
@require_POST
def standard(request: HttpRequest) -> HttpResponse:
    """A government publishes a new version of its region's fee standard for a factor."""
    queries.region_view(request.user)  # 404 first for whoever may not see the page
    post = request.POST
    try:
        factor = Factor.objects.filter(pk=_int(post, "factor")).first()
        if factor is None:
            raise ValidationError({"factor": _("请选择或填写有效的编号")})
        services.publish_for_jurisdiction(
            request.user,
            factor,
            post.get("yuan_per_tonne_year", ""),
            valid_from=_date(post, "valid_from"),
            derivation=post.get("derivation", ""),
            publisher=post.get("publisher", ""),
            document=post.get("document", ""),
            clause=post.get("clause", ""),
            published_on=_date(post, "published_on"),
        )
    except ValidationError as exc:
        return _region_page(request, _errors(exc))
    messages.success(request, _("收费标准已发布"))
    return HttpResponseRedirect(reverse("assets:region") + "#standards")


@login_required
@require_GET
def bank(request: HttpRequest) -> HttpResponse:
    """The pledges recorded to the user's banks."""
    return render(request, "assets/bank.html", {"pledges": queries.bank_pledges(request.user)})


@login_required
@require_POST
def release(request: HttpRequest, pledge_id: int) -> HttpResponse:
    """The pledgee bank (or the holder's government) releases a pledge."""
    try:
        row = services.release(request.user, pledge_id)
    except Pledge.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in _errors(exc).values() for m in ms))
        return HttpResponseRedirect(reverse("assets:bank"))
    messages.success(request, _("质押已解除"))
    if queries.is_bank(request.user):
        return HttpResponseRedirect(reverse("assets:bank"))
    return _back(row.holder_id, "pledges")


# --------------------------------------------------------------------------- trading


def _datetime(post: Any, name: str) -> datetime.datetime:
    """A local date and time typed in a form (``YYYY-MM-DDTHH:MM``), in the platform's time zone."""
    text = (post.get(name) or "").strip()
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError({name: _("时间格式应为 YYYY-MM-DD HH:MM：“%(v)s”") % {"v": text}}) from None
    return timezone.make_aware(value) if timezone.is_naive(value) else value


@login_required
@require_POST
def list_new(request: HttpRequest, org_id: int) -> HttpResponse:
    """The enterprise lists a quantity of an available holding for a bidding round or a bilateral transfer."""
    org = queries.enterprise(request.user, org_id)
    post = request.POST
    try:
        asset = Asset.objects.filter(pk=_int(post, "asset")).first()
        if asset is None:
            raise ValidationError({"asset": _("请选择或填写有效的编号")})
        mode = post.get("mode", "")
        terms: dict[str, Any] = {}
        if mode == Listing.Mode.AUCTION:
            terms.update(
                reserve_price=post.get("reserve_price", ""),
                opens_at=_datetime(post, "opens_at"),
                closes_at=_datetime(post, "closes_at"),
            )
        elif mode == Listing.Mode.BILATERAL:
            buyer = services.enterprise_by_uscc(post.get("buyer_uscc"), "buyer_uscc")
            terms.update(buyer=buyer, price=post.get("price", ""))
        listing = trading.create_listing(
            request.user,
            org,
            asset,
            post.get("vintage", ""),
            services.parse_quantity(asset, post.get("quantity", "")),
            mode=mode,
            **terms,
        )
    except ValidationError as exc:
        return _page(request, org_id, _errors(exc), "listing")
    messages.success(request, _("已挂牌，挂牌数量已冻结"))
    return HttpResponseRedirect(reverse("assets:listing", args=[listing.pk]))


@login_required
@require_GET
def market(request: HttpRequest) -> HttpResponse:
    """The trading page: open bidding rounds of the user's market, its listings, bids and trades; the government's
    listings of its region."""
    return render(request, "assets/market.html", {"view": queries.market_view(request.user)})


def _listing_page(request: HttpRequest, listing_id: int, errors: dict[str, list[str]] | None = None) -> HttpResponse:
    view = queries.listing_view(request.user, listing_id)
    context = {
        "view": view,
        "listing": view.row.listing,
        "errors": errors or {},
        "posted": request.POST if request.method == "POST" else None,
        "unit": trading.price_unit(view.row.listing.asset),
    }
    return render(request, "assets/listing.html", context, status=422 if errors else 200)


@login_required
@require_GET
def listing(request: HttpRequest, listing_id: int) -> HttpResponse:
    return _listing_page(request, listing_id)


def _bid(request: HttpRequest, listing_id: int) -> str:
    """An enterprise of the market bids in an open round (its one enterprise, or the one it chose)."""
    post = request.POST
    view = queries.listing_view(request.user, listing_id)
    own = Organisation.objects.filter(
        pk__in=list(access.actor_for(request.user).enterprise_ids), kind="enterprise"
    ).order_by("pk")
    if not own:
        raise PermissionDenied(_("只有企业人员可以竞买"))
    text = (post.get("bidder") or "").strip()
    bidder = own.filter(pk=int(text)).first() if text.isdigit() else (own[0] if len(own) == 1 else None)
    if bidder is None:
        raise ValidationError({"bidder": _("请选择竞买企业")})
    quantity = services.parse_quantity(view.row.listing.asset, post.get("quantity", ""))
    trading.bid(request.user, listing_id, bidder, quantity, post.get("price", ""))
    return _("报价已提交")


def _cancel(request: HttpRequest, listing_id: int) -> str:
    trading.cancel(request.user, listing_id)
    return _("已撤牌，冻结的数量已解冻")


def _settle(request: HttpRequest, listing_id: int) -> str:
    trading.settle(request.user, listing_id)
    return _("竞价已结算")


def _decide(request: HttpRequest, listing_id: int) -> str:
    approve = request.POST.get("decision") == "approve"
    trading.decide(request.user, listing_id, approve=approve, note=request.POST.get("note", ""))
    return _("已批准挂牌") if approve else _("已不予批准，冻结的数量已解冻")


def _accept(request: HttpRequest, listing_id: int) -> str:
    trading.accept(request.user, listing_id)
    return _("已受让，交易已结算")


#: the listing's actions (urls.py names each one's route): each calls its service and returns the message shown
LISTING_ACTIONS: dict[str, Callable[[HttpRequest, int], str]] = {
    "bid": _bid,
    "cancel": _cancel,
    "settle": _settle,
    "decide": _decide,
    "accept": _accept,
}


@login_required
@require_POST
def listing_action(request: HttpRequest, listing_id: int, action: str) -> HttpResponse:
    """One of the listing's actions (:data:`LISTING_ACTIONS`): a refusal shows the listing again with the located
    message, a listing out of sight is missing (404), success goes back to the listing with the service's message."""
    queries.listing_view(request.user, listing_id)  # 404 first for whoever may not see the listing
    try:
        done = LISTING_ACTIONS[action](request, listing_id)
    except Listing.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        return _listing_page(request, listing_id, _errors(exc))
    messages.success(request, done)
    return HttpResponseRedirect(reverse("assets:listing", args=[listing_id]))


# --------------------------------------------------------------------------- ETS allowances and surrender


@login_required
@require_POST
def allocate(request: HttpRequest, org_id: int) -> HttpResponse:
    """The government allocates a year's allowances (pre-allocation or true-up)."""
    org = queries.enterprise(request.user, org_id)
    post = request.POST
    try:
        ets.allocate(
            request.user,
            org,
            post.get("year", ""),
            post.get("kind", ""),
            post.get("quantity", ""),
            reference=post.get("reference", ""),
            allocated_on=_date(post, "allocated_on"),
        )
    except ValidationError as exc:
        return _page(request, org_id, _errors(exc), "allocate")
    messages.success(request, _("配额已发放"))
    return _back(org_id, "ets")


@login_required
@require_POST
def obligation(request: HttpRequest, org_id: int) -> HttpResponse:
    """The government enters a year's verified emissions (the amount due) with their source."""
    org = queries.enterprise(request.user, org_id)
    post = request.POST
    try:
        ets.set_obligation(
            request.user,
            org,
            post.get("year", ""),
            post.get("verified_tco2", ""),
            source=post.get("source", ""),
            deadline=_date(post, "deadline"),
        )
    except ValidationError as exc:
        return _page(request, org_id, _errors(exc), "obligation")
    messages.success(request, _("清缴义务已登记"))
    return _back(org_id, "ets")


@login_required
@require_POST
def surrender(request: HttpRequest, org_id: int) -> HttpResponse:
    """The enterprise surrenders allowances and CCER against a year's obligation."""
    queries.enterprise(request.user, org_id)
    post = request.POST
    try:
        ob = _int(post, "obligation")
        if not Obligation.objects.filter(pk=ob, enterprise_id=org_id).exists():
            raise Http404
        ets.surrender(
            request.user,
            ob,
            allowances=post.get("allowances", "0"),
            allowance_vintage=post.get("allowance_vintage", ""),
            ccer=post.get("ccer", "0"),
            ccer_vintage=post.get("ccer_vintage", ""),
        )
    except Obligation.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        return _page(request, org_id, _errors(exc), "surrender")
    messages.success(request, _("清缴已记入账簿"))
    return _back(org_id, "ets")


# --------------------------------------------------------------------------- leasing (docs/assets.md § Leasing)


def _asset(post: Any) -> Asset:
    asset = Asset.objects.filter(pk=_int(post, "asset")).first()
    if asset is None:
        raise ValidationError({"asset": _("请选择或填写有效的编号")})
    return asset


@login_required
@require_POST
def lease(request: HttpRequest, org_id: int) -> HttpResponse:
    """The enterprise offers a lease of an available holding to another enterprise of its city."""
    org = queries.enterprise(request.user, org_id)
    post = request.POST
    try:
        asset = _asset(post)
        leasing.offer(
            request.user,
            org,
            services.enterprise_by_uscc(post.get("lessee_uscc"), "lessee_uscc"),
            asset,
            post.get("vintage", ""),
            services.parse_quantity(asset, post.get("quantity", "")),
            starts_on=_date(post, "starts_on"),
            ends_on=_date(post, "ends_on"),
            rent=post.get("rent", ""),
        )
    except ValidationError as exc:
        return _page(request, org_id, _errors(exc), "lease")
    messages.success(request, _("已提出出租，租赁数量已冻结，待承租方确认"))
    return _back(org_id, "leases")


def _lease_accept(user: Any, pk: int, post: Any) -> str:
    pending = leasing.accept(user, pk).status == Lease.Status.PENDING
    return _("已确认承租，待政府审核") if pending else _("已确认承租，租赁生效")


def _lease_cancel(user: Any, pk: int, post: Any) -> str:
    leasing.cancel(user, pk)
    return _("租赁已撤回，冻结的数量已解冻")


def _lease_terminate(user: Any, pk: int, post: Any) -> str:
    ended = leasing.terminate(user, pk).status == Lease.Status.TERMINATED
    return _("租赁已提前终止，数量已归还出租方") if ended else _("已提出提前终止，待对方确认")


def _lease_approve(user: Any, pk: int, post: Any) -> str:
    leasing.decide(user, pk, approve=True, note=post.get("note", ""))
    return _("已批准租赁，租赁生效")


def _lease_reject(user: Any, pk: int, post: Any) -> str:
    leasing.decide(user, pk, approve=False, note=post.get("note", ""))
    return _("已不予批准，冻结的数量已解冻")


#: a lease's actions on the enterprise page (the form's ``action``): each calls its service and returns the message
LEASE_ACTIONS: dict[str, Callable[[Any, int, Any], str]] = {
    "accept": _lease_accept,
    "cancel": _lease_cancel,
    "terminate": _lease_terminate,
    "approve": _lease_approve,
    "reject": _lease_reject,
}


@login_required
@require_POST
def lease_act(request: HttpRequest, org_id: int) -> HttpResponse:
    """A party (accept, withdraw or decline, terminate early) or the government (approve, reject) acts on a lease
    of the enterprise."""
    org = queries.enterprise(request.user, org_id)
    post = request.POST
    try:
        pk = _int(post, "lease")
        action = LEASE_ACTIONS.get(post.get("action", ""))
        if action is None:
            raise ValidationError({"lease": _("未知的操作")})
        if not Lease.objects.filter(pk=pk).filter(Q(lessor=org) | Q(lessee=org)).exists():
            raise Http404
        done = action(request.user, pk, post)
    except Lease.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        return _page(request, org_id, _errors(exc), "lease_act")
    messages.success(request, done)
    return _back(org_id, "leases")


@login_required
@require_POST
def buy_back_decide(request: HttpRequest, org_id: int) -> HttpResponse:
    """The enterprise accepts or declines the government's offer to buy rights back into its reserve."""
    queries.enterprise(request.user, org_id)
    post = request.POST
    try:
        pk = _int(post, "buy_back")
        if not BuyBack.objects.filter(pk=pk, enterprise_id=org_id).exists():
            raise Http404
        accept = post.get("decision") == "accept"
        reserve.decide_buy_back(request.user, pk, accept=accept)
    except BuyBack.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        return _page(request, org_id, _errors(exc), "buy_back")
    messages.success(request, _("已同意回购，数量已转入政府储备") if accept else _("已谢绝回购"))
    return _back(org_id, "leases")


# --------------------------------------------------------------------------- reserve and revenue


def _reserve_page(request: HttpRequest, errors: dict[str, list[str]] | None = None, form: str = "") -> HttpResponse:
    context = {
        "view": queries.reserve_view(request.user),
        "errors": errors or {},
        "form": form,
        "posted": request.POST if request.method == "POST" else None,
        "today": datetime.date.today(),
    }
    return render(request, "assets/reserve.html", context, status=422 if errors else 200)


@login_required
@require_GET
def reserve_page(request: HttpRequest) -> HttpResponse:
    """The government's reserve: its holdings, buy-backs, direct allocations, sales and the region's leases."""
    return _reserve_page(request)


def _reserve_action(request: HttpRequest, form: str, act: Callable[[Any], Any], done: str) -> HttpResponse:
    queries.reserve_view(request.user)  # 404 first for whoever may not see the page
    try:
        out = act(request.POST)
    except (BuyBack.DoesNotExist, Listing.DoesNotExist):
        raise Http404 from None
    except ValidationError as exc:
        return _reserve_page(request, _errors(exc), form)
    messages.success(request, done)
    if isinstance(out, Listing):
        return HttpResponseRedirect(reverse("assets:listing", args=[out.pk]))
    return HttpResponseRedirect(reverse("assets:reserve") + f"#{form}")


@login_required
@require_POST
def buy_back(request: HttpRequest) -> HttpResponse:
    """The government offers an enterprise of its jurisdiction to buy rights back into its reserve."""

    def act(post: Any) -> Any:
        asset = _asset(post)
        return reserve.offer_buy_back(
            request.user,
            services.enterprise_by_uscc(post.get("enterprise_uscc"), "enterprise_uscc"),
            asset,
            post.get("vintage", ""),
            services.parse_quantity(asset, post.get("quantity", "")),
            post.get("price", ""),
            agreement=post.get("agreement", ""),
        )

    return _reserve_action(request, "buy_back", act, _("回购要约已发出，待企业确认"))


@login_required
@require_POST
def buy_back_pay(request: HttpRequest) -> HttpResponse:
    """The government pays an accepted buy-back from its region's revenue account."""

    def act(post: Any) -> Any:
        return reserve.pay_buy_back(
            request.user,
            _int(post, "buy_back"),
            paid_on=_date(post, "paid_on"),
            approval_reference=post.get("approval_reference", ""),
            evidence=post.get("evidence", ""),
        )

    return _reserve_action(request, "buy_back_pay", act, _("回购款已从收入账户支付"))


@login_required
@require_POST
def reserve_allocate(request: HttpRequest) -> HttpResponse:
    """The government allocates rights from its reserve to an enterprise at the fee standard."""

    def act(post: Any) -> Any:
        asset = _asset(post)
        return reserve.allocate(
            request.user,
            services.enterprise_by_uscc(post.get("enterprise_uscc"), "enterprise_uscc"),
            asset,
            post.get("vintage", ""),
            services.parse_quantity(asset, post.get("quantity", "")),
            years=post.get("years", ""),
            reference=post.get("reference", ""),
            allocated_on=_date(post, "allocated_on"),
        )

    return _reserve_action(request, "allocate", act, _("已从储备直接出让，金额已记入收入账户"))


@login_required
@require_POST
def reserve_list(request: HttpRequest) -> HttpResponse:
    """The government lists units of its reserve for a timed bidding round of its city."""

    def act(post: Any) -> Any:
        asset = _asset(post)
        return trading.create_listing(
            request.user,
            services.government_body(request.user),
            asset,
            post.get("vintage", ""),
            services.parse_quantity(asset, post.get("quantity", "")),
            mode=Listing.Mode.AUCTION,
            reserve_price=post.get("reserve_price", ""),
            opens_at=_datetime(post, "opens_at"),
            closes_at=_datetime(post, "closes_at"),
        )

    return _reserve_action(request, "sale", act, _("储备已挂牌竞价出让"))


def _revenue_year(request: HttpRequest) -> int | None:
    year = request.GET.get("year", "")
    return int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else None


def _revenue_page(request: HttpRequest, errors: dict[str, list[str]] | None = None) -> HttpResponse:
    view = queries.revenue_view(request.user, _revenue_year(request))
    rows = [
        (d, [view.cells.get((d.code if d else "", f.pk if f else None)) for f in view.factors],
         view.by_district.get(d.code if d else ""))
        for d in view.districts
    ]  # fmt: skip
    context = {
        "view": view,
        "rows": rows,
        "totals": [view.by_factor.get(f.pk if f else None) for f in view.factors],
        "errors": errors or {},
        "posted": request.POST if request.method == "POST" else None,
        "today": datetime.date.today(),
    }
    return render(request, "assets/revenue.html", context, status=422 if errors else 200)


@login_required
@require_GET
def revenue_page(request: HttpRequest) -> HttpResponse:
    """The revenue report by factor and district, each figure with the entries it sums; the uses; the balances."""
    return _revenue_page(request)


@login_required
@require_GET
def revenue_xlsx(request: HttpRequest) -> HttpResponse:
    from .reports import revenue_workbook

    view = queries.revenue_view(request.user, _revenue_year(request))
    response = HttpResponse(
        revenue_workbook(view), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="revenue-{view.year}.xlsx"'
    return response


@login_required
@require_POST
def revenue_use(request: HttpRequest) -> HttpResponse:
    """The government records a use of its region's revenue account."""
    queries.revenue_view(request.user)  # 404 first for whoever may not see the page
    post = request.POST
    try:
        account = queries.revenue_accounts_kept(request.user).filter(pk=_int(post, "account")).first()
        if account is None:
            raise ValidationError({"account": _("请选择或填写有效的编号")})
        revenue.record_use(
            request.user,
            account.region,
            post.get("category", ""),
            post.get("amount", ""),
            purpose=post.get("purpose", ""),
            approval_reference=post.get("approval_reference", ""),
            evidence=post.get("evidence", ""),
            used_on=_date(post, "used_on"),
        )
    except ValidationError as exc:
        return _revenue_page(request, _errors(exc))
    messages.success(request, _("收入使用已登记"))
    return HttpResponseRedirect(reverse("assets:revenue") + "#uses")

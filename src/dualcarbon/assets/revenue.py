"""Revenue accounts (收入账户, docs/assets.md § Revenue): the only writer of revenue accounts, entries and uses.

* Income is booked where the money is recorded: a paid-use bill's payment (:func:`book_payment`, called by
  ``services.record_payment``) into the account of the region whose fee standard billed it; a reserve sale
  (:func:`book_sale`, called by the settlement of a government's listing) and a direct allocation from the reserve
  (:func:`book_allocation`) into the account of the selling government's region. Each entry names the one record it
  comes from, its factor and the payer's district, and its derivation.
* A use (:func:`record_use`) — in a category the revenue rules name — is recorded by the government of the account's
  region with the approval document and evidence; more than the balance is refused (the account row is locked, and
  a CHECK constraint keeps the balance from going negative).

Amounts are ``Decimal`` to the fen.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from dualcarbon.registry import access
from dualcarbon.registry.models import Organisation, Region

from . import ledger
from .models import BuyBack, Payment, ReserveAllocation, RevenueAccount, RevenueEntry, RevenueUse, Trade

CENT = Decimal("0.01")
Source = RevenueEntry.Source
Category = RevenueUse.Category


def _refuse(field_name: str, message: Any, **params: Any) -> ValidationError:
    return ValidationError({field_name: ValidationError(message, params=params)})


def _tonnes(kg: int) -> Decimal:
    return (Decimal(kg) / 1000).quantize(Decimal("0.001"))


def account_for(region: Region) -> RevenueAccount:
    """The region's revenue account, created on first use, locked (``SELECT … FOR UPDATE``; SQLite's write lock)."""
    ledger.write_lock()
    RevenueAccount.objects.bulk_create([RevenueAccount(region=region)], ignore_conflicts=True)
    return ledger.for_update(RevenueAccount.objects.select_related("region")).get(region=region)


def _credit(account: RevenueAccount, amount: Decimal) -> None:
    RevenueAccount.objects.filter(pk=account.pk).update(balance=F("balance") + amount)


def derivation(entry: RevenueEntry) -> str:
    """Where an entry's money came from, in the active language (the entry stores the Chinese text)."""
    if entry.source == Source.BILL_PAYMENT and entry.payment is not None:
        p = entry.payment
        return str(
            _("缴款凭证 %(ref)s（%(day)s）%(amount)s 元，缴款单 #%(bill)s：%(bill_derivation)s")
            % {
                "ref": p.reference,
                "day": p.paid_on.isoformat(),
                "amount": p.amount,
                "bill": p.bill_id,
                "bill_derivation": _bill_text(p),
            }
        )
    if entry.source == Source.RESERVE_SALE and entry.trade is not None:
        t = entry.trade
        return str(
            _("储备挂牌 #%(listing)s 成交，受让方 %(buyer)s：%(calc)s")
            % {"listing": t.listing_id, "buyer": t.buyer.name, "calc": _trade_text(t)}
        )
    if entry.source == Source.RESERVE_ALLOCATION and entry.allocation is not None:
        a = entry.allocation
        return str(
            _("储备直接出让 %(ref)s，受让方 %(ent)s：%(calc)s")
            % {"ref": a.reference, "ent": a.enterprise.name, "calc": allocation_text(a)}
        )
    return entry.derivation


def _bill_text(p: Payment) -> str:
    from .services import bill_derivation  # services books payments through this module: import when called

    b = p.bill
    return bill_derivation(b.quantity_kg, b.standard, b.years, b.amount)


def _trade_text(t: Trade) -> str:
    from .trading import trade_derivation

    return trade_derivation(t.asset, t.quantity, t.price, t.amount)


def allocation_text(a: ReserveAllocation) -> str:
    return str(
        _("%(t)s 吨/年 × %(price)s 元/吨·年 × %(years)s 年 = %(amount)s 元（%(doc)s，%(valid_from)s 起执行）")
        % {
            "t": _tonnes(a.quantity),
            "price": a.standard.yuan_per_tonne_year,
            "years": a.years,
            "amount": a.amount,
            "doc": a.standard.document,
            "valid_from": a.standard.valid_from.isoformat(),
        }
    )


def _book(entry: RevenueEntry) -> RevenueEntry:
    with translation.override("zh-hans"):
        entry.derivation = derivation(entry)
    entry.save()
    _credit(entry.account, entry.amount)
    return entry


def book_payment(payment: Payment) -> RevenueEntry:
    """A paid-use bill's payment: into the account of the region whose fee standard billed it (in the caller's
    transaction)."""
    bill = payment.bill
    enterprise = bill.enterprise
    return _book(
        RevenueEntry(
            account=account_for(bill.standard.region),
            source=Source.BILL_PAYMENT,
            amount=payment.amount,
            factor=bill.confirmation.factor,
            district=enterprise.region,
            payer=enterprise,
            payment=payment,
            booked_on=payment.paid_on,
        )
    )


def book_sale(trade: Trade, day: datetime.date) -> RevenueEntry | None:
    """A trade settled from a government's listing (a reserve sale): into the selling government's region's
    account (in the settlement's transaction). Other trades book nothing."""
    seller = trade.seller
    if seller.kind != Organisation.Kind.GOVERNMENT or seller.region is None or trade.amount <= 0:
        return None
    return _book(
        RevenueEntry(
            account=account_for(seller.region),
            source=Source.RESERVE_SALE,
            amount=trade.amount,
            factor=trade.asset.factor,
            district=trade.buyer.region,
            payer=trade.buyer,
            trade=trade,
            booked_on=day,
        )
    )


def book_allocation(allocation: ReserveAllocation) -> RevenueEntry:
    gov = allocation.government
    assert gov.region is not None
    return _book(
        RevenueEntry(
            account=account_for(gov.region),
            source=Source.RESERVE_ALLOCATION,
            amount=allocation.amount,
            factor=allocation.asset.factor,
            district=allocation.enterprise.region,
            payer=allocation.enterprise,
            allocation=allocation,
            booked_on=allocation.allocated_on,
        )
    )


def governs_region(user: Any, region: Region) -> bool:
    """Government staff whose jurisdiction covers the region (not the platform admin: it is no authority)."""
    return any(region.code.startswith(p) for p in access.actor_for(user).region_prefixes)


def parse_amount(value: Any, field_name: str = "amount") -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _refuse(field_name, _("“%(v)s”不是金额（元，最多两位小数）"), v=value) from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT) or amount >= Decimal("1e13"):
        raise _refuse(field_name, _("金额须大于零、最多两位小数：%(v)s"), v=value)
    return amount.quantize(CENT)


def record_use(
    user: Any,
    region: Region,
    category: str,
    amount: Any,
    *,
    purpose: str,
    approval_reference: str,
    evidence: str,
    used_on: datetime.date,
    buy_back: BuyBack | None = None,
) -> RevenueUse:
    """The government of ``region`` records a use of its revenue account: a category the revenue rules name, the
    purpose, the approval document and the evidence; more than the balance is refused (nothing written)."""
    if not governs_region(user, region):
        raise PermissionDenied(_("只有本地区政府工作人员可以登记收入使用"))
    if category not in Category.values:
        raise _refuse("category", _("使用类别须为收入使用办法所列类别之一"))
    value = parse_amount(amount)
    for name, text, message in (
        ("purpose", purpose, _("请填写用途")),
        ("approval_reference", approval_reference, _("请填写批准文号")),
        ("evidence", evidence, _("请填写支出凭证")),
    ):
        if not (text or "").strip():
            raise _refuse(name, message)
    with transaction.atomic():
        account = account_for(region)
        if value > account.balance:
            raise _refuse(
                "amount",
                _("%(region)s 收入账户余额 %(balance)s 元，不足支出 %(amount)s 元"),
                region=region.name,
                balance=account.balance,
                amount=value,
            )
        use = RevenueUse.objects.create(
            account=account,
            category=category,
            amount=value,
            purpose=purpose.strip()[:300],
            approval_reference=approval_reference.strip()[:100],
            evidence=evidence.strip()[:300],
            used_on=used_on,
            approved_by=user,
            buy_back=buy_back,
        )
        _credit(account, -value)
        return use

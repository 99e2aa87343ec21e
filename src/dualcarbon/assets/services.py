"""The assets app's services: the only writers of its tables (docs/assets.md).

Every movement goes through :func:`dualcarbon.assets.ledger.execute` (one database transaction, holdings locked in
a fixed order, a hash-chained journal entry). A refusal is a :class:`~django.core.exceptions.ValidationError` naming
the field and saying why, in the request's language, and changes nothing.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from dualcarbon.accounting import claims_register
from dualcarbon.registry import access, effective
from dualcarbon.registry.models import Membership, Organisation, Region

from . import ledger, revenue, scoping
from .ledger import Move
from .models import (
    Asset,
    Bill,
    Confirmation,
    Factor,
    FeeStandard,
    Holding,
    Lease,
    LedgerTransaction,
    Listing,
    Payment,
    Pledge,
)

State = Holding.State
Kind = LedgerTransaction.Kind
#: 确权 is re-verified every five years (docs/assets.md § Confirmation)
REVERIFY_YEARS = 5
KG_PER_TONNE = 1000
CENT = Decimal("0.01")


def enterprise_by_uscc(value: Any, field: str) -> Organisation:
    """The enterprise a form or a request names by its unified social credit code (trimmed, upper case), or a
    located refusal on ``field`` (a lessee, a bilateral buyer)."""
    uscc = str(value or "").strip().upper()
    org = Organisation.objects.filter(uscc=uscc, kind="enterprise").first() if uscc else None
    if org is None:
        raise ValidationError({field: _("未找到统一社会信用代码为“%(v)s”的企业") % {"v": uscc}})
    return org


def asset_by_code(code: Any, field: str = "asset") -> Asset:
    """The asset an API request names by its code, or a located refusal on ``field``."""
    asset = Asset.objects.filter(code=str(code or "")).first()
    if asset is None:
        raise ValidationError({field: _("未知的资产代码：%(v)s") % {"v": code}})
    return asset


def _refuse(field_name: str, message: Any, **params: Any) -> ValidationError:
    return ValidationError({field_name: ValidationError(message, params=params)})


def tonnes_to_kg(value: Any, field_name: str = "quantity") -> int:
    """'12.345' (tonnes per year, up to three decimals) → 12345 kilograms; refuses anything else."""
    try:
        t = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _refuse(field_name, _("“%(v)s”不是数字（吨/年，最多三位小数）"), v=value) from None
    if not t.is_finite() or t <= 0:
        raise _refuse(field_name, _("数量须大于零（吨/年）：%(v)s"), v=value)
    kg = t * KG_PER_TONNE
    if kg != kg.to_integral_value():
        raise _refuse(field_name, _("吨/年最多三位小数（即精确到千克）：%(v)s"), v=value)
    return int(kg)


def parse_quantity(asset: Asset, value: Any, field_name: str = "quantity") -> int:
    """A quantity typed by a person in the asset's display unit: tonnes per year (three decimals) for a discharge
    right, whole units otherwise."""
    if asset.kind == Asset.Kind.DISCHARGE_RIGHT:
        return tonnes_to_kg(value, field_name)
    text = str(value).strip()
    if not text.isdigit() or int(text) <= 0:
        raise _refuse(field_name, _("数量须为正整数（%(unit)s）：%(q)s"), unit=asset.unit, q=value)
    return int(text)


def display_quantity(asset: Asset, units: int) -> str:
    """``units`` in the asset's display unit: a discharge right in tonnes per year (kilograms shown as 3 decimals)."""
    if asset.kind == Asset.Kind.DISCHARGE_RIGHT:
        return f"{kg_to_tonnes(units):,} t/a"
    return f"{units:,} {asset.unit}"


def _zh(fn: Any, *args: Any) -> Any:
    with translation.override("zh-hans"):
        return fn(*args)


def kg_to_tonnes(kg: int) -> Decimal:
    return (Decimal(kg) / KG_PER_TONNE).quantize(Decimal("0.001"))


def government_of(user: Any, enterprise: Organisation) -> Organisation:
    """The government body through which ``user`` governs ``enterprise`` (the most local one); refused otherwise."""
    if not scoping.can_govern(user, enterprise):
        raise PermissionDenied(_("只有企业所在地区的政府工作人员可以办理"))
    code = enterprise.region.code if enterprise.region is not None else ""
    bodies = [
        m.organisation
        for m in Membership.objects.filter(
            user=user, role=Membership.Role.GOVERNMENT_STAFF, is_active=True, organisation__is_active=True
        ).select_related("organisation__region")
        if m.organisation.region is not None and code.startswith(m.organisation.region.prefix)
    ]
    return max(bodies, key=lambda o: len(o.region.prefix) if o.region else 0)


def government_body(user: Any, refusal: Any = None) -> Organisation:
    """The user's own government body (the most local one with a region); refused for anyone else."""
    bodies = [
        m.organisation
        for m in Membership.objects.filter(
            user=user, role=Membership.Role.GOVERNMENT_STAFF, is_active=True, organisation__is_active=True
        ).select_related("organisation__region")
        if m.organisation.region is not None
    ]
    if not bodies:
        raise PermissionDenied(refusal or _("只有政府工作人员可以办理"))
    return max(bodies, key=lambda o: len(o.region.prefix) if o.region else 0)


def _enterprise(org: Organisation, field_name: str) -> None:
    if org.kind != Organisation.Kind.ENTERPRISE or not org.is_active:
        raise _refuse(field_name, _("“%(name)s”不是有效的企业"), name=org.name)


def _vintage(vintage: Any) -> int:
    try:
        v = int(vintage)
    except (TypeError, ValueError):
        raise _refuse("vintage", _("年度须为四位年份：%(v)s"), v=vintage) from None
    if not 2000 <= v <= 2100:
        raise _refuse("vintage", _("年度须为四位年份：%(v)s"), v=vintage)
    return v


def _owner(user: Any, holder: Organisation) -> None:
    if not scoping.can_hold(user, holder):
        raise PermissionDenied(_("只有持有企业本身的人员可以处置其资产"))


# --------------------------------------------------------------------------- movements


def issue(
    user: Any,
    asset: Asset,
    holder: Organisation,
    vintage: int | str,
    quantity: int,
    *,
    reference: str,
    memo: str,
    serial_first: int | None = None,
) -> LedgerTransaction:
    """Issue (allocate, confirm, certify) ``quantity`` units to ``holder``: the government of the holder's region,
    from its own issuance account. ``reference`` (the issuing document) issues once: a second issuance under it is
    refused (no double issuance); serials already issued are refused too."""
    _enterprise(holder, "holder")
    issuer = government_of(user, holder)
    reference = (reference or "").strip()
    if not reference:
        raise _refuse("reference", _("请填写发放依据的文号"))
    if LedgerTransaction.objects.filter(kind=Kind.ISSUE, reference=reference).exists():
        raise _refuse("reference", _("文号 %(ref)s 已发放过，不得重复发放"), ref=reference)
    move = Move(
        asset,
        _vintage(vintage),
        quantity,
        (issuer.pk, State.ISSUED),
        (holder.pk, State.AVAILABLE),
        (serial_first, serial_first) if serial_first is not None else None,
    )
    return ledger.execute(Kind.ISSUE, [move], memo=memo, reference=reference, user=user)


def transfer(
    user: Any,
    asset: Asset,
    vintage: int | str,
    seller: Organisation,
    buyer: Organisation,
    quantity: int,
    *,
    reference: str,
    memo: str = "",
    serials: tuple[int, int] | None = None,
) -> LedgerTransaction:
    """The seller's staff transfer available units to another enterprise (a bilateral transfer)."""
    _owner(user, seller)
    _enterprise(buyer, "buyer")
    if buyer.pk == seller.pk:
        raise _refuse("buyer", _("转入方与转出方不能相同"))
    move = Move(asset, _vintage(vintage), quantity, (seller.pk, State.AVAILABLE), (buyer.pk, State.AVAILABLE), serials)
    return ledger.execute(Kind.TRANSFER, [move], memo=memo or str(_("协议转让")), reference=reference, user=user)


def reserve(
    user: Any, asset: Asset, vintage: int | str, holder: Organisation, quantity: int, *, memo: str
) -> LedgerTransaction:
    """Set available units aside (for a listing, a government reserve): they can be neither moved nor pledged."""
    _owner(user, holder)
    move = Move(asset, _vintage(vintage), quantity, (holder.pk, State.AVAILABLE), (holder.pk, State.RESERVED))
    return ledger.execute(Kind.RESERVE, [move], memo=memo, user=user)


def unreserve(
    user: Any, asset: Asset, vintage: int | str, holder: Organisation, quantity: int, *, memo: str
) -> LedgerTransaction:
    """Release reserved units — not those a pending or open listing holds (they are released by its withdrawal,
    refusal or settlement: docs/assets.md § Trading)."""
    _owner(user, holder)
    v = _vintage(vintage)
    with transaction.atomic():
        ledger.write_lock()
        account = (  # the reserved account locked first: a listing made meanwhile reserves under the same lock
            ledger.for_update(Holding.objects.filter(holder=holder, asset=asset, vintage=v, state=State.RESERVED))
            .values_list("balance", flat=True)
            .first()
        )
        listed = (
            Listing.objects.filter(
                seller=holder, asset=asset, vintage=v, status__in=[Listing.Status.PENDING, Listing.Status.OPEN]
            ).aggregate(n=Sum("quantity"))["n"]
            or 0
        )
        let = (
            Lease.objects.filter(
                lessor=holder, asset=asset, vintage=v, status__in=[Lease.Status.OFFERED, Lease.Status.PENDING]
            ).aggregate(n=Sum("quantity"))["n"]
            or 0
        )
        if isinstance(quantity, int) and let and (account or 0) - quantity < listed + let:
            raise _refuse(
                "quantity",
                _("冻结的 %(reserved)s %(unit)s 中有 %(held)s %(unit)s 为挂牌或出租数量，只能解冻 %(free)s %(unit)s"),
                reserved=account or 0,
                held=listed + let,
                free=max(0, (account or 0) - listed - let),
                unit=asset.unit,
            )
        if isinstance(quantity, int) and listed and (account or 0) - quantity < listed:
            raise _refuse(
                "quantity",
                _("冻结的 %(reserved)s %(unit)s 中有 %(listed)s %(unit)s 为挂牌数量，只能解冻 %(free)s %(unit)s"),
                reserved=account or 0,
                listed=listed,
                free=max(0, (account or 0) - listed),
                unit=asset.unit,
            )
        move = Move(asset, v, quantity, (holder.pk, State.RESERVED), (holder.pk, State.AVAILABLE))
        return ledger.execute(Kind.UNRESERVE, [move], memo=memo, user=user)


def retire(
    user: Any,
    asset: Asset,
    vintage: int | str,
    holder: Organisation,
    quantity: int,
    *,
    memo: str,
    serials: tuple[int, int] | None = None,
    purpose: str = "",
    reference: str = "",
) -> LedgerTransaction:
    """Retire (注销) available units for good: they stay visible in the holder's retired account.

    With a ``purpose`` (``neutrality``, ``certificate``, ``loan_kpi``; docs/assets.md § One claim per reduction) the
    retired serials of a CCER or green certificate are claimed in the register in the same transaction, under
    ``reference`` (the declaration, certificate or loan contract): serials claimed before for something else refuse
    the retirement, naming where they were claimed first."""
    _owner(user, holder)
    if not (memo or "").strip():
        raise _refuse("memo", _("请说明注销用途"))
    if purpose and purpose not in claims_register.Purpose.values:
        raise _refuse("purpose", _("注销用途无效：%(v)s"), v=purpose)
    if purpose == claims_register.Purpose.ETS_OFFSET:
        raise _refuse("purpose", _("清缴抵销请通过配额清缴办理"))
    move = Move(asset, _vintage(vintage), quantity, (holder.pk, State.AVAILABLE), (holder.pk, State.RETIRED), serials)
    with transaction.atomic():
        txn = ledger.execute(Kind.RETIRE, [move], memo=memo, user=user)
        if purpose:
            claim_retired(txn, holder, purpose, (reference or "").strip() or memo.strip())
        return txn


#: serial-numbered assets whose retirements are claims in the register (asset code → the register's unit)
CLAIM_UNITS = {"CCER": "ccer", "GEC": "gec"}


def claim_retired(txn: LedgerTransaction, claimant: Organisation, purpose: str, reference: str) -> list[Any]:
    """Claim in the register (accounting.claims_register) the serials a retirement transaction moved into
    ``claimant``'s retired accounts; AlreadyClaimed (a located ValidationError) rolls the caller's transaction back."""
    claims = []
    rows = txn.postings.filter(
        quantity__gt=0, holding__state=State.RETIRED, holding__holder=claimant, serial_first__isnull=False
    ).select_related("holding__asset")
    for p in rows.order_by("pk"):
        unit = CLAIM_UNITS.get(p.holding.asset.code)
        if unit is None or p.serial_first is None or p.serial_last is None:
            continue
        claims.append(
            claims_register.claim(
                unit,
                purpose=purpose,
                claimant=claimant,
                reference=reference,
                quantity=p.quantity,
                serials=(p.serial_first, p.serial_last),
                vintage=p.holding.vintage,
                source="assets",
                field_name="serials",
            )
        )
    return claims


def pledge(
    user: Any,
    asset: Asset,
    vintage: int | str,
    holder: Organisation,
    quantity: int,
    *,
    bank: Organisation,
    loan_reference: str,
) -> Pledge:
    """The holder pledges available units to a bank as security for the loan ``loan_reference`` (质押)."""
    _owner(user, holder)
    if bank.kind != Organisation.Kind.BANK or not bank.is_active:
        raise _refuse("bank", _("“%(name)s”不是有效的银行"), name=bank.name)
    loan_reference = (loan_reference or "").strip()
    if not loan_reference:
        raise _refuse("loan_reference", _("请填写贷款合同编号"))
    with transaction.atomic():
        move = Move(asset, _vintage(vintage), quantity, (holder.pk, State.AVAILABLE), (holder.pk, State.PLEDGED))
        txn = ledger.execute(Kind.PLEDGE, [move], memo=f"质押予{bank.name}", reference=loan_reference, user=user)
        return Pledge.objects.create(
            holder=holder,
            bank=bank,
            asset=asset,
            vintage=move.vintage,
            quantity=quantity,
            loan_reference=loan_reference,
            pledge_txn=txn,
        )


def release(user: Any, pledge_id: int) -> Pledge:
    """Release a pledge (the loan repaid): the pledgee bank's staff, or the holder's government."""
    with transaction.atomic():
        ledger.write_lock()
        row = (
            ledger.for_update(scoping.pledges(user).select_related("holder__region", "asset", "bank"))
            .filter(pk=pledge_id)
            .first()
        )
        if row is None:
            raise Pledge.DoesNotExist
        if row.bank_id not in access.actor_for(user).bank_ids and not scoping.can_govern(user, row.holder):
            raise PermissionDenied(_("只有质权银行或企业所在地区的政府工作人员可以解除质押"))
        if row.status != Pledge.Status.ACTIVE:
            raise _refuse("pledge", _("该质押已于此前解除"))
        move = Move(
            row.asset, row.vintage, row.quantity, (row.holder_id, State.PLEDGED), (row.holder_id, State.AVAILABLE)
        )
        row.release_txn = ledger.execute(
            Kind.RELEASE, [move], memo=f"解除质押（{row.bank.name}）", reference=row.loan_reference, user=user
        )
        row.status = Pledge.Status.RELEASED
        row.save(update_fields=["release_txn", "status"])
        return row


# --------------------------------------------------------------------------- discharge rights


def factors_for(region_code: str) -> list[Factor]:
    """The factors managed in a region: the national six and the region's own (a region inside one counts)."""
    rows = Factor.objects.select_related("region").order_by("position", "code")
    return [f for f in rows if f.region is None or str(region_code).startswith(f.region.prefix)]


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def confirm(
    user: Any,
    enterprise: Organisation,
    factor: Factor,
    tonnes: Any,
    *,
    basis: str,
    basis_reference: str,
    confirmed_on: datetime.date,
) -> Confirmation:
    """确权: the government of the enterprise's region confirms its right to discharge ``tonnes`` per year of
    ``factor`` on the basis of its discharge permit or an EIA approval; the right is issued into its account
    (vintage: the year confirmed) and is to be re-verified within five years."""
    _enterprise(enterprise, "enterprise")
    body = government_of(user, enterprise)
    if factor not in factors_for(enterprise.region.code if enterprise.region else ""):
        raise _refuse("factor", _("%(f)s 不是本地区管理的排污权因子"), f=factor.name_zh)
    if basis not in Confirmation.Basis.values:
        raise _refuse("basis", _("确权依据须为排污许可证或环境影响评价批复"))
    basis_reference = (basis_reference or "").strip()
    if not basis_reference:
        raise _refuse("basis_reference", _("请填写许可证编号或环评批复文号"))
    kg = tonnes_to_kg(tonnes, "tonnes")
    if Confirmation.objects.filter(enterprise=enterprise, factor=factor, vintage=confirmed_on.year).exists():
        raise _refuse("factor", _("%(f)s 在 %(y)s 年度已确权"), f=factor.name_zh, y=confirmed_on.year)
    asset = Asset.objects.get(factor=factor)
    with transaction.atomic():
        txn = issue(
            user,
            asset,
            enterprise,
            confirmed_on.year,
            kg,
            reference=f"确权/{basis_reference}/{factor.code}/{confirmed_on.year}",
            memo=f"排污权确权：{Confirmation.Basis(basis).label} {basis_reference}",
        )
        return Confirmation.objects.create(
            enterprise=enterprise,
            factor=factor,
            quantity_kg=kg,
            basis=basis,
            basis_reference=basis_reference,
            vintage=confirmed_on.year,
            confirmed_on=confirmed_on,
            reverify_by=add_years(confirmed_on, REVERIFY_YEARS),
            confirmed_by=body,
            user=user,
            txn=txn,
        )


def publish_fee_standard(
    region: Region,
    factor: Factor,
    yuan_per_tonne_year: Any,
    *,
    valid_from: datetime.date,
    derivation: str,
    publisher: str,
    document: str,
    clause: str,
    published_on: datetime.date,
) -> FeeStandard:
    """A new version of a region's fee standard for a factor (the open version ends the day before)."""
    try:
        price = Decimal(str(yuan_per_tonne_year))
    except InvalidOperation:
        raise _refuse("yuan_per_tonne_year", _("“%(v)s”不是金额"), v=yuan_per_tonne_year) from None
    for name, text in (
        ("derivation", derivation),
        ("publisher", publisher),
        ("document", document),
        ("clause", clause),
    ):
        if not (text or "").strip():
            raise _refuse(name, _("收费标准须注明测算依据与出处（发布机关、文件、条款）"))
    return effective.supersede(
        FeeStandard,
        valid_from,
        region=region,
        factor=factor,
        yuan_per_tonne_year=price,
        derivation=derivation,
        publisher=publisher,
        document=document,
        clause=clause,
        published_on=published_on,
    )


def publish_for_jurisdiction(user: Any, factor: Factor, yuan_per_tonne_year: Any, **terms: Any) -> FeeStandard:
    """A government publishes a new version of its own region's fee standard (the region of its most local body;
    the platform admin is no authority)."""
    body = government_body(user, _("只有政府工作人员可以发布收费标准"))
    try:
        price = Decimal(str(yuan_per_tonne_year).strip())
    except InvalidOperation:
        raise _refuse("yuan_per_tonne_year", _("“%(v)s”不是金额"), v=yuan_per_tonne_year) from None
    if not price.is_finite() or price <= 0 or price != price.quantize(CENT):
        raise _refuse("yuan_per_tonne_year", _("标准须为大于零、最多两位小数的金额：%(v)s"), v=yuan_per_tonne_year)
    if factor not in factors_for(body.region.code if body.region else ""):
        raise _refuse("factor", _("%(f)s 不是本地区管理的排污权因子"), f=factor.name_zh)
    assert body.region is not None
    return publish_fee_standard(body.region, factor, price, **terms)


def fee_standard_for(region_code: str, factor: Factor, day: datetime.date) -> FeeStandard | None:
    rows = FeeStandard.objects.filter(factor=factor).select_related("region")
    return effective.resolve(rows, day, region_code=region_code, prefix_of=lambda r: r.region.prefix)


def bill_derivation(kg: int, standard: FeeStandard, years: int, amount: Decimal) -> str:
    """How a bill's amount was made, in the active language (the bill stores the Chinese text it was issued with)."""
    return str(
        _(
            "%(t)s 吨/年 × %(price)s 元/吨·年 × %(years)s 年 = %(amount)s 元；标准：%(publisher)s《%(document)s》"
            "%(clause)s（%(published)s 发布，%(valid_from)s 起执行）"
        )
        % {
            "t": kg_to_tonnes(kg),
            "price": standard.yuan_per_tonne_year,
            "years": years,
            "amount": amount,
            "publisher": standard.publisher,
            "document": standard.document,
            "clause": standard.clause,
            "published": standard.published_on.isoformat(),
            "valid_from": standard.valid_from.isoformat(),
        }
    )


def issue_bill(
    user: Any, confirmation_id: int, *, years: int, issued_on: datetime.date, due_date: datetime.date
) -> Bill:
    """Bill the paid use of a confirmed right: tonnes × the standard in force on ``issued_on`` × years (rounded to
    the fen, half up), due by ``due_date``; the derivation is stored with the bill."""
    conf = scoping.confirmations(user).select_related("enterprise__region", "factor").filter(pk=confirmation_id).first()
    if conf is None:
        raise Confirmation.DoesNotExist
    government_of(user, conf.enterprise)
    if not 1 <= int(years) <= REVERIFY_YEARS:
        raise _refuse("years", _("计费年限须为 1 至 %(n)s 年"), n=REVERIFY_YEARS)
    if due_date < issued_on:
        raise _refuse("due_date", _("缴费期限不能早于开具日期"))
    region_code = conf.enterprise.region.code if conf.enterprise.region else ""
    standard = fee_standard_for(region_code, conf.factor, issued_on)
    if standard is None:
        raise _refuse(
            "confirmation",
            _("%(day)s 没有适用于本地区 %(f)s 的收费标准"),
            day=issued_on.isoformat(),
            f=conf.factor.name_zh,
        )
    amount = (Decimal(conf.quantity_kg) / KG_PER_TONNE * standard.yuan_per_tonne_year * int(years)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    return Bill.objects.create(
        confirmation=conf,
        enterprise=conf.enterprise,
        standard=standard,
        quantity_kg=conf.quantity_kg,
        years=int(years),
        amount=amount,
        derivation=_zh(bill_derivation, conf.quantity_kg, standard, int(years), amount),
        issued_on=issued_on,
        due_date=due_date,
        issued_by=user,
    )


def record_payment(user: Any, bill_id: int, amount: Any, *, paid_on: datetime.date, reference: str) -> Payment:
    """The government records a payment against a bill; more than is still due is refused."""
    with transaction.atomic():
        ledger.write_lock()
        bill = ledger.for_update(scoping.bills(user).select_related("enterprise__region")).filter(pk=bill_id).first()
        if bill is None:
            raise Bill.DoesNotExist
        government_of(user, bill.enterprise)
        try:
            value = Decimal(str(amount)).quantize(CENT)
        except InvalidOperation:
            raise _refuse("amount", _("“%(v)s”不是金额"), v=amount) from None
        due = bill.amount - (bill.payments.aggregate(s=Sum("amount"))["s"] or Decimal("0"))
        if value <= 0 or value > due:
            raise _refuse("amount", _("缴款金额须大于零且不超过未缴金额 %(due)s 元"), due=due)
        if not (reference or "").strip():
            raise _refuse("reference", _("请填写缴款凭证号"))
        if Payment.objects.filter(reference=reference.strip()).exists():
            raise _refuse("reference", _("缴款凭证号 %(ref)s 已登记"), ref=reference.strip())
        payment = Payment.objects.create(
            bill=bill, amount=value, paid_on=paid_on, reference=reference.strip(), recorded_by=user
        )
        revenue.book_payment(payment)  # the revenue account of the region whose standard billed it
        if value == due:
            bill.status = Bill.Status.PAID
            bill.save(update_fields=["status"])
        return payment


#: the carbon assets (not discharge rights) a group inventory lists
CARBON_KINDS = (Asset.Kind.ALLOWANCE, Asset.Kind.CCER, Asset.Kind.GREEN_CERTIFICATE)


def carbon_holdings(holder_ids: Any) -> list[dict[str, Any]]:
    """The non-zero carbon asset balances (allowances, CCER, green certificates; by asset, vintage and state) of some
    holders, for readers above (the programme's group inventory); no user scope: the caller decides who reads. The
    quantity as the ledger counts it (``units``) and as a page shows it (``shown``). One query."""
    rows = (
        Holding.objects.filter(holder_id__in=list(holder_ids), asset__kind__in=CARBON_KINDS)
        .exclude(balance=0)
        .exclude(state=Holding.State.ISSUED)
        .select_related("asset")
        .order_by("holder_id", "asset__kind", "asset__code", "vintage", "state")
    )
    return [
        {
            "holder_id": h.holder_id,
            "asset": h.asset.code,
            "kind": h.asset.kind,
            "kind_label": str(h.asset.get_kind_display()),
            "name_zh": h.asset.name_zh,
            "name_en": h.asset.name_en,
            "unit": h.asset.unit,
            "vintage": h.vintage,
            "state": h.state,
            "state_label": str(h.get_state_display()),
            "units": h.balance,
            "shown": display_quantity(h.asset, h.balance),
        }
        for h in rows
    ]

"""The carbon assets and emission rights ledger (docs/assets.md).

* :class:`Asset` — what is held: a pollutant discharge right of one :class:`Factor` (kilograms per year), a
  national ETS allowance (tCO2e), a CCER (tCO2e, serial-numbered) or a green certificate (1 MWh, serial-numbered).
  Quantities are integers of the asset's smallest unit (``Asset.unit``), never floats.
* :class:`Holding` — an account: holder organisation × asset × vintage × state. Its ``balance`` is the sum of its
  postings (``verify_ledger`` checks it), never negative (CHECK constraint) except the issuer's ``issued`` account,
  which is the negative of everything issued (double entry).
* :class:`LedgerTransaction` and :class:`Posting` — the journal: every movement is one transaction of postings that
  balance per asset. Append-only (triggers, migration 0002) and hash-chained: a transaction's ``row_hash`` covers
  its fields, its postings and the previous transaction's hash (:func:`dualcarbon.assets.ledger.txn_hash`).
* :class:`SerialBlock` — for serial-numbered assets, who holds which serial range now (a projection of the
  postings; ranges never overlap within an asset, so a serial belongs to exactly one holder).
* :class:`Pledge` — a pledge to a bank with the loan it secures, and its release.
* Discharge rights: :class:`Confirmation` (确权), :class:`FeeStandard` (有偿使用费标准, effective-dated),
  :class:`Bill` and :class:`Payment`.
* Trading (交易): :class:`TradingRule` (a region's rule: whether a listing needs the government's approval,
  effective-dated), :class:`Listing` (a timed bidding round or a bilateral transfer; the listed quantity sits in the
  seller's ``reserved`` account), :class:`Bid` and :class:`Trade` (what a buyer bought at settlement and owes).
* Leasing (租赁): :class:`Lease` — rights of one holding let to another enterprise for a term; the units sit in the
  lessor's ``leased_out`` account while the lessee uses them, and return when the term ends.
* The government's reserve (储备): the reserve is the ledger accounts of a government body; :class:`BuyBack` (回购
  from an enterprise at a price, owed to it until paid) and :class:`ReserveAllocation` (a direct allocation from the
  reserve at the fee standard). A reserve's sale through a listing is an ordinary :class:`Listing` of the body.
* Revenue (收入): :class:`RevenueAccount` of a region, :class:`RevenueEntry` (income: a bill's payment, a reserve
  sale or allocation) and :class:`RevenueUse` (what it was spent on, approved, with evidence).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dualcarbon.registry.effective import EffectiveDated, valid_to_check
from dualcarbon.registry.models import GENESIS_HASH, Organisation, Region

__all__ = ["GENESIS_HASH"]


class Factor(models.Model):
    """A pollutant factor whose discharge is managed by rights (总量控制因子). The six national ones are seeded
    (migration 0003); a region adds its own by a row with its ``region`` (empty: every region)."""

    code = models.CharField(_("因子代码"), max_length=16, unique=True)
    name_zh = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=64)
    #: empty: managed everywhere; else only in this region and the regions inside it
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("污染因子")
        verbose_name_plural = _("污染因子")

    def __str__(self) -> str:
        return f"{self.name_zh} ({self.code})"


class Asset(models.Model):
    class Kind(models.TextChoices):
        DISCHARGE_RIGHT = "discharge_right", _("排污权")
        ALLOWANCE = "allowance", _("碳排放配额")
        CCER = "ccer", _("核证自愿减排量（CCER）")
        GREEN_CERTIFICATE = "green_certificate", _("绿色电力证书")

    code = models.CharField(_("资产代码"), max_length=32, unique=True)
    kind = models.CharField(_("资产类别"), max_length=20, choices=Kind.choices)
    factor = models.OneToOneField(Factor, null=True, blank=True, on_delete=models.PROTECT, related_name="asset")
    name_zh = models.CharField(_("名称"), max_length=64)
    name_en = models.CharField(_("英文名称"), max_length=64)
    #: the smallest unit quantities are counted in ("kg/a", "tCO2e", "MWh")
    unit = models.CharField(_("计量单位"), max_length=16)
    serial_numbered = models.BooleanField(_("按序列号管理"), default=False)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("资产")
        verbose_name_plural = _("资产")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="discharge_right", factor__isnull=False)
                | (~Q(kind="discharge_right") & Q(factor=None)),
                name="assets_asset_factor_iff_discharge_right",
            ),
        ]

    def __str__(self) -> str:
        return self.name_zh


class Holding(models.Model):
    """One account of the ledger. Balances change only inside :mod:`dualcarbon.assets.ledger` (under row locks)."""

    class State(models.TextChoices):
        AVAILABLE = "available", _("可用")
        PLEDGED = "pledged", _("已质押")
        RESERVED = "reserved", _("已冻结（挂牌/储备）")
        LEASED_OUT = "leased_out", _("已出租")
        RETIRED = "retired", _("已注销")
        ISSUED = "issued", _("发行（发行方账户）")

    holder = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="asset_holdings")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="holdings")
    vintage = models.PositiveSmallIntegerField(_("年度"))
    state = models.CharField(_("状态"), max_length=12, choices=State.choices)
    balance = models.BigIntegerField(_("余额"), default=0)

    class Meta:
        ordering = ["holder_id", "asset_id", "vintage", "state"]
        verbose_name = _("资产账户")
        verbose_name_plural = _("资产账户")
        constraints = [
            models.UniqueConstraint(fields=["holder", "asset", "vintage", "state"], name="assets_holding_unique"),
            # no negative balance; the issuer's account is the negative of what it issued and never positive
            models.CheckConstraint(
                condition=(~Q(state="issued") & Q(balance__gte=0)) | Q(state="issued", balance__lte=0),
                name="assets_holding_no_negative_balance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder_id}/{self.asset_id}/{self.vintage}/{self.state}"


class LedgerTransaction(models.Model):
    """One movement of the journal (append-only, hash-chained)."""

    class Kind(models.TextChoices):
        ISSUE = "issue", _("发放/确权")
        TRANSFER = "transfer", _("转让")
        PLEDGE = "pledge", _("质押")
        RELEASE = "release", _("解除质押")
        RESERVE = "reserve", _("冻结")
        UNRESERVE = "unreserve", _("解冻")
        RETIRE = "retire", _("注销")
        SETTLE = "settle", _("交易结算")
        LEASE = "lease", _("出租")
        LEASE_RETURN = "lease_return", _("租赁归还")
        BUY_BACK = "buy_back", _("政府回购")
        ALLOCATE = "allocate", _("储备出让")

    kind = models.CharField(_("业务类型"), max_length=12, choices=Kind.choices)
    #: what the movement is for, in words a person can check (a permit number, a contract, a loan reference)
    memo = models.CharField(_("摘要"), max_length=300)
    reference = models.CharField(_("业务单号"), max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("账簿业务")
        verbose_name_plural = _("账簿业务")
        constraints = [
            # no double issuance: one issuing document (allocation notice, confirmation, certificate batch) issues once
            models.UniqueConstraint(
                fields=["reference"], condition=Q(kind="issue"), name="assets_issue_reference_once"
            ),
            models.CheckConstraint(condition=~Q(kind="issue") | ~Q(reference=""), name="assets_issue_has_reference"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"


class Posting(models.Model):
    """One line of a transaction: ``quantity`` (signed, smallest unit) into ``holding``; the postings of a
    transaction sum to zero per asset. For serial-numbered assets the line names the serial range moved."""

    txn = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="postings")
    holding = models.ForeignKey(Holding, on_delete=models.PROTECT, related_name="postings")
    quantity = models.BigIntegerField()
    serial_first = models.BigIntegerField(null=True, blank=True)
    serial_last = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["txn_id", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="assets_posting_not_zero"),
            models.CheckConstraint(
                condition=Q(serial_first__isnull=True, serial_last__isnull=True)
                | Q(serial_first__gte=1, serial_last__gte=F("serial_first")),
                name="assets_posting_serial_range",
            ),
        ]


class SerialBlock(models.Model):
    """Serials ``first``..``last`` (inclusive) of one serial-numbered asset, held in ``holding``. Blocks of an asset
    never overlap (service check under the asset's lock; on PostgreSQL an exclusion constraint, migration 0002)."""

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="serial_blocks")
    holding = models.ForeignKey(Holding, on_delete=models.PROTECT, related_name="serial_blocks")
    first = models.BigIntegerField()
    last = models.BigIntegerField()

    class Meta:
        ordering = ["asset_id", "first"]
        constraints = [
            models.CheckConstraint(condition=Q(first__gte=1, last__gte=F("first")), name="assets_serialblock_range"),
            models.UniqueConstraint(fields=["asset", "first"], name="assets_serialblock_first_unique"),
        ]

    @property
    def size(self) -> int:
        return self.last - self.first + 1


class Pledge(models.Model):
    """Rights pledged to a bank as security for a loan (质押): the units sit in the holder's ``pledged`` account
    until released."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("质押中")
        RELEASED = "released", _("已解除")

    holder = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="asset_pledges")
    bank = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="asset_pledges_received")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    vintage = models.PositiveSmallIntegerField(_("年度"))
    quantity = models.BigIntegerField(_("质押数量"))
    loan_reference = models.CharField(_("贷款合同编号"), max_length=100)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    pledge_txn = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="+")
    release_txn = models.OneToOneField(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("质押")
        verbose_name_plural = _("质押")
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="assets_pledge_positive")]


class Confirmation(models.Model):
    """排污权确权: the government confirms an enterprise's initial right to discharge ``quantity_kg`` per year of a
    factor, on the basis of its discharge permit or a new project's environmental impact assessment; re-verified
    every five years (``reverify_by``). Confirming issues the right into the ledger (``txn``)."""

    class Basis(models.TextChoices):
        PERMIT = "permit", _("排污许可证")
        EIA = "eia", _("环境影响评价批复")

    enterprise = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="discharge_confirmations")
    factor = models.ForeignKey(Factor, on_delete=models.PROTECT, related_name="+")
    quantity_kg = models.BigIntegerField(_("确权量（千克/年）"))
    basis = models.CharField(_("确权依据"), max_length=8, choices=Basis.choices)
    basis_reference = models.CharField(_("许可证编号或环评批复文号"), max_length=100)
    vintage = models.PositiveSmallIntegerField(_("年度"))
    confirmed_on = models.DateField(_("确权日期"))
    reverify_by = models.DateField(_("复核期限"))
    confirmed_by = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    txn = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["enterprise_id", "factor__position", "-confirmed_on"]
        verbose_name = _("排污权确权")
        verbose_name_plural = _("排污权确权")
        constraints = [
            models.CheckConstraint(condition=Q(quantity_kg__gt=0), name="assets_confirmation_positive"),
            models.UniqueConstraint(fields=["enterprise", "factor", "vintage"], name="assets_confirmation_once"),
        ]

    @property
    def tonnes(self) -> Decimal:
        """The confirmed quantity in tonnes per year (three decimals: the ledger counts kilograms)."""
        return (Decimal(self.quantity_kg) / 1000).quantize(Decimal("0.001"))


class FeeStandard(EffectiveDated):
    """有偿使用费标准: yuan per tonne per year of one factor in a region, effective-dated and versioned, with the
    derivation (from pollution-control costs) and the official source it was published in."""

    series_fields = ("region", "factor")

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    factor = models.ForeignKey(Factor, on_delete=models.PROTECT, related_name="+")
    yuan_per_tonne_year = models.DecimalField(_("标准（元/吨·年）"), max_digits=12, decimal_places=2)
    derivation = models.TextField(_("测算依据"))
    publisher = models.CharField(_("发布机关"), max_length=100)
    document = models.CharField(_("文件"), max_length=200)
    clause = models.CharField(_("条款"), max_length=100)
    published_on = models.DateField(_("发布日期"))

    class Meta:
        ordering = ["region_id", "factor__position", "valid_from"]
        verbose_name = _("排污权有偿使用费标准")
        verbose_name_plural = _("排污权有偿使用费标准")
        constraints = [
            valid_to_check("assets_feestandard_valid_to"),
            models.CheckConstraint(condition=Q(yuan_per_tonne_year__gt=0), name="assets_feestandard_positive"),
        ]


class Bill(models.Model):
    """A bill for the paid use of a confirmed right: tonnes × standard × years, due by ``due_date``."""

    class Status(models.TextChoices):
        OPEN = "open", _("待缴")
        PAID = "paid", _("已缴清")

    confirmation = models.ForeignKey(Confirmation, on_delete=models.PROTECT, related_name="bills")
    enterprise = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="discharge_bills")
    standard = models.ForeignKey(FeeStandard, on_delete=models.PROTECT, related_name="bills")
    quantity_kg = models.BigIntegerField(_("计费量（千克/年）"))
    years = models.PositiveSmallIntegerField(_("计费年限"))
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    derivation = models.TextField(_("计算过程"))
    issued_on = models.DateField(_("开具日期"))
    due_date = models.DateField(_("缴费期限"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["-issued_on", "-pk"]
        verbose_name = _("排污权有偿使用费缴款单")
        verbose_name_plural = _("排污权有偿使用费缴款单")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="assets_bill_positive"),
            models.CheckConstraint(condition=Q(years__gte=1), name="assets_bill_years"),
        ]

    @property
    def paid(self) -> Decimal:
        return sum((p.amount for p in self.payments.all()), Decimal("0.00"))


class Payment(models.Model):
    bill = models.ForeignKey(Bill, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    paid_on = models.DateField(_("缴款日期"))
    reference = models.CharField(_("缴款凭证号"), max_length=100)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["paid_on", "pk"]
        verbose_name = _("缴款记录")
        verbose_name_plural = _("缴款记录")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="assets_payment_positive"),
            models.UniqueConstraint(fields=["reference"], name="assets_payment_reference_unique"),
        ]


# --------------------------------------------------------------------------- trading (交易)


class TradingRule(EffectiveDated):
    """A region's trading rule, effective-dated: whether a listing of an enterprise of the region needs the
    approval of the region's government before it opens (the most specific region containing the seller wins;
    none: no approval)."""

    series_fields = ("region",)

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    approval_required = models.BooleanField(_("挂牌须经政府审核"), default=True)
    document = models.CharField(_("依据文件"), max_length=200)

    class Meta:
        ordering = ["region_id", "valid_from"]
        verbose_name = _("交易规则")
        verbose_name_plural = _("交易规则")
        constraints = [valid_to_check("assets_tradingrule_valid_to")]


class Listing(models.Model):
    """A seller's listing (挂牌) of a quantity of one holding: a timed bidding round (竞价) with a reserve price, or a
    bilateral transfer (协议转让) to a named buyer at an agreed price. Prices are yuan per tonne (a discharge right:
    per tonne per year; an allowance or CCER: per tCO2e; a certificate: per certificate)."""

    class Mode(models.TextChoices):
        AUCTION = "auction", _("竞价交易")
        BILATERAL = "bilateral", _("协议转让")

    class Status(models.TextChoices):
        PENDING = "pending", _("待政府审核")
        OPEN = "open", _("挂牌中")
        SETTLED = "settled", _("已成交")
        UNSOLD = "unsold", _("流拍")
        CANCELLED = "cancelled", _("已撤牌")
        REJECTED = "rejected", _("未获批准")

    seller = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="asset_listings")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    vintage = models.PositiveSmallIntegerField(_("年度"))
    quantity = models.BigIntegerField(_("挂牌数量"))
    mode = models.CharField(_("交易方式"), max_length=10, choices=Mode.choices)
    #: the market the listing is offered in: the seller's city (the first four digits of its region code)
    market = models.CharField(_("交易市场（地区代码前缀）"), max_length=6, db_index=True)
    reserve_price = models.DecimalField(_("起拍价（元/吨）"), max_digits=12, decimal_places=2, null=True, blank=True)
    opens_at = models.DateTimeField(_("竞价开始"), null=True, blank=True)
    closes_at = models.DateTimeField(_("竞价截止"), null=True, blank=True)
    buyer = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="asset_listings_offered"
    )
    price = models.DecimalField(_("协议价格（元/吨）"), max_digits=12, decimal_places=2, null=True, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices)
    approval_required = models.BooleanField(_("须经政府审核"), default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_note = models.CharField(_("审核意见"), max_length=300, blank=True)
    sold_quantity = models.BigIntegerField(_("成交数量"), default=0)
    reserve_txn = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="+")
    #: the settlement, or the release of the reservation (cancelled, rejected, unsold)
    close_txn = models.OneToOneField(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("挂牌")
        verbose_name_plural = _("挂牌")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="assets_listing_positive"),
            models.CheckConstraint(
                condition=Q(sold_quantity__gte=0, sold_quantity__lte=F("quantity")), name="assets_listing_sold"
            ),
            models.CheckConstraint(
                condition=Q(
                    mode="auction",
                    reserve_price__gt=0,
                    opens_at__isnull=False,
                    closes_at__gt=F("opens_at"),
                    buyer=None,
                )
                | Q(mode="bilateral", buyer__isnull=False, price__gt=0),
                name="assets_listing_terms",
            ),
        ]

    def __str__(self) -> str:
        return f"L{self.pk}"


class Bid(models.Model):
    """A buyer's bid in a bidding round: a quantity at a price (yuan per tonne); ``filled`` is what it won."""

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="bids")
    bidder = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="asset_bids")
    quantity = models.BigIntegerField(_("竞买数量"))
    price = models.DecimalField(_("报价（元/吨）"), max_digits=12, decimal_places=2)
    at = models.DateTimeField(_("报价时间"), default=timezone.now)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filled = models.BigIntegerField(_("成交数量"), default=0)

    class Meta:
        ordering = ["listing_id", "-price", "at", "pk"]
        verbose_name = _("竞买报价")
        verbose_name_plural = _("竞买报价")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0, price__gt=0), name="assets_bid_positive"),
            models.CheckConstraint(condition=Q(filled__gte=0, filled__lte=F("quantity")), name="assets_bid_filled"),
        ]


class Trade(models.Model):
    """What one buyer bought at a settlement: the rights moved in ``txn`` (one ledger transaction for the whole
    settlement) and the money it owes the seller, ``amount`` = quantity × price, to the fen, with its derivation."""

    listing = models.ForeignKey(Listing, on_delete=models.PROTECT, related_name="trades")
    bid = models.OneToOneField(Bid, null=True, blank=True, on_delete=models.PROTECT, related_name="trade")
    seller = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="asset_sales")
    buyer = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="asset_purchases")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    vintage = models.PositiveSmallIntegerField(_("年度"))
    quantity = models.BigIntegerField(_("成交数量"))
    price = models.DecimalField(_("成交价（元/吨）"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("成交金额（元）"), max_digits=16, decimal_places=2)
    derivation = models.TextField(_("计算过程"))
    txn = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="trades")
    settled_at = models.DateTimeField(_("结算时间"), default=timezone.now)

    class Meta:
        ordering = ["-settled_at", "pk"]
        verbose_name = _("成交记录")
        verbose_name_plural = _("成交记录")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0, price__gt=0, amount__gte=0), name="assets_trade_positive"
            )
        ]


# --------------------------------------------------------------------------- ETS allowances and surrender (清缴)


class Allocation(models.Model):
    """National ETS allowances allocated to a covered enterprise for a year (配额分配): the pre-allocation
    (预分配) and the true-up (核定/补发) after the year's verified emissions; each issued into its account (``txn``)."""

    class Kind(models.TextChoices):
        PRE = "pre", _("预分配")
        TRUE_UP = "true_up", _("核定补发")

    enterprise = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="ets_allocations")
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("分配类型"), max_length=8, choices=Kind.choices)
    quantity = models.BigIntegerField(_("配额（吨二氧化碳当量）"))
    reference = models.CharField(_("分配文号"), max_length=100)
    allocated_on = models.DateField(_("分配日期"))
    allocated_by = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    txn = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["enterprise_id", "year", "kind"]
        verbose_name = _("配额分配")
        verbose_name_plural = _("配额分配")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="assets_allocation_positive"),
            models.UniqueConstraint(fields=["enterprise", "year", "kind"], name="assets_allocation_once"),
        ]


class Obligation(models.Model):
    """A covered enterprise's surrender obligation for a year (清缴义务): the verified emissions, entered by the
    government with their source (the verification report), are the amount due in allowances by ``deadline``."""

    enterprise = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="ets_obligations")
    year = models.PositiveSmallIntegerField(_("年度"))
    verified_tco2 = models.BigIntegerField(_("经核查排放量（吨二氧化碳当量）"))
    source = models.CharField(_("核查依据"), max_length=200)
    deadline = models.DateField(_("清缴截止日"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["enterprise_id", "-year"]
        verbose_name = _("清缴义务")
        verbose_name_plural = _("清缴义务")
        constraints = [
            models.CheckConstraint(condition=Q(verified_tco2__gt=0), name="assets_obligation_positive"),
            models.UniqueConstraint(fields=["enterprise", "year"], name="assets_obligation_once"),
        ]


class Surrender(models.Model):
    """One surrender against an obligation (清缴): allowances and CCER retired from the enterprise's available
    accounts in one ledger transaction (``txn``, kind ``retire``)."""

    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="surrenders")
    allowances = models.BigIntegerField(_("配额（吨）"), default=0)
    allowance_vintage = models.PositiveSmallIntegerField(_("配额年度"), null=True, blank=True)
    ccer = models.BigIntegerField(_("CCER（吨）"), default=0)
    ccer_vintage = models.PositiveSmallIntegerField(_("CCER 年度"), null=True, blank=True)
    txn = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["obligation_id", "at", "pk"]
        verbose_name = _("配额清缴")
        verbose_name_plural = _("配额清缴")
        constraints = [
            models.CheckConstraint(
                condition=Q(allowances__gte=0, ccer__gte=0) & (Q(allowances__gt=0) | Q(ccer__gt=0)),
                name="assets_surrender_positive",
            )
        ]


# --------------------------------------------------------------------------- leasing (租赁)


class Lease(models.Model):
    """A lease (租赁) of ``quantity`` units of one holding of the lessor to the lessee from ``starts_on`` to
    ``ends_on`` (inclusive) for ``rent`` yuan. Offered by the lessor (units reserved), accepted by the lessee, approved
    by the government where the region's :class:`TradingRule` requires it; active: the units sit in the lessor's
    ``leased_out`` account and the lessee may use them; they return when the term ends or both parties end it
    early (docs/state-machines.md § Lease)."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("待承租方确认")
        PENDING = "pending", _("待政府审核")
        ACTIVE = "active", _("租赁中")
        RETURNED = "returned", _("已到期归还")
        TERMINATED = "terminated", _("已提前终止")
        CANCELLED = "cancelled", _("已撤回或谢绝")
        REJECTED = "rejected", _("未获批准")

    lessor = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="asset_leases_out")
    lessee = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="asset_leases_in")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    vintage = models.PositiveSmallIntegerField(_("年度"))
    quantity = models.BigIntegerField(_("租赁数量"))
    starts_on = models.DateField(_("租期开始"))
    ends_on = models.DateField(_("租期结束（含当日）"))
    rent = models.DecimalField(_("租金（元）"), max_digits=14, decimal_places=2)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OFFERED)
    approval_required = models.BooleanField(_("须经政府审核"), default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decision_note = models.CharField(_("审核意见"), max_length=300, blank=True)
    #: early termination: the party that asked first (the other one's confirmation ends the lease)
    termination_requested_by = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reserve_txn = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="+")
    lease_txn = models.OneToOneField(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: the return (term ended, terminated) or the release of the reservation (withdrawn, declined, rejected)
    close_txn = models.OneToOneField(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("排污权租赁")
        verbose_name_plural = _("排污权租赁")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0, rent__gt=0), name="assets_lease_positive"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="assets_lease_term"),
            models.CheckConstraint(condition=~Q(lessor=F("lessee")), name="assets_lease_two_parties"),
        ]

    def __str__(self) -> str:
        return f"R{self.pk}"


# --------------------------------------------------------------------------- reserve (储备) and revenue (收入)


class RevenueAccount(models.Model):
    """A region's account of the revenue from the paid use and sale of discharge rights (收入账户). Its balance is
    the sum of its entries less its uses, never negative (CHECK; services lock the row)."""

    region = models.OneToOneField(Region, on_delete=models.PROTECT, related_name="+")
    balance = models.DecimalField(_("余额（元）"), max_digits=16, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        ordering = ["region_id"]
        verbose_name = _("收入账户")
        verbose_name_plural = _("收入账户")
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="assets_revenue_not_negative")]


class BuyBack(models.Model):
    """政府回购: a government body buys rights back from an enterprise into its reserve at a price (yuan per tonne).
    Offered by the government, accepted by the enterprise (the units move into the reserve and the amount is owed
    to the enterprise), paid by the government from the region's revenue account (a :class:`RevenueUse`)."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("待企业确认")
        OWED = "owed", _("已回购，待付款")
        PAID = "paid", _("已付款")
        DECLINED = "declined", _("企业已谢绝")

    government = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="asset_buy_backs")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    vintage = models.PositiveSmallIntegerField(_("年度"))
    quantity = models.BigIntegerField(_("回购数量"))
    price = models.DecimalField(_("回购价（元/吨）"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("回购金额（元）"), max_digits=16, decimal_places=2)
    derivation = models.TextField(_("计算过程"))
    agreement = models.CharField(_("回购协议编号"), max_length=100)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OFFERED)
    txn = models.OneToOneField(LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    offered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    offered_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(_("企业确认时间"), null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("政府回购")
        verbose_name_plural = _("政府回购")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0, price__gt=0, amount__gt=0), name="assets_buyback_positive"
            ),
            models.UniqueConstraint(fields=["agreement"], name="assets_buyback_agreement_once"),
        ]


class ReserveAllocation(models.Model):
    """A direct allocation (储备出让) of rights from a government's reserve to an enterprise, charged at the fee
    standard in force: tonnes × standard × years, to the fen; the amount is booked to the revenue account."""

    government = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="asset_reserve_allocations")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="+")
    vintage = models.PositiveSmallIntegerField(_("年度"))
    quantity = models.BigIntegerField(_("出让数量"))
    standard = models.ForeignKey(FeeStandard, on_delete=models.PROTECT, related_name="+")
    years = models.PositiveSmallIntegerField(_("计费年限"))
    amount = models.DecimalField(_("金额（元）"), max_digits=16, decimal_places=2)
    derivation = models.TextField(_("计算过程"))
    reference = models.CharField(_("出让文号"), max_length=100)
    allocated_on = models.DateField(_("出让日期"))
    txn = models.OneToOneField(LedgerTransaction, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-allocated_on", "-pk"]
        verbose_name = _("储备出让")
        verbose_name_plural = _("储备出让")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0, amount__gt=0), name="assets_reservealloc_positive"),
            models.UniqueConstraint(fields=["reference"], name="assets_reservealloc_reference_once"),
        ]


class RevenueEntry(models.Model):
    """Income of a revenue account: a payment of a paid-use bill, a reserve sale (a trade settled from a
    government's listing) or a direct allocation from the reserve; each with the one record it comes from."""

    class Source(models.TextChoices):
        BILL_PAYMENT = "bill_payment", _("有偿使用费缴款")
        RESERVE_SALE = "reserve_sale", _("储备竞价出让")
        RESERVE_ALLOCATION = "reserve_alloc", _("储备直接出让")

    account = models.ForeignKey(RevenueAccount, on_delete=models.PROTECT, related_name="entries")
    source = models.CharField(_("收入来源"), max_length=16, choices=Source.choices)
    amount = models.DecimalField(_("金额（元）"), max_digits=16, decimal_places=2)
    #: the factor of the discharge right paid for (empty: another asset sold from the reserve)
    factor = models.ForeignKey(Factor, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    #: the payer's region (its district)
    district = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    payer = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    payment = models.OneToOneField(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="revenue")
    trade = models.OneToOneField(Trade, null=True, blank=True, on_delete=models.PROTECT, related_name="revenue")
    allocation = models.OneToOneField(
        ReserveAllocation, null=True, blank=True, on_delete=models.PROTECT, related_name="revenue"
    )
    booked_on = models.DateField(_("入账日期"))
    derivation = models.TextField(_("来源与计算"))

    class Meta:
        ordering = ["booked_on", "pk"]
        verbose_name = _("收入")
        verbose_name_plural = _("收入")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="assets_revenueentry_positive"),
            models.CheckConstraint(
                condition=Q(source="bill_payment", payment__isnull=False, trade=None, allocation=None)
                | Q(source="reserve_sale", trade__isnull=False, payment=None, allocation=None)
                | Q(source="reserve_alloc", allocation__isnull=False, payment=None, trade=None),
                name="assets_revenueentry_one_source",
            ),
        ]


class RevenueUse(models.Model):
    """A use of a revenue account (收入使用) in a category the revenue rules name, approved (by whom, under which
    document) and evidenced; never more than the balance."""

    class Category(models.TextChoices):
        POLLUTION_CONTROL = "pollution_control", _("污染防治项目")
        BUY_BACK = "buy_back", _("排污权回购储备")
        MONITORING = "monitoring", _("监测监管能力建设")
        PLATFORM = "platform", _("交易平台建设与运行")

    account = models.ForeignKey(RevenueAccount, on_delete=models.PROTECT, related_name="uses")
    category = models.CharField(_("使用类别"), max_length=20, choices=Category.choices)
    amount = models.DecimalField(_("金额（元）"), max_digits=16, decimal_places=2)
    purpose = models.CharField(_("用途"), max_length=300)
    approval_reference = models.CharField(_("批准文号"), max_length=100)
    evidence = models.CharField(_("凭证"), max_length=300)
    used_on = models.DateField(_("支出日期"))
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    buy_back = models.OneToOneField(BuyBack, null=True, blank=True, on_delete=models.PROTECT, related_name="payment")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["used_on", "pk"]
        verbose_name = _("收入使用")
        verbose_name_plural = _("收入使用")
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="assets_revenueuse_positive")]

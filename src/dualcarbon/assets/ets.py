"""National ETS allowances and surrender (清缴, docs/assets.md § ETS): the only writer of allocations, obligations and
surrenders.

* :func:`allocate` — the government of a covered enterprise's region issues its allowances (CEA, tCO2e) for a year:
  the pre-allocation and the true-up, each once, each under its allocation notice (an issuance: no double issuance).
* :func:`set_obligation` — the government enters the year's verified emissions with their source (the verification
  report): the amount due. The platform's own carbon account is not the ETS's verified figure (other boundaries and
  methods), so the figure is entered, not computed; the page shows the platform's account total for the year beside
  it (:func:`account_total`, through ``accounting.services``) as a cross-check.
* :func:`surrender` — the enterprise's staff retire allowances and CCER against the obligation in one ledger
  transaction; CCER may cover at most 5 % of the amount due (:data:`CCER_SHARE`, refused above with the cap and the
  quantity asked); more than is still due is refused. :func:`status` gives the surrendered quantities and the
  shortfall.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dualcarbon.accounting import claims_register
from dualcarbon.accounting import services as accounting
from dualcarbon.registry.models import Organisation

from . import ledger, scoping, services
from .ledger import Move
from .models import Allocation, Asset, Holding, LedgerTransaction, Obligation, Surrender

State = Holding.State
#: CCER may cover at most this share of the amount due (全国碳排放权交易管理办法: 抵销比例不超过应清缴配额的 5%)
CCER_SHARE = Decimal("0.05")


def _refuse(field_name: str, message: Any, **params: Any) -> ValidationError:
    return ValidationError({field_name: ValidationError(message, params=params)})


def _positive(value: Any, field_name: str) -> int:
    text = str(value).strip()
    if not text.isdigit() or int(text) <= 0:
        raise _refuse(field_name, _("须为正整数（吨二氧化碳当量）：%(v)s"), v=value)
    return int(text)


def ccer_cap(due: int) -> int:
    """The most CCER (whole tonnes) usable against ``due``: 5 % of it, rounded down."""
    return int(Decimal(due) * CCER_SHARE)


def allocate(
    user: Any,
    enterprise: Organisation,
    year: Any,
    kind: str,
    quantity: Any,
    *,
    reference: str,
    allocated_on: datetime.date,
) -> Allocation:
    """Issue a year's pre-allocation or true-up of allowances to a covered enterprise (once each)."""
    body = services.government_of(user, enterprise)
    year = services._vintage(year)
    if kind not in Allocation.Kind.values:
        raise _refuse("kind", _("分配类型须为预分配或核定补发"))
    quantity = _positive(quantity, "quantity")
    if Allocation.objects.filter(enterprise=enterprise, year=year, kind=kind).exists():
        raise _refuse("kind", _("%(y)s 年度的%(k)s已发放，不得重复"), y=year, k=Allocation.Kind(kind).label)
    reference = (reference or "").strip()
    if not reference:
        raise _refuse("reference", _("请填写分配文号"))
    with transaction.atomic():
        txn = services.issue(
            user,
            Asset.objects.get(code="CEA"),
            enterprise,
            year,
            quantity,
            reference=f"配额/{reference}",
            memo=f"{year} 年度配额{Allocation.Kind(kind).label}（{reference}）",
        )
        return Allocation.objects.create(
            enterprise=enterprise,
            year=year,
            kind=kind,
            quantity=quantity,
            reference=reference,
            allocated_on=allocated_on,
            allocated_by=body,
            user=user,
            txn=txn,
        )


def set_obligation(
    user: Any, enterprise: Organisation, year: Any, verified_tco2: Any, *, source: str, deadline: datetime.date
) -> Obligation:
    """The government enters a year's verified emissions (the amount due) with their source; once per year."""
    services.government_of(user, enterprise)
    year = services._vintage(year)
    due = _positive(verified_tco2, "verified_tco2")
    if not (source or "").strip():
        raise _refuse("source", _("请注明核查依据（核查报告编号、核查机构）"))
    if deadline.year <= year:
        raise _refuse("deadline", _("清缴截止日须在 %(y)s 年之后"), y=year)
    if Obligation.objects.filter(enterprise=enterprise, year=year).exists():
        raise _refuse("year", _("%(y)s 年度的清缴义务已登记"), y=year)
    return Obligation.objects.create(
        enterprise=enterprise,
        year=year,
        verified_tco2=due,
        source=source.strip()[:200],
        deadline=deadline,
        entered_by=user,
    )


@dataclass(frozen=True)
class Status:
    obligation: Obligation
    allowances: int  # surrendered
    ccer: int
    cap: int  # CCER cap
    shortfall: int
    late: bool  # past the deadline with a shortfall

    @property
    def surrendered(self) -> int:
        return self.allowances + self.ccer


def status(obligation: Obligation, today: datetime.date | None = None) -> Status:
    sums = obligation.surrenders.aggregate(a=Sum("allowances"), c=Sum("ccer"))
    a, c = int(sums["a"] or 0), int(sums["c"] or 0)
    short = max(0, obligation.verified_tco2 - a - c)
    day = today or timezone.localdate()
    return Status(
        obligation, a, c, ccer_cap(obligation.verified_tco2), short, bool(short and day > obligation.deadline)
    )


def statuses(obligations: Any, limit: int = 300, today: datetime.date | None = None) -> list[Status]:
    """:func:`status` of the first ``limit`` obligations of a queryset, in one query."""
    day = today or timezone.localdate()
    out = []
    rows = obligations.annotate(a_sum=Sum("surrenders__allowances"), c_sum=Sum("surrenders__ccer"))[:limit]
    for ob in rows:
        a, c = int(ob.a_sum or 0), int(ob.c_sum or 0)
        short = max(0, ob.verified_tco2 - a - c)
        out.append(Status(ob, a, c, ccer_cap(ob.verified_tco2), short, bool(short and day > ob.deadline)))
    return out


def account_total(enterprise: Organisation, year: int) -> Decimal | None:
    """The platform's carbon account total for the year (tCO2e, the current monthly entries; none without any), for
    comparison with the verified figure."""
    code = enterprise.region.code if enterprise.region is not None else ""
    rows = list(accounting.current_entries(code, [year], enterprise_ids=[enterprise.pk]))
    if not rows:
        return None
    return sum((Decimal(str(r["total_tco2e"])) for r in rows), Decimal("0")).quantize(Decimal("0.1"))


def surrender(
    user: Any,
    obligation_id: int,
    *,
    allowances: Any = 0,
    allowance_vintage: Any = None,
    ccer: Any = 0,
    ccer_vintage: Any = None,
) -> Surrender:
    """The enterprise's staff surrender allowances (of the obligation's year or earlier) and CCER against the
    obligation, in one ledger transaction. Refused: CCER above 5 % of the amount due (naming the cap and the
    quantity asked), more than is still due, an empty surrender, an overdraft."""
    with transaction.atomic():
        ledger.write_lock()
        ob = (
            ledger.for_update(scoping.obligations(user).select_related("enterprise__region"))
            .filter(pk=obligation_id)
            .first()
        )
        if ob is None:
            raise Obligation.DoesNotExist
        if not scoping.can_hold(user, ob.enterprise):
            raise PermissionDenied(_("只有控排企业本身的人员可以清缴"))
        a = 0 if str(allowances).strip() in ("", "0") else _positive(allowances, "allowances")
        c = 0 if str(ccer).strip() in ("", "0") else _positive(ccer, "ccer")
        if not a and not c:
            raise _refuse("allowances", _("请填写清缴的配额或 CCER 数量"))
        now = status(ob)
        if c and now.ccer + c > now.cap:
            raise _refuse(
                "ccer",
                _(
                    "CCER 抵销不得超过应清缴量 %(due)s 吨的 5%%，即 %(cap)s 吨；本次申请 %(asked)s 吨"
                    "（已使用 %(used)s 吨）"
                ),
                due=ob.verified_tco2,
                cap=now.cap,
                asked=c,
                used=now.ccer,
            )
        if a + c > now.shortfall:
            raise _refuse(
                "allowances",
                _("本次清缴 %(asked)s 吨超过尚待清缴的 %(short)s 吨"),
                asked=a + c,
                short=now.shortfall,
            )
        moves, av, cv = [], None, None
        if a:
            av = services._vintage(allowance_vintage)
            if av > ob.year:
                raise _refuse("allowance_vintage", _("不能以 %(v)s 年度的配额清缴 %(y)s 年度"), v=av, y=ob.year)
            moves.append(Move(Asset.objects.get(code="CEA"), av, a, (ob.enterprise_id, State.AVAILABLE),
                              (ob.enterprise_id, State.RETIRED)))  # fmt: skip
        if c:
            cv = services._vintage(ccer_vintage)
            moves.append(Move(Asset.objects.get(code="CCER"), cv, c, (ob.enterprise_id, State.AVAILABLE),
                              (ob.enterprise_id, State.RETIRED)))  # fmt: skip
        txn = ledger.execute(
            LedgerTransaction.Kind.RETIRE,
            moves,
            memo=f"{ob.year} 年度配额清缴（配额 {a} 吨，CCER {c} 吨）",
            reference=f"清缴/{ob.year}/{ob.enterprise.uscc}",
            user=user,
        )
        if c:  # one claim per reduction: the CCER surrendered are claimed as the ETS offset (docs/assets.md)
            services.claim_retired(
                txn, ob.enterprise, claims_register.Purpose.ETS_OFFSET, f"清缴/{ob.year}/{ob.enterprise.uscc}"
            )
        done = Surrender.objects.create(
            obligation=ob, allowances=a, allowance_vintage=av, ccer=c, ccer_vintage=cv, txn=txn, user=user
        )
        from . import compliance  # (a module above this one: it reads ets.status)

        # after the deadline: a shortfall left, or the surrender completed late, raises its alert now
        compliance.check_obligation(ob)
        return done

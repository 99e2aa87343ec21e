"""The demo region's bank products, applications, loans and financing needs (docs/finance.md), through the finance
services: two products per demo bank, applications in every state (approved into loans with drawdowns and a
repayment, declined, withdrawn, awaiting the bank), financing needs posted by enterprises and by the government on
their behalf, and one push of them to two banks.

The products' terms are illustrative (a bank's own base rate and spreads, not any real bank's price list)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from dualcarbon.finance import lending
from dualcarbon.finance.models import LoanApplication
from dualcarbon.registry import access
from dualcarbon.registry.models import Membership, Organisation

#: (bank username, code, name, purpose tag, rule, min, max amount, terms, base bp, spreads)
PRODUCTS: tuple[tuple[Any, ...], ...] = (
    (
        "bank",
        "TXD",
        "碳效贷",
        "carbon",
        {"fact": "grade", "op": "<=", "value": 4},
        "500000",
        "30000000",
        (6, 36),
        385,
        {"1": -40, "2": -20, "3": 0, "4": 35},
    ),
    (
        "bank",
        "ZXSJ",
        "转型升级贷",
        "transition",
        {"all": [{"fact": "grade", "op": "<=", "value": 3}, {"fact": "above_scale", "op": "=", "value": True}]},
        "1000000",
        "50000000",
        (12, 60),
        395,
        {"1": -30, "2": -15, "3": 0},
    ),
    (
        "bank2",
        "LSXD",
        "绿色信贷·碳账户版",
        "green",
        {"fact": "grade", "op": "<=", "value": 2},
        "1000000",
        "80000000",
        (12, 84),
        370,
        {"1": -35, "2": -10},
    ),
    (
        "bank2",
        "TJX",
        "碳减排挂钩流贷",
        "carbon",
        {"fact": "level", "op": "in", "value": ["low", "medium"]},
        "300000",
        "10000000",
        (6, 24),
        410,
        {"1": -40, "2": -25, "3": -10, "4": 0, "5": 20},
    ),
    (
        "bank3",
        "LZ",
        "绿色转型贷",
        "transition",
        {"fact": "grade", "op": "<=", "value": 3},
        "2000000",
        "100000000",
        (12, 96),
        380,
        {"1": -30, "2": -20, "3": 0},
    ),
    (
        "bank3",
        "XCD",
        "低碳小微贷",
        "green",
        {"fact": "size", "op": "in", "value": ["small", "micro"]},
        "100000",
        "3000000",
        (6, 36),
        430,
        {"1": -30, "2": -20, "3": -10, "4": 0, "5": 25},
    ),
)


def _staff(org: Organisation) -> Any:
    m = Membership.objects.filter(organisation=org, role=Membership.Role.ENTERPRISE_STAFF).select_related("user")
    first = m.order_by("pk").first()
    return first.user if first else None


def build(user_by_name: dict[str, Any], years: Sequence[int]) -> dict[str, int]:
    start = datetime.date(years[-1], 1, 1)
    products = {}
    for bank, code, name, tag, rule, lo, hi, (tmin, tmax), base, spreads in PRODUCTS:
        products[(bank, code)] = lending.create_product(
            user_by_name[bank],
            None,
            code=code,
            name_zh=name,
            purpose_tag=tag,
            valid_from=start,
            rule=rule,
            min_amount=lo,
            max_amount=hi,
            min_term=tmin,
            max_term=tmax,
            base_rate_bp=base,
            grade_spreads=spreads,
            description="示范产品：利率与条件为示意，非任何银行的实际报价 / demo product: illustrative terms",
        )
    enterprises = list(Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE, is_active=True).order_by("pk"))
    gov = user_by_name["gov"]
    # financing needs: ent1–ent3 post their own, the government posts for the next eight firms
    needs = {}
    for i, org in enumerate(enterprises[:11]):
        user = _staff(org) if i < 3 else gov
        if user is None:
            continue
        needs[org.pk] = lending.post_need(
            user,
            org,
            amount=str(Decimal(5_000_000 + 2_500_000 * (i % 5))),
            purpose_tag=("transition", "green", "carbon")[i % 3],
            purpose=("余热余压利用改造", "屋顶光伏与储能", "电机系统能效提升", "燃煤锅炉清洁能源替代")[i % 4],
            term_months=(24, 36, 60)[i % 3],
        )
    if needs:
        lending.push_needs(
            gov,
            access.actor_for(gov).region_prefixes[0].ljust(6, "0"),
            title=f"{years[-1]} 年第一批碳账户融资需求",
            needs=[need.pk for need in needs.values()],  # the needs' ids (the dict is keyed by enterprise)
            banks=sorted(
                access.actor_for(user_by_name["bank"]).bank_ids | access.actor_for(user_by_name["bank2"]).bank_ids
            ),
        )
    # applications to 碳效贷 of the first bank by the firms that qualify: approved (loans), one declined, one
    # withdrawn, one left for the bank to decide
    txd = products[("bank", "TXD")]
    version = lending.version_on(txd)
    bank_user = user_by_name["bank"]
    made: list[LoanApplication] = []
    for org in enterprises:
        if len(made) >= 9:
            break
        user = _staff(org)
        if user is None or version is None:
            continue
        o = lending.offer(txd, version, lending.enterprise_facts(org))
        if not o.eligible:
            continue
        amount = Decimal(1_000_000 * (1 + len(made) % 5))
        made.append(
            lending.apply(
                user,
                org,
                txd,
                amount=str(amount),
                term_months=(12, 24, 36)[len(made) % 3],
                purpose=("流动资金周转", "节能技改", "光伏项目建设")[len(made) % 3],
                need=needs.get(org.pk),
                grant_consent=True,
            )
        )
    counts = {"loan_products": len(products), "loan_applications": len(made), "loans": 0, "financing_needs": len(needs)}
    for i, app in enumerate(made):
        if i == len(made) - 1:
            continue  # awaiting the bank
        if i == len(made) - 2:
            lending.withdraw_application(app.applied_by, app)
            continue
        if i == 3:
            lending.decide(bank_user, app, approve=False, reason="近三年经营性现金流不足以覆盖还款，暂不授信")
            continue
        rate = app.quoted_rate_bp or txd.versions.get().base_rate_bp
        lending.decide(bank_user, app, approve=True, amount=str(app.amount), rate_bp=rate, term_months=app.term_months)
        loan = app.loan
        lending.record_movement(bank_user, loan, "drawdown", str(loan.amount * Decimal("0.6")), note="首笔提款")
        if i % 2 == 0:
            lending.record_movement(bank_user, loan, "repayment", str(loan.amount * Decimal("0.1")), note="按期还本")
        counts["loans"] += 1
    return counts

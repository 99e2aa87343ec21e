"""Products, applications, decisions, loans, needs and statistics (finance/lending.py, docs/finance.md): what an
enterprise is told about a product, how it is priced, the decision state machine, drawdowns never over the approved
amount, and government statistics that never show a single loan."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from dualcarbon.finance import lending, scoping
from dualcarbon.finance.models import FinancingNeed, Loan, LoanApplication, LoanMovement, NeedPush, ProductVersion
from dualcarbon.registry.models import Consent

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("finance-loans")]


def _apply(lw, who="cement", org=None, product=None, **kw):
    args = {"amount": "5000000.00", "term_months": 24, "purpose": "窑炉余热发电改造", "grant_consent": True, **kw}
    return lending.apply(lw.users[who], org or lw.world.cement, product or lw.product, **args)


def test_an_enterprise_is_told_why_it_qualifies_and_by_how_much_it_misses(lw):
    facts, offers = lending.offers(lw.world.cement)
    by_code = {o.product.code: o for o in offers}
    txd, zxd = by_code["TXD"], by_code["ZXD"]
    assert facts.values()["grade"] == 3 and facts.values()["industry"] == "30"
    assert txd.eligible and txd.rate_bp == 385  # grade 3: base 385 + 0
    assert txd.reasons() == [
        "碳效等级 ≤ 4 级：本企业为 3 级，满足",
        "行业（大类） 为 非金属矿物制品业（30）、黑色金属冶炼和压延加工业（31） 之一："
        "本企业为 非金属矿物制品业（30），满足",
    ]
    assert not zxd.eligible and offers.index(txd) < offers.index(zxd)  # eligible first
    grade, intensity = zxd.evaluation.to_fix
    assert (grade.condition.fact, grade.delta) == ("grade", Decimal(-2))  # grade 3 → 1: two steps
    actual = facts.values()["intensity"]
    assert intensity.delta == Decimal("0.5") - actual  # the figure must fall to the boundary
    assert zxd.to_fix()[0] == "碳效等级需达到 1 级（相差 2 级）"
    assert zxd.to_fix()[1].startswith("碳排放强度再降低 86.0 %（3.0841 tCO2/万元）")
    with translation.override("en"):
        assert "grade" in zxd.to_fix()[0].lower() or "Grade" in zxd.to_fix()[0]


def test_grade_linked_price_on_its_boundaries(lw):
    v = lending.version_on(lw.product)
    assert [lending.price(v, g) for g in (1, 2, 3, 4, 5, None)] == [345, 365, 385, 415, None, None]
    base = {
        "rule": {"fact": "grade", "op": "<=", "value": 3},
        "min_amount": "1",
        "max_amount": "1",
        "min_term": 1,
        "max_term": 1,
    }
    # the highest and the lowest rate a grade may reach are accepted; one bp beyond is refused, located
    lending.check_version({**base, "base_rate_bp": 2370, "grade_spreads": {"1": 30}})
    lending.check_version({**base, "base_rate_bp": 41, "grade_spreads": {"1": -40}})
    for rate, spread in ((2371, 30), (40, -40)):
        with pytest.raises(ValidationError) as e:
            lending.check_version({**base, "base_rate_bp": rate, "grade_spreads": {"1": spread}})
        assert "超出 1–2400 基点" in e.value.message_dict["grade_spreads"][0]
    with pytest.raises(ValidationError) as e:
        lending.check_version(
            {**base, "min_amount": "-5", "max_amount": "1.001", "base_rate_bp": 0, "grade_spreads": "6:1"}
        )
    errors = e.value.message_dict
    assert errors["min_amount"] == ["金额须大于零（现为 -5 元）"]
    assert errors["max_amount"] == ["金额“1.001”最多保留两位小数（到分）"]
    assert set(errors) >= {"base_rate_bp", "grade_spreads"}


def test_a_new_version_ends_the_open_one_and_every_version_is_kept(lw):
    terms = {k: getattr(lending.version_on(lw.product), k) for k in lending.VERSION_FIELDS}
    terms["base_rate_bp"] = 375
    day = datetime.date(2025, 7, 1)
    v2 = lending.publish_version(lw.users["bank"], lw.product, day, **terms)
    v1 = ProductVersion.objects.get(product=lw.product, version=1)
    assert (v1.valid_to, v2.version, v2.valid_to) == (day, 2, None)
    with pytest.raises(ValidationError):  # starts before v2 but after v1 began: overlaps v2
        lending.publish_version(lw.users["bank"], lw.product, datetime.date(2025, 3, 1), **terms)
    assert ProductVersion.objects.filter(product=lw.product).count() == 2
    with pytest.raises(PermissionDenied):
        lending.publish_version(lw.users["bank2"], lw.product, datetime.date(2026, 1, 1), **terms)


def test_applying_checks_ranges_eligibility_and_consent_and_writes_nothing_on_a_refusal(lw):
    steel = {"who": "steel", "org": lw.world.steel}  # steel has given the bank no consent yet
    before = (LoanApplication.objects.count(), Consent.objects.count())
    with pytest.raises(ValidationError) as e:
        _apply(lw, amount="50000", term_months=48, grant_consent=False, **steel)
    errors = e.value.message_dict
    assert errors["amount"] == ["申请金额 50000.00 元不在该产品的额度范围（100000.00–20000000.00 元）内"]
    assert errors["term_months"] == ["申请期限 48 个月不在该产品的期限范围（6–36 个月）内"]
    assert errors["consent"] == [
        "申请前须授权示范农商银行查阅本企业的账户汇总和碳效等级（用途：授信评估）；可在申请时一并授权"
    ]
    with pytest.raises(ValidationError) as e:
        _apply(lw, product=lw.strict, amount="2000000", term_months=24)
    assert e.value.message_dict["product"][0].startswith("不满足该产品的准入条件：碳效等级需达到 1 级（相差 2 级）")
    with pytest.raises(PermissionDenied):
        _apply(lw, who="steel")  # not cement's staff
    assert (LoanApplication.objects.count(), Consent.objects.count()) == before
    app = _apply(lw, **steel)  # grants the consent for credit assessment in the same step
    assert app.consent.purpose_code == "credit_assessment" and set(app.consent.scopes) == {"summary", "grade"}
    assert (app.quoted_rate_bp, app.evaluation["year"]) == (lending.price(app.version, app.grade), 2024)
    assert Consent.objects.count() == before[1] + 1
    with pytest.raises(ValidationError) as e:
        _apply(lw, **steel)
    assert "已有该产品待审批的申请" in e.value.message_dict["product"][0]


def test_the_decision_state_machine_refuses_invalid_moves(lw):
    app = _apply(lw)
    with pytest.raises(PermissionDenied):
        lending.decide(lw.users["bank2"], app, approve=False, reason="不是本行")
    with pytest.raises(ValidationError) as e:
        lending.decide(lw.users["bank"], app, approve=False, reason=" ")
    assert "reason" in e.value.message_dict
    with pytest.raises(ValidationError) as e:
        lending.decide(lw.users["bank"], app, approve=True, amount="30000000", rate_bp=2500, term_months=24)
    assert set(e.value.message_dict) == {"amount", "rate_bp"}
    assert not Loan.objects.filter(application=app).exists()
    lending.decide(lw.users["bank"], app, approve=True, amount="4000000", rate_bp=380, term_months=24)
    loan = Loan.objects.get(application=app)
    assert (loan.amount, loan.rate_bp, loan.grade, loan.region_code, loan.industry_code) == (
        Decimal("4000000.00"),
        380,
        3,
        "339901",
        "30",
    )
    for move in (
        lambda: lending.decide(lw.users["bank"], app, approve=False, reason="再议"),
        lambda: lending.withdraw_application(lw.users["cement"], app),
    ):
        with pytest.raises(ValidationError) as e:
            move()
        assert e.value.message_dict["status"] == ["该申请的状态为“已批准”，不能再审批或撤回"]
    assert Loan.objects.filter(application=app).count() == 1


def test_a_drawdown_over_the_approved_amount_is_refused_and_nothing_is_written(lw):
    app = _apply(lw)
    lending.decide(lw.users["bank"], app, approve=True, amount="1000000", rate_bp=385, term_months=12)
    loan = Loan.objects.get(application=app)
    bank = lw.users["bank"]
    lending.record_movement(bank, loan, "drawdown", "600000.00")
    with pytest.raises(ValidationError) as e:
        lending.record_movement(bank, loan, "drawdown", "400000.01")
    assert e.value.message_dict["amount"] == [
        "提款 400000.01 元超过可提余额 400000.00 元（授信 1000000.00 元，已提 600000.00 元）"
    ]
    with pytest.raises(ValidationError):
        lending.record_movement(bank, loan, "repayment", "600000.01")
    lending.record_movement(bank, loan, "drawdown", "1.50")
    loan.refresh_from_db()
    assert (loan.drawn, loan.outstanding) == (Decimal("600001.50"), Decimal("600001.50"))
    lending.record_movement(bank, loan, "repayment", "600001.50")
    loan.refresh_from_db()
    assert (loan.drawn, loan.outstanding, loan.movements.count()) == (Decimal("600001.50"), 0, 3)
    assert list(LoanMovement.objects.filter(loan=loan).values_list("outstanding_after", flat=True)) == [
        Decimal("600000.00"),
        Decimal("600001.50"),
        Decimal("0.00"),
    ]


def test_scoping_bank_a_never_sees_bank_b_and_an_enterprise_only_its_own(lw):
    app = _apply(lw)
    assert scoping.bank_applications(lw.users["bank"]).filter(pk=app.pk).exists()
    assert not scoping.bank_applications(lw.users["bank2"]).filter(pk=app.pk).exists()
    assert scoping.enterprise_applications(lw.users["cement"]).filter(pk=app.pk).exists()
    for who in ("steel", "gov", "district", "verifier"):
        assert not scoping.enterprise_applications(lw.users[who]).filter(pk=app.pk).exists()
        assert not scoping.bank_applications(lw.users[who]).exists()
    assert scoping.statistics_loans(lw.users["bank"]) is None
    assert scoping.statistics_loans(lw.users["cement"]) is None


def test_weighted_rate_and_small_cell_suppression():
    assert lending.weighted_rate([(Decimal("1000000"), 400), (Decimal("3000000"), 360)]) == Decimal("370.00")
    assert lending.weighted_rate([(Decimal("1"), 401), (Decimal("2"), 400)]) == Decimal("400.33")
    assert lending.weighted_rate([]) is None
    cells = [lending.StatCell(k, k, n, Decimal(n), Decimal(0), None) for k, n in (("a", 5), ("b", 2), ("c", 4))]
    lending.suppress(cells, 11)
    assert [(c.key, c.suppressed, c.why) for c in cells] == [
        ("a", False, ""),
        ("b", True, "primary"),
        ("c", True, "secondary"),  # else total − a − c would give b's two loans away
    ]
    cells = [lending.StatCell(k, k, n, Decimal(n), Decimal(0), None) for k, n in (("a", 5), ("b", 1), ("c", 2))]
    lending.suppress(cells, 8)
    assert [c.why for c in cells] == ["", "primary", "primary"]  # together 3 loans: enough


def test_statistics_for_government_aggregate_loans_and_need_followup(lw):
    rates = {}
    for i, org in enumerate([lw.world.cement, lw.world.steel, *lw.rw.peers]):
        user = lw.users["cement" if i == 0 else "steel" if i == 1 else f"peer{i - 2}"]
        need = lending.post_need(
            lw.users["gov"], org, amount="8000000", purpose_tag="carbon", purpose="技改", term_months=24
        )
        try:
            app = lending.apply(
                user, org, lw.product, amount="5000000", term_months=24, purpose="技改", need=need, grant_consent=True
            )
        except ValidationError:
            continue  # a peer not eligible (grade 5): no loan
        rates[org.pk] = 360 + 10 * i
        lending.decide(
            lw.users["bank"], app, approve=True, amount=f"{1000000 * (i + 1)}", rate_bp=rates[org.pk], term_months=24
        )
    loans = list(Loan.objects.all())
    assert len(loans) == len(rates) >= 3
    qs = scoping.statistics_loans(lw.users["gov"])
    cells, total = lending.loan_statistics(qs, "purpose")
    expected = lending.weighted_rate((x.amount, x.rate_bp) for x in loans)
    assert (total.count, total.rate_bp, total.suppressed) == (len(loans), expected, False)
    assert [c.shown()["count"] for c in cells] == [len(loans)]
    for dim in ("district", "industry", "grade"):
        cells, total = lending.loan_statistics(qs, dim)
        shown = [c for c in cells if not c.suppressed]
        assert all(c.count >= lending.MIN_LOANS for c in shown)
        hidden = [c for c in cells if c.suppressed]
        assert not hidden or sum(c.count for c in hidden) >= lending.MIN_LOANS
        assert all("count" not in c.shown() for c in hidden)
    # the district government sees only its district's loans
    district = scoping.statistics_loans(lw.users["district"])
    assert set(district.values_list("region_code", flat=True)) == {"339901"}
    needs = list(FinancingNeed.objects.all())
    f = lending.need_followup(needs)
    assert (f.firms, f.needed, f.granted) == (
        len(needs),
        Decimal(8000000) * len(needs),
        sum((x.amount for x in loans), Decimal(0)),
    )
    with pytest.raises(ValidationError):
        lending.loan_statistics(qs, "bank")


def test_a_push_to_a_region_the_registry_does_not_know_is_refused_on_the_region_field(lw):
    need = lending.post_need(
        lw.users["gov"], lw.world.cement, amount="8000000", purpose_tag="carbon", purpose="技改", term_months=24
    )
    with pytest.raises(ValidationError) as exc:  # within the governed prefix, but no such region
        lending.push_needs(lw.users["gov"], "339977", title="x", needs=[need.pk], banks=[lw.world.bank.pk])
    assert exc.value.message_dict["region"] == ["没有代码为“339977”的地区，请重新选择地区"]
    with translation.override("en"):
        assert exc.value.message_dict["region"] == ["There is no region with code “339977”; choose a region again"]
    assert not NeedPush.objects.exists()

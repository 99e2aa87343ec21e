"""Bank products, loan applications, loans and financing needs (docs/finance.md § Products … § Statistics): the only
place that writes them.

* A bank's staff publish products and new versions of their terms (:func:`create_product`,
  :func:`publish_version`): eligibility as a rule over account facts (``engine/eligibility.py`` over
  ``rating/facts.py``), amount and term ranges, a base rate and a spread per grade (bp). Versions are effective-dated
  and never overlap (``registry.effective.supersede``).
* An enterprise's staff see the products in force with the reasons they qualify or the conditions they miss and by
  how much (:func:`offers`), and apply (:func:`apply`) under a consent for credit assessment to that bank (granted
  in the same step when the enterprise asks for it).
* The bank decides (:func:`decide`): approve with amount, rate and term — which books the loan — or decline with a
  reason. Drawdowns and repayments (:func:`record_movement`) are written under a row lock on the loan; the database
  refuses a drawn sum over the approved amount and a negative outstanding whatever the code does.
* Financing needs (:func:`post_need`, :func:`push_needs`) and the follow-up of what was granted against them
  (:func:`need_followup`).

Bad input is refused with a located ``ValidationError`` in the user's language and writes nothing; a write the user
may not make raises ``PermissionDenied``.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dualcarbon.engine import eligibility as el
from dualcarbon.rating import facts as account_facts
from dualcarbon.rating import rule_wording
from dualcarbon.registry import access, effective
from dualcarbon.registry.models import Consent, Organisation, Region

from . import services
from .models import (
    FinancingNeed,
    Loan,
    LoanApplication,
    LoanMovement,
    NeedPush,
    Product,
    ProductVersion,
    PurposeTag,
)

#: rates a product, a quote or a decision may carry, in bp (platform convention: above zero and at most 24 % a year,
#: the ceiling of judicial protection for private lending in 法释〔2020〕17号 was 4 × LPR; 2400 bp bounds typos, not
#: the law)
MIN_RATE_BP, MAX_RATE_BP = 1, 2400
#: a spread per grade: at most ± this many bp
MAX_SPREAD_BP = 1000
MAX_AMOUNT = Decimal("100000000000")  # 1 000 亿元: beyond any single loan on the platform
MAX_TERM = 360  # months
FEN = Decimal("0.01")
GRADES = ("1", "2", "3", "4", "5")


def _err(message: Any, **params: Any) -> ValidationError:
    return ValidationError(message, params=params)


def _refuse(errors: dict[str, Any]) -> None:
    if errors:
        raise ValidationError(errors)


def money(value: Any, field: str, errors: dict[str, Any], *, label: Any = None) -> Decimal | None:
    """Yuan to the fen from a text, an int or a Decimal (never a float); errors are located at ``field``."""
    if isinstance(value, float) or isinstance(value, bool):
        value = str(value)
    try:
        d = Decimal(str(value if value is not None else "").strip().replace(",", ""))
    except InvalidOperation:
        errors[field] = _err(_("“%(v)s”不是金额；请填写以元为单位的数字，最多两位小数"), v=str(value or ""))
        return None
    if not d.is_finite():
        errors[field] = _err(_("“%(v)s”不是金额；请填写以元为单位的数字，最多两位小数"), v=str(value))
        return None
    if d <= 0:
        errors[field] = _err(_("金额须大于零（现为 %(v)s 元）"), v=str(value))
        return None
    if d > MAX_AMOUNT:
        errors[field] = _err(_("金额 %(v)s 元超出上限 1000 亿元"), v=str(value))
        return None
    if d != d.quantize(FEN):
        errors[field] = _err(_("金额“%(v)s”最多保留两位小数（到分）"), v=str(value))
        return None
    return d.quantize(FEN)


def integer(value: Any, field: str, errors: dict[str, Any], low: int, high: int, message: Any) -> int | None:
    """A whole number within [low, high]; otherwise ``message`` (with low, high, v) at ``field``."""
    try:
        d = Decimal(str(value if value is not None else "").strip())
        ok = d.is_finite() and d == d.to_integral_value() and low <= d <= high
    except InvalidOperation:
        ok = False
    if not ok:
        errors[field] = _err(message, v=str(value if value is not None else ""), low=low, high=high)
        return None
    return int(d)


def rate(value: Any, field: str, errors: dict[str, Any]) -> int | None:
    return integer(
        value, field, errors, MIN_RATE_BP, MAX_RATE_BP, _("利率须为 %(low)s–%(high)s 之间的整数基点（现为“%(v)s”）")
    )


def term(value: Any, field: str, errors: dict[str, Any]) -> int | None:
    return integer(value, field, errors, 1, MAX_TERM, _("期限须为 %(low)s–%(high)s 之间的整数月（现为“%(v)s”）"))


def _bank_of(user: Any, bank: Organisation | int | str | None) -> Organisation:
    """The user's bank (the one named when they work for several); PermissionDenied when not its staff."""
    ids = access.actor_for(user).bank_ids
    pk: int | None
    if isinstance(bank, Organisation):
        pk = bank.pk
    elif isinstance(bank, str):
        pk = int(bank) if bank.strip().isdigit() else -1
    else:
        pk = bank
    if pk is None and len(ids) == 1:
        pk = next(iter(ids))
    if pk is None or pk not in ids:
        raise PermissionDenied(_("只有该银行的工作人员可以办理"))
    return Organisation.objects.get(pk=pk)


def _require_owner(user: Any, enterprise: Organisation | int) -> None:
    if not access.can_report_for(user, enterprise):
        raise PermissionDenied(_("只有本企业的工作人员可以办理"))


# ------------------------------------------------------------------------------------------------ products


def parse_rule(rule: Any) -> el.Rule:
    """The rule as the engine reads it, over the account facts; a located refusal in the user's words."""
    try:
        return el.parse_rule(rule, account_facts.CATALOGUE)
    except el.RuleError as exc:
        raise ValidationError({"rule": [rule_wording.located_problem(p) for p in exc.problems]}) from exc


def parse_spreads(value: Any, errors: dict[str, Any]) -> dict[str, int] | None:
    """{"1": -30, …} (or "1:-30, 2:-15" from a form): each grade 1–5 at most once, bp within ±MAX_SPREAD_BP."""
    items: list[tuple[str, Any]]
    if isinstance(value, dict):
        items = [(str(k).strip(), v) for k, v in value.items()]
    else:
        items = []
        for part in str(value or "").replace("，", ",").split(","):
            if part.strip():
                k, _sep, v = part.partition(":")
                items.append((k.strip(), v.strip()))
    out: dict[str, int] = {}
    for k, v in items:
        if k not in GRADES or k in out:
            errors["grade_spreads"] = _err(_("等级“%(g)s”无效或重复；等级为 1–5，每级一项，如 1:-30, 2:-15, 3:0"), g=k)
            return None
        n = integer(
            v,
            "grade_spreads",
            errors,
            -MAX_SPREAD_BP,
            MAX_SPREAD_BP,
            _("等级加减点须为 %(low)s–%(high)s 之间的整数基点（现为“%(v)s”）"),
        )
        if n is None:
            return None
        out[k] = n
    if not out:
        errors["grade_spreads"] = _("请至少为一个等级定价，如 1:-30, 2:-15, 3:0")
        return None
    return dict(sorted(out.items()))


VERSION_FIELDS = ("rule", "min_amount", "max_amount", "min_term", "max_term", "base_rate_bp", "grade_spreads", "note")


def check_version(fields: dict[str, Any]) -> dict[str, Any]:
    """The product terms normalised (canonical rule, Decimal amounts, int terms and rates); refuses bad ones."""
    errors: dict[str, Any] = {}
    out: dict[str, Any] = {"note": str(fields.get("note") or "")[:300]}
    try:
        out["rule"] = parse_rule(fields.get("rule")).to_dict()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    out["min_amount"] = money(fields.get("min_amount"), "min_amount", errors)
    out["max_amount"] = money(fields.get("max_amount"), "max_amount", errors)
    out["min_term"] = term(fields.get("min_term"), "min_term", errors)
    out["max_term"] = term(fields.get("max_term"), "max_term", errors)
    out["base_rate_bp"] = rate(fields.get("base_rate_bp"), "base_rate_bp", errors)
    out["grade_spreads"] = parse_spreads(fields.get("grade_spreads"), errors)
    lo, hi = out["min_amount"], out["max_amount"]
    if lo is not None and hi is not None and hi < lo:
        errors["max_amount"] = _err(_("最高金额（%(hi)s 元）不能低于最低金额（%(lo)s 元）"), hi=str(hi), lo=str(lo))
    tlo, thi = out["min_term"], out["max_term"]
    if tlo is not None and thi is not None and thi < tlo:
        errors["max_term"] = _err(_("最长期限（%(hi)s 个月）不能短于最短期限（%(lo)s 个月）"), hi=thi, lo=tlo)
    base, spreads = out["base_rate_bp"], out["grade_spreads"]
    if base is not None and spreads:
        for g, s in spreads.items():
            if not MIN_RATE_BP <= base + s <= MAX_RATE_BP:
                errors["grade_spreads"] = _err(
                    _("%(g)s 级的利率 %(r)s 基点（基准 %(b)s %(s)s）超出 %(low)s–%(high)s 基点"),
                    g=g,
                    r=base + s,
                    b=base,
                    s=f"{s:+d}",
                    low=MIN_RATE_BP,
                    high=MAX_RATE_BP,
                )
                break
    _refuse(errors)
    return out


@transaction.atomic
def create_product(
    user: Any,
    bank: Organisation | int | str | None,
    *,
    code: str,
    name_zh: str,
    purpose_tag: str,
    valid_from: datetime.date | None,
    name_en: str = "",
    description: str = "",
    **terms: Any,
) -> Product:
    """A new product of the user's bank with its first version from ``valid_from``."""
    bank_org = _bank_of(user, bank)
    errors: dict[str, Any] = {}
    code = (code or "").strip()
    if not code or len(code) > 32:
        errors["code"] = _("请填写产品代码（最多 32 个字符）")
    elif Product.objects.filter(bank=bank_org, code=code).exists():
        errors["code"] = _err(_("本行已有代码为“%(c)s”的产品"), c=code)
    if not (name_zh or "").strip():
        errors["name_zh"] = _("请填写产品名称")
    if purpose_tag not in PurposeTag.values:
        errors["purpose_tag"] = _("请选择用途标签：绿色、转型或碳金融")
    if not isinstance(valid_from, datetime.date):
        errors["valid_from"] = _("生效日期须为 YYYY-MM-DD 格式的日期")
    try:
        clean = check_version(terms)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    _refuse(errors)
    product = Product.objects.create(
        bank=bank_org,
        code=code,
        name_zh=name_zh.strip(),
        name_en=(name_en or "").strip(),
        purpose_tag=purpose_tag,
        description=description or "",
        created_by=user,
    )
    assert valid_from is not None
    effective.supersede(ProductVersion, valid_from, product=product, version=1, created_by=user, **clean)
    return product


@transaction.atomic
def publish_version(user: Any, product: Product, valid_from: Any, **terms: Any) -> ProductVersion:
    """A new version of the product's terms from ``valid_from``: the open version ends that day; a version that
    starts later is not touched and the new one, overlapping it, is refused."""
    _bank_of(user, product.bank_id)
    if not isinstance(valid_from, datetime.date):
        raise ValidationError({"valid_from": _("生效日期须为 YYYY-MM-DD 格式的日期")})
    clean = check_version(terms)
    Product.objects.select_for_update().filter(pk=product.pk).first()
    last = product.versions.order_by("-version").values_list("version", flat=True).first() or 0
    return effective.supersede(ProductVersion, valid_from, product=product, version=last + 1, created_by=user, **clean)


def version_on(product: Product, day: datetime.date | None = None) -> ProductVersion | None:
    day = day or timezone.localdate()
    return effective.resolve(product.versions.all(), day)


def price(version: ProductVersion, grade: int | None) -> int | None:
    """The product's rate for a grade (bp): base + the grade's spread; None when the grade is not priced."""
    if grade is None:
        return None
    spread = (version.grade_spreads or {}).get(str(grade))
    return None if spread is None else version.base_rate_bp + int(spread)


# ------------------------------------------------------------------------------------------------ offers


@dataclass
class Offer:
    product: Product
    version: ProductVersion
    evaluation: el.Evaluation
    grade: int | None
    rate_bp: int | None

    @property
    def eligible(self) -> bool:
        return self.evaluation.met and self.rate_bp is not None

    def reasons(self) -> list[str]:
        """Each condition's outcome in words (met with the figure, or missed and by how much)."""
        return [rule_wording.outcome_text(o.to_dict()) for o in self.evaluation.outcomes]

    def to_fix(self) -> list[str]:
        return [rule_wording.gap_text(o.to_dict()) for o in self.evaluation.to_fix]


def enterprise_facts(enterprise: Organisation | int) -> account_facts.AccountFacts | None:
    """The enterprise's account facts of its latest graded year (None: never graded)."""
    year = account_facts.latest_graded_year(enterprise)
    return account_facts.facts_for(enterprise, year) if year is not None else None


def products_in_force(day: datetime.date | None = None) -> list[tuple[Product, ProductVersion]]:
    day = day or timezone.localdate()
    rows = ProductVersion.objects.filter(effective.in_force_q(day)).select_related("product__bank")
    return [(v.product, v) for v in sorted(rows, key=lambda v: (v.product.bank.name, v.product.code))]


def offer(product: Product, version: ProductVersion, facts: account_facts.AccountFacts | None) -> Offer:
    values = facts.values() if facts is not None else {}
    rule = el.parse_rule(version.rule, account_facts.CATALOGUE)
    evaluation = el.evaluate(rule, values, account_facts.CATALOGUE)
    grade = values.get("grade")
    grade = int(grade) if grade is not None else None
    return Offer(product, version, evaluation, grade, price(version, grade))


def offers_for_facts(facts: account_facts.AccountFacts | None, day: datetime.date | None = None) -> list[Offer]:
    """Every product in force evaluated against the given facts, in the products' order — read only, nothing stored
    and no consent involved (the facts are the caller's): the planning app asks it with an enterprise's facts today
    and as its reduction plan would leave them (docs/planning.md § What a plan unlocks)."""
    return [offer(p, v, facts) for p, v in products_in_force(day)]


def offers(enterprise: Organisation | int, day: datetime.date | None = None) -> tuple[Any, list[Offer]]:
    """Every product in force for the enterprise, eligible ones first: (the facts read, the offers)."""
    facts = enterprise_facts(enterprise)
    out = [offer(p, v, facts) for p, v in products_in_force(day)]
    out.sort(key=lambda o: (not o.eligible, not o.evaluation.is_near_miss(), o.product.bank.name, o.product.code))
    return facts, out


# ------------------------------------------------------------------------------------------------ applications


def assessment_consent(enterprise: Organisation | int, bank: Organisation | int) -> Consent | None:
    """The enterprise's active consent to the bank for credit assessment naming its grade (the latest)."""
    ent = enterprise.pk if isinstance(enterprise, Organisation) else enterprise
    bk = bank.pk if isinstance(bank, Organisation) else bank
    return (
        Consent.objects.active()
        .filter(enterprise_id=ent, bank_id=bk, purpose_code=Consent.Purpose.CREDIT_ASSESSMENT)
        .filter(access.scope_q(access.GRADE))
        .order_by("-created_at", "-pk")
        .first()
    )


@transaction.atomic
def apply(
    user: Any,
    enterprise: Organisation,
    product: Product,
    *,
    amount: Any,
    term_months: Any,
    purpose: str,
    need: FinancingNeed | int | str | None = None,
    grant_consent: bool = False,
) -> LoanApplication:
    """The enterprise applies for a product in force. The amount and term must lie in the version's ranges, the
    enterprise must qualify, and an active consent to the bank for credit assessment naming the grade must exist —
    with ``grant_consent`` it is granted here (summary and grade of the last two years, for one year)."""
    _require_owner(user, enterprise)
    errors: dict[str, Any] = {}
    version = version_on(product)
    if version is None:
        raise ValidationError({"product": _("该产品今天没有生效的版本，暂不受理申请")})
    a = money(amount, "amount", errors)
    t = term(term_months, "term_months", errors)
    if a is not None and not version.min_amount <= a <= version.max_amount:
        errors["amount"] = _err(
            _("申请金额 %(a)s 元不在该产品的额度范围（%(lo)s–%(hi)s 元）内"),
            a=str(a),
            lo=str(version.min_amount),
            hi=str(version.max_amount),
        )
    if t is not None and not version.min_term <= t <= version.max_term:
        errors["term_months"] = _err(
            _("申请期限 %(t)s 个月不在该产品的期限范围（%(lo)s–%(hi)s 个月）内"),
            t=t,
            lo=version.min_term,
            hi=version.max_term,
        )
    purpose = (purpose or "").strip()
    if not purpose or len(purpose) > 300:
        errors["purpose"] = _("请填写资金用途（最多 300 个字符）")
    need_obj = None
    if need:
        need_pk = need.pk if isinstance(need, FinancingNeed) else int(need) if str(need).strip().isdigit() else 0
        need_obj = FinancingNeed.objects.filter(pk=need_pk, enterprise=enterprise).first()
        if need_obj is None or need_obj.status != FinancingNeed.Status.OPEN:
            errors["need"] = _("所选融资需求不是本企业对接中的需求")
    if LoanApplication.objects.filter(
        enterprise=enterprise, product=product, status=LoanApplication.Status.SUBMITTED
    ).exists():
        errors["product"] = _("本企业已有该产品待审批的申请；请等待银行答复或先撤回")
    facts = enterprise_facts(enterprise)
    o = offer(product, version, facts)
    if not o.evaluation.met:
        errors["product"] = _err(_("不满足该产品的准入条件：%(why)s"), why="；".join(o.to_fix()) or "—")
    elif o.rate_bp is None:
        errors["product"] = _err(_("该产品未对本企业的碳效等级（%(g)s）定价"), g=o.grade if o.grade else "—")
    consent = assessment_consent(enterprise, product.bank_id)
    if consent is None and not grant_consent:
        errors["consent"] = _err(
            _("申请前须授权%(bank)s查阅本企业的账户汇总和碳效等级（用途：授信评估）；可在申请时一并授权"),
            bank=product.bank.name,
        )
    _refuse(errors)
    assert a is not None and t is not None
    if consent is None:
        today = timezone.localdate()
        year = facts.year if facts is not None else today.year - 1
        consent = services.grant_consent(
            user,
            enterprise,
            product.bank_id,
            purpose_code=Consent.Purpose.CREDIT_ASSESSMENT,
            scopes=[Consent.Scope.SUMMARY, Consent.Scope.GRADE],
            data_from=f"{year - 1}-01",
            data_until=f"{year}-12",
            valid_until=today.replace(year=today.year + 1) - datetime.timedelta(days=1),
            note=str(_("申请贷款产品 %(p)s") % {"p": product.code}),
        )
    return LoanApplication.objects.create(
        product=product,
        version=version,
        bank_id=product.bank_id,
        enterprise=enterprise,
        need=need_obj,
        consent=consent,
        amount=a,
        term_months=t,
        purpose=purpose,
        evaluation={
            "year": facts.year if facts is not None else None,
            "facts": facts.to_dict() if facts is not None else {},
            "outcomes": [x.to_dict() for x in o.evaluation.outcomes],
        },
        grade=o.grade,
        quoted_rate_bp=o.rate_bp,
        applied_by=user,
    )


def _decidable(app: LoanApplication) -> None:
    if app.status != LoanApplication.Status.SUBMITTED:
        raise ValidationError(
            {"status": _err(_("该申请的状态为“%(s)s”，不能再审批或撤回"), s=app.get_status_display())}
        )


@transaction.atomic
def decide(
    user: Any,
    application: LoanApplication,
    *,
    approve: bool,
    amount: Any = None,
    rate_bp: Any = None,
    term_months: Any = None,
    reason: str = "",
) -> LoanApplication:
    """The bank approves (amount within the product version's range, rate in bp, term in the version's range; the
    loan is booked) or declines (a reason is required)."""
    _bank_of(user, application.bank_id)
    app = LoanApplication.objects.select_for_update().select_related("version", "enterprise").get(pk=application.pk)
    _decidable(app)
    errors: dict[str, Any] = {}
    now = timezone.now()
    if not approve:
        reason = (reason or "").strip()
        if not reason or len(reason) > 500:
            raise ValidationError({"reason": _("拒绝须写明理由（最多 500 个字符）")})
        app.status, app.decline_reason = LoanApplication.Status.DECLINED, reason
        app.decided_by, app.decided_at = user, now
        app.save()
        return app
    v = app.version
    a = money(amount, "amount", errors)
    r = rate(rate_bp, "rate_bp", errors)
    t = term(term_months, "term_months", errors)
    if a is not None and not v.min_amount <= a <= v.max_amount:
        errors["amount"] = _err(
            _("批准金额 %(a)s 元不在该产品的额度范围（%(lo)s–%(hi)s 元）内"),
            a=str(a),
            lo=str(v.min_amount),
            hi=str(v.max_amount),
        )
    if t is not None and not v.min_term <= t <= v.max_term:
        errors["term_months"] = _err(
            _("批准期限 %(t)s 个月不在该产品的期限范围（%(lo)s–%(hi)s 个月）内"), t=t, lo=v.min_term, hi=v.max_term
        )
    _refuse(errors)
    assert a is not None and r is not None and t is not None
    app.status = LoanApplication.Status.APPROVED
    app.approved_amount, app.approved_rate_bp, app.approved_term_months = a, r, t
    app.decided_by, app.decided_at = user, now
    app.save()
    ent = app.enterprise
    industry = str(ent.industry_id or "")
    Loan.objects.create(
        number=f"DK-{now:%Y%m%d}-{secrets.token_hex(4).upper()}",
        application=app,
        bank_id=app.bank_id,
        enterprise=ent,
        product_id=app.product_id,
        need=app.need,
        purpose_tag=app.product.purpose_tag,
        amount=a,
        rate_bp=r,
        term_months=t,
        region_code=ent.region_id or "",
        industry_code=industry[:2] if industry[:1].isdigit() else industry,
        grade=app.grade,
        booked_at=now,
        maturity_date=_add_months(timezone.localdate(), t or 0),
    )
    return app


def _add_months(day: datetime.date, months: int) -> datetime.date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, d)
        except ValueError:
            continue
    return datetime.date(year, month, 28)


@transaction.atomic
def withdraw_application(user: Any, application: LoanApplication) -> LoanApplication:
    _require_owner(user, application.enterprise_id)
    app = LoanApplication.objects.select_for_update().get(pk=application.pk)
    _decidable(app)
    app.status, app.decided_by, app.decided_at = LoanApplication.Status.WITHDRAWN, user, timezone.now()
    app.save()
    return app


# ------------------------------------------------------------------------------------------------ loans


def record_movement(user: Any, loan: Loan, kind: str, amount: Any, on: Any = None, note: str = "") -> LoanMovement:
    """A drawdown or a repayment. The loan's row is locked (``SELECT … FOR UPDATE``) so concurrent drawdowns are
    checked one after the other: drawn never exceeds the approved amount, outstanding never goes below zero. The
    database's CHECK constraints refuse it too (an IntegrityError is answered like the service's refusal)."""
    _bank_of(user, loan.bank_id)
    errors: dict[str, Any] = {}
    if kind not in LoanMovement.Kind.values:
        errors["kind"] = _("请选择提款或还款")
    a = money(amount, "amount", errors)
    day = on if isinstance(on, datetime.date) else services.parse_date(on) if on else timezone.localdate()
    if day is None:
        errors["on"] = _("日期须为 YYYY-MM-DD 格式")
    elif day > timezone.localdate():
        errors["on"] = _err(_("日期（%(d)s）不能晚于今天"), d=day.isoformat())
    _refuse(errors)
    assert day is not None and a is not None
    try:
        with transaction.atomic():
            row = Loan.objects.select_for_update().get(pk=loan.pk)
            if day < row.booked_at.date():
                raise ValidationError({"on": _err(_("日期（%(d)s）不能早于放款入账日"), d=day.isoformat())})
            if kind == LoanMovement.Kind.DRAWDOWN:
                if row.drawn + a > row.amount:
                    raise ValidationError(
                        {
                            "amount": _err(
                                _("提款 %(a)s 元超过可提余额 %(left)s 元（授信 %(t)s 元，已提 %(d)s 元）"),
                                a=str(a),
                                left=str(row.amount - row.drawn),
                                t=str(row.amount),
                                d=str(row.drawn),
                            )
                        }
                    )
                row.drawn += a
                row.outstanding += a
            else:
                if a > row.outstanding:
                    raise ValidationError(
                        {"amount": _err(_("还款 %(a)s 元超过贷款余额 %(o)s 元"), a=str(a), o=str(row.outstanding))}
                    )
                row.outstanding -= a
            row.save(update_fields=["drawn", "outstanding"])
            mv = LoanMovement.objects.create(
                loan=row,
                kind=kind,
                amount=a,
                on=day,
                drawn_after=row.drawn,
                outstanding_after=row.outstanding,
                note=(note or "")[:300],
                recorded_by=user,
            )
    except IntegrityError as exc:
        raise ValidationError({"amount": _("该笔提款或还款与贷款额度或余额冲突，未记录")}) from exc
    loan.drawn, loan.outstanding = row.drawn, row.outstanding
    return mv


# ------------------------------------------------------------------------------------------------ needs


def _government_of(user: Any, region_code: str) -> bool:
    """Government staff whose jurisdiction covers the region (not the platform admin: it is no authority)."""
    code = str(region_code or "")
    return bool(code) and any(code.startswith(p) for p in access.actor_for(user).region_prefixes)


def can_post_need(user: Any, enterprise: Organisation) -> bool:
    """The enterprise's own staff, or the government governing its region (on its behalf)."""
    return access.can_report_for(user, enterprise) or _government_of(user, enterprise.region_id or "")


@transaction.atomic
def post_need(
    user: Any, enterprise: Organisation, *, amount: Any, purpose_tag: str, purpose: str, term_months: Any
) -> FinancingNeed:
    if not can_post_need(user, enterprise):
        raise PermissionDenied(_("只有本企业或其所在地政府可以发布融资需求"))
    errors: dict[str, Any] = {}
    a = money(amount, "amount", errors)
    t = term(term_months, "term_months", errors)
    if purpose_tag not in PurposeTag.values:
        errors["purpose_tag"] = _("请选择用途标签：绿色、转型或碳金融")
    purpose = (purpose or "").strip()
    if not purpose or len(purpose) > 300:
        errors["purpose"] = _("请填写资金用途（最多 300 个字符）")
    _refuse(errors)
    assert a is not None and t is not None
    return FinancingNeed.objects.create(
        enterprise=enterprise,
        amount=a,
        purpose_tag=purpose_tag,
        purpose=purpose,
        term_months=t,
        by_government=not access.can_report_for(user, enterprise),
        posted_by=user,
    )


@transaction.atomic
def close_need(user: Any, need: FinancingNeed) -> FinancingNeed:
    if not can_post_need(user, need.enterprise):
        raise PermissionDenied(_("只有本企业或其所在地政府可以关闭融资需求"))
    if need.status == FinancingNeed.Status.CLOSED:
        raise ValidationError({"status": _("该融资需求已关闭")})
    need.status = FinancingNeed.Status.CLOSED
    need.save(update_fields=["status"])
    return need


@transaction.atomic
def push_needs(
    user: Any, region: Region | str, *, title: str, needs: Iterable[int | str], banks: Iterable[int | str]
) -> NeedPush:
    """Government pushes open needs of enterprises in its region to the banks it chooses."""
    code = region.code if isinstance(region, Region) else str(region)
    if not _government_of(user, code):
        raise PermissionDenied(_("只有该地区的政府工作人员可以推送融资需求"))
    region_obj = services.region_or_refuse(code)
    errors: dict[str, Any] = {}
    title = (title or "").strip()
    if not title or len(title) > 200:
        errors["title"] = _("请填写推送名称（最多 200 个字符）")
    need_ids = sorted({int(n) for n in needs if str(n).strip().isdigit()})
    rows = list(
        FinancingNeed.objects.filter(pk__in=need_ids, status=FinancingNeed.Status.OPEN).filter(
            access.prefix_q("enterprise__region_id", region_obj.prefix)
        )
    )
    if not need_ids:
        errors["needs"] = _("请至少选择一项融资需求")
    elif len(rows) != len(need_ids):
        errors["needs"] = _("所选融资需求须为本辖区企业对接中的需求")
    bank_ids = sorted({int(b) for b in banks if str(b).strip().isdigit()})
    bank_rows = list(services.banks().filter(pk__in=bank_ids))
    if not bank_ids:
        errors["banks"] = _("请至少选择一家银行")
    elif len(bank_rows) != len(bank_ids):
        errors["banks"] = _("所选银行无效")
    _refuse(errors)
    push = NeedPush.objects.create(region=region_obj, title=title, pushed_by=user)
    push.needs.set(rows)
    push.banks.set(bank_rows)
    return push


@dataclass(frozen=True)
class Followup:
    """The follow-up of a set of needs: firms, needed, granted (loans booked against the needs), drawn."""

    needs: int
    firms: int
    needed: Decimal
    granted: Decimal
    granted_needs: int

    @property
    def granted_pct(self) -> Decimal | None:
        return None if not self.needed else (self.granted / self.needed * 100).quantize(Decimal("0.1"))


def granted_by_need(need_ids: Sequence[int]) -> dict[int, Decimal]:
    rows = Loan.objects.filter(need_id__in=need_ids).values("need_id").annotate(s=Sum("amount"))
    return {r["need_id"]: r["s"] for r in rows}


def need_followup(needs: Sequence[FinancingNeed]) -> Followup:
    granted = granted_by_need([n.pk for n in needs])
    return Followup(
        needs=len(needs),
        firms=len({n.enterprise_id for n in needs}),
        needed=sum((n.amount for n in needs), Decimal(0)),
        granted=sum(granted.values(), Decimal(0)),
        granted_needs=len(granted),
    )


# ------------------------------------------------------------------------------------------------ statistics

#: a cell of fewer loans than this is not shown to government staff (the threshold of the public statistics'
#: groups, monitoring.queries.MIN_GROUP; finance may not import monitoring, so it is restated here)
MIN_LOANS = 3
DIMENSIONS = ("purpose", "district", "industry", "grade")
_GROUP_FIELD = {"purpose": "purpose_tag", "district": "region_code", "industry": "industry_code", "grade": "grade"}


@dataclass
class StatCell:
    key: str
    label: str
    count: int
    amount: Decimal
    outstanding: Decimal
    #: Σ(amount × rate_bp) / Σ amount, to 0.01 bp
    rate_bp: Decimal | None
    suppressed: bool = False
    #: "primary" (fewer than MIN_LOANS loans) or "secondary" (would let a suppressed cell be derived from the total)
    why: str = ""

    def shown(self) -> dict[str, Any]:
        if self.suppressed:
            return {"key": self.key, "label": self.label, "suppressed": True, "why": self.why}
        return {
            "key": self.key,
            "label": self.label,
            "suppressed": False,
            "count": self.count,
            "amount": str(self.amount),
            "outstanding": str(self.outstanding),
            "weighted_rate_bp": None if self.rate_bp is None else str(self.rate_bp),
        }


def weighted_rate(pairs: Iterable[tuple[Decimal, int]]) -> Decimal | None:
    """The amount-weighted average rate in bp: Σ(amountᵢ × rateᵢ) / Σ amountᵢ, rounded half-even to 0.01 bp."""
    num, den = Decimal(0), Decimal(0)
    for amount, r in pairs:
        num += amount * r
        den += amount
    return None if not den else (num / den).quantize(FEN)


def _labels(dimension: str, keys: Iterable[str]) -> dict[str, str]:
    from dualcarbon.ui import names

    keys = list(keys)
    if dimension == "purpose":
        return {k: str(PurposeTag(k).label) if k in PurposeTag.values else k for k in keys}
    if dimension == "district":
        named = dict(Region.objects.filter(code__in=keys).values_list("code", "name"))
        return {k: f"{named.get(k, k)}（{k}）" for k in keys}
    if dimension == "industry":
        return {k: f"{names.industry_label(k)}（{k}）" if k else str(_("未登记行业")) for k in keys}
    return {k: str(_("%(g)s 级") % {"g": k}) if k else str(_("无等级")) for k in keys}


def suppress(cells: list[StatCell], total_count: int) -> None:
    """Primary suppression (1 … MIN_LOANS-1 loans), then secondary: while the suppressed cells together hold fewer
    than MIN_LOANS loans (the total minus the shown cells would give them away), the smallest shown cell is
    suppressed too."""
    for c in cells:
        if 0 < c.count < MIN_LOANS:
            c.suppressed, c.why = True, "primary"
    hidden = [c for c in cells if c.suppressed]
    while hidden and sum(c.count for c in hidden) < MIN_LOANS and total_count >= MIN_LOANS:
        shown = sorted((c for c in cells if not c.suppressed), key=lambda c: (c.count, c.amount))
        if not shown:
            break
        shown[0].suppressed, shown[0].why = True, "secondary"
        hidden.append(shown[0])


def loan_statistics(loans: Any, dimension: str) -> tuple[list[StatCell], StatCell]:
    """Loans grouped by ``dimension`` (purpose tag, district, industry division, grade at booking): count, amount,
    outstanding and the amount-weighted rate; small cells suppressed. Returns (cells, total)."""
    if dimension not in DIMENSIONS:
        raise ValidationError({"dimension": _("统计维度须为 purpose、district、industry 或 grade")})
    field = _GROUP_FIELD[dimension]
    groups: dict[str, list[tuple[Decimal, int, Decimal]]] = {}
    for key, amount, r, out in loans.values_list(field, "amount", "rate_bp", "outstanding"):
        groups.setdefault("" if key is None else str(key), []).append((amount, r, out))
    labels = _labels(dimension, groups)
    cells = [
        StatCell(
            key,
            labels[key],
            len(rows),
            sum((a for a, _r, _o in rows), Decimal(0)),
            sum((o for _a, _r, o in rows), Decimal(0)),
            weighted_rate((a, r) for a, r, _o in rows),
        )
        for key, rows in sorted(groups.items())
    ]
    every = [row for rows in groups.values() for row in rows]
    total = StatCell(
        "",
        str(_("合计")),
        len(every),
        sum((a for a, _r, _o in every), Decimal(0)),
        sum((o for _a, _r, o in every), Decimal(0)),
        weighted_rate((a, r) for a, r, _o in every),
    )
    if 0 < total.count < MIN_LOANS:
        total.suppressed, total.why = True, "primary"
    suppress(cells, total.count)
    return cells, total

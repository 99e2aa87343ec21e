"""Disclosure of a bank's book (docs/finance.md § CERF, § PCAF): the carbon emission reduction facility's quarterly
figures (碳减排支持工具) with each loan's induced reduction, and the PCAF financed emissions of the loans
outstanding, each with its inputs. All figures are ``Decimal``; every row names where its inputs came from.

The only writer of ``LoanProject`` and ``BorrowerFinancials``.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dualcarbon.accounting import services as accounting
from dualcarbon.rating import facts as account_facts
from dualcarbon.registry import access
from dualcarbon.registry.models import Organisation

from . import certification, lending
from .models import BorrowerFinancials, CertApplication, CertKind, Loan, LoanProject

FEN = Decimal("0.01")
KG = Decimal("0.001")
MAX_MONEY = Decimal("100000000000")  # 1 000 亿, as the products' amounts


def _err(field_name: str, message: Any, **params: Any) -> ValidationError:
    return ValidationError({field_name: ValidationError(message, params=params)})


def _money(value: Any, field_name: str, errors: dict[str, Any], *, positive: bool = True) -> Decimal | None:
    """Yuan to the fen: refused (located) when not a number, more than two decimals, not positive (or, with
    ``positive=False``, negative) or above 1 000 亿."""
    text = str(value if value is not None else "").strip().replace(",", "")
    try:
        d = Decimal(text)
    except (InvalidOperation, ValueError):
        errors[field_name] = ValidationError(_("“%(v)s”不是金额"), params={"v": text[:20]})
        return None
    if not d.is_finite():
        errors[field_name] = ValidationError(_("“%(v)s”不是金额"), params={"v": text[:20]})
        return None
    if d != d.quantize(FEN):
        errors[field_name] = ValidationError(_("金额“%(v)s”最多保留两位小数（到分）"), params={"v": text[:20]})
        return None
    if (d <= 0 if positive else d < 0) or d > MAX_MONEY:
        msg = _("须大于零（现为 %(v)s）") if positive else _("不能为负数（现为 %(v)s）")
        errors[field_name] = ValidationError(msg, params={"v": text[:20]})
        return None
    return d


def _pk(value: Any) -> int | None:
    """An organisation's id from the organisation, an id or a form's text (None: none of these)."""
    if isinstance(value, Organisation):
        return int(value.pk)
    text = str(value if value is not None else "").strip()
    return int(text) if text.isdigit() and len(text) <= 18 else None


def _bank_staff(user: Any, bank_id: int) -> None:
    if bank_id not in access.actor_for(user).bank_ids:
        raise PermissionDenied(_("只有该银行的工作人员可以办理"))


# ------------------------------------------------------------------------------------------------ CERF


@transaction.atomic
def link_project(user: Any, loan: Loan, *, project: Any, project_financing: Any, source: str) -> LoanProject:
    """The bank names the certified project its loan finances and the project's total financing (with where the
    figure comes from); a later link replaces the earlier one."""
    _bank_staff(user, loan.bank_id)
    errors: dict[str, Any] = {}
    pid = str(getattr(project, "pk", project) or "").strip()
    proj = (
        CertApplication.objects.filter(
            pk=int(pid), enterprise_id=loan.enterprise_id, kind=CertKind.PROJECT, status="certified"
        ).first()
        if pid.isdigit()
        else None
    )
    if proj is None:
        errors["project"] = _("请选择借款企业已认定的降碳转型升级项目")
    total = _money(project_financing, "project_financing", errors)
    if total is not None and total < loan.amount:
        errors["project_financing"] = ValidationError(
            _("项目融资总额 %(t)s 元小于本笔贷款 %(a)s 元"), params={"t": total, "a": loan.amount}
        )
    source = (source or "").strip()
    if not source or len(source) > 300:
        errors["source"] = _("请说明项目融资总额的来源（如项目可研批复文号，最多 300 个字符）")
    if errors:
        raise ValidationError(errors)
    assert proj is not None and total is not None
    LoanProject.objects.filter(loan=loan).delete()
    return LoanProject.objects.create(loan=loan, project=proj, project_financing=total, source=source, linked_by=user)


def quarter_days(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    if not 1 <= quarter <= 4 or not 2000 <= year <= 2100:
        raise _err("quarter", _("请选择 2000–2100 年的第 1–4 季度"))
    first = datetime.date(year, 3 * quarter - 2, 1)
    last = (
        datetime.date(year + 1, 1, 1) if quarter == 4 else datetime.date(year, 3 * quarter + 1, 1)
    ) - datetime.timedelta(days=1)
    return first, last


@dataclass
class CerfRow:
    loan: Loan
    link: LoanProject
    rate_bp: int
    share: Decimal
    project_reduction: Decimal
    basis: str  # "achieved" (a whole year of the follow-up) or "expected" (none yet)
    basis_year: int | None
    induced: Decimal


@dataclass
class Cerf:
    bank: Organisation
    year: int
    quarter: int
    rows: list[CerfRow]
    projects: int
    amount: Decimal
    rate_bp: Decimal | None
    induced: Decimal


def project_reduction(project: CertApplication, until: int) -> tuple[Decimal, str, int | None]:
    """The project's annual reduction for the attribution: the achieved one of the latest whole year of its
    follow-up up to ``until``; while there is none, the expected one (marked so)."""
    whole = [r for r in certification.followup(project, until=until) if r.months == 12]
    if whole:
        last = whole[-1]
        return Decimal(last.achieved_tco2), "achieved", last.year
    return Decimal(project.expected_reduction_tco2), "expected", None


def cerf(bank: Organisation, year: int, quarter: int) -> Cerf:
    """The bank's CERF figures of a quarter: the loans booked in it that finance a certified project (in the
    project library on the booking day), the number of projects, the amount, the amount-weighted rate at booking
    and the annual reduction they induce — per loan: the project's reduction × min(1, loan ÷ project financing); a
    project whose emissions rose (a negative achieved reduction) induces none (the row keeps its figure)."""
    first, last = quarter_days(year, quarter)
    links = (
        LoanProject.objects.filter(loan__bank=bank, loan__booked_at__date__gte=first, loan__booked_at__date__lte=last)
        .select_related("loan__enterprise", "loan__application", "project")
        .order_by("loan__booked_at", "loan_id")
    )
    rows = []
    for link in links:
        loan = link.loan
        if not certification.in_library(link.project, timezone.localtime(loan.booked_at).date()):
            continue
        share = min(Decimal(1), loan.amount / link.project_financing)
        reduction, basis, basis_year = project_reduction(link.project, year)
        rate = int(loan.application.approved_rate_bp or loan.rate_bp)
        rows.append(
            CerfRow(
                loan,
                link,
                rate,
                share.quantize(Decimal("0.000001")),
                reduction,
                basis,
                basis_year,
                (max(reduction, Decimal(0)) * share).quantize(FEN),
            )
        )
    return Cerf(
        bank=bank,
        year=year,
        quarter=quarter,
        rows=rows,
        projects=len({r.link.project_id for r in rows}),
        amount=sum((r.loan.amount for r in rows), Decimal(0)),
        rate_bp=lending.weighted_rate((r.loan.amount, r.rate_bp) for r in rows),
        induced=sum((r.induced for r in rows), Decimal(0)),
    )


def cerf_table(c: Cerf) -> tuple[list[str], list[list[Any]]]:
    """The verifier's export: one row a loan, then the totals (words in the reader's language)."""
    head = [
        gettext("贷款编号"),
        gettext("借款企业"),
        gettext("统一社会信用代码"),
        gettext("放款日期"),
        gettext("贷款金额（元）"),
        gettext("利率（基点）"),
        gettext("认定项目"),
        gettext("项目融资总额（元）"),
        gettext("融资总额来源"),
        gettext("贷款占项目融资比例"),
        gettext("项目年减排量（tCO2）"),
        gettext("减排量依据"),
        gettext("带动年减排量（tCO2）"),
    ]
    body: list[list[Any]] = []
    for r in c.rows:
        basis = (
            gettext("%(y)s 年实际减排") % {"y": r.basis_year}
            if r.basis == "achieved"
            else gettext("预期减排（尚无完整年度）")
        )
        body.append(
            [
                r.loan.number,
                r.loan.enterprise.name,
                r.loan.enterprise.uscc or "",
                timezone.localtime(r.loan.booked_at).date().isoformat(),
                r.loan.amount,
                r.rate_bp,
                r.link.project.name,
                r.link.project_financing,
                r.link.source,
                r.share,
                r.project_reduction,
                basis,
                r.induced,
            ]
        )
    body.append(
        [
            gettext("合计"),
            "",
            "",
            "",
            c.amount,
            c.rate_bp if c.rate_bp is not None else "",
            gettext("%(n)s 个项目") % {"n": c.projects},
            "",
            "",
            "",
            "",
            "",
            c.induced,
        ]
    )
    return head, body


# ------------------------------------------------------------------------------------------------ PCAF


@transaction.atomic
def enter_financials(
    user: Any,
    bank: Organisation | int | str,
    enterprise: Organisation | int | str,
    *,
    as_of: Any,
    equity: Any,
    debt: Any,
    source: str,
) -> BorrowerFinancials:
    """The bank enters a borrower's total equity and debt at a date with their source (a borrower of the bank's
    loans only). Refused, nothing written: a non-positive equity, a negative debt, a date in the future."""
    bank_id = _pk(bank)
    if bank_id is None:
        raise PermissionDenied(_("只有该银行的工作人员可以办理"))
    _bank_staff(user, bank_id)
    ent_id = _pk(enterprise) or 0
    errors: dict[str, Any] = {}
    if not Loan.objects.filter(bank_id=bank_id, enterprise_id=ent_id).exists():
        errors["enterprise"] = _("请选择本行贷款的借款企业")
    day = as_of if isinstance(as_of, datetime.date) else None
    if day is None:
        try:
            day = datetime.date.fromisoformat(str(as_of or "").strip())
        except ValueError:
            errors["as_of"] = _("报表日期须为 YYYY-MM-DD")
    if day is not None and day > timezone.localdate():
        errors["as_of"] = _("报表日期不能晚于今天")
    eq = _money(equity, "equity", errors)
    dt = _money(debt, "debt", errors, positive=False)
    source = (source or "").strip()
    if not source or len(source) > 300:
        errors["source"] = _("请填写数据来源（如经审计的年度财务报表，最多 300 个字符）")
    if errors:
        raise ValidationError(errors)
    assert day is not None and eq is not None and dt is not None
    return BorrowerFinancials.objects.create(
        bank_id=bank_id, enterprise_id=ent_id, as_of=day, equity=eq, debt=dt, source=source, entered_by=user
    )


def pcaf_score(verification: str | None, tier: int | None, has_account: bool) -> int:
    """The PCAF data-quality score (1 best, 5 worst) from the platform's verification status and dominant
    data-quality tier of the year (docs/finance.md § PCAF, the mapping table)."""
    if not has_account:
        return 5
    verified = verification == "verified"
    if verified and tier == 1:
        return 1
    if verified or tier == 1:
        return 2
    if tier == 2:
        return 3
    return 4


@dataclass
class PcafRow:
    loan: Loan
    financials: BorrowerFinancials | None
    factor: Decimal | None
    scope1: Decimal | None  # the borrower's, tCO2e
    scope2: Decimal | None
    financed1: Decimal | None
    financed2: Decimal | None
    score: int
    verification: str | None
    tier: int | None
    sector: str
    lineage: dict[str, Any] = field(default_factory=dict)


@dataclass
class Pcaf:
    bank: Organisation
    year: int
    on: datetime.date
    rows: list[PcafRow]
    by_sector: list[dict[str, Any]]
    outstanding: Decimal
    financed1: Decimal
    financed2: Decimal
    intensity: Decimal | None  # tCO2e per million yuan outstanding (loans with a figure)
    score: Decimal | None  # outstanding-weighted average score


def _financials(bank_id: int, ids: Sequence[int], on: datetime.date) -> dict[int, BorrowerFinancials]:
    out: dict[int, BorrowerFinancials] = {}
    for f in BorrowerFinancials.objects.filter(bank_id=bank_id, enterprise_id__in=list(ids), as_of__lte=on).order_by(
        "enterprise_id", "-as_of", "-pk"
    ):
        out.setdefault(f.enterprise_id, f)
    return out


def pcaf(bank: Organisation, year: int, on: datetime.date | None = None) -> Pcaf:
    """The bank's financed emissions: each loan with an outstanding amount × the borrower's scope 1 and 2 of
    ``year`` (a whole year of the account) × the attribution factor outstanding ÷ (equity + debt), the latest
    figures the bank entered on or before ``on``; totals by sector (industry division) and the intensity per million
    yuan lent."""
    on = on or timezone.localdate()
    loans = list(
        Loan.objects.filter(bank=bank, outstanding__gt=0).select_related("enterprise").order_by("enterprise_id", "pk")
    )
    ids = sorted({x.enterprise_id for x in loans})
    fin = _financials(bank.pk, ids, on)
    months: dict[int, set[int]] = defaultdict(set)
    s1: dict[int, Decimal] = defaultdict(Decimal)
    s2: dict[int, Decimal] = defaultdict(Decimal)
    for m in accounting.scope_month_totals(ids, [year]):
        months[m["enterprise_id"]].add(m["month"])
        s1[m["enterprise_id"]] += Decimal(str(m["scope1_tco2e"]))
        s2[m["enterprise_id"]] += Decimal(str(m["scope2_tco2e"]))
    facts = account_facts.facts_for_region("", year, ids) if ids else {}
    rows = []
    for loan in loans:
        e = loan.enterprise_id
        whole = len(months.get(e, ())) == 12
        f = facts.get(e)
        verification = f.facts["verification"].value if f is not None else None
        tier = f.facts["data_tier"].value if f is not None else None
        score = pcaf_score(verification, tier, whole)
        fi = fin.get(e)
        factor = (loan.outstanding / (fi.equity + fi.debt)).quantize(Decimal("0.000001")) if fi else None
        scope1 = s1[e].quantize(KG) if whole else None
        scope2 = s2[e].quantize(KG) if whole else None
        financed1 = (factor * scope1).quantize(KG) if factor is not None and scope1 is not None else None
        financed2 = (factor * scope2).quantize(KG) if factor is not None and scope2 is not None else None
        lineage = {
            "account": {"year": year, "months": len(months.get(e, ())), "source": "accounting.scope_month_totals"},
            "financials": {"id": fi.pk, "as_of": fi.as_of.isoformat(), "source": fi.source} if fi else None,
            "quality": {"verification": verification, "tier": tier},
        }
        rows.append(
            PcafRow(
                loan,
                fi,
                factor,
                scope1,
                scope2,
                financed1,
                financed2,
                score,
                verification,
                tier,
                (loan.industry_code or "")[:2],
                lineage,
            )
        )
    sectors: dict[str, dict[str, Any]] = {}
    for r in rows:
        s = sectors.setdefault(
            r.sector,
            {
                "sector": r.sector,
                "loans": 0,
                "outstanding": Decimal(0),
                "financed1": Decimal(0),
                "financed2": Decimal(0),
                "missing": 0,
            },
        )
        s["loans"] += 1
        s["outstanding"] += r.loan.outstanding
        if r.financed1 is None or r.financed2 is None:
            s["missing"] += 1
        else:
            s["financed1"] += r.financed1
            s["financed2"] += r.financed2
    counted = [r for r in rows if r.financed1 is not None and r.financed2 is not None]
    lent = sum((r.loan.outstanding for r in counted), Decimal(0))
    f1 = sum((r.financed1 for r in counted if r.financed1 is not None), Decimal(0))
    f2 = sum((r.financed2 for r in counted if r.financed2 is not None), Decimal(0))
    weight = sum((r.loan.outstanding for r in rows), Decimal(0))
    return Pcaf(
        bank=bank,
        year=year,
        on=on,
        rows=rows,
        by_sector=[sectors[k] for k in sorted(sectors)],
        outstanding=weight,
        financed1=f1,
        financed2=f2,
        intensity=((f1 + f2) / (lent / Decimal(1000000))).quantize(KG) if lent > 0 else None,
        score=(sum((r.loan.outstanding * r.score for r in rows), Decimal(0)) / weight).quantize(FEN)
        if weight > 0
        else None,
    )


def pcaf_table(p: Pcaf) -> tuple[list[str], list[list[Any]]]:
    head = [
        gettext("贷款编号"),
        gettext("借款企业"),
        gettext("行业"),
        gettext("贷款余额（元）"),
        gettext("所有者权益（元）"),
        gettext("负债（元）"),
        gettext("报表日期"),
        gettext("权益与负债来源"),
        gettext("归因系数"),
        gettext("范围一（tCO2e）"),
        gettext("范围二（tCO2e）"),
        gettext("融资排放·范围一（tCO2e）"),
        gettext("融资排放·范围二（tCO2e）"),
        gettext("PCAF 数据质量评分"),
    ]
    body: list[list[Any]] = []
    for r in p.rows:
        fi = r.financials
        body.append(
            [
                r.loan.number,
                r.loan.enterprise.name,
                r.sector,
                r.loan.outstanding,
                fi.equity if fi else "",
                fi.debt if fi else "",
                fi.as_of.isoformat() if fi else "",
                fi.source if fi else "",
                r.factor if r.factor is not None else "",
                r.scope1 if r.scope1 is not None else "",
                r.scope2 if r.scope2 is not None else "",
                r.financed1 if r.financed1 is not None else "",
                r.financed2 if r.financed2 is not None else "",
                r.score,
            ]
        )
    body.append(
        [
            gettext("合计"),
            "",
            "",
            p.outstanding,
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            p.financed1,
            p.financed2,
            p.score if p.score is not None else "",
        ]
    )
    return head, body


# ------------------------------------------------------------------------------------------------ export


def to_csv(head: Sequence[str], body: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM (Excel opens it in Chinese); numbers as written (Decimal's own text)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(head)
    for row in body:
        w.writerow([str(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(title: str, head: Sequence[str], body: Iterable[Sequence[Any]]) -> bytes:
    """One sheet; Decimal cells are written as their exact text (never a float)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    ws.append(list(head))
    for row in body:
        ws.append([str(v) if isinstance(v, Decimal) else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

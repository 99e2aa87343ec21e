"""The demo region's KPI-linked loans, CERF and PCAF (docs/finance.md § KPI-linked loans, § CERF, § PCAF), through
the finance services, after the demo loans and certification: KPIs on the first bank's loans — an intensity KPI met,
a grade KPI missed (the rate steps up, the bank is alerted), a coal-mine-style external score entered with its
evidence file — the certified projects' loans named for CERF (a loan is granted to a certified project's owner that
has none, where a product qualifies it), and every borrower's equity and debt entered by its bank for PCAF.

Figures are illustrative: targets are set around the borrowers' own figures so that one KPI is missed."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from dualcarbon.finance import certification, disclosure, kpi, lending
from dualcarbon.finance.models import CertApplication, CertKind, Loan
from dualcarbon.rating import facts as account_facts
from dualcarbon.registry import access


def _bank_user(user_by_name: dict[str, Any], bank_id: int) -> Any:
    for name in ("bank", "bank2", "bank3"):
        user = user_by_name.get(name)
        if user is not None and bank_id in access.actor_for(user).bank_ids:
            return user
    return None


def _kpis(user: Any, loans: list[Loan], year: int) -> dict[str, int]:
    out = {"loan_kpis": 0}
    for i, loan in enumerate(loans[:3]):
        facts = account_facts.facts_for(loan.enterprise_id, year)
        values = facts.values() if facts is not None else {}
        if i == 0 and values.get("intensity") is not None:  # met: a target 5 % above the figure
            target = (Decimal(str(values["intensity"])) * Decimal("1.05")).quantize(Decimal("0.0001"))
            kpi.add_kpi(
                user,
                loan,
                metric="intensity",
                name="碳排放强度不高于目标",
                targets=f"{year}: {target} tCO2/万元",
                step_met_bp=-10,
                step_missed_bp=25,
            )
            out["loan_kpis"] += 1
        elif i == 1 and values.get("intensity") is not None:  # missed: a target 5 % below the figure
            target = (Decimal(str(values["intensity"])) * Decimal("0.95")).quantize(Decimal("0.0001"))
            kpi.add_kpi(
                user,
                loan,
                metric="intensity",
                name="碳排放强度较上年下降 5%",
                targets=f"{year}: {target} tCO2/万元",
                step_met_bp=-15,
                step_missed_bp=30,
            )
            out["loan_kpis"] += 1
            if values.get("grade"):  # and the grade kept (met)
                kpi.add_kpi(
                    user,
                    loan,
                    metric="grade",
                    name="碳效等级不下调",
                    targets=f"{year}: {int(values['grade'])} 级",
                    step_met_bp=0,
                    step_missed_bp=20,
                )
                out["loan_kpis"] += 1
        elif i == 2:  # an external score with its evidence (the region's coal-mine acceptance score, illustrative)
            k = kpi.add_kpi(
                user,
                loan,
                metric="external",
                name="智能化验收评分",
                unit="分",
                source="智能化建设验收评分（示范：省级主管部门出具）",
                targets=[{"year": year, "value": "85", "unit": "分"}],
                step_met_bp=-20,
                step_missed_bp=20,
            )
            kpi.enter_score(
                user,
                k,
                year=year,
                value="88.5",
                evidence=ContentFile(b"%PDF-1.4\n% demo acceptance opinion\n", name="验收意见（示范）.pdf"),
                evidence_note=f"验收意见书（示范）第 {year}-{loan.pk:03d} 号",
            )
            out["loan_kpis"] += 1
    return out


def _cerf(user_by_name: dict[str, Any], year: int) -> int:
    """The first bank's 转型项目贷 for certified transition projects; name the certified project each of its owner's
    loans finances (an owner without a loan borrows under a product it qualifies for)."""
    today = timezone.localdate()
    linked = 0
    lending.create_product(
        user_by_name["bank"],
        None,
        code="ZXXM",
        name_zh="转型项目贷",
        name_en="Transition project loan",
        purpose_tag="transition",
        valid_from=datetime.date(year, 1, 1),
        rule={"fact": "certification", "op": "in", "value": ["project", "enterprise"]},
        min_amount="1000000",
        max_amount="50000000",
        min_term=12,
        max_term=60,
        base_rate_bp=330,
        grade_spreads={"1": -20, "2": -10, "3": 0, "4": 20, "5": 40},
        description="示范产品：支持已入库的降碳转型升级项目，可申请碳减排支持工具；利率为示意 / demo product",
    )
    for project in CertApplication.objects.filter(kind=CertKind.PROJECT, status="certified").select_related(
        "enterprise"
    ):
        if not certification.in_library(project, today):
            continue
        loans = list(Loan.objects.filter(enterprise=project.enterprise).order_by("pk"))
        if not loans:
            staff = project.enterprise.memberships.filter(role="enterprise_staff").select_related("user").first()
            bank_user = user_by_name["bank"]
            facts = lending.enterprise_facts(project.enterprise)
            for product, version in lending.products_in_force(today):
                if staff is None or product.bank_id not in access.actor_for(bank_user).bank_ids:
                    continue
                if not lending.offer(product, version, facts).eligible:
                    continue
                amount = max(version.min_amount, min(version.max_amount, Decimal("3000000")))
                try:
                    app = lending.apply(
                        staff.user,
                        project.enterprise,
                        product,
                        amount=str(amount),
                        term_months=max(version.min_term, min(version.max_term, 36)),
                        purpose=f"{project.name}建设",
                        grant_consent=True,
                    )
                except ValidationError:
                    continue  # e.g. a grade the product does not price: try the next product
                lending.decide(
                    bank_user,
                    app,
                    approve=True,
                    amount=str(amount),
                    rate_bp=app.quoted_rate_bp or version.base_rate_bp,
                    term_months=app.term_months,
                )
                lending.record_movement(bank_user, app.loan, "drawdown", str(amount), note="项目贷款一次提款")
                loans = [app.loan]
                break
        for loan in loans:
            user = _bank_user(user_by_name, loan.bank_id)
            if user is None:
                continue
            disclosure.link_project(
                user,
                loan,
                project=project,
                project_financing=str(max(project.investment, loan.amount)),
                source=f"项目可行性研究报告批复（示范）：总投资 {project.investment} 元",
            )
            linked += 1
    return linked


def _pcaf(user_by_name: dict[str, Any], year: int) -> int:
    """Every borrower's equity and debt, entered by each lending bank (illustrative: a multiple of its loans)."""
    n = 0
    pairs = sorted(set(Loan.objects.values_list("bank_id", "enterprise_id")))
    for bank_id, ent_id in pairs:
        user = _bank_user(user_by_name, bank_id)
        if user is None:
            continue
        lent = sum(Loan.objects.filter(enterprise_id=ent_id).values_list("amount", flat=True), Decimal(0))
        equity = (lent * Decimal("3.2") + Decimal(ent_id % 7) * Decimal("1000000")).quantize(Decimal("0.01"))
        debt = (lent * Decimal("1.6")).quantize(Decimal("0.01"))
        disclosure.enter_financials(
            user,
            bank_id,
            ent_id,
            as_of=f"{year}-12-31",
            equity=str(equity),
            debt=str(debt),
            source=f"{year} 年度财务报表（示范数据）",
        )
        n += 1
    return n


def build(user_by_name: dict[str, Any], years: Sequence[int]) -> dict[str, int]:
    year = years[-1]
    bank_user = user_by_name["bank"]
    loans = list(
        Loan.objects.filter(bank_id__in=access.actor_for(bank_user).bank_ids)
        .select_related("application", "enterprise")
        .order_by("pk")
    )
    counts = _kpis(bank_user, loans, year)
    counts["cerf_loans"] = _cerf(user_by_name, year)
    counts["pcaf_financials"] = _pcaf(user_by_name, year)
    return counts

"""Read models of products, applications, loans, needs and statistics (docs/finance.md): every queryset starts from
:mod:`dualcarbon.finance.scoping`; out of scope answers 404 exactly like missing. Shared by the pages and the API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from dualcarbon.registry.models import Organisation

from . import lending, scoping
from .models import FinancingNeed, Loan, LoanApplication, NeedPush, Product


def own_enterprise(user: Any, org_id: int) -> Organisation:
    """An enterprise of the user's own staff (products with reasons, applications, loans)."""
    return get_object_or_404(scoping.own_enterprises(user), pk=org_id)


def need_enterprise(user: Any, org_id: int) -> Organisation:
    """An enterprise whose needs the user may see and post (its staff, its government, the admin)."""
    ent = get_object_or_404(Organisation, pk=org_id, kind=Organisation.Kind.ENTERPRISE)
    if not scoping.needs(user).filter(enterprise=ent).exists() and not lending.can_post_need(user, ent):
        from dualcarbon.registry import access

        if not access.actor_for(user).is_admin:
            raise Http404
    return ent


def bank_product(user: Any, product_id: int) -> Product:
    return get_object_or_404(scoping.bank_products(user).select_related("bank"), pk=product_id)


def bank_application(user: Any, application_id: int) -> LoanApplication:
    return get_object_or_404(
        scoping.bank_applications(user).select_related("product", "version", "enterprise", "bank", "consent"),
        pk=application_id,
    )


def enterprise_application(user: Any, org_id: int, application_id: int) -> LoanApplication:
    ent = own_enterprise(user, org_id)
    return get_object_or_404(
        scoping.enterprise_applications(user).select_related("product", "bank"), pk=application_id, enterprise=ent
    )


def bank_loan(user: Any, loan_id: int) -> Loan:
    return get_object_or_404(scoping.bank_loans(user).select_related("enterprise", "product", "bank"), pk=loan_id)


def enterprise_loans(user: Any, org_id: int) -> QuerySet[Loan]:
    ent = own_enterprise(user, org_id)
    return scoping.enterprise_loans(user).filter(enterprise=ent).select_related("product", "bank")


def statistics_loans(user: Any) -> QuerySet[Loan]:
    qs = scoping.statistics_loans(user)
    if qs is None:
        raise Http404
    return qs


def region_needs(user: Any) -> list[FinancingNeed]:
    """Needs of the government's jurisdiction (or all, for the admin), newest first."""
    from dualcarbon.registry import access

    actor = access.actor_for(user)
    if not (actor.region_prefixes or actor.is_admin):
        raise Http404
    return list(scoping.needs(user).select_related("enterprise__region", "enterprise__industry")[:1000])


def pushes(user: Any) -> QuerySet[NeedPush]:
    return scoping.pushes(user).prefetch_related("needs", "banks")


# ------------------------------------------------------------------------------------------------ serialisers


def version_dict(v: Any) -> dict[str, Any]:
    return {
        "version": v.version,
        "valid_from": v.valid_from,
        "valid_to": v.valid_to,
        "rule": v.rule,
        "min_amount": str(v.min_amount),
        "max_amount": str(v.max_amount),
        "min_term": v.min_term,
        "max_term": v.max_term,
        "base_rate_bp": v.base_rate_bp,
        "grade_spreads": v.grade_spreads,
        "note": v.note,
    }


def product_dict(p: Product) -> dict[str, Any]:
    return {
        "id": p.pk,
        "bank_id": p.bank_id,
        "bank": p.bank.name,
        "code": p.code,
        "name_zh": p.name_zh,
        "name_en": p.name_en,
        "purpose_tag": p.purpose_tag,
        "description": p.description,
        "versions": [version_dict(v) for v in p.versions.order_by("-version")],
    }


def offer_dict(o: lending.Offer) -> dict[str, Any]:
    return {
        "product_id": o.product.pk,
        "bank": o.product.bank.name,
        "code": o.product.code,
        "name": o.product.name_zh,
        "purpose_tag": o.product.purpose_tag,
        "version": o.version.version,
        "eligible": o.eligible,
        "near_miss": o.evaluation.is_near_miss(),
        "grade": o.grade,
        "rate_bp": o.rate_bp,
        "rate_how": rate_how(o.version, o.grade),
        "min_amount": str(o.version.min_amount),
        "max_amount": str(o.version.max_amount),
        "min_term": o.version.min_term,
        "max_term": o.version.max_term,
        "reasons": o.reasons(),
        "to_fix": o.to_fix(),
        "outcomes": [x.to_dict() for x in o.evaluation.outcomes],
    }


def rate_how(version: Any, grade: int | None) -> str:
    """How a quote is made: "基准 385 基点 −20 基点（2 级）= 365 基点"."""
    r = lending.price(version, grade)
    if r is None:
        return _("该产品未对此等级定价") if grade is not None else _("暂无碳效等级，无法定价")
    spread = int(version.grade_spreads[str(grade)])
    return _("基准 %(b)s 基点 %(s)s 基点（%(g)s 级）= %(r)s 基点") % {
        "b": version.base_rate_bp,
        "s": f"{spread:+d}".replace("-", "−"),
        "g": grade,
        "r": r,
    }


def application_dict(a: LoanApplication) -> dict[str, Any]:
    loan = getattr(a, "loan", None) if a.status == LoanApplication.Status.APPROVED else None
    return {
        "id": a.pk,
        "product_id": a.product_id,
        "product": a.product.name_zh,
        "version": a.version.version,
        "bank_id": a.bank_id,
        "bank": a.bank.name,
        "enterprise_id": a.enterprise_id,
        "enterprise": a.enterprise.name,
        "need_id": a.need_id,
        "consent_id": a.consent_id,
        "amount": str(a.amount),
        "term_months": a.term_months,
        "purpose": a.purpose,
        "grade": a.grade,
        "quoted_rate_bp": a.quoted_rate_bp,
        "status": a.status,
        "applied_at": a.applied_at,
        "decided_at": a.decided_at,
        "approved_amount": None if a.approved_amount is None else str(a.approved_amount),
        "approved_rate_bp": a.approved_rate_bp,
        "approved_term_months": a.approved_term_months,
        "decline_reason": a.decline_reason,
        "loan_id": loan.pk if loan else None,
    }


def loan_dict(loan: Loan, movements: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": loan.pk,
        "number": loan.number,
        "bank_id": loan.bank_id,
        "bank": loan.bank.name,
        "enterprise_id": loan.enterprise_id,
        "enterprise": loan.enterprise.name,
        "product_id": loan.product_id,
        "product": loan.product.name_zh,
        "need_id": loan.need_id,
        "purpose_tag": loan.purpose_tag,
        "amount": str(loan.amount),
        "rate_bp": loan.rate_bp,
        "term_months": loan.term_months,
        "booked_at": loan.booked_at,
        "maturity_date": loan.maturity_date,
        "drawn": str(loan.drawn),
        "undrawn": str(loan.amount - loan.drawn),
        "outstanding": str(loan.outstanding),
        "movements": [],
    }
    if movements:
        out["movements"] = [
            {
                "id": m.pk,
                "kind": m.kind,
                "amount": str(m.amount),
                "on": m.on,
                "drawn_after": str(m.drawn_after),
                "outstanding_after": str(m.outstanding_after),
                "note": m.note,
            }
            for m in loan.movements.all()
        ]
    return out


def need_dict(n: FinancingNeed, granted: dict[int, Decimal], *, detail: bool = True) -> dict[str, Any]:
    g = granted.get(n.pk, Decimal(0))
    return {
        "id": n.pk,
        "enterprise_id": n.enterprise_id,
        "enterprise": n.enterprise.name,
        "amount": str(n.amount),
        "purpose_tag": n.purpose_tag,
        "purpose": n.purpose,
        "term_months": n.term_months,
        "status": n.status,
        "by_government": n.by_government,
        "posted_at": n.posted_at,
        "granted": str(g) if detail else None,
    }


def followup_dict(f: lending.Followup) -> dict[str, Any]:
    return {
        "needs": f.needs,
        "firms": f.firms,
        "needed": str(f.needed),
        "granted": str(f.granted),
        "granted_needs": f.granted_needs,
        "granted_pct": None if f.granted_pct is None else str(f.granted_pct),
    }


def market_product(product_id: int) -> Product:
    """A product with a version in force today (what any enterprise may apply for); 404 otherwise."""
    from django.utils import timezone

    from dualcarbon.registry import effective

    return get_object_or_404(
        Product.objects.select_related("bank")
        .filter(versions__in=lending.ProductVersion.objects.filter(effective.in_force_q(timezone.localdate())))
        .distinct(),
        pk=product_id,
    )


def push_dict(p: NeedPush) -> dict[str, Any]:
    rows = list(p.needs.all())
    return {
        "id": p.pk,
        "region": p.region_id,
        "title": p.title,
        "pushed_at": p.pushed_at,
        "need_ids": sorted(n.pk for n in rows),
        "bank_ids": sorted(b.pk for b in p.banks.all()),
        "followup": followup_dict(lending.need_followup(rows)),
    }


def bank_need_rows(request: Any, user: Any) -> list[dict[str, Any]]:
    """Needs pushed to the user's banks. Without an active consent naming the grade: the enterprise's name, the
    amount, purpose and term only; with one, its latest grade, industry and district as well — each such read is
    written to the enterprise's bank read log (resource rating)."""
    from dualcarbon.registry import access
    from dualcarbon.registry.audit import Resource, record_read

    rows = list(scoping.bank_needs(user).select_related("enterprise__industry", "enterprise__region"))
    out = []
    for n in rows:
        ent = n.enterprise
        consent = access.reading_consent(user, ent, scope=access.GRADE)
        row = {
            "id": n.pk,
            "enterprise_id": ent.pk,
            "enterprise": ent.name,
            "amount": str(n.amount),
            "purpose_tag": n.purpose_tag,
            "purpose": n.purpose,
            "term_months": n.term_months,
            "consented": consent is not None,
            "grade": None,
            "industry": None,
            "district": None,
        }
        if consent is not None:
            facts = lending.enterprise_facts(ent)
            grade = facts.values().get("grade") if facts is not None else None
            row.update(
                grade=int(grade) if grade is not None else None,
                industry=ent.industry.name_zh if ent.industry else None,
                district=ent.region.name if ent.region else None,
            )
            if request is not None:
                record_read(request, ent, Resource.RATING, f"融资需求 #{n.pk}")
        out.append(row)
    return out

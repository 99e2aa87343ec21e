"""Scoping of the finance app, built from the access predicates (:mod:`dualcarbon.registry.access`).

* An enterprise's consents and the requests it received: its own staff, its region's government (read only) and
  the platform admin (read only) — the readers of its bank read log.
* A bank's consents received and requests sent: that bank's staff.
* Transition certification: an application is seen by its enterprise's staff, the verification body it names, the
  government of its region and the admin; a bank sees only the library entries pushed to it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from dualcarbon.registry import access
from dualcarbon.registry.models import Consent, Organisation

from .models import (
    BankAlert,
    BorrowerFinancials,
    CertApplication,
    CertPush,
    CertRuler,
    ConsentRequest,
    CreditReport,
    FinancingNeed,
    Loan,
    LoanApplication,
    LoanKpi,
    LoanProject,
    NeedPush,
    Product,
)


def consent_enterprises(user: Any) -> QuerySet[Organisation]:
    """Enterprises whose consent page the user may open."""
    actor = access.actor_for(user)
    qs = Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE)
    return qs if actor.is_admin else qs.filter(access.owner_or_government_q(actor, ""))


def enterprise_consents(user: Any) -> QuerySet[Consent]:
    """Consents given by the enterprises of :func:`consent_enterprises`."""
    return Consent.objects.filter(enterprise__in=consent_enterprises(user).values("pk"))


def enterprise_requests(user: Any) -> QuerySet[ConsentRequest]:
    """Consent requests received by the enterprises of :func:`consent_enterprises`."""
    return ConsentRequest.objects.filter(enterprise__in=consent_enterprises(user).values("pk"))


def can_change_consents(user: Any, enterprise: Organisation | int) -> bool:
    """Only the enterprise's own staff grant, change, revoke and answer requests."""
    return access.can_report_for(user, enterprise)


def user_banks(user: Any) -> QuerySet[Organisation]:
    """The banks the user works for (none: not a bank's staff)."""
    return Organisation.objects.filter(pk__in=access.actor_for(user).bank_ids, kind=Organisation.Kind.BANK)


def bank_consents(user: Any) -> QuerySet[Consent]:
    """Consents received by the user's banks."""
    ids = access.actor_for(user).bank_ids
    return Consent.objects.filter(bank_id__in=ids) if ids else Consent.objects.none()


def bank_requests(user: Any) -> QuerySet[ConsentRequest]:
    """Consent requests sent by the user's banks."""
    ids = access.actor_for(user).bank_ids
    return ConsentRequest.objects.filter(Q(bank_id__in=ids)) if ids else ConsentRequest.objects.none()


# --------------------------------------------------------------------------------------------- credit reports


def report_consent(user: Any, enterprise: Organisation | int) -> Consent | None:
    """The active consent naming the credit report through which the user's bank reads this enterprise (the
    latest when several), or None (not a bank's staff, or no such consent: the report is refused)."""
    return access.reading_consent(user, enterprise, scope=access.CREDIT_REPORT)


def report_enterprises(user: Any) -> QuerySet[Organisation]:
    """Enterprises whose credit report the user's banks may generate: an active consent names the credit report.
    Only banks generate reports (the enterprise, its government and the admin read its accounts directly)."""
    actor = access.actor_for(user)
    if not actor.bank_ids:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        kind=Organisation.Kind.ENTERPRISE, pk__in=access.consenting_enterprises(actor, access.CREDIT_REPORT)
    )


def bank_reports(user: Any) -> QuerySet[CreditReport]:
    """Credit reports the user's banks generated, while the enterprise's consent naming the credit report is still
    active (a revocation or a narrowing that drops the item hides them at once)."""
    actor = access.actor_for(user)
    if not actor.bank_ids:
        return CreditReport.objects.none()
    live = access.bank_consents(actor, access.CREDIT_REPORT)
    # the report's own bank must hold the live consent (not another bank of the same user)
    pairs = Q(pk__in=[])
    for bank_id, enterprise_id in live.values_list("bank_id", "enterprise_id"):
        pairs |= Q(bank_id=bank_id, enterprise_id=enterprise_id)
    return CreditReport.objects.filter(pairs)


def consent_allows(consent: Consent, item: str) -> bool:
    """Whether the consent names the item (``summary``: the account summary or the monthly lines)."""
    items = {
        "summary": access.SUMMARY,
        "grade": access.GRADE,
        "certification": access.CERTIFICATION,
        "accounts": access.ACCOUNTS,
    }[item]
    return access.consent_allows(consent, items)


# --------------------------------------------------------------------------------------------- products and loans


def bank_products(user: Any) -> QuerySet[Product]:
    """Products of the user's banks (their staff manage them)."""
    ids = access.actor_for(user).bank_ids
    return Product.objects.filter(bank_id__in=ids) if ids else Product.objects.none()


def own_enterprises(user: Any) -> QuerySet[Organisation]:
    """The enterprises the user works for: they see products with their reasons, apply, and see their loans."""
    ids = access.actor_for(user).enterprise_ids
    return Organisation.objects.filter(pk__in=ids, kind=Organisation.Kind.ENTERPRISE)


def bank_applications(user: Any) -> QuerySet[LoanApplication]:
    """Applications to the user's banks' products (bank A never sees bank B's)."""
    ids = access.actor_for(user).bank_ids
    return LoanApplication.objects.filter(bank_id__in=ids) if ids else LoanApplication.objects.none()


def enterprise_applications(user: Any) -> QuerySet[LoanApplication]:
    """The applications of the user's own enterprises (not their government: no single loan is shown to it)."""
    return LoanApplication.objects.filter(enterprise__in=own_enterprises(user).values("pk"))


def bank_loans(user: Any) -> QuerySet[Loan]:
    ids = access.actor_for(user).bank_ids
    return Loan.objects.filter(bank_id__in=ids) if ids else Loan.objects.none()


def enterprise_loans(user: Any) -> QuerySet[Loan]:
    return Loan.objects.filter(enterprise__in=own_enterprises(user).values("pk"))


def needs(user: Any) -> QuerySet[FinancingNeed]:
    """Financing needs the user may see and follow up: the enterprise's own staff, the government of its region
    and the admin."""
    actor = access.actor_for(user)
    if actor.user_id is None:
        return FinancingNeed.objects.none()
    return FinancingNeed.objects.filter(access.owner_or_government_q(actor))


def bank_needs(user: Any) -> QuerySet[FinancingNeed]:
    """Needs pushed to the user's banks."""
    ids = access.actor_for(user).bank_ids
    if not ids:
        return FinancingNeed.objects.none()
    return FinancingNeed.objects.filter(
        pk__in=NeedPush.needs.through.objects.filter(needpush__banks__in=ids).values("financingneed_id")
    )


def pushes(user: Any) -> QuerySet[NeedPush]:
    """Pushes made in the user's jurisdiction (government, admin)."""
    actor = access.actor_for(user)
    if actor.is_admin:
        return NeedPush.objects.all()
    if not actor.region_prefixes:
        return NeedPush.objects.none()
    return NeedPush.objects.filter(access.region_q(actor.region_prefixes, "region_id"))


def can_push(user: Any) -> bool:
    return bool(access.actor_for(user).region_prefixes)


def statistics_loans(user: Any) -> QuerySet[Loan] | None:
    """Loans whose aggregates the user may see: government staff, of borrowers in their jurisdiction; the admin,
    all. None: not a reader of statistics (banks, enterprises, verifiers)."""
    actor = access.actor_for(user)
    if actor.is_admin:
        return Loan.objects.all()
    if not actor.region_prefixes:
        return None
    return Loan.objects.filter(access.region_q(actor.region_prefixes, "region_code"))


# --------------------------------------------------------------------------------------------- transition certification


def cert_rulers(user: Any) -> QuerySet[CertRuler]:
    """Certification rulers (published standards of a region): government staff and the admin read them all; the
    enterprise reads those in force through its application form."""
    actor = access.actor_for(user)
    return CertRuler.objects.all() if (actor.is_admin or actor.region_prefixes) else CertRuler.objects.none()


def can_configure_rulers(user: Any) -> bool:
    return bool(access.actor_for(user).region_prefixes)


def enterprise_certs(user: Any) -> QuerySet[CertApplication]:
    """The certification applications of the user's own enterprises."""
    ids = access.actor_for(user).enterprise_ids
    return CertApplication.objects.filter(enterprise_id__in=ids) if ids else CertApplication.objects.none()


def verifier_certs(user: Any) -> QuerySet[CertApplication]:
    """Applications naming one of the user's verification bodies as their reviewer."""
    ids = access.actor_for(user).verifier_ids
    return CertApplication.objects.filter(verifier_id__in=ids) if ids else CertApplication.objects.none()


def region_certs(user: Any) -> QuerySet[CertApplication]:
    """Applications of enterprises in the user's jurisdiction (government staff); every one for the admin."""
    actor = access.actor_for(user)
    if actor.is_admin:
        return CertApplication.objects.all()
    if not actor.region_prefixes:
        return CertApplication.objects.none()
    return CertApplication.objects.filter(access.region_q(actor.region_prefixes, "enterprise__region__code"))


def bank_certs(user: Any) -> QuerySet[CertApplication]:
    """Library entries pushed to the user's banks (bank A never sees what was pushed to bank B)."""
    ids = access.actor_for(user).bank_ids
    if not ids:
        return CertApplication.objects.none()
    return CertApplication.objects.filter(
        pk__in=CertPush.entries.through.objects.filter(certpush__banks__in=ids).values("certapplication_id")
    )


def certs(user: Any) -> QuerySet[CertApplication]:
    """Every application the user may open: its enterprise's, its verifier's, its government's, pushed to its bank."""
    actor = access.actor_for(user)
    if actor.user_id is None:
        return CertApplication.objects.none()
    if actor.is_admin:
        return CertApplication.objects.all()
    q = Q(enterprise_id__in=list(actor.enterprise_ids)) | Q(verifier_id__in=list(actor.verifier_ids))
    if actor.region_prefixes:
        q |= access.region_q(actor.region_prefixes, "enterprise__region__code")
    if actor.bank_ids:
        q |= Q(pk__in=bank_certs(user).values("pk"))
    return CertApplication.objects.filter(q)


def cert_pushes(user: Any) -> QuerySet[CertPush]:
    actor = access.actor_for(user)
    if actor.is_admin:
        return CertPush.objects.all()
    if not actor.region_prefixes:
        return CertPush.objects.none()
    return CertPush.objects.filter(access.region_q(actor.region_prefixes, "region_id"))


# ------------------------------------------------------------------------------------------------ KPI loans, CERF, PCAF


def bank_kpis(user: Any) -> QuerySet[LoanKpi]:
    """The KPIs of the user's banks' loans (bank A never sees bank B's)."""
    ids = access.actor_for(user).bank_ids
    return LoanKpi.objects.filter(loan__bank_id__in=ids) if ids else LoanKpi.objects.none()


def enterprise_kpis(user: Any) -> QuerySet[LoanKpi]:
    """The KPIs of the loans of the user's own enterprises (read only; not their government: no single loan)."""
    return LoanKpi.objects.filter(loan__enterprise__in=own_enterprises(user).values("pk"))


def bank_alerts(user: Any) -> QuerySet[BankAlert]:
    """The alerts of the user's banks (never government's: they are about single loans)."""
    ids = access.actor_for(user).bank_ids
    return BankAlert.objects.filter(bank_id__in=ids) if ids else BankAlert.objects.none()


def bank_project_links(user: Any) -> QuerySet[LoanProject]:
    ids = access.actor_for(user).bank_ids
    return LoanProject.objects.filter(loan__bank_id__in=ids) if ids else LoanProject.objects.none()


def bank_financials(user: Any) -> QuerySet[BorrowerFinancials]:
    """The equity and debt figures the user's banks entered (each bank's own)."""
    ids = access.actor_for(user).bank_ids
    return BorrowerFinancials.objects.filter(bank_id__in=ids) if ids else BorrowerFinancials.objects.none()

"""Read models of transition certification (docs/finance.md § Transition certification): every queryset starts from
:mod:`dualcarbon.finance.scoping`; out of scope answers 404 exactly like missing. Shared by the pages and the API."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from dualcarbon.registry import access

from . import certification, scoping
from .loan_queries import own_enterprise
from .models import CertApplication, CertKind, CertPrinciple, CertRuler

__all__ = ["own_enterprise"]

RELATED = ("enterprise", "enterprise__region", "ruler", "verifier")


def enterprise_cert(user: Any, org_id: int, cert_id: int) -> CertApplication:
    ent = own_enterprise(user, org_id)
    return get_object_or_404(scoping.enterprise_certs(user).select_related(*RELATED), pk=cert_id, enterprise=ent)


def review_cert(user: Any, cert_id: int) -> CertApplication:
    return get_object_or_404(scoping.verifier_certs(user).select_related(*RELATED), pk=cert_id)


def region_cert(user: Any, cert_id: int) -> CertApplication:
    return get_object_or_404(scoping.region_certs(user).select_related(*RELATED), pk=cert_id)


def cert(user: Any, cert_id: int) -> CertApplication:
    return get_object_or_404(scoping.certs(user).select_related(*RELATED), pk=cert_id)


def require_verifier(user: Any) -> None:
    if not access.actor_for(user).verifier_ids:
        raise Http404


def require_government(user: Any) -> None:
    actor = access.actor_for(user)
    if not (actor.region_prefixes or actor.is_admin):
        raise Http404


def require_bank(user: Any) -> None:
    if not access.actor_for(user).bank_ids:
        raise Http404


def region_library(user: Any, kind: str | None = None) -> list[CertApplication]:
    """The entries in the jurisdiction's libraries today (certified, within their validity)."""
    qs = scoping.region_certs(user).filter(status=CertApplication.Status.CERTIFIED).select_related(*RELATED)
    if kind:
        qs = qs.filter(kind=kind)
    today = timezone.localdate()
    return [a for a in qs.order_by("kind", "enterprise__name", "pk") if certification.in_library(a, today)]


def bank_library(user: Any) -> QuerySet[CertApplication]:
    return scoping.bank_certs(user).select_related(*RELATED).order_by("kind", "enterprise__name", "pk")


# ------------------------------------------------------------------------------------------------ serialisers


def ruler_dict(r: CertRuler) -> dict[str, Any]:
    return {
        "id": r.pk,
        "region": r.region_id,
        "industry_code": r.industry_code,
        "kind": r.kind,
        "version": r.version,
        "valid_from": r.valid_from,
        "valid_to": r.valid_to,
        "sector_name": r.sector_name,
        "metric": r.metric,
        "unit": r.unit,
        "entry_value": r.entry_text,
        "advanced_value": r.advanced_text,
        "min_reduction_pct": str(r.min_reduction_pct),
        "principles": list(r.principles),
        "source": r.source,
        "note": r.note,
    }


def principle_rows(app: CertApplication) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(code, label, the verifier's check or None) for each principle of the application's ruler."""
    checks = app.principle_checks or {}
    return [(p, str(CertPrinciple(p).label), checks.get(p)) for p in app.ruler.principles]


def cert_dict(app: CertApplication, *, full: bool = True) -> dict[str, Any]:
    """The application as the API answers it. ``full=False`` (a bank reading a pushed entry): what the library
    discloses — the entry, its ruler, the expected figures, the validity and the flags — not the account baseline,
    the follow-up or the review."""
    out: dict[str, Any] = {
        "id": app.pk,
        "enterprise_id": app.enterprise_id,
        "enterprise": app.enterprise.name,
        "kind": app.kind,
        "industry_code": app.industry_code,
        "name": app.name,
        "ruler": ruler_dict(app.ruler),
        "declared_value": app.declared_text,
        "advanced": app.is_advanced,
        "expected_savings_tce": str(app.expected_savings_tce),
        "expected_reduction_tco2": str(app.expected_reduction_tco2),
        "investment": str(app.investment),
        "status": app.status,
        "in_library": certification.in_library(app),
        "valid_from": app.valid_from,
        "valid_until": app.valid_until,
        "major_event": app.major_event,
        "major_event_note": app.major_event_note,
        "reason": app.reason if app.status == CertApplication.Status.REVOKED else "",
        "baseline_year": None,
        "baseline": None,
        "expected_reduction_pct": None,
        "verifier_id": None,
        "verifier": None,
        "evidence": None,
        "evidence_ref": None,
        "returns": None,
        "principle_checks": None,
        "review_comment": None,
        "applied_at": app.applied_at,
        "events": [],
        "followup": [],
    }
    if not full:
        return out
    pct = app.expected_reduction_pct
    out.update(
        baseline_year=app.baseline_year,
        baseline=app.baseline,
        expected_reduction_pct=None if pct is None else str(pct),
        verifier_id=app.verifier_id,
        verifier=app.verifier.name,
        evidence=app.evidence,
        evidence_ref=app.evidence_ref,
        returns=app.returns,
        principle_checks=app.principle_checks,
        review_comment=app.review_comment,
        reason=app.reason,
        events=[
            {
                "action": e.action,
                "status_from": e.status_from,
                "status_to": e.status_to,
                "comment": e.comment,
                "at": e.at,
            }
            for e in app.events.all()
        ],
        followup=[f.as_dict() for f in certification.followup(app)],
    )
    return out


def sees_full(user: Any, app: CertApplication) -> bool:
    """Whether the user reads the application whole (its enterprise, its verifier, its government, the admin) or as
    a pushed library entry (a bank)."""
    actor = access.actor_for(user)
    if actor.is_admin or app.enterprise_id in actor.enterprise_ids or app.verifier_id in actor.verifier_ids:
        return True
    code = app.enterprise.region_id or ""
    return any(code.startswith(p) for p in actor.region_prefixes)


KIND_LABELS = dict(CertKind.choices)

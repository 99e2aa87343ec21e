"""Pages of transition certification (thin, docs/finance.md § Transition certification): the enterprise applies and
amends; the verifier's queue and review form; the government's rulers, decisions, libraries and pushes; the
libraries pushed to a bank."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dualcarbon.registry import access
from dualcarbon.registry.models import Region

from . import cert_queries as q
from . import certification, scoping, services
from .lending_views import _date
from .models import CertApplication, CertKind, CertMetric, CertPrinciple
from .posting import post_to_service, posted

FIELDS = (
    "kind",
    "industry_code",
    "name",
    "verifier",
    "baseline_year",
    "declared_value",
    "expected_savings_tce",
    "expected_reduction_tco2",
    "investment",
    "evidence",
    "evidence_ref",
)


def _fields(post: Any) -> dict[str, Any]:
    return {f: post.get(f, "") for f in FIELDS}


def _regions(user: Any) -> list[Region]:
    actor = access.actor_for(user)
    return list(Region.objects.filter(access.region_q(actor.region_prefixes, "code")).order_by("code")[:50])


# ------------------------------------------------------------------------------------------------ the enterprise


@login_required
@require_http_methods(["GET", "POST"])
def enterprise(request: HttpRequest, org_id: int) -> HttpResponse:
    """GET: the enterprise's applications and the rulers it may apply under. POST: apply."""
    ent = q.own_enterprise(request.user, org_id)
    done, errors = post_to_service(
        request,
        lambda: certification.apply(request.user, ent, **_fields(request.POST)),
        done=lambda app: _("认定申请已提交，编号 #%(n)s") % {"n": app.pk},
        to=lambda app: reverse("finance:cert_application", args=[ent.pk, app.pk]),
    )
    if done:
        return done
    apps = list(scoping.enterprise_certs(request.user).filter(enterprise=ent).select_related("ruler", "verifier"))
    return render(
        request,
        "finance/cert/enterprise.html",
        {
            "enterprise": ent,
            "applications": apps,
            "rulers": certification.sectors_for(ent),
            "verifiers": certification.verifiers(),
            "kinds": CertKind.choices,
            "errors": errors,
            "posted": posted(request),
        },
        status=422 if errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def application(request: HttpRequest, org_id: int, cert_id: int) -> HttpResponse:
    """GET: the application with its steps, the verifier's checks and the follow-up. POST: amend and resubmit."""
    app = q.enterprise_cert(request.user, org_id, cert_id)
    fields = {k: v for k, v in _fields(request.POST).items() if v != ""}
    done, errors = post_to_service(
        request,
        lambda: certification.resubmit(request.user, app, comment=request.POST.get("comment", ""), **fields),
        done=_("已修改并重新提交核查"),
        to=reverse("finance:cert_application", args=[org_id, app.pk]),
    )
    if done:
        return done
    return render(
        request,
        "finance/cert/application.html",
        _detail(app, full=True) | {"errors": errors, "amend": True, "verifiers": certification.verifiers()},
        status=422 if errors else 200,
    )


def _detail(app: CertApplication, *, full: bool) -> dict[str, Any]:
    return {
        "app": app,
        "principles": q.principle_rows(app),
        "events": [(e, certification.MOVE_LABELS.get(e.action, e.action)) for e in app.events.select_related("by")]
        if full
        else [],
        "followup": certification.followup(app) if full else [],
        "in_library": certification.in_library(app),
        "full": full,
    }


# ------------------------------------------------------------------------------------------------ the verifier


@login_required
@require_GET
def reviews(request: HttpRequest) -> HttpResponse:
    q.require_verifier(request.user)
    rows = list(scoping.verifier_certs(request.user).select_related("enterprise", "ruler"))
    return render(request, "finance/cert/reviews.html", {"applications": rows})


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, cert_id: int) -> HttpResponse:
    """GET: the application with a check per principle. POST: pass it on or return it with comments."""
    app = q.review_cert(request.user, cert_id)
    checks = {
        p: {"ok": request.POST.get(f"ok_{p}") == "1", "note": request.POST.get(f"note_{p}", "")}
        for p in app.ruler.principles
        if request.POST.get(f"ok_{p}") in ("0", "1")
    }
    approve = request.POST.get("decision") == "pass"
    done, errors = post_to_service(
        request,
        lambda: certification.review(
            request.user, app, approve=approve, checks=checks, comment=request.POST.get("comment", "")
        ),
        done=_("核查通过，已提交政府认定") if approve else _("已退回企业修改"),
        to=reverse("finance:cert_review", args=[app.pk]),
    )
    if done:
        return done
    return render(
        request,
        "finance/cert/review.html",
        _detail(app, full=True) | {"errors": errors, "posted": posted(request)},
        status=422 if errors else 200,
    )


# ------------------------------------------------------------------------------------------------ government


@login_required
@require_http_methods(["GET", "POST"])
def rulers(request: HttpRequest) -> HttpResponse:
    """GET: every ruler version. POST: publish a new version (government staff of the region)."""
    q.require_government(request.user)
    post = request.POST
    done, errors = post_to_service(
        request,
        lambda: certification.publish_ruler(
            request.user,
            post.get("region", ""),
            industry_code=post.get("industry_code", ""),
            kind=post.get("kind", ""),
            valid_from=_date(post.get("valid_from", "")),
            sector_name=post.get("sector_name", ""),
            metric=post.get("metric", ""),
            unit=post.get("unit", ""),
            entry_value=post.get("entry_value", ""),
            advanced_value=post.get("advanced_value", ""),
            min_reduction_pct=post.get("min_reduction_pct", ""),
            principles=post.getlist("principles"),
            source=post.get("source", ""),
            note=post.get("note", ""),
        ),
        done=_("已发布认定标准"),
        to=reverse("finance:cert_rulers"),
    )
    if done:
        return done
    rows = list(scoping.cert_rulers(request.user).select_related("region"))
    return render(
        request,
        "finance/cert/rulers.html",
        {
            "rulers": rows,
            "regions": _regions(request.user),
            "kinds": CertKind.choices,
            "metrics": CertMetric.choices,
            "principles": CertPrinciple.choices,
            "can_configure": scoping.can_configure_rulers(request.user),
            "errors": errors,
            "posted": posted(request),
        },
        status=422 if errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def region(request: HttpRequest) -> HttpResponse:
    """GET: the jurisdiction's applications, its two libraries and the pushes made. POST: push library entries to
    banks."""
    q.require_government(request.user)
    done, errors = post_to_service(
        request,
        lambda: certification.push_library(
            request.user,
            request.POST.get("region", ""),
            title=request.POST.get("title", ""),
            kind=request.POST.get("kind", ""),
            entries=request.POST.getlist("entry"),
            banks=request.POST.getlist("bank"),
        ),
        done=_("已推送"),
        to=reverse("finance:cert_region"),
    )
    if done:
        return done
    apps = list(scoping.region_certs(request.user).select_related("enterprise", "ruler", "verifier")[:1000])
    library = q.region_library(request.user)
    return render(
        request,
        "finance/cert/region.html",
        {
            "applications": apps,
            "libraries": [(kind, label, [a for a in library if a.kind == kind]) for kind, label in CertKind.choices],
            "pushes": list(scoping.cert_pushes(request.user).prefetch_related("entries", "banks")),
            "banks": services.banks(),
            "regions": _regions(request.user),
            "can_push": scoping.can_configure_rulers(request.user),
            "kinds": CertKind.choices,
            "errors": errors,
            "posted": posted(request),
        },
        status=422 if errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def decide(request: HttpRequest, cert_id: int) -> HttpResponse:
    """GET: the application for the government. POST: certify, reject, flag a major event or revoke."""
    app = q.region_cert(request.user, cert_id)
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")

    def act() -> Any:
        if action == "certify":
            return certification.certify(
                request.user,
                app,
                valid_from=request.POST.get("valid_from", ""),
                valid_until=request.POST.get("valid_until", ""),
            )
        if action == "reject":
            return certification.reject(request.user, app, reason)
        if action == "flag":
            return certification.flag_major_event(request.user, app, reason)
        if action == "revoke":
            return certification.revoke(request.user, app, reason)
        raise ValidationError({"action": _("请选择操作：认定、不予认定、标记重大事项或撤销")})

    done, errors = post_to_service(
        request, act, done=_("已办理"), to=reverse("finance:cert_decide", args=[app.pk])
    )
    if done:
        return done
    return render(
        request,
        "finance/cert/decide.html",
        _detail(app, full=True) | {"errors": errors, "posted": posted(request)},
        status=422 if errors else 200,
    )


# ------------------------------------------------------------------------------------------------ banks


@login_required
@require_GET
def bank(request: HttpRequest) -> HttpResponse:
    q.require_bank(request.user)
    rows = list(q.bank_library(request.user))
    return render(
        request,
        "finance/cert/bank.html",
        {"libraries": [(kind, label, [a for a in rows if a.kind == kind]) for kind, label in CertKind.choices]},
    )


@login_required
@require_GET
def disclosure(request: HttpRequest, org_id: int, cert_id: int) -> HttpResponse:
    """The enterprise's disclosure of one of its library entries after template v1 (printable)."""
    app = q.enterprise_cert(request.user, org_id, cert_id)
    d = certification.disclosure(app)
    events = [(e, certification.MOVE_LABELS.get(e["action"], e["action"])) for e in (d or {}).get("events", [])]
    return render(
        request,
        "finance/cert/disclosure.html",
        {"app": app, "d": d, "events": events, "template": certification.DISCLOSURE_TEMPLATE},
    )

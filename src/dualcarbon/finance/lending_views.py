"""Pages of products, applications, loans, needs and statistics (thin, docs/finance.md): the bank's products,
applications inbox, decision form and loan page; the enterprise's eligible products with reasons, its applications
and loans, its financing needs; the government's needs with the push form and the loan statistics."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dualcarbon.registry import access
from dualcarbon.registry.audit import Resource, record_read
from dualcarbon.registry.models import Region

from . import lending, scoping, services
from . import loan_queries as q
from .models import FinancingNeed, LoanMovement, PurposeTag
from .posting import errors_of, post_to_service, posted

_errors = errors_of


def _date(value: str) -> datetime.date | None:
    return services.parse_date(value)


def _terms(post: Any) -> dict[str, Any]:
    raw = post.get("rule", "")
    try:
        rule: Any = json.loads(raw) if raw.strip() else None
    except ValueError:
        rule = raw
    return {
        "rule": rule,
        "min_amount": post.get("min_amount", ""),
        "max_amount": post.get("max_amount", ""),
        "min_term": post.get("min_term", ""),
        "max_term": post.get("max_term", ""),
        "base_rate_bp": post.get("base_rate_bp", ""),
        "grade_spreads": post.get("grade_spreads", ""),
        "note": post.get("note", ""),
    }


# ------------------------------------------------------------------------------------------------ bank


@login_required
@require_http_methods(["GET", "POST"])
def bank_products(request: HttpRequest) -> HttpResponse:
    """GET: the bank's products with every version. POST: publish a product."""
    if not access.actor_for(request.user).bank_ids:
        from django.http import Http404

        raise Http404
    post = request.POST
    done, errors = post_to_service(
        request,
        lambda: lending.create_product(
            request.user,
            post.get("bank") or None,
            code=post.get("code", ""),
            name_zh=post.get("name_zh", ""),
            name_en=post.get("name_en", ""),
            purpose_tag=post.get("purpose_tag", ""),
            description=post.get("description", ""),
            valid_from=_date(post.get("valid_from", "")),
            **_terms(post),
        ),
        done=lambda p: _("已发布产品 %(p)s") % {"p": p.name_zh},
        to=lambda p: reverse("finance:bank_product", args=[p.pk]),
    )
    if done:
        return done
    products = list(scoping.bank_products(request.user).select_related("bank").prefetch_related("versions"))
    return render(
        request,
        "finance/loans/bank_products.html",
        {
            "products": products,
            "errors": errors,
            "posted": posted(request),
            "purposes": PurposeTag.choices,
            "banks": scoping.user_banks(request.user),
        },
        status=422 if errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def bank_product(request: HttpRequest, product_id: int) -> HttpResponse:
    """GET: a product's versions. POST: publish a new version from a date."""
    product = q.bank_product(request.user, product_id)
    done, errors = post_to_service(
        request,
        lambda: lending.publish_version(
            request.user, product, _date(request.POST.get("valid_from", "")), **_terms(request.POST)
        ),
        done=lambda v: _("已发布第 %(n)s 版") % {"n": v.version},
        to=reverse("finance:bank_product", args=[product.pk]),
    )
    if done:
        return done
    versions = list(product.versions.order_by("-version"))
    current = versions[0] if versions else None
    return render(
        request,
        "finance/loans/bank_product.html",
        {
            "product": product,
            "versions": [(v, json.dumps(v.rule, ensure_ascii=False)) for v in versions],
            "current": current,
            "current_rule": json.dumps(current.rule, ensure_ascii=False) if current else "",
            "current_spreads": ", ".join(f"{k}:{v}" for k, v in (current.grade_spreads if current else {}).items()),
            "errors": errors,
            "posted": posted(request),
        },
        status=422 if errors else 200,
    )


@login_required
@require_GET
def bank_applications(request: HttpRequest) -> HttpResponse:
    if not access.actor_for(request.user).bank_ids:
        from django.http import Http404

        raise Http404
    apps = list(scoping.bank_applications(request.user).select_related("product", "enterprise", "bank", "loan")[:500])
    loans = list(scoping.bank_loans(request.user).select_related("enterprise", "product")[:500])
    return render(request, "finance/loans/bank_applications.html", {"applications": apps, "loans": loans})


@login_required
@require_http_methods(["GET", "POST"])
def bank_application(request: HttpRequest, application_id: int) -> HttpResponse:
    """GET: the application with the applicant's facts when applying (logged). POST: the decision."""
    app = q.bank_application(request.user, application_id)
    approve = request.POST.get("decision") == "approve"
    done, errors = post_to_service(
        request,
        lambda: lending.decide(
            request.user,
            app,
            approve=approve,
            amount=request.POST.get("amount"),
            rate_bp=request.POST.get("rate_bp"),
            term_months=request.POST.get("term_months"),
            reason=request.POST.get("reason", ""),
        ),
        done=_("已批准，贷款已入账") if approve else _("已拒绝该申请"),
        to=reverse("finance:bank_application", args=[app.pk]),
    )
    if done:
        return done
    record_read(request, app.enterprise, Resource.RATING, f"贷款申请 #{app.pk}")
    from dualcarbon.rating import rule_wording

    outcomes = [rule_wording.outcome_text(o) for o in (app.evaluation or {}).get("outcomes", [])]
    loan = getattr(app, "loan", None) if app.status == "approved" else None
    return render(
        request,
        "finance/loans/bank_application.html",
        {
            "app": app,
            "outcomes": outcomes,
            "rate_how": q.rate_how(app.version, app.grade),
            "loan": loan,
            "errors": errors,
            "posted": posted(request),
        },
        status=422 if errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def bank_loan(request: HttpRequest, loan_id: int) -> HttpResponse:
    """GET: the loan with its drawdowns and repayments. POST: record one."""
    loan = q.bank_loan(request.user, loan_id)
    done, errors = post_to_service(
        request,
        lambda: lending.record_movement(
            request.user,
            loan,
            request.POST.get("kind", ""),
            request.POST.get("amount"),
            request.POST.get("on") or None,
            request.POST.get("note", ""),
        ),
        done=_("已记录"),
        to=reverse("finance:bank_loan", args=[loan.pk]),
    )
    if done:
        return done
    return render(
        request,
        "finance/loans/bank_loan.html",
        {
            "loan": loan,
            "movements": list(loan.movements.all()),
            "kinds": LoanMovement.Kind.choices,
            "errors": errors,
            "posted": posted(request),
        },
        status=422 if errors else 200,
    )


@login_required
@require_GET
def bank_needs(request: HttpRequest) -> HttpResponse:
    if not access.actor_for(request.user).bank_ids:
        from django.http import Http404

        raise Http404
    return render(request, "finance/loans/bank_needs.html", {"needs": q.bank_need_rows(request, request.user)})


# ------------------------------------------------------------------------------------------------ the enterprise


@login_required
@require_http_methods(["GET", "POST"])
def offers(request: HttpRequest, org_id: int) -> HttpResponse:
    """GET: every product in force with the reasons the enterprise qualifies or what it misses. POST: apply."""
    ent = q.own_enterprise(request.user, org_id)
    posted_product = request.POST.get("product", "") if request.method == "POST" else ""

    def apply() -> Any:
        product = q.market_product(int(posted_product)) if posted_product.isdigit() else None
        if product is None:
            raise ValidationError({"product": _("请选择一个产品")})
        return lending.apply(
            request.user,
            ent,
            product,
            amount=request.POST.get("amount"),
            term_months=request.POST.get("term_months"),
            purpose=request.POST.get("purpose", ""),
            need=request.POST.get("need") or None,
            grant_consent=request.POST.get("grant_consent") == "1",
        )

    done, errors = post_to_service(
        request,
        apply,
        done=lambda app: _("申请已提交，编号 #%(n)s") % {"n": app.pk},
        to=reverse("finance:loans", args=[ent.pk]),
    )
    if done:
        return done
    facts, rows = lending.offers(ent)
    consented = {b for b in {o.product.bank_id for o in rows} if lending.assessment_consent(ent, b) is not None}
    return render(
        request,
        "finance/loans/offers.html",
        {
            "enterprise": ent,
            "facts": facts,
            "offers": [(o, q.rate_how(o.version, o.grade), o.product.bank_id in consented) for o in rows],
            "needs": list(ent.financing_needs.filter(status=FinancingNeed.Status.OPEN)),
            "errors": errors,
            "posted": posted(request),
            "posted_product": posted_product,
        },
        status=422 if errors else 200,
    )


@login_required
@require_GET
def loans(request: HttpRequest, org_id: int) -> HttpResponse:
    ent = q.own_enterprise(request.user, org_id)
    apps = list(scoping.enterprise_applications(request.user).filter(enterprise=ent).select_related("product", "bank"))
    rows = list(q.enterprise_loans(request.user, org_id).prefetch_related("movements"))
    return render(request, "finance/loans/loans.html", {"enterprise": ent, "applications": apps, "loans": rows})


@login_required
@require_POST
def application_withdraw(request: HttpRequest, org_id: int, application_id: int) -> HttpResponse:
    app = q.enterprise_application(request.user, org_id, application_id)
    try:
        lending.withdraw_application(request.user, app)
    except ValidationError as exc:
        for m in _errors(exc).values():
            messages.error(request, "；".join(m))
    else:
        messages.success(request, _("已撤回申请"))
    return HttpResponseRedirect(reverse("finance:loans", args=[org_id]))


@login_required
@require_http_methods(["GET", "POST"])
def needs(request: HttpRequest, org_id: int) -> HttpResponse:
    """GET: the enterprise's financing needs and what was granted against each. POST: post a need (the enterprise,
    or its government on its behalf)."""
    ent = q.need_enterprise(request.user, org_id)
    done, errors = post_to_service(
        request,
        lambda: lending.post_need(
            request.user,
            ent,
            amount=request.POST.get("amount"),
            purpose_tag=request.POST.get("purpose_tag", ""),
            purpose=request.POST.get("purpose", ""),
            term_months=request.POST.get("term_months"),
        ),
        done=_("已发布融资需求"),
        to=reverse("finance:needs", args=[ent.pk]),
    )
    if done:
        return done
    rows = list(scoping.needs(request.user).filter(enterprise=ent))
    granted = lending.granted_by_need([n.pk for n in rows])
    return render(
        request,
        "finance/loans/needs.html",
        {
            "enterprise": ent,
            "needs": [(n, granted.get(n.pk)) for n in rows],
            "can_post": lending.can_post_need(request.user, ent),
            "purposes": PurposeTag.choices,
            "errors": errors,
            "posted": posted(request),
        },
        status=422 if errors else 200,
    )


# ------------------------------------------------------------------------------------------------ government


@login_required
@require_http_methods(["GET", "POST"])
def region_needs(request: HttpRequest) -> HttpResponse:
    """GET: the jurisdiction's needs, their follow-up and the pushes made. POST: push chosen needs to chosen banks."""
    rows = q.region_needs(request.user)
    actor = access.actor_for(request.user)
    regions = list(Region.objects.filter(access.region_q(actor.region_prefixes, "code")).order_by("code")[:50])
    done, errors = post_to_service(
        request,
        lambda: lending.push_needs(
            request.user,
            request.POST.get("region", ""),
            title=request.POST.get("title", ""),
            needs=request.POST.getlist("need"),
            banks=request.POST.getlist("bank"),
        ),
        done=_("已推送"),
        to=reverse("finance:region_needs"),
    )
    if done:
        return done
    granted = lending.granted_by_need([n.pk for n in rows])
    pushes = [(p, lending.need_followup(list(p.needs.all()))) for p in q.pushes(request.user)]
    return render(
        request,
        "finance/loans/region_needs.html",
        {
            "needs": [(n, granted.get(n.pk)) for n in rows],
            "followup": lending.need_followup(rows),
            "pushes": pushes,
            "banks": services.banks(),
            "regions": regions,
            "can_push": scoping.can_push(request.user),
            "errors": errors,
            "posted": posted(request),
        },
        status=422 if errors else 200,
    )


@login_required
@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    loans_qs = q.statistics_loans(request.user)
    labels = {
        "purpose": _("按用途标签"),
        "district": _("按县区"),
        "industry": _("按行业（大类）"),
        "grade": _("按放款时碳效等级"),
    }
    tables = []
    for dim in lending.DIMENSIONS:
        cells, total = lending.loan_statistics(loans_qs, dim)
        tables.append((dim, labels[dim], cells, total))
    return render(request, "finance/loans/statistics.html", {"tables": tables, "min_loans": lending.MIN_LOANS})

"""Policy pages (thin, docs/policy.md): packages and their policies, the policy form (a new version of the
eligibility, benefit and budget), the government's matches overview and the enterprise's policies."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from dualcarbon.registry.models import Region

from . import forms, queries, scoping, services
from .models import Policy, PolicyVersion


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{'' if k == NON_FIELD_ERRORS else k + '：'}{m}" for k, v in exc.message_dict.items() for m in v]
    return [str(m) for m in exc.messages]


@login_required
@require_http_methods(["GET", "POST"])
def packages(request: HttpRequest) -> HttpResponse:
    """GET: the packages the user may read. POST (a government): publish a new package for its region."""
    errors: list[str] = []
    if request.method == "POST":
        code = request.POST.get("region", "")
        region = Region.objects.filter(code=code).first()
        if region is None or not scoping.can_publish(request.user, region):
            raise PermissionDenied
        try:
            published = datetime.date.fromisoformat(request.POST.get("published_on", ""))
        except ValueError:
            errors.append(_("发布日期：“%(v)s”不是日期（YYYY-MM-DD）") % {"v": request.POST.get("published_on", "")})
            published = None
        if not errors and published is not None:
            try:
                pkg = services.create_package(
                    request.user,
                    region,
                    name_zh=request.POST.get("name_zh", "").strip(),
                    name_en=request.POST.get("name_en", "").strip(),
                    publisher=request.POST.get("publisher", "").strip(),
                    document=request.POST.get("document", "").strip(),
                    published_on=published,
                    source_url=request.POST.get("source_url", "").strip(),
                    note=request.POST.get("note", "").strip(),
                )
            except ValidationError as exc:
                errors.extend(_messages(exc))
            else:
                messages.success(request, _("政策包已发布"))
                return HttpResponseRedirect(reverse("policy:package", args=[pkg.pk]))
    view = queries.package_list(request.user)
    return render(
        request,
        "policy/packages.html",
        {"view": view, "errors": errors, "posted": request.POST if errors else None},
        status=422 if errors else 200,
    )


@login_required
@require_GET
def package(request: HttpRequest, package_id: int) -> HttpResponse:
    return render(request, "policy/package.html", {"view": queries.package_page(request.user, package_id)})


def _form_page(request: HttpRequest, pkg: Any, policy: Policy | None, form: forms.PolicyForm, status: int = 200) -> Any:
    return render(
        request,
        "policy/policy_form.html",
        {
            "package": pkg,
            "package_name": pkg.name_for(queries.lang()),
            "policy": policy,
            "policy_name": policy.name_for(queries.lang()) if policy is not None else "",
            "form": form,
            "kinds": Policy.Kind.choices,
            "benefits": PolicyVersion.Benefit.choices,
            "facts": forms.fact_choices(),
            "ops": forms.OP_CHOICES,
            "today": timezone.localdate().isoformat(),
        },
        status=status,
    )


def _save(request: HttpRequest, pkg: Any, policy: Policy | None) -> HttpResponse:
    form = forms.bind(request.POST, new=policy is None)
    if form.errors:
        return _form_page(request, pkg, policy, form, status=422)
    c = form.cleaned
    try:
        with transaction.atomic():
            if policy is None:
                policy = services.create_policy(
                    request.user, pkg, valid_from=c["valid_from"], **c["policy"], **c["version"]
                )
            else:
                fields = {k: v for k, v in c["policy"].items() if k != "code"}
                services.update_policy(request.user, policy, **fields)
                services.publish_version(request.user, policy, c["valid_from"], **c["version"])
    except ValidationError as exc:
        for m in _messages(exc):
            form.add("general", m)
        return _form_page(request, pkg, policy, form, status=422)
    messages.success(request, _("已发布新版本，并已按新规则重新匹配"))
    return HttpResponseRedirect(reverse("policy:package", args=[pkg.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def policy_new(request: HttpRequest, package_id: int) -> HttpResponse:
    pkg = queries.visible_package(request.user, package_id)
    if not scoping.can_publish(request.user, pkg.region):
        if request.method == "POST":
            raise PermissionDenied
        raise Http404
    if request.method == "POST":
        return _save(request, pkg, None)
    form = forms.initial(None, None)
    return _form_page(request, pkg, None, form)


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = queries.visible_policy(request.user, policy_id)
    pkg = policy.package
    if not scoping.can_publish(request.user, pkg.region):
        if request.method == "POST":
            raise PermissionDenied
        raise Http404
    if request.method == "POST":
        return _save(request, pkg, policy)
    current = policy.versions.order_by("-version").first()
    return _form_page(request, pkg, policy, forms.initial(policy, current))


@login_required
@require_http_methods(["GET", "POST"])
def matches(request: HttpRequest) -> HttpResponse:
    """GET: the government's matches overview. POST: match the jurisdiction again."""
    if not scoping.can_see_region(request.user):
        if request.method == "POST":
            raise PermissionDenied
        raise Http404
    if request.method == "POST":
        prefixes = scoping.region_prefixes(request.user)
        run = services.run_matching(request.user, prefixes[0])
        if run is not None:
            messages.success(
                request,
                _("已重新匹配：%(n)d 家企业，符合 %(m)d 项，临近达标 %(k)d 项")
                % {"n": run.n_enterprises, "m": run.n_matched, "k": run.n_near},
            )
        return HttpResponseRedirect(reverse("policy:matches"))
    view = queries.overview(request.user, queries.parse_filter(request.GET))
    return render(request, "policy/matches.html", {"view": view})


@login_required
@require_GET
def enterprise(request: HttpRequest, org_id: int) -> HttpResponse:
    year = queries._int(request.GET.get("year"))
    view = queries.enterprise_policies(request.user, org_id, year)
    return render(request, "policy/enterprise.html", {"view": view})

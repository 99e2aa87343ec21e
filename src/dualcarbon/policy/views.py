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

from dualcarbon.rating import rule_wording as wording
from dualcarbon.registry.models import Region

from . import forms, queries, sandbox, scoping, services
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


# ------------------------------------------------------------------------------------------- sandbox


def _government_only(request: HttpRequest) -> None:
    """Sandbox pages are the government's: others get 404 (a write: 403), as the rest of the platform does."""
    if not scoping.can_see_region(request.user):
        if request.method == "POST":
            raise PermissionDenied
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def sandbox_list(request: HttpRequest) -> HttpResponse:
    """GET: the drafts of the user's jurisdiction. POST: a new draft (its changes are edited on its page)."""
    _government_only(request)
    errors: list[str] = []
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        policy = None
        if kind == "policy":
            pid = queries._int(request.POST.get("policy"))
            policy = scoping.policies(request.user).select_related("package__region").filter(pk=pid or 0).first()
            region = policy.package.region if policy is not None else None
        else:
            region = Region.objects.filter(code=request.POST.get("region", "")).first()
        if region is None and kind == "scheme":
            raise PermissionDenied
        try:
            if region is None:
                raise ValidationError({"policy": [ValidationError(_("请选择要修改的政策"))]})
            draft = sandbox.create_draft(
                request.user,
                region,
                kind=kind,
                title=request.POST.get("title", ""),
                changes={},
                policy=policy,
                note=request.POST.get("note", "").strip(),
            )
        except ValidationError as exc:
            errors.extend(_located(exc))
        else:
            messages.success(request, _("草案已建立：请填写修改内容，然后运行沙盘推演"))
            return HttpResponseRedirect(reverse("policy:sandbox_draft", args=[draft.pk]))
    view = queries.draft_list(request.user)
    return render(
        request,
        "policy/sandbox_list.html",
        {"view": view, "errors": errors, "posted": request.POST if errors else None},
        status=422 if errors else 200,
    )


def _located(exc: ValidationError) -> list[str]:
    """A refusal's messages, each with its place in words ("K 等级阈值 · 第 2 个：“abc”不是数字")."""
    if not hasattr(exc, "error_dict"):
        return [str(m) for m in exc.messages]
    return [
        f"{wording.sandbox_place(k)}：{m}" if k != NON_FIELD_ERRORS else str(m)
        for k, v in exc.message_dict.items()
        for m in v
    ]


def _draft_page(
    request: HttpRequest, draft: Any, errors: list[str] | None = None, status: int = 200, posted: Any = None
) -> HttpResponse:
    return render(
        request,
        "policy/sandbox_draft.html",
        {
            "draft": draft,
            "policy_name": draft.policy.name_for(queries.lang()) if draft.policy_id else "",
            "form": queries.draft_form_values(draft, posted),
            "runs": list(draft.runs.order_by("-created_at", "-pk")[:20]),
            "years": queries.sandbox_years(draft),
            "errors": errors or [],
            "can_edit": scoping.can_publish(request.user, draft.region) and draft.status == "draft",
            "today": timezone.localdate().isoformat(),
            "next_year": datetime.date(timezone.localdate().year + 1, 1, 1).isoformat(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def sandbox_draft(request: HttpRequest, sandbox_id: int) -> HttpResponse:
    """GET: the draft, its form, its runs, adoption. POST: save the draft's changes (nothing written on a refusal)."""
    _government_only(request)
    draft = queries.visible_draft(request.user, sandbox_id)
    if request.method == "POST":
        try:
            draft = sandbox.update_draft(
                request.user,
                draft,
                changes=forms.sandbox_changes(request.POST, draft),
                title=request.POST.get("title", draft.title),
                note=request.POST.get("note", draft.note),
            )
        except ValidationError as exc:
            draft.refresh_from_db()
            return _draft_page(request, draft, _located(exc), status=422, posted=request.POST)
        messages.success(request, _("草案已保存"))
        return HttpResponseRedirect(reverse("policy:sandbox_draft", args=[draft.pk]))
    return _draft_page(request, draft)


@login_required
@require_http_methods(["POST"])
def sandbox_run(request: HttpRequest, sandbox_id: int) -> HttpResponse:
    """Run the draft over the region for a year (nothing live is written); show the comparison."""
    _government_only(request)
    draft = queries.visible_draft(request.user, sandbox_id)
    try:
        run = sandbox.run(request.user, draft, queries._int(request.POST.get("year")))
    except ValidationError as exc:
        return _draft_page(request, draft, _located(exc), status=422)
    return HttpResponseRedirect(reverse("policy:sandbox_result", args=[run.pk]))


@login_required
@require_http_methods(["POST"])
def sandbox_adopt(request: HttpRequest, sandbox_id: int) -> HttpResponse:
    """Adopt the draft from a date: a new scheme version chosen for the region, or a new policy version."""
    _government_only(request)
    draft = queries.visible_draft(request.user, sandbox_id)
    raw = request.POST.get("valid_from", "")
    try:
        valid_from = datetime.date.fromisoformat(raw)
    except ValueError:
        return _draft_page(request, draft, [_("生效日期：“%(v)s”不是日期（YYYY-MM-DD）") % {"v": raw}], status=422)
    try:
        draft = sandbox.adopt(request.user, draft, valid_from)
    except ValidationError as exc:
        return _draft_page(request, draft, _located(exc), status=422)
    messages.success(request, _("草案已采纳为新版本，自 %(d)s 起生效；已按现行流程重新评级和匹配") % {"d": valid_from})
    return HttpResponseRedirect(reverse("policy:sandbox_draft", args=[draft.pk]))


@login_required
@require_http_methods(["POST"])
def sandbox_withdraw(request: HttpRequest, sandbox_id: int) -> HttpResponse:
    _government_only(request)
    draft = queries.visible_draft(request.user, sandbox_id)
    try:
        sandbox.withdraw(request.user, draft)
    except ValidationError as exc:
        return _draft_page(request, draft, _located(exc), status=422)
    messages.success(request, _("草案已撤回"))
    return HttpResponseRedirect(reverse("policy:sandbox"))


@login_required
@require_GET
def sandbox_result(request: HttpRequest, sandbox_run_id: int) -> HttpResponse:
    _government_only(request)
    return render(request, "policy/sandbox_run.html", {"view": queries.run_page(request.user, sandbox_run_id)})

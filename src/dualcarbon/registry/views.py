"""Registry pages (thin): the register government staff keep — enterprises, their sites and users, the import from
a spreadsheet — and an enterprise's consents and bank read log. Queries in ``queries``, writes in ``services``.

Who: the government of the enterprise's region and the platform admin manage (``scoping.managed_enterprises``);
an enterprise's own staff open its page read-only; banks and verifiers get 404 like a missing page. Reads refused
for scope raise ``Http404`` (never 403), so an id cannot be probed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import forms, imports, queries, scoping, services
from .models import Membership, Organisation

#: the session key holding the rows of an upload that passed every check, until confirmed
IMPORT_SESSION_KEY = "registry_import"


@require_GET
@login_required
def access_log(request: HttpRequest, org_id: int) -> HttpResponse:
    view = queries.access_log(request.user, org_id, request.GET.get("reader"), request.GET.get("page"))
    return render(request, "registry/access_log.html", {"view": view, "enterprise": view.enterprise})


def _registrar(request: HttpRequest) -> None:
    """Only government staff and the platform admin keep a register: the others get the missing page."""
    if not scoping.can_manage_registry(request.user):
        raise Http404


def _managed(request: HttpRequest, org_id: int) -> Organisation:
    return get_object_or_404(scoping.managed_enterprises(request.user).select_related("region", "industry"), pk=org_id)


def _form_errors(form: Any, exc: ValidationError) -> None:
    """A service's refusal shown on the form (per field when it names one the form has)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


# --------------------------------------------------------------------------- enterprises


@require_GET
@login_required
def enterprises(request: HttpRequest) -> HttpResponse:
    _registrar(request)
    view = queries.enterprise_list(request.user, queries.EnterpriseFilter.from_query(request.GET))
    return render(request, "registry/enterprises.html", {"view": view, "f": view.filters})


@require_http_methods(["GET", "POST"])
@login_required
def enterprise_new(request: HttpRequest) -> HttpResponse:
    _registrar(request)
    form = forms.EnterpriseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.register_enterprise(request.user, **form.fields_for_service())
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("已登记：%(name)s") % {"name": org.name})
            return redirect("registry:enterprise", org_id=org.pk)
    return render(request, "registry/enterprise_form.html", {"form": form, "enterprise": None})


@require_GET
@login_required
def enterprise(request: HttpRequest, org_id: int) -> HttpResponse:
    view = queries.enterprise_page(request.user, org_id)
    return render(request, "registry/enterprise.html", {"view": view, "enterprise": view.enterprise})


@require_http_methods(["GET", "POST"])
@login_required
def enterprise_edit(request: HttpRequest, org_id: int) -> HttpResponse:
    org = _managed(request, org_id)
    form = forms.EnterpriseForm(request.POST or None, user=request.user, instance=org)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_enterprise(request.user, org, **form.fields_for_service())
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("登记信息已保存"))
            return redirect("registry:enterprise", org_id=org.pk)
    return render(request, "registry/enterprise_form.html", {"form": form, "enterprise": org})


@require_POST
@login_required
def enterprise_active(request: HttpRequest, org_id: int) -> HttpResponse:
    org = _managed(request, org_id)
    active = request.POST.get("active") == "1"
    services.set_enterprise_active(request.user, org, active)
    messages.success(request, _("企业已恢复") if active else _("企业已停用（数据保留，其用户不能再登录使用）"))
    return redirect("registry:enterprise", org_id=org.pk)


# --------------------------------------------------------------------------- sites


@require_http_methods(["GET", "POST"])
@login_required
def site_new(request: HttpRequest, org_id: int) -> HttpResponse:
    org = _managed(request, org_id)
    form = forms.SiteForm(request.POST or None, user=request.user, initial={"region": org.region_id})
    if request.method == "POST" and form.is_valid():
        try:
            services.add_site(request.user, org, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("已添加厂区：%(name)s") % {"name": form.cleaned_data["name"]})
            return redirect(reverse("registry:enterprise", args=[org.pk]) + "#sites")
    return render(request, "registry/site_form.html", {"form": form, "enterprise": org, "site": None})


@require_http_methods(["GET", "POST"])
@login_required
def site_edit(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_object_or_404(scoping.sites(request.user).select_related("organisation", "region"), pk=site_id)
    initial = {"name": site.name, "region": site.region_id, "address": site.address}
    form = forms.SiteForm(request.POST or None, user=request.user, current=site.region, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_site(request.user, site, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("厂区已保存"))
            return redirect(reverse("registry:enterprise", args=[site.organisation_id]) + "#sites")
    return render(request, "registry/site_form.html", {"form": form, "enterprise": site.organisation, "site": site})


@require_POST
@login_required
def site_delete(request: HttpRequest, site_id: int) -> HttpResponse:
    site = get_object_or_404(scoping.sites(request.user).select_related("organisation"), pk=site_id)
    org_id, name = site.organisation_id, site.name
    services.remove_site(request.user, site)
    messages.success(request, _("已删除厂区：%(name)s（变更记录保留）") % {"name": name})
    return redirect(reverse("registry:enterprise", args=[org_id]) + "#sites")


# --------------------------------------------------------------------------- users


def _invited(request: HttpRequest, membership: Membership, new: bool) -> HttpResponse:
    """The page after inviting (or renewing a link): the link went by e-mail, or it is shown here, once."""
    person, org = membership.user, membership.organisation
    path = services.password_link(person)
    link = request.build_absolute_uri(path)
    sent = services.send_invitation(person, org, link)
    context = {"enterprise": org, "person": person, "link": None if sent else link, "sent": sent, "new": new}
    return render(request, "registry/invited.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def invite(request: HttpRequest, org_id: int) -> HttpResponse:
    org = _managed(request, org_id)
    initial: dict[str, Any] = {"role": Membership.Role.ENTERPRISE_STAFF}
    if request.GET.get("contact") == "1":
        initial.update(name=org.contact_name, email=org.contact_email)
    form = forms.InviteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership = services.invite_user(
                request.user, org, data["username"], data["name"], data["email"], data["role"]
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            return _invited(request, membership, new=True)
    return render(request, "registry/invite.html", {"form": form, "enterprise": org})


def _membership(request: HttpRequest, membership_id: int) -> Membership:
    return get_object_or_404(scoping.memberships(request.user).select_related("user", "organisation"), pk=membership_id)


@require_POST
@login_required
def membership_active(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = _membership(request, membership_id)
    active = request.POST.get("active") == "1"
    services.set_membership_active(request.user, membership, active)
    name = membership.user.get_full_name() or membership.user.get_username()
    messages.success(request, (_("已恢复：%(name)s") if active else _("已停用：%(name)s")) % {"name": name})
    return redirect(reverse("registry:enterprise", args=[membership.organisation_id]) + "#users")


@require_POST
@login_required
def membership_link(request: HttpRequest, membership_id: int) -> HttpResponse:
    """A new one-time link for a user who has not set a password yet (the old one stops working when a password is
    set; a link already used cannot be renewed here)."""
    membership = _membership(request, membership_id)
    if not membership.is_active or not services.is_awaiting_password(membership.user):
        messages.error(request, _("该用户已设置密码或已停用，无需新的链接"))
        return redirect(reverse("registry:enterprise", args=[membership.organisation_id]) + "#users")
    return _invited(request, membership, new=False)


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The one-time link of an invited user (Django's password-reset token: it stops working once a password is
    set or after PASSWORD_RESET_TIMEOUT). Public: the person has no password yet."""

    template_name = "registry/set_password.html"
    success_url = reverse_lazy("web:login")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("密码已设置，请登录"))
        return response


set_password = SetPasswordView.as_view()


# --------------------------------------------------------------------------- import from a spreadsheet


@require_GET
@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    _registrar(request)
    response = HttpResponse(imports.build_template(request.user), content_type=imports.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{imports.TEMPLATE_NAME}"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload → every row checked → the located problems (nothing kept), or a preview to confirm."""
    _registrar(request)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "limits": {"rows": imports.MAX_ROWS, "mb": imports.MAX_BYTES // 1048576}}
    if request.method == "POST":
        request.session.pop(IMPORT_SESSION_KEY, None)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                rows = imports.read_workbook(upload)
                prepared, problems = imports.check_rows(request.user, rows)
                if problems:
                    raise imports.ImportInvalid(problems)
            except imports.ImportInvalid as exc:
                context.update(problems=exc.problems, problem_count=exc.count, file_name=upload.name)
            else:
                request.session[IMPORT_SESSION_KEY] = {"file": upload.name, "rows": imports.rows_to_session(rows)}
                context.update(preview=prepared, file_name=upload.name)
    return render(request, "registry/import.html", context)


@require_POST
@login_required
def import_confirm(request: HttpRequest) -> HttpResponse:
    _registrar(request)
    pending = request.session.get(IMPORT_SESSION_KEY) or {}
    rows = imports.rows_from_session(pending.get("rows"))
    if not rows:
        messages.error(request, _("没有待确认的导入，请重新上传文件"))
        return redirect("registry:import")
    try:
        created = services.import_enterprises(request.user, rows)
    except imports.ImportInvalid as exc:
        request.session.pop(IMPORT_SESSION_KEY, None)
        form = forms.ImportForm()
        context = {
            "form": form,
            "limits": {"rows": imports.MAX_ROWS, "mb": imports.MAX_BYTES // 1048576},
            "problems": exc.problems,
            "problem_count": exc.count,
            "file_name": pending.get("file", ""),
            "changed_since_preview": True,
        }
        return render(request, "registry/import.html", context)
    except PermissionDenied:
        raise Http404 from None
    request.session.pop(IMPORT_SESSION_KEY, None)
    context = {"imported": created, "file_name": pending.get("file", "")}
    return render(request, "registry/import.html", context)

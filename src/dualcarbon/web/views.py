"""Login, logout, the home page that sends each role to its starting page, and the error pages."""

from __future__ import annotations

import logging

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views import defaults

from dualcarbon.accounting import queries
from dualcarbon.registry import access

from .log import current_request_id

log = logging.getLogger(__name__)


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """POST only (Django 5); the top bar's logout button is a small form."""


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Enterprise staff → their account; government and platform admin → the region; banks and
    verifiers → the enterprises they may read."""
    actor = access.actor_for(request.user)
    if actor.is_admin or actor.region_prefixes:
        return redirect("accounting:region")
    if actor.enterprise_ids:
        return redirect("accounting:enterprise", org_id=min(actor.enterprise_ids))
    page = Paginator(queries.bank_enterprises(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "web/home.html", {"page": page, "actor": actor})


# --- error pages (dualcarbon.urls handler404 / handler403 / handler500) -----------------------------------

API_PREFIX = "/api/"


def _request_id(request: HttpRequest) -> str:
    return str(getattr(request, "request_id", "") or current_request_id.get())


def _api_error(request: HttpRequest, status: int, detail: str) -> JsonResponse:
    """The API's error shape (dualcarbon.api: detail, located errors, request_id) for what reaches Django's
    handlers: a URL under /api/ that matches no route, an unexpected exception (never its traceback)."""
    return JsonResponse({"detail": detail, "errors": [], "request_id": _request_id(request)}, status=status)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The styled 404 (templates/404.html, never Django's list of URL patterns); JSON under /api/."""
    if request.path.startswith(API_PREFIX):
        return _api_error(request, 404, _("未找到"))
    return defaults.page_not_found(request, exception)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return _api_error(request, 403, _("无权访问"))
    return defaults.permission_denied(request, exception)  # type: ignore[arg-type]


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page with the request id (its traceback is in the log under the same id). It needs neither
    the database nor the request's context processors (a failing database is one reason to be here): the
    template is rendered without the request, and a plain fallback answers if even that fails."""
    request_id = _request_id(request)
    if request.path.startswith(API_PREFIX):
        return _api_error(request, 500, _("服务器内部错误"))
    try:
        html: str = loader.render_to_string("500.html", {"request_id": request_id})
    except Exception:
        log.exception("the 500 page could not be rendered")
        html = (
            "<!doctype html><title>500</title><h1>服务器内部错误 / Server error</h1>"
            f"<p>请求编号 / request id: <code>{escape(request_id)}</code></p>"
        )
    return HttpResponseServerError(html)

"""Login, logout and the home page that sends each role to its starting page."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dualcarbon.accounting import queries
from dualcarbon.registry import access


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

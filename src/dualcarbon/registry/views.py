"""Registry pages (thin): an enterprise's consents and the log of every read a bank made of its data."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import queries


@require_GET
@login_required
def access_log(request: HttpRequest, org_id: int) -> HttpResponse:
    view = queries.access_log(request.user, org_id, request.GET.get("reader"), request.GET.get("page"))
    return render(request, "registry/access_log.html", {"view": view, "enterprise": view.enterprise})

"""Read-only queries behind the registry pages; every queryset starts from :mod:`dualcarbon.registry.scoping`.

Each function issues a fixed number of queries whatever the amount of data.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Max
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import scoping
from .models import Consent, Organisation

PAGE_SIZE = 50
CONSENT_STATES: dict[str, Any] = {
    "active": _("有效"),
    "pending": _("未生效"),
    "expired": _("已到期"),
    "revoked": _("已撤销"),
}


def consent_state(consent: Consent, day: datetime.date | None = None) -> str:
    day = day or timezone.localdate()
    if consent.revoked_at is not None:
        return "revoked"
    if day < consent.valid_from:
        return "pending"
    if day > consent.valid_until:
        return "expired"
    return "active"


@dataclass
class AccessLogView:
    enterprise: Organisation
    readers: list[dict[str, Any]]  # one per bank: id, name, reads, last read
    reader: int | None  # the bank filtered on (None: all)
    consents: list[dict[str, Any]]
    page: Page


def access_log(user: Any, org_id: int, reader: Any = None, page: Any = 1) -> AccessLogView:
    """An enterprise's bank read log (newest first, paged), a summary per bank and its consents (5 queries)."""
    enterprise = get_object_or_404(scoping.access_log_enterprises(user).select_related("region"), pk=org_id)
    rows = scoping.access_log(user).filter(enterprise=enterprise)
    readers: list[dict[str, Any]] = [
        dict(r)
        for r in rows.values("reader_id", "reader__name").annotate(reads=Count("pk"), last=Max("at")).order_by("-last")
    ]
    try:
        reader_id: int | None = int(reader) if reader else None
    except (TypeError, ValueError):
        reader_id = None
    if reader_id is not None and any(r["reader_id"] == reader_id for r in readers):
        rows = rows.filter(reader_id=reader_id)
    else:
        reader_id = None
    listed = rows.select_related("reader", "user", "consent").order_by("-at", "-pk")
    pager = Paginator(listed, PAGE_SIZE).get_page(page)
    today = timezone.localdate()
    consents = []
    for c in scoping.consents(user).filter(enterprise=enterprise).select_related("bank").order_by("-created_at", "-pk"):
        state = consent_state(c, today)
        consents.append({"consent": c, "state": state, "state_label": CONSENT_STATES[state]})
    return AccessLogView(enterprise, readers, reader_id, consents, pager)

"""Read-only queries behind the registry pages; every queryset starts from :mod:`dualcarbon.registry.scoping`.

Each function issues a fixed number of queries whatever the amount of data.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Q
from django.db.models.functions import Substr
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dualcarbon.ui import names

from . import access, scoping
from .models import Consent, Industry, Membership, Organisation, Region, Site

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


# --------------------------------------------------------------------------- the register


@dataclass
class EnterpriseFilter:
    q: str = ""
    district: str = ""
    industry: str = ""
    size: str = ""
    above: str = ""  # "1" above designated size, "0" not, "" both
    active: str = ""  # "1" active, "0" deactivated, "" both
    page: int = 1

    @classmethod
    def from_query(cls, params: Any) -> EnterpriseFilter:
        def text(name: str, limit: int) -> str:
            return str(params.get(name) or "").strip()[:limit]

        district, industry = text("district", 6), text("industry", 5)
        try:
            page = max(1, min(int(params.get("page") or 1), 10**6))
        except (TypeError, ValueError):
            page = 1
        return cls(
            q=text("q", 100),
            district=district if district.isdigit() else "",
            industry=industry if industry.isalnum() else "",
            size=text("size", 8) if text("size", 8) in Organisation.Size.values else "",
            above=text("above", 1) if text("above", 1) in ("0", "1") else "",
            active=text("active", 1) if text("active", 1) in ("0", "1") else "",
            page=page,
        )

    @property
    def any(self) -> bool:
        return bool(self.q or self.district or self.industry or self.size or self.above or self.active)


@dataclass
class EnterpriseList:
    filters: EnterpriseFilter
    page: Page
    total: int
    district_options: list[Region]
    industry_options: list[Industry]
    size_options: list[tuple[str, Any]]


def enterprise_list(user: Any, f: EnterpriseFilter) -> EnterpriseList:
    """The enterprises the user manages, searched (name, or the USCC from its start) and filtered by county,
    industry division, size, 规上 and state, 50 a page (5 queries)."""
    base = scoping.managed_enterprises(user)
    qs = base
    if f.q:
        code = f.q.upper()
        qs = qs.filter(Q(name__icontains=f.q) | Q(uscc__startswith=code))
    districts = list(scoping.counties(user).order_by("code"))
    if f.district and f.district in {r.code for r in districts}:
        qs = qs.filter(region_id=f.district)
    else:
        f.district = ""
    if f.industry:
        qs = qs.filter(access.prefix_q("industry_id", f.industry))
    if f.size:
        qs = qs.filter(size_class=f.size)
    if f.above:
        qs = qs.filter(above_scale=f.above == "1")
    if f.active:
        qs = qs.filter(is_active=f.active == "1")
    listed = qs.select_related("region", "industry").order_by("-is_active", "name", "pk")
    page = Paginator(listed, PAGE_SIZE).get_page(f.page)
    industries = list(
        Industry.objects.filter(code__in=base.annotate(d=Substr("industry_id", 1, 2)).values("d")).order_by("code")
    )
    return EnterpriseList(f, page, base.count(), districts, industries, list(Organisation.Size.choices))


@dataclass
class Change:
    """One version in an enterprise's history: when, who, what (the fields changed, or a site added/removed)."""

    at: datetime.datetime
    who: str
    what: str  # "created" | "changed" | "site_added" | "site_changed" | "site_removed"
    subject: str  # the enterprise's or the site's name
    reason: str
    fields: list[tuple[str, str, str]]  # (label, before, after)


@dataclass
class EnterprisePage:
    enterprise: Organisation
    can_manage: bool
    sites: list[Any]
    members: list[dict[str, Any]]
    assignments: list[Any]
    history: list[Change]
    contact_invited: bool


#: the fields an enterprise's history shows, in order
HISTORY_FIELDS = (
    "name",
    "uscc",
    "region",
    "industry",
    "size_class",
    "above_scale",
    "contact_name",
    "contact_phone",
    "contact_email",
    "is_active",
)
SITE_HISTORY_FIELDS = ("name", "region", "address")
HISTORY_SHOWN = 30


def _shown_value(field: str, value: Any, regions: dict[str, str], industries: dict[str, Any]) -> str:
    if value in (None, ""):
        return "—"
    if field == "region":
        return regions.get(str(value), str(value))
    if field == "industry":
        ind = industries.get(str(value))
        return names.industry_name(ind.code, ind.name_zh) if ind else str(value)
    if field == "size_class":
        return str(Organisation.Size(value).label) if value in Organisation.Size.values else str(value)
    if field in ("above_scale", "is_active"):
        return str(_("是") if value else _("否"))
    return str(value)


def _label(model: Any, field: str) -> str:
    return str(model._meta.get_field(field).verbose_name)


def _history(enterprise: Organisation) -> list[Change]:
    """The enterprise's versions and its sites' (newest first), each with what changed (3 queries)."""
    org_rows = list(enterprise.history.select_related("history_user").order_by("history_date", "history_id"))
    site_rows = list(
        Site.history.filter(organisation_id=enterprise.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    codes = {str(getattr(r, "region_id", "") or "") for r in [*org_rows, *site_rows]}
    regions = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    industries = {
        i.code: i for i in Industry.objects.filter(code__in={r.industry_id for r in org_rows if r.industry_id})
    }
    out: list[Change] = []

    def who(row: Any) -> str:
        u = row.history_user
        return (u.get_full_name() or u.get_username()) if u is not None else "—"

    previous: Any = None
    for row in org_rows:
        changed = []
        for f in HISTORY_FIELDS:
            attname = f"{f}_id" if f in ("region", "industry") else f
            after = getattr(row, attname)
            before = getattr(previous, attname) if previous is not None else None
            if previous is None or before != after:
                if previous is None and after in (None, "", False):
                    continue
                changed.append(
                    (
                        _label(Organisation, f),
                        _shown_value(f, before, regions, industries) if previous is not None else "",
                        _shown_value(f, after, regions, industries),
                    )
                )
        kind = "created" if previous is None else "changed"
        if previous is None or changed:
            out.append(Change(row.history_date, who(row), kind, row.name, row.history_change_reason or "", changed))
        previous = row
    last_site: dict[int, Any] = {}
    for row in site_rows:
        before_row = last_site.get(row.id)
        kind = {"+": "site_added", "-": "site_removed"}.get(row.history_type, "site_changed")
        changed = []
        if kind != "site_removed":
            for f in SITE_HISTORY_FIELDS:
                attname = f"{f}_id" if f == "region" else f
                after = getattr(row, attname)
                before = getattr(before_row, attname) if before_row is not None else None
                if before_row is None or before != after:
                    if before_row is None and after in (None, ""):
                        continue
                    changed.append(
                        (
                            _label(Site, f),
                            _shown_value(f, before, regions, industries) if before_row is not None else "",
                            _shown_value(f, after, regions, industries),
                        )
                    )
        if kind != "site_changed" or changed:
            out.append(Change(row.history_date, who(row), kind, row.name, row.history_change_reason or "", changed))
        last_site[row.id] = row
    out.sort(key=lambda c: c.at, reverse=True)
    return out[:HISTORY_SHOWN]


def enterprise_page(user: Any, org_id: int) -> EnterprisePage:
    """An enterprise's registry page: its registered data, sites, users, verifier assignments and, for the
    government that manages it, its history (404 for whoever may not open it)."""
    enterprise = get_object_or_404(
        scoping.registry_enterprises(user).select_related("region__parent", "industry"), pk=org_id
    )
    manage = scoping.can_manage(user, enterprise)
    sites = list(enterprise.sites.select_related("region").order_by("name", "pk"))
    members = []
    rows = (
        Membership.objects.filter(organisation=enterprise, role=Membership.Role.ENTERPRISE_STAFF)
        .select_related("user")
        .order_by("-is_active", "user__username")
    )
    for m in rows:
        awaiting = not m.user.has_usable_password()
        state = "inactive" if not (m.is_active and m.user.is_active) else ("invited" if awaiting else "active")
        members.append({"membership": m, "user": m.user, "state": state, "state_label": MEMBER_STATES[state]})
    assignments = list(
        scoping.verifier_assignments(user)
        .filter(enterprise=enterprise)
        .select_related("verifier")
        .order_by("-year", "verifier__name")
    )
    email = (enterprise.contact_email or "").lower()
    invited = bool(email) and any((m["user"].email or "").lower() == email for m in members)
    return EnterprisePage(
        enterprise, manage, sites, members, assignments, _history(enterprise) if manage else [], invited
    )


MEMBER_STATES: dict[str, Any] = {
    "active": _("正常"),
    "invited": _("待设置密码"),
    "inactive": _("已停用"),
}

"""Read models behind the reporting pages (a fixed number of queries per page, whatever the data).

The government's 数据报送 list (:func:`government_list`): the current version of every month reported inside the
user's jurisdiction, filtered by year, month, status, district and enterprise (name or USCC), a page at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import Q

from dualcarbon.registry import access
from dualcarbon.registry.models import Region

from . import scoping
from .models import Submission

PAGE_SIZE = 50
#: the statuses a current version can have (a draft is never current)
CURRENT_STATUSES = (
    Submission.Status.SUBMITTED,
    Submission.Status.VERIFIED,
    Submission.Status.LOCKED,
    Submission.Status.RETURNED,
    Submission.Status.REJECTED,
)


def _int_in(value: Any, low: int, high: int) -> int | None:
    try:
        number = int(str(value or "").strip())
    except ValueError:
        return None
    return number if low <= number <= high else None


@dataclass(frozen=True)
class ListFilters:
    """The list's filters as read from the query string (anything invalid is ignored, never an error)."""

    year: int | None = None
    month: int | None = None
    status: str = ""
    district: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, data: Mapping[str, Any], districts: list[Region]) -> ListFilters:
        status = str(data.get("status") or "")
        district = str(data.get("district") or "").strip()
        return cls(
            year=_int_in(data.get("year"), 2000, 2100),
            month=_int_in(data.get("month"), 1, 12),
            status=status if status in CURRENT_STATUSES else "",
            # only a county of the user's jurisdiction (the options offered); another code is ignored
            district=district if any(r.code == district for r in districts) else "",
            q=str(data.get("q") or "").strip()[:100],
        )

    def params(self) -> dict[str, str]:
        """The filters set, as query parameters (the page links and the bulk lock's way back keep them)."""
        values = {
            "year": str(self.year or ""),
            "month": str(self.month or ""),
            "status": self.status,
            "district": self.district,
            "q": self.q,
        }
        return {k: v for k, v in values.items() if v}

    def query(self, page: int | None = None) -> str:
        params = self.params()
        if page is not None:
            params["page"] = str(page)
        return urlencode(params)


def district_options(user: Any) -> list[Region]:
    """The counties of the user's jurisdiction (all of them for the platform admin), by code. One query."""
    return list(Region.objects.filter(access.jurisdiction_q(user, "code"), level=Region.Level.COUNTY).order_by("code"))


def government_list(user: Any, filters: ListFilters, page: Any = None) -> Page[Submission]:
    """One page of the current versions the user's jurisdiction reported, newest month first.

    Two queries (the count and the page), whatever the number of rows."""
    qs = (
        scoping.submissions(user)
        .filter(is_current=True, enterprise__kind="enterprise")
        .filter(access.jurisdiction_q(user, "enterprise__region_id"))
        .select_related("enterprise", "enterprise__region", "period", "verified_by", "reviewed_by")
        .order_by("-period__year", "-period__month", "enterprise__name", "pk")
    )
    if filters.year:
        qs = qs.filter(period__year=filters.year)
    if filters.month:
        qs = qs.filter(period__month=filters.month)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.district:
        qs = qs.filter(access.prefix_q("enterprise__region_id", filters.district))
    if filters.q:
        qs = qs.filter(Q(enterprise__name__icontains=filters.q) | Q(enterprise__uscc__icontains=filters.q))
    return Paginator(qs, PAGE_SIZE).get_page(page)

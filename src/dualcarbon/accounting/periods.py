"""Complete and partial years, and the year a page shows when none is asked for (docs/monitoring.md § Complete years).

**Complete.** A year is complete for a scope (a jurisdiction, a district of it, the whole platform, one enterprise)
when either

* the enterprises of the scope that have a current December account of that year are at least
  :data:`COMPLETE_PERCENT` % of the scope's enterprises — those registered in it (``Organisation.region``) and active
  today; for one enterprise: its December account of the year exists (and the reader may read it); or
* the year's reporting deadline has passed: today is after 31 March of the next year (:data:`DEADLINE`, the date by
  which 《碳排放权交易管理办法（试行）》(生态环境部令第19号) 第二十五条 has the year's emissions reported). What is
  missing then is missing (the dashboard's completeness figures say how much), not still to come.

Any other year is *partial*: shown as "<year> 年 1–M 月累计，n/N 家已报送", M being the last month of the year
with any current account in the scope and n the enterprises of the scope with an account of month M.

**The default year** (no ``?year=``): the latest complete year; else (no complete year) the latest year with an
account, labelled partial; else this year. A year asked for explicitly is shown as asked, labelled partial when it
is. A filing for January of a new year therefore moves no page to that year.

Implemented once here; the region and account pages (``accounting.queries``), the monitoring dashboard, its
completeness list and the public statistics (``monitoring.queries``, through :mod:`dualcarbon.accounting.services`)
and the rating region page call it. Two queries for a scope (the enterprises counted, the accounts grouped by year
and month), whatever the data size.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from dualcarbon.registry import access
from dualcarbon.registry.models import Organisation

from . import scoping
from .models import AccountEntry

#: a year is complete for a scope when its December accounts cover at least this share (per cent) of the scope's
#: registered, active enterprises — the one place the threshold is set
COMPLETE_PERCENT = 90
#: (month, day) of the next year after which a year is complete whatever its coverage: 31 March, the annual
#: reporting date of 《碳排放权交易管理办法（试行）》第二十五条
DEADLINE = (3, 31)


def deadline(year: int) -> datetime.date:
    """The reporting deadline of ``year``'s accounts (31 March of the next year)."""
    return datetime.date(year + 1, *DEADLINE)


MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def _english() -> bool:
    return (get_language() or "zh-hans").lower().startswith("en")


def months_text(through: int) -> str:
    """Months 1..``through`` in the page's language: "1" / "1–3" (followed by 月), "January" / "January–March"."""
    if _english():
        return MONTHS_EN[0] if through == 1 else f"{MONTHS_EN[0]}–{MONTHS_EN[through - 1]}"
    return "1" if through == 1 else f"1–{through}"


def yoy_basis(year: int, through: int) -> str:
    """What a year-on-year figure of months 1..``through`` of ``year`` compares with: the same months of the year
    before, never a whole year ("与 2025 年 1 月比较" / "compared with January 2025")."""
    return _("与 %(year)d 年 %(months)s 月比较") % {"year": year - 1, "months": months_text(through or 12)}


@dataclass(frozen=True)
class YearStatus:
    """How far a year's accounts have come in a scope."""

    year: int
    #: the scope's enterprises (registered in it and active; 1 for one enterprise)
    enterprises: int
    #: of them, those with a current December account of the year
    december: int = 0
    #: the last month of the year with any current account in the scope (0: none)
    through: int = 0
    #: of the scope's enterprises, those with a current account of month ``through``
    reported: int = 0
    #: the scope is one enterprise (no "n/N 家" in the label)
    single: bool = False
    #: the year's reporting deadline has passed (:func:`deadline`)
    closed: bool = False

    @property
    def covered(self) -> bool:
        """December accounted for at least :data:`COMPLETE_PERCENT` % of the scope's enterprises."""
        return self.enterprises > 0 and 100 * self.december >= COMPLETE_PERCENT * self.enterprises

    @property
    def complete(self) -> bool:
        return self.covered or self.closed

    @property
    def partial(self) -> bool:
        return not self.complete

    @property
    def progress(self) -> str:
        """The partial year's state without the year: "1 月累计，1/320 家已报送" / "through January: 1/320
        enterprises reported"."""
        if not self.through:
            return _("暂无已核算的月份")
        months = months_text(self.through)
        if self.single:
            return _("%(months)s 月累计，非完整年度") % {"months": months}
        return _("%(months)s 月累计，%(reported)d/%(enterprises)d 家已报送") % {
            "months": months,
            "reported": self.reported,
            "enterprises": self.enterprises,
        }

    @property
    def label(self) -> str:
        """ "2026 年 1 月累计，1/320 家已报送" / "2026 through January: 1/320 enterprises reported"."""
        return _("%(year)d 年 %(progress)s") % {"year": self.year, "progress": self.progress}

    @property
    def basis(self) -> str:
        """What a year-on-year comparison of this year compares with: the same months of the year before."""
        return yoy_basis(self.year, self.through)


@dataclass(frozen=True)
class YearChoice:
    """The year a page shows, why, and the state of the years around it."""

    year: int
    status: YearStatus
    #: years with an account in the scope, newest first (the shown year included)
    years: list[int]
    #: chosen by default (no year asked for)
    default: bool
    #: the newest year with an account when it is newer than the year shown by default (a partial year skipped)
    newer: YearStatus | None = None
    statuses: dict[int, YearStatus] = field(default_factory=dict, compare=False)

    @property
    def partial(self) -> bool:
        return self.status.partial

    @property
    def note(self) -> str:
        """What the page says about the year it shows ("" for a complete year asked for)."""
        if self.default and self.status.complete:
            text = _("默认显示最近的完整年度 %(year)d 年。") % {"year": self.year}
            if self.newer is not None:
                text += _("%(year)d 年尚不完整（%(progress)s）。") % {
                    "year": self.newer.year,
                    "progress": self.newer.progress,
                }
            return text
        if self.default and self.years:
            return _("尚无完整年度，显示最近有数据的年度：%(label)s。") % {"label": self.status.label}
        if self.status.partial:
            return _("%(label)s。") % {"label": self.status.label}
        return ""

    @property
    def definition(self) -> str:
        if self.status.single:
            return _("完整年度：12 月的碳账户已核算，或已过报送截止日（次年 3 月 31 日）。")
        return _(
            "完整年度：12 月已核算的企业不少于辖区内在册正常企业的 %(pct)d%%，或已过报送截止日（次年 3 月 31 日）。"
        ) % {"pct": COMPLETE_PERCENT}


def year_statuses(
    entries: QuerySet[AccountEntry], enterprises: QuerySet[Organisation] | None
) -> tuple[int, dict[int, YearStatus]]:
    """The number of the scope's enterprises (``enterprises``: registered in it and active; None: one enterprise)
    and the status of every year with a current account among ``entries`` (already scoped). Two queries (one for
    one enterprise)."""
    single = enterprises is None
    n = 1 if enterprises is None else enterprises.count()
    counted = Q() if enterprises is None else Q(enterprise__in=enterprises.values("pk"))
    rows = (
        entries.filter(is_current=True)
        .values("year", "month")
        .annotate(accounts=Count("pk"), of_scope=Count("pk", filter=counted))
        .order_by()
    )
    return n, statuses_from(n, rows, single)


def statuses_from(n: int, rows: Iterable[Mapping[str, Any]], single: bool = False) -> dict[int, YearStatus]:
    """The status of every year in ``rows`` (``year``, ``month``, ``accounts``: current accounts of the month,
    ``of_scope``: those of the scope's ``n`` registered active enterprises). No query: the monitoring pages pass
    the counts of their summary table (one enterprise-month per row), the account pages those of the accounts."""
    by_year: dict[int, dict[int, int]] = {}
    for r in rows:
        if r["accounts"]:
            # one current account per enterprise and month: the accounts of the scope's enterprises count them
            by_year.setdefault(int(r["year"]), {})[int(r["month"])] = int(r["of_scope"])
    today = timezone.localdate()
    out = {}
    for year, months in by_year.items():
        through = max(months)
        out[year] = YearStatus(year, n, months.get(12, 0), through, months[through], single, today > deadline(year))
    return out


def choose(statuses: dict[int, YearStatus], asked: int | None, enterprises: int, single: bool = False) -> YearChoice:
    """The year to show: ``asked``, else the latest complete year, else the latest year with an account, else
    this year (no query)."""
    years = sorted(statuses, reverse=True)
    complete = [y for y in years if statuses[y].complete]
    if asked is not None:
        year = asked
    elif complete:
        year = complete[0]
    elif years:
        year = years[0]
    else:
        year = timezone.localdate().year
    status = statuses.get(year) or YearStatus(
        year, enterprises, single=single, closed=timezone.localdate() > deadline(year)
    )
    newer = statuses[years[0]] if asked is None and years and years[0] > year else None
    shown = years if year in years else sorted([*years, year], reverse=True)
    return YearChoice(year, status, shown, asked is None, newer, statuses)


# --------------------------------------------------------------------------- the scopes


def region_scope(user: Any, district: str = "") -> tuple[QuerySet[AccountEntry], QuerySet[Organisation]]:
    """The accounts and the registered active enterprises of the user's jurisdiction (narrowed to ``district``)."""
    entries = scoping.account_entries(user).filter(access.jurisdiction_q(user, "region_code"))
    ents = scoping.enterprises(user).filter(access.jurisdiction_q(user, "region__code"), is_active=True)
    if district:
        entries = entries.filter(access.prefix_q("region_code", district))
        ents = ents.filter(access.prefix_q("region__code", district))
    return entries, ents


def region_year(user: Any, year: int | None = None, district: str = "") -> YearChoice:
    """The year a government's (or the admin's) region pages show: the jurisdiction, or ``district`` of it.
    Two queries."""
    n, statuses = year_statuses(*region_scope(user, district))
    return choose(statuses, year, n)


def public_year(year: int | None = None) -> YearChoice:
    """The year the public statistics show: every current account and every registered active enterprise.
    Two queries."""
    ents = Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE, is_active=True)
    n, statuses = year_statuses(AccountEntry.objects.all(), ents)
    return choose(statuses, year, n)


def enterprise_year(user: Any, enterprise: Organisation, year: int | None = None) -> YearChoice:
    """The year an enterprise's account page shows, over the accounts of it the user may read (a bank: the
    consented months). One query."""
    n, statuses = year_statuses(scoping.account_entries(user).filter(enterprise=enterprise), None)
    return choose(statuses, year, n, single=True)


__all__ = [
    "COMPLETE_PERCENT",
    "DEADLINE",
    "YearChoice",
    "YearStatus",
    "choose",
    "deadline",
    "enterprise_year",
    "months_text",
    "public_year",
    "region_scope",
    "region_year",
    "statuses_from",
    "year_statuses",
    "yoy_basis",
]

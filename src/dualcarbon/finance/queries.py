"""Read models of the consent pages (docs/finance.md): an enterprise's consents with their history and the requests
it received; a bank's consents received and requests sent. Every queryset starts from :mod:`.scoping`."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dualcarbon.registry.models import Consent, Organisation

from . import scoping, services
from .models import ConsentRequest, CreditReport

#: a consent's state on a day
STATES: dict[str, Any] = {
    "active": _("有效"),
    "pending": _("未生效"),
    "expired": _("已到期"),
    "revoked": _("已撤销"),
}

#: the fields a consent's history shows, in order, with their labels
HISTORY_FIELDS: tuple[tuple[str, Any], ...] = (
    ("purpose_code", _("用途")),
    ("scope", _("授权范围")),
    ("data_from", _("数据起始期")),
    ("data_until", _("数据截止期")),
    ("valid_from", _("授权生效日")),
    ("valid_until", _("授权到期日")),
    ("revoked_at", _("撤销时间")),
    ("purpose", _("用途说明")),
)


def consent_state(consent: Consent, day: datetime.date | None = None) -> str:
    day = day or timezone.localdate()
    if consent.revoked_at is not None:
        return "revoked"
    if day < consent.valid_from:
        return "pending"
    if day > consent.valid_until:
        return "expired"
    return "active"


def shown(name: str, value: Any) -> str:
    """A history value in words (scope and purpose labels, dates)."""
    if value in (None, ""):
        return "—"
    if name == "scope":
        labels = dict(Consent.Scope.choices)
        return "、".join(str(labels.get(c, c)) for c in str(value).split(",") if c)
    if name == "purpose_code":
        return str(dict(Consent.Purpose.choices).get(value, value))
    if isinstance(value, datetime.datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


@dataclass
class Change:
    """One version of a consent: when, who, why (a reason code's words) and the fields changed (label, old, new)."""

    at: datetime.datetime
    who: str
    reason: str
    reason_label: Any
    changes: list[tuple[Any, str, str]] = field(default_factory=list)


@dataclass
class ConsentRow:
    consent: Consent
    state: str
    state_label: Any
    history: list[Change]

    @property
    def form_key(self) -> str:
        """The name of this consent's change form (the page reopens it with its errors)."""
        return f"change-{self.consent.pk}"


def history(consent: Consent) -> list[Change]:
    """Every version of the consent, oldest first (one query)."""
    rows = list(consent.history.select_related("history_user").order_by("history_date", "history_id"))
    out: list[Change] = []
    prev: Any = None
    for row in rows:
        user = row.history_user
        who = (user.get_full_name() or user.get_username()) if user is not None else "—"
        reason = row.history_change_reason or ""
        code = reason if reason in services.REASONS else ""
        label = services.REASONS.get(code) or reason or (_("创建授权") if row.history_type == "+" else _("修改授权"))
        if prev is None:
            changes = [(lbl, "", shown(name, getattr(row, name))) for name, lbl in HISTORY_FIELDS]
            changes = [c for c in changes if c[2] != "—"]
        else:
            changes = [
                (lbl, shown(name, getattr(prev, name)), shown(name, getattr(row, name)))
                for name, lbl in HISTORY_FIELDS
                if getattr(prev, name) != getattr(row, name)
            ]
        out.append(Change(row.history_date, who, code, label, changes))
        prev = row
    return out


@dataclass
class EnterpriseConsents:
    enterprise: Organisation
    consents: list[ConsentRow]
    requests: list[ConsentRequest]
    can_change: bool
    banks: list[Organisation]


def enterprise_consents(user: Any, org_id: int) -> EnterpriseConsents:
    """An enterprise's consents (newest first) with their history and state, and the requests it received (pending
    first). 404 for whoever may not open the page."""
    enterprise = get_object_or_404(scoping.consent_enterprises(user), pk=org_id)
    consents = list(
        scoping.enterprise_consents(user)
        .filter(enterprise=enterprise)
        .select_related("bank")
        .order_by("-created_at", "-pk")
    )
    today = timezone.localdate()
    rows = []
    for c in consents:
        state = consent_state(c, today)
        rows.append(ConsentRow(c, state, STATES[state], history(c)))
    requests = sorted(
        scoping.enterprise_requests(user).filter(enterprise=enterprise).select_related("bank", "requested_by"),
        key=lambda r: (r.status != ConsentRequest.Status.PENDING, -r.requested_at.timestamp(), -r.pk),
    )
    can_change = scoping.can_change_consents(user, enterprise)
    return EnterpriseConsents(enterprise, rows, requests, can_change, list(services.banks()) if can_change else [])


def visible_consent(user: Any, org_id: int, consent_id: int) -> Consent:
    enterprise = get_object_or_404(scoping.consent_enterprises(user), pk=org_id)
    return get_object_or_404(
        scoping.enterprise_consents(user).select_related("enterprise"), pk=consent_id, enterprise=enterprise
    )


def visible_request(user: Any, org_id: int, request_id: int) -> ConsentRequest:
    enterprise = get_object_or_404(scoping.consent_enterprises(user), pk=org_id)
    return get_object_or_404(scoping.enterprise_requests(user), pk=request_id, enterprise=enterprise)


def bank_request(user: Any, request_id: int) -> ConsentRequest:
    """A request sent by one of the user's banks (404 otherwise, like missing)."""
    return get_object_or_404(scoping.bank_requests(user).select_related("enterprise", "bank"), pk=request_id)


@dataclass
class BankConsents:
    banks: list[Organisation]
    consents: list[tuple[Consent, str, Any]]  # consent, state, its words
    requests: list[ConsentRequest]
    #: credit reports generated, readable while their consent is active
    reports: list[CreditReport] = field(default_factory=list)


def bank_consents(user: Any) -> BankConsents | None:
    """The consents the user's banks received and the requests they sent (None: not a bank's staff)."""
    banks = list(scoping.user_banks(user).order_by("name", "pk"))
    if not banks:
        return None
    today = timezone.localdate()
    consents = [
        (c, (s := consent_state(c, today)), STATES[s])
        for c in scoping.bank_consents(user).select_related("enterprise", "bank").order_by("-created_at", "-pk")
    ]
    requests = list(scoping.bank_requests(user).select_related("enterprise", "bank", "requested_by"))
    reports = list(scoping.bank_reports(user).select_related("enterprise")[:50])
    return BankConsents(banks, consents, requests, reports)


# --------------------------------------------------------------------------------------------- credit reports


def report_enterprise(user: Any, org_id: int) -> Organisation:
    """The enterprise whose credit report the user's bank may generate (404 otherwise, like missing)."""
    return get_object_or_404(scoping.report_enterprises(user).select_related("industry", "region"), pk=org_id)


def bank_report(user: Any, number: str) -> CreditReport:
    """A report the user's bank generated, while the consent naming the credit report is active (404 otherwise)."""
    return get_object_or_404(scoping.bank_reports(user).select_related("enterprise", "bank"), number=number)

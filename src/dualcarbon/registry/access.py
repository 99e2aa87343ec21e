"""The access predicates: who the actor is, which regions they govern, which consents and assignments they
hold. The ground floor of every app's scoping.

Each app's ``scoping.py`` builds one function per model of its own from these predicates (``docs/architecture.md``
§ Access rules); no app imports another app's scoping, and nothing here imports an app above the registry.

* enterprise staff: their own enterprise(s);
* government staff: enterprises whose region code starts with their jurisdiction's prefix;
* bank staff: enterprises with an active consent to their bank, for the consented periods and the consented
  scope items only (``scope``: a read names the items that allow it, e.g. :data:`ACCOUNTS` for the monthly
  lines; a consent lacking every one of them opens nothing, exactly like no consent);
* verifiers: enterprises assigned to their body;
* platform admins: everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from .models import Consent, Membership, Organisation, VerifierAssignment

Role = Membership.Role


@dataclass(frozen=True)
class Actor:
    """A user's effective permissions, computed once per request from their memberships."""

    user_id: int | None
    roles: frozenset[str] = field(default_factory=frozenset)
    enterprise_ids: frozenset[int] = field(default_factory=frozenset)
    region_prefixes: tuple[str, ...] = ()
    bank_ids: frozenset[int] = field(default_factory=frozenset)
    verifier_ids: frozenset[int] = field(default_factory=frozenset)
    organisation_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_admin(self) -> bool:
        return Role.PLATFORM_ADMIN in self.roles

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def bank_only(self) -> bool:
        """A reader whose only way in is a bank's consent (period limits apply)."""
        return bool(self.bank_ids) and not (
            self.is_admin or self.enterprise_ids or self.region_prefixes or self.verifier_ids
        )

    @property
    def government_only(self) -> bool:
        return bool(self.region_prefixes) and not (
            self.is_admin or self.enterprise_ids or self.bank_ids or self.verifier_ids
        )


def actor_for(user: Any) -> Actor:
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return Actor(None)
    cached = getattr(user, "_dualcarbon_actor", None)
    if cached is not None:
        return cached
    rows = list(
        Membership.objects.filter(user=user, is_active=True, organisation__is_active=True)
        .select_related("organisation__region")
        .only(
            "role",
            "organisation__id",
            "organisation__kind",
            "organisation__region__code",
            "organisation__region__level",
        )
    )
    roles = {m.role for m in rows}
    prefixes = tuple(
        sorted(
            {m.organisation.region.prefix for m in rows if m.role == Role.GOVERNMENT_STAFF and m.organisation.region}
        )
    )
    actor = Actor(
        user.pk,
        frozenset(roles),
        frozenset(m.organisation_id for m in rows if m.role == Role.ENTERPRISE_STAFF),
        prefixes,
        frozenset(m.organisation_id for m in rows if m.role == Role.BANK_STAFF),
        frozenset(m.organisation_id for m in rows if m.role == Role.VERIFIER),
        frozenset(m.organisation_id for m in rows),
    )
    user._dualcarbon_actor = actor
    return actor


# --------------------------------------------------------------------------- regions


def prefix_q(field_name: str, prefix: str) -> Q:
    """``field`` starts with ``prefix`` as a range (``>= p`` and ``< p+1``) so B-tree indexes are used.

    SQLite never uses an index for ``LIKE 'p%'``; region codes are digit strings, so the range is exact.
    """
    if not prefix:
        return Q()
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{field_name}__gte": prefix, f"{field_name}__lt": upper})


def region_q(prefixes: tuple[str, ...], field_name: str) -> Q:
    """``field`` lies in any of the prefixes (nothing for none)."""
    q = Q(pk__in=[])
    for p in prefixes:
        q |= prefix_q(field_name, p)
    return q


def can_see_region(user: Any) -> bool:
    actor = actor_for(user)
    return actor.is_admin or bool(actor.region_prefixes)


def region_prefixes(user: Any) -> tuple[str, ...]:
    """Region code prefixes the user governs ('' = everything for the platform admin)."""
    actor = actor_for(user)
    return ("",) if actor.is_admin else actor.region_prefixes


def jurisdiction_q(user: Any, field_name: str) -> Q:
    """A Q restricting ``field_name`` (a region code) to the user's jurisdiction (nothing for others)."""
    if not can_see_region(user):
        return Q(pk__in=[])
    prefixes = region_prefixes(user)
    return Q() if "" in prefixes else region_q(prefixes, field_name)


def governs(user: Any, region_code: str) -> bool:
    """Whether the user's jurisdiction covers ``region_code`` (the platform admin governs everything)."""
    actor = actor_for(user)
    if actor.is_admin:
        return True
    code = str(region_code or "")
    return bool(code) and any(code.startswith(p) for p in actor.region_prefixes)


def government_audience(region_codes: Any) -> dict[str, list[Any]]:
    """For each region code: the active government staff whose jurisdiction covers it (their organisation's
    region is that region or contains it), by user name. One query whatever the number of codes."""
    rows = (
        Membership.objects.filter(
            role=Role.GOVERNMENT_STAFF,
            is_active=True,
            user__is_active=True,
            organisation__is_active=True,
            organisation__kind=Organisation.Kind.GOVERNMENT,
            organisation__region__isnull=False,
        )
        .select_related("user", "organisation__region")
        .order_by("user__username", "pk")
    )
    staff = [(m.organisation.region.prefix, m.user) for m in rows if m.organisation.region]
    out: dict[str, list[Any]] = {}
    for code in {str(c) for c in region_codes}:
        users = {u.pk: u for prefix, u in staff if code.startswith(prefix)}
        out[code] = sorted(users.values(), key=lambda u: u.get_username())
    return out


def government_staff_for(region_code: str) -> QuerySet[Any]:
    """The government staff whose jurisdiction covers ``region_code``, as a queryset of users."""
    code = str(region_code or "")
    ids = [u.pk for u in government_audience([code])[code]] if code else []
    return get_user_model().objects.filter(pk__in=ids).order_by("username")


# --------------------------------------------------------------------------- consent scope items

#: the scope items a bank read may need (``Consent.Scope``); each tuple lists the items any one of which allows it
ACCOUNTS: tuple[str, ...] = (Consent.Scope.ACCOUNTS,)
#: an account's annual totals: the summary item, or the monthly lines (which contain it)
SUMMARY: tuple[str, ...] = (Consent.Scope.SUMMARY, Consent.Scope.ACCOUNTS)
GRADE: tuple[str, ...] = (Consent.Scope.GRADE,)
CERTIFICATION: tuple[str, ...] = (Consent.Scope.CERTIFICATION,)
CREDIT_REPORT: tuple[str, ...] = (Consent.Scope.CREDIT_REPORT,)
#: any item (the bank's own list of the consents it received)
ANY_SCOPE: tuple[str, ...] = tuple(Consent.Scope.values)


def scope_q(items: tuple[str, ...]) -> Q:
    """Consents whose comma-separated ``scope`` names one of ``items`` (exactly, not as a part of another code)."""
    q = Q(pk__in=[])
    for code in items:
        q |= (
            Q(scope=code)
            | Q(scope__startswith=f"{code},")
            | Q(scope__endswith=f",{code}")
            | Q(scope__contains=f",{code},")
        )
    return q


def bank_consents(actor: Actor, scope: tuple[str, ...]) -> QuerySet[Consent]:
    """The active consents to the actor's banks naming one of the ``scope`` items (read afresh on every call:
    a revocation or a narrowing takes effect on the next request)."""
    if not actor.bank_ids:
        return Consent.objects.none()
    return Consent.objects.active().filter(bank_id__in=actor.bank_ids).filter(scope_q(scope))


def consent_allows(consent: Consent, scope: tuple[str, ...]) -> bool:
    return any(code in consent.scopes for code in scope)


# --------------------------------------------------------------------------- enterprises


def assigned_enterprises(actor: Actor) -> QuerySet[Any]:
    """Ids of the enterprises assigned to the actor's verification bodies (a subquery)."""
    return VerifierAssignment.objects.filter(verifier_id__in=actor.verifier_ids).values("enterprise_id")


def consenting_enterprises(actor: Actor, scope: tuple[str, ...]) -> QuerySet[Any]:
    """Ids of the enterprises with an active consent to one of the actor's banks naming one of the ``scope``
    items (a subquery)."""
    return bank_consents(actor, scope).values("enterprise_id")


def enterprise_q(actor: Actor, path: str = "", *, scope: tuple[str, ...]) -> Q:
    """Who may read an enterprise's data named by ``scope`` (:data:`ACCOUNTS`, :data:`GRADE` …): a Q on
    Organisation (or, with ``path`` like "enterprise__", on a model pointing at one). Own staff, the region's
    government, banks whose active consent names one of the scope items, assigned verifiers, admin."""
    if actor.user_id is None:
        return Q(pk__in=[]) if not path else Q(**{f"{path}pk__in": []})
    if actor.is_admin:
        return Q()
    pk = f"{path}pk" if path else "pk"
    q = Q(**{f"{pk}__in": list(actor.enterprise_ids)})
    if actor.region_prefixes:
        q |= region_q(actor.region_prefixes, f"{path}region__code") & Q(**{f"{path}kind": "enterprise"})
    if actor.bank_ids:
        q |= Q(**{f"{pk}__in": consenting_enterprises(actor, scope)})
    if actor.verifier_ids:
        q |= Q(**{f"{pk}__in": assigned_enterprises(actor)})
    return q


def readable_enterprises(user: Any, *, scope: tuple[str, ...]) -> QuerySet[Organisation]:
    """Enterprises whose data named by ``scope`` the user may read (a bank: within its consents naming one of
    those items)."""
    actor = actor_for(user)
    return Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE).filter(enterprise_q(actor, scope=scope))


def _paths(enterprise_field: str) -> tuple[str, str]:
    """The id and region-code lookups of an enterprise reached through ``enterprise_field`` ('' = the
    Organisation itself)."""
    if not enterprise_field:
        return "pk", "region__code"
    return f"{enterprise_field}_id", f"{enterprise_field}__region__code"


def records_q(actor: Actor, enterprise_field: str = "enterprise") -> Q:
    """Who may read an enterprise's raw records (submissions, activity data): own staff, its region's
    government, assigned verifiers, the admin — not banks, which read accounts only. ``enterprise_field`` is
    the path to the enterprise foreign key (``enterprise`` → ``enterprise_id`` and ``enterprise__region``)."""
    if actor.user_id is None:
        return Q(pk__in=[])
    if actor.is_admin:
        return Q()
    ids, region = _paths(enterprise_field)
    q = Q(**{f"{ids}__in": list(actor.enterprise_ids)})
    if actor.region_prefixes:
        q |= region_q(actor.region_prefixes, region)
    if actor.verifier_ids:
        q |= Q(**{f"{ids}__in": assigned_enterprises(actor)})
    return q


def owner_or_government_q(actor: Actor, enterprise_field: str = "enterprise") -> Q:
    """The enterprise's own staff, its region's government and the admin (appeals, the read log, consents)."""
    if actor.user_id is None:
        return Q(pk__in=[])
    if actor.is_admin:
        return Q()
    ids, region = _paths(enterprise_field)
    q = Q(**{f"{ids}__in": list(actor.enterprise_ids)})
    if actor.region_prefixes:
        q |= region_q(actor.region_prefixes, region)
    return q


def can_report_for(user: Any, enterprise: Organisation | int) -> bool:
    """Only the enterprise's own staff write its reports (the platform admin does not report for it)."""
    pk = enterprise if isinstance(enterprise, int) else enterprise.pk
    return pk in actor_for(user).enterprise_ids


def is_assigned_verifier(user: Any, enterprise: Organisation | int) -> bool:
    pk = enterprise if isinstance(enterprise, int) else enterprise.pk
    actor = actor_for(user)
    if not actor.verifier_ids:
        return False
    return VerifierAssignment.objects.filter(verifier_id__in=actor.verifier_ids, enterprise_id=pk).exists()


def is_owner_or_government(user: Any, enterprise: Organisation) -> bool:
    """:func:`owner_or_government_q` for one enterprise, without a query (its region is read from the row)."""
    actor = actor_for(user)
    if actor.user_id is None or enterprise.kind != Organisation.Kind.ENTERPRISE:
        return False
    if actor.is_admin or enterprise.pk in actor.enterprise_ids:
        return True
    code = enterprise.region.code if enterprise.region is not None else ""
    return bool(code) and any(code.startswith(p) for p in actor.region_prefixes)


# --------------------------------------------------------------------------- consents and their periods


def _consent_periods(actor: Actor, scope: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = bank_consents(actor, scope).values("enterprise_id", "data_from", "data_until")
    return [dict(r) for r in rows]


def bank_period_q(
    actor: Actor, year_field: str, month_field: str, ent_field: str, *, scope: tuple[str, ...]
) -> Q | None:
    """For bank-only readers: restrict to the data periods of each enterprise's consents naming one of the
    ``scope`` items (None: no limit)."""
    if not actor.bank_only:
        return None
    q = Q(pk__in=[])
    for c in _consent_periods(actor, scope):
        fy, fm = (int(x) for x in c["data_from"].split("-"))
        uy, um = (int(x) for x in c["data_until"].split("-"))
        start = Q(**{f"{year_field}__gt": fy}) | Q(**{year_field: fy, f"{month_field}__gte": fm})
        end = Q(**{f"{year_field}__lt": uy}) | Q(**{year_field: uy, f"{month_field}__lte": um})
        q |= Q(**{ent_field: c["enterprise_id"]}) & start & end
    return q


def bank_year_q(actor: Actor, year_field: str, ent_field: str, *, scope: tuple[str, ...]) -> Q | None:
    """For bank-only readers: a figure of year Y is visible when a consent naming one of the ``scope`` items
    covers all of year Y's months (an annual grade and its explanation are made from every month of the year).
    None: no limit."""
    if not actor.bank_only:
        return None
    q = Q(pk__in=[])
    for c in _consent_periods(actor, scope):
        fy, fm = (int(x) for x in c["data_from"].split("-"))
        uy, um = (int(x) for x in c["data_until"].split("-"))
        first, last = (fy if fm == 1 else fy + 1), (uy if um == 12 else uy - 1)
        q |= Q(**{ent_field: c["enterprise_id"], f"{year_field}__gte": first, f"{year_field}__lte": last})
    return q


def consented_months(user: Any, enterprise: Organisation | int, year: int, scope: tuple[str, ...]) -> set[int] | None:
    """For a reader whose only way in is a bank's consent: the months of ``year`` its active consents naming one
    of the ``scope`` items cover (None for every other reader: no limit). One query."""
    actor = actor_for(user)
    if not actor.bank_only:
        return None
    pk = enterprise if isinstance(enterprise, int) else enterprise.pk
    covered: set[int] = set()
    for c in bank_consents(actor, scope).filter(enterprise_id=pk).values("data_from", "data_until"):
        start = tuple(int(x) for x in c["data_from"].split("-"))
        end = tuple(int(x) for x in c["data_until"].split("-"))
        covered.update(m for m in range(1, 13) if start <= (year, m) <= end)
    return covered


def reading_consent(
    user: Any, enterprise: Organisation | int, year: int | None = None, *, scope: tuple[str, ...] = ANY_SCOPE
) -> Consent | None:
    """The active consent through which a bank user reads this enterprise's data named by ``scope``, or None
    when the read is not a bank's (no bank role, the user's own enterprise, or no active consent naming one of
    those items to one of the user's banks).

    With ``year``, a consent whose data period covers that year is preferred; otherwise the latest one.
    """
    pk = enterprise if isinstance(enterprise, int) else enterprise.pk
    actor = actor_for(user)
    if not actor.bank_ids or pk in actor.enterprise_ids:
        return None
    rows = list(bank_consents(actor, scope).filter(enterprise_id=pk).order_by("-created_at", "-pk"))
    if year is not None:
        covering = [c for c in rows if c.data_from[:4] <= str(year) <= c.data_until[:4]]
        rows = covering or rows
    return rows[0] if rows else None

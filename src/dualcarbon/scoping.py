"""Scoping lives here, and only here: what each user may see and change.

* enterprise staff: their own enterprise(s);
* government staff: enterprises whose region code starts with their jurisdiction's prefix;
* bank staff: enterprises with an active consent to their bank, for the consented periods only;
* verifiers: enterprises assigned to their body;
* platform admins: everything.

Views and the API never filter by organisation themselves: they call these functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from dualcarbon.registry.models import Membership, Organisation

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


def prefix_q(field_name: str, prefix: str) -> Q:
    """``field`` starts with ``prefix`` as a range (``>= p`` and ``< p+1``) so B-tree indexes are used.

    SQLite never uses an index for ``LIKE 'p%'``; region codes are digit strings, so the range is exact.
    """
    if not prefix:
        return Q()
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{field_name}__gte": prefix, f"{field_name}__lt": upper})


def _region_q(prefixes: tuple[str, ...], field_name: str) -> Q:
    q = Q(pk__in=[])
    for p in prefixes:
        q |= prefix_q(field_name, p)
    return q


def enterprise_q(actor: Actor, path: str = "") -> Q:
    """A Q on Organisation (or, with ``path`` like "enterprise__", on a model pointing at one)."""
    if actor.user_id is None:
        return Q(pk__in=[]) if not path else Q(**{f"{path}pk__in": []})
    if actor.is_admin:
        return Q()
    pk = f"{path}pk" if path else "pk"
    q = Q(**{f"{pk}__in": list(actor.enterprise_ids)})
    if actor.region_prefixes:
        q |= _region_q(actor.region_prefixes, f"{path}region__code") & Q(**{f"{path}kind": "enterprise"})
    if actor.bank_ids:
        from dualcarbon.finance.models import Consent

        consenting = Consent.objects.active().filter(bank_id__in=actor.bank_ids).values("enterprise_id")
        q |= Q(**{f"{pk}__in": consenting})
    if actor.verifier_ids:
        from dualcarbon.registry.models import VerifierAssignment

        assigned = VerifierAssignment.objects.filter(verifier_id__in=actor.verifier_ids).values("enterprise_id")
        q |= Q(**{f"{pk}__in": assigned})
    return q


def enterprises(user: Any) -> QuerySet[Organisation]:
    """Enterprises the user may read."""
    actor = actor_for(user)
    return Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE).filter(enterprise_q(actor))


def _bank_period_q(actor: Actor, year_field: str, month_field: str, ent_field: str) -> Q | None:
    """For bank-only readers: restrict to the consented data periods of each enterprise."""
    if not actor.bank_ids or actor.is_admin or actor.enterprise_ids or actor.region_prefixes or actor.verifier_ids:
        return None
    from dualcarbon.finance.models import Consent

    q = Q(pk__in=[])
    for c in (
        Consent.objects.active().filter(bank_id__in=actor.bank_ids).values("enterprise_id", "data_from", "data_until")
    ):
        fy, fm = (int(x) for x in c["data_from"].split("-"))
        uy, um = (int(x) for x in c["data_until"].split("-"))
        start = Q(**{f"{year_field}__gt": fy}) | Q(**{year_field: fy, f"{month_field}__gte": fm})
        end = Q(**{f"{year_field}__lt": uy}) | Q(**{year_field: uy, f"{month_field}__lte": um})
        q |= Q(**{ent_field: c["enterprise_id"]}) & start & end
    return q


def account_entries(user: Any) -> QuerySet[Any]:
    from dualcarbon.accounting.models import AccountEntry

    actor = actor_for(user)
    if actor.region_prefixes and not (actor.is_admin or actor.enterprise_ids or actor.bank_ids or actor.verifier_ids):
        # government only: the region code is denormalised on every entry, so no join with enterprises is needed
        return AccountEntry.objects.filter(_region_q(actor.region_prefixes, "region_code"))
    qs = AccountEntry.objects.filter(enterprise__in=enterprises(user).values("pk"))
    period_q = _bank_period_q(actor, "year", "month", "enterprise_id")
    return qs.filter(period_q) if period_q is not None else qs


def submissions(user: Any) -> QuerySet[Any]:
    """Submissions the user may read. Banks read accounts, not raw submissions."""
    from dualcarbon.reporting.models import Submission

    actor = actor_for(user)
    if actor.user_id is None:
        return Submission.objects.none()
    if actor.is_admin:
        return Submission.objects.all()
    q = Q(enterprise_id__in=list(actor.enterprise_ids))
    if actor.region_prefixes:
        q |= _region_q(actor.region_prefixes, "enterprise__region__code")
    if actor.verifier_ids:
        from dualcarbon.registry.models import VerifierAssignment

        q |= Q(
            enterprise_id__in=VerifierAssignment.objects.filter(verifier_id__in=actor.verifier_ids).values(
                "enterprise_id"
            )
        )
    return Submission.objects.filter(q)


def emission_lines(user: Any) -> QuerySet[Any]:
    from dualcarbon.accounting.models import EmissionLine

    return EmissionLine.objects.filter(run__submission__in=submissions(user).values("pk"))


def can_report_for(user: Any, enterprise: Organisation | int) -> bool:
    """Only the enterprise's own staff write its reports (the platform admin does not report for it)."""
    pk = enterprise if isinstance(enterprise, int) else enterprise.pk
    return pk in actor_for(user).enterprise_ids


def can_verify(user: Any, enterprise: Organisation | int) -> bool:
    pk = enterprise if isinstance(enterprise, int) else enterprise.pk
    actor = actor_for(user)
    if not actor.verifier_ids:
        return False
    from dualcarbon.registry.models import VerifierAssignment

    return VerifierAssignment.objects.filter(verifier_id__in=actor.verifier_ids, enterprise_id=pk).exists()


def can_see_region(user: Any) -> bool:
    actor = actor_for(user)
    return actor.is_admin or bool(actor.region_prefixes)


def region_prefixes(user: Any) -> tuple[str, ...]:
    """Region code prefixes the user governs ('' = everything for the platform admin)."""
    actor = actor_for(user)
    return ("",) if actor.is_admin else actor.region_prefixes


# --------------------------------------------------------------------------- finance (dualcarbon.finance)


def reading_consent(user: Any, enterprise: Organisation | int, year: int | None = None) -> Any:
    """The active consent through which a bank user reads this enterprise, or None when the read is not a
    bank's (no bank role, the user's own enterprise, or no active consent to one of the user's banks).

    With ``year``, a consent whose data period covers that year is preferred; otherwise the latest one.
    """
    pk = enterprise if isinstance(enterprise, int) else enterprise.pk
    actor = actor_for(user)
    if not actor.bank_ids or pk in actor.enterprise_ids:
        return None
    from dualcarbon.finance.models import Consent

    rows = list(
        Consent.objects.active().filter(bank_id__in=actor.bank_ids, enterprise_id=pk).order_by("-created_at", "-pk")
    )
    if year is not None:
        covering = [c for c in rows if c.data_from[:4] <= str(year) <= c.data_until[:4]]
        rows = covering or rows
    return rows[0] if rows else None


def access_log_enterprises(user: Any) -> QuerySet[Organisation]:
    """Enterprises whose read log and consents the user may see: the enterprise's own staff, its region's
    government, the platform admin. Not banks (the log shows other banks' reads) and not verifiers."""
    actor = actor_for(user)
    qs = Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE)
    if actor.user_id is None:
        return qs.none()
    if actor.is_admin:
        return qs
    q = Q(pk__in=list(actor.enterprise_ids))
    if actor.region_prefixes:
        q |= _region_q(actor.region_prefixes, "region__code")
    return qs.filter(q)


def can_see_access_log(user: Any, enterprise: Organisation) -> bool:
    """Whether :func:`access_log_enterprises` holds ``enterprise`` (no query: its region is read from the row)."""
    actor = actor_for(user)
    if actor.user_id is None or enterprise.kind != Organisation.Kind.ENTERPRISE:
        return False
    if actor.is_admin or enterprise.pk in actor.enterprise_ids:
        return True
    code = enterprise.region.code if enterprise.region is not None else ""
    return bool(code) and any(code.startswith(p) for p in actor.region_prefixes)


def access_log(user: Any) -> QuerySet[Any]:
    """Rows of the bank read log the user may see (see :func:`access_log_enterprises`)."""
    from dualcarbon.finance.models import AccessLog

    return AccessLog.objects.filter(enterprise__in=access_log_enterprises(user).values("pk"))


def consents(user: Any) -> QuerySet[Any]:
    """Consents the user may see: those given by the enterprises of :func:`access_log_enterprises`."""
    from dualcarbon.finance.models import Consent

    return Consent.objects.filter(enterprise__in=access_log_enterprises(user).values("pk"))


# --------------------------------------------------------------------------- rating (dualcarbon.rating)


def _bank_year_q(actor: Actor, year_field: str, ent_field: str) -> Q | None:
    """For bank-only readers: a rating of year Y is visible when the consent covers all of year Y's months
    (an annual grade and its explanation are made from every month of the year)."""
    if not actor.bank_ids or actor.is_admin or actor.enterprise_ids or actor.region_prefixes or actor.verifier_ids:
        return None
    from dualcarbon.finance.models import Consent

    q = Q(pk__in=[])
    for c in (
        Consent.objects.active().filter(bank_id__in=actor.bank_ids).values("enterprise_id", "data_from", "data_until")
    ):
        fy, fm = (int(x) for x in c["data_from"].split("-"))
        uy, um = (int(x) for x in c["data_until"].split("-"))
        first, last = (fy if fm == 1 else fy + 1), (uy if um == 12 else uy - 1)
        q |= Q(**{ent_field: c["enterprise_id"], f"{year_field}__gte": first, f"{year_field}__lte": last})
    return q


def rating_results(user: Any) -> QuerySet[Any]:
    """Rating results of the enterprises the user may read (banks: the consented years only)."""
    from dualcarbon.rating.models import RatingResult

    actor = actor_for(user)
    qs = RatingResult.objects.filter(enterprise__in=enterprises(user).values("pk"))
    year_q = _bank_year_q(actor, "year", "enterprise_id")
    return qs.filter(year_q) if year_q is not None else qs


def rating_appeals(user: Any) -> QuerySet[Any]:
    """Appeals: the enterprise's own staff, its region's government, the platform admin."""
    from dualcarbon.rating.models import Appeal

    actor = actor_for(user)
    if actor.user_id is None:
        return Appeal.objects.none()
    if actor.is_admin:
        return Appeal.objects.all()
    q = Q(enterprise_id__in=list(actor.enterprise_ids))
    if actor.region_prefixes:
        q |= _region_q(actor.region_prefixes, "enterprise__region__code")
    return Appeal.objects.filter(q)


# --------------------------------------------------------------------------- monitoring (dualcarbon.monitoring)


def can_see_monitoring(user: Any) -> bool:
    """The regional dashboard, targets, alerts and monthly report: government staff and the platform admin."""
    return can_see_region(user)


def monitoring_q(user: Any, field_name: str) -> Q:
    """A Q restricting ``field_name`` (a region code) to the user's jurisdiction (nothing for others)."""
    if not can_see_region(user):
        return Q(pk__in=[])
    prefixes = region_prefixes(user)
    return Q() if "" in prefixes else _region_q(prefixes, field_name)


def monitoring_alerts(user: Any) -> QuerySet[Any]:
    """Early-warning alerts in the user's jurisdiction (by the alert's region code)."""
    from dualcarbon.monitoring.models import Alert

    return Alert.objects.filter(monitoring_q(user, "region_id"))


def can_handle_alert(user: Any, alert: Any) -> bool:
    """Acknowledge/resolve: government staff whose jurisdiction covers the alert's region, or the platform admin."""
    actor = actor_for(user)
    if actor.is_admin:
        return True
    return any(str(alert.region_id).startswith(p) for p in actor.region_prefixes)


def monitoring_summary(user: Any) -> QuerySet[Any]:
    """Rows of the regional summary rollup (county × division × month) in the user's jurisdiction."""
    from dualcarbon.monitoring.models import SummaryRollup

    return SummaryRollup.objects.filter(monitoring_q(user, "region_code"))


def monitoring_summary_cells(user: Any) -> QuerySet[Any]:
    """Enterprise-month cells of the regional summary in the user's jurisdiction (government, admin)."""
    from dualcarbon.monitoring.models import SummaryCell

    return SummaryCell.objects.filter(monitoring_q(user, "region_code"))


def monitoring_registered_cells(user: Any) -> QuerySet[Any]:
    """Enterprise-month cells of the enterprises *registered* in the user's jurisdiction (the submission
    completeness counts an enterprise in the county it is registered in, whatever its accounts carry).

    Filtered by enterprise, not by the cells' county columns: correlated to one enterprise, the database then
    reads that enterprise's cells by its index instead of a county's."""
    from dualcarbon.monitoring.models import SummaryCell

    registered = enterprises(user).filter(monitoring_q(user, "region__code"))
    return SummaryCell.objects.filter(enterprise__in=registered.values("pk"))


def alert_audience(region_codes: Any) -> dict[str, list[Any]]:
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


def alert_assignees(alert: Any) -> QuerySet[Any]:
    """Who an alert may be assigned to: the government staff whose jurisdiction covers the alert's region."""
    from django.contrib.auth import get_user_model

    code = str(alert.region_id or "")
    ids = [u.pk for u in alert_audience([code])[code]] if code else []
    return get_user_model().objects.filter(pk__in=ids).order_by("username")


def notifications(user: Any) -> QuerySet[Any]:
    """The user's own notifications, about alerts still in their jurisdiction (or about no alert)."""
    from dualcarbon.monitoring.models import Notification

    actor = actor_for(user)
    if actor.user_id is None:
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=actor.user_id).filter(
        Q(alert__isnull=True) | Q(alert__in=monitoring_alerts(user).values("pk"))
    )


def monitoring_summary_annual(user: Any) -> QuerySet[Any]:
    """Enterprise-year rows of the regional summary in the user's jurisdiction (government, admin)."""
    from dualcarbon.monitoring.models import SummaryAnnual

    return SummaryAnnual.objects.filter(monitoring_q(user, "region_code"))

"""Registry services: load reference regions/industries, create organisations and users' memberships, the
method policy that applies to a region on a day (with the engine options it means), and the register that
government staff keep: enterprises, their sites and their users (docs/registry.md)."""

from __future__ import annotations

import datetime
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from dualcarbon.engine import consolidation, factors
from dualcarbon.engine.factors import Options
from dualcarbon.engine.reference import industry_names, read_table

from . import access, effective, imports, scoping
from .models import ApiToken, Industry, Membership, MethodPolicy, Organisation, Ownership, Region, Site


@transaction.atomic
def load_industries() -> int:
    """GB/T 4754-2017 sections and divisions from the reference library (idempotent)."""
    table = read_table("industries")
    sectors = read_table("key_sectors")
    ets = {str(r.industry_division): str(r.ets_sector_zh) for r in sectors.itertuples(index=False)}
    n = 0
    for r in table.sort_values("level", key=lambda s: s.map({"section": 0, "division": 1})).itertuples(index=False):
        parent = str(r.parent) if isinstance(r.parent, str) and r.parent else None
        Industry.objects.update_or_create(
            code=str(r.code),
            defaults={
                "level": str(r.level),
                "name_zh": str(r.name_zh),
                "name_en": str(r.name_en or ""),
                "parent_id": parent,
                "ets_sector": ets.get(str(r.code), ""),
            },
        )
        n += 1
    names = industry_names()
    for r in sectors.itertuples(index=False):  # the 4-digit classes the ETS names ("2211;2212": several)
        for code in str(r.industry_class).replace("；", ";").split(";"):
            code = code.strip()
            if not code:
                continue
            name_zh, name_en = names.get(code, (str(r.industry_class_name), ""))
            Industry.objects.update_or_create(
                code=code,
                defaults={
                    "level": "class",
                    "name_zh": name_zh[:128],
                    "name_en": name_en[:160],
                    "parent_id": code[:2],
                    "ets_sector": str(r.ets_sector_zh)[:32],
                },
            )
            n += 1
    return n


@transaction.atomic
def load_provinces() -> int:
    table = read_table("provinces")
    for r in table.itertuples(index=False):
        code = str(r.code).zfill(2) + "0000"
        Region.objects.update_or_create(code=code, defaults={"name": str(r.name_zh), "level": Region.Level.PROVINCE})
    return len(table)


def add_region(code: str, name: str, parent: Region | None = None) -> Region:
    level = (
        Region.Level.PROVINCE
        if code.endswith("0000")
        else (Region.Level.PREFECTURE if code.endswith("00") else Region.Level.COUNTY)
    )
    region, _ = Region.objects.update_or_create(code=code, defaults={"name": name, "level": level, "parent": parent})
    return region


def add_member(user: Any, organisation: Organisation, role: str) -> Membership:
    m = Membership(user=user, organisation=organisation, role=role)
    m.full_clean()
    m.save()
    return m


def create_user(username: str, password: str, organisation: Organisation, role: str, **extra: Any) -> Any:
    User = get_user_model()
    user = User.objects.create_user(username=username, password=password, **extra)
    add_member(user, organisation, role)
    return user


# --------------------------------------------------------------------------- method policies


def method_policies() -> list[MethodPolicy]:
    """Every method policy with its region (one query; pass the list to :func:`policy_for` in loops)."""
    return list(MethodPolicy.objects.select_related("region"))


def policy_for(
    region_code: str, on: datetime.date | None = None, policies: Sequence[MethodPolicy] | None = None
) -> MethodPolicy | None:
    """The policy of the most specific region containing ``region_code`` in force on ``on`` (today)."""
    day = on or timezone.localdate()
    candidates = policies if policies is not None else method_policies()
    return effective.resolve(candidates, day, region_code=region_code, prefix_of=lambda p: p.region.prefix)


def options_for(policy: MethodPolicy | None) -> Options:
    """The engine options a policy chooses; without a policy, the engine's defaults (defined once, in
    :mod:`dualcarbon.engine.factors`)."""
    if policy is None:
        return Options()
    return Options(
        fuel_sets=factors.parse_fuel_sets(policy.fuel_sets),
        grid=factors.parse_grid(policy.grid),
        gwp=factors.parse_gwp(policy.gwp),
        tce_basis=factors.parse_tce_basis(policy.tce_basis),
    )


def method_options(region_code: str, on: datetime.date | None = None) -> Options:
    """The options an enterprise in ``region_code`` is computed with on ``on``."""
    return options_for(policy_for(region_code, on))


def adopt_policy(region: Region, valid_from: datetime.date, **fields: Any) -> MethodPolicy:
    """A region's new method policy from ``valid_from`` on; the policy in force then ends the day before.
    Choices are checked (:func:`dualcarbon.engine.factors.parse_grid` …) before anything is saved."""
    return effective.supersede(MethodPolicy, valid_from, region=region, **fields)


# --------------------------------------------------------------------------- group ownership (docs/methods.md § 18)


def set_ownership(
    parent: Organisation,
    child: Organisation,
    share: Decimal | str | int,
    valid_from: datetime.date,
    *,
    has_control: bool = False,
    valid_to: datetime.date | None = None,
    note: str = "",
) -> Ownership:
    """A new version of ``parent``'s holding in ``child`` from ``valid_from`` on (share in %, 0–100); the version in
    force then ends that day. Refused (ValidationError, nothing saved) when it overlaps a later version, makes a
    child held more than 100 % or closes a cycle (:meth:`Ownership.clean`)."""
    return effective.supersede(
        Ownership,
        valid_from,
        parent=parent,
        child=child,
        share=Decimal(str(share)),
        has_control=has_control,
        valid_to=valid_to,
        note=note,
    )


def group_links(group: Organisation, start: datetime.date, end: datetime.date) -> list[consolidation.Link]:
    """Every holding in force at some time in [``start``, ``end``) on a chain from ``group`` — the plain data
    :func:`dualcarbon.engine.consolidation.consolidate` reads (organisations by id, as text)."""
    rows = list(
        Ownership.objects.filter(valid_from__lt=end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=start))
        .order_by("parent_id", "child_id", "valid_from")
    )
    reached = {group.pk}
    grew = True
    while grew:
        before = len(reached)
        reached |= {r.child_id for r in rows if r.parent_id in reached}
        grew = len(reached) > before
    return [r.as_link() for r in rows if r.parent_id in reached]


@dataclass(frozen=True)
class GroupMember:
    """One organisation of a group's tree on a day: how deep, held by whom, the effective equity share (a fraction,
    the product along each chain, summed over chains) and whether the group controls it (a chain of controlled
    links), with the chains in words."""

    organisation_id: int
    name: str
    uscc: str
    depth: int
    held_by: tuple[int, ...]
    equity_share: Decimal
    controlled: bool
    chains: tuple[str, ...]


def group_tree(group: Organisation, day: datetime.date) -> list[GroupMember]:
    """A group's tree on ``day``: the group first, then every organisation it holds directly or through others,
    by depth then name. Plain data (no model instances)."""
    links = [r.as_link() for r in Ownership.objects.filter(effective.in_force_q(day))]
    consolidation.check_links(links, [day])
    chains = consolidation.paths_on(str(group.pk), links, day)
    orgs = {o.pk: o for o in Organisation.objects.filter(pk__in=[int(k) for k in chains])}
    names = {str(pk): o.name for pk, o in orgs.items()}
    out = []
    for key, paths in chains.items():
        org = orgs[int(key)]
        equity, _carrying = consolidation.included_share(paths, "equity_share")
        control, _ = consolidation.included_share(paths, "operational_control")
        depth = min(len(p.links) for p in paths)
        held_by = tuple(sorted({int(p.links[-1].parent) for p in paths if p.links}))
        words = tuple(
            " × ".join(f"{names[link.parent]}→{names[link.child]} {link.share.normalize():f}%" for link in p.links)
            for p in paths
            if p.links
        )
        out.append(GroupMember(org.pk, org.name, org.uscc or "", depth, held_by, equity, bool(control), words))
    return sorted(out, key=lambda m: (m.depth, m.name))


# --------------------------------------------------------------------------- the register (docs/registry.md)
#
# Government staff register the enterprises of their jurisdiction, keep their registered data and sites, and
# invite their staff; the platform admin everywhere. Every write checks that the writer manages the enterprise
# (registry.scoping.managed_enterprises) and that a county is inside the writer's jurisdiction; the pages answer
# 404 before that for what the user may not see. Organisations and sites keep their history (simple-history): the
# writer is recorded on every version, whether the write comes from a page, the import or a command.

#: the registered data a government maintains (``register_enterprise``/``update_enterprise`` take these)
ENTERPRISE_FIELDS = (
    "name",
    "uscc",
    "region",
    "industry",
    "size_class",
    "above_scale",
    "contact_name",
    "contact_phone",
    "contact_email",
)


def _check_manages(user: Any, enterprise: Organisation) -> None:
    if not scoping.can_manage(user, enterprise):
        raise PermissionDenied(_("您无权维护该企业的登记信息"))


def _check_county(user: Any, region: Region | None, field: str = "region") -> None:
    if region is None or region.level != Region.Level.COUNTY:
        raise ValidationError({field: _("请选择县级行政区划")})
    if not access.governs(user, region.code):
        raise ValidationError({field: _("所选县区不在您的辖区内")})


def _save_versioned(obj: Any, user: Any, reason: str) -> None:
    """Validate and save, recording who changed it and why in its history."""
    obj.full_clean()
    obj._history_user = user
    obj._change_reason = reason[:100]
    obj.save()


@transaction.atomic
def register_enterprise(user: Any, reason: str = "登记", **data: Any) -> Organisation:
    """A new enterprise in the user's jurisdiction (the USCC's check digit, the county and the industry
    checked by the model's validation)."""
    if not _can_register(user):
        raise PermissionDenied(_("只有政府工作人员和平台管理员可以登记企业"))
    _check_county(user, data.get("region"))
    unknown = set(data) - set(ENTERPRISE_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    org = Organisation(kind=Organisation.Kind.ENTERPRISE, **data)
    org.uscc = (org.uscc or "").strip().upper() or None
    _save_versioned(org, user, reason)
    return org


def _can_register(user: Any) -> bool:
    return scoping.can_manage_registry(user)


@transaction.atomic
def update_enterprise(user: Any, enterprise: Organisation, **data: Any) -> Organisation:
    """Change an enterprise's registered data; its history keeps the previous version."""
    _check_manages(user, enterprise)
    unknown = set(data) - set(ENTERPRISE_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    if "region" in data and data["region"] != enterprise.region:
        _check_county(user, data["region"])
    for key, value in data.items():
        setattr(enterprise, key, value)
    enterprise.uscc = (enterprise.uscc or "").strip().upper() or None
    _save_versioned(enterprise, user, "修改登记信息")
    return enterprise


@transaction.atomic
def set_enterprise_active(user: Any, enterprise: Organisation, active: bool) -> Organisation:
    """Deactivate (or reactivate) an enterprise: never deleted. A deactivated enterprise's staff lose their
    access (memberships count only for active organisations) and its API tokens stop working; its accounts,
    reports and history stay."""
    _check_manages(user, enterprise)
    if enterprise.is_active != active:
        enterprise.is_active = active
        _save_versioned(enterprise, user, "恢复" if active else "停用")
    return enterprise


# --------------------------------------------------------------------------- sites


@transaction.atomic
def add_site(user: Any, enterprise: Organisation, name: str, region: Region, address: str = "") -> Site:
    _check_manages(user, enterprise)
    _check_county(user, region)
    site = Site(organisation=enterprise, name=name.strip(), region=region, address=address.strip())
    _save_versioned(site, user, "新增厂区")
    return site


@transaction.atomic
def update_site(user: Any, site: Site, name: str, region: Region, address: str = "") -> Site:
    _check_manages(user, site.organisation)
    if region != site.region:
        _check_county(user, region)
    site.name, site.region, site.address = name.strip(), region, address.strip()
    _save_versioned(site, user, "修改厂区")
    return site


@transaction.atomic
def remove_site(user: Any, site: Site) -> None:
    """Remove a site (nothing refers to sites; its history keeps the removed version and who removed it)."""
    _check_manages(user, site.organisation)
    versioned: Any = site  # simple-history reads these when it records the removal
    versioned._history_user = user
    versioned._change_reason = "删除厂区"
    site.delete()


# --------------------------------------------------------------------------- users of an enterprise


#: the roles government staff give an enterprise's users (Membership.ROLE_KINDS: an enterprise's are staff)
ENTERPRISE_ROLES = tuple(r for r, kind in Membership.ROLE_KINDS.items() if kind == Organisation.Kind.ENTERPRISE)


@transaction.atomic
def invite_user(
    user: Any, enterprise: Organisation, username: str, name: str, email: str = "", role: str = ""
) -> Membership:
    """A new staff account of the enterprise, without a password: the person sets one through the one-time link
    of :func:`password_link` (Django's password-reset tokens). The username must be free."""
    _check_manages(user, enterprise)
    if not enterprise.is_active:
        raise ValidationError(_("该企业已停用，不能邀请用户"))
    role = role or Membership.Role.ENTERPRISE_STAFF
    if role not in ENTERPRISE_ROLES:
        raise ValidationError({"role": _("企业用户的角色无效")})
    User = get_user_model()
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("该用户名已被使用")})
    person = User(username=username, first_name=name.strip()[:150], email=email.strip())
    person.set_unusable_password()
    person.full_clean(exclude=["password"])
    person.save()
    return add_member(person, enterprise, role)


def password_link(person: Any) -> str:
    """The path of the one-time link that lets ``person`` set a password (valid for PASSWORD_RESET_TIMEOUT, and
    only until a password is set or the person signs in: the token covers both)."""
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    return reverse("registry:set_password", args=[uid, default_token_generator.make_token(person)])


def is_awaiting_password(person: Any) -> bool:
    """Invited, but no password set yet."""
    return not person.has_usable_password()


#: e-mail backends that deliver nothing to the addressee (files, the console, nowhere): with these the
#: invitation link is shown to the government officer once, to pass on
UNDELIVERED_BACKENDS = (
    "django.core.mail.backends.filebased.EmailBackend",
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
)


def mail_delivers() -> bool:
    return settings.EMAIL_BACKEND not in UNDELIVERED_BACKENDS


def send_invitation(person: Any, enterprise: Organisation, link: str) -> bool:
    """E-mail the one-time link (zh and en) through Django's e-mail framework; True when it went to a backend
    that delivers (the registry is below the monitoring app: its notification outbox is not used)."""
    if not person.email or not mail_delivers():
        return False
    prefix = getattr(settings, "DUALCARBON_EMAIL_SUBJECT_PREFIX", "")
    subject = f"[{prefix}] " if prefix else ""
    subject += f"{enterprise.name}：请设置您的登录密码 / set your password"
    body = (
        f"{person.first_name or person.username}，您好：\n\n"
        f"政府主管部门已为您开通双碳平台账户（企业：{enterprise.name}，用户名：{person.username}）。\n"
        f"请打开以下链接设置登录密码（链接仅可使用一次）：\n\n{link}\n\n"
        f"An account on the DualCarbon platform has been opened for you ({enterprise.name}, user name "
        f"{person.username}). Open the link above to set your password; it works once.\n"
    )
    try:
        send_mail(subject, body, None, [person.email])
    except (OSError, smtplib.SMTPException):
        return False
    return True


@transaction.atomic
def set_membership_active(user: Any, membership: Membership, active: bool) -> Membership:
    """Deactivate (or reactivate) a user's membership of an enterprise; deactivating also revokes the API tokens
    the user holds for that enterprise."""
    _check_manages(user, membership.organisation)
    if membership.is_active != active:
        membership.is_active = active
        membership.save(update_fields=["is_active"])
    if not active:
        ApiToken.objects.filter(
            user=membership.user, organisation=membership.organisation, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
    return membership


# --------------------------------------------------------------------------- import from a spreadsheet


@transaction.atomic
def import_enterprises(user: Any, rows: Sequence[imports.RawRow]) -> list[Organisation]:
    """Register every row's enterprise (and its site), or none: the rows are checked again here, in the
    transaction (the register may have changed since the preview), and any problem raises
    :class:`~.imports.ImportInvalid` before anything is written."""
    if not _can_register(user):
        raise PermissionDenied(_("只有政府工作人员和平台管理员可以登记企业"))
    prepared, problems = imports.check_rows(user, rows)
    if problems or not prepared:
        raise imports.ImportInvalid(problems or [imports.problem("no_rows")])
    created = []
    for p in prepared:
        org = register_enterprise(user, reason="表格导入", **p.enterprise_fields())
        if p.site_name:
            add_site(user, org, p.site_name, p.region, p.site_address)
        created.append(org)
    return created


def can_manage_enterprise(user: Any, enterprise: Organisation) -> bool:
    """Whether ``user`` maintains ``enterprise`` (its government, the admin): for the apps above, which may not
    read the registry's scoping."""
    return scoping.can_manage(user, enterprise)


def register_enterprises_bulk(
    user: Any, prepared: Sequence[imports.Prepared], reason: str = "批量导入", batch_size: int = 2000
) -> list[Organisation]:
    """Register many enterprises already checked by :func:`imports.check_rows` (the region's bulk onboarding,
    ``dualcarbon import-region``): ``bulk_create`` with each enterprise's first history version (who, why), in the
    caller's transaction. The rows are not checked again here; the caller checked them in its transaction."""
    if not _can_register(user):
        raise PermissionDenied(_("只有政府工作人员和平台管理员可以登记企业"))
    from simple_history.utils import bulk_create_with_history

    orgs = [
        Organisation(kind=Organisation.Kind.ENTERPRISE, **{**p.enterprise_fields(), "uscc": p.uscc or None})
        for p in prepared
    ]
    created = bulk_create_with_history(
        orgs, Organisation, batch_size=batch_size, default_user=user, default_change_reason=reason[:100]
    )
    sites = [
        Site(organisation=o, name=p.site_name, region=p.region, address=p.site_address)
        for o, p in zip(created, prepared, strict=True)
        if p.site_name
    ]
    if sites:
        bulk_create_with_history(sites, Site, batch_size=batch_size, default_user=user, default_change_reason=reason)
    return list(created)

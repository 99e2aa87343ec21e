"""Consent owned by the enterprise (授权, docs/finance.md): the only place that writes consents and consent requests.

* The enterprise's own staff grant, narrow, extend and revoke the consents their enterprise gives banks
  (:func:`grant_consent`, :func:`change_consent`, :func:`revoke_consent`); nobody else does, not even its
  government or the platform admin.
* A bank's staff ask an enterprise for a consent (:func:`request_consent`); the enterprise accepts (the consent is
  granted with the requested terms) or declines with an optional reason (:func:`accept_request`,
  :func:`decline_request`).
* Every change of a consent is kept (django-simple-history on ``registry.Consent``): who, when, and a reason code
  (:data:`REASONS`) the consent page shows in the reader's language.
* Bad terms are refused with a ``ValidationError`` naming the field and the rule, in the user's language; nothing
  is written. A write the user may not make raises ``PermissionDenied`` (403).

Revocation and narrowing take effect at once: every read of a bank goes through ``registry.access``, which reads the
consent rows on each request (``Consent.objects.active()`` and the consented data period).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dualcarbon.registry import access
from dualcarbon.registry.models import Consent, Organisation, Region

from .models import ConsentRequest

Scope = Consent.Scope
Purpose = Consent.Purpose

#: the change reasons stored in a consent's history (history_change_reason) and their words
REASONS: dict[str, Any] = {
    "grant": _("授予授权"),
    "accept": _("接受银行的授权申请"),
    "narrow": _("收窄授权"),
    "extend": _("扩大或延长授权"),
    "change": _("调整授权"),
    "revoke": _("撤销授权"),
}

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")
MAX_MESSAGE = 1000
MAX_REASON = 500


# --------------------------------------------------------------------------------------------- terms


def _period(value: Any) -> tuple[int, int] | None:
    m = _PERIOD.match(str(value or "").strip())
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    return (year, month) if 2000 <= year <= 2100 and 1 <= month <= 12 else None


def normalise_scopes(scopes: Iterable[str] | str) -> list[str]:
    """Scope codes in the order of :class:`Consent.Scope`, without repeats (unknown codes kept for the error)."""
    codes = [c.strip() for c in (scopes.split(",") if isinstance(scopes, str) else scopes) if c and c.strip()]
    known = [c for c in Scope.values if c in codes]
    return known + [c for c in dict.fromkeys(codes) if c not in Scope.values]


def check_terms(
    purpose_code: str, scopes: list[str], data_from: str, data_until: str, valid_until: datetime.date | None
) -> dict[str, Any]:
    """The located errors of a consent's terms (empty: good). ``valid_until`` None: not a date."""
    errors: dict[str, Any] = {}
    if purpose_code not in Purpose.values:
        errors["purpose_code"] = _("请选择用途：授信评估、贷后监测或信息披露")
    if not scopes:
        errors["scope"] = _("请至少选择一项授权范围")
    elif any(c not in Scope.values for c in scopes):
        errors["scope"] = _err(_("授权范围无效：%(v)s"), v=", ".join(c for c in scopes if c not in Scope.values))
    start, end = _period(data_from), _period(data_until)
    if start is None:
        errors["data_from"] = _("数据起始期须为 YYYY-MM 格式的月份（2000–2100 年）")
    if end is None:
        errors["data_until"] = _("数据截止期须为 YYYY-MM 格式的月份（2000–2100 年）")
    if start is not None and end is not None and start > end:
        errors["data_until"] = _err(
            _("数据截止期（%(until)s）不能早于数据起始期（%(start)s）"), until=data_until, start=data_from
        )
    if valid_until is None:
        errors["valid_until"] = _("授权到期日须为 YYYY-MM-DD 格式的日期")
    elif valid_until < timezone.localdate():
        errors["valid_until"] = _err(_("授权到期日（%(d)s）不能早于今天"), d=valid_until.isoformat())
    return errors


def parse_date(value: Any) -> datetime.date | None:
    """A date from a date or a YYYY-MM-DD text (None when it is neither)."""
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def _err(message: Any, **params: Any) -> ValidationError:
    """A refusal whose words are rendered when read (in the reader's language, zh or en)."""
    return ValidationError(message, params=params)


def _refuse(errors: dict[str, Any]) -> None:
    if errors:
        raise ValidationError(errors)


def _id(value: Organisation | int | str | None) -> int | None:
    """An organisation's id from the organisation, an id or a form's text (None when it is none of these)."""
    if isinstance(value, Organisation):
        return value.pk
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 18 else None


def _check_owner(user: Any, enterprise: Organisation) -> None:
    if not access.can_report_for(user, enterprise):
        raise PermissionDenied(_("只有企业本身的人员可以授予、修改或撤销本企业的数据授权"))


def _save(consent: Consent, user: Any, reason: str) -> Consent:
    versioned: Any = consent  # simple-history reads these when it records the version
    versioned._history_user = user
    versioned._change_reason = reason
    consent.save()
    return consent


def region_or_refuse(code: str) -> Region:
    """The region of ``code``, or a refusal located on ``region`` (a code the registry does not know: a form posted
    with a stale or forged choice) — never a ``Region.DoesNotExist`` for the view to catch."""
    text = str(code or "").strip()
    region = Region.objects.filter(code=text).first() if text else None
    if region is None:
        if text:
            raise ValidationError({"region": _err(_("没有代码为“%(code)s”的地区，请重新选择地区"), code=text[:12])})
        raise ValidationError({"region": _("请选择地区")})
    return region


# --------------------------------------------------------------------------------------------- consents


def banks() -> Any:
    """The banks an enterprise may grant a consent to (active bank organisations)."""
    return Organisation.objects.filter(kind=Organisation.Kind.BANK, is_active=True).order_by("name", "pk")


@transaction.atomic
def grant_consent(
    user: Any,
    enterprise: Organisation,
    bank: Organisation | int | str | None,
    *,
    purpose_code: str,
    scopes: Iterable[str] | str,
    data_from: str,
    data_until: str,
    valid_until: Any,
    note: str = "",
    reason: str = "grant",
) -> Consent:
    """The enterprise lets ``bank`` read the named data of ``data_from``..``data_until`` (YYYY-MM, inclusive) from
    today until ``valid_until`` (inclusive)."""
    _check_owner(user, enterprise)
    codes = normalise_scopes(scopes)
    until = parse_date(valid_until)
    errors = check_terms(purpose_code, codes, data_from, data_until, until)
    bank_id = _id(bank)
    bank_org = banks().filter(pk=bank_id).first() if bank_id else None
    if bank_org is None:
        errors["bank"] = _("请选择一家银行")
    if len(note or "") > 200:
        errors["purpose"] = _("用途说明过长（最多 200 个字符）")
    _refuse(errors)
    assert until is not None and bank_org is not None
    consent = Consent(
        enterprise=enterprise,
        bank=bank_org,
        scope=",".join(codes),
        purpose_code=purpose_code,
        purpose=(note or "").strip(),
        data_from=data_from.strip(),
        data_until=data_until.strip(),
        valid_from=timezone.localdate(),
        valid_until=until,
        created_by=user,
    )
    return _save(consent, user, reason)


def _kind_of_change(old: Consent, new: Consent) -> str:
    """narrow: the new terms let the bank read no more than the old (and less); extend: no less (and more)."""
    old_scopes, new_scopes = set(old.scopes), set(new.scopes)
    # the periods compare as text: YYYY-MM sorts like the months it names
    wider = [
        not new_scopes <= old_scopes,
        new.data_from < old.data_from,
        new.data_until > old.data_until,
        new.valid_until > old.valid_until,
    ]
    narrower = [
        not old_scopes <= new_scopes,
        new.data_from > old.data_from,
        new.data_until < old.data_until,
        new.valid_until < old.valid_until,
    ]
    if any(narrower) and not any(wider):
        return "narrow"
    if any(wider) and not any(narrower):
        return "extend"
    return "change"


@transaction.atomic
def change_consent(
    user: Any,
    consent: Consent,
    *,
    purpose_code: str | None = None,
    scopes: Iterable[str] | str | None = None,
    data_from: str | None = None,
    data_until: str | None = None,
    valid_until: Any = None,
    note: str | None = None,
) -> Consent:
    """Narrow or extend a consent (its purpose, scope, data period or expiry); arguments left None keep their value.
    Returns the consent, unchanged (and no history row) when nothing differs."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    _check_owner(user, consent.enterprise)
    if consent.revoked_at is not None:
        raise ValidationError({NON_FIELD_ERRORS: _("该授权已撤销，不能再修改；如需恢复，请重新授权")})
    old = Consent(
        scope=consent.scope, data_from=consent.data_from, data_until=consent.data_until, valid_until=consent.valid_until
    )
    codes = normalise_scopes(scopes) if scopes is not None else consent.scopes
    new_from = data_from.strip() if data_from is not None else consent.data_from
    new_until = data_until.strip() if data_until is not None else consent.data_until
    until = parse_date(valid_until) if valid_until is not None else consent.valid_until
    purpose = purpose_code if purpose_code is not None else consent.purpose_code
    errors = check_terms(purpose, codes, new_from, new_until, until)
    if note is not None and len(note) > 200:
        errors["purpose"] = _("用途说明过长（最多 200 个字符）")
    _refuse(errors)
    assert until is not None
    values = {
        "purpose_code": purpose,
        "scope": ",".join(codes),
        "data_from": new_from,
        "data_until": new_until,
        "valid_until": until,
        "purpose": note.strip() if note is not None else consent.purpose,
    }
    if all(getattr(consent, k) == v for k, v in values.items()):
        return consent
    for k, v in values.items():
        setattr(consent, k, v)
    return _save(consent, user, _kind_of_change(old, consent))


@transaction.atomic
def revoke_consent(user: Any, consent: Consent) -> Consent:
    """Revoke at once: from this moment no page, export or API call reads under it."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    _check_owner(user, consent.enterprise)
    if consent.revoked_at is not None:
        at = f"{timezone.localtime(consent.revoked_at):%Y-%m-%d %H:%M}"
        raise ValidationError({NON_FIELD_ERRORS: _err(_("该授权已于 %(at)s 撤销"), at=at)})
    consent.revoked_at = timezone.now()
    return _save(consent, user, "revoke")


# --------------------------------------------------------------------------------------------- requests


def _bank_of(user: Any, bank: Organisation | int | None) -> Organisation:
    actor = access.actor_for(user)
    if not actor.bank_ids:
        raise PermissionDenied(_("只有银行人员可以申请数据授权"))
    bank_id = bank.pk if isinstance(bank, Organisation) else bank
    if bank_id is None:
        if len(actor.bank_ids) != 1:
            raise ValidationError({"bank": _("请选择以哪家银行的名义申请")})
        bank_id = next(iter(actor.bank_ids))
    if bank_id not in actor.bank_ids:
        raise PermissionDenied(_("只能以本银行的名义申请数据授权"))
    return Organisation.objects.get(pk=bank_id)


@transaction.atomic
def request_consent(
    user: Any,
    uscc: str,
    *,
    purpose_code: str,
    scopes: Iterable[str] | str,
    data_from: str,
    data_until: str,
    valid_until: Any,
    message: str = "",
    bank: Organisation | int | None = None,
) -> ConsentRequest:
    """A bank's staff ask the enterprise registered under ``uscc`` (统一社会信用代码) for a consent."""
    bank_org = _bank_of(user, bank)
    codes = normalise_scopes(scopes)
    until = parse_date(valid_until)
    errors = check_terms(purpose_code, codes, data_from, data_until, until)
    code = (uscc or "").strip().upper()
    enterprise = (
        Organisation.objects.filter(kind=Organisation.Kind.ENTERPRISE, is_active=True, uscc=code).first()
        if code
        else None
    )
    if enterprise is None:
        errors["uscc"] = _("平台上没有以该统一社会信用代码登记的企业")
    elif ConsentRequest.objects.filter(
        bank=bank_org, enterprise=enterprise, status=ConsentRequest.Status.PENDING
    ).exists():
        errors["uscc"] = _("已向该企业发出授权申请，正在等待企业答复")
    if len(message or "") > MAX_MESSAGE:
        errors["message"] = _err(_("留言过长（最多 %(n)d 个字符）"), n=MAX_MESSAGE)
    _refuse(errors)
    assert enterprise is not None and until is not None
    return ConsentRequest.objects.create(
        bank=bank_org,
        enterprise=enterprise,
        purpose_code=purpose_code,
        scope=",".join(codes),
        data_from=data_from.strip(),
        data_until=data_until.strip(),
        valid_until=until,
        message=(message or "").strip(),
        requested_by=user,
    )


def _pending(user: Any, request: ConsentRequest) -> ConsentRequest:
    req = ConsentRequest.objects.select_for_update().select_related("enterprise", "bank").get(pk=request.pk)
    if not access.can_report_for(user, req.enterprise):
        raise PermissionDenied(_("只有企业本身的人员可以答复银行的授权申请"))
    if req.status != ConsentRequest.Status.PENDING:
        label = ConsentRequest.Status(req.status).label
        raise ValidationError({NON_FIELD_ERRORS: _err(_("该申请已答复或已撤回（%(s)s），不能再次答复"), s=label)})
    return req


@transaction.atomic
def accept_request(user: Any, request: ConsentRequest) -> Consent:
    """The enterprise accepts: the consent is granted with the requested terms, valid from today."""
    req = _pending(user, request)
    consent = grant_consent(
        user,
        req.enterprise,
        req.bank,
        purpose_code=req.purpose_code,
        scopes=req.scopes,
        data_from=req.data_from,
        data_until=req.data_until,
        valid_until=req.valid_until,
        reason="accept",
    )
    req.status = ConsentRequest.Status.ACCEPTED
    req.decided_by, req.decided_at, req.consent = user, timezone.now(), consent
    req.save(update_fields=["status", "decided_by", "decided_at", "consent"])
    return consent


@transaction.atomic
def decline_request(user: Any, request: ConsentRequest, reason: str = "") -> ConsentRequest:
    """The enterprise declines, with an optional reason the bank sees."""
    req = _pending(user, request)
    if len(reason or "") > MAX_REASON:
        raise ValidationError({"reason": _err(_("拒绝理由过长（最多 %(n)d 个字符）"), n=MAX_REASON)})
    req.status = ConsentRequest.Status.DECLINED
    req.decided_by, req.decided_at, req.decline_reason = user, timezone.now(), (reason or "").strip()
    req.save(update_fields=["status", "decided_by", "decided_at", "decline_reason"])
    return req


@transaction.atomic
def withdraw_request(user: Any, request: ConsentRequest) -> ConsentRequest:
    """The bank withdraws its pending request (its own staff only); the enterprise can no longer answer it."""
    req = ConsentRequest.objects.select_for_update().select_related("enterprise", "bank").get(pk=request.pk)
    if req.bank_id not in access.actor_for(user).bank_ids:
        raise PermissionDenied(_("只有发出申请的银行的人员可以撤回授权申请"))
    if req.status != ConsentRequest.Status.PENDING:
        label = ConsentRequest.Status(req.status).label
        raise ValidationError({NON_FIELD_ERRORS: _err(_("该申请已答复或已撤回（%(s)s），不能撤回"), s=label)})
    req.status = ConsentRequest.Status.WITHDRAWN
    req.decided_by, req.decided_at = user, timezone.now()
    req.save(update_fields=["status", "decided_by", "decided_at"])
    return req


def certified_entries(enterprise_ids: Iterable[int], day: datetime.date) -> list[dict[str, Any]]:
    """The transition-certification library entries (projects and enterprises certified and in force on ``day``) of
    some enterprises, for readers above (the programme's group inventory lists them among the group's carbon
    assets); no user scope: the caller decides who reads. One query."""
    from .models import CertApplication

    rows = (
        CertApplication.objects.filter(
            enterprise_id__in=list(enterprise_ids),
            status=CertApplication.Status.CERTIFIED,
            valid_from__lte=day,
            valid_until__gte=day,
        )
        .select_related("ruler")
        .order_by("enterprise_id", "pk")
    )
    return [
        {
            "id": a.pk,
            "enterprise_id": a.enterprise_id,
            "kind": a.kind,
            "kind_label": str(a.get_kind_display()),
            "name": a.name,
            "industry_code": a.industry_code,
            "expected_reduction_tco2": a.expected_reduction_tco2,
            "expected_savings_tce": a.expected_savings_tce,
            "valid_from": a.valid_from,
            "valid_until": a.valid_until,
        }
        for a in rows
    ]

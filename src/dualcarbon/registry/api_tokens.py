"""API tokens for enterprise and bank systems: issue, revoke, and the ninja bearer authentication.

A token belongs to an organisation and acts as the staff member it was issued to, so every permission and
visibility rule (each app's ``scoping``) applies to API calls unchanged. Only a SHA-256 of the key is stored; the
key is returned once by :func:`issue`.

* An enterprise's token is issued to its staff (enterprise staff role) and is accepted by every router.
* A bank's token is issued to its staff (bank staff role) and is accepted only by the routers that read under a
  consent (``ApiTokenAuth(banks=True)``: the accounts API); the reporting and rating routers answer it 401 as if
  there were no token. Its reads are scoped like the bank's pages (consenting enterprises, consented months) and
  written to the bank read log with channel ``api``.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth

from . import access
from .models import ApiToken, Organisation

KEY_PREFIX = "dc_"
#: last_used_at is written at most this often per token (seconds), not on every request
TOUCH_EVERY = 60


def hash_key(key: str) -> str:
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()


def issue(
    user: Any, name: str, organisation: Organisation | None = None, created_by: Any = None
) -> tuple[ApiToken, str]:
    """Create a token for ``user`` acting for ``organisation`` (default: their only enterprise, else their only
    bank).

    Returns the token and its key; the key is not stored and cannot be shown again.
    """
    actor = access.actor_for(user)
    if organisation is None:
        ids = actor.enterprise_ids or actor.bank_ids
        if len(ids) != 1:
            raise PermissionDenied(_("请指定机构：该用户不是恰好一家企业（或一家银行）的人员"))
        organisation = Organisation.objects.get(pk=next(iter(ids)))
    if organisation.kind == Organisation.Kind.BANK:
        if organisation.pk not in actor.bank_ids:
            raise PermissionDenied(_("只能为本银行的人员创建接口令牌"))
    elif not access.can_report_for(user, organisation):
        raise PermissionDenied(_("只能为本企业的填报人员创建接口令牌"))
    if not name.strip():
        raise ValueError("a token needs a name")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organisation=organisation,
        user=user,
        name=name.strip()[:100],
        prefix=key[:10],
        key_hash=hash_key(key),
        created_by=created_by or user,
    )
    return token, key


def revoke(token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def lookup(key: str) -> ApiToken | None:
    """The active token for a key, with its user and organisation, or None."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user", "organisation")
        .filter(key_hash=hash_key(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active or not token.organisation.is_active:
        return None
    return token


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer dc_…``: the request acts as the token's user (``request.user``).

    ``banks=True`` also accepts a bank's token (routers that read under a consent); otherwise a bank's token
    answers like no token (401)."""

    def __init__(self, *, banks: bool = False) -> None:
        super().__init__()
        self.banks = banks

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = lookup(token)
        if found is None:
            return None
        if found.organisation.kind == Organisation.Kind.BANK and not self.banks:
            return None
        now = timezone.now()
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > TOUCH_EVERY:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
            found.last_used_at = now
        request.user = found.user
        return found


def token_or_session(banks: bool = False) -> list[Any]:
    """The authentication of routers that government staff use from their browser as well as systems with a token
    (government users have no API tokens: docs/policy.md): a bearer token (a bank's too when ``banks``), or a
    signed-in session with Django's CSRF check on writes. Read the acting user with :func:`request_user`."""
    return [ApiTokenAuth(banks=banks), SessionAuth()]


def request_user(request: HttpRequest) -> Any:
    """The user a request acts as on a router that takes a token or a signed-in session (:func:`token_or_session`):
    the token's user, or the session's."""
    auth = request.auth  # type: ignore[attr-defined]
    return auth.user if isinstance(auth, ApiToken) else auth


def user_by_name(username: str) -> Any:
    return get_user_model().objects.get(username=username)

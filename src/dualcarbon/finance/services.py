"""Finance services: the one place that writes the bank read log.

Every page, file or API answer that shows an enterprise's data calls :func:`record_read` once, after
the enterprise was found through :mod:`dualcarbon.scoping` (a refused read raises before it and so is
never logged). Only reads made under a bank's consent are written (see
:func:`dualcarbon.scoping.reading_consent`); the enterprise's own staff, its government and the
platform admin read without leaving rows.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from dualcarbon import scoping
from dualcarbon.registry.models import Organisation

from .models import AccessLog

Resource = AccessLog.Resource


def _channel(request: HttpRequest) -> str:
    # an API request carries its token (ninja's auth sets request.auth); pages use the session
    return AccessLog.Channel.API if getattr(request, "auth", None) is not None else AccessLog.Channel.WEB


def record_read(
    request: HttpRequest,
    enterprise: Organisation,
    resource: str,
    what: str = "",
    *,
    year: int | None = None,
) -> AccessLog | None:
    """Log a read of ``enterprise``'s data by the request's user when a bank consent allows it.

    ``resource`` is one of :class:`AccessLog.Resource`; ``what`` names the object read (a year, a
    month's account …); ``year`` picks the consent covering that year when several are active.
    Returns the row written, or None when the read is not a bank's.
    """
    if resource not in Resource.values:
        raise ValueError(f"unknown resource {resource!r}; one of {', '.join(Resource.values)}")
    user: Any = request.user
    consent = scoping.reading_consent(user, enterprise, year)
    if consent is None:
        return None
    return AccessLog.objects.create(
        enterprise_id=enterprise.pk,
        reader_id=consent.bank_id,
        user=user,
        consent=consent,
        resource=resource,
        what=(what or (str(year) if year else ""))[:200],
        channel=_channel(request),
        path=request.get_full_path()[:300],
    )

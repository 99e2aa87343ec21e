"""Request ids and session timeouts.

* :class:`RequestIDMiddleware` gives every request a short random id: ``request.request_id``, the
  ``X-Request-ID`` response header, every log record written while serving it, and the 500 page (so a user
  can quote it and the operator find the traceback).
* :class:`SessionTimeoutMiddleware` signs out a user after ``SESSION_IDLE_TIMEOUT`` seconds without a
  request, and after ``SESSION_COOKIE_AGE`` seconds since signing in whatever the activity.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _

from .log import current_request_id

HEADER = "X-Request-ID"

#: session keys: when the user signed in (first seen signed in) and when they were last active (epoch seconds)
SIGNED_IN_AT = "_dc_signed_in_at"
LAST_ACTIVITY = "_dc_last_activity"
#: the last-activity time is written at most this often (seconds): not every request saves the session
ACTIVITY_RESOLUTION = 60


def new_request_id() -> str:
    return secrets.token_hex(6)


class RequestIDMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response[HEADER] = request_id
        return response


class SessionTimeoutMiddleware:
    """After AuthenticationMiddleware. A timed-out user is signed out before the view runs, so the view
    answers as to anyone signed out (a login redirect for pages)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        session = request.session
        now = time.time()
        idle = int(getattr(settings, "SESSION_IDLE_TIMEOUT", 0) or 0)
        absolute = int(settings.SESSION_COOKIE_AGE)
        signed_in = session.get(SIGNED_IN_AT)
        last = session.get(LAST_ACTIVITY)
        expired = (idle and isinstance(last, (int, float)) and now - last > idle) or (
            absolute and isinstance(signed_in, (int, float)) and now - signed_in > absolute
        )
        if expired:
            logout(request)  # flushes the session: a new, empty one
            messages.info(request, _("长时间未操作，已自动退出，请重新登录。"))
            return
        if not isinstance(signed_in, (int, float)):
            session[SIGNED_IN_AT] = now
        if not isinstance(last, (int, float)) or now - last >= ACTIVITY_RESOLUTION:
            session[LAST_ACTIVITY] = now

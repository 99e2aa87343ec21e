"""The one way a finance page posts to a service and shows what it refused (docs/finance.md): the views stay thin —
they name the service call, the message on success and where to go next; a refusal (the service's located
``ValidationError``) comes back as the messages by field, in the request's language, for the form to show."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

T = TypeVar("T")

Errors = dict[str, list[str]]


def errors_of(exc: ValidationError) -> Errors:
    """The refusal's messages by field, in the request's language (``general``: not about one field)."""
    return {("general" if k == NON_FIELD_ERRORS else k): [str(m) for m in v] for k, v in exc.message_dict.items()}


def post_to_service(
    request: HttpRequest,
    call: Callable[[], T],
    *,
    done: str | Callable[[T], str],
    to: str | Callable[[T], str],
) -> tuple[HttpResponse | None, Errors]:
    """On a POST, run ``call`` (the service); when it succeeds flash ``done`` and answer a redirect to ``to`` (each
    a string or a function of the service's result); when it refuses, answer no response and its errors by field.
    On any other method: nothing to do (``None, {}``)."""
    if request.method != "POST":
        return None, {}
    try:
        result = call()
    except ValidationError as exc:
        return None, errors_of(exc)
    messages.success(request, done(result) if callable(done) else done)
    return HttpResponseRedirect(to(result) if callable(to) else to), {}


def posted(request: HttpRequest) -> Any:
    """The form as posted (to fill it again after a refusal), or ``None`` on a GET."""
    return request.POST if request.method == "POST" else None

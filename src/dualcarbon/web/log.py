"""The request id in every log record.

:class:`~dualcarbon.web.middleware.RequestIDMiddleware` sets the id of the request being served in a
context variable; a log record factory copies it onto every record created meanwhile (``record.request_id``,
``-`` outside a request), and :class:`RequestIDFilter` makes sure a handler's formatter always finds it.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from typing import Any

NO_REQUEST = "-"

current_request_id: ContextVar[str] = ContextVar("dualcarbon_request_id", default=NO_REQUEST)

_installed = False


def install_record_factory() -> None:
    """Wrap the logging module's record factory once (the web app's ``ready``)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = current_request_id.get()
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


class RequestIDFilter(logging.Filter):
    """Adds ``request_id`` to records that lack it (created before the factory was installed, or by a
    ``makeLogRecord``): the request's own id when Django passed the request along, else the current one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) in (None, NO_REQUEST):
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or current_request_id.get()
        return True

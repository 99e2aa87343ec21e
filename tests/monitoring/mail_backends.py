"""Real Django e-mail backends for the outbox tests (``settings.EMAIL_BACKEND = "tests.monitoring.mail_backends.…"``).

They subclass the locmem backend (messages land in ``django.core.mail.outbox``) and fail the way an SMTP
server does: a refused mailbox, a server that cannot be reached.
"""

from __future__ import annotations

import smtplib
import threading
import time
from collections.abc import Sequence
from typing import Any, ClassVar

from django.core.mail import EmailMessage
from django.core.mail.backends import locmem


class RefusingBackend(locmem.EmailBackend):
    """Refuses every message to an address in :attr:`refused` (SMTP 550, as for an unknown mailbox); counts
    the connections opened."""

    refused: ClassVar[set[str]] = {"bad@gov.example.cn"}
    opened: ClassVar[int] = 0

    def open(self) -> bool:
        type(self).opened += 1
        return True

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        for m in messages:
            bad = [a for a in m.recipients() if a in self.refused]
            if bad:
                raise smtplib.SMTPRecipientsRefused({a: (550, b"5.1.1 mailbox unavailable") for a in bad})
        return super().send_messages(messages)


class DownBackend(locmem.EmailBackend):
    """A mail server that cannot be reached: opening the connection fails."""

    def open(self) -> bool:
        raise ConnectionRefusedError(111, "Connection refused")


class SecondSenderBackend(locmem.EmailBackend):
    """While the first message of a run is being sent, a second sender runs (as another process would):
    its result is kept in :attr:`inner`."""

    inner: ClassVar[list[Any]] = []

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        if not type(self).inner:
            from dualcarbon.monitoring import services

            type(self).inner.append(None)  # no recursion: the second sender's sends go straight through
            type(self).inner[0] = services.send_queued_emails()
        return super().send_messages(messages)


class SlowBackend(locmem.EmailBackend):
    """Takes a little time per message (so that concurrent senders overlap) and is thread-safe."""

    lock = threading.Lock()

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        time.sleep(0.01)
        with self.lock:
            return super().send_messages(messages)

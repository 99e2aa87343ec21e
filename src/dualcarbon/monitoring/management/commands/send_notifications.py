"""Send the queued notification e-mails (the outbox): ``dualcarbon send_notifications [--loop SECONDS]``.

One-shot by default: sends everything due now, prints the counts and exits (for cron). With ``--loop SECONDS``
it keeps draining, sleeping SECONDS between passes (for a systemd service); several may run at once.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, close_old_connections, connection

from dualcarbon.monitoring import services


class Command(BaseCommand):
    help = (
        "通知邮件：发送发件队列中到期的预警通知邮件（失败按退避重试，多次失败后放弃）"
        " / send the queued alert notification e-mails (failures retried with back-off, then given up)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop",
            type=float,
            default=None,
            metavar="SECONDS",
            help="keep draining the queue, sleeping SECONDS between passes (default: one pass, then exit)",
        )
        parser.add_argument(
            "--limit", type=int, default=services.EMAIL_BATCH, help="messages per batch and connection (default 100)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        limit, loop = opts["limit"], opts["loop"]
        if limit < 1:
            raise CommandError("--limit must be at least 1")
        if loop is None:
            self._report(services.drain_email_queue(limit=limit), always=True)
            return
        if loop <= 0:
            raise CommandError("--loop must be a positive number of seconds")
        self.stdout.write(f"notification e-mail: draining the queue every {loop:g} s (Ctrl-C stops)")
        try:
            while True:
                if not connection.in_atomic_block:  # (inside a caller's transaction, e.g. a test: keep it)
                    close_old_connections()  # a long-running process: drop a connection that is broken or old
                try:
                    self._report(services.drain_email_queue(limit=limit), always=False)
                except DatabaseError as exc:  # e.g. the database restarting: try again on the next pass
                    self.stderr.write(f"notification e-mail: database error, retrying next pass: {exc}")
                time.sleep(loop)
        except KeyboardInterrupt:
            self.stdout.write("notification e-mail: stopped")

    def _report(self, r: services.SendResult, always: bool) -> None:
        if not always and not r.claimed:
            return
        counts = services.email_queue_counts()
        line = (
            f"notification e-mail: {r.sent} sent, {r.retried} to retry, {r.failed} failed"
            + (f", {r.dropped} without address" if r.dropped else "")
            + f" (queue: {counts.get('queued', 0)} queued, {counts.get('failed', 0)} failed in all)"
        )
        self.stdout.write(line)

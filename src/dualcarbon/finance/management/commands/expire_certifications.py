"""Certified transition projects and enterprises whose validity has ended leave the libraries (status expired; docs/
finance.md § Transition certification). Run it daily; the libraries already leave them out the day after."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dualcarbon.finance import certification, services


class Command(BaseCommand):
    help = "认定有效期届满的条目出库（状态改为已到期） / expire certifications whose validity has ended"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", default="", help="YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, **opts: Any) -> None:
        day = services.parse_date(opts["date"]) if opts["date"] else None
        if opts["date"] and day is None:
            raise CommandError("--date 须为 YYYY-MM-DD / --date must be YYYY-MM-DD")
        n = certification.expire_lapsed(None, day)
        self.stdout.write(f"已到期出库 {n} 项 / {n} certification(s) expired")

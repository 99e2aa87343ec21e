"""``dualcarbon programme_dispatch [--programme ID] [--on YYYY-MM-DD]``: the dispatch check (docs/programme.md §
Dispatch) — one alert for every overdue and every lagging task, through monitoring's services; idempotent, so a
daily scheduler may run it as often as it likes."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dualcarbon.programme import services
from dualcarbon.programme.models import Programme


class Command(BaseCommand):
    help = "Raise alerts for overdue and lagging programme tasks (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--programme", type=int, help="one programme's id (default: every programme)")
        parser.add_argument("--on", help="the day checked, YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            on = datetime.date.fromisoformat(opts["on"]) if opts.get("on") else None
        except ValueError as exc:
            raise CommandError(f"--on: {opts['on']!r} is not a date (YYYY-MM-DD)") from exc
        qs = Programme.objects.all()
        if opts.get("programme"):
            qs = qs.filter(pk=opts["programme"])
            if not qs.exists():
                raise CommandError(f"--programme: no programme {opts['programme']}")
        for p in qs:
            r = services.check_dispatch(p, on=on)
            self.stdout.write(
                f"{p.name_zh} ({p.pk}) {r.on}: overdue {r.overdue}, behind {r.at_risk}, new alerts {r.created}"
            )

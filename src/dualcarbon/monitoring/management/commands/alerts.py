"""Evaluate the early-warning rules for a month: ``dualcarbon alerts --year 2024 --month 6``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dualcarbon.monitoring import services


class Command(BaseCommand):
    help = "预警：按启用的规则评估某月数据，生成预警（幂等，不重复）/ evaluate alert rules for a month"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--month", type=int, required=True)
        parser.add_argument("--region", default="", help="GB/T 2260 code prefix (default: all)")

    def handle(self, *args: Any, **opts: Any) -> None:
        year, month = opts["year"], opts["month"]
        if not 2000 <= year <= 2100 or not 1 <= month <= 12:
            raise CommandError("year must be 2000–2100 and month 1–12")
        r = services.evaluate_alerts(opts["region"], year, month)
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(r.by_kind.items())) or "none new"
        self.stdout.write(f"alerts {year}-{month:02d}: {r.created} new of {r.candidates} found ({kinds})")

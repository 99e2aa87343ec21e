"""Rate a region's enterprises for a year (or a month): benchmarks, grades/colours, explanations."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dualcarbon.rating import services


class Command(BaseCommand):
    help = "碳效评级：按地区方案计算行业对标值与企业评级，保留历史结果 / rate enterprises, keeping history"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="reporting year, e.g. 2024")
        parser.add_argument("--month", type=int, default=0, help="rate one month instead of the year (1–12)")
        parser.add_argument("--region", default="", help="GB/T 2260 code prefix, e.g. 3399 (default: all)")
        parser.add_argument("--note", default="", help="why (kept with the run)")

    def handle(self, *args: Any, **opts: Any) -> None:
        year, month = opts["year"], opts["month"]
        if not 2000 <= year <= 2100 or not 0 <= month <= 12:
            raise CommandError("year must be 2000–2100 and month 1–12")
        started = time.perf_counter()
        s = services.rate_region(opts["region"], year, month, note=opts["note"])
        took = time.perf_counter() - started
        period = f"{year}" if not month else f"{year}-{month:02d}"
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(s.by_status.items())) or "none"
        self.stdout.write(
            f"rated {period}: {s.results} enterprise(s) in {len(s.runs)} population(s) "
            f"({statuses}) in {took:.1f}s; earlier results kept (is_current=False)"
        )
        for code in s.skipped:
            self.stderr.write(f"no version of scheme {code} applies to {period}: those enterprises were not rated")

"""Recompute current accounts after a factor set or method policy changes; old results are kept."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dualcarbon.accounting import services


class Command(BaseCommand):
    help = "重算碳账户（因子或核算口径变更后），保留历史结果 / restate accounts, keeping history"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", default="", help="GB/T 2260 code prefix, e.g. 3399 (default: all)")
        parser.add_argument("--note", required=True, help="why (e.g. '2023 provincial grid factors published')")
        parser.add_argument(
            "--engine",
            choices=("duckdb", "spark"),
            default="duckdb",
            help="duckdb (in-process, default) or spark (local[*], or SPARK_REMOTE's Spark Connect URL)",
        )
        parser.add_argument("--batch", type=int, default=2000, help="submissions per engine call (default 2000)")

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.perf_counter()
        n = services.restate(opts["region"], note=opts["note"], batch=opts["batch"], engine=opts["engine"])
        took = time.perf_counter() - started
        self.stdout.write(
            f"restated {n} submission(s) on {opts['engine']} in {took:.1f}s; previous runs kept (is_current=False)"
        )

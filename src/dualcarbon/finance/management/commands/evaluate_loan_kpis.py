"""Evaluate every KPI-linked loan's KPIs for each target year up to a year (docs/finance.md § KPI-linked loans).
The platform evaluates them when accounts or grades change; run this one after entering scores in bulk or as a
periodic check. An unchanged figure writes nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from dualcarbon.finance import kpi


class Command(BaseCommand):
    help = "评估挂钩贷款的各项指标并调整利率 / evaluate the KPIs of KPI-linked loans and step their rates"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, default=None, help="the last year evaluated (default: this year)")

    def handle(self, *args: Any, **opts: Any) -> None:
        done = kpi.evaluate_all(opts["year"])
        missed = sum(1 for e in done if e.outcome == "missed")
        self.stdout.write(f"新评估 {len(done)} 项，未达标 {missed} 项 / {len(done)} new evaluation(s), {missed} missed")

"""Rebuild the regional summary from the accounts: ``dualcarbon rebuild_aggregates [--region 3399]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dualcarbon.monitoring import services


class Command(BaseCommand):
    help = (
        "区域汇总：由当前碳账户和报送状态重建监测看板的汇总表（全部或某地区）"
        " / rebuild the dashboard's summary tables from the current accounts (all, or one region)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", default="", help="GB/T 2260 code prefix, e.g. 3399 (default: everything)")

    def handle(self, *args: Any, **opts: Any) -> None:
        region = str(opts["region"] or "").strip()
        if region and not (region.isdigit() and len(region) <= 6):
            raise CommandError("--region must be a GB/T 2260 code prefix (digits, at most 6)")
        r = services.rebuild_aggregates(region)
        years = ", ".join(map(str, r.years)) or "none"
        self.stdout.write(
            f"summary {region or 'all regions'}: {r.cells} cells, {r.rollup_rows} rollup rows "
            f"(years {years}) in {r.seconds:.2f} s, {r.statements} statements"
        )

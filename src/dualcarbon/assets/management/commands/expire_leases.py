"""Return the rights of every lease whose term has ended: ``dualcarbon expire_leases``.

Idempotent (a returned lease is not returned twice; reads of leases run the same check lazily). Prints how many
leases were returned, in Chinese and English.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from dualcarbon.assets import leasing


class Command(BaseCommand):
    help = "归还租期届满的排污权租赁（可重复运行） / return the rights of leases whose term has ended (idempotent)"

    def handle(self, *args: Any, **options: Any) -> None:
        n = leasing.expire_due()
        self.stdout.write(f"已归还租期届满的租赁 {n} 笔 / leases returned at the end of their term: {n}")

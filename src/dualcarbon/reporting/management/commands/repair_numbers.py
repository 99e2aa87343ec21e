"""``dualcarbon repair_numbers [--dry-run]``: list, and repair, months broken by stored numbers the database cannot
read back (values over the column's size written before the number rule; see :mod:`dualcarbon.reporting.repair`).

Drafts: each broken value is blanked (NULL, or 0 where the field may not be empty) and an error finding
``repaired_number`` quoting the old value is added at its sheet, row and column; it blocks submitting until the
enterprise saves the draft again. Submitted, verified or locked versions are listed and never changed (exit 1).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dualcarbon.reporting import repair


class Command(BaseCommand):
    help = "修复无法读回的超范围数值（草稿清空该值并添加错误提示；已提交版本只列出不修改）/ repair unreadable numbers"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list what is broken; change nothing")

    def handle(self, *args: Any, **opts: Any) -> None:
        broken = list(repair.find())
        if not broken:
            self.stdout.write("no unreadable numbers / 未发现无法读回的数值")
            return
        for b in broken:
            self.stdout.write(("draft        " if b.is_draft else "NOT A DRAFT  ") + b.describe())
        drafts = [b for b in broken if b.is_draft]
        versions = len({b.submission_id for b in drafts})
        if opts["dry_run"]:
            self.stdout.write(
                f"dry run: {len(drafts)} value(s) in {versions} draft(s) would be repaired; nothing changed"
            )
        else:
            repair.repair(broken)
            self.stdout.write(
                f"repaired {len(drafts)} value(s) in {versions} draft(s): blanked, each with an error finding "
                f"'{repair.RULE}' until the draft is saved again"
            )
        left = len(broken) - len(drafts)
        if left:
            raise CommandError(
                f"{left} value(s) in submitted/verified/locked versions: listed, never changed by this command "
                "(docs/security.md § Input limits)"
            )

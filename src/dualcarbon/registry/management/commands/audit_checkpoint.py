"""Sign a checkpoint of the bank access log's head: ``dualcarbon audit_checkpoint [--create-key] [--file PATH]``.

Run it from cron (e.g. hourly). It verifies the log first (chain, earlier checkpoints, guards) and refuses to
sign one that does not verify (exit 1); then it stores the checkpoint in the table, appends its line to the
external file (DUALCARBON_AUDIT_CHECKPOINT_FILE) and prints the line, for the operator to keep off the database
(docs/security.md § Audit chain checkpoints). ``--create-key`` first writes a new random key into
DUALCARBON_AUDIT_KEY_FILE (mode 600) when that file does not exist (the demo does this).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dualcarbon.registry import audit, checkpoints

from .verify_access_log import checkpoint_lines


class Command(BaseCommand):
    help = (
        "签署银行读取记录的检查点（先核验，写入数据库与外部文件并打印） / sign a checkpoint of the bank access "
        "log's head (verified first; stored in the table, appended to the external file and printed)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--create-key",
            action="store_true",
            help="write a new random key into DUALCARBON_AUDIT_KEY_FILE (mode 600) if that file does not exist",
        )
        parser.add_argument("--file", help="the external checkpoint file (default: DUALCARBON_AUDIT_CHECKPOINT_FILE)")

    def handle(self, *args: Any, **opts: Any) -> None:
        key_file = str(getattr(settings, "DUALCARBON_AUDIT_KEY_FILE", "") or "")
        if opts["create_key"] and not str(getattr(settings, "DUALCARBON_AUDIT_KEY", "") or "").strip():
            if not key_file:
                raise CommandError("--create-key: DUALCARBON_AUDIT_KEY_FILE is not set")
            if checkpoints.create_key_file(key_file):
                self.stdout.write(f"已生成审计密钥 / audit key written: {key_file} (mode 600)")
        try:
            key = checkpoints.load_key()
        except checkpoints.KeyUnavailable as exc:
            raise CommandError(
                f"没有审计密钥 / no audit key: {exc} (set DUALCARBON_AUDIT_KEY or DUALCARBON_AUDIT_KEY_FILE; "
                "--create-key writes one)"
            ) from None
        file = opts["file"] or checkpoints.checkpoint_file()
        check = audit.verify_access_log(key=key, checkpoint_file=file)
        if not check.ok:
            _out, err = checkpoint_lines(check.checkpoints)
            for line in err:
                self.stderr.write(line)
            raise CommandError(
                f"银行读取记录核验未通过，未签署检查点 / the access log does not verify; no checkpoint signed: "
                f"{check.problem} {check.broken_id or ''}".strip(),
                returncode=1,
            )
        signed = audit.write_checkpoint(key, file or None)
        self.stdout.write(signed.line())
        if file:
            self.stderr.write(f"检查点已写入 / checkpoint appended to {file}")

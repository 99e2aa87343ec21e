"""Check the bank access log's hash chain and guards: ``dualcarbon verify_access_log [--chunk N]``.

Prints the result in Chinese and English; exits 0 when the log is intact, 1 when a row is broken or the
append-only triggers are missing.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from dualcarbon.registry import audit as services

LANGS = ("zh-hans", "en")


def _both(message: Any, **params: Any) -> str:
    """``message % params`` in Chinese, then in English: "中文 / English"."""
    texts = []
    for lang in LANGS:
        with translation.override(lang):
            texts.append(str(message) % {k: str(v) for k, v in params.items()})
    return " / ".join(texts)


class Command(BaseCommand):
    help = (
        "核验银行读取记录：逐条检查哈希链与防篡改触发器，发现问题时以状态 1 退出"
        " / verify the bank access log's hash chain and append-only guards; exit status 1 on a break"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chunk", type=int, default=2000, help="rows per query (default 2000)")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["chunk"] < 1:
            raise CommandError("--chunk must be at least 1")
        started = time.perf_counter()
        check = services.verify_access_log(chunk_size=opts["chunk"])
        took = time.perf_counter() - started
        if check.ok:
            ok = _("银行读取记录完整：已核验 %(count)s 条，末条哈希 %(hash)s")
            self.stdout.write(_both(ok, count=check.checked, hash=check.last_hash) + f" ({took:.1f}s)")
            return
        if check.broken_id is not None:
            broken = _("银行读取记录在第 %(id)s 号记录处断开：%(problem)s（已核验 %(count)s 条）")
            self.stderr.write(_both(broken, id=check.broken_id, problem=check.message, count=check.checked))
        else:
            unguarded = _("银行读取记录未受保护：%(problem)s：%(names)s（哈希链完整，已核验 %(count)s 条）")
            names = ", ".join(check.missing_guards)
            self.stderr.write(_both(unguarded, problem=check.message, names=names, count=check.checked))
        raise CommandError(_both(_("银行读取记录核验未通过")), returncode=1)

"""Check the asset ledger: ``dualcarbon verify_ledger [--chunk N]``.

Walks the journal's hash chain, checks every transaction balances per asset, every account's balance equals the sum
of its postings (none negative but the issuers'), serial blocks match the balances and never overlap, and the
append-only triggers are installed. Prints the result in Chinese and English; exits 0 when intact, 1 at the first
break, which it names (the transaction or the account).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from dualcarbon.assets import ledger

LANGS = ("zh-hans", "en")


def _both(message: Any, **params: Any) -> str:
    texts = []
    for lang in LANGS:
        with translation.override(lang):
            texts.append(str(message) % {k: str(v) for k, v in params.items()})
    return " / ".join(texts)


class Command(BaseCommand):
    help = (
        "核验资产账簿：哈希链、每笔业务借贷平衡、账户余额与分录守恒、序列号与防篡改触发器，发现问题时以状态 1 退出"
        " / verify the asset ledger's hash chain, balanced transactions, conservation of every asset, serials and"
        " append-only guards; exit status 1 on a break"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chunk", type=int, default=2000, help="transactions per query (default 2000)")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["chunk"] < 1:
            raise CommandError("--chunk must be at least 1")
        started = time.perf_counter()
        check = ledger.verify_ledger(chunk_size=opts["chunk"])
        took = time.perf_counter() - started
        if check.ok:
            ok = _("资产账簿完整：已核验 %(count)s 笔业务，末笔哈希 %(hash)s")
            self.stdout.write(_both(ok, count=check.checked, hash=check.last_hash) + f" ({took:.1f}s)")
            for code, units in sorted(check.issued.items()):
                self.stdout.write(_both(_("%(asset)s：已发行 %(units)s，全部在账"), asset=code, units=units))
            return
        if check.broken_txn is not None:
            msg = _("资产账簿在第 %(id)s 笔业务处断开：%(problem)s（已核验 %(count)s 笔）")
            self.stderr.write(_both(msg, id=check.broken_txn, problem=check.message, count=check.checked))
        elif check.broken_holding is not None:
            msg = _("资产账簿在第 %(id)s 号账户处不守恒：%(problem)s（%(detail)s）")
            self.stderr.write(_both(msg, id=check.broken_holding, problem=check.message, detail=check.detail))
        else:
            msg = _("资产账簿未受保护：%(problem)s：%(names)s")
            self.stderr.write(_both(msg, problem=check.message, names=", ".join(check.missing_guards)))
        raise CommandError(_both(_("资产账簿核验未通过")), returncode=1)

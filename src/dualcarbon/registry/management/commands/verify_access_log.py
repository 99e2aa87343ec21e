"""Check the bank access log's hash chain, its checkpoints and guards: ``dualcarbon verify_access_log [--chunk N]
[--checkpoint-file PATH]``.

Prints the result in Chinese and English; exits 0 when the log is intact, 1 when a row is broken, a checkpoint
fails (an edited row, a rewritten history, rows deleted after a checkpoint, a wrong key, the checkpoint file and
table disagreeing) or the append-only triggers are missing.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from dualcarbon.registry import audit as services
from dualcarbon.registry import checkpoints

LANGS = ("zh-hans", "en")


def _both(message: Any, **params: Any) -> str:
    """``message % params`` in Chinese, then in English: "中文 / English"."""
    texts = []
    for lang in LANGS:
        with translation.override(lang):
            texts.append(str(message) % {k: str(v) for k, v in params.items()})
    return " / ".join(texts)


def checkpoint_lines(report: checkpoints.Report | None) -> tuple[list[str], list[str]]:
    """(lines for stdout, lines for stderr) describing the checkpoints' result."""
    if report is None:
        return [], []
    out: list[str] = []
    if report.ok:
        if report.last is None:
            out.append(_both(_("尚无检查点：末尾被删除或被重写的记录只能靠检查点发现（dualcarbon audit_checkpoint）")))
        else:
            last = report.last
            out.append(
                _both(
                    _("检查点完整：已核验 %(n)s 个，最后一个锚定第 %(row)s 号记录（共 %(count)s 条，%(at)s）"),
                    n=report.checked,
                    row=last.row_id,
                    count=last.count,
                    at=checkpoints.utc_text(last.at),
                )
            )
        if report.file:
            out.append(_both(_("检查点与外部文件 %(file)s 一致"), file=report.file))
        return out, []
    first = report.first
    assert first is not None
    where = first.checkpoint.describe() if first.checkpoint is not None else (report.file or "")
    err = [
        f"检查点 {where} 未通过：{first.text('zh')} / checkpoint {where} fails: {first.text('en')}",
        _both(
            _("共 %(failed)s 个检查点未通过（已核验 %(n)s 个；最后一个通过的锚定第 %(row)s 号记录）"),
            failed=len(report.failures),
            n=report.checked,
            row=report.last.row_id if report.last is not None else "—",
        ),
    ]
    return out, err


class Command(BaseCommand):
    help = (
        "核验银行读取记录：逐条检查哈希链、检查点与防篡改触发器，发现问题时以状态 1 退出"
        " / verify the bank access log's hash chain, its keyed checkpoints and append-only guards; exit status 1"
        " on a break"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chunk", type=int, default=2000, help="rows per query (default 2000)")
        parser.add_argument(
            "--checkpoint-file",
            help="the external checkpoint file to compare with the table (default: DUALCARBON_AUDIT_CHECKPOINT_FILE)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["chunk"] < 1:
            raise CommandError("--chunk must be at least 1")
        started = time.perf_counter()
        extra: dict[str, Any] = {}
        if opts.get("checkpoint_file"):
            extra["checkpoint_file"] = opts["checkpoint_file"]
        check = services.verify_access_log(chunk_size=opts["chunk"], **extra)
        took = time.perf_counter() - started
        out, err = checkpoint_lines(check.checkpoints)
        if check.ok:
            ok = _("银行读取记录完整：已核验 %(count)s 条，末条哈希 %(hash)s")
            self.stdout.write(_both(ok, count=check.checked, hash=check.last_hash) + f" ({took:.1f}s)")
            for line in out:
                self.stdout.write(line)
            return
        if check.broken_id is not None:
            broken = _("银行读取记录在第 %(id)s 号记录处断开：%(problem)s（已核验 %(count)s 条）")
            self.stderr.write(_both(broken, id=check.broken_id, problem=check.message, count=check.checked))
        elif check.problem == "checkpoint":
            intact = _("银行读取记录的链接完整（已核验 %(count)s 条），但检查点核验未通过")
            self.stderr.write(_both(intact, count=check.checked))
        else:
            unguarded = _("银行读取记录未受保护：%(problem)s：%(names)s（哈希链完整，已核验 %(count)s 条）")
            names = ", ".join(check.missing_guards)
            self.stderr.write(_both(unguarded, problem=check.message, names=names, count=check.checked))
        for line in out:
            self.stdout.write(line)
        for line in err:
            self.stderr.write(line)
        raise CommandError(_both(_("银行读取记录核验未通过")), returncode=1)

"""Keyed checkpoints of a hash chain: anchors that a rewrite of the chain cannot forge (a registry service).

A hash chain alone (the bank read log, :mod:`dualcarbon.registry.audit`; later the carbon-asset ledger) shows
an edited row, but not a history rewritten from some row on with the project's own hash function, nor rows
cut off its end. A **checkpoint** records the chain's head — the last row's id, its hash and the number of rows
— at a time, with an HMAC-SHA256 under a secret key kept **outside the database**
(``DUALCARBON_AUDIT_KEY`` or the file ``DUALCARBON_AUDIT_KEY_FILE``). Someone who can rewrite the tables but
does not hold the key cannot make a checkpoint that matches a rewritten history. Each checkpoint is stored
twice: in the table ``registry_chaincheckpoint`` (append-only triggers, registry migration 0006) and as one
line appended to an external file (``DUALCARBON_AUDIT_CHECKPOINT_FILE``) that the operator ships off the
machine; ``dualcarbon audit_checkpoint`` also prints it.

Verification (:func:`verify`) walks the chain once, recomputing every row's hash from its fields and the
*recomputed* previous hash, and checks every checkpoint (table and file, compared with each other) in order
of the rows they anchor: the key that signed it, its MAC, that its row still exists, that the recomputed
hash at that row is the signed one and that the number of rows up to it is the signed count. An edited row,
a suffix rewritten from any row, and rows deleted after a checkpoint all fail the first checkpoint at or
after the change; the report names it and why. Rows after the last checkpoint are protected by the chain's
links only, until the next checkpoint.

The signed bytes (what an auditor recomputes, docs/security.md § Audit chain checkpoints) are one ASCII line::

    dualcarbon-checkpoint/1 chain=<name> row=<id> hash=<64 hex> count=<n> at=<YYYY-MM-DDTHH:MM:SS.ffffffZ> key=<key id>

HMAC-SHA256 of exactly those bytes (no newline) with the key's bytes (the key file's text without
surrounding whitespace, UTF-8), in lower-case hex, is the ``mac``; the file line is the signed line followed
by `` mac=<hex>``. The key id is the first 16 hex digits of SHA-256 of the key: it tells *which* key
signed, so that a wrong key is reported as such (and not as a forged checkpoint).

Generic: a chain is a name, a function giving its :class:`Head`, and an iterable of ``(row id, recomputed
hash)`` in chain order; the access log is the first user.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import GENESIS_HASH, ChainCheckpoint

VERSION = "dualcarbon-checkpoint/1"
_LINE = re.compile(
    r"^(?P<signed>" + re.escape(VERSION) + r" chain=(?P<chain>[a-z0-9_.-]{1,40}) row=(?P<row>\d+) "
    r"hash=(?P<hash>[0-9a-f]{64}) count=(?P<count>\d+) at=(?P<at>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) "
    r"key=(?P<key>[0-9a-f]{16})) mac=(?P<mac>[0-9a-f]{64})$"
)

#: why a checkpoint fails (Failure.reason): Chinese, English
REASONS: dict[str, tuple[str, str]] = {
    "no_key": ("没有配置审计密钥，无法核验检查点", "no audit key is configured: the checkpoint cannot be verified"),
    "key": (
        "检查点由另一把密钥签署：配置的密钥不对",
        "signed with another key: the configured key is not the one that signed it",
    ),
    "mac": (
        "检查点的签名与其内容不符：检查点被改动",
        "the MAC does not match the checkpoint: the checkpoint was altered",
    ),
    "missing_row": (
        "检查点锚定的记录已不存在：记录被删除",
        "the row the checkpoint anchors is gone: rows were deleted",
    ),
    "head": (
        "重算到该记录的哈希与签署的不符：此前的记录被改动或重写",
        "the chain recomputed up to its row does not give the signed hash: an earlier row was edited or rewritten",
    ),
    "count": (
        "到该记录为止的记录数与签署的不符：有记录被删除或插入",
        "the number of rows up to its row is not the signed count: rows were deleted or inserted",
    ),
    "not_in_table": (
        "检查点在外部文件中，但不在数据库中：检查点被删除",
        "in the external file but not in the database: the checkpoint was deleted from the table",
    ),
    "not_in_file": ("检查点在数据库中，但不在外部文件中", "in the database but not in the external file"),
    "bad_line": ("外部文件中有无法解析的行", "a line of the external file cannot be read"),
}


class KeyUnavailable(Exception):
    """No key is configured, or its file cannot be read."""


@dataclass(frozen=True)
class Head:
    """A chain's head: its last row (0 and GENESIS_HASH when empty) and how many rows it has."""

    row_id: int
    row_hash: str
    count: int


@dataclass(frozen=True)
class Signed:
    """A checkpoint as signed: from the table, from the file, or both (``pk``: the table row's id)."""

    chain: str
    row_id: int
    row_hash: str
    count: int
    at: datetime.datetime
    key_id: str
    mac: str
    pk: int | None = None
    in_table: bool = False
    in_file: bool = False

    def signed_text(self) -> str:
        return signed_text(self.chain, self.row_id, self.row_hash, self.count, self.at, self.key_id)

    def line(self) -> str:
        return f"{self.signed_text()} mac={self.mac}"

    def describe(self) -> str:
        where = f"#{self.pk}" if self.pk is not None else "(file)"
        return f"{where} row={self.row_id} count={self.count} at={utc_text(self.at)}"


@dataclass(frozen=True)
class Failure:
    checkpoint: Signed | None
    reason: str
    detail: str = ""

    def text(self, lang: str = "zh") -> str:
        zh, en = REASONS[self.reason]
        return (en if lang.startswith("en") else zh) + (f" ({self.detail})" if self.detail else "")

    @property
    def message(self) -> str:
        """Chinese, then English."""
        return f"{self.text('zh')} / {self.text('en')}"


@dataclass
class Report:
    """What :func:`verify` found: ``failures`` in the order of the rows they anchor (the first is reported)."""

    chain: str
    checked: int = 0  # checkpoints checked
    passed: int = 0
    failures: list[Failure] = field(default_factory=list)
    file: str = ""  # the external file compared ("" when none)
    last: Signed | None = None  # the last checkpoint that passed

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def first(self) -> Failure | None:
        return self.failures[0] if self.failures else None


# --------------------------------------------------------------------------------------------------- the key


def load_key() -> bytes:
    """The audit key: ``settings.DUALCARBON_AUDIT_KEY`` (the key itself), else the text of
    ``settings.DUALCARBON_AUDIT_KEY_FILE``; surrounding whitespace is not part of it."""
    text = str(getattr(settings, "DUALCARBON_AUDIT_KEY", "") or "").strip()
    if text:
        return text.encode("utf-8")
    path = str(getattr(settings, "DUALCARBON_AUDIT_KEY_FILE", "") or "")
    if not path:
        raise KeyUnavailable("DUALCARBON_AUDIT_KEY / DUALCARBON_AUDIT_KEY_FILE is not set")
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise KeyUnavailable(f"cannot read the audit key file {path}: {exc.strerror or exc}") from None
    if not text:
        raise KeyUnavailable(f"the audit key file {path} is empty")
    return text.encode("utf-8")


def create_key_file(path: str | Path) -> bool:
    """Write a new random key (64 hex digits) into ``path`` with mode 600 unless it exists; True when written."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    return True


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:16]


def checkpoint_file() -> str:
    return str(getattr(settings, "DUALCARBON_AUDIT_CHECKPOINT_FILE", "") or "")


# ------------------------------------------------------------------------------------------ signing, writing


def utc_text(at: datetime.datetime) -> str:
    return at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def signed_text(chain: str, row_id: int, row_hash: str, count: int, at: datetime.datetime, kid: str) -> str:
    """The exact text that is HMAC'd (ASCII, one line, no newline)."""
    return f"{VERSION} chain={chain} row={row_id} hash={row_hash} count={count} at={utc_text(at)} key={kid}"


def mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("ascii"), hashlib.sha256).hexdigest()


def write(chain: str, head: Callable[[], Head], key: bytes, file: str | Path | None = None) -> Signed:
    """Sign the chain's head now: one row in the checkpoints table and, when ``file`` is given, one line
    appended to it (flushed to disk). ``head`` runs inside the transaction that inserts the row (it may take
    the chain's append lock so that the head and the count agree)."""
    with transaction.atomic():
        h = head()
        at = timezone.now()
        kid = key_id(key)
        text = signed_text(chain, h.row_id, h.row_hash, h.count, at, kid)
        row = ChainCheckpoint.objects.create(
            chain=chain, row_id=h.row_id, row_hash=h.row_hash, count=h.count, at=at, key_id=kid, mac=mac(key, text)
        )
    signed = _from_row(row)
    if file:
        path = Path(file)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        with os.fdopen(fd, "a", encoding="ascii") as fh:
            fh.write(signed.line() + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    return signed


def _from_row(row: ChainCheckpoint) -> Signed:
    return Signed(row.chain, row.row_id, row.row_hash, row.count, row.at, row.key_id, row.mac, pk=row.pk, in_table=True)


def parse_line(line: str) -> Signed:
    """A line of the checkpoint file → Signed (raises ValueError)."""
    m = _LINE.match(line.strip())
    if m is None:
        raise ValueError(line.strip()[:80])
    at = datetime.datetime.strptime(m["at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.UTC)
    return Signed(m["chain"], int(m["row"]), m["hash"], int(m["count"]), at, m["key"], m["mac"], in_file=True)


# ------------------------------------------------------------------------------------------------ verifying


def _collect(chain: str, file: str | Path | None, report: Report) -> list[Signed]:
    """The checkpoints of the table and of the file, merged (by MAC) and compared."""
    table = [_from_row(r) for r in ChainCheckpoint.objects.filter(chain=chain).order_by("row_id", "at", "pk")]
    if not file or not Path(file).exists():
        return table
    report.file = str(file)
    merged: dict[str, Signed] = {s.mac: s for s in table}
    with open(file, encoding="ascii", errors="replace") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                signed = parse_line(raw)
            except ValueError as exc:
                report.failures.append(Failure(None, "bad_line", f"line {n}: {exc}"))
                continue
            if signed.chain != chain:
                continue
            known = merged.get(signed.mac)
            if known is None:
                merged[signed.mac] = signed
            elif known.signed_text() != signed.signed_text():
                merged[f"{signed.mac}/file"] = signed  # the same MAC over other fields: one of them is forged
            else:
                merged[signed.mac] = Signed(**{**known.__dict__, "in_file": True})
    return sorted(merged.values(), key=lambda s: (s.row_id, s.at, s.pk or 0))


def verify(chain: str, rows: Iterable[tuple[int, str]], key: bytes | None, file: str | Path | None = None) -> Report:
    """Check every checkpoint of ``chain`` against ``rows`` — the chain's rows in order as (row id, hash
    recomputed from the row's fields and the previous *recomputed* hash). ``rows`` is consumed only as far
    as the last checkpoint; ``key`` None reports ``no_key`` for each checkpoint (nothing can be trusted)."""
    report = Report(chain)
    pending = _collect(chain, file, report)
    report.checked = len(pending)
    own_id = key_id(key) if key is not None else ""
    failures: list[tuple[int, Failure]] = []  # (position, failure), sorted by position at the end
    waiting: list[Signed] = []
    for i, cp in enumerate(pending):
        problem = None
        if report.file and not cp.in_table:
            problem = Failure(cp, "not_in_table")
        elif report.file and not cp.in_file:
            problem = Failure(cp, "not_in_file", report.file)
        elif key is None:
            problem = Failure(cp, "no_key")
        elif cp.key_id != own_id:
            problem = Failure(cp, "key", f"signed by key {cp.key_id}, configured key {own_id}")
        elif not hmac.compare_digest(mac(key, cp.signed_text()), cp.mac):
            problem = Failure(cp, "mac")
        if problem is not None:
            failures.append((i, problem))
        # a checkpoint with a good MAC (or one of unknown origin) is still checked against the chain: the
        # file's copy of a checkpoint deleted from the table shows what was cut off
        if problem is None or problem.reason in ("not_in_table", "not_in_file"):
            waiting.append(cp)
    order = {id(cp): i for i, cp in enumerate(pending)}
    by_row: dict[int, list[Signed]] = {}
    for cp in waiting:
        if cp.row_id == 0:  # the empty chain
            if cp.count != 0 or cp.row_hash != GENESIS_HASH:
                failures.append((order[id(cp)], Failure(cp, "head")))
            continue
        by_row.setdefault(cp.row_id, []).append(cp)
    if by_row:
        last_anchor = max(by_row)
        remaining = sorted(by_row)
        count = 0
        for row_id, digest in rows:
            count += 1
            while remaining and remaining[0] < row_id:  # its row was skipped: it no longer exists
                for cp in by_row[remaining.pop(0)]:
                    failures.append((order[id(cp)], Failure(cp, "missing_row", f"row {cp.row_id}")))
            if remaining and remaining[0] == row_id:
                for cp in by_row[remaining.pop(0)]:
                    if digest != cp.row_hash:
                        failures.append((order[id(cp)], Failure(cp, "head", f"row {row_id}")))
                    elif count != cp.count:
                        failures.append((order[id(cp)], Failure(cp, "count", f"{count} rows, signed {cp.count}")))
            if row_id >= last_anchor:
                break
        for row_id in remaining:  # the chain ends before these rows: truncated
            for cp in by_row[row_id]:
                failures.append((order[id(cp)], Failure(cp, "missing_row", f"row {cp.row_id}")))
    failures.sort(key=lambda pf: pf[0])
    report.failures = [f for _, f in sorted(failures, key=lambda pf: pf[0])] + [
        f for f in report.failures if f.checkpoint is None
    ]
    failed = {id(f.checkpoint) for f in report.failures if f.checkpoint is not None}
    good = [cp for cp in pending if id(cp) not in failed]
    report.passed = len(good)
    report.last = good[-1] if good else None
    return report


__all__ = [
    "REASONS",
    "VERSION",
    "Failure",
    "Head",
    "KeyUnavailable",
    "Report",
    "Signed",
    "checkpoint_file",
    "create_key_file",
    "key_id",
    "load_key",
    "mac",
    "parse_line",
    "signed_text",
    "utc_text",
    "verify",
    "write",
]

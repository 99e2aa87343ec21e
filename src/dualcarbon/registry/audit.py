"""The bank read log: the one place that writes it, and its verification (a registry service).

Every page, file or API answer that shows an enterprise's data calls :func:`record_read` once, after
the enterprise was found through its app's scoping (a refused read raises before it and so is
never logged). Only reads made under a bank's consent are written (see
:func:`dualcarbon.registry.access.reading_consent`); the enterprise's own staff, its government and the
platform admin read without leaving rows.

The log is append-only (database triggers, finance migration ``0005_access_log_append_only``; the table kept
its name when the model moved to the registry) and a hash chain:
each row's ``row_hash`` is the SHA-256 of its fields and the previous row's hash (:func:`row_hash`).
:func:`verify_access_log` walks the chain; ``dualcarbon verify_access_log`` prints the result.

A chain alone cannot show a history rewritten with :func:`row_hash` from some row on, nor its last rows
deleted: the chain is anchored by keyed **checkpoints** of its head (:mod:`dualcarbon.registry.checkpoints`,
HMAC-SHA256 under a key kept outside the database). :func:`write_checkpoint` (``dualcarbon audit_checkpoint``,
run from cron) signs the head after verifying the chain; :func:`verify_access_log` checks every checkpoint (the
table's and the external file's) against the chain recomputed from the rows' fields, and names the first that
fails and why.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import access, checkpoints
from .models import GENESIS_HASH, AccessLog, Organisation

Resource = AccessLog.Resource

#: the consent scope items that allow a read of each resource (the consent logged is one naming them)
RESOURCE_SCOPE: dict[str, tuple[str, ...]] = {
    Resource.ACCOUNT: access.ACCOUNTS,
    Resource.LINEAGE: access.ACCOUNTS,
    Resource.EXPORT_XLSX: access.ACCOUNTS,
    Resource.REPORT_PDF: access.ACCOUNTS,
    Resource.RATING: access.GRADE,
    Resource.RATING_LABEL: access.GRADE,
    Resource.CREDIT_REPORT: access.CREDIT_REPORT,
}

#: the fields a row's hash covers, besides prev_hash (attribute names, in no particular order: the
#: serialisation sorts its keys)
HASHED_FIELDS = ("enterprise_id", "reader_id", "user_id", "consent_id", "resource", "channel", "what", "path", "at")
#: the chain's name in the checkpoints table and file
CHAIN = "access_log"
#: pg_advisory_xact_lock key serialising appends on PostgreSQL; the insert trigger takes it too
ACCESS_LOG_LOCK = 4_604_297_743_215_150_919
#: the triggers migration 0005 installs, per database vendor
GUARDS = {
    "sqlite": ("finance_accesslog_no_update", "finance_accesslog_no_delete", "finance_accesslog_chain"),
    "postgresql": (
        "finance_accesslog_no_update",
        "finance_accesslog_no_delete",
        "finance_accesslog_no_truncate",
        "finance_accesslog_chain",
    ),
}
#: the triggers registry migration 0006 installs on the checkpoints table, per database vendor
CHECKPOINT_GUARDS = {
    "sqlite": ("registry_chaincheckpoint_no_update", "registry_chaincheckpoint_no_delete"),
    "postgresql": (
        "registry_chaincheckpoint_no_update",
        "registry_chaincheckpoint_no_delete",
        "registry_chaincheckpoint_no_truncate",
    ),
}


def row_hash(values: Mapping[str, Any], prev_hash: str) -> str:
    """SHA-256 (hex) of one access-log row: its :data:`HASHED_FIELDS` and ``prev_hash``, serialised as
    compact JSON with sorted keys (UTF-8; ids as numbers, ``at`` as UTC with microseconds).

    Version 1; migration 0004 keeps a frozen copy for the rows that existed before the chain.
    """
    at: datetime.datetime = values["at"]
    data = {
        "v": 1,
        "enterprise": values["enterprise_id"],
        "reader": values["reader_id"],
        "user": values["user_id"],
        "consent": values["consent_id"],
        "resource": values["resource"],
        "channel": values["channel"],
        "what": values["what"],
        "path": values["path"],
        "at": at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "prev": prev_hash,
    }
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _lock_chain() -> None:
    """Inside a transaction: make this the only connection appending until it commits, so the last hash
    read next is still the last when the row is inserted."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ACCESS_LOG_LOCK])
        else:
            # SQLite starts a transaction deferred (a reader); a write, even of no row, takes the database's
            # write lock now (others wait, busy timeout), before the read of the last hash
            cursor.execute("UPDATE finance_accesslog SET id = id WHERE 0")


def _append(**fields: Any) -> AccessLog:
    with transaction.atomic():
        _lock_chain()
        last = AccessLog.objects.order_by("-pk").values_list("row_hash", flat=True).first()
        row = AccessLog(**fields, at=timezone.now(), prev_hash=last or GENESIS_HASH)
        row.row_hash = row_hash({f: getattr(row, f) for f in HASHED_FIELDS}, row.prev_hash)
        row.save(force_insert=True)
    return row


def _channel(request: HttpRequest) -> str:
    # an API request carries its token (ninja's auth sets request.auth); pages use the session
    return AccessLog.Channel.API if getattr(request, "auth", None) is not None else AccessLog.Channel.WEB


def record_read(
    request: HttpRequest,
    enterprise: Organisation,
    resource: str,
    what: str = "",
    *,
    year: int | None = None,
) -> AccessLog | None:
    """Log a read of ``enterprise``'s data by the request's user when a bank consent allows it.

    ``resource`` is one of :class:`AccessLog.Resource`; ``what`` names the object read (a year, a
    month's account …); ``year`` picks the consent covering that year when several are active.
    Returns the row written, or None when the read is not a bank's.
    """
    return record_read_by(
        request.user,
        enterprise,
        resource,
        what,
        year=year,
        channel=_channel(request),
        path=request.get_full_path(),
    )


def record_read_by(
    user: Any,
    enterprise: Organisation,
    resource: str,
    what: str = "",
    *,
    year: int | None = None,
    channel: str = AccessLog.Channel.WEB,
    path: str = "",
) -> AccessLog | None:
    """:func:`record_read` without a request (a read made by a command on a bank user's behalf, e.g. the demo)."""
    if resource not in Resource.values:
        raise ValueError(f"unknown resource {resource!r}; one of {', '.join(Resource.values)}")
    consent = access.reading_consent(user, enterprise, year, scope=RESOURCE_SCOPE.get(resource, access.ANY_SCOPE))
    if consent is None:
        return None
    return _append(
        enterprise_id=enterprise.pk,
        reader_id=consent.bank_id,
        user_id=user.pk,
        consent_id=consent.pk,
        resource=resource,
        what=(what or (str(year) if year else ""))[:200],
        channel=channel,
        path=path[:300],
    )


#: what can be wrong with the log (ChainCheck.problem)
PROBLEMS: dict[str, Promise] = {
    "link": _("与前一条记录的链接断开：此前有记录被删除、插入或改动"),
    "hash": _("记录内容与其哈希不符：此记录被改动"),
    "guard": _("防篡改触发器缺失或已停用"),
    "checkpoint": _("检查点核验未通过：检查点之前的记录被改动、重写或删除"),
}


@dataclass(frozen=True)
class ChainCheck:
    """The result of :func:`verify_access_log`: ``problem`` is empty when the log is intact."""

    checked: int  # rows checked (up to and including the broken one)
    last_hash: str  # the row_hash of the last intact row (GENESIS_HASH: none)
    broken_id: int | None = None  # the first row that fails
    problem: str = ""  # "link", "hash", "checkpoint" or "guard" (PROBLEMS)
    missing_guards: tuple[str, ...] = ()
    #: the checkpoints checked (None: not checked); a failing one makes ``problem`` "checkpoint" when the
    #: chain's own links hold (an edited row fails both: ``problem`` is then "hash" or "link")
    checkpoints: checkpoints.Report | None = None

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def message(self) -> Promise:
        return PROBLEMS[self.problem] if self.problem else _("完整")


def missing_guards() -> tuple[str, ...]:
    """The append-only triggers of :data:`GUARDS` and (once its table exists, registry migration 0006)
    :data:`CHECKPOINT_GUARDS` that are absent (or, on PostgreSQL, disabled)."""
    expected = GUARDS.get(connection.vendor, ())
    if "registry_chaincheckpoint" in connection.introspection.table_names():
        expected += CHECKPOINT_GUARDS.get(connection.vendor, ())
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name IN ('finance_accesslog', 'registry_chaincheckpoint')"
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid IN "
                "(to_regclass('finance_accesslog'), to_regclass('registry_chaincheckpoint')) "
                "AND NOT tgisinternal AND tgenabled <> 'D'"
            )
        else:
            return expected
        present = {name for (name,) in cursor.fetchall()}
    return tuple(name for name in expected if name not in present)


_UNSET: Any = object()


def _walk(chunk_size: int) -> Iterator[dict[str, Any]]:
    """Every row in primary-key order, ``chunk_size`` per query (keyset paging: constant memory)."""
    columns = ("pk", "prev_hash", "row_hash", *HASHED_FIELDS)
    after = 0
    while True:
        chunk = list(AccessLog.objects.filter(pk__gt=after).order_by("pk").values(*columns)[:chunk_size])
        yield from chunk
        if len(chunk) < chunk_size:
            return
        after = chunk[-1]["pk"]


def _configured_key() -> bytes | None:
    try:
        return checkpoints.load_key()
    except checkpoints.KeyUnavailable:
        return None


def verify_access_log(
    chunk_size: int = 2000, *, key: bytes | None = _UNSET, checkpoint_file: str | Path | None = _UNSET
) -> ChainCheck:
    """Walk the access log in primary-key order, ``chunk_size`` rows per query (keyset paging: constant
    memory, no long transaction), and return the first row whose ``prev_hash`` is not the previous row's
    ``row_hash`` or whose ``row_hash`` is not the hash of its fields; check every checkpoint against the
    chain recomputed from the rows' fields (:func:`checkpoints.verify`: the table's and ``checkpoint_file``'s,
    under ``key`` — both default to the settings); then check the guards are installed.

    Rows appended while it runs are checked too when they arrive before the walk ends; a row is never
    seen half-written.
    """
    key = _configured_key() if key is _UNSET else key
    checkpoint_file = checkpoints.checkpoint_file() if checkpoint_file is _UNSET else checkpoint_file
    state: dict[str, Any] = {"checked": 0, "last": GENESIS_HASH, "broken": None}

    def recomputed() -> Iterator[tuple[int, str]]:
        """(pk, hash from the row's fields and the previous recomputed hash), checking the stored links."""
        stored_prev = recomputed_prev = GENESIS_HASH
        for values in _walk(chunk_size):
            digest = row_hash(values, stored_prev)
            if state["broken"] is None:
                state["checked"] += 1
                if values["prev_hash"] != stored_prev:
                    state["broken"] = (values["pk"], "link")
                elif digest != values["row_hash"]:
                    state["broken"] = (values["pk"], "hash")
                else:
                    state["last"] = values["row_hash"]
            if recomputed_prev != stored_prev:
                digest = row_hash(values, recomputed_prev)
            recomputed_prev, stored_prev = digest, values["row_hash"]
            yield values["pk"], digest

    rows = recomputed()
    report = checkpoints.verify(CHAIN, rows, key, checkpoint_file)
    for _row in rows:  # the rest of the chain, after the last checkpoint
        pass
    checked, last = state["checked"], state["last"]
    if state["broken"] is not None:
        broken_id, problem = state["broken"]
        return ChainCheck(checked, last, broken_id, problem, checkpoints=report)
    if not report.ok:
        return ChainCheck(checked, last, None, "checkpoint", checkpoints=report)
    missing = missing_guards()
    if missing:
        return ChainCheck(checked, last, None, "guard", missing, checkpoints=report)
    return ChainCheck(checked, last, checkpoints=report)


def head() -> checkpoints.Head:
    """The log's head: its last row and the number of rows; inside a transaction, holding the append lock
    (no row is appended between the two reads)."""
    _lock_chain()
    last = AccessLog.objects.order_by("-pk").values("pk", "row_hash").first()
    if last is None:
        return checkpoints.Head(0, GENESIS_HASH, 0)
    return checkpoints.Head(last["pk"], last["row_hash"], AccessLog.objects.filter(pk__lte=last["pk"]).count())


def write_checkpoint(key: bytes | None = None, file: str | Path | None = _UNSET) -> checkpoints.Signed:
    """Sign the log's head now (table row + a line in ``file``, default the setting); the caller verifies first
    (``dualcarbon audit_checkpoint`` refuses to sign a log that does not verify)."""
    key = checkpoints.load_key() if key is None else key
    file = checkpoints.checkpoint_file() if file is _UNSET else file
    return checkpoints.write(CHAIN, head, key, file or None)

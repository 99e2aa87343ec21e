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
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import access
from .models import GENESIS_HASH, AccessLog, Organisation

Resource = AccessLog.Resource

#: the fields a row's hash covers, besides prev_hash (attribute names, in no particular order: the
#: serialisation sorts its keys)
HASHED_FIELDS = ("enterprise_id", "reader_id", "user_id", "consent_id", "resource", "channel", "what", "path", "at")
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
    if resource not in Resource.values:
        raise ValueError(f"unknown resource {resource!r}; one of {', '.join(Resource.values)}")
    user: Any = request.user
    consent = access.reading_consent(user, enterprise, year)
    if consent is None:
        return None
    return _append(
        enterprise_id=enterprise.pk,
        reader_id=consent.bank_id,
        user_id=user.pk,
        consent_id=consent.pk,
        resource=resource,
        what=(what or (str(year) if year else ""))[:200],
        channel=_channel(request),
        path=request.get_full_path()[:300],
    )


#: what can be wrong with the log (ChainCheck.problem)
PROBLEMS: dict[str, Promise] = {
    "link": _("与前一条记录的链接断开：此前有记录被删除、插入或改动"),
    "hash": _("记录内容与其哈希不符：此记录被改动"),
    "guard": _("防篡改触发器缺失或已停用"),
}


@dataclass(frozen=True)
class ChainCheck:
    """The result of :func:`verify_access_log`: ``problem`` is empty when the log is intact."""

    checked: int  # rows checked (up to and including the broken one)
    last_hash: str  # the row_hash of the last intact row (GENESIS_HASH: none)
    broken_id: int | None = None  # the first row that fails
    problem: str = ""  # "link", "hash" or "guard" (PROBLEMS)
    missing_guards: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def message(self) -> Promise:
        return PROBLEMS[self.problem] if self.problem else _("完整")


def missing_guards() -> tuple[str, ...]:
    """The append-only triggers of :data:`GUARDS` that are absent (or, on PostgreSQL, disabled)."""
    expected = GUARDS.get(connection.vendor, ())
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'finance_accesslog'")
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'finance_accesslog'::regclass "
                "AND NOT tgisinternal AND tgenabled <> 'D'"
            )
        else:
            return expected
        present = {name for (name,) in cursor.fetchall()}
    return tuple(name for name in expected if name not in present)


def verify_access_log(chunk_size: int = 2000) -> ChainCheck:
    """Walk the access log in primary-key order, ``chunk_size`` rows per query (keyset paging: constant
    memory, no long transaction), and return the first row whose ``prev_hash`` is not the previous row's
    ``row_hash`` or whose ``row_hash`` is not the hash of its fields; then check the guards are installed.

    Rows appended while it runs are checked too when they arrive before the walk ends; a row is never
    seen half-written.
    """
    columns = ("pk", "prev_hash", "row_hash", *HASHED_FIELDS)
    prev, checked, after = GENESIS_HASH, 0, 0
    while True:
        chunk = list(AccessLog.objects.filter(pk__gt=after).order_by("pk").values(*columns)[:chunk_size])
        for values in chunk:
            checked += 1
            if values["prev_hash"] != prev:
                return ChainCheck(checked, prev, values["pk"], "link")
            if row_hash(values, prev) != values["row_hash"]:
                return ChainCheck(checked, prev, values["pk"], "hash")
            prev = values["row_hash"]
        if len(chunk) < chunk_size:
            break
        after = chunk[-1]["pk"]
    missing = missing_guards()
    if missing:
        return ChainCheck(checked, prev, None, "guard", missing)
    return ChainCheck(checked, prev)

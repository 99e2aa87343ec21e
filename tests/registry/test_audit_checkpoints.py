"""Keyed checkpoints anchor the bank read log's hash chain (issue 12, item 7); SQLite and PostgreSQL.

An unkeyed chain can be rewritten: recompute the rows after an edited one with the project's own ``row_hash``
and it verifies; delete the last rows and nothing shows. With HMAC-SHA256 checkpoints of the head (key outside
the database; a fixed test key here), each of the three tamperings — an edited row, a suffix rewritten from any
row, a truncated tail — is detected back to the last checkpoint, naming the first checkpoint that fails and why;
a wrong key is reported as such; the external file and the table agree (and a checkpoint deleted from the table
is still found in the file).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from dualcarbon.registry import audit, checkpoints
from dualcarbon.registry.models import GENESIS_HASH, AccessLog, ChainCheckpoint
from tests.registry.test_access_log_chain import _read, guards_off
from tests.web.helpers import fast_world

pytestmark = pytest.mark.django_db

TEST_KEY = "test-only-audit-key-3b1f0c9e5d7a2846"


@pytest.fixture
def world(settings: Any, tmp_path: Path) -> Any:
    settings.DUALCARBON_AUDIT_KEY = TEST_KEY
    settings.DUALCARBON_AUDIT_KEY_FILE = ""
    settings.DUALCARBON_AUDIT_CHECKPOINT_FILE = str(tmp_path / "audit-checkpoints.log")
    return fast_world(settings)


def _file(settings: Any) -> Path:
    return Path(settings.DUALCARBON_AUDIT_CHECKPOINT_FILE)


def _logged(world: Any) -> tuple[list[AccessLog], list[checkpoints.Signed]]:
    """12 reads with a checkpoint after the 3rd, 6th and 9th: rows 1–12, checkpoints anchoring rows 3, 6, 9."""
    rows: list[AccessLog] = []
    cps = []
    for _ in range(3):
        rows += _read(world, 3)
        cps.append(audit.write_checkpoint())
    rows += _read(world, 3)
    assert [cp.row_id for cp in cps] == [rows[2].pk, rows[5].pk, rows[8].pk]
    return rows, cps


@contextlib.contextmanager
def checkpoint_guards_off() -> Iterator[Any]:
    """Bypass the checkpoints table's append-only triggers (as someone with rights on the schema could)."""
    import importlib

    migration: Any = importlib.import_module("dualcarbon.registry.migrations.0006_chain_checkpoints")
    pg = connection.vendor == "postgresql"
    with transaction.atomic(), connection.cursor() as cursor:
        if pg:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE registry_chaincheckpoint DISABLE TRIGGER USER")
        else:
            for name in audit.CHECKPOINT_GUARDS["sqlite"]:
                cursor.execute(f"DROP TRIGGER {name}")
        yield cursor
        if pg:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE registry_chaincheckpoint ENABLE TRIGGER USER")
        else:
            for sql in migration.SQLITE:
                cursor.execute(sql)


def _rewrite_from(rows: list[AccessLog], start: int) -> None:
    """Change ``what`` of rows[start:] and recompute their hashes with the project's own function, so that the
    stored chain is consistent again (what an attacker with write access and the source code can do)."""
    prev = rows[start - 1].row_hash if start else GENESIS_HASH
    with guards_off() as cursor:
        for row in rows[start:]:
            values = {f: getattr(row, f) for f in audit.HASHED_FIELDS} | {"what": "2019"}
            digest = audit.row_hash(values, prev)
            cursor.execute(
                "UPDATE finance_accesslog SET what = %s, prev_hash = %s, row_hash = %s WHERE id = %s",
                ["2019", prev, digest, row.pk],
            )
            prev = digest


def _first(check: audit.ChainCheck) -> checkpoints.Failure:
    assert check.checkpoints is not None and check.checkpoints.first is not None, check
    return check.checkpoints.first


# --- intact ------------------------------------------------------------------------------------------------------


def test_an_untampered_log_with_checkpoints_verifies_and_the_file_and_table_agree(world: Any, settings: Any) -> None:
    rows, cps = _logged(world)
    check = audit.verify_access_log(chunk_size=4)
    assert check.ok, check
    report = check.checkpoints
    assert report is not None and (report.checked, report.passed, report.failures) == (3, 3, [])
    assert report.last is not None and report.last.row_id == rows[8].pk and report.file == str(_file(settings))
    # the file holds exactly the table's checkpoints, line for line, and each line parses to its row
    lines = _file(settings).read_text(encoding="ascii").splitlines()
    table = list(ChainCheckpoint.objects.order_by("pk"))
    assert [cp.line() for cp in cps] == lines and len(table) == 3
    for line, row in zip(lines, table, strict=True):
        parsed = checkpoints.parse_line(line)
        assert (parsed.row_id, parsed.row_hash, parsed.count, parsed.mac) == (
            row.row_id,
            row.row_hash,
            row.count,
            row.mac,
        )
        assert parsed.at == row.at
    assert [row.count for row in table] == [3, 6, 9]
    assert table[-1].row_hash == rows[8].row_hash


def test_an_empty_log_can_be_checkpointed_and_verifies(world: Any) -> None:
    signed = audit.write_checkpoint()
    assert (signed.row_id, signed.row_hash, signed.count) == (0, GENESIS_HASH, 0)
    _read(world, 2)
    check = audit.verify_access_log()
    assert check.ok and check.checkpoints is not None and check.checkpoints.passed == 1


# --- the three tamperings ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", [1, 4, 8])
def test_an_edited_row_fails_the_first_checkpoint_after_it(world: Any, which: int) -> None:
    rows, cps = _logged(world)
    with guards_off() as cursor:
        cursor.execute("UPDATE finance_accesslog SET what = %s WHERE id = %s", ["2019", rows[which].pk])
    check = audit.verify_access_log()
    assert (check.ok, check.problem, check.broken_id) == (False, "hash", rows[which].pk)
    first = _first(check)
    expected = next(cp for cp in cps if cp.row_id >= rows[which].pk)
    assert (first.reason, first.checkpoint.mac if first.checkpoint else None) == ("head", expected.mac)


@pytest.mark.parametrize("start", [0, 2, 3, 7, 8])
def test_a_suffix_rewritten_with_the_projects_own_function_fails_the_first_checkpoint_after_it(
    world: Any, start: int
) -> None:
    rows, cps = _logged(world)
    _rewrite_from(rows, start)
    # the chain alone is fooled: every link and every hash is consistent again ...
    chain_only = audit.verify_access_log(key=None, checkpoint_file="")
    assert (chain_only.checked, chain_only.broken_id, chain_only.problem) == (len(rows), None, "checkpoint")
    assert {f.reason for f in chain_only.checkpoints.failures} == {"no_key"}  # type: ignore[union-attr]
    # ... the checkpoints are not: the first one at or after the rewritten row fails, with the reason
    check = audit.verify_access_log()
    assert (check.ok, check.problem, check.broken_id, check.checked) == (False, "checkpoint", None, len(rows))
    first = _first(check)
    expected = next(cp for cp in cps if cp.row_id >= rows[start].pk)
    assert first.reason == "head" and first.checkpoint is not None and first.checkpoint.mac == expected.mac
    report = check.checkpoints
    assert report is not None
    assert report.passed == sum(1 for cp in cps if cp.row_id < rows[start].pk)  # those before the rewrite hold


def test_a_suffix_rewritten_after_the_last_checkpoint_is_protected_only_by_the_next_one(world: Any) -> None:
    """Rows after the last checkpoint are anchored by nothing yet: the documented limit ("back to the last
    checkpoint"); the next checkpoint refuses to sign until … it is run before the rewrite."""
    rows, _cps = _logged(world)
    _rewrite_from(rows, 10)
    assert audit.verify_access_log().ok


@pytest.mark.parametrize("keep", [0, 2, 5, 7, 9])
def test_a_truncated_tail_fails_the_first_checkpoint_whose_row_is_gone(world: Any, keep: int) -> None:
    rows, cps = _logged(world)
    with guards_off() as cursor:
        cursor.execute("DELETE FROM finance_accesslog WHERE id >= %s", [rows[keep].pk])
    check = audit.verify_access_log()
    if keep > 8:  # only rows after the last checkpoint were deleted: a shorter valid chain (the documented limit)
        assert check.ok
        return
    assert (check.ok, check.problem, check.checked) == (False, "checkpoint", keep)
    first = _first(check)
    expected = next(cp for cp in cps if cp.row_id >= rows[keep].pk)
    assert first.reason == "missing_row" and first.checkpoint is not None and first.checkpoint.mac == expected.mac


def test_a_deleted_middle_row_before_a_checkpoint_is_found_even_with_the_links_repaired(world: Any) -> None:
    rows, cps = _logged(world)
    with guards_off() as cursor:
        cursor.execute("DELETE FROM finance_accesslog WHERE id = %s", [rows[4].pk])
    _rewrite_from([r for i, r in enumerate(rows) if i != 4], 4)
    check = audit.verify_access_log()
    assert check.problem == "checkpoint" and _first(check).reason == "head"
    assert _first(check).checkpoint.mac == cps[1].mac  # type: ignore[union-attr]


def test_the_checkpoints_deleted_from_the_table_with_the_tail_are_found_in_the_file(world: Any) -> None:
    rows, cps = _logged(world)
    with guards_off() as cursor:
        cursor.execute("DELETE FROM finance_accesslog WHERE id >= %s", [rows[4].pk])
    with checkpoint_guards_off() as cursor:
        cursor.execute("DELETE FROM registry_chaincheckpoint WHERE row_id >= %s", [rows[4].pk])
    # the table alone is consistent with the shorter log
    assert audit.verify_access_log(checkpoint_file="").ok
    check = audit.verify_access_log()
    first = _first(check)
    assert (check.problem, first.reason, first.checkpoint.mac) == ("checkpoint", "not_in_table", cps[1].mac)  # type: ignore[union-attr]
    reasons = {(f.reason, f.checkpoint.mac) for f in check.checkpoints.failures if f.checkpoint}  # type: ignore[union-attr]
    assert ("missing_row", cps[1].mac) in reasons and ("missing_row", cps[2].mac) in reasons


def test_a_checkpoint_missing_from_the_file_or_forged_in_the_table_is_reported(world: Any, settings: Any) -> None:
    _rows, cps = _logged(world)
    lines = _file(settings).read_text(encoding="ascii").splitlines()
    _file(settings).write_text("\n".join(lines[:1] + lines[2:]) + "\n", encoding="ascii")
    first = _first(audit.verify_access_log())
    assert (first.reason, first.checkpoint.mac) == ("not_in_file", cps[1].mac)  # type: ignore[union-attr]
    # a checkpoint made without the key (its MAC cannot be right)
    _file(settings).write_text("\n".join(lines) + "\n", encoding="ascii")
    last = ChainCheckpoint.objects.order_by("-pk").first()
    assert last is not None
    ChainCheckpoint.objects.create(
        chain="access_log", row_id=last.row_id, row_hash=last.row_hash, count=last.count, at=last.at,
        key_id=last.key_id, mac="0" * 64,
    )  # fmt: skip
    check = audit.verify_access_log(checkpoint_file="")
    assert check.problem == "checkpoint" and _first(check).reason == "mac"


# --- keys ------------------------------------------------------------------------------------------------------------


def test_a_wrong_key_is_reported_as_such(world: Any, settings: Any) -> None:
    _logged(world)
    settings.DUALCARBON_AUDIT_KEY = "another-key"
    check = audit.verify_access_log()
    first = _first(check)
    assert check.problem == "checkpoint" and first.reason == "key"
    assert checkpoints.key_id(TEST_KEY.encode()) in first.detail
    assert "另一把密钥" in first.message and "another key" in first.message
    settings.DUALCARBON_AUDIT_KEY = ""
    assert _first(audit.verify_access_log()).reason == "no_key"


def test_the_key_can_live_in_a_file_created_with_mode_600(world: Any, settings: Any, tmp_path: Path) -> None:
    settings.DUALCARBON_AUDIT_KEY = ""
    settings.DUALCARBON_AUDIT_KEY_FILE = str(tmp_path / "keys" / "audit.key")
    with pytest.raises(checkpoints.KeyUnavailable):
        checkpoints.load_key()
    call_command("audit_checkpoint", "--create-key", stdout=open(os.devnull, "w"), stderr=open(os.devnull, "w"))
    path = Path(settings.DUALCARBON_AUDIT_KEY_FILE)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = checkpoints.load_key()
    assert len(key) == 64 and key == path.read_text().strip().encode()
    assert not checkpoints.create_key_file(path)  # an existing key is never replaced
    assert audit.verify_access_log().ok


# --- the commands and the independent check --------------------------------------------------------------------------


def test_audit_checkpoint_prints_the_line_and_verify_reports_the_checkpoints(
    world: Any, settings: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _read(world, 2)
    call_command("audit_checkpoint")
    line = capsys.readouterr().out.strip()
    assert line == _file(settings).read_text(encoding="ascii").strip()
    assert line.startswith("dualcarbon-checkpoint/1 chain=access_log row=") and " count=2 " in line
    call_command("verify_access_log")
    out = capsys.readouterr().out
    assert "检查点完整：已核验 1 个" in out and "checkpoints intact: 1 verified" in out


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_an_auditor_recomputes_the_mac_with_openssl(world: Any, settings: Any) -> None:
    """docs/security.md: the signed text is the line without " mac=…"; openssl dgst -sha256 -hmac KEY."""
    _read(world, 3)
    line = audit.write_checkpoint().line()
    signed, mac = line.rsplit(" mac=", 1)
    out = subprocess.run(
        ["openssl", "dgst", "-sha256", "-hmac", TEST_KEY], input=signed.encode("ascii"), capture_output=True, check=True
    ).stdout.decode()
    assert out.strip().endswith(mac)


def test_audit_checkpoint_refuses_to_sign_a_log_that_does_not_verify(
    world: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    rows, _cps = _logged(world)
    _rewrite_from(rows, 4)
    with pytest.raises(CommandError) as exc:
        call_command("audit_checkpoint")
    assert exc.value.returncode == 1 and ChainCheckpoint.objects.count() == 3
    with pytest.raises(CommandError):
        call_command("verify_access_log")
    err = capsys.readouterr().err
    assert "检查点 #" in err and "未通过" in err and "fails" in err and "rewritten" in err


def test_the_checkpoints_table_is_append_only(world: Any) -> None:
    _logged(world)
    row = ChainCheckpoint.objects.first()
    assert row is not None
    for attempt in (
        lambda: ChainCheckpoint.objects.filter(pk=row.pk).update(count=1),
        lambda: ChainCheckpoint.objects.filter(pk=row.pk).delete(),
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            attempt()
    assert audit.missing_guards() == ()
    with checkpoint_guards_off():
        assert set(audit.missing_guards()) == set(audit.CHECKPOINT_GUARDS[connection.vendor])

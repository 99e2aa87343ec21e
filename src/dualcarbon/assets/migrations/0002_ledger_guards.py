"""Database guards on the ledger (docs/assets.md § Guards), on SQLite and PostgreSQL:

* the journal (``assets_ledgertransaction``, ``assets_posting``) is append-only: UPDATE and DELETE are refused
  (and on PostgreSQL TRUNCATE while rows exist);
* a transaction must extend the hash chain: its prev_hash is the last transaction's row_hash (GENESIS_HASH for the
  first) and its row_hash 64 hex digits; on PostgreSQL the check takes the ledger's advisory lock
  (``dualcarbon.assets.ledger.LEDGER_LOCK``), so concurrent writers append one after the other;
* a posting may only be added to the last transaction (no line slipped into an old one);
* on PostgreSQL, serial blocks of one asset never overlap (exclusion constraint on int8range).

The refusal is an IntegrityError (SQLite RAISE(ABORT), PostgreSQL SQLSTATE 23000) in Chinese and English.
A later migration that rebuilds one of these tables on SQLite must install the triggers again;
``dualcarbon verify_ledger`` reports missing guards.
"""

from django.db import migrations

from dualcarbon.registry.effective import no_overlap_operations

TXN = "assets_ledgertransaction"
POSTING = "assets_posting"
GENESIS_HASH = "0" * 64
LOCK_KEY = 7_146_230_551_902_384_117
APPEND_ONLY = "资产账簿只可追加，不可修改或删除 / the asset ledger is append-only: rows cannot be changed or deleted"
CHAIN = (
    "账簿业务须接在哈希链末尾（prev_hash 须等于上一笔业务的 row_hash） / a ledger transaction must extend the hash "
    "chain (prev_hash must equal the last transaction's row_hash)"
)
LAST_ONLY = "分录只能记入最后一笔账簿业务 / a posting can only be added to the last ledger transaction"


def literal(text):
    return "'" + text.replace("'", "''") + "'"


SQLITE = [
    *(
        f"""CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table}
        BEGIN SELECT RAISE(ABORT, {literal(APPEND_ONLY)}); END"""
        for table in (TXN, POSTING)
        for op in ("UPDATE", "DELETE")
    ),
    f"""CREATE TRIGGER {TXN}_chain BEFORE INSERT ON {TXN}
    WHEN NEW.prev_hash IS NOT COALESCE((SELECT row_hash FROM {TXN} ORDER BY id DESC LIMIT 1), '{GENESIS_HASH}')
      OR length(NEW.row_hash) <> 64 OR NEW.row_hash GLOB '*[^0-9a-f]*'
    BEGIN SELECT RAISE(ABORT, {literal(CHAIN)}); END""",
    f"""CREATE TRIGGER {POSTING}_last_txn BEFORE INSERT ON {POSTING}
    WHEN NEW.txn_id IS NOT (SELECT max(id) FROM {TXN})
    BEGIN SELECT RAISE(ABORT, {literal(LAST_ONLY)}); END""",
]
SQLITE_REVERSE = [
    *(f"DROP TRIGGER IF EXISTS {t}_{n}" for t in (TXN, POSTING) for n in ("no_update", "no_delete")),
    f"DROP TRIGGER IF EXISTS {TXN}_chain",
    f"DROP TRIGGER IF EXISTS {POSTING}_last_txn",
]

POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION assets_ledger_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION USING ERRCODE = '23000', MESSAGE = {literal(APPEND_ONLY)};
    END $$""",
    f"""CREATE OR REPLACE FUNCTION assets_ledger_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM {TXN}) OR EXISTS (SELECT 1 FROM {POSTING}) THEN
        RAISE EXCEPTION USING ERRCODE = '23000', MESSAGE = {literal(APPEND_ONLY)};
      END IF;
      RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION {TXN}_chain() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE last_hash text;
    BEGIN
      PERFORM pg_advisory_xact_lock({LOCK_KEY});
      SELECT row_hash INTO last_hash FROM {TXN} ORDER BY id DESC LIMIT 1;
      IF NEW.prev_hash IS DISTINCT FROM COALESCE(last_hash, '{GENESIS_HASH}')
         OR NEW.row_hash !~ '^[0-9a-f]{{64}}$' THEN
        RAISE EXCEPTION USING ERRCODE = '23000', MESSAGE = {literal(CHAIN)};
      END IF;
      RETURN NEW;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION {POSTING}_last_txn() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.txn_id IS DISTINCT FROM (SELECT max(id) FROM {TXN}) THEN
        RAISE EXCEPTION USING ERRCODE = '23000', MESSAGE = {literal(LAST_ONLY)};
      END IF;
      RETURN NEW;
    END $$""",
    *(
        f"CREATE TRIGGER {t}_no_{op.lower()} BEFORE {op} ON {t} FOR EACH ROW EXECUTE FUNCTION assets_ledger_refuse()"
        for t in (TXN, POSTING)
        for op in ("UPDATE", "DELETE")
    ),
    *(
        f"""CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t}
        FOR EACH STATEMENT EXECUTE FUNCTION assets_ledger_refuse_truncate()"""
        for t in (TXN, POSTING)
    ),
    f"CREATE TRIGGER {TXN}_chain BEFORE INSERT ON {TXN} FOR EACH ROW EXECUTE FUNCTION {TXN}_chain()",
    f"CREATE TRIGGER {POSTING}_last_txn BEFORE INSERT ON {POSTING} FOR EACH ROW EXECUTE FUNCTION {POSTING}_last_txn()",
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE assets_serialblock ADD CONSTRAINT assets_serialblock_no_overlap EXCLUDE USING gist "
    "(asset_id WITH =, int8range(first, last, '[]') WITH &&)",
]
POSTGRESQL_REVERSE = [
    "ALTER TABLE assets_serialblock DROP CONSTRAINT IF EXISTS assets_serialblock_no_overlap",
    *(
        f"DROP TRIGGER IF EXISTS {t}_{n} ON {t}"
        for t in (TXN, POSTING)
        for n in ("no_update", "no_delete", "no_truncate")
    ),
    f"DROP TRIGGER IF EXISTS {TXN}_chain ON {TXN}",
    f"DROP TRIGGER IF EXISTS {POSTING}_last_txn ON {POSTING}",
    "DROP FUNCTION IF EXISTS assets_ledger_refuse()",
    "DROP FUNCTION IF EXISTS assets_ledger_refuse_truncate()",
    f"DROP FUNCTION IF EXISTS {TXN}_chain()",
    f"DROP FUNCTION IF EXISTS {POSTING}_last_txn()",
]


def _statements(schema_editor, forward):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        return SQLITE if forward else SQLITE_REVERSE
    if vendor == "postgresql":
        return POSTGRESQL if forward else POSTGRESQL_REVERSE
    raise NotImplementedError(f"ledger guards are written for sqlite and postgresql, not {vendor}")


def install(apps, schema_editor):
    for sql in _statements(schema_editor, True):
        schema_editor.execute(sql, params=None)


def remove(apps, schema_editor):
    for sql in _statements(schema_editor, False):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("assets", "0001_initial")]

    operations = [
        migrations.RunPython(install, remove),
        *no_overlap_operations("assets_feestandard", ("region_id", "factor_id")),
    ]

"""Database guards on the bank access log, on SQLite and PostgreSQL:

* UPDATE and DELETE of a row are refused (and on PostgreSQL TRUNCATE while the log has rows; an empty
  log may be truncated, so Django's ``flush`` still works on a database without bank reads);
* an INSERT must extend the hash chain: its prev_hash must be the last row's row_hash (GENESIS_HASH for
  the first) and its row_hash 64 hex digits. On PostgreSQL the check first takes the same
  transaction-scoped advisory lock as dualcarbon.finance.services.record_read, so concurrent writers
  append one after the other and cannot fork the chain.

The refusal is an IntegrityError (SQLite RAISE(ABORT), PostgreSQL SQLSTATE 23000) with a message in Chinese
and English. The reverse migration drops the triggers and functions.

SQLite drops a table's triggers when a later migration rebuilds the table (ALTER on SQLite copies it):
such a migration must install them again; ``dualcarbon verify_access_log`` reports missing guards.
"""

from django.db import migrations

TABLE = "finance_accesslog"
GENESIS_HASH = "0" * 64
APPEND_ONLY = "银行读取记录只可追加，不可修改或删除 / the bank access log is append-only: rows cannot be changed or deleted"
CHAIN = (
    "银行读取记录须接在哈希链末尾（prev_hash 须等于上一条记录的 row_hash） / an access log row must extend the "
    "hash chain (prev_hash must equal the last row's row_hash)"
)


def literal(text):
    """An SQL string literal (both databases double a quote inside one)."""
    return "'" + text.replace("'", "''") + "'"


#: pg_advisory_xact_lock key serialising appends (services.ACCESS_LOG_LOCK)
LOCK_KEY = 4_604_297_743_215_150_919

SQLITE = [
    f"""CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, {literal(APPEND_ONLY)}); END""",
    f"""CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, {literal(APPEND_ONLY)}); END""",
    f"""CREATE TRIGGER {TABLE}_chain BEFORE INSERT ON {TABLE}
    WHEN NEW.prev_hash IS NOT COALESCE((SELECT row_hash FROM {TABLE} ORDER BY id DESC LIMIT 1), '{GENESIS_HASH}')
      OR length(NEW.row_hash) <> 64 OR NEW.row_hash GLOB '*[^0-9a-f]*'
    BEGIN SELECT RAISE(ABORT, {literal(CHAIN)}); END""",
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS {TABLE}_{name}" for name in ("no_update", "no_delete", "chain")]

POSTGRESQL = [
    f"""CREATE OR REPLACE FUNCTION {TABLE}_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION USING ERRCODE = '23000', MESSAGE = {literal(APPEND_ONLY)};
    END $$""",
    f"""CREATE OR REPLACE FUNCTION {TABLE}_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM {TABLE}) THEN
        RAISE EXCEPTION USING ERRCODE = '23000', MESSAGE = {literal(APPEND_ONLY)};
      END IF;
      RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION {TABLE}_chain() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE last_hash text;
    BEGIN
      PERFORM pg_advisory_xact_lock({LOCK_KEY});
      SELECT row_hash INTO last_hash FROM {TABLE} ORDER BY id DESC LIMIT 1;
      IF NEW.prev_hash IS DISTINCT FROM COALESCE(last_hash, '{GENESIS_HASH}')
         OR NEW.row_hash !~ '^[0-9a-f]{{64}}$' THEN
        RAISE EXCEPTION USING ERRCODE = '23000', MESSAGE = {literal(CHAIN)};
      END IF;
      RETURN NEW;
    END $$""",
    f"CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE} FOR EACH ROW EXECUTE FUNCTION {TABLE}_refuse()",
    f"CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE} FOR EACH ROW EXECUTE FUNCTION {TABLE}_refuse()",
    f"""CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_refuse_truncate()""",
    f"CREATE TRIGGER {TABLE}_chain BEFORE INSERT ON {TABLE} FOR EACH ROW EXECUTE FUNCTION {TABLE}_chain()",
]
POSTGRESQL_REVERSE = [
    *(f"DROP TRIGGER IF EXISTS {TABLE}_{name} ON {TABLE}" for name in ("no_update", "no_delete", "no_truncate", "chain")),
    *(f"DROP FUNCTION IF EXISTS {TABLE}_{name}()" for name in ("refuse", "refuse_truncate", "chain")),
]


def _statements(schema_editor, forward):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        return SQLITE if forward else SQLITE_REVERSE
    if vendor == "postgresql":
        return POSTGRESQL if forward else POSTGRESQL_REVERSE
    raise NotImplementedError(f"append-only guards for the access log are written for sqlite and postgresql, not {vendor}")


def install(apps, schema_editor):
    for sql in _statements(schema_editor, True):
        schema_editor.execute(sql, params=None)


def remove(apps, schema_editor):
    for sql in _statements(schema_editor, False):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("finance", "0004_access_log_chain_backfill")]

    operations = [migrations.RunPython(install, remove)]

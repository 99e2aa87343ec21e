"""Keyed checkpoints of hash chains (registry.checkpoints): the table, append-only like the bank read log.

UPDATE and DELETE are refused on SQLite and PostgreSQL (and on PostgreSQL TRUNCATE while the table has rows), with
an IntegrityError whose message is in Chinese and English. The reverse migration drops the triggers first.
"""

from django.db import migrations, models

TABLE = "registry_chaincheckpoint"
APPEND_ONLY = "哈希链检查点只可追加，不可修改或删除 / chain checkpoints are append-only: rows cannot be changed or deleted"


def literal(text):
    return "'" + text.replace("'", "''") + "'"


SQLITE = [
    f"""CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, {literal(APPEND_ONLY)}); END""",
    f"""CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, {literal(APPEND_ONLY)}); END""",
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS {TABLE}_{name}" for name in ("no_update", "no_delete")]

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
    f"CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE} FOR EACH ROW EXECUTE FUNCTION {TABLE}_refuse()",
    f"CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE} FOR EACH ROW EXECUTE FUNCTION {TABLE}_refuse()",
    f"""CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_refuse_truncate()""",
]
POSTGRESQL_REVERSE = [
    *(f"DROP TRIGGER IF EXISTS {TABLE}_{name} ON {TABLE}" for name in ("no_update", "no_delete", "no_truncate")),
    *(f"DROP FUNCTION IF EXISTS {TABLE}_{name}()" for name in ("refuse", "refuse_truncate")),
]


def _statements(schema_editor, forward):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        return SQLITE if forward else SQLITE_REVERSE
    if vendor == "postgresql":
        return POSTGRESQL if forward else POSTGRESQL_REVERSE
    raise NotImplementedError(f"append-only guards for the checkpoints are written for sqlite and postgresql, not {vendor}")


def install(apps, schema_editor):
    for sql in _statements(schema_editor, True):
        schema_editor.execute(sql, params=None)


def remove(apps, schema_editor):
    for sql in _statements(schema_editor, False):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("registry", "0005_methodpolicy_effective_period")]

    operations = [
        migrations.CreateModel(
            name="ChainCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("chain", models.CharField(max_length=40)),
                ("row_id", models.BigIntegerField()),
                ("row_hash", models.CharField(max_length=64)),
                ("count", models.BigIntegerField()),
                ("at", models.DateTimeField()),
                ("key_id", models.CharField(max_length=16)),
                ("mac", models.CharField(max_length=64, unique=True)),
            ],
            options={
                "verbose_name": "哈希链检查点",
                "verbose_name_plural": "哈希链检查点",
                "ordering": ["chain", "row_id", "at"],
                "indexes": [models.Index(fields=["chain", "row_id"], name="checkpoint_chain_row")],
            },
        ),
        migrations.RunPython(install, remove),
    ]

"""Hash the access-log rows that exist before the chain, in primary-key order (the order record_read
appends in). The serialisation is frozen here, a copy of dualcarbon.finance.services.row_hash version 1
(tests/finance/test_access_log_chain.py checks that the two agree)."""

import datetime
import hashlib
import json

from django.db import migrations

GENESIS_HASH = "0" * 64
CHUNK = 2000


def row_hash(values, prev_hash):
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
        "at": values["at"].astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "prev": prev_hash,
    }
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def backfill(apps, schema_editor):
    AccessLog = apps.get_model("finance", "AccessLog")
    db = schema_editor.connection.alias
    fields = ("pk", "enterprise_id", "reader_id", "user_id", "consent_id", "resource", "channel", "what", "path", "at")
    prev, last = GENESIS_HASH, 0
    while True:
        rows = list(AccessLog.objects.using(db).filter(pk__gt=last).order_by("pk").values(*fields)[:CHUNK])
        if not rows:
            return
        for values in rows:
            digest = row_hash(values, prev)
            AccessLog.objects.using(db).filter(pk=values["pk"]).update(prev_hash=prev, row_hash=digest)
            prev, last = digest, values["pk"]


class Migration(migrations.Migration):
    dependencies = [("finance", "0003_access_log_chain")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]

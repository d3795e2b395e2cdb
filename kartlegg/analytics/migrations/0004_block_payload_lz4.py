"""The blocks' payloads compressed with lz4 instead of PostgreSQL's default pglz: a full computation writes about
13 MB of payloads, and pglz spent more time on them than the rest of the insert (docs/statistics.md). Only on
PostgreSQL, and only where the server was built with lz4 (Debian's and most others are); elsewhere nothing changes.
Existing payloads keep their compression until they are written again."""

from django.db import migrations

FORWARD = """
DO $$
BEGIN
    ALTER TABLE analytics_aggregateblock ALTER COLUMN payload SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not supported by this server; payloads stay pglz';
END $$;
"""
BACKWARD = "ALTER TABLE analytics_aggregateblock ALTER COLUMN payload SET COMPRESSION default;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0003_compact_blocks")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]

"""A trigram index for searching message content on PostgreSQL.

The admin's search runs ``UPPER(content) LIKE UPPER('%term%')`` (icontains); a GIN
trigram index on the same expression answers it from the index instead of a
scan of every message. SQLite has no such index and keeps the plain scan.
``CREATE EXTENSION`` needs a role allowed to create extensions (the superuser,
or pg_trgm whitelisted); it is a no-op when the extension exists.
"""

from django.db import migrations

INDEX = "msg_content_trgm_idx"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON messaging_message "
        "USING gin (UPPER(content) gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("messaging", "0004_messagehistory_history_edited_idx")]

    operations = [migrations.RunPython(create_index, drop_index)]

"""Indexes for the users list at 1,000,000 accounts, on PostgreSQL.

The list's search (``search_fields``: username, first and last name, e-mail)
runs ``UPPER(column::text) LIKE UPPER('%term%')`` on each; one GIN trigram index
per column lets the database OR their answers instead of reading every account
(300 ms for a search, and for each word of a message search, which looks up
the accounts whose name holds it). The list also sorts by when people joined.
The accounts are Django's ``auth_user``, whose app we do not own, hence SQL.
SQLite keeps its plain scans.
"""

from django.db import migrations

COLUMNS = ("username", "first_name", "last_name", "email")


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS account_{column}_trgm_idx ON auth_user "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS account_joined_idx ON auth_user (date_joined)"
    )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS account_{column}_trgm_idx")
    schema_editor.execute("DROP INDEX IF EXISTS account_joined_idx")


class Migration(migrations.Migration):
    dependencies = [("messaging", "0008_message_figures")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]

"""Print the Django version and the database the benchmark runs on, as JSON."""

import json
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moderation_site.settings")

import django

django.setup()

from django.db import connection  # noqa: E402

with connection.cursor() as cursor:
    if connection.vendor == "postgresql":
        cursor.execute("SHOW server_version")
        database = f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
    else:
        cursor.execute("SELECT sqlite_version()")
        database = f"SQLite {cursor.fetchone()[0]}"
print(json.dumps({"django": django.get_version(), "database": database}))

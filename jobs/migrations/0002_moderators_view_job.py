"""Moderators see the job page: their background jobs and everyone else's.

Retrying a job or downloading an export's file also needs to be its starter (or
a superuser), which the admin checks; there is no permission for that.
"""

from django.db import migrations

from moderation_site.moderators import grant_to_moderators, revoke_from_moderators

PERMISSIONS = [("jobs", "view_job")]


def grant(apps, schema_editor):
    grant_to_moderators(apps, PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_from_moderators(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
        ("messaging", "0002_moderators_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]

"""Moderators work the review queue: they see cases and reports, act on cases
(change_case), and read and write notes. Changing a case's evidence retention
needs a superuser, which the service checks; there is no permission for it."""

from django.db import migrations

from moderation_site.moderators import grant_to_moderators, revoke_from_moderators

PERMISSIONS = [
    ("moderation", "view_case"),
    ("moderation", "change_case"),
    ("moderation", "view_report"),
    ("moderation", "view_note"),
    ("moderation", "add_note"),
]


def grant(apps, schema_editor):
    grant_to_moderators(apps, PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_from_moderators(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0001_initial"),
        ("messaging", "0002_moderators_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]

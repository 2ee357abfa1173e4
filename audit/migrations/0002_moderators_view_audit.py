"""Moderators read the audit log and the change history of messages and users."""

from django.db import migrations

from moderation_site.moderators import grant_to_moderators, revoke_from_moderators

PERMISSIONS = [
    ("audit", "view_auditentry"),
    ("audit", "view_historicaluser"),
    ("messaging", "view_historicalmessage"),
]


def grant(apps, schema_editor):
    grant_to_moderators(apps, PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_from_moderators(apps, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("messaging", "0003_historicalmessage"),
        ("messaging", "0002_moderators_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]

"""The Moderators group reads sanctions and reads and decides appeals: the
constant of ``moderation_site.roles`` applied again, now that the models exist
(see 0005, which explains why the live constant)."""

from django.db import migrations

from moderation_site.moderators import set_moderators_permissions
from moderation_site.roles import MODERATOR_PERMISSIONS


def apply_moderator_permissions(apps, schema_editor):
    set_moderators_permissions(apps, MODERATOR_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0008_sanctions_and_appeals"),
        ("messaging", "0013_moderation_notices"),
        ("audit", "0009_sanction_and_appeal_actions"),
    ]

    operations = [
        migrations.RunPython(apply_moderator_permissions, migrations.RunPython.noop, elidable=False)
    ]

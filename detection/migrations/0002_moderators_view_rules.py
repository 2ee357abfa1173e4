"""The Moderators group reads watched-word rules and their versions; writing
them is a permission a superuser gives to chosen moderators. The constant of
``moderation_site.roles`` applied again, now that the model exists (see
moderation/0005, which explains why the live constant)."""

from django.db import migrations

from moderation_site.moderators import set_moderators_permissions
from moderation_site.roles import MODERATOR_PERMISSIONS


def apply_moderator_permissions(apps, schema_editor):
    set_moderators_permissions(apps, MODERATOR_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("detection", "0001_initial"),
        ("moderation", "0009_moderators_decide_appeals"),
        ("audit", "0010_watched_rule_actions"),
    ]

    operations = [
        migrations.RunPython(apply_moderator_permissions, migrations.RunPython.noop, elidable=False)
    ]

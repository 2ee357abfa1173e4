"""Create the Moderators group with what moderators may do.

The group's later permissions are granted by the migrations of the apps that
need them (audit, jobs), through moderation_site.moderators.
"""

from django.db import migrations

from moderation_site.moderators import MODERATORS, grant_to_moderators

MODERATOR_PERMISSIONS = [
    ("messaging", "view_message"),
    ("messaging", "change_message"),  # read state and audited edits
    ("messaging", "view_notification"),
    ("messaging", "view_messagehistory"),
    ("auth", "view_user"),
    ("auth", "delete_user"),  # non-staff accounts only; enforced by the admin
]


def create_moderators_group(apps, schema_editor):
    grant_to_moderators(apps, MODERATOR_PERMISSIONS)


def remove_moderators_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=MODERATORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_moderators_group, remove_moderators_group)]

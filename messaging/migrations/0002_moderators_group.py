"""Create the Moderators group with what moderators may do.

Permissions are normally created after all migrations (post_migrate); create
them here so the group can be filled on a fresh database.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODERATORS = "Moderators"

MODERATOR_PERMISSIONS = [
    ("messaging", "view_message"),
    ("messaging", "change_message"),  # read state and audited edits
    ("messaging", "view_notification"),
    ("messaging", "view_messagehistory"),
    ("auth", "view_user"),
    ("auth", "delete_user"),  # non-staff accounts only; enforced by the admin
]


def create_moderators_group(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=MODERATORS)
    for app_label, codename in MODERATOR_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def remove_moderators_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=MODERATORS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_moderators_group, remove_moderators_group)]

"""Moderators see the job page: their background jobs and everyone else's.

Retrying a job or downloading an export's file also needs to be its starter (or
a superuser), which the admin checks; there is no permission for that.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = [("jobs", "view_job")]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate).
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.get(name="Moderators")
    for app_label, codename in PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="Moderators").first()
    if group:
        for app_label, codename in PERMISSIONS:
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
        ("messaging", "0002_moderators_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]

"""Moderators read the audit log and the change history of messages and users."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = [
    ("audit", "view_auditentry"),
    ("audit", "view_historicaluser"),
    ("messaging", "view_historicalmessage"),
]


def grant(apps, schema_editor):
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
        ("audit", "0001_initial"),
        ("messaging", "0003_historicalmessage"),
        ("messaging", "0002_moderators_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]

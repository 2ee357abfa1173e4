"""Moderators may export messages, edit histories, users and the audit log as CSV.

django-import-export checks ``<app>.export_<model>`` (IMPORT_EXPORT_EXPORT_PERMISSION_CODE
= "export"). These permissions are not declared in any model's Meta.permissions
(that would be a model change, and auth.User is not ours), so this migration
creates the four Permission rows, with their content types, and grants them to
the Moderators group. post_migrate never creates nor removes them.
"""

from django.db import migrations

EXPORT_PERMISSIONS = [
    # (app label, model, codename, name)
    ("messaging", "message", "export_message", "Can export message"),
    ("messaging", "messagehistory", "export_messagehistory", "Can export message history"),
    ("auth", "user", "export_user", "Can export user"),
    ("audit", "auditentry", "export_auditentry", "Can export audit entry"),
]
MODERATORS = "Moderators"


def grant_export_permissions(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=MODERATORS)
    for app_label, model, codename, name in EXPORT_PERMISSIONS:
        content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        group.permissions.add(permission)


def remove_export_permissions(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for app_label, _model, codename, _name in EXPORT_PERMISSIONS:
        # Deleting the rows also removes them from every group and user.
        Permission.objects.filter(content_type__app_label=app_label, codename=codename).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_alter_auditentry_action"),
        ("messaging", "0002_moderators_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant_export_permissions, remove_export_permissions)]

"""Granting permissions to the Moderators group, for data migrations.

Migrations of several apps grant what their models need; they share these two
functions (historical models only: ``apps`` is the migration's app registry).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.management import create_permissions

MODERATORS = "Moderators"


def grant_to_moderators(apps: Any, permissions: list[tuple[str, str]]) -> None:
    """Add ``(app_label, codename)`` permissions to the group (created if missing).

    Permissions are normally created after all migrations (post_migrate); create
    them here so a fresh database can fill the group.
    """
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=MODERATORS)
    permission_model = apps.get_model("auth", "Permission")
    for app_label, codename in permissions:
        group.permissions.add(
            permission_model.objects.get(content_type__app_label=app_label, codename=codename)
        )


def revoke_from_moderators(apps: Any, permissions: list[tuple[str, str]]) -> None:
    group = apps.get_model("auth", "Group").objects.filter(name=MODERATORS).first()
    if group is None:
        return
    permission_model = apps.get_model("auth", "Permission")
    for app_label, codename in permissions:
        group.permissions.remove(
            *permission_model.objects.filter(content_type__app_label=app_label, codename=codename)
        )

"""Setting the Moderators group's permissions, for data migrations.

What the group holds is declared once, in ``moderation_site.roles``
(``MODERATOR_PERMISSIONS``), and applied by one migration,
``moderation/migrations/0005_moderators_permissions.py``, through
``set_moderators_permissions``: that migration decides. The earlier migrations
that granted piecemeal (messaging/0002, audit/0002 and 0004, jobs/0002,
moderation/0002) are history; they keep using ``grant_to_moderators`` and
``revoke_from_moderators`` so old databases migrate as they did. A change to
what moderators may do is a change to the constant plus a new migration that
calls ``set_moderators_permissions`` again.

Historical models only: ``apps`` is the migration's app registry.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.management import create_permissions

from moderation_site.roles import MODERATORS_GROUP

MODERATORS = MODERATORS_GROUP
# django-import-export's permission prefix (IMPORT_EXPORT_EXPORT_PERMISSION_CODE).
EXPORT_PREFIX = "export_"


def _create_model_permissions(apps: Any) -> None:
    """Create every model's default permissions now.

    Permissions are normally created after all migrations (post_migrate); create
    them here so a fresh database can fill the group. ``create_permissions`` skips
    an app without a models module, which a migration's app registry never has.
    """
    for app_config in apps.get_app_configs():
        # A stub of a migration's registry has no such attribute at all.
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = models_module


def grant_to_moderators(apps: Any, permissions: list[tuple[str, str]]) -> None:
    """Add ``(app_label, codename)`` permissions to the group (created if missing)."""
    _create_model_permissions(apps)
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


def _model_of(apps: Any, app_label: str, codename: str) -> Any | None:
    """The historical model a ``<action>_<model>`` codename is about, or None while
    the migration that creates it has not run yet."""
    _action, _, model_name = codename.partition("_")
    try:
        return apps.get_model(app_label, model_name)
    except LookupError:
        return None


def _export_permission(apps: Any, model: Any, codename: str) -> Any:
    """The ``export_<model>`` permission, created if missing: no model declares
    these (auth.User is not ours), so post_migrate never creates them."""
    content_type, _ = apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label=model._meta.app_label, model=model._meta.model_name
    )
    permission, _ = apps.get_model("auth", "Permission").objects.get_or_create(
        content_type=content_type,
        codename=codename,
        defaults={"name": f"Can export {model._meta.verbose_name}"},
    )
    return permission


def set_moderators_permissions(apps: Any, permissions: Iterable[tuple[str, str]]) -> None:
    """Make the group (created if missing) hold exactly ``permissions``.

    Creates missing permissions first, export ones included. A pair whose model
    does not exist yet in ``apps`` is left out: replaying an older migration on a
    fresh database, with a newer constant, must not fail on a model that a later
    migration creates (that migration sets the group again). A pair whose model
    exists but has no such permission stops the migration with its name. Running
    it again changes nothing.
    """
    _create_model_permissions(apps)
    permission_model = apps.get_model("auth", "Permission")
    wanted = []
    for app_label, codename in sorted(permissions):
        model = _model_of(apps, app_label, codename)
        if model is None:
            continue
        if codename.startswith(EXPORT_PREFIX):
            wanted.append(_export_permission(apps, model, codename))
            continue
        permission = permission_model.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is None:
            raise LookupError(f"No permission {app_label}.{codename} to give the Moderators group.")
        wanted.append(permission)
    group, _ = apps.get_model("auth", "Group").objects.get_or_create(name=MODERATORS)
    group.permissions.set(wanted)

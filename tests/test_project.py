"""Project-wide guards: migrations match the models, system checks pass, every
module imports, and the data migration sets up the Moderators group."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from moderation_site.roles import MODERATOR_PERMISSIONS

PROJECT_PACKAGES = ["messaging", "admin_ext", "moderation_site"]


def test_models_have_no_missing_migrations(db):
    # makemigrations --check exits with status 1 when a migration is missing.
    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=0)
    except SystemExit as exit_:
        pytest.fail(f"makemigrations --check found model changes without a migration ({exit_})")


def test_system_checks_pass(db):
    # Raises SystemCheckError on any error.
    call_command("check", verbosity=0)


def modules_of(package_name: str) -> list[str]:
    package = importlib.import_module(package_name)
    failed_walks: list[str] = []
    names = [
        module.name
        for module in pkgutil.walk_packages(
            package.__path__, prefix=f"{package_name}.", onerror=failed_walks.append
        )
    ]
    assert failed_walks == [], f"subpackages that failed to import: {failed_walks}"
    return [package_name, *names]


@pytest.mark.parametrize("package_name", PROJECT_PACKAGES)
def test_every_module_of_the_package_imports(package_name):
    failures = {}
    for name in modules_of(package_name):
        try:
            importlib.import_module(name)
        except Exception as error:  # every broken module reported at once
            failures[name] = f"{type(error).__name__}: {error}"

    assert failures == {}


def test_module_walk_reaches_nested_modules():
    # Guards the test above against walking nothing: subpackages are descended into.
    found = set(modules_of("messaging"))

    assert {
        "messaging.models",
        "messaging.services.accounts",
        "messaging.services.messages",
        "messaging.migrations.0002_moderators_group",
    } <= found


def test_moderators_group_has_exactly_the_moderator_permissions(db):
    group = Group.objects.get(name="Moderators")

    granted = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert granted == set(MODERATOR_PERMISSIONS)

"""The Moderators group's permissions (``moderation_site.roles.MODERATOR_PERMISSIONS``):
they back every page the role policy opens to moderators, and the one data migration
(``moderation/0005_moderators_permissions``) makes the group hold exactly them
(that a migrated database's group does: tests/test_project.py)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission

from moderation_site import roles
from moderation_site.moderators import set_moderators_permissions
from moderation_site.roles import Page, Role

MIGRATION = importlib.import_module("moderation.migrations.0005_moderators_permissions")

# What Django checks for each kind of model page: the admin (list, object page,
# history, change, add, delete), django-simple-history (version: view; revert:
# change) and django-import-export (export). A model's own pages and actions
# check what their admin says and are not in this table.
PERMISSION_FOR_PAGE = {
    Page.LIST: "view",
    Page.VIEW: "view",
    Page.HISTORY: "view",
    Page.VERSION: "view",
    Page.CHANGE: "change",
    Page.REVERT: "change",
    Page.ADD: "add",
    Page.DELETE: "delete",
    Page.EXPORT: "export",
}


def moderator_model_pages() -> list[tuple[str, str]]:
    return [
        (model_label, page)
        for model_label, pages in roles.MODEL_PAGES.items()
        for page, allowed in pages.items()
        if page in PERMISSION_FOR_PAGE and Role.MODERATOR in allowed
    ]


def moderators_permissions() -> set[tuple[str, str]]:
    group = Group.objects.get(name=roles.MODERATORS_GROUP)
    return set(group.permissions.values_list("content_type__app_label", "codename"))


@pytest.mark.parametrize(("model_label", "page"), moderator_model_pages())
def test_every_page_the_policy_opens_to_moderators_has_its_permission(model_label, page):
    app_label, model_name = model_label.split(".")

    permission = (app_label, f"{PERMISSION_FOR_PAGE[page]}_{model_name}")

    assert permission in roles.MODERATOR_PERMISSIONS | roles.PERMISSIONS_GIVEN_BY_HAND


def test_permissions_given_by_hand_are_not_the_groups():
    assert not roles.PERMISSIONS_GIVEN_BY_HAND & roles.MODERATOR_PERMISSIONS


def test_the_page_check_covers_every_kind_of_page_moderators_reach():
    # Guards the test above against checking nothing: the kinds the desk uses.
    kinds = {page for _model_label, page in moderator_model_pages()}

    assert {Page.LIST, Page.VIEW, Page.HISTORY, Page.VERSION} <= kinds
    assert {Page.CHANGE, Page.DELETE, Page.EXPORT} <= kinds


def test_the_migration_takes_back_a_permission_given_by_hand(db):
    group = Group.objects.get(name=roles.MODERATORS_GROUP)
    group.permissions.add(Permission.objects.get(codename="change_user"))

    MIGRATION.apply_moderator_permissions(global_apps, None)

    assert moderators_permissions() == set(roles.MODERATOR_PERMISSIONS)


def test_the_migration_recreates_a_missing_export_permission(db):
    Permission.objects.filter(content_type__app_label="auth", codename="export_user").delete()

    MIGRATION.apply_moderator_permissions(global_apps, None)

    permission = Permission.objects.get(content_type__app_label="auth", codename="export_user")
    assert permission.name == "Can export user"
    assert moderators_permissions() == set(roles.MODERATOR_PERMISSIONS)


def test_the_migration_creates_the_group_when_it_is_missing(db):
    Group.objects.filter(name=roles.MODERATORS_GROUP).delete()

    MIGRATION.apply_moderator_permissions(global_apps, None)

    assert moderators_permissions() == set(roles.MODERATOR_PERMISSIONS)


def test_running_the_migration_again_changes_nothing(db):
    permission_ids = set(Permission.objects.values_list("pk", flat=True))

    MIGRATION.apply_moderator_permissions(global_apps, None)

    assert set(Permission.objects.values_list("pk", flat=True)) == permission_ids
    assert moderators_permissions() == set(roles.MODERATOR_PERMISSIONS)


def test_a_permission_its_model_does_not_have_is_refused_by_name(db):
    with pytest.raises(LookupError, match=r"auth\.approve_user"):
        set_moderators_permissions(global_apps, {("auth", "view_user"), ("auth", "approve_user")})


def test_a_permission_of_a_model_not_created_yet_is_left_for_a_later_migration(db):
    set_moderators_permissions(global_apps, {("auth", "view_user"), ("moderation", "view_verdict")})

    assert moderators_permissions() == {("auth", "view_user")}


@pytest.mark.django_db
def test_four_eyes_on_appeals_with_the_superusers_override_but_never_ones_own():
    from tests.factories import ModeratorFactory, SuperuserFactory

    imposer, other, superuser = ModeratorFactory(), ModeratorFactory(), SuperuserFactory()
    person = 10**9

    assert not roles.may_decide_appeal(imposer, imposed_by_id=imposer.pk, appellant_id=person)
    assert roles.may_decide_appeal(other, imposed_by_id=imposer.pk, appellant_id=person)
    assert roles.may_decide_appeal(superuser, imposed_by_id=superuser.pk, appellant_id=person)
    assert roles.may_decide_appeal(other, imposed_by_id=None, appellant_id=person)
    # A moderator (a superuser too) warned by a colleague does not decide their appeal.
    assert not roles.may_decide_appeal(other, imposed_by_id=imposer.pk, appellant_id=other.pk)
    assert not roles.may_decide_appeal(
        superuser, imposed_by_id=imposer.pk, appellant_id=superuser.pk
    )

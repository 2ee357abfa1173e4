"""No role but a superuser's changes accounts, groups or permissions, on any
page of the admin: what an attacker with a moderator's account would try.

Found in review: django-simple-history's page of one stored version of an
account saved its whole form on POST, so a moderator changed their own
password (which stores a version) and posted that version back with
``is_superuser=on``. Here every page of the user and group models, as the URL
resolver serves them, gets the same escalation POST from every role that is
not a superuser, against the attacker's own account, a superuser and another
staff account; afterwards no account's flags, groups, permissions, e-mail or
password and no group has changed.
"""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import URLResolver, reverse

from audit.models import AuditEntry
from tests.factories import PASSWORD, ModeratorFactory, SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()
NEW_PASSWORD = "a brand new passphrase 2026"


def account_and_group_routes() -> list[str]:
    """Every pattern under the user and group admins, as the resolver holds it."""
    routes = []
    for entry in admin.site.get_urls():
        if isinstance(entry, URLResolver) and str(entry.pattern) in ("auth/user/", "auth/group/"):
            routes += [str(entry.pattern) + str(pattern.pattern) for pattern in entry.url_patterns]
    return routes


def fill(route: str, *, object_id: int, version_id: int) -> str:
    path = route.replace("^", "").replace("$", "")
    path = re.sub(r"<(?:\w+:)?\w+>", str(object_id), path)
    values = iter([str(object_id), str(version_id)])
    path = re.sub(r"\([^)]*\)", lambda _match: next(values), path)
    return "/admin/" + path


def snapshot() -> dict:
    accounts = {
        user.pk: (
            user.username,
            user.email,
            user.password,
            user.is_active,
            user.is_staff,
            user.is_superuser,
            sorted(user.groups.values_list("pk", flat=True)),
            sorted(user.user_permissions.values_list("pk", flat=True)),
        )
        for user in User.objects.all()
    }
    groups = {
        group.pk: (group.name, sorted(group.permissions.values_list("pk", flat=True)))
        for group in Group.objects.all()
    }
    return {"accounts": accounts, "groups": groups}


def escalation(target: User, group: Group) -> dict:
    """Everything a form of these pages could take, set to give power away."""
    return {
        "username": target.username,
        "email": "attacker@example.test",
        "first_name": "Owned",
        "is_active": "",  # unticked: deactivate
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [group.pk],
        "user_permissions": list(Permission.objects.values_list("pk", flat=True)),
        "permissions": list(Permission.objects.values_list("pk", flat=True)),
        "name": "Owned",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "usable_password": "true",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "action": ["delete_accounts", "delete_selected"],
        "_selected_action": [target.pk],
        "index": "0",
        "_save": "Save",
    }


@pytest.fixture
def accounts(db):
    moderator = ModeratorFactory(username="mod")
    return {
        "moderator": moderator,
        "superuser": SuperuserFactory(username="admin"),
        "staff": UserFactory(username="staff", is_staff=True),
        "plain": UserFactory(username="plain"),
    }


def change_own_password(client: Client) -> None:
    response = client.post(
        reverse("admin:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302  # one's own password: any staff may


def test_a_moderator_cannot_make_themselves_superuser_through_a_stored_version(accounts):
    moderator = accounts["moderator"]
    client = Client()
    client.force_login(moderator)
    change_own_password(client)  # that stores a version of their account
    version = moderator.versions.latest("history_date")
    url = reverse("admin:auth_user_simple_history", args=[moderator.pk, version.history_id])
    page = client.get(url)

    response = client.post(url, escalation(moderator, Group.objects.get(name="Moderators")))

    assert page.status_code == 200
    assert 'name="is_superuser"' not in page.text  # shown read-only
    assert response.status_code == 403
    moderator.refresh_from_db()
    assert not moderator.is_superuser
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.ACCOUNT_CHANGED).exists()


@pytest.mark.parametrize("role", ["anonymous", "plain", "staff", "moderator"])
def test_no_page_of_the_user_or_group_admin_lets_anyone_but_a_superuser_escalate(accounts, role):
    group = Group.objects.get(name="Moderators")
    client = Client()
    if role != "anonymous":
        client.force_login(accounts[role])
    targets = [accounts["moderator"], accounts["superuser"], accounts["staff"]]
    for target in targets:
        target.first_name = "Versioned"
        target.save()  # a stored version of each
    before = snapshot()

    for route in account_and_group_routes():
        for target in targets:
            object_id = group.pk if route.startswith("auth/group/") else target.pk
            version = target.versions.latest("history_date").history_id
            url = fill(route, object_id=object_id, version_id=version)
            response = client.post(url, escalation(target, group))
            assert response.status_code < 500, url

    assert snapshot() == before
    assert User.objects.count() == len(accounts)


def test_a_superuser_may_revert_an_account_to_a_stored_version_and_it_is_audited(accounts):
    staff = accounts["staff"]
    staff.first_name = "Before"
    staff.save()
    version = staff.versions.latest("history_date")
    staff.first_name = "After"
    staff.save()
    client = Client()
    client.force_login(accounts["superuser"])
    url = reverse("admin:auth_user_simple_history", args=[staff.pk, version.history_id])

    response = client.post(
        url,
        {
            "username": staff.username,
            "first_name": "Before",
            "email": staff.email,
            "is_active": "on",
            "is_staff": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )

    assert response.status_code == 302
    staff.refresh_from_db()
    assert staff.first_name == "Before"
    assert staff.check_password(PASSWORD)  # a version holds no password: it stays
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ACCOUNT_CHANGED)
    assert (entry.actor, entry.target_user_id) == (accounts["superuser"], staff.pk)

"""admin_ext.admin.users: the user changelist, its counts, filters and permissions."""

from __future__ import annotations

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from unfold.admin import ModelAdmin

from admin_ext.admin import users as users_admin
from audit.models import AuditEntry
from tests.factories import MessageFactory, MessageHistoryFactory, ReplyFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()

CHANGELIST = reverse("admin:auth_user_changelist")


def change_url(user) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


def password_url(user) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk])


def listed_usernames(response) -> set[str]:
    return {user.username for user in response.context["cl"].result_list}


def row_of(response, user):
    return next(row for row in response.context["cl"].result_list if row.pk == user.pk)


# --- changelist and its counts ----------------------------------------------------------


def test_moderator_sees_the_user_changelist(moderator_client, alice, bob):
    response = moderator_client.get(CHANGELIST)

    assert response.status_code == 200
    assert {"alice", "bob", "moderator"} <= listed_usernames(response)
    for header in ("Messages sent", "Unread received", "Edits made", "Joined"):
        assert header in response.text


def test_the_counts_are_per_user_and_do_not_multiply(moderator_client, alice, bob, carol):
    # alice: 3 sent, edited twice by herself and once by bob; 3 unread received, 1 read.
    first = MessageFactory(sender=alice, receiver=bob)
    second = MessageFactory(sender=alice, receiver=carol)
    MessageFactory(sender=alice, receiver=bob)
    MessageHistoryFactory.create_batch(2, message=first)
    MessageHistoryFactory(message=second, edited_by=bob)
    MessageFactory(sender=bob, receiver=alice)
    MessageFactory(sender=carol, receiver=alice)
    MessageFactory(sender=carol, receiver=alice, read=True)
    ReplyFactory(parent_message=first)  # bob answers alice: bob sent 2, alice 3 unread

    response = moderator_client.get(CHANGELIST)

    row = row_of(response, alice)
    assert (row.messages_sent, row.unread_received, row.edits_made) == (3, 3, 2)
    row = row_of(response, bob)
    assert (row.messages_sent, row.unread_received, row.edits_made) == (2, 2, 1)
    row = row_of(response, carol)
    assert (row.messages_sent, row.unread_received, row.edits_made) == (2, 1, 0)


def test_a_page_costs_the_same_number_of_queries_for_10_and_40_users(moderator_client):
    def add_users_with_messages(count: int) -> None:
        for _ in range(count):
            user = UserFactory()
            message = MessageFactory(sender=user)
            MessageHistoryFactory(message=message)
            MessageFactory(receiver=user)

    def queries_for_the_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = moderator_client.get(CHANGELIST)
        assert response.status_code == 200
        return len(captured)

    add_users_with_messages(10)
    small_page = queries_for_the_page()
    add_users_with_messages(30)
    large_page = queries_for_the_page()

    assert User.objects.count() >= 40
    assert large_page == small_page


def test_the_counts_do_not_sort_the_list(moderator_client, alice, bob):
    # Sorting by a count would count every account's rows: 1,000,000 of them.
    MessageFactory.create_batch(3, sender=bob, receiver=alice)

    response = moderator_client.get(CHANGELIST, {"o": "-7"})  # Messages sent, descending

    assert response.status_code == 200
    listed = [user.username for user in response.context["cl"].result_list]
    assert listed == sorted(listed)  # by username, not bob (3 sent) first


def test_a_count_past_what_the_list_counts_reads_plus(moderator_client, alice, bob, monkeypatch):
    monkeypatch.setattr(users_admin, "COUNTS_AT_MOST", 2)
    MessageFactory.create_batch(3, sender=bob, receiver=alice)

    response = moderator_client.get(CHANGELIST, {"q": "bob"})

    assert response.status_code == 200
    assert ">2+<" in "".join(response.text.split())


# --- filters and search -----------------------------------------------------------------


def test_has_unread_filter(moderator_client, alice, bob, carol):
    MessageFactory(sender=alice, receiver=bob)
    MessageFactory(sender=alice, receiver=carol, read=True)

    with_unread = listed_usernames(moderator_client.get(CHANGELIST, {"has_unread": "yes"}))
    without_unread = listed_usernames(moderator_client.get(CHANGELIST, {"has_unread": "no"}))

    assert with_unread == {"bob"}
    assert {"alice", "carol", "moderator"} <= without_unread
    assert "bob" not in without_unread


def test_staff_and_suspended_filters(moderator_client, alice, bob):
    bob.is_active = False
    bob.save()

    staff = listed_usernames(moderator_client.get(CHANGELIST, {"is_staff__exact": "1"}))
    suspended = listed_usernames(moderator_client.get(CHANGELIST, {"suspended": "yes"}))

    assert staff == {"moderator"}
    assert suspended == {"bob"}


def test_joined_date_range_includes_both_days(moderator_client, alice, bob, carol):
    def joined(user, day: int, hour: int) -> None:
        user.date_joined = datetime.datetime(2026, 1, day, hour, tzinfo=datetime.UTC)
        user.save()

    joined(alice, 9, 23)  # before
    joined(bob, 10, 8)  # first day
    joined(carol, 12, 22)  # late on the last day

    response = moderator_client.get(
        CHANGELIST, {"date_joined_from": "2026-01-10", "date_joined_to": "2026-01-12"}
    )

    assert response.status_code == 200
    assert listed_usernames(response) == {"bob", "carol"}


def test_search_by_username_name_and_email(moderator_client, alice, bob):
    bob.last_name = "Marley"
    bob.email = "bob@reggae.example"
    bob.save()

    assert listed_usernames(moderator_client.get(CHANGELIST, {"q": "alice"})) == {"alice"}
    assert listed_usernames(moderator_client.get(CHANGELIST, {"q": "marley"})) == {"bob"}
    assert listed_usernames(moderator_client.get(CHANGELIST, {"q": "reggae"})) == {"bob"}


# --- permissions ------------------------------------------------------------------------


def test_moderator_views_a_user_read_only_without_the_password_hash(moderator_client, alice):
    response = moderator_client.get(change_url(alice))

    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert alice.password not in response.text
    assert 'name="username"' not in response.text  # no editable form


def test_moderator_cannot_change_a_user(moderator_client, alice):
    response = moderator_client.post(
        change_url(alice), {"username": "renamed", "email": "x@example.test"}
    )

    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.username == "alice"


def test_moderator_cannot_reach_the_password_page(moderator_client, alice):
    old_hash = alice.password

    assert moderator_client.get(password_url(alice)).status_code == 403
    response = moderator_client.post(
        password_url(alice), {"password1": "N3w-pass-phrase!", "password2": "N3w-pass-phrase!"}
    )

    assert response.status_code == 403
    alice.refresh_from_db()
    assert alice.password == old_hash


def test_moderator_cannot_add_users(moderator_client):
    assert moderator_client.get(reverse("admin:auth_user_add")).status_code == 403


def test_superuser_can_change_a_user(superuser_client, alice):
    page = superuser_client.get(change_url(alice))
    assert page.status_code == 200
    assert 'name="username"' in page.text

    response = superuser_client.post(
        change_url(alice),
        {
            "username": "alice",
            "first_name": "Alice",
            "last_name": "Liddell",
            "email": "alice@example.test",
            "is_active": "on",
            "date_joined_0": "2026-01-10",
            "date_joined_1": "10:00:00",
        },
    )

    assert response.status_code == 302, (
        getattr(response, "context", None) and response.context["adminform"].form.errors
    )
    alice.refresh_from_db()
    assert alice.get_full_name() == "Alice Liddell"
    # One audit entry, naming the fields changed but not their values.
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ACCOUNT_CHANGED)
    assert (entry.actor_username, entry.target_user_id, entry.target_username) == (
        "root",
        alice.pk,
        "alice",
    )
    assert entry.details["operation"] == "changed"
    assert "First name" in str(entry.details["change"])
    assert "Liddell" not in str(entry.details)


def test_superuser_can_set_a_password(superuser_client, alice):
    assert superuser_client.get(password_url(alice)).status_code == 200

    response = superuser_client.post(
        password_url(alice),
        {"password1": "N3w-pass-phrase!", "password2": "N3w-pass-phrase!"},
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("N3w-pass-phrase!")
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ACCOUNT_CHANGED)
    assert (entry.target_username, entry.details["operation"]) == ("alice", "changed")
    assert "N3w" not in str(entry.details)


def test_superuser_can_disable_password_login_and_it_is_audited(superuser_client, alice):
    response = superuser_client.post(
        password_url(alice), {"usable_password": "false", "unset-password": "1"}
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert not alice.has_usable_password()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ACCOUNT_CHANGED)
    assert (entry.target_username, entry.details["operation"]) == ("alice", "changed")


def test_a_refused_password_changes_nothing_and_writes_no_entry(superuser_client, alice):
    old_hash = alice.password

    response = superuser_client.post(
        password_url(alice), {"password1": "N3w-pass-phrase!", "password2": "different"}
    )

    assert response.status_code == 200  # Django's page with the form's error
    assert response.context["form"].errors
    alice.refresh_from_db()
    assert alice.password == old_hash
    assert not AuditEntry.objects.exists()


def test_superusers_change_of_groups_and_permissions_is_saved_and_audited_once(
    superuser_client, alice
):
    moderators = Group.objects.get(name="Moderators")
    permission = moderators.permissions.order_by("pk").first()

    response = superuser_client.post(
        change_url(alice),
        {
            "username": "alice",
            "is_active": "on",
            "groups": [moderators.pk],
            "user_permissions": [permission.pk],
            "date_joined_0": "2026-01-10",
            "date_joined_1": "10:00:00",
        },
    )

    assert response.status_code == 302
    assert list(alice.groups.all()) == [moderators]
    assert list(alice.user_permissions.all()) == [permission]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ACCOUNT_CHANGED)
    assert "Groups" in str(entry.details["change"])
    assert "User permissions" in str(entry.details["change"])


# --- actions ----------------------------------------------------------------------------


def test_delete_selected_is_not_offered_but_delete_accounts_is(moderator_client):
    response = moderator_client.get(CHANGELIST)

    choices = dict(response.context["action_form"].fields["action"].choices)
    assert "delete_selected" not in choices
    assert choices["delete_accounts"] == "Delete accounts and all their data"


def test_a_forged_delete_selected_post_deletes_nothing(moderator_client, alice):
    response = moderator_client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [alice.pk], "index": "0", "post": "yes"},
    )

    assert response.status_code == 403  # not an action of the role policy
    assert User.objects.filter(pk=alice.pk).exists()


def test_the_read_only_user_page_offers_the_delete_account_button(moderator_client, alice):
    response = moderator_client.get(change_url(alice))

    assert reverse("admin:auth_user_delete_account_detail", args=[alice.pk]) in response.text
    assert "Delete account" in response.text


# --- groups -----------------------------------------------------------------------------


def test_groups_use_unfolds_admin(superuser_client):
    assert isinstance(admin.site._registry[Group], ModelAdmin)
    response = superuser_client.get(reverse("admin:auth_group_changelist"))
    assert response.status_code == 200
    assert "Moderators" in response.text


def test_moderator_sees_the_change_history_of_a_user(moderator_client, alice):
    alice.first_name = "Alice"
    alice.save()

    response = moderator_client.get(reverse("admin:auth_user_history", args=[alice.pk]))

    assert isinstance(admin.site._registry[User], ModelAdmin)
    assert response.status_code == 200


def test_adding_changing_and_deleting_a_group_is_audited(superuser_client):
    superuser_client.post(reverse("admin:auth_group_add"), {"name": "Trainees"})
    group = Group.objects.get(name="Trainees")
    superuser_client.post(reverse("admin:auth_group_delete", args=[group.pk]), {"post": "yes"})

    entries = AuditEntry.objects.filter(action=AuditEntry.Action.GROUP_CHANGED).order_by("id")
    assert [(entry.details["operation"], entry.details["object"]) for entry in entries] == [
        ("added", "Trainees"),
        ("deleted", "Trainees"),
    ]
    assert not Group.objects.filter(name="Trainees").exists()


def test_changing_a_groups_permissions_is_audited_by_field_name(superuser_client):
    group = Group.objects.create(name="Trainees")
    permission = Group.objects.get(name="Moderators").permissions.order_by("pk").first()

    response = superuser_client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "Trainees", "permissions": [permission.pk]},
    )

    assert response.status_code == 302
    assert list(group.permissions.all()) == [permission]
    entry = AuditEntry.objects.get(action=AuditEntry.Action.GROUP_CHANGED)
    assert (entry.details["operation"], entry.details["object"]) == ("changed", "Trainees")
    assert "Permissions" in str(entry.details["change"])


def test_deleting_selected_groups_audits_each(superuser_client):
    groups = [Group.objects.create(name=name) for name in ("Juniors", "Trainees")]

    response = superuser_client.post(
        reverse("admin:auth_group_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [group.pk for group in groups],
            "index": "0",
            "post": "yes",
        },
    )

    assert response.status_code == 302
    assert not Group.objects.filter(pk__in=[group.pk for group in groups]).exists()
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.GROUP_CHANGED)
    assert sorted(entry.details["object"] for entry in entries) == ["Juniors", "Trainees"]
    assert {entry.details["operation"] for entry in entries} == {"deleted"}

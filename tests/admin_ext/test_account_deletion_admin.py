"""Deleting accounts from the admin (admin_ext.admin.actions): preview, confirmation,
refusals, permissions, and the cost of the preview page."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from admin_ext.admin.account_deletion import CONFIRMATION_TEMPLATE, MAX_ACCOUNTS_PER_REQUEST
from audit.models import AuditEntry
from messaging import services
from messaging.models import Message
from messaging.services import PREVIEW_COUNT_AT_MOST
from messaging.services.account_deletion_preview import preview_account_deletions
from tests.factories import (
    MessageFactory,
    ModeratorFactory,
    ReplyFactory,
    UserFactory,
    bulk_messages,
)

pytestmark = pytest.mark.django_db
User = get_user_model()

CHANGELIST = reverse("admin:auth_user_changelist")
PREVIEW_TEMPLATE = CONFIRMATION_TEMPLATE
SECRET = "zeno-private-words"


def detail_action_url(user) -> str:
    return reverse("admin:auth_user_delete_account_detail", args=[user.pk])


def delete_url(user) -> str:
    return reverse("admin:auth_user_delete", args=[user.pk])


def action_post(*users) -> dict:
    """What the changelist's action form sends."""
    return {
        "action": "delete_accounts",
        "_selected_action": [user.pk for user in users],
        "index": "0",
    }


def confirm_post(*users, reason: str = "harassment") -> dict:
    """What the preview page's form sends."""
    return {
        "action": "delete_accounts",
        "_selected_action": [user.pk for user in users],
        "post": "yes",
        "reason": reason,
    }


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def still_there(*users) -> bool:
    return User.objects.filter(pk__in=[user.pk for user in users]).count() == len(users)


@pytest.fixture
def zeno(bob):
    """An account with every kind of data, its words marked with SECRET."""
    zeno = UserFactory(username="zeno")
    answered = MessageFactory(sender=zeno, receiver=bob, content=f"{SECRET} 1")
    ReplyFactory(parent_message=answered, content="bob answers")  # tombstone
    MessageFactory(sender=zeno, receiver=bob, content=f"{SECRET} 2")
    MessageFactory(sender=bob, receiver=zeno, content="stop it")  # received, kept
    services.edit_message(answered, editor=zeno, content=f"{SECRET} 1, edited")
    return zeno


# --- preview ----------------------------------------------------------------------------


def test_the_first_action_post_shows_the_counts_and_deletes_nothing(moderator_client, zeno, alice):
    expected = preview_account_deletions([zeno])[zeno.pk]

    response = moderator_client.post(CHANGELIST, action_post(zeno, alice))

    assert response.status_code == 200
    assert PREVIEW_TEMPLATE in [template.name for template in response.templates]
    rows = {row.subject.user.username: row for row in response.context["preview"].shown_rows}
    assert set(rows) == {"zeno", "alice"}
    assert rows["zeno"].counts == [
        expected.messages_deleted,
        expected.messages_tombstoned,
        expected.empty_tombstones_removed,
        expected.notifications_deleted,
        expected.history_rows_deleted,
        expected.versions_deleted,
        expected.received_messages_kept,
    ]
    assert (expected.messages_deleted, expected.messages_tombstoned) == (1, 1)
    assert "Kept as tombstones" in response.text
    assert 'name="post" value="yes"' in response.text
    assert 'name="csrfmiddlewaretoken"' in response.text
    assert still_there(zeno, alice)
    assert not AuditEntry.objects.exists()


def test_the_preview_lists_no_object(moderator_client, zeno):
    response = moderator_client.post(CHANGELIST, action_post(zeno))

    assert SECRET not in response.text
    assert "stop it" not in response.text
    assert "bob answers" not in response.text
    assert "Message #" not in response.text  # no str() of any related row


def test_confirming_with_a_reason_deletes_and_audits_each_account(
    moderator_client, moderator, zeno, alice
):
    expected = preview_account_deletions([zeno])[zeno.pk]

    response = moderator_client.post(CHANGELIST, confirm_post(zeno, alice, reason="spam wave"))

    assert response.status_code == 302
    assert response.url == CHANGELIST
    assert not User.objects.filter(pk__in=[zeno.pk, alice.pk]).exists()
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.ACCOUNT_DELETED)
    assert {entry.target_username for entry in entries} == {"zeno", "alice"}
    assert {(entry.actor, entry.reason) for entry in entries} == {(moderator, "spam wave")}
    zenos_entry = entries.get(target_username="zeno")
    assert {key: zenos_entry.details[key] for key in expected.as_dict()} == expected.as_dict()
    assert "Deleted 2 accounts and all their data: alice, zeno." in message_texts(response)
    assert not Message.objects.filter(content__startswith=SECRET).exists()


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_a_missing_reason_shows_the_page_again_and_deletes_nothing(moderator_client, zeno, reason):
    response = moderator_client.post(CHANGELIST, confirm_post(zeno, reason=reason))

    assert response.status_code == 200
    assert PREVIEW_TEMPLATE in [template.name for template in response.templates]
    assert "Give a reason: it is kept in the audit log." in response.text
    assert still_there(zeno)
    assert not AuditEntry.objects.exists()


# --- who may delete whom ----------------------------------------------------------------


def test_a_moderator_is_refused_self_superusers_and_staff_but_the_others_go(
    moderator_client, moderator, superuser, alice, bob
):
    other_moderator = ModeratorFactory(username="other-moderator")

    preview = moderator_client.post(
        CHANGELIST, action_post(moderator, superuser, other_moderator, alice, bob)
    )
    refusals = {
        row.subject.user.username: row.refusal for row in preview.context["preview"].shown_rows
    }
    response = moderator_client.post(
        CHANGELIST, confirm_post(moderator, superuser, other_moderator, alice, bob)
    )

    assert refusals == {
        "moderator": "you cannot delete your own account here",
        "root": "only a superuser can delete a superuser account",
        "other-moderator": "only a superuser can delete a staff account",
        "alice": None,
        "bob": None,
    }
    assert response.status_code == 302
    assert still_there(moderator, superuser, other_moderator)
    assert not User.objects.filter(pk__in=[alice.pk, bob.pk]).exists()
    texts = message_texts(response)
    assert "Deleted 2 accounts and all their data: alice, bob." in texts
    refused = next(text for text in texts if text.startswith("Not deleted:"))
    for part in (
        "moderator (you cannot delete your own account here)",
        "root (only a superuser can delete a superuser account)",
        "other-moderator (only a superuser can delete a staff account)",
    ):
        assert part in refused
    assert AuditEntry.objects.count() == 2


def test_a_superuser_may_delete_staff_but_not_themselves(client, superuser, moderator):
    client.force_login(superuser)

    response = client.post(CHANGELIST, confirm_post(moderator, superuser, reason="left the team"))

    assert response.status_code == 302
    assert not User.objects.filter(pk=moderator.pk).exists()
    assert still_there(superuser)
    assert AuditEntry.objects.get().target_username == "moderator"


def test_only_refused_accounts_offer_no_confirm_button(moderator_client, moderator, superuser):
    response = moderator_client.post(CHANGELIST, action_post(moderator, superuser))

    assert response.context["deletable_count"] == 0
    assert "None of the selected accounts can be deleted by you." in response.text
    assert 'name="reason"' not in response.text


# --- the change page's button and Django's delete URL -----------------------------------


def test_the_detail_button_only_shows_the_preview(moderator_client, zeno):
    response = moderator_client.get(detail_action_url(zeno))

    assert response.status_code == 200
    assert PREVIEW_TEMPLATE in [template.name for template in response.templates]
    assert [row.subject.user for row in response.context["preview"].shown_rows] == [zeno]
    assert f'action="{CHANGELIST}"' in response.text
    assert still_there(zeno)


def test_a_post_to_the_detail_button_url_deletes_nothing(moderator_client, zeno):
    response = moderator_client.post(detail_action_url(zeno), confirm_post(zeno))

    assert response.status_code == 200
    assert still_there(zeno)


def test_the_preview_from_the_detail_button_confirms_through_the_changelist(moderator_client, zeno):
    page = moderator_client.get(detail_action_url(zeno)).text
    form_action = re.search(r'<form method="post" action="([^"]+)"', page).group(1)
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))

    response = moderator_client.post(form_action, {**hidden, "reason": "threats"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=zeno.pk).exists()
    assert AuditEntry.objects.get().reason == "threats"


def test_djangos_delete_url_shows_our_preview_not_the_stock_page(moderator_client, zeno):
    response = moderator_client.get(delete_url(zeno))

    assert response.status_code == 200
    names = [template.name for template in response.templates]
    assert PREVIEW_TEMPLATE in names
    assert "admin/delete_confirmation.html" not in names
    assert SECRET not in response.text


def test_a_post_to_djangos_delete_url_deletes_nothing(moderator_client, zeno):
    response = moderator_client.post(delete_url(zeno), {"post": "yes"})

    assert response.status_code == 200
    assert still_there(zeno)


# --- permissions and CSRF ---------------------------------------------------------------


@pytest.fixture
def viewer_client(client):
    """Staff who may view users but not delete them."""
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="auth", codename="view_user")
    )
    client.force_login(viewer)
    return client


def test_staff_with_a_hand_granted_view_permission_still_see_no_user_list(viewer_client):
    # The role (staff without the Moderators group) caps what a permission given
    # to the account by hand would open.
    response = viewer_client.get(CHANGELIST)

    assert response.status_code == 403


@pytest.mark.parametrize("data", [action_post, confirm_post], ids=["preview", "confirm"])
def test_staff_without_delete_permission_get_403_even_with_a_forged_post(
    viewer_client, alice, data
):
    response = viewer_client.post(CHANGELIST, data(alice))

    assert response.status_code == 403
    assert still_there(alice)
    assert not AuditEntry.objects.exists()


def test_staff_without_delete_permission_get_403_on_the_preview_pages(viewer_client, alice):
    assert viewer_client.get(detail_action_url(alice)).status_code == 403
    assert viewer_client.get(delete_url(alice)).status_code == 403
    assert viewer_client.post(delete_url(alice), {"post": "yes"}).status_code == 403
    assert still_there(alice)


def test_anonymous_visitors_are_sent_to_the_login_page(client, alice):
    for response in (
        client.get(detail_action_url(alice)),
        client.get(delete_url(alice)),
        client.post(CHANGELIST, confirm_post(alice)),
    ):
        assert response.status_code == 302
        assert reverse("admin:login") in response.url
    assert still_there(alice)


def test_the_confirmation_needs_a_csrf_token(moderator, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(moderator)

    response = client.post(CHANGELIST, confirm_post(alice))

    assert response.status_code == 403
    assert still_there(alice)


# --- races and limits -------------------------------------------------------------------


def test_an_account_deleted_meanwhile_is_reported_not_a_500(moderator_client, zeno, alice):
    zeno_id = zeno.pk
    services.delete_account(zeno, reason="deleted by someone else")

    response = moderator_client.post(CHANGELIST, confirm_post(zeno, alice))

    assert response.status_code == 302
    assert not User.objects.filter(pk=alice.pk).exists()
    assert "Already deleted: zeno." in message_texts(response)
    assert AuditEntry.objects.filter(target_user_id=zeno_id).count() == 1


def test_the_detail_page_of_an_account_deleted_meanwhile_redirects(moderator_client, zeno):
    url = detail_action_url(zeno)
    services.delete_account(zeno)

    response = moderator_client.get(url)

    assert response.status_code == 302
    assert any("does not exist" in text for text in message_texts(response))


def test_an_account_deleted_between_preview_and_confirm_by_a_race(
    moderator_client, alice, monkeypatch
):
    def already_gone(user, **kwargs):
        raise services.AccountAlreadyDeleted(f"Account {user.pk} no longer exists.")

    monkeypatch.setattr("messaging.services.accounts.delete_account", already_gone)

    response = moderator_client.post(CHANGELIST, confirm_post(alice))

    assert response.status_code == 302
    assert f"Already deleted: #{alice.pk}." in message_texts(response)


def test_selecting_more_accounts_than_the_limit_deletes_nothing(moderator_client):
    User.objects.bulk_create(User(username=f"bulk{i}") for i in range(MAX_ACCOUNTS_PER_REQUEST + 1))

    response = moderator_client.post(
        CHANGELIST,
        {
            "action": "delete_accounts",
            "index": "0",
            "select_across": "1",
            "_selected_action": [User.objects.first().pk],
        },
    )

    assert response.status_code == 302
    assert any("Select at most 5,000 accounts" in text for text in message_texts(response))
    assert User.objects.filter(username__startswith="bulk").count() == MAX_ACCOUNTS_PER_REQUEST + 1


def big_account(alice, bob, *, messages: int) -> None:
    """``messages`` of alice's to bob, a tenth of them answered by bob."""
    roots = bulk_messages(
        [
            {"sender": alice, "receiver": bob, "content": f"{SECRET} {i} " + "x" * 200}
            for i in range(messages)
        ]
    )
    bulk_messages(
        [
            {
                "sender": bob,
                "receiver": alice,
                "content": f"answer {i}",
                "parent_message": root,
                "thread_id": root.pk,
                "depth": 1,
            }
            for i, root in enumerate(roots[::10])
        ]
    )


def test_the_preview_of_a_900_message_account_is_exact_cheap_and_small(
    moderator_client, alice, bob, django_assert_max_num_queries
):
    big_account(alice, bob, messages=900)

    with django_assert_max_num_queries(25):
        response = moderator_client.post(CHANGELIST, action_post(alice))

    assert response.status_code == 200
    assert len(response.content) < 100_000
    row = response.context["preview"].shown_rows[0]
    assert row.counts[:2] == [810, 90]  # deleted, kept as tombstones
    assert SECRET not in response.text


def test_the_preview_of_a_larger_account_stops_counting_and_says_so(
    moderator_client, alice, bob, django_assert_max_num_queries
):
    big_account(alice, bob, messages=PREVIEW_COUNT_AT_MOST + 200)

    with django_assert_max_num_queries(25):
        response = moderator_client.post(CHANGELIST, action_post(alice))

    assert response.status_code == 200
    row = response.context["preview"].shown_rows[0]
    assert [str(count) for count in row.counts[:3]] == ["1,000+", "None", "None"]
    assert [str(count) for count in row.counts[3:]] == ["0", "0", "0", "120"]
    assert response.text.count("counted when deleted") == 2

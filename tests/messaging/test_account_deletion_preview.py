"""messaging.services.account_deletion_preview: the counts delete_account reports."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from messaging import services
from messaging.models import Message, MessageHistory, Notification
from messaging.services.account_deletion_preview import (
    AccountDeletionPreview,
    preview_account_deletions,
)
from tests.factories import MessageFactory, NotificationFactory, ReplyFactory, UserFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def counts_of(summary: services.AccountDeletionSummary) -> dict[str, int]:
    return {
        key: value for key, value in summary.as_dict().items() if key not in {"user_id", "username"}
    }


def give_varied_data(user, *, partner, moderator) -> None:
    """Every kind of row a deletion counts: tombstones, plain deletions, received
    messages, edits by the author and by a moderator, notifications both ways."""
    answered = MessageFactory(sender=user, receiver=partner, content=f"{user} root")
    ReplyFactory(parent_message=answered)  # keeps ``answered`` as a tombstone
    chain_top = MessageFactory(sender=user, receiver=partner, parent_message=answered)
    ReplyFactory(parent_message=chain_top)  # a second tombstone, deeper
    MessageFactory(sender=user, receiver=partner)  # goes entirely
    MessageFactory(sender=partner, receiver=user)  # received: stays
    services.edit_message(answered, editor=user, content=f"{user} root, edited")
    services.edit_message(chain_top, editor=moderator, content="moderated")
    # A notification of the user about their own message: counted once, not twice.
    NotificationFactory(user=user, message=answered)


def test_preview_of_a_conversation_equals_the_deletion_summary(conversation, alice, bob):
    MessageFactory(sender=bob, receiver=alice)

    preview = preview_account_deletions([alice])[alice.pk]
    summary = services.delete_account(alice)

    assert preview.as_dict() == counts_of(summary)
    assert preview.messages_tombstoned == 1
    assert preview.received_messages_kept == 2


def test_preview_of_varied_data_equals_the_deletion_summary(alice, bob, moderator):
    give_varied_data(alice, partner=bob, moderator=moderator)

    preview = preview_account_deletions([alice])[alice.pk]
    summary = services.delete_account(alice, actor=moderator, reason="spam")

    assert preview.as_dict() == counts_of(summary)
    assert preview.messages_tombstoned == 2
    assert preview.history_rows_deleted == 2
    assert preview.notifications_deleted > 0
    assert preview.versions_deleted > 0


def test_preview_counts_tombstones_left_guarding_nothing(conversation, alice, bob):
    services.delete_account(alice)  # alice's root becomes a tombstone over bob's answer

    preview = preview_account_deletions([bob])[bob.pk]
    summary = services.delete_account(bob)

    assert preview.empty_tombstones_removed == 1
    assert preview.as_dict() == counts_of(summary)


def test_preview_of_an_account_with_nothing_is_all_zeros(db):
    loner = UserFactory()

    preview = preview_account_deletions([loner])[loner.pk]

    assert set(preview.as_dict().values()) == {0}
    assert preview.as_dict() == counts_of(services.delete_account(loner))


def test_preview_writes_nothing(conversation, alice):
    before = (Message.objects.count(), Notification.objects.count(), User.objects.count())

    preview_account_deletions([alice])

    after = (Message.objects.count(), Notification.objects.count(), User.objects.count())
    assert before == after
    assert not Message.objects.filter(is_tombstone=True).exists()


def test_preview_of_nobody_is_empty_and_free(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert preview_account_deletions([]) == {}


def test_preview_of_five_users_takes_at_most_six_queries_plus_one_per_user(
    moderator, django_assert_max_num_queries
):
    # Budget: six grouped COUNT queries for all users together, plus one
    # plan_threads query per user who sent messages: 6 + 5 = 11.
    users = [UserFactory() for _ in range(5)]
    partners = [UserFactory() for _ in range(5)]
    for user, partner in zip(users, partners, strict=True):
        give_varied_data(user, partner=partner, moderator=moderator)
    for _ in range(20):  # more rows must not mean more queries
        MessageFactory(sender=users[0], receiver=partners[0])

    with django_assert_max_num_queries(6 + len(users)):
        previews = preview_account_deletions(users)

    assert set(previews) == {user.pk for user in users}
    assert all(isinstance(preview, AccountDeletionPreview) for preview in previews.values())
    # Accounts that never wrote to each other: each summary matches its preview.
    for user in users:
        assert previews[user.pk].as_dict() == counts_of(services.delete_account(user))


def test_preview_counts_do_not_depend_on_the_size_of_the_account(
    alice, bob, django_assert_max_num_queries
):
    root = MessageFactory(sender=alice, receiver=bob)
    for _ in range(30):
        ReplyFactory(parent_message=root)
    MessageHistory.objects.create(
        message=root, old_content="old", edited_at=root.timestamp, edited_by=alice
    )

    with django_assert_max_num_queries(7):
        preview = preview_account_deletions([alice])[alice.pk]

    assert preview.as_dict() == counts_of(services.delete_account(alice))

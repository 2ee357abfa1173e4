from datetime import timedelta

import pytest
from django.db import models

from messaging.managers import INBOX_FIELDS, walk_thread
from messaging.models import Message, MessageHistory
from tests.factories import MessageFactory, ReplyFactory, UserFactory, bushy_thread, reply_chain

pytestmark = pytest.mark.django_db


# --- Message.unread ---------------------------------------------------------------


def test_unread_for_user_returns_only_the_users_unread_received_messages(alice, bob, carol):
    wanted = [
        MessageFactory(sender=bob, receiver=alice, read=False),
        MessageFactory(sender=carol, receiver=alice, read=False),
    ]
    MessageFactory(sender=bob, receiver=alice, read=True)  # read
    MessageFactory(sender=alice, receiver=bob, read=False)  # sent, not received
    MessageFactory(sender=bob, receiver=carol, read=False)  # someone else's

    assert set(Message.unread.unread_for_user(alice)) == set(wanted)


def test_unread_for_user_is_newest_first(alice, bob):
    older = MessageFactory(sender=bob, receiver=alice)
    newer = MessageFactory(sender=bob, receiver=alice)
    Message.objects.filter(pk=older.pk).update(timestamp=newer.timestamp - timedelta(hours=1))

    assert list(Message.unread.unread_for_user(alice)) == [newer, older]


def test_unread_for_user_loads_only_inbox_columns_and_the_sender(alice, bob):
    MessageFactory(sender=bob, receiver=alice)

    message = Message.unread.unread_for_user(alice).get()

    assert message.get_deferred_fields() == {
        field.attname
        for field in Message._meta.concrete_fields
        if field.attname
        not in {
            "id",
            "content",
            "timestamp",
            "read",
            "thread_id",
            "parent_message_id",
            "receiver_id",
            "sender_id",
            "is_hidden",
        }
    }
    assert "sender__username" in INBOX_FIELDS
    assert Message.sender.is_cached(message)


def test_unread_for_user_costs_one_query_whatever_the_number_of_rows(
    alice, django_assert_num_queries
):
    senders = UserFactory.create_batch(5)
    for index in range(50):
        MessageFactory(sender=senders[index % 5], receiver=alice)

    with django_assert_num_queries(1):
        rows = [
            (m.sender.username, m.content, m.timestamp)
            for m in Message.unread.unread_for_user(alice)
        ]

    assert len(rows) == 50


def test_unread_manager_lazy_loads_nothing_per_row(alice, bob):
    MessageFactory.create_batch(3, sender=bob, receiver=alice)

    # Django 6.1 FETCH_RAISE mode turns any lazy load into an error.
    for message in Message.unread.unread_for_user(alice).fetch_mode(models.FETCH_RAISE):
        assert message.sender.username == "bob"


# --- Message.objects.thread_tree ----------------------------------------------------


def test_thread_tree_returns_the_root_with_children_oldest_first(conversation, alice, bob):
    root, answer, follow_up = conversation
    second_answer = ReplyFactory(parent_message=root)

    tree = Message.objects.thread_tree(follow_up)

    assert tree == root
    assert tree.children == [answer, second_answer]
    assert tree.children[0].children == [follow_up]
    assert [tree.depth, answer.depth, follow_up.depth] == [0, 1, 2]
    assert tree.children[0].children[0].depth == 2


def test_thread_tree_accepts_a_message_id(conversation):
    root, _answer, follow_up = conversation

    assert Message.objects.thread_tree(follow_up.pk) == root


def test_thread_tree_holds_only_its_own_thread(conversation, alice, bob):
    root, *_ = conversation
    MessageFactory(sender=alice, receiver=bob)  # another thread between the same people

    nodes = list(walk_thread(Message.objects.thread_tree(root)))

    assert {node.thread_id for node in nodes} == {root.pk}
    assert len(nodes) == 3


def test_thread_tree_of_a_200_deep_chain_costs_at_most_two_queries(
    alice, bob, django_assert_max_num_queries
):
    chain = reply_chain(MessageFactory(sender=alice, receiver=bob), length=199)
    deepest = chain[-1]

    with django_assert_max_num_queries(2):
        root = Message.objects.thread_tree(deepest.pk)
        nodes = list(walk_thread(root))
        shown = [(n.sender.username, n.receiver.username, n.depth, n.parent_message) for n in nodes]

    assert len(shown) == 200
    assert [depth for _s, _r, depth, _p in shown] == list(range(200))


def test_thread_tree_of_a_1000_message_bushy_tree_costs_at_most_two_queries(
    alice, bob, django_assert_max_num_queries
):
    nodes = bushy_thread(MessageFactory(sender=alice, receiver=bob), size=1000, fanout=4)

    with django_assert_max_num_queries(2):
        root = Message.objects.thread_tree(nodes[500].pk)
        walked = list(walk_thread(root))
        names = {(n.sender.username, n.receiver.username) for n in walked}

    assert len(walked) == 1000
    assert names == {("alice", "bob"), ("bob", "alice")}
    # Reading order: every node comes right after its parent or a sibling's subtree.
    position = {node.pk: index for index, node in enumerate(walked)}
    assert all(position[n.parent_message_id] < position[n.pk] for n in walked[1:])
    assert all(
        n.depth == (0 if n.parent_message_id is None else n.parent_message.depth + 1)
        for n in walked
    )


def test_walk_thread_yields_depth_first_in_reading_order(conversation):
    root, answer, follow_up = conversation
    second_answer = ReplyFactory(parent_message=root)

    walked = list(walk_thread(Message.objects.thread_tree(root)))

    assert walked == [root, answer, follow_up, second_answer]


# --- other reads --------------------------------------------------------------------


def test_conversations_of_lists_each_thread_once_latest_activity_first(conversation, alice, carol):
    root, *_ = conversation
    newer = MessageFactory(sender=carol, receiver=alice)
    MessageFactory(sender=carol, receiver=UserFactory())  # alice is not part of it

    rows = list(Message.objects.conversations_of(alice))

    assert [row["thread_id"] for row in rows] == [newer.pk, root.pk]
    assert rows[1]["message_count"] == 3


def test_participant_ids_by_thread(conversation, alice, bob, carol):
    root, *_ = conversation
    other = MessageFactory(sender=carol, receiver=alice)

    assert Message.objects.participant_ids_by_thread([root.pk, other.pk]) == {
        root.pk: {alice.pk, bob.pk},
        other.pk: {alice.pk, carol.pk},
    }


# --- search (the admin's search box) ----------------------------------------------------


@pytest.fixture
def searchable(alice, bob, carol):
    return {
        "tickets": MessageFactory(sender=alice, receiver=bob, content="Concert TICKETS tonight"),
        "to_carol": MessageFactory(sender=bob, receiver=carol, content="lunch?"),
        "from_carol": MessageFactory(sender=carol, receiver=alice, content="see you at lunch"),
    }


def test_search_finds_content_case_insensitively(searchable):
    assert list(Message.objects.search("tickets")) == [searchable["tickets"]]


def test_search_finds_the_senders_and_receivers_username(searchable):
    assert set(Message.objects.search("caro")) == {searchable["to_carol"], searchable["from_carol"]}


def test_search_needs_every_word(searchable):
    # "lunch" is in two messages; only one of them also involves alice.
    assert list(Message.objects.search("lunch alice")) == [searchable["from_carol"]]


def test_search_takes_a_quoted_phrase_as_one_word(searchable):
    assert list(Message.objects.search('"see you"')) == [searchable["from_carol"]]


def test_search_with_more_matching_users_than_inlined_gives_the_same_rows(searchable, monkeypatch):
    expected = set(Message.objects.search("o"))
    monkeypatch.setattr("messaging.managers.USER_MATCHES_INLINED", 1)

    assert set(Message.objects.search("o")) == expected
    assert len(expected) == 3


def test_each_edit_shows_the_text_it_left_even_when_read_alone(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="one")
    for text in ("two", "three"):
        message.content = text
        message.save()
    first, second = MessageHistory.objects.order_by("edited_at", "id")

    after = dict(
        MessageHistory.objects.with_text_after_edit().values_list("pk", "content_after_edit")
    )
    (alone,) = MessageHistory.objects.filter(pk=first.pk).with_text_after_edit()

    assert (first.old_content, second.old_content) == ("one", "two")
    assert after == {first.pk: "two", second.pk: "three"}  # the newest: the current text
    assert alone.content_after_edit == "two"  # not the message's current text

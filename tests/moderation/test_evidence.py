"""moderation.evidence: the snapshot format, read back with names resolved."""

from __future__ import annotations

import pytest

from messaging import services as messaging_services
from moderation import evidence, services
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db


def test_snapshots_are_read_with_names_resolved_in_one_query(
    alice, bob, carol, django_assert_num_queries
):
    messages = [MessageFactory(sender=alice, receiver=receiver) for receiver in (bob, carol)]
    snapshots = [
        services.report_message(reporter=message.receiver, message=message, reason="spam").evidence
        for message in messages
    ]

    with django_assert_num_queries(1):
        read = evidence.read_snapshots(snapshots)

    assert [(m.sender, m.receiver) for item in read for m in item.messages] == [
        ("alice", "bob"),
        ("alice", "carol"),
    ]


def test_a_deleted_account_reads_as_deleted_account(alice, bob, moderator):
    message = MessageFactory(sender=bob, receiver=alice, content="hi")
    messaging_services.edit_message(message, editor=bob, content="hi!")
    reply = MessageFactory(sender=alice, receiver=bob, parent_message=message)
    snapshot = services.report_message(reporter=bob, message=reply, reason="spam").evidence

    messaging_services.delete_account(bob, actor=moderator, reason="r")
    parent, reported = evidence.read_snapshots([snapshot])[0].messages

    assert (parent.sender, parent.edits[0].edited_by, reported.receiver) == (
        "deleted account",
        "deleted account",
        "deleted account",
    )
    assert reported.sender == "alice"


@pytest.mark.parametrize(
    "snapshot",
    [
        None,
        [],
        "text",
        {"message": "text"},
        {"message": {"sender_id": [1], "edits": "x"}},
        {"replies": {"a": 1}, "taken_at": 5},
    ],
)
def test_a_malformed_snapshot_reads_as_what_it_holds_without_error(snapshot):
    read = evidence.read_snapshots([snapshot])

    assert len(read) == 1
    assert all(message.sender == "deleted account" for message in read[0].messages)


def test_removing_words_keeps_the_reported_persons_messages(alice, bob):
    parent = MessageFactory(sender=bob, receiver=alice, content="bob asks")
    reply = MessageFactory(sender=alice, receiver=bob, parent_message=parent, content="alice says")
    snapshot = services.report_message(reporter=bob, message=reply, reason="spam").evidence

    emptied, removed = evidence.remove_words(snapshot, keep_sender_id=alice.pk)

    assert removed == 1
    assert (emptied["parent"]["content"], emptied["parent"]["is_removed"]) == ("", True)
    assert emptied["message"]["content"] == "alice says"

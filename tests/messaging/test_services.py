"""send_message, reply, edit_message, mark_read and friends: rules and bad input."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEntry
from messaging import services
from messaging.models import MAX_CONTENT_LENGTH, Message, MessageHistory, Notification
from tests.factories import MessageFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- send_message -----------------------------------------------------------------


def test_send_message_starts_a_thread_of_its_own(alice, bob):
    message = services.send_message(sender=alice, receiver=bob, content="Hello")

    message.refresh_from_db()
    assert (message.sender, message.receiver, message.content) == (alice, bob, "Hello")
    assert message.thread_id == message.pk
    assert message.depth == 0
    assert message.read is False


def test_send_message_keeps_content_exactly_as_typed(alice, bob):
    content = "\t=SUM(A1)  \n  trailing spaces  "

    message = services.send_message(sender=alice, receiver=bob, content=content)

    assert Message.objects.get(pk=message.pk).content == content


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("", "cannot be empty"),
        ("   \n\t ", "cannot be empty"),
        ("x" * (MAX_CONTENT_LENGTH + 1), f"at most {MAX_CONTENT_LENGTH:,}"),
        ("nul \x00 byte", "Null characters are not allowed"),
    ],
    ids=["empty", "whitespace", "too-long", "nul"],
)
def test_send_message_refuses_bad_content_and_writes_nothing(alice, bob, content, error):
    with pytest.raises(ValidationError) as raised:
        services.send_message(sender=alice, receiver=bob, content=content)

    assert error.replace(",", "") in " ".join(raised.value.messages).replace(",", "")
    assert not Message.objects.exists()
    assert not Notification.objects.exists()


def test_send_message_accepts_content_of_exactly_the_limit(alice, bob):
    message = services.send_message(sender=alice, receiver=bob, content="y" * MAX_CONTENT_LENGTH)

    assert len(Message.objects.get(pk=message.pk).content) == MAX_CONTENT_LENGTH


def test_send_message_to_yourself_is_refused(alice):
    with pytest.raises(ValidationError, match="yourself"):
        services.send_message(sender=alice, receiver=alice, content="note to self")

    assert not Message.objects.exists()


def test_send_message_to_an_inactive_account_is_refused(alice):
    inactive = UserFactory(is_active=False)

    with pytest.raises(ValidationError, match="cannot receive"):
        services.send_message(sender=alice, receiver=inactive, content="hello?")

    assert not Message.objects.exists()


# --- reply ------------------------------------------------------------------------


def test_reply_goes_to_the_other_person_in_the_same_thread(conversation, alice, bob):
    root, answer, _follow_up = conversation

    from_bob = services.reply(sender=bob, parent=root, content="Another answer")
    from_alice = services.reply(sender=alice, parent=answer, content="Again")

    assert (from_bob.receiver, from_bob.thread_id, from_bob.depth) == (alice, root.pk, 1)
    assert (from_alice.receiver, from_alice.thread_id, from_alice.depth) == (bob, root.pk, 2)
    assert from_bob.parent_message == root


def test_reply_in_a_thread_you_are_not_part_of_is_refused(conversation, carol):
    root, *_ = conversation
    before = Message.objects.count()

    with pytest.raises(PermissionDenied):
        services.reply(sender=carol, parent=root, content="Let me in")

    assert Message.objects.count() == before


def test_reply_to_a_tombstone_is_refused(conversation, alice, bob):
    root, *_ = conversation
    services.delete_account(alice)
    root.refresh_from_db()
    before = Message.objects.count()

    with pytest.raises(ValidationError, match="deleted"):
        services.reply(sender=bob, parent=root, content="Hello?")

    assert Message.objects.count() == before


def test_reply_when_the_other_person_left_is_refused(conversation, alice, bob):
    _root, answer, _follow_up = conversation  # bob → alice
    services.delete_account(alice)
    answer.refresh_from_db()

    with pytest.raises(ValidationError, match="closed"):
        services.reply(sender=bob, parent=answer, content="Still there?")


def test_reply_to_a_message_deleted_meanwhile_is_refused(alice, bob):
    parent = MessageFactory(sender=alice, receiver=bob)
    stale = Message.objects.get(pk=parent.pk)
    services.delete_account(alice)  # no replies: the message goes entirely

    with pytest.raises(ValidationError, match="no longer exists"):
        services.reply(sender=bob, parent=stale, content="Too late")


def test_reply_refuses_bad_content(conversation, bob):
    root, *_ = conversation
    before = Message.objects.count()

    with pytest.raises(ValidationError):
        services.reply(sender=bob, parent=root, content=" ")

    assert Message.objects.count() == before


# --- edit_message -----------------------------------------------------------------


def test_sender_edits_own_message_and_the_old_text_is_kept(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="Helo")

    services.edit_message(message, editor=alice, content="Hello")

    message.refresh_from_db()
    assert (message.content, message.edited, message.edited_by) == ("Hello", True, alice)
    history = MessageHistory.objects.get()
    assert (history.old_content, history.edited_by) == ("Helo", alice)


def test_editing_someone_elses_message_is_refused_and_writes_nothing(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="mine")

    with pytest.raises(PermissionDenied):
        services.edit_message(message, editor=bob, content="yours now")

    message.refresh_from_db()
    assert message.content == "mine"
    assert not MessageHistory.objects.exists()


def test_a_moderator_edit_is_recorded_with_the_moderator_as_editor(alice, bob, moderator):
    message = MessageFactory(sender=alice, receiver=bob, content="offensive")

    services.edit_message(message, editor=moderator, content="[removed by moderation]")

    history = MessageHistory.objects.get()
    assert (history.old_content, history.edited_by) == ("offensive", moderator)


def test_edit_with_bad_content_writes_nothing(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="fine")

    with pytest.raises(ValidationError):
        services.edit_message(message, editor=alice, content="")

    assert Message.objects.get(pk=message.pk).content == "fine"
    assert not MessageHistory.objects.exists()


def test_edit_to_the_same_text_writes_no_history(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="same")

    services.edit_message(message, editor=alice, content="same")

    assert not MessageHistory.objects.exists()


def test_a_moderator_edit_is_audited_by_the_service_itself(alice, bob, moderator):
    message = MessageFactory(sender=alice, receiver=bob, content="offensive")

    services.edit_message(message, editor=moderator, content="[removed by moderation]")

    (entry,) = AuditEntry.objects.all()
    assert entry.action == AuditEntry.Action.MESSAGE_EDITED
    assert (entry.actor, entry.target_user_id, entry.target_username) == (
        moderator,
        alice.pk,
        "alice",
    )
    assert entry.details == {"message_id": message.pk}  # no message text


def test_a_senders_edit_of_their_own_message_is_not_audited(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="Helo")

    services.edit_message(message, editor=alice, content="Hello")

    assert not AuditEntry.objects.exists()


def test_a_moderator_edit_to_the_same_text_is_not_audited(alice, bob, moderator):
    message = MessageFactory(sender=alice, receiver=bob, content="same")

    services.edit_message(message, editor=moderator, content="same")

    assert not AuditEntry.objects.exists()


def test_a_refused_moderator_edit_is_not_audited(alice, bob, moderator):
    message = MessageFactory(sender=alice, receiver=bob, content="fine")

    with pytest.raises(ValidationError):
        services.edit_message(message, editor=moderator, content="")

    assert not AuditEntry.objects.exists()


# --- read state -------------------------------------------------------------------


def test_mark_read_by_the_receiver(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob)

    services.mark_read(message, reader=bob)

    assert Message.objects.get(pk=message.pk).read is True


def test_mark_read_by_anyone_else_is_refused(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob)

    with pytest.raises(PermissionDenied):
        services.mark_read(message, reader=alice)

    assert Message.objects.get(pk=message.pk).read is False


def test_mark_thread_read_changes_only_the_readers_received_messages(conversation, alice, bob):
    root, answer, follow_up = conversation

    changed = services.mark_thread_read(reader=bob, thread_id=root.pk)

    assert changed == 2
    assert dict(Message.objects.values_list("pk", "read")) == {
        root.pk: True,
        answer.pk: False,  # alice's to read
        follow_up.pk: True,
    }


def test_set_read_state_counts_only_rows_that_change(alice, bob, moderator):
    MessageFactory.create_batch(2, sender=alice, receiver=bob, read=True)
    MessageFactory.create_batch(3, sender=alice, receiver=bob, read=False)

    assert services.set_read_state(Message.objects.all(), read=True, actor=moderator) == 3
    assert services.set_read_state(Message.objects.all(), read=False, actor=moderator) == 5
    assert Message.unread.count() == 5


@pytest.mark.parametrize(
    ("read", "audit_action"),
    [
        (True, AuditEntry.Action.MESSAGES_MARKED_READ),
        (False, AuditEntry.Action.MESSAGES_MARKED_UNREAD),
    ],
)
def test_set_read_state_is_audited_by_the_service_itself(alice, bob, moderator, read, audit_action):
    MessageFactory.create_batch(2, sender=alice, receiver=bob, read=not read)

    services.set_read_state(
        Message.objects.all(), read=read, actor=moderator, details={"message_id": 7}
    )

    (entry,) = AuditEntry.objects.all()
    assert (entry.action, entry.actor, entry.details) == (
        audit_action,
        moderator,
        {"count": 2, "message_id": 7},
    )


def test_a_person_marking_their_own_messages_read_is_not_audited(conversation, bob):
    root, _, follow_up = conversation

    services.mark_read(root, reader=bob)
    services.mark_thread_read(reader=bob, thread_id=root.pk)

    assert Message.objects.get(pk=follow_up.pk).read is True
    assert not AuditEntry.objects.exists()

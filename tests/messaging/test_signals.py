"""The receivers: notification on create, edit history on change, cleanup on user
deletion (whatever the path)."""

import json

import pytest
from django.core import serializers

from messaging.models import Message, MessageHistory, Notification
from tests.factories import MessageFactory, ModeratorFactory, ReplyFactory

pytestmark = pytest.mark.django_db


# --- notifications ----------------------------------------------------------------


def test_a_new_message_notifies_its_receiver_once(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob)

    notification = Notification.objects.get()
    assert (notification.user, notification.message, notification.kind) == (
        bob,
        message,
        Notification.Kind.NEW_MESSAGE,
    )
    assert notification.is_seen is False


def test_a_reply_notifies_with_the_reply_kind(conversation, alice):
    _root, answer, _follow_up = conversation

    assert Notification.objects.get(message=answer).kind == Notification.Kind.REPLY
    assert Notification.objects.get(message=answer).user == alice


def test_an_edit_creates_no_notification(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob)

    message.content = "changed"
    message.save()
    message.read = True
    message.save(update_fields=["read"])

    assert Notification.objects.count() == 1


# --- edit history -----------------------------------------------------------------


def test_creating_a_message_writes_no_history(alice, bob):
    MessageFactory(sender=alice, receiver=bob)

    assert not MessageHistory.objects.exists()


def test_each_real_content_change_writes_one_history_row_with_the_old_text(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="first")

    for text in ("second", "third"):
        message.content = text
        message.save()

    assert list(MessageHistory.objects.order_by("id").values_list("old_content", flat=True)) == [
        "first",
        "second",
    ]


def test_saving_unchanged_content_writes_no_history_and_keeps_the_message_unedited(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="same")

    message.save()
    message._history_user = bob  # an editor named for nothing is not written
    message.save()

    message.refresh_from_db()
    assert not MessageHistory.objects.exists()
    assert (message.edited, message.edited_at, message.edited_by) == (False, None, None)


def test_an_edit_marks_the_message_edited_with_time_and_editor(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob)

    message.content = "new"
    message.save()

    message.refresh_from_db()
    history = MessageHistory.objects.get()
    assert message.edited is True
    assert message.edited_at == history.edited_at
    assert message.edited_by == alice == history.edited_by


def test_an_edit_through_update_fields_also_marks_the_message_edited(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="before")

    message.content = "after"
    message.save(update_fields=["content"])

    message.refresh_from_db()
    assert message.edited is True
    assert message.edited_by == alice
    assert MessageHistory.objects.get().old_content == "before"


def test_saving_other_fields_only_never_writes_history(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="before")

    message.content = "in memory only"
    message.read = True
    message.save(update_fields=["read"])

    assert not MessageHistory.objects.exists()
    message.refresh_from_db()
    assert message.content == "before"


def test_the_editor_assigned_by_the_caller_is_recorded(alice, bob, moderator):
    message = MessageFactory(sender=alice, receiver=bob)

    message.content = "moderated"
    message._history_user = moderator
    message.save()

    assert MessageHistory.objects.get().edited_by == moderator
    message.refresh_from_db()
    assert message.edited_by == moderator


def test_a_previous_editor_is_not_credited_with_the_next_edit(alice, bob, moderator):
    message = MessageFactory(sender=alice, receiver=bob, content="v1")
    message.content = "v2"
    message._history_user = moderator
    message.save()

    fresh = Message.objects.get(pk=message.pk)  # edited_by == moderator as loaded
    fresh.content = "v3"
    fresh.save()  # nobody named an editor: the sender made it

    editors = list(MessageHistory.objects.order_by("id").values_list("edited_by", flat=True))
    assert editors == [moderator.pk, alice.pk]


def test_the_editor_named_for_one_save_is_not_credited_with_the_next(alice, bob, moderator):
    message = MessageFactory(sender=alice, receiver=bob, content="v1")
    message.content = "v2"
    message._history_user = moderator
    message.save()

    message.content = "v3"
    message.save()  # the same instance, nobody named this time: the sender made it

    editors = list(MessageHistory.objects.order_by("id").values_list("edited_by", flat=True))
    assert editors == [moderator.pk, alice.pk]
    # simple-history read the name before it was dropped: the moderator's version has it.
    versions = list(message.versions.order_by("history_id").values_list("content", "history_user"))
    assert versions[1] == ("v2", moderator.pk)


def test_an_editor_assigned_directly_is_replaced_by_who_made_the_edit(alice, bob, moderator):
    message = MessageFactory(sender=alice, receiver=bob, content="before")

    message.content = "after"
    message.edited_by = moderator  # edited_by is written by the receiver, not the caller
    message.save()

    message.refresh_from_db()
    assert message.edited_by == alice == MessageHistory.objects.get().edited_by


def test_the_same_moderator_editing_twice_is_recorded_twice(alice, bob, moderator):
    message = MessageFactory(sender=alice, receiver=bob, content="v1")
    for text in ("v2", "v3"):
        loaded = Message.objects.get(pk=message.pk)
        loaded.content = text
        loaded._history_user = moderator
        loaded.save()

    editors = list(MessageHistory.objects.values_list("edited_by", flat=True))
    assert editors == [moderator.pk, moderator.pk]


def test_loaddata_style_raw_saves_run_no_receiver(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="original")
    payload = serializers.serialize("json", [message])
    Notification.objects.all().delete()

    edited_payload = payload.replace("original", "changed by a fixture")
    for deserialized in serializers.deserialize("json", edited_payload):
        deserialized.save()  # raw=True: neither pre_save nor post_save may act

    assert not MessageHistory.objects.exists()
    assert not Notification.objects.exists()
    assert Message.objects.get(pk=message.pk).content == "changed by a fixture"


def test_a_raw_save_of_a_new_message_with_an_explicit_id_works(alice, bob):
    fields = {
        "sender": alice.pk,
        "receiver": bob.pk,
        "content": "from a fixture",
        "timestamp": "2026-11-01T10:00:00Z",
        "parent_message": None,
        "thread": 4242,
        "depth": 0,
        "edited": False,
        "edited_at": None,
        "edited_by": None,
        "read": False,
        "is_tombstone": False,
    }
    payload = json.dumps([{"model": "messaging.message", "pk": 4242, "fields": fields}])

    for deserialized in serializers.deserialize("json", payload):
        deserialized.save()

    assert Message.objects.get(pk=4242).thread_id == 4242
    assert not Notification.objects.exists()


# --- user deletion, whatever the path ----------------------------------------------


def test_deleting_a_user_directly_erases_their_content_like_delete_account(
    conversation, alice, bob
):
    root, answer, follow_up = conversation
    follow_up.content = "edited"
    follow_up.save()

    alice.delete()  # not through the service: the pre_delete receiver cleans up

    root.refresh_from_db()
    assert root.is_tombstone and root.content == "" and root.sender is None
    assert not Message.objects.filter(pk=follow_up.pk).exists()
    assert Message.objects.get(pk=answer.pk).content == "Hi Alice"
    assert Message.objects.get(pk=answer.pk).receiver is None
    assert not MessageHistory.objects.exists()
    assert not Notification.objects.filter(message__in=[root, follow_up]).exists()


def test_deleting_users_through_a_queryset_erases_each_of_them(alice, bob, carol):
    alices = MessageFactory(sender=alice, receiver=carol)
    carols_reply = ReplyFactory(parent_message=alices)
    bobs = MessageFactory(sender=bob, receiver=carol)

    type(alice).objects.filter(pk__in=[alice.pk, bob.pk]).delete()

    assert Message.objects.get(pk=alices.pk).is_tombstone
    assert not Message.objects.filter(pk=bobs.pk).exists()
    assert Message.objects.get(pk=carols_reply.pk).content == carols_reply.content


def test_deleting_an_editor_keeps_the_history_of_other_peoples_messages(alice, bob):
    moderator = ModeratorFactory()
    message = MessageFactory(sender=alice, receiver=bob, content="before")
    message.content = "after"
    message._history_user = moderator
    message.save()

    moderator.delete()

    history = MessageHistory.objects.get()
    assert history.old_content == "before"
    assert history.edited_by is None
    message.refresh_from_db()
    assert message.edited_by is None and message.content == "after"

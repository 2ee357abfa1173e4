"""The moderators' message admin (admin_ext/admin/messages.py), through the test
client as a moderator: the changelist (columns, filters, search, query budget),
the change page (thread tree, edit history, notifications), edits and actions
(through the services, audited, refusals writing nothing), escaping of content on
every page that shows it, and what nobody may do (add, delete, revert)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains

from admin_ext.admin.message_text import MAX_TREE_INDENT
from audit.models import AuditEntry
from messaging import services
from messaging.managers import walk_thread
from messaging.models import Message, MessageHistory
from messaging.thread_window import WINDOW_AFTER
from moderation.services import hide_message
from tests.admin_ext.admin_forms import INLINE_MANAGEMENT_FORMS
from tests.factories import MessageFactory, UserFactory, bulk_messages, reported_message

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse("admin:messaging_message_changelist")
HISTORY_CHANGELIST_URL = reverse("admin:messaging_messagehistory_changelist")
AUTOCOMPLETE_URL = reverse("admin:autocomplete")

XSS_PAYLOADS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']
RAW_MARKUP = ["<script>alert(1)", "<img src=x"]

# Whatever the data, a changelist page and a change page cost at most this many
# queries (session, user, the role policy's group look-up, permissions, count, rows,
# inlines, thread, the message's reports, its author's open case, its newest edits...).
CHANGELIST_QUERY_BUDGET = 9
CHANGE_PAGE_QUERY_BUDGET = 15


def change_url(message: Message) -> str:
    return reverse("admin:messaging_message_change", args=[message.pk])


def listed_ids(client, **params: str) -> set[int]:
    response = client.get(CHANGELIST_URL, params)
    assert response.status_code == 200
    return {message.pk for message in response.context["cl"].result_list}


def edit_form_data(message: Message, **fields: str) -> dict[str, str]:
    """What the change form posts for ``message``, with ``fields`` changed."""
    data = {"content": message.content, **INLINE_MANAGEMENT_FORMS}
    if message.read:
        data["read"] = "on"
    data.update(fields)
    return data


def add_messages(count: int, *, users: list) -> list[Message]:
    """``count`` messages in bulk: half roots (one a tombstone), half replies,
    some read, some edited."""
    now = timezone.now()
    roots = bulk_messages(
        [
            {
                "sender": None if i == 0 else users[i % 4],
                "receiver": users[(i + 1) % 4],
                "content": "" if i == 0 else f"Root message {i}",
                "is_tombstone": i == 0,
                "read": i % 2 == 0,
                "edited": i % 3 == 0,
                "timestamp": now - datetime.timedelta(minutes=i),
            }
            for i in range(count // 2)
        ]
    )
    replies = bulk_messages(
        [
            {
                "sender": users[(i + 1) % 4],
                "receiver": users[i % 4],
                "parent_message": root,
                "thread_id": root.thread_id,
                "depth": 1,
                "content": f"Reply {i}",
                "timestamp": now - datetime.timedelta(seconds=i),
            }
            for i, root in enumerate(roots[: count - len(roots)])
        ]
    )
    return roots + replies


def grow_thread(root: Message, *, size: int) -> list[Message]:
    """``root`` and replies up to ``size`` messages: a chain half as deep as the
    thread, the other half answering messages of the chain. Bulk inserts, so only
    the root has a notification."""
    nodes = [root]
    chain_length = size // 2
    while len(nodes) < size:
        index = len(nodes)
        parent = nodes[-1] if index < chain_length else nodes[index % chain_length]
        (reply,) = Message.objects.bulk_create(
            [
                Message(
                    sender_id=parent.receiver_id,
                    receiver_id=parent.sender_id,
                    parent_message=parent,
                    thread_id=root.thread_id,
                    depth=parent.depth + 1,
                    content=f"Reply number {index}",
                    timestamp=root.timestamp + datetime.timedelta(seconds=index),
                )
            ]
        )
        nodes.append(reply)
    return nodes


@pytest.fixture
def viewer(db):
    """Staff who may only view messages."""
    user = UserFactory(username="viewer", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="messaging", codename="view_message")
    )
    return user


# --- changelist ---------------------------------------------------------------------


def test_the_changelist_answers_a_moderator(moderator_client, conversation):
    response = moderator_client.get(CHANGELIST_URL)

    assert response.status_code == 200
    assertContains(response, "Hello Bob")
    assertContains(response, "alice")


def test_the_changelist_shows_excerpts_threads_and_reply_counts(moderator_client, alice, bob):
    root = MessageFactory(sender=alice, receiver=bob, content="word " * 100)
    MessageFactory(sender=bob, receiver=alice, parent_message=root, content="one")
    MessageFactory(sender=bob, receiver=alice, parent_message=root, content="two")

    response = moderator_client.get(CHANGELIST_URL)

    rows = {message.pk: message for message in response.context["cl"].result_list}
    assert rows[root.pk].reply_count == 2
    assertContains(response, "word word")
    assertNotContains(response, "word " * 30)  # cut at about 80 characters
    assertContains(response, f'href="{change_url(root)}" class="msgadmin-link"', count=3)


def test_a_tombstone_shows_as_message_deleted(moderator_client, conversation, alice):
    root, *_ = conversation
    services.delete_account(alice)  # root stays as a tombstone above bob's reply

    response = moderator_client.get(CHANGELIST_URL)

    rows = {message.pk: message for message in response.context["cl"].result_list}
    assert rows[root.pk].is_tombstone
    assertContains(response, '<span class="msgadmin-tombstone">Message deleted</span>', count=1)
    assertContains(response, "deleted account", count=2)  # root's sender, reply's receiver


def test_a_page_of_100_rows_costs_the_same_queries_with_120_and_250_messages(
    moderator_client, django_assert_num_queries
):
    users = UserFactory.create_batch(4)
    add_messages(120, users=users)
    moderator_client.get(CHANGELIST_URL)  # warm the session and content type caches

    with CaptureQueriesContext(connection) as with_120_messages:
        response = moderator_client.get(CHANGELIST_URL)
    assert len(response.context["cl"].result_list) == 100

    add_messages(130, users=users)
    with django_assert_num_queries(len(with_120_messages)):
        response = moderator_client.get(CHANGELIST_URL)
    assert len(response.context["cl"].result_list) == 100
    assert len(with_120_messages) <= CHANGELIST_QUERY_BUDGET


def test_the_unread_filter_selects_what_the_unread_manager_does(moderator_client, alice, bob):
    unread = MessageFactory(sender=alice, receiver=bob)
    read = MessageFactory(sender=bob, receiver=alice, read=True)

    assert listed_ids(moderator_client, unread="1") == {unread.pk}
    assert listed_ids(moderator_client, unread="0") == {read.pk}
    assert set(Message.unread.values_list("pk", flat=True)) == {unread.pk}


def test_the_edited_filter(moderator_client, alice, bob):
    edited = MessageFactory(sender=alice, receiver=bob, content="first")
    services.edit_message(edited, editor=alice, content="second")
    untouched = MessageFactory(sender=alice, receiver=bob)

    assert listed_ids(moderator_client, edited__exact="1") == {edited.pk}
    assert listed_ids(moderator_client, edited__exact="0") == {untouched.pk}


def test_the_has_replies_filter(moderator_client, conversation):
    root, answer, follow_up = conversation

    assert listed_ids(moderator_client, has_replies="1") == {root.pk, answer.pk}
    assert listed_ids(moderator_client, has_replies="0") == {follow_up.pk}


def test_the_date_range_filter(moderator_client, alice, bob):
    march = MessageFactory(sender=alice, receiver=bob)
    april = MessageFactory(sender=alice, receiver=bob)
    Message.objects.filter(pk=march.pk).update(
        timestamp=datetime.datetime(2026, 3, 15, 12, 0, tzinfo=datetime.UTC)
    )
    Message.objects.filter(pk=april.pk).update(
        timestamp=datetime.datetime(2026, 4, 2, 9, 30, tzinfo=datetime.UTC)
    )

    in_march = listed_ids(
        moderator_client,
        timestamp_from_0="2026-03-01",
        timestamp_from_1="00:00",
        timestamp_to_0="2026-03-31",
        timestamp_to_1="23:59",
    )
    from_april = listed_ids(
        moderator_client, timestamp_from_0="2026-04-01", timestamp_from_1="00:00"
    )

    assert in_march == {march.pk}
    assert from_april == {april.pk}


def test_the_sender_and_receiver_autocomplete_filters(moderator_client, alice, bob, carol):
    from_alice = MessageFactory(sender=alice, receiver=bob)
    from_carol = MessageFactory(sender=carol, receiver=alice)

    assert listed_ids(moderator_client, sender__id__exact=str(alice.pk)) == {from_alice.pk}
    assert listed_ids(moderator_client, receiver__id__exact=str(alice.pk)) == {from_carol.pk}


def test_the_user_filters_are_autocompletes_not_a_list_of_every_user(moderator_client, alice):
    UserFactory.create_batch(5)

    response = moderator_client.get(CHANGELIST_URL)

    assertContains(response, "unfold-filter-autocomplete", count=2)
    assertNotContains(response, f'<option value="{alice.pk}"')


def test_the_sender_autocomplete_answers_a_moderator(moderator_client, alice, bob):
    response = moderator_client.get(
        AUTOCOMPLETE_URL,
        {"app_label": "messaging", "model_name": "message", "field_name": "sender", "term": "al"},
    )

    assert response.status_code == 200
    found = {result["id"] for result in response.json()["results"]}
    assert str(alice.pk) in found
    assert str(bob.pk) not in found


def test_search_by_content_and_by_username(moderator_client, conversation, carol, alice):
    root, answer, follow_up = conversation
    to_carol = MessageFactory(sender=alice, receiver=carol, content="Lunch?")

    assert listed_ids(moderator_client, q="hello bob") == {root.pk}
    assert listed_ids(moderator_client, q="carol") == {to_carol.pk}
    assert listed_ids(moderator_client, q="bob") == {root.pk, answer.pk, follow_up.pk}


# --- change page: thread, history, notifications ------------------------------------


def test_the_change_page_shows_the_whole_thread_and_highlights_the_message(
    moderator_client, alice, bob
):
    nodes = grow_thread(MessageFactory(sender=alice, receiver=bob), size=12)
    current = nodes[5]

    response = moderator_client.get(change_url(current))

    html = response.content.decode()
    assert response.status_code == 200
    for node in nodes:
        assertContains(response, f'href="{change_url(node)}" class="msgadmin-node-link"')
    highlighted = re.findall(r'<li id="thread-node-(\d+)"[^>]*aria-current="true"', html)
    assert highlighted == [str(current.pk)]
    # In reading order: depth first, oldest reply first.
    reading_order = [node.pk for node in walk_thread(Message.objects.thread_tree(current))]
    shown_order = [int(pk) for pk in re.findall(r'<li id="thread-node-(\d+)"', html)]
    assert shown_order == reading_order


def test_replies_deeper_than_the_indent_cap_show_their_depth(moderator_client, alice, bob):
    nodes = grow_thread(MessageFactory(sender=alice, receiver=bob), size=40)
    deep = next(node for node in nodes if node.depth == MAX_TREE_INDENT + 5)

    response = moderator_client.get(change_url(nodes[0]))

    html = response.content.decode()
    deep_item = re.search(rf'<li id="thread-node-{deep.pk}"[^>]*>.*?</li>', html, re.S).group(0)
    assert f"msgadmin-indent-{MAX_TREE_INDENT}" in deep_item
    assert f"depth {deep.depth}" in deep_item


def test_the_change_page_costs_the_same_queries_for_a_300_message_thread_as_for_30(
    moderator_client, alice, bob, carol, django_assert_num_queries
):
    small = grow_thread(MessageFactory(sender=alice, receiver=bob), size=30)
    large = grow_thread(MessageFactory(sender=alice, receiver=carol), size=300)
    for thread in (small, large):
        services.edit_message(thread[0], editor=thread[0].sender, content="edited root")
    moderator_client.get(change_url(small[0]))  # warm the session and content type caches

    with CaptureQueriesContext(connection) as small_thread:
        response = moderator_client.get(change_url(small[0]))
    assert len(response.context["thread_excerpt"].messages) == 30

    with django_assert_num_queries(len(small_thread)):
        response = moderator_client.get(change_url(large[0]))
    # The root and the messages after it, of all 300 (messaging.selectors).
    assert len(response.context["thread_excerpt"].messages) == 1 + WINDOW_AFTER
    assert response.context["thread_excerpt"].total == 300
    assert len(small_thread) <= CHANGE_PAGE_QUERY_BUDGET


def test_the_edit_history_inline_lists_edits_newest_first_with_a_word_diff(
    moderator_client, alice, bob
):
    message = MessageFactory(sender=alice, receiver=bob, content="the quick brown fox")
    services.edit_message(message, editor=alice, content="the slow brown fox")
    services.edit_message(message, editor=alice, content="the slow brown dog <b>now</b>")

    response = moderator_client.get(change_url(message))

    html = response.content.decode()
    first_edit = "<del>quick</del><ins>slow</ins>"
    second_edit = f"<del>fox</del><ins>{escape('dog <b>now</b>')}</ins>"
    assert second_edit in html
    assert first_edit in html
    assert html.index(second_edit) < html.index(first_edit)  # newest first
    assert "<b>now</b>" not in html


def test_the_notifications_inline_lists_the_receivers_notification(moderator_client, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob)

    response = moderator_client.get(change_url(message))

    inline = response.context["inline_admin_formsets"][1]
    assert [form.instance.user_id for form in inline.formset.forms] == [bob.pk]
    assertContains(response, "New message")


# --- escaping -----------------------------------------------------------------------


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_content_is_escaped_on_every_page_that_shows_it(moderator_client, alice, bob, payload):
    message = MessageFactory(sender=alice, receiver=bob, content="hello")
    services.edit_message(message, editor=alice, content=f"hello {payload}")
    services.edit_message(message, editor=alice, content=f"hello {payload} again")
    reply = MessageFactory(sender=bob, receiver=alice, parent_message=message, content="ok")
    history_row = message.history.order_by("-edited_at", "-id").first()  # old text has it

    pages = {
        "changelist": moderator_client.get(CHANGELIST_URL),
        "change page (tree, form, history inline)": moderator_client.get(change_url(message)),
        "reply's change page (tree)": moderator_client.get(change_url(reply)),
        "history changelist": moderator_client.get(HISTORY_CHANGELIST_URL),
        "history entry": moderator_client.get(
            reverse("admin:messaging_messagehistory_change", args=[history_row.pk])
        ),
    }

    for name, response in pages.items():
        html = response.content.decode()
        assert response.status_code == 200, name
        assert payload not in html, name
        for markup in RAW_MARKUP:
            assert markup not in html, name
        assert escape(payload) in html, name
    change_page = pages["change page (tree, form, history inline)"].content.decode()
    assert f"<ins> {escape(payload)}</ins>" in change_page  # the first edit's diff


# --- moderator edits ----------------------------------------------------------------


def test_a_moderator_edit_is_recorded_with_the_moderator_as_editor_and_audited(
    moderator_client, moderator, alice, bob
):
    message = MessageFactory(sender=alice, receiver=bob, content="Call me, idiot")

    response = moderator_client.post(
        change_url(message), edit_form_data(message, content="Call me")
    )

    assert response.status_code == 302
    message.refresh_from_db()
    assert message.content == "Call me"
    assert message.edited_by == moderator
    (edit,) = MessageHistory.objects.filter(message=message)
    assert (edit.old_content, edit.edited_by) == ("Call me, idiot", moderator)
    (entry,) = AuditEntry.objects.all()
    assert entry.action == AuditEntry.Action.MESSAGE_EDITED
    assert (entry.actor, entry.target_user_id, entry.target_username) == (
        moderator,
        alice.pk,
        "alice",
    )
    assert entry.details == {"message_id": message.pk}  # no message text


def test_content_is_saved_exactly_as_typed(moderator_client, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="before")

    moderator_client.post(change_url(message), edit_form_data(message, content="  after\n"))

    message.refresh_from_db()
    assert message.content == "  after\n"


@pytest.mark.parametrize(
    "content",
    ["", "   ", "bad\x00byte", "x" * 10_001],
    ids=["empty", "blank", "nul-byte", "too-long"],
)
def test_invalid_content_is_a_form_error_and_writes_nothing(moderator_client, alice, bob, content):
    message = MessageFactory(sender=alice, receiver=bob, content="unchanged")

    response = moderator_client.post(change_url(message), edit_form_data(message, content=content))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["content"]
    message.refresh_from_db()
    assert message.content == "unchanged"
    assert not message.edited
    assert not MessageHistory.objects.exists()
    assert not AuditEntry.objects.exists()
    assert not LogEntry.objects.exists()


def test_an_edit_the_service_refuses_after_validation_writes_nothing(
    moderator_client, alice, bob, monkeypatch
):
    """The form validated, then the message changed (an account deletion made it a
    tombstone): the service's refusal is an error message, not a 500."""
    message = MessageFactory(sender=alice, receiver=bob, content="before")

    def refuse(*args, **kwargs):
        raise ValidationError("A deleted message cannot be edited.")

    monkeypatch.setattr("admin_ext.admin.messages.edit_message", refuse)
    response = moderator_client.post(
        change_url(message), edit_form_data(message, content="after"), follow=True
    )

    assert response.status_code == 200
    assertContains(response, "A deleted message cannot be edited.")
    message.refresh_from_db()
    assert message.content == "before"
    assert not AuditEntry.objects.exists()
    assert not LogEntry.objects.exists()


def test_a_tombstone_cannot_be_edited(moderator_client, conversation, alice):
    root, *_ = conversation
    services.delete_account(alice)
    root.refresh_from_db()
    audit_entries = AuditEntry.objects.count()

    response = moderator_client.get(change_url(root))
    moderator_client.post(change_url(root), edit_form_data(root, content="resurrected"))

    assert "content" not in response.context["adminform"].form.fields
    root.refresh_from_db()
    assert root.content == ""
    assert AuditEntry.objects.count() == audit_entries


def test_only_content_and_read_can_be_changed(moderator_client, alice, bob, carol):
    message = MessageFactory(sender=alice, receiver=bob, content="hi")

    moderator_client.post(
        change_url(message),
        edit_form_data(message, sender=str(carol.pk), receiver=str(carol.pk), is_tombstone="on"),
    )

    message.refresh_from_db()
    assert (message.sender, message.receiver, message.is_tombstone) == (alice, bob, False)


def test_changing_the_read_flag_in_the_form_is_audited(moderator_client, moderator, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob)

    moderator_client.post(change_url(message), edit_form_data(message, read="on"))

    message.refresh_from_db()
    assert message.read
    assert not MessageHistory.objects.exists()  # not a content edit
    (entry,) = AuditEntry.objects.all()
    assert entry.action == AuditEntry.Action.MESSAGES_MARKED_READ
    assert entry.details == {"count": 1, "message_id": message.pk}


def test_viewing_pages_writes_nothing(moderator_client, conversation):
    root, *_ = conversation
    versions = Message.versions.count()

    moderator_client.get(CHANGELIST_URL)
    moderator_client.get(change_url(root))
    moderator_client.get(reverse("admin:messaging_message_history", args=[root.pk]))

    root.refresh_from_db()
    assert (root.content, root.edited, root.read) == ("Hello Bob", False, False)
    assert not MessageHistory.objects.exists()
    assert not AuditEntry.objects.exists()
    assert not LogEntry.objects.exists()
    assert Message.versions.count() == versions


# --- actions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "read_before", "audit_action"),
    [
        ("mark_as_read", False, AuditEntry.Action.MESSAGES_MARKED_READ),
        ("mark_as_unread", True, AuditEntry.Action.MESSAGES_MARKED_UNREAD),
    ],
)
def test_the_read_state_actions_change_the_selection_and_are_audited(
    moderator_client, moderator, alice, bob, action, read_before, audit_action
):
    selected = MessageFactory.create_batch(3, sender=alice, receiver=bob, read=read_before)
    left_alone = MessageFactory(sender=alice, receiver=bob, read=read_before)

    response = moderator_client.post(
        CHANGELIST_URL,
        {"action": action, "index": "0", "_selected_action": [str(m.pk) for m in selected]},
    )

    assert response.status_code == 302
    assert set(Message.objects.filter(read=not read_before).values_list("pk", flat=True)) == {
        message.pk for message in selected
    }
    left_alone.refresh_from_db()
    assert left_alone.read == read_before
    (entry,) = AuditEntry.objects.all()
    # The details' count (the audit trail may name the messages beside it).
    assert (entry.action, entry.actor, entry.details["count"]) == (audit_action, moderator, 3)


def test_the_changelist_offers_the_read_actions_and_no_delete(moderator_client, conversation):
    response = moderator_client.get(CHANGELIST_URL)

    choices = [name for name, _ in response.context["action_form"].fields["action"].choices]
    assert {"mark_as_read", "mark_as_unread"} <= set(choices)  # the others: test_message_actions
    assert "delete_selected" not in choices


def test_a_viewer_without_change_permission_cannot_run_the_actions(client, viewer, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob)
    client.force_login(viewer)

    page = client.get(CHANGELIST_URL)
    forged = client.post(
        CHANGELIST_URL, {"action": "mark_as_read", "index": "0", "_selected_action": [message.pk]}
    )

    # Staff outside the Moderators group: their role reaches no list, whatever
    # permission was granted to the account by hand.
    assert page.status_code == 403
    assert forged.status_code == 403
    message.refresh_from_db()
    assert not message.read
    assert not AuditEntry.objects.exists()


def test_a_viewer_cannot_post_an_edit(client, viewer, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="original")
    client.force_login(viewer)

    response = client.post(change_url(message), edit_form_data(message, content="changed"))

    assert response.status_code == 403
    message.refresh_from_db()
    assert message.content == "original"


# --- nobody adds or deletes ---------------------------------------------------------


@pytest.mark.parametrize("user_fixture", ["moderator", "superuser"])
def test_nobody_adds_or_deletes_messages_in_the_admin(client, request, conversation, user_fixture):
    root, *_ = conversation
    client.force_login(request.getfixturevalue(user_fixture))
    delete_url = reverse("admin:messaging_message_delete", args=[root.pk])

    assert client.get(reverse("admin:messaging_message_add")).status_code == 403
    assert client.get(delete_url).status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert Message.objects.filter(pk=root.pk).exists()


# --- django-simple-history ----------------------------------------------------------


def test_the_version_history_of_a_message_renders_for_a_moderator(moderator_client, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="v1")
    services.edit_message(message, editor=alice, content="v2")

    response = moderator_client.get(reverse("admin:messaging_message_history", args=[message.pk]))

    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) == 2


def test_a_version_can_be_viewed_but_not_reverted(moderator_client, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="v1")
    services.edit_message(message, editor=alice, content="v2")
    first_version = message.versions.earliest("history_date")
    url = reverse("admin:messaging_message_simple_history", args=[message.pk, first_version.pk])

    page = moderator_client.get(url)
    revert = moderator_client.post(url, edit_form_data(message, content="v1"))

    assert page.status_code == 200
    assert revert.status_code == 403
    message.refresh_from_db()
    assert message.content == "v2"


# --- the MessageHistory admin -------------------------------------------------------


def test_the_edit_log_lists_edits_for_a_moderator(moderator_client, moderator, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="rude words")
    moderator_client.post(change_url(message), edit_form_data(message, content="kind words"))
    edit = MessageHistory.objects.get()

    listing = moderator_client.get(HISTORY_CHANGELIST_URL)
    detail = moderator_client.get(reverse("admin:messaging_messagehistory_change", args=[edit.pk]))

    assertContains(listing, f'href="{change_url(message)}"')
    assertContains(listing, "rude words")
    assertContains(listing, "moderator")
    assertContains(detail, "<del>rude</del><ins>kind</ins>")


def test_the_edit_log_filters_by_editor_and_date(moderator_client, moderator, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="one")
    services.edit_message(message, editor=alice, content="two")
    services.edit_message(message, editor=moderator, content="three")
    by_alice, by_moderator = MessageHistory.objects.order_by("edited_at", "id")
    MessageHistory.objects.filter(pk=by_alice.pk).update(
        edited_at=datetime.datetime(2026, 1, 10, tzinfo=datetime.UTC)
    )

    def listed(**params: str) -> set[int]:
        response = moderator_client.get(HISTORY_CHANGELIST_URL, params)
        return {row.pk for row in response.context["cl"].result_list}

    assert listed(edited_by__id__exact=str(moderator.pk)) == {by_moderator.pk}
    assert listed(edited_at_to_0="2026-01-31", edited_at_to_1="00:00") == {by_alice.pk}
    assert listed(q="one") == {by_alice.pk}


def test_the_edit_log_is_read_only(moderator_client, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="one")
    services.edit_message(message, editor=alice, content="two")
    edit = MessageHistory.objects.get()
    change = reverse("admin:messaging_messagehistory_change", args=[edit.pk])

    assert moderator_client.get(reverse("admin:messaging_messagehistory_add")).status_code == 403
    assert moderator_client.post(change, {"old_content": "forged"}).status_code == 403
    assert (
        moderator_client.get(
            reverse("admin:messaging_messagehistory_delete", args=[edit.pk])
        ).status_code
        == 403
    )
    edit.refresh_from_db()
    assert edit.old_content == "one"


def test_a_message_whose_receiver_left_is_not_shown_as_unread(client, moderator, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="never read")
    services.delete_account(bob)
    client.force_login(moderator)

    changelist = client.get(CHANGELIST_URL).content.decode()
    change_page = client.get(change_url(message)).content.decode()

    assert "receiver gone" in changelist
    assert ">unread<" not in changelist.lower().replace(" ", "")
    assert 'class="msgadmin-flag">unread' not in change_page


def test_a_reported_message_links_its_cases_and_a_hidden_one_says_so(moderator_client, moderator):
    report = reported_message(reason="threat", content="the threat")
    message = Message.objects.get(pk=report.reported_message_id)
    hide_message(message, moderator=moderator, reason="threat", case=report.case)

    page = moderator_client.get(reverse("admin:messaging_message_change", args=[message.pk]))
    listed = moderator_client.get(reverse("admin:messaging_message_changelist"))

    case_url = reverse("admin:moderation_case_change", args=[report.case.pk])
    assertContains(page, f'href="{case_url}"')
    assertContains(page, "Threats or violence")
    assertContains(page, "the threat")  # moderators still read a hidden message
    assertContains(listed, '<span class="msgadmin-flag">hidden</span> the threat', html=False)

"""Acting on messages in the moderators' admin (admin_ext/admin/message_actions.py
and message_bulk.py): from a message's page and in bulk from the list, each
through the moderation services with a reason and an audit entry; refusals are
messages or form errors, never a server error; the page reads as a review first;
and the messages list stays light (HTML size, queries)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from admin_ext.admin.message_bulk import MAX_MESSAGES_PER_BULK_ACTION
from audit.models import AuditEntry
from messaging import services
from messaging.models import Message, Notification
from moderation.models import Case, Report
from moderation.services import hide_message
from tests.factories import MessageFactory, UserFactory, bulk_messages, reported_message

pytestmark = pytest.mark.django_db

CHANGELIST_URL = reverse("admin:messaging_message_changelist")
# The same budgets as test_messages_admin's, with reports and a case to show.
CHANGE_PAGE_QUERY_BUDGET = 15
CHANGELIST_QUERY_BUDGET = 9
# A page of 100 messages, HTML: was 480 KB on the demo with unfold's row markup.
CHANGELIST_MAX_BYTES = 200_000


def action_url(name: str, message: Message) -> str:
    return reverse(f"admin:messaging_message_{name}", args=[message.pk])


def change_url(message: Message) -> str:
    return reverse("admin:messaging_message_change", args=[message.pk])


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def message(alice, bob):
    return MessageFactory(sender=alice, receiver=bob, content="Give me your password")


# --- the page ---------------------------------------------------------------------------


def test_the_page_shows_the_conversation_and_the_actions_before_the_edit_form(
    moderator_client, message
):
    page = moderator_client.get(change_url(message)).content.decode()

    conversation = page.index('aria-label="Conversation"')
    actions = page.index('id="message-actions"')
    content_field = page.index('name="content"')
    assert conversation < actions < content_field
    for name in ("hide", "warn", "open_case"):
        assert f'action="{action_url(name, message)}"' in page
    assert f'action="{action_url("restore", message)}"' not in page  # not hidden


def test_a_hidden_message_offers_restore_and_a_tombstone_nothing(moderator_client, moderator):
    hidden = MessageFactory()
    hide_message(hidden, moderator=moderator, reason="r")
    tombstone = MessageFactory()
    Message.objects.filter(pk=tombstone.pk).update(is_tombstone=True, content="", sender=None)

    hidden_page = moderator_client.get(change_url(hidden))
    tombstone_page = moderator_client.get(change_url(tombstone))

    assertContains(hidden_page, f'action="{action_url("restore", hidden)}"')
    assertNotContains(hidden_page, f'action="{action_url("hide", hidden)}"')
    assertContains(tombstone_page, "nothing is left to act on")


def test_the_page_lists_the_messages_reports_and_the_authors_open_case(moderator_client):
    report = reported_message(reason="threat", comment="He means it")
    message = Message.objects.get(pk=report.reported_message_id)

    response = moderator_client.get(change_url(message))

    case_url = reverse("admin:moderation_case_change", args=[report.case_id])
    assertContains(response, f'href="{case_url}"', count=2)  # the report's, the open case's
    assertContains(response, "Threats or violence")
    assertContains(response, "He means it")
    assertContains(response, f"Add to case #{report.case_id}")


def test_the_page_lists_the_newest_edits_beside_the_conversation(moderator_client, message, alice):
    for number in range(7):
        services.edit_message(message, editor=alice, content=f"Version {number}")

    response = moderator_client.get(change_url(message))

    assertContains(response, 'aria-labelledby="message-edits-heading"')
    assertContains(response, '<span class="msgadmin-muted">Before:</span> Version 5')
    assertNotContains(response, '<span class="msgadmin-muted">Before:</span> Version 0')
    assertContains(response, "Every edit, word by word")


def test_the_page_keeps_to_its_query_budget(moderator_client, alice, django_assert_max_num_queries):
    report = reported_message(author=alice)
    message = Message.objects.get(pk=report.reported_message_id)
    services.edit_message(message, editor=alice, content="edited")
    moderator_client.get(change_url(message))

    with django_assert_max_num_queries(CHANGE_PAGE_QUERY_BUDGET):
        moderator_client.get(change_url(message))


# --- the page's actions ---------------------------------------------------------------


def test_hiding_from_the_page_goes_through_the_service_with_the_reason(
    moderator_client, moderator, message
):
    response = moderator_client.post(action_url("hide", message), {"hide-reason": "Phishing"})

    assert response.status_code == 302
    assert response.url == change_url(message) + "#message-actions"
    message.refresh_from_db()
    assert message.is_hidden
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.reason, entry.details) == (
        AuditEntry.Action.MESSAGE_HIDDEN,
        moderator,
        "Phishing",
        {"message_id": message.pk},
    )
    assert flashed(response) == [f"Message #{message.pk} is hidden from its readers."]


def test_acting_on_a_reported_message_belongs_to_its_open_case(moderator_client):
    report = reported_message()
    message = Message.objects.get(pk=report.reported_message_id)

    moderator_client.post(action_url("hide", message), {"hide-reason": "r"})
    moderator_client.post(action_url("warn", message), {"warn-reason": "r", "warn-warning": "w"})

    assert list(AuditEntry.objects.values_list("case_id", flat=True)) == [report.case_id] * 2


def test_restoring_from_the_page(moderator_client, moderator, message):
    hide_message(message, moderator=moderator, reason="r")

    moderator_client.post(action_url("restore", message), {"restore-reason": "Mistake"})

    message.refresh_from_db()
    assert not message.is_hidden
    assert AuditEntry.objects.filter(action=AuditEntry.Action.MESSAGE_RESTORED).count() == 1


def test_warning_the_author_from_the_page(moderator_client, message, alice):
    moderator_client.post(
        action_url("warn", message), {"warn-reason": "Phishing", "warn-warning": "Stop it."}
    )

    notification = Notification.objects.get(user=alice, kind=Notification.Kind.WARNING)
    assert notification.text == "Stop it."
    entry = AuditEntry.objects.get(action=AuditEntry.Action.USER_WARNED)
    assert entry.target_user_id == alice.pk


def test_opening_a_case_from_the_page(moderator_client, moderator, message, alice):
    response = moderator_client.post(
        action_url("open_case", message),
        {"open_case-report_reason": "spam", "open_case-reason": "Phishing"},
    )

    case = Case.objects.get()
    assert case.reported_user == alice and case.is_open
    report = Report.objects.get()
    assert (report.reporter, report.reason, report.comment) == (moderator, "spam", "Phishing")
    assert AuditEntry.objects.get().action == AuditEntry.Action.MESSAGE_FLAGGED
    assert f"case #{case.pk}" in flashed(response)[0]


def test_the_case_page_shows_the_flag_in_its_timeline(moderator_client, message):
    moderator_client.post(
        action_url("open_case", message),
        {"open_case-report_reason": "spam", "open_case-reason": "Phishing"},
    )

    case = Case.objects.get()
    response = moderator_client.get(reverse("admin:moderation_case_change", args=[case.pk]))

    assert response.status_code == 200
    assertContains(response, "Message flagged into a case")
    assertContains(response, "Phishing")


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("hide", {"hide-reason": ""}, "This field is required."),
        ("warn", {"warn-reason": "r", "warn-warning": ""}, "This field is required."),
        (
            "open_case",
            {"open_case-report_reason": "nope", "open_case-reason": "r"},
            "Select a valid choice.",
        ),
        (
            "open_case",
            {"open_case-report_reason": "spam", "open_case-reason": "x" * 1_001},
            "at most 1000 characters",
        ),
    ],
)
def test_a_refused_form_comes_back_on_the_page_with_its_errors(
    moderator_client, message, name, data, error
):
    response = moderator_client.post(action_url(name, message), data)

    assert response.status_code == 200
    assertContains(response, 'id="message-actions"')
    assertContains(response, f'data-action="{name}" open')  # the refused form stays open
    assertContains(response, error)
    assert not AuditEntry.objects.exists()
    message.refresh_from_db()
    assert not message.is_hidden


def test_a_refusal_of_the_service_is_shown_on_the_form(moderator_client, moderator):
    staff_message = MessageFactory(sender=UserFactory(is_staff=True))

    response = moderator_client.post(
        action_url("open_case", staff_message),
        {"open_case-report_reason": "spam", "open_case-reason": "r"},
    )

    assertContains(response, "only a superuser")
    assert not Case.objects.exists()


def test_the_actions_refuse_get_and_unknown_messages(moderator_client, message):
    assert moderator_client.get(action_url("hide", message)).status_code == 405
    missing = reverse("admin:messaging_message_hide", args=[10**30])
    assert moderator_client.post(missing, {"hide-reason": "r"}).status_code == 404
    assert (
        moderator_client.post(
            reverse("admin:messaging_message_hide", args=["abc"]), {"hide-reason": "r"}
        ).status_code
        == 404
    )


def test_staff_outside_the_group_cannot_act(client, message):
    client.force_login(UserFactory(is_staff=True))

    response = client.post(action_url("hide", message), {"hide-reason": "r"})

    assert response.status_code == 403
    message.refresh_from_db()
    assert not message.is_hidden


# --- bulk actions on the list -----------------------------------------------------------


def bulk_post(client, action: str, ids: list[int], **fields: str):
    return client.post(
        CHANGELIST_URL, {"action": action, "index": "0", "_selected_action": ids, **fields}
    )


def test_the_list_offers_the_moderation_actions(moderator_client, message):
    response = moderator_client.get(CHANGELIST_URL)

    choices = [name for name, _ in response.context["action_form"].fields["action"].choices]
    assert choices == [
        "",
        "hide_messages",
        "restore_messages",
        "warn_authors",
        "open_cases",
        "mark_as_read",
        "mark_as_unread",
    ]


def test_a_bulk_action_first_asks_for_the_reason_and_changes_nothing(moderator_client, message):
    response = bulk_post(moderator_client, "hide_messages", [message.pk])

    assert response.status_code == 200
    assertContains(response, 'name="hide-reason"')
    assertContains(response, 'name="apply" value="yes"')
    message.refresh_from_db()
    assert not message.is_hidden


def test_hiding_in_bulk_reports_each_message(moderator_client, moderator, alice, bob):
    first, second = MessageFactory(sender=alice), MessageFactory(sender=bob)
    hide_message(second, moderator=moderator, reason="before")

    response = bulk_post(
        moderator_client,
        "hide_messages",
        [first.pk, second.pk],
        apply="yes",
        **{"hide-reason": "Spam wave"},
    )

    assert response.status_code == 302
    first.refresh_from_db()
    assert first.is_hidden
    assert sorted(flashed(response)) == sorted(
        [
            f"Message #{first.pk} is hidden from its readers.",
            f"Message #{second.pk} was hidden already: nothing to hide.",
        ]
    )
    assert AuditEntry.objects.filter(reason="Spam wave").count() == 1


def test_warning_in_bulk_warns_each_author_once(moderator_client, alice, bob):
    ids = [MessageFactory(sender=alice).pk, MessageFactory(sender=alice).pk]
    ids.append(MessageFactory(sender=bob).pk)

    bulk_post(
        moderator_client,
        "warn_authors",
        ids,
        apply="yes",
        **{"warn-reason": "r", "warn-warning": "Please stop."},
    )

    assert Notification.objects.filter(kind=Notification.Kind.WARNING).count() == 2
    assert AuditEntry.objects.filter(action=AuditEntry.Action.USER_WARNED).count() == 2


def test_opening_cases_in_bulk_puts_each_authors_messages_in_one_case(moderator_client, alice, bob):
    ids = [MessageFactory(sender=alice).pk, MessageFactory(sender=alice).pk]
    ids.append(MessageFactory(sender=bob).pk)

    bulk_post(
        moderator_client,
        "open_cases",
        ids,
        apply="yes",
        **{"open_case-report_reason": "spam", "open_case-reason": "Spam wave"},
    )

    assert Case.objects.count() == 2
    assert Report.objects.count() == 3
    assert Case.objects.get(reported_user=alice).reports.count() == 2


def test_one_refusal_in_bulk_does_not_undo_the_others(moderator_client, alice):
    staff_message = MessageFactory(sender=UserFactory(is_staff=True))
    ordinary = MessageFactory(sender=alice)

    response = bulk_post(
        moderator_client,
        "open_cases",
        [staff_message.pk, ordinary.pk],
        apply="yes",
        **{"open_case-report_reason": "spam", "open_case-reason": "r"},
    )

    assert Case.objects.get().reported_user == alice
    assert any("only a superuser" in text for text in flashed(response))


def test_an_invalid_bulk_form_comes_back_with_its_errors(moderator_client, message):
    response = bulk_post(
        moderator_client, "hide_messages", [message.pk], apply="yes", **{"hide-reason": ""}
    )

    assert response.status_code == 200
    assertContains(response, "This field is required.")
    assert not AuditEntry.objects.exists()


def test_a_bulk_selection_is_bounded(moderator_client, alice, bob):
    messages = bulk_messages(
        [{"sender": alice, "receiver": bob} for _ in range(MAX_MESSAGES_PER_BULK_ACTION + 1)]
    )

    response = bulk_post(
        moderator_client,
        "hide_messages",
        [message.pk for message in messages],
        apply="yes",
        **{"hide-reason": "r"},
    )

    assert "at most 100 messages" in flashed(response)[0]
    assert not Message.objects.filter(is_hidden=True).exists()


def test_staff_outside_the_group_cannot_run_the_bulk_actions(client, message):
    client.force_login(UserFactory(is_staff=True))

    response = bulk_post(client, "hide_messages", [message.pk], apply="yes", **{"hide-reason": "r"})

    assert response.status_code == 403
    message.refresh_from_db()
    assert not message.is_hidden


# --- a light list -------------------------------------------------------------------------


def test_a_page_of_100_messages_is_light(
    moderator_client, alice, bob, django_assert_max_num_queries
):
    bulk_messages(
        [
            {"sender": alice, "receiver": bob, "content": f"Message {i} " + "word " * 30}
            for i in range(120)
        ]
    )
    moderator_client.get(CHANGELIST_URL)

    with django_assert_max_num_queries(CHANGELIST_QUERY_BUDGET):
        response = moderator_client.get(CHANGELIST_URL)

    assert len(response.context["cl"].result_list) == 100
    assert len(response.content) < CHANGELIST_MAX_BYTES
    assertContains(response, 'class="msgadmin-check action-select"', count=100)

"""moderation.selectors: what a case page shows, read in a fixed number of queries,
whatever happened to the accounts and messages since the reports."""

from __future__ import annotations

import pytest

from audit.models import AuditEntry
from messaging import services as messaging_services
from messaging.models import Message
from moderation import selectors, services
from moderation.models import DELETED_ACCOUNT
from moderation.selectors import load_case_page
from tests.factories import ReplyFactory, UserFactory, reported_message

pytestmark = pytest.mark.django_db

# Reports, their reporters' reliability, threads (their reading order, then the
# messages shown), names in the evidence, timeline, notes.
CASE_PAGE_QUERIES = 7


def test_a_case_page_holds_each_report_with_its_evidence_and_thread(alice, bob, carol):
    first = reported_message(author=alice, reporter=bob, content="first thread")
    reply = ReplyFactory(
        parent_message=Message.objects.get(pk=first.reported_message_id), content="answer"
    )
    second = reported_message(author=alice, reporter=carol, content="second thread")

    page = load_case_page(first.case, with_notes=False)

    assert [(item.report, item.reporter, item.message_exists) for item in page.evidence] == [
        (first, "bob", True),
        (second, "carol", True),
    ]
    assert [m.sender for m in page.evidence[0].evidence.messages] == ["alice"]
    assert page.reported_ids == {first.reported_message_id, second.reported_message_id}
    assert [thread.root.content for thread in page.threads] == ["first thread", "second thread"]
    assert [(m.pk, m.depth) for m in page.threads[0].messages] == [
        (first.reported_message_id, 0),
        (reply.pk, 1),
    ]
    assert page.notes is None
    assert page.hidden_reported == []


def test_a_case_page_costs_the_same_queries_for_many_reports_and_notes(
    alice, moderator, django_assert_num_queries
):
    first = reported_message(author=alice)
    for _ in range(5):
        report = reported_message(author=alice)
        ReplyFactory(parent_message=Message.objects.get(pk=report.reported_message_id))
        services.add_note(author=moderator, text="seen", case=report.case)
    services.add_note(author=moderator, text="on the user", user=alice)

    with django_assert_num_queries(CASE_PAGE_QUERIES):
        page = load_case_page(first.case, with_notes=True)

    assert (len(page.evidence), len(page.threads), len(page.notes)) == (6, 6, 6)


def test_a_deleted_reported_account_leaves_its_evidence_under_no_name(alice, bob, moderator):
    report = reported_message(author=alice, reporter=bob, content="rude")
    messaging_services.delete_account(alice, actor=moderator, reason="abuse")

    page = load_case_page(report.case, with_notes=False)

    (item,) = page.evidence
    assert item.message_exists is False
    assert [(m.sender, m.receiver, m.content) for m in item.evidence.messages] == [
        (DELETED_ACCOUNT, "bob", "rude")
    ]
    assert page.threads == []


def test_a_deleted_reporter_shows_as_deleted_account(alice, moderator):
    reporter = UserFactory(username="ben")
    report = reported_message(author=alice, reporter=reporter)
    messaging_services.delete_account(reporter, actor=moderator, reason="asked")

    page = load_case_page(report.case, with_notes=False)

    (item,) = page.evidence
    assert item.reporter == DELETED_ACCOUNT
    assert item.evidence.messages[0].receiver == DELETED_ACCOUNT
    assert item.message_exists is True


def test_only_hidden_reported_messages_still_there_may_be_restored(alice, bob, carol, moderator):
    hidden = reported_message(author=alice, reporter=bob)
    restored = reported_message(author=alice, reporter=carol)
    shown = reported_message(author=alice, reporter=carol)
    unreported = ReplyFactory(parent_message=Message.objects.get(pk=shown.reported_message_id))
    for report in (hidden, restored):
        message = Message.objects.get(pk=report.reported_message_id)
        services.hide_message(message, moderator=moderator, reason="rude", case=report.case)
    services.restore_message(
        Message.objects.get(pk=restored.reported_message_id), moderator=moderator, reason="ok"
    )
    services.hide_message(unreported, moderator=moderator, reason="rude")

    page = load_case_page(hidden.case, with_notes=False)

    assert [message.pk for message in page.hidden_reported] == [hidden.reported_message_id]


def test_the_timeline_is_the_cases_audit_entries_newest_first(alice, bob, moderator):
    report = reported_message(author=alice, reporter=bob)
    services.add_note(author=moderator, text="looked", case=report.case)
    message = Message.objects.get(pk=report.reported_message_id)
    services.hide_message(message, moderator=moderator, reason="rude", case=report.case)
    services.hide_message(
        ReplyFactory(parent_message=message), moderator=moderator, reason="not this case"
    )

    page = load_case_page(report.case, with_notes=True)

    assert [entry.action for entry in page.timeline] == [
        AuditEntry.Action.MESSAGE_HIDDEN,
        AuditEntry.Action.NOTE_ADDED,
    ]
    assert [note.text for note in page.notes] == ["looked"]


def test_a_reported_message_is_found_only_through_its_own_case(
    alice, bob, carol, django_assert_num_queries
):
    report = reported_message(author=alice, reporter=bob, content="reported")
    other = reported_message(author=carol, reporter=bob, content="elsewhere")
    unreported = ReplyFactory(
        parent_message=Message.objects.get(pk=report.reported_message_id), content="answer"
    )

    with django_assert_num_queries(1):
        found = selectors.reported_message(report.case, report.reported_message_id)
        assert found.sender.username == "alice"  # loaded with it

    assert selectors.reported_message(report.case, other.reported_message_id) is None
    assert selectors.reported_message(report.case, unreported.pk) is None
    assert selectors.reported_message(report.case, 10**9) is None

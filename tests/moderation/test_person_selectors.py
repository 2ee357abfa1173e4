"""moderation.person_selectors: a person's moderation context in a fixed number of
queries, and what a suspended person is told."""

from __future__ import annotations

import pytest

from audit.models import AuditEntry
from messaging.models import Message
from moderation.person_selectors import person_context, suspension_notice
from moderation.services import (
    hide_message,
    lift_suspension,
    suspend_user,
    warn_user,
)
from tests.factories import MessageFactory, UserFactory, reported_message

pytestmark = pytest.mark.django_db


def test_the_context_lists_cases_reports_strikes_and_messages(alice, bob, carol, moderator):
    against = reported_message(author=alice, reporter=bob)
    filed = reported_message(author=carol, reporter=alice)
    hide_message(
        Message.objects.get(pk=against.reported_message_id), moderator=moderator, reason="spam"
    )
    warn_user(alice, moderator=moderator, reason="rude", warning="Be kind.")
    suspend_user(alice, moderator=moderator, reason="again")
    alice.refresh_from_db()

    context = person_context(alice, with_notes=True)

    assert [case.pk for case in context.cases] == [against.case_id]
    assert [report.pk for report in context.reports_against] == [against.pk]
    assert [report.pk for report in context.reports_filed] == [filed.pk]
    assert [entry.action for entry in context.strikes] == [
        AuditEntry.Action.USER_SUSPENDED,
        AuditEntry.Action.USER_WARNED,
        AuditEntry.Action.MESSAGE_HIDDEN,
    ]
    assert context.suspension.action == AuditEntry.Action.USER_SUSPENDED
    assert context.counts.messages_sent == 1 and context.counts.messages_received == 1
    assert (context.counts.reports_against, context.counts.reports_filed) == (1, 1)
    assert context.counts.sanctions == 3
    assert {message.pk for message in context.recent_messages} == {
        against.reported_message_id,
        filed.reported_message_id,
    }
    assert context.notes == []


def test_a_lift_ends_the_current_suspension(alice, moderator):
    suspend_user(alice, moderator=moderator, reason="spam")
    lift_suspension(alice, moderator=moderator, reason="appeal")

    assert person_context(alice, with_notes=False).suspension is None
    assert suspension_notice(alice).since is None


def test_recent_messages_are_the_newest_sent_or_received(alice, bob):
    MessageFactory.create_batch(12, sender=alice, receiver=bob)
    newest = MessageFactory(sender=bob, receiver=alice)

    messages = person_context(alice, with_notes=False).recent_messages

    assert len(messages) == 10
    assert messages[0] == newest


def test_the_context_costs_the_same_queries_for_a_small_and_a_big_account(
    django_assert_max_num_queries, moderator
):
    small, big = UserFactory(), UserFactory()
    reported_message(author=small)
    for _ in range(8):
        reported_message(author=big)
        reported_message(author=UserFactory(), reporter=big)
        warn_user(big, moderator=moderator, reason="r", warning="w")
        MessageFactory(sender=big)
        MessageFactory(receiver=big)
    suspend_user(big, moderator=moderator, reason="r")
    big.refresh_from_db()

    for person in (small, big):
        with django_assert_max_num_queries(9):
            context = person_context(person, with_notes=True)
            # Every row is loaded: nothing below runs a query.
            for report in context.reports_against:
                assert report.reporter.username and report.case.pk
            for report in context.reports_filed:
                assert report.case.reported_name
            for message in context.recent_messages:
                assert message.sender_id is None or message.sender.username
                assert message.receiver_id is None or message.receiver.username


def test_the_notice_lists_the_warnings_newest_first(alice, moderator):
    warn_user(alice, moderator=moderator, reason="r", warning="First.")
    suspend_user(alice, moderator=moderator, reason="r", warning="Second.")

    notice = suspension_notice(alice)

    assert [warning.text for warning in notice.warnings] == ["Second.", "First."]
    assert notice.since is not None

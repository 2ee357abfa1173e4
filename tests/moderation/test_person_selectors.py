"""moderation.person_selectors: a person's moderation context in a fixed number of
queries, and what a suspended person is told."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from messaging.models import Message
from moderation.models import Sanction
from moderation.person_selectors import (
    PERSON_LIST_LIMIT,
    person_context,
    person_sanctions,
    suspension_notice,
)
from moderation.sanctions import lift_expired_sanctions
from moderation.services import (
    hide_message,
    lift_suspension,
    suspend_user,
    warn_user,
)
from tests.factories import MessageFactory, SanctionFactory, UserFactory, reported_message

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
        # One per list (sanctions included), the counts, the suspension, the notes.
        with django_assert_max_num_queries(10):
            context = person_context(person, with_notes=True)
            # Every row is loaded: nothing below runs a query.
            for report in context.reports_against:
                assert report.reporter.username and report.case.pk
            for report in context.reports_filed:
                assert report.case.reported_name
            for sanction in context.sanctions:
                assert sanction.imposed_by.username
                assert sanction.ended_by_id is None or sanction.ended_by.username
            for message in context.recent_messages:
                assert message.sender_id is None or message.sender.username
                assert message.receiver_id is None or message.receiver.username


def test_the_notice_lists_the_warnings_newest_first(alice, moderator):
    warn_user(alice, moderator=moderator, reason="r", warning="First.")
    suspend_user(alice, moderator=moderator, reason="r", warning="Second.")

    notice = suspension_notice(alice)

    assert [warning.text for warning in notice.warnings] == ["Second.", "First."]
    assert notice.since is not None


# --- the person's sanctions ---------------------------------------------------------------------


def test_sanctions_in_force_come_first_a_suspension_before_the_rest(alice, bob):
    now = timezone.now()

    def sanction(kind, *, days_ago, ending=""):
        row = SanctionFactory(user=alice, kind=kind, imposed_at=now - timedelta(days=days_ago))
        if ending:
            Sanction.objects.filter(pk=row.pk).update(ended_at=now, ending=ending)
        return row.pk

    old_suspension = sanction(Sanction.Kind.SUSPEND, days_ago=9, ending=Sanction.Ending.EXPIRED)
    old_warning = sanction(Sanction.Kind.WARN, days_ago=8)
    suspension = sanction(Sanction.Kind.SUSPEND, days_ago=5)
    warning = sanction(Sanction.Kind.WARN, days_ago=1)
    lifted_warning = sanction(Sanction.Kind.WARN, days_ago=0, ending=Sanction.Ending.LIFTED)
    SanctionFactory(user=bob)

    listed = [row.pk for row in person_sanctions(alice.pk)]

    assert listed == [suspension, warning, old_warning, lifted_warning, old_suspension]
    context = person_context(alice, with_notes=False)
    assert context.active_suspension.pk == suspension
    assert (context.counts.sanctions_active, context.counts.sanctions_ended) == (3, 2)


def test_the_list_is_limited_and_the_counts_are_not(alice, moderator):
    SanctionFactory.create_batch(
        PERSON_LIST_LIMIT + 2, user=alice, kind=Sanction.Kind.HIDE, imposed_by=moderator
    )

    context = person_context(alice, with_notes=False)

    assert len(context.sanctions) == PERSON_LIST_LIMIT
    assert context.counts.sanctions_active == PERSON_LIST_LIMIT + 2
    assert context.active_suspension is None


def test_the_notice_says_until_when_the_suspension_lasts(alice, moderator):
    ends_at = timezone.now() + timedelta(days=7)
    suspend_user(alice, moderator=moderator, reason="r", ends_at=ends_at)

    notice = suspension_notice(alice)

    assert notice.until == ends_at
    assert notice.since is not None


def test_the_notice_of_an_indefinite_suspension_has_no_end(alice, bob, moderator):
    # bob's timed suspension is not alice's.
    suspend_user(bob, moderator=moderator, reason="r", ends_at=timezone.now() + timedelta(days=1))
    suspend_user(alice, moderator=moderator, reason="r")

    assert suspension_notice(alice).until is None


def test_an_ended_suspension_is_no_longer_the_notices(alice, moderator):
    ends_at = timezone.now() + timedelta(days=1)
    suspend_user(alice, moderator=moderator, reason="r", ends_at=ends_at)
    lift_expired_sanctions(now=ends_at)

    assert suspension_notice(alice).until is None

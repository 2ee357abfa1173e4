"""moderation.appeals: who may appeal what and when, the one exchange, four eyes,
what approving and rejecting do, what the person is told, the audit trail
without the person's words, and where appeals go (retention, account deletion)."""

from __future__ import annotations

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from messaging.models import Message, Notification
from messaging.services import delete_account
from moderation.appeals import ALREADY_APPEALED, appeal_deadline
from moderation.models import Appeal, Case, Sanction
from moderation.retention import purge_expired_evidence
from moderation.services import (
    answer_appeal_question,
    appeal_refusal,
    approve_appeal,
    ask_appeal_question,
    file_appeal,
    hide_message,
    reject_appeal,
    suspend_user,
    warn_user,
)
from tests.factories import (
    PASSWORD,
    AppealFactory,
    ModeratorFactory,
    SanctionFactory,
    reported_message,
)

pytestmark = pytest.mark.django_db

APPEAL_WORDS = "Zqxwvappealwords: I was quoting someone else."
ANSWER_WORDS = "Zqxwvanswerwords: the quote was from a film."


@pytest.fixture
def kim(db):
    """The moderator who imposes the sanctions below."""
    return ModeratorFactory(username="kim")


@pytest.fixture
def hidden(alice, bob, kim):
    """alice's message to bob, hidden by kim from bob's report's case."""
    report = reported_message(author=alice, reporter=bob, content="Alice's own words")
    message = Message.objects.get(pk=report.reported_message_id)
    hide_message(message, moderator=kim, reason="rude", case=report.case)
    return Sanction.objects.get(kind=Sanction.Kind.HIDE)


@pytest.fixture
def suspension(alice, kim):
    suspend_user(alice, moderator=kim, reason="spam")
    return Sanction.objects.get(kind=Sanction.Kind.SUSPEND)


@pytest.fixture
def warning(alice, kim):
    warn_user(alice, moderator=kim, reason="spam", warning="Stop sending links.")
    return Sanction.objects.get(kind=Sanction.Kind.WARN)


@pytest.fixture
def appeal(alice, warning):
    return file_appeal(warning, user=alice, text=APPEAL_WORDS)


def audit_text() -> str:
    """Every free text and detail of the audit log, for looking for words in it."""
    return json.dumps(
        list(AuditEntry.objects.values_list("reason", "details", "target_username")), default=str
    )


# --- who may appeal, and when ------------------------------------------------------------


def test_a_person_may_appeal_their_own_active_sanction(alice, warning):
    assert appeal_refusal(warning, user=alice) is None


def test_someone_elses_sanction_is_refused(bob, warning):
    assert appeal_refusal(warning, user=bob) == "This decision is not about your account."
    with pytest.raises(ValidationError, match="not about your account"):
        file_appeal(warning, user=bob, text="mine now")
    assert not Appeal.objects.exists()


def test_an_ended_sanction_is_refused(alice):
    ended = SanctionFactory(
        user=alice, ended_at=timezone.now(), ending=Sanction.Ending.LIFTED, kind="warn"
    )
    assert "has ended" in appeal_refusal(ended, user=alice)


def test_a_sanction_is_appealed_once(alice, warning, appeal):
    warning.refresh_from_db()
    assert appeal_refusal(warning, user=alice) == ALREADY_APPEALED
    with pytest.raises(ValidationError, match=ALREADY_APPEALED):
        file_appeal(warning, user=alice, text="again")
    assert Appeal.objects.count() == 1


def test_the_window_includes_its_last_moment_and_not_one_after(alice, warning, settings):
    settings.APPEAL_WINDOW_DAYS = 20
    deadline = warning.imposed_at + timedelta(days=20)
    assert appeal_deadline(warning) == deadline

    assert appeal_refusal(warning, user=alice, now=deadline) is None
    refusal = appeal_refusal(warning, user=alice, now=deadline + timedelta(microseconds=1))
    assert refusal.startswith("The time to appeal has passed")
    assert "within 20 days" in refusal


def test_filing_after_the_window_is_refused(alice, warning):
    later = appeal_deadline(warning) + timedelta(seconds=1)
    with (
        mock.patch("django.utils.timezone.now", return_value=later),
        pytest.raises(ValidationError, match="time to appeal has passed"),
    ):
        file_appeal(warning, user=alice, text=APPEAL_WORDS)
    assert not Appeal.objects.exists()


def test_the_window_follows_the_setting(alice, warning, settings):
    settings.APPEAL_WINDOW_DAYS = 2
    assert appeal_refusal(warning, user=alice, now=warning.imposed_at + timedelta(days=3))


@pytest.mark.parametrize(
    ("text", "words"),
    [("   ", "cannot be empty"), ("x" * 2_001, "at most 2,000"), ("a\x00b", "NUL")],
)
def test_the_appeals_text_is_checked(alice, warning, text, words):
    with pytest.raises(ValidationError, match=words):
        file_appeal(warning, user=alice, text=text)


def test_filing_records_the_appeal_and_an_entry_without_its_words(alice, warning, appeal):
    assert (appeal.user, appeal.sanction, appeal.status) == (alice, warning, Appeal.Status.OPEN)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.APPEAL_FILED)
    assert entry.actor == alice
    assert entry.target_user_id == alice.pk
    assert entry.details["appeal_id"] == appeal.pk
    assert entry.details["sanction_id"] == warning.pk
    assert "Zqxwvappealwords" not in audit_text()


def test_an_appeal_belongs_to_its_sanctions_case(alice, hidden):
    appeal = file_appeal(hidden, user=alice, text=APPEAL_WORDS)

    assert appeal.case_id == hidden.case_id is not None
    entry = AuditEntry.objects.get(action=AuditEntry.Action.APPEAL_FILED)
    assert entry.case_id == hidden.case_id


# --- the exchange -----------------------------------------------------------------------


def test_a_question_tells_the_person_where_to_answer(alice, moderator, appeal):
    ask_appeal_question(appeal, moderator=moderator, question="Which film?")

    appeal.refresh_from_db()
    assert (appeal.status, appeal.question, appeal.asked_by) == ("asked", "Which film?", moderator)
    notice = Notification.objects.get(user=alice, kind=Notification.Kind.MODERATION_NOTICE)
    assert "has a question about your appeal" in notice.text
    assert "answer under Decisions about your account" in notice.text
    assert AuditEntry.objects.filter(action=AuditEntry.Action.APPEAL_QUESTION_ASKED).count() == 1
    assert "Which film?" not in audit_text()


def test_the_answer_reopens_the_appeal_for_moderators(alice, moderator, appeal):
    ask_appeal_question(appeal, moderator=moderator, question="Which film?")
    answer_appeal_question(appeal, user=alice, answer=ANSWER_WORDS)

    appeal.refresh_from_db()
    assert (appeal.status, appeal.answer) == (Appeal.Status.OPEN, ANSWER_WORDS)
    assert appeal.answered_at is not None
    entry = AuditEntry.objects.get(action=AuditEntry.Action.APPEAL_ANSWERED)
    assert entry.actor == alice
    assert "Zqxwvanswerwords" not in audit_text()


def test_only_one_question_is_asked(alice, moderator, appeal):
    ask_appeal_question(appeal, moderator=moderator, question="Which film?")
    answer_appeal_question(appeal, user=alice, answer=ANSWER_WORDS)

    with pytest.raises(ValidationError, match="only one is possible"):
        ask_appeal_question(appeal, moderator=moderator, question="And which scene?")


def test_an_answer_needs_a_question_waiting(alice, appeal):
    with pytest.raises(ValidationError, match="no question waiting"):
        answer_appeal_question(appeal, user=alice, answer="unasked")


def test_only_the_person_answers(bob, moderator, appeal):
    ask_appeal_question(appeal, moderator=moderator, question="Which film?")
    with pytest.raises(PermissionDenied):
        answer_appeal_question(appeal, user=bob, answer="I am not alice")


# --- four eyes --------------------------------------------------------------------------


def test_the_imposer_may_neither_ask_nor_decide(kim, appeal):
    for step in (
        lambda: ask_appeal_question(appeal, moderator=kim, question="?"),
        lambda: approve_appeal(appeal, moderator=kim, reason="I was wrong"),
        lambda: reject_appeal(appeal, moderator=kim, reason="I was right"),
    ):
        with pytest.raises(PermissionDenied, match="four eyes"):
            step()
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.OPEN


def test_a_superuser_may_decide_their_own_sanctions_appeal(alice, superuser):
    warn_user(alice, moderator=superuser, reason="spam", warning="Stop.")
    appeal = file_appeal(Sanction.objects.get(), user=alice, text=APPEAL_WORDS)

    reject_appeal(appeal, moderator=superuser, reason="It stands.")

    assert Appeal.objects.get().status == Appeal.Status.REJECTED


def test_a_person_without_the_desks_permissions_may_not_decide(bob, appeal):
    with pytest.raises(PermissionDenied):
        approve_appeal(appeal, moderator=bob, reason="sure")


def test_a_sanction_whose_imposer_was_deleted_is_anyones_to_decide(alice, kim, moderator):
    warn_user(alice, moderator=kim, reason="spam", warning="Stop.")
    appeal = file_appeal(Sanction.objects.get(), user=alice, text=APPEAL_WORDS)
    kim.delete()
    appeal.refresh_from_db()

    reject_appeal(appeal, moderator=moderator, reason="It stands.")

    assert Appeal.objects.get().decided_by == moderator


# --- deciding ---------------------------------------------------------------------------


def test_approving_a_hidden_messages_appeal_shows_it_again(alice, moderator, hidden):
    appeal = file_appeal(hidden, user=alice, text=APPEAL_WORDS)

    approve_appeal(appeal, moderator=moderator, reason="Quoting is fine.")

    assert not Message.objects.get(pk=hidden.message_id).is_hidden
    hidden.refresh_from_db()
    assert (hidden.ending, hidden.ended_by) == (Sanction.Ending.OVERTURNED, moderator)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.MESSAGE_RESTORED).count() == 1


def test_approving_a_suspensions_appeal_lets_the_person_log_in(alice, moderator, suspension):
    appeal = file_appeal(suspension, user=alice, text=APPEAL_WORDS)

    approve_appeal(appeal, moderator=moderator, reason="Not spam after all.")

    alice.refresh_from_db()
    assert alice.is_active
    suspension.refresh_from_db()
    assert suspension.ending == Sanction.Ending.OVERTURNED
    login = Client().post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert login.status_code == 302


def test_approving_a_warnings_appeal_ends_its_strike(alice, moderator, warning, appeal):
    approve_appeal(appeal, moderator=moderator, reason="Fair point.")

    warning.refresh_from_db()
    assert not warning.is_active
    assert (warning.ending, warning.ended_by) == (Sanction.Ending.OVERTURNED, moderator)


def test_approving_when_the_message_was_deleted_still_overturns_the_sanction(
    alice, moderator, hidden
):
    appeal = file_appeal(hidden, user=alice, text=APPEAL_WORDS)
    Message.objects.filter(pk=hidden.message_id).delete()

    approve_appeal(appeal, moderator=moderator, reason="Fair point.")

    hidden.refresh_from_db()
    assert hidden.ending == Sanction.Ending.OVERTURNED
    entry = AuditEntry.objects.get(action=AuditEntry.Action.APPEAL_APPROVED)
    assert entry.details["reversed"] is False


def test_approving_a_sanction_that_ended_meanwhile_just_records_the_decision(
    alice, moderator, warning, appeal
):
    Sanction.objects.filter(pk=warning.pk).update(
        ended_at=timezone.now(), ending=Sanction.Ending.EXPIRED
    )

    approve_appeal(appeal, moderator=moderator, reason="Fair point.")

    warning.refresh_from_db()
    assert warning.ending == Sanction.Ending.EXPIRED  # as it ended, not rewritten
    assert Appeal.objects.get().status == Appeal.Status.APPROVED


def test_the_person_reads_the_approval_and_its_reason_but_not_who_decided(alice, appeal):
    approve_appeal(appeal, moderator=ModeratorFactory(username="zed"), reason="Fair point.")

    notice = Notification.objects.get(user=alice, kind=Notification.Kind.MODERATION_NOTICE)
    assert "was approved" in notice.text
    assert "Fair point." in notice.text
    assert "zed" not in notice.text


def test_a_rejection_needs_a_reason(moderator, appeal):
    with pytest.raises(ValidationError, match="cannot be empty"):
        reject_appeal(appeal, moderator=moderator, reason="  ")
    assert Appeal.objects.get().status == Appeal.Status.OPEN


def test_a_rejection_keeps_the_sanction_and_tells_the_person_why(alice, moderator, warning, appeal):
    reject_appeal(appeal, moderator=moderator, reason="Links to strangers are spam.")

    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.REJECTED
    assert appeal.decision_reason == "Links to strangers are spam."
    warning.refresh_from_db()
    assert warning.is_active
    notice = Notification.objects.get(user=alice, kind=Notification.Kind.MODERATION_NOTICE)
    assert "was rejected" in notice.text and "Links to strangers are spam." in notice.text
    entry = AuditEntry.objects.get(action=AuditEntry.Action.APPEAL_REJECTED)
    assert (entry.actor, entry.reason) == (moderator, "Links to strangers are spam.")


def test_a_decided_appeal_is_kept_for_the_evidence_retention(moderator, appeal, settings):
    settings.EVIDENCE_RETENTION_DAYS = 30
    reject_appeal(appeal, moderator=moderator, reason="It stands.")

    appeal.refresh_from_db()
    assert appeal.retain_until == appeal.decided_at + timedelta(days=30)


def test_an_appeal_is_decided_once(moderator, superuser, appeal):
    reject_appeal(appeal, moderator=moderator, reason="It stands.")

    with pytest.raises(ValidationError, match="already decided by moderator"):
        approve_appeal(appeal, moderator=superuser, reason="Changed my mind.")
    assert Appeal.objects.get().status == Appeal.Status.REJECTED
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.APPEAL_APPROVED).exists()


def test_a_decision_may_come_while_the_question_waits(alice, moderator, appeal):
    ask_appeal_question(appeal, moderator=moderator, question="Which film?")

    reject_appeal(appeal, moderator=moderator, reason="No answer needed.")

    assert Appeal.objects.get().status == Appeal.Status.REJECTED


def test_the_decision_locks_the_appeal_row(moderator, appeal):
    with CaptureQueriesContext(connection) as queries:
        reject_appeal(appeal, moderator=moderator, reason="It stands.")
    if connection.features.has_select_for_update:
        assert any(
            "moderation_appeal" in query["sql"] and "FOR UPDATE" in query["sql"]
            for query in queries.captured_queries
        )


def test_every_step_is_audited_and_no_person_words_are_in_the_log(alice, moderator, appeal):
    ask_appeal_question(appeal, moderator=moderator, question="Which film?")
    answer_appeal_question(appeal, user=alice, answer=ANSWER_WORDS)
    approve_appeal(appeal, moderator=moderator, reason="Fair point.")

    actions = list(
        AuditEntry.objects.filter(action__startswith="appeal_")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        AuditEntry.Action.APPEAL_FILED,
        AuditEntry.Action.APPEAL_QUESTION_ASKED,
        AuditEntry.Action.APPEAL_ANSWERED,
        AuditEntry.Action.APPEAL_APPROVED,
    ]
    logged = audit_text()
    assert "Zqxwvappealwords" not in logged and "Zqxwvanswerwords" not in logged


# --- where appeals go -------------------------------------------------------------------


def test_the_purge_deletes_decided_appeals_past_their_retention(moderator, appeal, alice):
    reject_appeal(appeal, moderator=moderator, reason="It stands.")
    waiting = AppealFactory(sanction__user=alice)

    purge_expired_evidence(now=timezone.now() + timedelta(days=10_000))

    assert list(Appeal.objects.all()) == [waiting]
    entry = AuditEntry.objects.get(
        action=AuditEntry.Action.EVIDENCE_PURGED, details__appeal_id=appeal.pk
    )
    assert entry.target_user_id == alice.pk
    assert "Zqxwvappealwords" not in audit_text()


def test_the_purge_keeps_appeals_within_their_retention(moderator, appeal):
    reject_appeal(appeal, moderator=moderator, reason="It stands.")

    purge_expired_evidence(now=timezone.now() + timedelta(days=1))

    assert Appeal.objects.count() == 1


def test_an_appeal_goes_with_its_purged_case(alice, hidden):
    file_appeal(hidden, user=alice, text=APPEAL_WORDS)
    Case.objects.filter(pk=hidden.case_id).update(
        status=Case.Status.CLOSED, closed_at=timezone.now(), retain_until=timezone.now()
    )

    purge_expired_evidence(now=timezone.now() + timedelta(seconds=1))

    assert not Case.objects.exists()
    assert not Appeal.objects.exists()
    assert Sanction.objects.filter(pk=hidden.pk).exists()  # the record stays, without its case


def test_the_appeal_goes_with_the_persons_account(alice, appeal):
    delete_account(alice, actor=alice, reason="leaving")

    assert not Appeal.objects.exists()
    assert "Zqxwvappealwords" not in audit_text()

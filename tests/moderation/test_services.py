"""moderation.services: reports, case actions, notes, retention and purge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEntry
from messaging import services as messaging_services
from messaging.models import Message, MessageHistory, Notification
from moderation import retention, services
from moderation.models import Case, Note, Report, Sanction
from moderation.services import CaseAction
from tests.factories import (
    MessageFactory,
    ModeratorFactory,
    ReplyFactory,
    SuperuserFactory,
    UserFactory,
    reported_message,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


def entries(case: Case) -> list[str]:
    return list(
        AuditEntry.objects.filter(case_id=case.pk).order_by("id").values_list("action", flat=True)
    )


# --- report_message ----------------------------------------------------------------------------


def test_a_report_opens_a_case_for_the_author_with_counts(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="you again")

    report = services.report_message(
        reporter=bob, message=message, reason="harassment", comment="third time"
    )

    case = Case.objects.get()
    assert report.case == case
    assert (case.reported_user, case.account_id, case.reported_username) == (
        alice,
        alice.pk,
        "alice",
    )
    assert (case.status, case.report_count, case.reporter_count) == ("open", 1, 1)
    assert report.reported_message_id == message.pk
    assert (report.reason, report.comment) == ("harassment", "third time")


def test_reports_against_one_person_share_their_open_case(alice, bob, carol):
    first = MessageFactory(sender=alice, receiver=bob)
    second = MessageFactory(sender=alice, receiver=bob)
    third = MessageFactory(sender=alice, receiver=carol)

    services.report_message(reporter=bob, message=first, reason="spam")
    services.report_message(reporter=bob, message=second, reason="spam")
    services.report_message(reporter=carol, message=third, reason="threat")

    case = Case.objects.get()
    assert (case.report_count, case.reporter_count) == (3, 2)


def test_reporting_the_same_message_twice_is_refused_politely(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob)
    services.report_message(reporter=bob, message=message, reason="spam")

    with pytest.raises(ValidationError, match="already reported this message"):
        services.report_message(reporter=bob, message=message, reason="threat")

    assert Report.objects.count() == 1
    assert Case.objects.get().report_count == 1


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ("own", "your own message"),
        ("tombstone", "was deleted"),
        ("hidden", "already hidden"),
    ],
)
def test_a_message_that_cannot_be_reported_is_refused_and_nothing_written(
    alice, bob, change, error
):
    message = MessageFactory(sender=alice, receiver=bob)
    reporter = bob
    if change == "own":
        reporter = alice
    elif change == "tombstone":
        Message.objects.filter(pk=message.pk).update(is_tombstone=True, content="", sender=None)
    else:
        Message.objects.filter(pk=message.pk).update(is_hidden=True)

    with pytest.raises(ValidationError, match=error):
        services.report_message(reporter=reporter, message=message, reason="spam")

    assert not Case.objects.exists()
    assert not Report.objects.exists()


def test_only_people_of_the_conversation_can_report_it(alice, bob, carol):
    message = MessageFactory(sender=alice, receiver=bob)

    with pytest.raises(PermissionDenied):
        services.report_message(reporter=carol, message=message, reason="spam")

    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("reason", "comment", "error"),
    [
        ("not-a-reason", "", "Choose a reason"),
        ("spam", "x" * 1001, "at most 1,000 characters"),
        ("spam", "nul\x00byte", "NUL"),
    ],
)
def test_bad_report_input_is_refused_with_a_clear_message(alice, bob, reason, comment, error):
    message = MessageFactory(sender=alice, receiver=bob)

    with pytest.raises(ValidationError, match=error):
        services.report_message(reporter=bob, message=message, reason=reason, comment=comment)

    assert not Report.objects.exists()


def test_the_evidence_holds_the_message_its_parent_and_replies_with_their_edits(alice, bob):
    parent = MessageFactory(sender=bob, receiver=alice, content="what did you say?")
    message = ReplyFactory(parent_message=parent, content="first words")
    messaging_services.edit_message(message, editor=alice, content="worse words")
    reply = ReplyFactory(parent_message=message, content="please stop")
    MessageFactory(sender=alice, receiver=bob, content="another thread")

    evidence = services.report_message(reporter=bob, message=message, reason="harassment").evidence

    assert evidence["message"]["content"] == "worse words"
    assert (evidence["message"]["sender_id"], evidence["message"]["receiver_id"]) == (
        alice.pk,
        bob.pk,
    )
    assert [edit["old_content"] for edit in evidence["message"]["edits"]] == ["first words"]
    assert evidence["message"]["edits"][0]["edited_by_id"] == alice.pk
    assert evidence["parent"]["content"] == "what did you say?"
    assert [row["content"] for row in evidence["replies"]] == ["please stop"]
    assert evidence["replies"][0]["id"] == reply.pk


def test_the_evidence_is_a_snapshot_that_later_edits_do_not_change(alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="said this")
    report = services.report_message(reporter=bob, message=message, reason="threat")

    messaging_services.edit_message(message, editor=alice, content="never said that")

    report.refresh_from_db()
    assert report.evidence["message"]["content"] == "said this"


def queries_to_report(replies: int) -> int:
    """The queries of one report of a message with ``replies`` edited replies."""
    parent = MessageFactory()
    message = ReplyFactory(parent_message=parent)
    for _ in range(replies):
        reply = ReplyFactory(parent_message=message)
        MessageHistory.objects.create(
            message=reply, old_content="before", edited_at=timezone.now(), edited_by=reply.sender
        )
    with CaptureQueriesContext(connection) as queries:
        services.report_message(reporter=parent.sender, message=message, reason="spam")
    return len(queries)


def test_a_report_costs_the_same_queries_whatever_the_replies_and_edits():
    assert queries_to_report(1) == queries_to_report(30)


def test_a_new_case_counts_the_accounts_earlier_sanctions(moderator):
    first = reported_message()
    author = first.case.reported_user
    services.act_on_case(
        first.case, moderator=moderator, actions=["warn", "hide"], reason="r", warning="stop"
    )

    second = reported_message(author=author)

    assert second.case != first.case
    assert second.case.prior_sanctions == 2  # a warning and a hidden message


def test_a_strike_overturned_or_ended_on_time_no_longer_weighs_on_a_new_case(moderator):
    first = reported_message()
    author = first.case.reported_user
    services.act_on_case(
        first.case, moderator=moderator, actions=["warn", "hide"], reason="r", warning="stop"
    )
    warning, hidden = (
        Sanction.objects.get(kind=Sanction.Kind.WARN),
        Sanction.objects.get(kind=Sanction.Kind.HIDE),
    )
    Sanction.objects.filter(pk=warning.pk).update(
        ended_at=timezone.now(), ending=Sanction.Ending.EXPIRED
    )
    services.restore_message(
        Message.objects.get(pk=hidden.message_id),
        moderator=moderator,
        reason="overturned",
        ending=Sanction.Ending.OVERTURNED,
    )

    second = reported_message(author=author)

    assert second.case.prior_sanctions == 0


# --- act_on_case --------------------------------------------------------------------------------


def test_several_actions_at_once_each_audited_and_the_case_closes(moderator):
    report = reported_message(content="I know where you live")
    case, user = report.case, report.case.reported_user

    outcome = services.act_on_case(
        case,
        moderator=moderator,
        actions=[CaseAction.HIDE, CaseAction.WARN, CaseAction.SUSPEND],
        reason="threat",
        warning="Threats are not allowed here.",
    )

    assert outcome.done == ["1 message hidden", "warned", "suspended"]
    assert Message.objects.get(pk=report.reported_message_id).is_hidden
    warning = Notification.objects.get(user=user, kind=Notification.Kind.WARNING)
    assert (warning.text, warning.message) == ("Threats are not allowed here.", None)
    user.refresh_from_db()
    assert not user.is_active
    case.refresh_from_db()
    assert (case.status, case.resolution) == ("closed", "actioned")
    assert case.first_action_at == case.closed_at
    assert case.retain_until == case.closed_at + timedelta(days=90)
    assert entries(case) == ["message_hidden", "user_warned", "user_suspended"]
    audit = AuditEntry.objects.filter(case_id=case.pk)
    assert set(audit.values_list("actor", "target_user_id", "reason")) == {
        (moderator.pk, user.pk, "threat")
    }


def test_a_case_can_stay_open_after_an_action(moderator):
    case = reported_message().case

    services.act_on_case(case, moderator=moderator, actions=["hide"], reason="r", close=False)

    case.refresh_from_db()
    assert case.is_open
    assert case.first_action_at is not None
    assert case.retain_until is None


def test_dismissing_closes_the_case_and_changes_nothing_else(moderator):
    report = reported_message()
    case = report.case

    services.act_on_case(case, moderator=moderator, actions=["dismiss"], reason="banter")

    case.refresh_from_db()
    assert (case.status, case.resolution) == ("closed", "dismissed")
    assert not Message.objects.get(pk=report.reported_message_id).is_hidden
    assert case.reported_user.is_active
    assert entries(case) == ["case_dismissed"]


@pytest.mark.parametrize(
    ("actions", "reason", "warning", "error"),
    [
        ([], "r", "", "at least one action"),
        (["dismiss", "warn"], "r", "w", "cannot be combined"),
        (["delete_account", "suspend"], "r", "", "cannot be combined"),
        (["hide"], "   ", "", "reason cannot be empty"),
        (["warn"], "r", "", "warning cannot be empty"),
        (["ban"], "r", "", "Unknown action"),
        (["hide"], "x" * 2001, "", "at most 2,000"),
    ],
)
def test_an_impossible_combination_is_refused_and_nothing_written(
    moderator, actions, reason, warning, error
):
    report = reported_message()
    case = report.case

    with pytest.raises(ValidationError, match=error):
        services.act_on_case(
            case, moderator=moderator, actions=actions, reason=reason, warning=warning
        )

    case.refresh_from_db()
    assert case.is_open and case.first_action_at is None
    assert not AuditEntry.objects.exists()
    assert not Message.objects.get(pk=report.reported_message_id).is_hidden


def test_acting_on_a_closed_case_is_refused(moderator):
    case = reported_message().case
    services.act_on_case(case, moderator=moderator, actions=["dismiss"], reason="r")

    with pytest.raises(ValidationError, match="closed already"):
        services.act_on_case(case, moderator=moderator, actions=["hide"], reason="r")

    assert entries(case) == ["case_dismissed"]


def test_a_failing_action_undoes_the_others(moderator, monkeypatch):
    report = reported_message()
    case = report.case

    def fail(*args, **kwargs):
        raise RuntimeError("injected")

    monkeypatch.setattr("moderation.case_actions.suspend_user", fail)
    with pytest.raises(RuntimeError):
        services.act_on_case(
            case, moderator=moderator, actions=["hide", "warn", "suspend"], reason="r", warning="w"
        )

    case.refresh_from_db()
    assert case.is_open
    assert not Message.objects.get(pk=report.reported_message_id).is_hidden
    assert not Notification.objects.filter(kind=Notification.Kind.WARNING).exists()
    assert not AuditEntry.objects.exists()


def test_only_moderators_act_on_cases(alice):
    case = reported_message().case
    staff = UserFactory(username="staff", is_staff=True)

    for outsider in (alice, staff):
        with pytest.raises(PermissionDenied):
            services.act_on_case(case, moderator=outsider, actions=["dismiss"], reason="r")

    assert Case.objects.get().is_open


def test_a_moderator_cannot_suspend_or_delete_a_staff_account(moderator):
    staff = UserFactory(username="staff", is_staff=True)
    case = reported_message(author=staff).case

    for action in ("suspend", "delete_account"):
        with pytest.raises(ValidationError, match="only a superuser"):
            services.act_on_case(case, moderator=moderator, actions=[action], reason="r")

    staff.refresh_from_db()
    assert staff.is_active


def test_deleting_the_account_from_its_case_keeps_the_evidence_under_retention(moderator):
    report = reported_message(content="evidence words", comment="scared")
    case, user = report.case, report.case.reported_user

    outcome = services.act_on_case(
        case, moderator=moderator, actions=["delete_account"], reason="threats"
    )

    assert outcome.done == ["account deleted"]
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Message.objects.filter(pk=report.reported_message_id).exists()
    case.refresh_from_db()
    assert case.reported_user is None
    assert (case.status, case.resolution) == ("closed", "account_deleted")
    assert case.retain_until == case.closed_at + timedelta(days=90)
    report.refresh_from_db()
    assert report.evidence["message"]["content"] == "evidence words"
    deletion = AuditEntry.objects.get(action=AuditEntry.Action.ACCOUNT_DELETED)
    assert (deletion.case_id, deletion.actor, deletion.reason) == (case.pk, moderator, "threats")


@pytest.mark.parametrize("how", ["service", "user.delete()"])
def test_an_account_deleted_any_other_way_closes_its_case(how, moderator):
    case = reported_message().case
    user = case.reported_user

    if how == "service":
        messaging_services.delete_account(user, actor=user, reason="left")
    else:
        user.delete()

    case.refresh_from_db()
    assert (case.status, case.resolution, case.reported_user) == ("closed", "account_deleted", None)
    assert case.retain_until is not None
    assert Report.objects.filter(case=case).exists()


def test_a_reporters_deletion_keeps_their_report_without_their_comment(bob):
    report = reported_message(reporter=bob, comment="it was me")

    messaging_services.delete_account(bob, actor=bob)

    report.refresh_from_db()
    assert (report.reporter, report.comment) == (None, "")
    assert report.case.is_open


# --- restore, lift, notes, retention -------------------------------------------------------


def test_hidden_messages_are_restored_and_suspensions_lifted_with_audit(moderator):
    report = reported_message()
    case, user = report.case, report.case.reported_user
    services.act_on_case(case, moderator=moderator, actions=["hide", "suspend"], reason="r")
    message = Message.objects.get(pk=report.reported_message_id)

    assert services.restore_message(message, moderator=moderator, reason="appeal", case=case)
    assert services.lift_suspension(user, moderator=moderator, reason="appeal", case=case)
    # A second time there is nothing left to do, and nothing is recorded.
    assert not services.restore_message(message, moderator=moderator, reason="again", case=case)
    assert not services.lift_suspension(user, moderator=moderator, reason="again", case=case)

    message.refresh_from_db()
    user.refresh_from_db()
    assert not message.is_hidden and user.is_active
    assert entries(case)[-2:] == ["message_restored", "suspension_lifted"]


def test_notes_on_a_person_and_on_their_cases_read_in_one_place(moderator, alice):
    case = reported_message(author=alice).case
    on_user = services.add_note(author=moderator, text="known troll", user=alice)
    on_case = services.add_note(author=moderator, text="see screenshots", case=case)
    services.add_note(author=moderator, text="someone else", user=UserFactory(username="dave"))

    assert list(Note.objects.about(alice.pk)) == [on_case, on_user]
    assert set(
        AuditEntry.objects.filter(action="note_added").values_list("target_username", "case_id")
    ) == {("alice", None), ("alice", case.pk), ("dave", None)}
    assert "troll" not in str(list(AuditEntry.objects.values_list("details", "reason")))


def test_a_blank_note_or_a_note_without_permission_is_refused(alice):
    moderator = ModeratorFactory()
    with pytest.raises(ValidationError, match="cannot be empty"):
        services.add_note(author=moderator, text="  ", user=alice)
    with pytest.raises(PermissionDenied):
        services.add_note(author=UserFactory(is_staff=True), text="hi", user=alice)
    assert not Note.objects.exists()


def test_notes_on_a_person_go_with_their_account_but_case_notes_stay(moderator, alice):
    case = reported_message(author=alice).case
    services.add_note(author=moderator, text="on the person", user=alice)
    services.add_note(author=moderator, text="on the case", case=case)

    messaging_services.delete_account(alice, actor=moderator, reason="r")

    assert list(Note.objects.values_list("text", flat=True)) == ["on the case"]
    assert list(Note.objects.about(case.account_id)) == list(Note.objects.all())


def test_only_superusers_change_the_retention_of_a_closed_case(moderator):
    case = reported_message().case
    services.act_on_case(case, moderator=moderator, actions=["dismiss"], reason="r")
    later = timezone.now() + timedelta(days=365)

    with pytest.raises(PermissionDenied):
        services.set_evidence_retention(case, actor=moderator, retain_until=later, reason="appeal")
    services.set_evidence_retention(
        case, actor=SuperuserFactory(), retain_until=later, reason="appeal"
    )

    case.refresh_from_db()
    assert case.retain_until == later
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RETENTION_CHANGED)
    assert entry.details["to"] == later.isoformat()


@pytest.mark.parametrize("problem", ["open", "past"])
def test_retention_is_refused_for_an_open_case_or_a_past_date(problem, moderator):
    case = reported_message().case
    if problem == "past":
        services.act_on_case(case, moderator=moderator, actions=["dismiss"], reason="r")
    until = timezone.now() + timedelta(days=-1 if problem == "past" else 30)

    with pytest.raises(ValidationError):
        services.set_evidence_retention(
            case, actor=SuperuserFactory(), retain_until=until, reason="r"
        )

    assert not AuditEntry.objects.filter(action=AuditEntry.Action.RETENTION_CHANGED).exists()


def test_purge_deletes_expired_cases_with_their_evidence_and_notes_and_audits_it(moderator):
    expired = reported_message()
    kept = reported_message()
    still_open = reported_message()
    services.add_note(author=moderator, text="note", case=expired.case)
    services.act_on_case(expired.case, moderator=moderator, actions=["dismiss"], reason="r")
    services.act_on_case(kept.case, moderator=moderator, actions=["dismiss"], reason="r")
    Case.objects.filter(pk=kept.case.pk).update(retain_until=timezone.now() + timedelta(days=200))

    purged = retention.purge_expired_evidence(now=timezone.now() + timedelta(days=91))

    assert purged == 1
    assert set(Case.objects.values_list("pk", flat=True)) == {kept.case.pk, still_open.case.pk}
    assert not Report.objects.filter(pk=expired.pk).exists()
    assert not Note.objects.exists()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EVIDENCE_PURGED)
    assert (entry.case_id, entry.target_user_id) == (expired.case.pk, expired.case.account_id)
    # Running it again finds nothing more.
    assert retention.purge_expired_evidence(now=timezone.now() + timedelta(days=91)) == 0


def test_purge_works_in_batches(moderator):
    reports = [reported_message() for _ in range(5)]
    for report in reports:
        services.act_on_case(report.case, moderator=moderator, actions=["dismiss"], reason="r")

    purged = retention.purge_expired_evidence(now=timezone.now() + timedelta(days=91), batch_size=2)

    assert purged == 5
    assert not Case.objects.exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EVIDENCE_PURGED).count() == 5


def test_deleting_a_reported_account_with_10000_messages_stays_within_the_deletion_query_budget(
    moderator, django_assert_max_num_queries
):
    from tests.factories import bulk_messages
    from tests.messaging.test_account_deletion import DELETION_QUERY_BUDGET

    report = reported_message()
    author, other = report.case.reported_user, report.reporter
    bulk_messages(
        [{"sender": author, "receiver": other, "content": f"m{i}"} for i in range(10_000)]
    )

    # +3: telling the case's reporters (owed reports, their notifications, marking them).
    with django_assert_max_num_queries(DELETION_QUERY_BUDGET + 3):
        messaging_services.delete_account(author, actor=moderator, reason="r")

    assert Case.objects.get().resolution == "account_deleted"

"""moderation.sanctions: each measure writes or ends its Sanction row, and
lift_expired_sanctions ends those whose time has come (a frozen clock: ``now=``
and a patched ``timezone.now``)."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from messaging.models import Message, Notification
from messaging.services import delete_account
from moderation import services
from moderation.models import Sanction
from moderation.sanctions import LIFT_BATCH, lift_expired_sanctions, validate_end
from tests.factories import MessageFactory, SanctionFactory, UserFactory, reported_message

pytestmark = pytest.mark.django_db
User = get_user_model()

LATER = timedelta(days=7)


def expired_entries() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=AuditEntry.Action.SANCTION_EXPIRED))


def frozen(moment):
    """``timezone.now`` fixed at ``moment`` for the services that read it."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


# --- what each service writes ---------------------------------------------------------------


def test_hiding_a_message_records_a_hide_of_its_author_with_the_case(alice, moderator):
    report = reported_message(author=alice)
    message = Message.objects.get(pk=report.reported_message_id)

    services.hide_message(message, moderator=moderator, reason="spam", case=report.case)

    sanction = Sanction.objects.get()
    assert (sanction.user, sanction.kind, sanction.case, sanction.message_id) == (
        alice,
        Sanction.Kind.HIDE,
        report.case,
        message.pk,
    )
    assert (sanction.imposed_by, sanction.ends_at, sanction.is_active) == (moderator, None, True)


def test_hiding_a_hidden_message_again_writes_no_second_row(alice, bob, moderator):
    message = MessageFactory(sender=alice, receiver=bob)
    services.hide_message(message, moderator=moderator, reason="spam")

    assert services.hide_message(message, moderator=moderator, reason="again") is False
    assert Sanction.objects.count() == 1


def test_restoring_a_message_ends_its_hide_as_lifted_by_the_moderator(alice, bob, moderator):
    message = MessageFactory(sender=alice, receiver=bob)
    other = MessageFactory(sender=alice, receiver=bob)
    services.hide_message(message, moderator=moderator, reason="spam")
    services.hide_message(other, moderator=moderator, reason="spam")

    services.restore_message(message, moderator=moderator, reason="a mistake")

    ended = Sanction.objects.get(message_id=message.pk)
    assert (ended.ending, ended.ended_by, ended.is_active) == (
        Sanction.Ending.LIFTED,
        moderator,
        False,
    )
    assert ended.ended_at is not None
    assert Sanction.objects.get(message_id=other.pk).is_active  # only that message's


def test_restoring_for_an_appeal_ends_the_hide_as_overturned(alice, bob, moderator):
    message = MessageFactory(sender=alice, receiver=bob)
    services.hide_message(message, moderator=moderator, reason="spam")

    services.restore_message(
        message, moderator=moderator, reason="appeal", ending=Sanction.Ending.OVERTURNED
    )

    assert Sanction.objects.get().ending == Sanction.Ending.OVERTURNED


def test_a_warning_records_its_notification_and_its_end(alice, moderator):
    ends_at = timezone.now() + LATER

    notification = services.warn_user(
        alice, moderator=moderator, reason="insults", warning="Be civil.", ends_at=ends_at
    )

    sanction = Sanction.objects.get()
    assert (sanction.user, sanction.kind, sanction.notification_id) == (
        alice,
        Sanction.Kind.WARN,
        notification.pk,
    )
    assert (sanction.imposed_by, sanction.ends_at, sanction.case) == (moderator, ends_at, None)


def test_a_suspension_records_its_end_and_the_audit_entry_says_until(alice, moderator):
    ends_at = timezone.now() + LATER

    assert services.suspend_user(alice, moderator=moderator, reason="spam", ends_at=ends_at)

    sanction = Sanction.objects.get()
    assert (sanction.kind, sanction.ends_at, sanction.imposed_by) == (
        Sanction.Kind.SUSPEND,
        ends_at,
        moderator,
    )
    entry = AuditEntry.objects.get(action=AuditEntry.Action.USER_SUSPENDED)
    assert entry.details == {"until": ends_at.isoformat()}


def test_a_suspension_with_a_warning_gives_the_warning_the_same_end(alice, moderator):
    ends_at = timezone.now() + LATER

    services.suspend_user(
        alice, moderator=moderator, reason="spam", warning="Stop it.", ends_at=ends_at
    )

    assert sorted(Sanction.objects.values_list("kind", "ends_at")) == [
        (Sanction.Kind.SUSPEND, ends_at),
        (Sanction.Kind.WARN, ends_at),
    ]


def test_a_case_action_records_its_sanctions_with_the_case(alice, moderator):
    report = reported_message(author=alice)
    ends_at = timezone.now() + LATER

    outcome = services.act_on_case(
        report.case,
        moderator=moderator,
        actions=["hide", "warn", "suspend"],
        reason="threat",
        warning="No threats.",
        ends_at=ends_at,
    )

    rows = Sanction.objects.order_by("id").values_list("kind", "case_id", "ends_at")
    assert list(rows) == [
        (Sanction.Kind.HIDE, report.case_id, None),
        (Sanction.Kind.WARN, report.case_id, ends_at),
        (Sanction.Kind.SUSPEND, report.case_id, ends_at),
    ]
    assert outcome.done[2].startswith("suspended until ")


def test_lifting_a_suspension_ends_it_as_lifted(alice, moderator):
    services.suspend_user(alice, moderator=moderator, reason="spam")

    assert services.lift_suspension(alice, moderator=moderator, reason="served")

    sanction = Sanction.objects.get()
    assert (sanction.ending, sanction.ended_by) == (Sanction.Ending.LIFTED, moderator)


def test_suspending_a_suspended_account_is_refused_without_a_second_row(alice, moderator):
    services.suspend_user(alice, moderator=moderator, reason="spam")

    again = services.suspend_user(
        alice, moderator=moderator, reason="again", ends_at=timezone.now() + LATER
    )

    assert again is False
    assert Sanction.objects.count() == 1
    assert Sanction.objects.get().ends_at is None


def test_withdrawing_a_warning_ends_its_strike_once(alice, moderator):
    services.warn_user(alice, moderator=moderator, reason="r", warning="w")
    sanction = Sanction.objects.get()

    assert services.withdraw_warning(sanction, moderator=moderator, reason="too harsh")
    assert not services.withdraw_warning(sanction, moderator=moderator, reason="again")

    sanction.refresh_from_db()
    assert (sanction.ending, sanction.ended_by) == (Sanction.Ending.LIFTED, moderator)
    withdrawn = AuditEntry.objects.get(action=AuditEntry.Action.WARNING_WITHDRAWN)
    assert (withdrawn.actor, withdrawn.target_user_id, withdrawn.reason) == (
        moderator,
        alice.pk,
        "too harsh",
    )
    assert withdrawn.details["sanction_id"] == sanction.pk


def test_lifting_ends_a_suspension_left_on_record_by_an_account_let_in_from_its_form(
    alice, moderator
):
    services.suspend_user(alice, moderator=moderator, reason="spam")
    # A superuser ticks "active" on the account's form: the account is let in, the
    # suspension's row stays active.
    type(alice).objects.filter(pk=alice.pk).update(is_active=True)
    alice.refresh_from_db()

    assert services.lift_suspension(alice, moderator=moderator, reason="tidy up")

    assert not Sanction.objects.active().exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.SUSPENSION_LIFTED).count() == 1
    assert not services.lift_suspension(alice, moderator=moderator, reason="again")


@pytest.mark.parametrize("ago", [timedelta(0), timedelta(seconds=1), timedelta(days=3)])
def test_an_end_not_in_the_future_is_refused_with_a_clear_message(alice, moderator, ago):
    now = timezone.now()

    with frozen(now), pytest.raises(ValidationError) as refused:
        services.suspend_user(alice, moderator=moderator, reason="spam", ends_at=now - ago)

    assert refused.value.messages == ["The end must be in the future."]
    alice.refresh_from_db()
    assert alice.is_active
    assert not Sanction.objects.exists()


def test_a_warning_with_a_past_end_is_refused_and_sends_nothing(alice, moderator):
    with pytest.raises(ValidationError):
        services.warn_user(
            alice,
            moderator=moderator,
            reason="r",
            warning="w",
            ends_at=timezone.now() - timedelta(minutes=1),
        )

    assert not Notification.objects.exists()
    assert not Sanction.objects.exists()


def test_validate_end_takes_no_end_and_a_future_one():
    now = timezone.now()

    validate_end(None, now=now)
    validate_end(now + timedelta(microseconds=1), now=now)


# --- lift_expired_sanctions with a frozen clock -----------------------------------------------


@pytest.fixture
def timed_suspension(alice, moderator):
    """alice, suspended until a week from now (``.ends_at``)."""
    services.suspend_user(alice, moderator=moderator, reason="spam", ends_at=timezone.now() + LATER)
    return Sanction.objects.get()


def test_before_its_end_nothing_ends(timed_suspension, alice):
    assert lift_expired_sanctions(now=timed_suspension.ends_at - timedelta(seconds=1)) == 0

    timed_suspension.refresh_from_db()
    alice.refresh_from_db()
    assert timed_suspension.is_active and not alice.is_active
    assert expired_entries() == []


def test_at_its_end_the_suspension_ends_and_the_person_is_told(timed_suspension, alice):
    later = timed_suspension.ends_at + timedelta(seconds=1)

    with frozen(later):  # what the service reads when given no moment
        assert lift_expired_sanctions() == 1

    timed_suspension.refresh_from_db()
    assert (timed_suspension.ending, timed_suspension.ended_at, timed_suspension.ended_by) == (
        Sanction.Ending.EXPIRED,
        later,
        None,
    )
    alice.refresh_from_db()
    assert alice.is_active
    notice = Notification.objects.get(user=alice, kind=Notification.Kind.MODERATION_NOTICE)
    assert "suspension has ended" in notice.text
    (entry,) = expired_entries()
    assert (entry.actor, entry.actor_username, entry.target_user_id) == (None, "", alice.pk)
    assert entry.details == {"sanction_id": timed_suspension.pk, "kind": "suspend"}


def test_the_audit_log_shows_the_system_as_the_actor(timed_suspension, superuser_client):
    lift_expired_sanctions(now=timed_suspension.ends_at)

    response = superuser_client.get(reverse("admin:audit_auditentry_changelist"))

    assert response.status_code == 200
    assert "Sanction ended on time" in response.text
    assert "system" in response.text


def test_an_expired_suspension_keeps_its_case_in_the_audit_entry(alice, moderator):
    report = reported_message(author=alice)
    services.act_on_case(
        report.case,
        moderator=moderator,
        actions=["suspend"],
        reason="r",
        ends_at=timezone.now() + LATER,
    )

    lift_expired_sanctions(now=timezone.now() + LATER)

    assert [entry.case_id for entry in expired_entries()] == [report.case_id]


def test_a_warnings_strike_ends_without_a_notice(alice, moderator):
    services.warn_user(
        alice, moderator=moderator, reason="r", warning="w", ends_at=timezone.now() + LATER
    )

    assert lift_expired_sanctions(now=timezone.now() + LATER) == 1

    assert Sanction.objects.get().ending == Sanction.Ending.EXPIRED
    assert not Notification.objects.filter(kind=Notification.Kind.MODERATION_NOTICE).exists()
    assert [entry.details["kind"] for entry in expired_entries()] == ["warn"]


def test_a_second_run_ends_nothing_more(timed_suspension, alice):
    later = timed_suspension.ends_at + timedelta(minutes=1)
    lift_expired_sanctions(now=later)

    assert lift_expired_sanctions(now=later + timedelta(minutes=1)) == 0

    assert len(expired_entries()) == 1
    assert Notification.objects.filter(kind=Notification.Kind.MODERATION_NOTICE).count() == 1


def test_a_suspension_lifted_by_a_moderator_meanwhile_is_left_as_lifted(
    timed_suspension, alice, moderator
):
    services.lift_suspension(alice, moderator=moderator, reason="early")

    assert lift_expired_sanctions(now=timed_suspension.ends_at) == 0

    timed_suspension.refresh_from_db()
    assert (timed_suspension.ending, timed_suspension.ended_by) == (
        Sanction.Ending.LIFTED,
        moderator,
    )
    assert expired_entries() == []


def test_a_suspension_lifted_then_given_again_for_good_stays(timed_suspension, alice, moderator):
    services.lift_suspension(alice, moderator=moderator, reason="early")
    services.suspend_user(alice, moderator=moderator, reason="again, for good")

    lift_expired_sanctions(now=timed_suspension.ends_at + LATER)

    alice.refresh_from_db()
    assert not alice.is_active
    assert Sanction.objects.active().get().ends_at is None


def test_sanctions_without_an_end_never_end_by_themselves(alice, bob, moderator):
    services.suspend_user(alice, moderator=moderator, reason="r")
    services.warn_user(bob, moderator=moderator, reason="r", warning="w")

    assert lift_expired_sanctions(now=timezone.now() + timedelta(days=3650)) == 0
    assert Sanction.objects.active().count() == 2


def test_a_deleted_accounts_sanctions_go_with_it(timed_suspension, alice, moderator):
    services.warn_user(alice, moderator=moderator, reason="r", warning="w")

    delete_account(alice, actor=moderator, reason="spam account")

    assert not Sanction.objects.exists()
    assert lift_expired_sanctions(now=timed_suspension.ends_at) == 0


def test_a_moderators_deletion_leaves_the_sanctions_they_imposed(timed_suspension, moderator):
    moderator.delete()

    timed_suspension.refresh_from_db()
    assert timed_suspension.imposed_by is None


def test_one_run_ends_at_most_a_batch_and_the_next_takes_the_rest(moderator):
    ends_at = timezone.now() + timedelta(hours=1)
    people = UserFactory.create_batch(3)
    SanctionFactory.create_batch(
        LIFT_BATCH + 1, user=people[0], kind=Sanction.Kind.WARN, imposed_by=moderator,
        ends_at=ends_at,
    )  # fmt: skip
    later = ends_at + timedelta(seconds=1)

    assert lift_expired_sanctions(now=later) == LIFT_BATCH
    assert lift_expired_sanctions(now=later) == 1
    assert not Sanction.objects.active().exists()


def test_the_soonest_end_goes_first(moderator, alice, bob):
    now = timezone.now()
    late = SanctionFactory(user=alice, kind=Sanction.Kind.WARN, ends_at=now + timedelta(hours=2))
    soon = SanctionFactory(user=bob, kind=Sanction.Kind.WARN, ends_at=now + timedelta(hours=1))

    with mock.patch("moderation.sanctions.LIFT_BATCH", 1):
        lift_expired_sanctions(now=now + timedelta(hours=3))

    assert list(Sanction.objects.ended().values_list("pk", flat=True)) == [soon.pk]
    assert Sanction.objects.get(pk=late.pk).is_active

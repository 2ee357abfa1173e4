"""Reports, case actions and timed sanctions racing each other and account
deletions (PostgreSQL: SQLite runs one writer at a time, so these races cannot
happen there)."""

import contextlib
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections
from django.utils import timezone

from audit.models import AuditEntry
from messaging.models import Message, Notification
from messaging.services import delete_account
from moderation import services
from moderation.models import Case, Report, Sanction
from moderation.sanctions import lift_expired_sanctions
from tests.factories import MessageFactory, SuperuserFactory, UserFactory
from tests.messaging.test_concurrency import in_thread

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_eight_people_reporting_one_author_at_once_share_one_case(postgres_only, alice):
    reporters = [UserFactory() for _ in range(8)]
    messages = [MessageFactory(sender=alice, receiver=reporter) for reporter in reporters]
    start = threading.Barrier(8)

    def report(reporter, message):
        start.wait(10)
        services.report_message(reporter=reporter, message=message, reason="spam")

    workers = [in_thread(report, *pair) for pair in zip(reporters, messages, strict=True)]
    for worker, _errors in workers:
        worker.join(30)
    close_old_connections()

    assert [error for _worker, errors in workers for error in errors] == []
    case = Case.objects.get()
    assert (case.report_count, case.reporter_count) == (8, 8)
    assert Report.objects.filter(case=case).count() == 8


def test_a_report_racing_the_authors_deletion_is_either_kept_or_refused(postgres_only, alice, bob):
    messages = [MessageFactory(sender=alice, receiver=bob) for _ in range(20)]
    start = threading.Barrier(2)

    def report_all():
        start.wait(10)
        for message in messages:
            # Refused once the message went with its author, as it should be.
            with contextlib.suppress(ValidationError):
                services.report_message(reporter=bob, message=message, reason="spam")

    def delete():
        start.wait(10)
        delete_account(alice, actor=bob, reason="race")

    workers = [in_thread(report_all), in_thread(delete)]
    for worker, _errors in workers:
        worker.join(30)
    close_old_connections()

    assert [error for _worker, errors in workers for error in errors] == []
    assert not Message.objects.filter(pk__in=[m.pk for m in messages]).exists()
    # Whatever was reported before the deletion is in a closed case with its
    # retention; nothing was reported after it, and no case is left open.
    assert not Case.objects.open().exists()
    for case in Case.objects.all():
        assert (case.resolution, case.reported_user) == ("account_deleted", None)
        assert case.retain_until is not None


def test_moderators_flagging_while_people_report_share_one_case(postgres_only, alice):
    reporters = [UserFactory() for _ in range(4)]
    # Superusers: a transactional test's database has lost the Moderators group
    # its migration made (as in tests/reliability/test_faults.py).
    moderators = [SuperuserFactory() for _ in range(4)]
    messages = [MessageFactory(sender=alice, receiver=reporter) for reporter in reporters]
    start = threading.Barrier(8)

    def report(reporter, message):
        start.wait(10)
        services.report_message(reporter=reporter, message=message, reason="spam")

    def flag(moderator, message):
        start.wait(10)
        services.open_case_for_message(message, moderator=moderator, reason="seen it")

    workers = [in_thread(report, *pair) for pair in zip(reporters, messages, strict=True)]
    workers += [in_thread(flag, *pair) for pair in zip(moderators, messages, strict=True)]
    for worker, _errors in workers:
        worker.join(30)
    close_old_connections()

    assert [error for _worker, errors in workers for error in errors] == []
    case = Case.objects.get()
    assert (case.report_count, case.reporter_count) == (8, 8)


def test_two_moderators_claiming_one_case_at_once_give_one_winner(postgres_only, alice):
    reporter = UserFactory()
    message = MessageFactory(sender=alice, receiver=reporter)
    case = services.report_message(reporter=reporter, message=message, reason="spam").case
    # Superusers: the transactional database has lost the Moderators group (above).
    moderators = [SuperuserFactory() for _ in range(2)]
    start = threading.Barrier(2)

    def claim(moderator):
        start.wait(10)
        services.claim_case(case, moderator=moderator)

    workers = [in_thread(claim, moderator) for moderator in moderators]
    for worker, _errors in workers:
        worker.join(30)
    close_old_connections()

    errors = [error for _worker, errors in workers for error in errors]
    assert len(errors) == 1
    assert isinstance(errors[0], ValidationError)
    case.refresh_from_db()
    winner = case.claimed_by
    assert winner in moderators
    assert winner.username in errors[0].messages[0]
    claimed = AuditEntry.objects.filter(case_id=case.pk, action=AuditEntry.Action.CASE_CLAIMED)
    assert list(claimed.values_list("actor_username", flat=True)) == [winner.username]


def test_workers_lifting_expired_sanctions_at_once_end_each_once(postgres_only):
    # Superusers: the transactional database has lost the Moderators group (above).
    moderator = SuperuserFactory()
    people = UserFactory.create_batch(6)
    ends_at = timezone.now() + timedelta(minutes=5)
    for person in people:
        services.suspend_user(
            person, moderator=moderator, reason="r", warning="Calm down.", ends_at=ends_at
        )
    assert Sanction.objects.count() == 12  # each: a suspension and its warning
    later = ends_at + timedelta(seconds=1)
    start = threading.Barrier(4)
    ended_by_worker = []

    def lift():
        start.wait(10)
        ended_by_worker.append(lift_expired_sanctions(now=later))

    workers = [in_thread(lift) for _ in range(4)]
    for worker, _errors in workers:
        worker.join(30)
    close_old_connections()

    assert [error for _worker, errors in workers for error in errors] == []
    assert sum(ended_by_worker) == 12
    assert set(Sanction.objects.values_list("ending", flat=True)) == {Sanction.Ending.EXPIRED}
    expired = AuditEntry.objects.filter(action=AuditEntry.Action.SANCTION_EXPIRED)
    per_sanction = Counter(entry.details["sanction_id"] for entry in expired)
    assert set(per_sanction.values()) == {1} and len(per_sanction) == 12
    notices = Notification.objects.filter(kind=Notification.Kind.MODERATION_NOTICE)
    assert sorted(notices.values_list("user_id", flat=True)) == sorted(p.pk for p in people)
    for person in people:
        person.refresh_from_db()
        assert person.is_active


def test_a_lift_racing_the_timed_end_leaves_one_ending(postgres_only, alice):
    moderator = SuperuserFactory()
    ends_at = timezone.now() + timedelta(minutes=5)
    services.suspend_user(alice, moderator=moderator, reason="r", ends_at=ends_at)
    start = threading.Barrier(2)

    def lift_by_hand():
        start.wait(10)
        services.lift_suspension(alice, moderator=moderator, reason="served")

    def lift_on_time():
        start.wait(10)
        lift_expired_sanctions(now=ends_at + timedelta(seconds=1))

    workers = [in_thread(lift_by_hand), in_thread(lift_on_time)]
    for worker, _errors in workers:
        worker.join(30)
    close_old_connections()

    assert [error for _worker, errors in workers for error in errors] == []
    sanction = Sanction.objects.get()
    ending_entries = AuditEntry.objects.filter(
        action__in=(AuditEntry.Action.SANCTION_EXPIRED, AuditEntry.Action.SUSPENSION_LIFTED)
    )
    # Whichever came first ended it; the other found nothing to do.
    assert ending_entries.count() == 1
    expected = {
        AuditEntry.Action.SANCTION_EXPIRED: Sanction.Ending.EXPIRED,
        AuditEntry.Action.SUSPENSION_LIFTED: Sanction.Ending.LIFTED,
    }[ending_entries.get().action]
    assert sanction.ending == expected
    alice.refresh_from_db()
    assert alice.is_active

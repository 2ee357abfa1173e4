"""Rules acting on messages sent at the same moment (PostgreSQL: SQLite runs one
writer at a time, so these races cannot happen there). The sending service locks
the accounts for update up front when a rule will act: two sends of one person,
or a send and a report of the same person, then wait for each other instead of
deadlocking on a share lock each must upgrade."""

import contextlib
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections

from detection.models import WatchedRule
from detection.services import save_rule
from messaging.models import Message
from messaging.services import delete_account, send_message
from moderation.models import Case, Report, Sanction
from moderation.reports import report_message
from tests.factories import MessageFactory, SuperuserFactory, UserFactory
from tests.messaging.test_concurrency import in_thread

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def hiding_rule(db):
    return save_rule(
        WatchedRule(name="Threats", words="kill you", action="hide", is_active=True),
        actor=SuperuserFactory(),
    )


def test_one_person_sending_eight_hidden_messages_at_once_gets_one_case(
    postgres_only, hiding_rule, alice
):
    receivers = [UserFactory() for _ in range(8)]
    start = threading.Barrier(8)

    def send(receiver):
        start.wait(10)
        send_message(sender=alice, receiver=receiver, content="kill you")

    workers = [in_thread(send, receiver) for receiver in receivers]
    for worker, _errors in workers:
        worker.join(30)
    close_old_connections()

    assert [error for _worker, errors in workers for error in errors] == []
    case = Case.objects.get()
    assert case.report_count == 8
    assert Sanction.objects.filter(case=case, kind="hide").count() == 8
    assert Message.objects.filter(sender=alice, is_hidden=True).count() == 8


def test_sending_while_being_reported_and_reporting_back(postgres_only, hiding_rule, alice, bob):
    # Alice sends rule-caught messages to bob while bob reports her earlier ones
    # and she reports his: every lock order crosses.
    alices = [MessageFactory(sender=alice, receiver=bob) for _ in range(10)]
    bobs = [MessageFactory(sender=bob, receiver=alice) for _ in range(10)]
    start = threading.Barrier(3)

    def alice_sends():
        start.wait(10)
        for _ in range(10):
            send_message(sender=alice, receiver=bob, content="kill you")

    def bob_reports():
        start.wait(10)
        for message in alices:
            report_message(reporter=bob, message=message, reason="spam")

    def alice_reports():
        start.wait(10)
        for message in bobs:
            report_message(reporter=alice, message=message, reason="spam")

    workers = [in_thread(alice_sends), in_thread(bob_reports), in_thread(alice_reports)]
    for worker, _errors in workers:
        worker.join(60)
    close_old_connections()

    assert [error for _worker, errors in workers for error in errors] == []
    assert Report.objects.filter(case__reported_user=alice, rule_id__isnull=False).count() == 10
    assert Report.objects.filter(case__reported_user=alice, reporter=bob).count() == 10
    assert Report.objects.filter(case__reported_user=bob, reporter=alice).count() == 10


def test_a_caught_message_racing_its_authors_deletion_leaves_nothing_behind(
    postgres_only, hiding_rule, alice, bob
):
    start = threading.Barrier(2)

    def send_all():
        start.wait(10)
        for _ in range(20):
            # Refused once the account is gone, as it should be.
            with contextlib.suppress(ValidationError, PermissionDenied):
                send_message(sender=alice, receiver=bob, content="kill you")

    def delete():
        start.wait(10)
        delete_account(alice, actor=bob, reason="race")

    workers = [in_thread(send_all), in_thread(delete)]
    for worker, _errors in workers:
        worker.join(60)
    close_old_connections()

    errors = [error for _worker, errors in workers for error in errors]
    assert all("no longer exists" in str(error) for error in errors), errors
    assert not Message.objects.filter(sender_id=alice.pk).exists()
    assert not Sanction.objects.filter(user_id=alice.pk).exists()

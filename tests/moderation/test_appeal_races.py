"""Appeals racing themselves (PostgreSQL: SQLite runs one writer at a time, so
these races cannot happen there): two submissions of one appeal, two moderators
deciding one appeal at once. Superusers act here: a transactional test starts
without the Moderators group its migration made."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections

from audit.models import AuditEntry
from moderation.models import Appeal, Sanction
from moderation.services import approve_appeal, file_appeal, reject_appeal, warn_user
from tests.factories import SuperuserFactory
from tests.messaging.test_concurrency import in_thread

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
]


@pytest.fixture
def warning(alice):
    warn_user(alice, moderator=SuperuserFactory(username="kim"), reason="spam", warning="Stop.")
    return Sanction.objects.get()


def run_at_once(*steps):
    start = threading.Barrier(len(steps))

    def after_start(step):
        start.wait(10)
        step()

    workers = [in_thread(after_start, step) for step in steps]
    for worker, _errors in workers:
        worker.join(30)
    close_old_connections()
    return [error for _worker, errors in workers for error in errors]


def test_two_submissions_at_once_make_one_appeal_and_one_refusal(postgres_only, alice, warning):
    errors = run_at_once(
        *[lambda n=n: file_appeal(warning, user=alice, text=f"Appeal {n}") for n in range(2)]
    )

    assert Appeal.objects.count() == 1
    assert len(errors) == 1
    assert isinstance(errors[0], ValidationError)
    assert errors[0].messages == ["You have already appealed this decision."]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.APPEAL_FILED).count() == 1


def test_two_moderators_deciding_at_once_one_wins(postgres_only, alice, warning):
    appeal = file_appeal(warning, user=alice, text="Please.")
    ann, ben = SuperuserFactory(username="ann"), SuperuserFactory(username="ben")

    errors = run_at_once(
        lambda: approve_appeal(appeal, moderator=ann, reason="Yes."),
        lambda: reject_appeal(appeal, moderator=ben, reason="No."),
    )

    assert len(errors) == 1
    assert "already decided by" in errors[0].messages[0]
    decided = Appeal.objects.get()
    assert decided.decided_by.username in errors[0].messages[0]
    decisions = AuditEntry.objects.filter(
        action__in=[AuditEntry.Action.APPEAL_APPROVED, AuditEntry.Action.APPEAL_REJECTED]
    )
    assert decisions.count() == 1

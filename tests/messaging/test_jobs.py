"""messaging.jobs: the account-deletion job kind messaging adds to the jobs runner,
and accounts deleted through it (django-tasks-db's worker runs in the test)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError

from audit.models import AuditEntry
from jobs import services
from jobs.handlers import HANDLERS
from jobs.models import Job
from messaging.jobs import run_account_deletion
from messaging.models import Message
from messaging.services import accounts as account_services
from tests.factories import MessageFactory, ReplyFactory, UserFactory
from tests.jobs.worker import run_db_worker

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_task_backend")]
User = get_user_model()


def test_messaging_registers_the_account_deletion_handler_at_start_up():
    assert HANDLERS[Job.Kind.ACCOUNT_DELETION] is run_account_deletion


# --- account deletion through a job -------------------------------------------------------


@pytest.fixture
def five_accounts(bob):
    """Five people, each with two messages to bob, one answered by him."""
    accounts = []
    for number in range(5):
        person = UserFactory(username=f"person{number}")
        answered = MessageFactory(sender=person, receiver=bob)
        ReplyFactory(parent_message=answered)
        MessageFactory(sender=person, receiver=bob)
        accounts.append(person)
    return accounts


def start_deletion(moderator, accounts, django_capture_on_commit_callbacks) -> Job:
    with django_capture_on_commit_callbacks(execute=True):
        return services.start_job(
            kind=Job.Kind.ACCOUNT_DELETION,
            started_by=moderator,
            params={"user_ids": [account.pk for account in accounts], "reason": "spam wave"},
            total=len(accounts),
            description=f"Delete {len(accounts)} accounts",
        )


def test_an_account_deletion_job_deletes_each_account_and_audits_it(
    moderator, five_accounts, django_capture_on_commit_callbacks
):
    job = start_deletion(moderator, five_accounts, django_capture_on_commit_callbacks)

    run_db_worker()

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.result == {"deleted": 5, "refused": 0, "already_deleted": 0, "failed": 0}
    assert (job.progress_done, job.progress_total) == (5, 5)
    assert not User.objects.filter(username__startswith="person").exists()
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.ACCOUNT_DELETED)
    assert sorted(entries.values_list("target_username", flat=True)) == [
        f"person{number}" for number in range(5)
    ]
    assert {(entry.actor, entry.reason) for entry in entries} == {(moderator, "spam wave")}
    assert all(entry.details["messages_tombstoned"] == 1 for entry in entries)
    # Each entry names the job, whose page names them from there (its params
    # keep ids only).
    assert {entry.details["job_id"] for entry in entries} == {job.pk}


def fail_deleting(user, error):
    """delete_account, except that deleting ``user`` raises ``error``."""
    real_delete_account = account_services.delete_account

    def delete_account(account, **kwargs):
        if account.pk == user.pk:
            raise error
        return real_delete_account(account, **kwargs)

    return delete_account


def test_retrying_a_deletion_that_failed_half_way_deletes_each_account_once(
    moderator, five_accounts, monkeypatch, django_capture_on_commit_callbacks
):
    # The third account's deletion breaks with an error delete_accounts does not
    # expect: its transaction rolls back and the job fails; the retry finishes it.
    real_delete_account = account_services.delete_account
    third = five_accounts[2]
    monkeypatch.setattr(
        "messaging.services.accounts.delete_account",
        fail_deleting(third, RuntimeError("connection lost")),
    )
    job = start_deletion(moderator, five_accounts, django_capture_on_commit_callbacks)
    run_db_worker()

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == "RuntimeError: connection lost"
    assert job.progress_done == 2
    assert not User.objects.filter(pk__in=[five_accounts[0].pk, five_accounts[1].pk]).exists()
    # Nothing of the third account went: not half-deleted.
    assert User.objects.filter(pk=third.pk).exists()
    assert Message.objects.filter(sender=third).count() == 2
    assert AuditEntry.objects.filter(target_user_id=third.pk).count() == 0

    monkeypatch.setattr("messaging.services.accounts.delete_account", real_delete_account)
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_job(job, by=moderator)
    run_db_worker()

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.attempts == 2
    # The second attempt counts what it found: two gone already, three deleted now.
    assert job.result == {"deleted": 3, "refused": 0, "already_deleted": 2, "failed": 0}
    assert (job.progress_done, job.progress_total) == (5, 5)
    assert not User.objects.filter(username__startswith="person").exists()
    deletions = AuditEntry.objects.filter(action=AuditEntry.Action.ACCOUNT_DELETED)
    assert sorted(deletions.values_list("target_user_id", flat=True)) == sorted(
        account.pk for account in five_accounts
    )  # one entry per account: none deleted twice
    assert all(entry.details["messages_deleted"] == 1 for entry in deletions)


def test_an_account_deletion_job_refuses_staff_at_run_time(
    moderator, five_accounts, django_capture_on_commit_callbacks
):
    # Promoted after the preview, before the worker got to it.
    job = start_deletion(moderator, five_accounts[:2], django_capture_on_commit_callbacks)
    User.objects.filter(pk=five_accounts[0].pk).update(is_staff=True)

    run_db_worker()

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.result == {"deleted": 1, "refused": 1, "already_deleted": 0, "failed": 0}
    assert User.objects.filter(pk=five_accounts[0].pk).exists()


def test_a_deletion_job_with_accounts_left_undeleted_ends_failed_with_its_counts(
    moderator, five_accounts, monkeypatch, django_capture_on_commit_callbacks
):
    # A database error is reported per account by delete_accounts (not raised):
    # the job must still end failed, so a retry can finish it.
    third = five_accounts[2]
    monkeypatch.setattr(
        "messaging.services.accounts.delete_account",
        fail_deleting(third, DatabaseError("deadlock detected")),
    )
    job = start_deletion(moderator, five_accounts, django_capture_on_commit_callbacks)
    run_db_worker()

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.result == {"deleted": 4, "refused": 0, "already_deleted": 0, "failed": 1}
    assert "1 of 5 accounts could not be deleted" in job.error
    assert job.can_retry
    assert User.objects.filter(pk=third.pk).exists()

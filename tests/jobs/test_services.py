"""jobs.services and the runner behind its task (jobs.tasks, jobs.runner): starting,
running and retrying jobs on django-tasks-db's database backend (the worker runs in
the test), and account deletion through a job."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEntry
from jobs import handlers, runner, services
from jobs.models import STALLED_AFTER, Job
from messaging.models import Message
from messaging.services import accounts as account_services
from tests.factories import MessageFactory, ReplyFactory, UserFactory
from tests.jobs.factories import JobFactory
from tests.jobs.worker import run_db_worker

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def _database_backend(settings):
    # What production runs (settings.TASKS_BACKEND defaults to "database").
    assert settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"


@pytest.fixture
def counting_handler(monkeypatch):
    """A handler for export jobs that counts 5 units and records the job's status
    as the worker sees it while running."""
    seen = {}

    def count_to_five(job, progress):
        seen["status_while_running"] = Job.objects.get(pk=job.pk).status
        progress.set_total(5)
        for _ in range(5):
            progress.advance()
        return {"rows": 5}

    monkeypatch.setitem(handlers.HANDLERS, Job.Kind.EXPORT, count_to_five)
    return seen


@pytest.fixture
def failing_handler(monkeypatch):
    def fail(job, progress):
        progress.advance()
        raise RuntimeError("the disk is full")

    monkeypatch.setitem(handlers.HANDLERS, Job.Kind.EXPORT, fail)


def start_export(user, django_capture_on_commit_callbacks) -> Job:
    with django_capture_on_commit_callbacks(execute=True):
        return services.start_job(
            kind=Job.Kind.EXPORT,
            started_by=user,
            params={"model": "messaging.message"},
            description="Export messages",
        )


# --- start and run ----------------------------------------------------------------------


def test_start_job_queues_the_task_only_once_the_transaction_commits(
    moderator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = services.start_job(
            kind=Job.Kind.EXPORT, started_by=moderator, params={"model": "messaging.message"}
        )

    assert job.status == Job.Status.QUEUED
    assert len(callbacks) == 1
    assert not DBTaskResult.objects.exists()

    callbacks[0]()

    task = DBTaskResult.objects.get()
    assert task.task_path == "jobs.tasks.run_job"
    assert task.args_kwargs == {"args": [job.pk], "kwargs": {}}
    job.refresh_from_db()
    assert job.task_id == str(task.id)
    assert job.started_by_username == "moderator"


def test_the_worker_runs_a_queued_job_to_success(
    moderator, counting_handler, django_capture_on_commit_callbacks
):
    job = start_export(moderator, django_capture_on_commit_callbacks)
    assert job.status == Job.Status.QUEUED

    run_db_worker()

    job.refresh_from_db()
    assert counting_handler["status_while_running"] == Job.Status.RUNNING
    assert job.status == Job.Status.SUCCEEDED
    assert (job.progress_done, job.progress_total, job.percent_done) == (5, 5, 100)
    assert job.result == {"rows": 5}
    assert job.attempts == 1
    assert job.error == ""
    assert job.started_at <= job.finished_at
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_a_failing_handler_marks_the_job_failed_and_never_raises(moderator, failing_handler):
    job = JobFactory(kind=Job.Kind.EXPORT, started_by=moderator)

    runner.run_job(job.pk)  # does not raise

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == "RuntimeError: the disk is full"
    assert job.progress_done == 1
    assert job.finished_at is not None
    assert job.can_retry


def test_a_failing_handler_leaves_the_task_itself_successful(
    moderator, failing_handler, django_capture_on_commit_callbacks
):
    # The outcome lives on the Job; the task backend keeps no error text.
    job = start_export(moderator, django_capture_on_commit_callbacks)

    run_db_worker()

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


@pytest.mark.parametrize("status", [Job.Status.RUNNING, Job.Status.SUCCEEDED, Job.Status.FAILED])
def test_run_job_on_a_job_that_is_not_queued_does_nothing(moderator, counting_handler, status):
    job = JobFactory(
        kind=Job.Kind.EXPORT, started_by=moderator, status=status, heartbeat_at=timezone.now()
    )

    runner.run_job(job.pk)

    job.refresh_from_db()
    assert job.status == status
    assert job.attempts == 0
    assert "status_while_running" not in counting_handler


def test_run_job_of_a_job_that_no_longer_exists_does_nothing():
    runner.run_job(999_999)


# --- retry ------------------------------------------------------------------------------


def test_retrying_a_failed_job_queues_it_again_and_it_succeeds(
    moderator, monkeypatch, django_capture_on_commit_callbacks
):
    job = JobFactory(kind=Job.Kind.EXPORT, started_by=moderator)
    monkeypatch.setitem(handlers.HANDLERS, Job.Kind.EXPORT, lambda job, progress: 1 / 0)
    runner.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    monkeypatch.setitem(handlers.HANDLERS, Job.Kind.EXPORT, lambda job, progress: {"rows": 0})

    with django_capture_on_commit_callbacks(execute=True):
        retried = services.retry_job(job, by=moderator)

    assert retried.status == Job.Status.QUEUED
    assert retried.error == ""
    run_db_worker()
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.attempts == 2
    assert job.error == ""
    entry = AuditEntry.objects.get(action=AuditEntry.Action.JOB_RETRIED)
    assert entry.actor == moderator
    assert entry.details == {"job_id": job.pk, "kind": Job.Kind.EXPORT}


@pytest.mark.parametrize("status", [Job.Status.QUEUED, Job.Status.RUNNING, Job.Status.SUCCEEDED])
def test_only_failed_or_stalled_jobs_can_be_retried(moderator, status):
    job = JobFactory(
        started_by=moderator,
        status=status,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )

    with pytest.raises(ValidationError, match="cannot be retried"):
        services.retry_job(job, by=moderator)

    job.refresh_from_db()
    assert job.status == status
    assert not AuditEntry.objects.exists()


def test_a_job_whose_worker_died_is_stalled_and_can_be_retried(
    moderator, counting_handler, django_capture_on_commit_callbacks
):
    # The worker was killed mid-job: the job stays "running", its heartbeat ages.
    long_ago = timezone.now() - STALLED_AFTER - timedelta(seconds=1)
    job = JobFactory(
        kind=Job.Kind.EXPORT,
        started_by=moderator,
        status=Job.Status.RUNNING,
        attempts=1,
        started_at=long_ago - timedelta(minutes=1),
        heartbeat_at=long_ago,
        progress_done=2,
        progress_total=5,
    )
    assert job.is_stalled and job.can_retry

    with django_capture_on_commit_callbacks(execute=True):
        services.retry_job(job, by=moderator)
    run_db_worker()

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.attempts == 2
    assert job.progress_done == 5
    assert AuditEntry.objects.filter(action=AuditEntry.Action.JOB_RETRIED).count() == 1


def test_a_running_job_with_a_recent_heartbeat_is_not_stalled(moderator):
    recently = timezone.now() - STALLED_AFTER + timedelta(seconds=30)
    job = JobFactory(
        started_by=moderator, status=Job.Status.RUNNING, started_at=recently, heartbeat_at=recently
    )

    assert not job.is_stalled
    assert not job.can_retry


def test_a_worker_taken_for_dead_does_not_overwrite_the_retried_attempt(moderator, monkeypatch):
    # The first worker stalls (paused, not dead); the job is retried and a second
    # worker finishes it; then the first wakes up and finishes too.
    job = JobFactory(kind=Job.Kind.EXPORT, started_by=moderator)

    def first_attempt_that_stalls(job, progress):
        Job.objects.filter(pk=job.pk).update(
            heartbeat_at=timezone.now() - STALLED_AFTER - timedelta(seconds=1)
        )
        services.retry_job(job, by=moderator)
        monkeypatch.setitem(handlers.HANDLERS, Job.Kind.EXPORT, second_attempt)
        runner.run_job(job.pk)  # the second worker
        progress.advance(99)
        return {"attempt": 1}

    def second_attempt(job, progress):
        progress.advance(2)
        return {"attempt": 2}

    monkeypatch.setitem(handlers.HANDLERS, Job.Kind.EXPORT, first_attempt_that_stalls)
    runner.run_job(job.pk)

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.attempts == 2
    assert job.result == {"attempt": 2}
    assert job.progress_done == 2


def test_a_job_that_cannot_be_queued_is_marked_failed_so_it_can_be_retried(
    moderator, monkeypatch, django_capture_on_commit_callbacks
):
    class Unreachable:
        def enqueue(self, job_id):
            raise ConnectionError("queue unreachable")

    monkeypatch.setattr("jobs.tasks.run_job", Unreachable())

    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_job(kind=Job.Kind.EXPORT, started_by=moderator, params={})

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == "Could not be queued: ConnectionError: queue unreachable"
    assert job.can_retry


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

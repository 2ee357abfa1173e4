"""jobs.services: starting and retrying jobs on django-tasks-db's database backend
(the task is queued once the transaction commits; the worker runs in the test).
Running a queued job is tested in test_runner.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEntry
from jobs import handlers, runner, services
from jobs.models import STALLED_AFTER, Job
from tests.jobs.factories import JobFactory
from tests.jobs.worker import run_db_worker

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_task_backend")]


# --- start -------------------------------------------------------------------------------


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

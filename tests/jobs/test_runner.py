"""jobs.runner: running a queued job (the body of the task ``jobs.tasks.run_job``)
on django-tasks-db's database backend, the worker running in the test."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jobs import handlers, runner, services
from jobs.models import STALLED_AFTER, Job
from tests.jobs.factories import JobFactory
from tests.jobs.worker import run_db_worker

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_task_backend")]


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

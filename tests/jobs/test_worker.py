"""jobs/worker.py and the db_worker command that starts it: a worker's heartbeat,
its running job's heartbeat, and taking over the jobs of workers that stopped."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import get_commands
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEntry
from jobs import services
from jobs.models import STALLED_AFTER, Job, WorkerHeartbeat
from jobs.progress import beat_running_jobs, running
from jobs.worker import HeartbeatThread, heartbeat_interval
from tests.jobs.factories import JobFactory
from tests.jobs.worker import run_db_worker

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_task_backend")]


def stalled_job(moderator, **fields) -> Job:
    """A job whose worker was killed mid-job: running, its heartbeat aged."""
    long_ago = timezone.now() - STALLED_AFTER - timedelta(seconds=1)
    return JobFactory(
        kind=Job.Kind.EXPORT,
        started_by=moderator,
        status=Job.Status.RUNNING,
        attempts=1,
        started_at=long_ago,
        heartbeat_at=long_ago,
        progress_done=2,
        progress_total=5,
        **fields,
    )


def test_manage_py_db_worker_is_the_jobs_apps_own():
    assert get_commands()["db_worker"] == "jobs"


def test_heartbeats_come_five_times_within_the_stalled_delay_and_at_most_ten_seconds_apart():
    assert heartbeat_interval() == min(10, STALLED_AFTER.total_seconds() / 5)


def test_a_beat_records_the_worker_then_moves_its_time():
    heartbeat = HeartbeatThread(worker_id="worker-1")

    heartbeat.beat()
    first = WorkerHeartbeat.objects.get()
    heartbeat.beat()

    again = WorkerHeartbeat.objects.get()
    assert (again.worker_id, again.started_at, again.pid) == (
        "worker-1",
        first.started_at,
        first.pid,
    )
    assert again.pid > 0
    assert again.beat_at > first.beat_at


def test_a_clean_stop_forgets_the_worker():
    heartbeat = HeartbeatThread(worker_id="worker-1")
    heartbeat.beat()

    heartbeat.stop()

    assert not WorkerHeartbeat.objects.exists()


def test_a_beat_forgets_workers_silent_for_a_day():
    WorkerHeartbeat.objects.create(worker_id="gone", beat_at=timezone.now() - timedelta(days=2))

    HeartbeatThread(worker_id="worker-1").beat()

    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["worker-1"]


def test_the_running_job_beats_whatever_its_handler_does(moderator):
    an_hour_ago = timezone.now() - timedelta(hours=1)
    job = JobFactory(
        started_by=moderator, status=Job.Status.RUNNING, attempts=1, heartbeat_at=an_hour_ago
    )

    with running(job):
        assert beat_running_jobs() == 1
    assert beat_running_jobs() == 0  # no longer running here

    job.refresh_from_db()
    assert job.heartbeat_at > an_hour_ago


def test_a_worker_taken_for_dead_does_not_beat_for_the_later_attempt(moderator):
    job = JobFactory(started_by=moderator, status=Job.Status.RUNNING, attempts=1)
    Job.objects.filter(pk=job.pk).update(attempts=2)  # another worker took it over

    with running(job):
        assert beat_running_jobs() == 0


def test_a_stalled_job_is_queued_again_and_the_next_worker_finishes_it(
    moderator, counting_handler, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.start_job(kind=Job.Kind.EXPORT, started_by=moderator, params={})
    dead_task = DBTaskResult.objects.get()
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, worker_ids=["killed"])
    job = Job.objects.get()
    long_ago = timezone.now() - STALLED_AFTER - timedelta(seconds=1)
    Job.objects.update(status=Job.Status.RUNNING, attempts=1, heartbeat_at=long_ago)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.take_over_stalled_jobs() == [job.pk]
    run_db_worker()

    job.refresh_from_db()
    assert (job.status, job.attempts, job.progress_done) == (Job.Status.SUCCEEDED, 2, 5)
    dead_task.refresh_from_db()
    assert dead_task.status == TaskResultStatus.FAILED
    assert dead_task.exception_class_path == "jobs.worker.WorkerStopped"
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == 1
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.JOB_RETRIED).exists()


def test_a_job_whose_worker_beats_is_not_taken_over(moderator):
    recently = timezone.now() - STALLED_AFTER + timedelta(seconds=30)
    JobFactory(started_by=moderator, status=Job.Status.RUNNING, attempts=1, heartbeat_at=recently)

    assert services.take_over_stalled_jobs() == []
    assert Job.objects.get().status == Job.Status.RUNNING


def test_a_beat_takes_over_stalled_jobs(moderator, django_capture_on_commit_callbacks):
    job = stalled_job(moderator)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        HeartbeatThread(worker_id="survivor").beat()

    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    assert len(callbacks) == 1  # its task, queued once the takeover commits


def test_a_batch_worker_records_no_heartbeat():
    run_db_worker()

    assert not WorkerHeartbeat.objects.exists()

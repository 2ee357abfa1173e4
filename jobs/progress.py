"""What a running job writes about itself: its progress and a heartbeat.

Below both the handlers (which advance it) and the runner (which creates it and
writes the outcome), so neither imports the other for it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models import QuerySet
from django.utils import timezone

from jobs.models import Job

# Progress is written at most this often (seconds), so a fast loop does not
# spend its time updating the job row.
PROGRESS_INTERVAL = 0.5


class Progress:
    """Counts done units of a running job and writes them (and a heartbeat) to it.

    Writes only while the job is still at the attempt it was given: a worker
    taken for dead whose job was retried must not overwrite the new attempt.
    """

    def __init__(self, job: Job) -> None:
        self.job = job
        self.done = 0
        self._written_at = 0.0

    def advance(self, units: int = 1) -> None:
        self.done += units
        if time.monotonic() - self._written_at >= PROGRESS_INTERVAL:
            self.flush()

    def set_total(self, total: int) -> None:
        self.job.progress_total = total
        this_attempt(self.job).update(progress_total=total)

    def flush(self) -> None:
        self._written_at = time.monotonic()
        this_attempt(self.job).update(progress_done=self.done, heartbeat_at=timezone.now())


def this_attempt(job: Job) -> QuerySet[Job]:
    """The job's row while it is still at ``job``'s attempt, for writes that a
    later attempt must win over."""
    # attempts grows by one each time a worker takes the job (jobs.runner.run_job).
    return Job.objects.filter(pk=job.pk, attempts=job.attempts)


# The jobs this process is running (a worker runs one at a time), for its heartbeat
# thread (jobs.worker), which writes their heartbeat whatever the handler is doing.
_running_jobs: dict[int, Job] = {}
_running_jobs_lock = threading.Lock()


@contextmanager
def running(job: Job) -> Iterator[None]:
    with _running_jobs_lock:
        _running_jobs[job.pk] = job
    try:
        yield
    finally:
        with _running_jobs_lock:
            _running_jobs.pop(job.pk, None)


def beat_running_jobs() -> int:
    """Write the heartbeat of every job this process runs (at their attempt, while
    running); returns how many rows were written."""
    with _running_jobs_lock:
        jobs = list(_running_jobs.values())
    return sum(
        this_attempt(job).filter(status=Job.Status.RUNNING).update(heartbeat_at=timezone.now())
        for job in jobs
    )

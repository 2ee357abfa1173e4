"""Starting, running and retrying jobs.

A job's work is a *handler*: a function ``(job, progress) -> result`` registered
for its kind in ``jobs.handlers``. Handlers must be safe to run again after a
failure (each unit of work its own transaction, done units skipped), because a
failed or stalled job can be retried.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import record_audit_entry
from jobs.models import Job

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

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
        _this_attempt(self.job).update(progress_total=total)

    def flush(self) -> None:
        self._written_at = time.monotonic()
        _this_attempt(self.job).update(progress_done=self.done, heartbeat_at=timezone.now())


def _this_attempt(job: Job) -> QuerySet[Job]:
    # attempts grows by one each time a worker takes the job (run_job).
    return Job.objects.filter(pk=job.pk, attempts=job.attempts)


def start_job(
    *,
    kind: Job.Kind,
    started_by: AbstractBaseUser | None,
    params: dict[str, Any],
    total: int = 0,
    description: str = "",
) -> Job:
    """Create a job and queue it once the current transaction commits."""
    job = Job.objects.create(
        kind=kind,
        started_by=started_by,
        started_by_username=started_by.get_username() if started_by else "",
        description=description[:300],
        params=params,
        progress_total=total,
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from jobs.tasks import run_job

    try:
        result = run_job.enqueue(job_id)
    except Exception as error:
        # Runs after the commit, so the job exists: mark it failed (and so
        # retryable) rather than leave it queued with no task behind it.
        logger.exception("Job %s could not be queued", job_id)
        Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
            status=Job.Status.FAILED,
            error=f"Could not be queued: {type(error).__name__}: {error}"[:2000],
            finished_at=timezone.now(),
        )
        return
    Job.objects.filter(pk=job_id).update(task_id=str(result.id))


class JobIncomplete(Exception):
    """Raised by a handler that finished its loop but left units undone: the job
    ends failed (so it can be retried) and keeps the counts it reached."""

    def __init__(self, message: str, *, result: dict[str, Any]) -> None:
        super().__init__(message)
        self.result = result


def run_job(job_id: int) -> None:
    """Run a queued job (called by the task). Never raises: the outcome, success
    or failure, is written to the job."""
    from jobs.handlers import HANDLERS

    taken = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        attempts=F("attempts") + 1,
    )
    if not taken:
        logger.warning("Job %s is not queued any more; not run", job_id)
        return
    job = Job.objects.get(pk=job_id)
    progress = Progress(job)
    try:
        result = HANDLERS[job.kind](job, progress)
    except JobIncomplete as incomplete:
        _this_attempt(job).update(
            status=Job.Status.FAILED,
            result=incomplete.result,
            error=str(incomplete)[:2000],
            progress_done=progress.done,
            finished_at=timezone.now(),
        )
        return
    except Exception as error:
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        _this_attempt(job).update(
            status=Job.Status.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
            progress_done=progress.done,
            finished_at=timezone.now(),
        )
        return
    # A worker taken for dead (stalled) whose job was retried meanwhile finds a
    # later attempt here and leaves the job to it.
    _this_attempt(job).update(
        status=Job.Status.SUCCEEDED,
        result=result or {},
        error="",
        progress_done=progress.done,
        finished_at=timezone.now(),
    )


@transaction.atomic
def retry_job(job: Job, *, by: AbstractBaseUser) -> Job:
    """Queue a failed (or stalled) job again; its handler skips finished work."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    if not job.can_retry:
        raise ValidationError(f"{job} cannot be retried: only failed or stalled jobs can.")
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.QUEUED, error="", started_at=None, heartbeat_at=None, finished_at=None
    )
    record_audit_entry(
        action=AuditEntry.Action.JOB_RETRIED,
        actor=by,
        details={"job_id": job.pk, "kind": job.kind},
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    job.refresh_from_db()
    return job


def forget_starter_name(*, user_id: int) -> int:
    """The account ``user_id`` is being deleted: its jobs no longer carry its
    name (shown as "deleted account"; the audit log keeps who started what).
    One statement, inside the deletion's transaction."""
    return Job.objects.filter(started_by_id=user_id).update(started_by_username="")

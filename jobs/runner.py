"""Running a queued job: the body of the task (``jobs.tasks.run_job``).

A job's work is a *handler*: a function ``(job, progress) -> result`` registered
for its kind in ``jobs.handlers``. Handlers must be safe to run again after a
failure (each unit of work its own transaction, done units skipped), because a
failed or stalled job can be retried (``jobs.services.retry_job``).
"""

from __future__ import annotations

import logging

from django.db.models import F
from django.utils import timezone

from jobs.handlers import HANDLERS, JobIncomplete
from jobs.models import Job
from jobs.progress import Progress, running, this_attempt

logger = logging.getLogger(__name__)


def run_job(job_id: int) -> None:
    """Run a queued job (called by the task). Never raises: the outcome, success
    or failure, is written to the job."""
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
        with running(job):
            result = HANDLERS[job.kind](job, progress)
    except JobIncomplete as incomplete:
        this_attempt(job).update(
            status=Job.Status.FAILED,
            result=incomplete.result,
            error=str(incomplete)[:2000],
            progress_done=progress.done,
            finished_at=timezone.now(),
        )
        return
    except Exception as error:
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        this_attempt(job).update(
            status=Job.Status.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
            progress_done=progress.done,
            finished_at=timezone.now(),
        )
        return
    # A worker taken for dead (stalled) whose job was retried meanwhile finds a
    # later attempt here and leaves the job to it.
    this_attempt(job).update(
        status=Job.Status.SUCCEEDED,
        result=result or {},
        error="",
        progress_done=progress.done,
        finished_at=timezone.now(),
    )

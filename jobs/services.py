"""Starting and retrying jobs: each queues the task (``jobs.tasks.run_job``)
once its transaction commits; ``jobs.runner`` runs it."""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEntry
from audit.services import record_audit_entry
from jobs import tasks
from jobs.models import Job

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)


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
    try:
        result = tasks.run_job.enqueue(job_id)
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


def take_over_stalled_jobs() -> list[int]:
    """Queue again the running jobs whose worker stopped (no heartbeat for
    STALLED_AFTER: killed, machine gone); returns their ids.

    Every worker's heartbeat calls it (``jobs.worker``). The rows are locked with
    SKIP LOCKED, so two workers never queue one job twice; the new attempt's handler
    skips the work already done, and a worker taken for dead that comes back finds a
    later attempt and writes nothing (``jobs.progress.this_attempt``). No audit
    entry: nobody acted; the job's attempts count shows it ran again.
    """
    with transaction.atomic():
        stalled = dict(
            Job.objects.stalled()
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", "task_id")
        )
        if not stalled:
            return []
        Job.objects.filter(pk__in=stalled).update(
            status=Job.Status.QUEUED, error="", started_at=None, heartbeat_at=None
        )
        # The dead worker's task would otherwise show as running for ever.
        DBTaskResult.objects.filter(
            id__in=[task_id for task_id in stalled.values() if task_id],
            status=TaskResultStatus.RUNNING,
        ).update(
            status=TaskResultStatus.FAILED,
            finished_at=timezone.now(),
            exception_class_path="jobs.worker.WorkerStopped",
            traceback="The worker running this task stopped beating; its job was queued again.",
        )
        for job_id in stalled:
            logger.warning("Job %s taken over: its worker stopped beating", job_id)
            transaction.on_commit(partial(_enqueue, job_id))
    return list(stalled)


def forget_starter_name(*, user_id: int) -> int:
    """The account ``user_id`` is being deleted: its jobs no longer carry its
    name (shown as "deleted account"; the audit log keeps who started what).
    One statement, inside the deletion's transaction."""
    return Job.objects.filter(started_by_id=user_id).update(started_by_username="")

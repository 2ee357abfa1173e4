"""Long work moved off the request: large exports, bulk account deletions.

A Job is what moderators see (state, progress, who started it, result or error);
the work itself runs as a Django task (``jobs.tasks.run_job``) on the configured
backend, the database backend of django-tasks-db in production.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# A running job's heartbeat is written by its worker's heartbeat thread (jobs.worker)
# every few seconds, whatever the handler is doing; one silent for longer lost its
# worker (killed, machine gone): another worker takes it over, or a moderator
# retries it. JOB_STALLED_SECONDS (default 300) sets it.
STALLED_AFTER = timedelta(seconds=settings.JOB_STALLED_SECONDS)


class JobQuerySet(models.QuerySet["Job"]):
    def stalled(self) -> JobQuerySet:
        """Running jobs whose last sign of life (heartbeat, else start) is older than
        STALLED_AFTER: the queryset twin of ``Job.is_stalled``."""
        silent_since = timezone.now() - STALLED_AFTER
        return self.filter(status=Job.Status.RUNNING).filter(
            Q(heartbeat_at__lt=silent_since)
            | Q(heartbeat_at__isnull=True, started_at__lt=silent_since)
        )


class Job(models.Model):
    class Kind(models.TextChoices):
        EXPORT = "export", "CSV export"
        ACCOUNT_DELETION = "account_deletion", "Account deletion"
        RULE_BACKTEST = "rule_backtest", "Watched-word rule backtest"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    started_by_username = models.CharField(max_length=150, blank=True)
    description = models.CharField(max_length=300, blank=True)
    # What to do: only ids, names and filters, never message text (privacy).
    params = models.JSONField(default=dict, blank=True)
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(default=0)
    # What came out: counts, a file name; never message text either.
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # Export jobs: account deletions that reached this job while it was queued or
    # running. A file is published only if none did since its rows were read
    # (jobs.export_files).
    deletions_seen = models.PositiveIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The job list, newest first, and a moderator's own jobs.
            models.Index(fields=["-created_at"], name="job_created_idx"),
            models.Index(fields=["started_by", "-created_at"], name="job_started_by_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display().lower()})"

    @property
    def percent_done(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, int(100 * self.progress_done / self.progress_total))

    @property
    def is_stalled(self) -> bool:
        """Running, but its worker stopped reporting: it died mid-job. Its queryset
        twin is ``Job.objects.stalled()``: change both together."""
        last_sign = self.heartbeat_at or self.started_at
        return (
            self.status == self.Status.RUNNING
            and last_sign is not None
            and timezone.now() - last_sign > STALLED_AFTER
        )

    @property
    def can_retry(self) -> bool:
        return self.status == self.Status.FAILED or self.is_stalled


class WorkerHeartbeat(models.Model):
    """A running ``manage.py db_worker`` process, as it last reported itself.

    Written by the worker's heartbeat thread (``jobs.worker``) every
    ``jobs.worker.heartbeat_interval()`` seconds and deleted when the worker
    stops cleanly; the readiness check (``/ready/``) asks whether any worker
    beat recently. In the database, not the cache: every process sees it, and a
    cache flush (``moderation_site.cache`` flushes after an outage) must not
    make the workers look gone.
    """

    worker_id = models.CharField(max_length=64, primary_key=True)
    # For an operator finding the process; never shown by /ready/.
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    beat_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # The readiness check: the latest beat of any worker.
            models.Index(fields=["-beat_at"], name="worker_beat_idx"),
        ]

    def __str__(self) -> str:
        return f"Worker {self.worker_id} (pid {self.pid} on {self.hostname})"

"""What a ``manage.py db_worker`` process adds to django-tasks-db's worker: a
heartbeat thread (``jobs/management/commands/db_worker.py`` starts it).

Every ``heartbeat_interval()`` seconds the thread

- records that this worker is alive (``WorkerHeartbeat``: what ``/ready/`` reads);
- writes the heartbeat of the job this process runs (``jobs.progress.beat_running_jobs``),
  whatever its handler is doing, so a job goes silent only when its worker does;
- takes over the jobs of workers that stopped (``jobs.services.take_over_stalled_jobs``):
  a worker killed mid-job leaves its job running with a heartbeat that no longer
  moves, and once it is STALLED_AFTER old any live worker queues it again; the
  handler skips the units the dead worker finished;
- runs the periodic work the apps registered (``jobs.periodic``) that is due.

django-tasks-db itself claims each task with ``SELECT ... FOR UPDATE SKIP LOCKED``
(one worker per task), but records no heartbeat and leaves a dead worker's task
running for ever: hence this.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from jobs import services
from jobs.models import STALLED_AFTER, WorkerHeartbeat
from jobs.periodic import PeriodicSchedule
from jobs.progress import beat_running_jobs

logger = logging.getLogger(__name__)

# A beat at least this often, and five beats within STALLED_AFTER: a worker slowed
# down for a moment (a long garbage collection, a busy database) is not taken for dead.
MAX_HEARTBEAT_SECONDS = 10.0
# A worker that vanished without removing its row is forgotten after this long.
FORGET_WORKERS_AFTER = timedelta(days=1)


def heartbeat_interval() -> float:
    return min(MAX_HEARTBEAT_SECONDS, STALLED_AFTER.total_seconds() / 5)


def worker_ready() -> bool:
    """The readiness check's "worker": with the database task backend, a worker
    beat within three intervals; the immediate backend needs no worker."""
    if settings.TASKS["default"]["BACKEND"] != "django_tasks_db.DatabaseBackend":
        return True
    seen_since = timezone.now() - timedelta(seconds=3 * heartbeat_interval())
    return WorkerHeartbeat.objects.filter(beat_at__gte=seen_since).exists()


class HeartbeatThread(threading.Thread):
    def __init__(self, *, worker_id: str) -> None:
        # A daemon: a worker that exits (or is killed) never waits for its heartbeat.
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self._stopped = threading.Event()
        self.periodic = PeriodicSchedule()

    def run(self) -> None:
        while not self._stopped.is_set():
            try:
                self.beat()
            except Exception:
                # The database may be away for a moment: beat again at the next interval.
                logger.exception("Worker %s: heartbeat failed", self.worker_id)
            finally:
                # This thread's own connection: dropped or reused as CONN_MAX_AGE says.
                close_old_connections()
            self._stopped.wait(heartbeat_interval())

    def beat(self) -> None:
        now = timezone.now()
        # Two single-statement writes rather than update_or_create's read then write,
        # which SQLite refuses at once ("database is locked") when another worker writes.
        # Only this thread writes this worker's row.
        if not WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(beat_at=now):
            WorkerHeartbeat.objects.create(
                worker_id=self.worker_id,
                beat_at=now,
                started_at=now,
                pid=os.getpid(),
                hostname=socket.gethostname()[:255],
            )
        beat_running_jobs()
        services.take_over_stalled_jobs()
        WorkerHeartbeat.objects.filter(beat_at__lt=now - FORGET_WORKERS_AFTER).delete()
        # Last: the worker's own signs of life come first. Each guards itself.
        self.periodic.run_due()

    def stop(self) -> None:
        """A clean stop: the worker is no longer counted as alive."""
        self._stopped.set()
        if self.is_alive():
            self.join(timeout=MAX_HEARTBEAT_SECONDS)
        WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()

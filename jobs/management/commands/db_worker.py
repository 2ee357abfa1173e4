"""``manage.py db_worker``: django-tasks-db's worker with a heartbeat thread
(``jobs.worker``: the readiness check's worker heartbeat, the running job's
heartbeat, and taking over the jobs of workers that stopped).

It replaces django-tasks-db's command of the same name, since ``jobs`` comes
before ``django_tasks_db`` in INSTALLED_APPS (Django runs the first app's command
of a name), so every way of starting a worker (make run, the Procfile, the
README's production recipe) gets it. Options are django-tasks-db's.
"""

from __future__ import annotations

import os
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from jobs.worker import HeartbeatThread


class Command(DatabaseWorkerCommand):
    help = (
        "Run a database background worker, with a heartbeat that takes over the jobs "
        "of workers that stopped"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # --batch runs the queue dry and exits (tests, one-off runs): no heartbeat.
        # With --reload the parent process only watches files; its child runs the tasks.
        runs_tasks_here = not options["reload"] or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"
        if options["batch"] or not runs_tasks_here:
            super().handle(*args, **options)
            return
        heartbeat = HeartbeatThread(worker_id=options["worker_id"])
        heartbeat.start()
        try:
            super().handle(*args, **options)
        finally:
            heartbeat.stop()

"""Running django-tasks-db's worker inside a test."""

from __future__ import annotations

import signal
from unittest import mock

from django.core.management import call_command

_WORKER_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)


def run_db_worker() -> None:
    """Run every queued task, then return (``manage.py db_worker --batch``).

    Two things of a long-running process are kept out of the test: between
    tasks the worker drops obsolete connections (``close_old_connections``),
    which inside the test's transaction would close the connection under it on
    PostgreSQL; and it installs its own SIGINT/SIGTERM/SIGQUIT handlers, put
    back afterwards so Ctrl-C still stops pytest.
    """
    handlers = {signum: signal.getsignal(signum) for signum in _WORKER_SIGNALS}
    try:
        with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
            call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)

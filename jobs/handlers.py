"""What each kind of job does. Each handler is ``(job, progress) -> result``.

The runner imports no app: each app above it adds the handler of its kind with
``register_handler`` in its ``AppConfig.ready`` (messaging's account deletion,
the exports app's CSV export), so ``HANDLERS`` is complete once the apps are ready.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jobs.models import Job
from jobs.progress import Progress

Handler = Callable[[Job, Progress], dict[str, Any]]

# Job.Kind.ACCOUNT_DELETION: registered by messaging (messaging.jobs).
# Job.Kind.EXPORT: registered by exports (exports.jobs).
HANDLERS: dict[str, Handler] = {}


def register_handler(kind: Job.Kind, handler: Handler) -> None:
    """Make ``handler`` do the jobs of ``kind``. It must be safe to run again
    (see jobs.runner) and return counts and file names, never content."""
    HANDLERS[kind] = handler


class JobIncomplete(Exception):
    """Raised by a handler that finished its loop but left units undone: the job
    ends failed (so it can be retried) and keeps the counts it reached."""

    def __init__(self, message: str, *, result: dict[str, Any]) -> None:
        super().__init__(message)
        self.result = result

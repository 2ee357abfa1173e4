"""What each kind of job does. Each handler is ``(job, progress) -> result``.

The runner imports no app: each app above it adds the handler of its kind with
``register_handler`` in its ``AppConfig.ready`` (messaging's account deletion,
the admin's CSV export), so ``HANDLERS`` is complete once the apps are ready.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jobs.models import Job
from jobs.services import Progress

Handler = Callable[[Job, Progress], dict[str, Any]]

# Job.Kind.ACCOUNT_DELETION: registered by messaging (messaging.jobs).
# Job.Kind.EXPORT: registered by admin_ext (admin_ext.exports.files).
HANDLERS: dict[str, Handler] = {}


def register_handler(kind: Job.Kind, handler: Handler) -> None:
    """Make ``handler`` do the jobs of ``kind``. It must be safe to run again
    (see jobs.services) and return counts and file names, never content."""
    HANDLERS[kind] = handler

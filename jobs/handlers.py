"""What each kind of job does. Each handler is ``(job, progress) -> result``.

An app above the jobs runner adds the handler of its kind with
``register_handler`` in its ``AppConfig.ready`` (the admin's CSV export), so the
runner never imports it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from jobs.models import Job
from jobs.services import JobIncomplete, Progress
from messaging import services as messaging_services


def run_account_deletion(job: Job, progress: Progress) -> dict[str, Any]:
    """Delete the accounts in ``job.params["user_ids"]``, each in its own transaction.

    Safe to run again: accounts deleted by an earlier attempt are counted as
    already deleted. When some could not be deleted the job ends failed, with its
    counts, so it can be retried. The result holds counts only, never usernames.
    """
    user_ids = job.params["user_ids"]
    progress.set_total(len(user_ids))
    totals: Counter[str] = Counter()
    for user_id in user_ids:
        outcome = messaging_services.delete_accounts(
            actor=job.started_by, user_ids=[user_id], reason=job.params["reason"]
        )
        totals.update(outcome.counts())
        progress.advance()
    result = {"deleted": 0, "refused": 0, "already_deleted": 0, "failed": 0, **totals}
    if result["failed"]:
        raise JobIncomplete(
            f"{result['failed']} of {len(user_ids)} accounts could not be deleted (a database "
            "error; nothing of those accounts was deleted). Retry to try them again.",
            result=result,
        )
    return result


Handler = Callable[[Job, Progress], dict[str, Any]]

HANDLERS: dict[str, Handler] = {
    Job.Kind.ACCOUNT_DELETION: run_account_deletion,
    # Job.Kind.EXPORT: registered by admin_ext (its AppConfig.ready).
}


def register_handler(kind: Job.Kind, handler: Handler) -> None:
    """Make ``handler`` do the jobs of ``kind``. It must be safe to run again
    (see jobs.services) and return counts and file names, never content."""
    HANDLERS[kind] = handler

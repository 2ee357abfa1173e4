"""The background job messaging adds to the jobs runner: deleting accounts.

``MessagingConfig.ready`` registers it with ``jobs.handlers.register_handler``,
so the runner, below messaging, never imports it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from jobs.handlers import JobIncomplete
from jobs.models import Job
from jobs.progress import Progress
from messaging import services


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
        outcome = services.delete_accounts(
            actor=job.started_by, user_ids=[user_id], reason=job.params["reason"], job_id=job.pk
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

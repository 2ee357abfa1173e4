"""What each kind of job does. Each handler is ``(job, progress) -> result``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from jobs.models import Job
from jobs.services import Progress
from messaging import services as messaging_services


def run_account_deletion(job: Job, progress: Progress) -> dict[str, Any]:
    """Delete the accounts in ``job.params["user_ids"]``, each in its own transaction.

    Safe to run again: accounts deleted by an earlier attempt are counted as
    already deleted. The result holds counts only, never usernames.
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
    return {"deleted": 0, "refused": 0, "already_deleted": 0, "failed": 0, **totals}


HANDLERS: dict[str, Callable[[Job, Progress], dict[str, Any]]] = {
    Job.Kind.ACCOUNT_DELETION: run_account_deletion,
}

"""What happened in moderation, for the writes that send no model signal.

Cases change by ``QuerySet.update()`` and bulk deletes (a case's first action and
closing, the evidence purge), which send no ``post_save``/``post_delete``: the
service that makes the change says so here, so whoever follows cases (the
dashboard's figures) hears of it without moderation knowing who listens. Sent
inside the write's transaction; a receiver whose work leaves the database (a
cache) defers it with ``transaction.on_commit``.
"""

from __future__ import annotations

from django.dispatch import Signal

# A moderator acted on an open case (act_on_case): its first action is recorded,
# and it may have closed. sender: Case; case_id.
case_acted_on = Signal()

# Closed cases past their retention were deleted with their evidence, one batch
# (purge_expired_evidence). sender: Case; case_ids: the deleted cases' ids.
evidence_purged = Signal()

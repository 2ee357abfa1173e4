"""What deleting accounts would remove, counted before a moderator confirms it.

Counts only, set-based, writing nothing: the same rules as the deletion
(``account_erasure``), so a preview and the summary of the deletion that follows
agree field by field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import OuterRef

from messaging.models import Message, MessageHistory, Notification
from messaging.selectors import CappedCount
from messaging.services.account_erasure import AccountDeletionCounts, ThreadPlan, plan_threads

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@dataclass(frozen=True, kw_only=True)
class AccountDeletionPreview(AccountDeletionCounts):
    """What ``delete_account`` would remove for one account if it ran now: the
    same counts as the summary of the deletion that follows, field by field.
    For an account too large to plan, the split between deleted and tombstoned
    is ``None`` (``preview_account_deletions``)."""

    messages_tombstoned: int | None
    empty_tombstones_removed: int | None


# Each count of a preview reads at most this many rows + 1 (shown "1,000+"): the
# largest account of 10,000,000 messages sent 76,000, with 124,000 notifications
# about them; counting them exactly took 12 s, and up to 10,000 each 0.6 s. The
# deletion's summary, and its job's page, give the exact figures once it has run.
PREVIEW_COUNT_AT_MOST = 1_000


def preview_account_deletions(
    users: Iterable[AbstractBaseUser], *, at_most: int = PREVIEW_COUNT_AT_MOST
) -> dict[int, AccountDeletionPreview]:
    """Count, per user id, what deleting each of ``users`` would remove; write nothing.

    Each account is counted as if it were deleted alone, now: the counts are
    exactly what ``delete_account`` reports when it runs next on the same data.
    When several of the accounts wrote in the same threads, deleting one changes
    what is left for the next (a tombstone the first leaves may go with the
    second), so their summaries can then differ from these counts.

    Each count stops past ``at_most`` (a count above it means "more than
    ``at_most``"). An account that sent more than ``at_most`` messages is not
    split into deleted and tombstoned (``None``: known once deleted), since
    that plan reads every message of their threads.

    One query for every count of every user (capped correlated subqueries),
    plus one per user who sent at most ``at_most`` messages, which reuses
    ``plan_threads`` (the very function the deletion uses) to decide which
    messages become tombstones.
    """
    users_by_id = {user.pk: user for user in users}
    if not users_by_id:
        return {}
    account = OuterRef("pk")
    counted = {
        row["pk"]: row
        for row in get_user_model()
        ._default_manager.filter(pk__in=list(users_by_id))
        .annotate(
            sent=CappedCount(Message.objects.filter(sender=account), at_most),
            received=CappedCount(Message.objects.filter(receiver=account), at_most),
            # The deletion removes the notifications *of* the user and those
            # *about* their messages: the second set, minus its overlap with the
            # first, is counted apart.
            own_notifications=CappedCount(Notification.objects.filter(user=account), at_most),
            notifications_about=CappedCount(
                Notification.objects.filter(message__sender=account).exclude(user=account),
                at_most,
            ),
            history_rows=CappedCount(
                MessageHistory.objects.filter(message__sender=account), at_most
            ),
            versions=CappedCount(Message.versions.model.objects.filter(sender=account), at_most),
        )
        .values(
            "pk",
            "sent",
            "received",
            "own_notifications",
            "notifications_about",
            "history_rows",
            "versions",
        )
    }

    previews: dict[int, AccountDeletionPreview] = {}
    for user_id, user in users_by_id.items():
        counts = counted[user_id]
        sent = counts["sent"]
        if sent > at_most:  # too many to plan here: all of them, one way or the other
            deleted, tombstoned, emptied = sent, None, None
        else:
            # Someone who sent nothing has no thread to plan: skip the query.
            plan = plan_threads(user) if sent else ThreadPlan(set(), set())
            deleted, tombstoned = sent - len(plan.to_tombstone), len(plan.to_tombstone)
            emptied = len(plan.empty_tombstones)
        previews[user_id] = AccountDeletionPreview(
            messages_deleted=deleted,
            messages_tombstoned=tombstoned,
            empty_tombstones_removed=emptied,
            notifications_deleted=counts["own_notifications"] + counts["notifications_about"],
            history_rows_deleted=counts["history_rows"],
            versions_deleted=counts["versions"],
            received_messages_kept=counts["received"],
        )
    return previews


# What preview_account_deletions_together counts.
TOGETHER_COUNTED = (
    "messages_deleted",
    "notifications_deleted",
    "history_rows_deleted",
    "versions_deleted",
    "received_messages_kept",
)


def preview_account_deletions_together(user_ids: Sequence[int]) -> dict[str, int]:
    """Totals for deleting all of ``user_ids`` together, in six COUNT queries
    whatever their number; keys as AccountDeletionPreview's.

    ``messages_deleted`` counts every message they sent (deleted or kept as a
    tombstone: splitting them needs ``plan_threads``, one query per account);
    ``messages_tombstoned`` and ``empty_tombstones_removed`` are left out, known
    once deleted. Unlike the per-account preview, nothing is counted twice: a
    notification of one of them about another's message is one notification,
    and a message one of them sent another is not "received and kept".
    """
    ids = list(user_ids)
    if not ids:
        return dict.fromkeys(TOGETHER_COUNTED, 0)
    return {
        "messages_deleted": Message.objects.filter(sender_id__in=ids).count(),
        # Theirs, plus those about their messages that are someone else's: each
        # through its own index, where an OR across the join read them all.
        "notifications_deleted": Notification.objects.filter(user_id__in=ids).count()
        + Notification.objects.filter(message__sender_id__in=ids).exclude(user_id__in=ids).count(),
        "history_rows_deleted": MessageHistory.objects.filter(message__sender_id__in=ids).count(),
        "versions_deleted": Message.versions.model.objects.filter(sender_id__in=ids).count(),
        # What they sent each other goes with its sender; tombstones (no sender) stay.
        "received_messages_kept": Message.objects.filter(receiver_id__in=ids)
        .exclude(sender_id__in=ids)
        .count(),
    }

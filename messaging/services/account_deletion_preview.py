"""What deleting accounts would remove, counted before a moderator confirms it.

Counts only, set-based, writing nothing: the same rules as the deletion
(``account_erasure``), so a preview and the summary of the deletion that follows
agree field by field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Q

from messaging.models import Message, MessageHistory, Notification
from messaging.services.account_erasure import AccountDeletionCounts, ThreadPlan, plan_threads

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class AccountDeletionPreview(AccountDeletionCounts):
    """What ``delete_account`` would remove for one account if it ran now: the
    same counts as the summary of the deletion that follows, field by field."""


def preview_account_deletions(
    users: Iterable[AbstractBaseUser],
) -> dict[int, AccountDeletionPreview]:
    """Count, per user id, what deleting each of ``users`` would remove; write nothing.

    Each account is counted as if it were deleted alone, now: the counts are
    exactly what ``delete_account`` reports when it runs next on the same data.
    When several of the accounts wrote in the same threads, deleting one changes
    what is left for the next (a tombstone the first leaves may go with the
    second), so their summaries can then differ from these counts.

    Counts only, set-based: six grouped COUNT queries for all the users together,
    plus one query per user who sent messages, which reuses ``plan_threads`` (the
    very function the deletion uses) to decide which messages become tombstones.
    So ``6 + N`` queries at most for N users, whatever the size of the accounts.
    """
    users_by_id = {user.pk: user for user in users}
    if not users_by_id:
        return {}
    user_ids = list(users_by_id)

    def counts_by(queryset: Any, column: str) -> dict[int, int]:
        # One GROUP BY query: {user id: rows}; order_by() drops any default ordering
        # that would otherwise split the groups.
        return dict(
            queryset.order_by()
            .values(column)
            .annotate(count=Count("pk"))
            .values_list(column, "count")
        )

    messages_sent = counts_by(Message.objects.filter(sender_id__in=user_ids), "sender_id")
    messages_received = counts_by(Message.objects.filter(receiver_id__in=user_ids), "receiver_id")
    # The deletion removes the notifications *of* the user and those *about* their
    # messages: the second set, minus its overlap with the first, is counted apart.
    own_notifications = counts_by(Notification.objects.filter(user_id__in=user_ids), "user_id")
    notifications_about_their_messages = counts_by(
        Notification.objects.filter(message__sender_id__in=user_ids).exclude(
            user_id=F("message__sender_id")
        ),
        "message__sender_id",
    )
    history_rows = counts_by(
        MessageHistory.objects.filter(message__sender_id__in=user_ids), "message__sender_id"
    )
    versions = counts_by(Message.versions.model.objects.filter(sender_id__in=user_ids), "sender_id")

    previews: dict[int, AccountDeletionPreview] = {}
    for user_id, user in users_by_id.items():
        sent = messages_sent.get(user_id, 0)
        # Someone who sent nothing has no thread to plan: skip the query.
        plan = plan_threads(user) if sent else ThreadPlan(set(), set())
        previews[user_id] = AccountDeletionPreview(
            messages_deleted=sent - len(plan.to_tombstone),
            messages_tombstoned=len(plan.to_tombstone),
            empty_tombstones_removed=len(plan.empty_tombstones),
            notifications_deleted=own_notifications.get(user_id, 0)
            + notifications_about_their_messages.get(user_id, 0),
            history_rows_deleted=history_rows.get(user_id, 0),
            versions_deleted=versions.get(user_id, 0),
            received_messages_kept=messages_received.get(user_id, 0),
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
    """Totals for deleting all of ``user_ids`` together, in five COUNT queries
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
        "notifications_deleted": Notification.objects.filter(
            Q(user_id__in=ids) | Q(message__sender_id__in=ids)
        ).count(),
        "history_rows_deleted": MessageHistory.objects.filter(message__sender_id__in=ids).count(),
        "versions_deleted": Message.versions.model.objects.filter(sender_id__in=ids).count(),
        # What they sent each other goes with its sender; tombstones (no sender) stay.
        "received_messages_kept": Message.objects.filter(receiver_id__in=ids)
        .exclude(sender_id__in=ids)
        .count(),
    }

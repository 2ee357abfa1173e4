"""Reads that span models: accounts that count their messages (the users list and
its export), and what a thread view shows one viewer beside the tree. The part
of a thread a page shows is ``messaging.thread_window``.

One correlated subquery per count instead of JOIN + COUNT: several joined counts
would multiply each other, and a subquery costs no extra query per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from messaging.models import Message, MessageHistory

# Which of a thread's messages a viewer has reported: (thread id, viewer id) →
# message ids, in one query. Reports live in moderation, above messaging: it
# registers its reader from its AppConfig.ready, so the thread view can say
# "Reported" without importing it. Empty until then (no reader: nothing reported).
ReportedMessagesReader = Callable[[int, int], set[int]]
REPORTED_MESSAGES_READERS: list[ReportedMessagesReader] = []


def register_reported_messages_reader(reader: ReportedMessagesReader) -> None:
    REPORTED_MESSAGES_READERS[:] = [reader]


# Whether a person has moderators' decisions to read (a sanction in force, an
# appeal): user id → bool, in one query. Registered by moderation the same way,
# so the inbox links "Decisions about your account" without importing it.
AccountDecisionsReader = Callable[[int], bool]
ACCOUNT_DECISIONS_READERS: list[AccountDecisionsReader] = []


def register_account_decisions_reader(reader: AccountDecisionsReader) -> None:
    ACCOUNT_DECISIONS_READERS[:] = [reader]


def has_account_decisions(user_id: int) -> bool:
    return any(reader(user_id) for reader in ACCOUNT_DECISIONS_READERS)


def messages_reported_by(*, viewer_id: int, thread_id: int) -> set[int]:
    """The ids of the thread's messages ``viewer_id`` has reported."""
    return {
        message_id
        for reader in REPORTED_MESSAGES_READERS
        for message_id in reader(thread_id, viewer_id)
    }


def earlier_versions_in_thread(
    *, thread_id: int, viewer_id: int
) -> dict[int, list[MessageHistory]]:
    """Message id → its earlier texts, newest first, for the thread's messages that
    ``viewer_id`` sent or received: the two people in the conversation, never
    anyone else. A hidden message shows none (its sender sees only that a
    moderator hid it), nor a deleted one. One query for the whole thread.

    Only the sender's own edits since the last edit by anyone else: a moderator
    who edits a message takes words out of it, and the text before that edit (and
    every older one) must not come back as an "earlier version"."""
    rows = (
        MessageHistory.objects.filter(
            message__thread_id=thread_id,
            message__is_hidden=False,
            message__is_tombstone=False,
        )
        .filter(Q(message__sender_id=viewer_id) | Q(message__receiver_id=viewer_id))
        .annotate(sender_id=F("message__sender_id"))
        .only("id", "message_id", "old_content", "edited_at", "edited_by")
        .order_by("message_id", "-edited_at", "-id")
    )
    versions: dict[int, list[MessageHistory]] = defaultdict(list)
    redacted: set[int] = set()
    for row in rows:
        if row.message_id in redacted:
            continue
        if row.edited_by_id != row.sender_id:
            redacted.add(row.message_id)  # this and every older text stay hidden
            continue
        versions[row.message_id].append(row)
    return dict(versions)


def count_subquery(queryset: QuerySet, group_by: str, *, at_most: int | None = None) -> Any:
    """COUNT(*) of ``queryset`` (filtered on an OuterRef) as a correlated subquery,
    stopping at ``at_most`` + 1 rows when given."""
    if at_most is not None:
        return CappedCount(queryset, at_most)
    counted = queryset.order_by().values(group_by).annotate(count=Count("pk")).values("count")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


class CappedCount(Subquery):
    """How many rows a correlated queryset holds, reading at most ``cap`` + 1 of
    them: one of the first users of a 10,000,000-message database sent 20,000
    messages, and fifty exact counts on a page took four seconds."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS capped_rows)"

    def __init__(self, queryset: QuerySet, cap: int) -> None:
        super().__init__(queryset.order_by().values("pk")[: cap + 1], output_field=IntegerField())


def with_activity_counts(users: QuerySet, *, at_most: int | None = None) -> QuerySet:
    """``users`` annotated with ``messages_sent``, ``unread_received`` and
    ``edits_made``: the users list's columns (each counting at most ``at_most`` + 1
    rows there) and the export's exact ones (a count nobody selects or sorts by
    is never computed)."""
    return users.annotate(
        messages_sent=count_subquery(
            Message.objects.filter(sender=OuterRef("pk")), "sender", at_most=at_most
        ),
        unread_received=count_subquery(
            Message.objects.filter(receiver=OuterRef("pk"), read=False),
            "receiver",
            at_most=at_most,
        ),
        # Edits they made (their own messages, or anyone's for a moderator): one
        # index lookup each, where counting edits of their messages walked every
        # message of a big account.
        edits_made=count_subquery(
            MessageHistory.objects.filter(edited_by=OuterRef("pk")), "edited_by", at_most=at_most
        ),
    )


def by_unread_messages(users: QuerySet, has_unread: bool) -> QuerySet:
    """The accounts with (or without) a message they have not read."""
    # EXISTS stops at the first row (msg_unread_inbox_idx, receiver first).
    has_unread_message = Exists(Message.objects.filter(receiver=OuterRef("pk"), read=False))
    return users.filter(has_unread_message if has_unread else ~has_unread_message)

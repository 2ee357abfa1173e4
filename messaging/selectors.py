"""Reads about accounts that count their messages: the users list and its export.

One correlated subquery per count instead of JOIN + COUNT: several joined counts
would multiply each other, and a subquery costs no extra query per row.
"""

from __future__ import annotations

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from messaging.models import Message, MessageHistory


def count_subquery(queryset: QuerySet, group_by: str) -> Coalesce:
    """COUNT(*) of ``queryset`` (filtered on an OuterRef) as a correlated subquery."""
    counted = queryset.order_by().values(group_by).annotate(count=Count("pk")).values("count")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_activity_counts(users: QuerySet) -> QuerySet:
    """``users`` annotated with ``messages_sent``, ``unread_received`` and
    ``edits_made``: the users list's columns and orderings (its export sorts by
    them too; a count nobody selects or sorts by is never computed)."""
    return users.annotate(
        messages_sent=count_subquery(Message.objects.filter(sender=OuterRef("pk")), "sender"),
        unread_received=count_subquery(
            Message.objects.filter(receiver=OuterRef("pk"), read=False), "receiver"
        ),
        # Edits they made (their own messages, or anyone's for a moderator): one
        # index lookup each, where counting edits of their messages walked every
        # message of a big account.
        edits_made=count_subquery(
            MessageHistory.objects.filter(edited_by=OuterRef("pk")), "edited_by"
        ),
    )


def by_unread_messages(users: QuerySet, has_unread: bool) -> QuerySet:
    """The accounts with (or without) a message they have not read."""
    # EXISTS stops at the first row (msg_unread_inbox_idx, receiver first).
    has_unread_message = Exists(Message.objects.filter(receiver=OuterRef("pk"), read=False))
    return users.filter(has_unread_message if has_unread else ~has_unread_message)

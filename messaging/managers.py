"""Reads of the messaging domain: QuerySets and managers.

Every method returns rows with what its callers show already loaded, so no
caller pays a query per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Self

from django.db import models
from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from messaging.models import Message

# Users matching a search word are inlined as ids up to this many (SQLite's
# parameter limit is far above it).
USER_MATCHES_INLINED = 5_000

# The columns an inbox row shows (see templates/messaging/inbox.html).
INBOX_FIELDS = (
    "id",
    "content",
    "timestamp",
    "read",
    "thread_id",
    "parent_message_id",
    "receiver_id",
    "is_hidden",  # shown as a placeholder instead of the content
    "sender__username",
)


class MessageQuerySet(models.QuerySet):
    def involving(self, user: AbstractBaseUser) -> Self:
        """Messages the user sent or received."""
        return self.filter(Q(sender=user) | Q(receiver=user))

    def received_by(self, user: AbstractBaseUser) -> Self:
        return self.filter(receiver=user)

    def in_thread(self, thread_id: int) -> Self:
        return self.filter(thread_id=thread_id)

    def search(self, text: str) -> Self:
        """Messages whose content, sender's or receiver's username contains every
        word of ``text`` (case-insensitive), as the admin's search box means it.

        Matching users are looked up first (one query) so the database can combine
        three indexes (content trigrams on PostgreSQL, sender, receiver) instead of
        scanning every message for a join.
        """
        from django.contrib.auth import get_user_model
        from django.utils.text import smart_split, unescape_string_literal

        user_model = get_user_model()
        results = self
        for word in smart_split(text):
            if word[0] in "\"'" and word[0] == word[-1] and len(word) > 1:
                word = unescape_string_literal(word)
            users = user_model.objects.filter(username__icontains=word).values_list("pk", flat=True)
            user_ids: Any = list(users[: USER_MATCHES_INLINED + 1])
            if len(user_ids) > USER_MATCHES_INLINED:
                user_ids = users  # too many to inline: a subquery, slower but right
            results = results.filter(
                Q(content__icontains=word) | Q(sender__in=user_ids) | Q(receiver__in=user_ids)
            )
        return results

    def user_takes_part_in_thread(self, user: AbstractBaseUser, thread_id: int) -> bool:
        return self.in_thread(thread_id).involving(user).exists()

    def conversations_of(self, user: AbstractBaseUser) -> Self:
        """One row per thread the user takes part in, most recent activity first.

        Rows are dicts with ``thread_id``, ``last_activity`` and ``message_count``
        (messages of the thread that involve the user).
        """
        return (
            self.involving(user)
            .values("thread_id")
            .annotate(last_activity=Max("timestamp"), message_count=Count("id"))
            .order_by("-last_activity", "-thread_id")
        )

    def thread_tree(self, message: Message | int) -> Message:
        """The whole thread ``message`` belongs to, as its root.

        Each node gets ``children`` (oldest first) and keeps its ``depth``; sender,
        receiver and the parent link are loaded. One query for the thread (plus one
        to find the thread when given an id), whatever its size or depth.
        """
        if isinstance(message, int):
            thread_id = self.filter(pk=message).values_list("thread_id", flat=True).get()
        else:
            thread_id = message.thread_id
        root = self.thread_trees([thread_id]).get(thread_id)
        if root is None:
            raise self.model.DoesNotExist(f"Thread {thread_id} has no root message.")
        return root

    def thread_trees(self, thread_ids: Iterable[int] | models.QuerySet) -> dict[int, Message]:
        """Several whole threads, as ``{thread id: root}``, built like ``thread_tree``.

        One query for all of them, whatever their number, size or depth (``thread_ids``
        may be a ``values("thread_id")`` queryset: it becomes a subquery); each
        thread comes in the order of msg_thread_order_idx. A thread without a root
        message is left out.
        """
        nodes = list(
            self.filter(thread_id__in=thread_ids)
            .select_related("sender", "receiver")
            .order_by("thread_id", "timestamp", "id")
        )
        by_id = {node.pk: node for node in nodes}
        parent_field = self.model._meta.get_field("parent_message")
        roots: dict[int, Message] = {}
        for node in nodes:
            node.children = []
        for node in nodes:
            parent = by_id.get(node.parent_message_id)
            if parent is None:
                roots[node.thread_id] = node
            else:
                parent_field.set_cached_value(node, parent)
                parent.children.append(node)
        return roots

    def participant_ids_by_thread(self, thread_ids: Iterable[int]) -> dict[int, set[int]]:
        """Who takes part in each thread: the users whose thread views are cached."""
        participants: dict[int, set[int]] = {}
        rows = (
            self.filter(thread_id__in=thread_ids)
            .values_list("thread_id", "sender_id", "receiver_id")
            .distinct()
        )
        for thread_id, sender_id, receiver_id in rows:
            users = participants.setdefault(thread_id, set())
            users.update(user_id for user_id in (sender_id, receiver_id) if user_id)
        return participants

    def with_reply_counts(self) -> Self:
        """Annotate ``reply_count``: how many direct replies each message has.

        A correlated subquery evaluated for the rows actually fetched (it uses the
        parent_message index), not a JOIN + GROUP BY over the whole table: a page of
        the admin changelist costs one query whatever the table's size.
        """
        replies = (
            self.model._default_manager.filter(parent_message=OuterRef("pk"))
            .order_by()
            .values("parent_message")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return self.annotate(reply_count=Coalesce(Subquery(replies), 0))

    def by_unread(self, is_unread: bool) -> Self:
        """Unread as the ``Message.unread`` manager defines it (or everything else),
        so the admin's filter, its exports and the inboxes never disagree on what
        "unread" means if that definition changes.

        Unread intersects with the manager's queryset (``&`` merges their WHERE
        clauses into one query: no subquery, and the database can use
        msg_unread_inbox_idx when a receiver is filtered too). Read excludes the
        manager's rows with an anti-join (NOT EXISTS), which stays correct whatever
        extra conditions the manager grows.
        """
        unread = self.model.unread.all()
        if is_unread:
            return self & unread
        return self.filter(~Exists(unread.filter(pk=OuterRef("pk"))))

    def by_replies(self, has_replies: bool) -> Self:
        return self.with_replies() if has_replies else self.without_replies()

    def with_replies(self) -> Self:
        """Messages someone answered (an EXISTS over the parent_message index)."""
        return self.filter(Exists(self._replies_to_outer_message()))

    def without_replies(self) -> Self:
        return self.filter(~Exists(self._replies_to_outer_message()))

    def _replies_to_outer_message(self) -> models.QuerySet:
        return self.model._default_manager.filter(parent_message=OuterRef("pk"))


class MessageManager(models.Manager.from_queryset(MessageQuerySet)):
    pass


class UnreadMessagesManager(models.Manager):
    """``Message.unread``: messages their receiver has not read yet.

    A message whose receiver deleted their account has nobody left to read it,
    so it is not unread (it would otherwise sit in the backlog for ever).
    """

    def get_queryset(self) -> MessageQuerySet:
        return MessageQuerySet(self.model, using=self._db).filter(
            read=False, receiver__isnull=False
        )

    def unread_for_user(self, user: AbstractBaseUser) -> MessageQuerySet:
        """The user's unread received messages, newest first, with only the inbox's
        columns and the sender's username joined in (uses msg_unread_inbox_idx)."""
        return (
            self.get_queryset()
            .filter(receiver=user)
            .select_related("sender")
            .only(*INBOX_FIELDS)
            .order_by("-timestamp", "-id")
        )


class NotificationQuerySet(models.QuerySet):
    def unseen_notices_for(self, user: AbstractBaseUser) -> Self:
        """The user's notices (moderator warnings, outcomes of their reports) they
        have not acknowledged, newest first, with the columns the inbox shows
        (notif_user_idx)."""
        return (
            self.filter(user=user, kind__in=self.model.NOTICE_KINDS, is_seen=False)
            .only("id", "kind", "text", "created_at")
            .order_by("-created_at", "-id")
        )


class MessageHistoryQuerySet(models.QuerySet):
    def with_text_after_edit(self) -> Self:
        """Each row with ``content_after_edit``, the text its edit left: the next
        newer row's old text, or the message's current content for the newest.
        A subquery per row (history_message_idx), so it holds for one row alone."""
        newer = (
            self.model._default_manager.filter(message_id=OuterRef("message_id"))
            .filter(
                Q(edited_at__gt=OuterRef("edited_at"))
                | Q(edited_at=OuterRef("edited_at"), pk__gt=OuterRef("pk"))
            )
            .order_by("edited_at", "pk")
            .values("old_content")[:1]
        )
        return self.annotate(content_after_edit=Coalesce(Subquery(newer), "message__content"))


def walk_thread(root: Message) -> Iterator[Message]:
    """Yield a thread tree's nodes in reading order (depth first, oldest reply first).

    Iterative, so a thread thousands of messages deep renders from a flat list
    without recursion.
    """
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))

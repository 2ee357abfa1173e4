"""The messaging domain: messages in threads, notifications, edit history.

Writes go through ``messaging.services``; reads through ``messaging.managers``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from messaging.managers import (
    MessageHistoryQuerySet,
    MessageManager,
    NotificationQuerySet,
    UnreadMessagesManager,
)
from moderation_site.time_format import format_timestamp

# Long enough for any real message, short enough that one message cannot fill a page
# or a CSV cell (spreadsheets cut cells at 32,767 characters).
MAX_CONTENT_LENGTH = 10_000


def validate_not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("A message cannot be empty.", code="blank")


class Message(models.Model):
    """One message from ``sender`` to ``receiver``; a reply points at its parent.

    ``thread`` is the thread's first message (itself for a root) and ``depth`` the
    distance from it: both are set on the first save and never change, so a whole
    thread is one indexed query whatever its depth.

    A *tombstone* is a message whose author deleted their account while other
    people's replies hang below it: it keeps its place in the tree but holds no
    content and no sender.
    """

    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,  # only ever NULL on a tombstone
        null=True,
        blank=True,
        related_name="sent_messages",
        db_index=False,  # covered by msg_sent_idx (sender first)
    )
    receiver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # A message sent to someone who later left stays with its sender.
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="received_messages",
        db_index=False,  # covered by the inbox indexes below (receiver first)
    )
    content = models.TextField(
        error_messages={"blank": "A message cannot be empty."},
        validators=[
            validate_not_blank,
            MaxLengthValidator(MAX_CONTENT_LENGTH),
            ProhibitNullCharactersValidator(),  # PostgreSQL rejects NUL in text
        ],
    )
    timestamp = models.DateTimeField(default=timezone.now, editable=False)
    parent_message = models.ForeignKey(
        "self",
        # Never delete someone's reply with its parent: a parent with replies
        # becomes a tombstone instead (messaging.services.account_erasure).
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replies",
    )
    thread = models.ForeignKey(
        "self",
        # Every other message of a thread descends from its root, so the PROTECT on
        # parent_message already keeps a root with replies from being deleted; a
        # root without replies points only at itself.
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        editable=False,
        related_name="thread_messages",
        db_index=False,  # covered by msg_thread_order_idx
    )
    depth = models.PositiveIntegerField(default=0, editable=False)
    # Written by the edit history's pre_save receiver (messaging.signals), never
    # by the caller: a caller names who edits in ``_history_user``.
    edited = models.BooleanField(default=False)
    edited_at = models.DateTimeField(null=True, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="edited_messages",
    )
    read = models.BooleanField(default=False)
    is_tombstone = models.BooleanField(default=False)
    # Hidden by the moderators (moderation.services.hide_message): people see a
    # placeholder instead of the content, moderators still see it; restorable.
    is_hidden = models.BooleanField(default=False)

    objects = MessageManager()
    unread = UnreadMessagesManager()
    # Who changed what, from the admin and everywhere else. Deleting a message
    # through the ORM drops its versions instead of writing a full copy of it.
    # (``history`` is the edit log, MessageHistory; these are full versions.)
    versions = HistoricalRecords(cascade_delete_history=True)

    class Meta:
        indexes = [
            # Message.objects.thread_tree: every message of a thread, oldest first.
            models.Index(fields=["thread", "timestamp", "id"], name="msg_thread_order_idx"),
            # Message.unread.unread_for_user: a user's unread inbox, newest first.
            models.Index(
                fields=["receiver", "-timestamp"],
                condition=Q(read=False),
                name="msg_unread_inbox_idx",
            ),
            # MessageQuerySet.received_by and conversations_of: a user's messages.
            models.Index(fields=["receiver", "-timestamp"], name="msg_received_idx"),
            models.Index(fields=["sender", "-timestamp"], name="msg_sent_idx"),
            # The messages list's order (newest first, the id breaking ties among
            # the many messages of one second) and the per-day figures. On the
            # timestamp alone, the first page of 10,000,000 messages joined and
            # sorted every message of the newest second.
            models.Index(fields=["-timestamp", "-id"], name="msg_newest_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_tombstone=False) | (Q(sender__isnull=True) & Q(content="")),
                name="msg_tombstone_is_empty",
            ),
        ]

    def __str__(self) -> str:
        if self.is_tombstone:
            return f"Message #{self.pk} (deleted)"
        return f"Message #{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        is_new = self._state.adding
        if is_new and self.parent_message_id is not None and self.thread_id is None:
            parent = self.parent_message
            self.thread_id = parent.thread_id
            self.depth = parent.depth + 1
        # One transaction per save, receivers included: a root's thread pointer is
        # never seen unset, and a pre_save receiver's row lock (the edit history's,
        # messaging.signals) holds until the row is written, whoever saves.
        with transaction.atomic(using=kwargs.get("using")):
            super().save(*args, **kwargs)
            if is_new and self.thread_id is None:
                self.thread_id = self.pk
                type(self).objects.filter(pk=self.pk).update(thread_id=self.pk)

    @property
    def is_unread(self) -> bool:
        """Unread as ``Message.unread`` means it: not read, and someone left to read it."""
        return not self.read and self.receiver_id is not None

    @property
    def is_root(self) -> bool:
        return self.parent_message_id is None


class Notification(models.Model):
    """Something to tell a user: a new message or reply, or a notice (a moderator's
    warning, the outcome of their report), which has no message, only ``text``."""

    class Kind(models.TextChoices):
        NEW_MESSAGE = "new_message", "New message"
        REPLY = "reply", "Reply"
        WARNING = "warning", "Warning from the moderators"
        REPORT_OUTCOME = "report_outcome", "Outcome of your report"
        # A sanction that ended, a moderator's question on an appeal, its decision.
        MODERATION_NOTICE = "moderation_notice", "About a moderators' decision"

    # Shown above the inbox until the user acknowledges them.
    NOTICE_KINDS = (Kind.WARNING, Kind.REPORT_OUTCOME, Kind.MODERATION_NOTICE)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,  # covered by notif_user_idx
    )
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.NEW_MESSAGE)
    text = models.TextField(blank=True)  # a notice's words, to its receiver
    created_at = models.DateTimeField(auto_now_add=True)
    is_seen = models.BooleanField(default=False)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # A user's notifications, newest first.
            models.Index(fields=["user", "-created_at"], name="notif_user_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["warning", "report_outcome", "moderation_notice"])
                | Q(message__isnull=False),
                name="notif_message_unless_notice",
            ),
        ]

    def __str__(self) -> str:
        if self.message_id is None:
            return f"{self.get_kind_display()} for {self.user_id}"
        return f"{self.get_kind_display()} for {self.user_id} (message #{self.message_id})"


class MessageHistory(models.Model):
    """The content a message had before one edit: who edited, when, and the old text."""

    message = models.ForeignKey(
        Message,
        on_delete=models.CASCADE,
        related_name="history",
        db_index=False,  # covered by history_message_idx
    )
    old_content = models.TextField()
    edited_at = models.DateTimeField()
    # Deleting an editor keeps the record of what they changed in other people's
    # messages; only the link to the editor goes.
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="message_edits",
    )

    objects = MessageHistoryQuerySet.as_manager()

    class Meta:
        ordering = ["-edited_at", "-id"]
        verbose_name_plural = "message histories"
        indexes = [
            # A message's edit history, newest first.
            models.Index(fields=["message", "-edited_at"], name="history_message_idx"),
            # The dashboard's "edits today" (messaging.stats) and the history
            # changelist's default order.
            models.Index(fields=["-edited_at"], name="history_edited_idx"),
        ]

    def __str__(self) -> str:
        return f"Edit of message #{self.message_id} at {format_timestamp(self.edited_at)}"


# --- the dashboard's message figures, kept as each message is written ---------------------
# Written only by messaging.figures, in the transaction of the write they count, so the
# dashboard reads a few hundred rows instead of grouping millions of messages. Days are
# calendar days in TIME_ZONE; tombstones count nowhere.


class MessageDayCount(models.Model):
    """How many messages (tombstones aside) were sent on one local calendar day."""

    # Its unique index serves the 30-day chart (a range of days) and the upsert's
    # ON CONFLICT (messaging.figures).
    day = models.DateField(unique=True)
    count = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.count} messages"


class SenderDayCount(models.Model):
    """How many messages (tombstones aside) one person sent on one local calendar day."""

    day = models.DateField()
    # Their rows go with them (the CASCADE is part of an account deletion: nothing
    # else removes them). Indexed by the unique constraint, sender first.
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # The upsert's ON CONFLICT (messaging.figures), a person's days (an
            # account deletion subtracts them: messaging.figures.uncount_messages_of)
            # and a candidate's week (messaging.stats.top_senders): sender first, a
            # week is seven entries; day first, it was every sender of the week.
            models.UniqueConstraint(fields=["sender", "day"], name="sender_day_unique"),
        ]
        indexes = [
            # The week's top senders on PostgreSQL: each day's busiest senders first
            # (messaging.stats.top_senders), instead of summing every sender's week;
            # and the sum of every sender's week, by its range of days.
            models.Index(fields=["day", "-count"], name="sender_day_busiest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.count} messages from {self.sender_id}"

"""Deleting an account with all of its data.

The rules (README, "Account deletion"):

- everything the person wrote goes: their messages' content, their notifications,
  the edit history of their messages, cached pages that show them;
- other people's messages stay: a reply to one of the person's messages keeps its
  place in the thread under a *tombstone* (no content, no sender); messages other
  people sent to the person stay with their senders;
- all of it in one transaction, with a bounded number of set-based queries
  whatever the size of the account (never one query or one signal per message).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db import connections, transaction
from django.db.models import Q

from messaging.models import Message, MessageHistory, Notification
from messaging.thread_cache import forget_thread_views_on_commit

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)


class AccountAlreadyDeleted(Exception):
    """The account was deleted by someone else first (or never existed)."""


@dataclass(frozen=True)
class AccountDeletionSummary:
    """What one account deletion removed, counted per kind."""

    user_id: int
    username: str
    messages_deleted: int
    messages_tombstoned: int
    notifications_deleted: int
    history_rows_deleted: int
    received_messages_kept: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@transaction.atomic
def delete_account(
    user: AbstractBaseUser, *, actor: AbstractBaseUser | None = None, reason: str = ""
) -> AccountDeletionSummary:
    """Delete ``user`` and all of their data, all-or-nothing; return what went.

    Raises AccountAlreadyDeleted when the account is gone already (for example two
    moderators deleting it at once: the second waits for the first's lock).
    """
    user_model = get_user_model()
    locked_user = user_model.objects.select_for_update().filter(pk=user.pk).first()
    if locked_user is None:
        raise AccountAlreadyDeleted(f"Account {user.pk} no longer exists.")
    summary = erase_account_content(locked_user)
    # The pre_delete receiver is the safety net for every other way of deleting a
    # user; here the content is gone already.
    locked_user._account_content_erased = True
    locked_user.delete()
    logger.info(
        "Account %s (%s) deleted by %s: %s; reason: %r",
        summary.user_id,
        summary.username,
        getattr(actor, "pk", None),
        summary.as_dict(),
        reason,
    )
    return summary


def erase_account_content(user: AbstractBaseUser) -> AccountDeletionSummary:
    """Remove everything ``user`` wrote and detach what others sent them.

    Runs inside the caller's transaction (``delete_account`` or the user
    ``pre_delete`` receiver); leaves the user row itself to the caller.
    """
    own_messages = Message.objects.filter(sender=user)
    # Lock the person's messages: a reply racing with this deletion either
    # committed before (and is seen below) or waits and is then refused.
    parent_of = dict(own_messages.select_for_update().values_list("id", "parent_message_id"))
    kept_ids = _messages_to_keep_as_tombstones(user, parent_of)

    participants = Message.objects.participant_ids_by_thread(
        Message.objects.involving(user).values("thread_id")
    )
    forget_thread_views_on_commit(participants)

    notifications_deleted, _ = Notification.objects.filter(
        Q(user=user) | Q(message__sender=user)
    ).delete()
    history_rows_deleted, _ = MessageHistory.objects.filter(message__sender=user).delete()
    messages_tombstoned = _turn_into_tombstones(kept_ids)
    # Every message still sent by the user has no reply from anyone else (those
    # became tombstones above), so the set can go in one statement. A raw delete:
    # the rows below have been removed already and no per-row signal is wanted.
    messages_deleted = own_messages._raw_delete(own_messages.db)
    received_messages_kept = Message.objects.filter(receiver=user).update(receiver=None)

    return AccountDeletionSummary(
        user_id=user.pk,
        username=user.get_username(),
        messages_deleted=messages_deleted,
        messages_tombstoned=messages_tombstoned,
        notifications_deleted=notifications_deleted,
        history_rows_deleted=history_rows_deleted,
        received_messages_kept=received_messages_kept,
    )


def _messages_to_keep_as_tombstones(
    user: AbstractBaseUser, parent_of: dict[int, int | None]
) -> set[int]:
    """The user's messages that have a reply from someone else somewhere below.

    Each such message, and each of the user's messages between it and the thread
    root, must stay (as a tombstone) so the other person's reply keeps its place.
    """
    replied_by_others = (
        Message.objects.filter(parent_message__sender=user)
        .exclude(sender=user)  # includes replies whose author is gone (tombstones)
        .values_list("parent_message_id", flat=True)
        .distinct()
    )
    kept: set[int] = set()
    for message_id in replied_by_others:
        current: int | None = message_id
        while current in parent_of and current not in kept:
            kept.add(current)
            current = parent_of[current]
    return kept


def _turn_into_tombstones(message_ids: set[int]) -> int:
    if not message_ids:
        return 0
    # Bounded by the database's parameter limit, not by a guess.
    batch_size = connections[Message.objects.db].features.max_query_params or 50_000
    ids = sorted(message_ids)
    changed = 0
    for start in range(0, len(ids), batch_size):
        changed += Message.objects.filter(pk__in=ids[start : start + batch_size]).update(
            content="",
            sender=None,
            is_tombstone=True,
            read=True,  # nothing left to read
            edited=False,
            edited_at=None,
            edited_by=None,
        )
    return changed

"""What deleting an account erases, inside the deletion's transaction.

Everything the person wrote goes: their messages' content, their notifications,
the edit history and stored versions of their messages, admin log lines naming
the account, failed logins on their name, cached pages that show them and export
files written before the deletion (copies of rows). Other people's messages
stay: a reply to one of the person's messages keeps its place in the thread
under a *tombstone* (no content, no sender), decided by ``plan_threads``, which
the deletion preview (``account_deletion_preview``) uses too. A bounded number
of set-based queries whatever the size of the account, never one query or one
signal per message.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connections

from jobs.export_files import forget_export_files_on_commit
from messaging.figures import uncount_messages_of
from messaging.models import Message, MessageHistory, Notification
from messaging.thread_cache import forget_thread_views_on_commit

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@dataclass(frozen=True, kw_only=True)
class AccountDeletionCounts:
    """What deleting one account removes (or would), counted per kind."""

    messages_deleted: int
    messages_tombstoned: int
    empty_tombstones_removed: int
    notifications_deleted: int
    history_rows_deleted: int
    versions_deleted: int
    received_messages_kept: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, kw_only=True)
class AccountDeletionSummary(AccountDeletionCounts):
    """What one account deletion removed, and whose account it was."""

    user_id: int
    username: str


def erase_account_content(user: AbstractBaseUser) -> AccountDeletionSummary:
    """Remove everything ``user`` wrote; what others sent them stays.

    Runs inside the caller's transaction (``delete_account`` or the user
    ``pre_delete`` receiver); leaves the user row itself to the caller, whose
    deletion empties the receiver of the messages others sent them.
    """
    # Lock every message the person sent or received, and learn who takes part
    # in their threads. A reply racing with this deletion either committed before
    # (and plan_threads sees it) or waits for this transaction and is refused.
    participants: dict[int, set[int]] = {}
    received_messages_kept = 0
    for thread_id, sender_id, receiver_id in (
        Message.objects.involving(user)
        .select_for_update()
        .values_list("thread_id", "sender_id", "receiver_id")
    ):
        participants.setdefault(thread_id, set()).update(filter(None, (sender_id, receiver_id)))
        received_messages_kept += receiver_id == user.pk
    forget_thread_views_on_commit(participants)
    forget_export_files_on_commit()
    plan = plan_threads(user)

    # Theirs, then those about their messages: two statements, each through its
    # own index. One with an OR across the join read every notification (9 s for
    # a 10,000-message account among 10,000,000).
    own_notifications, _ = Notification.objects.filter(user=user).delete()
    about_their_messages, _ = Notification.objects.filter(message__sender=user).delete()
    notifications_deleted = own_notifications + about_their_messages
    history_rows_deleted, _ = MessageHistory.objects.filter(message__sender=user).delete()
    # django-simple-history keeps full copies of every version of a message; the
    # user's own versions go (one statement). The account's versions go with the
    # user row (cascade_delete_history), and so do admin log lines naming it.
    versions_deleted, _ = Message.versions.model.objects.filter(sender_id=user.pk).delete()
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(user), object_id=str(user.pk)
    ).delete()
    _forget_failed_logins(user.get_username())
    messages_tombstoned = _turn_into_tombstones(plan.to_tombstone)
    # Every message still sent by the user has no reply from anyone else below it
    # (those became tombstones above), so the set goes in one statement; so do the
    # tombstones that guarded nothing but this user's messages. A raw delete: rows
    # pointing at these are gone already and no per-row signal is wanted.
    own_messages = Message.objects.filter(sender=user)
    messages_deleted = own_messages._raw_delete(own_messages.db)
    empty_tombstones_removed = 0
    if plan.empty_tombstones:
        empty_tombstones = Message.objects.filter(pk__in=plan.empty_tombstones)
        empty_tombstones_removed = empty_tombstones._raw_delete(empty_tombstones.db)
    # Messages others sent to the person stay; the user row's deletion empties
    # their receiver (on_delete=SET_NULL). None of the person's own messages counts
    # any more (gone or tombstones): off the dashboard's counts, last (its docstring
    # says why).
    uncount_messages_of(user)

    return AccountDeletionSummary(
        user_id=user.pk,
        username=user.get_username(),
        messages_deleted=messages_deleted,
        messages_tombstoned=messages_tombstoned,
        empty_tombstones_removed=empty_tombstones_removed,
        notifications_deleted=notifications_deleted,
        history_rows_deleted=history_rows_deleted,
        versions_deleted=versions_deleted,
        received_messages_kept=received_messages_kept,
    )


def _forget_failed_logins(username: str) -> None:
    # django-axes keeps failed logins (username, address, the form's fields but
    # the password) until a success or its cool-off; no key ties them to the
    # account. Successful logins are not logged (AXES_DISABLE_ACCESS_LOG).
    if apps.is_installed("axes"):
        from axes.utils import reset

        reset(username=username)


@dataclass(frozen=True)
class ThreadPlan:
    to_tombstone: set[int]  # the user's messages that must keep their place
    empty_tombstones: set[int]  # earlier tombstones left guarding nothing


def plan_threads(user: AbstractBaseUser) -> ThreadPlan:
    """Decide, for every thread the user wrote in, which messages must stay.

    A message of the user stays (as a tombstone) when someone else's message
    hangs somewhere below it, so that reply keeps its place in the thread. An
    existing tombstone stays on the same condition; one left guarding only this
    user's messages goes with them. One query for all of the user's threads.
    """
    rows = Message.objects.filter(
        thread_id__in=Message.objects.filter(sender=user).values("thread_id")
    ).values_list("id", "parent_message_id", "sender_id", "is_tombstone")
    parent_of: dict[int, int | None] = {}
    survivors: list[int] = []
    own: set[int] = set()
    tombstones: set[int] = set()
    for message_id, parent_id, sender_id, is_tombstone in rows:
        parent_of[message_id] = parent_id
        if is_tombstone:
            tombstones.add(message_id)
        elif sender_id == user.pk:
            own.add(message_id)
        else:
            survivors.append(message_id)
    needed: set[int] = set()
    for message_id in survivors:
        current = parent_of[message_id]
        while current is not None and current not in needed:
            needed.add(current)
            current = parent_of.get(current)
    return ThreadPlan(to_tombstone=own & needed, empty_tombstones=tombstones - needed)


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
            is_hidden=False,  # nothing left to hide
            edited=False,
            edited_at=None,
            edited_by=None,
        )
    return changed

"""Deleting an account with all of its data.

The rules (README, "Account deletion"):

- everything the person wrote goes: their messages' content, their notifications,
  the edit history of their messages, cached pages that show them, failed logins
  on their name, and export files written before the deletion (copies of rows);
- other people's messages stay: a reply to one of the person's messages keeps its
  place in the thread under a *tombstone* (no content, no sender); messages other
  people sent to the person stay with their senders;
- all of it in one transaction, with a bounded number of set-based queries
  whatever the size of the account (never one query or one signal per message).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connections, transaction
from django.db.models import Count, F, Q

from audit.models import AuditEntry
from audit.services import record_audit_entry
from jobs.export_files import forget_export_files_on_commit
from messaging.models import Message, MessageHistory, Notification
from messaging.thread_cache import forget_thread_views_on_commit
from moderation_site.dashboard_cache import forget_dashboard_figures_on_commit

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)


class AccountAlreadyDeleted(Exception):
    """The account was deleted by someone else first (or never existed)."""


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


def deletion_refusal(*, actor: AbstractBaseUser | None, user: AbstractBaseUser) -> str | None:
    """Why ``actor`` may not delete ``user`` from the desk, or None when they may.

    Moderators delete ordinary accounts only; staff and superuser accounts are
    for superusers; nobody deletes their own account here (they have the
    account page for that).
    """
    if actor is None:
        return "the moderator who asked for it no longer exists"
    if user.pk == actor.pk:
        return "you cannot delete your own account here"
    if user.is_superuser and not actor.is_superuser:
        return "only a superuser can delete a superuser account"
    if user.is_staff and not actor.is_superuser:
        return "only a superuser can delete a staff account"
    return None


@dataclass
class AccountDeletionOutcome:
    """What a batch of deletions did: names for the moderator's message."""

    deleted: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    already_deleted_ids: list[int] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The outcome without names (what a job may keep)."""
        return {
            "deleted": len(self.deleted),
            "refused": len(self.refused),
            "already_deleted": len(self.already_deleted_ids),
            "failed": len(self.failed),
        }


def delete_accounts(
    *, actor: AbstractBaseUser | None, user_ids: Iterable[int], reason: str
) -> AccountDeletionOutcome:
    """Delete each account the actor may delete, each in its own transaction.

    The account is read again under a row lock and checked against the rules
    right before its deletion, so an account promoted to staff since a preview
    is refused. One failure does not undo the deletions before it, and running
    it again skips the accounts already gone.
    """
    user_model = get_user_model()
    outcome = AccountDeletionOutcome()
    for user_id in sorted(set(user_ids)):
        name = f"#{user_id}"
        try:
            with transaction.atomic():
                user = user_model.objects.select_for_update().filter(pk=user_id).first()
                if user is None:
                    outcome.already_deleted_ids.append(user_id)
                    continue
                name = user.get_username()
                if refusal := deletion_refusal(actor=actor, user=user):
                    outcome.refused.append((name, refusal))
                    continue
                delete_account(user, actor=actor, reason=reason)
        except AccountAlreadyDeleted:
            outcome.already_deleted_ids.append(user_id)
        except ValidationError as error:
            outcome.failed.append((name, " ".join(error.messages)))
        except DatabaseError:
            logger.exception("Deleting account %s failed", user_id)
            outcome.failed.append((name, "a database error; nothing of this account was deleted"))
        else:
            outcome.deleted.append(name)
    return outcome


@transaction.atomic
def delete_account(
    user: AbstractBaseUser,
    *,
    actor: AbstractBaseUser | None = None,
    reason: str = "",
    case_id: int | None = None,
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
    record_account_deletion(summary, actor=actor, reason=reason, case_id=case_id)
    # Ids and counts only: the log outlives the account, so no username and no
    # reason (free text, which may name the person; the audit entry keeps it).
    counts = {
        key: value for key, value in summary.as_dict().items() if key not in ("user_id", "username")
    }
    logger.info(
        "Account %s deleted by %s (case %s): %s",
        summary.user_id,
        getattr(actor, "pk", None),
        case_id,
        counts,
    )
    return summary


def record_account_deletion(
    summary: AccountDeletionSummary,
    *,
    actor: AbstractBaseUser | None,
    reason: str,
    case_id: int | None = None,
) -> None:
    """The audit entry of a deletion: who, whom (as text), why, the counts, and
    the moderation case it closed, if any."""
    counts = summary.as_dict()
    deleted_themselves = actor is not None and actor.pk == summary.user_id
    record_audit_entry(
        action=AuditEntry.Action.ACCOUNT_DELETED,
        actor=None if deleted_themselves else actor,
        actor_username=summary.username if deleted_themselves else None,
        target_user_id=counts.pop("user_id"),
        target_username=counts.pop("username"),
        case_id=case_id,
        reason=reason,
        details=counts,
    )


def erase_account_content(user: AbstractBaseUser) -> AccountDeletionSummary:
    """Remove everything ``user`` wrote; what others sent them stays.

    Runs inside the caller's transaction (``delete_account`` or the user
    ``pre_delete`` receiver); leaves the user row itself to the caller, whose
    deletion empties the receiver of the messages others sent them.
    """
    # Lock every message the person sent or received, and learn who takes part
    # in their threads. A reply racing with this deletion either committed before
    # (and _plan_threads sees it) or waits for this transaction and is refused.
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
    forget_dashboard_figures_on_commit()
    forget_export_files_on_commit()
    plan = _plan_threads(user)

    notifications_deleted, _ = Notification.objects.filter(
        Q(user=user) | Q(message__sender=user)
    ).delete()
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
    # their receiver (on_delete=SET_NULL).

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
    plus one query per user who sent messages, which reuses ``_plan_threads`` (the
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
        plan = _plan_threads(user) if sent else _ThreadPlan(set(), set())
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
    tombstone: splitting them needs ``_plan_threads``, one query per account);
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


@dataclass(frozen=True)
class _ThreadPlan:
    to_tombstone: set[int]  # the user's messages that must keep their place
    empty_tombstones: set[int]  # earlier tombstones left guarding nothing


def _plan_threads(user: AbstractBaseUser) -> _ThreadPlan:
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
    return _ThreadPlan(to_tombstone=own & needed, empty_tombstones=tombstones - needed)


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

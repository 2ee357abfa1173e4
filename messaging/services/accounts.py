"""Deleting an account with all of its data, and a superuser's changes to one.

The rules of a deletion (README, "Account deletion"):

- everything the person wrote goes: their messages' content, their notifications,
  the edit history of their messages, cached pages that show them, failed logins
  on their name, and export files written before the deletion (copies of rows);
- other people's messages stay: a reply to one of the person's messages keeps its
  place in the thread under a *tombstone* (no content, no sender); messages other
  people sent to the person stay with their senders;
- all of it in one transaction, with a bounded number of set-based queries
  whatever the size of the account (never one query or one signal per message).

What is erased is ``account_erasure``; what a deletion would remove, counted
before it runs, is ``account_deletion_preview``. Each deletion and each change
of an account writes its audit entry here, whoever calls.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from audit.models import AuditEntry
from audit.services import record_audit_entry
from messaging.services.account_erasure import AccountDeletionSummary, erase_account_content

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AbstractUser, Group, Permission

logger = logging.getLogger(__name__)


class AccountAlreadyDeleted(Exception):
    """The account was deleted by someone else first (or never existed)."""


def deletion_refusal(
    *, actor: AbstractBaseUser | None, user: AbstractBaseUser, verb: str = "delete"
) -> str | None:
    """Why ``actor`` may not delete ``user`` from the desk, or None when they may.

    Moderators delete ordinary accounts only; staff and superuser accounts are
    for superusers; nobody deletes their own account here (they have the
    account page for that). Sanctions follow the same rule: ``verb`` words the
    refusal for them ("suspend", "act on").
    """
    if actor is None:
        return "the moderator who asked for it no longer exists"
    if user.pk == actor.pk:
        return f"you cannot {verb} your own account here"
    if user.is_superuser and not actor.is_superuser:
        return f"only a superuser can {verb} a superuser account"
    if user.is_staff and not actor.is_superuser:
        return f"only a superuser can {verb} a staff account"
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
    *,
    actor: AbstractBaseUser | None,
    user_ids: Iterable[int],
    reason: str,
    job_id: int | None = None,
) -> AccountDeletionOutcome:
    """Delete each account the actor may delete, each in its own transaction
    (``job_id``: the background job doing it, named in each audit entry).

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
                delete_account(user, actor=actor, reason=reason, job_id=job_id)
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
    job_id: int | None = None,
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
    record_account_deletion(summary, actor=actor, reason=reason, case_id=case_id, job_id=job_id)
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
    job_id: int | None = None,
) -> None:
    """The audit entry of a deletion: who, whom (as text), why, the counts, the
    moderation case it closed and the background job that ran it, if any (the
    job's page names whom it deleted from these entries: its own parameters keep
    ids only)."""
    counts = summary.as_dict()
    if job_id is not None:
        counts["job_id"] = job_id
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


# --- changes ------------------------------------------------------------------------------


@transaction.atomic
def save_account(
    account: AbstractUser,
    *,
    actor: AbstractBaseUser,
    change_message: list[dict[str, Any]],
    groups: Iterable[Group] | None = None,
    permissions: Iterable[Permission] | None = None,
) -> AbstractUser:
    """Save ``account`` as ``actor`` (a superuser, in the admin) added or changed
    it: its row (a new password hash included), its groups and permissions when
    given, and one audit entry, all or nothing.

    ``change_message`` is what changed as Django's admin log says it: the names of
    the fields, never their values, so no password or e-mail address reaches the
    audit log. The account's stored version (django-simple-history) names the
    actor too, whoever calls.
    """
    created = account._state.adding
    account._history_user = actor  # read by simple-history for the stored version
    account.save()
    if groups is not None:
        account.groups.set(groups)
    if permissions is not None:
        account.user_permissions.set(permissions)
    record_audit_entry(
        action=AuditEntry.Action.ACCOUNT_CHANGED,
        actor=actor,
        target_user_id=account.pk,
        target_username=account.get_username(),
        details={"operation": "added" if created else "changed", "change": change_message},
    )
    return account

"""What moderators do to a person, from a case or not: hide and restore a message,
warn the user, suspend the account and lift the suspension. Each checks the
moderator's permission and the reason, and records its own audit entry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.models import AuditEntry
from messaging.models import Message, Notification
from messaging.services import deletion_refusal, set_message_hidden
from moderation.models import Case
from moderation.service_support import (
    MAX_REASON_LENGTH,
    MAX_WARNING_LENGTH,
    lock_account,
    record_case_entry,
    require_case_permission,
    validate_text,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def hide_message(
    message: Message, *, moderator: AbstractBaseUser, reason: str, case: Case | None = None
) -> bool:
    """Hide a message from people (moderators still see it); False when there was
    nothing to hide (already hidden, or a tombstone)."""
    return _set_hidden(
        message, hidden=True, moderator=moderator, reason=reason, case=case,
        action=AuditEntry.Action.MESSAGE_HIDDEN,
    )  # fmt: skip


def restore_message(
    message: Message, *, moderator: AbstractBaseUser, reason: str, case: Case | None = None
) -> bool:
    """Show a hidden message again; False when it was not hidden."""
    return _set_hidden(
        message, hidden=False, moderator=moderator, reason=reason, case=case,
        action=AuditEntry.Action.MESSAGE_RESTORED,
    )  # fmt: skip


@transaction.atomic
def _set_hidden(
    message: Message,
    *,
    hidden: bool,
    moderator: AbstractBaseUser,
    reason: str,
    case: Case | None,
    action: AuditEntry.Action,
) -> bool:
    require_case_permission(moderator)
    validate_text(reason, label="The reason", max_length=MAX_REASON_LENGTH, required=True)
    if not set_message_hidden(message, hidden=hidden):
        return False  # nothing changed, nothing to record
    record_case_entry(
        action, case, moderator, reason, user=message.sender, details={"message_id": message.pk}
    )
    return True


@transaction.atomic
def warn_user(
    user: AbstractBaseUser,
    *,
    moderator: AbstractBaseUser,
    reason: str,
    warning: str,
    case: Case | None = None,
) -> Notification:
    """Send the user a warning (a notification they see on their inbox, and on
    the login page while their account is suspended)."""
    require_case_permission(moderator)
    validate_text(reason, label="The reason", max_length=MAX_REASON_LENGTH, required=True)
    validate_text(warning, label="The warning", max_length=MAX_WARNING_LENGTH, required=True)
    notification = Notification.objects.create(
        user=user, kind=Notification.Kind.WARNING, text=warning
    )
    # The warning's words stay out of the log: they go with the person's account.
    record_case_entry(
        AuditEntry.Action.USER_WARNED,
        case,
        moderator,
        reason,
        user=user,
        details={"notification_id": notification.pk},
    )
    return notification


@transaction.atomic
def suspend_user(
    user: AbstractBaseUser,
    *,
    moderator: AbstractBaseUser,
    reason: str,
    case: Case | None = None,
    warning: str = "",
) -> bool:
    """Disable the account's login (its open sessions stop working at their next
    request: Django's backend refuses inactive users); False when it already was.

    With ``warning``, the person is also sent it (``warn_user``, in the same
    transaction): the login page shows it to them while they are suspended.
    """
    suspended = _set_account_active(
        user, active=False, moderator=moderator, reason=reason, case=case,
        action=AuditEntry.Action.USER_SUSPENDED,
    )  # fmt: skip
    if suspended and warning:
        warn_user(user, moderator=moderator, reason=reason, warning=warning, case=case)
    return suspended


def lift_suspension(
    user: AbstractBaseUser, *, moderator: AbstractBaseUser, reason: str, case: Case | None = None
) -> bool:
    """Let a suspended account log in again; False when it was not suspended."""
    return _set_account_active(
        user, active=True, moderator=moderator, reason=reason, case=case,
        action=AuditEntry.Action.SUSPENSION_LIFTED,
    )  # fmt: skip


@transaction.atomic
def _set_account_active(
    user: AbstractBaseUser,
    *,
    active: bool,
    moderator: AbstractBaseUser,
    reason: str,
    case: Case | None,
    action: AuditEntry.Action,
) -> bool:
    require_case_permission(moderator)
    validate_text(reason, label="The reason", max_length=MAX_REASON_LENGTH, required=True)
    # The rules of account deletion: staff and superusers are for superusers.
    if refusal := deletion_refusal(actor=moderator, user=user):
        what = "suspension was not lifted" if active else "account was not suspended"
        raise ValidationError(f"The {what}: {refusal}.")
    locked = lock_account(user.pk)
    if locked is None or locked.is_active == active:
        return False  # gone, or already so: nothing to record
    user.is_active = active
    user.save(update_fields=["is_active"])  # a version in the account's history too
    record_case_entry(action, case, moderator, reason, user=user)
    return True

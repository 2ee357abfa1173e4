"""What moderators do to a person, from a case or not: hide and restore a message,
warn the user, suspend the account and lift the suspension. Each checks the
moderator's permission and the reason, and records its own audit entry.

Each measure is also a ``Sanction`` row (since, until, how it ended): the
person's strike history and what an appeal points at. A warning or a
suspension may be given until ``ends_at``; ``lift_expired_sanctions`` ends
those whose time has come (the background worker runs it every few seconds,
``manage.py lift_expired_sanctions`` from cron does the same), audited as done
by the system. Restoring a message or lifting a suspension ends its sanction
as lifted by the moderator, or as overturned when an appeal asks
(``ending=Sanction.Ending.OVERTURNED``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import record_audit_entry
from messaging.models import Message, Notification
from messaging.services import deletion_refusal, set_message_hidden
from moderation.models import Case, Sanction
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

logger = logging.getLogger(__name__)
# The most lift_expired_sanctions ends in one run: a worker's beat stays short,
# and the next beat takes the rest.
LIFT_BATCH = 200


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
    message: Message,
    *,
    moderator: AbstractBaseUser,
    reason: str,
    case: Case | None = None,
    ending: str = Sanction.Ending.LIFTED,
) -> bool:
    """Show a hidden message again; False when it was not hidden."""
    return _set_hidden(
        message, hidden=False, moderator=moderator, reason=reason, case=case,
        action=AuditEntry.Action.MESSAGE_RESTORED, ending=ending,
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
    ending: str = Sanction.Ending.LIFTED,
) -> bool:
    require_case_permission(moderator)
    validate_text(reason, label="The reason", max_length=MAX_REASON_LENGTH, required=True)
    if not set_message_hidden(message, hidden=hidden):
        return False  # nothing changed, nothing to record
    if hidden:
        Sanction.objects.create(
            user_id=message.sender_id, kind=Sanction.Kind.HIDE, case=case,
            message_id=message.pk, imposed_by=moderator,
        )  # fmt: skip
    else:
        _end_sanctions(
            Sanction.objects.active().filter(kind=Sanction.Kind.HIDE, message_id=message.pk),
            ending=ending, ended_by=moderator,
        )  # fmt: skip
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
    ends_at: datetime | None = None,
) -> Notification:
    """Send the user a warning (a notification they see on their inbox, and on
    the login page while their account is suspended). It counts as a strike
    until ``ends_at`` (None: until a moderator withdraws it)."""
    require_case_permission(moderator)
    validate_text(reason, label="The reason", max_length=MAX_REASON_LENGTH, required=True)
    validate_text(warning, label="The warning", max_length=MAX_WARNING_LENGTH, required=True)
    validate_end(ends_at)
    notification = Notification.objects.create(
        user=user, kind=Notification.Kind.WARNING, text=warning
    )
    Sanction.objects.create(
        user=user, kind=Sanction.Kind.WARN, case=case, notification_id=notification.pk,
        imposed_by=moderator, ends_at=ends_at,
    )  # fmt: skip
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
    ends_at: datetime | None = None,
) -> bool:
    """Disable the account's login (its open sessions stop working at their next
    request: Django's backend refuses inactive users) until ``ends_at`` (None:
    until a moderator lifts it); False when it already was suspended.

    With ``warning``, the person is also sent it (``warn_user``, in the same
    transaction): the login page shows it to them while they are suspended.
    """
    validate_end(ends_at)
    suspended = _set_account_active(
        user, active=False, moderator=moderator, reason=reason, case=case,
        action=AuditEntry.Action.USER_SUSPENDED, ends_at=ends_at,
    )  # fmt: skip
    if suspended and warning:
        warn_user(
            user, moderator=moderator, reason=reason, warning=warning, case=case, ends_at=ends_at
        )
    return suspended


def lift_suspension(
    user: AbstractBaseUser,
    *,
    moderator: AbstractBaseUser,
    reason: str,
    case: Case | None = None,
    ending: str = Sanction.Ending.LIFTED,
) -> bool:
    """Let a suspended account log in again; False when it was not suspended."""
    return _set_account_active(
        user, active=True, moderator=moderator, reason=reason, case=case,
        action=AuditEntry.Action.SUSPENSION_LIFTED, ending=ending,
    )  # fmt: skip


@transaction.atomic
def withdraw_warning(
    sanction: Sanction,
    *,
    moderator: AbstractBaseUser,
    reason: str,
    ending: str = Sanction.Ending.LIFTED,
) -> bool:
    """End a warning's strike before its time (its words stay on the person's
    inbox, as sent); False when it had ended already."""
    require_case_permission(moderator)
    validate_text(reason, label="The reason", max_length=MAX_REASON_LENGTH, required=True)
    user = lock_account(sanction.user_id)
    if user is None or not _end_sanctions(
        Sanction.objects.active().filter(pk=sanction.pk, kind=Sanction.Kind.WARN),
        ending=ending, ended_by=moderator,
    ):  # fmt: skip
        return False
    record_case_entry(
        AuditEntry.Action.WARNING_WITHDRAWN, sanction.case, moderator, reason, user=user,
        details={"sanction_id": sanction.pk, "notification_id": sanction.notification_id},
    )  # fmt: skip
    return True


def validate_end(ends_at: datetime | None, *, now: datetime | None = None) -> None:
    if ends_at is not None and ends_at <= (now or timezone.now()):
        raise ValidationError("The end must be in the future.", code="past_end")


@transaction.atomic
def _set_account_active(
    user: AbstractBaseUser,
    *,
    active: bool,
    moderator: AbstractBaseUser,
    reason: str,
    case: Case | None,
    action: AuditEntry.Action,
    ends_at: datetime | None = None,
    ending: str = Sanction.Ending.LIFTED,
) -> bool:
    require_case_permission(moderator)
    validate_text(reason, label="The reason", max_length=MAX_REASON_LENGTH, required=True)
    # The rules of account deletion: staff and superusers are for superusers.
    if refusal := deletion_refusal(actor=moderator, user=user):
        what = "suspension was not lifted" if active else "account was not suspended"
        raise ValidationError(f"The {what}: {refusal}.")
    locked = lock_account(user.pk)
    if locked is None:
        return False
    suspensions = Sanction.objects.active().filter(user_id=user.pk, kind=Sanction.Kind.SUSPEND)
    if locked.is_active == active:
        # Already so: nothing to record, unless a superuser let the account in
        # from its form, which leaves its suspension on record: lifting ends it.
        if not (active and suspensions.exists()):
            return False
    else:
        user.is_active = active
        user.save(update_fields=["is_active"])  # a version in the account's history too
    if active:
        _end_sanctions(suspensions, ending=ending, ended_by=moderator)
    else:
        Sanction.objects.create(
            user=user, kind=Sanction.Kind.SUSPEND, case=case, imposed_by=moderator,
            ends_at=ends_at,
        )  # fmt: skip
    details = {"until": ends_at.isoformat()} if ends_at is not None else None
    record_case_entry(action, case, moderator, reason, user=user, details=details)
    return True


def _end_sanctions(
    sanctions, *, ending: str, ended_by: AbstractBaseUser | None, now: datetime | None = None
) -> int:
    return sanctions.update(ended_at=now or timezone.now(), ending=ending, ended_by=ended_by)


def lift_expired_sanctions(*, now: datetime | None = None) -> int:
    """End every active sanction whose ``ends_at`` has come (at most LIFT_BATCH);
    return how many this call ended.

    Each in its own transaction, under its account's lock, ended only if still
    active: two workers running this at once end each sanction once, with one
    audit entry (actor empty: the system). A suspension's account may log in
    again, and the person is told; a warning's strike just stops counting.
    """
    now = now or timezone.now()
    ended = 0
    for sanction_id, user_id in Sanction.objects.due(now=now).values_list("id", "user_id")[
        :LIFT_BATCH
    ]:
        ended += _lift_expired(sanction_id, user_id=user_id, now=now)
    if ended:
        logger.info("Ended %s sanctions on time", ended)
    return ended


@transaction.atomic
def _lift_expired(sanction_id: int, *, user_id: int, now: datetime) -> bool:
    user = lock_account(user_id)
    sanction = Sanction.objects.active().filter(pk=sanction_id, ends_at__lte=now).first()
    if user is None or sanction is None:
        return False  # gone, lifted or ended by another worker meanwhile
    # Only if still active: whatever ended it meanwhile without the account's lock.
    if not _end_sanctions(
        Sanction.objects.active().filter(pk=sanction.pk),
        ending=Sanction.Ending.EXPIRED, ended_by=None, now=now,
    ):  # fmt: skip
        return False
    # Another suspension still in force (an account let in from its form, then
    # suspended again) keeps the account shut: only the last one's end lets it in.
    suspensions_left = Sanction.objects.active().filter(user_id=user.pk, kind=Sanction.Kind.SUSPEND)
    if (
        sanction.kind == Sanction.Kind.SUSPEND
        and not user.is_active
        and not suspensions_left.exists()
    ):
        user.is_active = True
        user.save(update_fields=["is_active"])
        Notification.objects.create(
            user=user,
            kind=Notification.Kind.MODERATION_NOTICE,
            text="Your suspension has ended: you can use your account again.",
        )
    record_audit_entry(
        action=AuditEntry.Action.SANCTION_EXPIRED,
        actor=None,
        target_user_id=user.pk,
        target_username=user.get_username(),
        case_id=sanction.case_id,
        details={"sanction_id": sanction.pk, "kind": sanction.kind},
    )
    return True

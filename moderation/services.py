"""Every write of the moderation app: reports, case actions, notes, retention.

Each moderator write appends exactly one audit entry (``record_audit_entry``)
inside its own transaction, with the case's id when it belongs to one. Locks are
taken in one order everywhere, the reported account's row first, then the
case's, as ``messaging.services`` and ``delete_account`` do, so a report, a case
action and an account deletion racing each other wait instead of deadlocking.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import record_audit_entry
from messaging.models import Message, Notification
from messaging.services import (
    AccountAlreadyDeleted,
    delete_account,
    deletion_refusal,
    set_message_hidden,
)
from moderation.evidence import snapshot_evidence
from moderation.models import MAX_COMMENT_LENGTH, MAX_NOTE_LENGTH, Case, Note, Report
from moderation.retention import retention_end
from moderation_site.dashboard_cache import forget_dashboard_figures_on_commit

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

MAX_REASON_LENGTH = 2_000
MAX_WARNING_LENGTH = 2_000
# What counts as an earlier sanction when a case opens (its priority).
SANCTIONS = (
    AuditEntry.Action.MESSAGE_HIDDEN,
    AuditEntry.Action.USER_WARNED,
    AuditEntry.Action.USER_SUSPENDED,
)


class CaseAction:
    """What a moderator can do to an open case (one or several at once)."""

    DISMISS = "dismiss"
    HIDE = "hide"
    WARN = "warn"
    SUSPEND = "suspend"
    DELETE_ACCOUNT = "delete_account"

    CHOICES = (
        (DISMISS, "Dismiss: nothing to act on"),
        (HIDE, "Hide the reported messages"),
        (WARN, "Warn the user"),
        (SUSPEND, "Suspend the account (no login until lifted)"),
        (DELETE_ACCOUNT, "Delete the account and all its data"),
    )
    # Each of these ends the case by itself: nothing may go with it.
    ALONE = (DISMISS, DELETE_ACCOUNT)


# --- reports --------------------------------------------------------------------------


def _validate_text(value: str, *, label: str, max_length: int, required: bool) -> str:
    if required and not value.strip():
        raise ValidationError(f"{label} cannot be empty.", code="blank")
    if len(value) > max_length:
        raise ValidationError(
            f"{label} can be at most {max_length:,} characters ({len(value):,} given).",
            code="too_long",
        )
    ProhibitNullCharactersValidator(message=f"{label} cannot contain a NUL character.")(value)
    return value


def _lock_account(user_id: int | None) -> AbstractBaseUser | None:
    if user_id is None:
        return None
    return get_user_model()._default_manager.select_for_update().filter(pk=user_id).first()


GONE_MESSAGE = "This message was deleted; there is nothing to report."


def report_refusal(*, reporter: AbstractBaseUser, message: Message) -> ValidationError | None:
    """Why ``reporter`` cannot report ``message`` as loaded, or None: what the
    report page says instead of offering its form, and what ``report_message``
    checks again on the stored message (one query, for an earlier report)."""
    if message.is_tombstone:
        return ValidationError(GONE_MESSAGE, code="gone")
    if message.sender_id == reporter.pk:
        return ValidationError("You cannot report your own message.", code="own")
    if message.is_hidden:
        return ValidationError(
            "A moderator has already hidden this message.", code="already_hidden"
        )
    if Report.objects.filter(reporter=reporter, reported_message_id=message.pk).exists():
        return ValidationError(
            "You have already reported this message. Thank you: a moderator will look at it.",
            code="duplicate",
        )
    return None


@transaction.atomic
def report_message(
    *, reporter: AbstractBaseUser, message: Message, reason: str, comment: str = ""
) -> Report:
    """``reporter`` reports ``message``; the report joins its author's open case
    (opened if there is none) with a snapshot of the evidence.

    Refused (ValidationError, nothing written) for an unknown reason, one's own
    message, a deleted or hidden message, and a message this reporter reported
    before; PermissionDenied outside the reporter's own conversations.
    """
    if reason not in Report.Reason.values:
        raise ValidationError("Choose a reason from the list.", code="reason")
    _validate_text(comment, label="A comment", max_length=MAX_COMMENT_LENGTH, required=False)
    # The author's account first (the lock order: see the module docstring).
    author = _lock_account(message.sender_id)
    stored = Message.objects.filter(pk=message.pk).first()
    if stored is None or author is None:
        raise ValidationError(GONE_MESSAGE, code="gone")
    if not Message.objects.user_takes_part_in_thread(reporter, stored.thread_id):
        raise PermissionDenied("You can only report messages of your own conversations.")
    if refusal := report_refusal(reporter=reporter, message=stored):
        raise refusal
    case = Case.objects.select_for_update().open().filter(reported_user=author).first()
    if case is None:
        case = Case.objects.create(
            reported_user=author,
            account_id=author.pk,
            reported_username=author.get_username(),
            prior_sanctions=AuditEntry.objects.filter(
                target_user_id=author.pk, action__in=SANCTIONS
            ).count(),
        )
    is_new_reporter = not case.reports.filter(reporter=reporter).exists()
    now = timezone.now()
    try:
        with transaction.atomic():
            report = Report.objects.create(
                case=case,
                reporter=reporter,
                reported_message_id=stored.pk,
                reason=reason,
                comment=comment,
                evidence=snapshot_evidence(stored),
                created_at=now,
            )
    except IntegrityError:
        # The same report sent twice at once: the first one won.
        raise ValidationError(
            "You have already reported this message. Thank you: a moderator will look at it.",
            code="duplicate",
        ) from None
    Case.objects.filter(pk=case.pk).update(
        report_count=F("report_count") + 1,
        reporter_count=F("reporter_count") + int(is_new_reporter),
        last_reported_at=now,
    )
    forget_dashboard_figures_on_commit()
    return report


# --- case actions -------------------------------------------------------------------------


@dataclass
class CaseActionOutcome:
    """What ``act_on_case`` did, in words for the moderator's message."""

    case_id: int
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def validate_case_actions(actions: Collection[str], *, reason: str, warning: str) -> None:
    """Raise ValidationError, naming every problem under the input it is about
    ("actions", "reason", "warning": the admin form's fields), for a submission
    that cannot run."""
    problems: dict[str, list[str]] = {}
    known = {value for value, _label in CaseAction.CHOICES}
    if not actions:
        problems["actions"] = ["Choose at least one action."]
    elif unknown := sorted(set(actions) - known):
        problems["actions"] = [f"Unknown action: {', '.join(unknown)}."]
    elif len(actions) > 1 and (alone := [a for a in CaseAction.ALONE if a in actions]):
        labels = dict(CaseAction.CHOICES)
        problems["actions"] = [f"“{labels[alone[0]]}” cannot be combined with another action."]
    texts = [("reason", "The reason", reason, MAX_REASON_LENGTH)]
    if CaseAction.WARN in actions:
        texts.append(("warning", "The warning", warning, MAX_WARNING_LENGTH))
    for name, label, value, max_length in texts:
        try:
            _validate_text(value, label=label, max_length=max_length, required=True)
        except ValidationError as error:
            problems[name] = error.messages
    if problems:
        raise ValidationError(problems)


def require_case_permission(moderator: AbstractBaseUser) -> None:
    if not moderator.has_perm("moderation.change_case"):
        raise PermissionDenied("You may not act on moderation cases.")


@transaction.atomic
def act_on_case(
    case: Case,
    *,
    moderator: AbstractBaseUser,
    actions: Collection[str],
    reason: str,
    warning: str = "",
    close: bool = True,
) -> CaseActionOutcome:
    """Run ``actions`` (CaseAction values) on an open case, all or nothing.

    Each action writes its own audit entry with ``reason`` and the case's id. The
    case records its first action, and closes when ``close`` is set or the action
    ends it (dismiss, delete account); closing starts its evidence retention.
    Refused with ValidationError, nothing written, when the combination cannot
    run or the case is no longer open (another moderator acted first).
    """
    require_case_permission(moderator)
    validate_case_actions(actions, reason=reason, warning=warning)
    user_id = Case.objects.filter(pk=case.pk).values_list("reported_user_id", flat=True).first()
    user = _lock_account(user_id)
    locked = Case.objects.select_for_update().filter(pk=case.pk).first()
    if locked is None or not locked.is_open:
        raise ValidationError(f"Case #{case.pk} is closed already: nothing was done.")
    outcome = CaseActionOutcome(case_id=locked.pk)
    if user is None and set(actions) != {CaseAction.DISMISS}:
        raise ValidationError(f"The account of case #{locked.pk} no longer exists: only dismiss.")
    now = timezone.now()
    Case.objects.filter(pk=locked.pk).update(first_action_at=Coalesce(F("first_action_at"), now))

    # Dismiss and delete account each end the case and run alone (validate_case_actions).
    if CaseAction.DISMISS in actions:
        _dismiss_case(locked, moderator=moderator, reason=reason, now=now, outcome=outcome)
        return outcome
    if CaseAction.DELETE_ACCOUNT in actions:
        _delete_reported_account(
            user, case=locked, moderator=moderator, reason=reason, outcome=outcome
        )
        return outcome
    _sanction_reported_account(
        user,
        case=locked,
        moderator=moderator,
        actions=actions,
        reason=reason,
        warning=warning,
        outcome=outcome,
    )
    if close:
        _close(locked, resolution=Case.Resolution.ACTIONED, now=now)
    return outcome


# The parts of act_on_case: each runs inside its transaction, with the reported
# account and the case already locked (in that order), and fills in its outcome.


def _dismiss_case(
    case: Case,
    *,
    moderator: AbstractBaseUser,
    reason: str,
    now: datetime,
    outcome: CaseActionOutcome,
) -> None:
    _record_case_entry(AuditEntry.Action.CASE_DISMISSED, case, moderator, reason)
    _close(case, resolution=Case.Resolution.DISMISSED, now=now)
    outcome.done.append("dismissed")


def _delete_reported_account(
    user: AbstractBaseUser,
    *,
    case: Case,
    moderator: AbstractBaseUser,
    reason: str,
    outcome: CaseActionOutcome,
) -> None:
    if refusal := deletion_refusal(actor=moderator, user=user):
        raise ValidationError(f"The account was not deleted: {refusal}.")
    try:
        delete_account(user, actor=moderator, reason=reason, case_id=case.pk)
    except AccountAlreadyDeleted:
        raise ValidationError("The account was deleted meanwhile.") from None
    # The deletion closed the case (forget_deleted_account).
    outcome.done.append("account deleted")


def _sanction_reported_account(
    user: AbstractBaseUser,
    *,
    case: Case,
    moderator: AbstractBaseUser,
    actions: Collection[str],
    reason: str,
    warning: str,
    outcome: CaseActionOutcome,
) -> None:
    """Hide, warn and suspend, in that order, whichever ``actions`` asks for."""
    if CaseAction.HIDE in actions:
        _hide_reported_messages(case, moderator=moderator, reason=reason, outcome=outcome)
    if CaseAction.WARN in actions:
        warn_user(user, moderator=moderator, reason=reason, warning=warning, case=case)
        outcome.done.append("warned")
    if CaseAction.SUSPEND in actions:
        if suspend_user(user, moderator=moderator, reason=reason, case=case):
            outcome.done.append("suspended")
        else:
            outcome.skipped.append("already suspended")


def _hide_reported_messages(
    case: Case, *, moderator: AbstractBaseUser, reason: str, outcome: CaseActionOutcome
) -> None:
    hidden = 0
    for message in reported_messages(case):
        hidden += hide_message(message, moderator=moderator, reason=reason, case=case)
    if hidden:
        outcome.done.append(f"{hidden} message{'s' if hidden != 1 else ''} hidden")
    else:
        outcome.skipped.append("no reported message left to hide")


def reported_messages(case: Case) -> list[Message]:
    """The case's reported messages that still exist, oldest first (one query)."""
    return list(
        Message.objects.filter(
            pk__in=Report.objects.filter(case=case).values("reported_message_id")
        ).order_by("timestamp", "id")
    )


def _close(case: Case, *, resolution: str, now: datetime) -> None:
    Case.objects.filter(pk=case.pk, status=Case.Status.OPEN).update(
        status=Case.Status.CLOSED,
        resolution=resolution,
        closed_at=now,
        retain_until=retention_end(now),
    )
    forget_dashboard_figures_on_commit()


def _record_case_entry(
    action: AuditEntry.Action,
    case: Case | None,
    moderator: AbstractBaseUser,
    reason: str,
    *,
    user: AbstractBaseUser | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """The audit entry of an action on a person, within a case or not."""
    if case is not None:
        target_id, target_name = case.account_id, case.reported_username
    else:
        target_id, target_name = user.pk, user.get_username()
    forget_dashboard_figures_on_commit()  # actions per day
    return record_audit_entry(
        action=action,
        actor=moderator,
        target_user_id=target_id,
        target_username=target_name,
        case_id=case.pk if case is not None else None,
        reason=reason,
        details=details,
    )


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
    _validate_text(reason, label="The reason", max_length=MAX_REASON_LENGTH, required=True)
    if not set_message_hidden(message, hidden=hidden):
        return False  # nothing changed, nothing to record
    _record_case_entry(
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
    """Send the user a warning (a notification they see on their inbox)."""
    require_case_permission(moderator)
    _validate_text(warning, label="The warning", max_length=MAX_WARNING_LENGTH, required=True)
    notification = Notification.objects.create(
        user=user, kind=Notification.Kind.WARNING, text=warning
    )
    # The warning's words stay out of the log: they go with the person's account.
    _record_case_entry(
        AuditEntry.Action.USER_WARNED,
        case,
        moderator,
        reason,
        user=user,
        details={"notification_id": notification.pk},
    )
    return notification


def suspend_user(
    user: AbstractBaseUser, *, moderator: AbstractBaseUser, reason: str, case: Case | None = None
) -> bool:
    """Disable the account's login (its open sessions stop working at their next
    request: Django's backend refuses inactive users); False when it already was."""
    return _set_account_active(
        user, active=False, moderator=moderator, reason=reason, case=case,
        action=AuditEntry.Action.USER_SUSPENDED,
    )  # fmt: skip


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
    _validate_text(reason, label="The reason", max_length=MAX_REASON_LENGTH, required=True)
    # The rules of account deletion: staff and superusers are for superusers.
    if refusal := deletion_refusal(actor=moderator, user=user):
        what = "suspension was not lifted" if active else "account was not suspended"
        raise ValidationError(f"The {what}: {refusal}.")
    locked = _lock_account(user.pk)
    if locked is None or locked.is_active == active:
        return False  # gone, or already so: nothing to record
    user.is_active = active
    user.save(update_fields=["is_active"])  # a version in the account's history too
    _record_case_entry(action, case, moderator, reason, user=user)
    return True


# --- notes --------------------------------------------------------------------------------


@transaction.atomic
def add_note(
    *,
    author: AbstractBaseUser,
    text: str,
    user: AbstractBaseUser | None = None,
    case: Case | None = None,
) -> Note:
    """A moderator's note on a person or on one of their cases (exactly one)."""
    if not author.has_perm("moderation.add_note"):
        raise PermissionDenied("You may not add moderation notes.")
    if (user is None) == (case is None):
        raise ValueError("A note is on a user or on a case.")
    _validate_text(text, label="A note", max_length=MAX_NOTE_LENGTH, required=True)
    note = Note.objects.create(
        author=author, author_username=author.get_username(), user=user, case=case, text=text
    )
    # The note's words stay out of the log (they are about the person).
    _record_case_entry(
        AuditEntry.Action.NOTE_ADDED, case, author, "", user=user, details={"note_id": note.pk}
    )
    return note


# --- retention ------------------------------------------------------------------------------


@transaction.atomic
def set_evidence_retention(
    case: Case, *, actor: AbstractBaseUser, retain_until: datetime, reason: str
) -> Case:
    """Keep a closed case's evidence until ``retain_until`` (superusers only)."""
    if not actor.is_superuser:
        raise PermissionDenied("Only a superuser can change how long evidence is kept.")
    _validate_text(reason, label="The reason", max_length=MAX_REASON_LENGTH, required=True)
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.is_open:
        raise ValidationError("An open case keeps its evidence; retention starts when it closes.")
    if retain_until < timezone.now():
        raise ValidationError("Retention cannot end in the past.")
    previous = locked.retain_until
    locked.retain_until = retain_until
    locked.save(update_fields=["retain_until"])
    _record_case_entry(
        AuditEntry.Action.RETENTION_CHANGED,
        locked,
        actor,
        reason,
        details={
            "from": previous.isoformat() if previous else None,
            "to": retain_until.isoformat(),
        },
    )
    return locked

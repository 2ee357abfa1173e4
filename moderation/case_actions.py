"""Acting on a case: ``act_on_case`` runs the moderator's actions (``CaseAction``)
on an open case, all or nothing, with the reported account and the case locked
in the lock order (see ``moderation.services``), then closes the case.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit.models import AuditEntry
from messaging.models import Message
from messaging.services import AccountAlreadyDeleted, delete_account, deletion_refusal
from moderation.claims import claim_held_by_another
from moderation.durations import until_words
from moderation.events import case_acted_on
from moderation.models import Case, Report
from moderation.outcomes import notify_reporters_of_outcome
from moderation.retention import retention_end
from moderation.sanctions import hide_message, suspend_user, warn_user
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
            validate_text(value, label=label, max_length=max_length, required=True)
        except ValidationError as error:
            problems[name] = error.messages
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def act_on_case(
    case: Case,
    *,
    moderator: AbstractBaseUser,
    actions: Collection[str],
    reason: str,
    warning: str = "",
    close: bool = True,
    despite_claim: bool = False,
    ends_at: datetime | None = None,
) -> CaseActionOutcome:
    """Run ``actions`` (CaseAction values) on an open case, all or nothing.

    Each action writes its own audit entry with ``reason`` and the case's id. The
    case records its first action, and closes when ``close`` is set or the action
    ends it (dismiss, delete account); closing starts its evidence retention.
    Refused with ValidationError, nothing written, when the combination cannot
    run or the case is no longer open (another moderator acted first), and
    when another moderator holds a live claim on it, unless ``despite_claim``
    (the moderator confirmed) or the moderator is a superuser. A warning's strike
    and a suspension last until ``ends_at`` (None: until a moderator lifts them).
    """
    require_case_permission(moderator)
    validate_case_actions(actions, reason=reason, warning=warning)
    user_id = Case.objects.filter(pk=case.pk).values_list("reported_user_id", flat=True).first()
    user = lock_account(user_id)
    locked = Case.objects.select_for_update().filter(pk=case.pk).first()
    if locked is None or not locked.is_open:
        raise ValidationError(f"Case #{case.pk} is closed already: nothing was done.")
    if not despite_claim and (claim := claim_held_by_another(locked, moderator=moderator)):
        raise ValidationError(
            f"{claim.describe()}: confirm that you act on it anyway. Nothing was done.",
            code="claimed",
        )
    outcome = CaseActionOutcome(case_id=locked.pk)
    if user is None and set(actions) != {CaseAction.DISMISS}:
        raise ValidationError(f"The account of case #{locked.pk} no longer exists: only dismiss.")
    now = timezone.now()
    Case.objects.filter(pk=locked.pk).update(first_action_at=Coalesce(F("first_action_at"), now))
    # update() sends no post_save; this covers the closing below too (same transaction).
    case_acted_on.send(sender=Case, case_id=locked.pk)

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
        ends_at=ends_at,
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
    record_case_entry(AuditEntry.Action.CASE_DISMISSED, case, moderator, reason)
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
    # Told now, as an action: the deletion's own closing (forget_deleted_account)
    # would tell them the account is gone, as when its owner deletes it.
    notify_reporters_of_outcome(
        Report.objects.filter(case_id=case.pk),
        resolution=Case.Resolution.ACTIONED,
        now=timezone.now(),
    )
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
    ends_at: datetime | None,
    outcome: CaseActionOutcome,
) -> None:
    """Hide, warn and suspend, in that order, whichever ``actions`` asks for."""
    # Without an end, the words stay as they were: "warned", "suspended".
    until = "" if ends_at is None else f" {until_words(ends_at)}"
    if CaseAction.HIDE in actions:
        _hide_reported_messages(case, moderator=moderator, reason=reason, outcome=outcome)
    if CaseAction.WARN in actions:
        warn_user(
            user, moderator=moderator, reason=reason, warning=warning, case=case, ends_at=ends_at
        )
        outcome.done.append(f"warned (a strike{until})" if until else "warned")
    if CaseAction.SUSPEND in actions:
        if suspend_user(user, moderator=moderator, reason=reason, case=case, ends_at=ends_at):
            outcome.done.append(f"suspended{until}")
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
    closed = Case.objects.filter(pk=case.pk, status=Case.Status.OPEN).update(
        status=Case.Status.CLOSED,
        resolution=resolution,
        closed_at=now,
        retain_until=retention_end(now),
    )
    if closed:
        notify_reporters_of_outcome(
            Report.objects.filter(case_id=case.pk), resolution=resolution, now=now
        )

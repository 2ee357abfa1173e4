"""Every write of the moderation app: reports, case actions, notes, retention.

Each moderator write appends exactly one audit entry (``record_audit_entry``)
inside its own transaction, with the case's id when it belongs to one. Locks are
taken in one order everywhere, the reported account's row first, then the
case's, as ``messaging.services`` and ``delete_account`` do, so a report, a case
action and an account deletion racing each other wait instead of deadlocking.

The writes live by domain (``reports``, ``case_actions``, ``sanctions``, ``appeals``,
``claims``, and superusers' changes to staff groups in ``staff_groups``, with what they share in
``service_support``); this module holds notes and retention and is where callers
import every one of them from.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEntry
from moderation.appeals import (
    answer_appeal_question,
    appeal_decision_refusal,
    appeal_refusal,
    approve_appeal,
    ask_appeal_question,
    file_appeal,
    reject_appeal,
)
from moderation.case_actions import (
    CaseAction,
    CaseActionOutcome,
    act_on_case,
    reported_messages,
    validate_case_actions,
)
from moderation.claims import Claim, claim_case, claim_held_by_another, claim_of, release_case
from moderation.models import MAX_NOTE_LENGTH, Case, Note
from moderation.reports import (
    GONE_MESSAGE,
    SANCTIONS,
    open_case_for_message,
    report_message,
    report_refusal,
)
from moderation.sanctions import (
    hide_message,
    lift_expired_sanctions,
    lift_suspension,
    restore_message,
    suspend_user,
    warn_user,
    withdraw_warning,
)
from moderation.service_support import (
    MAX_REASON_LENGTH,
    MAX_WARNING_LENGTH,
    record_case_entry,
    require_case_permission,
    validate_text,
)
from moderation.staff_groups import delete_groups, save_group

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

__all__ = [
    "GONE_MESSAGE",
    "MAX_REASON_LENGTH",
    "MAX_WARNING_LENGTH",
    "SANCTIONS",
    "CaseAction",
    "CaseActionOutcome",
    "Claim",
    "act_on_case",
    "add_note",
    "answer_appeal_question",
    "appeal_decision_refusal",
    "appeal_refusal",
    "approve_appeal",
    "ask_appeal_question",
    "claim_case",
    "claim_held_by_another",
    "claim_of",
    "delete_groups",
    "file_appeal",
    "hide_message",
    "lift_expired_sanctions",
    "lift_suspension",
    "open_case_for_message",
    "reject_appeal",
    "release_case",
    "report_message",
    "report_refusal",
    "reported_messages",
    "require_case_permission",
    "restore_message",
    "save_group",
    "set_evidence_retention",
    "suspend_user",
    "validate_case_actions",
    "warn_user",
    "withdraw_warning",
]

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
    validate_text(text, label="A note", max_length=MAX_NOTE_LENGTH, required=True)
    note = Note.objects.create(
        author=author, author_username=author.get_username(), user=user, case=case, text=text
    )
    # The note's words stay out of the log (they are about the person).
    record_case_entry(
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
    validate_text(reason, label="The reason", max_length=MAX_REASON_LENGTH, required=True)
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.is_open:
        raise ValidationError("An open case keeps its evidence; retention starts when it closes.")
    if retain_until < timezone.now():
        raise ValidationError("Retention cannot end in the past.")
    previous = locked.retain_until
    locked.retain_until = retain_until
    locked.save(update_fields=["retain_until"])
    record_case_entry(
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

"""Appeals: a person asks, once, to reverse one sanction they are under.

The lifecycle (README, "Appeals"): the person files an appeal (``file_appeal``)
within ``APPEAL_WINDOW_DAYS`` of an active sanction; a moderator other than the
one who imposed it (four eyes, ``roles.may_decide_appeal``; a superuser may
override) may ask one question (``ask_appeal_question``), which the person
answers (``answer_appeal_question``); then a moderator approves it, which
reverses the sanction through the same services as a restore or a lift, with
the ending ``OVERTURNED`` (``approve_appeal``), or rejects it with a reason the
person reads (``reject_appeal``). The person is told of the question and of
the decision on their inbox. A decided appeal is kept until ``retain_until``
(``moderation.retention.purge_expired_evidence`` deletes it then).

Every step writes one audit entry about the person, with the sanction's case,
naming the appeal and the sanction by id. The person's own words (the appeal,
the answer) and the question written to them never go to the audit log: like
a warning's words, they go with the account. The decision's reason does: it
is the moderator's ground for reversing or keeping a sanction.

Locks, in the order of ``moderation.services``: the person's account row,
then the appeal's. Two submissions of one appeal, or two moderators deciding
at once, wait for each other; the second is refused in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import dateformat, timezone

from audit.models import AuditEntry
from audit.services import record_audit_entry
from messaging.models import Message, Notification
from moderation.models import MAX_APPEAL_LENGTH, Appeal, Sanction
from moderation.retention import retention_end
from moderation.sanctions import lift_suspension, restore_message, withdraw_warning
from moderation.service_support import lock_account, require_case_permission, validate_text
from moderation_site.roles import may_decide_appeal

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

DECIDE_APPEAL = "moderation.change_appeal"
ALREADY_APPEALED = "You have already appealed this decision."
FOUR_EYES = (
    "You imposed this sanction: another moderator decides its appeal (four eyes). "
    "A superuser may decide it."
)
OWN_APPEAL = "This is your own appeal: another moderator decides it."


# --- the person's side ------------------------------------------------------------------


def appeal_deadline(sanction: Sanction) -> datetime:
    return sanction.imposed_at + timedelta(days=settings.APPEAL_WINDOW_DAYS)


def appeal_of(sanction: Sanction) -> Appeal | None:
    """The sanction's appeal, or None (no query when it was selected with it)."""
    try:
        return sanction.appeal
    except ObjectDoesNotExist:
        return None


def appeal_refusal(
    sanction: Sanction, *, user: AbstractBaseUser, now: datetime | None = None
) -> str | None:
    """Why ``user`` may not appeal ``sanction`` now, in the words the pages show;
    None when they may. The service and the pages ask this one function."""
    if sanction.user_id != user.pk:
        return "This decision is not about your account."
    if appeal_of(sanction) is not None:
        return ALREADY_APPEALED
    if not sanction.is_active:
        return "This decision has ended: there is nothing left to appeal."
    if (now or timezone.now()) > (deadline := appeal_deadline(sanction)):
        return (
            f"The time to appeal has passed: a decision may be appealed within "
            f"{settings.APPEAL_WINDOW_DAYS} days (this one until {_day(deadline)})."
        )
    return None


@transaction.atomic
def file_appeal(sanction: Sanction, *, user: AbstractBaseUser, text: str) -> Appeal:
    """The person's one appeal of ``sanction`` (ValidationError with
    ``appeal_refusal``'s words when they may not)."""
    validate_text(text, label="Your appeal", max_length=MAX_APPEAL_LENGTH, required=True)
    lock_account(user.pk)  # two submissions at once: the second waits, then is refused
    locked = Sanction.objects.select_related("appeal").filter(pk=sanction.pk).first()
    if locked is None:
        raise ValidationError("This decision no longer exists.", code="gone")
    if refusal := appeal_refusal(locked, user=user):
        raise ValidationError(refusal, code="refused")
    try:
        with transaction.atomic():  # a savepoint: the refusal below leaves a usable transaction
            appeal = Appeal.objects.create(
                sanction=locked, user=user, case_id=locked.case_id, text=text
            )
    except IntegrityError:
        # Another submission got past the check (an account row deleted and
        # recreated is not a lock): the one-per-sanction constraint decides.
        raise ValidationError(ALREADY_APPEALED, code="refused") from None
    _record(AuditEntry.Action.APPEAL_FILED, appeal, actor=user)
    return appeal


@transaction.atomic
def answer_appeal_question(appeal: Appeal, *, user: AbstractBaseUser, answer: str) -> Appeal:
    """The person's answer to the moderator's question; the appeal waits for a
    moderator again."""
    validate_text(answer, label="Your answer", max_length=MAX_APPEAL_LENGTH, required=True)
    locked = _lock_appeal(appeal)
    if locked.user_id != user.pk:
        raise PermissionDenied("This appeal is not yours.")
    if locked.status != Appeal.Status.ASKED:
        raise ValidationError("There is no question waiting for your answer.", code="not_asked")
    locked.answer = answer
    locked.answered_at = timezone.now()
    locked.status = Appeal.Status.OPEN
    locked.save(update_fields=["answer", "answered_at", "status"])
    _record(AuditEntry.Action.APPEAL_ANSWERED, locked, actor=user)
    return locked


# --- the moderators' side ---------------------------------------------------------------


@transaction.atomic
def ask_appeal_question(appeal: Appeal, *, moderator: AbstractBaseUser, question: str) -> Appeal:
    """The one clarification a moderator may ask before deciding; the person is
    told on their inbox where to answer."""
    validate_text(question, label="The question", max_length=MAX_APPEAL_LENGTH, required=True)
    locked = _lock_for_moderator(appeal, moderator)
    if locked.question:
        raise ValidationError(
            "A question was already asked on this appeal: only one is possible.", code="asked"
        )
    locked.question = question
    locked.asked_by = moderator
    locked.asked_at = timezone.now()
    locked.status = Appeal.Status.ASKED
    locked.save(update_fields=["question", "asked_by", "asked_at", "status"])
    _notify(
        locked,
        f"A moderator has a question about your appeal against {sanction_words(locked.sanction)}."
        " Read it and answer under Decisions about your account (linked below), or on the"
        " login page while you are suspended.",
    )
    _record(AuditEntry.Action.APPEAL_QUESTION_ASKED, locked, actor=moderator)
    return locked


@transaction.atomic
def approve_appeal(appeal: Appeal, *, moderator: AbstractBaseUser, reason: str) -> Appeal:
    """Reverse the sanction (ending OVERTURNED) and tell the person why.

    Through the services that undo each measure: ``restore_message``,
    ``lift_suspension``, ``withdraw_warning`` (each with its own audit entry).
    A message deleted since has nothing to show again, and a sanction that
    ended meanwhile (on time, or lifted) has nothing to reverse: the decision
    is still recorded, and a sanction row still active is ended as overturned.
    """
    locked = _start_decision(appeal, moderator=moderator, reason=reason)
    reversed_now = _reverse(locked.sanction, moderator=moderator, reason=reason)
    _decide(locked, status=Appeal.Status.APPROVED, moderator=moderator, reason=reason)
    _notify(
        locked,
        f"Your appeal against {sanction_words(locked.sanction)} was approved: "
        f"{REVERSED_WORDS[locked.sanction.kind]} The moderator wrote: {reason}",
    )
    _record(
        AuditEntry.Action.APPEAL_APPROVED,
        locked,
        actor=moderator,
        reason=reason,
        extra={"reversed": reversed_now},
    )
    return locked


@transaction.atomic
def reject_appeal(appeal: Appeal, *, moderator: AbstractBaseUser, reason: str) -> Appeal:
    """Keep the sanction; the person reads ``reason`` (required)."""
    locked = _start_decision(appeal, moderator=moderator, reason=reason)
    _decide(locked, status=Appeal.Status.REJECTED, moderator=moderator, reason=reason)
    _notify(
        locked,
        f"Your appeal against {sanction_words(locked.sanction)} was rejected: the decision "
        f"stands. The moderator wrote: {reason}",
    )
    _record(AuditEntry.Action.APPEAL_REJECTED, locked, actor=moderator, reason=reason)
    return locked


def appeal_decision_refusal(appeal: Appeal, *, moderator: AbstractBaseUser) -> str | None:
    """Why ``moderator`` may not ask or decide on ``appeal`` (four eyes), for the
    page to show instead of its buttons; None when they may. Nobody decides their
    own appeal: a moderator may be warned, and files from the people's pages."""
    if may_decide_appeal(
        moderator, imposed_by_id=appeal.sanction.imposed_by_id, appellant_id=appeal.user_id
    ):
        return None
    return OWN_APPEAL if appeal.user_id == moderator.pk else FOUR_EYES


# --- how the person is told -------------------------------------------------------------

REVERSED_WORDS = {
    Sanction.Kind.HIDE: "your message is shown again.",
    Sanction.Kind.WARN: "the warning no longer counts against you.",
    Sanction.Kind.SUSPEND: "your suspension is lifted and you can log in again.",
}


def sanction_words(sanction: Sanction) -> str:
    """The sanction as the person reads it: "the warning of 3 March 2026"."""
    what = {
        Sanction.Kind.HIDE: "the hiding of your message",
        Sanction.Kind.WARN: "the warning",
        Sanction.Kind.SUSPEND: "the suspension of your account",
    }[sanction.kind]
    return f"{what} of {_day(sanction.imposed_at)}"


def _day(moment: datetime) -> str:
    return dateformat.format(timezone.localtime(moment), "j F Y")


# --- shared steps -----------------------------------------------------------------------


def _lock_appeal(appeal: Appeal) -> Appeal:
    lock_account(appeal.user_id)
    locked = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("sanction", "user", "decided_by")
        .filter(pk=appeal.pk)
        .first()
    )
    if locked is None:
        raise ValidationError("This appeal no longer exists.", code="gone")
    return locked


def _lock_for_moderator(appeal: Appeal, moderator: AbstractBaseUser) -> Appeal:
    """The appeal, locked, if ``moderator`` may still act on it."""
    require_case_permission(moderator)
    if not moderator.has_perm(DECIDE_APPEAL):
        raise PermissionDenied("You may not decide appeals.")
    locked = _lock_appeal(appeal)
    if refusal := appeal_decision_refusal(locked, moderator=moderator):
        raise PermissionDenied(refusal)
    if not locked.is_undecided:
        by = locked.decided_by.get_username() if locked.decided_by else "a moderator"
        raise ValidationError(
            f"This appeal was already decided by {by} ({locked.get_status_display().lower()}).",
            code="decided",
        )
    return locked


def _start_decision(appeal: Appeal, *, moderator: AbstractBaseUser, reason: str) -> Appeal:
    validate_text(
        reason, label="The reason for the person", max_length=MAX_APPEAL_LENGTH, required=True
    )
    # Waiting for the person's answer does not stop a decision: they may never answer.
    return _lock_for_moderator(appeal, moderator)


def _reverse(sanction: Sanction, *, moderator: AbstractBaseUser, reason: str) -> bool:
    """Undo ``sanction`` as overturned; False when there was nothing to undo."""
    sanction = Sanction.objects.select_related("case").get(pk=sanction.pk)
    if not sanction.is_active:
        return False  # ended meanwhile (on time, or lifted): the decision is recorded
    overturned = Sanction.Ending.OVERTURNED
    if sanction.kind == Sanction.Kind.HIDE:
        message = Message.objects.filter(pk=sanction.message_id).first()
        if message is not None and restore_message(
            message, moderator=moderator, reason=reason, case=sanction.case, ending=overturned
        ):
            return True
    elif sanction.kind == Sanction.Kind.SUSPEND:
        account = lock_account(sanction.user_id)
        if account is not None and lift_suspension(
            account, moderator=moderator, reason=reason, case=sanction.case, ending=overturned
        ):
            return True
    elif withdraw_warning(sanction, moderator=moderator, reason=reason, ending=overturned):
        return True
    # Nothing left to undo (a message deleted since, an account let in another
    # way): the row says how the sanction ended all the same.
    Sanction.objects.active().filter(pk=sanction.pk).update(
        ended_at=timezone.now(), ending=overturned, ended_by=moderator
    )
    return False


def _decide(appeal: Appeal, *, status: str, moderator: AbstractBaseUser, reason: str) -> None:
    now = timezone.now()
    appeal.status = status
    appeal.decided_by = moderator
    appeal.decided_at = now
    appeal.decision_reason = reason
    appeal.retain_until = retention_end(now)
    appeal.save(
        update_fields=["status", "decided_by", "decided_at", "decision_reason", "retain_until"]
    )


def _notify(appeal: Appeal, text: str) -> None:
    Notification.objects.create(
        user_id=appeal.user_id, kind=Notification.Kind.MODERATION_NOTICE, text=text
    )


def _record(
    action: AuditEntry.Action,
    appeal: Appeal,
    *,
    actor: AbstractBaseUser,
    reason: str = "",
    extra: dict[str, Any] | None = None,
) -> AuditEntry:
    """One step's entry: about the person, in the sanction's case, ids only. A
    moderator's step on their own sanction's appeal (a superuser's override of
    four eyes) says so: the imposer's id on the sanction may not outlive them."""
    sanction = appeal.sanction
    is_override = actor.pk == sanction.imposed_by_id and actor.pk != appeal.user_id
    override = {"four_eyes_override": True} if is_override else {}
    return record_audit_entry(
        action=action,
        actor=actor,
        target_user_id=appeal.user_id,
        target_username=appeal.user.get_username(),
        case_id=sanction.case_id,
        reason=reason,
        details={
            "appeal_id": appeal.pk,
            "sanction_id": sanction.pk,
            "sanction_kind": sanction.kind,
            **override,
            **(extra or {}),
        },
    )


# --- what was sanctioned, for the pages -------------------------------------------------


@dataclass(frozen=True)
class SanctionedWords:
    """What a sanction was about, as its pages quote it: the hidden message (None
    once deleted) or the warning's words. A suspension has neither."""

    message: Message | None = None
    warning: str = ""


def sanctioned_words(sanction: Sanction) -> SanctionedWords:
    """One query for a hidden message or a warning, none for a suspension."""
    if sanction.kind == Sanction.Kind.HIDE:
        message = Message.objects.filter(pk=sanction.message_id, is_tombstone=False).first()
        return SanctionedWords(message=message)
    if sanction.kind == Sanction.Kind.WARN:
        text = (
            Notification.objects.filter(pk=sanction.notification_id, user_id=sanction.user_id)
            .values_list("text", flat=True)
            .first()
        )
        return SanctionedWords(warning=text or "")
    return SanctionedWords()

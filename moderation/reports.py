"""Reports: a person reports a message of their own conversations, and the report
joins its author's open case (opened if there is none) with a snapshot of the
evidence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from audit.models import AuditEntry
from messaging.models import Message
from moderation.evidence import snapshot_evidence
from moderation.models import MAX_COMMENT_LENGTH, Case, Report
from moderation.service_support import lock_account, validate_text

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

# What counts as an earlier sanction when a case opens (its priority).
SANCTIONS = (
    AuditEntry.Action.MESSAGE_HIDDEN,
    AuditEntry.Action.USER_WARNED,
    AuditEntry.Action.USER_SUSPENDED,
)


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
    validate_text(comment, label="A comment", max_length=MAX_COMMENT_LENGTH, required=False)
    # The author's account first (the lock order: see the module docstring).
    author = lock_account(message.sender_id)
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
    return report

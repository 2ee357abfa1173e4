"""Reports: a person reports a message of their own conversations, and the report
joins its author's open case (opened if there is none) with a snapshot of the
evidence. A moderator flagging a message (``open_case_for_message``) files the
same kind of report, under their own name, with an audit entry.

A person files at most ``REPORTS_PER_DAY`` reports in any 24 hours (staff are
not counted: they flag from the desk without a limit anyway). ``report_message``
locks the author's and the reporter's accounts together, in id order, so two
reports from one person cannot both pass the limit and two people reporting
each other cannot deadlock. Each reporter, when they first report in a case,
adds their weight (``moderation.reliability``) to its priority, except a new or
unreliable one in a case marked as a possible brigade: when the mark is set, the
case's weight is counted again without them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import formats, timezone

from audit.models import AuditEntry
from audit.services import record_audit_entry
from messaging.models import Message
from messaging.services import deletion_refusal
from messaging.thread_cache import forget_thread_views_on_commit
from moderation.evidence import snapshot_evidence
from moderation.models import MAX_COMMENT_LENGTH, Case, Report, Sanction
from moderation.reliability import (
    NEW_REPORTER,
    brigade_weight,
    looks_like_brigade,
    reporter_reliability,
)
from moderation.service_support import (
    lock_account,
    record_case_entry,
    require_case_permission,
    validate_text,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

# The audit entries of sanctions (a person's page counts them). What weighs on a
# new case's priority is Sanction.objects.strikes().
SANCTIONS = (
    AuditEntry.Action.MESSAGE_HIDDEN,
    AuditEntry.Action.USER_WARNED,
    AuditEntry.Action.USER_SUSPENDED,
)


GONE_MESSAGE = "This message was deleted; there is nothing to report."
DUPLICATE_REPORT = "You have already reported this message. Thank you: a moderator will look at it."
REPORT_WINDOW = timedelta(hours=24)


def daily_limit_reached_until(reporter: AbstractBaseUser, *, now: datetime) -> datetime | None:
    """When ``reporter`` may report again if they have filed REPORTS_PER_DAY
    reports in the last 24 hours, else None. One query (report_reporter_idx):
    the newest REPORTS_PER_DAY-th report in the window, which leaves it last."""
    limit = settings.REPORTS_PER_DAY
    if reporter.is_staff or limit <= 0:  # 0: no limit
        return None
    oldest_counted = list(
        Report.objects.filter(reporter=reporter, created_at__gt=now - REPORT_WINDOW)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[limit - 1 : limit]
    )
    return oldest_counted[0] + REPORT_WINDOW if oldest_counted else None


def _daily_limit_refusal(reporter: AbstractBaseUser) -> ValidationError | None:
    until = daily_limit_reached_until(reporter, now=timezone.now())
    if until is None:
        return None
    limit = settings.REPORTS_PER_DAY
    when = formats.date_format(timezone.localtime(until), "DATETIME_FORMAT")
    return ValidationError(
        f"You have sent {limit} reports in the last 24 hours, the most we take in a day. "
        f"Thank you: the moderators are reading them. You can report again after {when}.",
        code="daily_limit",
    )


def report_refusal(*, reporter: AbstractBaseUser, message: Message) -> ValidationError | None:
    """Why ``reporter`` cannot report ``message`` as loaded, or None: what the
    report page says instead of offering its form, and what ``report_message``
    checks again on the stored message (two queries: an earlier report, then the
    daily limit)."""
    if message.is_tombstone:
        return ValidationError(GONE_MESSAGE, code="gone")
    if message.sender_id == reporter.pk:
        return ValidationError("You cannot report your own message.", code="own")
    if message.is_hidden:
        return ValidationError(
            "A moderator has already hidden this message.", code="already_hidden"
        )
    if Report.objects.filter(reporter=reporter, reported_message_id=message.pk).exists():
        return ValidationError(DUPLICATE_REPORT, code="duplicate")
    return _daily_limit_refusal(reporter)


def reported_message_ids(thread_id: int, reporter_id: int) -> set[int]:
    """The ids of the thread's messages ``reporter_id`` has reported: the user
    thread view's "Reported" (registered with messaging.selectors from
    ModerationConfig.ready). One query, through the unique (reporter, message)
    index."""
    return set(
        Report.objects.filter(
            reporter_id=reporter_id,
            reported_message_id__in=Message.objects.filter(thread_id=thread_id).values("pk"),
        ).values_list("reported_message_id", flat=True)
    )


@transaction.atomic
def report_message(
    *, reporter: AbstractBaseUser, message: Message, reason: str, comment: str = ""
) -> Report:
    """``reporter`` reports ``message``; the report joins its author's open case
    (opened if there is none) with a snapshot of the evidence.

    Refused (ValidationError, nothing written) for an unknown reason, one's own
    message, a deleted or hidden message, and a message this reporter reported
    before, and past the reporter's daily limit; PermissionDenied outside the
    reporter's own conversations.
    """
    if reason not in Report.Reason.values:
        raise ValidationError("Choose a reason from the list.", code="reason")
    validate_text(comment, label="A comment", max_length=MAX_COMMENT_LENGTH, required=False)
    # The accounts first (the lock order: see the module docstring), the
    # reporter's too, so that their reports are counted one at a time.
    author = _lock_author_and_reporter(message.sender_id, reporter.pk)
    stored = Message.objects.filter(pk=message.pk).first()
    if stored is None or author is None:
        raise ValidationError(GONE_MESSAGE, code="gone")
    if not Message.objects.user_takes_part_in_thread(reporter, stored.thread_id):
        raise PermissionDenied("You can only report messages of your own conversations.")
    if refusal := report_refusal(reporter=reporter, message=stored):
        raise refusal
    report = join_open_case(
        author, reporter=reporter, message=stored, reason=reason, comment=comment
    )
    # The reporter's thread view says "Reported" from now on.
    forget_thread_views_on_commit({stored.thread_id: [reporter.pk]})
    return report


def _lock_author_and_reporter(author_id: int | None, reporter_id: int) -> AbstractBaseUser | None:
    """Lock both accounts in one statement, in id order (two people reporting each
    other lock in the same order); return the author, or None if gone."""
    if author_id is None:
        return None
    accounts = (
        get_user_model()
        ._default_manager.select_for_update()
        .filter(pk__in={author_id, reporter_id})
        .order_by("pk")
    )
    return next((account for account in accounts if account.pk == author_id), None)


def join_open_case(
    author: AbstractBaseUser,
    *,
    reporter: AbstractBaseUser | None,
    message: Message,
    reason: str,
    comment: str,
    duplicate: str = DUPLICATE_REPORT,
    automatic: dict | None = None,
) -> Report:
    """A report of ``message`` by ``reporter`` in ``author``'s open case (opened
    if there is none), with its evidence and the case's counts. The caller holds
    the author's account lock and checked the message (lock order: see
    ``moderation.services``).

    ``automatic`` (``moderation.automatic``: the rule's id and name, what it
    matched) makes it a rule's report, without a reporter: the system counts as
    one neutral reporter in a case, a brigade or not."""
    case = Case.objects.select_for_update().open().filter(reported_user=author).first()
    if case is None:
        case = Case.objects.create(
            reported_user=author,
            account_id=author.pk,
            reported_username=author.get_username(),
            prior_sanctions=Sanction.objects.of_user(author.pk).strikes().count(),
        )
    if automatic is None:
        is_new_reporter = not case.reports.filter(reporter=reporter).exists()
    else:
        is_new_reporter = not case.reports.filter(rule_id__isnull=False).exists()
    weight = 0
    if is_new_reporter:
        reliability = NEW_REPORTER if automatic else reporter_reliability(reporter.pk)
        doubtful = not automatic and case.possible_brigade and reliability.is_new_or_unreliable
        weight = 0 if doubtful else reliability.weight
    now = timezone.now()
    evidence = snapshot_evidence(message)
    if automatic:
        evidence["automatic"] = automatic
    try:
        with transaction.atomic():
            report = Report.objects.create(
                case=case,
                reporter=reporter,
                reported_message_id=message.pk,
                reason=reason,
                comment=comment,
                evidence=evidence,
                created_at=now,
                rule_id=automatic["rule_id"] if automatic else None,
                rule_name=automatic["rule_name"] if automatic else "",
            )
    except IntegrityError:
        # The same report sent twice at once: the first one won.
        raise ValidationError(duplicate, code="duplicate") from None
    Case.objects.filter(pk=case.pk).update(
        report_count=F("report_count") + 1,
        reporter_count=F("reporter_count") + int(is_new_reporter),
        reporter_weight=F("reporter_weight") + weight,
        last_reported_at=now,
    )
    if not case.possible_brigade and looks_like_brigade(case, now=now):
        # The spike's reporters were counted as they came: count again without them.
        Case.objects.filter(pk=case.pk).update(
            possible_brigade=True, reporter_weight=brigade_weight(case)
        )
        record_audit_entry(
            action=AuditEntry.Action.CASE_MARKED_BRIGADE,
            actor=None,
            target_user_id=case.account_id,
            target_username=case.reported_username,
            case_id=case.pk,
        )
    return report


@transaction.atomic
def open_case_for_message(
    message: Message,
    *,
    moderator: AbstractBaseUser,
    reason: str,
    report_reason: str = Report.Reason.OTHER,
) -> Report:
    """A moderator flags ``message``: it joins its author's open case (opened if
    there is none) as a report by the moderator, with the same evidence snapshot
    as a person's report, and the moderator's reason as its comment and in the
    audit entry.

    Refused (ValidationError, nothing written) for a deleted message or account,
    a staff or superuser author unless the moderator is a superuser, one's own
    message, and a message this moderator flagged or reported before;
    PermissionDenied without ``moderation.change_case``.
    """
    require_case_permission(moderator)
    if report_reason not in Report.Reason.values:
        raise ValidationError("Choose a reason from the list.", code="reason")
    validate_text(reason, label="The reason", max_length=MAX_COMMENT_LENGTH, required=True)
    author = lock_account(message.sender_id)  # the lock order: the account first
    stored = Message.objects.filter(pk=message.pk).first()
    if stored is None or author is None or stored.is_tombstone:
        raise ValidationError(GONE_MESSAGE, code="gone")
    # The rules of sanctions: staff and superusers are for superusers.
    if refusal := deletion_refusal(actor=moderator, user=author, verb="act on"):
        raise ValidationError(f"No case was opened: {refusal}.")
    report = join_open_case(
        author,
        reporter=moderator,
        message=stored,
        reason=report_reason,
        comment=reason,
        duplicate="You have already flagged or reported this message.",
    )
    record_case_entry(
        AuditEntry.Action.MESSAGE_FLAGGED,
        report.case,
        moderator,
        reason,
        details={"message_id": stored.pk, "report_id": report.pk},
    )
    return report

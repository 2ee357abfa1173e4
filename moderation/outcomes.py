"""Telling reporters how their reports ended.

When a case closes, by every path that closes one (``case_actions._close``, a
moderator deleting the account, the reported person deleting it), each of its
reports whose reporter still has an account and was not told yet gives that
reporter one notification on their inbox, in the closing's transaction. The
text says only whether action was taken: never which sanction, never who
decided, never the reported person's name; it points at no message, so a
hidden message's words cannot reach the reporter through it. Once per report
(``Report.outcome_notified_at``), even if the case is closed again; off when
``REPORT_OUTCOME_NOTIFICATIONS`` is off.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import QuerySet
from django.utils import dateformat, timezone

from messaging.models import Notification
from moderation.models import Case, Report

# How each resolution reads to a reporter. A reported person who deleted their
# own account was never judged: saying so is neither an action nor a dismissal.
OUTCOME_ENDINGS = {
    Case.Resolution.ACTIONED: "was reviewed: action was taken.",
    Case.Resolution.DISMISSED: "was reviewed: no violation was found.",
    Case.Resolution.ACCOUNT_DELETED: "was closed: the reported account no longer exists.",
}


def outcome_text(*, reported_at: datetime, resolution: str) -> str:
    reported_on = dateformat.format(timezone.localtime(reported_at), "j F Y")
    return f"Your report of {reported_on} {OUTCOME_ENDINGS[resolution]}"


def notify_reporters_of_outcome(
    reports: QuerySet[Report], *, resolution: str, now: datetime
) -> int:
    """Notify the reporters of ``reports`` (a closing case's) that are still owed
    an outcome; returns how many notifications were made.

    Run inside the closing's transaction, with the case (or the reported
    account) locked, so two closings cannot both tell. One query when nobody
    is owed anything, three otherwise, whatever the number of reports.
    """
    if not settings.REPORT_OUTCOME_NOTIFICATIONS:
        return 0
    owed = list(
        reports.filter(reporter__isnull=False, outcome_notified_at__isnull=True)
        .order_by("created_at", "id")
        .values_list("id", "reporter_id", "created_at")
    )
    if not owed:
        return 0
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=reporter_id,
                kind=Notification.Kind.REPORT_OUTCOME,
                text=outcome_text(reported_at=reported_at, resolution=resolution),
            )
            for _id, reporter_id, reported_at in owed
        ]
    )
    Report.objects.filter(pk__in=[report_id for report_id, *_ in owed]).update(
        outcome_notified_at=now
    )
    return len(owed)

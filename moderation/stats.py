"""The moderation figures of the dashboard: open cases, how long a case waits for
its first action, and how much moderators do each day.

``admin_ext.admin.dashboard_figures`` adds them to the message figures
(``messaging.stats``) in the one cached dict of dashboard figures, which
``admin_ext.admin.dashboard_receivers`` drops after the commit of every write
that changes them (a case opened, an audit entry, a case action or an evidence
purge: ``moderation.events``). They are plain primitives, safe to cache. This
module reads models only.
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from django.db.models import Count, F, QuerySet
from django.db.models.functions import TruncDate

from audit.models import AuditEntry
from moderation.models import Case
from moderation_site.local_time import local_midnight

# What a moderator does to people, their messages and their cases: the
# "moderator actions per day" chart. Notes, retention changes, exports, job
# retries and evidence purges are bookkeeping, not actions on someone.
MODERATOR_ACTIONS = (
    AuditEntry.Action.ACCOUNT_DELETED,
    AuditEntry.Action.MESSAGE_EDITED,
    AuditEntry.Action.CASE_DISMISSED,
    AuditEntry.Action.MESSAGE_HIDDEN,
    AuditEntry.Action.MESSAGE_RESTORED,
    AuditEntry.Action.USER_WARNED,
    AuditEntry.Action.USER_SUSPENDED,
    AuditEntry.Action.SUSPENSION_LIFTED,
    AuditEntry.Action.MESSAGE_FLAGGED,
    AuditEntry.Action.APPEAL_QUESTION_ASKED,
    AuditEntry.Action.APPEAL_APPROVED,
    AuditEntry.Action.APPEAL_REJECTED,
)


def compute_case_figures(*, first_day: date, last_day: date, zone: tzinfo) -> dict[str, Any]:
    """The moderation figures over the calendar days ``first_day`` to ``last_day``
    (both included, in ``zone``), in three queries:

    - ``open_cases``: every open case, whenever it opened;
    - ``median_first_action``: the median wait, in whole seconds, from a case's
      opening to its first action, over the cases opened in those days that had
      one; None when none had;
    - ``moderator_actions_per_day``: per day, oldest first, the audit entries of
      MODERATOR_ACTIONS, a day without any counted as 0.
    """
    start = local_midnight(first_day, zone)
    end = local_midnight(last_day + timedelta(days=1), zone)
    return {
        "open_cases": count_open_cases(),
        "median_first_action": median_seconds_to_first_action(opened_from=start, opened_before=end),
        "moderator_actions_per_day": moderator_actions_per_day(
            first_day=first_day, last_day=last_day, zone=zone
        ),
    }


def count_open_cases() -> int:
    # case_queue_idx (status, -last_reported_at): the review queue's own rows.
    return Case.objects.open().count()


def median_seconds_to_first_action(*, opened_from: datetime, opened_before: datetime) -> int | None:
    """The median of ``first_action_at - opened_at``, in whole seconds, over the
    cases opened in [opened_from, opened_before) that were acted on; None if none.

    Computed here rather than in the database: SQLite has no median, and the rows
    are two timestamps per case opened in the window (a month of cases). There is
    no index on ``opened_at``: this scans the case table, which holds only open
    cases and closed ones still within their evidence retention (the purge
    deletes the rest).
    """
    waits = [
        (first_action_at - opened_at).total_seconds()
        for opened_at, first_action_at in Case.objects.filter(
            opened_at__gte=opened_from,
            opened_at__lt=opened_before,
            first_action_at__isnull=False,
        ).values_list("opened_at", "first_action_at")
    ]
    if not waits:
        return None
    return round(statistics.median(waits))


def moderator_actions_per_day(
    *, first_day: date, last_day: date, zone: tzinfo
) -> list[dict[str, Any]]:
    """``[{"date": "2026-03-10", "count": 4}, ...]`` for each day from ``first_day``
    to ``last_day``: the audit entries of MODERATOR_ACTIONS written that local day.

    An entry with no actor's name (written by the system: a shell, a command) or
    whose actor is its target (someone deleting their own account) is nobody's
    moderation work and does not count. A moderator whose account has gone since
    still counts: the entry keeps their name.
    """
    # audit_action_idx (action, -created_at): one range scan per action type,
    # grouped by local date in the database.
    entries = (
        AuditEntry.objects.filter(action__in=MODERATOR_ACTIONS)
        .exclude(actor_username="")
        .exclude(actor_username=F("target_username"))
    )
    return count_per_day(entries, "created_at", first_day=first_day, last_day=last_day, zone=zone)


def count_per_day(
    rows: QuerySet, field: str, *, first_day: date, last_day: date, zone: tzinfo
) -> list[dict[str, Any]]:
    """``[{"date": "2026-03-10", "count": 4}, ...]``: the ``rows`` whose ``field``
    falls on each local day from ``first_day`` to ``last_day``, grouped in the
    database; a day without any counts 0."""
    counts = (
        rows.filter(
            **{
                f"{field}__gte": local_midnight(first_day, zone),
                f"{field}__lt": local_midnight(last_day + timedelta(days=1), zone),
            }
        )
        .annotate(day=TruncDate(field, tzinfo=zone))
        .values("day")
        .annotate(count=Count("id"))
        .order_by()
        .values_list("day", "count")
    )
    count_by_day: dict[date, int] = dict(counts)
    days = (first_day + timedelta(days=offset) for offset in range((last_day - first_day).days + 1))
    return [{"date": day.isoformat(), "count": count_by_day.get(day, 0)} for day in days]

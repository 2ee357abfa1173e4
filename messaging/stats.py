"""The message figures of the moderators' dashboard: messages per day, the unread
backlog, edits, account deletions and the week's busiest senders.

``admin_ext.admin.dashboard_figures`` adds them to the moderation figures
(``moderation.stats``) in the one cached dict of dashboard figures, which
``admin_ext.admin.dashboard_receivers`` drops after the commit of every write
that changes a figure (a message saved, an edit, a change of read state:
``messaging.events``, an account deletion), so a moderator never sees a count
that still includes a deleted account's messages. This module reads models only
and knows neither the moderation figures nor the cache: the admin composes them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from audit.models import AuditEntry
from messaging.models import Message, MessageHistory
from moderation_site.local_time import local_midnight

WEEK_DAYS = 7
CHART_DAYS = 30
TOP_SENDERS = 5


def compute_message_figures(*, now: datetime | None = None) -> dict[str, Any]:
    """Compute the dashboard's message figures; a plain dict of primitives, safe to cache.

    Time windows are calendar days in the current time zone (``TIME_ZONE``):

    - *today*: from local midnight to the next local midnight;
    - *this week*: the last 7 calendar days, today included (from local midnight
      six days ago until the end of today);
    - *per day*: the last 30 calendar days, today included, oldest first, a day
      without messages counted as 0.

    Tombstones are not messages any more (their author deleted their account):
    they count nowhere. The unread backlog is ``Message.unread``. The chart
    covers CHART_DAYS days up to ``today``, as the figures composed beside these do.

    Five queries whatever the volume, each read through the index named at it and
    aggregated in the database: never a loop over messages.
    ``now`` pins the clock (tests); it defaults to ``timezone.now()``.
    """
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    today = timezone.localdate(now, zone)
    tomorrow_start = local_midnight(today + timedelta(days=1), zone)
    today_start = local_midnight(today, zone)
    week_start = local_midnight(today - timedelta(days=WEEK_DAYS - 1), zone)
    chart_first_day = today - timedelta(days=CHART_DAYS - 1)
    messages = Message.objects.filter(is_tombstone=False)

    # msg_newest_idx: one range scan over the 30 days, grouped by local date.
    # Today's and this week's counts are read from the same rows, so the cards
    # and the chart always agree.
    per_day_rows = (
        messages.filter(
            timestamp__gte=local_midnight(chart_first_day, zone), timestamp__lt=tomorrow_start
        )
        .annotate(day=TruncDate("timestamp", tzinfo=zone))
        .values("day")
        .annotate(count=Count("id"))
        .order_by()
        .values_list("day", "count")
    )
    count_by_day: dict[date, int] = dict(per_day_rows)
    days = [chart_first_day + timedelta(days=offset) for offset in range(CHART_DAYS)]
    messages_per_day = [
        {"date": day.isoformat(), "count": count_by_day.get(day, 0)} for day in days
    ]

    # msg_unread_inbox_idx (partial: only unread rows). Unread as the manager
    # defines it, like the messages changelist's "unread" filter.
    unread_backlog = Message.unread.count()
    # history_edited_idx.
    edits_today = MessageHistory.objects.filter(
        edited_at__gte=today_start, edited_at__lt=tomorrow_start
    ).count()
    # audit_action_idx (action, -created_at).
    accounts_deleted_this_week = AuditEntry.objects.filter(
        action=AuditEntry.Action.ACCOUNT_DELETED,
        created_at__gte=week_start,
        created_at__lt=tomorrow_start,
    ).count()
    # msg_newest_idx for the week's rows, grouped by sender in the database.
    top_senders = [
        {"user_id": user_id, "username": username, "count": count}
        for user_id, username, count in messages.filter(
            timestamp__gte=week_start, timestamp__lt=tomorrow_start, sender__isnull=False
        )
        .values("sender_id", "sender__username")
        .annotate(count=Count("id"))
        .order_by("-count", "sender__username")
        .values_list("sender_id", "sender__username", "count")[:TOP_SENDERS]
    ]

    return {
        "computed_at": now.isoformat(),
        "today": today.isoformat(),
        "today_start": today_start.isoformat(),
        "week_start": week_start.isoformat(),
        "tomorrow_start": tomorrow_start.isoformat(),
        "messages_today": count_by_day.get(today, 0),
        "messages_this_week": sum(row["count"] for row in messages_per_day[-WEEK_DAYS:]),
        "unread_backlog": unread_backlog,
        "edits_today": edits_today,
        "accounts_deleted_this_week": accounts_deleted_this_week,
        "top_senders": top_senders,
        "messages_per_day": messages_per_day,
    }

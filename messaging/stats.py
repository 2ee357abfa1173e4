"""The message figures of the moderators' dashboard: messages per day, the unread
backlog, edits, account deletions and the week's busiest senders.

``admin_ext.admin.dashboard_figures`` adds them to the moderation figures
(``moderation.stats``) in the one cached dict of dashboard figures, which
``admin_ext.admin.dashboard_receivers`` drops after the commit of every write
that changes a figure (a message saved, an edit, a change of read state:
``messaging.events``, an account deletion), so a moderator never sees a count
that still includes a deleted account's messages. This module reads models only
and knows neither the moderation figures nor the cache: the admin composes them.

The message counts come from the rows ``messaging.figures`` keeps per day and per
day and sender as messages are written, so a cold computation reads a few
hundred rows whatever the number of messages.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections
from django.utils import timezone

from audit.models import AuditEntry
from messaging.models import Message, MessageDayCount, MessageHistory, SenderDayCount
from moderation_site.local_time import local_midnight

WEEK_DAYS = 7
CHART_DAYS = 30
TOP_SENDERS = 5
# Above this many unread messages the backlog is the planner's estimate: counting
# 3,150,000 index entries took 0.3 s at 10,000,000 messages, and "about 3,150,000"
# tells a moderator as much. The messages changelist's paginator estimates above the
# same size (admin_ext.admin.paginators).
ESTIMATE_ABOVE = 500_000
UNREAD_INDEX = "msg_unread_inbox_idx"  # Message.Meta.indexes: partial, unread rows only


def compute_message_figures(*, now: datetime | None = None) -> dict[str, Any]:
    """Compute the dashboard's message figures; a plain dict of primitives, safe to cache.

    Time windows are calendar days in the current time zone (``TIME_ZONE``, the
    days ``messaging.figures`` counts on):

    - *today*: from local midnight to the next local midnight;
    - *this week*: the last 7 calendar days, today included (from local midnight
      six days ago until the end of today);
    - *per day*: the last 30 calendar days, today included, oldest first, a day
      without messages counted as 0.

    Tombstones are not messages any more (their author deleted their account):
    they count nowhere. The unread backlog is ``Message.unread``, estimated above
    ESTIMATE_ABOVE (``unread_backlog_is_estimate`` says so). The chart covers
    CHART_DAYS days up to ``today``, as the figures composed beside these do.

    Five queries whatever the volume, each read through the index named at it and
    aggregated in the database: never a loop over messages.
    ``now`` pins the clock (tests); it defaults to ``timezone.now()``.
    """
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    today = timezone.localdate(now, zone)
    tomorrow_start = local_midnight(today + timedelta(days=1), zone)
    today_start = local_midnight(today, zone)
    week_first_day = today - timedelta(days=WEEK_DAYS - 1)
    week_start = local_midnight(week_first_day, zone)
    chart_first_day = today - timedelta(days=CHART_DAYS - 1)

    # MessageDayCount's unique index on day: at most 30 rows. Today's and this
    # week's counts are read from the same rows, so the cards and the chart
    # always agree.
    count_by_day: dict[date, int] = dict(
        MessageDayCount.objects.filter(day__gte=chart_first_day, day__lte=today).values_list(
            "day", "count"
        )
    )
    days = [chart_first_day + timedelta(days=offset) for offset in range(CHART_DAYS)]
    messages_per_day = [
        {"date": day.isoformat(), "count": count_by_day.get(day, 0)} for day in days
    ]

    unread_backlog, unread_backlog_is_estimate = count_unread_backlog()
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

    return {
        "computed_at": now.isoformat(),
        "today": today.isoformat(),
        "today_start": today_start.isoformat(),
        "week_start": week_start.isoformat(),
        "tomorrow_start": tomorrow_start.isoformat(),
        "messages_today": count_by_day.get(today, 0),
        "messages_this_week": sum(row["count"] for row in messages_per_day[-WEEK_DAYS:]),
        "unread_backlog": unread_backlog,
        "unread_backlog_is_estimate": unread_backlog_is_estimate,
        "edits_today": edits_today,
        "accounts_deleted_this_week": accounts_deleted_this_week,
        "top_senders": top_senders(first_day=week_first_day, last_day=today),
        "messages_per_day": messages_per_day,
    }


def top_senders(*, first_day: date, last_day: date) -> list[dict[str, Any]]:
    """The TOP_SENDERS people who sent most from ``first_day`` to ``last_day``
    (local days), busiest first, ties in username order; one query (two in a
    flat week on PostgreSQL: ``_BUSIEST_FIRST``).

    Week totals are summed per sender before any username is looked up, and only
    the senders at or above the fifth total (ties included, so the username
    order holds) look theirs up, one primary key each: SQL of its own, as the ORM
    joins before it groups (and a join let the planner hash every account).
    """
    connection = connections[SenderDayCount.objects.db]
    first, last = (connection.ops.adapt_datefield_value(day) for day in (first_day, last_day))
    if connection.vendor == "postgresql":
        params = [first, last, CANDIDATES_PER_DAY, CANDIDATES_PER_DAY, first, last]
        rows = _top_of(connection, _BUSIEST_FIRST, params, bound="(SELECT total FROM bound)")
        fifth_total = rows[TOP_SENDERS - 1][2] if len(rows) == TOP_SENDERS else None
        bound = rows[0][3] if rows else 0
        if bound > 0 and (fifth_total is None or fifth_total <= bound):
            rows = _top_of(connection, _WEEK_TOTALS, [first, last])
    else:
        rows = _top_of(connection, _WEEK_TOTALS, [first, last])
    return [
        {"user_id": sender_id, "username": name, "count": int(total)}
        for sender_id, name, total, _bound in rows
    ]


def _top_of(connection: Any, totals: str, params: list[Any], *, bound: str = "0") -> list[tuple]:
    """The top rows of ``totals`` (a CTE of sender_id, total): sender, username,
    total and the ``bound`` expression."""
    user_model = get_user_model()
    quote = connection.ops.quote_name
    users = quote(user_model._meta.db_table)
    user_id = quote(user_model._meta.pk.column)
    username = quote(user_model._meta.get_field("username").column)
    with connection.cursor() as cursor:
        cursor.execute(  # names quoted from the models; values are parameters
            f"""
            WITH {totals.format(counts=quote(SenderDayCount._meta.db_table))}
            SELECT sender_id, (
                SELECT {username} FROM {users} WHERE {user_id} = totals.sender_id
            ) AS username, total, {bound} AS week_bound
            FROM totals
            WHERE total > 0 AND total >= COALESCE(
                (SELECT total FROM totals ORDER BY total DESC LIMIT 1 OFFSET %s), 0
            )
            ORDER BY total DESC, username
            LIMIT %s
            """,  # noqa: S608
            [*params, TOP_SENDERS - 1, TOP_SENDERS],
        )
        return cursor.fetchall()


# sender_day_busiest_idx (day first): every sender's total over the days. At 10,000,000
# messages a week is a quarter of a million rows: 0.28 s on PostgreSQL.
_WEEK_TOTALS = """
    totals AS (
        SELECT sender_id, SUM(count) AS total FROM {counts}
        WHERE day >= %s AND day <= %s GROUP BY sender_id
    )
"""
# A threshold algorithm: each day's busiest senders first (sender_day_busiest_idx,
# CANDIDATES_PER_DAY rows a day), then the week totals of those candidates only,
# seven entries each in sender_day_unique (sender first; a few ms at 10,000,000
# messages, where filtering the week's 235,000 rows by candidate took 100 ms).
# Anyone else sent at most the smallest count of each full day's list on that
# day, so at most ``bound`` in the week: when the fifth candidate has more, or no
# day's list is full, the candidates hold the answer; otherwise (a flat week)
# top_senders sums every sender's week. Two statements, not one with both
# branches: the full sum's estimated cost alone made PostgreSQL JIT-compile the
# statement, 1 s on every call.
CANDIDATES_PER_DAY = 50
_BUSIEST_FIRST = """
    busiest AS (
        SELECT days.day, busiest_of_day.sender_id, busiest_of_day.count
        FROM generate_series(%s::date, %s::date, interval '1 day') AS days (day)
        CROSS JOIN LATERAL (
            SELECT sender_id, count FROM {counts} WHERE {counts}.day = days.day::date
            ORDER BY count DESC LIMIT %s
        ) AS busiest_of_day
    ),
    bound AS (
        SELECT COALESCE(SUM(smallest), 0) AS total FROM (
            SELECT MIN(count) AS smallest FROM busiest GROUP BY day HAVING COUNT(*) = %s
        ) AS full_days
    ),
    totals AS (
        SELECT candidates.sender_id, week.total
        FROM (SELECT DISTINCT sender_id FROM busiest) AS candidates
        CROSS JOIN LATERAL (
            SELECT SUM(count) AS total FROM {counts}
            WHERE {counts}.sender_id = candidates.sender_id AND day >= %s AND day <= %s
        ) AS week
    )
"""


def count_unread_backlog(*, estimate_above: int = ESTIMATE_ABOVE) -> tuple[int, bool]:
    """``Message.unread.count()`` and False; on PostgreSQL, when UNREAD_INDEX holds
    more than ``estimate_above`` entries by the planner's statistics (pg_class
    .reltuples, refreshed by autovacuum and ANALYZE), that estimate and True.

    One query either way: the exact count is a sub-select PostgreSQL runs only
    when the estimate is small (or missing: never analysed, index gone).
    """
    unread = Message.unread.all()
    connection = connections[unread.db]
    if connection.vendor != "postgresql":
        return unread.count(), False
    sql, params = unread.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(  # the unread queryset's own SQL; values are parameters
            f"""
            SELECT CASE WHEN pg_class.reltuples > %s THEN pg_class.reltuples::bigint
                        ELSE (SELECT COUNT(*) FROM ({sql}) AS unread) END,
                   COALESCE(pg_class.reltuples > %s, false)
            FROM (SELECT to_regclass(%s) AS oid) AS wanted
            LEFT JOIN pg_class ON pg_class.oid = wanted.oid
            """,  # noqa: S608
            [estimate_above, *params, estimate_above, UNREAD_INDEX],
        )
        count, is_estimate = cursor.fetchone()
    return int(count), bool(is_estimate)

"""One way to show a moment: the absolute time with its zone, and its age.

``format_timestamp`` writes DATETIME_FORMAT (``moderation_site/formats/en``),
"2026-12-02 14:05 UTC", in the current time zone (TIME_ZONE, UTC). ``relative_age``
says how long ago, in the compact form a queue is scanned by ("3 h ago"), and
``age_element`` wraps it in a <time> element whose title gives the absolute time.
The template filters (``moderation_site/templatetags/desk_time.py``, loaded as
``desk_time``) call these, so the admin and the user pages agree.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.formats import get_format
from django.utils.html import format_html
from django.utils.safestring import SafeString

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def format_timestamp(value: datetime | None) -> str:
    """ "2026-12-02 14:05 UTC"; an empty string for None."""
    if value is None:
        return ""
    return format_date(_local(value), get_format("DATETIME_FORMAT"))


def relative_age(value: datetime, *, now: datetime | None = None) -> str:
    """How long ago ``value`` was: "just now", "12 min ago", "3 h ago", "5 d ago"
    (whole units, rounded down); "in 2 h" for a moment still to come."""
    seconds = int(((now or timezone.now()) - value).total_seconds())
    if -MINUTE < seconds < MINUTE:
        return "just now"
    amount = abs(seconds)
    if amount < HOUR:
        text = f"{amount // MINUTE} min"
    elif amount < DAY:
        text = f"{amount // HOUR} h"
    else:
        text = f"{amount // DAY} d"
    return f"{text} ago" if seconds > 0 else f"in {text}"


def time_element(value: datetime | None) -> SafeString:
    """<time datetime="ISO">2026-12-02 14:05 UTC</time>; "—" for None."""
    if value is None:
        return SafeString("—")
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), format_timestamp(value))


def age_element(value: datetime | None, *, now: datetime | None = None) -> SafeString:
    """<time datetime="ISO" title="2026-12-02 14:05 UTC">3 h ago</time>; "—" for None."""
    if value is None:
        return SafeString("—")
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        format_timestamp(value),
        relative_age(value, now=now),
    )

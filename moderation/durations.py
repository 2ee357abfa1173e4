"""How long a warning's strike or a suspension lasts, as moderators choose it:
the choices every form offers, and the end each one gives (``ends_at_for``),
in one place so the case page, the person's page and the messages' actions agree.

A date means through the end of that day in the desk's time zone (its last
moment, 23:59:59.999999 local), as the evidence retention's date does.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError

from moderation_site.time_format import format_timestamp

ONE_DAY = "1d"
SEVEN_DAYS = "7d"
THIRTY_DAYS = "30d"
UNTIL_DATE = "date"
INDEFINITE = ""

CHOICES = (
    (ONE_DAY, "1 day"),
    (SEVEN_DAYS, "7 days"),
    (THIRTY_DAYS, "30 days"),
    (UNTIL_DATE, "Until a date"),
    (INDEFINITE, "Until lifted (indefinite)"),
)
LENGTHS = {
    ONE_DAY: datetime.timedelta(days=1),
    SEVEN_DAYS: datetime.timedelta(days=7),
    THIRTY_DAYS: datetime.timedelta(days=30),
}
# Further than this is "until lifted" in all but name; it also keeps a date typed
# as year 9999 from overflowing when its end is converted to UTC.
MAX_DAYS_AHEAD = 3_650


def ends_at_for(
    choice: str,
    until_date: datetime.date | None,
    *,
    now: datetime.datetime,
    zone: datetime.tzinfo,
) -> datetime.datetime | None:
    """The end of a sanction given ``now`` (None: until a moderator lifts it).

    Raises ValidationError for an unknown choice, and for ``UNTIL_DATE`` without
    a date, with a day already over, or with one more than MAX_DAYS_AHEAD ahead.
    ``until_date`` is ignored with the other choices."""
    if choice == INDEFINITE:
        return None
    if choice in LENGTHS:
        return now + LENGTHS[choice]
    if choice != UNTIL_DATE:
        raise ValidationError(f"Unknown duration: {choice}.", code="unknown_duration")
    if until_date is None:
        raise ValidationError("Choose the day it ends.", code="missing_date")
    today = now.astimezone(zone).date()
    if until_date < today:
        raise ValidationError(
            f"{until_date:%Y-%m-%d} is over: choose today or a later day.", code="past_date"
        )
    if until_date > today + datetime.timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationError(
            f"Choose a day within {MAX_DAYS_AHEAD:,} days, or “Until lifted”.", code="far_date"
        )
    return datetime.datetime.combine(until_date, datetime.time.max, tzinfo=zone)


def until_words(ends_at: datetime.datetime | None) -> str:
    """How the desk says a sanction's end: "until 2026-12-09 14:00 UTC" (in the
    current time zone), or "until lifted" for none."""
    return "until lifted" if ends_at is None else f"until {format_timestamp(ends_at)}"

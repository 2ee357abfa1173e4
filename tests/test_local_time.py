"""moderation_site.local_time: where a calendar day starts in a time zone."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from moderation_site.local_time import local_midnight

PARIS = ZoneInfo("Europe/Paris")


def test_a_day_starts_at_its_own_midnight_offset_across_a_clock_change():
    # Summer time started at 02:00 on 2026-03-29 in Paris: that day has 23 hours.
    start = local_midnight(date(2026, 3, 29), PARIS)
    next_start = local_midnight(date(2026, 3, 30), PARIS)

    assert start == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert next_start.utcoffset() == timedelta(hours=2)
    # Subtracting in one zone would count wall-clock hours: compare in UTC.
    assert next_start.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)

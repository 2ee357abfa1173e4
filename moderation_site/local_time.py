"""Calendar days in a time zone, for the figures that count per local day
(``messaging.stats``, ``moderation.stats``): at the bottom layer, so both apps
use the one definition without importing each other."""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo


def local_midnight(day: date, zone: tzinfo) -> datetime:
    """The moment ``day`` starts in ``zone``, as an aware datetime."""
    # zoneinfo resolves the offset of that day's midnight (DST included).
    return datetime.combine(day, time.min, tzinfo=zone)

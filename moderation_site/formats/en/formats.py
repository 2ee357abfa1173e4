"""The desk's one way to write a moment, for every English locale (en, en-us...).

ISO-like and with its time zone ("2026-12-02 14:05 UTC"): unambiguous for a team
spread over several countries, and sortable as text. Django's own rendering of a
datetime (``{{ value }}``, ``|date`` without a format, the admin's list and read-only
fields, unfold's included) reads these through ``FORMAT_MODULE_PATH``, since
localisation is always on. ``moderation_site.time_format`` writes the same format
from Python. Input formats stay Django's: forms still accept what they accepted.
"""

DATETIME_FORMAT = "Y-m-d H:i T"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "F j"
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 1  # Monday, the ISO week

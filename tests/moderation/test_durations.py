"""moderation.durations: the choices of a sanction's length and the end each gives."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from moderation import durations
from moderation.durations import ends_at_for, until_words

BERLIN = ZoneInfo("Europe/Berlin")
# 2026-12-09 23:30 UTC is already 2026-12-10 00:30 in Berlin.
NOW = datetime.datetime(2026, 12, 9, 23, 30, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("choice", "length"),
    [
        (durations.ONE_DAY, datetime.timedelta(days=1)),
        (durations.SEVEN_DAYS, datetime.timedelta(days=7)),
        (durations.THIRTY_DAYS, datetime.timedelta(days=30)),
    ],
)
def test_a_length_counts_from_now_and_ignores_the_date(choice, length):
    assert ends_at_for(choice, datetime.date(2020, 1, 1), now=NOW, zone=BERLIN) == NOW + length


def test_indefinite_has_no_end():
    assert ends_at_for(durations.INDEFINITE, None, now=NOW, zone=BERLIN) is None


def test_a_date_lasts_through_the_end_of_that_day_in_the_desks_zone():
    end = ends_at_for(durations.UNTIL_DATE, datetime.date(2026, 12, 12), now=NOW, zone=BERLIN)

    local = end.astimezone(BERLIN)
    assert (local.date(), local.hour, local.minute) == (datetime.date(2026, 12, 12), 23, 59)
    assert end == datetime.datetime(2026, 12, 12, 22, 59, 59, 999999, tzinfo=datetime.UTC)


def test_today_in_the_desks_zone_is_allowed_and_yesterday_is_not():
    # In Berlin it is the 10th already: the 10th is today, the 9th is over.
    today = ends_at_for(durations.UNTIL_DATE, datetime.date(2026, 12, 10), now=NOW, zone=BERLIN)
    assert today > NOW

    with pytest.raises(ValidationError) as refused:
        ends_at_for(durations.UNTIL_DATE, datetime.date(2026, 12, 9), now=NOW, zone=BERLIN)
    assert refused.value.messages == ["2026-12-09 is over: choose today or a later day."]
    assert refused.value.code == "past_date"


@pytest.mark.parametrize(
    ("until_date", "code"),
    [
        (None, "missing_date"),
        (datetime.date(9999, 12, 31), "far_date"),
    ],
)
def test_a_date_missing_or_too_far_is_refused(until_date, code):
    with pytest.raises(ValidationError) as refused:
        ends_at_for(durations.UNTIL_DATE, until_date, now=NOW, zone=BERLIN)

    assert refused.value.code == code


def test_the_last_day_allowed_is_max_days_ahead():
    last = NOW.astimezone(BERLIN).date() + datetime.timedelta(days=durations.MAX_DAYS_AHEAD)

    assert ends_at_for(durations.UNTIL_DATE, last, now=NOW, zone=BERLIN).year == last.year


def test_an_unknown_choice_is_refused():
    with pytest.raises(ValidationError) as refused:
        ends_at_for("3d", None, now=NOW, zone=BERLIN)

    assert refused.value.code == "unknown_duration"


def test_every_choice_is_handled():
    for choice, _label in durations.CHOICES:
        ends_at_for(choice, datetime.date(2026, 12, 12), now=NOW, zone=BERLIN)


def test_until_words_in_the_current_zone():
    assert until_words(None) == "until lifted"
    with timezone.override(BERLIN):
        assert until_words(NOW) == "until 2026-12-10 00:30 CET"

"""One way to show time: every moment as "2026-12-02 14:05 UTC" (Django's own
rendering included, through the formats module), and a relative age for triage."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.utils import display_for_value
from django.template import engines
from django.utils import formats, timezone

from moderation_site.time_format import (
    age_element,
    format_timestamp,
    relative_age,
    time_element,
)

MOMENT = datetime(2026, 12, 2, 14, 5, 33, tzinfo=UTC)


def render(source: str, **context) -> str:
    return engines["django"].from_string("{% load desk_time %}" + source).render(context)


def test_a_moment_is_written_iso_like_with_its_zone():
    assert format_timestamp(MOMENT) == "2026-12-02 14:05 UTC"
    assert format_timestamp(None) == ""


@pytest.mark.parametrize("language", ["en", "en-us", "en-gb"])
def test_djangos_own_rendering_uses_the_same_format_in_every_english_locale(settings, language):
    settings.LANGUAGE_CODE = language

    assert formats.localize(timezone.localtime(MOMENT)) == "2026-12-02 14:05 UTC"
    assert formats.date_format(MOMENT, "SHORT_DATETIME_FORMAT") == "2026-12-02 14:05 UTC"
    assert formats.date_format(MOMENT.date()) == "2026-12-02"
    # The admin's list columns and read-only fields, unfold's included.
    assert display_for_value(MOMENT, "-") == "2026-12-02 14:05 UTC"


def test_templates_render_a_datetime_in_the_one_format():
    assert render("{{ moment }}", moment=MOMENT) == "2026-12-02 14:05 UTC"
    assert render('{{ moment|date:"DATETIME_FORMAT" }}', moment=MOMENT) == "2026-12-02 14:05 UTC"
    assert render("{{ moment|timestamp }}", moment=MOMENT) == "2026-12-02 14:05 UTC"


@pytest.mark.parametrize(
    ("ago", "expected"),
    [
        (timedelta(seconds=20), "just now"),
        (timedelta(minutes=1), "1 min ago"),
        (timedelta(minutes=59, seconds=59), "59 min ago"),
        (timedelta(hours=3, minutes=50), "3 h ago"),
        (timedelta(days=1), "1 d ago"),
        (timedelta(days=40), "40 d ago"),
        (-timedelta(hours=2), "in 2 h"),
    ],
)
def test_relative_age_is_compact_and_rounds_down(ago, expected):
    assert relative_age(MOMENT - ago, now=MOMENT) == expected


def test_the_age_element_carries_the_absolute_time_in_its_title():
    html = age_element(MOMENT - timedelta(hours=3), now=MOMENT)

    assert html == (
        '<time datetime="2026-12-02T11:05:33+00:00" title="2026-12-02 11:05 UTC">3 h ago</time>'
    )


def test_the_time_element_shows_the_absolute_time():
    assert (
        time_element(MOMENT)
        == '<time datetime="2026-12-02T14:05:33+00:00">2026-12-02 14:05 UTC</time>'
    )
    assert time_element(None) == "—"
    assert age_element(None) == "—"


def test_the_filters_escape_nothing_they_should_not_and_mark_their_html_safe():
    html = render("{{ moment|time_element }} {{ moment|age_element }}", moment=MOMENT)

    assert html.startswith('<time datetime="2026-12-02T14:05:33+00:00">2026-12-02 14:05 UTC</time>')
    assert '<time datetime="2026-12-02T14:05:33+00:00" title="2026-12-02 14:05 UTC">' in html

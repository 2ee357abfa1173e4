"""Relative ages where they help triage: the review queue and the case page show
how old a case is ("3 h ago"), the exact time (one format, with its zone) in the
<time> element's title."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from moderation.models import Case
from moderation.reports import report_message
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db

AGE = re.compile(
    r'<time datetime="[^"]+" title="\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC">'
    r"(\d+ [a-z]+ ago|just now)</time>"
)


@pytest.fixture
def case(alice, bob) -> Case:
    message = MessageFactory(sender=bob, receiver=alice, content="Go away")
    case = report_message(reporter=alice, message=message, reason="harassment").case
    three_hours_ago = timezone.now() - timedelta(hours=3)
    Case.objects.filter(pk=case.pk).update(
        opened_at=three_hours_ago - timedelta(days=2), last_reported_at=three_hours_ago
    )
    return case


def test_the_queue_shows_each_cases_age_with_the_exact_time_on_hover(client, moderator, case):
    client.force_login(moderator)

    response = client.get(reverse("admin:moderation_case_changelist"))

    ages = AGE.findall(response.text)
    assert "3 h ago" in ages  # last reported
    assert "2 d ago" in ages  # opened


def test_the_case_page_shows_its_age_and_its_dates(client, moderator, case):
    client.force_login(moderator)

    response = client.get(reverse("admin:moderation_case_change", args=[case.pk]))

    assert "opened <time" in response.text
    assert {"2 d ago", "3 h ago"} <= set(AGE.findall(response.text))
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", response.text)

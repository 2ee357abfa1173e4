"""moderation.selectors.queue_neighbours: the cases before and after one in the
review queue's order (priority, then last reported, then id)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from moderation.models import Case
from moderation.selectors import QueueNeighbours, queue_neighbours
from tests.factories import UserFactory, reported_message

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def case_reported(*, reporters: int = 1, days_ago: float = 10) -> Case:
    author = UserFactory()
    for _ in range(reporters):
        report = reported_message(author=author)
    Case.objects.filter(pk=report.case_id).update(
        last_reported_at=NOW - datetime.timedelta(days=days_ago)
    )
    return Case.objects.get(pk=report.case_id)


def test_neighbours_follow_the_queues_order():
    low = case_reported(reporters=1)
    high = case_reported(reporters=3)
    middle_older = case_reported(reporters=2, days_ago=20)
    middle_newer = case_reported(reporters=2, days_ago=15)
    queue = list(Case.objects.review_queue(now=NOW).values_list("pk", flat=True))
    assert queue == [high.pk, middle_newer.pk, middle_older.pk, low.pk]

    neighbours = [queue_neighbours(case, now=NOW) for case in (high, middle_newer, low)]

    assert neighbours == [
        QueueNeighbours(previous_id=None, next_id=middle_newer.pk),
        QueueNeighbours(previous_id=high.pk, next_id=middle_older.pk),
        QueueNeighbours(previous_id=middle_older.pk, next_id=None),
    ]


def test_equal_priority_and_time_fall_back_to_the_id():
    first, second = case_reported(), case_reported()
    Case.objects.filter(pk=second.pk).update(last_reported_at=first.last_reported_at)
    second.refresh_from_db()

    assert queue_neighbours(second, now=NOW) == QueueNeighbours(previous_id=None, next_id=first.pk)
    assert queue_neighbours(first, now=NOW) == QueueNeighbours(previous_id=second.pk, next_id=None)


def test_a_closed_case_leads_to_the_open_ones_around_its_place():
    high, closed, low = (case_reported(reporters=n) for n in (3, 2, 1))
    Case.objects.filter(pk=closed.pk).update(status=Case.Status.CLOSED, closed_at=NOW)
    closed.refresh_from_db()

    assert queue_neighbours(closed, now=NOW) == QueueNeighbours(previous_id=high.pk, next_id=low.pk)


def test_neighbours_cost_one_query_whatever_the_queue():
    cases = [case_reported(reporters=1 + n % 3) for n in range(12)]

    with CaptureQueriesContext(connection) as queries:
        neighbours = queue_neighbours(cases[5], now=NOW)

    assert len(queries) == 1
    assert None not in (neighbours.previous_id, neighbours.next_id)

"""LargeTablePaginator: PostgreSQL's estimate for huge unfiltered lists only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from admin_ext.admin import paginators
from admin_ext.admin.paginators import LargeTablePaginator
from messaging.models import Message
from tests.factories import MessageFactory

pytestmark = pytest.mark.django_db


def test_a_filtered_list_is_counted_exactly(alice, monkeypatch):
    monkeypatch.setattr(paginators, "ESTIMATE_ABOVE", 0)
    MessageFactory.create_batch(3, sender=alice)
    MessageFactory.create_batch(2)

    assert LargeTablePaginator(Message.objects.filter(sender=alice).order_by("pk"), 100).count == 3


def test_a_small_table_is_counted_exactly(alice):
    MessageFactory.create_batch(4, sender=alice)

    assert LargeTablePaginator(Message.objects.order_by("pk"), 100).count == 4


def test_a_huge_unfiltered_list_uses_the_planners_estimate_on_postgresql(
    postgres_only, alice, monkeypatch
):
    monkeypatch.setattr(paginators, "ESTIMATE_ABOVE", 10)
    MessageFactory.create_batch(30, sender=alice)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE messaging_message")

    with CaptureQueriesContext(connection) as queries:
        count = LargeTablePaginator(Message.objects.order_by("-timestamp"), 100).count

    assert count == 30  # the estimate, exact right after ANALYZE
    assert not any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)

"""LargeTablePaginator: PostgreSQL's estimate for huge unfiltered lists, a count
capped at COUNT_CAP otherwise, and pages that stop at the cap."""

import pytest
from django.core.paginator import EmptyPage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from admin_ext.admin import paginators
from admin_ext.admin.messages import MessageAdmin
from admin_ext.admin.paginators import LargeTablePaginator, ShownCount
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
    assert str(count) == "about 30"
    assert not any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)


@pytest.fixture
def capped_count(monkeypatch):
    """The count of SQLite, or of a list PostgreSQL cannot read by ids (sorted by
    a related field): capped at COUNT_CAP."""
    monkeypatch.setattr(paginators, "_sort_keys", lambda queryset: None)


def test_a_count_stops_at_the_cap_and_says_so(alice, monkeypatch, capped_count):
    monkeypatch.setattr(paginators, "COUNT_CAP", 5)
    MessageFactory.create_batch(7, sender=alice)

    with CaptureQueriesContext(connection) as queries:
        count = LargeTablePaginator(Message.objects.filter(sender=alice).order_by("pk"), 2).count

    assert (count, str(count)) == (5, "5+")
    assert isinstance(count, ShownCount)
    counting = next(
        query["sql"].upper()
        for query in queries.captured_queries
        if "COUNT(" in query["sql"].upper()
    )
    assert "LIMIT 6" in counting  # the database stops at the cap + 1
    assert "ORDER BY" not in counting  # any matching rows, by the filter's index


def test_a_count_under_the_cap_is_a_plain_number(alice, monkeypatch):
    monkeypatch.setattr(paginators, "COUNT_CAP", 5)
    MessageFactory.create_batch(5, sender=alice)

    count = LargeTablePaginator(Message.objects.order_by("pk"), 2).count

    assert (count, type(count)) == (5, int)


def test_pages_stop_at_the_cap_with_a_reason(alice, monkeypatch, capped_count):
    monkeypatch.setattr(paginators, "COUNT_CAP", 4)
    MessageFactory.create_batch(9, sender=alice)
    paginator = LargeTablePaginator(Message.objects.order_by("pk"), 2)

    assert paginator.num_pages == 2
    assert len(paginator.page(2).object_list) == 2
    with pytest.raises(EmptyPage, match=r"Lists stop at page 2 .* narrow the list"):
        paginator.page(3)


def test_the_messages_list_says_how_far_it_counted(admin_client, alice, monkeypatch, capped_count):
    monkeypatch.setattr(paginators, "COUNT_CAP", 4)
    monkeypatch.setattr(MessageAdmin, "list_per_page", 2)
    MessageFactory.create_batch(6, sender=alice)
    changelist = reverse("admin:messaging_message_changelist")

    page = admin_client.get(changelist, {"sender__id__exact": alice.pk})
    assert page.status_code == 200
    assert "4+ messages" in " ".join(page.content.decode().split())

    deeper = admin_client.get(changelist, {"p": "3"}, follow=True)
    assert deeper.status_code == 200
    assert "Lists stop at page 2 (the first 4 rows)" in deeper.content.decode()


@pytest.fixture
def few_and_many(alice, bob, monkeypatch):
    """Five messages of alice's among 40, the planner's statistics fresh."""
    monkeypatch.setattr(paginators, "FEW_ROWS", 10)
    MessageFactory.create_batch(35, sender=bob)
    MessageFactory.create_batch(5, sender=alice)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE messaging_message")


def test_few_matching_rows_are_counted_exactly_and_paged_by_their_ids(
    postgres_only, few_and_many, alice
):
    newest_first = Message.objects.filter(sender=alice).order_by("-timestamp", "-id")
    paginator = LargeTablePaginator(newest_first, 2)

    with CaptureQueriesContext(connection) as queries:
        count = paginator.count
        second_page = list(paginator.page(2).object_list)

    assert (count, type(count)) == (5, int)
    assert second_page == list(newest_first[2:4])
    page_query = queries.captured_queries[-1]["sql"].upper()
    assert " IN (" in page_query and "LIMIT" not in page_query  # read by ids, not walked
    assert paginator.num_pages == 3


def test_many_matching_rows_show_the_planners_estimate(postgres_only, few_and_many, bob):
    paginator = LargeTablePaginator(Message.objects.filter(sender=bob).order_by("-timestamp"), 5)

    with CaptureQueriesContext(connection) as queries:
        count = paginator.count

    assert str(count) == f"about {int(count):,}" and 20 < count < 50  # 35 by the statistics
    assert not any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)
    assert list(paginator.page(2).object_list) == list(
        Message.objects.filter(sender=bob).order_by("-timestamp")[5:10]
    )


def test_only_a_filtered_list_offers_to_show_them_all(admin_client, alice):
    MessageFactory.create_batch(2, sender=alice)
    changelist = reverse("admin:messaging_message_changelist")

    unfiltered = admin_client.get(changelist)
    filtered = admin_client.get(changelist, {"sender__id__exact": alice.pk})

    assert "Show all" not in unfiltered.text  # it is all already
    assert "Show all" in filtered.text

"""The message page and the case page show a window of a thread, not the whole
thread (admin_ext/admin/thread_lines.py, messaging.thread_window.thread_window): a
5,000-message thread makes a page under 500 KB in the usual queries, the "show"
links load more, and whatever their parameters say, nothing breaks."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from messaging.models import Message
from messaging.thread_window import WINDOW_AFTER, WINDOW_BEFORE, WINDOW_STEP
from moderation.services import report_message
from tests.admin_ext.test_cases_admin import CASE_PAGE_QUERY_BUDGET
from tests.admin_ext.test_messages_admin import CHANGE_PAGE_QUERY_BUDGET
from tests.messaging.thread_shapes import bushy, chain

pytestmark = pytest.mark.django_db

MAX_PAGE_BYTES = 500_000
REFUSED = "That part of the thread cannot be shown"


def change_url(message: Message) -> str:
    return reverse("admin:messaging_message_change", args=[message.pk])


def shown_ids(response, prefix: str = "thread-node-") -> list[int]:
    return [int(pk) for pk in re.findall(rf'<li id="{prefix}(\d+)"', response.content.decode())]


def show_links(response) -> list[str]:
    html = response.content.decode()
    return [link.replace("&amp;", "&") for link in re.findall(r'<a href="([^"]+)"[^>]*>Show', html)]


@pytest.fixture
def big_thread(alice, bob) -> list[Message]:
    return bushy(alice, bob, size=5_000, fanout=4)


def test_a_5000_message_thread_makes_a_small_message_page_in_the_usual_queries(
    moderator_client, big_thread, django_assert_max_num_queries
):
    message = big_thread[2_000]
    moderator_client.get(change_url(message))

    with django_assert_max_num_queries(CHANGE_PAGE_QUERY_BUDGET):
        response = moderator_client.get(change_url(message))

    assert response.status_code == 200
    assert len(response.content) < MAX_PAGE_BYTES
    assertContains(response, "5000 messages in this thread")
    assert len(shown_ids(response)) <= 2 + WINDOW_BEFORE + WINDOW_AFTER
    assert message.pk in shown_ids(response)
    assert shown_ids(response)[0] == big_thread[0].pk  # the root, for context


def test_a_5000_message_thread_makes_a_small_case_page_in_the_usual_queries(
    moderator_client, big_thread, bob, django_assert_max_num_queries
):
    report = report_message(reporter=bob, message=big_thread[2_000], reason="harassment")
    report_message(reporter=bob, message=big_thread[4_000], reason="harassment")
    url = reverse("admin:moderation_case_change", args=[report.case_id])
    moderator_client.get(url)

    with django_assert_max_num_queries(CASE_PAGE_QUERY_BUDGET):
        response = moderator_client.get(url)

    assert response.status_code == 200
    assert len(response.content) < MAX_PAGE_BYTES
    assertContains(response, "5000 messages in reading order")
    shown = shown_ids(response, "case-thread-node-")
    assert {big_thread[2_000].pk, big_thread[4_000].pk} <= set(shown)
    assertContains(response, "messages not shown")


def test_the_show_links_load_earlier_and_later_messages(moderator_client, alice, bob):
    thread = chain(alice, bob, size=600)
    first_page = moderator_client.get(change_url(thread[300]))
    earlier_link, later_link = show_links(first_page)

    earlier = moderator_client.get(earlier_link)
    later = moderator_client.get(later_link)

    first_earlier = 300 - WINDOW_BEFORE - WINDOW_STEP
    assert shown_ids(earlier) == [thread[0].pk] + [
        m.pk for m in thread[first_earlier : 301 + WINDOW_AFTER]
    ]
    assert shown_ids(later)[-1] == thread[300 + WINDOW_AFTER + WINDOW_STEP].pk
    assertContains(earlier, "back to the messages around this one")
    assertNotContains(earlier, REFUSED)


def test_a_case_gap_opens_the_message_page_at_those_messages(moderator_client, alice, bob):
    thread = chain(alice, bob, size=600)
    report = report_message(reporter=bob, message=thread[100], reason="harassment")
    report_message(reporter=bob, message=thread[500], reason="harassment")
    case_page = moderator_client.get(reverse("admin:moderation_case_change", args=[report.case_id]))
    between = next(link for link in show_links(case_page) if "thread_first" in link)

    response = moderator_client.get(between)

    assert response.status_code == 200
    assertNotContains(response, REFUSED)
    assert len(shown_ids(response)) > WINDOW_STEP


@pytest.mark.parametrize(
    "query",
    [
        "thread_first=-5&thread_last=10",
        "thread_first=abc&thread_last=def",
        "thread_first=99999999999999999999999&thread_last=1",
        "thread_first=1",
        "thread_first=1e3&thread_last=2e3",
        "thread_first= 12&thread_last=13",
    ],
)
def test_hostile_parameters_get_the_window_around_the_message_and_a_notice(
    moderator_client, alice, bob, query
):
    thread = chain(alice, bob, size=400)

    response = moderator_client.get(f"{change_url(thread[200])}?{query}")

    assert response.status_code == 200
    assertContains(response, REFUSED)
    assert thread[200].pk in shown_ids(response)


def test_another_threads_ids_get_the_window_and_a_notice(moderator_client, alice, bob):
    thread, other = chain(alice, bob, size=300), chain(alice, bob, size=300)
    query = f"thread_first={other[10].pk}&thread_last={other[20].pk}"

    response = moderator_client.get(f"{change_url(thread[150])}?{query}")

    assertContains(response, REFUSED)
    assert not set(shown_ids(response)) & {m.pk for m in other}


def test_a_staff_member_without_the_view_permission_gets_no_stretch(client, alice, bob):
    from tests.factories import UserFactory

    thread = chain(alice, bob, size=300)
    client.force_login(UserFactory(is_staff=True))
    query = f"thread_first={thread[1].pk}&thread_last={thread[50].pk}"

    response = client.get(f"{change_url(thread[150])}?{query}")

    assert response.status_code in (302, 403)
    assert b"thread-node-" not in response.content

"""The review queue's and the case page's keyboard shortcuts
(admin_ext/admin/case_shortcuts.py): the case page's links to the previous and
next case in the queue, the list of shortcuts, and the script that binds them,
loaded on those pages only."""

from __future__ import annotations

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from admin_ext.admin.case_shortcuts import SCRIPT
from moderation.models import Case
from tests.factories import UserFactory, reported_message

pytestmark = pytest.mark.django_db

QUEUE_URL = reverse("admin:moderation_case_changelist")


def case_url(case: Case) -> str:
    return reverse("admin:moderation_case_change", args=[case.pk])


def case_with_reporters(count: int) -> Case:
    author = UserFactory()
    for _ in range(count):
        report = reported_message(author=author)
    return report.case


def test_a_case_page_links_the_previous_and_next_case_in_the_queue(moderator_client):
    first, middle, last = (case_with_reporters(n) for n in (3, 2, 1))

    response = moderator_client.get(case_url(middle))

    assertContains(response, f'href="{case_url(first)}" rel="prev" data-desk-key="previous"')
    assertContains(response, f'href="{case_url(last)}" rel="next" data-desk-key="next"')


def test_the_ends_of_the_queue_say_there_is_no_case_beyond(moderator_client):
    only = case_with_reporters(1)

    response = moderator_client.get(case_url(only))

    assertContains(response, "No previous case in the queue")
    assertContains(response, "No next case in the queue")
    assertNotContains(response, "data-desk-key=")


def test_the_queue_and_the_case_page_list_their_shortcuts_and_load_the_script(
    moderator_client,
):
    case = case_with_reporters(1)

    for url in (QUEUE_URL, case_url(case)):
        response = moderator_client.get(url)
        assertContains(response, '<dialog id="desk-shortcuts"')
        assertContains(response, SCRIPT)


def test_other_pages_do_not_load_the_script(moderator_client):
    response = moderator_client.get(reverse("admin:messaging_message_changelist"))

    assertNotContains(response, SCRIPT)
    assertNotContains(response, 'id="desk-shortcuts"')

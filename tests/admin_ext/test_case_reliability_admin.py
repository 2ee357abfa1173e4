"""The case page shows each reporter's reliability beside their report
(admin_ext/templates/admin_ext/cases/evidence.html), at one query for all."""

from __future__ import annotations

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from messaging import services as messaging_services
from moderation.models import Case
from tests.admin_ext.test_cases_admin import CASE_PAGE_QUERY_BUDGET, case_url
from tests.factories import UserFactory, reported_message
from tests.moderation.test_reliability import ACTIONED, DISMISSED, closed_reports

pytestmark = pytest.mark.django_db


def test_each_report_shows_its_reporters_reliability(moderator_client, alice, bob, carol):
    closed_reports(bob, *[ACTIONED] * 4, DISMISSED)
    closed_reports(carol, *[DISMISSED] * 5)
    report = reported_message(author=alice, reporter=bob)
    reported_message(author=alice, reporter=carol)
    reported_message(author=alice, reporter=UserFactory())

    response = moderator_client.get(case_url(report.case))

    assertContains(response, "reliable: 4 of 5 led to action", count=1)
    assertContains(response, "unreliable: 0 of 5 led to action", count=1)
    assertContains(response, "new reporter", count=1)


def test_a_deleted_reporter_shows_no_reliability(moderator_client, alice, bob):
    report = reported_message(author=alice, reporter=bob)
    messaging_services.delete_account(bob, actor=bob, reason="leaving")

    response = moderator_client.get(case_url(Case.objects.get(pk=report.case_id)))

    assertNotContains(response, "new reporter")


def test_reporters_with_long_histories_keep_the_page_in_its_budget(
    moderator_client, alice, django_assert_max_num_queries
):
    reporters = [UserFactory() for _ in range(4)]
    for reporter in reporters:
        closed_reports(reporter, ACTIONED, DISMISSED, ACTIONED, ACTIONED, ACTIONED, DISMISSED)
    reports = [reported_message(author=alice, reporter=reporter) for reporter in reporters]
    url = case_url(reports[0].case)
    moderator_client.get(url)  # warm the caches

    with django_assert_max_num_queries(CASE_PAGE_QUERY_BUDGET):
        response = moderator_client.get(url)

    assertContains(response, "reliable: 4 of 6 led to action", count=4)


def test_the_queue_and_the_case_page_label_a_possible_brigade(moderator_client, alice, bob):
    marked = reported_message(author=alice).case
    Case.objects.filter(pk=marked.pk).update(possible_brigade=True)
    reported_message(author=bob)  # an ordinary case beside it

    queue = moderator_client.get(reverse("admin:moderation_case_changelist"))
    page = moderator_client.get(case_url(marked))

    assertContains(queue, "Open: possible brigade", count=1)
    assertContains(page, "Open: possible brigade", count=1)

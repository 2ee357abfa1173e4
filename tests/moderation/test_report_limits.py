"""The daily limit of reports (REPORTS_PER_DAY, moderation/reports.py): refused
politely past it, by the page and the service, over a rolling 24 hours; staff
are not counted; two reports racing past the limit let one through."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from moderation import services
from moderation.models import Report
from moderation.reports import REPORT_WINDOW, daily_limit_reached_until
from tests.factories import MessageFactory, UserFactory, reported_message
from tests.messaging.test_concurrency import in_thread

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _three_a_day(settings):
    settings.REPORTS_PER_DAY = 3


def file_reports(reporter, count: int) -> list[Report]:
    return [reported_message(reporter=reporter) for _ in range(count)]


def message_to(reporter):
    return MessageFactory(sender=UserFactory(), receiver=reporter)


def test_reports_up_to_the_limit_are_taken(bob):
    file_reports(bob, 3)

    assert Report.objects.filter(reporter=bob).count() == 3


def test_the_report_past_the_limit_is_refused_politely_and_writes_nothing(bob):
    reports = file_reports(bob, 3)

    with pytest.raises(ValidationError) as refused:
        services.report_message(reporter=bob, message=message_to(bob), reason="spam")

    assert refused.value.code == "daily_limit"
    text = refused.value.messages[0]
    assert text.startswith(
        "You have sent 3 reports in the last 24 hours, the most we take in a day. "
        "Thank you: the moderators are reading them. You can report again after "
    )
    assert Report.objects.filter(reporter=bob).count() == 3
    assert daily_limit_reached_until(bob, now=timezone.now()) == (
        reports[0].created_at + REPORT_WINDOW
    )


def test_the_window_rolls_reports_older_than_a_day_no_longer_count(bob):
    oldest, *_ = file_reports(bob, 3)
    Report.objects.filter(pk=oldest.pk).update(
        created_at=timezone.now() - REPORT_WINDOW - timedelta(seconds=1)
    )

    report = services.report_message(reporter=bob, message=message_to(bob), reason="spam")

    assert report.pk is not None


def test_a_report_just_inside_the_day_still_counts(bob):
    oldest, *_ = file_reports(bob, 3)
    Report.objects.filter(pk=oldest.pk).update(
        created_at=timezone.now() - REPORT_WINDOW + timedelta(minutes=1)
    )

    assert services.report_refusal(reporter=bob, message=message_to(bob)).code == "daily_limit"


def test_other_peoples_reports_do_not_count(bob, carol):
    file_reports(carol, 3)

    assert services.report_refusal(reporter=bob, message=message_to(bob)) is None


def test_staff_reporters_are_not_limited(bob):
    bob.is_staff = True
    bob.save(update_fields=["is_staff"])
    file_reports(bob, 3)

    assert services.report_refusal(reporter=bob, message=message_to(bob)) is None


def test_a_limit_of_zero_turns_it_off(settings, bob):
    settings.REPORTS_PER_DAY = 0
    file_reports(bob, 3)

    assert services.report_refusal(reporter=bob, message=message_to(bob)) is None


def test_the_limit_costs_one_query(bob):
    file_reports(bob, 3)

    with CaptureQueriesContext(connection) as queries:
        daily_limit_reached_until(bob, now=timezone.now())

    assert len(queries) == 1


def test_the_report_page_shows_the_refusal_instead_of_the_form(client, bob):
    file_reports(bob, 3)
    message = message_to(bob)
    client.force_login(bob)

    response = client.get(reverse("moderation:report", args=[message.pk]))

    assertContains(response, "You have sent 3 reports in the last 24 hours")
    assertNotContains(response, 'name="reason"')


def test_a_post_past_the_limit_shows_the_refusal_and_writes_nothing(client, bob):
    file_reports(bob, 3)
    message = message_to(bob)
    client.force_login(bob)

    response = client.post(reverse("moderation:report", args=[message.pk]), {"reason": "spam"})

    assert response.status_code == 200
    assertContains(response, "You can report again after")
    assert not Report.objects.filter(reported_message_id=message.pk).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_reports_racing_past_the_limit_let_one_through(postgres_only, bob):
    file_reports(bob, 2)
    messages = [message_to(bob), message_to(bob)]
    start = threading.Barrier(2)

    def report(message):
        start.wait(10)
        services.report_message(reporter=bob, message=message, reason="spam")

    workers = [in_thread(report, message) for message in messages]
    for worker, _errors in workers:
        worker.join(30)
    close_old_connections()

    errors = [error for _worker, errors in workers for error in errors]
    assert [error.code for error in errors] == ["daily_limit"]
    assert Report.objects.filter(reporter=bob).count() == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_two_people_reporting_each_other_at_once_do_not_deadlock(postgres_only, alice, bob):
    # Three each way (the limit), alice's and bob's locks taken in both orders.
    pairs = [(alice, MessageFactory(sender=bob, receiver=alice)) for _ in range(3)]
    pairs += [(bob, MessageFactory(sender=alice, receiver=bob)) for _ in range(3)]
    start = threading.Barrier(len(pairs))

    def report(reporter, message):
        start.wait(10)
        services.report_message(reporter=reporter, message=message, reason="spam")

    workers = [in_thread(report, *pair) for pair in pairs]
    for worker, _errors in workers:
        worker.join(30)
    close_old_connections()

    assert [error for _worker, errors in workers for error in errors] == []
    assert Report.objects.count() == 6

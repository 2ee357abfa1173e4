"""Reporter reliability (moderation/reliability.py): the share of a reporter's
last 100 reports in closed cases that led to action; new reporters are neutral;
the weight each adds to a case's priority when they first report in it."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEntry
from moderation.models import Case, Report
from moderation.reliability import (
    BRIGADE_REPORTS,
    BRIGADE_WINDOW,
    NEW_REPORTER,
    RELIABILITY_WINDOW,
    RELIABLE_WEIGHT,
    UNRELIABLE_WEIGHT,
    Reliability,
    reporter_reliability,
    reporters_reliability,
)
from tests.factories import UserFactory, reported_message

pytestmark = pytest.mark.django_db

ACTIONED = Case.Resolution.ACTIONED
DISMISSED = Case.Resolution.DISMISSED


def closed_reports(reporter, *resolutions: str) -> list[Report]:
    """One report by ``reporter`` per resolution, each in its own case closed so,
    oldest first."""
    reports = []
    now = timezone.now()
    for age, resolution in enumerate(reversed(resolutions)):
        report = reported_message(reporter=reporter)
        Case.objects.filter(pk=report.case_id).update(
            status=Case.Status.CLOSED, resolution=resolution, closed_at=now
        )
        Report.objects.filter(pk=report.pk).update(created_at=now - timedelta(minutes=age + 1))
        reports.append(report)
    return reports[::-1]


@pytest.mark.parametrize(
    ("actioned", "closed", "standing", "text"),
    [
        (0, 0, "new", "new reporter"),
        (4, 4, "new", "new reporter"),
        (4, 5, "reliable", "reliable: 4 of 5 led to action"),
        (8, 12, "reliable", "reliable: 8 of 12 led to action"),
        (7, 12, "neutral", "neutral: 7 of 12 led to action"),
        (4, 12, "neutral", "neutral: 4 of 12 led to action"),
        (3, 12, "unreliable", "unreliable: 3 of 12 led to action"),
        (1, 12, "unreliable", "unreliable: 1 of 12 led to action"),
    ],
)
def test_standing_and_words_at_the_edges(actioned, closed, standing, text):
    reliability = Reliability(actioned=actioned, closed=closed)

    assert (reliability.standing, str(reliability)) == (standing, text)


def test_new_and_neutral_reporters_weigh_three_as_every_reporter_did_before():
    assert NEW_REPORTER.weight == Reliability(actioned=6, closed=12).weight == 3
    assert Reliability(actioned=10, closed=10).weight == RELIABLE_WEIGHT
    assert Reliability(actioned=0, closed=10).weight == UNRELIABLE_WEIGHT


def test_action_taken_and_account_deleted_count_dismissed_does_not(bob):
    closed_reports(bob, ACTIONED, Case.Resolution.ACCOUNT_DELETED, DISMISSED, DISMISSED, ACTIONED)

    assert reporter_reliability(bob.pk) == Reliability(actioned=3, closed=5)


def test_reports_in_open_cases_do_not_count(bob):
    closed_reports(bob, DISMISSED)
    reported_message(reporter=bob)

    assert reporter_reliability(bob.pk) == Reliability(actioned=0, closed=1)


def test_only_the_last_hundred_closed_reports_count(settings, bob):
    settings.REPORTS_PER_DAY = 0  # a hundred reports in a day, to build the history
    # The oldest one dismissed, the hundred after it actioned.
    closed_reports(bob, DISMISSED, *[ACTIONED] * RELIABILITY_WINDOW)

    expected = Reliability(actioned=RELIABILITY_WINDOW, closed=RELIABILITY_WINDOW)
    assert reporter_reliability(bob.pk) == expected
    assert reporters_reliability([bob.pk]) == {bob.pk: expected}


def test_the_batch_reads_every_reporter_in_one_query(bob, carol):
    closed_reports(bob, ACTIONED, ACTIONED)
    closed_reports(carol, DISMISSED)
    newcomer = UserFactory()

    with CaptureQueriesContext(connection) as queries:
        found = reporters_reliability([bob.pk, carol.pk, newcomer.pk, None])

    assert len(queries) == 1
    assert found == {
        bob.pk: Reliability(actioned=2, closed=2),
        carol.pk: Reliability(actioned=0, closed=1),
    }


def test_a_reliable_reporter_adds_more_to_the_priority_than_a_new_one(alice, bob, carol):
    closed_reports(bob, *[ACTIONED] * 5)
    reported_message(author=alice, reporter=bob)
    reported_message(author=alice, reporter=carol)  # new: neutral

    case = Case.objects.with_priority().get(reported_user=alice, status=Case.Status.OPEN)

    assert case.reporter_weight == RELIABLE_WEIGHT + 3
    assert case.priority == RELIABLE_WEIGHT + 3 + 2  # and reported today


def test_an_unreliable_reporter_adds_less_and_only_once_per_case(alice, bob):
    closed_reports(bob, *[DISMISSED] * 5)
    reported_message(author=alice, reporter=bob)
    reported_message(author=alice, reporter=bob)

    case = Case.objects.get(reported_user=alice, status=Case.Status.OPEN)

    assert (case.reporter_count, case.reporter_weight) == (1, UNRELIABLE_WEIGHT)


def test_the_migration_weighs_existing_reporters_three_each(alice, bob, carol):
    migration = importlib.import_module("moderation.migrations.0011_report_floods_and_reliability")
    reported_message(author=alice, reporter=bob)
    reported_message(author=alice, reporter=carol)
    Case.objects.update(reporter_weight=0)

    migration.weigh_existing_reporters(apps, None)

    assert Case.objects.get().reporter_weight == 2 * 3


# --- possible brigades -------------------------------------------------------------------


def reliable_reporters(count: int) -> list:
    reporters = [UserFactory() for _ in range(count)]
    for reporter in reporters:
        closed_reports(reporter, *[ACTIONED] * 5)
    return reporters


def pile_on(author, reporters) -> Case:
    for reporter in reporters:
        reported_message(author=author, reporter=reporter)
    return Case.objects.get(reported_user=author, status=Case.Status.OPEN)


def test_ten_reports_in_an_hour_from_new_reporters_mark_a_possible_brigade(alice):
    case = pile_on(alice, [UserFactory() for _ in range(BRIGADE_REPORTS)])

    assert case.possible_brigade
    assert case.reporter_weight == 0  # counted again without them
    assert case.reporter_count == BRIGADE_REPORTS
    # Marked once, by the system, in the case's timeline.
    entry = AuditEntry.objects.get(action=AuditEntry.Action.CASE_MARKED_BRIGADE)
    assert (entry.actor, entry.case_id, entry.target_user_id) == (None, case.pk, alice.pk)


def test_nine_reports_are_no_brigade(alice):
    case = pile_on(alice, [UserFactory() for _ in range(BRIGADE_REPORTS - 1)])

    assert not case.possible_brigade
    assert case.reporter_weight == 3 * (BRIGADE_REPORTS - 1)


def test_eight_doubtful_reporters_of_ten_are_enough(alice):
    reliable = reliable_reporters(2)
    case = pile_on(alice, [*reliable, *[UserFactory() for _ in range(8)]])

    assert case.possible_brigade
    assert case.reporter_weight == 2 * RELIABLE_WEIGHT  # only the reliable ones count


def test_seven_doubtful_reporters_of_ten_are_not(alice):
    reliable = reliable_reporters(3)
    case = pile_on(alice, [*reliable, *[UserFactory() for _ in range(7)]])

    assert not case.possible_brigade
    assert case.reporter_weight == 3 * RELIABLE_WEIGHT + 7 * 3


def test_unreliable_reporters_count_as_doubtful(alice):
    unreliable = [UserFactory() for _ in range(BRIGADE_REPORTS)]
    for reporter in unreliable:
        closed_reports(reporter, *[DISMISSED] * 5)

    assert pile_on(alice, unreliable).possible_brigade


def test_reports_older_than_the_window_do_not_make_a_spike(alice):
    case = pile_on(alice, [UserFactory() for _ in range(BRIGADE_REPORTS - 1)])
    Report.objects.filter(case=case).update(
        created_at=timezone.now() - BRIGADE_WINDOW - timedelta(minutes=1)
    )

    case = pile_on(alice, [UserFactory()])

    assert not case.possible_brigade


def test_after_the_mark_new_reporters_add_nothing_and_reliable_ones_still_count(alice):
    case = pile_on(alice, [UserFactory() for _ in range(BRIGADE_REPORTS)])
    assert case.possible_brigade
    reliable = reliable_reporters(1)

    case = pile_on(alice, [UserFactory(), *reliable])

    assert case.reporter_weight == RELIABLE_WEIGHT
    assert case.reporter_count == BRIGADE_REPORTS + 2

"""moderation.stats: the dashboard's moderation figures, their query budget, and
the cache drops that keep them current."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from admin_ext.admin.dashboard_figures import dashboard_figures
from audit.models import AuditEntry
from audit.services import record_audit_entry
from messaging import services as messaging_services
from moderation import services
from moderation.models import Case
from moderation.stats import (
    MODERATOR_ACTIONS,
    compute_case_figures,
    median_seconds_to_first_action,
)
from tests.factories import UserFactory, reported_message

pytestmark = pytest.mark.django_db

# Far from the real clock, like tests/messaging/test_stats.py: what counts is
# placed explicitly.
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)
FIRST_DAY = TODAY - timedelta(days=29)
WINDOW_START = datetime(2026, 2, 9, tzinfo=UTC)  # local midnight of FIRST_DAY (UTC)
WINDOW_END = datetime(2026, 3, 11, tzinfo=UTC)


def case_figures(**overrides):
    return compute_case_figures(
        **{"first_day": FIRST_DAY, "last_day": TODAY, "zone": UTC, **overrides}
    )


def acted_case(moderator, *, opened_at: datetime, waited: timedelta | None) -> Case:
    """A case opened by a real report at ``opened_at``, dismissed ``waited`` later
    (still open when ``waited`` is None)."""
    case = reported_message().case
    if waited is not None:
        services.act_on_case(case, moderator=moderator, actions=["dismiss"], reason="Nothing")
    # The services stamp the real clock: the case's moments are pinned afterwards.
    Case.objects.filter(pk=case.pk).update(
        opened_at=opened_at,
        first_action_at=opened_at + waited if waited is not None else None,
    )
    return case


@pytest.fixture
def clock(monkeypatch):
    """Set the clock the audit log stamps entries with (auto_now_add)."""

    def set_to(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_to


# --- open cases ---------------------------------------------------------------------


def test_open_cases_counts_every_open_case_and_no_closed_one(moderator):
    first = reported_message()
    reported_message(author=first.case.reported_user)  # joins the same case
    reported_message()
    dismissed = reported_message().case
    services.act_on_case(dismissed, moderator=moderator, actions=["dismiss"], reason="Fine")

    assert case_figures()["open_cases"] == 2


def test_open_cases_is_zero_without_cases():
    assert case_figures()["open_cases"] == 0


# --- median time to first action ---------------------------------------------------------


def test_the_median_is_none_without_cases():
    assert case_figures()["median_first_action"] is None


def test_the_median_is_none_when_no_case_was_acted_on(moderator):
    acted_case(moderator, opened_at=NOW - timedelta(days=1), waited=None)

    assert case_figures()["median_first_action"] is None


def test_the_median_of_one_case_is_its_wait(moderator):
    acted_case(moderator, opened_at=NOW - timedelta(days=2), waited=timedelta(hours=3, minutes=20))

    assert case_figures()["median_first_action"] == 3 * 3600 + 20 * 60


def test_the_median_of_two_cases_is_halfway_between_their_waits(moderator):
    acted_case(moderator, opened_at=NOW - timedelta(days=2), waited=timedelta(minutes=10))
    acted_case(moderator, opened_at=NOW - timedelta(days=1), waited=timedelta(minutes=31))

    assert case_figures()["median_first_action"] == round(20.5 * 60)


def test_the_median_of_three_cases_is_the_middle_wait(moderator):
    for minutes in (5, 600, 45):
        acted_case(moderator, opened_at=NOW - timedelta(days=3), waited=timedelta(minutes=minutes))
    acted_case(moderator, opened_at=NOW - timedelta(days=3), waited=None)  # not acted on

    assert case_figures()["median_first_action"] == 45 * 60


def test_the_median_counts_only_cases_opened_in_the_window(moderator):
    acted_case(moderator, opened_at=WINDOW_START, waited=timedelta(minutes=30))
    acted_case(moderator, opened_at=WINDOW_START - timedelta(seconds=1), waited=timedelta(days=9))
    acted_case(moderator, opened_at=WINDOW_END, waited=timedelta(days=9))

    assert median_seconds_to_first_action(opened_from=WINDOW_START, opened_before=WINDOW_END) == (
        30 * 60
    )


# --- moderator actions per day --------------------------------------------------------------


def test_actions_per_day_counts_the_audit_entries_of_case_actions(moderator, clock):
    clock(NOW)
    case = reported_message().case
    services.act_on_case(
        case, moderator=moderator, actions=["hide", "warn"], reason="Abuse", warning="Stop"
    )
    clock(NOW - timedelta(days=2))
    other = reported_message().case
    services.act_on_case(other, moderator=moderator, actions=["dismiss"], reason="Fine")

    per_day = case_figures()["moderator_actions_per_day"]

    assert per_day[-1] == {"date": "2026-03-10", "count": 2}  # hidden, warned
    assert per_day[-3] == {"date": "2026-03-08", "count": 1}  # dismissed
    assert sum(day["count"] for day in per_day) == 3


def test_actions_per_day_leaves_out_what_is_not_a_moderators_action(moderator, alice, clock):
    clock(NOW)
    case = reported_message().case
    services.add_note(author=moderator, text="Watch this one", case=case)
    record_audit_entry(action=AuditEntry.Action.EXPORT, actor=moderator)
    record_audit_entry(action=AuditEntry.Action.JOB_RETRIED, actor=moderator)
    messaging_services.delete_account(alice, actor=alice)  # her own choice
    messaging_services.delete_account(UserFactory())  # a shell, no actor
    messaging_services.delete_account(UserFactory(), actor=moderator)  # counts
    record_audit_entry(
        action=AuditEntry.Action.MESSAGE_EDITED,
        actor=moderator,
        target_user_id=7,
        target_username="zeno",
    )  # counts

    assert case_figures()["moderator_actions_per_day"][-1]["count"] == 2


def test_actions_per_day_still_counts_a_moderator_whose_account_is_gone(moderator, clock):
    clock(NOW)
    case = reported_message().case
    services.act_on_case(case, moderator=moderator, actions=["dismiss"], reason="Fine")
    moderator.delete()

    assert case_figures()["moderator_actions_per_day"][-1]["count"] == 1


def test_actions_per_day_covers_the_days_asked_oldest_first_and_nothing_outside(moderator, clock):
    for moment in (
        WINDOW_START,  # first moment of the first day
        WINDOW_END - timedelta(microseconds=1),  # last moment of today
        WINDOW_START - timedelta(microseconds=1),  # the day before
        WINDOW_END,  # tomorrow
    ):
        clock(moment)
        record_audit_entry(
            action=AuditEntry.Action.USER_WARNED,
            actor=moderator,
            target_user_id=7,
            target_username="zeno",
        )

    per_day = case_figures()["moderator_actions_per_day"]

    assert len(per_day) == 30
    assert per_day[0] == {"date": "2026-02-09", "count": 1}
    assert per_day[-1] == {"date": "2026-03-10", "count": 1}
    assert [day["count"] for day in per_day[1:-1]] == [0] * 28


def test_actions_per_day_are_calendar_days_of_the_time_zone(moderator, clock, settings):
    settings.TIME_ZONE = "Europe/Paris"  # UTC+1 in March
    zone = timezone.get_current_timezone()
    clock(datetime(2026, 3, 9, 23, 30, tzinfo=UTC))  # 00:30 on the 10th in Paris
    record_audit_entry(
        action=AuditEntry.Action.USER_SUSPENDED,
        actor=moderator,
        target_user_id=7,
        target_username="zeno",
    )

    per_day = case_figures(zone=zone)["moderator_actions_per_day"]

    assert per_day[-2:] == [{"date": "2026-03-09", "count": 0}, {"date": "2026-03-10", "count": 1}]


def test_the_moderator_actions_are_actions_on_people_and_cases():
    assert set(MODERATOR_ACTIONS) == {
        AuditEntry.Action.ACCOUNT_DELETED,
        AuditEntry.Action.MESSAGE_EDITED,
        AuditEntry.Action.CASE_DISMISSED,
        AuditEntry.Action.MESSAGE_HIDDEN,
        AuditEntry.Action.MESSAGE_RESTORED,
        AuditEntry.Action.USER_WARNED,
        AuditEntry.Action.USER_SUSPENDED,
        AuditEntry.Action.SUSPENSION_LIFTED,
        # Putting a message in a case, and a moderator's steps on an appeal (not the
        # person's, not the system's timed ends).
        AuditEntry.Action.MESSAGE_FLAGGED,
        AuditEntry.Action.APPEAL_QUESTION_ASKED,
        AuditEntry.Action.APPEAL_APPROVED,
        AuditEntry.Action.APPEAL_REJECTED,
    }


# --- budget and shape ---------------------------------------------------------------------


def test_the_case_figures_cost_three_queries_whatever_the_volume(
    django_assert_num_queries, moderator
):
    for index in range(12):
        case = reported_message().case
        if index % 2:
            services.act_on_case(
                case, moderator=moderator, actions=["hide", "warn"], reason="r", warning="w"
            )

    with django_assert_num_queries(3):
        figures = compute_case_figures(
            first_day=timezone.localdate() - timedelta(days=29),
            last_day=timezone.localdate(),
            zone=timezone.get_current_timezone(),
        )

    assert figures["open_cases"] == 6
    assert figures["median_first_action"] is not None
    assert figures["moderator_actions_per_day"][-1]["count"] == 12


def test_the_case_figures_are_plain_data_that_survive_a_json_round_trip(moderator):
    acted_case(moderator, opened_at=NOW - timedelta(days=1), waited=timedelta(minutes=7))

    figures = case_figures()

    assert json.loads(json.dumps(figures)) == figures


# --- the cache ------------------------------------------------------------------------------


def test_a_report_drops_the_cached_figures(django_capture_on_commit_callbacks):
    assert dashboard_figures()["open_cases"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        reported_message()

    assert dashboard_figures()["open_cases"] == 1


def test_a_case_action_drops_the_cached_figures(django_capture_on_commit_callbacks, moderator):
    case = reported_message().case
    before = dashboard_figures()
    assert (before["open_cases"], before["median_first_action"]) == (1, None)
    assert before["moderator_actions_per_day"][-1]["count"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        services.act_on_case(case, moderator=moderator, actions=["warn"], reason="r", warning="w")

    after = dashboard_figures()
    assert after["open_cases"] == 0
    assert after["median_first_action"] is not None
    assert after["moderator_actions_per_day"][-1]["count"] == 1

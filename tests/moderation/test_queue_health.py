"""moderation.queue_health: the oldest waits, cases opened and closed per day,
each moderator's week, appeals overturned, and their query budget."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import record_audit_entry
from messaging import services as messaging_services
from moderation import services
from moderation.claims import claim_case
from moderation.models import Appeal, Case
from moderation.queue_health import (
    BUSIEST_MODERATORS,
    age_in_seconds,
    compute_queue_health,
    count_appeals_overturned,
    moderator_work,
    oldest_open_appeal,
    oldest_open_case,
)
from tests.factories import AppealFactory, ModeratorFactory, UserFactory, reported_message

pytestmark = pytest.mark.django_db

# Far from the real clock, like tests/moderation/test_stats.py.
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)
FIRST_DAY = TODAY - timedelta(days=29)
WEEK_FIRST_DAY = TODAY - timedelta(days=6)
WINDOW_START = datetime(2026, 2, 9, tzinfo=UTC)  # local midnight of FIRST_DAY (UTC)
WEEK_START = datetime(2026, 3, 4, tzinfo=UTC)
WINDOW_END = datetime(2026, 3, 11, tzinfo=UTC)


def queue_health(**overrides):
    return compute_queue_health(
        **{
            "first_day": FIRST_DAY,
            "last_day": TODAY,
            "week_first_day": WEEK_FIRST_DAY,
            "zone": UTC,
            **overrides,
        }
    )


@pytest.fixture
def clock(monkeypatch):
    """Set the clock the services and the audit log stamp rows with."""

    def set_to(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_to


def case_opened_at(moment: datetime) -> Case:
    case = reported_message().case
    Case.objects.filter(pk=case.pk).update(opened_at=moment)
    return case


def decided_appeal(status: str, *, decided_at: datetime) -> Appeal:
    return AppealFactory(status=status, decided_at=decided_at)


def warned(moderator, *, target: str = "zeno") -> None:
    record_audit_entry(
        action=AuditEntry.Action.USER_WARNED,
        actor=moderator,
        target_user_id=7,
        target_username=target,
    )


# --- the oldest open case --------------------------------------------------------------


def test_no_open_case_means_no_oldest_case(moderator):
    closed = reported_message().case
    services.act_on_case(closed, moderator=moderator, actions=["dismiss"], reason="Fine")

    assert oldest_open_case() is None
    assert queue_health()["oldest_open_case"] is None


def test_the_oldest_open_case_is_the_one_opened_first(moderator):
    case_opened_at(NOW - timedelta(hours=2))
    oldest = case_opened_at(NOW - timedelta(days=3))
    case_opened_at(NOW - timedelta(minutes=5))
    closed_older = case_opened_at(NOW - timedelta(days=40))
    services.act_on_case(closed_older, moderator=moderator, actions=["dismiss"], reason="Fine")

    assert oldest_open_case() == (oldest.pk, NOW - timedelta(days=3))
    assert queue_health()["oldest_open_case"] == {
        "id": oldest.pk,
        "since": (NOW - timedelta(days=3)).isoformat(),
    }


# --- the oldest open appeal ------------------------------------------------------------


def test_no_appeal_means_no_oldest_appeal():
    assert oldest_open_appeal() is None
    assert queue_health()["oldest_open_appeal"] is None


def test_an_appeal_waiting_for_the_persons_answer_is_not_the_oldest_open_appeal():
    AppealFactory(status=Appeal.Status.ASKED, created_at=NOW - timedelta(days=9))
    AppealFactory(
        status=Appeal.Status.REJECTED, created_at=NOW - timedelta(days=12), decided_at=NOW
    )
    waiting = AppealFactory(created_at=NOW - timedelta(days=2))
    AppealFactory(created_at=NOW - timedelta(hours=1))

    assert oldest_open_appeal() == (waiting.pk, NOW - timedelta(days=2))


def test_only_appeals_in_the_persons_hands_mean_no_oldest_open_appeal():
    AppealFactory(status=Appeal.Status.ASKED, created_at=NOW - timedelta(days=9))

    assert queue_health()["oldest_open_appeal"] is None


@pytest.mark.parametrize(
    ("since", "seconds"),
    [
        (None, None),
        (NOW - timedelta(hours=3), 3 * 3600),
        (NOW + timedelta(seconds=5), 0),  # a clock a little behind the database's
    ],
)
def test_an_age_is_whole_seconds_until_now(since, seconds):
    assert age_in_seconds(since, now=NOW) == seconds


# --- cases opened and closed per day ----------------------------------------------------


def test_cases_opened_per_day_count_every_case_opened_that_day_open_or_closed(moderator):
    case_opened_at(NOW)
    closed = case_opened_at(NOW - timedelta(hours=1))
    services.act_on_case(closed, moderator=moderator, actions=["dismiss"], reason="Fine")
    case_opened_at(NOW - timedelta(days=3))

    opened = queue_health()["cases_opened_per_day"]

    assert len(opened) == 30
    assert opened[-1] == {"date": "2026-03-10", "count": 2}
    assert opened[-4] == {"date": "2026-03-07", "count": 1}
    assert sum(day["count"] for day in opened) == 3


def test_cases_closed_per_day_count_the_cases_closed_that_day(moderator, clock):
    clock(NOW - timedelta(days=5))
    first = reported_message().case
    second = reported_message().case
    reported_message()  # stays open
    clock(NOW - timedelta(days=1))
    services.act_on_case(first, moderator=moderator, actions=["dismiss"], reason="Fine")
    clock(NOW)
    services.act_on_case(second, moderator=moderator, actions=["warn"], reason="r", warning="w")

    closed = queue_health()["cases_closed_per_day"]

    assert closed[-2:] == [{"date": "2026-03-09", "count": 1}, {"date": "2026-03-10", "count": 1}]
    assert sum(day["count"] for day in closed) == 2


def test_cases_per_day_cover_the_window_oldest_first_and_nothing_outside(moderator):
    for moment in (
        WINDOW_START,
        WINDOW_END - timedelta(microseconds=1),
        WINDOW_START - timedelta(microseconds=1),
        WINDOW_END,
    ):
        case_opened_at(moment)

    opened = queue_health()["cases_opened_per_day"]

    assert opened[0] == {"date": "2026-02-09", "count": 1}
    assert opened[-1] == {"date": "2026-03-10", "count": 1}
    assert [day["count"] for day in opened[1:-1]] == [0] * 28


def test_cases_per_day_are_calendar_days_of_the_time_zone(settings):
    settings.TIME_ZONE = "Europe/Paris"  # UTC+1 in March
    case_opened_at(datetime(2026, 3, 9, 23, 30, tzinfo=UTC))  # 00:30 on the 10th in Paris

    opened = queue_health(zone=timezone.get_current_timezone())["cases_opened_per_day"]

    assert opened[-2:] == [{"date": "2026-03-09", "count": 0}, {"date": "2026-03-10", "count": 1}]


# --- each moderator's week ----------------------------------------------------------------


def test_each_moderator_has_their_actions_and_claims_of_the_week_busiest_first(moderator, clock):
    mona = ModeratorFactory(username="mona")
    clock(NOW)
    claimed = reported_message().case
    claim_case(claimed, moderator=mona, now=NOW)
    services.act_on_case(
        claimed, moderator=mona, actions=["hide", "warn"], reason="Abuse", warning="Stop"
    )
    claim_case(reported_message().case, moderator=moderator, now=NOW)
    warned(moderator)

    assert queue_health()["moderators_this_week"] == [
        {"username": "mona", "actions": 2, "claims": 1},
        {"username": "moderator", "actions": 1, "claims": 1},
    ]


def test_a_moderator_with_only_claims_is_listed_with_no_action(moderator, clock):
    clock(NOW)
    claim_case(reported_message().case, moderator=moderator, now=NOW)

    assert moderator_work(since=WEEK_START, before=WINDOW_END) == [
        {"username": "moderator", "actions": 0, "claims": 1}
    ]


def test_the_week_leaves_out_what_is_not_a_moderators_action(moderator, alice, clock):
    clock(NOW)
    case = reported_message().case
    services.add_note(author=moderator, text="Watch this one", case=case)
    record_audit_entry(action=AuditEntry.Action.EXPORT, actor=moderator)
    record_audit_entry(action=AuditEntry.Action.CASE_RELEASED, actor=moderator, case_id=case.pk)
    messaging_services.delete_account(alice, actor=alice)  # her own choice
    messaging_services.delete_account(UserFactory())  # a shell, no actor

    assert queue_health()["moderators_this_week"] == []


def test_the_week_is_the_last_seven_calendar_days(moderator, clock):
    for moment in (
        WEEK_START,
        WINDOW_END - timedelta(microseconds=1),
        WEEK_START - timedelta(microseconds=1),  # eight days ago
        WINDOW_END,  # tomorrow
    ):
        clock(moment)
        warned(moderator)

    assert queue_health()["moderators_this_week"] == [
        {"username": "moderator", "actions": 2, "claims": 0}
    ]


def test_a_deleted_moderator_keeps_their_week_under_their_name(moderator, clock):
    clock(NOW)
    case = reported_message().case
    claim_case(case, moderator=moderator, now=NOW)
    services.act_on_case(case, moderator=moderator, actions=["dismiss"], reason="Fine")
    moderator.delete()

    assert queue_health()["moderators_this_week"] == [
        {"username": "moderator", "actions": 1, "claims": 1}
    ]


def test_the_week_lists_at_most_the_busiest_moderators(clock):
    clock(NOW)
    for index in range(1, BUSIEST_MODERATORS + 2):  # mod01 to mod21, index actions each
        colleague = ModeratorFactory(username=f"mod{index:02}")
        for _ in range(index):
            warned(colleague)

    rows = queue_health()["moderators_this_week"]

    assert len(rows) == BUSIEST_MODERATORS
    assert rows[0] == {"username": "mod21", "actions": 21, "claims": 0}
    assert rows[-1] == {"username": "mod02", "actions": 2, "claims": 0}  # mod01 is left out


def test_moderators_as_busy_as_each_other_go_by_actions_then_claims_then_name(clock):
    clock(NOW)
    for name in ("zed", "amy", "bea"):
        warned(ModeratorFactory(username=name))
    claim_case(reported_message().case, moderator=ModeratorFactory(username="bea"), now=NOW)

    assert [row["username"] for row in queue_health()["moderators_this_week"]] == [
        "bea",
        "amy",
        "zed",
    ]


# --- appeals overturned --------------------------------------------------------------------


def test_no_decided_appeal_means_no_share():
    AppealFactory()  # open
    AppealFactory(status=Appeal.Status.ASKED)

    figures = queue_health()

    assert (figures["appeals_decided"], figures["appeals_overturned"]) == (0, 0)


def test_the_overturned_appeals_are_the_approved_ones_decided_in_the_window():
    decided_appeal(Appeal.Status.APPROVED, decided_at=NOW - timedelta(days=1))
    decided_appeal(Appeal.Status.APPROVED, decided_at=WINDOW_START)
    decided_appeal(Appeal.Status.REJECTED, decided_at=NOW - timedelta(days=2))
    decided_appeal(Appeal.Status.REJECTED, decided_at=WINDOW_END - timedelta(microseconds=1))
    decided_appeal(Appeal.Status.REJECTED, decided_at=NOW - timedelta(days=5))
    decided_appeal(Appeal.Status.APPROVED, decided_at=WINDOW_START - timedelta(microseconds=1))
    decided_appeal(Appeal.Status.APPROVED, decided_at=WINDOW_END)
    AppealFactory()  # undecided

    assert count_appeals_overturned(decided_from=WINDOW_START, decided_before=WINDOW_END) == (5, 2)
    figures = queue_health()
    assert (figures["appeals_decided"], figures["appeals_overturned"]) == (5, 2)


def test_an_appeal_goes_from_the_share_with_its_persons_account():
    gone = decided_appeal(Appeal.Status.APPROVED, decided_at=NOW)
    decided_appeal(Appeal.Status.REJECTED, decided_at=NOW)
    gone.user.delete()

    assert count_appeals_overturned(decided_from=WINDOW_START, decided_before=WINDOW_END) == (1, 0)


# --- budget and shape ---------------------------------------------------------------------


def test_queue_health_costs_six_queries_whatever_the_volume(django_assert_num_queries, moderator):
    for index in range(8):
        case = reported_message().case
        claim_case(case, moderator=moderator)
        if index % 2:
            services.act_on_case(case, moderator=moderator, actions=["dismiss"], reason="r")
        AppealFactory(status=Appeal.Status.APPROVED, decided_at=timezone.now())
        AppealFactory()

    today = timezone.localdate()
    with django_assert_num_queries(6):
        figures = compute_queue_health(
            first_day=today - timedelta(days=29),
            last_day=today,
            week_first_day=today - timedelta(days=6),
            zone=timezone.get_current_timezone(),
        )

    assert figures["oldest_open_case"] is not None
    assert figures["oldest_open_appeal"] is not None
    assert figures["cases_opened_per_day"][-1]["count"] == 8
    assert figures["cases_closed_per_day"][-1]["count"] == 4
    assert figures["moderators_this_week"] == [{"username": "moderator", "actions": 4, "claims": 8}]
    assert (figures["appeals_decided"], figures["appeals_overturned"]) == (8, 8)


def test_queue_health_is_plain_data_that_survives_a_json_round_trip(moderator, clock):
    clock(NOW)
    claim_case(reported_message().case, moderator=moderator, now=NOW)
    AppealFactory(created_at=NOW - timedelta(days=1))
    decided_appeal(Appeal.Status.APPROVED, decided_at=NOW)

    figures = queue_health()

    assert json.loads(json.dumps(figures)) == figures

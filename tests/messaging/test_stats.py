"""messaging.stats, as admin_ext.admin.dashboard_figures composes it: the dashboard's
figures, their query budget and their cache."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from admin_ext.admin.dashboard_figures import compute_dashboard_figures, dashboard_figures
from audit.models import AuditEntry
from audit.services import record_audit_entry
from messaging import services
from messaging.models import Message
from moderation.services import act_on_case
from tests.factories import (
    MessageFactory,
    MessageHistoryFactory,
    ReplyFactory,
    UserFactory,
    reported_message,
)

pytestmark = pytest.mark.django_db

# Far from the real clock, so a message left at its creation time is never in a
# window: every message that counts is placed explicitly.
NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
TODAY_START = datetime(2026, 3, 10, tzinfo=UTC)


def message_at(when: datetime, **fields) -> Message:
    # Written at ``when``, as sent then: the figures count a message when it is
    # created (messaging.figures), so moving its timestamp later would not count.
    return MessageFactory(timestamp=when, **fields)


# --- the figures ----------------------------------------------------------------


def test_messages_today_counts_the_calendar_day_of_now():
    message_at(TODAY_START)
    message_at(TODAY_START + timedelta(hours=23, minutes=59))
    message_at(TODAY_START - timedelta(seconds=1))  # yesterday

    assert compute_dashboard_figures(now=NOW)["messages_today"] == 2


def test_messages_this_week_counts_the_last_seven_calendar_days_today_included():
    message_at(TODAY_START - timedelta(days=6))  # first moment of the window
    message_at(TODAY_START - timedelta(days=2))
    message_at(NOW)
    message_at(TODAY_START - timedelta(days=6, seconds=1))  # eight days ago

    figures = compute_dashboard_figures(now=NOW)

    assert figures["messages_this_week"] == 3
    assert figures["week_start"] == "2026-03-04T00:00:00+00:00"


def test_days_are_calendar_days_of_the_configured_time_zone(settings):
    settings.TIME_ZONE = "Europe/Paris"  # UTC+1 in March
    message_at(datetime(2026, 3, 9, 23, 30, tzinfo=UTC))  # 00:30 on the 10th in Paris
    message_at(datetime(2026, 3, 9, 22, 59, tzinfo=UTC))  # 23:59 on the 9th in Paris

    figures = compute_dashboard_figures(now=NOW)

    assert figures["messages_today"] == 1
    assert figures["today_start"] == "2026-03-10T00:00:00+01:00"
    assert figures["messages_per_day"][-2:] == [
        {"date": "2026-03-09", "count": 1},
        {"date": "2026-03-10", "count": 1},
    ]


def test_unread_backlog_counts_the_unread_messages(alice, bob):
    MessageFactory(sender=alice, receiver=bob)
    MessageFactory(sender=bob, receiver=alice)
    MessageFactory(sender=alice, receiver=bob, read=True)

    figures = compute_dashboard_figures(now=NOW)

    assert figures["unread_backlog"] == 2
    assert figures["unread_backlog_is_estimate"] is False  # exact up to ESTIMATE_ABOVE


def test_edits_today_counts_the_history_rows_written_today():
    MessageHistoryFactory(edited_at=TODAY_START)
    MessageHistoryFactory(edited_at=NOW)
    MessageHistoryFactory(edited_at=TODAY_START - timedelta(microseconds=1))
    MessageHistoryFactory(edited_at=TODAY_START + timedelta(days=1))

    assert compute_dashboard_figures(now=NOW)["edits_today"] == 2


def test_accounts_deleted_this_week_counts_account_deletions_of_the_last_seven_days(
    moderator, alice, bob
):
    services.delete_account(alice, actor=moderator, reason="spam")
    services.delete_account(bob)
    record_audit_entry(action=AuditEntry.Action.MESSAGE_EDITED, actor=moderator)
    now = timezone.now()

    assert compute_dashboard_figures(now=now)["accounts_deleted_this_week"] == 2
    later = now + timedelta(days=7)
    assert compute_dashboard_figures(now=later)["accounts_deleted_this_week"] == 0


def test_top_senders_are_the_five_busiest_of_the_week_busiest_first():
    counts = {"dora": 1, "cleo": 4, "abel": 2, "bert": 2, "eric": 3, "finn": 1}
    for username, count in counts.items():
        sender = UserFactory(username=username)
        for _ in range(count):
            message_at(NOW - timedelta(days=1), sender=sender)
    # Before the week: does not count.
    message_at(TODAY_START - timedelta(days=7), sender=UserFactory(username="dora"))

    top = compute_dashboard_figures(now=NOW)["top_senders"]

    # Ties are in username order.
    assert [(row["username"], row["count"]) for row in top] == [
        ("cleo", 4),
        ("eric", 3),
        ("abel", 2),
        ("bert", 2),
        ("dora", 1),
    ]
    assert top[0]["user_id"] == UserFactory(username="cleo").pk


def test_messages_per_day_covers_thirty_days_oldest_first_missing_days_zero():
    message_at(TODAY_START - timedelta(days=29))  # first day of the chart
    message_at(TODAY_START - timedelta(days=30))  # one day too old
    message_at(TODAY_START - timedelta(days=3, hours=-5))
    message_at(TODAY_START - timedelta(days=3, hours=-6))
    message_at(NOW)

    per_day = compute_dashboard_figures(now=NOW)["messages_per_day"]

    assert len(per_day) == 30
    assert per_day[0] == {"date": "2026-02-09", "count": 1}
    assert per_day[-1] == {"date": "2026-03-10", "count": 1}
    assert per_day[-4] == {"date": "2026-03-07", "count": 2}
    assert sum(day["count"] for day in per_day) == 4
    assert [day["count"] for day in per_day[1:-4]] == [0] * 25


def test_tombstones_count_nowhere(alice, bob):
    # alice's message stays as a tombstone because bob replied below it.
    parent = message_at(NOW, sender=alice, receiver=bob)
    ReplyFactory(parent_message=parent, timestamp=NOW)
    services.delete_account(alice)

    figures = compute_dashboard_figures(now=NOW)

    assert Message.objects.get(pk=parent.pk).is_tombstone
    assert figures["messages_today"] == 1
    assert figures["messages_per_day"][-1]["count"] == 1
    assert [row["username"] for row in figures["top_senders"]] == ["bob"]


def test_the_figures_are_plain_data_that_survive_a_json_round_trip():
    message_at(NOW, sender=UserFactory(username="<b>ann</b>"))
    MessageHistoryFactory(edited_at=NOW)

    figures = compute_dashboard_figures(now=NOW)

    assert json.loads(json.dumps(figures)) == figures


def test_a_cold_computation_costs_fourteen_queries_whatever_the_volume(
    django_assert_num_queries, moderator
):
    senders = UserFactory.create_batch(8)
    for day in range(40):
        for sender in senders:
            message_at(NOW - timedelta(days=day), sender=sender)
    MessageHistoryFactory.create_batch(3, edited_at=NOW)
    services.delete_account(senders[0], actor=moderator)
    for index in range(6):
        case = reported_message().case
        if index % 2:
            act_on_case(
                case, moderator=moderator, actions=["hide", "warn"], reason="r", warning="w"
            )

    # Five for the message figures, three for the moderation figures, six for the
    # queue's health.
    with django_assert_num_queries(14):
        figures = compute_dashboard_figures(now=NOW)

    assert figures["open_cases"] == 3


def test_the_figures_hold_the_moderation_figures_over_the_charts_days():
    figures = compute_dashboard_figures(now=NOW)

    assert figures["open_cases"] == 0
    assert figures["median_first_action"] is None
    assert [day["date"] for day in figures["moderator_actions_per_day"]] == [
        day["date"] for day in figures["messages_per_day"]
    ]


# --- the cache ---------------------------------------------------------------------


def test_warm_figures_cost_no_query(django_assert_num_queries, alice, bob):
    MessageFactory(sender=alice, receiver=bob)
    cold = dashboard_figures()

    with django_assert_num_queries(0):
        warm = dashboard_figures()

    assert warm == cold


def test_a_new_message_drops_the_cached_figures(django_capture_on_commit_callbacks, alice, bob):
    assert dashboard_figures()["messages_today"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        services.send_message(sender=alice, receiver=bob, content="Hello")

    figures = dashboard_figures()
    assert (figures["messages_today"], figures["unread_backlog"]) == (1, 1)


def test_an_edit_drops_the_cached_figures(django_capture_on_commit_callbacks, alice, bob):
    message = services.send_message(sender=alice, receiver=bob, content="Hello")
    assert dashboard_figures()["edits_today"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        services.edit_message(message, editor=alice, content="Hello there")

    assert dashboard_figures()["edits_today"] == 1


def test_set_read_state_drops_the_cached_figures(
    django_capture_on_commit_callbacks, alice, bob, moderator
):
    MessageFactory.create_batch(2, sender=alice, receiver=bob)
    assert dashboard_figures()["unread_backlog"] == 2

    with django_capture_on_commit_callbacks(execute=True):
        services.set_read_state(Message.objects.all(), read=True, actor=moderator)

    assert dashboard_figures()["unread_backlog"] == 0


def test_mark_thread_read_drops_the_cached_figures(
    django_capture_on_commit_callbacks, conversation, bob
):
    root, _answer, _follow_up = conversation
    assert dashboard_figures()["unread_backlog"] == 3

    with django_capture_on_commit_callbacks(execute=True):
        services.mark_thread_read(reader=bob, thread_id=root.thread_id)

    assert dashboard_figures()["unread_backlog"] == 1


def test_an_account_deletion_drops_the_cached_figures(
    django_capture_on_commit_callbacks, moderator, alice, bob, carol
):
    MessageFactory.create_batch(3, sender=alice, receiver=bob)
    MessageFactory(sender=bob, receiver=alice)  # unread, to alice
    MessageFactory(sender=carol, receiver=bob)
    before = dashboard_figures()
    assert before["messages_today"] == 5
    assert before["unread_backlog"] == 5
    assert before["top_senders"][0] == {"user_id": alice.pk, "username": "alice", "count": 3}

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_account(alice, actor=moderator, reason="spam")

    after = dashboard_figures()
    assert after["messages_today"] == 2  # bob's (kept, receiver gone) and carol's
    assert after["messages_per_day"][-1]["count"] == 2
    # carol's; bob's to alice has nobody left to read it
    assert after["unread_backlog"] == 1
    assert "alice" not in [row["username"] for row in after["top_senders"]]
    assert after["accounts_deleted_this_week"] == 1

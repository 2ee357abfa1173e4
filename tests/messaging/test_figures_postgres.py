"""The dashboard's message figures where only PostgreSQL shows it: two sends at
once both counted (row locks of the upsert), and the unread backlog read from
the planner's statistics above messaging.stats.ESTIMATE_ABOVE."""

import random
import threading
import time
from datetime import date, timedelta

import pytest
from django.db import connection, transaction

from messaging import services
from messaging.figures import message_day
from messaging.models import MessageDayCount, SenderDayCount
from messaging.stats import TOP_SENDERS, count_unread_backlog, top_senders
from tests.factories import MessageFactory, UserFactory
from tests.messaging.test_concurrency import in_thread

pytestmark = pytest.mark.postgres


@pytest.mark.django_db(transaction=True)
def test_two_sends_at_once_are_both_counted(postgres_only, alice, bob, carol):
    first_has_counted = threading.Event()
    release_first = threading.Event()

    def first_send():
        with transaction.atomic():
            services.send_message(sender=alice, receiver=bob, content="first")
            first_has_counted.set()  # today's row is locked until this commits
            release_first.wait(10)

    first, first_errors = in_thread(first_send)
    assert first_has_counted.wait(10)
    second, second_errors = in_thread(
        lambda: services.send_message(sender=carol, receiver=bob, content="second")
    )
    time.sleep(0.5)
    assert second.is_alive(), "the second send should wait for today's row"
    release_first.set()
    first.join(10)
    second.join(10)

    assert first_errors == second_errors == []
    (day,) = {message_day(message.timestamp) for message in bob.received_messages.all()}
    assert MessageDayCount.objects.get(day=day).count == 2
    assert dict(SenderDayCount.objects.values_list("sender_id", "count")) == {
        alice.pk: 1,
        carol.pk: 1,
    }


@pytest.mark.django_db(transaction=True)
def test_many_concurrent_sends_lose_no_count(postgres_only):
    people = UserFactory.create_batch(4)
    rounds = 10

    def send_many(sender, receiver):
        for number in range(rounds):
            services.send_message(sender=sender, receiver=receiver, content=f"m{number}")

    workers = [
        in_thread(send_many, sender, people[(index + 1) % len(people)])
        for index, sender in enumerate(people)
    ]
    for worker, _ in workers:
        worker.join(30)

    assert [errors for _, errors in workers] == [[]] * len(people)
    assert sum(MessageDayCount.objects.values_list("count", flat=True)) == rounds * len(people)
    assert set(SenderDayCount.objects.values_list("count", flat=True)) == {rounds}


def analyse_messages() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE messaging_message")


@pytest.mark.django_db
def test_the_unread_backlog_is_the_planners_estimate_above_the_threshold(postgres_only, alice, bob):
    MessageFactory.create_batch(3, sender=alice, receiver=bob)
    MessageFactory(sender=alice, receiver=bob, read=True)
    analyse_messages()

    assert count_unread_backlog(estimate_above=2) == (3, True)


@pytest.mark.django_db
def test_the_unread_backlog_is_exact_up_to_the_threshold(postgres_only, alice, bob):
    MessageFactory.create_batch(3, sender=alice, receiver=bob)
    analyse_messages()
    MessageFactory(sender=alice, receiver=bob)  # after the statistics: only a count sees it

    assert count_unread_backlog(estimate_above=3) == (4, False)
    assert count_unread_backlog() == (4, False)


@pytest.mark.django_db
def test_the_unread_backlog_is_exact_without_statistics_of_the_index(
    postgres_only, monkeypatch, alice, bob
):
    MessageFactory.create_batch(2, sender=alice, receiver=bob)
    analyse_messages()
    monkeypatch.setattr("messaging.stats.UNREAD_INDEX", "msg_no_such_idx")  # renamed, dropped

    assert count_unread_backlog(estimate_above=0) == (2, False)


# --- the week's top senders: PostgreSQL reads each day's busiest first -------------------

WEEK = [date(2026, 3, 4) + timedelta(days=offset) for offset in range(7)]


def expected_top(rows) -> list[tuple[str, int]]:
    totals: dict[str, int] = {}
    for _day, user, count in rows:
        totals[user.username] = totals.get(user.username, 0) + count
    ranked = sorted((item for item in totals.items() if item[1] > 0), key=lambda i: (-i[1], i[0]))
    return ranked[:TOP_SENDERS]


def top_of_week() -> list[tuple[str, int]]:
    return [
        (row["username"], row["count"]) for row in top_senders(first_day=WEEK[0], last_day=WEEK[-1])
    ]


@pytest.mark.django_db
def test_a_flat_week_is_summed_whole_where_the_busiest_of_each_day_are_not_enough(
    postgres_only, monkeypatch
):
    monkeypatch.setattr("messaging.stats.CANDIDATES_PER_DAY", 1)
    x, y, z, w = (UserFactory(username=name) for name in ("x", "y", "z", "w"))
    # Each day's busiest (x, then w) are not the week's busiest (y and z).
    rows = [(WEEK[0], x, 5), (WEEK[0], y, 4), (WEEK[0], z, 4)]
    rows += [(WEEK[1], w, 5), (WEEK[1], y, 4), (WEEK[1], z, 4)]
    SenderDayCount.objects.bulk_create(
        SenderDayCount(day=day, sender=user, count=count) for day, user, count in rows
    )

    assert top_of_week() == [("y", 8), ("z", 8), ("w", 5), ("x", 5)]


@pytest.mark.django_db
@pytest.mark.parametrize(("seed", "per_day"), [(1, 1), (2, 2), (3, 3), (4, 50)])
def test_the_top_senders_are_exact_whatever_each_days_list_holds(
    postgres_only, monkeypatch, seed, per_day
):
    monkeypatch.setattr("messaging.stats.CANDIDATES_PER_DAY", per_day)
    rng = random.Random(seed)
    people = [UserFactory(username=f"s{seed}_{index:02}") for index in range(15)]
    # A long tail, as people send: a few busy accounts, many quiet ones, ties.
    rows = [
        (day, person, rng.choice([0, 1, 1, 2, 3, 5, 8, 40 if index < 3 else 4]))
        for day in WEEK
        for index, person in enumerate(people)
        if rng.random() < 0.7
    ]
    SenderDayCount.objects.bulk_create(
        SenderDayCount(day=day, sender=user, count=count) for day, user, count in rows
    )

    assert top_of_week() == expected_top(rows)

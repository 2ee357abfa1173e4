"""messaging.figures: the dashboard's per-day and per-sender counts, kept in the
transaction of every write that adds or removes a counted message, and always
equal to an exact recount (rebuild_message_figures)."""

import io
import random
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import transaction

from messaging import services
from messaging.figures import message_day, rebuild_message_figures
from messaging.models import Message, MessageDayCount, SenderDayCount
from messaging.stats import compute_message_figures
from tests.factories import MessageFactory, ReplyFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)


def day_counts() -> dict[date, int]:
    return {
        day: count
        for day, count in MessageDayCount.objects.values_list("day", "count")
        if count  # a day whose messages all went keeps a row at 0
    }


def sender_counts() -> dict[tuple[date, int], int]:
    return {
        (day, sender_id): count
        for day, sender_id, count in SenderDayCount.objects.values_list("day", "sender_id", "count")
        if count
    }


def assert_counts_match_a_recount() -> None:
    kept = (day_counts(), sender_counts())
    with transaction.atomic():
        rebuild_message_figures()
    assert kept == (day_counts(), sender_counts())


def test_a_sent_message_counts_on_its_day_and_for_its_sender(alice, bob):
    message = services.send_message(sender=alice, receiver=bob, content="Hello")

    day = message_day(message.timestamp)
    assert day_counts() == {day: 1}
    assert sender_counts() == {(day, alice.pk): 1}


def test_a_reply_counts_for_the_person_replying(alice, bob):
    root = services.send_message(sender=alice, receiver=bob, content="Hello")

    services.reply(sender=bob, parent=root, content="Hi")
    services.reply(sender=alice, parent=root, content="How are you?")

    day = message_day(root.timestamp)
    assert day_counts() == {day: 3}
    assert sender_counts() == {(day, alice.pk): 2, (day, bob.pk): 1}


def test_an_edit_changes_no_count(alice, bob, moderator):
    message = services.send_message(sender=alice, receiver=bob, content="Hello")
    before = (day_counts(), sender_counts())

    services.edit_message(message, editor=alice, content="Hello there")
    services.edit_message(message, editor=moderator, content="[removed]")

    assert (day_counts(), sender_counts()) == before


def test_hiding_and_showing_a_message_change_no_count(alice, bob):
    message = services.send_message(sender=alice, receiver=bob, content="Hello")
    before = (day_counts(), sender_counts())

    assert services.set_message_hidden(message, hidden=True)
    assert (day_counts(), sender_counts()) == before
    assert services.set_message_hidden(message, hidden=False)
    assert (day_counts(), sender_counts()) == before


def test_reading_changes_no_count(alice, bob):
    message = services.send_message(sender=alice, receiver=bob, content="Hello")
    before = (day_counts(), sender_counts())

    services.mark_read(message, reader=bob)

    assert (day_counts(), sender_counts()) == before


def test_a_message_counts_on_its_calendar_day_in_the_time_zone(settings, alice, bob):
    settings.TIME_ZONE = "Europe/Paris"  # UTC+1 in March

    MessageFactory(sender=alice, receiver=bob, timestamp=datetime(2026, 3, 9, 23, 30, tzinfo=UTC))
    MessageFactory(sender=alice, receiver=bob, timestamp=datetime(2026, 3, 9, 22, 59, tzinfo=UTC))

    assert day_counts() == {date(2026, 3, 10): 1, date(2026, 3, 9): 1}
    assert_counts_match_a_recount()


def test_deleting_an_account_takes_off_its_messages_and_keeps_the_others(
    alice, bob, carol, moderator
):
    kept_root = MessageFactory(sender=alice, receiver=bob, timestamp=NOW)  # bob replies below
    ReplyFactory(parent_message=kept_root, timestamp=NOW)
    MessageFactory(sender=alice, receiver=carol, timestamp=NOW - timedelta(days=2))
    MessageFactory(sender=bob, receiver=alice, timestamp=NOW)  # to alice: stays, bob's
    MessageFactory(sender=carol, receiver=bob, timestamp=NOW - timedelta(days=2))

    services.delete_account(alice, actor=moderator, reason="spam")

    assert Message.objects.get(pk=kept_root.pk).is_tombstone
    two_days_ago = TODAY - timedelta(days=2)
    assert day_counts() == {TODAY: 2, two_days_ago: 1}
    assert sender_counts() == {(TODAY, bob.pk): 2, (two_days_ago, carol.pk): 1}
    assert not SenderDayCount.objects.filter(sender_id=alice.pk).exists()
    assert_counts_match_a_recount()


def test_an_account_deleted_outside_the_service_leaves_the_counts_exact(alice, bob):
    root = MessageFactory(sender=alice, receiver=bob, timestamp=NOW)
    ReplyFactory(parent_message=root, timestamp=NOW)

    alice.delete()  # the admin's own delete, a shell: the pre_delete receiver erases

    assert day_counts() == {TODAY: 1}
    assert sender_counts() == {(TODAY, bob.pk): 1}


def test_a_message_deleted_through_the_orm_is_taken_off(alice, bob):
    first, second = MessageFactory.create_batch(2, sender=alice, receiver=bob, timestamp=NOW)

    second.delete()
    Message.objects.filter(pk=first.pk).delete()

    assert (day_counts(), sender_counts()) == ({}, {})
    assert_counts_match_a_recount()


def test_a_rolled_back_send_counts_nothing(alice, bob):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.send_message(sender=alice, receiver=bob, content="Hello")
        raise RuntimeError("the write fails after the save")

    assert (day_counts(), sender_counts()) == ({}, {})


def test_the_dashboard_figures_read_the_counts(alice, bob, carol):
    MessageFactory.create_batch(3, sender=alice, receiver=bob, timestamp=NOW)
    MessageFactory(sender=carol, receiver=bob, timestamp=NOW - timedelta(days=6))
    MessageFactory(sender=carol, receiver=bob, timestamp=NOW - timedelta(days=20))
    # Rows the dashboard reads, not the messages: a recount by hand shows it.
    MessageDayCount.objects.filter(day=TODAY).update(count=40)

    figures = compute_message_figures(now=NOW)

    assert figures["messages_today"] == 40
    assert figures["messages_this_week"] == 41
    assert sum(day["count"] for day in figures["messages_per_day"]) == 42
    assert [(row["username"], row["count"]) for row in figures["top_senders"]] == [
        ("alice", 3),
        ("carol", 1),
    ]


def test_top_senders_keep_every_tie_at_the_fifth_place_in_username_order():
    for username in ("fay", "eve", "dan", "cat", "bea", "amy", "zed"):
        MessageFactory(sender=UserFactory(username=username), timestamp=NOW)
    MessageFactory(sender=UserFactory(username="zed"), timestamp=NOW)

    top = compute_message_figures(now=NOW)["top_senders"]

    assert [(row["username"], row["count"]) for row in top] == [
        ("zed", 2),
        ("amy", 1),
        ("bea", 1),
        ("cat", 1),
        ("dan", 1),
    ]


# --- recounts: the command and the bulk writers ------------------------------------------


def test_the_rebuild_command_recounts_from_the_messages(alice, bob):
    MessageFactory.create_batch(2, sender=alice, receiver=bob, timestamp=NOW)
    MessageDayCount.objects.all().delete()  # as if lost or counted in another time zone
    SenderDayCount.objects.update(count=99)
    stdout = io.StringIO()

    call_command("rebuild_message_figures", stdout=stdout)

    assert day_counts() == {TODAY: 2}
    assert sender_counts() == {(TODAY, alice.pk): 2}
    assert "Recounted 1 days and 1 sender days" in stdout.getvalue()


def test_generated_messages_are_counted():
    call_command(
        "generate_messages", users=20, messages=500, seed=3, no_progress=True, stdout=io.StringIO()
    )

    assert sum(day_counts().values()) == Message.objects.filter(is_tombstone=False).count()
    assert_counts_match_a_recount()


def test_demo_messages_are_counted(settings):
    settings.DEBUG = True  # load_demo_data runs only with DEBUG=1

    call_command("load_demo_data", verbosity=0, stdout=io.StringIO())

    assert sum(day_counts().values()) == Message.objects.filter(is_tombstone=False).count() > 0
    assert_counts_match_a_recount()


# --- any sequence of writes --------------------------------------------------------------


def random_write(rng: random.Random, step: int, people: list, moderator) -> None:
    """One write a person or a moderator might make, chosen by ``rng``."""
    alive = [person for person in people if person.pk is not None]
    messages = list(Message.objects.filter(is_tombstone=False).order_by("pk"))
    action = rng.choice(["send", "send", "reply", "reply", "edit", "hide", "delete_message"])
    if step % 15 == 14 and len(alive) > 2:
        leaver = rng.choice(alive)
        services.delete_account(leaver, actor=moderator, reason="random")
        leaver.pk = None
    elif action == "send" or not messages:
        sender, receiver = rng.sample(alive, 2)
        when = NOW - timedelta(days=rng.randrange(5), hours=rng.randrange(24))
        MessageFactory(sender=sender, receiver=receiver, timestamp=when)
    elif action == "reply":
        parent = rng.choice(messages)
        if parent.receiver_id is not None:
            services.reply(sender=parent.receiver, parent=parent, content=f"reply {step}")
    elif action == "edit":
        services.edit_message(rng.choice(messages), editor=moderator, content=f"edit {step}")
    elif action == "hide":
        services.set_message_hidden(rng.choice(messages), hidden=rng.random() < 0.7)
    else:
        leaf = rng.choice(messages)
        if not leaf.replies.exists():
            leaf.delete()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_any_sequence_of_writes_keeps_the_counts_equal_to_a_recount(settings, seed, moderator):
    # A zone with a day boundary away from UTC's, and messages over several days.
    settings.TIME_ZONE = "America/Sao_Paulo"
    rng = random.Random(seed)
    people = [UserFactory(username=f"p{seed}_{index}") for index in range(6)]
    for step in range(60):
        random_write(rng, step, people, moderator)
        if step % 10 == 9:
            assert_counts_match_a_recount()
    assert_counts_match_a_recount()
    assert sum(day_counts().values()) == Message.objects.filter(is_tombstone=False).count()

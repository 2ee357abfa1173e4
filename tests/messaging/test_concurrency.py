"""Races that only a real database with row locks can show (PostgreSQL)."""

import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction

from messaging import services
from messaging.models import Message, MessageHistory
from tests.factories import MessageFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def in_thread(function, *args, **kwargs):
    """Run ``function`` in a thread with its own database connection."""
    errors = []

    def run():
        try:
            function(*args, **kwargs)
        except Exception as error:  # reported to the test below
            errors.append(error)
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    return worker, errors


def test_an_edit_waiting_for_another_records_the_text_the_first_left(postgres_only, alice, bob):
    message = MessageFactory(sender=alice, receiver=bob, content="original")
    first_has_lock = threading.Event()
    release_first = threading.Event()

    def first_edit():
        with transaction.atomic():
            services.edit_message(Message.objects.get(pk=message.pk), editor=alice, content="first")
            first_has_lock.set()
            release_first.wait(10)

    first, first_errors = in_thread(first_edit)
    assert first_has_lock.wait(10)
    second, second_errors = in_thread(
        lambda: services.edit_message(
            Message.objects.get(pk=message.pk), editor=alice, content="second"
        )
    )
    time.sleep(0.5)  # the second edit is now waiting for the row lock
    release_first.set()
    first.join(10)
    second.join(10)

    assert first_errors == second_errors == []
    old_texts = list(MessageHistory.objects.order_by("id").values_list("old_content", flat=True))
    assert old_texts == ["original", "first"]
    assert Message.objects.get(pk=message.pk).content == "second"


def test_a_plain_save_waiting_for_another_records_the_text_the_first_left(
    postgres_only, alice, bob
):
    # No service and no transaction of the caller's: Message.save's own transaction
    # keeps the edit history receiver's row lock until the row is written.
    message = MessageFactory(sender=alice, receiver=bob, content="original")
    first_has_lock = threading.Event()
    release_first = threading.Event()

    def save_as(text):
        loaded = Message.objects.get(pk=message.pk)
        loaded.content = text
        loaded.save()

    def first_save():
        with transaction.atomic():
            save_as("first")
            first_has_lock.set()
            release_first.wait(10)

    first, first_errors = in_thread(first_save)
    assert first_has_lock.wait(10)
    second, second_errors = in_thread(save_as, "second")
    time.sleep(0.5)  # the second save is now waiting for the row lock
    release_first.set()
    first.join(10)
    second.join(10)

    assert first_errors == second_errors == []
    old_texts = list(MessageHistory.objects.order_by("id").values_list("old_content", flat=True))
    assert old_texts == ["original", "first"]
    assert Message.objects.get(pk=message.pk).content == "second"


def test_eight_writers_editing_one_message_twenty_times_each_are_all_recorded(
    postgres_only, alice, bob
):
    message = MessageFactory(sender=alice, receiver=bob, content="start")
    start = threading.Barrier(8)

    def writer(number):
        start.wait(10)
        for edit in range(20):
            services.edit_message(
                Message.objects.get(pk=message.pk), editor=alice, content=f"w{number} e{edit}"
            )

    workers = [in_thread(writer, number) for number in range(8)]
    for worker, _errors in workers:
        worker.join(60)
    close_old_connections()

    assert [error for _worker, errors in workers for error in errors] == []
    history = list(MessageHistory.objects.order_by("id").values_list("old_content", flat=True))
    assert len(history) == 160
    # Each row holds the text the previous edit left: every text written appears
    # exactly once as an old text, except the last one, which is the current text.
    final = Message.objects.get(pk=message.pk).content
    written = {f"w{number} e{edit}" for number in range(8) for edit in range(20)}
    assert history[0] == "start"
    assert sorted([*history, final]) == sorted({"start", *written})

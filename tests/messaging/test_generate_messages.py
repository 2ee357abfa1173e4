"""manage.py generate_messages: the large-data generator, at small sizes."""

import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.test import RequestFactory
from django.utils import timezone

from fixtures.generator import Plan, message_batches
from messaging import services
from messaging.models import Message, MessageHistory, Notification

pytestmark = pytest.mark.django_db


def generate(**options):
    call_command("generate_messages", no_progress=True, stdout=io.StringIO(), **options)


def test_it_creates_exactly_the_users_and_messages_asked_for():
    generate(users=30, messages=2_000, seed=5)

    assert get_user_model().objects.filter(username__startswith="gen5_").count() == 30
    assert Message.objects.count() == 2_000
    assert Notification.objects.count() == 2_000


def test_threads_depths_and_parents_are_consistent():
    generate(users=30, messages=2_000, seed=5)

    messages = {m.pk: m for m in Message.objects.all()}
    for message in messages.values():
        if message.parent_message_id is None:
            assert (message.thread_id, message.depth) == (message.pk, 0)
        else:
            parent = messages[message.parent_message_id]
            assert message.thread_id == parent.thread_id
            assert message.depth == parent.depth + 1
            assert (message.sender_id, message.receiver_id) == (
                parent.receiver_id,
                parent.sender_id,
            )
            assert message.timestamp >= parent.timestamp


def test_the_shape_is_realistic():
    generate(users=500, messages=20_000, seed=9)

    total = Message.objects.count()
    assert 0.25 < Message.unread.count() / total < 0.35
    edited = Message.objects.filter(edited=True)
    assert 0.08 < edited.count() / total < 0.12
    assert MessageHistory.objects.count() >= edited.count()
    sizes = sorted(
        Message.objects.values("thread_id").annotate(n=Count("id")).values_list("n", flat=True)
    )
    assert sizes[len(sizes) // 2] <= 2  # most threads are short
    assert sizes[-1] >= 50  # a few are long
    top_sender = Message.objects.values("sender").annotate(n=Count("id")).order_by("-n")[0]["n"]
    assert top_sender > 4 * total / 500  # a very large account


def test_the_same_seed_gives_the_same_data():
    plan = Plan(
        users=10, messages=500, seed=3, first_user_id=1, first_message_id=1,
        first_notification_id=1, first_history_id=1, now=timezone.now(),
    )  # fmt: skip

    first = list(message_batches(plan, list(range(1, 11)), 100))
    second = list(message_batches(plan, list(range(1, 11)), 100))

    assert [b.messages for b in first] == [b.messages for b in second]
    assert [b.history for b in first] == [b.history for b in second]


def test_generated_users_can_log_in_and_the_app_keeps_working_after():
    generate(users=5, messages=100, seed=2)
    user = authenticate(
        RequestFactory().get("/"), username="gen2_000000", password="generated-2026"
    )  # django-axes (first authentication backend) needs the request
    other = get_user_model().objects.get(username="gen2_000001")

    message = services.send_message(sender=user, receiver=other, content="after generation")

    assert message.thread_id == message.pk  # ids continue after the generated ones
    assert Notification.objects.filter(message=message).count() == 1


def test_bad_arguments_are_refused_with_a_clear_message():
    with pytest.raises(CommandError, match="at least 2"):
        generate(users=1, messages=10, seed=1)
    with pytest.raises(CommandError, match="messages"):
        call_command("generate_messages", "--users", "5", "--messages", "-3")


def test_the_same_seed_twice_is_refused_and_writes_nothing_more():
    generate(users=5, messages=50, seed=4)

    with pytest.raises(CommandError, match="seed 4 exist already"):
        generate(users=5, messages=50, seed=4)

    assert Message.objects.count() == 50

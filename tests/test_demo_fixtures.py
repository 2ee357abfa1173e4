"""The demo data of `make run` (fixtures/*.json): it loads, loads again, is
consistent with the models' invariants and shows what the demo promises.

The command that loads it, and the databases it refuses, are in
tests/fixtures/test_load_demo_data.py."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory

from fixtures.management.commands.load_demo_data import DEMO_FIXTURES
from messaging import services
from messaging.models import Message, MessageHistory, Notification

# The logins the Makefile prints for `make run`.
DEMO_LOGINS = [
    ("moderator", "moderate-2026"),
    ("admin", "moderate-2026"),
    ("amara", "demo-password-2026"),
]


def fixture_path(name: str) -> Path:
    for directory in settings.FIXTURE_DIRS:
        path = Path(directory) / f"{name}.json"
        if path.exists():
            return path
    raise FileNotFoundError(f"{name}.json is in none of FIXTURE_DIRS")


def rows_in_fixtures() -> Counter[str]:
    """How many rows of each model ("app_label.model") the demo fixtures hold."""
    counts: Counter[str] = Counter()
    for name in DEMO_FIXTURES:
        counts.update(row["model"] for row in json.loads(fixture_path(name).read_text()))
    return counts


def rows_in_database() -> Counter[str]:
    return Counter(
        {
            "auth.user": get_user_model().objects.count(),
            "messaging.message": Message.objects.count(),
            "messaging.messagehistory": MessageHistory.objects.count(),
            "messaging.notification": Notification.objects.count(),
        }
    )


def load_demo_data() -> None:
    call_command("loaddata", *DEMO_FIXTURES, verbosity=0)


@pytest.fixture
def demo_data(db):
    load_demo_data()


def tree_positions() -> dict[int, tuple[int, int]]:
    """Each message's actual root and distance from it, found by following
    parent_message up (not trusting the stored thread and depth)."""
    parent_of = dict(Message.objects.values_list("id", "parent_message_id"))
    positions = {}
    for message_id in parent_of:
        current, distance = message_id, 0
        while parent_of[current] is not None:
            current = parent_of[current]
            distance += 1
            assert distance <= len(parent_of), f"parent_message of {message_id} loops"
        positions[message_id] = (current, distance)
    return positions


# --- Loading -------------------------------------------------------------------------


def test_fixtures_hold_only_the_four_demo_models():
    assert set(rows_in_fixtures()) == {
        "auth.user",
        "messaging.message",
        "messaging.messagehistory",
        "messaging.notification",
    }


def test_loading_stores_every_fixture_row(demo_data):
    assert rows_in_database() == rows_in_fixtures()


def test_loading_creates_no_notifications_beyond_the_fixture_rows(demo_data):
    # The post_save receiver must skip raw (loaddata) saves, or every message would
    # get a second notification on top of the one in 04_notifications.
    assert Notification.objects.count() == rows_in_fixtures()["messaging.notification"]


def test_loading_creates_no_edit_history_beyond_the_fixture_rows(demo_data):
    assert MessageHistory.objects.count() == rows_in_fixtures()["messaging.messagehistory"]


def test_loading_twice_leaves_the_same_rows(demo_data):
    load_demo_data()

    assert rows_in_database() == rows_in_fixtures()


# --- Thread invariants -------------------------------------------------------------


def test_every_message_points_at_its_thread_root(demo_data):
    positions = tree_positions()

    wrong = {
        message_id: (thread_id, positions[message_id][0])
        for message_id, thread_id in Message.objects.values_list("id", "thread_id")
        if thread_id != positions[message_id][0]
    }
    assert wrong == {}, "message id: (stored thread, actual root)"


def test_every_message_depth_is_its_distance_to_the_root(demo_data):
    positions = tree_positions()

    wrong = {
        message_id: (depth, positions[message_id][1])
        for message_id, depth in Message.objects.values_list("id", "depth")
        if depth != positions[message_id][1]
    }
    assert wrong == {}, "message id: (stored depth, actual distance)"


# --- What the demo shows -----------------------------------------------------------


def test_demo_has_at_least_25_users(demo_data):
    assert get_user_model().objects.count() >= 25


def test_demo_moderator_is_staff_in_the_moderators_group_but_not_superuser(demo_data):
    moderator = get_user_model().objects.get(username="moderator")

    assert moderator.is_staff
    assert not moderator.is_superuser
    assert list(moderator.groups.values_list("name", flat=True)) == ["Moderators"]


def test_demo_moderator_gets_the_moderator_permissions_through_the_group(demo_data):
    moderator = get_user_model().objects.get(username="moderator")

    assert moderator.has_perms(["messaging.change_message", "auth.delete_user"])
    assert not moderator.has_perm("messaging.delete_message")


@pytest.mark.parametrize(("username", "password"), DEMO_LOGINS)
def test_demo_login_printed_by_make_run_works(demo_data, username, password):
    # django-axes (first authentication backend) needs the request.
    user = authenticate(RequestFactory().get("/"), username=username, password=password)

    assert user is not None
    assert user.get_username() == username


def test_demo_has_threads_at_least_four_levels_deep(demo_data):
    # Four levels: the root and three generations of replies below it.
    deep_threads = set(Message.objects.filter(depth__gte=3).values_list("thread_id", flat=True))

    assert len(deep_threads) >= 2


def test_demo_has_edited_messages(demo_data):
    assert Message.objects.filter(edited=True).exists()


def test_every_edited_demo_message_has_edit_history(demo_data):
    edited_without_history = Message.objects.filter(edited=True, history__isnull=True)

    assert list(edited_without_history.values_list("id", flat=True)) == []


def test_demo_has_unread_messages(demo_data):
    assert Message.objects.filter(read=False, receiver__isnull=False).exists()


# --- Writing after loading -----------------------------------------------------------


def test_send_message_after_loading_gets_a_fresh_primary_key(demo_data):
    # loaddata writes explicit ids; on PostgreSQL it must reset the id sequence or
    # this insert collides with message 1 (IntegrityError).
    users = get_user_model().objects
    highest_id = Message.objects.order_by("-id").values_list("id", flat=True).first()

    message = services.send_message(
        sender=users.get(username="amara"), receiver=users.get(username="ben"), content="Hello"
    )

    assert message.pk > highest_id
    assert message.thread_id == message.pk


def test_send_message_after_loading_creates_exactly_one_notification(demo_data):
    users = get_user_model().objects
    ben = users.get(username="ben")
    notifications_before = Notification.objects.count()

    message = services.send_message(
        sender=users.get(username="amara"), receiver=ben, content="Hello"
    )

    assert Notification.objects.count() == notifications_before + 1
    notification = Notification.objects.get(message=message)
    assert notification.user == ben
    assert notification.kind == Notification.Kind.NEW_MESSAGE

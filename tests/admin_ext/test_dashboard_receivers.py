"""admin_ext.admin.dashboard_receivers: every kind of write that changes a figure
drops the cached figures, once it commits, and no domain app calls the cache.

Each test warms the cache, makes one write with the on-commit callbacks run,
and reads the figures again through the cache: a figure that changed proves the
drop. The writes already covered beside their figures (a message sent or
edited, read states set by a moderator or a thread read, an account deleted by
the service, a report, a case action) are in tests/messaging/test_stats.py and
tests/moderation/test_stats.py.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction

from admin_ext.admin.dashboard_figures import dashboard_figures
from messaging import services
from moderation import retention
from moderation.models import Case
from moderation.services import act_on_case, lift_suspension, suspend_user
from moderation_site.dashboard_cache import DASHBOARD_FIGURES_KEY, forget_dashboard_figures
from tests.factories import MessageFactory, reported_message

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_APPS = ("audit", "jobs", "messaging", "moderation")


def test_a_message_read_by_its_receiver_drops_the_figures(
    django_capture_on_commit_callbacks, alice, bob
):
    message = MessageFactory(sender=alice, receiver=bob)
    assert dashboard_figures()["unread_backlog"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        services.mark_read(message, reader=bob)

    assert dashboard_figures()["unread_backlog"] == 0


def test_a_reply_drops_the_figures(django_capture_on_commit_callbacks, alice, bob):
    root = services.send_message(sender=alice, receiver=bob, content="Hello")
    assert dashboard_figures()["messages_today"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        services.reply(sender=bob, parent=root, content="Hi")

    assert dashboard_figures()["messages_today"] == 2


def test_an_account_deleted_outside_the_service_drops_the_figures(
    django_capture_on_commit_callbacks, alice, bob
):
    MessageFactory.create_batch(2, sender=alice, receiver=bob)
    before = dashboard_figures()
    assert (before["messages_today"], before["accounts_deleted_this_week"]) == (2, 0)

    with django_capture_on_commit_callbacks(execute=True):
        alice.delete()  # a shell, the admin's own delete: the user's signals run

    after = dashboard_figures()
    assert (after["messages_today"], after["accounts_deleted_this_week"]) == (0, 1)


def test_an_account_deletion_takes_its_open_case_off_the_figures(
    django_capture_on_commit_callbacks, alice, moderator
):
    reported_message(author=alice)
    assert dashboard_figures()["open_cases"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_account(alice, actor=moderator, reason="spam")

    assert dashboard_figures()["open_cases"] == 0


def test_a_dismissed_case_drops_the_figures(django_capture_on_commit_callbacks, moderator):
    case = reported_message().case
    before = dashboard_figures()
    assert (before["open_cases"], before["moderator_actions_per_day"][-1]["count"]) == (1, 0)

    with django_capture_on_commit_callbacks(execute=True):
        act_on_case(case, moderator=moderator, actions=["dismiss"], reason="Nothing wrong")

    after = dashboard_figures()
    assert (after["open_cases"], after["moderator_actions_per_day"][-1]["count"]) == (0, 1)
    assert after["median_first_action"] is not None


def test_a_sanction_outside_any_case_drops_the_figures(
    django_capture_on_commit_callbacks, alice, moderator
):
    suspend_user(alice, moderator=moderator, reason="Spam")
    assert dashboard_figures()["moderator_actions_per_day"][-1]["count"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        lift_suspension(alice, moderator=moderator, reason="Appeal granted")

    assert dashboard_figures()["moderator_actions_per_day"][-1]["count"] == 2


def test_an_evidence_purge_drops_the_figures(django_capture_on_commit_callbacks, moderator):
    case = reported_message().case
    act_on_case(case, moderator=moderator, actions=["warn"], reason="r", warning="w")
    retain_until = Case.objects.get(pk=case.pk).retain_until
    assert dashboard_figures()["median_first_action"] is not None

    with django_capture_on_commit_callbacks(execute=True):
        purged = retention.purge_expired_evidence(now=retain_until + timedelta(seconds=1))

    assert purged == 1
    assert dashboard_figures()["median_first_action"] is None


def test_a_demo_load_drops_the_figures(django_capture_on_commit_callbacks, settings):
    settings.DEBUG = True  # load_demo_data runs only with DEBUG=1
    assert dashboard_figures()["messages_this_week"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo_data", verbosity=0, stdout=io.StringIO())

    # Raw saves and update() send no signal: the command drops the figures itself.
    assert dashboard_figures()["messages_this_week"] > 0


# --- after commit only -----------------------------------------------------------------


def test_the_figures_are_dropped_only_once_the_write_commits(
    django_capture_on_commit_callbacks, alice, bob
):
    dashboard_figures()

    with django_capture_on_commit_callbacks() as callbacks:
        services.send_message(sender=alice, receiver=bob, content="Hello")

    # Before the commit a page would recompute counts without the new message.
    assert cache.get(DASHBOARD_FIGURES_KEY) is not None
    assert forget_dashboard_figures in callbacks
    for callback in callbacks:
        callback()
    assert cache.get(DASHBOARD_FIGURES_KEY) is None


def test_a_write_rolled_back_leaves_the_figures_cached(
    django_capture_on_commit_callbacks, alice, bob
):
    dashboard_figures()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.send_message(sender=alice, receiver=bob, content="Hello")
        raise RuntimeError("the write fails after the save")

    assert forget_dashboard_figures not in callbacks
    assert cache.get(DASHBOARD_FIGURES_KEY) is not None


def test_a_write_that_changes_nothing_keeps_the_figures(
    django_capture_on_commit_callbacks, conversation, carol
):
    root, *_ = conversation

    with django_capture_on_commit_callbacks() as callbacks:
        services.mark_thread_read(reader=carol, thread_id=root.thread_id)  # not carol's

    assert forget_dashboard_figures not in callbacks


def test_no_domain_app_drops_the_figures_itself():
    # The domain says what happened (model signals, messaging.events,
    # moderation.events); only the dashboard's receivers know the figures exist.
    callers = [
        f"{path.relative_to(ROOT)}:{number}"
        for app in DOMAIN_APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bdashboard_cache\b|\bforget_dashboard_figures", line)
    ]
    assert callers == []

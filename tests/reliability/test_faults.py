"""Faults around account deletion (PostgreSQL: real row locks, a real worker).

- The same account deleted twice at once (two moderators, or a moderator and the
  person themselves): one deletion, one audit entry, no error page.
- The task worker killed (SIGKILL) in the middle of a deletion job: every account
  is either whole or entirely gone, the job shows as running with a heartbeat
  that stopped, is stalled once STALLED_AFTER has passed, and a retry finishes
  it, deleting each account exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import close_old_connections, connection
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

import jobs.models
from audit.models import AuditEntry
from jobs import runner as job_runner
from jobs import services as job_services
from jobs.models import STALLED_AFTER, Job
from jobs.progress import PROGRESS_INTERVAL
from messaging.models import Message, MessageHistory, Notification
from tests.factories import PASSWORD, MessageFactory, SuperuserFactory, UserFactory, bulk_messages

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
User = get_user_model()

CHANGELIST = reverse("admin:auth_user_changelist")
DEADLINE = 60  # seconds: generous for a loaded 2-core machine; a hang fails the test


def wait_until(condition, *, timeout: float = DEADLINE, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(0.02)


# --- the same account deleted twice at once --------------------------------------------------


def admin_confirmation(moderator, target) -> Callable[[], HttpResponse]:
    client = Client()
    client.force_login(moderator)

    def confirm():
        return client.post(
            CHANGELIST,
            {
                "action": "delete_accounts",
                "_selected_action": [target.pk],
                "post": "yes",
                "reason": f"deleted by {moderator.username}",
            },
        )

    return confirm


def own_deletion(target) -> Callable[[], HttpResponse]:
    client = Client()
    client.force_login(target)
    return lambda: client.post(reverse("messaging:delete_user"), {"password": PASSWORD})


@pytest.mark.parametrize("second", ["another moderator", "the person themselves"])
def test_deleting_the_same_account_twice_at_once_deletes_it_once_without_an_error_page(
    postgres_only, second
):
    # Superusers: a transactional test's database has lost the Moderators group
    # its migration made; the admin's deletion path is the same.
    first_moderator = SuperuserFactory(username="first")
    target = UserFactory(username="target")
    partner = UserFactory(username="partner")
    for number in range(20):
        root = MessageFactory(sender=target, receiver=partner, content=f"spam {number}")
        MessageFactory(sender=partner, receiver=target, parent_message=root, content="stop")
    requests = [admin_confirmation(first_moderator, target)]
    if second == "another moderator":
        requests.append(admin_confirmation(SuperuserFactory(username="second"), target))
    else:
        requests.append(own_deletion(target))
    start = threading.Barrier(len(requests))
    responses: list = [None] * len(requests)

    def run(index):
        try:
            start.wait(DEADLINE)
            responses[index] = requests[index]()
        except BaseException as error:  # the test client re-raises a view's exception
            responses[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE)
    close_old_connections()

    assert not any(thread.is_alive() for thread in threads)
    for response in responses:
        assert not isinstance(response, BaseException), f"a request raised {response!r}"
        assert response.status_code < 500
        assert response.status_code == 302  # to the changelist, the login or "deleted"
    assert not User.objects.filter(pk=target.pk).exists()
    assert AuditEntry.objects.filter(target_user_id=target.pk).count() == 1
    assert not Message.objects.filter(sender_id=target.pk).exists()
    assert Message.objects.filter(is_tombstone=True).count() == 20  # under partner's replies


# --- the worker killed in the middle of a job ------------------------------------------------

ACCOUNTS = 40
MESSAGES_EACH = 300
ANSWERED_EACH = 10  # become tombstones
EDITED_EACH = 30


def build_accounts(partner) -> dict[int, dict[str, set[int]]]:
    """ACCOUNTS people with MESSAGES_EACH messages each to ``partner``, inserted in
    bulk: ANSWERED_EACH answered by the partner, EDITED_EACH with an edit history
    row and a stored version, a notification per message. Returns, per user id,
    the ids of everything that is theirs."""
    people = User.objects.bulk_create(
        User(username=f"doomed{number}", password="!") for number in range(ACCOUNTS)
    )
    sent = bulk_messages(
        [
            {"sender": person, "receiver": partner, "content": f"doomed{number} says {index}"}
            for number, person in enumerate(people)
            for index in range(MESSAGES_EACH)
        ]
    )
    by_person: dict[int, list[Message]] = {person.pk: [] for person in people}
    for message in sent:
        by_person[message.sender_id].append(message)
    answers = bulk_messages(
        [
            {
                "sender": partner,
                "receiver_id": person_id,
                "content": "answered",
                "parent_message": message,
                "thread_id": message.pk,
                "depth": 1,
            }
            for person_id, messages in by_person.items()
            for message in messages[:ANSWERED_EACH]
        ]
    )
    notifications = Notification.objects.bulk_create(
        [Notification(user=partner, message=message) for message in sent]
        + [Notification(user_id=answer.receiver_id, message=answer) for answer in answers]
    )
    now = timezone.now()
    edited = [message for messages in by_person.values() for message in messages[:EDITED_EACH]]
    history = MessageHistory.objects.bulk_create(
        MessageHistory(
            message=message, old_content="before", edited_at=now, edited_by_id=message.sender_id
        )
        for message in edited
    )
    versions_model = Message.versions.model
    versions = versions_model.objects.bulk_create(
        versions_model(
            id=message.pk, sender_id=message.sender_id, receiver_id=partner.pk,
            content=message.content, timestamp=message.timestamp, thread_id=message.pk,
            depth=0, history_date=now, history_type="+",
        )
        for message in edited
    )  # fmt: skip
    message_owner = {message.pk: message.sender_id for message in sent}
    owned = {
        person.pk: {"messages": set(), "notifications": set(), "history": set(), "versions": set()}
        for person in people
    }
    for message in sent:
        owned[message.sender_id]["messages"].add(message.pk)
    for notification in notifications:
        owner = message_owner.get(notification.message_id) or notification.user_id
        owned[owner]["notifications"].add(notification.pk)
    for row in history:
        owned[message_owner[row.message_id]]["history"].add(row.pk)
    for version in versions:
        owned[version.sender_id]["versions"].add(version.history_id)
    return owned


def account_state(user_id: int, owned: dict[str, set[int]]) -> str:
    """Whether the account is "whole", "gone", or else how it is half-deleted."""
    versions_model = Message.versions.model
    present = {
        "user": User.objects.filter(pk=user_id).count(),
        "messages": Message.objects.filter(pk__in=owned["messages"], sender_id=user_id).count(),
        "notifications": Notification.objects.filter(pk__in=owned["notifications"]).count(),
        "history": MessageHistory.objects.filter(pk__in=owned["history"]).count(),
        "versions": versions_model.objects.filter(history_id__in=owned["versions"]).count(),
        "audit entries": AuditEntry.objects.filter(target_user_id=user_id).count(),
    }
    whole = {
        "user": 1,
        **{kind: len(owned[kind]) for kind in ("messages", "notifications", "history", "versions")},
        "audit entries": 0,
    }
    gone = {**dict.fromkeys(whole, 0), "audit entries": 1}
    if present == whole:
        return "whole"
    if present == gone:
        # Their answered messages stay, emptied, for the partner's replies.
        tombstones = Message.objects.filter(pk__in=owned["messages"])
        assert tombstones.count() == ANSWERED_EACH
        assert set(tombstones.values_list("is_tombstone", "sender_id", "content")) == {
            (True, None, "")
        }
        return "gone"
    return f"half-deleted: {present}"


def worker_database_url() -> str:
    """The test database, for a process of its own (the worker)."""
    database = connection.settings_dict
    credentials = quote(database["USER"] or "postgres")
    if database["PASSWORD"]:
        credentials += ":" + quote(database["PASSWORD"])
    host = database["HOST"] or "127.0.0.1"
    port = database["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{database['NAME']}"


def other_sessions_on_the_test_database() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_a_worker_killed_mid_job_leaves_no_account_half_deleted_and_a_retry_finishes(
    postgres_only, monkeypatch
):
    moderator = SuperuserFactory(username="deleter")
    partner = UserFactory(username="partner")
    owned = build_accounts(partner)
    # Queued as the admin queues it; outside a transaction the task is queued at once.
    job = job_services.start_job(
        kind=Job.Kind.ACCOUNT_DELETION,
        started_by=moderator,
        params={"user_ids": sorted(owned), "reason": "spam wave"},
        total=ACCOUNTS,
        description=f"Delete {ACCOUNTS} accounts",
    )
    assert other_sessions_on_the_test_database() == 0

    with tempfile.TemporaryFile() as worker_output:
        worker = subprocess.Popen(  # our own manage.py, fixed arguments
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--batch",
                "--no-reload",
                "--no-startup-delay",
                "--interval=0.1",
            ],
            cwd=settings.BASE_DIR,
            env={**os.environ, "DEBUG": "1", "DATABASE_URL": worker_database_url()},
            stdout=worker_output,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(
                lambda: (
                    worker.poll() is not None
                    or Job.objects.filter(pk=job.pk, progress_done__gt=0).exists()
                ),
                what="the worker to delete its first account",
            )
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait(DEADLINE)
        worker_output.seek(0)
        output = worker_output.read().decode(errors="replace")
    assert worker.returncode == -signal.SIGKILL, f"the worker ended by itself:\n{output}"
    # PostgreSQL rolls back the transaction the worker had open once it sees the
    # connection gone; until then that account's rows are still locked.
    wait_until(
        lambda: other_sessions_on_the_test_database() == 0,
        what="PostgreSQL to end the killed worker's session",
    )

    states = {user_id: account_state(user_id, owned[user_id]) for user_id in owned}
    half_deleted = {user_id: state for user_id, state in states.items() if "half" in state}
    assert half_deleted == {}
    gone = [user_id for user_id, state in states.items() if state == "gone"]
    assert 0 < len(gone) < ACCOUNTS, "killed before the first or after the last account"

    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING  # nobody marked it: the worker just vanished
    assert job.attempts == 1
    assert 0 < job.progress_done <= len(gone)
    last_heartbeat = job.heartbeat_at
    assert last_heartbeat is not None
    time.sleep(PROGRESS_INTERVAL * 2)  # a live worker would have beaten again
    job.refresh_from_db()
    assert job.heartbeat_at == last_heartbeat
    assert not job.is_stalled  # not yet: it could be a slow account

    # STALLED_AFTER later, as the job page and the retry see it.
    later = timezone.now() + STALLED_AFTER + timedelta(seconds=1)
    monkeypatch.setattr(jobs.models, "timezone", SimpleNamespace(now=lambda: later))
    assert job.is_stalled and job.can_retry
    job_services.retry_job(job, by=moderator)
    monkeypatch.undo()

    job_runner.run_job(job.pk)  # the retried attempt, in this process

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.attempts == 2
    assert job.result == {
        "deleted": ACCOUNTS - len(gone),
        "refused": 0,
        "already_deleted": len(gone),
        "failed": 0,
    }
    assert {user_id: account_state(user_id, owned[user_id]) for user_id in owned} == dict.fromkeys(
        owned, "gone"
    )  # each deleted exactly once: one audit entry each
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ACCOUNT_DELETED).count() == ACCOUNTS

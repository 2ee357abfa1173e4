"""Timed sanctions end through the background worker: its heartbeat runs
``lift_expired_sanctions`` (registered by ``moderation.apps``), in a beat called
here and in a real ``manage.py db_worker`` process (PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from audit.models import AuditEntry
from jobs.worker import HeartbeatThread
from messaging.models import Notification
from moderation import services
from moderation.apps import LIFT_EXPIRED_EVERY
from moderation.models import Sanction
from tests.factories import SanctionFactory, SuperuserFactory, UserFactory
from tests.reliability.test_faults import DEADLINE, wait_until, worker_database_url


@pytest.mark.django_db
def test_a_workers_beat_ends_the_sanctions_whose_time_has_come(alice, moderator):
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    now = timezone.now()
    due = SanctionFactory(user=alice, imposed_by=moderator, ends_at=now - timedelta(seconds=1))
    later = SanctionFactory(
        user=alice, kind=Sanction.Kind.WARN, imposed_by=moderator, ends_at=now + timedelta(hours=1)
    )

    HeartbeatThread(worker_id="worker-1").beat()

    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.ending, later.is_active) == (Sanction.Ending.EXPIRED, True)
    alice.refresh_from_db()
    assert alice.is_active


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_a_real_worker_lifts_a_suspension_at_its_end(postgres_only):
    # Superusers: a transactional test's database has lost the Moderators group.
    moderator = SuperuserFactory(username="timer")
    person = UserFactory(username="briefly-suspended")
    ends_at = timezone.now() + timedelta(seconds=2)
    services.suspend_user(person, moderator=moderator, reason="cool off", ends_at=ends_at)
    sanction = Sanction.objects.get()

    with tempfile.TemporaryFile() as worker_output:
        worker = subprocess.Popen(  # our own manage.py, fixed arguments
            [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"],
            cwd=settings.BASE_DIR,
            env={
                **os.environ,
                "DEBUG": "1",
                "DATABASE_URL": worker_database_url(),
                # Beats every 0.8 s: the worker's first beat comes at once, and a
                # lift is at most LIFT_EXPIRED_EVERY plus a beat after the end.
                "JOB_STALLED_SECONDS": "4",
            },
            stdout=worker_output,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(
                lambda: (
                    worker.poll() is not None
                    or Sanction.objects.filter(pk=sanction.pk, ended_at__isnull=False).exists()
                ),
                timeout=LIFT_EXPIRED_EVERY.total_seconds() + DEADLINE,
                what="the worker to end the suspension",
            )
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(DEADLINE)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(DEADLINE)
            worker_output.seek(0)
            output = worker_output.read().decode(errors="replace")

    sanction.refresh_from_db()
    assert sanction.ending == Sanction.Ending.EXPIRED, output
    # The promise: within a minute of its time.
    assert sanction.ends_at <= sanction.ended_at < sanction.ends_at + timedelta(minutes=1)
    person.refresh_from_db()
    assert person.is_active
    (entry,) = AuditEntry.objects.filter(action=AuditEntry.Action.SANCTION_EXPIRED)
    assert (entry.actor_id, entry.target_user_id) == (None, person.pk)
    assert Notification.objects.filter(
        user=person, kind=Notification.Kind.MODERATION_NOTICE
    ).exists()

"""jobs.periodic: work the apps register for every worker's heartbeat to run when due."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jobs import periodic
from jobs.periodic import PeriodicSchedule, register_periodic
from jobs.worker import HeartbeatThread
from moderation.apps import LIFT_EXPIRED_EVERY
from moderation.sanctions import lift_expired_sanctions


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def registry(monkeypatch):
    """An empty registry for the test (the apps' registrations come back after)."""
    monkeypatch.setattr(periodic, "PERIODIC", {})
    return periodic.PERIODIC


def test_moderation_registers_lifting_expired_sanctions_within_a_minute():
    registered = periodic.PERIODIC["lift_expired_sanctions"]

    assert registered.function is lift_expired_sanctions
    assert registered.every == LIFT_EXPIRED_EVERY
    # A run at most every period plus a beat (ten seconds at most).
    assert registered.every + timedelta(seconds=10) < timedelta(minutes=1)


def test_a_callable_runs_at_once_then_once_its_period_has_passed(registry):
    calls = []
    register_periodic("count", lambda: calls.append(1), every=timedelta(seconds=15))
    clock = Clock()
    schedule = PeriodicSchedule(clock=clock)

    assert schedule.run_due() == ["count"]
    clock.now += 14.9
    assert schedule.run_due() == []
    clock.now += 0.1
    assert schedule.run_due() == ["count"]
    assert len(calls) == 2


def test_each_callable_keeps_its_own_period(registry):
    register_periodic("often", lambda: None, every=timedelta(seconds=5))
    register_periodic("rarely", lambda: None, every=timedelta(minutes=1))
    clock = Clock()
    schedule = PeriodicSchedule(clock=clock)
    schedule.run_due()

    clock.now += 5
    assert schedule.run_due() == ["often"]


def test_one_failure_is_logged_and_the_others_still_run(registry, caplog):
    calls = []

    def broken():
        raise RuntimeError("database away")

    register_periodic("broken", broken, every=timedelta(seconds=15))
    register_periodic("fine", lambda: calls.append(1), every=timedelta(seconds=15))
    clock = Clock()
    schedule = PeriodicSchedule(clock=clock)

    assert schedule.run_due() == ["broken", "fine"]

    assert calls == [1]
    assert "Periodic broken failed" in caplog.text
    clock.now += 1
    assert schedule.run_due() == []  # tried again after its period, not at every beat


def test_a_period_must_be_positive(registry):
    with pytest.raises(ValueError, match="must be positive"):
        register_periodic("never", lambda: None, every=timedelta(0))
    assert registry == {}


@pytest.mark.django_db
def test_a_heartbeat_runs_what_is_due_and_a_failure_does_not_stop_the_beat(registry):
    calls = []

    def broken():
        raise RuntimeError("boom")

    register_periodic("broken", broken, every=timedelta(seconds=15))
    register_periodic("fine", lambda: calls.append(1), every=timedelta(seconds=15))
    heartbeat = HeartbeatThread(worker_id="worker-1")

    heartbeat.beat()  # raises nothing
    heartbeat.beat()  # not due again yet

    assert calls == [1]

"""Work every background worker does now and then, beside its jobs: an app
registers a callable with ``register_periodic`` from its ``AppConfig.ready``
(moderation: ending sanctions whose time has come), and each worker's heartbeat
thread (``jobs.worker``) runs it at the first beat once ``every`` has passed
since its last run there, so it runs at most every ``every`` plus one beat
(``heartbeat_interval()``, ten seconds at most).

Every worker runs every callable: one must be safe to run twice at once (each
does its own locking), and quick, since the beat waits for it. One that fails
is logged and tried again after ``every``; the beat and the others go on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    function: Callable[[], Any]
    every: timedelta


PERIODIC: dict[str, Periodic] = {}


def register_periodic(name: str, function: Callable[[], Any], *, every: timedelta) -> None:
    """Have each worker call ``function()`` about every ``every`` (registering a
    name again replaces it)."""
    if every <= timedelta(0):
        raise ValueError(f"The period of {name} must be positive, not {every}.")
    PERIODIC[name] = Periodic(name=name, function=function, every=every)


class PeriodicSchedule:
    """When each periodic callable last ran in one worker (its heartbeat thread's)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last_runs: dict[str, float] = {}

    def run_due(self) -> list[str]:
        """Run each registered callable whose period has passed (at once the first
        time); return the names of those that ran, failed or not."""
        ran = []
        for periodic in list(PERIODIC.values()):
            last = self._last_runs.get(periodic.name)
            if last is not None and self._clock() - last < periodic.every.total_seconds():
                continue
            # Counted from the start: a slow run does not push the next one back.
            self._last_runs[periodic.name] = self._clock()
            ran.append(periodic.name)
            try:
                periodic.function()
            except Exception:
                logger.exception(
                    "Periodic %s failed; it runs again in %s", periodic.name, periodic.every
                )
        return ran

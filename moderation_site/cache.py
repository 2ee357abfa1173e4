"""The Redis cache backend: Django's, made to survive a Redis outage.

``ResilientRedisCache`` is ``django.core.cache.backends.redis.RedisCache`` whose
every operation treats an error from Redis (unreachable, timing out, refusing
writes: any ``redis.RedisError``) as a cache that is not there: a read misses
(``get`` returns the default, ``get_many`` ``{}``, ``has_key`` False), a write
does nothing (``set``/``delete``/``delete_many`` nothing, ``add``/``touch``/
``clear`` False, ``set_many`` lists every key as not stored, ``incr`` raises
ValueError as for a missing key). Pages then render from the database, uncached.
The failure is logged as a warning naming the operation and the error, never a
key or a value (keys name threads and users, values hold message text).

After an outage the cache may hold stale entries: a write that happened while
Redis was unreachable could not drop the entries it made stale. So the first
operation that reaches Redis again, in the process that saw the failure, first
flushes the cache (``FLUSHDB``), and only then does its work. **The Redis
database of REDIS_URL must therefore be this app's alone**: the flush empties it.

Other processes (web workers, the task worker) never saw the failure and keep
using the cache; an entry one of them cached before the outage, that an
invalidation lost during it should have dropped, lives at most its own timeout:
a thread view ``THREAD_VIEW_CACHE_SECONDS`` (60 s), the dashboard figures
``moderation_site.dashboard_cache.DASHBOARD_FIGURES_SECONDS`` (300 s), unless the process that
lost the invalidation flushes earlier. That bound holds only because every
entry of this app has a finite timeout: keep it that way.

While Redis is unreachable a process does not try it on every operation: after
a failure it leaves Redis alone for ``retry_interval`` seconds (a page then
costs no connection attempt at all), and short socket timeouts bound what the
attempt that finds the outage costs (a host that is down, not refusing, would
otherwise hold a request for redis-py's 5 s, or the OS's two minutes without
it). OPTIONS given in CACHES override these timeouts.

The state (failure seen, flush owed, next attempt) is per process and per
LOCATION, shared by the per-thread backend instances Django creates.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

Result = TypeVar("Result")

# A request must not wait long for a cache: Redis answers in well under a
# millisecond on a local network.
DEFAULT_SOCKET_TIMEOUTS = {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}


@dataclass
class _Health:
    """What one process knows about one Redis LOCATION."""

    flush_owed: bool = False
    # Bumped by every failure: a flush only settles the failures seen before it
    # started (one seen during it may have missed an invalidation it did not cover).
    failures: int = 0
    retry_at: float = 0.0


_health_lock = threading.Lock()
_health_by_location: dict[str, _Health] = {}


def _health_of(location: str) -> _Health:
    with _health_lock:
        return _health_by_location.setdefault(location, _Health())


class ResilientRedisCache(RedisCache):
    """Django's RedisCache that degrades to "no cache" while Redis fails, and
    flushes once it answers again (see the module docstring)."""

    # Seconds a process leaves Redis alone after a failure before trying again.
    retry_interval: float = 5.0
    # What counts as "the cache is not there": the connection refused, lost or
    # timing out, and Redis refusing the command (read-only replica after a
    # failover, out of memory, MISCONF): either way an invalidation is lost.
    unavailable_errors: tuple[type[BaseException], ...] = (redis.RedisError,)

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._options = {**DEFAULT_SOCKET_TIMEOUTS, **self._options}
        self._health = _health_of(",".join(self._servers))

    # --- the degraded operations -------------------------------------------------------

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> bool:
        return self._attempt("add", super().add, key, value, timeout, version, fallback=False)

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        return self._attempt("get", super().get, key, default, version, fallback=default)

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self._attempt("set", super().set, key, value, timeout, version, fallback=None)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> bool:
        return self._attempt("touch", super().touch, key, timeout, version, fallback=False)

    def delete(self, key: Any, version: Any = None) -> bool:
        return self._attempt("delete", super().delete, key, version, fallback=False)

    def get_many(self, keys: Iterable[Any], version: Any = None) -> dict[Any, Any]:
        return self._attempt("get_many", super().get_many, keys, version, fallback={})

    def has_key(self, key: Any, version: Any = None) -> bool:
        return self._attempt("has_key", super().has_key, key, version, fallback=False)

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> int:
        result = self._attempt("incr", super().incr, key, delta, version, fallback=None)
        if result is None:
            # What incr() says of a key that is not there: for the caller it is not.
            raise ValueError("Key not found: the cache is unreachable.")
        return result

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> list[Any]:
        # set_many returns the keys it could not store: all of them.
        return self._attempt(
            "set_many", super().set_many, data, timeout, version, fallback=list(data)
        )

    def delete_many(self, keys: Iterable[Any], version: Any = None) -> None:
        self._attempt("delete_many", super().delete_many, keys, version, fallback=None)

    def clear(self) -> bool:
        # A clear is the flush an outage owes: no need for a second one first.
        if not self._may_try_redis():
            return False
        failures_before = self._health.failures
        try:
            cleared = super().clear()
        except self.unavailable_errors as error:
            self._record_failure("clear", error)
            return False
        self._settle_flush(failures_before)
        return cleared

    # --- health -------------------------------------------------------------------------

    def _attempt(
        self, operation: str, method: Callable[..., Result], *args: Any, fallback: Result
    ) -> Result:
        if not self._may_try_redis():
            return fallback
        try:
            if self._health.flush_owed:
                self._flush_after_outage()
            return method(*args)
        except self.unavailable_errors as error:
            self._record_failure(operation, error)
            return fallback

    def _may_try_redis(self) -> bool:
        # A plain read of a float: no lock needed on the hot path.
        return time.monotonic() >= self._health.retry_at

    def _flush_after_outage(self) -> None:
        failures_before = self._health.failures
        super().clear()
        self._settle_flush(failures_before)
        logger.warning(
            "Cache reachable again: flushed it, since writes made during the outage "
            "could not drop the entries they made stale"
        )

    def _settle_flush(self, failures_before: int) -> None:
        with _health_lock:
            if self._health.failures == failures_before:
                self._health.flush_owed = False

    def _record_failure(self, operation: str, error: BaseException) -> None:
        with _health_lock:
            self._health.failures += 1
            self._health.flush_owed = True
            self._health.retry_at = time.monotonic() + self.retry_interval
        # The error's text names the server, never a key or a value.
        logger.warning(
            "Cache unreachable during %s (%s: %s): serving uncached, next attempt in %g s; "
            "the cache is flushed once it answers again",
            operation,
            type(error).__name__,
            error,
            self.retry_interval,
        )

"""Liveness and readiness, for a process manager, a load balancer or a monitor.

- ``/health/``: the process answers; nothing else is asked (a database outage
  must not make an orchestrator restart every app server).
- ``/ready/``: the database answers, the cache stores and returns a value, and a
  background worker beat recently (the check the jobs app registers from its
  ``AppConfig.ready``: ``jobs.worker.worker_ready``). 200 when all pass, 503
  otherwise.

Both answer JSON to anyone, logged in or not, over plain HTTP too
(``SECURE_REDIRECT_EXEMPT``), and never cached. They name each check and whether
it passed, nothing more: no host, version, error text or count (the failure's
detail goes to the log).

Our own ~50 lines rather than django-health-check (4.8, which supports Django
6.1): its database and cache checks are one query and one set/get, as here, while
the worker check is ours either way; it would add an app, its URLs and dnspython,
and its answer carries the error text of each failing check.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

ReadinessCheck = Callable[[], bool]


def database_answers() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def cache_answers() -> bool:
    # The Redis backend swallows errors (moderation_site.cache): a value that does
    # not come back is the sign of an outage. A finite timeout, like every entry.
    key, value = f"health:ready:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    answered = cache.get(key) == value
    cache.delete(key)
    return answered


READINESS_CHECKS: dict[str, ReadinessCheck] = {
    "database": database_answers,
    "cache": cache_answers,
}


def register_readiness_check(name: str, check: ReadinessCheck) -> None:
    """Add a check to ``/ready/`` (from an app's ``AppConfig.ready``)."""
    READINESS_CHECKS[name] = check


def _passes(name: str, check: ReadinessCheck) -> bool:
    try:
        return bool(check())
    except Exception as error:
        logger.warning("Readiness check %s failed: %s: %s", name, type(error).__name__, error)
        return False


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def ready(request: HttpRequest) -> JsonResponse:
    checks = {name: _passes(name, check) for name, check in READINESS_CHECKS.items()}
    is_ready = all(checks.values())
    return JsonResponse(
        {
            "status": "ready" if is_ready else "not ready",
            "checks": {name: "ok" if passed else "failing" for name, passed in checks.items()},
        },
        status=200 if is_ready else 503,
    )

"""The per-user cache of rendered thread views.

A thread view is cached per (thread, viewer): it shows edit links for the
viewer's own messages and must never be served to anyone else. Any write to a
thread drops the cached views of everyone taking part in it, after commit, so
the next request shows the change; the timeout only bounds memory.

The cache is an optimisation: when it is unreachable, pages render uncached and
the failure is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)


def thread_view_key(thread_id: int, user_id: int) -> str:
    return f"messaging:thread-view:{thread_id}:user:{user_id}"


def get_cached_thread_view(*, thread_id: int, user_id: int) -> str | None:
    try:
        return cache.get(thread_view_key(thread_id, user_id))
    except Exception:
        logger.warning("Cache unreachable: rendering thread %s uncached", thread_id, exc_info=True)
        return None


def cache_thread_view(*, thread_id: int, user_id: int, html: str) -> None:
    try:
        cache.set(thread_view_key(thread_id, user_id), html, settings.THREAD_VIEW_CACHE_SECONDS)
    except Exception:
        logger.warning("Cache unreachable: thread %s not cached", thread_id, exc_info=True)


def forget_thread_views(participants_by_thread: Mapping[int, Iterable[int]]) -> None:
    keys = [
        thread_view_key(thread_id, user_id)
        for thread_id, user_ids in participants_by_thread.items()
        for user_id in user_ids
    ]
    if not keys:
        return
    try:
        cache.delete_many(keys)
    except Exception:
        logger.error("Cache unreachable: could not drop %d thread views", len(keys), exc_info=True)


def forget_thread_views_on_commit(participants_by_thread: Mapping[int, Iterable[int]]) -> None:
    """Drop the given views once the current transaction commits."""
    frozen = {thread_id: set(user_ids) for thread_id, user_ids in participants_by_thread.items()}
    transaction.on_commit(lambda: forget_thread_views(frozen))


def forget_thread_on_commit(thread_id: int) -> None:
    """Drop every participant's view of a thread once the transaction commits."""

    def forget() -> None:
        from messaging.models import Message

        forget_thread_views(Message.objects.participant_ids_by_thread([thread_id]))

    transaction.on_commit(forget)

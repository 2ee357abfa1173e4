"""The per-user cache of rendered thread views.

A thread view is cached per (thread, viewer): it shows edit links for the
viewer's own messages and must never be served to anyone else. Any write to a
thread drops the cached views of everyone taking part in it, after commit, so
the next request shows the change. The timeout bounds memory, and how long
another process may serve a view whose invalidation a Redis outage lost.

The cache is an optimisation: when Redis is unreachable, the backend
(``moderation_site.cache.ResilientRedisCache``) logs it, reads miss and writes do
nothing, so pages render uncached; once Redis answers again it flushes the
entries an invalidation could not drop meanwhile. Nothing here catches errors: the
local-memory cache cannot be unreachable, and any other error is a bug to see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.cache import cache
from django.db import transaction


def thread_view_key(thread_id: int, user_id: int) -> str:
    return f"messaging:thread-view:{thread_id}:user:{user_id}"


def get_cached_thread_view(*, thread_id: int, user_id: int) -> str | None:
    return cache.get(thread_view_key(thread_id, user_id))


def cache_thread_view(*, thread_id: int, user_id: int, html: str) -> None:
    cache.set(thread_view_key(thread_id, user_id), html, settings.THREAD_VIEW_CACHE_SECONDS)


def forget_thread_views(participants_by_thread: Mapping[int, Iterable[int]]) -> None:
    keys = [
        thread_view_key(thread_id, user_id)
        for thread_id, user_ids in participants_by_thread.items()
        for user_id in user_ids
    ]
    if keys:
        cache.delete_many(keys)


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

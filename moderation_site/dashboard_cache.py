"""Where the dashboard's figures are cached, and how they are dropped.

The figures are composed above every app (``admin_ext.admin.dashboard_figures``)
and dropped by one set of receivers beside them
(``admin_ext.admin.dashboard_receivers``), which hear of the writes in messaging
and moderation through signals: no domain app calls this module. The key and
its drop live here, with the cache infrastructure, because the demo data
commands (``fixtures``, which may not import the admin) write in bulk, sending
no signal, and drop the figures themselves. Not in ``audit``: this is cache
plumbing, not an audit record.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

# One dict under one key holds every figure, message and moderation ones alike,
# so one drop serves every write. The version changes with the dict's keys, so a
# page never reads a dict cached by the code before a deploy (v2: queue health).
DASHBOARD_FIGURES_KEY = "messaging:dashboard-figures:v2"
# Bounds staleness of the time windows ("today"), and of figures whose invalidation
# a Redis outage lost (moderation_site.cache); writes drop it at once.
DASHBOARD_FIGURES_SECONDS = 300


def forget_dashboard_figures() -> None:
    cache.delete(DASHBOARD_FIGURES_KEY)


def forget_dashboard_figures_on_commit() -> None:
    # After commit: a page computing the figures before the commit would cache
    # counts that still include what the write removes.
    transaction.on_commit(forget_dashboard_figures)

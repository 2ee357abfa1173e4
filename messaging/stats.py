"""Figures for the moderators' dashboard, cached until a write changes them.

Every write that changes a figure (a new or edited message, a change of read
state, an account deletion) drops the cache after commit, so a moderator never
sees a count that still includes a deleted account's messages. When the cache is
unreachable the figures are computed on every request and the failure logged.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

DASHBOARD_FIGURES_KEY = "messaging:dashboard-figures:v1"
# Only bounds staleness of the time windows ("today"); writes drop it at once.
DASHBOARD_FIGURES_SECONDS = 300


def forget_dashboard_figures() -> None:
    try:
        cache.delete(DASHBOARD_FIGURES_KEY)
    except Exception:
        logger.error("Cache unreachable: dashboard figures not dropped", exc_info=True)


def forget_dashboard_figures_on_commit() -> None:
    transaction.on_commit(forget_dashboard_figures)


def dashboard_figures() -> dict[str, Any]:
    """The dashboard's figures, from the cache when warm (no query)."""
    try:
        figures = cache.get(DASHBOARD_FIGURES_KEY)
    except Exception:
        logger.warning("Cache unreachable: computing dashboard figures", exc_info=True)
        return compute_dashboard_figures()
    if figures is None:
        figures = compute_dashboard_figures()
        try:
            cache.set(DASHBOARD_FIGURES_KEY, figures, DASHBOARD_FIGURES_SECONDS)
        except Exception:
            logger.warning("Cache unreachable: dashboard figures not cached", exc_info=True)
    return figures


def compute_dashboard_figures() -> dict[str, Any]:
    """Index-backed aggregates; never a Python loop over messages."""
    raise NotImplementedError  # filled by the dashboard work (admin issue)

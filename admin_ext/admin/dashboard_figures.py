"""The dashboard's figures, composed from the apps that own them and cached until
a write changes them.

The message figures come from ``messaging.stats``, the moderation figures from
``moderation.stats`` and ``moderation.queue_health``; they meet here, above both
apps, so neither imports the other. The cached dict lives under
``moderation_site.dashboard_cache``'s key; ``dashboard_receivers`` drops it
after the commit of every write that changes a figure, and the demo data
commands after their bulk writes. When Redis is
unreachable the backend (``moderation_site.cache``) logs it and misses, so the
figures are computed on every request; it flushes the cache once Redis is back.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from messaging.stats import CHART_DAYS, WEEK_DAYS, compute_message_figures
from moderation.queue_health import compute_queue_health
from moderation.stats import compute_case_figures
from moderation_site.dashboard_cache import DASHBOARD_FIGURES_KEY, DASHBOARD_FIGURES_SECONDS


def dashboard_figures() -> dict[str, Any]:
    """The dashboard's figures, from the cache when warm (no query)."""
    figures = cache.get(DASHBOARD_FIGURES_KEY)
    if figures is None:
        figures = compute_dashboard_figures()
        cache.set(DASHBOARD_FIGURES_KEY, figures, DASHBOARD_FIGURES_SECONDS)
    return figures


def compute_dashboard_figures(*, now: datetime | None = None) -> dict[str, Any]:
    """Every figure of the dashboard, a plain dict of primitives, safe to cache.

    Fourteen queries whatever the volume: five for the message figures
    (``messaging.stats.compute_message_figures``), three for the moderation
    figures (``moderation.stats.compute_case_figures``) and six for queue health
    (``moderation.queue_health.compute_queue_health``), over the same calendar
    days as the messages chart and the same week as its cards, in the current
    time zone. ``now`` pins the clock (tests); it defaults to ``timezone.now()``.
    """
    now = now or timezone.now()
    message_figures = compute_message_figures(now=now)
    today = date.fromisoformat(message_figures["today"])
    zone = timezone.get_current_timezone()
    first_day = today - timedelta(days=CHART_DAYS - 1)
    case_figures = compute_case_figures(first_day=first_day, last_day=today, zone=zone)
    queue_health = compute_queue_health(
        first_day=first_day,
        last_day=today,
        week_first_day=today - timedelta(days=WEEK_DAYS - 1),
        zone=zone,
    )
    return {**message_figures, **case_figures, **queue_health}

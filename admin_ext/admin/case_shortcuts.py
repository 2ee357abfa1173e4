"""Moving through the review queue: the case page's links to the previous and
next case in the queue's order, which the keyboard shortcuts press.

The server says where "next" and "previous" lead (``queue_neighbours``, one
query); ``admin_ext/static/admin_ext/shortcuts.js`` only binds keys
to the links, so the links work without it. The keys are listed on the help
overlay (``admin_ext/cases/shortcuts_help.html``, the "?" key) of the queue and
the case page, the only pages that load the script (``CaseAdmin.Media``).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from moderation.models import Case
from moderation.selectors import queue_neighbours

SCRIPT = "admin_ext/shortcuts.js"
STYLESHEET = "admin_ext/shortcuts.css"


def queue_nav_context(case: Case) -> dict[str, Any]:
    """``case_previous_url`` and ``case_next_url``: the cases around ``case`` in
    the review queue (None at either end)."""
    neighbours = queue_neighbours(case)
    return {
        "case_previous_url": _case_url(neighbours.previous_id),
        "case_next_url": _case_url(neighbours.next_id),
    }


def _case_url(case_id: int | None) -> str | None:
    return reverse("admin:moderation_case_change", args=[case_id]) if case_id else None

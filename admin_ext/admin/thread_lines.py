"""How the admin shows part of a thread (``messaging.thread_window``: thread_window,
thread_windows, thread_stretch) on a message's page and a case's: one line per
shown message with its indentation, one per run of messages left out with the
link that loads more of it, and the strict reading of that link's parameters.

The link re-renders a message's page with a stretch of the thread
(``?thread_first=<id>&thread_last=<id>``): plain links, no script. Anything else in
those parameters (letters, negative or huge numbers, another thread's ids, a
stretch too long) shows the window around the page's message, with a notice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from admin_ext.admin.message_text import MAX_TREE_INDENT
from messaging.models import Message
from messaging.thread_window import ThreadExcerpt, ThreadGap, thread_window

FIRST_PARAM = "thread_first"
LAST_PARAM = "thread_last"
# A message id as a link writes it: ASCII digits, no sign, within 64 bits.
_MESSAGE_ID = re.compile(r"[1-9][0-9]{0,17}")


@dataclass(frozen=True)
class ThreadLine:
    """A shown message (``message``, ``indent``) or a run left out (``gap``, with
    ``load_url`` showing more of it)."""

    message: Message | None = None
    indent: int = 0
    gap: ThreadGap | None = None
    load_url: str = ""


def thread_lines(excerpt: ThreadExcerpt, *, page_url: str | None = None) -> list[ThreadLine]:
    """The lines of ``excerpt``. A gap loads on ``page_url`` (the message page
    showing the excerpt); without one (a case's page), on the page of the gap's
    message nearest what is shown."""
    lines = []
    for item in excerpt.items:
        if isinstance(item, ThreadGap):
            lines.append(ThreadLine(gap=item, load_url=load_url(item, page_url=page_url)))
        else:
            # Deeper replies stay at MAX_TREE_INDENT; the template shows their depth.
            lines.append(ThreadLine(message=item, indent=min(item.depth, MAX_TREE_INDENT)))
    return lines


def load_url(gap: ThreadGap, *, page_url: str | None) -> str:
    if page_url is None:
        page_url = reverse("admin:messaging_message_change", args=[gap.reveal_id])
    query = urlencode({FIRST_PARAM: gap.load_first_id, LAST_PARAM: gap.load_last_id})
    return f"{page_url}?{query}#thread-node-{gap.reveal_id}"


def message_page_thread(request: HttpRequest, message: Message) -> dict[str, Any]:
    """The context of messages/thread_tree.html on ``message``'s page: the stretch
    the request asks for, else the window around the message (two queries)."""
    asked = FIRST_PARAM in request.GET or LAST_PARAM in request.GET
    stretch = None
    if asked:
        first_id = requested_id(request.GET.get(FIRST_PARAM))
        last_id = requested_id(request.GET.get(LAST_PARAM))
        if first_id is not None and last_id is not None:
            stretch = (first_id, last_id)
    excerpt = thread_window(message, stretch=stretch)
    page_url = reverse("admin:messaging_message_change", args=[message.pk])
    if excerpt is None:
        return {"thread_lines": []}
    return {
        "thread_excerpt": excerpt,
        "thread_lines": thread_lines(excerpt, page_url=page_url),
        "thread_is_stretch": excerpt.is_stretch,
        "thread_refused_stretch": asked and not excerpt.is_stretch,
        "thread_page_url": page_url,
    }


def requested_id(value: str | None) -> int | None:
    if value is None or not _MESSAGE_ID.fullmatch(value):
        return None
    return int(value)

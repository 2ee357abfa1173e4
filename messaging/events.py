"""What happened in messaging, for the writes that send no model signal.

``QuerySet.update()`` sends no ``post_save``: a service that changes messages
that way says so here, so whoever follows messages (the dashboard's figures)
hears of it without messaging knowing who listens. Sent inside the write's
transaction, only when rows changed; a receiver whose work leaves the database
(a cache) defers it with ``transaction.on_commit``.
"""

from __future__ import annotations

from django.dispatch import Signal

# Read flags changed in one statement (mark_thread_read, set_read_state).
# sender: Message; count: how many messages changed.
read_state_changed = Signal()

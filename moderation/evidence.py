"""The evidence a report keeps: what the reporter saw, frozen at report time.

A snapshot is plain JSON (``Report.evidence``) so that it survives whatever
happens to the messages afterwards (an edit, a hide, an account deletion):

    {"taken_at": iso, "message": {...}, "parent": {...} | null, "replies": [{...}]}

each message as ``{"id", "sender", "receiver", "timestamp", "content",
"is_tombstone", "is_hidden", "edits": [{"edited_at", "edited_by", "old_content"}]}``
with usernames as text (the accounts may go) and edits newest first.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q
from django.utils import timezone

from messaging.models import Message, MessageHistory


def snapshot_evidence(message: Message) -> dict[str, Any]:
    """The reported message, its parent and its direct replies, each with its edit
    history. Two queries whatever the number of replies or edits."""
    related = Q(pk=message.pk) | Q(parent_message_id=message.pk)
    if message.parent_message_id is not None:
        related |= Q(pk=message.parent_message_id)
    rows = (
        Message.objects.filter(related)
        .select_related("sender", "receiver")
        .prefetch_related(
            Prefetch(
                "history",
                queryset=MessageHistory.objects.select_related("edited_by").order_by(
                    "-edited_at", "-id"
                ),
            )
        )
        .order_by("timestamp", "id")
    )
    by_role: dict[str, Any] = {"parent": None, "replies": []}
    for row in rows:
        if row.pk == message.pk:
            by_role["message"] = _describe(row)
        elif row.pk == message.parent_message_id:
            by_role["parent"] = _describe(row)
        else:
            by_role["replies"].append(_describe(row))
    return {"taken_at": timezone.now().isoformat(), **by_role}


def _username(user: Any) -> str:
    return user.get_username() if user is not None else ""


def _describe(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "sender": _username(message.sender),
        "receiver": _username(message.receiver),
        "timestamp": message.timestamp.isoformat(),
        "content": message.content,
        "is_tombstone": message.is_tombstone,
        "is_hidden": message.is_hidden,
        "edits": [
            {
                "edited_at": edit.edited_at.isoformat(),
                "edited_by": _username(edit.edited_by),
                "old_content": edit.old_content,
            }
            for edit in message.history.all()
        ],
    }

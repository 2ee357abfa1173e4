"""The evidence a report keeps: what the reporter saw, frozen at report time.

This module both writes and reads the stored format. A snapshot is plain JSON
(``Report.evidence``) so that it survives whatever happens to the messages
afterwards (an edit, a hide, an account deletion):

    {"taken_at": iso, "message": {...}, "parent": {...} | null, "replies": [{...}]}

plus ``"automatic": {"rule_id", "rule_name", "matches": [{"start", "end",
"text"}]}`` in a watched-word rule's report (``moderation.automatic``; spans in
the message's content). Each message is ``{"id", "sender_id", "receiver_id",
"timestamp", "content", "is_tombstone", "is_hidden", "edits": [{"edited_at",
"edited_by_id", "old_content"}]}``, edits newest first, and ``"is_removed": true`` once
``remove_words`` emptied it. People are kept as account ids, never names: a
name is looked up when the snapshot is shown (``read_snapshots``), so a deleted
account's name is gone from every snapshot the moment the account is.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q
from django.utils import timezone

from messaging.models import Message, MessageHistory
from moderation.models import DELETED_ACCOUNT


def snapshot_evidence(message: Message) -> dict[str, Any]:
    """The reported message, its parent and its direct replies, each with its edit
    history. Two queries whatever the number of replies or edits."""
    related = Q(pk=message.pk) | Q(parent_message_id=message.pk)
    if message.parent_message_id is not None:
        related |= Q(pk=message.parent_message_id)
    rows = (
        Message.objects.filter(related)
        .prefetch_related(
            Prefetch("history", queryset=MessageHistory.objects.order_by("-edited_at", "-id"))
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


def _describe(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "sender_id": message.sender_id,
        "receiver_id": message.receiver_id,
        "timestamp": message.timestamp.isoformat(),
        "content": message.content,
        "is_tombstone": message.is_tombstone,
        "is_hidden": message.is_hidden,
        "edits": [
            {
                "edited_at": edit.edited_at.isoformat(),
                "edited_by_id": edit.edited_by_id,
                "old_content": edit.old_content,
            }
            for edit in message.history.all()
        ],
    }


def _stored_messages(snapshot: Any) -> Iterator[dict[str, Any]]:
    """Every message dict of a stored snapshot, whatever its shape (JSON that
    does not match the format is skipped, never an error)."""
    if not isinstance(snapshot, dict):
        return
    for role in ("parent", "message"):
        if isinstance(snapshot.get(role), dict):
            yield snapshot[role]
    replies = snapshot.get("replies")
    for reply in replies if isinstance(replies, list) else []:
        if isinstance(reply, dict):
            yield reply


def remove_words(snapshot: Any, *, keep_sender_id: int) -> tuple[dict[str, Any], int]:
    """The snapshot with the words of every message not sent by ``keep_sender_id``
    emptied (content and earlier versions) and marked removed; and how many
    messages were emptied. In a conversation of two people, these are the words
    of the other person: the reporter, quoted as context."""
    removed = 0
    for message in _stored_messages(snapshot):
        if message.get("sender_id") == keep_sender_id or message.get("is_removed"):
            continue
        message["content"] = ""
        edits = message.get("edits")
        for edit in edits if isinstance(edits, list) else []:
            if isinstance(edit, dict):
                edit["old_content"] = ""
        message["is_removed"] = True
        removed += 1
    return (snapshot if isinstance(snapshot, dict) else {}), removed


# --- reading --------------------------------------------------------------------------------


def parse_moment(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return None


@dataclass
class EvidenceEdit:
    edited_at: datetime.datetime | None
    edited_by: str
    old_content: str


@dataclass
class EvidenceMessage:
    """One message of a snapshot, with names resolved."""

    role: str  # "parent", "reported" or "reply"
    indent: int  # 0 to 2: parent, reported message, replies
    id: Any
    sender: str
    receiver: str
    timestamp: datetime.datetime | None
    content: str
    is_tombstone: bool
    is_hidden: bool
    is_removed: bool
    edits: list[EvidenceEdit]

    @classmethod
    def from_snapshot(
        cls, role: str, data: Any, *, indent: int, names: dict[int, str]
    ) -> EvidenceMessage | None:
        if not isinstance(data, dict):
            return None

        def name(account_id: Any) -> str:
            if isinstance(account_id, int):  # malformed JSON may hold anything
                return names.get(account_id, DELETED_ACCOUNT)
            return DELETED_ACCOUNT

        return cls(
            role=role,
            indent=indent,
            id=data.get("id"),
            sender=name(data.get("sender_id")),
            receiver=name(data.get("receiver_id")),
            timestamp=parse_moment(data.get("timestamp")),
            content=str(data.get("content", "")),
            is_tombstone=bool(data.get("is_tombstone")),
            is_hidden=bool(data.get("is_hidden")),
            is_removed=bool(data.get("is_removed")),
            edits=[
                EvidenceEdit(
                    edited_at=parse_moment(edit.get("edited_at")),
                    edited_by=name(edit.get("edited_by_id")),
                    old_content=str(edit.get("old_content", "")),
                )
                for edit in (data.get("edits") if isinstance(data.get("edits"), list) else [])
                if isinstance(edit, dict)
            ],
        )


@dataclass
class Evidence:
    """A stored snapshot as the case page shows it."""

    taken_at: datetime.datetime | None
    messages: list[EvidenceMessage]


def account_ids(snapshot: Any) -> set[int]:
    """Every account id a stored snapshot refers to."""
    values = []
    for message in _stored_messages(snapshot):
        values += [message.get("sender_id"), message.get("receiver_id")]
        edits = message.get("edits")
        for edit in edits if isinstance(edits, list) else []:
            if isinstance(edit, dict):
                values.append(edit.get("edited_by_id"))
    return {value for value in values if isinstance(value, int) and not isinstance(value, bool)}


def read_snapshots(snapshots: Sequence[Any]) -> list[Evidence]:
    """Stored snapshots as they are shown, names resolved for all of them in one
    query (none when they name nobody); an account gone is "deleted account"."""
    ids = set().union(*(account_ids(snapshot) for snapshot in snapshots)) if snapshots else set()
    names: dict[int, str] = {}
    if ids:
        user_model = get_user_model()
        names = dict(
            user_model._default_manager.filter(pk__in=ids).values_list(
                "pk", user_model.USERNAME_FIELD
            )
        )
    return [_read(snapshot, names) for snapshot in snapshots]


def _read(snapshot: Any, names: dict[int, str]) -> Evidence:
    snapshot = snapshot if isinstance(snapshot, dict) else {}
    parent = EvidenceMessage.from_snapshot("parent", snapshot.get("parent"), indent=0, names=names)
    below = 1 if parent else 0  # the reported message sits under what it answered
    replies = snapshot.get("replies")
    shown = [
        parent,
        EvidenceMessage.from_snapshot(
            "reported", snapshot.get("message"), indent=below, names=names
        ),
        *(
            EvidenceMessage.from_snapshot("reply", reply, indent=below + 1, names=names)
            for reply in (replies if isinstance(replies, list) else [])
        ),
    ]
    return Evidence(
        taken_at=parse_moment(snapshot.get("taken_at")),
        messages=[message for message in shown if message is not None],
    )


@dataclass(frozen=True)
class RuleMatch:
    """Where a rule matched the reported message, in its content as sent (the
    snapshot's): ``content[start:end] == text``."""

    start: int
    end: int
    text: str


def rule_matches(snapshot: Any) -> list[RuleMatch]:
    """The matches a rule's report keeps (``evidence["automatic"]["matches"]``),
    each only while it still names the words at its place in the snapshot's
    message: stored JSON that does not fit is skipped, never an error."""
    snapshot = snapshot if isinstance(snapshot, dict) else {}
    automatic = snapshot.get("automatic")
    message = snapshot.get("message")
    stored = automatic.get("matches") if isinstance(automatic, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(stored, list) or not isinstance(content, str):
        return []
    found = []
    for match in stored:
        match = match if isinstance(match, dict) else {}
        start, end, text = match.get("start"), match.get("end"), match.get("text")
        # type(), not isinstance(): a JSON true is no offset.
        fits = type(start) is int and type(end) is int and isinstance(text, str)
        if fits and 0 <= start < end and content[start:end] == text:
            found.append(RuleMatch(start=start, end=end, text=text))
    return found

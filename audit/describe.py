"""What an audit entry is about, in words: the object it names ("Message #28",
"Case #1", "Account zeno", "Export of 1,234 messages"), its counts and its other
details as labelled facts.

The one reading of each action's ``details`` (what its service wrote: see
``AuditEntry.Action``), for the audit log's list and page and the case page's
timeline alike. Text only: whether the object still exists and the link to its
page are the admin's (``admin_ext.admin.audit_objects``). Entries written before
a service kept an id (a group's, for instance) name what they have, without one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.utils.dateparse import parse_datetime

from audit.models import AuditEntry
from moderation_site.time_format import format_timestamp

Action = AuditEntry.Action


class Kind(StrEnum):
    """The kinds of object an entry can name, each a model with a page of its own
    in the admin (a note's is its case's or its person's)."""

    MESSAGE = "message"
    CASE = "case"
    ACCOUNT = "account"
    NOTE = "note"
    JOB = "job"
    GROUP = "group"


@dataclass(frozen=True)
class EntryObject:
    """The object an entry names: ``name`` while it exists, ``gone_name`` after.
    ``kind`` and ``pk`` are None when there is nothing to look up (a streamed
    export, a selection of messages, an entry that kept no id)."""

    name: str
    kind: Kind | None = None
    pk: int | None = None
    gone_name: str = ""
    # The messages of a selection, when the entry names them (``message_ids``).
    message_ids: tuple[int, ...] = ()

    @property
    def name_when_gone(self) -> str:
        return self.gone_name or f"{self.name} (deleted)"


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


MESSAGE_ACTIONS = frozenset(
    {
        Action.MESSAGE_EDITED,
        Action.MESSAGE_HIDDEN,
        Action.MESSAGE_RESTORED,
        Action.MESSAGE_FLAGGED,
    }
)
READ_STATE_ACTIONS = frozenset({Action.MESSAGES_MARKED_READ, Action.MESSAGES_MARKED_UNREAD})
CASE_ACTIONS = frozenset(
    {
        Action.CASE_DISMISSED,
        Action.CASE_CLAIMED,
        Action.CASE_RELEASED,
        Action.RETENTION_CHANGED,
        Action.EVIDENCE_PURGED,
    }
)
ACCOUNT_ACTIONS = frozenset(
    {
        Action.ACCOUNT_DELETED,
        Action.ACCOUNT_CHANGED,
        Action.USER_SUSPENDED,
        Action.SUSPENSION_LIFTED,
        Action.SECOND_FACTOR_ENROLLED,
        Action.SECOND_FACTOR_RESET,
    }
)

# An appeal's steps (moderation.appeals), about the person who appealed.
APPEAL_ACTIONS = frozenset(
    {
        Action.APPEAL_FILED,
        Action.APPEAL_QUESTION_ASKED,
        Action.APPEAL_ANSWERED,
        Action.APPEAL_APPROVED,
        Action.APPEAL_REJECTED,
    }
)

# Keys whose number is a count (shown as a table); every other number is an id
# or a setting. The account deletion's keys are ``AccountDeletionCounts``'.
COUNT_LABELS = {
    "messages_deleted": "Messages deleted",
    "messages_tombstoned": "Messages left as “deleted” under replies",
    "empty_tombstones_removed": "Empty tombstones removed",
    "notifications_deleted": "Notifications deleted",
    "history_rows_deleted": "Edit history rows deleted",
    "versions_deleted": "Stored versions deleted",
    "received_messages_kept": "Received messages kept",
    "count": "Messages changed",
    "rows": "Rows exported",
    "messages_emptied": "Messages emptied",
    "recovery_codes": "Recovery codes issued",
    "authenticators_removed": "Authenticators removed",
    "recovery_codes_removed": "Recovery codes removed",
}
# What the object already says, or the counts table: not repeated as facts.
SHOWN_ELSEWHERE = frozenset(
    {
        "message_id",
        "message_ids",
        "note_id",
        "job_id",
        "group_id",
        "object",
        "model",
        *COUNT_LABELS,
    }
)
MOMENT_KEYS = frozenset({"retain_until", "kept_until", "from", "to"})  # isoformat()
FACT_LABELS = {
    "notification_id": "Warning sent",
    "report_id": "Report",
    "retain_until": "Evidence kept until",
    "kept_until": "Words kept until",
    "from": "Evidence kept until (before)",
    "to": "Evidence kept until (now)",
    "operation": "Operation",
    "change": "Change",
    "kind": "Job kind",
    "fields": "Columns",
    "filters": "Filters",
    "search": "Searched",
    "text_filters": "Typed filters",
    "format": "Format",
    "appeal_id": "Appeal",
    "sanction_id": "Sanction",
    "sanction_kind": "Sanction kind",
    "reversed": "Sanction reversed",
}


def entry_details(entry: AuditEntry) -> dict[str, Any]:
    return entry.details if isinstance(entry.details, dict) else {}


def stored_id(details: dict[str, Any], key: str) -> int | None:
    value = details.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def entry_object(entry: AuditEntry) -> EntryObject | None:
    """What ``entry`` is about, or None when it names nothing it kept."""
    details = entry_details(entry)
    action = entry.action
    if action in MESSAGE_ACTIONS or action in READ_STATE_ACTIONS:
        return message_object(entry, details)
    if action in CASE_ACTIONS:
        return case_object(entry, details)
    if action == Action.NOTE_ADDED:
        return note_object(entry, details)
    if action == Action.USER_WARNED:
        return account_object(entry, f"Warning to {entry.target_username or 'an account'}")
    if action in APPEAL_ACTIONS:
        appeal_id = stored_id(details, "appeal_id")
        number = f" #{appeal_id}" if appeal_id is not None else ""
        return account_object(entry, f"Appeal{number} of {entry.target_username or 'an account'}")
    if action in ACCOUNT_ACTIONS:
        return account_object(entry, f"Account {entry.target_username or '—'}")
    if action == Action.EXPORT:
        return export_object(details)
    if action == Action.JOB_RETRIED:
        job_id = stored_id(details, "job_id")
        return EntryObject(f"Job #{job_id}", Kind.JOB, job_id) if job_id is not None else None
    if action == Action.GROUP_CHANGED:
        name = f"Group {details.get('object') or '—'}"
        return EntryObject(name, Kind.GROUP, stored_id(details, "group_id"))
    return None


def message_object(entry: AuditEntry, details: dict[str, Any]) -> EntryObject | None:
    """One message, or a moderator's selection whose read state changed."""
    message_id = stored_id(details, "message_id")
    if message_id is not None:
        return EntryObject(f"Message #{message_id}", Kind.MESSAGE, message_id)
    count = details.get("count")
    if entry.action not in READ_STATE_ACTIONS or not is_count(count):
        return None
    listed = details.get("message_ids")
    ids = tuple(pk for pk in listed if is_count(pk)) if isinstance(listed, list) else ()
    return EntryObject(f"{count:,} message{'' if count == 1 else 's'}", message_ids=ids)


def case_object(entry: AuditEntry, details: dict[str, Any]) -> EntryObject | None:
    if entry.case_id is None:
        return None
    report_id = stored_id(details, "report_id")
    name = f"Case #{entry.case_id}"
    if report_id is not None:
        name = f"Report #{report_id} of case #{entry.case_id}"
    return EntryObject(name, Kind.CASE, entry.case_id)


def note_object(entry: AuditEntry, details: dict[str, Any]) -> EntryObject:
    note_id = stored_id(details, "note_id")
    on = f"case #{entry.case_id}" if entry.case_id is not None else entry.target_username
    name = f"Note #{note_id} on {on}" if note_id is not None else f"Note on {on}"
    return EntryObject(name, Kind.NOTE if note_id is not None else None, note_id)


def account_object(entry: AuditEntry, name: str) -> EntryObject:
    user_id = entry.target_user_id
    if user_id is None:
        return EntryObject(name)
    return EntryObject(name, Kind.ACCOUNT, user_id, gone_name=f"{name} #{user_id} (deleted)")


def export_object(details: dict[str, Any]) -> EntryObject:
    rows = details.get("rows")
    what = model_plural(details.get("model"))
    name = f"Export of {rows:,} {what}" if is_count(rows) else f"Export of {what}"
    job_id = stored_id(details, "job_id")
    if job_id is None:
        return EntryObject(name)  # streamed: nothing stored to link to
    return EntryObject(
        f"{name} (job #{job_id})", Kind.JOB, job_id, gone_name=f"{name} (job #{job_id}, deleted)"
    )


def model_plural(label: Any) -> str:
    """The plural of a model's label ("messaging.message": "messages"), or the
    label itself if no model has it."""
    try:
        return str(apps.get_model(str(label))._meta.verbose_name_plural)
    except (LookupError, ValueError):
        return str(label or "rows")


def entry_counts(entry: AuditEntry) -> list[tuple[str, int]]:
    """The entry's counts, labelled, in the order its service wrote them; zero
    counts too (an account deletion that removed no message says so)."""
    details = entry_details(entry)
    return [
        (COUNT_LABELS[key], value)
        for key, value in details.items()
        if key in COUNT_LABELS and is_count(value)
    ]


def entry_facts(entry: AuditEntry) -> list[Fact]:
    """Every other detail the entry keeps, labelled and in words."""
    facts = []
    for key, value in entry_details(entry).items():
        if key in SHOWN_ELSEWHERE or value in (None, "", []):
            continue
        label = FACT_LABELS.get(key, key.replace("_", " ").capitalize())
        facts.append(Fact(label, fact_value(key, value)))
    return facts


def fact_value(key: str, value: Any) -> str:
    if key == "change" and isinstance(value, list):
        # Django's admin log format (field names, never values): its own wording.
        return LogEntry(change_message=json.dumps(value)).get_change_message() or "nothing"
    if key == "notification_id" and is_count(value):
        return f"notification #{value}"
    if key in ("report_id", "appeal_id", "sanction_id") and is_count(value):
        return f"#{value}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if key in MOMENT_KEYS and isinstance(value, str) and (moment := parse_moment(value)):
        return format_timestamp(moment)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def parse_moment(value: str) -> Any:
    try:
        return parse_datetime(value)
    except ValueError:
        return None


def entry_summary(entry: AuditEntry) -> str:
    """The counts in a few words ("messages deleted: 12"): the list's column."""
    return ", ".join(f"{label.lower()}: {value:,}" for label, value in entry_counts(entry) if value)

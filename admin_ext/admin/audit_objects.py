"""The objects audit entries name, as the admin shows them: a link to the
object's page while it exists and the viewer may open it, its name and id
(and "deleted") after.

``AuditObjects`` looks up a whole page of entries at once, one query per kind
of object named on the page (messages, cases, accounts, notes, jobs, groups),
whatever the number of entries: the audit log's list and an entry's page use it.
The naming itself is ``audit.describe``'s.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Model
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from admin_ext.admin.base import is_valid_id
from audit.describe import EntryObject, Kind, entry_object
from audit.models import AuditEntry
from jobs.models import Job
from messaging.models import Message
from moderation.models import Case, Note

LINK_CLASS = "text-primary-600 dark:text-primary-500"


@dataclass(frozen=True)
class KindLookup:
    model: type[Model]
    fields: tuple[str, ...]  # read for the link and the state, besides the pk


def lookups() -> dict[Kind, KindLookup]:
    return {
        Kind.MESSAGE: KindLookup(Message, ("is_hidden", "is_tombstone")),
        Kind.CASE: KindLookup(Case, ()),
        Kind.ACCOUNT: KindLookup(get_user_model(), ()),
        Kind.NOTE: KindLookup(Note, ("case_id", "user_id")),
        Kind.JOB: KindLookup(Job, ()),
        Kind.GROUP: KindLookup(Group, ()),
    }


class AuditObjects:
    """What still exists of the objects ``entries`` name, read at construction
    (one query per kind named), and the links ``request``'s viewer may follow."""

    def __init__(
        self,
        entries: Iterable[AuditEntry],
        *,
        request: HttpRequest,
        admin_site: AdminSite,
        with_members: bool = False,
    ) -> None:
        """``with_members``: also look up each message of a selection (an entry's
        page; the list names a selection by its count)."""
        self.entries = list(entries)
        self.request = request
        self.admin_site = admin_site
        self.objects = {entry.pk: entry_object(entry) for entry in self.entries}
        wanted: dict[Kind, set[int]] = defaultdict(set)
        for entry in self.entries:
            named = self.objects[entry.pk]
            if named is not None and named.kind is not None and named.pk is not None:
                wanted[named.kind].add(named.pk)
            if named is not None and with_members:
                wanted[Kind.MESSAGE].update(named.message_ids)
            if entry.target_user_id is not None:
                wanted[Kind.ACCOUNT].add(entry.target_user_id)
            if entry.case_id is not None:
                wanted[Kind.CASE].add(entry.case_id)
        self.found: dict[Kind, dict[int, dict[str, Any]]] = {
            kind: self._read(kind, ids) for kind, ids in wanted.items()
        }
        self._may_view: dict[type[Model], bool] = {}
        self.with_members = with_members

    def _read(self, kind: Kind, ids: set[int]) -> dict[int, dict[str, Any]]:
        lookup = lookups()[kind]
        field = lookup.model._meta.pk
        # Ids out of the column's range (an entry written by hand, say) find nothing.
        valid = [pk for pk in ids if is_valid_id(field, pk)]
        rows = lookup.model._default_manager.filter(pk__in=valid).values("pk", *lookup.fields)
        return {row["pk"]: row for row in rows}

    def may_view(self, model: type[Model]) -> bool:
        """Whether the viewer may open ``model``'s pages (the role policy's
        answer, through the model's admin), asked once per model."""
        if model not in self._may_view:
            try:
                model_admin = self.admin_site.get_model_admin(model)
            except NotRegistered:
                self._may_view[model] = False
            else:
                self._may_view[model] = model_admin.has_view_permission(self.request)
        return self._may_view[model]

    # --- what the pages show -------------------------------------------------------------

    def object_of(self, entry: AuditEntry) -> EntryObject | None:
        return self.objects.get(entry.pk)

    def object_html(self, entry: AuditEntry) -> SafeString | str | None:
        """The entry's object: a link while it exists, "... (deleted)" after."""
        named = self.objects.get(entry.pk)
        if named is None:
            return None
        if named.message_ids and self.with_members:
            return format_html("{}: {}", named.name, self.messages_html(named.message_ids))
        if named.kind is None or named.pk is None:
            return named.name
        row = self.found.get(named.kind, {}).get(named.pk)
        if row is None:
            return named.name_when_gone
        state = object_state(named.kind, row)
        return self.link(named.kind, row, named.name, suffix=f" ({state})" if state else "")

    def messages_html(self, message_ids: Iterable[int]) -> SafeString:
        """Each message of a selection: a link, or "#id (deleted)"."""
        found = self.found.get(Kind.MESSAGE, {})
        return format_html_join(
            ", ",
            "{}",
            (
                (
                    self.link(Kind.MESSAGE, found[pk], f"#{pk}")
                    if pk in found
                    else f"#{pk} (deleted)",
                )
                for pk in message_ids
            ),
        )

    def account_html(self, entry: AuditEntry) -> SafeString | str:
        """The target: username and id, a link to the account while it exists."""
        name = entry.target_username or "—"
        if entry.target_user_id is None:
            return name
        row = self.found.get(Kind.ACCOUNT, {}).get(entry.target_user_id)
        if row is None:
            return f"{name} #{entry.target_user_id} (deleted)"
        return self.link(Kind.ACCOUNT, row, name, suffix=f" #{entry.target_user_id}")

    def account_link(self, user_id: int, text: str) -> SafeString | str:
        """An account known to exist (an entry's actor: the link empties when
        the account goes)."""
        return self.link(Kind.ACCOUNT, {"pk": user_id}, text)

    def case_html(self, entry: AuditEntry) -> SafeString | str | None:
        if entry.case_id is None:
            return None
        row = self.found.get(Kind.CASE, {}).get(entry.case_id)
        if row is None:
            return f"#{entry.case_id} (deleted)"
        return self.link(Kind.CASE, row, f"#{entry.case_id}")

    def link(self, kind: Kind, row: dict[str, Any], text: str, *, suffix: str = "") -> Any:
        url = self.url(kind, row)
        if url is None:
            return f"{text}{suffix}"
        return format_html('<a href="{}" class="{}">{}</a>{}', url, LINK_CLASS, text, suffix)

    def url(self, kind: Kind, row: dict[str, Any]) -> str | None:
        """The page of an existing object, if the viewer may open it; a note's is
        its case's or its person's, at the notes."""
        if kind == Kind.NOTE:
            if row["case_id"] is not None:
                target, anchor = (Kind.CASE, {"pk": row["case_id"]}), "#case-notes"
            else:
                target, anchor = (Kind.ACCOUNT, {"pk": row["user_id"]}), "#moderation-notes"
            url = self.url(*target)
            return f"{url}{anchor}" if url else None
        model = lookups()[kind].model
        if not self.may_view(model):
            return None
        opts = model._meta
        return reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[row["pk"]]
        )


def object_state(kind: Kind, row: dict[str, Any]) -> str:
    """What a moderator should know at a glance about the object now."""
    if kind == Kind.MESSAGE:
        if row["is_tombstone"]:
            return "tombstone"
        if row["is_hidden"]:
            return "hidden"
    return ""

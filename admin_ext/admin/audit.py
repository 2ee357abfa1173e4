"""The audit log in the admin: listed and shown, never written, even by a superuser.

Entries are append-only (``audit.models``); they are written only by the services
whose actions they record (``audit.services.record_audit_entry``).
"""

from __future__ import annotations

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from unfold.contrib.filters.admin import MultipleChoicesDropdownFilter
from unfold.decorators import display
from unfold.paginator import InfinitePaginator

from admin_ext.admin.base import DeskModelAdmin, ReadOnlyAdminMixin
from admin_ext.admin.filters import (
    AuditCaseFilter,
    AuditTargetFilter,
    AutocompleteFilter,
    RangeDateTimeFilter,
)
from admin_ext.exports.mixins import CsvExportAdminMixin
from audit.models import AuditEntry
from exports.resources import AuditEntryResource

REASON_EXCERPT_CHARS = 80


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, CsvExportAdminMixin, DeskModelAdmin):
    # List options
    list_display = (
        "created_at",
        "display_actor",
        "display_action",
        "display_target",
        "display_case",
        "display_reason",
        "display_counts",
    )
    list_filter = (
        ("action", MultipleChoicesDropdownFilter),
        # Needs the user admin's search_fields (admin_ext.admin.users).
        ("actor", AutocompleteFilter),
        # Text, not a choice of users: the target's account may be gone.
        AuditTargetFilter,
        AuditCaseFilter,
        ("created_at", RangeDateTimeFilter),  # aware bounds
    )
    list_filter_submit = True
    search_fields = ("target_username", "actor_username", "reason")
    search_help_text = "Search by target or actor username, or reason."
    # The log only grows: no COUNT(*) over all of it on every page; the
    # paginator shows previous/next instead of page numbers.
    show_full_result_count = False
    paginator = InfinitePaginator
    show_facets = admin.ShowFacets.NEVER  # a COUNT per filter choice, same reason
    list_per_page = 50

    # Form options: the change view only shows an entry (see has_change_permission).
    fields = (
        "created_at",
        "action",
        "actor_username",
        "actor",
        "target_username",
        "target_user_id",
        "case_id",
        "reason",
        "details",
    )
    readonly_fields = fields

    # Export: CSV of the filtered log; needs audit.export_auditentry.
    resource_classes = (AuditEntryResource,)

    # The columns read only the entry's own row (actor_username is kept as text
    # because the actor's account may be gone): no join, no query per row.
    @display(description="Actor", ordering="actor_username")
    def display_actor(self, entry: AuditEntry) -> str:
        return entry.actor_username or "system"

    @display(
        description="Action",
        ordering="action",
        # Red takes something away from a person, orange holds them back, green
        # gives back or lets go, blue is bookkeeping. Unlisted actions are grey.
        label={
            AuditEntry.Action.ACCOUNT_DELETED: "danger",
            AuditEntry.Action.USER_SUSPENDED: "danger",
            AuditEntry.Action.EVIDENCE_PURGED: "danger",
            AuditEntry.Action.MESSAGE_EDITED: "warning",
            AuditEntry.Action.MESSAGE_HIDDEN: "warning",
            AuditEntry.Action.USER_WARNED: "warning",
            AuditEntry.Action.CASE_DISMISSED: "success",
            AuditEntry.Action.MESSAGE_RESTORED: "success",
            AuditEntry.Action.SUSPENSION_LIFTED: "success",
            AuditEntry.Action.MESSAGES_MARKED_READ: "info",
            AuditEntry.Action.MESSAGES_MARKED_UNREAD: "info",
            AuditEntry.Action.NOTE_ADDED: "info",
            AuditEntry.Action.RETENTION_CHANGED: "info",
            AuditEntry.Action.ACCOUNT_CHANGED: "warning",
            AuditEntry.Action.GROUP_CHANGED: "warning",
            AuditEntry.Action.SECOND_FACTOR_ENROLLED: "info",
            # Opens the account to a password alone until its owner sets one up again.
            AuditEntry.Action.SECOND_FACTOR_RESET: "warning",
        },
    )
    def display_action(self, entry: AuditEntry) -> tuple[str, str]:
        return entry.action, entry.get_action_display()

    @display(description="Target", header=True, ordering="target_username")
    def display_target(self, entry: AuditEntry) -> list[str]:
        user_id = f"#{entry.target_user_id}" if entry.target_user_id is not None else ""
        return [entry.target_username or "—", user_id]

    @display(description="Case", ordering="case_id")
    def display_case(self, entry: AuditEntry) -> SafeString | str | None:
        """The case's page when the review queue's admin is there; the case may
        have been purged since (its page then says so)."""
        if entry.case_id is None:
            return None
        try:
            url = reverse("admin:moderation_case_change", args=[entry.case_id])
        except NoReverseMatch:
            return f"#{entry.case_id}"
        return format_html('<a href="{}" class="text-primary-600">#{}</a>', url, entry.case_id)

    @display(description="Reason")
    def display_reason(self, entry: AuditEntry) -> str:
        return Truncator(entry.reason).chars(REASON_EXCERPT_CHARS)

    @display(description="Counts")
    def display_counts(self, entry: AuditEntry) -> str | None:
        """The non-zero counts of ``details``, e.g. "messages deleted: 12". The ids
        some entries keep (``message_id`` of a hidden message, ``note_id``) are
        numbers but not counts."""
        details = entry.details if isinstance(entry.details, dict) else {}
        counts = [
            f"{name.replace('_', ' ')}: {value}"
            for name, value in details.items()
            if isinstance(value, int)
            and not isinstance(value, bool)
            and value
            and not name.endswith("_id")
        ]
        return ", ".join(counts) or None

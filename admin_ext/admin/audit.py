"""The audit log in the admin: listed and shown, never written, even by a superuser.

Entries are append-only (``audit.models``); they are written only by the services
whose actions they record (``audit.services.record_audit_entry``). Each row and
each entry's page name the entry's object ("Message #28", "Case #1", "Account
zeno", "Export of 1,234 messages": ``audit.describe``) with a link while it
exists (``audit_objects``: one query per kind of object for the whole page).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from unfold.contrib.filters.admin import MultipleChoicesDropdownFilter
from unfold.decorators import display
from unfold.views import ChangeList

from admin_ext.admin.audit_objects import AuditObjects
from admin_ext.admin.base import DeskChangeList, DeskModelAdmin, ReadOnlyAdminMixin
from admin_ext.admin.filters import (
    AuditCaseFilter,
    AuditTargetFilter,
    AutocompleteFilter,
    RangeDateTimeFilter,
)
from admin_ext.admin.paginators import ShownCount
from admin_ext.exports.mixins import CsvExportAdminMixin
from audit.describe import entry_counts, entry_facts, entry_summary
from audit.models import AuditEntry
from exports.resources import AuditEntryResource

REASON_EXCERPT_CHARS = 80


class AuditChangeList(DeskChangeList):
    """The desk's changelist, looking up once per page what the entries name."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        shown = AuditObjects(
            self.result_list, request=request, admin_site=self.model_admin.admin_site
        )
        # The page's entries are the ones just read (the sliced queryset caches
        # them): each carries the page's lookups for its columns.
        for entry in self.result_list:
            entry.shown_objects = shown

    @property
    def total(self) -> str:
        """The total in words: "1,234 entries", "about 2,000,000 entries" (the
        paginator's estimate), "10,000+ entries match the filters" (its cap)."""
        count = self.result_count  # a ShownCount reads "about N" or "N+"
        shown = str(count) if isinstance(count, ShownCount) else f"{count:,}"
        one = count == 1 and not isinstance(count, ShownCount)
        noun = "entry" if one else "entries"
        filtered = " matches the filters" if one else " match the filters"
        return f"{shown} {noun}{filtered if self.is_filtered else ''}"


def shown_objects(entry: AuditEntry) -> AuditObjects | None:
    return getattr(entry, "shown_objects", None)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, CsvExportAdminMixin, DeskModelAdmin):
    list_title = "Audit log"  # the sidebar's name
    # List options
    list_display = (
        "created_at",
        "display_actor",
        "display_action",
        "display_object",
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
    # The total at the top ("1,234 entries") is the paginator's one count of the
    # filtered list (capped, or the planner's estimate unfiltered: base.py).
    # None per filter choice.
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    list_before_template = "admin_ext/audit/total.html"

    # Form options: the change view only shows an entry (see has_change_permission),
    # in words; the stored JSON only to superusers, folded (get_fieldsets).
    fieldsets = (
        (None, {"fields": ("created_at", "display_what", "display_actor_detail", "reason")}),
        ("About", {"fields": ("display_object", "display_target", "display_case")}),
        ("Details", {"fields": ("display_details",)}),
    )
    stored_fieldset = ("Stored details", {"fields": ("details",), "classes": ("collapse",)})
    readonly_fields = (
        "created_at",
        "display_what",
        "display_actor_detail",
        "reason",
        "display_object",
        "display_target",
        "display_case",
        "display_details",
        "details",
    )

    # Export: CSV of the filtered log; needs audit.export_auditentry.
    resource_classes = (AuditEntryResource,)

    class Media:
        css = {"all": ("admin_ext/audit.css",)}

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return AuditChangeList

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser:
            return (*self.fieldsets, self.stored_fieldset)
        return self.fieldsets

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # An entry never changes: no History button (it could only say "This
        # object doesn't have a change history").
        return super().change_view(
            request, object_id, form_url, {**(extra_context or {}), "show_history": False}
        )

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        entry = super().get_object(request, object_id, from_field)
        if entry is not None:
            entry.shown_objects = AuditObjects(
                [entry], request=request, admin_site=self.admin_site, with_members=True
            )
        return entry

    # The columns read the entry's row and the page's lookups (AuditChangeList):
    # no query per row. actor_username is text: the actor's account may be gone.
    @display(description="Actor", ordering="actor_username")
    def display_actor(self, entry: AuditEntry) -> str:
        return entry.actor_username or "system"

    @display(description="Actor")
    def display_actor_detail(self, entry: AuditEntry) -> SafeString | str:
        name = entry.actor_username or "system"
        shown = shown_objects(entry)
        if entry.actor_id is None or shown is None:
            return name
        return shown.account_link(entry.actor_id, name)

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
            AuditEntry.Action.MESSAGE_FLAGGED: "warning",
            AuditEntry.Action.USER_WARNED: "warning",
            AuditEntry.Action.CASE_DISMISSED: "success",
            AuditEntry.Action.MESSAGE_RESTORED: "success",
            AuditEntry.Action.SUSPENSION_LIFTED: "success",
            AuditEntry.Action.SANCTION_EXPIRED: "success",
            AuditEntry.Action.WARNING_WITHDRAWN: "success",
            AuditEntry.Action.APPEAL_APPROVED: "success",
            AuditEntry.Action.APPEAL_REJECTED: "warning",
            AuditEntry.Action.APPEAL_FILED: "info",
            AuditEntry.Action.APPEAL_QUESTION_ASKED: "info",
            AuditEntry.Action.APPEAL_ANSWERED: "info",
            AuditEntry.Action.MESSAGES_MARKED_READ: "info",
            AuditEntry.Action.MESSAGES_MARKED_UNREAD: "info",
            AuditEntry.Action.NOTE_ADDED: "info",
            AuditEntry.Action.CASE_CLAIMED: "info",
            AuditEntry.Action.CASE_RELEASED: "info",
            AuditEntry.Action.CASE_MARKED_BRIGADE: "warning",
            AuditEntry.Action.RETENTION_CHANGED: "info",
            AuditEntry.Action.ACCOUNT_CHANGED: "warning",
            AuditEntry.Action.GROUP_CHANGED: "warning",
            AuditEntry.Action.SECOND_FACTOR_ENROLLED: "info",
            # Opens the account to a password alone until its owner sets one up again.
            AuditEntry.Action.SECOND_FACTOR_RESET: "warning",
            AuditEntry.Action.RULE_CREATED: "info",
            AuditEntry.Action.RULE_CHANGED: "info",
            # A rule that acts holds messages back; one switched off lets them go.
            AuditEntry.Action.RULE_SWITCHED_ON: "warning",
            AuditEntry.Action.RULE_SWITCHED_OFF: "success",
            AuditEntry.Action.BACKTEST_STARTED: "info",
        },
    )
    def display_action(self, entry: AuditEntry) -> tuple[str, str]:
        return entry.action, entry.get_action_display()

    @display(description="Action")
    def display_what(self, entry: AuditEntry) -> str:
        return entry.get_action_display()

    @display(description="Object")
    def display_object(self, entry: AuditEntry) -> SafeString | str | None:
        """What the entry is about: a link while it exists, its id after."""
        shown = shown_objects(entry)
        return shown.object_html(entry) if shown is not None else None

    @display(description="Target", ordering="target_username")
    def display_target(self, entry: AuditEntry) -> SafeString | str:
        shown = shown_objects(entry)
        if shown is None:
            return entry.target_username or "—"
        return shown.account_html(entry)

    @display(description="Case", ordering="case_id")
    def display_case(self, entry: AuditEntry) -> SafeString | str | None:
        shown = shown_objects(entry)
        if shown is None:
            return f"#{entry.case_id}" if entry.case_id is not None else None
        return shown.case_html(entry)

    @display(description="Reason")
    def display_reason(self, entry: AuditEntry) -> str:
        return Truncator(entry.reason).chars(REASON_EXCERPT_CHARS)

    @display(description="Counts")
    def display_counts(self, entry: AuditEntry) -> str | None:
        """The non-zero counts, e.g. "messages deleted: 12" (ids are not counts)."""
        return entry_summary(entry) or None

    @display(description="Recorded")
    def display_details(self, entry: AuditEntry) -> SafeString:
        """The counts as a small table and every other detail labelled."""
        return render_to_string(
            "admin_ext/audit/details.html",
            {
                "counts": [(label, f"{value:,}") for label, value in entry_counts(entry)],
                "facts": entry_facts(entry),
            },
        )

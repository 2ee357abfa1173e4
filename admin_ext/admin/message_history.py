"""The edit log of messages in the moderators' admin, read-only: what each edit
replaced, who made it and when."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from unfold.decorators import display

from admin_ext.admin.base import DeskModelAdmin, ReadOnlyAdminMixin
from admin_ext.admin.filters import AutocompleteFilter, RangeDateTimeFilter
from admin_ext.admin.message_text import excerpt, message_change_url, word_diff
from admin_ext.exports.mixins import CsvExportAdminMixin
from exports.resources import MessageHistoryResource
from messaging.models import MessageHistory


@admin.register(MessageHistory)
class MessageHistoryAdmin(ReadOnlyAdminMixin, CsvExportAdminMixin, DeskModelAdmin):
    """The edit log, read-only: what each edit replaced, who made it and when."""

    # --- List ---------------------------------------------------------------
    list_title = "Edit history"  # the sidebar's name (DeskChangeList)
    list_display = ("display_message", "display_editor", "edited_at", "display_old_content")
    list_display_links = ("display_old_content",)
    list_filter = (
        ("edited_at", RangeDateTimeFilter),
        ("edited_by", AutocompleteFilter),
    )
    list_filter_submit = True
    list_per_page = 100
    show_facets = admin.ShowFacets.NEVER
    sortable_by = ("edited_at",)
    search_fields = ("old_content", "edited_by__username")
    search_help_text = "Search the replaced text and the usernames of editors."

    # --- Form ---------------------------------------------------------------
    fields = (
        "display_message",
        "edited_by",
        "edited_at",
        "display_full_old_content",
        "display_changes",
    )
    readonly_fields = fields

    # --- Actions ------------------------------------------------------------
    actions = None  # a log: nothing to do in bulk

    # --- Export (CSV of the filtered list; needs messaging.export_messagehistory)
    resource_classes = (MessageHistoryResource,)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("edited_by")  # editor column

    @display(description="message")
    def display_message(self, obj: MessageHistory) -> SafeString:
        return format_html(
            '<a href="{}" class="msgadmin-link">Message #{}</a>',
            message_change_url(obj.message_id),
            obj.message_id,
        )

    @display(description="editor")
    def display_editor(self, obj: MessageHistory) -> str:
        return obj.edited_by.get_username() if obj.edited_by else "deleted account"

    @display(description="old content")
    def display_old_content(self, obj: MessageHistory) -> str:
        return excerpt(obj.old_content)  # the changelist escapes it

    @display(description="old content")
    def display_full_old_content(self, obj: MessageHistory) -> SafeString:
        return format_html('<div class="msgadmin-text">{}</div>', obj.old_content)

    @display(description="what the edit changed")
    def display_changes(self, obj: MessageHistory) -> SafeString:
        text_after_edit = (
            MessageHistory.objects.filter(pk=obj.pk)
            .with_text_after_edit()
            .values_list("content_after_edit", flat=True)
            .first()
        )
        return word_diff(obj.old_content, text_after_edit or "")

"""The read-only inlines of a message's page: its edit history (with the word diff
of each edit) and the notifications it sent."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from unfold.admin import TabularInline
from unfold.decorators import display

from admin_ext.admin.base import ReadOnlyAdminMixin
from admin_ext.admin.message_text import word_diff
from messaging.models import MessageHistory, Notification


class ReadOnlyInline(ReadOnlyAdminMixin, TabularInline):
    """An inline moderators read but never change."""

    extra = 0
    can_delete = False
    show_change_link = False
    show_title = False  # each row's str() above it says nothing the columns don't


class MessageHistoryInline(ReadOnlyInline):
    model = MessageHistory
    verbose_name = "edit"
    verbose_name_plural = "edit history"
    per_page = 20  # newest first (MessageHistory.Meta.ordering)
    fields = ("edited_at", "edited_by", "display_old_content", "display_changes")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # edited_by is joined for its column; the text each edit left is one
        # subquery per row, so the whole inline is one query.
        return super().get_queryset(request).select_related("edited_by").with_text_after_edit()

    @display(description="old content")
    def display_old_content(self, obj: MessageHistory) -> SafeString:
        return format_html('<div class="msgadmin-text">{}</div>', obj.old_content)

    @display(description="what the edit changed")
    def display_changes(self, obj: MessageHistory) -> SafeString:
        return word_diff(obj.old_content, obj.content_after_edit)


class NotificationInline(ReadOnlyInline):
    model = Notification
    per_page = 20
    fields = ("user", "kind", "created_at", "is_seen")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("user")  # the user column

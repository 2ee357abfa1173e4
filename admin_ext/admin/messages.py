"""Messages in the moderators' admin: review threads, audit and make edits.

Messages are never added or deleted here (account deletion is the way); moderators
change only ``content`` and ``read``, through the messaging services, which audit
every change. Content is always shown escaped. The edit log's own list is
``message_history``; the page's inlines are ``message_inlines``; excerpts and the
word diff are ``message_text``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from unfold.admin import ModelAdmin
from unfold.contrib.filters.admin import BooleanRadioFilter
from unfold.decorators import action, display

from admin_ext.admin import message_actions, message_bulk
from admin_ext.admin.base import DeskModelAdmin, VersionHistoryAdmin, is_valid_id
from admin_ext.admin.case_forms import CHANGE_CASE
from admin_ext.admin.filters import (
    AutocompleteFilter,
    HasRepliesFilter,
    RangeDateTimeFilter,
    UnreadFilter,
)
from admin_ext.admin.message_inlines import MessageHistoryInline, NotificationInline
from admin_ext.admin.message_text import (
    MAX_TREE_INDENT,
    TOMBSTONE_TEXT,
    TREE_EXCERPT_CHARS,
    count_messages,
    excerpt,
    message_change_url,
)
from admin_ext.admin.thread_lines import message_page_thread
from admin_ext.exports.mixins import CsvExportAdminMixin
from exports.resources import MessageResource
from messaging.models import Message
from messaging.services import edit_message, set_read_state


class MessageAdminForm(forms.ModelForm):
    """Validates a moderator's edit before anything is saved, so bad content is a
    form error: the field's validators (blank, length, NUL) run in the ModelForm's
    clean, and edit_message's own refusals are checked here too."""

    class Meta:
        model = Message
        fields = ("content", "read")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "content" in self.fields:
            # Content is stored exactly as typed (README, "Content rules").
            self.fields["content"].strip = False

    def clean_content(self) -> str:
        content = self.cleaned_data["content"]
        if self.instance.is_tombstone and content != self.instance.content:
            raise ValidationError("A deleted message cannot be edited.", code="tombstone")
        return content


@admin.register(Message)
class MessageAdmin(CsvExportAdminMixin, VersionHistoryAdmin, DeskModelAdmin):
    # django-simple-history finds the versions through
    # Message._meta.simple_history_manager_attribute ("versions"), so the
    # ``history`` name staying the MessageHistory edit log does not confuse it.

    # --- List ---------------------------------------------------------------
    list_display = (
        "display_sender",
        "display_receiver",
        "display_excerpt",
        "display_thread",
        "depth",
        "display_reply_count",
        "display_edited",
        "display_read",
        "display_time",
    )
    list_display_links = ("display_excerpt",)
    list_filter = (
        UnreadFilter,
        ("edited", BooleanRadioFilter),
        HasRepliesFilter,
        ("timestamp", RangeDateTimeFilter),
        ("sender", AutocompleteFilter),
        ("receiver", AutocompleteFilter),
    )
    list_filter_submit = True
    list_per_page = 100
    # Facet counts are a COUNT per filter choice over the whole table.
    show_facets = admin.ShowFacets.NEVER
    # Orderings the indexes serve (msg_newest_idx) or that are cheap to sort.
    sortable_by = ("display_time", "depth")
    ordering = ("-timestamp", "-id")
    # Search goes through MessageQuerySet.search (get_search_results below).
    search_fields = ("content", "sender__username", "receiver__username")
    search_help_text = "Search the text of messages and the usernames of senders and receivers."

    # --- Form ---------------------------------------------------------------
    form = MessageAdminForm
    # The page reads as a review (review.html, before the form): the conversation,
    # the actions, reports and cases. Editing the content is secondary: last, folded.
    fieldsets = (
        (
            "Details",
            {
                "fields": (
                    ("sender", "receiver", "timestamp"),
                    ("thread", "parent_message", "depth"),
                    ("edited", "edited_at", "edited_by"),
                    ("is_hidden", "is_tombstone"),
                ),
                "classes": ("collapse",),
            },
        ),
        (
            "Edit the content or the read state",
            {"fields": ("content", "read"), "classes": ("collapse",)},
        ),
    )
    readonly_fields = (
        "sender",
        "receiver",
        "timestamp",
        "thread",
        "parent_message",
        "depth",
        "edited",
        "edited_at",
        "edited_by",
        "is_tombstone",
        # Hidden and restored by the page's actions (moderation.services), audited there.
        "is_hidden",
    )
    # Outside the change form: the page's action forms must not nest in it.
    change_form_outer_before_template = "admin_ext/messages/review.html"
    warn_unsaved_form = True

    # --- Inlines ------------------------------------------------------------
    inlines = (MessageHistoryInline, NotificationInline)

    # --- Actions ------------------------------------------------------------
    actions = (
        message_bulk.hide_messages,
        message_bulk.restore_messages,
        message_bulk.warn_authors,
        message_bulk.open_cases,
        "mark_as_read",
        "mark_as_unread",
    )
    withheld_actions = ("delete_selected",)  # messages go with their author's account

    # --- Export (CSV of the filtered list; needs messaging.export_message) -----
    resource_classes = (MessageResource,)

    # --- Permissions ----------------------------------------------------------
    # Messages are never added or deleted in the admin, not even by superusers:
    # deleting an account (with its messages) is the way, through its service.

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_act_permission(self, request: HttpRequest) -> bool:
        """Hide, restore, warn, open a case: what acting on a case needs."""
        return request.user.has_perm(CHANGE_CASE)

    # --- Overrides -------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # A page of 100 rows costs one query: the users and the thread root shown in
        # each row are joined, and reply counts come from a correlated subquery.
        return (
            super()
            .get_queryset(request)
            .select_related("sender", "receiver", "thread")
            .with_reply_counts()
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        # The same words, fields and meaning as search_fields, in a form PostgreSQL
        # answers from indexes (content trigrams, sender, receiver) instead of an
        # OR across joined tables, which scans every message (2 s at 1,000,000).
        if self.refuse_search_term(request, search_term):
            return queryset.none(), False
        if not search_term.strip():
            return queryset, False
        return queryset.search(search_term), False

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        # The page shows the parent and the last editor (read-only fields): joined
        # to the message's row, not a query each while the form renders, so the
        # thread's window (two queries) fits the page's budget.
        field = self.opts.pk if from_field is None else self.opts.get_field(from_field)
        if not is_valid_id(field, object_id):
            return None  # letters, or beyond 64 bits (OverflowError on SQLite)
        queryset = self.get_queryset(request).select_related("parent_message", "edited_by")
        return queryset.filter(**{field.name: field.to_python(object_id)}).first()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        readonly_fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and obj.is_tombstone:
            return (*readonly_fields, "content")  # nothing left to edit
        return readonly_fields

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Message | None = None,
    ) -> HttpResponse:
        if obj is not None:
            # The messages around this one, not the whole thread (5,000 messages were
            # 4.8 MB of HTML): two queries whatever its size; the rest on request.
            context.update(message_page_thread(request, obj))
            context["thread_highlighted_ids"] = {obj.pk}  # the thread's partial takes a set
            context["thread_max_indent"] = MAX_TREE_INDENT
            context["thread_excerpt_chars"] = TREE_EXCERPT_CHARS
            context.update(message_actions.review_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self) -> list[URLPattern]:
        # The page's action forms (message_actions), before the stock patterns:
        # their "<path:object_id>/" would match first.
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                f"<path:object_id>/{name.replace('_', '-')}/",
                self.admin_site.admin_view(self._action_view(name)),
                name=f"{prefix}_{name}",
            )
            for name in message_actions.ACTIONS
        ] + super().get_urls()

    def _action_view(self, name: str) -> Any:
        def view(request: HttpRequest, object_id: str) -> HttpResponse:
            if not self.has_view_permission(request):
                raise PermissionDenied
            return message_actions.message_action_view(self, request, object_id, name=name)

        view.__name__ = f"message_{name}_view"
        return view

    def save_model(self, request: HttpRequest, obj: Message, form: Any, change: bool) -> None:
        # Never obj.save(): only content and read change here, each through its
        # service, which names the moderator in the edit history and audits it.
        obj._history_user = request.user  # as SimpleHistoryAdmin does
        request._message_edit_refused = False
        if "content" in form.changed_data:
            try:
                edit_message(obj, editor=request.user, content=form.cleaned_data["content"])
            except ValidationError as error:
                # The form checked this already; the message changed since (an
                # account deletion made it a tombstone). Nothing was written.
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                request._message_edit_refused = True
                return
        if "read" in form.changed_data:
            set_read_state(
                Message.objects.filter(pk=obj.pk),
                read=form.cleaned_data["read"],
                actor=request.user,
                details={"message_id": obj.pk},
            )

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        if getattr(request, "_message_edit_refused", False):
            return None  # nothing changed
        return super().log_change(request, obj, message)

    def response_change(self, request: HttpRequest, obj: Message) -> HttpResponse:
        if getattr(request, "_message_edit_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    # --- Actions ------------------------------------------------------------------

    @action(description="Mark as read", permissions=["change"])
    def mark_as_read(self, request: HttpRequest, queryset: QuerySet) -> None:
        changed = set_read_state(queryset, read=True, actor=request.user)
        self.message_user(request, f"{count_messages(changed)} marked as read.", messages.SUCCESS)

    @action(description="Mark as unread", permissions=["change"])
    def mark_as_unread(self, request: HttpRequest, queryset: QuerySet) -> None:
        changed = set_read_state(queryset, read=False, actor=request.user)
        self.message_user(request, f"{count_messages(changed)} marked as unread.", messages.SUCCESS)

    # --- Columns ------------------------------------------------------------------

    @display(description="sender")
    def display_sender(self, obj: Message) -> str:
        return obj.sender.get_username() if obj.sender else "deleted account"

    @display(description="receiver")
    def display_receiver(self, obj: Message) -> str:
        return obj.receiver.get_username() if obj.receiver else "deleted account"

    @display(description="content")
    def display_excerpt(self, obj: Message) -> SafeString | str:
        if obj.is_tombstone:
            return format_html('<span class="msgadmin-tombstone">{}</span>', TOMBSTONE_TEXT)
        if obj.is_hidden:
            # Moderators still read it; the label says people do not.
            return format_html('<span class="msgadmin-flag">hidden</span> {}', excerpt(obj.content))
        return excerpt(obj.content)  # the changelist escapes it

    @display(description="thread")
    def display_thread(self, obj: Message) -> SafeString | str:
        root = obj.thread
        if root is None:
            return "-"
        root_text = TOMBSTONE_TEXT if root.is_tombstone else excerpt(root.content, length=40)
        return format_html(
            '<a href="{}" class="msgadmin-link" title="{}">#{}</a>',
            message_change_url(root.pk),
            root_text,
            root.pk,
        )

    @display(description="replies")
    def display_reply_count(self, obj: Message) -> int:
        return obj.reply_count

    # Labels rather than icons: an edit is the exception worth spotting in a page.
    # Drawn here, not with @display(label=...): unfold renders a template per labelled
    # cell, 300 bytes each, 200 a page (messages.css styles .msgadmin-label).
    @display(description="edited")
    def display_edited(self, obj: Message) -> SafeString | str:
        return label("edited", "info") if obj.edited else ""

    @display(description="read")
    def display_read(self, obj: Message) -> SafeString:
        if obj.is_unread:
            return label("unread", "warning")
        # Nobody left to read it when the receiver's account is gone.
        return label("read", "success") if obj.read else label("receiver gone", "success")

    @display(description=ModelAdmin.action_checkbox.short_description)
    def action_checkbox(self, obj: Message) -> SafeString:
        # unfold's checkbox carries 700 bytes of classes, 70 KB a page of 100 rows;
        # messages.css draws .msgadmin-check the same way.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="msgadmin-check action-select"'
            ' aria-label="Select message #{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            obj.pk,
        )

    @display(description="time", ordering="timestamp")
    def display_time(self, obj: Message) -> SafeString:
        moment = timezone.localtime(obj.timestamp)
        return format_html(
            '<time class="msgadmin-nowrap" datetime="{}">{}</time>',
            moment.isoformat(),
            date_format(moment, "DATETIME_FORMAT"),
        )


def label(text: str, tone: str) -> SafeString:
    return format_html('<span class="msgadmin-label msgadmin-label-{}">{}</span>', tone, text)

"""A person's sanctions across the desk, read-only: who is under what, since and
until when, and how each ended. Sanctions are written only by the services of
``moderation.sanctions`` (from a case, a message or a person's page) and ended
by them or by the worker when their time comes; here they are only listed.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.db.models.options import Options
from django.http import HttpRequest
from django.urls import URLPattern, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from unfold.decorators import display

from admin_ext.admin.base import DeskModelAdmin, ReadOnlyAdminMixin
from admin_ext.admin.filters import YesNoFilter
from moderation.models import Case, Sanction
from moderation_site.time_format import time_element


class ActiveSanctionFilter(YesNoFilter):
    title = "in force"
    parameter_name = "active"
    answers = (("yes", "Active"), ("no", "Ended"))

    def select(self, queryset: QuerySet, answer: bool) -> QuerySet:
        return queryset.active() if answer else queryset.ended()


@admin.register(Sanction)
class SanctionAdmin(ReadOnlyAdminMixin, DeskModelAdmin):
    list_title = "Sanctions"
    # List options
    list_display = (
        "display_person",
        "kind",
        "display_since",
        "display_until",
        "display_ended",
        "display_case",
    )
    list_filter = ("kind", ActiveSanctionFilter, "ending")
    search_fields = ("user__username",)
    search_help_text = "Search by the person's username."
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50

    # Form options: a sanction's page shows it, in words.
    fields = (
        "display_person",
        "kind",
        "display_since",
        "display_imposed_by",
        "display_until",
        "display_ended",
        "display_case",
        "message_id",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Each row names the person and who imposed and ended it: no query per row.
        return super().get_queryset(request).select_related("user", "imposed_by", "ended_by")

    def get_urls(self) -> list[URLPattern]:
        # No history page: Django's LogEntry, which it lists, is never written for
        # a sanction (the role policy has none either); the audit log tells its story.
        history = f"{self.opts.app_label}_{self.opts.model_name}_history"
        return [url for url in super().get_urls() if url.name != history]

    @display(description="person", ordering="user__username")
    def display_person(self, sanction: Sanction) -> SafeString:
        return format_html(
            '<a href="{}" class="msgadmin-link">{}</a>',
            self._page_url(sanction.user._meta, sanction.user_id),
            sanction.user.get_username(),
        )

    @display(description="since", ordering="imposed_at")
    def display_since(self, sanction: Sanction) -> SafeString:
        return time_element(sanction.imposed_at)

    @display(description="imposed by")
    def display_imposed_by(self, sanction: Sanction) -> str:
        return sanction.imposed_by_name

    @display(description="until", ordering="ends_at")
    def display_until(self, sanction: Sanction) -> SafeString | str:
        # The column says "until": the moment alone, or that none was set.
        if sanction.ends_at is None:
            return "when lifted"
        return time_element(sanction.ends_at)

    @display(description="ended", ordering="ended_at")
    def display_ended(self, sanction: Sanction) -> SafeString | str:
        if sanction.is_active:
            return "active"
        who = f" ({sanction.ended_by.get_username()})" if sanction.ended_by else ""
        return format_html(
            "{}{}, {}", sanction.get_ending_display(), who, time_element(sanction.ended_at)
        )

    @display(description="case")
    def display_case(self, sanction: Sanction) -> SafeString | str:
        if sanction.case_id is None:
            return "—"
        return format_html(
            '<a href="{}" class="msgadmin-link">case #{}</a>',
            self._page_url(Case._meta, sanction.case_id),
            sanction.case_id,
        )

    def _page_url(self, opts: Options, object_id: int) -> str:
        return reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change", args=[object_id]
        )

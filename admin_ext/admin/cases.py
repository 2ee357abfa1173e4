"""The review queue and the case page of the moderators' admin.

The changelist is the queue: open cases, highest priority first
(``Case.objects.review_queue``), every column read from the case's own row.
The change page shows a case and never saves it: nobody has change permission
on the ModelAdmin, superusers included. What moderators do to a case goes
through the forms of that page and the queue's bulk action, which post to the
handlers of ``case_actions`` and from there to ``moderation.services``.

The queue's filters and order are ``case_queue``; what the case page shows is
read in a fixed number of queries by ``moderation.selectors.load_case_page`` and
shown through ``case_page``.
"""

from __future__ import annotations

import copy
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import display_for_value
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from unfold.decorators import action, display
from unfold.views import ChangeList

from admin_ext.admin import (
    case_actions,
    case_bulk,
    case_claims,
    case_forms,
    case_page,
    case_shortcuts,
)
from admin_ext.admin.base import DeskModelAdmin
from admin_ext.admin.case_queue import (
    CLOSED,
    OPEN,
    POSSIBLE_BRIGADE,
    STATUS_LABELS,
    CaseReasonFilter,
    CaseStatusFilter,
    QueueChangeList,
    ordering_for,
    requested_status,
)
from admin_ext.admin.message_text import MAX_TREE_INDENT, TREE_EXCERPT_CHARS
from moderation.models import DELETED_ACCOUNT, Case
from moderation.selectors import load_case_page
from moderation_site.time_format import age_element

# The case page's own URLs (CaseAdmin.get_urls), as ``case_<name>_url`` in its context.
URL_NAMES = ("act", "restore", "lift", "add_note", "retention", "claim", "release")


# --- the admin --------------------------------------------------------------------------


@admin.register(Case)
class CaseAdmin(DeskModelAdmin):
    # --- List: the review queue ---------------------------------------------------
    list_title = "Review queue"  # the sidebar's name (DeskChangeList)
    # The empty list's words (templates/unfold/helpers/empty_results.html).
    empty_list_title = "The queue is empty"
    empty_list_text = "No case is open. Closed cases are under the status filter's Closed."
    list_display = (
        "display_reported_user",
        "display_priority",
        "display_reporters",
        "display_reports",
        "display_prior_sanctions",
        "display_last_reported",
        "display_opened",
        "display_status",
        "display_claim",
        "display_retention",
    )
    list_display_links = ("display_reported_user",)
    list_filter = (CaseStatusFilter, CaseReasonFilter)
    list_filter_submit = True
    list_per_page = 50
    search_fields = ("reported_username",)
    search_help_text = (
        "Search by the reported user's username. A deleted account's cases keep no "
        "name: they show as “deleted account” with the account's id."
    )
    show_facets = admin.ShowFacets.NEVER  # a COUNT per choice, for nothing
    list_after_template = "admin_ext/cases/queue_shortcuts.html"  # its keyboard shortcuts
    sortable_by = (
        "display_priority",
        "display_reporters",
        "display_reports",
        "display_prior_sanctions",
        "display_last_reported",
        "display_opened",
        "display_retention",
    )

    # --- Form: read-only facts; the rest of the page is case_page.html ---------------
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("display_account", "display_state"),
                    ("display_priority", "display_counts"),
                    "display_ages",
                )
            },
        ),
        (
            "Dates",
            {
                "fields": (
                    ("opened_at", "last_reported_at", "first_action_at"),
                    ("closed_at", "display_retention"),
                )
            },
        ),
    )
    readonly_fields = (
        "display_account",
        "display_state",
        "display_priority",
        "display_counts",
        "display_ages",
        "opened_at",
        "last_reported_at",
        "first_action_at",
        "closed_at",
        "display_retention",
    )
    # Outside the change form: the page's own forms must not nest in it.
    change_form_outer_before_template = "admin_ext/cases/queue_nav.html"
    change_form_outer_after_template = "admin_ext/cases/case_page.html"

    # --- Actions ------------------------------------------------------------------
    actions = (case_bulk.ACTION_NAME, case_claims.ACTION_NAME)
    withheld_actions = ("delete_selected",)  # see has_delete_permission

    class Media:
        # The queue's and case page's keyboard shortcuts (case_shortcuts).
        js = (case_shortcuts.SCRIPT,)
        css = {"all": (case_shortcuts.STYLESHEET,)}

    # --- Permissions ----------------------------------------------------------------
    # Cases are opened by reports and changed by moderation.services only.

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the change form never saves; see may_act for the actions

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # evidence goes when its retention ends (purge_expired_evidence)

    def may_act(self, request: HttpRequest) -> bool:
        return request.user.has_perm(case_forms.CHANGE_CASE)

    def has_act_on_cases_permission(self, request: HttpRequest) -> bool:
        return self.may_act(request)

    def has_claim_cases_permission(self, request: HttpRequest) -> bool:
        return self.may_act(request)

    # --- Overrides --------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Not ModelAdmin's: its ordering would run before priority is annotated.
        # The reported user is joined for the case page (active, staff), the
        # claimant for the "held by" column and the claim panel.
        return (
            Case.objects.with_priority()
            .select_related("reported_user", "claimed_by")
            .order_by(*self.get_ordering(request))
        )

    def get_ordering(self, request: HttpRequest) -> tuple[str, ...]:
        return ordering_for(requested_status(request.GET))

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return QueueChangeList

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        views = (
            ("<path:object_id>/act/", case_actions.act_view, "act"),
            ("<path:object_id>/restore-message/", case_actions.restore_message_view, "restore"),
            ("<path:object_id>/lift-suspension/", case_actions.lift_suspension_view, "lift"),
            ("<path:object_id>/notes/", case_actions.note_view, "add_note"),
            ("<path:object_id>/retention/", case_actions.retention_view, "retention"),
            ("<path:object_id>/claim/", case_claims.claim_view, "claim"),
            ("<path:object_id>/release/", case_claims.release_view, "release"),
            ("user-notes/<path:user_id>/", case_actions.user_note_view, "add_user_note"),
        )
        # Before the stock patterns: their "<path:object_id>/" would match first.
        return [
            path(route, self.admin_site.admin_view(self._bind(view)), name=f"{prefix}_{name}")
            for route, view, name in views
        ] + super().get_urls()

    def _bind(self, view: Any) -> Any:
        """``view(model_admin, request, **url kwargs)`` as a view, for those who may
        see cases at all (admin_view has checked staff and login)."""

        def bound(request: HttpRequest, **kwargs: str) -> HttpResponse:
            if not self.has_view_permission(request):
                raise PermissionDenied
            return view(self, request, **kwargs)

        bound.__name__ = view.__name__
        return bound

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Case | None = None,
    ) -> HttpResponse:
        if obj is not None:
            context["title"] = f"Case #{obj.pk}: {obj.reported_name}"
            context.update(self.case_page_context(request, obj, context.get("case_forms") or {}))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def render_case_page(self, request: HttpRequest, case: Case, **forms: Any) -> HttpResponse:
        """The case page as its GET shows it, with ``forms`` bound: a refused POST
        shows its errors with the moderator's input kept.

        The change view is asked with a GET copy of the request (same session,
        user, messages and CSRF token), so it shows the page instead of trying to
        save a change form that was never sent.
        """
        page_request = copy.copy(request)
        page_request.method = "GET"
        page_request.POST = QueryDict()
        return self.change_view(page_request, str(case.pk), extra_context={"case_forms": forms})

    def case_page_context(
        self, request: HttpRequest, case: Case, forms: dict[str, Any]
    ) -> dict[str, Any]:
        """The case page's content and forms; ``forms`` are bound ones to show
        instead of empty ones (a refused POST)."""
        page = load_case_page(case, with_notes=request.user.has_perm("moderation.view_note"))
        user = case.reported_user
        may_act = self.may_act(request)
        return {
            **case_page.page_context(page, may_act=may_act, restore_form=forms.get("restore_form")),
            "case": case,
            "case_may_act": may_act,
            "case_user_url": reverse("admin:auth_user_change", args=[user.pk]) if user else None,
            **case_shortcuts.queue_nav_context(case),
            **case_claims.page_context(request, case, may_act=may_act),
            **case_page.page_forms(request, case, forms, may_act=may_act),
            "thread_max_indent": MAX_TREE_INDENT,
            "thread_excerpt_chars": TREE_EXCERPT_CHARS,
            **{f"case_{name}_url": self._url(name, case) for name in URL_NAMES},
        }

    def _url(self, name: str, case: Case) -> str:
        return reverse(f"{self.admin_site.name}:moderation_case_{name}", args=[case.pk])

    @staticmethod
    def messages_url(user_id: int) -> str:
        return (
            reverse("admin:messaging_message_changelist")
            + "?"
            + urlencode({"sender__id__exact": user_id})
        )

    # --- Actions ----------------------------------------------------------------------

    @action(description="Act on selected cases", permissions=["act_on_cases"])
    def act_on_cases(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return case_bulk.act_on_cases_action(self, request, queryset)

    @action(description="Claim selected cases", permissions=["claim_cases"])
    def claim_cases(self, request: HttpRequest, queryset: QuerySet) -> None:
        case_claims.claim_cases_action(self, request, queryset)

    # --- Columns and read-only fields -------------------------------------------------

    @display(description="reported user", ordering="reported_username")
    def display_reported_user(self, case: Case) -> str:
        if case.reported_user_id is None:
            return f"{DELETED_ACCOUNT} #{case.account_id}"
        return case.reported_username

    @display(description="account")
    def display_account(self, case: Case) -> SafeString:
        if case.reported_user_id is None:
            return format_html(
                '{} <span class="caseadmin-muted">#{}</span>', DELETED_ACCOUNT, case.account_id
            )
        return format_html(
            '<a href="{}" class="msgadmin-link">{}</a> · <a href="{}" class="msgadmin-link">'
            "their messages</a>{}",
            reverse("admin:auth_user_change", args=[case.reported_user_id]),
            case.reported_username,
            self.messages_url(case.reported_user_id),
            format_html(' <span class="caseadmin-flag">{}</span>', "suspended")
            if not case.reported_user.is_active
            else "",
        )

    @display(description="priority", ordering="priority")
    def display_priority(self, case: Case) -> int:
        return case.priority

    @display(description="reporters", ordering="reporter_count")
    def display_reporters(self, case: Case) -> int:
        return case.reporter_count

    @display(description="reports", ordering="report_count")
    def display_reports(self, case: Case) -> int:
        return case.report_count

    @display(description="prior sanctions", ordering="prior_sanctions")
    def display_prior_sanctions(self, case: Case) -> int:
        return case.prior_sanctions

    @display(description="reports")
    def display_counts(self, case: Case) -> str:
        return (
            f"{case.report_count} report{'s' if case.report_count != 1 else ''} from "
            f"{case.reporter_count} reporter{'s' if case.reporter_count != 1 else ''}; "
            f"{case.prior_sanctions} earlier sanction{'s' if case.prior_sanctions != 1 else ''}"
        )

    # The queue shows ages ("3 h ago"), the absolute time in their title: how old a
    # case is decides what comes next; the case page shows both.
    @display(description="last reported", ordering="last_reported_at")
    def display_last_reported(self, case: Case) -> SafeString:
        return age_element(case.last_reported_at)

    @display(description="opened", ordering="opened_at")
    def display_opened(self, case: Case) -> SafeString:
        return age_element(case.opened_at)

    @display(description="age")
    def display_ages(self, case: Case) -> SafeString:
        return format_html(
            "opened {} · last reported {}",
            age_element(case.opened_at),
            age_element(case.last_reported_at),
        )

    @display(description="status", ordering="status", label=STATUS_LABELS)
    def display_status(self, case: Case) -> tuple[str, str]:
        if case.is_open and case.possible_brigade:
            return POSSIBLE_BRIGADE, "Open: possible brigade"
        if case.is_open:
            return OPEN, "Open"
        if case.resolution:
            return case.resolution, case.get_resolution_display()
        return CLOSED, "Closed"

    @display(description="status")
    def display_state(self, case: Case) -> SafeString:
        """The status column's label, for the case page (labels show in lists only)."""
        value, text = self.display_status(case)
        return render_to_string(
            "unfold/helpers/label.html", {"text": text, "variant": STATUS_LABELS[value]}
        )

    @display(description="held by")
    def display_claim(self, case: Case) -> SafeString:
        return case_claims.held_by(case)

    @display(description="evidence kept until", ordering="retain_until")
    def display_retention(self, case: Case) -> str:
        if case.is_open:
            return "held while open"
        # Formatted as the list formats dates: a method's datetime would show raw
        # on the (read-only) case page.
        return display_for_value(case.retain_until, "—")

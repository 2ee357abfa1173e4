"""The appeals queue and an appeal's page (``moderation.appeals``).

The changelist is the queue: appeals waiting for a moderator, oldest first
(the status filter shows the others), every column read with the appeal in
one query. The change page never saves: it shows the sanction, the case's
evidence (the case page's own rendering, ``admin_ext/cases/evidence.html``),
the person's appeal and the exchange, and the page's two forms, each posting
to its own URL (role policy names ``ask`` and ``decide``): ask the one
question, and decide (approve or reject, with the reason the person reads).
The moderator who imposed the sanction is told why they may not decide
(four eyes) instead of being offered the forms; a superuser always may.
"""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    QueryDict,
)
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from unfold.contrib.filters.admin import RadioFilter
from unfold.decorators import display
from unfold.widgets import UnfoldAdminTextareaWidget

from admin_ext.admin.base import DeskModelAdmin
from messaging.models import Message
from moderation.appeals import DECIDE_APPEAL, sanctioned_words
from moderation.models import MAX_APPEAL_LENGTH, Appeal
from moderation.selectors import reports_evidence
from moderation.services import (
    appeal_decision_refusal,
    approve_appeal,
    ask_appeal_question,
    reject_appeal,
)
from moderation_site.time_format import age_element

ASK_PREFIX = "ask"
DECIDE_PREFIX = "decide"
APPROVE = "approve"
REJECT = "reject"
FOR_THE_PERSON = "The person reads this with the decision, on their appeal's page and inbox."

# The status column: value → unfold label colour.
STATUS_LABELS = {
    Appeal.Status.OPEN: "warning",
    Appeal.Status.ASKED: "info",
    Appeal.Status.APPROVED: "success",
    Appeal.Status.REJECTED: "danger",
}
ALL = "all"


# --- forms ------------------------------------------------------------------------------


def person_text_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=MAX_APPEAL_LENGTH,
        help_text=help_text,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 3}),
    )


class AskForm(forms.Form):
    question = person_text_field(
        "Question for the person",
        "One question per appeal. The person reads it on their appeal's page and inbox.",
    )


class DecideForm(forms.Form):
    # The submit button pressed: approve or reject.
    decision = forms.ChoiceField(
        choices=[(APPROVE, "Approve"), (REJECT, "Reject")], widget=forms.HiddenInput
    )
    reason = person_text_field("Reason, as the person will read it", FOR_THE_PERSON)


# --- the queue's filter -----------------------------------------------------------------


def requested_status(params: Any) -> str:
    value = params.get(AppealStatusFilter.parameter_name)
    return value if value in (*Appeal.Status.values, ALL) else Appeal.Status.OPEN


class AppealStatusFilter(RadioFilter):
    """Waiting for a moderator (the default: the queue), or any other state."""

    title = "status"
    parameter_name = "status"
    all_option = None  # "All" is a choice of its own: no choice means waiting

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [*Appeal.Status.choices, (ALL, "All")]

    def value(self) -> str:
        return requested_status(self.request.GET)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        status = requested_status(request.GET)
        return queryset if status == ALL else queryset.filter(status=status)


# --- the admin --------------------------------------------------------------------------


@admin.register(Appeal)
class AppealAdmin(DeskModelAdmin):
    # --- List: the queue, oldest first ----------------------------------------------
    list_title = "Appeals"
    empty_list_title = "No appeal is waiting"
    empty_list_text = "Appeals waiting for an answer and decided ones are under the status filter."
    list_display = (
        "display_person",
        "display_kind",
        "display_imposed_by",
        "display_waiting",
        "display_status",
    )
    list_display_links = ("display_person",)
    list_filter = (AppealStatusFilter,)
    list_filter_submit = True
    list_per_page = 50
    show_facets = admin.ShowFacets.NEVER  # a COUNT per choice, for nothing
    sortable_by = ()  # the queue's order is the point: oldest first (appeal_queue_idx)
    ordering = ("created_at", "id")

    # --- Form: read-only facts; the rest of the page is appeal_page.html -----------
    fieldsets = ((None, {"fields": (("display_person", "display_state"), "display_waiting")}),)
    readonly_fields = ("display_person", "display_state", "display_waiting")
    change_form_outer_after_template = "admin_ext/appeals/appeal_page.html"

    # --- Actions: none; an appeal is decided on its page --------------------------
    actions = ()

    # --- Permissions: appeals are filed by people and decided by the services --------

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the change form never saves: the page's forms post elsewhere

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an appeal goes with its case, its account or its retention

    # --- Overrides ------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Every column and the page's facts from one query: the person, the
        # sanction and its imposer, the case, the people of the exchange.
        return Appeal.objects.select_related(
            "user", "sanction", "sanction__imposed_by", "case", "asked_by", "decided_by"
        )

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        views = (
            ("<path:object_id>/ask/", self.ask_view, "ask"),
            ("<path:object_id>/decide/", self.decide_view, "decide"),
        )
        # Before the stock patterns: their "<path:object_id>/" would match first.
        return [
            path(route, self.admin_site.admin_view(view), name=f"{prefix}_{name}")
            for route, view, name in views
        ] + super().get_urls()

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Appeal | None = None,
    ) -> HttpResponse:
        if obj is not None:
            context["title"] = f"Appeal #{obj.pk}: {obj.user.get_username()}"
            context.update(self.appeal_page_context(request, obj, context.get("appeal_forms")))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def appeal_page_context(
        self, request: HttpRequest, appeal: Appeal, bound: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The page's content and forms; ``bound`` ones (a refused POST) in place of
        empty ones. Three queries besides the appeal's: what was sanctioned, the
        case's reports, the names in their evidence (and which messages remain)."""
        bound = bound or {}
        refusal = appeal_decision_refusal(appeal, moderator=request.user)
        may_decide = (
            appeal.is_undecided and refusal is None and request.user.has_perm(DECIDE_APPEAL)
        )
        return {
            "appeal": appeal,
            "sanction": appeal.sanction,
            "sanctioned": sanctioned_words(appeal.sanction),
            "case_page": {"evidence": self.case_evidence(appeal)},
            "appeal_case_url": reverse("admin:moderation_case_change", args=[appeal.case_id])
            if appeal.case_id
            else None,
            "appeal_person_url": reverse("admin:auth_user_change", args=[appeal.user_id]),
            "appeal_four_eyes": refusal if appeal.is_undecided else None,
            "appeal_ask_form": (bound.get("ask_form") or AskForm(prefix=ASK_PREFIX))
            if may_decide and not appeal.question
            else None,
            "appeal_decide_form": (bound.get("decide_form") or DecideForm(prefix=DECIDE_PREFIX))
            if may_decide
            else None,
            "appeal_ask_url": self._url("ask", appeal),
            "appeal_decide_url": self._url("decide", appeal),
        }

    @staticmethod
    def case_evidence(appeal: Appeal) -> list:
        if appeal.case is None:
            return []
        reports = list(appeal.case.reports.select_related("reporter").order_by("created_at", "id"))
        existing = set(
            Message.objects.filter(
                pk__in={report.reported_message_id for report in reports}
            ).values_list("pk", flat=True)
        )
        return reports_evidence(reports, existing_ids=existing)

    def render_appeal_page(
        self, request: HttpRequest, appeal: Appeal, **bound: Any
    ) -> HttpResponse:
        """The page as its GET shows it, with ``bound`` forms showing their errors
        (the change view asked with a GET copy of the request, as the case page is)."""
        page_request = copy.copy(request)
        page_request.method = "GET"
        page_request.POST = QueryDict()
        return self.change_view(page_request, str(appeal.pk), extra_context={"appeal_forms": bound})

    def _url(self, name: str, appeal: Appeal) -> str:
        return reverse(f"{self.admin_site.name}:moderation_appeal_{name}", args=[appeal.pk])

    def _page_url(self, appeal: Appeal) -> str:
        return reverse(f"{self.admin_site.name}:moderation_appeal_change", args=[appeal.pk])

    # --- The page's POST handlers -------------------------------------------------------

    def _posted_appeal(self, request: HttpRequest, object_id: str) -> Appeal:
        if not self.has_view_permission(request):
            raise PermissionDenied
        appeal = self.get_object(request, unquote(object_id))
        if appeal is None:
            raise Http404("No such appeal.")
        return appeal

    def ask_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Ask the person the appeal's one question."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        appeal = self._posted_appeal(request, object_id)
        form = AskForm(request.POST, prefix=ASK_PREFIX)
        if not form.is_valid():
            return self.render_appeal_page(request, appeal, ask_form=form)
        return self._call(
            request,
            appeal,
            lambda: ask_appeal_question(
                appeal, moderator=request.user, question=form.cleaned_data["question"]
            ),
            done="Your question was sent: the appeal waits for the person's answer.",
        )

    def decide_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Approve (the sanction is reversed) or reject the appeal."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        appeal = self._posted_appeal(request, object_id)
        form = DecideForm(request.POST, prefix=DECIDE_PREFIX)
        if not form.is_valid():
            return self.render_appeal_page(request, appeal, decide_form=form)
        approving = form.cleaned_data["decision"] == APPROVE
        service = approve_appeal if approving else reject_appeal
        return self._call(
            request,
            appeal,
            lambda: service(appeal, moderator=request.user, reason=form.cleaned_data["reason"]),
            done="Appeal approved: the sanction is reversed and the person is told."
            if approving
            else "Appeal rejected: the person is told why.",
        )

    def _call(self, request: HttpRequest, appeal: Appeal, step: Any, *, done: str) -> HttpResponse:
        """Run the service ``step``; its refusal (four eyes, decided meanwhile,
        a bad text) shows as an error on the page, nothing written."""
        try:
            step()
        except (PermissionDenied, ValidationError) as error:
            words = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            self.message_user(request, words or "You may not do this.", messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(self._page_url(appeal))

    # --- Columns and read-only fields -------------------------------------------------

    @display(description="person")
    def display_person(self, appeal: Appeal) -> str:
        return appeal.user.get_username()

    @display(description="appealed")
    def display_kind(self, appeal: Appeal) -> str:
        return appeal.sanction.get_kind_display()

    @display(description="imposed by")
    def display_imposed_by(self, appeal: Appeal) -> str:
        return appeal.sanction.imposed_by_name

    @display(description="waiting since")
    def display_waiting(self, appeal: Appeal) -> SafeString:
        return age_element(appeal.created_at)

    @display(description="status", label=STATUS_LABELS)
    def display_status(self, appeal: Appeal) -> tuple[str, str]:
        return appeal.status, appeal.get_status_display()

    @display(description="status")
    def display_state(self, appeal: Appeal) -> SafeString:
        return format_html('<span class="caseadmin-flag">{}</span>', appeal.get_status_display())

"""The review queue and the case page of the moderators' admin.

The changelist is the queue: open cases, highest priority first
(``Case.objects.review_queue``), every column read from the case's own row.
The change page shows a case and never saves it: nobody has change permission
on the ModelAdmin, superusers included. What moderators do to a case goes
through the forms of that page and the queue's bulk action, which post to the
handlers of ``case_actions`` and from there to ``moderation.services``.

The case page costs the same number of queries whatever the number of
reports, threads or notes: the reports in one query, every message of every
reported thread in one (``Message.objects.thread_trees``), the names of the
people in the reports' evidence in one, the timeline in one, the notes in one.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import display_for_value
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.template.loader import render_to_string
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from unfold.contrib.filters.admin import RadioFilter
from unfold.decorators import action, display
from unfold.views import ChangeList

from admin_ext.admin import case_actions
from admin_ext.admin.base import DeskChangeList, DeskModelAdmin, is_valid_id
from admin_ext.admin.messages import MAX_TREE_INDENT, TREE_EXCERPT_CHARS
from audit.models import AuditEntry
from messaging.managers import walk_thread
from messaging.models import Message
from moderation.evidence import Evidence, parse_moment, read_snapshots
from moderation.models import DELETED_ACCOUNT, Case, Note, Report

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

OPEN = "open"
CLOSED = "closed"
ALL = "all"
# Closed cases are looked up by when they closed; the queue's order (priority)
# means nothing for them.
CLOSED_ORDERING = ("-closed_at", "-id")

# The status column: (value, text) → unfold label colour.
STATUS_LABELS = {
    OPEN: "warning",
    Case.Resolution.DISMISSED: "info",
    Case.Resolution.ACTIONED: "success",
    Case.Resolution.ACCOUNT_DELETED: "danger",
    CLOSED: "info",
}
# The case page's own URLs (CaseAdmin.get_urls), as ``case_<name>_url`` in its context.
URL_NAMES = ("act", "restore", "lift", "add_note", "retention")


def queue_ordering() -> tuple[str, ...]:
    """The review queue's order, as ``review_queue`` defines it (one definition)."""
    return tuple(Case.objects.review_queue().query.order_by)


def requested_status(params: Mapping[str, Any]) -> str:
    """The status the queue shows for these query parameters: open unless asked."""
    value = params.get(CaseStatusFilter.parameter_name)
    return value if value in (OPEN, CLOSED, ALL) else OPEN


def ordering_for(status: str) -> tuple[str, ...]:
    return CLOSED_ORDERING if status == CLOSED else queue_ordering()


class QueueChangeList(DeskChangeList):
    """Marks the column the queue is sorted by: Django guesses it from
    ``ModelAdmin.ordering`` or ``Meta.ordering`` (the latter here, wrongly), not
    from ``get_ordering``. Only the first key is marked: the rest break ties."""

    def _get_default_ordering(self) -> list[str]:
        return list(ordering_for(requested_status(self.params))[:1])


class CaseStatusFilter(RadioFilter):
    """Open (the default: the queue), closed, or all."""

    title = "status"
    parameter_name = "status"
    all_option = None  # "All" is a choice of its own: no choice means Open

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [(OPEN, "Open"), (CLOSED, "Closed"), (ALL, "All")]

    def value(self) -> str:
        return requested_status(self.request.GET)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        status = requested_status(request.GET)
        if status == ALL:
            return queryset
        return queryset.closed() if status == CLOSED else queryset.open()


class CaseReasonFilter(RadioFilter):
    """Cases with at least one report for this reason (an EXISTS over report_case_idx)."""

    title = "reason reported"
    parameter_name = "reason"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return list(Report.Reason.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() not in Report.Reason.values:
            return queryset
        return queryset.filter(
            Exists(Report.objects.filter(case=OuterRef("pk"), reason=self.value()))
        )


# --- the case page's content -----------------------------------------------------------


@dataclass
class ReportEvidence:
    report: Report
    reporter: str
    evidence: Evidence
    message_exists: bool


def reports_evidence(reports: list[Report], *, existing_ids: set[int]) -> list[ReportEvidence]:
    """Each report with its snapshot as shown: the names of everyone in every
    snapshot looked up in one query (moderation.evidence.read_snapshots)."""
    snapshots = read_snapshots([report.evidence for report in reports])
    return [
        ReportEvidence(
            report=report,
            reporter=report.reporter.get_username() if report.reporter else DELETED_ACCOUNT,
            evidence=evidence,
            message_exists=report.reported_message_id in existing_ids,
        )
        for report, evidence in zip(reports, snapshots, strict=True)
    ]


@dataclass
class ThreadView:
    root: Message
    nodes: list[tuple[Message, int]]


@dataclass
class RestoreItem:
    message: Message
    form: case_actions.RestoreMessageForm


@dataclass
class CasePage:
    """What the case page's templates show, loaded in a fixed number of queries."""

    evidence: list[ReportEvidence] = field(default_factory=list)
    threads: list[ThreadView] = field(default_factory=list)
    reported_ids: set[int] = field(default_factory=set)
    messages: dict[int, Message] = field(default_factory=dict)  # of the threads, by id
    timeline: list[AuditEntry] = field(default_factory=list)
    notes: list[Note] | None = None
    restorable: list[RestoreItem] = field(default_factory=list)


def audit_details(entry: AuditEntry) -> SafeString | str:
    """An entry's details in a few words, message ids as links (escaped)."""
    details = entry.details if isinstance(entry.details, dict) else {}
    parts: list[SafeString] = []
    if isinstance(details.get("message_id"), int):
        parts.append(
            format_html(
                '<a href="{}" class="msgadmin-link">message #{}</a>',
                reverse("admin:messaging_message_change", args=[details["message_id"]]),
                details["message_id"],
            )
        )
    if entry.action == AuditEntry.Action.RETENTION_CHANGED:
        moments = [parse_moment(details.get(key)) for key in ("from", "to")]
        shown = [f"{moment:%Y-%m-%d}" if moment else "—" for moment in moments]
        parts.append(format_html("kept until {} → {}", *shown))
    if entry.action == AuditEntry.Action.ACCOUNT_DELETED:
        counted = ("messages_deleted", "messages_tombstoned", "notifications_deleted")
        parts.append(
            format_html_join(
                ", ",
                "{} {}",
                ((details[key], key.replace("_", " ")) for key in counted if key in details),
            )
        )
    return format_html_join(" · ", "{}", ((part,) for part in parts)) if parts else ""


def user_notes_context(request: HttpRequest, user: AbstractBaseUser) -> dict[str, Any]:
    """The context of ``admin_ext/cases/user_notes.html`` on a user's admin page:
    every note about the person (on the account and on their cases), newest
    first, one query; the form to add one to the account when allowed."""
    if not request.user.has_perm("moderation.view_note"):
        return {"moderation_notes": None}
    return {
        "moderation_notes": list(Note.objects.about(user.pk)),
        "moderation_note_form": case_actions.UserNoteForm(prefix=case_actions.NOTE_PREFIX)
        if request.user.has_perm(case_actions.ADD_NOTE)
        else None,
        "moderation_note_url": reverse("admin:moderation_case_add_user_note", args=[user.pk]),
    }


def load_case_page(case: Case, *, with_notes: bool) -> CasePage:
    """Reports, threads, the names in the reports' evidence, timeline and notes of
    a case: five queries, whatever their number."""
    page = CasePage()
    reports = list(case.reports.select_related("reporter").order_by("created_at", "id"))
    page.reported_ids = {report.reported_message_id for report in reports}
    # Every message of every thread a reported message is in, in one query.
    roots = Message.objects.thread_trees(
        Message.objects.filter(pk__in=page.reported_ids).values("thread_id")
    )
    for root in sorted(roots.values(), key=lambda root: (root.timestamp, root.pk)):
        nodes = [(node, min(node.depth, MAX_TREE_INDENT)) for node in walk_thread(root)]
        page.messages.update((node.pk, node) for node, _indent in nodes)
        page.threads.append(ThreadView(root=root, nodes=nodes))
    existing_ids = set(page.messages)
    page.evidence = reports_evidence(reports, existing_ids=existing_ids)
    page.timeline = list(
        AuditEntry.objects.filter(case_id=case.pk).order_by("-created_at", "-id")  # audit_case_idx
    )
    for entry in page.timeline:
        entry.summary = audit_details(entry)
    if with_notes:
        page.notes = list(Note.objects.about(case.account_id))
    return page


def restore_items(
    page: CasePage, *, bound: case_actions.RestoreMessageForm | None
) -> list[RestoreItem]:
    """A restore form per hidden reported message; ``bound`` (a refused one) in
    place of its message's empty form. Ids differ per form (auto_id)."""
    bound_id = bound.data.get(f"{case_actions.RESTORE_PREFIX}-message") if bound else None
    items = []
    for message_id in sorted(page.reported_ids):
        message = page.messages.get(message_id)
        if message is None or not message.is_hidden:
            continue
        if bound is not None and str(bound_id) == str(message_id):
            form = bound
        else:
            form = case_actions.RestoreMessageForm(
                prefix=case_actions.RESTORE_PREFIX,
                initial={"message": message_id},
                auto_id=f"id_restore_{message_id}_%s",
            )
        items.append(RestoreItem(message=message, form=form))
    return items


# --- the admin --------------------------------------------------------------------------


@admin.register(Case)
class CaseAdmin(DeskModelAdmin):
    # --- List: the review queue ---------------------------------------------------
    list_display = (
        "display_reported_user",
        "display_priority",
        "display_reporters",
        "display_reports",
        "display_prior_sanctions",
        "display_last_reported",
        "display_opened",
        "display_status",
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
        "opened_at",
        "last_reported_at",
        "first_action_at",
        "closed_at",
        "display_retention",
    )
    # Outside the change form: the page's own forms must not nest in it.
    change_form_outer_after_template = "admin_ext/cases/case_page.html"

    # --- Actions ------------------------------------------------------------------
    actions = (case_actions.ACTION_NAME,)

    # --- Permissions ----------------------------------------------------------------
    # Cases are opened by reports and changed by moderation.services only.

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the change form never saves; see may_act for the actions

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # evidence goes when its retention ends (purge_expired_evidence)

    def may_act(self, request: HttpRequest) -> bool:
        return request.user.has_perm(case_actions.CHANGE_CASE)

    def has_act_on_cases_permission(self, request: HttpRequest) -> bool:
        return self.may_act(request)

    # --- Overrides --------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # Not ModelAdmin's: its ordering would run before priority is annotated.
        # The reported user is joined for the case page (active, staff).
        return (
            Case.objects.with_priority()
            .select_related("reported_user")
            .order_by(*self.get_ordering(request))
        )

    def get_ordering(self, request: HttpRequest) -> tuple[str, ...]:
        return ordering_for(requested_status(request.GET))

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return QueueChangeList

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        # An id beyond 64 bits is an OverflowError on SQLite: simply no case.
        if from_field is None and not is_valid_id(self.opts.pk, object_id):
            return None
        return super().get_object(request, object_id, from_field)

    def get_actions(
        self, request: HttpRequest, action_location: ActionLocation = ActionLocation.CHANGE_LIST
    ) -> dict[str, Any]:
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)
        return actions

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        views = (
            ("<path:object_id>/act/", case_actions.act_view, "act"),
            ("<path:object_id>/restore-message/", case_actions.restore_message_view, "restore"),
            ("<path:object_id>/lift-suspension/", case_actions.lift_suspension_view, "lift"),
            ("<path:object_id>/notes/", case_actions.note_view, "add_note"),
            ("<path:object_id>/retention/", case_actions.retention_view, "retention"),
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
        if may_act:
            page.restorable = restore_items(page, bound=forms.get("restore_form"))
        context = {
            "case": case,
            "case_page": page,
            "case_may_act": may_act,
            "case_act_form": None,
            "case_lift_form": None,
            "case_note_form": None,
            "case_retention_form": None,
            "case_user_url": reverse("admin:auth_user_change", args=[user.pk]) if user else None,
            "thread_max_indent": MAX_TREE_INDENT,
            "thread_excerpt_chars": TREE_EXCERPT_CHARS,
            **{f"case_{name}_url": self._url(name, case) for name in URL_NAMES},
        }
        if may_act and case.is_open:
            context["case_act_form"] = forms.get("act_form") or case_actions.CaseActionForm(
                prefix=case_actions.ACT_PREFIX
            )
        if may_act and user is not None and not user.is_active:
            context["case_lift_form"] = forms.get("lift_form") or case_actions.LiftSuspensionForm(
                prefix=case_actions.LIFT_PREFIX
            )
        if request.user.has_perm(case_actions.ADD_NOTE):
            context["case_note_form"] = forms.get("note_form") or case_actions.NoteForm(
                prefix=case_actions.NOTE_PREFIX, user_exists=user is not None
            )
        if request.user.is_superuser and not case.is_open:
            retain_until = timezone.localdate(case.retain_until) if case.retain_until else None
            context["case_retention_form"] = forms.get(
                "retention_form"
            ) or case_actions.RetentionForm(
                prefix=case_actions.RETENTION_PREFIX, initial={"retain_until": retain_until}
            )
        return context

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
        return case_actions.act_on_cases_action(self, request, queryset)

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

    @display(description="last reported", ordering="last_reported_at")
    def display_last_reported(self, case: Case) -> datetime.datetime:
        return case.last_reported_at

    @display(description="opened", ordering="opened_at")
    def display_opened(self, case: Case) -> datetime.datetime:
        return case.opened_at

    @display(description="status", ordering="status", label=STATUS_LABELS)
    def display_status(self, case: Case) -> tuple[str, str]:
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

    @display(description="evidence kept until", ordering="retain_until")
    def display_retention(self, case: Case) -> str:
        if case.is_open:
            return "held while open"
        # Formatted as the list formats dates: a method's datetime would show raw
        # on the (read-only) case page.
        return display_for_value(case.retain_until, "—")

"""What the case page shows, loaded in a fixed number of queries: the reports
with their evidence, every reported thread, the timeline and the notes, and the
restore form of each hidden reported message. Also the notes shown on a user's
admin page (``user_notes_context``).

Five queries whatever the number of reports, threads or notes: the reports in
one, every message of every reported thread in one
(``Message.objects.thread_trees``), the names of the people in the reports'
evidence in one, the timeline in one, the notes in one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from admin_ext.admin import case_forms
from admin_ext.admin.message_text import MAX_TREE_INDENT
from audit.models import AuditEntry
from messaging.managers import walk_thread
from messaging.models import Message
from moderation.evidence import Evidence, parse_moment, read_snapshots
from moderation.models import DELETED_ACCOUNT, Case, Note, Report

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


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
    form: case_forms.RestoreMessageForm


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
        "moderation_note_form": case_forms.UserNoteForm(prefix=case_forms.NOTE_PREFIX)
        if request.user.has_perm(case_forms.ADD_NOTE)
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
    page: CasePage, *, bound: case_forms.RestoreMessageForm | None
) -> list[RestoreItem]:
    """A restore form per hidden reported message; ``bound`` (a refused one) in
    place of its message's empty form. Ids differ per form (auto_id)."""
    bound_id = bound.data.get(f"{case_forms.RESTORE_PREFIX}-message") if bound else None
    items = []
    for message_id in sorted(page.reported_ids):
        message = page.messages.get(message_id)
        if message is None or not message.is_hidden:
            continue
        if bound is not None and str(bound_id) == str(message_id):
            form = bound
        else:
            form = case_forms.RestoreMessageForm(
                prefix=case_forms.RESTORE_PREFIX,
                initial={"message": message_id},
                auto_id=f"id_restore_{message_id}_%s",
            )
        items.append(RestoreItem(message=message, form=form))
    return items

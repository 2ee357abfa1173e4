"""Reads for moderation's pages that span models: what a case page shows, and
where a case stands in the review queue (``queue_neighbours``).

``load_case_page`` costs seven queries whatever the number of reports, threads or
notes: the reports in one, their reporters' reliability in one
(``moderation.reliability.reporters_reliability``), the messages around each
reported one in two (the reading order of every reported thread, then the rows
shown: ``messaging.thread_window.thread_windows``), the names of the people in
the reports' evidence in one (``moderation.evidence.read_snapshots``), the timeline in one,
the notes in one. How the page looks (indentation, links, forms) is the admin's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, Subquery
from django.utils import timezone

from audit.models import AuditEntry
from messaging.models import Message, MessageHistory
from messaging.thread_window import WINDOW_AFTER, WINDOW_BEFORE, ThreadExcerpt, thread_windows
from moderation.evidence import Evidence, RuleMatch, read_snapshots, rule_matches
from moderation.models import Case, Note, Report
from moderation.reliability import NEW_REPORTER, Reliability, reporters_reliability


@dataclass
class ReportEvidence:
    report: Report
    reporter: str  # Report.reporter_name: their name, the rule, or "deleted account"
    evidence: Evidence
    message_exists: bool  # the reported message is still there
    # How far the reporter's reports led to action (the case page only; never
    # for a rule's report, which has no record of its own).
    reliability: Reliability | None = None
    # A rule's report: what it matched (``moderation.automatic``).
    rule_matches: list[RuleMatch] = field(default_factory=list)


def reports_evidence(reports: list[Report], *, existing_ids: set[int]) -> list[ReportEvidence]:
    """Each report with its snapshot as shown: the names of everyone in every
    snapshot looked up in one query. ``reporter`` must be selected with them."""
    snapshots = read_snapshots([report.evidence for report in reports])
    return [
        ReportEvidence(
            report=report,
            reporter=report.reporter_name,
            evidence=evidence,
            message_exists=report.reported_message_id in existing_ids,
            rule_matches=rule_matches(report.evidence) if report.is_automatic else [],
        )
        for report, evidence in zip(reports, snapshots, strict=True)
    ]


@dataclass
class CaseThread:
    """A thread a reported message is in, as it is now: its root and the messages
    around the reported ones (``excerpt``, with the runs left out)."""

    root: Message
    messages: list[Message]  # shown, in reading order (walk_thread), each with its depth
    excerpt: ThreadExcerpt


# A case's reports share one message page's worth of context (WINDOW_BEFORE and
# WINDOW_AFTER around its message), each keeping at least a few messages on either
# side: many reports in one long thread still make a page, not the thread.
CASE_MIN_BEFORE = 5
CASE_MIN_AFTER = 10


def case_window(report_count: int) -> tuple[int, int]:
    """How many messages a case page shows before and after each reported one."""
    share = max(report_count, 1)
    return max(CASE_MIN_BEFORE, WINDOW_BEFORE // share), max(CASE_MIN_AFTER, WINDOW_AFTER // share)


@dataclass
class CasePage:
    """What a case page shows, read in a fixed number of queries."""

    evidence: list[ReportEvidence] = field(default_factory=list)
    threads: list[CaseThread] = field(default_factory=list)
    reported_ids: set[int] = field(default_factory=set)
    timeline: list[AuditEntry] = field(default_factory=list)  # newest first
    notes: list[Note] | None = None  # None: not asked for
    # The reported messages still there and hidden, by id: what may be restored.
    hidden_reported: list[Message] = field(default_factory=list)


def load_case_page(case: Case, *, with_notes: bool) -> CasePage:
    """Reports, threads, the names in the reports' evidence, timeline and, when
    ``with_notes``, the notes about the person: seven queries, whatever their number."""
    page = CasePage()
    reports = list(case.reports.select_related("reporter").order_by("created_at", "id"))
    page.reported_ids = {report.reported_message_id for report in reports}
    # The messages around each reported one, never whole threads: two queries.
    before, after = case_window(len(page.reported_ids))
    excerpts = thread_windows(page.reported_ids, before=before, after=after)
    existing: dict[int, Message] = {}
    for excerpt in excerpts.values():
        messages = excerpt.messages
        existing.update((message.pk, message) for message in messages)
        page.threads.append(CaseThread(root=messages[0], messages=messages, excerpt=excerpt))
    page.threads.sort(key=lambda thread: (thread.root.timestamp, thread.root.pk))
    page.evidence = reports_evidence(reports, existing_ids=set(existing))
    reliability = reporters_reliability(report.reporter_id for report in reports)
    for item in page.evidence:
        # A deleted reporter has none to show, nor a rule (no reporter either).
        if item.report.reporter_id is not None:
            item.reliability = reliability.get(item.report.reporter_id, NEW_REPORTER)
    page.hidden_reported = [
        existing[message_id]
        for message_id in sorted(page.reported_ids)
        if message_id in existing and existing[message_id].is_hidden
    ]
    page.timeline = list(
        AuditEntry.objects.filter(case_id=case.pk).order_by("-created_at", "-id")  # audit_case_idx
    )
    if with_notes:
        page.notes = list(Note.objects.about(case.account_id))
    return page


def reported_message(case: Case, message_id: int) -> Message | None:
    """The message ``message_id`` if one of ``case``'s reports is about it, with
    its sender (one query); None otherwise, or if it is gone."""
    return (
        Message.objects.filter(pk=message_id, pk__in=case.reports.values("reported_message_id"))
        .select_related("sender")
        .first()
    )


@dataclass(frozen=True)
class QueueNeighbours:
    """The cases before and after one in the review queue's order (ids; None at
    either end)."""

    previous_id: int | None
    next_id: int | None


def queue_neighbours(case: Case, *, now: datetime | None = None) -> QueueNeighbours:
    """The open cases just before and just after ``case`` in the review queue's
    order (``Case.objects.review_queue``: priority, then last reported, then id,
    all descending): one query, a subquery of one row for each.

    A closed case (one just acted on, say) is placed where its priority puts it,
    so "next" is the case that came after it while it was open. Both sides
    compute priority with the same ``now``, so a report ageing past a day between
    the two queries cannot make a case its own neighbour.
    """
    now = now or timezone.now()
    pivot = Case.objects.with_priority(now=now).filter(pk=case.pk)
    priority = Subquery(pivot.values("priority")[:1])
    reported = case.last_reported_at
    queue = Case.objects.review_queue(now=now).exclude(pk=case.pk)
    after = queue.filter(
        Q(priority__lt=priority)
        | Q(priority=priority, last_reported_at__lt=reported)
        | Q(priority=priority, last_reported_at=reported, pk__lt=case.pk)
    )
    before = queue.filter(
        Q(priority__gt=priority)
        | Q(priority=priority, last_reported_at__gt=reported)
        | Q(priority=priority, last_reported_at=reported, pk__gt=case.pk)
    ).reverse()
    neighbours = (
        Case.objects.filter(pk=case.pk)
        .annotate(
            previous_id=Subquery(before.values("pk")[:1]),
            next_id=Subquery(after.values("pk")[:1]),
        )
        .values_list("previous_id", "next_id")
        .first()
    )
    previous_id, next_id = neighbours or (None, None)  # None: the case is gone
    return QueueNeighbours(previous_id=previous_id, next_id=next_id)


@dataclass
class MessageModeration:
    """What moderation knows about one message, for its admin page."""

    reports: list[Report]  # oldest first, each with its case and reporter
    open_case: Case | None  # the author's open case, which a flag would join
    recent_edits: list[MessageHistory]  # newest first, at most RECENT_EDITS + 1


# A message's page lists this many of its newest edits beside the conversation.
RECENT_EDITS = 5


def message_moderation(message: Message) -> MessageModeration:
    """The reports of ``message`` (with their cases), its author's open case and
    its newest edits: three queries (report_message_idx, case_user_idx,
    history_message_idx)."""
    reports = list(
        Report.objects.filter(reported_message_id=message.pk).select_related("case", "reporter")
    )
    open_case = None
    if message.sender_id is not None:
        open_case = Case.objects.open().filter(reported_user_id=message.sender_id).first()
    recent_edits = []
    if message.edited:
        recent_edits = list(
            MessageHistory.objects.filter(message_id=message.pk).select_related("edited_by")[
                : RECENT_EDITS + 1
            ]
        )
    return MessageModeration(reports=reports, open_case=open_case, recent_edits=recent_edits)


def open_case_reporting(message: Message) -> Case | None:
    """The open case in which ``message`` is reported, if any (one query,
    report_message_idx): an action taken on the message from its own page
    belongs to that case's timeline."""
    report = (
        Report.objects.filter(reported_message_id=message.pk, case__status=Case.Status.OPEN)
        .select_related("case")
        .first()
    )
    return report.case if report is not None else None

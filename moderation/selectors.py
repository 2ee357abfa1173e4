"""Reads for moderation's pages that span models: what a case page shows.

``load_case_page`` costs five queries whatever the number of reports, threads or
notes: the reports in one, every message of every reported thread in one
(``Message.objects.thread_trees``), the names of the people in the reports'
evidence in one (``moderation.evidence.read_snapshots``), the timeline in one,
the notes in one. How the page looks (indentation, links, forms) is the admin's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from audit.models import AuditEntry
from messaging.managers import walk_thread
from messaging.models import Message
from moderation.evidence import Evidence, read_snapshots
from moderation.models import DELETED_ACCOUNT, Case, Note, Report


@dataclass
class ReportEvidence:
    report: Report
    reporter: str  # their name, or "deleted account"
    evidence: Evidence
    message_exists: bool  # the reported message is still there


def reports_evidence(reports: list[Report], *, existing_ids: set[int]) -> list[ReportEvidence]:
    """Each report with its snapshot as shown: the names of everyone in every
    snapshot looked up in one query. ``reporter`` must be selected with them."""
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
class CaseThread:
    """A thread a reported message is in, as it is now."""

    root: Message
    messages: list[Message]  # in reading order (walk_thread), each with its depth


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
    ``with_notes``, the notes about the person: five queries, whatever their number."""
    page = CasePage()
    reports = list(case.reports.select_related("reporter").order_by("created_at", "id"))
    page.reported_ids = {report.reported_message_id for report in reports}
    # Every message of every thread a reported message is in, in one query.
    roots = Message.objects.thread_trees(
        Message.objects.filter(pk__in=page.reported_ids).values("thread_id")
    )
    existing: dict[int, Message] = {}
    for root in sorted(roots.values(), key=lambda root: (root.timestamp, root.pk)):
        messages = list(walk_thread(root))
        existing.update((message.pk, message) for message in messages)
        page.threads.append(CaseThread(root=root, messages=messages))
    page.evidence = reports_evidence(reports, existing_ids=set(existing))
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

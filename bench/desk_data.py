"""The moderators' side of the benchmark's data: a reported case in the middle of
the 5,000-message thread, a review queue, an audit log and a jobs list.

Each shape is made once (``setup_data`` runs again on a database that has it)
and set-based where it is large: bulk inserts, a few thousand rows a statement.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import random
from collections.abc import Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from audit.models import AuditEntry
from bench import data
from jobs.models import Job
from messaging.models import Message
from moderation.evidence import snapshot_evidence
from moderation.models import Case, Report
from moderation.services import report_message

User = get_user_model()
QUEUE_SIZE = 2_000
AUDIT_ENTRIES = 200_000
AUDIT_SPAN = datetime.timedelta(days=60)
JOBS = 500
THREAD_REPORTS = 3
JOB_MARKER = "bench job"
# The first generated messages the queue's reports are picked from: enough to
# find QUEUE_SIZE different authors among them.
QUEUE_CANDIDATES = 40_000


def create_desk_data(
    *, queue: int = QUEUE_SIZE, audit_entries: int = AUDIT_ENTRIES, jobs: int = JOBS
) -> None:
    """Every shape, at the sizes the benchmark names (smaller for its smoke test)."""
    create_thread_case()
    create_review_queue(size=queue)
    create_audit_entries(size=audit_entries)
    create_jobs(size=jobs)


def create_thread_case() -> None:
    """Three reports, by three people of the conversation, on messages of one
    author from the middle of the 5,000-message thread, through the service the
    app uses (one open case, its counts and evidence as a user's reports make)."""
    middle = data.big_thread_middle()
    if Report.objects.filter(reported_message_id=middle.pk).exists():
        return
    reported = list(
        Message.objects.filter(
            thread_id=middle.thread_id, sender_id=middle.sender_id, pk__gte=middle.pk
        ).order_by("pk")[:THREAD_REPORTS]
    )
    reporters = list(
        User.objects.filter(username__startswith="bench_thread_")
        .exclude(pk=middle.sender_id)
        .order_by("pk")[:THREAD_REPORTS]
    )
    reasons = (Report.Reason.HARASSMENT, Report.Reason.THREAT, Report.Reason.SPAM)
    for message, reporter, reason in zip(reported, reporters, reasons, strict=True):
        report_message(reporter=reporter, message=message, reason=reason, comment="bench report")


@functools.cache
def thread_case() -> Case:
    return Case.objects.get(reports__reported_message_id=data.big_thread_middle().pk)


def create_review_queue(*, size: int = QUEUE_SIZE) -> None:
    """``size`` open cases, one report each against a different author, reported
    by the message's receiver over the last 30 days. The evidence is the real
    snapshot (two queries a report); cases and reports go in two bulk inserts."""
    if Case.objects.open().count() >= size:
        return
    rng = random.Random(2_000)  # noqa: S311 - reproducible data, not security
    taken = set(Case.objects.open().values_list("reported_user_id", flat=True))
    taken.add(data.busiest_sender().pk)
    picked: list[Message] = []
    candidates = (
        Message.objects.filter(
            # The generator's people only: not the bench's own accounts (its
            # thread, its big accounts), whose cases other shapes make.
            sender__username__startswith="gen",
            is_tombstone=False,
            receiver__isnull=False,
            pk__lte=QUEUE_CANDIDATES,
        )
        .select_related("sender")
        .order_by("pk")
    )
    for message in candidates.iterator(chunk_size=2_000):
        if message.sender_id not in taken:
            taken.add(message.sender_id)
            picked.append(message)
            if len(picked) == size:
                break
    now = timezone.now()
    with transaction.atomic():
        cases = []
        for message in picked:
            reported_at = now - datetime.timedelta(seconds=rng.randrange(30 * 86_400))
            cases.append(
                Case(
                    reported_user_id=message.sender_id,
                    account_id=message.sender_id,
                    reported_username=message.sender.username,
                    opened_at=reported_at,
                    last_reported_at=reported_at,
                    report_count=1,
                    reporter_count=1,
                    reporter_weight=3,  # one neutral reporter (moderation.reliability)
                )
            )
        Case.objects.bulk_create(cases, batch_size=1_000)
        Report.objects.bulk_create(
            (
                Report(
                    case=case,
                    reporter_id=message.receiver_id,
                    reported_message_id=message.pk,
                    reason=rng.choice(Report.Reason.values),
                    evidence=snapshot_evidence(message),
                    created_at=case.last_reported_at,
                )
                for case, message in zip(cases, picked, strict=True)
            ),
            batch_size=1_000,
        )


def create_audit_entries(*, size: int = AUDIT_ENTRIES) -> None:
    """``size`` entries over the last AUDIT_SPAN, mostly the bench moderator's
    work on cases and people, some system entries (no actor)."""
    if AuditEntry.objects.count() >= size:
        return
    rng = random.Random(200_000)  # noqa: S311 - reproducible data, not security
    moderator = data.bench_moderator()
    targets = list(
        User.objects.filter(username__startswith="gen")
        .order_by("pk")
        .values_list("pk", "username")[:5_000]
    )
    case_ids = list(Case.objects.values_list("pk", flat=True)[:QUEUE_SIZE]) or [None]
    case_actions = (
        AuditEntry.Action.CASE_DISMISSED,
        AuditEntry.Action.MESSAGE_HIDDEN,
        AuditEntry.Action.USER_WARNED,
        AuditEntry.Action.USER_SUSPENDED,
        AuditEntry.Action.NOTE_ADDED,
        AuditEntry.Action.MESSAGE_FLAGGED,
    )
    other_actions = (
        AuditEntry.Action.MESSAGE_EDITED,
        AuditEntry.Action.MESSAGES_MARKED_READ,
        AuditEntry.Action.EXPORT,
        AuditEntry.Action.ACCOUNT_DELETED,
        AuditEntry.Action.SUSPENSION_LIFTED,
    )
    now = timezone.now()
    span = int(AUDIT_SPAN.total_seconds())
    missing = size - AuditEntry.objects.count()

    def entries() -> Iterator[AuditEntry]:
        for _ in range(missing):
            target_id, target_name = rng.choice(targets)
            is_case_work = rng.random() < 0.6
            action = rng.choice(case_actions if is_case_work else other_actions)
            case_id = rng.choice(case_ids) if is_case_work else None
            is_system = action == AuditEntry.Action.ACCOUNT_DELETED and rng.random() < 0.5
            yield AuditEntry(
                created_at=now - datetime.timedelta(seconds=rng.randrange(span)),
                actor=None if is_system else moderator,
                actor_username="" if is_system else moderator.username,
                action=action,
                target_user_id=target_id,
                target_username=target_name,
                case_id=case_id,
                reason="bench: " + rng.choice(("spam", "abuse", "asked by the user", "")),
                details={"case_id": case_id} if case_id else {},
            )

    with transaction.atomic(), dated_by_hand(AuditEntry):
        AuditEntry.objects.bulk_create(entries(), batch_size=5_000)


def create_jobs(*, size: int = JOBS) -> None:
    """``size`` jobs of both kinds over the last AUDIT_SPAN: most succeeded, some
    failed, a few queued or running (no worker runs against this database)."""
    if Job.objects.filter(description__startswith=JOB_MARKER).count() >= size:
        return
    rng = random.Random(500)  # noqa: S311 - reproducible data, not security
    moderator = data.bench_moderator()
    now = timezone.now()
    span = int(AUDIT_SPAN.total_seconds())
    statuses = [Job.Status.SUCCEEDED] * 14 + [Job.Status.FAILED] * 3
    statuses += [Job.Status.QUEUED, Job.Status.RUNNING]
    jobs = []
    for index in range(size):
        created = now - datetime.timedelta(seconds=rng.randrange(span))
        status = rng.choice(statuses)
        is_export = rng.random() < 0.7
        total = rng.randrange(1, 1_000_000) if is_export else rng.randrange(11, 500)
        done = {Job.Status.SUCCEEDED: total, Job.Status.RUNNING: total // 2}.get(status, 0)
        started = None if status == Job.Status.QUEUED else created + datetime.timedelta(seconds=2)
        finished = (
            created + datetime.timedelta(seconds=90)
            if status in (Job.Status.SUCCEEDED, Job.Status.FAILED)
            else None
        )
        jobs.append(
            Job(
                kind=Job.Kind.EXPORT if is_export else Job.Kind.ACCOUNT_DELETION,
                status=status,
                started_by=moderator,
                started_by_username=moderator.username,
                description=f"{JOB_MARKER} {index}",
                params={"model": "messaging.message"}
                if is_export
                else {"user_ids": list(range(1, total + 1))[:50]},
                progress_done=done,
                progress_total=total,
                result=_job_result(is_export=is_export, total=total)
                if status == Job.Status.SUCCEEDED
                else {},
                error="bench: the worker stopped" if status == Job.Status.FAILED else "",
                attempts=0 if status == Job.Status.QUEUED else 1,
                created_at=created,
                started_at=started,
                heartbeat_at=now if status == Job.Status.RUNNING else None,
                finished_at=finished,
            )
        )
    with transaction.atomic(), dated_by_hand(Job):
        Job.objects.bulk_create(jobs, batch_size=500)


def _job_result(*, is_export: bool, total: int) -> dict[str, Any]:
    if is_export:
        return {"rows": total, "model": "messaging.message"}
    return {"deleted": total, "refused": 0}


@contextlib.contextmanager
def dated_by_hand(*models: type[Model]) -> Iterator[None]:
    """Let a bulk insert keep the ``created_at`` it was given. The field is
    ``auto_now_add``, which would stamp every row with now; the bench needs
    entries spread over weeks, as a desk's history is. For this process only."""
    fields = [model._meta.get_field("created_at") for model in models]
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field in fields:
            field.auto_now_add = True

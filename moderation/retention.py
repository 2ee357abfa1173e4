"""How long evidence is kept, and what an account deletion takes out of it.

A closed case keeps its evidence until ``Case.retain_until``; an open case
holds it. An account deletion (``forget_deleted_account``, run by the user
``pre_delete`` receiver inside the deletion's transaction) closes the person's
open case and takes their name out of every case; the words of a deleted
reporter quoted in other people's evidence stay only until
``Report.reporter_words_kept_until``. ``purge_expired_evidence`` (daily, from
``manage.py purge_expired_evidence``) ends both, each change leaving an audit
entry without free text. An appeal is evidence of its case: it goes with the
case (the database cascades), and a decided one also goes at its own
``Appeal.retain_until``, with or without its case.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Case as Conditional
from django.db.models import F, Value, When
from django.utils import timezone

from audit.models import AuditEntry
from moderation.events import evidence_purged
from moderation.evidence import remove_words
from moderation.models import Appeal, Case, Note, Report
from moderation.outcomes import notify_reporters_of_outcome

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)


def retention_end(moment: datetime) -> datetime:
    return moment + timedelta(days=settings.EVIDENCE_RETENTION_DAYS)


def forget_deleted_account(user: AbstractBaseUser) -> None:
    """The account is being deleted (inside the deletion's transaction): from now
    on only the audit log names the person. Set-based, three statements whatever
    the number of cases, reports and notes.

    - their open case closes and its evidence starts its retention; their cases
      no longer keep their username (the audit entries do);
    - the reports they filed lose their comment at once; their words quoted in
      those reports' evidence (other people's cases) stay for the retention
      period, counted from now, even in an open case: ``purge_expired_evidence``
      empties them after;
    - their notes no longer carry their name.
    """
    now = timezone.now()
    close_cases_of_deleted_account(user, now=now)
    Report.objects.filter(reporter_id=user.pk).update(
        comment="", reporter_words_kept_until=retention_end(now)
    )
    Note.objects.filter(author_id=user.pk).exclude(author_username="").update(author_username="")


def close_cases_of_deleted_account(user: AbstractBaseUser, *, now: datetime) -> int:
    """The account's cases no longer keep its name, and its open case closes and
    starts its evidence retention: one statement (by the link, still set before
    the delete: case_user_idx); then the reporters of the case it closed are told
    (moderation.outcomes). Returns how many cases it changed."""

    def if_open(value: object, field: str) -> Conditional:
        return Conditional(When(status=Case.Status.OPEN, then=Value(value)), default=F(field))

    changed = Case.objects.filter(reported_user_id=user.pk).update(
        reported_username="",
        status=if_open(Case.Status.CLOSED.value, "status"),
        resolution=if_open(Case.Resolution.ACCOUNT_DELETED.value, "resolution"),
        closed_at=if_open(now, "closed_at"),
        retain_until=if_open(retention_end(now), "retain_until"),
    )
    # Most deleted accounts were never reported: no case, no query.
    if changed:
        notify_reporters_of_outcome(
            Report.objects.filter(
                case__reported_user_id=user.pk,
                case__resolution=Case.Resolution.ACCOUNT_DELETED,
                case__closed_at=now,
            ),
            resolution=Case.Resolution.ACCOUNT_DELETED,
            now=now,
        )
    return changed


def purge_expired_evidence(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Delete every closed case past its retention, with its reports (the evidence)
    and notes (and appeals); each leaves one audit entry. Then delete the decided
    appeals past their own retention (``purge_expired_appeals``) and empty the
    words of deleted reporters past theirs (``remove_expired_reporter_words``).
    Returns how many cases went.

    A batch at a time, each in its own transaction: a purge interrupted midway
    has purged whole cases only, and running it again finishes the work.
    """
    purged = 0
    while True:
        with transaction.atomic():
            batch = list(
                Case.objects.past_retention(now=now)
                .select_for_update()
                .order_by("retain_until", "id")
                .values("id", "account_id", "reported_username", "retain_until")[:batch_size]
            )
            if not batch:
                break
            AuditEntry.objects.bulk_create(
                [
                    AuditEntry(
                        action=AuditEntry.Action.EVIDENCE_PURGED,
                        target_user_id=row["account_id"],
                        target_username=row["reported_username"],
                        case_id=row["id"],
                        reason="Retention ended",
                        details={"retain_until": row["retain_until"].isoformat()},
                    )
                    for row in batch
                ]
            )
            # Reports and notes go in the same statement (on_delete=DB_CASCADE).
            case_ids = [row["id"] for row in batch]
            Case.objects.filter(pk__in=case_ids).delete()
            # Set-based, with no per-row post_delete: the purge says so once a batch.
            evidence_purged.send(sender=Case, case_ids=case_ids)
        purged += len(batch)
        logger.info("Purged the evidence of %d cases", len(batch))
    purge_expired_appeals(now=now, batch_size=batch_size)
    remove_expired_reporter_words(now=now, batch_size=batch_size)
    return purged


def purge_expired_appeals(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Delete every decided appeal past its ``retain_until`` (appeal_retention_idx),
    each leaving one audit entry without its words; returns how many went. A
    batch at a time, each in its own transaction, as the cases' purge."""
    purged = 0
    while True:
        with transaction.atomic():
            batch = list(
                Appeal.objects.past_retention(now=now)
                .select_for_update(of=("self",))
                .order_by("retain_until", "id")
                .values(
                    "id", "user_id", "user__username", "case_id", "sanction_id", "retain_until"
                )[:batch_size]
            )
            if not batch:
                return purged
            AuditEntry.objects.bulk_create(
                [
                    AuditEntry(
                        action=AuditEntry.Action.EVIDENCE_PURGED,
                        target_user_id=row["user_id"],
                        target_username=row["user__username"],
                        case_id=row["case_id"],
                        reason="Retention of an appeal ended",
                        details={
                            "appeal_id": row["id"],
                            "sanction_id": row["sanction_id"],
                            "retain_until": row["retain_until"].isoformat(),
                        },
                    )
                    for row in batch
                ]
            )
            Appeal.objects.filter(pk__in=[row["id"] for row in batch]).delete()
        purged += len(batch)
        logger.info("Purged %d decided appeals", len(batch))


def remove_expired_reporter_words(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Empty, in the evidence of every report whose reporter's account was deleted
    more than the retention period ago, the messages that reporter's side sent
    (every message not sent by the case's reported account: a conversation has
    two people), open case or not. Each report emptied leaves one audit entry (ids
    and counts only). Returns how many reports were emptied.

    A batch at a time, each in its own transaction; running it again finds
    nothing more (the report's date is emptied with its words).
    """
    now = now or timezone.now()
    emptied = 0
    while True:
        with transaction.atomic():
            reports = list(
                Report.objects.filter(reporter_words_kept_until__lte=now)  # report_words_...idx
                .select_for_update()
                .select_related("case")
                .order_by("reporter_words_kept_until", "id")[:batch_size]
            )
            if not reports:
                return emptied
            entries = []
            for report in reports:
                report.evidence, removed = remove_words(
                    report.evidence, keep_sender_id=report.case.account_id
                )
                entries.append(
                    AuditEntry(
                        action=AuditEntry.Action.EVIDENCE_PURGED,
                        target_user_id=report.case.account_id,
                        case_id=report.case_id,
                        reason="Retention of a deleted reporter's words ended",
                        details={
                            "report_id": report.pk,
                            "messages_emptied": removed,
                            "kept_until": report.reporter_words_kept_until.isoformat(),
                        },
                    )
                )
                report.reporter_words_kept_until = None
            Report.objects.bulk_update(reports, ["evidence", "reporter_words_kept_until"])
            AuditEntry.objects.bulk_create(entries)
        emptied += len(reports)
        logger.info("Emptied the words of deleted reporters in %d reports", len(reports))

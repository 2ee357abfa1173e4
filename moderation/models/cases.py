"""Reports, the cases they open, and moderators' notes.

Users report messages; the reports against one person gather in that person's
open case, which moderators work from the review queue (``admin_ext.admin.cases``).
Each report keeps a snapshot of what was reported (the *evidence*), so what a
moderator judged survives edits and account deletions. A closed case keeps its
evidence until ``retain_until``; ``manage.py purge_expired_evidence`` then
deletes the case with its reports and notes (README, "Reports and cases").

Writes go through ``moderation.services``; reads through ``moderation.managers``.
What moderators did to a case is not stored here but in the audit log
(``AuditEntry.case_id``): one trail, append-only, that outlives the evidence.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from moderation.managers import CaseQuerySet, NoteQuerySet

MAX_COMMENT_LENGTH = 1_000
MAX_NOTE_LENGTH = 5_000
# How the desk names an account that no longer exists.
DELETED_ACCOUNT = "deleted account"


def automatic_name(rule_name: str) -> str:
    """How the desk names a watched-word rule's action, wherever a person's name
    would be: "automatic · rule “name”"."""
    return f"automatic · rule “{rule_name}”"


class Case(models.Model):
    """Everything reported about one person, until a moderator closes it.

    A person has at most one open case; a report after it closed opens a new one.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Resolution(models.TextChoices):
        NONE = "", "—"
        DISMISSED = "dismissed", "Dismissed"
        ACTIONED = "actioned", "Action taken"
        ACCOUNT_DELETED = "account_deleted", "Account deleted"

    reported_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # The database empties it when the account goes (no query, no signal);
        # the case stays, as evidence, until its retention ends.
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="moderation_cases",
        db_index=False,  # covered by case_user_idx
    )
    # Kept when the account is deleted: who the evidence is about. Part of the
    # evidence, purged with it.
    account_id = models.BigIntegerField()
    # Emptied when the account is deleted (close_cases_of_deleted_account): from
    # then on only the audit log names the person.
    reported_username = models.CharField(max_length=150, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolution = models.CharField(
        max_length=20, choices=Resolution.choices, default=Resolution.NONE, blank=True
    )
    opened_at = models.DateTimeField(default=timezone.now)
    last_reported_at = models.DateTimeField(default=timezone.now)
    first_action_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Kept up to date by report_message (under the case's lock), so the queue
    # sorts without counting reports per row.
    report_count = models.PositiveIntegerField(default=0)
    reporter_count = models.PositiveIntegerField(default=0)
    # The sum of its distinct reporters' weights when each first reported in it
    # (moderation.reliability): what they add to the queue's priority.
    reporter_weight = models.PositiveIntegerField(default=0)
    # A spike of reports mostly from new or unreliable reporters (moderation.
    # reliability.looks_like_brigade): from then on they add nothing to priority.
    possible_brigade = models.BooleanField(default=False)
    # Sanctions on this account in the audit log when the case opened.
    prior_sanctions = models.PositiveIntegerField(default=0)
    # Set when the case closes (EVIDENCE_RETENTION_DAYS later); only superusers
    # change it. Open cases are held: they have none.
    retain_until = models.DateTimeField(null=True, blank=True)
    # The moderator working the case (moderation.claims): held while claimed_at
    # is less than CLAIM_MINUTES old; any action of theirs on it sets claimed_at
    # again. A lapsed claim stays written until someone claims the case.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # Like the other links to accounts: the database empties it on deletion.
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    claimed_at = models.DateTimeField(null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-last_reported_at", "-id"]
        indexes = [
            # The review queue: open cases, most recently reported first.
            models.Index(fields=["status", "-last_reported_at"], name="case_queue_idx"),
            # A person's cases (their user page, report_message's open case).
            models.Index(fields=["reported_user", "status"], name="case_user_idx"),
            # purge_expired_evidence: closed cases past their retention.
            models.Index(
                fields=["retain_until"],
                condition=Q(retain_until__isnull=False),
                name="case_retention_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["reported_user"],
                condition=Q(status="open"),
                name="case_one_open_per_user",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True, retain_until__isnull=True)
                | Q(status="closed", closed_at__isnull=False),
                name="case_closed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Case #{self.pk}: {self.reported_name}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def reported_name(self) -> str:
        """The reported person's username, or "deleted account" once it is gone."""
        return self.reported_username or DELETED_ACCOUNT


class Report(models.Model):
    """One person's report of one message, with the evidence as it was then; or
    a watched-word rule's (``rule_id`` set, no reporter)."""

    class Reason(models.TextChoices):
        SPAM = "spam", "Spam or scam"
        HARASSMENT = "harassment", "Harassment or bullying"
        HATE = "hate", "Hate speech"
        THREAT = "threat", "Threats or violence"
        SEXUAL = "sexual", "Unwanted sexual content"
        PRIVATE_INFORMATION = "private_information", "Sharing private information"
        OTHER = "other", "Something else"

    case = models.ForeignKey(
        Case,
        on_delete=models.DB_CASCADE,  # purged with its case, in the same statement
        related_name="reports",
        db_index=False,  # covered by report_case_idx
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # An id, not a link: the evidence outlives the message, which account
    # deletion removes with raw set-based deletes, and a database-level link from
    # here to Message is not allowed (its own relations are Python-level).
    # Message ids are never reused, so a gone message matches nothing.
    reported_message_id = models.BigIntegerField()
    reason = models.CharField(max_length=30, choices=Reason.choices)
    comment = models.TextField(max_length=MAX_COMMENT_LENGTH, blank=True)
    # moderation.evidence.snapshot_evidence: the message, its parent and its
    # direct replies, each with its edit history, at report time.
    evidence = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    # Set when the reporter's account is deleted (EVIDENCE_RETENTION_DAYS later):
    # their words quoted in the evidence stay until then, even in an open case,
    # and purge_expired_evidence empties them after (and empties this again).
    reporter_words_kept_until = models.DateTimeField(null=True, blank=True)
    # When the reporter was told how their report ended (moderation.outcomes):
    # once per report, even if its case is closed again.
    outcome_notified_at = models.DateTimeField(null=True, blank=True)
    # A report filed by a watched-word rule (moderation.automatic), not a
    # person: its reporter is empty. Its id and name, not a link: the rule lives
    # in ``detection``, above this app, and the report outlives its edits.
    rule_id = models.BigIntegerField(null=True, blank=True)
    rule_name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # A case's reports, oldest first (case page, distinct reporters).
            models.Index(fields=["case", "created_at"], name="report_case_idx"),
            # A reporter's newest reports: the daily limit (report_refusal) and
            # their reliability (moderation.reliability).
            models.Index(fields=["reporter", "-created_at"], name="report_reporter_idx"),
            # The reports of one message (its admin page).
            models.Index(fields=["reported_message_id"], name="report_message_idx"),
            # purge_expired_evidence: deleted reporters' words past their retention.
            models.Index(
                fields=["reporter_words_kept_until"],
                condition=Q(reporter_words_kept_until__isnull=False),
                name="report_words_retention_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "reported_message_id"],
                name="report_once_per_reporter_and_message",
            ),
        ]

    def __str__(self) -> str:
        return f"Report #{self.pk} ({self.get_reason_display()})"

    @property
    def is_automatic(self) -> bool:
        return self.rule_id is not None

    @property
    def reporter_name(self) -> str:
        """Who filed it: the reporter's username, the rule, or "deleted account"."""
        if self.is_automatic:
            return automatic_name(self.rule_name)
        return self.reporter.get_username() if self.reporter else DELETED_ACCOUNT


class Note(models.Model):
    """A moderator's note on a person or on one of their cases.

    A note on a person goes with their account (the database deletes it); a note
    on a case is part of the case's evidence and goes when it is purged.
    ``Note.objects.about(user)`` reads both: every note on a person, in one place.
    """

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Emptied when the author's account is deleted (shown as "deleted account").
    author_username = models.CharField(max_length=150, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,
        null=True,
        blank=True,
        related_name="moderation_notes",
    )
    case = models.ForeignKey(
        Case, on_delete=models.DB_CASCADE, null=True, blank=True, related_name="notes"
    )
    text = models.TextField(max_length=MAX_NOTE_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    objects = NoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=True, case__isnull=False)
                | Q(user__isnull=False, case__isnull=True),
                name="note_on_user_or_case",
            ),
        ]

    def __str__(self) -> str:
        return f"Note #{self.pk} by {self.author_username or DELETED_ACCOUNT}"

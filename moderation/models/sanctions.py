"""Sanctions a person is under, and their appeals.

A ``Sanction`` is one measure a moderator took against a person (a hidden
message, a warning, a suspension), from a case or not, with an end or not. Its
effect lives where it always did (``Message.is_hidden``, the warning's
``Notification``, ``User.is_active``); the row says since when, until when and
how it ended, so the person's strike history, timed lifting
(``moderation.sanctions.lift_expired_sanctions``) and appeals have something
to point at. What the moderator wrote as the reason stays in the audit log.

An ``Appeal`` is the person's one request to reverse one sanction
(``moderation.appeals``). Both go with the person's account (the database
deletes them with it). An appeal is evidence of its case: it goes when the
case's evidence is purged, and a decided appeal without a case is kept until
its own ``retain_until``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from moderation.managers import AppealQuerySet, SanctionQuerySet
from moderation.models.cases import DELETED_ACCOUNT, Case, automatic_name

MAX_APPEAL_LENGTH = 2_000


class Sanction(models.Model):
    class Kind(models.TextChoices):
        HIDE = "hide", "Message hidden"
        WARN = "warn", "Warning"
        SUSPEND = "suspend", "Suspension"

    class Ending(models.TextChoices):
        NONE = "", "—"
        EXPIRED = "expired", "Ended on time"
        LIFTED = "lifted", "Lifted by a moderator"
        OVERTURNED = "overturned", "Overturned on appeal"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,  # goes with the account, in the same statement
        related_name="moderation_sanctions",
        db_index=False,  # covered by sanction_user_idx
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    case = models.ForeignKey(
        Case,
        # The sanction outlives its case's evidence: an indefinite suspension
        # stays on the person's record after the case is purged.
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="sanctions",
    )
    # Ids, not links: the message (HIDE) and the warning's notification (WARN)
    # belong to messaging, whose rows account deletion removes in sets.
    message_id = models.BigIntegerField(null=True, blank=True)
    notification_id = models.BigIntegerField(null=True, blank=True)
    imposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    imposed_at = models.DateTimeField(default=timezone.now)
    # Imposed by a watched-word rule (moderation.automatic), not a moderator:
    # imposed_by is empty and this names the rule.
    rule_name = models.CharField(max_length=100, blank=True)
    # None: until a moderator lifts it (or an appeal overturns it).
    ends_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ending = models.CharField(
        max_length=12, choices=Ending.choices, default=Ending.NONE, blank=True
    )
    # Who ended it; empty with ending EXPIRED (the system) or once they are deleted.
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = SanctionQuerySet.as_manager()

    class Meta:
        ordering = ["-imposed_at", "-id"]
        indexes = [
            # A person's strike history, newest first.
            models.Index(fields=["user", "-imposed_at"], name="sanction_user_idx"),
            # lift_expired_sanctions: active sanctions with an end, soonest first.
            models.Index(
                fields=["ends_at"],
                condition=Q(ended_at__isnull=True, ends_at__isnull=False),
                name="sanction_due_idx",
            ),
            models.Index(fields=["message_id"], name="sanction_message_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, ending="")
                | Q(ended_at__isnull=False) & ~Q(ending=""),
                name="sanction_ended_has_how",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None

    @property
    def imposed_by_name(self) -> str:
        """Who imposed it: the moderator, the rule, or "deleted account"."""
        if self.rule_name:
            return automatic_name(self.rule_name)
        return self.imposed_by.get_username() if self.imposed_by else DELETED_ACCOUNT


class Appeal(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a moderator"
        ASKED = "asked", "Waiting for the person's answer"
        APPROVED = "approved", "Approved: sanction reversed"
        REJECTED = "rejected", "Rejected"

    UNDECIDED = (Status.OPEN, Status.ASKED)

    sanction = models.OneToOneField(  # once per sanction
        Sanction, on_delete=models.DB_CASCADE, related_name="appeal"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_CASCADE,  # the person's words go with their account
        related_name="moderation_appeals",
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.DB_CASCADE,  # evidence of its case: purged with it
        null=True,
        blank=True,
        related_name="appeals",
    )
    text = models.TextField(max_length=MAX_APPEAL_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # The one clarification exchange: a moderator asks, the person answers.
    question = models.TextField(max_length=MAX_APPEAL_LENGTH, blank=True)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    asked_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(max_length=MAX_APPEAL_LENGTH, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Written to the person: they read it with the decision.
    decision_reason = models.TextField(max_length=MAX_APPEAL_LENGTH, blank=True)
    # Set when decided (EVIDENCE_RETENTION_DAYS later): purge_expired_evidence
    # deletes it then, with or without its case.
    retain_until = models.DateTimeField(null=True, blank=True)

    objects = AppealQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]  # the queue: oldest first
        indexes = [
            models.Index(fields=["status", "created_at"], name="appeal_queue_idx"),
            models.Index(
                fields=["retain_until"],
                condition=Q(retain_until__isnull=False),
                name="appeal_retention_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "asked"], decided_at__isnull=True)
                | Q(status__in=["approved", "rejected"], decided_at__isnull=False),
                name="appeal_decided_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Appeal #{self.pk}"

    @property
    def is_undecided(self) -> bool:
        return self.status in self.UNDECIDED

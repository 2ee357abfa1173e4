"""The append-only audit log of what moderators (and account holders) did.

Entries outlive everyone they mention: the actor is a nullable link plus the
username kept as text, and the target is only text (the account may be gone).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from simple_history import register


class AuditEntryQuerySet(models.QuerySet):
    def usernames_of_deleted_accounts(self, user_ids: Iterable[int]) -> dict[int, str]:
        """The username each deleted account had, by id, from its deletion's entry."""
        return dict(
            self.filter(
                action=AuditEntry.Action.ACCOUNT_DELETED, target_user_id__in=user_ids
            ).values_list("target_user_id", "target_username")
        )

    def update(self, **kwargs: Any) -> NoReturn:
        raise TypeError("Audit entries are append-only.")

    def delete(self) -> NoReturn:
        raise TypeError("Audit entries are append-only.")


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        ACCOUNT_DELETED = "account_deleted", "Account deleted"
        MESSAGE_EDITED = "message_edited", "Message edited"
        MESSAGES_MARKED_READ = "messages_marked_read", "Messages marked read"
        MESSAGES_MARKED_UNREAD = "messages_marked_unread", "Messages marked unread"
        EXPORT = "export", "Export"
        JOB_RETRIED = "job_retried", "Job retried"
        # A superuser's change to an account or a group in the admin (fields named,
        # never their values).
        ACCOUNT_CHANGED = "account_changed", "Account changed in the admin"
        GROUP_CHANGED = "group_changed", "Group changed in the admin"
        # Work on moderation cases (moderation.services); details.case_id too.
        CASE_DISMISSED = "case_dismissed", "Case dismissed"
        MESSAGE_HIDDEN = "message_hidden", "Message hidden"
        MESSAGE_RESTORED = "message_restored", "Message restored"
        # A moderator put a message in its author's open case (opened if none).
        MESSAGE_FLAGGED = "message_flagged", "Message flagged into a case"
        USER_WARNED = "user_warned", "User warned"
        USER_SUSPENDED = "user_suspended", "User suspended"
        SUSPENSION_LIFTED = "suspension_lifted", "Suspension lifted"
        NOTE_ADDED = "note_added", "Note added"
        # A sanction with an end reached it: lifted by the system (actor empty).
        SANCTION_EXPIRED = "sanction_expired", "Sanction ended on time"
        # A warning's strike ended early (it stays on the person's inbox).
        WARNING_WITHDRAWN = "warning_withdrawn", "Warning withdrawn"
        # Appeals (moderation.appeals): the person's, then a moderator's steps.
        APPEAL_FILED = "appeal_filed", "Appeal filed"
        APPEAL_QUESTION_ASKED = "appeal_question_asked", "Question asked on an appeal"
        APPEAL_ANSWERED = "appeal_answered", "Appeal question answered"
        APPEAL_APPROVED = "appeal_approved", "Appeal approved: sanction reversed"
        APPEAL_REJECTED = "appeal_rejected", "Appeal rejected"
        # A moderator took a case to work on (moderation.claims), or let it go.
        CASE_CLAIMED = "case_claimed", "Case claimed"
        CASE_RELEASED = "case_released", "Case released"
        # A report spike marked the case a possible brigade (no actor: the system).
        CASE_MARKED_BRIGADE = "case_marked_brigade", "Case marked possible brigade"
        RETENTION_CHANGED = "retention_changed", "Evidence retention changed"
        EVIDENCE_PURGED = "evidence_purged", "Evidence purged"
        # Staff's second factor for the admin (admin_ext.second_factor): set up by
        # the person (target = actor), reset by a superuser. Never a secret or code.
        SECOND_FACTOR_ENROLLED = "second_factor_enrolled", "Second factor set up"
        SECOND_FACTOR_RESET = "second_factor_reset", "Second factor reset"
        # Watched-word rules (detection.services); details.rule_id and rule_name.
        RULE_CREATED = "rule_created", "Watched-word rule created"
        RULE_CHANGED = "rule_changed", "Watched-word rule changed"
        RULE_SWITCHED_ON = "rule_switched_on", "Watched-word rule switched on"
        RULE_SWITCHED_OFF = "rule_switched_off", "Watched-word rule switched off"
        BACKTEST_STARTED = "backtest_started", "Watched-word rule backtest started"

    created_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,  # the entry survives the moderator's deletion
        null=True,
        blank=True,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=40, choices=Action.choices)
    target_user_id = models.BigIntegerField(null=True, blank=True)
    target_username = models.CharField(max_length=150, blank=True)
    # The moderation case the action belongs to: an id, not a link, because the
    # entry outlives the case (its evidence is purged after its retention).
    case_id = models.BigIntegerField(null=True, blank=True)
    reason = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            # The audit changelist: newest first, filtered by action or moderator.
            models.Index(fields=["-created_at"], name="audit_created_idx"),
            models.Index(fields=["action", "-created_at"], name="audit_action_idx"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_idx"),
            # The dashboard's "accounts deleted this week" and a user's trail.
            models.Index(fields=["target_user_id"], name="audit_target_idx"),
            # A case's timeline on its page.
            models.Index(fields=["case_id", "created_at"], name="audit_case_idx"),
        ]

    def __str__(self) -> str:
        target = f" {self.target_username}" if self.target_username else ""
        return f"{self.get_action_display()}{target} by {self.actor_username or 'system'}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("Audit entries are append-only.")


# Who changed which account (django-simple-history). Password hashes and login
# times are not history; deleting an account drops its versions.
register(
    get_user_model(),
    app="audit",
    manager_name="versions",
    excluded_fields=["password", "last_login"],
    cascade_delete_history=True,
)

"""Watched-word rules as stored data: what a moderator with the permission wrote,
switched on or off, with every version kept (django-simple-history).

A rule is written only by ``detection.services.save_rule`` (validated by the
matcher's own checks, audited, its editor named in its history); the matcher
reads the active ones through ``current_matcher``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from detection.matching import REGEX, WORDS, Rule


class WatchedRuleQuerySet(models.QuerySet):
    def active_rules(self) -> WatchedRuleQuerySet:
        return self.filter(is_active=True)


class WatchedRule(models.Model):
    class Kind(models.TextChoices):
        WORDS = WORDS, "Words or phrases"
        REGEX = REGEX, "Regular expression"

    class Action(models.TextChoices):
        FLAG = "flag", "Flag into the author's case"
        HIDE = "hide", "Hide until a moderator reviews it"
        REFUSE = "refuse", "Refuse at sending"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.WORDS)
    # One word or phrase per line: what a moderator pastes, and what the history
    # shows as a readable diff.
    words = models.TextField(blank=True)
    pattern = models.TextField(blank=True)
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.FLAG)
    refusal_message = models.TextField(
        blank=True, help_text="Shown to the sender when the rule refuses a message."
    )
    # A new rule starts switched off, to be backtested before it acts.
    is_active = models.BooleanField("active", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Every version, with who saved it and why (save_rule names both).
    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))
    objects = WatchedRuleQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def word_list(self) -> tuple[str, ...]:
        """The rule's words, one per line; blank lines are spacing, not words."""
        return tuple(line.strip() for line in self.words.splitlines() if line.strip())

    def as_rule(self) -> Rule:
        """The matcher's view of this rule (``detection.matching.Rule``)."""
        return Rule(id=self.pk, kind=self.kind, words=self.word_list, pattern=self.pattern)

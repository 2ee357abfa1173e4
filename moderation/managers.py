"""Reads of the moderation app."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Self

from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

# The queue's priority (README, "Reports and cases"): each distinct reporter
# counts 3 (Case.reporter_weight: 3 for a new or neutral reporter, more or less
# by their reliability, moderation.reliability), each earlier sanction of the
# account 2, and a report in the last day 2 (in the last week 1). Ties go to the
# most recently reported case.
PRIORITY_PER_REPORTER = 3
PRIORITY_PER_PRIOR_SANCTION = 2
PRIORITY_REPORTED_TODAY = 2
PRIORITY_REPORTED_THIS_WEEK = 1


class CaseQuerySet(models.QuerySet):
    def open(self) -> Self:
        return self.filter(status="open")

    def closed(self) -> Self:
        return self.filter(status="closed")

    def of_account(self, user_id: int) -> Self:
        return self.filter(account_id=user_id)

    def with_priority(self, *, now: datetime | None = None) -> Self:
        """Annotate ``priority``, computed in the database from the case's own row."""
        now = now or timezone.now()
        recency = Case(
            When(last_reported_at__gte=now - timedelta(days=1), then=PRIORITY_REPORTED_TODAY),
            When(last_reported_at__gte=now - timedelta(days=7), then=PRIORITY_REPORTED_THIS_WEEK),
            default=Value(0),
            output_field=models.IntegerField(),
        )
        return self.annotate(
            priority=F("reporter_weight")
            + F("prior_sanctions") * PRIORITY_PER_PRIOR_SANCTION
            + recency
        )

    def review_queue(self, *, now: datetime | None = None) -> Self:
        """Open cases, highest priority first (case_queue_idx finds them)."""
        return self.open().with_priority(now=now).order_by("-priority", "-last_reported_at", "-id")

    def past_retention(self, *, now: datetime | None = None) -> Self:
        """Closed cases whose evidence is kept no longer (case_retention_idx)."""
        return self.closed().filter(retain_until__lte=now or timezone.now())


class NoteQuerySet(models.QuerySet):
    def about(self, user_id: int) -> Self:
        """Every note on the person: on their account, and on any case about them
        (by the account id the case keeps, so notes of a deleted account's cases
        are still found)."""
        return self.filter(Q(user_id=user_id) | Q(case__account_id=user_id))


class SanctionQuerySet(models.QuerySet):
    def active(self) -> Self:
        return self.filter(ended_at__isnull=True)

    def ended(self) -> Self:
        return self.filter(ended_at__isnull=False)

    def due(self, *, now: datetime | None = None) -> Self:
        """Active sanctions whose end has come (sanction_due_idx), soonest first."""
        return self.active().filter(ends_at__lte=now or timezone.now()).order_by("ends_at", "id")

    def of_user(self, user_id: int) -> Self:
        return self.filter(user_id=user_id)

    def strikes(self) -> Self:
        """What weighs on a person's next case (its priority): their sanctions in
        force or lifted by a moderator, not those overturned on appeal (they should
        not have been) nor those that ended on time (a timed strike weighs for its
        time)."""
        return self.exclude(ending__in=("overturned", "expired"))


class AppealQuerySet(models.QuerySet):
    def undecided(self) -> Self:
        return self.filter(status__in=("open", "asked"))

    def waiting_for_moderators(self) -> Self:
        """The appeals queue: open ones, oldest first (appeal_queue_idx)."""
        return self.filter(status="open").order_by("created_at", "id")

    def past_retention(self, *, now: datetime | None = None) -> Self:
        """Decided appeals kept no longer (appeal_retention_idx)."""
        return self.filter(retain_until__lte=now or timezone.now())

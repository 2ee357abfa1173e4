"""Reads about one person for the desk (``moderation.selectors`` holds the case
page's): what a person's page shows besides the account's fields
(``person_context``), and what a suspended person is told when they log in
(``suspension_notice``). Each costs a fixed number of queries whatever the size
of the account: every list is limited, and every count is a correlated
subquery of one query.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import Case as Ranked
from django.db.models import IntegerField, OuterRef, Q, QuerySet, Value, When

from audit.models import AuditEntry
from messaging.models import Message, Notification
from messaging.selectors import count_subquery
from moderation.models import Case, Note, Report, Sanction
from moderation.reports import SANCTIONS

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


# What the moderation timeline lists, with the moderators' reasons: the sanctions,
# their undoing and ends, and the steps of the person's appeals. (The strike
# history beside it is the Sanction rows: what is in force.)
STRIKE_ACTIONS = (
    AuditEntry.Action.MESSAGE_HIDDEN,
    AuditEntry.Action.MESSAGE_RESTORED,
    AuditEntry.Action.USER_WARNED,
    AuditEntry.Action.WARNING_WITHDRAWN,
    AuditEntry.Action.USER_SUSPENDED,
    AuditEntry.Action.SUSPENSION_LIFTED,
    AuditEntry.Action.SANCTION_EXPIRED,
    AuditEntry.Action.APPEAL_FILED,
    AuditEntry.Action.APPEAL_QUESTION_ASKED,
    AuditEntry.Action.APPEAL_ANSWERED,
    AuditEntry.Action.APPEAL_APPROVED,
    AuditEntry.Action.APPEAL_REJECTED,
)
# How many rows each list of the page shows (the counts say how many there are).
PERSON_LIST_LIMIT = 20
RECENT_MESSAGES_LIMIT = 10


@dataclass
class PersonCounts:
    messages_sent: int = 0
    messages_received: int = 0
    reports_against: int = 0
    reports_filed: int = 0
    sanctions: int = 0  # hides, warnings and suspensions (reports.SANCTIONS)
    sanctions_active: int = 0  # Sanction rows still in force
    sanctions_ended: int = 0


@dataclass
class PersonContext:
    """What a person's page shows besides the account's own fields."""

    cases: list[Case] = field(default_factory=list)  # newest first
    reports_against: list[Report] = field(default_factory=list)  # newest first, with case
    reports_filed: list[Report] = field(default_factory=list)  # newest first, with case
    strikes: list[AuditEntry] = field(default_factory=list)  # newest first
    # Their sanctions (``person_sanctions``): active first, then newest first.
    sanctions: list[Sanction] = field(default_factory=list)
    recent_messages: list[Message] = field(default_factory=list)  # sent or received
    counts: PersonCounts = field(default_factory=PersonCounts)
    notes: list[Note] | None = None  # None: not asked for
    # The latest suspension's entry while the account is suspended (None when it
    # is not, or when it was suspended outside the desk's services).
    suspension: AuditEntry | None = None

    @property
    def active_suspension(self) -> Sanction | None:
        """The suspension in force (its ``ends_at``: until when), if any: listed
        first among the sanctions when there is one."""
        first = self.sanctions[0] if self.sanctions else None
        if first is not None and first.is_active and first.kind == Sanction.Kind.SUSPEND:
            return first
        return None


def person_context(user: AbstractBaseUser, *, with_notes: bool) -> PersonContext:
    """The moderation context of one account: its cases, the reports against it
    and by it, its strike history, counts, recent messages and, when
    ``with_notes``, the notes about it. Ten queries (nine without notes),
    whatever the size of the account: each list is limited and every count is a
    correlated subquery of one query."""
    context = PersonContext(
        cases=list(
            Case.objects.filter(reported_user=user).order_by("-opened_at", "-id")[  # case_user_idx
                :PERSON_LIST_LIMIT
            ]
        ),
        reports_against=list(
            Report.objects.filter(case__reported_user=user)
            .select_related("reporter", "case")
            .order_by("-created_at", "-id")[:PERSON_LIST_LIMIT]
        ),
        reports_filed=list(
            Report.objects.filter(reporter=user)  # report_once_per_reporter_and_message
            .select_related("case")
            .order_by("-created_at", "-id")[:PERSON_LIST_LIMIT]
        ),
        strikes=list(
            AuditEntry.objects.filter(target_user_id=user.pk, action__in=STRIKE_ACTIONS).order_by(
                "-created_at", "-id"
            )[:PERSON_LIST_LIMIT]  # audit_target_idx
        ),
        sanctions=person_sanctions(user.pk),
        recent_messages=_recent_messages(user),
        counts=_person_counts(user),
    )
    if not user.is_active:
        context.suspension = latest_suspension(user)
    if with_notes:
        context.notes = list(Note.objects.about(user.pk))
    return context


def latest_suspension(user: AbstractBaseUser) -> AuditEntry | None:
    """The audit entry of the account's current suspension (one query): the
    latest suspension, unless a lift came after it."""
    latest = (
        AuditEntry.objects.filter(
            target_user_id=user.pk,
            action__in=(AuditEntry.Action.USER_SUSPENDED, AuditEntry.Action.SUSPENSION_LIFTED),
        )
        .order_by("-created_at", "-id")
        .first()
    )
    return latest if latest and latest.action == AuditEntry.Action.USER_SUSPENDED else None


def person_sanctions(user_id: int, *, limit: int = PERSON_LIST_LIMIT) -> list[Sanction]:
    """The person's sanctions, at most ``limit`` (one query): those in force
    first, a suspension before the rest, then newest first; with who imposed
    and ended them."""
    standing = Ranked(
        When(ended_at__isnull=True, kind=Sanction.Kind.SUSPEND, then=Value(0)),
        When(ended_at__isnull=True, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return list(
        Sanction.objects.of_user(user_id)  # sanction_user_idx; a person has few
        .select_related("imposed_by", "ended_by")
        .alias(standing=standing)
        .order_by("standing", "-imposed_at", "-id")[:limit]
    )


def _recent_messages(user: AbstractBaseUser) -> list[Message]:
    # Two queries, each the top of one index (msg_sent_idx, msg_received_idx),
    # where one OR would sort every message of a big account.
    related = ("sender", "receiver")
    sent = Message.objects.filter(sender=user).select_related(*related)
    received = Message.objects.filter(receiver=user).select_related(*related)
    newest = [
        *sent.order_by("-timestamp")[:RECENT_MESSAGES_LIMIT],
        *received.order_by("-timestamp")[:RECENT_MESSAGES_LIMIT],
    ]
    newest.sort(key=lambda message: (message.timestamp, message.pk), reverse=True)
    return newest[:RECENT_MESSAGES_LIMIT]


def _person_counts(user: AbstractBaseUser) -> PersonCounts:
    values = (
        get_user_model()
        ._default_manager.filter(pk=user.pk)
        .annotate(
            messages_sent=count_subquery(Message.objects.filter(sender=OuterRef("pk")), "sender"),
            messages_received=count_subquery(
                Message.objects.filter(receiver=OuterRef("pk")), "receiver"
            ),
            reports_against=count_subquery(
                Report.objects.filter(case__reported_user=OuterRef("pk")), "case__reported_user"
            ),
            reports_filed=count_subquery(
                Report.objects.filter(reporter=OuterRef("pk")), "reporter"
            ),
            sanctions=count_subquery(
                AuditEntry.objects.filter(target_user_id=OuterRef("pk"), action__in=SANCTIONS),
                "target_user_id",
            ),
            sanctions_active=count_subquery(
                Sanction.objects.active().filter(user=OuterRef("pk")), "user"
            ),
            sanctions_ended=count_subquery(
                Sanction.objects.ended().filter(user=OuterRef("pk")), "user"
            ),
        )
        .values(*PersonCounts.__dataclass_fields__)
        .first()
    )
    return PersonCounts(**values) if values else PersonCounts()


def by_suspension(users: QuerySet, suspended: bool) -> QuerySet:
    """The suspended accounts (or the others): ``is_active`` is what
    ``suspend_user`` turns off. The users list's filter and its export."""
    return users.filter(is_active=not suspended)


# --- what a suspended person is told when they log in -----------------------------------


@dataclass
class SuspensionNotice:
    since: datetime.datetime | None  # None: suspended outside the desk's services
    warnings: list[Notification]  # the moderators' words to them, newest first
    # When the suspension ends by itself; None: until a moderator lifts it (or
    # suspended outside the desk's services).
    until: datetime.datetime | None = None


def suspension_notice(user: AbstractBaseUser) -> SuspensionNotice:
    """What the login page tells a suspended person (three queries): since when,
    until when, and the warnings the moderators sent them. The reason a moderator
    gives is not part of it: it is written for the audit log and other moderators."""
    suspension = latest_suspension(user)
    return SuspensionNotice(
        since=suspension.created_at if suspension else None,
        until=(
            Sanction.objects.of_user(user.pk)
            .active()
            .filter(kind=Sanction.Kind.SUSPEND)
            .order_by("-imposed_at", "-id")
            .values_list("ends_at", flat=True)
            .first()
        ),
        warnings=list(
            Notification.objects.filter(user=user, kind=Notification.Kind.WARNING).order_by(
                "-created_at", "-id"
            )[:PERSON_LIST_LIMIT]  # notif_user_idx
        ),
    )


def has_account_decisions(user_id: int) -> bool:
    """Whether the person is under a sanction now or has appealed one (decided
    appeals too, until their retention ends: the decision is theirs to read), for
    the inbox's link to "Decisions about your account". One query, an EXISTS over
    sanction_user_idx."""
    return (
        Sanction.objects.of_user(user_id)
        .filter(Q(ended_at__isnull=True) | Q(appeal__isnull=False))
        .exists()
    )

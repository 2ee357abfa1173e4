"""Queue health, the dashboard's answer to "is the desk keeping up?": how long the
oldest open case and the oldest open appeal have waited, cases opened and closed
per day, each moderator's actions and claims this week, and how many decided
appeals overturned their sanction.

Beside ``moderation.stats`` (the case figures) and composed with it by
``admin_ext.admin.dashboard_figures`` into the one cached dict of dashboard
figures, which ``admin_ext.admin.dashboard_receivers`` drops after the commit of
every write that changes one (a case saved or acted on, an audit entry, an
appeal saved, an evidence purge, an account deletion). Plain primitives, safe
to cache; the oldest waits are kept as the moment they began, so the page
words their age at its own time, not at the time the figures were cached.
This module reads models only.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from audit.models import AuditEntry
from moderation.models import Appeal, Case
from moderation.stats import MODERATOR_ACTIONS, count_per_day
from moderation_site.local_time import local_midnight

# The moderators table: the busiest of the week; a desk has fewer.
BUSIEST_MODERATORS = 20


def compute_queue_health(
    *, first_day: date, last_day: date, week_first_day: date, zone: tzinfo
) -> dict[str, Any]:
    """The queue-health figures, in six queries whatever the volume:

    - ``oldest_open_case`` / ``oldest_open_appeal``: the one waiting longest in
      each queue, ``{"id": 12, "since": ISO datetime}``, None when it is empty;
    - ``cases_opened_per_day`` / ``cases_closed_per_day``: per calendar day from
      ``first_day`` to ``last_day`` (in ``zone``), oldest first, 0 for a quiet day;
    - ``moderators_this_week``: from ``week_first_day`` to ``last_day``, each
      moderator's actions and claims, busiest first (``moderator_work``);
    - ``appeals_decided`` / ``appeals_overturned``: appeals decided from
      ``first_day`` to ``last_day``, and how many of them were approved.
    """
    start = local_midnight(first_day, zone)
    end = local_midnight(last_day + timedelta(days=1), zone)
    decided, overturned = count_appeals_overturned(decided_from=start, decided_before=end)
    return {
        "oldest_open_case": _waiting_since(oldest_open_case()),
        "oldest_open_appeal": _waiting_since(oldest_open_appeal()),
        "cases_opened_per_day": cases_per_day(
            Case.objects.all(), "opened_at", first_day=first_day, last_day=last_day, zone=zone
        ),
        "cases_closed_per_day": cases_per_day(
            Case.objects.closed(), "closed_at", first_day=first_day, last_day=last_day, zone=zone
        ),
        "moderators_this_week": moderator_work(
            since=local_midnight(week_first_day, zone), before=end
        ),
        "appeals_decided": decided,
        "appeals_overturned": overturned,
    }


def oldest_open_case() -> tuple[int, datetime] | None:
    """The open case opened longest ago: its id and ``opened_at``; None if none."""
    # The open cases come from an index on status (case_queue_idx, or the partial
    # case_one_open_per_user PostgreSQL prefers) and the oldest is picked among
    # them: the backlog itself, not the table (5 ms for 10,000 open cases).
    return Case.objects.open().order_by("opened_at", "id").values_list("id", "opened_at").first()


def oldest_open_appeal() -> tuple[int, datetime] | None:
    """The appeal waiting longest for a moderator: its id and ``created_at``."""
    # Only status "open": an appeal waiting for the person's answer to a
    # moderator's question ("asked") is in the person's hands, not the desk's
    # backlog, however old. appeal_queue_idx (status, created_at): one entry.
    return Appeal.objects.waiting_for_moderators().values_list("id", "created_at").first()


def age_in_seconds(since: datetime | None, *, now: datetime) -> int | None:
    """Whole seconds from ``since`` to ``now``, never negative; None for None."""
    if since is None:
        return None
    return max(0, round((now - since).total_seconds()))


def cases_per_day(
    cases: QuerySet[Case], field: str, *, first_day: date, last_day: date, zone: tzinfo
) -> list[dict[str, Any]]:
    """``[{"date": "2026-03-10", "count": 4}, ...]``: the ``cases`` whose ``field``
    (``opened_at``, ``closed_at``) falls on each local day, grouped in the database.

    No index on either column: like ``moderation.stats.median_seconds_to_first_action``
    this scans the case table, which holds only open cases and closed ones within
    their evidence retention (90 days by default, longer than the window): 12 ms
    for 100,000 cases on PostgreSQL. A case purged early (a superuser shortened
    its retention) no longer counts.
    """
    return count_per_day(cases, field, first_day=first_day, last_day=last_day, zone=zone)


def moderator_work(*, since: datetime, before: datetime) -> list[dict[str, Any]]:
    """``[{"username": "mona", "actions": 12, "claims": 3}, ...]``: per moderator,
    the audit entries in [since, before) of MODERATOR_ACTIONS (the actions-per-day
    chart's definition, with its exclusions: no system entries, nobody acting on
    themselves) and of claims; busiest first (actions, then claims, then name),
    at most BUSIEST_MODERATORS rows.

    Named by the name the entries keep: a moderator whose account has gone since
    still appears, under the name they had.
    """
    claimed = Q(action=AuditEntry.Action.CASE_CLAIMED)
    # audit_action_idx (action, -created_at): one range scan per action type over
    # the week, grouped by name in the database; only the top rows come back.
    rows = (
        AuditEntry.objects.filter(
            action__in=(*MODERATOR_ACTIONS, AuditEntry.Action.CASE_CLAIMED),
            created_at__gte=since,
            created_at__lt=before,
        )
        .exclude(actor_username="")
        .exclude(actor_username=F("target_username"))
        .values("actor_username")
        .annotate(actions=Count("id", filter=~claimed), claims=Count("id", filter=claimed))
        .order_by("-actions", "-claims", "actor_username")
        .values_list("actor_username", "actions", "claims")[:BUSIEST_MODERATORS]
    )
    return [
        {"username": username, "actions": actions, "claims": claims}
        for username, actions, claims in rows
    ]


def count_appeals_overturned(
    *, decided_from: datetime, decided_before: datetime
) -> tuple[int, int]:
    """How many appeals were decided in [decided_from, decided_before), and how
    many of those were approved (their sanction overturned). An appeal goes with
    its person's account and with its case's evidence: those no longer count.
    """
    # No index on decided_at: decided appeals are deleted after their retention
    # (appeal_retention_idx), so the table stays small; PostgreSQL reads it whole
    # (2 ms for 20,000 appeals), where the decided ones are most of it anyway.
    counts = Appeal.objects.filter(
        status__in=(Appeal.Status.APPROVED, Appeal.Status.REJECTED),
        decided_at__gte=decided_from,
        decided_at__lt=decided_before,
    ).aggregate(
        decided=Count("id"),
        overturned=Count("id", filter=Q(status=Appeal.Status.APPROVED)),
    )
    return counts["decided"], counts["overturned"]


def _waiting_since(oldest: tuple[int, datetime] | None) -> dict[str, Any] | None:
    if oldest is None:
        return None
    pk, since = oldest
    return {"id": pk, "since": since.isoformat()}

"""How far a reporter's reports lead to action: the share of their last
``RELIABILITY_WINDOW`` reports in closed cases that closed with action taken
(a sanction, or the account deleted) rather than dismissed.

A reporter with fewer than ``MIN_CLOSED_REPORTS`` such reports is *new* and
counts as neutral: what one or two reports ended as says little. The share
weighs on the priority of a case the reporter joins (``weight``, README
"Reports and cases") and shows beside each report on the case page.

A case that gets BRIGADE_REPORTS reports within BRIGADE_WINDOW, at least
BRIGADE_SHARE of them from new or unreliable reporters, is a *possible brigade*
(``looks_like_brigade``): many fresh accounts piling on one person is how report
floods are aimed, and they should not push the case up the queue.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Window
from django.db.models.functions import RowNumber

from moderation.managers import PRIORITY_PER_REPORTER
from moderation.models import Case, Report

RELIABILITY_WINDOW = 100
MIN_CLOSED_REPORTS = 5
# The share of action taken at or above which a reporter is reliable, and below
# which unreliable; between them, neutral.
RELIABLE_SHARE = 2 / 3
UNRELIABLE_SHARE = 1 / 3
# What a reporter adds to a case's priority when they first report in it. A
# neutral (or new) reporter weighs what every distinct reporter weighed before
# reliability counted (managers.PRIORITY_PER_REPORTER).
RELIABLE_WEIGHT = 5
NEUTRAL_WEIGHT = PRIORITY_PER_REPORTER
UNRELIABLE_WEIGHT = 1

BRIGADE_REPORTS = 10
BRIGADE_WINDOW = timedelta(hours=1)
BRIGADE_SHARE = 0.8

ACTION_TAKEN = (Case.Resolution.ACTIONED, Case.Resolution.ACCOUNT_DELETED)


@dataclass(frozen=True)
class Reliability:
    actioned: int  # of ``closed``, how many closed with action taken
    closed: int  # the reporter's reports in closed cases, at most RELIABILITY_WINDOW

    @property
    def is_new(self) -> bool:
        return self.closed < MIN_CLOSED_REPORTS

    @property
    def standing(self) -> str:
        """ "new", "reliable", "neutral" or "unreliable"."""
        if self.is_new:
            return "new"
        share = self.actioned / self.closed
        if share >= RELIABLE_SHARE:
            return "reliable"
        if share < UNRELIABLE_SHARE:
            return "unreliable"
        return "neutral"

    @property
    def weight(self) -> int:
        return {"reliable": RELIABLE_WEIGHT, "unreliable": UNRELIABLE_WEIGHT}.get(
            self.standing, NEUTRAL_WEIGHT
        )

    @property
    def is_new_or_unreliable(self) -> bool:
        return self.standing in ("new", "unreliable")

    def __str__(self) -> str:
        if self.is_new:
            return "new reporter"
        return f"{self.standing}: {self.actioned} of {self.closed} led to action"


NEW_REPORTER = Reliability(actioned=0, closed=0)


def _closed_reports(reporter_ids: Iterable[int]):
    return Report.objects.filter(
        reporter_id__in=reporter_ids, case__status=Case.Status.CLOSED
    ).order_by()


def reporter_reliability(reporter_id: int | None) -> Reliability:
    """One reporter's reliability: one query (their newest reports first, through
    report_reporter_idx), at most RELIABILITY_WINDOW rows."""
    if reporter_id is None:
        return NEW_REPORTER
    resolutions = list(
        _closed_reports([reporter_id])
        .order_by("-created_at", "-id")
        .values_list("case__resolution", flat=True)[:RELIABILITY_WINDOW]
    )
    return Reliability(
        actioned=sum(resolution in ACTION_TAKEN for resolution in resolutions),
        closed=len(resolutions),
    )


def reporters_reliability(reporter_ids: Iterable[int | None]) -> dict[int, Reliability]:
    """The reliability of each of ``reporter_ids`` (a case's reporters): one query,
    each reporter's newest RELIABILITY_WINDOW closed reports numbered by a window
    function and the rest filtered out, so at most that many rows per reporter.
    Reporters without closed reports are absent: ``.get(id, NEW_REPORTER)``."""
    ids = {reporter_id for reporter_id in reporter_ids if reporter_id is not None}
    if not ids:
        return {}
    rows = (
        _closed_reports(ids)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("reporter_id")],
                order_by=[F("created_at").desc(), F("id").desc()],
            )
        )
        .filter(rank__lte=RELIABILITY_WINDOW)
        .values_list("reporter_id", "case__resolution")
    )
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for reporter_id, resolution in rows:
        counts[reporter_id][0] += resolution in ACTION_TAKEN
        counts[reporter_id][1] += 1
    return {
        reporter_id: Reliability(actioned=actioned, closed=closed)
        for reporter_id, (actioned, closed) in counts.items()
    }


def looks_like_brigade(case: Case, *, now: datetime) -> bool:
    """Whether ``case``'s reports of the last BRIGADE_WINDOW are a possible
    brigade: at least BRIGADE_REPORTS of them, BRIGADE_SHARE or more from new or
    unreliable reporters (a deleted reporter counts as new; a rule's reports
    are left out). One query, two when
    the reports are enough to ask who sent them."""
    recent = list(
        case.reports.filter(created_at__gt=now - BRIGADE_WINDOW)  # report_case_idx
        .filter(rule_id__isnull=True)  # a rule's reports are nobody's pile-on
        .order_by()
        .values_list("reporter_id", flat=True)
    )
    if len(recent) < BRIGADE_REPORTS:
        return False
    reliability = reporters_reliability(recent)
    doubtful = sum(
        reliability.get(reporter_id, NEW_REPORTER).is_new_or_unreliable for reporter_id in recent
    )
    return doubtful >= BRIGADE_SHARE * len(recent)


def brigade_weight(case: Case) -> int:
    """What ``case``'s reporters add to its priority once it is a possible
    brigade: only those neither new nor unreliable count, and the system (a
    rule's reports) as one neutral reporter. Two queries."""
    reporters = set(case.reports.order_by().values_list("reporter_id", "rule_id"))
    reporter_ids = {reporter_id for reporter_id, _ in reporters if reporter_id is not None}
    automatic = any(rule_id is not None for _, rule_id in reporters)
    reliability = reporters_reliability(reporter_ids)
    return NEUTRAL_WEIGHT * automatic + sum(
        found.weight
        for found in (reliability.get(pk, NEW_REPORTER) for pk in reporter_ids)
        if not found.is_new_or_unreliable
    )

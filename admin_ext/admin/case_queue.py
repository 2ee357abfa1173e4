"""The review queue's changelist: its status and reason filters, and its order.

Open cases by priority (``Case.objects.review_queue``) unless the moderator asks
for closed ones (newest closed first) or all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import admin
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from unfold.contrib.filters.admin import RadioFilter

from admin_ext.admin.base import DeskChangeList
from moderation.models import Case, Report

OPEN = "open"
CLOSED = "closed"
ALL = "all"
# An open case marked as a possible brigade (moderation.reliability): its status
# says so, in the queue and on the case page.
POSSIBLE_BRIGADE = "possible_brigade"
# Closed cases are looked up by when they closed; the queue's order (priority)
# means nothing for them.
CLOSED_ORDERING = ("-closed_at", "-id")

# The status column: (value, text) → unfold label colour.
STATUS_LABELS = {
    OPEN: "warning",
    POSSIBLE_BRIGADE: "danger",
    Case.Resolution.DISMISSED: "info",
    Case.Resolution.ACTIONED: "success",
    Case.Resolution.ACCOUNT_DELETED: "danger",
    CLOSED: "info",
}


def queue_ordering() -> tuple[str, ...]:
    """The review queue's order, as ``review_queue`` defines it (one definition)."""
    return tuple(Case.objects.review_queue().query.order_by)


def requested_status(params: Mapping[str, Any]) -> str:
    """The status the queue shows for these query parameters: open unless asked."""
    value = params.get(CaseStatusFilter.parameter_name)
    return value if value in (OPEN, CLOSED, ALL) else OPEN


def ordering_for(status: str) -> tuple[str, ...]:
    return CLOSED_ORDERING if status == CLOSED else queue_ordering()


class QueueChangeList(DeskChangeList):
    """Marks the column the queue is sorted by: Django guesses it from
    ``ModelAdmin.ordering`` or ``Meta.ordering`` (the latter here, wrongly), not
    from ``get_ordering``. Only the first key is marked: the rest break ties."""

    def _get_default_ordering(self) -> list[str]:
        return list(ordering_for(requested_status(self.params))[:1])


class CaseStatusFilter(RadioFilter):
    """Open (the default: the queue), closed, or all."""

    title = "status"
    parameter_name = "status"
    all_option = None  # "All" is a choice of its own: no choice means Open

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [(OPEN, "Open"), (CLOSED, "Closed"), (ALL, "All")]

    def value(self) -> str:
        return requested_status(self.request.GET)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        status = requested_status(request.GET)
        if status == ALL:
            return queryset
        return queryset.closed() if status == CLOSED else queryset.open()


class CaseReasonFilter(RadioFilter):
    """Cases with at least one report for this reason (an EXISTS over report_case_idx)."""

    title = "reason reported"
    parameter_name = "reason"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return list(Report.Reason.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() not in Report.Reason.values:
            return queryset
        return queryset.filter(
            Exists(Report.objects.filter(case=OuterRef("pk"), reason=self.value()))
        )

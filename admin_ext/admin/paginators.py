"""The desk's paginator: lists of millions of rows that never count them all.

A changelist counts its rows on every page view to number the pages. At
10,000,000 messages an exact ``COUNT(*)`` costs seconds unfiltered and hundreds
of milliseconds for a filter matching millions (the unread ones), and OFFSET
grows with the page number. So:

- an unfiltered list of a large PostgreSQL table takes the planner's estimate of
  its rows (``pg_class.reltuples``, kept fresh by autovacuum), shown "about N";
- any other list counts at most ``COUNT_CAP`` + 1 rows (a ``LIMIT`` subquery the
  database stops early), shown "10,000+" beyond;
- pages stop at the one holding the ``COUNT_CAP``-th row, so OFFSET never passes
  it: nobody reads a list 10,000 rows deep, they narrow it with a filter or a
  search, which the refusal of a deeper page says.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import EmptyPage, Paginator
from django.db import connections
from django.utils.functional import cached_property

# Below this many rows an estimate is too rough to show, and counting is cheap.
ESTIMATE_ABOVE = 500_000
# Rows counted at most, and the depth where pages stop.
COUNT_CAP = 10_000


class ShownCount(int):
    """A count that is a number for the pages and plurals, and reads as what it
    is wherever a template shows it: "10,000+" (capped) or "about 10,152,311"
    (estimated). Django's and unfold's templates show ``cl.result_count`` in
    three places; this keeps them all honest without copying them."""

    def __new__(cls, value: int, *, kind: str) -> ShownCount:
        count = super().__new__(cls, value)
        count.kind = kind
        return count

    def __str__(self) -> str:
        return f"about {int(self):,}" if self.kind == "estimate" else f"{int(self):,}+"

    __repr__ = int.__repr__


class LargeTablePaginator(Paginator):
    """Numbers pages from an estimate or a capped count (module docstring)."""

    @property
    def is_estimate(self) -> bool:
        return getattr(self.count, "kind", "") == "estimate"

    @property
    def is_capped(self) -> bool:
        return getattr(self.count, "kind", "") == "capped"

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is None:  # a list, as in tests
            return super().count
        if not query.where and query.combinator is None:
            estimate = self._planner_estimate(queryset)
            if estimate > ESTIMATE_ABOVE:
                return ShownCount(estimate, kind="estimate")
        # Without its order the database fetches any COUNT_CAP + 1 matching rows
        # the fastest way (the filter's own index), instead of walking the
        # list's order until it has found them.
        counted = queryset.order_by()[: COUNT_CAP + 1].count()
        return ShownCount(COUNT_CAP, kind="capped") if counted > COUNT_CAP else counted

    @cached_property
    def num_pages(self) -> int:
        return min(super().num_pages, max(1, COUNT_CAP // self.per_page))

    def validate_number(self, number: Any) -> int:
        try:
            return super().validate_number(number)
        except EmptyPage:
            deeper = self.is_capped or Paginator.num_pages.func(self) > self.num_pages
            if deeper:  # rows are there, but not served
                raise EmptyPage(
                    f"Lists stop at page {self.num_pages:,} (the first {COUNT_CAP:,} rows): "
                    "narrow the list with a filter or a search to see further."
                ) from None
            raise

    @staticmethod
    def _planner_estimate(queryset: Any) -> int:
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return -1
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [queryset.model._meta.db_table],
            )
            row = cursor.fetchone()
        return row[0] if row else -1

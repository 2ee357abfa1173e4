"""Paginators for tables of millions of rows."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

# Below this many rows an exact COUNT(*) is cheap enough on every page view.
ESTIMATE_ABOVE = 500_000


class LargeTablePaginator(Paginator):
    """Uses PostgreSQL's row estimate instead of COUNT(*) for an unfiltered list.

    An unfiltered changelist of a million messages would count the whole table on
    every page view; the planner's estimate (kept fresh by autovacuum's ANALYZE)
    is enough to number the pages. Filtered lists, and SQLite, count exactly.
    """

    is_estimate = False  # True once ``count`` gave the planner's estimate

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is not None and not query.where and query.combinator is None:
            connection = connections[queryset.db]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                        [queryset.model._meta.db_table],
                    )
                    row = cursor.fetchone()
                estimate = row[0] if row else -1
                if estimate > ESTIMATE_ABOVE:
                    self.is_estimate = True  # "about N" where the count is shown
                    return estimate
        return super().count
